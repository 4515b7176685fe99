"""The translator's export: one language's ``.po`` made for translating offline (``capxl10n export``).

A file in the catalogs' format (:mod:`capxl10n.catalogs.po`: the same writer,
``msgctxt`` = Translate's full key ``Module:CapacityExchange/capacities.json/Q7397-label``,
``msgid`` = the English, Translate-compatible headers with ``X-Language-Code`` and
``X-Message-Group``), holding the messages chosen by ``only``:

* ``todo`` (the default): what :func:`capxl10n.core.todo.todo` lists, missing and outdated;
* ``missing``, ``outdated``: one of the two;
* ``all``: every message with English, the translated ones too (to review them).

Each entry says, as extracted comments (``#.``), what a translator needs: the
documentation (``[Wiki] …``, as Translate's export writes it), the capacity's
English name and description, its path in the tree, the message's
Special:Translate link and the Metabase item. An outdated text is a fuzzy
``msgstr`` with ``#| msgid`` the English it was made from, when the directory
knows it. A missing term whose Wikidata concept has a label or description in
the language or its fallback chain (:func:`capxl10n.core.todo.wikidata_suggestion`)
gets it as a **fuzzy** ``msgstr`` with a translator comment (``#``) saying so:
gettext tools never use a fuzzy entry, so nothing of Wikidata's goes anywhere
unless a translator accepts it (unmarks it fuzzy) and the file is imported.
This file is the only place a suggestion is written.

The header ``X-Capxl10n-Export`` identifies the export (:func:`export_id`): a
hash of the language, the message group and every entry as written (key,
English, text, fuzzy, previous English). :meth:`Export.shown` is what the file
showed as each term's current translation; ``capxl10n export`` records it in
the sync state under that id, so the importer can tell a translation its
translator saw and changed from one somebody wrote since.

The bytes depend only on the inputs (no run timestamps: the header dates are
the newest term timestamps, as in the catalogs); polib, Babel's ``read_po`` and
``msgfmt --check`` read them back (tests/catalogs/test_export.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from capxl10n.catalogs.credits import credited
from capxl10n.catalogs.po import DOC_PREFIX, PATH_SEPARATOR, PoOptions, header_fields, po_date, po_entry, po_head
from capxl10n.core import langs
from capxl10n.core.model import SOURCE_LANGUAGE, Snapshot, TermKey, full_message_key
from capxl10n.core.todo import (MUL, STATUSES, TODO, Links, Status, Suggestion, TodoItem, todo,
                                translation_language, wikidata_suggestion)
from capxl10n.errors import CatalogError, UsageError

if TYPE_CHECKING:
    from capxl10n.profile import Profile

#: The header naming the export (:func:`export_id`); the importer reads it.
EXPORT_HEADER: Final = "X-Capxl10n-Export"
#: What ``--only`` chooses; ``todo`` is missing and outdated together.
Only = Literal["todo", "missing", "outdated", "all"]
ONLY: Final[dict[str, tuple[Status, ...]]] = {"todo": TODO, "missing": ("missing",), "outdated": ("outdated",),
                                              "all": STATUSES}
#: The format :func:`export_id` hashes; a change to what it covers changes this.
EXPORT_FORMAT: Final = "capxl10n-export/1"
#: The extracted comments' labels (docs/translators.md explains each).
NAME: Final = "Name: "
DESCRIPTION: Final = "Description: "
PATH: Final = "Path: "
TRANSLATE: Final = "Translate: "
METABASE: Final = "Metabase: "
#: The first words of the translator comment on a Wikidata suggestion.
SUGGESTION_MARK: Final = "Suggestion from Wikidata"


@dataclass(frozen=True)
class ExportEntry:
    """One entry of the file: the term, what its ``msgstr`` holds and why."""

    item: TodoItem
    msgctxt: str
    msgstr: str
    fuzzy: bool
    previous_msgid: str | None
    suggestion: Suggestion | None
    #: The extracted comments (``#.``), one line each, and the translator comments (``#``).
    comments: tuple[str, ...]
    translator_comments: tuple[str, ...]

    def text(self) -> str:
        """The entry as the file holds it, ending with a newline."""
        head = "".join(f"# {line}\n" for line in self.translator_comments)
        return head + po_entry(self.msgctxt, self.item.english, self.msgstr, comment="\n".join(self.comments),
                               fuzzy=self.fuzzy, previous_msgid=self.previous_msgid)


@dataclass(frozen=True)
class Export:
    """An export made: the file's bytes, its id and entries; renders as a one-line summary."""

    lang: str
    only: str
    export_id: str
    message_group: str
    data: bytes
    entries: tuple[ExportEntry, ...]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for entry in self.entries:
            out[entry.item.status] += 1
        out["suggestions"] = sum(1 for e in self.entries if e.suggestion is not None)
        return out

    def shown(self) -> dict[TermKey, str | None]:
        """What the file showed as each term's current translation: the text of a translated term, None for
        a missing (a Wikidata suggestion is no translation) or outdated one. What the state records."""
        return {e.item.key: e.item.text if e.item.status == "translated" else None for e in self.entries}

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{counts['missing']} missing ({counts['suggestions']} with a Wikidata suggestion)",
                 f"{counts['outdated']} outdated"]
        if self.only == "all":
            parts.append(f"{counts['translated']} translated")
        return f"{len(self.entries)} entries for {self.lang}: " + ", ".join(parts)

    def columns(self) -> tuple[str, ...]:
        return ("lang", "only", "entries", "missing", "suggestions", "outdated", "translated", "export")

    def records(self) -> list[dict[str, Any]]:
        counts = self.counts()
        return [{"lang": self.lang, "only": self.only, "entries": len(self.entries), "missing": counts["missing"],
                 "suggestions": counts["suggestions"], "outdated": counts["outdated"],
                 "translated": counts["translated"], "export": self.export_id}]

    def to_json(self) -> dict[str, Any]:
        return {"lang": self.lang, "only": self.only, "export": self.export_id, "message_group": self.message_group,
                "counts": self.counts(),
                "entries": [{"key": e.item.message_key, "status": e.item.status, "fuzzy": e.fuzzy,
                             "suggestion": None if e.suggestion is None else
                             {"lang": e.suggestion.lang, "text": e.suggestion.text}} for e in self.entries]}


def export_id(lang: str, message_group: str, entries: Iterable[tuple[str, str, str, bool, str | None]]) -> str:
    """The id of an export: a hash of the language, the group and each entry as written,
    ``(msgctxt, msgid, msgstr, fuzzy, previous msgid)``, in any order.

    Two exports showing the same text have the same id; any other difference
    (a translation changed in between, another ``--only``) gives another.

    >>> a, b = ("M/Q1-label", "A", "", False, None), ("M/Q2-label", "B", "b", True, "Bee")
    >>> export_id("pt-br", "messagebundle-M", [a, b]) == export_id("pt-br", "messagebundle-M", [b, a])
    True
    >>> c = ("M/Q2-label", "B", "c", True, "Bee")
    >>> export_id("pt-br", "messagebundle-M", [a, b]) == export_id("pt-br", "messagebundle-M", [a, c])
    False
    """
    body = {"format": EXPORT_FORMAT, "language": lang, "group": message_group,
            "entries": sorted([ctx, msgid, msgstr, bool(fuzzy), previous]
                              for ctx, msgid, msgstr, fuzzy, previous in entries)}
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def only_statuses(only: str) -> tuple[Status, ...]:
    """The statuses ``only`` selects; a :class:`UsageError` naming the choices for anything else."""
    try:
        return ONLY[only]
    except KeyError:
        raise UsageError(f"--only {only!r}: not a choice", hint=f"use one of {', '.join(ONLY)}") from None


def export_po(directory: Snapshot, lang: str, *, options: PoOptions | None = None, links: Links | None = None,
              wikidata: Snapshot | None = None, only: str = "todo") -> Export:
    """The ``.po`` of ``lang`` for translating offline (see the module docstring).

    ``wikidata`` is the Wikidata read (``State.load_side("wikidata")``), None for no
    suggestions; ``links`` the sites' URLs (None: no links in the comments).
    """
    language = translation_language(lang)
    statuses = only_statuses(only)
    options = options or PoOptions()
    links = links or Links(bundle_page=options.bundle_page, message_group=options.message_group)
    report = todo(directory, lang, links, statuses)
    entries = tuple(_entry(item, options, wikidata) for item in report.items)
    ident = export_id(lang, options.message_group,
                      ((e.msgctxt, e.item.english, e.msgstr, e.fuzzy, e.previous_msgid) for e in entries))
    metadata = header_fields(options, language, {
        "PO-Revision-Date": po_date((e.item.timestamp for e in entries), seconds=False),
        "POT-Creation-Date": po_date((t.timestamp for k, t in directory.terms.items() if k.lang == SOURCE_LANGUAGE),
                                     seconds=False)})
    metadata[EXPORT_HEADER] = ident
    counts = report.counts()["all"]
    made = ", ".join(f"{counts[s]} {s}" for s in statuses)
    header = [f"Translation of {options.bundle_page} to {language.name} ({language.autonym})",
              f"Exported for translating offline by {options.generator} (--only {only}: {made})",
              "Comments starting with '#.' tell what each message is; '# Suggestion from Wikidata' marks a fuzzy "
              "suggestion to check",
              ""]
    header += [f"Author: {name}" for name in credited((e.item.author for e in entries if e.item.text),
                                                      options.exclude_authors)]
    head = po_head("\n".join(_one_line(line) for line in header), metadata)
    data = "\n".join([head, *(e.text() for e in entries)]).encode("utf-8")
    return Export(lang, only, ident, options.message_group, data, entries)


def _entry(item: TodoItem, options: PoOptions, wikidata: Snapshot | None) -> ExportEntry:
    comments: list[str] = []
    if item.documentation:
        comments += [DOC_PREFIX + _one_line(line) for line in item.documentation.splitlines() if line.strip()]
    comments.append(NAME + _one_line(item.name))
    if item.description:
        comments.append(DESCRIPTION + _one_line(item.description))
    comments.append(PATH + PATH_SEPARATOR.join(_one_line(name) for name in (*item.path, item.name)))
    if item.translate_url:
        comments.append(TRANSLATE + item.translate_url)
    if item.metabase_url:
        comments.append(METABASE + item.metabase_url)
    elif item.item:
        comments.append(METABASE + item.item)
    msgctxt = full_message_key(options.bundle_page, item.message_key)
    suggestion = None
    translator: tuple[str, ...] = ()
    if item.status == "missing":
        suggestion = wikidata_suggestion(wikidata, item.key, item.english) if wikidata is not None else None
        if suggestion is not None:
            translator = _suggestion_comment(suggestion)
            return ExportEntry(item, msgctxt, suggestion.text, True, None, suggestion, tuple(comments), translator)
        return ExportEntry(item, msgctxt, "", False, None, None, tuple(comments), translator)
    return ExportEntry(item, msgctxt, item.text or "", item.status == "outdated",
                       item.previous_english if item.status == "outdated" else None, None, tuple(comments), translator)


def _suggestion_comment(suggestion: Suggestion) -> tuple[str, ...]:
    where = (f"{suggestion.lang} ({langs.get(suggestion.lang).name})" if langs.is_known(suggestion.lang)
             else suggestion.lang)
    if suggestion.lang == MUL:
        where = f"{MUL} (Wikidata's language-independent value)"
    return (f"{SUGGESTION_MARK}: the {suggestion.field} of {suggestion.qid} in {where}, not a translation "
            f"of this message.",
            f"A concept's {suggestion.field} may not fit the capacity: check it, then remove the fuzzy mark "
            "to accept it.")


def _one_line(text: str) -> str:
    """``text`` as one comment line: every run of whitespace (line breaks included) one space, control
    characters replaced by U+FFFD (a comment line is not escaped)."""
    joined = " ".join(text.split())
    return "".join("\ufffd" if unicodedata.category(char) == "Cc" else char for char in joined)


def links_for(profile: Profile | None, options: PoOptions) -> Links:
    """The profile's sites as :class:`Links` (Special:Translate on Meta-Wiki, item pages on Metabase)."""
    if profile is None:
        return Links(bundle_page=options.bundle_page, message_group=options.message_group)
    return Links.from_apis(profile.metawiki.api, profile.metabase.api, options.bundle_page, options.message_group)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, renamed over it once whole.

    Nothing is left half-written: on any error the temporary file is removed and
    ``path`` is as it was. A :class:`CatalogError` names the file and the problem.
    The file gets the permissions a new file would (an existing file keeps its own).
    """
    path = Path(path)
    hint = "choose a file in a directory you can write to with -o; nothing was written"
    if path.is_dir():
        raise CatalogError(f"cannot write {path}: it is a directory", hint="give a file name with -o")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as exc:
        raise CatalogError(f"cannot write {path}: {exc.strerror or exc}", hint=hint) from None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CatalogError(f"cannot write {path}: {exc.strerror or exc}", hint=hint) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
        os.replace(name, path)
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        raise CatalogError(f"cannot write {path}: {exc.strerror or exc}", hint=hint) from None
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


__all__ = ["EXPORT_HEADER", "ONLY", "Export", "ExportEntry", "Only", "export_id", "export_po", "links_for",
           "only_statuses", "write_atomically"]
