"""The conflict inbox: list conflicts, export them for translators, take their decisions back.

A conflict stays in the inbox (the state) until a human decides it; it is
reported on every run, never silenced (docs/sync.md, "The conflict inbox"). A decision — take
Metabase's value, take Meta-Wiki's, or a new text — is stored with the
conflict; the next plan turns it into operations on both sides, and the
conflict leaves the inbox once both sides hold the decided text.

Translators can decide offline: ``export_po`` writes one .po entry per
conflict (msgctxt = Translate's full message key, msgid = the English source,
both alternatives and the base in translator comments, msgstr empty);
``import_po`` reads the file back and records every non-empty, non-fuzzy
msgstr as a decision — only once the whole file has passed every check
(complete, the export of this group in one language, each entry bound by its
``#. conflict id:`` to a conflict still in the inbox as exported, each text one
both wikis keep): a wrong file must not write one language's text over
another's humans.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from capxl10n.core import langs
from capxl10n.engine.po_files import (PoProblem, entry_message_key, file_language, header_line, parse_po,
                                      read_po_text, refuse)
from capxl10n.errors import EXIT_PARTIAL, DataError, StateError, UsageError
from capxl10n.core.merge import Decision
from capxl10n.core.model import MESSAGE_KEY_RE, SOURCE_LANGUAGE, Term, TermKey, full_message_key, normalize_text
from capxl10n.core.reasons import KINDS, kind
from capxl10n.engine.journal import PlanStatus
from capxl10n.engine.state import State, InboxEntry
from capxl10n.core.checks import check_value
from capxl10n.core.findings import errors

if TYPE_CHECKING:
    import polib

log = logging.getLogger(__name__)

TAKE_CHOICES = ("metabase", "metawiki")

EXPORT_GENERATOR: Final = "capxl10n conflicts export"
#: Names the file kind where Poedit, which rewrites X-Generator on save, leaves it alone.
EXPORT_HEADER: Final = "X-Capxl10n-File"
EXPORT_KIND: Final = "conflicts"
#: Each exported entry's extracted comment (``#.``) binds it to one conflict, in one language, as exported.
CONFLICT_ID_LABEL: Final = "conflict id:"
#: Matched with all whitespace removed: tools that wrap comments (polib, msgcat) may break the id anywhere.
_CONFLICT_ID_RE: Final = re.compile(r"conflictid:(?P<lang>[^/]+)/(?P<digest>[0-9a-f]{12})(?![0-9a-f])")
MAX_LISTED_PROBLEMS: Final = 20


class InboxBehind(StateError):
    """A sync's apply was killed and not recovered yet: what it wrote is unknown to the inbox."""

    exit_code = EXIT_PARTIAL


def refuse_while_interrupted(state: State) -> None:
    """Refuse a decision while the newest plan's apply was killed and no run has recovered it yet.

    Until then the inbox may show values the killed run's writes changed (its English change outdated a
    unit, say), and a decision is bound to the values it was made on: recorded on those, a translator's
    confirmation made before it would later read as an edit made after it, and the decision would be
    dropped. The next sync (or plan) recovers the killed run first; then the inbox tells the truth.
    """
    latest = state.latest_plan()
    if latest is not None and latest[1] == PlanStatus.RUNNING:
        raise InboxBehind(f"the apply of plan {latest[0]} was interrupted and its writes are not recovered yet: "
                          "the inbox may not show what it wrote, so no decision is recorded",
                          hint="run `capxl10n sync` (it recovers the interrupted apply first), then decide")


def parse_key(text: str, lang: str, bundle_page: str) -> TermKey:
    """``Q7397-label`` or the full ``<bundle page>/Q7397-label`` → a TermKey in ``lang``.

    >>> parse_key("Module:CapacityExchange/capacities.json/Q7-label", "de", "Module:CapacityExchange/capacities.json")
    TermKey(qid='Q7', field='label', lang='de')
    """
    key = text.strip()
    prefix = bundle_page + "/"
    if key.startswith(prefix):
        key = key[len(prefix):]
    if not MESSAGE_KEY_RE.match(key):
        raise UsageError(f"not a message key: {text!r}",
                         hint="use 'Q7397-label' or the full key as `capxl10n conflicts` lists it")
    return TermKey.from_message_key(key, lang)


def resolve(state: State, key: TermKey, *, take: str | None = None, text: str | None = None,
            source: str = "manual") -> Decision:
    """Record a human's decision for the conflict on ``key``; the next sync applies it."""
    if (take is None) == (text is None):
        raise UsageError("give exactly one of --take metabase|metawiki or --text", hint="see `conflicts resolve -h`")
    refuse_while_interrupted(state)
    current = {c.key: c for c in state.conflicts(key.lang)}.get(key)
    if current is None:
        raise UsageError(f"no open conflict for {key.message_key} in {key.lang}",
                         hint="run `capxl10n conflicts` to list open conflicts")
    if take is not None:
        if take not in TAKE_CHOICES:
            raise UsageError(f"--take must be metabase or metawiki, got {take!r}")
        chosen = current.metabase if take == "metabase" else current.metawiki
        if chosen is None and key.lang == SOURCE_LANGUAGE:
            raise UsageError(f"the {take} side of {key.message_key} has no English: a decision never deletes a "
                             "capacity's English (its key would leave the bundle and hide every translation)",
                             hint="take the side that has it, give --text, or remove the capacity on Metabase "
                                  "(its keys then leave the bundle only with remove_from_bundle)")
        decision = Decision(chosen.text if chosen is not None else None, source=f"take {take}")
    else:
        assert text is not None
        if not text.strip():
            raise UsageError("--text is empty", hint="to delete on both sides take the side that has no value")
        problem = text_problem(key, text)
        if problem is not None:
            raise UsageError(f"--text {problem}", hint="a wiki or the app would alter or refuse it; see docs/checks.md")
        decision = Decision(text, source=source)
    state.decide(key, decision)
    log.info("decision recorded for %s/%s (%s)", key.message_key, key.lang, decision.source)
    return decision


#: The widest value a conflicts table shows (``--format csv`` or ``json`` for whole texts).
TABLE_WIDTH: Final = 40


@dataclass(frozen=True)
class ConflictRows:
    """The inbox as a report (table/JSON/CSV/Markdown through capxl10n.cli.render).

    Each side shows its value, its author and its time. On Meta-Wiki these are the unit's last
    revision; on Metabase, which keeps no author per term, the item's last edit (who and when).
    """

    conflicts: tuple[InboxEntry, ...]
    bundle_page: str

    def columns(self) -> list[str]:
        return ["key", "lang", "kind", "metabase", "metabase_by", "metabase_at", "metawiki", "metawiki_by",
                "metawiki_at", "base", "decision", "reason"]

    def table_columns(self) -> list[str]:
        return ["key", "lang", "kind", "metabase", "metabase_by", "metabase_at", "metawiki", "metawiki_by",
                "metawiki_at", "decision"]

    def table_records(self) -> list[dict[str, Any]]:
        """The rows with long values cut for a terminal (CSV, Markdown and JSON keep them whole)."""
        def cut(value: Any) -> Any:
            return value if not isinstance(value, str) or len(value) <= TABLE_WIDTH else value[:TABLE_WIDTH - 1] + "…"
        return [{k: cut(v) if k in ("metabase", "metawiki", "decision") else v for k, v in row.items()}
                for row in self.records()]

    def records(self) -> list[dict[str, Any]]:
        rows = []
        for c in self.conflicts:
            rows.append({
                "key": c.key.message_key, "lang": c.key.lang, "kind": kind(c),
                "metabase": c.metabase.text if c.metabase else None,
                "metabase_by": c.metabase.author if c.metabase else None,
                "metabase_at": _when(c.metabase),
                "metawiki": (c.metawiki.text + (" (outdated)" if c.metawiki.fuzzy else "")) if c.metawiki else None,
                "metawiki_by": c.metawiki.author if c.metawiki else None,
                "metawiki_at": _when(c.metawiki),
                "base": c.base,
                "decision": None if c.decision is None else (c.decision.text if c.decision.text is not None
                                                             else "(delete)"),
                "reason": c.reason,
            })
        return rows

    def to_json(self) -> Any:
        return [{**c.to_json(), "kind": kind(c), "full_key": full_message_key(self.bundle_page, c.key.message_key)}
                for c in self.conflicts]


def _when(term: Term | None) -> str | None:
    """A revision's time for a table: ``2025-12-06 10:00`` (UTC), from MediaWiki's ``2025-12-06T10:00:00Z``."""
    if term is None or not term.timestamp:
        return None
    stamp = term.timestamp
    return stamp[:16].replace("T", " ") if len(stamp) >= 16 and stamp[10:11] == "T" else stamp


def _who(term: Any) -> str | None:
    """``author at time``, for the translator comments of an export."""
    if term is None:
        return None
    parts = [p for p in (term.author, term.timestamp) if p]
    return " at ".join(parts) if parts else None


# -- deciding many conflicts at once -----------------------------------------------------------------
def select(entries: Iterable[InboxEntry], *, langs: Iterable[str] = (), kinds: Iterable[str] = (),
           everything: bool = False) -> list[InboxEntry]:
    """The undecided conflicts in ``langs`` (all when empty) of the reason ``kinds`` (all when empty).

    Nothing is selected without a criterion: ``everything`` says "all of them" on purpose.
    """
    wanted_langs, wanted_kinds = frozenset(langs), frozenset(kinds)
    if not (wanted_langs or wanted_kinds or everything):
        raise UsageError("say which conflicts to decide: --lang, --reason or --all",
                         hint="or name one: `capxl10n conflicts resolve Q7397-label --lang pt-br --take metawiki`")
    unknown = wanted_kinds - set(KINDS)
    if unknown:
        raise UsageError(f"--reason: unknown kind {sorted(unknown)[0]!r}", hint="one of " + ", ".join(KINDS))
    return [c for c in entries if c.decision is None
            and (not wanted_langs or c.key.lang in wanted_langs)
            and (not wanted_kinds or kind(c) in wanted_kinds)]


@dataclass(frozen=True)
class BulkDecision:
    """What ``conflicts resolve --take`` over many conflicts will record, and what it leaves undecided."""

    take: str
    chosen: tuple[tuple[InboxEntry, Decision], ...]
    skipped: tuple[tuple[InboxEntry, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"take": self.take,
                "decided": [{"key": e.key.message_key, "lang": e.key.lang, "kind": kind(e), "text": d.text}
                            for e, d in self.chosen],
                "skipped": [{"key": e.key.message_key, "lang": e.key.lang, "why": why} for e, why in self.skipped]}


def prepare_bulk(entries: Iterable[InboxEntry], take: str, *, source: str) -> BulkDecision:
    """Take ``take``'s value for every entry, leaving out those it cannot decide (and saying why):
    a side without English (a decision never deletes a capacity's English) or a value a wiki would
    alter or refuse (the decision could never be written). Nothing is recorded."""
    if take not in TAKE_CHOICES:
        raise UsageError(f"--take must be metabase or metawiki, got {take!r}")
    chosen: list[tuple[InboxEntry, Decision]] = []
    skipped: list[tuple[InboxEntry, str]] = []
    for entry in entries:
        value = entry.metabase if take == "metabase" else entry.metawiki
        if value is None and entry.key.lang == SOURCE_LANGUAGE:
            skipped.append((entry, f"no English on {take}: a decision never deletes a capacity's English"))
            continue
        if value is not None:
            problem = text_problem(entry.key, value.text)
            if problem is not None:
                skipped.append((entry, f"the {take} value {problem}"))
                continue
        chosen.append((entry, Decision(value.text if value is not None else None, source=source)))
    return BulkDecision(take, tuple(chosen), tuple(skipped))


def record_bulk(state: State, bulk: BulkDecision) -> int:
    """Record every decision of ``bulk`` in one transaction (all or none); the next sync writes them."""
    refuse_while_interrupted(state)
    state.decide_many([(entry.key, decision) for entry, decision in bulk.chosen])
    log.info("%d decision(s) recorded (take %s)", len(bulk.chosen), bulk.take,
             extra={"event": {"phase": "decide", "decided": len(bulk.chosen), "take": bulk.take}})
    return len(bulk.chosen)


def export_po(conflicts: Iterable[InboxEntry], lang: str, path: Path, *, bundle_page: str,
              message_group: str, english: Mapping[TermKey, str]) -> int:
    """Write the undecided conflicts of ``lang`` as a .po for Poedit; returns the entry count."""
    import polib

    try:
        language = langs.get(lang)
        bcp47, plural = language.bcp47, language.plural_forms
    except Exception:  # an unknown code still exports; headers fall back to the MediaWiki code
        bcp47, plural = lang, "nplurals=2; plural=(n != 1);"
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Language": bcp47,
        "X-Language-Code": lang,
        "X-Message-Group": message_group,
        "X-Generator": EXPORT_GENERATOR,
        EXPORT_HEADER: EXPORT_KIND,
        "Plural-Forms": plural,
    }
    po.header = (f"Conflicts of {message_group} in {lang}: pick or write the final text as msgstr.\n"
                 "Leave msgstr empty to decide later; then run `capxl10n conflicts import` on this file.")
    count = 0
    for c in conflicts:
        if c.key.lang != lang or c.decision is not None:
            continue
        comments = [f"conflict: {c.reason}",
                    f"metabase: {_alt(c.metabase)}",
                    f"metawiki: {_alt(c.metawiki)}",
                    f"base (last agreed): {c.base if c.base is not None else '(none)'}"]
        po.append(polib.POEntry(msgctxt=full_message_key(bundle_page, c.key.message_key),
                                msgid=source_text(c.key, english), msgstr="",
                                comment=f"{CONFLICT_ID_LABEL} {conflict_id(c)} (checked on import)",
                                tcomment="\n".join(comments)))
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    po.save(str(tmp))
    tmp.replace(path)
    return count


def _alt(term: Term | None) -> str:
    if term is None:
        return "(absent)"
    by = _who(term)
    return str(term.text) + (" [outdated]" if term.fuzzy else "") + (f"  (by {by})" if by else "")


def source_text(key: TermKey, english: Mapping[TermKey, str]) -> str:
    """The msgid of a conflict's entry: the English source, or the message key when there is none."""
    return english.get(TermKey(key.qid, key.field, SOURCE_LANGUAGE)) or key.message_key


def english_sources(state: State) -> dict[TermKey, str]:
    """The agreed English of every term: what an export writes as msgid and an import expects back."""
    return {k: t.text for k, t in state.directory().terms.items() if k.lang == SOURCE_LANGUAGE}


def conflict_id(conflict: InboxEntry) -> str:
    """``<lang>/<digest of the values a translator is shown>``: an entry stays bound to the conflict it was
    exported for, so a relabelled file or one whose conflict changed since cannot decide anything.

    Authors and timestamps are left out: only the texts a translator chooses between count.
    """
    def side(term: Term | None) -> Any:
        return None if term is None else [term.text, term.fuzzy]

    data = [conflict.key.lang, conflict.key.qid, conflict.key.field, conflict.base,
            side(conflict.metabase), side(conflict.metawiki)]
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]
    return f"{conflict.key.lang}/{digest}"


@dataclass(frozen=True)
class ImportResult:
    decided: tuple[TermKey, ...]
    skipped_empty: int
    unknown: tuple[str, ...] = ()
    already: tuple[TermKey, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"decided": [f"{k.message_key}/{k.lang}" for k in self.decided], "skipped_empty": self.skipped_empty,
                "unknown": list(self.unknown), "already_decided": [f"{k.message_key}/{k.lang}" for k in self.already]}


def import_po(state: State, path: Path, *, bundle_page: str, message_group: str | None = None,
              english: Mapping[TermKey, str] | None = None) -> ImportResult:
    """Record each non-empty, non-fuzzy msgstr of an exported conflicts file as a decision.

    Everything is checked before anything is recorded, because one wrong
    file (another language relabelled, a catalog, an old export) would write
    a wrong text over humans' translations on both wikis: the file must be a
    complete, well-formed conflicts export of this profile's message group,
    its language headers must agree, and every entry must be the export of a
    conflict still in the inbox in that language, unchanged since (the
    values shown, the English msgid), with a text both wikis keep. Any
    problem refuses the whole file with file:line: key: reason.
    ``message_group`` defaults to Translate's group of ``bundle_page``,
    ``english`` to the state's agreed English (what ``conflicts export`` wrote).
    """

    refuse_while_interrupted(state)
    group = message_group or f"messagebundle-{bundle_page}"
    text = read_po_text(path, hint=_EXPORT_AGAIN)
    po = parse_po(text, path, hint=_EXPORT_AGAIN)
    lang = check_conflicts_header(po.metadata, path, group, header_line(text))
    conflicts = {c.key: c for c in state.conflicts(lang)}
    sources = english_sources(state) if english is None else english
    problems: list[PoProblem] = []
    chosen: list[tuple[TermKey, str, InboxEntry]] = []
    already: list[TermKey] = []
    skipped = 0
    seen: dict[str, int] = {}
    for entry in po:
        found, key = _entry_problems(entry, lang=lang, bundle_page=bundle_page, conflicts=conflicts,
                                     english=sources, seen=seen)
        problems.extend(found)
        if found or key is None:
            continue
        if not entry.msgstr.strip() or entry.fuzzy:
            skipped += 1
            continue
        current = conflicts[key]
        if current.decision is None:
            chosen.append((key, entry.msgstr, current))
        elif _same_decision(current.decision, entry.msgstr):
            already.append(key)
        else:
            problems.append(PoProblem(entry.linenum or 0, f"already decided ({current.decision.source}) as "
                                      f"{_shown(current.decision.text)}; this file would overwrite that decision: "
                                      "delete the entry or use `conflicts resolve`", key.message_key))
    refuse(path, problems, hint=_EXPORT_AGAIN)
    decided = _record(state, chosen, source=f"po {path.name}")
    return ImportResult(tuple(decided), skipped, (), tuple(already))


_EXPORT_AGAIN = "export it again with `capxl10n conflicts export --lang <code> -o <file>`"


def is_conflicts_export(meta: Mapping[str, str]) -> bool:
    """Whether a .po file's headers show a conflicts export (Poedit rewrites X-Generator, not our own header)."""
    return meta.get("X-Generator", "") == EXPORT_GENERATOR or meta.get(EXPORT_HEADER) == EXPORT_KIND


def check_conflicts_header(meta: Mapping[str, str], path: Path, message_group: str, line: int) -> str:
    """The file's language, once the headers show a conflicts export of this group in one known language."""
    if not is_conflicts_export(meta):
        generator = meta.get("X-Generator", "")
        catalog = generator.startswith("capxl10n ") or generator.startswith("MediaWiki")
        raise DataError(
            f"{path}:{line}: not a capxl10n conflicts export (X-Generator: {generator or 'none'}, "
            f"{EXPORT_HEADER}: {meta.get(EXPORT_HEADER) or 'none'})",
            hint=("this is a translation file (an export, a catalog or Translate's export), whose msgstr are "
                  "translations, not decisions: bring it in with `capxl10n import`, or " if catalog else "")
            + _EXPORT_AGAIN)
    return file_language(meta, path, message_group, line, hint=_EXPORT_AGAIN)


def _entry_problems(entry: polib.POEntry, *, lang: str, bundle_page: str, conflicts: Mapping[TermKey, InboxEntry],
                    english: Mapping[TermKey, str], seen: dict[str, int]) -> tuple[list[PoProblem], TermKey | None]:
    """What is wrong with one entry (nothing: its key, an open conflict of ``lang`` as exported)."""
    line, context = entry.linenum or 0, entry.msgctxt or ""
    label = context.rsplit("/", 1)[-1] if context else entry.msgid[:40]

    def problem(message: str) -> tuple[list[PoProblem], None]:
        return [PoProblem(line, message, label)], None

    if entry.obsolete:
        return problem("an obsolete (#~) entry: the export writes none and it is never a decision; delete it")
    short, why = entry_message_key(entry, bundle_page, seen)
    if short is None:
        return problem(why + (": which one is the decision?" if why.startswith("the same key") else ""))
    tag = _CONFLICT_ID_RE.search("".join((entry.comment or "").split()))
    if tag is None:
        return problem(f"no '#. {CONFLICT_ID_LABEL}' comment: not an entry of a conflicts export")
    if tag.group("lang") != lang:
        return problem(f"exported for {tag.group('lang')}, but the file says {lang}: a relabelled file")
    key = TermKey.from_message_key(short, lang)
    current = conflicts.get(key)
    if current is None:
        return problem(f"no conflict on this key in {lang} in the inbox (resolved since the export?)")
    if conflict_id(current) != f"{lang}/{tag.group('digest')}":
        return problem("the conflict changed since the export (a side was edited): export again and decide again")
    expected = source_text(key, english)
    if entry.msgid != expected:
        return problem(f"msgid is not the English source {_shown(expected)}: the English changed since the export "
                       "(or the msgid was edited); export again and decide again")
    if entry.msgstr.strip():
        bad = text_problem(key, entry.msgstr)
        if bad is not None:
            return problem(f"msgstr {bad}")
    return [], key


def text_problem(key: TermKey, text: str) -> str | None:
    """Why a decided text must not be written (the first error of ``capxl10n check``'s rules), or None: the
    merge would refuse it at the next plan, so a decision or an import refuses it now."""
    found = errors(check_value(key, text))
    return None if not found else f"{found[0].message} ({found[0].rule})"


def _same_decision(decision: Decision, text: str) -> bool:
    """Importing the same file twice is harmless: a decision already recorded with this text."""
    return decision.text is not None and normalize_text(decision.text) == normalize_text(text)


def _record(state: State, chosen: list[tuple[TermKey, str, InboxEntry]], *, source: str) -> list[TermKey]:
    """Record the checked decisions in one transaction: a failure records none of them."""
    decisions = []
    for key, text, current in chosen:
        basis = (current.metabase.text if current.metabase else None,
                 current.metawiki.text if current.metawiki else None)
        decisions.append((key, Decision(text, source=source, basis=basis)))
    state.decide_many(decisions)
    done = [key for key, _ in decisions]
    for key in done:
        log.info("decision recorded for %s/%s (%s)", key.message_key, key.lang, source)
    return done


def _shown(text: str | None) -> str:
    if text is None:
        return "(delete)"
    return repr(text if len(text) <= 60 else text[:57] + "...")
