"""Recognise the writes of a killed or failed apply as written, and move the base for them.

A write whose answer never came back (SIGKILL between the request and the
journal's ``done``, or a network error after the request went out) may or may
not have landed; its operations stay ``sent`` in the journal. Every write's
summary carries its plan's tag (:func:`capxl10n.core.plan.plan_tag`), so one
``prop=revisions`` read per page in flight tells: a revision with the tag since
the plan's read (not one the journal already holds) means the write landed; a
missing page means a deletion did. A unit a write of ours was making or changing
that is missing since (its deletion logged) was deleted by a human, before or
after our write landed, which nobody but an admin can tell: the term is asked.
Only a handful of pages are ever in flight.

Why it matters: until the base moves for a write that landed, the next merge
sees our own write as a change of that side — a human's later edit then looks
like a conflict, or our outdating is sent again over a translator's
confirmation. :func:`recover_interrupted` runs at the start of every plan/sync
for the newest plan if it never finished, moves the base exactly as apply's
``_finish`` would have, and closes the plan (status ``recovered``) so it is
neither recovered twice nor applied again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from capxl10n.wikis.http import PageHistory
from capxl10n.errors import DataError, UsageError
from capxl10n.core.merge import NO_UNIT, BaseTerm, Conflict, Decision
from capxl10n.core.model import SOURCE_LANGUAGE, Term, TermKey, normalize_text, same_value
from capxl10n.core.plan import Operation, Plan, loads
from capxl10n.engine.journal import PENDING, UNFINISHED, JournalRow, JournalStatus, PlanStatus
from capxl10n.engine.state import State
from capxl10n.profile import Profile

log = logging.getLogger(__name__)

#: The status of a plan whose interrupted apply was recovered: never resumed again.
RECOVERED = PlanStatus.RECOVERED


class HistoryReader(Protocol):
    """What recovery reads: one page's recent revisions (both write clients have it)."""

    def page_history(self, page: str, since: str | None = None) -> PageHistory: ...


class WriterPair(Protocol):
    @property
    def metabase(self) -> Any: ...
    @property
    def metawiki(self) -> Any: ...
    @property
    def requests(self) -> Callable[[], int]: ...


def read_side(target: str) -> str:
    """The side a target belongs to (the bundle is on Meta-Wiki)."""
    return "metabase" if target == "metabase" else "metawiki"


#: Why a term is asked when a human deleted its unit page while our write of it was in flight.
DELETED_IN_FLIGHT = ("the Meta-Wiki unit was deleted while capxl10n's write to it was in flight: whether the "
                     "write landed before the deletion cannot be told, so keep the value or delete it on both sides")


@dataclass(frozen=True)
class Landing:
    """What the pages of a plan's ``sent`` operations showed."""

    #: Operations whose write is on the wiki: op id → the revision that carries it (None: a deletion).
    landed: dict[str, int | None] = field(default_factory=dict)
    #: Unit writes whose page a human deleted while they were in flight. The deleted revisions are an
    #: admin's to read, so nobody can tell whether the write landed before the deletion: writing the value
    #: again could undo a human's deletion, and counting it as written could carry to Metabase a deletion
    #: of a value Meta-Wiki never held. A human is asked (:func:`unsure_conflict`).
    unsure: tuple[Operation, ...] = ()


def find_landed(plan: Plan, journal: Mapping[str, JournalRow], writers: WriterPair) -> Landing:
    """Operations left ``sent`` whose write is on the wiki, and those that cannot be told (:class:`Landing`).

    One request per page with ``sent`` operations. All ``sent`` operations of a page
    were sent in the same request, so a tagged revision covers them all; revisions
    the journal already credits to other operations of the plan are not evidence.
    """
    sent: dict[str, list[Operation]] = {}
    for op in plan.operations:
        if journal.get(op.id, PENDING).status == JournalStatus.SENT:
            sent.setdefault(op.group, []).append(op)
    credited = {row.revision for row in journal.values()
                if row.status == JournalStatus.DONE and row.revision is not None}
    landed: dict[str, int | None] = {}
    unsure: list[Operation] = []
    for ops in sent.values():
        page = _landed_on_page(plan, ops, writers, credited)
        landed.update(page.landed)
        unsure.extend(page.unsure)
    return Landing(landed, tuple(unsure))


def _landed_on_page(plan: Plan, ops: list[Operation], writers: WriterPair, credited: set[int]) -> Landing:
    target, page = ops[0].target, ops[0].page
    reader: HistoryReader = writers.metabase if target == "metabase" else writers.metawiki
    history = reader.page_history(page, since=plan.reads.get(read_side(target), {}).get("at"))
    if not history.exists:
        if target != "metawiki":
            return Landing()
        # A deletion by action=delete leaves no revision: the missing page is the evidence.
        deleted: dict[str, int | None] = {op.id: None for op in ops if op.action == "delete"}
        writes = [op for op in ops if op.action == "set"]
        # A page the plan read was deleted since; a page it did not read was made since (by our write or a
        # human's) only if its deletion is logged since. Either way a human deleted what our write may have made.
        if writes and (writes[0].expected is not None or history.deletions):
            log.warning("recovery: %s was deleted while plan %s wrote it: asked", page, plan.id)
            return Landing(deleted, tuple(writes))
        return Landing(deleted)
    tagged = [r.revid for r in history.revisions if plan.tag in r.comment and r.revid not in credited]
    if not tagged:
        return Landing()
    log.info("recovery: %s %s was written by plan %s (revision %d)", target, page, plan.id, max(tagged))
    return Landing({op.id: max(tagged) for op in ops})


def unsure_conflict(op: Operation) -> Conflict:
    """The conflict asked for a unit write whose page a human deleted while it was in flight: the value
    against the deletion. Sticky: it stays until a human decides (the next merge shows both sides anew)."""
    value = Term(op.new, side="metabase") if op.new is not None else None
    return Conflict(op.key, op.expected, op.expected is not None, value, None, DELETED_IN_FLIGHT)


def with_landed(journal: Mapping[str, JournalRow], landed: Mapping[str, int | None]) -> dict[str, JournalRow]:
    """The journal as it reads once the landed operations are marked done."""
    out = dict(journal)
    for op_id, revision in landed.items():
        old = out.get(op_id, PENDING)
        out[op_id] = old._replace(status=JournalStatus.DONE,
                                  revision=revision if revision is not None else old.revision)
    return out


def outdated_messages(plan: Plan, journal: Mapping[str, JournalRow]) -> set[str]:
    """Message keys whose English change of this plan went out: Translate outdated all their translations."""
    return {op.key.message_key for op in plan.operations if op.changes_english and op.action == "set"
            and journal.get(op.id, PENDING).status == JournalStatus.DONE} & set(plan.notes.get("outdated_keys") or ())


def put_back_messages(plan: Plan, journal: Mapping[str, JournalRow]) -> set[str]:
    """Message keys this plan put back into the bundle. Translate outdates every unit such a key already has
    (hidden while the key was missing), whatever English it comes back with (R: REL1_39), and nothing tells
    which English those units translated: to the merge, the put-back is an English change."""
    return {op.key.message_key for op in plan.operations if op.target == "bundle" and op.action == "set"
            and op.expected is None and journal.get(op.id, PENDING).status == JournalStatus.DONE} \
        & set(plan.notes.get("restored_bundle_keys") or ())


def english_revisions(plan: Plan, journal: Mapping[str, JournalRow], known: Mapping[str, int] | None = None,
                      based_on: Mapping[str, int | None] | None = None) -> dict[str, int]:
    """For each message whose English change went out (or that went back into the bundle), the Metabase
    item revision at which that English was on Metabase: written there by this plan (a decision), or read
    there (a copy to the bundle). A Metabase translation on an item not edited since predates the English
    (:meth:`State.english_changed_at`): a copy of it joins the key's outdated units, for a translator to
    confirm. Our own writes to an item move its revision without a human translation: when the plan read
    the item at or before the revision ``known`` (or this plan) holds for a message of it, the revision our
    write made takes that place, so the item still counts as not edited since. ``based_on`` (op id → the
    revision the write was saved on, None when Wikibase patched it over another edit) is what this run's
    answers said: a human edit between the plan's read and our write (a write patched into the latest
    version, or made on a revision re-read after it) then keeps the item counted as edited since, so
    that edit is not taken for older than the English. Writes whose answer this run did not see fall
    back to the revision the plan read."""
    out: dict[str, int] = {}
    changed = outdated_messages(plan, journal) | put_back_messages(plan, journal)
    for op in plan.operations:
        message = op.key.message_key
        if op.key.lang != SOURCE_LANGUAGE or message not in changed:
            continue
        row = journal.get(op.id, PENDING)
        if op.target == "metabase" and row.status == JournalStatus.DONE and row.revision is not None:
            out[message] = max(out.get(message, 0), int(row.revision))
        elif op.target == "bundle" and op.source is not None and op.source.side == "metabase" \
                and op.source.revision is not None:
            out[message] = max(out.get(message, 0), op.source.revision)
    known = known or {}
    for op in plan.operations:
        row = journal.get(op.id, PENDING)
        if op.target != "metabase" or row.status != JournalStatus.DONE or row.revision is None \
                or op.base_revision is None:
            continue
        parent = based_on.get(op.id) if based_on is not None and op.id in based_on else op.base_revision
        for message in (f"{op.key.qid}-label", f"{op.key.qid}-description"):
            at = out.get(message, known.get(message))
            if at is not None and parent is not None and parent <= at:
                out[message] = max(at, int(row.revision))
    return out


def english_translations(plan: Plan, journal: Mapping[str, JournalRow],
                         after: Mapping[str, Mapping[tuple[str, str], str]] | None = None) -> dict[str, dict[str, str]]:
    """For each message whose English change went out (or that went back into the bundle), the Metabase
    translations it left as translations of the older English. A value a human writes later differs,
    whatever else of the item they edit.

    Where this run read what its English write to Metabase left (``after``: op id → the item's terms as
    our revision stored them; apply reads them when Wikibase patched the write over another edit), they
    are what the item held then, a human's edit patched in before ours included. Otherwise, those the
    plan read, as its own writes to Metabase changed them (a unit's text
    copied there in the same plan translates the older English too)."""
    read = plan.notes.get("english_translations") or {}
    out = {message: dict(read.get(message) or {})
           for message in outdated_messages(plan, journal) | put_back_messages(plan, journal)}
    seen_at: dict[str, int] = {}  # message → the revision of the English write whose stored terms gave its values
    for op in plan.operations:
        row = journal.get(op.id, PENDING)
        terms = (after or {}).get(op.id)
        if terms is None or op.key.message_key not in out or op.target != "metabase" \
                or op.key.lang != SOURCE_LANGUAGE or row.status != JournalStatus.DONE or row.revision is None:
            continue
        out[op.key.message_key] = {lang: normalize_text(text) for (fld, lang), text in terms.items()
                                   if fld == op.key.field and lang != SOURCE_LANGUAGE}
        seen_at[op.key.message_key] = int(row.revision)
    for op in plan.operations:
        values = out.get(op.key.message_key)
        row = journal.get(op.id, PENDING)
        if values is None or op.target != "metabase" or op.key.lang == SOURCE_LANGUAGE \
                or row.status != JournalStatus.DONE:
            continue
        seen = seen_at.get(op.key.message_key)
        if seen is not None and (row.revision is None or int(row.revision) <= seen):
            continue  # the stored revision already holds it, or what a human made of it since
        if op.new is None:
            values.pop(op.key.lang, None)
        else:
            values[op.key.lang] = normalize_text(op.new)
    return out


def record_outdating(plan: Plan, journal: Mapping[str, JournalRow], state: State,
                     based_on: Mapping[str, int | None] | None = None,
                     after: Mapping[str, Mapping[tuple[str, str], str]] | None = None) -> None:
    """What the plan's English changes and put-backs that went out mean for the state: the agreed values they
    outdated, the item revisions their English was at (:func:`english_revisions`, with ``based_on``), and
    the Metabase translations they left, of the older English (:func:`english_translations`, with ``after``).

    A put-back outdates the units the key already had, so their agreed values are outdated ones too: a
    translator confirming one has made a change. The units this plan itself wrote after putting the key
    back keep the flag their write gave them."""
    put_back = put_back_messages(plan, journal)
    written = {op.key for op in plan.operations if op.target == "metawiki" and op.key.message_key in put_back
               and journal.get(op.id, PENDING).status == JournalStatus.DONE}
    state.outdate_translations(outdated_messages(plan, journal) | put_back,
                               english_revisions(plan, journal, state.english_changed_at(), based_on),
                               keep=written, translations=english_translations(plan, journal, after))


def base_moves(plan: Plan, journal: Mapping[str, JournalRow], *, agreed: bool = True,
               only: Iterable[TermKey] | None = None) -> tuple[dict[TermKey, BaseTerm | None], list[TermKey]]:
    """The base rows a plan's outcome moves, and the terms it finished.

    A term moves when all its operations are done (to the value written, with the
    revisions that carry it); with ``agreed`` the plan's agreed rows and resolved
    terms come too, minus terms whose operations did not all finish. ``only``
    restricts the written terms considered (a recovery of a partly finished apply).
    """
    wanted = set(only) if only is not None else None
    by_key: dict[TermKey, list[Operation]] = {}
    for op in plan.operations:
        by_key.setdefault(op.key, []).append(op)
    updates: dict[TermKey, BaseTerm | None] = dict(plan.base) if agreed else {}
    finished: list[TermKey] = list(plan.resolved) if agreed else []
    outdated = outdated_messages(plan, journal)
    for key, ops in by_key.items():
        if all(journal.get(op.id, PENDING).status == JournalStatus.DONE for op in ops):
            if wanted is None or key in wanted:
                revs = {op.target: journal[op.id].revision for op in ops}
                # The English change outdated the unit, whether this plan wrote it or copied it onto
                # Metabase: the agreed text is an outdated one (a translator's confirmation is a change).
                fuzzy = (key.message_key in outdated and key.lang != "en") or any(op.outdated for op in ops)
                unit_rev = revs.get("metawiki") or revs.get("bundle")
                if ops[0].new is None and unit_rev is None:
                    unit_rev = NO_UNIT  # a deletion copied from Meta-Wiki: no unit there
                item_rev = revs.get("metabase")
                if item_rev is None and key.lang == SOURCE_LANGUAGE:  # English copied to the bundle: the item
                    item_rev = next((op.source.revision for op in ops  # revision it was read at on Metabase
                                     if op.source is not None and op.source.side == "metabase"), None)
                updates[key] = BaseTerm(ops[0].new, fuzzy=fuzzy and ops[0].new is not None,
                                        metabase_rev=item_rev, metawiki_rev=unit_rev)
                finished.append(key)
        else:
            updates.pop(key, None)
    return updates, finished


def decisions_written(plan: Plan, journal: Mapping[str, JournalRow], decided: Mapping[TermKey, Decision],
                      finished: Iterable[TermKey]) -> dict[TermKey, Decision]:
    """The decisions this plan wrote on one side but did not finish, bound to their own text on that side
    (:meth:`Decision.written_on`): a failed or killed apply leaves them half written, and a human who then
    undoes our write must make them stale, not see them written again."""
    done = set(finished)
    sides: dict[TermKey, set[str]] = {}
    for op in plan.operations:
        decision = decided.get(op.key)
        if decision is None or op.key in done or journal.get(op.id, PENDING).status != JournalStatus.DONE:
            continue
        if same_value(op.new, decision.text):
            sides.setdefault(op.key, set()).add(read_side(op.target))
    return {key: decided[key].written_on(written) for key, written in sides.items()}


def settle_decisions(plan: Plan, journal: Mapping[str, JournalRow], state: State,
                     finished: Iterable[TermKey]) -> None:
    """Decided conflicts whose decision is now written on both sides leave the inbox; those written on one
    side only stay, bound to what that side was left holding."""
    finished = list(finished)
    decided = state.decisions()
    resolved = set(plan.resolved)
    state.clear_conflicts([k for k in finished if k in decided or k in resolved])
    state.rebind_decisions(decisions_written(plan, journal, decided, finished))


@dataclass(frozen=True)
class Recovery:
    """What recovering the newest unfinished plan found, and the base moves it made (or would make)."""

    plan_id: str | None = None
    status: str | None = None
    landed: Mapping[str, int | None] = field(default_factory=dict)
    base_updates: Mapping[TermKey, BaseTerm | None] = field(default_factory=dict)
    persisted: bool = False
    requests: int = 0
    #: Half-written decisions, rebound (:func:`decisions_written`), when not persisted: what a dry run merges with.
    decisions: Mapping[TermKey, Decision] = field(default_factory=dict)
    #: Terms asked because a human deleted their unit while our write was in flight (:class:`Landing`),
    #: key → reason: kept open by the merge like the inbox's sticky conflicts.
    asked: Mapping[TermKey, str] = field(default_factory=dict)

    def base(self, stored: Mapping[TermKey, BaseTerm]) -> dict[TermKey, BaseTerm]:
        """``stored`` with the moves applied: the base to merge against when they were not persisted."""
        out = dict(stored)
        for key, term in self.base_updates.items():
            if term is None:
                out.pop(key, None)
            else:
                out[key] = term
        return out

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan_id, "status": self.status, "landed": sorted(self.landed),
                "base_updates": len(self.base_updates), "persisted": self.persisted, "requests": self.requests}


def recover_interrupted(profile: Profile, state: State, *, writers: Any = None, persist: bool = True) -> Recovery:
    """Recover the newest plan if its apply never finished; with ``persist=False`` only report (GETs only).

    ``writers`` is a :class:`capxl10n.engine.apply.Writers`, a factory of one from the
    profile, or None for the real clients (built only when a page must be read).
    """
    latest = state.latest_plan()
    if latest is None or latest[1] not in UNFINISHED:
        return Recovery()
    plan_id, status, body = latest
    try:
        plan = loads(body, origin=f"plan {plan_id} in the state")
    except (DataError, UsageError) as exc:
        log.warning("recovery: plan %s cannot be read back (%s); it is closed without recovery", plan_id,
                    exc.message)
        if persist:
            state.set_plan_status(plan_id, RECOVERED)
        return Recovery(plan_id, status, persisted=persist)
    journal = state.journal(plan.id)
    landing = Landing()
    requests = 0
    if any(row.status == JournalStatus.SENT for row in journal.values()):
        clients = _writers(profile, writers)
        before = clients.requests()
        landing = find_landed(plan, journal, clients)
        requests = clients.requests() - before
    landed = landing.landed
    journal = with_landed(journal, landed)
    running = status == PlanStatus.RUNNING
    touched = {op.key for op in plan.operations if op.id in landed}
    # An interrupted first contact keeps only what it wrote (see apply's _finish).
    agreed = running and not plan.notes.get("first_contact")
    updates, finished = base_moves(plan, journal, agreed=agreed, only=None if running else touched)
    # Persisted, settle_decisions rebinds them in the state; a dry run merges with them in memory.
    rebound = {} if persist else decisions_written(plan, journal, state.decisions(), finished)
    asked = [unsure_conflict(op) for op in landing.unsure]
    if persist:
        _persist(plan, state, landed, updates, finished, asked, running=running)
    log.info("recovered plan %s (%s): %d write(s) found landed, %d base row(s) moved", plan.id, status,
             len(landed), len(updates), extra={"event": {"phase": "recover", "plan": plan.id, "status": status,
                                                         "landed": sorted(landed), "requests": requests}})
    return Recovery(plan.id, status, landed, updates, persist, requests, rebound,
                    {c.key: c.reason for c in asked})


def recover_earlier(profile: Profile, state: State, plan_id: str, *, writers: Any = None) -> Recovery:
    """Before a saved plan is applied: recover an interrupted apply of *another* plan.

    Only the newest plan is ever recovered, and applying a saved plan makes it the newest: without
    this, the writes of the apply that was interrupted before it would never move the base (their
    terms would later look changed on both sides). Resuming ``plan_id`` itself is the apply's job.
    """
    latest = state.latest_plan()
    if latest is None or latest[0] == plan_id or latest[1] not in UNFINISHED:
        return Recovery()
    return recover_interrupted(profile, state, writers=writers)


def _persist(plan: Plan, state: State, landed: Mapping[str, int | None], updates: Mapping[TermKey, BaseTerm | None],
             finished: list[TermKey], asked: Iterable[Conflict], *, running: bool) -> None:
    """Journal first, then the base and the inbox, then close the plan: a crash in between only repeats
    harmless steps."""
    for op_id, revision in landed.items():
        state.mark(plan.id, [op_id], JournalStatus.DONE, revision=revision,
                   detail="found written after an interruption")
    journal = state.journal(plan.id)
    if updates or running:
        state.update_base(updates, plan.capacities if running else ())
    settle_decisions(plan, journal, state, finished)
    record_outdating(plan, journal, state)
    state.record_conflicts(asked, replace_all=False)
    state.set_plan_status(plan.id, RECOVERED)


def _writers(profile: Profile, writers: Any) -> WriterPair:
    if writers is None:
        from capxl10n.engine.sync import make_writers
        return make_writers(profile)
    if callable(writers) and not hasattr(writers, "metabase"):
        return writers(profile)
    return writers
