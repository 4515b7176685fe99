"""The conflict inbox: list conflicts, export them for translators, take their decisions back.

A conflict stays in the inbox (the state) until a human decides it; it is
reported on every run, never silenced (context.md §3.6). A decision — take
Metabase's value, take Meta-Wiki's, or a new text — is stored with the
conflict; the next plan turns it into operations on both sides, and the
conflict leaves the inbox once both sides hold the decided text.

Translators can decide offline: ``export_po`` writes one .po entry per
conflict (msgctxt = Translate's full message key, msgid = the English source,
both alternatives and the base in translator comments, msgstr empty);
``import_po`` reads the file back and records every non-empty, non-fuzzy
msgstr as a decision.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capxl10n.errors import DataError, UsageError
from capxl10n.merge import Decision
from capxl10n.model import MESSAGE_KEY_RE, Term, TermKey, full_message_key
from capxl10n.state import State, StoredConflict

log = logging.getLogger(__name__)

TAKE_CHOICES = ("metabase", "metawiki")


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
    current = {c.key: c for c in state.conflicts(key.lang)}.get(key)
    if current is None:
        raise UsageError(f"no open conflict for {key.message_key} in {key.lang}",
                         hint="run `capxl10n conflicts` to list open conflicts")
    if take is not None:
        if take not in TAKE_CHOICES:
            raise UsageError(f"--take must be metabase or metawiki, got {take!r}")
        chosen = current.metabase if take == "metabase" else current.metawiki
        decision = Decision(chosen.text if chosen is not None else None, source=f"take {take}")
    else:
        assert text is not None
        if not text.strip():
            raise UsageError("--text is empty", hint="to delete on both sides take the side that has no value")
        decision = Decision(text, source=source)
    state.decide(key, decision)
    log.info("decision recorded for %s/%s (%s)", key.message_key, key.lang, decision.source)
    return decision


@dataclass(frozen=True)
class ConflictRows:
    """The inbox as a report (table/JSON/CSV/Markdown through capxl10n.render)."""

    conflicts: tuple[StoredConflict, ...]
    bundle_page: str

    def columns(self) -> list[str]:
        return ["key", "lang", "metabase", "metabase_by", "metawiki", "metawiki_by", "base", "decision", "reason"]

    def records(self) -> list[dict[str, Any]]:
        rows = []
        for c in self.conflicts:
            rows.append({
                "key": c.key.message_key, "lang": c.key.lang,
                "metabase": c.metabase.text if c.metabase else None,
                "metabase_by": _who(c.metabase),
                "metawiki": (c.metawiki.text + (" (fuzzy)" if c.metawiki.fuzzy else "")) if c.metawiki else None,
                "metawiki_by": _who(c.metawiki),
                "base": c.base,
                "decision": None if c.decision is None else (c.decision.text if c.decision.text is not None
                                                             else "(delete)"),
                "reason": c.reason,
            })
        return rows

    def to_json(self) -> Any:
        return [{**c.to_json(), "full_key": full_message_key(self.bundle_page, c.key.message_key)}
                for c in self.conflicts]


def _who(term: Any) -> str | None:
    if term is None:
        return None
    parts = [p for p in (term.author, term.timestamp) if p]
    return " at ".join(parts) if parts else None


def export_po(conflicts: Iterable[StoredConflict], lang: str, path: Path, *, bundle_page: str,
              message_group: str, english: Mapping[TermKey, str]) -> int:
    """Write the undecided conflicts of ``lang`` as a .po for Poedit; returns the entry count."""
    import polib

    from capxl10n import langs

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
        "X-Generator": "capxl10n conflicts export",
        "Plural-Forms": plural,
    }
    po.header = (f"Conflicts of {message_group} in {lang}: pick or write the final text as msgstr.\n"
                 "Leave msgstr empty to decide later; then run `capxl10n conflicts import` on this file.")
    count = 0
    for c in conflicts:
        if c.key.lang != lang or c.decision is not None:
            continue
        source_key = TermKey(c.key.qid, c.key.field, "en")
        comments = [f"conflict: {c.reason}",
                    f"metabase: {_alt(c.metabase)}",
                    f"metawiki: {_alt(c.metawiki)}",
                    f"base (last agreed): {c.base if c.base is not None else '(none)'}"]
        po.append(polib.POEntry(msgctxt=full_message_key(bundle_page, c.key.message_key),
                                msgid=english.get(source_key) or c.key.message_key, msgstr="",
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


@dataclass(frozen=True)
class ImportResult:
    decided: tuple[TermKey, ...]
    skipped_empty: int
    unknown: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"decided": [f"{k.message_key}/{k.lang}" for k in self.decided], "skipped_empty": self.skipped_empty,
                "unknown": list(self.unknown)}


def import_po(state: State, path: Path, *, bundle_page: str) -> ImportResult:
    """Record each non-empty, non-fuzzy msgstr of an exported conflicts file as a decision."""
    import polib

    try:
        po = polib.pofile(str(path), wrapwidth=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable .po file ({exc})", hint="export it again with `conflicts export`")
    lang = po.metadata.get("X-Language-Code")
    if not lang:
        raise DataError(f"{path}: no X-Language-Code header", hint="import a file written by `conflicts export`")
    open_keys = {c.key for c in state.conflicts(lang)}
    decided: list[TermKey] = []
    unknown: list[str] = []
    skipped = 0
    for entry in po:
        if entry.obsolete:
            continue
        if not entry.msgstr.strip() or entry.fuzzy:
            skipped += 1
            continue
        try:
            key = parse_key(entry.msgctxt or "", lang, bundle_page)
        except UsageError:
            unknown.append(entry.msgctxt or entry.msgid)
            continue
        if key not in open_keys:
            unknown.append(entry.msgctxt or key.message_key)
            continue
        state.decide(key, Decision(entry.msgstr, source=f"po {path.name}"))
        decided.append(key)
    if unknown:
        log.warning("%d entries of %s match no open conflict (already resolved?)", len(unknown), path)
    return ImportResult(tuple(decided), skipped, tuple(unknown))
