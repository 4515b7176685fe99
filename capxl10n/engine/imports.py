"""Bring translators' offline work back: a .po file in, decided translations out — never a write.

What comes in: our own export (``capxl10n export``), a catalog from
``catalogs/``, Translate's own export, each possibly saved by Poedit since
(headers rewritten, lines rewrapped, entries reordered, obsolete ``#~``
entries kept). A conflicts export is handed to the conflicts importer.

Nothing here writes to a wiki. Each translation the file brings is recorded
in the state as a decided inbox entry (:meth:`State.submit`), bound to the
values the read cache shows for the term and to the English the translator
saw (the entry's msgid): the next ``plan`` shows it, ``apply`` writes it to
both sides, and a side a human edits in between makes it stale — a conflict,
never an overwrite.

The whole file is checked before anything is recorded (docs/translators.md,
"Import"): readable UTF-8 with every string closed, headers naming this
profile's message group and one known language that the file name agrees
with, every entry a key of the bundle in that language, once, singular, with
a text that passes the translation checks (:mod:`capxl10n.core.checks`: the
value's own error rules, and Wikibase's two rules — label = description, a
pair another capacity holds — on Metabase as the recorded translations would
leave it). Any problem refuses the file, listed as ``file:line: key: reason``;
the checks' warnings on what is recorded are reported, never blocking.

Entry by entry, what a translator wrote becomes a translation to write only
when that loses nobody's work:

* empty msgstr: nothing to do; fuzzy: skipped unless ``include_fuzzy`` (a
  Wikidata suggestion stays a suggestion until a human accepts it);
* the term's English changed since the file was made (msgid ≠ the English
  now): a conflict — translated from other English, it is not written;
* the term is in the conflict inbox: a conflict (decide it there);
* the same text as the directory's current translation: unchanged;
* the term is missing or outdated: recorded;
* a current translation with other text: recorded only when the file shows
  its translator saw that translation (our export records what it showed);
  else a conflict — the file cannot tell whether its text is newer.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polib

from capxl10n.core.model import SOURCE_LANGUAGE, Snapshot, Term, TermKey, normalize_text
from capxl10n.core.checks import TermContext, check_value
from capxl10n.core.findings import Finding, errors
from capxl10n.engine.conflicts import import_po as import_conflicts_po
from capxl10n.engine.conflicts import is_conflicts_export
from capxl10n.catalogs.translator import EXPORT_HEADER  # the id under which the state recorded what an export showed
from capxl10n.engine.po_files import (PoProblem, entry_message_key, file_language, header_line, parse_po,
                                      read_po_text, refuse)
from capxl10n.engine.state import State, Submission
from capxl10n.errors import DataError, UsageError

log = logging.getLogger(__name__)

_EXPORT_AGAIN: Final = "export it again with `capxl10n export --lang <code> -o <file>`"


@dataclass(frozen=True)
class ImportConflict:
    """A translation the file brings that is not recorded: a human decides (where, and why)."""

    line: int
    key: TermKey
    text: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "key": f"{self.key.message_key}/{self.key.lang}", "text": self.text,
                "reason": self.reason}


@dataclass
class FileImport:
    """What one file brought: recorded translations, and what was left alone and why."""

    path: Path
    lang: str
    kind: str = "translations"
    recorded: list[TermKey] = field(default_factory=list)
    unchanged: int = 0
    already: int = 0
    skipped_empty: int = 0
    skipped_fuzzy: int = 0
    obsolete: int = 0
    conflicts: list[ImportConflict] = field(default_factory=list)
    #: The checks' warnings on the recorded translations (docs/checks.md): reported, never blocking.
    warnings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.path), "lang": self.lang, "kind": self.kind,
                "recorded": [f"{k.message_key}/{k.lang}" for k in self.recorded], "unchanged": self.unchanged,
                "already_recorded": self.already, "skipped_empty": self.skipped_empty,
                "skipped_fuzzy": self.skipped_fuzzy, "obsolete": self.obsolete,
                "conflicts": [c.to_json() for c in self.conflicts],
                "warnings": [w.to_json() for w in self.warnings]}


def import_file(state: State, path: Path, *, bundle_page: str, message_group: str | None = None,
                include_fuzzy: bool = False) -> FileImport:
    """Check ``path`` whole, then record the translations it brings (see the module docstring)."""
    group = message_group or f"messagebundle-{bundle_page}"
    text = read_po_text(path, hint=_EXPORT_AGAIN)
    po = parse_po(text, path, hint=_EXPORT_AGAIN)
    if is_conflicts_export(po.metadata):
        decided = import_conflicts_po(state, path, bundle_page=bundle_page, message_group=group)
        lang = po.metadata.get("X-Language-Code", "")
        return FileImport(path, lang, "conflicts", list(decided.decided), already=len(decided.already),
                          skipped_empty=decided.skipped_empty)
    lang = file_language(po.metadata, path, group, header_line(text), hint=_EXPORT_AGAIN)
    sides = _current_sides(state)
    directory = state.whole_directory()
    export_id = po.metadata.get(EXPORT_HEADER, "")
    shown = state.exported(export_id, lang)
    made_for = state.export_languages(export_id) if export_id and not shown else []
    if made_for:
        raise DataError(f"{path}:{header_line(text)}: its headers say {lang}, but the export it names ({EXPORT_HEADER}: "
                        f"{export_id}) was made for {', '.join(made_for)}",
                        hint="a file relabelled for another language would write one language's text over "
                             "another's; " + _EXPORT_AGAIN)
    inbox = {c.key: c for c in state.conflicts(lang)}
    result = FileImport(path, lang)
    problems: list[PoProblem] = []
    wanted: list[tuple[int, TermKey, str, str]] = []
    seen: dict[str, int] = {}
    for entry in po:
        if entry.obsolete:
            result.obsolete += 1
            continue
        found, key = _entry_key(entry, bundle_page=bundle_page, lang=lang, directory=directory, seen=seen)
        if found is not None:
            problems.append(found)
            continue
        assert key is not None
        if not entry.msgstr.strip():
            result.skipped_empty += 1
            continue
        if entry.fuzzy and not include_fuzzy:
            result.skipped_fuzzy += 1
            continue
        checked = check_value(key, entry.msgstr, english=entry.msgid)
        bad = errors(checked)
        if bad:
            problems += [_problem(entry.linenum or 0, f) for f in bad]
            continue
        result.warnings += checked
        wanted.append((entry.linenum or 0, key, entry.msgstr, entry.msgid))

    submissions: list[Submission] = []
    lines: dict[TermKey, int] = {}
    for line, key, translation, english in wanted:
        reason = _why_not(key, translation, english, directory, inbox, shown)
        if reason == _UNCHANGED:
            result.unchanged += 1
        elif reason == _ALREADY:
            result.already += 1
        elif reason is not None:
            result.conflicts.append(ImportConflict(line, key, translation, reason))
        else:
            lines[key] = line
            submissions.append(Submission(key, translation, sides["metabase"].get(key), sides["metawiki"].get(key),
                                          english, path.name))
    # Wikibase's two rules, on Metabase as the file's recorded translations would leave it
    context = TermContext((k, t.text) for k, t in sides["metabase"].items() if not t.fuzzy)
    for sub in submissions:
        context.set(sub.key, sub.text)
    problems += [_problem(lines[sub.key], f) for sub in submissions for f in errors(context.check(sub.key, sub.text))]
    refuse(path, problems, hint=_EXPORT_AGAIN)
    result.warnings = [f for f in result.warnings if f.key in lines]
    state.submit(submissions)
    _credit(state, po.metadata, path, submissions, directory)
    result.recorded = [s.key for s in submissions]
    for sub in submissions:
        log.info("translation recorded for %s/%s (%s)", sub.key.message_key, sub.key.lang, path.name)
    return result


def translator_of(metadata: Mapping[str, str], path: Path) -> str:
    """Who made the file: its ``Last-Translator`` (the name, without the address), else the file's name.

    >>> translator_of({"Last-Translator": "Ana Tradutora <ana@example.org>"}, Path("x.po"))
    'Ana Tradutora'
    >>> translator_of({"Last-Translator": "FULL NAME <EMAIL@ADDRESS>"}, Path("pt-br.po"))
    'pt-br.po'
    """
    name = metadata.get("Last-Translator", "").split("<", 1)[0].strip()
    return name if name and name != "FULL NAME" else path.name


def credit_time() -> int:
    """When an import is credited (seconds since the epoch): now."""
    return int(datetime.now(timezone.utc).timestamp())


def _credit(state: State, metadata: Mapping[str, str], path: Path, submissions: list[Submission],
            directory: Snapshot) -> None:
    """Remember who translated what (our bot writes it: the wikis' revisions cannot say; docs/reports.md)."""
    now = credit_time()
    user = translator_of(metadata, path)
    rows = []
    for sub in submissions:
        held = directory.terms.get(sub.key)
        kind = "translated" if held is None or not normalize_text(held.text) else "fixed" if held.fuzzy else "edited"
        rows.append((now, user, "import", sub.key, kind, path.name))
    state.record_contributions(rows)


def _problem(line: int, found: Finding) -> PoProblem:
    """A check error as a reason to refuse the file: what is wrong, the rule, how to fix it."""
    return PoProblem(line, f"msgstr {found.message} ({found.rule}); fix: {found.fix}", found.key.message_key)


_UNCHANGED: Final = "unchanged"
_ALREADY: Final = "already"


def _why_not(key: TermKey, text: str, english: str, directory: Snapshot, inbox: Mapping[TermKey, Any],
             shown: Mapping[TermKey, str | None]) -> str | None:
    """Why a translation is not recorded (a conflict's reason, or unchanged/already); None: record it."""
    now_english = directory.terms.get(TermKey(key.qid, key.field, SOURCE_LANGUAGE))
    if now_english is None or normalize_text(now_english.text) != normalize_text(english):
        now = "none" if now_english is None else repr(now_english.text)
        return f"the English changed since the file was made (it translates {english!r}, the English is now {now}): " \
               "translate the new English"
    waiting = inbox.get(key)
    if waiting is not None:
        decision = waiting.decision
        if decision is not None and decision.text is not None and \
                normalize_text(decision.text) == normalize_text(text):
            return _ALREADY
        if decision is not None:
            other = "a deletion" if decision.text is None else repr(decision.text)
            return (f"another text waits in the inbox to be written ({decision.source}: {other}): to write this one "
                    f"instead, `capxl10n conflicts resolve {key.message_key} --lang {key.lang} --text …`")
        return "the term is in the conflict inbox: decide it with `capxl10n conflicts`"
    current = directory.terms.get(key)
    if current is None or current.fuzzy:
        return None
    if normalize_text(current.text) == normalize_text(text):
        return _UNCHANGED
    seen = shown.get(key)
    if seen is not None and normalize_text(seen) == normalize_text(current.text):
        return None  # the translator was shown this translation and changed it
    return (f"the term holds a current translation {current.text!r} the file does not show its translator saw: "
            "decide with `capxl10n conflicts resolve --text`, or export again and redo it")


def _entry_key(entry: polib.POEntry, *, bundle_page: str, lang: str, directory: Snapshot,
               seen: dict[str, int]) -> tuple[PoProblem | None, TermKey | None]:
    """The term an entry translates, or the problem that refuses the file."""
    line, context = entry.linenum or 0, entry.msgctxt or ""
    label = context.rsplit("/", 1)[-1] if context else entry.msgid[:40]

    def problem(message: str) -> tuple[PoProblem, None]:
        return PoProblem(line, message, label), None

    short, why = entry_message_key(entry, bundle_page, seen)
    if short is None:
        return problem(why + (": which translation is meant?" if why.startswith("the same key") else ""))
    key = TermKey.from_message_key(short, lang)
    if TermKey(key.qid, key.field, SOURCE_LANGUAGE) not in directory.terms:
        return problem("an unknown key: no capacity of the directory has it (removed since the export?)")
    return None, key


def _current_sides(state: State) -> dict[str, dict[TermKey, Term]]:
    """Each wiki's terms as the read cache holds them: what a recorded translation is made on."""
    out: dict[str, dict[TermKey, Term]] = {}
    for side in ("metabase", "metawiki"):
        cached = state.load_side(side)
        if cached is None:
            raise UsageError(f"the state holds no read of {side} yet: nothing to import against",
                             hint="run `capxl10n sync` (or `capxl10n pull`) first")
        out[side] = dict(cached[0].terms)
    return out
