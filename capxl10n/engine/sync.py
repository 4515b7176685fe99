"""Library entry points of the sync: :func:`plan`, :func:`apply` and :func:`sync`.

The CLI commands of the same names call these and render their outcomes. They
join the pieces: pull both sides (incrementally, through the state's read
cache), merge against the base, build the plan, apply it through the clients'
guarded writes, then move the base, rebuild the catalogs and record coverage.

``sync(dry_run=True)`` is strictly read-only: no login, no POST, and no state
change but the read cache (no conflicts recorded, no run summary written).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from capxl10n.engine.absorb import absorb_writes
from capxl10n.engine import runlog
from capxl10n.engine.apply import ApplyResult, Stop, Writers, apply_plan
from capxl10n.engine.authors import Lookup, api_lookup, with_authors
from capxl10n.engine.progress import Progress, Step
from capxl10n.catalogs.build import CatalogOptions, build_catalogs
from capxl10n.core.coverage import coverage
from capxl10n.core.cursors import NOT_TRANSLATIONS, Bundle, MetabaseCursor, MetawikiCursor
from capxl10n.errors import (EXIT_CONFLICTS, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, EXIT_PENDING, BundleMissing, CapxError,
                             CatalogError, Interrupted, redact)
from capxl10n.core.merge import BaseTerm, Decision, MergeOptions, MergeResult, merge
from capxl10n.core.model import DOC_LANGUAGE, SOURCE_LANGUAGE, Capacity, Snapshot, Term, TermKey
from capxl10n.core.plan import Plan, build_plan
from capxl10n.engine.lock import held_elsewhere, locked
from capxl10n.engine.state import State, code_digest, open_state
from capxl10n.profile import Profile

if TYPE_CHECKING:
    from capxl10n.engine.pull import PullResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """What the merge needs from one read of both sides (built from the clients' PullResult)."""

    metabase: Snapshot
    metawiki: Snapshot
    duplicates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unaccepted_languages: tuple[str, ...] = ()
    unknown_bundle_keys: tuple[str, ...] = ()
    bundle_revision: int | None = None
    bundle_timestamp: str | None = None
    requests: Mapping[str, int] = field(default_factory=dict)
    #: The bundle's message keys as read; None when unknown (a reader that does not say).
    bundle_keys: frozenset[str] | None = None
    #: Where each side's read stands (its time mark, revisions as read): the plan records it for the source
    #: guard. None for a reader that does not say (the guard then re-reads every source).
    metabase_cursor: MetabaseCursor | None = None
    metawiki_cursor: MetawikiCursor | None = None
    #: The sync's quiet check found nothing new and knew the plan (:func:`plan`): ``metabase`` and ``metawiki``
    #: are empty stand-ins (the read cache was not decoded); the cursors are the reads' own.
    quiet: bool = False

    @classmethod
    def from_pull(cls, result: PullResult) -> Reading:
        bundle = result.bundle
        return cls(metabase=result.metabase, metawiki=result.metawiki,
                   duplicates=dict(result.discovery.duplicates),
                   unaccepted_languages=tuple(result.unaccepted_languages),
                   unknown_bundle_keys=tuple(result.unknown_bundle_keys),
                   bundle_revision=bundle.revision, bundle_timestamp=bundle.timestamp,
                   requests=dict(result.requests), bundle_keys=frozenset(bundle.messages),
                   metabase_cursor=result.metabase_cursor, metawiki_cursor=result.metawiki_cursor)


Reader = Callable[[Any, State], Reading]
WriterFactory = Callable[[Any], Writers]


@dataclass
class PlanOutcome:
    run_id: str
    plan: Plan
    merge: MergeResult
    reading: Reading
    open_conflicts: int
    elapsed: float
    #: Notes saying what they said at the last run (:mod:`capxl10n.engine.notices`): shown again with -v only.
    repeated_notices: frozenset[str] = frozenset()
    #: Whether the conflicts went to the inbox; a dry run records nothing: its conflicts that the inbox
    #: does not hold undecided are *pending* (the next plan or sync records them).
    recorded: bool = True
    pending_conflicts: int = 0
    #: What a sync keeps for its next run's quiet check if it ends quiet (:func:`_keep_quiet`): None when it
    #: cannot (not a sync, a read that brought anything new, a reader of the caller's).
    quiet: dict[str, Any] | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CONFLICTS if self.open_conflicts or self.plan.conflicts else self.plan.exit_code

    def to_json(self) -> dict[str, Any]:
        from capxl10n.core.plan import summary_counts
        return {"run": self.run_id, "plan": self.plan.id, "exit_code": self.exit_code,
                "summary": summary_counts(self.plan), "open_conflicts": self.open_conflicts,
                "pending_conflicts": self.pending_conflicts, "recorded": self.recorded,
                "notes": dict(self.plan.notes), "read_requests": dict(self.reading.requests),
                "elapsed": round(self.elapsed, 3)}


@dataclass
class ApplyOutcome:
    run_id: str
    plan: Plan
    result: ApplyResult
    open_conflicts: int
    catalogs: dict[str, Any] | None
    elapsed: float

    @property
    def exit_code(self) -> int:
        if self.result.failed or self.result.interrupted:
            return EXIT_PARTIAL
        if self.catalogs and self.catalogs.get("error"):
            return EXIT_ERROR
        if self.open_conflicts:
            return EXIT_CONFLICTS
        return EXIT_PENDING if self.result.stale else EXIT_OK  # skipped copies: the next sync re-merges them

    def written_per_wiki(self) -> dict[str, int]:
        """Operations this run wrote, per wiki (the bundle's English is Meta-Wiki's)."""
        targets = {op.id: "metabase" if op.target == "metabase" else "metawiki" for op in self.plan.operations}
        out = {"metabase": 0, "metawiki": 0}
        for op_id in self.result.written:
            out[targets.get(op_id, "metawiki")] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run_id, "plan": self.plan.id, "exit_code": self.exit_code,
                "apply": self.result.to_json(), "written": self.written_per_wiki(),
                "open_conflicts": self.open_conflicts,
                "catalogs": self.catalogs, "elapsed": round(self.elapsed, 3)}


@dataclass
class SyncOutcome:
    planned: PlanOutcome
    applied: ApplyOutcome | None
    catalogs_error: bool = False
    #: The first round, when this sync merged twice (keys put back into the bundle).
    earlier: SyncOutcome | None = None

    @property
    def exit_code(self) -> int:
        if self.applied is None:
            return EXIT_ERROR if self.catalogs_error else self.planned.exit_code
        return self.applied.exit_code

    def to_json(self) -> dict[str, Any]:
        out = {"plan": self.planned.to_json(), "apply": self.applied.to_json() if self.applied else None,
               "exit_code": self.exit_code}
        if self.earlier is not None:
            out["first_round"] = self.earlier.to_json()
        return out


def _event(run_id: str, phase: str, **data: Any) -> dict[str, Any]:
    return {"event": {"run": run_id, "phase": phase, **data}}


def sync_profile(profile: Profile) -> Profile:
    """The profile as the sync reads it: Wikidata is not a side of the merge, so it is not read."""
    if getattr(profile.wikidata, "enabled", False):
        return replace(profile, wikidata=replace(profile.wikidata, enabled=False))
    return profile


def read_sides(profile: Profile, state: State, *, incremental: bool = True, stop: Stop | None = None,
               progress: Progress | None = None, store: bool = True, clients: Any = None,
               answers: Any = None) -> Reading:
    """Pull both sides through the clients, incrementally when the read cache allows it.

    ``stop`` is asked at each step of the read: a signal ends it there (nothing is cached);
    ``progress`` hears of each step; ``store=False`` reads the cache but keeps what it read to itself
    (a dry run beside a run that holds the state, :mod:`capxl10n.engine.lock`).
    """
    from capxl10n.engine.pull import pull

    def report(stage: str, done: int, total: int) -> None:
        checkpoint(stop, "read")
        if progress is not None:
            progress(Step("read", stage, done, total))

    cache: Any = state if store else _CacheReader(state)
    return Reading.from_pull(pull(sync_profile(profile), incremental=incremental, cache=cache, progress=report,
                                  clients=clients, answers=answers))


class _CacheReader:
    """The state's read cache, read only: what a dry run beside a running sync reads stays its own."""

    def __init__(self, state: State) -> None:
        self.state = state

    def load_side(self, side: str) -> Any:
        return self.state.load_side(side)

    def store_side(self, side: str, snapshot: Snapshot, cursor: Any) -> None:
        return None


def checkpoint(stop: Stop | None, phase: str) -> None:
    """A safe point outside the writes: end the run here (:class:`Interrupted`) if a signal asked it to stop."""
    signal_name = stop() if stop is not None else None
    if signal_name:
        raise Interrupted(signal_name, phase, f"interrupted by {signal_name} while "
                          f"{'reading' if phase == 'read' else 'planning'}: nothing was written to either wiki")


def _note(state: State, run_id: str, phase: str, **more: Any) -> None:
    """Where the run stands, for `capxl10n runs` to tell a run still going (its process is alive) from a
    killed one, and how far a killed one got (its plan's journal)."""
    state.note_run(run_id, {"phase": phase, "pid": os.getpid(), "host": socket.gethostname(), **more})


def run_ending(exc: BaseException, phase: str) -> tuple[int, dict[str, Any]] | None:
    """How a run that ``exc`` ended is recorded in the run history: exit code and summary (None: not at all)."""
    if isinstance(exc, Interrupted):
        return exc.exit_code, {"interrupted": exc.signal_name, "phase": exc.phase}
    if isinstance(exc, KeyboardInterrupt):  # a second Ctrl-C: stopped at once, maybe with a write in flight
        return EXIT_PARTIAL, {"interrupted": "SIGINT", "phase": phase, "at_once": True}
    if isinstance(exc, CapxError):
        return exc.exit_code, {"error": exc.to_json(), "phase": phase}
    if isinstance(exc, Exception):
        return EXIT_ERROR, {"error": {"error": type(exc).__name__, "message": redact(str(exc))}, "phase": phase}
    return None


@contextmanager
def _recording(state: State, run_id: str, enabled: bool = True) -> Iterator[None]:
    """Record the run as ended when an error or an interruption leaves this block (never a NULL exit code)."""
    try:
        yield
    except BaseException as exc:
        ended = run_ending(exc, runlog.current_phase()) if enabled else None
        if ended is not None:
            try:
                state.finish_run(run_id, *ended)
            except Exception as inner:  # the run's own error matters more than its record
                log.warning("the run %s could not be recorded as ended: %s", run_id, inner)
        raise


def make_writers(profile: Profile) -> Writers:
    """Real write clients for both wikis; constructing them touches no network."""
    from capxl10n.engine.clients import Clients
    clients = Clients(sync_profile(profile))
    return Writers(metabase=clients.metabase, metawiki=clients.metawiki,
                   requests=lambda: sum(clients.requests().values()))


def merge_options(profile: Profile, reading: Reading, state: State,
                  decisions: Mapping[TermKey, Decision] | None = None,
                  asked: Mapping[TermKey, str] | None = None) -> MergeOptions:
    """The merge's options from the profile, the read and the state; ``decisions`` overrides what the state
    holds for some terms and ``asked`` adds open conflicts (a dry run's recovery finds both, in memory only)."""
    policy = profile.policy
    return MergeOptions(
        first_contact=policy.first_contact, deletions=policy.deletions,
        remove_from_bundle=policy.remove_from_bundle,
        languages=frozenset(profile.languages) if profile.languages is not None else None,
        exclude_languages=frozenset(profile.exclude_languages),
        unaccepted_languages=frozenset(reading.unaccepted_languages),
        duplicates=frozenset(reading.duplicates), decisions={**state.decisions(), **(decisions or {})},
        open_conflicts={**state.open_conflicts(), **(asked or {})}, established=state.established,
        bundle_keys=reading.bundle_keys,
        first_contact_keys=state.first_contact_keys(), english_changed_at=state.english_changed_at(),
        english_translations=state.english_translations())


def make_plan(profile: Profile, state: State, reading: Reading,
              base: Mapping[TermKey, BaseTerm] | None = None, *,
              recreate_bundle: bool = False,
              decisions: Mapping[TermKey, Decision] | None = None,
              asked: Mapping[TermKey, str] | None = None) -> tuple[Plan, MergeResult]:
    """Merge what was read against the base (or ``base``) and make a plan (no I/O besides reading the state).
    ``decisions`` override the state's for their terms and ``asked`` adds open conflicts (see
    :func:`merge_options`).

    A bundle page gone from Meta-Wiki whose keys were agreed is refused (:class:`BundleMissing`) unless
    ``recreate_bundle``: a human deleted it, and making it anew is theirs to decide.
    """
    base = state.load_base() if base is None else base
    bundle = reading.metawiki_cursor.bundle if reading.metawiki_cursor is not None else None
    if bundle is not None and not bundle.exists and not recreate_bundle:
        agreed = sum(1 for k, b in base.items() if k.lang == SOURCE_LANGUAGE and b.text is not None)
        if agreed:
            raise BundleMissing(
                f"the bundle page {profile.metawiki.bundle_page} is missing on Meta-Wiki, though {agreed} of its "
                "English messages were agreed: somebody deleted it. Nothing was written. Making it anew would "
                "put every key back, and Translate would outdate every translation of them",
                hint="restore the page on Meta-Wiki (Special:Undelete), or, if it was meant, run `capxl10n sync "
                     "--recreate-bundle` once to make it anew from Metabase", page=profile.metawiki.bundle_page)
    reading = _known_languages(reading)
    result = merge(base, reading.metabase, reading.metawiki, merge_options(profile, reading, state, decisions, asked))
    duplicates = set(reading.duplicates)
    plan = build_plan(
        result, profile=profile.name, bundle_page=profile.metawiki.bundle_page,
        base_generation=state.base_generation,
        fingerprints={"metabase": reading.metabase.fingerprint(), "metawiki": reading.metawiki.fingerprint()},
        capacities=tuple(c for c in reading.metabase.capacities if c.qid not in duplicates),
        bundle_revision=reading.bundle_revision, bundle_timestamp=reading.bundle_timestamp,
        notes=_reading_notes(reading, result), sides={"metabase": reading.metabase, "metawiki": reading.metawiki},
        cursors={"metabase": reading.metabase_cursor, "metawiki": reading.metawiki_cursor})
    return plan, result


def _known_languages(reading: Reading) -> Reading:
    """The reading without terms in language codes capxl10n does not know (MediaWiki's, so Translate's, with
    Wikibase's term languages): a Metabase label in such a code copied to Meta-Wiki would make a unit page
    Translate does not list (and some wikis refuse); a unit page in one is never a translation. Warned, never
    merged, so never written nor deleted anywhere."""
    from capxl10n.core.directory import known_languages_only

    metabase, unknown_mb = known_languages_only(reading.metabase)
    metawiki, unknown_mw = known_languages_only(reading.metawiki)
    for side, codes in (("metabase", unknown_mb), ("metawiki", unknown_mw)):
        if codes:
            log.warning("%s: terms in language codes capxl10n does not know are not synced: %s", side,
                        ", ".join(codes))
    return replace(reading, metabase=metabase, metawiki=metawiki) if unknown_mb or unknown_mw else reading


def _reading_notes(reading: Reading, result: MergeResult) -> dict[str, Any] | None:
    notes: dict[str, Any] = {}
    removed = set(result.removed_capacities)  # their keys are named with the capacity gone from Metabase
    unknown = [key for key in reading.unknown_bundle_keys if key.rpartition("-")[0] not in removed]
    if unknown:
        notes["unknown_bundle_keys"] = unknown
    if result.unlisted_keys:
        notes["unlisted_bundle_keys"] = list(result.unlisted_keys)
    if result.restored_keys:
        notes["restored_bundle_keys"] = list(result.restored_keys)
    if result.outdated_keys:
        notes["outdated_keys"] = list(result.outdated_keys)
    if result.outdated_keys or result.restored_keys:
        notes["english_translations"] = translations_of(reading.metabase,
                                                        {*result.outdated_keys, *result.restored_keys})
    return notes or None


def translations_of(snapshot: Snapshot, message_keys: Collection[str]) -> dict[str, dict[str, str]]:
    """Message key → language → the normalised Metabase translation read: what a plan changing these
    messages' English (or putting them back) leaves as translations of the older English."""
    wanted = {TermKey.from_message_key(k, SOURCE_LANGUAGE)[:2] for k in message_keys}
    out: dict[str, dict[str, str]] = {k: {} for k in sorted(message_keys)}
    for key, term in snapshot.terms.items():
        if key[:2] in wanted and key.lang not in (SOURCE_LANGUAGE, DOC_LANGUAGE):
            out[key.message_key][key.lang] = term.normalized
    return out


def plan(profile: Profile, *, record: bool = True, incremental: bool = True, reader: Reader | None = None,
         run_id: str | None = None, command: str = "plan",
         writers: Writers | WriterFactory | None = None, stop: Stop | None = None,
         progress: Progress | None = None, recreate_bundle: bool = False) -> PlanOutcome:
    """Read both sides and plan; with ``record`` the conflicts go to the inbox and the run is summarised.
    ``recreate_bundle``: a bundle page somebody deleted is made anew (:func:`make_plan`).

    With ``record``, an earlier apply that never finished is recovered first (its writes that
    landed move the base), reading pages through ``writers`` (default: the real clients).
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    started = time.monotonic()
    from capxl10n.engine.recover import recover_interrupted
    busy = None if record else held_elsewhere(profile.state)
    if busy is not None:
        log.warning("%s holds the state: this dry run reads it but does not store what it read", busy.describe())
    with locked(profile.state, command, run_id=run_id) if record else nullcontext(), \
            open_state(profile.state) as state, runlog.run(run_id), _recording(state, run_id, record):
        if record:
            state.start_run(run_id, command)
            _note(state, run_id, "read")
        runlog.enter("recover")
        # A dry run persists nothing: what an interrupted apply wrote moves the base in memory only.
        recovery = recover_interrupted(profile, state, writers=writers, persist=record)
        runlog.enter("read")
        log.info("reading both sides", extra=_event(run_id, "read", incremental=incremental))
        quiet_check = QUIET_FAST_PATH and record and command == "sync" and reader is None and incremental
        clients: Any = None
        answers: Any = None
        if quiet_check:
            found = _quiet_plan(profile, state, run_id, started, stop, progress)
            if isinstance(found, PlanOutcome):
                return found
            clients, answers = found
        reading = (reader or (lambda p, s: read_sides(p, s, incremental=incremental, stop=stop, progress=progress,
                                                      store=busy is None, clients=clients,
                                                      answers=answers)))(profile, state)
        checkpoint(stop, "read")
        # What this merge is made of, if the read found nothing new: kept by a sync that ends quiet.
        inputs = _quiet_inputs(profile, state) if quiet_check and state.rewritten == _NOTHING_NEW else None
        runlog.enter("plan")
        if progress is not None:
            progress(Step("plan", "merge", 0, 1))
        base = None if record or not recovery.base_updates else recovery.base(state.load_base())
        rebound, asked = (None, None) if record else (recovery.decisions, recovery.asked)
        the_plan, result = make_plan(profile, state, reading, base, recreate_bundle=recreate_bundle,
                                     decisions=rebound, asked=asked)
        if progress is not None:
            progress(Step("plan", "merge", 1, 1))
        if record:
            state.undecide(result.stale_decisions)
            conflicts = list(result.conflicts)
            if conflicts:  # who wrote each side, and when: asked once per new revision (engine/authors.py)
                known = {c.key: (c.metabase, c.metawiki) for c in state.conflicts()}
                conflicts = with_authors(conflicts, known, _author_lookups(profile, reader, writers))
            state.record_conflicts(conflicts, unexamined=(*result.unlisted_keys, *result.restored_keys))
            open_conflicts = state.undecided_count()
        else:  # what `capxl10n conflicts` shows, and what this run found that the inbox does not hold yet
            undecided = {c.key for c in state.conflicts() if c.decision is None}
            open_conflicts = len(undecided)
            pending = sum(1 for c in result.conflicts if c.key not in undecided)
        from capxl10n.engine.notices import repeated_notices
        repeated = repeated_notices(state, the_plan.notes, remember=record)
        outcome = PlanOutcome(run_id, the_plan, result, reading, open_conflicts, time.monotonic() - started,
                              repeated, record, 0 if record else pending,
                              _quiet_record(inputs, the_plan, reading) if inputs is not None else None)
        log.info("planned %d change(s), %d conflict(s)", len(the_plan.operations), len(the_plan.conflicts),
                 extra=_event(run_id, "plan", counts=outcome.to_json()["summary"], plan=the_plan.id))
        if record and command == "plan":
            state.finish_run(run_id, outcome.exit_code, outcome.to_json())
    return outcome


def _author_lookups(profile: Profile, reader: Reader | None,
                    writers: Writers | WriterFactory | None) -> dict[str, Lookup | None]:
    """How to ask each wiki who made a revision: through the writers' API clients (real ones unless the
    caller brought its own reader, whose wikis the real clients would not reach)."""
    if writers is None:
        if reader is not None:
            return {}
        writers = make_writers(profile)
    elif callable(writers) and not isinstance(writers, Writers):
        writers = writers(profile)
    out: dict[str, Lookup | None] = {}
    for side, client in (("metabase", writers.metabase), ("metawiki", writers.metawiki)):
        api = getattr(client, "api", None)
        out[side] = api_lookup(api) if api is not None and hasattr(api, "get") else None
    return out


def _hidden_keys(the_plan: Plan, skipped: Iterable[str] = ()) -> set[str]:
    """Message keys the run did not settle: their units were hidden from the plan's merge (put back into
    the bundle, or missing), or the apply ``skipped`` a copy of theirs whose source a human changed since
    the plan (the merge that sees the new value decides it, under the first-contact policy if it applies)."""
    by_id = {op.id: op.key.message_key for op in the_plan.operations}
    return {*the_plan.notes.get("restored_bundle_keys", ()), *the_plan.notes.get("unlisted_bundle_keys", ()),
            *(by_id[op_id] for op_id in skipped if op_id in by_id)}


def check_credentials(profile: Profile, the_plan: Plan) -> None:
    """Fail before any request when a site we must write to has no bot password in the environment."""
    targets = {op.target for op in the_plan.operations}
    if "metabase" in targets:
        profile.metabase.require_credentials()
    if targets & {"metawiki", "bundle"}:
        profile.metawiki.require_credentials()


def apply(profile: Profile, the_plan: Plan, *, writers: Writers | WriterFactory | None = None,
          run_id: str | None = None, command: str = "apply", rebuild_catalogs: bool = True,
          stop: Stop | None = None, progress: Progress | None = None) -> ApplyOutcome:
    """Apply ``the_plan``; the base moves for what was done, catalogs and coverage follow on success.

    ``stop`` is asked before every write (:func:`capxl10n.engine.apply.apply_plan`): a signal ends
    the apply after the write in flight, as a partly done one (exit 5; the next run resumes).
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    started = time.monotonic()
    with locked(profile.state, command, run_id=run_id), open_state(profile.state) as state, runlog.run(run_id), \
            _recording(state, run_id):
        from capxl10n.engine.apply import check_plan
        from capxl10n.engine.recover import recover_earlier
        # A saved plan applied after another apply was interrupted: what that one wrote moves the base
        # first, which makes this plan stale if it was made before those writes.
        recover_earlier(profile, state, the_plan.id, writers=writers)
        check_plan(the_plan, profile.name, state)
        if the_plan.operations:
            check_credentials(profile, the_plan)
        if command == "apply":
            state.start_run(run_id, command)
        _note(state, run_id, "apply", plan=the_plan.id, operations=len(the_plan.operations))
        if callable(writers) and not isinstance(writers, Writers):
            writers = writers(profile)
        if writers is None:
            writers = make_writers(profile) if the_plan.operations else Writers(None, None)  # type: ignore[arg-type]
        log.info("applying %d operation(s)", len(the_plan.operations),
                 extra=_event(run_id, "apply", plan=the_plan.id, operations=len(the_plan.operations)))
        if the_plan.notes.get("restored_bundle_keys"):
            # Units of keys put back into the bundle are listed again only once the bundle is saved: from
            # then on an incremental Meta-Wiki read is blind to them, even if this apply stops halfway. The
            # cached read stays as the one before the next (full) read, which keeps the previous English of
            # the units this apply outdates.
            state.expire_side("metawiki")
        runlog.enter("apply")
        result = apply_plan(the_plan, state, writers, profile_name=profile.name, stop=stop, progress=progress)
        if result.writes:
            absorb_writes(state, the_plan.operations, result.writes, profile.metawiki.bundle_page)
        if result.complete:
            # Keys this plan put back (or could not list) had their units hidden from its merge, and keys
            # of skipped stale copies changed since it: they stay a first contact, for the merge that sees
            # them (the sync's second round, or the next run).
            state.mark_established(_hidden_keys(the_plan, result.stale))
        catalogs = None
        if result.complete and rebuild_catalogs and (result.written or the_plan.base or the_plan.operations):
            runlog.enter("catalogs")
            catalogs = finish_directory(profile, state)
        outcome = ApplyOutcome(run_id, the_plan, result, state.undecided_count(), catalogs,
                               time.monotonic() - started)
        log.info("applied: %d done (%d written), %d conflict(s), %d failed", len(result.done),
                 len(result.written), len(result.conflicts), len(result.failed),
                 extra=_event(run_id, "done", counts=result.to_json(), exit_code=outcome.exit_code))
        state.finish_run(run_id, outcome.exit_code, outcome.to_json())
    return outcome


#: State meta: the digest of the directory the catalogs were last built from.
CATALOGS_DIRECTORY = "catalogs_directory"


def catalogs_behind(profile: Profile, state: State) -> tuple[bool, Snapshot | None]:
    """Whether the catalogs miss something the wikis know (the whole directory is not loaded: None).

    A sync with nothing to write still rebuilds them when its read brought anything
    new (an outdated unit, documentation, a value in a language Metabase refuses), when
    they go elsewhere now or their directory is gone, or when a previous build failed. What they were
    built from is named without decoding it (:func:`_built_from`).
    """
    built = _built_from(profile, state)
    behind = state.get_meta("catalogs_stale") == "1" or built is None or \
        state.get_meta(CATALOGS_DIRECTORY) != built or not Path(profile.catalogs).is_dir()
    return behind, None


def _built_from(profile: Profile, state: State) -> str | None:
    """What the catalogs are built from, named without decoding it: the whole directory's makings
    (:meth:`State.directory_identity`: each side's cached read, the base, this code) and where they go.
    None when a row's digest is not known (the catalogs are then taken as behind)."""
    identity = state.directory_identity()
    if identity is None:
        return None
    return json.dumps({**identity, "catalogs": str(Path(profile.catalogs))}, sort_keys=True)


def finish_directory(profile: Profile, state: State, directory: Snapshot | None = None) -> dict[str, Any]:
    """Rebuild the catalogs from the whole directory (base and read cache: what both wikis know,
    :meth:`State.whole_directory`) and record a coverage snapshot."""
    built_from = _built_from(profile, state)  # of the state the directory is loaded from
    directory = state.whole_directory() if directory is None else directory
    out: dict[str, Any] = {}
    from capxl10n.engine.history import record_history
    out["coverage_taken"] = record_history(state, directory, command="sync")
    try:
        built = build_catalogs(directory, Path(profile.catalogs), CatalogOptions.from_profile(profile))
    except CatalogError as exc:  # the wikis are in step; only the app's files are behind
        log.error("catalogs not rebuilt: %s", exc, extra={"event": {"phase": "catalogs", "error": exc.to_json()}})
        out["error"] = exc.to_json()
        state.set_meta("catalogs_stale", "1")
        return out
    state.set_meta("catalogs_stale", "0")
    if built_from is None:
        state.drop_meta(CATALOGS_DIRECTORY)
    else:
        state.set_meta(CATALOGS_DIRECTORY, built_from)
    out["catalogs_written"] = len(built.written)
    for found in built.left_out:  # never written to a wiki either: each is a conflict saying why (docs/sync.md)
        log.warning("left out of the catalogs: %s", found)
    if built.left_out:
        out["catalogs_left_out"] = [f.to_json() for f in built.left_out]
    return out


def sync(profile: Profile, *, dry_run: bool = False, incremental: bool = True, reader: Reader | None = None,
         writers: Writers | WriterFactory | None = None, rebuild_catalogs: bool = True,
         again: bool = True, stop: Stop | None = None, run_id: str | None = None,
         progress: Progress | None = None, recreate_bundle: bool = False) -> SyncOutcome:
    """Plan, then apply unless ``dry_run`` (no login, no write to a wiki, only the read cache changes).

    ``stop`` is asked at safe points (each step of the read, before planning, before every write):
    a signal ends the run there, recorded as interrupted (exit 5; the next sync resumes).
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    if dry_run:
        return SyncOutcome(plan(profile, record=False, incremental=incremental, reader=reader, run_id=run_id,
                                command="sync", writers=writers, stop=stop, progress=progress,
                                recreate_bundle=recreate_bundle), None)
    with locked(profile.state, "sync", run_id=run_id):  # plan and apply, and a second round, as one run
        return _sync(profile, incremental=incremental, reader=reader, writers=writers,
                     rebuild_catalogs=rebuild_catalogs, again=again, stop=stop, run_id=run_id, progress=progress,
                     recreate_bundle=recreate_bundle)


def _sync(profile: Profile, *, incremental: bool, reader: Reader | None, writers: Writers | WriterFactory | None,
          rebuild_catalogs: bool, again: bool, stop: Stop | None, run_id: str,
          progress: Progress | None, recreate_bundle: bool = False) -> SyncOutcome:
    planned = plan(profile, record=True, incremental=incremental, reader=reader, run_id=run_id,
                   command="sync", writers=writers, stop=stop, progress=progress, recreate_bundle=recreate_bundle)
    the_plan = planned.plan
    if not (the_plan.operations or the_plan.base or the_plan.resolved):
        # Nothing to write and nothing to remember: no login, no journal, just the run summary.
        with open_state(profile.state) as state, runlog.run(run_id), _recording(state, run_id):
            summary = planned.to_json()
            exit_code = planned.exit_code
            state.mark_established(_hidden_keys(the_plan))
            behind, directory = catalogs_behind(profile, state) if rebuild_catalogs else (False, None)
            if behind:  # a previous build failed, or the read brought something the catalogs lack
                summary["catalogs"] = finish_directory(profile, state, directory)
                if "error" in summary["catalogs"]:
                    exit_code = EXIT_ERROR
            state.finish_run(run_id, exit_code, summary)
            if planned.quiet is not None and exit_code != EXIT_ERROR and rebuild_catalogs:
                _keep_quiet(profile, state, planned.quiet)
        log.info("nothing to do", extra=_event(run_id, "done", exit_code=exit_code))
        return SyncOutcome(planned, None, catalogs_error=exit_code == EXIT_ERROR)
    if stop is not None and stop():  # asked while planning: stop before the first write, recorded
        with open_state(profile.state) as state, runlog.run(run_id), _recording(state, run_id):
            checkpoint(stop, "plan")
    applied = apply(profile, planned.plan, writers=writers, run_id=run_id, command="sync",
                    rebuild_catalogs=rebuild_catalogs, stop=stop, progress=progress)
    outcome = SyncOutcome(planned, applied)
    if applied.result.complete and the_plan.notes.get("restored_bundle_keys") and again:
        # Keys went back into the bundle: their units are listed again only now. Merge once more
        # (Meta-Wiki read in full) so that one sync leaves both sides in step.
        log.info("keys put back into the bundle: reading Meta-Wiki again",
                 extra=_event(run_id, "read", keys=list(the_plan.notes["restored_bundle_keys"])))
        later = sync(profile, incremental=incremental, reader=reader, writers=writers,
                     rebuild_catalogs=rebuild_catalogs, again=False, stop=stop, progress=progress)
        later.earlier = outcome
        return later
    return outcome


# ---------------------------------------------------------------------- the quiet sync
#: Internal switch: a sync whose reads find nothing new, when nothing else the merge reads changed since the
#: last sync that ended quiet, takes that sync's plan instead of merging again (:func:`_quiet_plan`).
#: tests/engine/test_sync_quiet.py runs the same histories with it off and on.
QUIET_FAST_PATH = True
#: State meta: what the last sync that ended quiet kept (:func:`_quiet_record`).
QUIET = "quiet_sync"
QUIET_FORMAT: Final = 1
_NOTHING_NEW: Final = {"metabase": False, "metawiki": False}


def _profile_digest(profile: Profile) -> str:
    """A digest of every setting of the sync's profile (policies, languages, sites, pages, paths)."""
    return hashlib.sha256(json.dumps(dataclasses.asdict(sync_profile(profile)), sort_keys=True, default=str,
                                     ensure_ascii=False).encode("utf-8")).hexdigest()


def _quiet_inputs(profile: Profile, state: State) -> dict[str, Any] | None:
    """Everything a sync's merge and plan are made of but the wikis' news: this code, the profile, what the
    merge reads of the state (:meth:`State.merge_inputs`: the base's generation and write counter, the
    inbox, the first-contact marks) and each side's cached read but for its time mark
    (:meth:`State.read_identity`). The merge reads no clock. None when a read's row is not known by its
    digest."""
    reads = {side: state.read_identity(side) for side in ("metabase", "metawiki")}
    if any(not identity for identity in reads.values()):
        return None
    return {"format": QUIET_FORMAT, "code": code_digest(), "profile": _profile_digest(profile),
            "state": state.merge_inputs(), "reads": reads}


def _quiet_record(inputs: dict[str, Any], the_plan: Plan, reading: Reading) -> dict[str, Any] | None:
    """What the next sync needs to know this one's plan without merging, if this one ends quiet: a plan
    with nothing to do and nothing to ask (no operation, base change, resolved decision or conflict),
    everything in it but where the reads stand, what the read gave besides its terms, and what the
    incremental read needs of Meta-Wiki's terms (its outdated units, whether it holds documentation)."""
    if the_plan.operations or the_plan.base or the_plan.resolved or the_plan.conflicts:
        return None
    terms = reading.metawiki.terms
    return {"inputs": inputs, "fingerprints": dict(the_plan.fingerprints),
            "capacities": [c.to_json() for c in the_plan.capacities], "notes": dict(the_plan.notes),
            "duplicates": {q: list(items) for q, items in reading.duplicates.items()},
            "unaccepted_languages": list(reading.unaccepted_languages),
            "unknown_bundle_keys": list(reading.unknown_bundle_keys),
            "outdated": [[k.qid, k.field, k.lang, t.to_json()] for k, t in terms.items()
                         if t.fuzzy and k.lang not in NOT_TRANSLATIONS],
            "documentation_terms": any(k.lang == DOC_LANGUAGE for k in terms)}


def _keep_quiet(profile: Profile, state: State, record: dict[str, Any]) -> None:
    """At the end of a sync that planned nothing: keep its record for the next sync's quiet check, if the
    run left everything its merge was made of as it was (recording the plan changed nothing the next merge
    reads: the same merge would plan the same again)."""
    if _quiet_inputs(profile, state) == record["inputs"]:
        state.set_meta(QUIET, json.dumps(record, ensure_ascii=False, separators=(",", ":")))


def _quiet_plan(profile: Profile, state: State, run_id: str, started: float, stop: Stop | None,
                progress: Progress | None) -> PlanOutcome | tuple[Any, Any]:
    """A sync's plan without decoding the read cache nor merging, when the last sync ended quiet, nothing
    its merge was made of changed since (:func:`_quiet_inputs`), and both incremental reads find nothing
    new (:func:`capxl10n.engine.pull.read_quietly`): that sync's plan, with where the reads stand now, and
    recorded as the merge's would be. Otherwise the clients and the answers the read had (the read that
    follows does not ask again), or ``(None, None)`` when nothing was asked. The kept record goes either
    way: only a sync that ends quiet keeps one (:func:`_keep_quiet`)."""
    raw = state.get_meta(QUIET)
    if raw is None:
        return None, None
    state.drop_meta(QUIET)
    try:
        kept = json.loads(raw)
        if kept.get("inputs") != _quiet_inputs(profile, state):
            return None, None
        outdated = {TermKey(q, f, lg): Term.from_json(t) for q, f, lg, t in kept["outdated"]}
    except Exception as exc:  # only a shortcut: the sync merges as always
        log.warning("ignoring a damaged quiet-sync record: %s", exc)
        return None, None
    from capxl10n.engine.clients import Clients
    from capxl10n.engine.pull import Answers, read_quietly

    def report(stage: str, done: int, total: int) -> None:
        checkpoint(stop, "read")
        if progress is not None:
            progress(Step("read", stage, done, total))

    clients, answers = Clients(sync_profile(profile)), Answers()
    quiet = read_quietly(sync_profile(profile), state, outdated, bool(kept["documentation_terms"]),
                         clients=clients, answers=answers, progress=report)
    if quiet is None:
        return clients, answers
    checkpoint(stop, "read")
    runlog.enter("plan")
    if progress is not None:
        progress(Step("plan", "merge", 0, 1))
    bundle = quiet.metawiki_cursor.bundle or Bundle({})
    reading = Reading(metabase=Snapshot("metabase"), metawiki=Snapshot("metawiki"),
                      duplicates={q: tuple(items) for q, items in kept["duplicates"].items()},
                      unaccepted_languages=tuple(kept["unaccepted_languages"]),
                      unknown_bundle_keys=tuple(kept["unknown_bundle_keys"]), bundle_revision=bundle.revision,
                      bundle_timestamp=bundle.timestamp, requests=quiet.requests,
                      bundle_keys=frozenset(bundle.messages), metabase_cursor=quiet.metabase_cursor,
                      metawiki_cursor=quiet.metawiki_cursor, quiet=True)
    notes = kept["notes"]
    result = MergeResult((), (), {}, (), tuple(notes.get("unaccepted_languages", ())),
                         tuple(notes.get("removed_capacities", ())), tuple(notes.get("skipped_duplicates", ())),
                         bool(notes.get("first_contact")), unlisted_keys=tuple(notes.get("unlisted_bundle_keys", ())))
    the_plan = build_plan(
        result, profile=profile.name, bundle_page=profile.metawiki.bundle_page, base_generation=state.base_generation,
        fingerprints=kept["fingerprints"], capacities=tuple(Capacity.from_json(c) for c in kept["capacities"]),
        bundle_revision=reading.bundle_revision, bundle_timestamp=reading.bundle_timestamp, notes=notes,
        sides={"metabase": reading.metabase, "metawiki": reading.metawiki},
        cursors={"metabase": reading.metabase_cursor, "metawiki": reading.metawiki_cursor})
    if progress is not None:
        progress(Step("plan", "merge", 1, 1))
    state.undecide(result.stale_decisions)
    state.record_conflicts([], unexamined=(*result.unlisted_keys, *result.restored_keys))
    from capxl10n.engine.notices import repeated_notices
    repeated = repeated_notices(state, the_plan.notes, remember=True)
    outcome = PlanOutcome(run_id, the_plan, result, reading, state.undecided_count(), time.monotonic() - started,
                          repeated, True, 0, kept)
    log.info("planned %d change(s), %d conflict(s) (nothing new read: the last quiet sync's plan)", 0, 0,
             extra=_event(run_id, "plan", counts=outcome.to_json()["summary"], plan=the_plan.id, quiet=True))
    return outcome
