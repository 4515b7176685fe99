"""Plans: the merge's result as a deterministic JSON file, and its human summary.

A plan is made before any write and can be reviewed, kept, and applied later
(``capxl10n apply plan.json``). Same inputs, same bytes: no timestamps, sorted
operations, sorted keys. Each operation carries the guard apply needs — the
value expected on the target and the revision it was read at — so a plan
applied late never overwrites what changed in the meantime; a copy also names
its **source** (the side, page and revision its value was read from), so apply
can skip a copy whose source a human changed after the plan was made.

The plan's id is a content hash written into the file; :func:`loads` recomputes
it and refuses a file whose content no longer matches (a hand-edited plan is
never applied: make a new one).

Pure: building, serialising and parsing a plan do no I/O (the CLI writes the file).
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeVar

from capxl10n.errors import DataError, UsageError
from capxl10n.core import strictjson
from capxl10n.core.cursors import MetabaseCursor, MetawikiCursor
from capxl10n.core.merge import BaseTerm, Change, Conflict, MergeResult
from capxl10n.core.reasons import by_language_and_kind, kind, render_counts
from capxl10n.core.model import (ACTIONS, SOURCE_LANGUAGE, SIDES, TARGETS, Action, Capacity, Side, Snapshot, Target, Term, TermKey,
                                 full_message_key, normalize_text)

PLAN_FORMAT: Final = "capxl10n-plan/2"
#: Formats of older capxl10n versions: refused with a clear message (no content hash, no sources).
OLD_FORMATS: Final = ("capxl10n-plan/1",)
TARGET_ORDER: Final = {"bundle": 0, "metabase": 1, "metawiki": 2}
#: Where English that already exists in the bundle is changed or removed: after the units. Translate
#: outdates a message's translations when its English changes, so a translation written before is
#: outdated with the rest, and one written against the old English never shows as current if the
#: apply stops in between.
BUNDLE_CHANGES_LAST: Final = 3
SUMMARY_FIRST: Final = 10


@dataclass(frozen=True)
class Source:
    """Where a copied value was read (the other side): apply checks it still holds the value.

    ``revision`` is the revision read (the item's ``lastrevid``, the unit's or the
    bundle's revision; None when the page was absent, for a copied deletion).
    """

    side: Side
    page: str
    revision: int | None
    #: What the source held when the plan was made, for a write of another value (a decision written to
    #: both sides): (text or None when absent, outdated). None: the source held the very value written.
    basis: tuple[str | None, bool] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"side": self.side, "page": self.page, "revision": self.revision}
        if self.basis is not None:
            out["basis"] = {"text": self.basis[0], "outdated": self.basis[1]}
        return out

    @classmethod
    def from_json(cls, raw: Any, where: str) -> Source | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise DataError(f"{where}: 'source' must be an object or null")
        side = _one_of(raw, "side", SIDES, where, what="source side")
        basis = raw.get("basis")
        if basis is not None and not (isinstance(basis, dict) and isinstance(basis.get("text"), (str, type(None)))
                                      and isinstance(basis.get("outdated"), bool)):
            raise DataError(f"{where}: a source's 'basis' must be {{\"text\": string or null, \"outdated\": bool}}")
        return cls(side, _str(raw, "page", where), _opt_int(raw, "revision", where),
                   None if basis is None else (basis["text"], basis["outdated"]))


@dataclass(frozen=True)
class Operation:
    """One term to write: a :class:`Change` plus where exactly it goes (and where its value came from)."""

    id: str
    target: Target
    page: str  # Metabase item id, Meta-Wiki unit page, or the bundle page
    key: TermKey
    action: Action
    new: str | None
    expected: str | None
    expected_fuzzy: bool
    base_revision: int | None
    base_timestamp: str | None
    reason: str
    source: Source | None = None
    #: Save the unit outdated (``!!FUZZY!!``): a decided text made against older English than the bundle's.
    outdated: bool = False

    @property
    def changes_english(self) -> bool:
        """A bundle operation on a key the bundle already holds (not an added key)."""
        return self.target == "bundle" and self.expected is not None

    @property
    def stage(self) -> int:
        """Where the operation runs: new bundle keys, then items, then units, then English changes."""
        return BUNDLE_CHANGES_LAST if self.changes_english else TARGET_ORDER[self.target]

    @property
    def group(self) -> str:
        """Operations sharing a group are one request: an item, a unit page, or the bundle (twice at most:
        keys added before the units, English changed after them)."""
        return f"{self.target}:{self.page}" + (":changes" if self.changes_english else "")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "page": self.page, "qid": self.key.qid,
                "field": self.key.field, "lang": self.key.lang, "action": self.action,
                "expected": self.expected, "expected_fuzzy": self.expected_fuzzy,
                "base_revision": self.base_revision, "base_timestamp": self.base_timestamp,
                "new": self.new, "reason": self.reason,
                "source": self.source.to_json() if self.source is not None else None,
                **({"outdated": True} if self.outdated else {})}

    @classmethod
    def from_json(cls, raw: Any, where: str) -> Operation:
        if not isinstance(raw, dict):
            raise DataError(f"{where}: an operation must be an object")
        try:
            key = TermKey(_str(raw, "qid", where), _str(raw, "field", where),  # type: ignore[arg-type]
                          _str(raw, "lang", where))
            target = _one_of(raw, "target", TARGETS, where, what="target")
            action = _one_of(raw, "action", ACTIONS, where, what="action")
            new = _opt_str(raw, "new", where)
            if (action == "set") != (new is not None):
                raise DataError(f"{where}: 'new' must be a string for set and null for delete")
            return cls(id=_str(raw, "id", where), target=target, page=_str(raw, "page", where), key=key,
                       action=action, new=new, expected=_opt_str(raw, "expected", where),
                       expected_fuzzy=bool(raw.get("expected_fuzzy", False)),
                       base_revision=_opt_int(raw, "base_revision", where),
                       base_timestamp=_opt_str(raw, "base_timestamp", where), reason=str(raw.get("reason", "")),
                       source=Source.from_json(raw.get("source"), where), outdated=raw.get("outdated") is True)
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
    conflicts: tuple[Conflict, ...] = ()
    base: tuple[tuple[TermKey, BaseTerm | None], ...] = ()
    resolved: tuple[TermKey, ...] = ()
    capacities: tuple[Capacity, ...] = ()
    notes: Mapping[str, Any] = field(default_factory=dict)
    #: Per side, when it was read (``at``: the wiki's own clock) and what the source guard needs.
    reads: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @functools.cached_property
    def id(self) -> str:
        """A content hash: the journal knows a plan (and resumes it) by this; the file carries it."""
        return _identified(self, keep=False)[0]

    @property
    def tag(self) -> str:
        """What every edit summary of this plan carries, so a killed run's writes can be recognised."""
        return plan_tag(self.id)

    @property
    def exit_code(self) -> int:
        from capxl10n.errors import EXIT_CONFLICTS, EXIT_OK, EXIT_PENDING
        if self.conflicts:
            return EXIT_CONFLICTS
        return EXIT_PENDING if self.operations else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        content = self.content_json()
        return {"format": content.pop("format"), "id": self.id, **content}

    def content_json(self, *, lists: bool = True) -> dict[str, Any]:
        """Everything but the id: what the id hashes (``lists=False``: without the five long lists)."""
        content = {
            "format": PLAN_FORMAT,
            "profile": self.profile,
            "base_generation": self.base_generation,
            "fingerprints": dict(sorted(self.fingerprints.items())),
            "reads": {side: dict(sorted(r.items())) for side, r in sorted(self.reads.items())},
            "summary": summary_counts(self),
            "notes": dict(sorted(self.notes.items())),
        }
        if lists:
            content.update({
                "operations": [op.to_json() for op in self.operations],
                "conflicts": [c.to_json() for c in self.conflicts],
                "base": [_base_json(k, b) for k, b in self.base],
                "resolved": [{"qid": k.qid, "field": k.field, "lang": k.lang} for k in self.resolved],
                "capacities": [c.to_json() for c in self.capacities],
            })
        return content


def content_hash(content: Mapping[str, Any]) -> str:
    """The id of a plan's content (its JSON without the id): canonical, so layout and key order do not count."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


#: Canonical JSON (keys sorted, compact, raw UTF-8) with json's C encoder: what the id hashes and the file holds.
_CANONICAL: Final = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_STRING: Final[Callable[[str], str]] = json.encoder.encode_basestring
_CHUNK: Final = 20_000
_R = TypeVar("_R")


def _canonical_list(rows: Sequence[_R], encode: Callable[[_R], str]) -> Iterator[bytes]:
    """The canonical JSON of a list, UTF-8, a chunk of rows at a time (``encode`` writes one row)."""
    yield b"["
    for i in range(0, len(rows), _CHUNK):
        yield (("," if i else "") + ",".join([encode(row) for row in rows[i:i + _CHUNK]])).encode("utf-8")
    yield b"]"


def _json_value(value: Any) -> str:
    """``_CANONICAL(value)``, quicker for the usual values."""
    if value is None:
        return "null"
    if type(value) is str:
        return _STRING(value)
    if type(value) is int:
        return int.__repr__(value)
    return _CANONICAL(value)


def _canonical_base(entry: tuple[TermKey, BaseTerm | None]) -> str:
    """``_CANONICAL(_base_json(*entry))``, written out (a first contact has a million of them)."""
    key, b = entry
    if b is None:
        return f'{{"drop":true,"field":"{key[1]}","lang":{_json_value(key[2])},"qid":"{key[0]}"}}'
    return "".join(('{"field":"', key[1], '","fuzzy":', _json_value(b.fuzzy), ',"lang":', _json_value(key[2]),
                    ',"metabase_rev":', _json_value(b.metabase_rev), ',"metawiki_rev":', _json_value(b.metawiki_rev),
                    ',"qid":"', key[0], '","value":', _json_value(b.text), "}"))


def _encoded(plan: Plan) -> Iterator[tuple[str, Iterator[bytes]]]:
    """The plan's content as canonical JSON, per top-level key in sorted order: the key and its value's
    UTF-8 text in chunks. The long lists are written a chunk at a time, without a dict per operation and
    base entry for the whole plan at once (a first contact of a million terms has a million base entries)."""
    content: dict[str, Iterator[bytes]] = {
        key: iter([_CANONICAL(value).encode("utf-8")]) for key, value in plan.content_json(lists=False).items()}
    content["operations"] = _canonical_list(plan.operations, lambda op: _CANONICAL(op.to_json()))
    content["conflicts"] = _canonical_list(plan.conflicts, lambda c: _CANONICAL(c.to_json()))
    content["base"] = _canonical_list(plan.base, _canonical_base)
    content["resolved"] = _canonical_list(plan.resolved,
                                          lambda k: _CANONICAL({"qid": k.qid, "field": k.field, "lang": k.lang}))
    content["capacities"] = _canonical_list(plan.capacities, lambda c: _CANONICAL(c.to_json()))
    for key in sorted(content):
        yield key, content[key]


def _identified(plan: Plan, *, keep: bool) -> tuple[str, dict[str, list[bytes]]]:
    """The plan's id (what :func:`content_hash` gives for its content, made in one pass and cached on the
    plan) and, with ``keep``, its content's canonical UTF-8 text per top-level key."""
    digest = hashlib.sha256()
    parts: dict[str, list[bytes]] = {}
    for n, (key, chunks) in enumerate(_encoded(plan)):
        digest.update(("{" if n == 0 else ",").encode() + _CANONICAL(key).encode("utf-8") + b":")
        kept = parts.setdefault(key, []) if keep else None
        for chunk in chunks:
            digest.update(chunk)
            if kept is not None:
                kept.append(chunk)
    digest.update(b"}")
    ident = digest.hexdigest()[:24]
    plan.__dict__.setdefault("id", ident)  # functools.cached_property's own slot
    return ident, parts


def plan_tag(plan_id: str) -> str:
    """``[capxl10n plan 0123456789ab]``: short enough for any summary, unique enough to find our edits."""
    return f"[capxl10n plan {plan_id[:12]}]"


def build_plan(result: MergeResult, *, profile: str, bundle_page: str, base_generation: int,
               fingerprints: Mapping[str, str], capacities: Sequence[Capacity] = (),
               bundle_revision: int | None = None, bundle_timestamp: str | None = None,
               notes: Mapping[str, Any] | None = None, sides: Mapping[str, Snapshot] | None = None,
               cursors: Mapping[str, MetabaseCursor | MetawikiCursor | None] | None = None) -> Plan:
    """Turn a merge result into a plan; operations sorted new bundle keys → items → units → English changes.

    ``sides`` are the two snapshots the merge read, ``cursors`` where each read stands: with them
    each copy names its source and the plan records when each side was read (for apply's source guard).
    """
    sides = sides or {}
    cursors = cursors or {}
    mb_cursor = cursors.get("metabase")
    item_revisions = mb_cursor.item_revisions if isinstance(mb_cursor, MetabaseCursor) else {}
    ops = [_with_source(_operation(c, bundle_page, bundle_revision, bundle_timestamp), c, sides, bundle_page,
                        bundle_revision, item_revisions) for c in result.changes]
    ops.sort(key=lambda o: (o.stage, _page_sort(o), o.key.sort_key()))
    all_notes = {
        "unaccepted_languages": list(result.unaccepted_languages),
        "removed_capacities": list(result.removed_capacities),
        "skipped_duplicates": list(result.skipped_duplicates),
        "first_contact": result.first_contact,
        **(notes or {}),
    }
    base = tuple(sorted(result.base_updates.items(), key=lambda kv: kv[0].sort_key()))
    return Plan(profile=profile, base_generation=base_generation, fingerprints=dict(fingerprints),
                operations=tuple(ops), conflicts=tuple(result.conflicts),
                base=base, resolved=tuple(sorted(result.resolved, key=TermKey.sort_key)),
                capacities=tuple(capacities), notes=all_notes, reads=_reads(sides, cursors))


def _reads(sides: Mapping[str, Snapshot], cursors: Mapping[str, MetabaseCursor | MetawikiCursor | None]
           ) -> dict[str, dict[str, Any]]:
    """When each side was read (its high-water mark: every later edit is at or after it)."""
    out: dict[str, dict[str, Any]] = {}
    for side in sides:
        read: dict[str, Any] = {}
        cursor = cursors.get(side)
        if cursor is not None and cursor.high_water:
            read["at"] = cursor.high_water
        if isinstance(cursor, MetawikiCursor) and cursor.bundle is not None:
            if cursor.bundle.namespace is not None:
                read["bundle_namespace"] = cursor.bundle.namespace
            if cursor.bundle.revision is not None:
                read["bundle_revision"] = cursor.bundle.revision
        out[side] = read
    return out


def _with_source(op: Operation, change: Change, sides: Mapping[str, Snapshot], bundle_page: str,
                 bundle_revision: int | None, item_revisions: Mapping[str, int]) -> Operation:
    """Name where a copy's value was read: the other side, which holds exactly that value.

    A decision written to one side while the other already holds it has that side as
    its source too: an edit there since the plan makes the decision stale, not written.
    A decision written to both sides has the other side as its source with the value
    it was decided on (``basis``): a human moving either side before the apply makes
    the decision stale on both (the target guard watches one, the source guard the other).
    """
    side = "metawiki" if op.target == "metabase" else "metabase"
    snapshot = sides.get(side)
    if snapshot is None:
        return op
    term = snapshot.terms.get(op.key)
    holds = (term is None) if op.new is None else \
        (term is not None and not term.fuzzy and normalize_text(term.text) == normalize_text(op.new))
    basis = None if holds else ((term.text, term.fuzzy) if term is not None else (None, False))
    if side == "metabase":
        if not change.item:
            return op
        source = Source("metabase", change.item, _item_revision(snapshot, item_revisions, change.item, op.key.qid),
                        basis)
    elif op.key.lang == SOURCE_LANGUAGE:
        source = Source("metawiki", bundle_page, bundle_revision if bundle_revision is not None
                        else term.revision if term is not None else None, basis)
    else:
        page = f"Translations:{full_message_key(bundle_page, op.key.message_key)}/{op.key.lang}"
        source = Source("metawiki", page, term.revision if term is not None else None, basis)
    return replace(op, source=source)


def _item_revision(snapshot: Snapshot, item_revisions: Mapping[str, int], item: str, qid: str) -> int | None:
    """The item's ``lastrevid`` as read (the read's cursor says; every Metabase term carries it too)."""
    known = item_revisions.get(item)
    if known is not None:
        return known
    revisions = [t.revision for k, t in snapshot.terms.items() if k.qid == qid and t.revision is not None]
    return max(revisions) if revisions else None


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
                     reason=change.reason, outdated=change.outdated)


def _base_json(key: TermKey, b: BaseTerm | None) -> dict[str, Any]:
    out: dict[str, Any] = {"qid": key.qid, "field": key.field, "lang": key.lang}
    if b is None:
        out["drop"] = True
    else:
        out.update({"value": b.text, "fuzzy": b.fuzzy, "metabase_rev": b.metabase_rev,
                    "metawiki_rev": b.metawiki_rev})
    return out


def dumps(plan: Plan) -> str:
    """The plan file's text (:func:`dump_bytes`, decoded)."""
    return dump_bytes(plan).decode("utf-8")


def dump_bytes(plan: Plan) -> bytes:
    """The plan file's bytes: compact JSON in UTF-8 (the format and the id first, then the content, every
    value canonical: keys sorted), one trailing newline.

    Canonical and compact, with json's C code: the id hashes the same text without the id, and both
    come from one encoding of the plan (a plan of a million base entries is written in seconds, as bytes:
    text holding one character beyond the BMP would take four bytes per character as a Python string).
    Files written with another layout (older versions indented them) load the same: the id hashes the
    content, not the layout."""
    ident, parts = _identified(plan, keep=True)
    parts["id"] = [_CANONICAL(ident).encode("utf-8")]
    order = ["format", "id", *(key for key in _CONTENT_ORDER if key in parts and key != "format")]
    order += sorted(set(parts) - set(order))  # a key added to the content later is never left out
    out = [b"{"]
    for n, key in enumerate(order):
        out.append((b"," if n else b"") + _CANONICAL(key).encode("utf-8") + b":")
        out.extend(parts.pop(key))
    out.append(b"}\n")
    return b"".join(out)


#: The file's top-level keys in the order a reader meets them: the format and the id first.
_CONTENT_ORDER: Final = ("format", "profile", "base_generation", "fingerprints", "reads", "summary", "operations",
                         "conflicts", "base", "resolved", "capacities", "notes")


def loads(text: str, *, origin: str = "plan") -> Plan:
    """Parse a plan file, naming the file and the position of anything wrong."""
    data = strictjson.loads(text, origin=origin,
                            malformed_hint="the plan was edited or truncated; make a new one with `capxl10n plan`",
                            duplicate_hint="a plan capxl10n wrote has each key once: it was edited; make a new one "
                                           "with `capxl10n plan`")
    if not isinstance(data, dict):
        raise DataError(f"{origin}: expected a JSON object at the top level")
    if data.get("format") in OLD_FORMATS:
        raise UsageError(f"{origin}: plan format {data.get('format')!r} is from an older capxl10n "
                         "(no content hash, no sources)", hint="make a new plan with `capxl10n plan -o …`")
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
        conflicts = tuple(Conflict.from_json(c) for c in data.get("conflicts", []))
        generation = int(data.get("base_generation", 0))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{origin}: malformed plan section ({type(exc).__name__}: {exc})",
                        hint="make a new plan with `capxl10n plan`") from None
    fingerprints = data.get("fingerprints") or {}
    reads = data.get("reads") or {}
    if not isinstance(reads, dict) or not all(isinstance(r, dict) for r in reads.values()):
        raise DataError(f"{origin}: 'reads' must map each side to an object")
    plan = Plan(profile=profile, base_generation=generation, fingerprints=dict(fingerprints), operations=ops,
                conflicts=conflicts, base=base, resolved=resolved, capacities=capacities,
                notes=dict(data.get("notes") or {}), reads={side: dict(r) for side, r in reads.items()})
    _check_hash(data, plan, origin)
    return plan


def _check_hash(data: Mapping[str, Any], plan: Plan, origin: str) -> None:
    """Refuse a plan whose content is not what its id says: edited by hand, or not made by capxl10n."""
    recorded = data.get("id")
    if not isinstance(recorded, str):
        raise DataError(f"{origin}: the plan has no content hash ('id')",
                        hint="make a new plan with `capxl10n plan -o …`")
    actual = content_hash({k: v for k, v in data.items() if k != "id"})
    if actual != recorded:
        raise DataError(f"{origin} was changed after it was made (content hash {actual} ≠ {recorded})",
                        hint="a plan is applied only as it was made; make a new plan with `capxl10n plan -o …`")
    if plan.id != recorded:
        raise DataError(f"{origin}: the plan does not read back as it was written (content hash {plan.id} ≠ "
                        f"{recorded})", hint="make a new plan with this capxl10n: `capxl10n plan -o …`")


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
        "conflicts_per_language": dict(sorted(Counter(c.key.lang for c in plan.conflicts).items())),
    }


def render_summary(plan: Plan, *, first: int = SUMMARY_FIRST, skip_notes: Collection[str] = (),
                   recorded: bool = True) -> str:
    """The human summary: what would be written where, the first changes, conflicts, notes.

    ``skip_notes`` names notes left out (the CLI's unchanged notices, shown again only with ``-v``);
    ``recorded=False`` (a dry run) shows the conflicts as found, not as in the inbox.
    """
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
        grouped = by_language_and_kind(plan.conflicts)
        where = ("a human decides: `capxl10n conflicts`; in bulk: `capxl10n conflicts resolve --lang L --take "
                 "metabase|metawiki`" if recorded else
                 "found by this dry run, which records nothing: those not in the inbox yet are pending until "
                 "`capxl10n plan` or `sync` records them")
        lines.append(f"conflicts: {len(plan.conflicts)} in {len(grouped['by_language'])} language(s) ({where})")
        if len(plan.conflicts) > 1:
            lines.extend(render_counts(grouped))
        for c in plan.conflicts[:first]:
            m = c.metabase.text if c.metabase else None
            w = c.metawiki.text if c.metawiki else None
            lines.append(f"  {c.key.message_key}/{c.key.lang}: metabase {_short(m)} vs metawiki {_short(w)}"
                         f" (base {_short(c.base)})" + (f": {c.reason}" if kind(c) == "value-refused" else ""))
        if len(plan.conflicts) > first:
            lines.append(f"  … and {len(plan.conflicts) - first} more")
    notes = {k: v for k, v in plan.notes.items() if k not in skip_notes}
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


Word = TypeVar("Word", bound=str)


def _one_of(raw: Mapping[str, Any], name: str, choices: tuple[Word, ...], where: str, *, what: str) -> Word:
    value = _str(raw, name, where)
    if value not in choices:
        raise DataError(f"{where}: unknown {what} {value!r}", hint=f"one of {', '.join(choices)}")
    return choices[choices.index(value)]


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
