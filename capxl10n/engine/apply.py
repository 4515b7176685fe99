"""Apply a plan: guarded, grouped, journaled writes that never write the same thing twice.

Grouping (docs/sync.md, "plan, apply, sync"): one ``wbeditentity`` per Metabase item, one edit per
Meta-Wiki unit page, and up to two edits of the bundle source page: keys it
lacks first (so they exist before their translations), English it holds last
(Translate then outdates every translation of a changed message, including the
ones just written: none written against the old English can show as current).

Guards: every write carries the base revision the plan read. When the target
moved, it is re-read; an operation is retried on the new revision only if its
term still holds the value the plan expected; a term that already holds the new
value is done without a write; anything else becomes a conflict for a human.

Sources: a copy is written only while its source still holds the value
(:mod:`capxl10n.engine.sources`); one whose source a human changed since the plan is
*stale*: skipped, journaled, reported, and merged afresh by the next sync.

Journal: each operation is marked ``sent`` (committed to SQLite) before its
request goes out and ``done`` after; a request that got no answer (a network
error) stays ``sent``. Every write's summary carries the plan's tag, so a
rerun of the same plan first finds which ``sent`` writes landed
(:mod:`capxl10n.engine.recover`, one read per page in flight), then re-reads the
targets of the rest and writes only what is missing: no write is made twice.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from capxl10n.wikis.http import PageHistory
from capxl10n.errors import (AuthError, BadTokenError, EditConflictError, NetworkError, NotJSONError,
                             PermissionDeniedError, RemoteError, StateError, UsageError, ValidationError)
from capxl10n.core.merge import Conflict
from capxl10n.core.model import Term, TermKey, normalize_text
from capxl10n.core.plan import Operation, Plan, dumps
from capxl10n.engine.recover import RECOVERED, base_moves, clear_finished_conflicts, find_landed, outdated_messages
from capxl10n.engine.sources import stale_sources
from capxl10n.engine.state import State

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
#: The tag comes first: wikis cut long summaries at the end (Wikibase after its own autocomment).
SUMMARY = "{tag} capxl10n sync: {reason}"
#: Errors after which no further write can succeed in this run.
FATAL = (AuthError, BadTokenError)
#: Errors without an answer from the wiki: the request may have landed.
UNANSWERED = (NetworkError, NotJSONError)


class MetabaseWriter(Protocol):
    def read_item(self, item: str) -> tuple[int, dict[tuple[str, str], str]]: ...
    def page_history(self, item: str, since: str | None = None) -> PageHistory: ...
    def edit_item(self, item: str, *, labels: Mapping[str, str | None], descriptions: Mapping[str, str | None],
                  baserevid: int, summary: str) -> Any: ...


class MetawikiWriter(Protocol):
    def read_bundle(self) -> Any: ...
    def read_unit(self, key: TermKey) -> tuple[Term | None, int | None, str | None]: ...
    def page_history(self, title: str, since: str | None = None) -> PageHistory: ...
    def save_unit(self, key: TermKey, text: str, *, fuzzy: bool = False, baserevid: int | None,
                  basetimestamp: str | None, create: bool, summary: str) -> Any: ...
    def delete_unit(self, key: TermKey, *, summary: str) -> Any: ...
    def save_bundle(self, messages: Mapping[str, str], *, baserevid: int | None, basetimestamp: str | None,
                    summary: str) -> Any: ...


@dataclass
class Writers:
    """The two write clients (real ones from :func:`capxl10n.engine.sync.make_writers`, or fakes in tests)."""

    metabase: MetabaseWriter
    metawiki: MetawikiWriter
    requests: Callable[[], int] = lambda: 0


@dataclass(frozen=True)
class Written:
    """One write this run made and what the wiki answered: the read cache absorbs it (pull.absorb_writes).

    ``revision`` is the new revision (None for ``nochange``); ``patched`` means
    Wikibase merged our edit with someone else's (``wikibase-conflict-patched``):
    the revision is ours but the content is not only ours, so it must be re-read.
    """

    target: str
    page: str
    op_ids: tuple[str, ...]
    revision: int | None
    nochange: bool = False
    patched: bool = False
    timestamp: str | None = None


@dataclass
class ApplyResult:
    plan_id: str
    resumed: bool
    done: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # done by a write of this run (not found done)
    conflicts: list[Conflict] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    writes: list[Written] = field(default_factory=list)  # every answered write, in order
    stale: dict[str, str] = field(default_factory=dict)  # skipped: the source changed since the plan
    recovered: list[str] = field(default_factory=list)  # found written by an interrupted run of the plan

    @property
    def complete(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan_id, "resumed": self.resumed, "done": len(self.done),
                "written": len(self.written), "conflicts": len(self.conflicts),
                "failed": dict(sorted(self.failed.items())), "stale": dict(sorted(self.stale.items())),
                "recovered": len(self.recovered), "requests": self.requests}


def check_plan(plan: Plan, profile_name: str, state: State) -> bool:
    """Refuse another profile's plan or a stale one; True when this plan is being resumed."""
    if plan.profile != profile_name:
        raise UsageError(f"this plan was made for profile {plan.profile!r}, not {profile_name!r}",
                         hint=f"apply it with --profile {plan.profile}, or make a new plan")
    status = state.plan_status(plan.id)
    if status == RECOVERED:
        raise StateError("stale plan: its apply was interrupted and a later run recovered what it wrote",
                         hint="make a new plan with `capxl10n plan`")
    if status is not None:
        return True
    if plan.base_generation != state.base_generation:
        raise StateError("stale plan: the base moved since it was made (another apply or sync ran)",
                         hint="make a new plan with `capxl10n plan`")
    return False


def apply_plan(plan: Plan, state: State, writers: Writers, *, profile_name: str) -> ApplyResult:
    """Execute ``plan`` through ``writers``; journal, guard, and move the base for what was done."""
    resumed = check_plan(plan, profile_name, state)
    if not resumed:
        state.register_plan(plan.id, plan.profile, dumps(plan), (op.id for op in plan.operations))
    result = ApplyResult(plan.id, resumed)
    journal = state.journal(plan.id)
    # Copies an earlier run of this plan skipped stay skipped: applying it again still reports them.
    result.stale = {op_id: row[3] or "its source changed since the plan" for op_id, row in journal.items()
                    if row[0] == "stale"}
    if state.plan_status(plan.id) == "done":
        log.info("plan %s was already applied completely: nothing to do", plan.id)
        result.done = [op.id for op in plan.operations if journal.get(op.id, ("",))[0] == "done"]
        return result
    runner = _Runner(plan, state, writers, result, journal)
    start = writers.requests()
    interrupted = True
    try:
        if resumed:
            runner.recover()
        runner.check_sources()
        for group, ops in _groups(plan.operations):
            if ops[0].changes_english:
                ops = runner.hold_back_english(ops)
            runner.run_group(group, ops)
        interrupted = False
    finally:
        result.requests = writers.requests() - start
        _finish(plan, state, result, interrupted=interrupted)
    return result


def _groups(ops: Sequence[Operation]) -> list[tuple[str, list[Operation]]]:
    groups: dict[str, list[Operation]] = {}
    for op in ops:
        groups.setdefault(op.group, []).append(op)
    return list(groups.items())


def _same(a: str | None, b: str | None) -> bool:
    na = normalize_text(a) or None if a is not None else None
    nb = normalize_text(b) or None if b is not None else None
    return na == nb


@dataclass
class _Runner:
    plan: Plan
    state: State
    writers: Writers
    result: ApplyResult
    journal: dict[str, tuple[str, int, int | None, str | None]]

    # -- bookkeeping -----------------------------------------------------------------------
    def status(self, op: Operation) -> str:
        return self.journal.get(op.id, ("pending", 0, None, None))[0]

    def summary(self, reason: str) -> str:
        return SUMMARY.format(tag=self.plan.tag, reason=reason)

    def recover(self) -> None:
        """A resumed plan: writes of the interrupted run that landed are done (found by their tag)."""
        landed = find_landed(self.plan, self.journal, self.writers)
        by_id = {op.id: op for op in self.plan.operations}
        for op_id, revision in sorted(landed.items()):
            self.done([by_id[op_id]], revision, written=False)
            self.result.recovered.append(op_id)

    def check_sources(self) -> None:
        """Skip copies whose source changed since the plan (journaled ``stale``; the next sync re-merges)."""
        todo = [op for op in self.plan.operations if self.status(op) in ("pending", "sent", "failed")]
        ours = {int(row[2]) for row in self.journal.values() if row[0] == "done" and row[2] is not None}
        stale = stale_sources(self.plan, todo, self.writers, ours=ours)
        by_id = {op.id: op for op in todo}
        for op_id, why in sorted(stale.items()):
            self.mark([by_id[op_id]], "stale", detail=why)
            self.result.stale[op_id] = why
            log.warning("source guard: %s not written: %s", op_id, why,
                        extra={"event": {"phase": "apply", "stale": op_id}})

    def mark(self, ops: Iterable[Operation], status: str, *, revision: int | None = None,
             detail: str | None = None) -> None:
        ops = list(ops)
        if not ops:
            return
        self.state.mark(self.plan.id, [o.id for o in ops], status, revision=revision, detail=detail)
        for op in ops:
            old = self.journal.get(op.id, ("pending", 0, None, None))
            self.journal[op.id] = (status, old[1] + (status == "sent"), revision or old[2], detail)

    def record(self, ops: Sequence[Operation], res: Any) -> None:
        """Remember a write's answer so the read cache can reflect it without reading it back."""
        if res is None or not ops:
            return
        self.result.writes.append(Written(
            target=ops[0].target, page=ops[0].page, op_ids=tuple(o.id for o in ops),
            revision=getattr(res, "revision", None), nochange=bool(getattr(res, "nochange", False)),
            patched=bool(getattr(res, "patched", False)), timestamp=getattr(res, "timestamp", None)))

    def done(self, ops: Iterable[Operation], revision: int | None, *, written: bool) -> None:
        ops = list(ops)
        self.mark(ops, "done", revision=revision)
        if written:
            self.result.written.extend(o.id for o in ops)

    def conflict(self, op: Operation, current: str | None, current_fuzzy: bool = False) -> None:
        """The target changed under the plan: record it for a human, write nothing."""
        seen = Term(current, fuzzy=current_fuzzy, side=op.target if op.target != "bundle" else "metawiki") \
            if current is not None else None
        planned = Term(op.new, side="metawiki" if op.target == "metabase" else "metabase") \
            if op.new is not None else None
        m, w = (seen, planned) if op.target == "metabase" else (planned, seen)
        reason = f"{op.target} changed after the plan was made (guard)"
        # Shown in the inbox, not kept open by itself: the next merge reads the newer value and decides
        # afresh with the base (a genuine conflict comes back, sticky; a first contact follows the
        # policy; a unit the plan could not see, its key missing from the bundle, is merged at last).
        self.result.conflicts.append(Conflict(op.key, op.expected, op.expected is not None, m, w, reason,
                                              sticky=False))
        self.mark([op], "conflict", detail=f"now {current!r}")
        log.warning("guard: %s %s/%s changed since the plan; not overwritten", op.target, op.key.message_key,
                    op.key.lang, extra={"event": {"phase": "apply", "guard": op.id}})

    def failed(self, ops: Iterable[Operation], exc: Exception) -> None:
        """Record a failure; an unanswered request may have landed, so its operations stay ``sent``."""
        ops = list(ops)
        text = str(exc).splitlines()[0]
        unanswered = isinstance(exc, UNANSWERED)
        self.mark([op for op in ops if not (unanswered and self.status(op) == "sent")], "failed", detail=text)
        for op in ops:
            self.result.failed[op.id] = text
        log.error("apply: %s", text, extra={"event": {"phase": "apply", "error": type(exc).__name__,
                                                      "operations": [o.id for o in ops]}})

    def classify(self, ops: Sequence[Operation], current: Callable[[Operation], tuple[str | None, bool]],
                 revision: int | None) -> list[Operation]:
        """Split ops by what the target holds now: done, still expected (returned), or a conflict."""
        keep = []
        for op in ops:
            text, fuzzy = current(op)
            if _same(text, op.new) and (fuzzy == op.outdated or op.new is None or op.target == "bundle"):
                self.done([op], revision, written=False)
            elif op.action == "delete" and fuzzy and text is not None and op.target == "metawiki" \
                    and self.status(op) == "sent":
                self.done([op], revision, written=False)  # our fuzzy fallback for a deletion landed
            elif _same(text, op.expected):
                keep.append(op)
            else:
                self.conflict(op, text, fuzzy)
        return keep

    # -- groups ----------------------------------------------------------------------------
    def hold_back_english(self, ops: list[Operation]) -> list[Operation]:
        """English changes whose message still has a translation to write wait: sent first, they would have
        Translate outdate the units, and the translation written later would pass for one of the new English."""
        waiting = {op.key.message_key for op in self.plan.operations
                   if op.target == "metawiki" and self.status(op) not in ("done", "conflict", "stale")}
        held = [op for op in ops if op.key.message_key in waiting and self.status(op) != "done"]
        if held:
            self.mark(held, "failed", detail="held back: a translation of this message was not written")
            for op in held:
                self.result.failed[op.id] = "held back until the message's translations are written"
            log.warning("apply: %d English change(s) held back until their translations are written", len(held),
                        extra={"event": {"phase": "apply", "held": [op.id for op in held]}})
        return [op for op in ops if op not in held]

    def run_group(self, group: str, ops: list[Operation]) -> None:
        todo = [op for op in ops if self.status(op) not in ("done", "conflict", "stale")]
        for op in ops:
            if self.status(op) == "done":
                self.result.done.append(op.id)
        if not todo:
            return
        target = todo[0].target
        try:
            if target == "metabase":
                self._item(todo)
            elif target == "bundle":
                self._bundle(todo)
            else:
                for op in todo:
                    self._unit(op)
        except FATAL:
            raise
        except RemoteError as exc:
            self.failed([op for op in todo if self.status(op) not in ("done", "conflict", "stale")], exc)
        self.result.done.extend(op.id for op in todo if self.status(op) == "done")

    def _item(self, ops: list[Operation]) -> None:
        item = ops[0].page
        api = self.writers.metabase
        revision = ops[0].base_revision
        pending = ops
        if revision is None or any(self.status(op) in ("sent", "failed") for op in ops):
            revision, terms = api.read_item(item)
            pending = self.classify(pending, lambda o: (terms.get((o.key.field, o.key.lang)), False), None)
        for _attempt in range(MAX_ATTEMPTS):
            if not pending:
                return
            labels = {o.key.lang: o.new for o in pending if o.key.field == "label"}
            descriptions = {o.key.lang: o.new for o in pending if o.key.field == "description"}
            self.mark(pending, "sent")
            try:
                res = api.edit_item(item, labels=labels, descriptions=descriptions, baserevid=int(revision or 0),
                                    summary=self.summary(_reasons(pending)))
            except EditConflictError:
                log.info("edit conflict on %s: re-reading", item)
            except ValidationError as exc:
                if len(pending) > 1:
                    self.mark(pending, "pending")  # refused as a whole: none of it was saved
                    for op in pending:  # find the term Metabase refuses; the others still go through
                        revision = self._item_single(op, revision)
                    return
                self.rejected(pending[0], exc)
                return
            else:
                self.record(pending, res)
                self.done(pending, getattr(res, "revision", None), written=not getattr(res, "nochange", False))
                return
            revision, terms = api.read_item(item)
            pending = self.classify(pending, lambda o: (terms.get((o.key.field, o.key.lang)), False), None)
        if pending:
            raise EditConflictError(f"{item} kept changing during {MAX_ATTEMPTS} attempts", site="metabase",
                                    term=item, hint="rerun apply later")

    def _item_single(self, op: Operation, revision: int | None) -> int | None:
        """Write one term alone; returns the item's revision after it (the next single edit's base)."""
        api = self.writers.metabase
        self.mark([op], "sent")  # one term per request now: the journal says which one may have landed
        try:
            res = api.edit_item(op.page, labels={op.key.lang: op.new} if op.key.field == "label" else {},
                                descriptions={op.key.lang: op.new} if op.key.field == "description" else {},
                                baserevid=int(revision or 0), summary=self.summary(op.reason))
        except ValidationError as exc:
            self.rejected(op, exc)
        except EditConflictError:
            rev, terms = api.read_item(op.page)
            if self.classify([op], lambda o: (terms.get((o.key.field, o.key.lang)), False), None):
                return self._item_single(op, rev)
            return rev
        else:
            self.record([op], res)
            self.done([op], getattr(res, "revision", None), written=not getattr(res, "nochange", False))
            new_rev = getattr(res, "revision", None)
            return int(new_rev) if new_rev is not None and not getattr(res, "nochange", False) else revision
        return revision

    def rejected(self, op: Operation, exc: ValidationError) -> None:
        """Metabase refused the value itself: a human must change it; never retried blindly."""
        reason = f"metabase refused the value: {exc.message} ({exc.code or 'validation'})"
        other = Term(op.new, side="metawiki") if op.new is not None else None
        current = Term(op.expected, side="metabase") if op.expected is not None else None
        self.result.conflicts.append(Conflict(op.key, op.expected, op.expected is not None, current, other, reason))
        self.mark([op], "conflict", detail=reason)

    def _unit(self, op: Operation) -> None:
        api = self.writers.metawiki
        revision, timestamp = op.base_revision, op.base_timestamp
        create = op.expected is None
        if self.status(op) in ("sent", "failed"):
            term, revision, timestamp = api.read_unit(op.key)
            if not self.classify([op], lambda o: (term.text if term else None, bool(term and term.fuzzy)),
                                 revision):
                return
            create = term is None
        for _attempt in range(MAX_ATTEMPTS):
            self.mark([op], "sent")
            summary = self.summary(op.reason)
            try:
                if op.new is None:
                    res = self._delete_unit(op, revision, timestamp, summary)
                else:
                    res = api.save_unit(op.key, op.new, fuzzy=op.outdated, baserevid=revision,
                                        basetimestamp=timestamp, create=create, summary=summary)
            except EditConflictError:
                log.info("edit conflict on %s: re-reading", op.page)
            except ValidationError as exc:
                if exc.code != "articleexists":
                    raise
            else:
                self.record([op], res)
                self.done([op], getattr(res, "revision", None), written=not getattr(res, "nochange", False))
                return
            term, revision, timestamp = api.read_unit(op.key)
            if not self.classify([op], lambda o: (term.text if term else None, bool(term and term.fuzzy)),
                                 revision):
                return
            create = term is None
        raise EditConflictError(f"{op.page} kept changing during {MAX_ATTEMPTS} attempts", site="metawiki",
                                term=op.key, hint="rerun apply later")

    def _delete_unit(self, op: Operation, revision: int | None, timestamp: str | None, summary: str) -> Any:
        api = self.writers.metawiki
        try:
            return api.delete_unit(op.key, summary=summary)
        except PermissionDeniedError:
            # Bot passwords rarely may delete: mark the unit outdated instead. Fuzzy text is never
            # copied back nor counted as translated, so the deletion still holds (a tombstone).
            if op.expected is None:
                raise
            log.info("no delete right on Meta-Wiki: marking %s outdated instead", op.page)
            return api.save_unit(op.key, op.expected, fuzzy=True, baserevid=revision, basetimestamp=timestamp,
                                 create=False, summary=summary + " (outdated; deletion needs a sysop)")

    def _bundle(self, ops: list[Operation]) -> None:
        api = self.writers.metawiki
        pending = ops
        for _attempt in range(MAX_ATTEMPTS):
            bundle = api.read_bundle()
            messages: dict[str, str] = dict(bundle.messages)
            pending = self.classify(pending, lambda o: (messages.get(o.key.message_key), False),
                                    getattr(bundle, "revision", None))
            if not pending:
                return
            for op in pending:
                if op.new is None:
                    messages.pop(op.key.message_key, None)
                else:
                    messages[op.key.message_key] = op.new
            self.mark(pending, "sent")
            try:
                res = api.save_bundle(messages, baserevid=getattr(bundle, "revision", None),
                                      basetimestamp=getattr(bundle, "timestamp", None),
                                      summary=self.summary(_reasons(pending)))
            except EditConflictError:
                log.info("edit conflict on the bundle: re-reading")
                continue
            self.record(pending, res)
            self.done(pending, getattr(res, "revision", None), written=not getattr(res, "nochange", False))
            return
        raise EditConflictError(f"the bundle kept changing during {MAX_ATTEMPTS} attempts", site="metawiki",
                                hint="rerun apply later")


def _reasons(ops: Sequence[Operation]) -> str:
    reasons = sorted({op.reason for op in ops})
    langs = sorted({op.key.lang for op in ops})
    text = "; ".join(reasons)
    return f"{text} [{', '.join(langs[:8])}{'…' if len(langs) > 8 else ''}]"


def _finish(plan: Plan, state: State, result: ApplyResult, *, interrupted: bool = False) -> None:
    """Move the base for every term whose operations are all done; record apply-time conflicts."""
    journal = state.journal(plan.id)
    # A first contact that did not complete keeps only what it wrote: what it found agreed (a term absent
    # on both sides, say) is for the run that completes it to find again, under the first-contact policy.
    # Skipped stale copies do not make it incomplete: their keys stay a first contact (see stale_keys).
    complete = not (result.failed or interrupted)
    updates, finished = base_moves(plan, journal, agreed=complete or not plan.notes.get("first_contact"))
    state.update_base(updates, plan.capacities)
    state.outdate_translations(outdated_messages(plan, journal))
    if result.conflicts:
        state.record_conflicts(result.conflicts, replace_all=False)
    clear_finished_conflicts(plan, state, finished)
    state.set_plan_status(plan.id, "done" if not (result.failed or interrupted) else "partial")
    state.prune_plans()
