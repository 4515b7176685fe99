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
One loop does this for every page (``_Runner.write_guarded``); a ``_Target`` per
kind of page (``_Item``, ``_UnitPage``, ``_BundlePage``) says how to read it, how
to send a write, and what a refusal means there.

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
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from capxl10n.wikis.http import PageHistory
from capxl10n.wikis.results import WriteResult
from capxl10n.errors import (AuthError, BadTokenError, DataError, EditConflictError, NetworkError, NotJSONError,
                             PermissionDeniedError, RemoteError, StateError, UsageError, ValidationError)
from capxl10n.core.cursors import Bundle
from capxl10n.core.merge import Conflict
from capxl10n.core.model import SOURCE_LANGUAGE, Term, TermKey, same_value
from capxl10n.core.plan import Operation, Plan, dump_bytes
from capxl10n.engine.journal import PENDING, JournalRow, JournalStatus as Status, PlanStatus
from capxl10n.engine.progress import ALL, Progress, Step, task_of
from capxl10n.engine.recover import (RECOVERED, base_moves, find_landed, record_outdating, settle_decisions,
                                     unsure_conflict)
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
                  baserevid: int, summary: str) -> WriteResult: ...
    def terms_at(self, revision: int) -> dict[tuple[str, str], str]: ...


class MetawikiWriter(Protocol):
    def read_bundle(self) -> Bundle: ...
    def read_unit(self, key: TermKey) -> tuple[Term | None, int | None, str | None]: ...
    def page_history(self, title: str, since: str | None = None) -> PageHistory: ...
    def save_unit(self, key: TermKey, text: str, *, fuzzy: bool = False, baserevid: int | None,
                  basetimestamp: str | None, create: bool, summary: str) -> WriteResult: ...
    def delete_unit(self, key: TermKey, *, summary: str) -> WriteResult: ...
    def save_bundle(self, bundle: Bundle, messages: Mapping[str, str], *, summary: str) -> WriteResult: ...


@dataclass
class Writers:
    """The two write clients (real ones from :func:`capxl10n.engine.sync.make_writers`, or fakes in tests)."""

    metabase: MetabaseWriter
    metawiki: MetawikiWriter
    requests: Callable[[], int] = lambda: 0


@dataclass(frozen=True)
class Written:
    """One write this run made and what the wiki answered: the read cache absorbs it (engine.absorb)."""

    target: str
    page: str
    op_ids: tuple[str, ...]
    answer: WriteResult


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
    #: The signal that stopped this apply between two writes (``SIGINT``, ``SIGTERM``); None if it was not.
    interrupted: str | None = None
    left: list[str] = field(default_factory=list)  # not attempted: an interruption stopped the apply first
    #: English writes patched over another edit: op id → the item's terms as our revision stored them.
    translations_left: dict[str, Mapping[tuple[str, str], str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.failed and self.interrupted is None

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan_id, "resumed": self.resumed, "done": len(self.done),
                "written": len(self.written), "conflicts": len(self.conflicts),
                "failed": dict(sorted(self.failed.items())), "stale": dict(sorted(self.stale.items())),
                "recovered": len(self.recovered), "requests": self.requests,
                **({"interrupted": self.interrupted, "left": len(self.left)} if self.interrupted else {})}


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


#: Asked between two writes: the name of the signal asking the run to stop (``SIGINT``…), or None.
Stop = Callable[[], "str | None"]


class _Stopped(Exception):
    """Raised between two writes when ``stop`` asks: the write in flight was finished and journaled."""


def apply_plan(plan: Plan, state: State, writers: Writers, *, profile_name: str,
               stop: Stop | None = None, progress: Progress | None = None) -> ApplyResult:
    """Execute ``plan`` through ``writers``; journal, guard, and move the base for what was done.

    ``stop`` is asked before every write: once it names a signal, the apply ends there (the write
    in flight was answered and journaled), ``result.interrupted`` names the signal and
    ``result.left`` the operations not attempted; the base moves for what was done, and the plan
    is ``partial``: a rerun (or the next sync's recovery) takes over the rest. ``progress`` hears of
    every write per task (:mod:`capxl10n.engine.progress`).
    """
    resumed = check_plan(plan, profile_name, state)
    if not resumed:
        state.register_plan(plan.id, plan.profile, dump_bytes(plan), (op.id for op in plan.operations))
    result = ApplyResult(plan.id, resumed)
    journal = state.journal(plan.id)
    # Copies an earlier run of this plan skipped stay skipped: applying it again still reports them.
    result.stale = {op_id: row.detail or "its source changed since the plan" for op_id, row in journal.items()
                    if row.status == Status.STALE}
    if state.plan_status(plan.id) == PlanStatus.DONE:
        log.info("plan %s was already applied completely: nothing to do", plan.id)
        result.done = [op.id for op in plan.operations if journal.get(op.id, PENDING).status == Status.DONE]
        return result
    runner = _Runner(plan, state, writers, result, journal, stop, progress)
    start = writers.requests()
    interrupted = True
    try:
        if resumed:
            runner.recover()
        runner.check_sources()
        runner.count_writes()
        for group, ops in _groups(plan.operations):
            task = task_of(ops[0].target)
            counted = task != "metawiki" and any(runner.status(op) not in SETTLED for op in ops)
            runner.start_task(task)
            if ops[0].changes_english:
                ops = runner.hold_back_english(ops)
            runner.run_group(group, ops)
            if counted:  # one write per item or bundle edit (unit pages tick one by one)
                runner.tick(task)
        interrupted = False
    except _Stopped:
        result.left = [op.id for op in plan.operations if runner.status(op) not in (*SETTLED, Status.FAILED)]
        log.info("apply stopped by %s: %d operation(s) done, %d left for the next run", result.interrupted,
                    len(result.done), len(result.left),
                    extra={"event": {"phase": "apply", "interrupted": result.interrupted, "left": len(result.left)}})
    finally:
        result.requests = writers.requests() - start
        _finish(plan, state, result, interrupted=interrupted)
    return result


def _groups(ops: Sequence[Operation]) -> list[tuple[str, list[Operation]]]:
    groups: dict[str, list[Operation]] = {}
    for op in ops:
        groups.setdefault(op.group, []).append(op)
    return list(groups.items())


#: What a target holds now for an operation: (text or None, outdated).
Current = Callable[[Operation], tuple[str | None, bool]]
#: Statuses an operation never leaves in this run.
SETTLED = (Status.DONE, Status.CONFLICT, Status.STALE)


@dataclass
class _Runner:
    plan: Plan
    state: State
    writers: Writers
    result: ApplyResult
    journal: dict[str, JournalRow]
    stop: Stop | None = None
    progress: Progress | None = None
    totals: Counter[str] = field(default_factory=Counter)
    ticks: Counter[str] = field(default_factory=Counter)
    started: set[str] = field(default_factory=set)

    # -- bookkeeping -----------------------------------------------------------------------
    def count_writes(self) -> None:
        """How many writes each task will make (a Metabase item, a unit page, a bundle edit), reported first."""
        for _group, ops in _groups(self.plan.operations):
            todo = [op for op in ops if self.status(op) not in SETTLED]
            if todo:
                task = task_of(ops[0].target)
                self.totals[task] += len(todo) if task == "metawiki" else 1
        if self.progress is not None:
            self.progress(Step("apply", ALL, 0, sum(self.totals.values())))

    def start_task(self, task: str) -> None:
        """The first write of ``task`` is next: its progress starts at 0."""
        if self.progress is not None and self.totals[task] and not self.ticks[task] and task not in self.started:
            self.started.add(task)
            self.progress(Step("apply", task, 0, self.totals[task]))

    def tick(self, task: str, n: int = 1) -> None:
        """``n`` more writes of ``task`` settled (written, found in place, a conflict, failed)."""
        if n <= 0 or not self.totals[task]:
            return
        self.ticks[task] = min(self.totals[task], self.ticks[task] + n)
        if self.progress is not None:
            self.progress(Step("apply", task, self.ticks[task], self.totals[task]))

    def checkpoint(self) -> None:
        """Between two writes: end the apply here if a signal asked it to stop."""
        signal_name = self.stop() if self.stop is not None else None
        if signal_name:
            self.result.interrupted = signal_name
            raise _Stopped(signal_name)

    def status(self, op: Operation) -> str:
        return self.journal.get(op.id, PENDING).status

    def summary(self, reason: str) -> str:
        return SUMMARY.format(tag=self.plan.tag, reason=reason)

    def recover(self) -> None:
        """A resumed plan: writes of the interrupted run that landed are done (found by their tag); those
        whose unit a human deleted meanwhile are asked, never written again."""
        landing = find_landed(self.plan, self.journal, self.writers)
        by_id = {op.id: op for op in self.plan.operations}
        for op_id, revision in sorted(landing.landed.items()):
            self.done([by_id[op_id]], revision, written=False)
            self.result.recovered.append(op_id)
        for op in landing.unsure:
            self.result.conflicts.append(unsure_conflict(op))
            self.mark([op], Status.CONFLICT, detail="unit deleted while the write was in flight")

    def check_sources(self) -> None:
        """Skip copies whose source changed since the plan (journaled ``stale``; the next sync re-merges)."""
        todo = [op for op in self.plan.operations if self.status(op) in (Status.PENDING, Status.SENT, Status.FAILED)]
        ours = {int(row.revision) for row in self.journal.values()
                if row.status == Status.DONE and row.revision is not None}
        stale = stale_sources(self.plan, todo, self.writers, ours=ours)
        by_id = {op.id: op for op in todo}
        for op_id, why in sorted(stale.items()):
            self.mark([by_id[op_id]], Status.STALE, detail=why)
            self.result.stale[op_id] = why
            log.warning("source guard: %s not written: %s", op_id, why,
                        extra={"event": {"phase": "apply", "stale": op_id}})

    def mark(self, ops: Iterable[Operation], status: Status, *, revision: int | None = None,
             detail: str | None = None) -> None:
        ops = list(ops)
        if not ops:
            return
        self.state.mark(self.plan.id, [o.id for o in ops], status, revision=revision, detail=detail)
        for op in ops:
            old = self.journal.get(op.id, PENDING)
            self.journal[op.id] = JournalRow(status, old.attempts + (status == Status.SENT), revision or old.revision,
                                             detail)

    def record(self, ops: Sequence[Operation], answer: WriteResult) -> None:
        """Remember a write's answer so the read cache can reflect it without reading it back."""
        if ops:
            self.result.writes.append(Written(ops[0].target, ops[0].page, tuple(o.id for o in ops), answer))

    def done(self, ops: Iterable[Operation], revision: int | None, *, written: bool) -> None:
        ops = list(ops)
        self.mark(ops, Status.DONE, revision=revision)
        if written:
            self.result.written.extend(o.id for o in ops)
        for op in ops:  # one line per operation (shown with -v)
            log.log(logging.INFO if written else logging.DEBUG, "%s %s %s/%s: %s", "wrote" if written else
                    "already in place:", op.target, op.key.message_key, op.key.lang,
                    "(deleted)" if op.new is None else _shown(op.new),
                    extra={"event": {"phase": "apply", "op": op.id, "target": op.target, "written": written,
                                     "revision": revision}})

    def conflict(self, op: Operation, current: str | None, current_fuzzy: bool = False) -> None:
        """The target changed under the plan: record it for a human, write nothing."""
        who, when = self.last_edit(op) if current is not None else (None, None)
        seen = Term(current, fuzzy=current_fuzzy, side=op.target if op.target != "bundle" else "metawiki",
                    author=who, timestamp=when) if current is not None else None
        planned = Term(op.new, side="metawiki" if op.target == "metabase" else "metabase") \
            if op.new is not None else None
        m, w = (seen, planned) if op.target == "metabase" else (planned, seen)
        reason = f"{op.target} changed after the plan was made (guard)"
        # Shown in the inbox, not kept open by itself: the next merge reads the newer value and decides
        # afresh with the base (a genuine conflict comes back, sticky; a first contact follows the
        # policy; a unit the plan could not see, its key missing from the bundle, is merged at last).
        self.result.conflicts.append(Conflict(op.key, op.expected, op.expected is not None, m, w, reason,
                                              sticky=False))
        self.mark([op], Status.CONFLICT, detail=f"now {current!r}")
        log.warning("guard: %s %s/%s changed since the plan; not overwritten", op.target, op.key.message_key,
                    op.key.lang, extra={"event": {"phase": "apply", "guard": op.id}})

    def last_edit(self, op: Operation) -> tuple[str | None, str | None]:
        """Who changed the target under the plan, and when (one request: guard conflicts are rare); the
        inbox shows it beside the value. Unknown when the page's history cannot be read."""
        api = self.writers.metabase if op.target == "metabase" else self.writers.metawiki
        try:
            history = api.page_history(op.page)
        except RemoteError as exc:
            log.info("guard: the last edit of %s is not known: %s", op.page, exc.message)
            return None, None
        if not history.revisions:
            return None, None
        newest = history.revisions[0]
        return newest.user, newest.timestamp

    def rejected(self, op: Operation, exc: ValidationError) -> None:
        """Metabase refused the value itself: a human must change it; never retried blindly."""
        reason = f"metabase refused the value: {exc.message} ({exc.code or 'validation'})"
        other = Term(op.new, side="metawiki") if op.new is not None else None
        current = Term(op.expected, side="metabase") if op.expected is not None else None
        self.result.conflicts.append(Conflict(op.key, op.expected, op.expected is not None, current, other, reason))
        self.mark([op], Status.CONFLICT, detail=reason)

    def failed(self, ops: Iterable[Operation], exc: Exception) -> None:
        """Record a failure; an unanswered request may have landed, so its operations stay ``sent``."""
        ops = list(ops)
        text = str(exc).splitlines()[0]
        unanswered = isinstance(exc, UNANSWERED)
        self.mark([op for op in ops if not (unanswered and self.status(op) == Status.SENT)], Status.FAILED, detail=text)
        for op in ops:
            self.result.failed[op.id] = text
        log.error("apply: %s", text, extra={"event": {"phase": "apply", "error": type(exc).__name__,
                                                      "operations": [o.id for o in ops]}})

    def classify(self, ops: Sequence[Operation], current: Current, revision: int | None) -> list[Operation]:
        """Split ops by what the target holds now: done, still expected (returned), or a conflict."""
        keep = []
        for op in ops:
            text, fuzzy = current(op)
            if same_value(text, op.new) and (fuzzy == op.outdated or op.new is None or op.target == "bundle"):
                self.done([op], revision, written=False)
            elif op.action == "delete" and fuzzy and text is not None and op.target == "metawiki" \
                    and self.status(op) == Status.SENT:
                self.done([op], revision, written=False)  # our fuzzy fallback for a deletion landed
            elif same_value(text, op.expected) and not _confirmed_since(op, fuzzy):
                keep.append(op)
            else:
                self.conflict(op, text, fuzzy)
        return keep

    # -- groups ----------------------------------------------------------------------------
    def hold_back_english(self, ops: list[Operation]) -> list[Operation]:
        """English changes whose message still has a translation to write wait: sent first, they would have
        Translate outdate the units, and the translation written later would pass for one of the new English."""
        waiting = {op.key.message_key for op in self.plan.operations
                   if op.target == "metawiki" and self.status(op) not in SETTLED}
        held = [op for op in ops if op.key.message_key in waiting and self.status(op) != Status.DONE]
        if held:
            self.mark(held, Status.FAILED, detail="held back: a translation of this message was not written")
            for op in held:
                self.result.failed[op.id] = "held back until the message's translations are written"
            log.warning("apply: %d English change(s) held back until their translations are written", len(held),
                        extra={"event": {"phase": "apply", "held": [op.id for op in held]}})
        return [op for op in ops if op not in held]

    def run_group(self, group: str, ops: list[Operation]) -> None:
        todo = [op for op in ops if self.status(op) not in SETTLED]
        for op in ops:
            if self.status(op) == Status.DONE:
                self.result.done.append(op.id)
        if not todo:
            return
        target = todo[0].target
        try:
            if target == "metabase":
                self.checkpoint()
                self.write_guarded(_Item(self, todo[0].page, todo[0].base_revision), todo)
            elif target == "bundle":
                self.checkpoint()
                self.write_guarded(_BundlePage(self), todo)
            else:
                for n, op in enumerate(todo):
                    self.checkpoint()
                    try:
                        self.write_guarded(_UnitPage(self, op), [op])
                    except RemoteError:
                        self.tick("metawiki", len(todo) - n)  # this one and the rest fail with it
                        raise
                    self.tick("metawiki")
        except _Stopped:
            self.result.done.extend(op.id for op in todo if self.status(op) == Status.DONE)
            raise
        except FATAL:
            raise
        except RemoteError as exc:
            self.failed([op for op in todo if self.status(op) not in SETTLED], exc)
        self.result.done.extend(op.id for op in todo if self.status(op) == Status.DONE)

    # -- the guarded write loop ------------------------------------------------------------
    def write_guarded(self, target: _Target, ops: list[Operation]) -> None:
        """Write ``ops`` to one page, guarded: classify what it holds → ``sent`` → write on the revision read
        → on an edit conflict re-read and classify again, at most MAX_ATTEMPTS writes → record, ``done``."""
        pending = self.classify(ops, *target.read()) if target.read_first(ops) else ops
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if not pending:
                return
            self.mark(pending, Status.SENT)
            refusal: ValidationError | None = None
            try:
                answer = target.send(pending)
            except EditConflictError:
                if target.logs_conflicts:
                    log.info("edit conflict on %s: re-reading", target.name)
            except ValidationError as exc:
                refusal = exc
            else:
                self.record(pending, answer)
                self.done(pending, answer.revision, written=not answer.nochange)
                return
            if refusal is not None and not target.refused(pending, refusal):
                return  # the target settled the refused operations itself
            if attempt == MAX_ATTEMPTS and not target.reads_before_giving_up:
                break
            pending = self.classify(pending, *target.read())
        if pending:
            raise EditConflictError(f"{target.name} kept changing during {MAX_ATTEMPTS} attempts", site=target.site,
                                    term=target.term, hint="rerun apply later")


class _Target:
    """One page the guarded write loop writes: how to read what it holds now, how to send a write.

    ``read`` returns what the page holds per operation and the revision that ``done``
    records for an operation found already written; it keeps the base revision the next
    ``send`` writes on. ``refused`` decides what a ``ValidationError`` means: True to
    re-read and retry, False when the operations are settled; by default it is an error.
    """

    name: str
    site: str
    term: Any = None
    logs_conflicts = True         # log "edit conflict on …: re-reading"
    reads_before_giving_up = True  # after the last edit conflict, read once more (it may be done by now)

    def __init__(self, runner: _Runner) -> None:
        self.runner = runner

    def read_first(self, ops: Sequence[Operation]) -> bool:
        """Whether the plan's base revision cannot be written on as it is (read the page first)."""
        return any(self.runner.status(op) in (Status.SENT, Status.FAILED) for op in ops)

    def read(self) -> tuple[Current, int | None]:
        raise NotImplementedError

    def send(self, ops: Sequence[Operation]) -> WriteResult:
        raise NotImplementedError

    def refused(self, ops: Sequence[Operation], exc: ValidationError) -> bool:
        raise exc


class _Item(_Target):
    """A Metabase item: one ``wbeditentity`` carries every term of it (``single``: one term, after a refusal)."""

    site = "metabase"

    def __init__(self, runner: _Runner, item: str, revision: int | None, *, single: bool = False) -> None:
        super().__init__(runner)
        self.api = runner.writers.metabase
        self.name = self.term = item
        self.revision = revision  # the base of the next write; after a single term's write, the item's new one
        self.single = single
        self.logs_conflicts = not single

    def read_first(self, ops: Sequence[Operation]) -> bool:
        return not self.single and (self.revision is None or super().read_first(ops))

    def read(self) -> tuple[Current, int | None]:
        self.revision, terms = self.api.read_item(self.name)
        return (lambda o: (terms.get((o.key.field, o.key.lang)), False)), None

    def send(self, ops: Sequence[Operation]) -> WriteResult:
        labels = {o.key.lang: o.new for o in ops if o.key.field == "label"}
        descriptions = {o.key.lang: o.new for o in ops if o.key.field == "description"}
        reason = ops[0].reason if self.single else _reasons(ops)
        answer = self.api.edit_item(self.name, labels=labels, descriptions=descriptions,
                                    baserevid=int(self.revision or 0), summary=self.runner.summary(reason))
        if answer.revision is not None and not answer.nochange:
            self.revision = int(answer.revision)
            if answer.patched:
                self.remember_translations_left(ops, int(answer.revision))
        return answer

    def remember_translations_left(self, ops: Sequence[Operation], revision: int) -> None:
        """An English change written over another edit: what the item held once it landed is in our stored
        revision only (the answer shows the plan's base), and a translation a human saved just before it is
        one of the older English (:func:`capxl10n.engine.recover.english_translations`). One read, and only
        for a patched English write; the plan's read stands in if it fails."""
        outdated = set(self.runner.plan.notes.get("outdated_keys") or ())
        english = [o for o in ops if o.key.lang == SOURCE_LANGUAGE and o.key.message_key in outdated]
        if not english:
            return
        try:
            terms = self.api.terms_at(revision)
        except (RemoteError, DataError) as exc:
            log.warning("the translations %s held when its English changed could not be read (%s); the "
                        "plan's read stands in", self.name, exc.message)
            return
        for op in english:
            self.runner.result.translations_left[op.id] = terms

    def refused(self, ops: Sequence[Operation], exc: ValidationError) -> bool:
        """Metabase refused the batch: none of it was saved. In a batch, each term is sent alone (one per
        request: the journal says which may have landed) to find the one refused. Alone, the item is read
        again first: Wikibase refuses a write from a stale base of the value somebody (an interrupted run of
        ours, say) already saved, naming the item itself as the holder of the pair — that term is done; one
        that moved on is a guard conflict; only a term still as the plan saw it is rejected."""
        if len(ops) == 1:
            if self.runner.classify(ops, *self.read()):
                self.runner.rejected(ops[0], exc)
            return False
        self.runner.mark(ops, Status.PENDING)
        revision = self.revision
        for op in ops:
            one = _Item(self.runner, self.name, revision, single=True)
            self.runner.write_guarded(one, [op])
            revision = one.revision
        return False


class _UnitPage(_Target):
    """A Meta-Wiki translation unit page: created where none exists, deleted (or outdated) for a deletion."""

    site = "metawiki"

    def __init__(self, runner: _Runner, op: Operation) -> None:
        super().__init__(runner)
        self.api = runner.writers.metawiki
        self.op = op
        self.name, self.term = op.page, op.key
        self.revision, self.timestamp = op.base_revision, op.base_timestamp
        self.create = op.expected is None

    def read_first(self, ops: Sequence[Operation]) -> bool:
        """A write over an outdated unit reads it first: a translator confirming it is a null edit on Translate
        (no new revision for the base revision to catch), and their confirmation must stop the write."""
        return (self.op.expected_fuzzy and self.op.expected is not None) or super().read_first(ops)

    def read(self) -> tuple[Current, int | None]:
        term, self.revision, self.timestamp = self.api.read_unit(self.op.key)
        self.create = term is None
        return (lambda o: (term.text if term else None, bool(term and term.fuzzy))), self.revision

    def send(self, ops: Sequence[Operation]) -> WriteResult:
        op = self.op
        summary = self.runner.summary(op.reason)
        if op.new is None:
            return self._delete(summary)
        return self.api.save_unit(op.key, op.new, fuzzy=op.outdated, baserevid=self.revision,
                                  basetimestamp=self.timestamp, create=self.create, summary=summary)

    def _delete(self, summary: str) -> WriteResult:
        op = self.op
        try:
            return self.api.delete_unit(op.key, summary=summary)
        except PermissionDeniedError:
            # Bot passwords rarely may delete: mark the unit outdated instead. Fuzzy text is never
            # copied back nor counted as translated, so the deletion still holds (a tombstone).
            if op.expected is None:
                raise
            log.info("no delete right on Meta-Wiki: marking %s outdated instead", op.page)
            return self.api.save_unit(op.key, op.expected, fuzzy=True, baserevid=self.revision,
                                      basetimestamp=self.timestamp, create=False,
                                      summary=summary + " (outdated; deletion needs a sysop)")

    def refused(self, ops: Sequence[Operation], exc: ValidationError) -> bool:
        """``articleexists``: someone created the unit since it was read; read it and decide again."""
        if exc.code != "articleexists":
            raise exc
        return True


class _BundlePage(_Target):
    """The bundle source page: its whole JSON is written, so it is read right before every write."""

    site = "metawiki"
    name = "the bundle"
    reads_before_giving_up = False

    def __init__(self, runner: _Runner) -> None:
        super().__init__(runner)
        self.api = runner.writers.metawiki
        self.bundle: Bundle | None = None

    def read_first(self, ops: Sequence[Operation]) -> bool:
        return True

    def read(self) -> tuple[Current, int | None]:
        bundle = self.bundle = self.api.read_bundle()
        return (lambda o: (bundle.messages.get(o.key.message_key), False)), bundle.revision

    def send(self, ops: Sequence[Operation]) -> WriteResult:
        assert self.bundle is not None
        messages = dict(self.bundle.messages)
        for op in ops:
            if op.new is None:
                messages.pop(op.key.message_key, None)
            else:
                messages[op.key.message_key] = op.new
        return self.api.save_bundle(self.bundle, messages, summary=self.runner.summary(_reasons(ops)))


def _shown(text: str, width: int = 60) -> str:
    text = text.replace("\n", " ")
    return repr(text if len(text) <= width else text[:width - 1] + "…")


def _confirmed_since(op: Operation, fuzzy: bool) -> bool:
    """A translator re-saved the outdated unit the plan read: the same text, current now. That is their edit
    (a confirmation), not the outdated value the plan may replace."""
    return op.target == "metawiki" and op.expected_fuzzy and not fuzzy


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
    record_outdating(plan, journal, state, {op_id: w.answer.based_on for w in result.writes
                                            if w.target == "metabase" for op_id in w.op_ids},
                     result.translations_left)
    if result.conflicts:
        state.record_conflicts(result.conflicts, replace_all=False)
    settle_decisions(plan, journal, state, finished)
    state.set_plan_status(plan.id, PlanStatus.DONE if not (result.failed or interrupted) else PlanStatus.PARTIAL)
    state.prune_plans()
