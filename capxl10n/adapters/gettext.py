"""gettext catalogs (.pot/.po/.mo) from a snapshot, written with polib.

The files imitate Translate's own gettext export (``Special:ExportTranslations``
with ``format=export-as-po``, real samples in ../shared/reference/) so that
translators can work on them offline and ``Special:ImportTranslations`` takes
them back: ``msgctxt`` is the full message key
(``Module:CapacityExchange/capacities.json/Q7397-label``), ``msgid`` the
English source, documentation (``qqq``) as ``#. [Wiki] …`` lines, outdated
translations as ``#, fuzzy``, and the ``X-Language-Code``/``X-Message-Group``
headers Translate's import needs.

Deterministic on purpose: no run timestamps. ``POT-Creation-Date`` and
``PO-Revision-Date`` are the newest term timestamps of English and of the
language in the snapshot, and are left out when the snapshot has none; so the
same snapshot always gives the same bytes.

polib types stay inside this module: callers get bytes and plain data.
"""
from __future__ import annotations

import array
import logging
import struct
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final, Protocol

import polib

from capxl10n.errors import CatalogError
from capxl10n.model import DOC_LANGUAGE, SOURCE_LANGUAGE, Snapshot, Term, TermKey, normalize_text

log = logging.getLogger(__name__)

DOMAIN: Final = "capacities"
#: Snapshot meta key holding the English text a fuzzy translation was made from:
#: ``{lang: {message_key: previous English}}``; the language ``"*"`` applies to all.
PREVIOUS_SOURCE_META: Final = "previous_source"
PATH_SEPARATOR: Final = " › "
#: How much of a file :func:`read_header` looks at: the header is always first.
HEADER_PROBE_BYTES: Final = 16384


class LanguageLike(Protocol):
    """The part of :class:`capxl10n.langs.Language` a catalog header needs."""

    code: str
    bcp47: str
    gettext: str
    plural_forms: str
    name: str
    autonym: str


@dataclass(frozen=True)
class PoOptions:
    """What every catalog of one build shares."""

    bundle_page: str = "Module:CapacityExchange/capacities.json"
    message_group: str = "messagebundle-Module:CapacityExchange/capacities.json"
    generator: str = "capxl10n"


@dataclass(frozen=True)
class SourceEntry:
    """One catalog entry as every language shares it (computed once per build)."""

    key: TermKey
    msgctxt: str
    msgid: str
    comment: str


def _flat(snapshot: Snapshot) -> dict[tuple[str, str, str], Term]:
    """Terms by plain tuples, texts normalised once (NFC, trimmed).

    Building millions of TermKeys, or normalising each text once per
    language, was the slow part of large builds.
    """
    out: dict[tuple[str, str, str], Term] = {}
    for k, t in snapshot.terms.items():
        text = normalize_text(t.text)
        out[(k.qid, k.field, k.lang)] = t if text == t.text else replace(t, text=text)
    return out


def source_entries(snapshot: Snapshot, options: PoOptions,
                   flat: Mapping[tuple[str, str, str], Term] | None = None) -> list[SourceEntry]:
    """The entries in tree order, with their extracted comments; keys without English are left out."""
    terms = flat if flat is not None else _flat(snapshot)

    def english(qid: str, fld: str) -> str:
        term = terms.get((qid, fld, SOURCE_LANGUAGE))
        return normalize_text(term.text) if term is not None else ""

    entries = []
    for key in snapshot.message_keys():
        msgid = english(key.qid, key.field)
        if not msgid:
            continue
        lines = []
        doc = terms.get((key.qid, key.field, DOC_LANGUAGE))
        if doc is not None and normalize_text(doc.text):
            lines += [f"[Wiki] {line}" for line in normalize_text(doc.text).splitlines()]
        path = PATH_SEPARATOR.join(english(q, "label") or q for q in snapshot.path(key.qid))
        lines.append(f"Path: {path}")
        cap = snapshot.capacity(key.qid)
        if cap is not None and cap.item:
            lines.append(f"Metabase: {cap.item}")
        if key.field == "label":
            description = english(key.qid, "description")
            if description:
                lines.append(f"Description: {_one_line(description)}")
        entries.append(SourceEntry(key, f"{options.bundle_page}/{key.message_key}", msgid, "\n".join(lines)))
    return entries


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _po_date(timestamps: Iterator[str | None]) -> str | None:
    """The newest parseable timestamp in gettext's header form, or None."""
    newest: datetime | None = None
    for raw in timestamps:
        if not raw:
            continue
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            continue
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        newest = value if newest is None or value > newest else newest
    return newest.strftime("%Y-%m-%d %H:%M:%S+0000") if newest else None


def _previous_sources(snapshot: Snapshot, lang: str) -> dict[str, str]:
    raw = snapshot.meta.get(PREVIOUS_SOURCE_META)
    if not isinstance(raw, Mapping):
        return {}
    merged: dict[str, str] = {}
    for scope in ("*", lang):
        table = raw.get(scope)
        if isinstance(table, Mapping):
            merged.update({str(k): str(v) for k, v in table.items() if isinstance(v, str)})
    return merged


def _metadata(options: PoOptions, language: LanguageLike | None, dates: Mapping[str, str | None]) -> dict[str, str]:
    meta: dict[str, str] = {"Project-Id-Version": options.bundle_page}
    meta.update({name: value for name, value in dates.items() if value})
    meta.update({
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Generator": options.generator,
        "X-Message-Group": options.message_group,
    })
    if language is not None:
        meta.update({"Language": language.bcp47, "X-Language-Code": language.code,
                     "Plural-Forms": language.plural_forms})
    return meta


class _SharedEntry(polib.POEntry):
    """A polib entry that formats its language-independent fields once.

    ``msgctxt`` and ``msgid`` are the same in every language's catalog; polib's
    own formatter runs once for them and its lines are reused, so the output
    is exactly polib's while a 300-language build does not escape the same
    English 300 times.
    """

    _CACHED: Final = frozenset({"msgctxt", "msgid"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lines: dict[tuple[Any, ...], list[str]] = {}
        self._untranslated: dict[int, str] = {}

    def __unicode__(self, wrapwidth: int = 78) -> str:
        """polib's rendering; an untranslated entry is the same in every language, so it is kept."""
        if self.msgstr or self.flags or self.previous_msgid or self.tcomment:
            return str(super().__unicode__(wrapwidth))
        text = self._untranslated.get(wrapwidth)
        if text is None:
            text = self._untranslated[wrapwidth] = str(super().__unicode__(wrapwidth))
        return text

    def _str_field(self, fieldname: str, delflag: str, plural_index: Any, field_: str,
                   wrapwidth: int = 78) -> list[str]:
        if fieldname not in self._CACHED:
            return list(super()._str_field(  # type: ignore[misc]  # polib's stubs omit it
                fieldname, delflag, plural_index, field_, wrapwidth))
        key = (fieldname, delflag, plural_index, field_, wrapwidth)
        lines = self._lines.get(key)
        if lines is None:
            lines = self._lines[key] = list(super()._str_field(  # type: ignore[misc]
                fieldname, delflag, plural_index, field_, wrapwidth))
        return list(lines)


@dataclass(frozen=True)
class Prepared:
    """What every language's catalog of one build shares, computed once (keeps the build linear)."""

    snapshot: Snapshot
    options: PoOptions
    entries: tuple[SourceEntry, ...]
    terms: Mapping[tuple[str, str, str], Term]
    english_date: str | None
    #: One set of polib entries reused by every language (see :func:`render_po`).
    template: polib.POFile | None = field(default=None, compare=False, repr=False)


def prepare(snapshot: Snapshot, options: PoOptions) -> Prepared:
    flat = _flat(snapshot)
    english_date = _po_date(t.timestamp for (_q, _f, lang), t in flat.items() if lang == SOURCE_LANGUAGE)
    prepared = Prepared(snapshot, options, tuple(source_entries(snapshot, options, flat)), flat, english_date)
    return replace(prepared, template=build_pot(prepared))


def build_pot(prepared: Prepared) -> polib.POFile:
    options = prepared.options
    pot = polib.POFile(wrapwidth=0, check_for_duplicates=False)
    pot.header = f"Template of {options.bundle_page}\nBuilt by {options.generator}"
    pot.metadata = _metadata(options, None, {"POT-Creation-Date": prepared.english_date})
    for entry in prepared.entries:
        pot.append(_SharedEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, msgstr="", comment=entry.comment))
    return pot


def build_po(prepared: Prepared, language: LanguageLike) -> polib.POFile:
    """The catalog of one translation language; untranslated entries have ``msgstr ""``."""
    po = polib.POFile(wrapwidth=0, check_for_duplicates=False)
    for entry in prepared.entries:
        po.append(polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, comment=entry.comment))
    _fill(po, prepared, language)
    return po


def render_po(prepared: Prepared, language: LanguageLike) -> tuple[bytes, bytes]:
    """The ``.po`` and ``.mo`` bytes of one language.

    Reuses one set of polib entries for every language of a build (only
    msgstr, flags and previous msgid change): creating a million entry
    objects was most of the build time at 2,000 capacities x 300 languages.
    """
    template = prepared.template if prepared.template is not None else build_pot(prepared)
    _fill(template, prepared, language)
    return po_bytes(template), mo_bytes(template)


def _fill(po: polib.POFile, prepared: Prepared, language: LanguageLike) -> None:
    if language.code in (SOURCE_LANGUAGE, DOC_LANGUAGE):
        raise CatalogError(f"{language.code!r} is not a translation language",
                           hint="en is the source (capacities.pot) and qqq the documentation")
    terms, options = prepared.terms, prepared.options
    lang = language.code
    previous = _previous_sources(prepared.snapshot, lang)
    authors: set[str] = set()
    stamps: list[str | None] = []
    for entry, po_entry in zip(prepared.entries, po):
        term = terms.get((entry.key.qid, entry.key.field, lang))
        text = term.text if term is not None else ""
        flags: list[str] = []
        previous_msgid = None
        if term is not None and text:
            stamps.append(term.timestamp)
            if term.author:
                authors.add(term.author)
            if term.fuzzy:
                flags.append("fuzzy")
                old = previous.get(entry.key.message_key)
                if old and normalize_text(old) != entry.msgid:
                    previous_msgid = normalize_text(old)
        po_entry.msgstr = text
        po_entry.flags = flags
        po_entry.previous_msgid = previous_msgid
    po.metadata = _metadata(options, language, {"POT-Creation-Date": prepared.english_date,
                                                 "PO-Revision-Date": _po_date(iter(stamps))})
    header = [f"Translation of {options.bundle_page} to {language.name} ({language.autonym})",
              f"Built by {options.generator}", ""]
    header += [f"Author: {name}" for name in sorted(authors)]
    po.header = "\n".join(header).rstrip("\n")


def po_bytes(po: polib.POFile) -> bytes:
    text = str(po)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def mo_bytes(po: polib.POFile) -> bytes:
    """The compiled catalog: translated entries only (fuzzy and empty ones left out, as msgfmt does).

    The GNU .mo layout as CPython's ``Tools/i18n/msgfmt.py`` writes it (no
    hash table; readers fall back to binary search), built with joins:
    ``polib.POFile.to_binary`` grows its byte strings entry by entry, which
    was the slowest step of a large build.
    """
    pairs = {b"": po.metadata_as_entry().msgstr.encode("utf-8")}
    for entry in po:
        if entry.msgstr and not entry.fuzzy and not entry.obsolete:
            key = (f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid)
            pairs[key.encode("utf-8")] = entry.msgstr.encode("utf-8")
    return _mo_layout(pairs)


def _mo_layout(pairs: Mapping[bytes, bytes]) -> bytes:
    keys = sorted(pairs)
    count = len(keys)
    key_start = 7 * 4
    value_start = key_start + count * 8
    data_start = value_start + count * 8
    key_table, value_table = [], []
    key_blob, value_blob = [], []
    offset = 0
    for key in keys:
        key_table.append((len(key), data_start + offset))
        key_blob.append(key + b"\0")
        offset += len(key) + 1
    for key in keys:
        value = pairs[key]
        value_table.append((len(value), data_start + offset))
        value_blob.append(value + b"\0")
        offset += len(value) + 1
    header = struct.pack("<7I", 0x950412DE, 0, count, key_start, value_start, 0, data_start)
    tables = array.array("I", [n for pair in key_table + value_table for n in pair])
    if sys.byteorder != "little":
        tables.byteswap()
    return header + tables.tobytes() + b"".join(key_blob) + b"".join(value_blob)


def read_header(path: Path) -> dict[str, str]:
    """The header fields of the .po/.pot at ``path`` (only the start of the file is read).

    Raises :class:`CatalogError` naming the file when it cannot be read or
    has no gettext header.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER_PROBE_BYTES)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None
    text = head.decode("utf-8", errors="replace")
    end = text.find('\n\n', text.find('msgid ""'))
    if 'msgid ""' not in text or end < 0 and len(head) == HEADER_PROBE_BYTES:
        raise CatalogError(f"{path}: no gettext header found",
                           hint="this file was not written by capxl10n; move it away or use another --out")
    try:
        parsed = polib.pofile(text[:end] if end >= 0 else text, wrapwidth=0)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: not a readable gettext file: {exc}",
                           hint="this file was not written by capxl10n; move it away or use another --out") from None
    return dict(parsed.metadata)


def load_translations(path: Path) -> dict[str, Any]:
    """Read a .po file into ``{msgctxt: {"msgid", "msgstr", "fuzzy"}}`` (tests and the runtime's .mo-less path)."""
    po = polib.pofile(str(path), wrapwidth=0)
    return {e.msgctxt or e.msgid: {"msgid": e.msgid, "msgstr": e.msgstr, "fuzzy": e.fuzzy} for e in po}


__all__ = ["DOMAIN", "PREVIOUS_SOURCE_META", "LanguageLike", "PoOptions", "Prepared", "SourceEntry",
           "build_po", "build_pot", "prepare", "render_po", "load_translations", "mo_bytes", "po_bytes", "read_header", "source_entries"]
