"""gettext catalogs (.pot/.po/.mo) from a snapshot: written here, read with polib.

The files imitate Translate's own gettext export (``Special:ExportTranslations``
with ``format=export-as-po``, real samples in ../shared/reference/) so that
translators can work on them offline and ``Special:ImportTranslations`` takes
them back: ``msgctxt`` is the full message key
(``Module:CapacityExchange/capacities.json/Q7397-label``), ``msgid`` the
English source, documentation (``qqq``) as ``#. [Wiki] …`` lines, outdated
translations as ``#, fuzzy``, and the ``X-Language-Code``/``X-Message-Group``
headers Translate's import needs. Entries come in the bundle's key order when
the snapshot knows it (``meta["message_order"]``), as Translate lists them;
``# Author:`` lines credit the people whose text the file holds
(:mod:`capxl10n.catalogs.credits`). :func:`parse_po` reads any .po into plain data for
:mod:`capxl10n.catalogs.parity`, which compares ours with Translate's export.

Deterministic on purpose: no run timestamps. ``POT-Creation-Date`` and
``PO-Revision-Date`` are the newest term timestamps of English and of the
language in the snapshot, and are left out when the snapshot has none; so the
same snapshot always gives the same bytes.

The files are written by this module alone (:func:`po_entry`, :func:`po_head`,
the .mo layout), in the layout polib gives with ``wrapwidth=0``; polib, through
its public API only, reads (:func:`parse_po`, :func:`read_header`). polib
types stay inside this module: callers get bytes and plain data.
"""
from __future__ import annotations

import array
import logging
import re
import struct
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final, Protocol

import polib

from capxl10n.catalogs.credits import credited
from capxl10n.core.directory import previous_english
from capxl10n.errors import CatalogError, DataError
from capxl10n.core.model import DOC_LANGUAGE, MESSAGE_KEY_RE, SOURCE_LANGUAGE, Snapshot, Term, TermKey, normalize_text

log = logging.getLogger(__name__)

DOMAIN: Final = "capacities"
#: Snapshot meta key holding the English text a fuzzy translation was made from:
#: ``{lang: {message_key: previous English}}``; the language ``"*"`` applies to all.
#: Snapshot meta key holding the bundle's message keys in bundle order (``["Q7397-label", …]``):
#: Translate's export lists messages in that order, so the catalogs do too.
MESSAGE_ORDER_META: Final = "message_order"
#: The prefix Translate's export gives each line of message documentation (``#. [Wiki] …``).
DOC_PREFIX: Final = "[Wiki] "
PATH_SEPARATOR: Final = " › "
#: How much of a file :func:`read_header` looks at: the header is always first.
HEADER_PROBE_BYTES: Final = 16384


class LanguageLike(Protocol):
    """The part of :class:`capxl10n.core.langs.Language` a catalog header needs (read only: a frozen
    dataclass such as ``Language`` is one)."""

    @property
    def code(self) -> str: ...
    @property
    def bcp47(self) -> str: ...
    @property
    def gettext(self) -> str: ...
    @property
    def plural_forms(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def autonym(self) -> str: ...


@dataclass(frozen=True)
class PoOptions:
    """What every catalog of one build shares."""

    bundle_page: str = "Module:CapacityExchange/capacities.json"
    message_group: str = "messagebundle-Module:CapacityExchange/capacities.json"
    generator: str = "capxl10n"
    #: Accounts never credited in ``# Author:`` lines besides FuzzyBot (the profile's bot
    #: accounts: their edits carry other people's text), see :mod:`capxl10n.catalogs.credits`.
    exclude_authors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SourceEntry:
    """One catalog entry as every language shares it (computed once per build)."""

    key: TermKey
    msgctxt: str
    msgid: str
    comment: str
    #: ``key.message_key``, made once (it is looked up per language).
    message_key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "message_key", self.key.message_key)


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


def catalog_keys(snapshot: Snapshot) -> list[TermKey]:
    """The source keys (English) of the tree in catalog order: the bundle's order where it is known.

    With ``meta["message_order"]`` (the bundle's keys in bundle order, which
    is how Translate's export lists them) the tree's keys follow it and keys
    it does not name come after, in tree order; without it, tree order
    (:meth:`Snapshot.message_keys`). Only capacities of the tree have keys:
    the order never adds an entry (coverage counts the same keys), and a
    bundle key that is not a capacity key (``unknown_bundle_keys``) is passed over.
    """
    tree = list(snapshot.message_keys())
    raw = snapshot.meta.get(MESSAGE_ORDER_META)
    if raw is None:
        return tree
    if not isinstance(raw, (list, tuple)) or not all(isinstance(k, str) for k in raw):
        raise DataError(f"snapshot ({snapshot.side}): meta {MESSAGE_ORDER_META!r} must be a list of message keys "
                        f"like 'Q7397-label', got {type(raw).__name__}",
                        hint="rebuild the snapshot; the bundle's key order comes from Meta-Wiki")
    by_key = {key.message_key: key for key in tree}
    ordered = [by_key.pop(k) for k in dict.fromkeys(raw) if MESSAGE_KEY_RE.match(k) and k in by_key]
    return ordered + [key for key in tree if key.message_key in by_key]


def source_entries(snapshot: Snapshot, options: PoOptions,
                   flat: Mapping[tuple[str, str, str], Term] | None = None,
                   keys: list[TermKey] | None = None) -> list[SourceEntry]:
    """The entries in catalog order (:func:`catalog_keys`), with their extracted comments.

    Keys without English are left out (msgid ``""`` is the header).
    """
    terms = flat if flat is not None else _flat(snapshot)

    def english(qid: str, fld: str) -> str:
        term = terms.get((qid, fld, SOURCE_LANGUAGE))
        return normalize_text(term.text) if term is not None else ""

    entries = []
    for key in keys if keys is not None else catalog_keys(snapshot):
        msgid = english(key.qid, key.field)
        if not msgid:
            continue
        lines = []
        doc = terms.get((key.qid, key.field, DOC_LANGUAGE))
        if doc is not None and normalize_text(doc.text):
            lines += [DOC_PREFIX + line for line in normalize_text(doc.text).splitlines()]
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


def _metadata(options: PoOptions, language: LanguageLike | None, dates: Mapping[str, str | None]) -> dict[str, str]:
    """The header fields in the order of Translate's export, with gettext's usual first and MIME fields.

    Translate writes ``PO-Revision-Date, POT-Creation-Date, Content-Type,
    Content-Transfer-Encoding, Language, X-Generator, X-Language-Code,
    X-Message-Group, Plural-Forms``; ``Project-Id-Version`` (first) and
    ``MIME-Version`` (before ``Content-Type``) are ours: ``msgfmt -c`` and
    Poedit expect them.
    """
    meta: dict[str, str] = {"Project-Id-Version": options.bundle_page}
    meta.update({name: value for name, value in dates.items() if value})
    meta.update({"MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                 "Content-Transfer-Encoding": "8bit"})
    if language is not None:
        meta["Language"] = language.bcp47
    meta["X-Generator"] = options.generator
    if language is not None:
        meta["X-Language-Code"] = language.code
    meta["X-Message-Group"] = options.message_group
    if language is not None:
        meta["Plural-Forms"] = language.plural_forms
    return meta


def header_fields(options: PoOptions, language: LanguageLike | None,
                  dates: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The header fields of a file for ``language`` (None: the template), in Translate's order.

    What :func:`render_po` writes (see :func:`_metadata`); ``dates`` maps
    ``PO-Revision-Date``/``POT-Creation-Date`` to :func:`po_date` values, a None
    value leaving the field out. For other writers of our format (the translator
    export, :mod:`capxl10n.catalogs.translator`).
    """
    return _metadata(options, language, dates or {})


def po_date(timestamps: Iterable[str | None], *, seconds: bool = True) -> str | None:
    """The newest parseable ISO timestamp as a gettext header date, or None.

    With seconds as Translate's export writes it (``2026-11-05 00:09:51+0000``);
    without, in gettext's own ``YEAR-MO-DA HO:MI+ZONE`` (``2026-11-05 00:09+0000``),
    the only form Babel's ``read_po`` parses (2.19 raises on the other).
    """
    value = _po_date(iter(timestamps))
    return value if value is None or seconds else value[:16] + value[19:]


# -- the .po text: our own writer ------------------------------------------------------------------
# Every file is written here, in the layout polib gives with ``wrapwidth=0``, with no call into
# polib: a polib release cannot change our bytes. tests/catalogs/test_po_writer.py compares every entry shape
# and random text with polib's public ``str(POFile)`` and reads the files back with polib, Babel's
# ``read_po`` and ``msgfmt -c``.

#: The escapes of a quoted string: exactly these eight characters, backslash first (so no escape
#: is escaped twice). Every other character, other C0 controls included, is written as is (UTF-8).
PO_ESCAPES: Final = (("\\", "\\\\"), ("\t", "\\t"), ("\r", "\\r"), ("\n", "\\n"), ("\v", "\\v"),
                     ("\b", "\\b"), ("\f", "\\f"), ('"', '\\"'))
#: Any character that makes a field more than ``keyword "text"``: one :data:`PO_ESCAPES` escapes, or
#: one ``str.splitlines`` splits at (``\n \r \v \f \x1c \x1d \x1e \x85 \u2028 \u2029``).
_SPECIAL: Final = re.compile('[\\\\"\t\n\r\v\b\f\x1c\x1d\x1e\x85\u2028\u2029]')


def po_escape(text: str) -> str:
    """``text`` as the inside of a quoted .po string (:data:`PO_ESCAPES`).

    >>> print(po_escape('say "hi"\\tab\\\\'))
    say \\"hi\\"\\tab\\\\
    """
    for char, escaped in PO_ESCAPES:
        text = text.replace(char, escaped)
    return text


def po_field(keyword: str, text: str, prefix: str = "") -> str:
    """The lines of one field (``msgctxt``, ``msgid``, ``msgstr``; ``prefix="#| "`` for a previous one), no wrapping.

    One line ``keyword "<escaped text>"`` unless ``text.splitlines(True)``
    has more than one piece; then ``keyword ""`` and one quoted line per
    piece, each keeping its line break (escaped, or as is for the breaks
    with no escape such as U+2028): a reader joins the pieces back.

    >>> print(po_field("msgstr", "one\\ntwo"))
    msgstr ""
    "one\\n"
    "two"
    """
    if _SPECIAL.search(text) is None:
        return f'{prefix}{keyword} "{text}"'
    pieces = text.splitlines(True)
    if len(pieces) <= 1:
        return f'{prefix}{keyword} "{po_escape(text)}"'
    return "\n".join([f'{prefix}{keyword} ""', *(f'{prefix}"{po_escape(piece)}"' for piece in pieces)])


def po_entry(msgctxt: str | None, msgid: str, msgstr: str, *, comment: str = "", fuzzy: bool = False,
             previous_msgid: str | None = None) -> str:
    """One entry's text, ending with a newline.

    In order: a ``#. `` line per line of ``comment`` (split at ``\\n`` only),
    ``#, fuzzy``, the previous msgid as ``#| msgid`` lines, then ``msgctxt``
    (when not None), ``msgid``, ``msgstr``.
    """
    lines = ["#. " + line for line in comment.split("\n")] if comment else []
    if fuzzy:
        lines.append("#, fuzzy")
    if previous_msgid is not None:
        lines.append(po_field("msgid", previous_msgid, "#| "))
    if msgctxt is not None:
        lines.append(po_field("msgctxt", msgctxt))
    lines.append(po_field("msgid", msgid))
    lines.append(po_field("msgstr", msgstr))
    return "\n".join(lines) + "\n"


def _metadata_text(metadata: Mapping[str, str]) -> str:
    """The header entry's msgstr: ``Name: value`` lines in the order given (Translate's, :func:`_metadata`)."""
    return "".join(f"{name}: {value}\n" for name, value in metadata.items())


def po_head(header: str, metadata: Mapping[str, str]) -> str:
    """A file's start: the header comment lines, then the header entry (``msgid ""``, the fields as msgstr).

    Each line of ``header`` becomes ``#`` when empty, ``#`` and the line
    with no space when it starts with ``,`` or ``:`` (as polib writes it),
    else ``# `` and the line. The entries follow, each preceded by a
    newline (blank lines between entries).
    """
    lines = ["#" if not line else "#" + line if line[:1] in (",", ":") else "# " + line
             for line in header.split("\n")]
    return "\n".join(lines) + "\n" + po_entry(None, "", _metadata_text(metadata))


@dataclass(frozen=True)
class _Rendered:
    """The text of one entry's language-independent parts, computed once per build."""

    #: The whole entry untranslated (``msgstr ""``), the same in every language.
    untranslated: str
    #: ``"\n" + untranslated`` in UTF-8: the piece of a file (entries are joined by newlines).
    untranslated_piece: bytes
    #: ``"\n"`` + everything before ``msgstr`` (comments, msgctxt, msgid) in UTF-8, for an entry
    #: with no flag or previous msgid.
    head_piece: bytes
    #: The .mo key, ``msgctxt\x04msgid`` in UTF-8.
    mo_key: bytes


def _entry_text(entry: SourceEntry, msgstr: str = "", fuzzy: bool = False, previous_msgid: str | None = None) -> str:
    return po_entry(entry.msgctxt, entry.msgid, msgstr, comment=entry.comment, fuzzy=fuzzy,
                    previous_msgid=previous_msgid)


def _rendered(entry: SourceEntry) -> _Rendered:
    head = _entry_text(entry)[:-len('msgstr ""\n')]
    text = head + 'msgstr ""\n'
    return _Rendered(text, ("\n" + text).encode("utf-8"), ("\n" + head).encode("utf-8"),
                     f"{entry.msgctxt}\x04{entry.msgid}".encode("utf-8"))


@dataclass(frozen=True)
class Prepared:
    """What every language's catalog of one build shares, computed once (keeps the build linear)."""

    snapshot: Snapshot
    options: PoOptions
    entries: tuple[SourceEntry, ...]
    terms: Mapping[tuple[str, str, str], Term]
    english_date: str | None
    #: The text of each entry's shared parts, parallel to ``entries`` (see :func:`render_po`).
    rendered: tuple[_Rendered, ...] = field(default=(), compare=False, repr=False)
    #: Terms by language, then message key (``Q7397-label``): one string lookup per entry and language.
    by_lang: Mapping[str, Mapping[str, Term]] = field(default_factory=dict, compare=False, repr=False)
    #: Indexes of ``entries`` in the order of their .mo keys.
    mo_order: tuple[int, ...] = field(default=(), compare=False, repr=False)
    #: Every message key of the tree (``Q7397-label``) in catalog order (:func:`catalog_keys`),
    #: those without English included: the order of the JSON files.
    message_keys: tuple[str, ...] = field(default=(), compare=False, repr=False)


def _by_lang(terms: Mapping[tuple[str, str, str], Term]) -> dict[str, dict[str, Term]]:
    out: dict[str, dict[str, Term]] = {}
    for (qid, fld, lang), term in terms.items():
        table = out.get(lang)
        if table is None:
            table = out[lang] = {}
        table[qid + "-" + fld] = term
    return out


def prepare(snapshot: Snapshot, options: PoOptions) -> Prepared:
    """What every language's catalog shares, made once per build (see :class:`Prepared`)."""
    flat = _flat(snapshot)
    english_date = _po_date(t.timestamp for (_q, _f, lang), t in flat.items() if lang == SOURCE_LANGUAGE)
    keys = catalog_keys(snapshot)
    entries = tuple(source_entries(snapshot, options, flat, keys))
    rendered = tuple(_rendered(e) for e in entries)
    order = tuple(sorted(range(len(entries)), key=lambda i: rendered[i].mo_key))
    return Prepared(snapshot, options, entries, flat, english_date, rendered, _by_lang(flat), order,
                    tuple(k.message_key for k in keys))


def _shared(prepared: Prepared) -> tuple[_Rendered, ...]:
    if len(prepared.rendered) == len(prepared.entries):
        return prepared.rendered
    return tuple(_rendered(e) for e in prepared.entries)


def pot_bytes(prepared: Prepared) -> bytes:
    """The template: the header, then every entry untranslated (each entry's text made once per build)."""
    options = prepared.options
    head = po_head(f"Template of {options.bundle_page}\nBuilt by {options.generator}",
                   _metadata(options, None, {"POT-Creation-Date": prepared.english_date}))
    return _file_bytes(head, [r.untranslated_piece for r in _shared(prepared)])


def _file_bytes(head: str, pieces: list[bytes]) -> bytes:
    """A file from its :func:`po_head` and its entries in UTF-8, each with its joining newline in front.

    Entries are joined by newlines and each ends with one, hence the blank
    lines between them; the file ends with a newline.
    """
    return b"".join([head.encode("utf-8"), *pieces])


#: One language's state of one entry: the text written, fuzzy or not, the previous English.
_Translation = tuple[str, bool, "str | None"]


def _translations(prepared: Prepared, language: LanguageLike,
                  authors: set[str], stamps: list[str | None]) -> list[_Translation | None]:
    """Per entry, what the language has (None: untranslated); collects authors and timestamps on the way."""
    if language.code in (SOURCE_LANGUAGE, DOC_LANGUAGE):
        raise CatalogError(f"{language.code!r} is not a translation language",
                           hint="en is the source (capacities.pot) and qqq the documentation")
    lang = language.code
    by_lang = prepared.by_lang if prepared.by_lang else _by_lang(prepared.terms)
    table = by_lang.get(lang, {})
    previous = previous_english(prepared.snapshot, lang)
    out: list[_Translation | None] = []
    for entry in prepared.entries:
        key = entry.message_key
        term = table.get(key)
        if term is None or not term.text:
            out.append(None)
            continue
        stamps.append(term.timestamp)
        if term.author:
            authors.add(term.author)
        previous_msgid = None
        if term.fuzzy:
            old = previous.get(key)
            if old and normalize_text(old) != entry.msgid:
                previous_msgid = normalize_text(old)
        out.append((term.text, term.fuzzy, previous_msgid))
    return out


def _po_header(prepared: Prepared, language: LanguageLike, authors: set[str],
               stamps: list[str | None]) -> tuple[str, dict[str, str]]:
    """The language's header comment and header fields (see :func:`po_head`)."""
    options = prepared.options
    metadata = _metadata(options, language, {"PO-Revision-Date": _po_date(iter(stamps)),
                                             "POT-Creation-Date": prepared.english_date})
    header = [f"Translation of {options.bundle_page} to {language.name} ({language.autonym})",
              f"Built by {options.generator}", ""]  # the blank line is the lone "#" Translate writes
    header += [f"Author: {name}" for name in credited(authors, options.exclude_authors)]
    return "\n".join(header), metadata


def render_po(prepared: Prepared, language: LanguageLike) -> tuple[bytes, bytes]:
    """The ``.po`` and ``.mo`` of one translation language; untranslated entries have ``msgstr ""``.

    An untranslated entry reads the same in every language, so its text is
    made once per build (``Prepared.rendered``); a translated one is that
    text up to ``msgstr`` plus its ``msgstr`` line (the text itself between
    quotes when it has nothing to escape and no line break, else
    :func:`po_field`); a fuzzy one (a few percent) is written whole by
    :func:`po_entry`. The ``.mo`` holds the translated, non-fuzzy entries.
    """
    authors: set[str] = set()
    stamps: list[str | None] = []
    states = _translations(prepared, language, authors, stamps)
    pieces: list[bytes] = []
    values: list[bytes | None] = [None] * len(states)
    plain = _SPECIAL.search
    for index, (entry, shared, state) in enumerate(zip(prepared.entries, _shared(prepared), states)):
        if state is None:
            pieces.append(shared.untranslated_piece)
            continue
        text, fuzzy, previous_msgid = state
        if fuzzy:
            pieces.append(("\n" + _entry_text(entry, text, True, previous_msgid)).encode("utf-8"))
            continue
        value = values[index] = text.encode("utf-8")
        if plain(text) is None:
            pieces.append(b"".join((shared.head_piece, b'msgstr "', value, b'"\n')))
        else:
            pieces.append(shared.head_piece + (po_field("msgstr", text) + "\n").encode("utf-8"))
    header, metadata = _po_header(prepared, language, authors, stamps)
    return _file_bytes(po_head(header, metadata), pieces), _mo_from(prepared, values, metadata)


def _mo_from(prepared: Prepared, values: list[bytes | None], metadata: Mapping[str, str]) -> bytes:
    """The .mo of the translated entries (``values``, parallel to ``prepared.entries``) in key order.

    The GNU .mo layout as CPython's ``Tools/i18n/msgfmt.py`` writes it (no
    hash table; readers fall back to binary search): the header entry (key
    ``""``, the header fields as the ``.po`` has them), then the entries
    sorted by their UTF-8 key ``msgctxt\\x04msgid``.
    """
    rendered = _shared(prepared)
    order = prepared.mo_order or sorted(range(len(values)), key=lambda i: rendered[i].mo_key)
    keys = [b""]
    texts = [_metadata_text(metadata).encode("utf-8")]
    for index in order:
        value = values[index]
        if value is not None:
            keys.append(rendered[index].mo_key)
            texts.append(value)
    return _mo_sorted(keys, texts)


def _mo_sorted(keys: list[bytes], values: list[bytes]) -> bytes:
    """The .mo bytes of ``keys`` (sorted, unique) and their ``values``."""
    count = len(keys)
    key_start = 7 * 4
    value_start = key_start + count * 8
    data_start = value_start + count * 8
    tables = array.array("I", bytes(count * 16))
    offset = data_start
    for i, key in enumerate(keys):
        tables[2 * i] = len(key)
        tables[2 * i + 1] = offset
        offset += len(key) + 1
    base = 2 * count
    for i, value in enumerate(values):
        tables[base + 2 * i] = len(value)
        tables[base + 2 * i + 1] = offset
        offset += len(value) + 1
    header = struct.pack("<7I", 0x950412DE, 0, count, key_start, value_start, 0, data_start)
    if sys.byteorder != "little":
        tables.byteswap()
    if not count:
        return header
    return b"".join((header, tables.tobytes(), b"\0".join(keys), b"\0", b"\0".join(values), b"\0"))


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


@dataclass(frozen=True)
class ParsedEntry:
    """One entry of a .po file as plain data (what :mod:`capxl10n.catalogs.parity` compares)."""

    msgctxt: str | None
    msgid: str
    msgstr: str
    fuzzy: bool
    #: The documentation: extracted comment lines ``[Wiki] …`` without the prefix.
    documentation: tuple[str, ...]
    #: Every other extracted comment line (ours: ``Path:``, ``Metabase:``, ``Description:``).
    other_comments: tuple[str, ...]
    flags: tuple[str, ...]
    previous_msgid: str | None


@dataclass(frozen=True)
class ParsedPo:
    """A .po file as plain data: header comment lines, header fields in file order, entries."""

    header_comments: tuple[str, ...]
    metadata: tuple[tuple[str, str], ...]
    entries: tuple[ParsedEntry, ...]
    #: Entries written with a lone ``#`` line (Translate's export gives one to each entry without
    #: documentation; polib reads it as nothing, so it is counted from the text).
    lone_comment_lines: int


def parse_po(text: str, origin: str = "gettext file") -> ParsedPo:
    """Parse a .po file's text with polib into plain data; :class:`DataError` naming ``origin`` if it is not one.

    Extracted comments are read line by line (polib trims their trailing
    blanks, on both files alike); only ``[Wiki] `` lines are documentation.
    """
    if 'msgid ""' not in text:
        raise DataError(f"{origin}: not a gettext file (no header entry)",
                        hint="give a .po file, e.g. Special:ExportTranslations with format=export-as-po")
    try:
        po = polib.pofile(text, wrapwidth=0)
    except (OSError, ValueError) as exc:
        raise DataError(f"{origin}: not a readable gettext file: {exc}",
                        hint="give a .po file, e.g. Special:ExportTranslations with format=export-as-po") from None
    entries = []
    for e in po:
        if e.obsolete:
            continue
        comments = e.comment.split("\n") if e.comment else []
        doc = tuple(c[len(DOC_PREFIX):] if c.startswith(DOC_PREFIX) else "" for c in comments
                    if c.startswith(DOC_PREFIX) or c == DOC_PREFIX.rstrip())
        other = tuple(c for c in comments if not (c.startswith(DOC_PREFIX) or c == DOC_PREFIX.rstrip()))
        entries.append(ParsedEntry(e.msgctxt, e.msgid, e.msgstr, "fuzzy" in e.flags, doc, other,
                                   tuple(e.flags), e.previous_msgid))
    body = text.split("\n\n", 1)[1] if "\n\n" in text else ""
    lone = sum(1 for line in body.splitlines() if line.rstrip() == "#")
    header = tuple(po.header.split("\n")) if po.header else ()
    return ParsedPo(header, tuple(po.metadata.items()), tuple(entries), lone)


def load_translations(path: Path) -> dict[str, Any]:
    """Read a .po file into ``{msgctxt: {"msgid", "msgstr", "fuzzy"}}`` (tests and the runtime's .mo-less path)."""
    po = polib.pofile(str(path), wrapwidth=0)
    return {e.msgctxt or e.msgid: {"msgid": e.msgid, "msgstr": e.msgstr, "fuzzy": e.fuzzy} for e in po}


__all__ = ["DOC_PREFIX", "DOMAIN", "MESSAGE_ORDER_META", "PO_ESCAPES", "LanguageLike",
           "ParsedEntry", "ParsedPo", "PoOptions", "Prepared", "SourceEntry", "catalog_keys", "header_fields",
           "prepare", "pot_bytes", "render_po", "load_translations", "parse_po", "po_date", "po_entry", "po_escape",
           "po_field", "po_head", "read_header", "source_entries"]
