"""Plans: the merge's result as a deterministic JSON file, and its human summary.

A plan is made before any write and can be reviewed, kept, and applied later
(``capxl10n apply plan.json``). Same inputs, same bytes: no timestamps, sorted
operations, sorted keys. Each operation carries the guard apply needs — the
value expected on the target and the revision it was read at — so a plan
applied late never overwrites what changed in the meantime.

Pure: building, serialising and parsing a plan do no I/O (the CLI writes the file).
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from capxl10n.errors import DataError, UsageError
from capxl10n.merge import TARGETS, BaseTerm, Change, Conflict, MergeResult
from capxl10n.model import Capacity, Term, TermKey, full_message_key

PLAN_FORMAT: Final = "capxl10n-plan/1"
TARGET_ORDER: Final = {"bundle": 0, "metabase": 1, "metawiki": 2}
SUMMARY_FIRST: Final = 10


@dataclass(frozen=True)
class Operation:
    """One term to write: a :class:`Change` plus where exactly it goes."""

    id: str
    target: str
    page: str  # Metabase item id, Meta-Wiki unit page, or the bundle page
    key: TermKey
    action: str
    new: str | None
    expected: str | None
    expected_fuzzy: bool
    base_revision: int | None
    base_timestamp: str | None
    reason: str

    @property
    def group(self) -> str:
        """Operations sharing a group are one request: an item, a unit page, or the bundle."""
        return f"{self.target}:{self.page}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "page": self.page, "qid": self.key.qid,
                "field": self.key.field, "lang": self.key.lang, "action": self.action,
                "expected": self.expected, "expected_fuzzy": self.expected_fuzzy,
                "base_revision": self.base_revision, "base_timestamp": self.base_timestamp,
                "new": self.new, "reason": self.reason}

    @classmethod
    def from_json(cls, raw: Any, where: str) -> Operation:
        if not isinstance(raw, dict):
            raise DataError(f"{where}: an operation must be an object")
        try:
            key = TermKey(_str(raw, "qid", where), _str(raw, "field", where),  # type: ignore[arg-type]
                          _str(raw, "lang", where))
            target = _str(raw, "target", where)
            action = _str(raw, "action", where)
            if target not in TARGETS:
                raise DataError(f"{where}: unknown target {target!r}", hint=f"one of {', '.join(TARGETS)}")
            if action not in ("set", "delete"):
                raise DataError(f"{where}: unknown action {action!r}", hint="'set' or 'delete'")
            new = _opt_str(raw, "new", where)
            if (action == "set") != (new is not None):
                raise DataError(f"{where}: 'new' must be a string for set and null for delete")
            return cls(id=_str(raw, "id", where), target=target, page=_str(raw, "page", where), key=key,
                       action=action, new=new, expected=_opt_str(raw, "expected", where),
                       expected_fuzzy=bool(raw.get("expected_fuzzy", False)),
                       base_revision=_opt_int(raw, "base_revision", where),
                       base_timestamp=_opt_str(raw, "base_timestamp", where), reason=str(raw.get("reason", "")))
        except DataError as exc:
            if exc.message.startswith(where):
                raise
            raise DataError(f"{where}: {exc.message}", hint=exc.hint) from None


@dataclass(frozen=True)
class Plan:
    profile: str
    base_generation: int
    fingerprints: Mapping[str, str]
    operations: tuple[Operation, ...]
    conflicts: tuple[Mapping[str, Any], ...] = ()
    base: tuple[tuple[TermKey, BaseTerm | None], ...] = ()
    resolved: tuple[TermKey, ...] = ()
    capacities: tuple[Capacity, ...] = ()
    notes: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def id(self) -> str:
        """A content hash: the journal knows a plan (and resumes it) by this."""
        digest = hashlib.sha256(dumps(self).encode("utf-8")).hexdigest()
        return digest[:24]

    @property
    def exit_code(self) -> int:
        from capxl10n.errors import EXIT_CONFLICTS, EXIT_OK, EXIT_PENDING
        if self.conflicts:
            return EXIT_CONFLICTS
        return EXIT_PENDING if self.operations else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "profile": self.profile,
            "base_generation": self.base_generation,
            "fingerprints": dict(sorted(self.fingerprints.items())),
            "summary": summary_counts(self),
            "operations": [op.to_json() for op in self.operations],
            "conflicts": [dict(c) for c in self.conflicts],
            "base": [_base_json(k, b) for k, b in self.base],
            "resolved": [{"qid": k.qid, "field": k.field, "lang": k.lang} for k in self.resolved],
            "capacities": [c.to_json() for c in self.capacities],
            "notes": dict(sorted(self.notes.items())),
        }


def build_plan(result: MergeResult, *, profile: str, bundle_page: str, base_generation: int,
               fingerprints: Mapping[str, str], capacities: Sequence[Capacity] = (),
               bundle_revision: int | None = None, bundle_timestamp: str | None = None,
               notes: Mapping[str, Any] | None = None) -> Plan:
    """Turn a merge result into a plan; operations sorted bundle → items → units, then by key."""
    ops = [_operation(c, bundle_page, bundle_revision, bundle_timestamp) for c in result.changes]
    ops.sort(key=lambda o: (TARGET_ORDER[o.target], _page_sort(o), o.key.sort_key()))
    all_notes = {
        "unaccepted_languages": list(result.unaccepted_languages),
        "removed_capacities": list(result.removed_capacities),
        "skipped_duplicates": list(result.skipped_duplicates),
        "first_contact": result.first_contact,
        **(notes or {}),
    }
    base = tuple(sorted(result.base_updates.items(), key=lambda kv: kv[0].sort_key()))
    return Plan(profile=profile, base_generation=base_generation, fingerprints=dict(fingerprints),
                operations=tuple(ops), conflicts=tuple(conflict_json(c) for c in result.conflicts),
                base=base, resolved=tuple(sorted(result.resolved, key=TermKey.sort_key)),
                capacities=tuple(capacities), notes=all_notes)


def _page_sort(op: Operation) -> tuple[int, str]:
    page = op.page
    if op.target == "metabase" and page[1:].isdigit():
        return (int(page[1:]), page)
    return (0, page) if op.target == "bundle" else (0, "")


def _operation(change: Change, bundle_page: str, bundle_revision: int | None,
               bundle_timestamp: str | None) -> Operation:
    key = change.key
    if change.target == "metabase":
        if not change.item:
            raise DataError(f"capacity {key.qid} has no Metabase item id", hint="check the discovery")
        page, revision, timestamp = change.item, change.base_revision, None
    elif change.target == "bundle":
        page, revision, timestamp = bundle_page, bundle_revision, bundle_timestamp
    else:
        page = f"Translations:{full_message_key(bundle_page, key.message_key)}/{key.lang}"
        revision, timestamp = change.base_revision, change.base_timestamp
    return Operation(id=f"{change.target}:{key.message_key}/{key.lang}", target=change.target, page=page,
                     key=key, action=change.action, new=change.new, expected=change.expected,
                     expected_fuzzy=change.expected_fuzzy, base_revision=revision, base_timestamp=timestamp,
                     reason=change.reason)


def conflict_json(c: Conflict) -> dict[str, Any]:
    return {"qid": c.key.qid, "field": c.key.field, "lang": c.key.lang, "base": c.base,
            "has_base": c.has_base, "metabase": c.metabase.to_json() if c.metabase else None,
            "metawiki": c.metawiki.to_json() if c.metawiki else None, "reason": c.reason}


def conflict_from_json(raw: Mapping[str, Any]) -> Conflict:
    def term(value: Any) -> Term | None:
        return Term.from_json(value) if isinstance(value, dict) else None
    return Conflict(TermKey(raw["qid"], raw["field"], raw["lang"]), raw.get("base"), bool(raw.get("has_base")),
                    term(raw.get("metabase")), term(raw.get("metawiki")), str(raw.get("reason", "")))


def _base_json(key: TermKey, b: BaseTerm | None) -> dict[str, Any]:
    out: dict[str, Any] = {"qid": key.qid, "field": key.field, "lang": key.lang}
    if b is None:
        out["drop"] = True
    else:
        out.update({"value": b.text, "fuzzy": b.fuzzy, "metabase_rev": b.metabase_rev,
                    "metawiki_rev": b.metawiki_rev})
    return out


def dumps(plan: Plan) -> str:
    """The plan file's bytes: stable key order, UTF-8, one trailing newline."""
    return json.dumps(plan.to_json(), ensure_ascii=False, indent=1) + "\n"


def loads(text: str, *, origin: str = "plan") -> Plan:
    """Parse a plan file, naming the file and the position of anything wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                        hint="the plan was edited or truncated; make a new one with `capxl10n plan`") from None
    if not isinstance(data, dict):
        raise DataError(f"{origin}: expected a JSON object at the top level")
    if data.get("format") != PLAN_FORMAT:
        raise UsageError(f"{origin}: unknown plan format {data.get('format')!r}",
                         hint=f"this capxl10n applies {PLAN_FORMAT!r} plans; make a new plan")
    profile = data.get("profile")
    if not isinstance(profile, str):
        raise DataError(f"{origin}: 'profile' must be a string")
    ops_raw = data.get("operations")
    if not isinstance(ops_raw, list):
        raise DataError(f"{origin}: 'operations' must be a list")
    ops = tuple(Operation.from_json(raw, f"{origin}: operations[{i}]") for i, raw in enumerate(ops_raw))
    ids = Counter(op.id for op in ops)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        raise DataError(f"{origin}: operation id {dup[0]!r} appears twice", hint="make a new plan")
    try:
        base = tuple(_base_from(raw) for raw in data.get("base", []))
        resolved = tuple(TermKey(r["qid"], r["field"], r["lang"]) for r in data.get("resolved", []))
        capacities = tuple(Capacity.from_json(c) for c in data.get("capacities", []))
        conflicts = tuple(dict(c) for c in data.get("conflicts", []))
        for c in conflicts:
            conflict_from_json(c)
        generation = int(data.get("base_generation", 0))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{origin}: malformed plan section ({type(exc).__name__}: {exc})",
                        hint="make a new plan with `capxl10n plan`") from None
    fingerprints = data.get("fingerprints") or {}
    return Plan(profile=profile, base_generation=generation, fingerprints=dict(fingerprints), operations=ops,
                conflicts=conflicts, base=base, resolved=resolved, capacities=capacities,
                notes=dict(data.get("notes") or {}))


def _base_from(raw: Mapping[str, Any]) -> tuple[TermKey, BaseTerm | None]:
    key = TermKey(raw["qid"], raw["field"], raw["lang"])
    if raw.get("drop"):
        return key, None
    value = raw.get("value")
    if value is not None and not isinstance(value, str):
        raise TypeError("base value must be a string or null")
    return key, BaseTerm(value, bool(raw.get("fuzzy")), raw.get("metabase_rev"), raw.get("metawiki_rev"))


def summary_counts(plan: Plan) -> dict[str, Any]:
    """Counts per target, per (target, language) and per action; conflicts per language."""
    per_target = Counter(op.target for op in plan.operations)
    per_lang: dict[str, Counter[str]] = {}
    for op in plan.operations:
        per_lang.setdefault(op.target, Counter())[op.key.lang] += 1
    return {
        "operations": len(plan.operations),
        "requests": len({op.group for op in plan.operations}),
        "per_target": dict(sorted(per_target.items())),
        "per_language": {t: dict(sorted(c.items())) for t, c in sorted(per_lang.items())},
        "deletions": sum(1 for op in plan.operations if op.action == "delete"),
        "conflicts": len(plan.conflicts),
        "conflicts_per_language": dict(sorted(Counter(c["lang"] for c in plan.conflicts).items())),
    }


def render_summary(plan: Plan, *, first: int = SUMMARY_FIRST) -> str:
    """The human summary: what would be written where, the first changes, conflicts, notes."""
    counts = summary_counts(plan)
    lines = [f"plan for profile {plan.profile}: {counts['operations']} change(s) in {counts['requests']} "
             f"request(s), {counts['conflicts']} conflict(s)"]
    for target, langs in counts["per_language"].items():
        shown = ", ".join(f"{lang} {n}" for lang, n in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"  {target}: {counts['per_target'][target]} ({shown})")
    if plan.operations:
        lines.append("first changes:")
        for op in plan.operations[:first]:
            new = "(delete)" if op.new is None else _short(op.new)
            lines.append(f"  {op.target} {op.key.message_key}/{op.key.lang}: {_short(op.expected)} -> {new}"
                         f"  [{op.reason}]")
        if len(plan.operations) > first:
            lines.append(f"  … and {len(plan.operations) - first} more")
    if plan.conflicts:
        lines.append("conflicts (a human decides: `capxl10n conflicts`):")
        for c in plan.conflicts[:first]:
            m = c["metabase"]["text"] if c.get("metabase") else None
            w = c["metawiki"]["text"] if c.get("metawiki") else None
            lines.append(f"  {c['qid']}-{c['field']}/{c['lang']}: metabase {_short(m)} vs metawiki {_short(w)}"
                         f" (base {_short(c.get('base'))})")
        if len(plan.conflicts) > first:
            lines.append(f"  … and {len(plan.conflicts) - first} more")
    notes = plan.notes
    if notes.get("unaccepted_languages"):
        lines.append("languages Metabase does not accept (skipped for Metabase): "
                     + ", ".join(notes["unaccepted_languages"]))
    if notes.get("removed_capacities"):
        lines.append("capacities in the bundle or base but gone from Metabase: "
                     + ", ".join(notes["removed_capacities"])
                     + ("" if any(op.target == "bundle" and op.action == "delete" for op in plan.operations)
                        else " (kept in the bundle; set policy remove_from_bundle to remove)"))
    if notes.get("skipped_duplicates"):
        lines.append("Wikidata QIDs on several Metabase items (never synced): "
                     + ", ".join(notes["skipped_duplicates"]))
    if notes.get("unknown_bundle_keys"):
        lines.append("bundle keys that are not capacity keys: " + ", ".join(notes["unknown_bundle_keys"]))
    return "\n".join(lines)


def _short(text: str | None, width: int = 40) -> str:
    if text is None:
        return "(none)"
    text = text.replace("\n", " ")
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def _str(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise DataError(f"{where}: {name!r} must be a string")
    return value


def _opt_str(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise DataError(f"{where}: {name!r} must be a string or null")
    return value


def _opt_int(raw: Mapping[str, Any], name: str, where: str) -> int | None:
    value = raw.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise DataError(f"{where}: {name!r} must be an integer or null")
    return value
