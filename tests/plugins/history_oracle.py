"""The history machine's oracle: what the humans wrote, and the promise checked against the wikis.

Kept by the test alone: every value a human wrote (term, side, text or deletion,
step), the steps at which Translate outdated a unit, and the steps at which
terms agreed. It never reads capxl10n's state, except the conflict inbox
(``open_state(...).conflicts()``), since "it is in the inbox" is part of the
promise. Each invariant is a :class:`Violation` subclass, so hypothesis
reports each kind of broken promise as a distinct failure
(docs/testing-histories.md lists them).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from capxl10n.core.model import TermKey

from plugins.history_world import LANGS, Observed, all_keys, norm


@dataclass(frozen=True)
class Write:
    """A value a human wrote (text, or None for a deletion) on one side, or decided in the inbox."""

    n: int
    step: int
    key: TermKey
    side: str  # "metabase" | "metawiki" | "decision" | "bundle-edit" (a key removed from the bundle by hand)
    text: str | None
    outdated: bool = False
    precontact: bool = False
    #: for a deletion: whether the last sync saw the deleted value (else it removed something no sync knew of)
    seen: bool = True
    #: written during a sync by the sandbox's concurrent editor: a human racing the bot
    racing: bool = False

    def show(self) -> str:
        what = "deleted" if self.text is None else repr(self.text) + (" (outdated)" if self.outdated else "")
        return f"step {self.step} {self.side}: {what}" + ("" if self.seen else " (never synced)")


@dataclass(frozen=True)
class Inbox:
    """The conflict inbox as the promise needs it: per key, both sides' values and whether it is decided."""

    sides: Mapping[TermKey, tuple[str | None, str | None]]
    decided: frozenset[TermKey]
    #: decided keys → the decided text (None: delete), waiting to be written
    decisions: Mapping[TermKey, str | None] = field(default_factory=dict)

    @property
    def undecided(self) -> frozenset[TermKey]:
        return frozenset(self.sides) - self.decided


def read_inbox(state_path: Path) -> Inbox:
    from capxl10n.engine.state import open_state

    if not state_path.exists():
        return Inbox({}, frozenset())
    with open_state(state_path, create=False) as state:
        rows = state.conflicts()
    sides = {c.key: (norm(c.metabase.text) if c.metabase else None, norm(c.metawiki.text) if c.metawiki else None)
             for c in rows}
    decided = {c.key: norm(c.decision.text) for c in rows if c.decision is not None}
    return Inbox(sides, frozenset(decided), decided)


class Violation(AssertionError):
    """A broken promise; subclasses name the invariant so hypothesis reports each kind apart."""

    tag = "I?"
    code = "I? broken promise"


class I0Provenance(Violation):
    tag = "I0"
    code = "I0 a value nobody wrote for this term"


class I1NotInStep(Violation):
    tag = "I1"
    code = "I1 not in step after a quiet sync"


class I2NotIdempotent(Violation):
    tag = "I2"
    code = "I2 another sync plans or writes something"


class I3Lost(Violation):
    tag = "I3"
    code = "I3 a human's value silently gone"


class I4Resurrected(Violation):
    tag = "I4"
    code = "I4 a deletion undone"


class I4bDeletedByNobody(Violation):
    tag = "I4b"
    code = "I4b a deletion no human made"


class I5OutdatedCopied(Violation):
    tag = "I5"
    code = "I5 outdated text reached Metabase"


class I5bOutdatedRevived(Violation):
    tag = "I5b"
    code = "I5b outdated text made current with no newer human write"


class I6WrittenTwice(Violation):
    tag = "I6"
    code = "I6 written twice"


class I7ExitCode(Violation):
    tag = "I7"
    code = "I7 undocumented or dishonest exit"


class I8SpuriousConflict(Violation):
    tag = "I8"
    code = "I8 a conflict no two humans made"


class I9ConflictDropped(Violation):
    tag = "I9"
    code = "I9 a conflict closed by nobody"


class I10StaleCopy(Violation):
    tag = "I10"
    code = "I10 apply copied a value whose source a human had changed meanwhile"


#: The order violations are reported in when one step breaks several promises (most telling first).
PRIORITY: tuple[type[Violation], ...] = (I7ExitCode, I6WrittenTwice, I4bDeletedByNobody, I4Resurrected,
                                         I5OutdatedCopied, I0Provenance,
                                         I3Lost, I10StaleCopy, I9ConflictDropped, I8SpuriousConflict, I5bOutdatedRevived,
                                         I1NotInStep, I2NotIdempotent)


def raise_first(found: Mapping[type[Violation], list[str]], skip: frozenset[str] = frozenset()) -> None:
    for kind in PRIORITY:
        messages = found.get(kind)
        if messages and kind.tag not in skip:
            raise kind(kind.code + ":\n  " + "\n  ".join(messages))


@dataclass
class Oracle:
    """What the humans did, and what the wikis must look like because of it.

    Order: a write supersedes the writes of the same term made at earlier steps.
    Before the first completed sync ("first contact") there is no base, so a
    deletion cannot be told from a value never written: when first contact
    ends, the profile's ``first_contact`` policy decides which side's earlier
    writes are superseded (one-sided values win; outdated units count as absent).
    """

    #: the profile's first-contact policy (the deletions policy needs no model: a deletion may always ask)
    first_contact: str
    writes: dict[TermKey, list[Write]] = field(default_factory=dict)
    superseded: set[int] = field(default_factory=set)
    #: step of the latest event that outdated a translation (Translate on an English change, a !!FUZZY!! save)
    outdated_at: dict[TermKey, int] = field(default_factory=dict)
    #: step of the human English change behind the latest outdating (I5b)
    english_change: dict[TermKey, int] = field(default_factory=dict)
    #: The English each message key last had in the bundle (kept while a human has removed the key).
    last_english: dict[str, str] = field(default_factory=dict)
    agreed: dict[TermKey, int] = field(default_factory=dict)
    first_contact_end: int | None = None
    #: translations whose key was missing from the bundle when the first contact ended: the sync never saw
    #: their units, so for them the first contact lasts until a run examines them
    pending_contact: set[TermKey] = field(default_factory=set)
    #: terms a human wrote between a plan and its apply (step of the apply): apply's guard may ask a human
    raced: dict[TermKey, int] = field(default_factory=dict)
    #: terms whose decision a side moved under (the step the sync dropped it): asking again is right
    asked_again: dict[TermKey, int] = field(default_factory=dict)
    #: term → the last step at which the inbox still held a human's decision on it (not yet fully written)
    decision_pending: dict[TermKey, int] = field(default_factory=dict)
    open_since: dict[TermKey, int] = field(default_factory=dict)

    def record(self, step: int, key: TermKey, side: str, text: str | None, *, outdated: bool = False,
               seen: bool = True, racing: bool = False) -> Write:
        w = Write(sum(len(v) for v in self.writes.values()), step, key, side, norm(text), outdated,
                  precontact=self.in_first_contact(key), seen=seen,
                  racing=racing)
        self.writes.setdefault(key, []).append(w)
        if outdated:
            self.outdated_at[key] = step
        return w

    # -- derived facts ---------------------------------------------------------------------------
    def of(self, key: TermKey) -> list[Write]:
        return self.writes.get(key, [])

    def latest(self, key: TermKey) -> list[Write]:
        """The writes of the term's latest step: the last one per side (two when both sides changed in one
        step; the concurrent editor may change a unit twice during one sync)."""
        ws = [w for w in self.of(key) if w.side != "bundle-edit"]
        last = max((w.step for w in ws), default=None)
        per_side = {w.side: w for w in ws if w.step == last}
        return sorted(per_side.values(), key=lambda w: w.n)

    def live(self, key: TermKey) -> list[Write]:
        """The writes the wikis must honour: the latest ones, unless the first-contact policy overruled them.

        A write is superseded by any later write of the term, or by the policy. Both
        relations only ever excuse: before first contact the sync may know more than
        the policy assumes (e.g. it saw both sides agree in an interrupted run), so
        either outcome is accepted, never the loss of both. A human removing the key
        from the bundle after a decision moved a side the decision was made on: it
        lapses, and what the two sides hold then stands. A deletion of a value no
        sync ever saw (written and deleted between two syncs) is invisible to any
        sync: it excuses, but nobody can be held to it.
        """
        latest = self.latest(key)
        removed = max((w.step for w in self.of(key) if w.side == "bundle-edit"), default=-1)
        if latest and all(w.side == "decision" for w in latest) and removed > latest[0].step:
            return []  # the key left the bundle after the decision: a side moved, the decision lapses
        return [w for w in latest if w.n not in self.superseded and w.seen]

    def current_texts(self, key: TermKey) -> set[str]:
        return {w.text for w in self.of(key) if w.text is not None and not w.outdated}

    def outdated_texts(self, key: TermKey) -> set[str]:
        return {w.text for w in self.of(key) if w.text is not None and w.outdated}

    def latest_current_step(self, key: TermKey) -> int:
        return max((w.step for w in self.of(key) if w.text is not None and not w.outdated), default=-1)

    # -- events ----------------------------------------------------------------------------------
    def bundle_changed(self, step: int, before: Mapping[str, str], after: Mapping[str, str],
                       first_contact: Collection[TermKey] = ()) -> None:
        """Translate outdates every unit of a message whose source text changed (not added, not removed), and of
        a key put back after a removal, whatever its English (REL1_39, tests/realwiki's translate-put-back).
        A key put back with the English it had is outdated with no English change behind it: a translation
        made for that English may be made current again (I5b asks nothing of it). Nor is I5b asked of a key
        put back with other English while its translations were a first contact to the run (``first_contact``):
        with no base and the units hidden, nothing the sync can read tells which English a translation was
        made for."""
        for message_key, text in before.items():
            self.last_english.setdefault(message_key, text)
        for message_key, text in after.items():
            old = before.get(message_key)
            remembered = self.last_english.get(message_key) if old is None else None
            self.last_english[message_key] = text
            if remembered is None and (old is None or old == text):
                continue
            english = TermKey.from_message_key(message_key, "en")
            origin = max((w.step for w in self.of(english) if w.side == "metabase" and w.text == text),
                         default=step)
            for lang in LANGS:
                key = TermKey(english.qid, english.field, lang)
                self.outdated_at[key] = step
                if remembered != text and not (old is None and key in first_contact):
                    self.english_change[key] = origin

    def end_first_contact(self, step: int, hidden: Collection[TermKey] = ()) -> None:
        """The first completed sync: settle the writes made without a base by the profile's policy
        (``hidden``: translations whose units it could not see stay a first contact)."""
        self.first_contact_end = step
        self.pending_contact = set(hidden)
        self.settle([k for k in self.writes if k not in self.pending_contact])

    def examined(self, keys: Collection[TermKey]) -> None:
        """A completed run saw these pending translations' units: their first contact ends now."""
        done = [k for k in keys if k in self.pending_contact]
        self.pending_contact.difference_update(done)
        self.settle(done)

    def _policy_gave_metabase(self, key: TermKey) -> bool:
        """The first-contact policy overruled every Meta-Wiki write of the term's latest step, none of Metabase's:
        Metabase's value stands, and a copy of it may be saved outdated (a key put back, see bundle_changed)."""
        latest = self.latest(key)
        return any(w.side == "metawiki" for w in latest) and all(
            (w.n in self.superseded) == (w.side == "metawiki") for w in latest)

    def in_first_contact(self, key: TermKey) -> bool:
        """Whether no completed run has examined the term yet: the policy, not a base, decides it."""
        return self.first_contact_end is None or key in self.pending_contact

    def settle(self, keys: Iterable[TermKey]) -> None:
        for key in keys:
            ws = self.writes.get(key, [])
            mb = [w for w in ws if w.precontact and w.side == "metabase"]
            mw = [w for w in ws if w.precontact and w.side == "metawiki"]
            mb_value = mb[-1].text if mb else None
            last_mw = mw[-1] if mw else None
            mw_value = None
            if last_mw is not None and not last_mw.outdated and self.outdated_at.get(key, -1) < last_mw.step:
                mw_value = last_mw.text
            loser: list[Write] = []
            if mb_value is not None and mw_value is None:
                loser = mw
            elif mw_value is not None and mb_value is None:
                loser = mb
            elif mb_value is not None and mb_value != mw_value:
                loser = {"metabase": mw, "metawiki": mb}.get(self.first_contact, [])
            self.superseded.update(w.n for w in loser)

    # -- the invariants --------------------------------------------------------------------------
    def check_provenance(self, obs: Observed) -> dict[type[Violation], list[str]]:
        """I0/I5 (any time): every value on Metabase, and every current unit, is a current text a human wrote."""
        found: dict[type[Violation], list[str]] = {}
        for key in all_keys():
            for where, value in (("metabase", obs.mb(key)), ("metawiki", obs.current(key))):
                if value is None or value in self.current_texts(key):
                    continue
                kind = I5OutdatedCopied if value in self.outdated_texts(key) else I0Provenance
                found.setdefault(kind, []).append(f"{where} holds {value!r}; {self.history(key)}; now {obs.show(key)}")
        return found

    def check_deletions(self, step: int, before: Observed, after: Observed) -> dict[type[Violation], list[str]]:
        """I4b (any sync): a value that left a side during a sync left because a human deleted the term.

        Outdating by Translate during the sync (the bundle's source changed) is not a deletion.
        """
        found: dict[type[Violation], list[str]] = {}
        for key in all_keys():
            for where, was, now in (("metabase", before.mb(key), after.mb(key)),
                                    ("metawiki", before.current(key), after.current(key))):
                if was is None or now is not None:
                    continue
                if where == "metawiki" and self.outdated_at.get(key) == step and after.outdated(key) is not None:
                    continue
                if where == "metawiki" and after.outdated(key) is not None and any(
                        w.side == "decision" and w.text == after.outdated(key) for w in self.live(key)):
                    continue  # a human decided to replace the unit; written outdated, it asks for a review
                if where == "metawiki" and after.outdated(key) is not None and after.outdated(key) == after.mb(key) \
                        and self._policy_gave_metabase(key):
                    continue  # the first-contact policy gave the term to Metabase's value, older than a put-back
                if not any(w.text is None and w.side != "bundle-edit" for w in self.latest(key)):
                    found.setdefault(I4bDeletedByNobody, []).append(
                        f"{where} lost {was!r} during the sync; {self.history(key)}; now {after.show(key)}")
        return found

    def check_quiet(self, obs: Observed, inbox: Inbox) -> dict[type[Violation], list[str]]:
        """I1, I3, I4, I5b, I8, I9 after a quiet sync."""
        found: dict[type[Violation], list[str]] = {}

        def add(kind: type[Violation], key: TermKey, why: str) -> None:
            found.setdefault(kind, []).append(f"{why}; {self.history(key)}; now {obs.show(key)}")

        for key in all_keys():
            in_inbox = key in inbox.sides
            self._check_in_step(key, obs, in_inbox, add)
            self._check_kept(key, obs, inbox, add)
            self._check_not_revived(key, obs, add)
            if key in inbox.undecided and not self._genuine(key, obs):
                add(I8SpuriousConflict, key, f"conflict {inbox.sides[key]} but no two humans changed both sides "
                                             f"since they last agreed (step {self.agreed.get(key, 'never')})")
            if key in self.open_since and not in_inbox and not self._closed_by_human(key, obs):
                add(I9ConflictDropped, key, f"conflict open since step {self.open_since[key]} left the inbox "
                                            "with no decision and no human edit settling it")
        return found

    def _check_in_step(self, key: TermKey, obs: Observed, in_inbox: bool,
                       add: Callable[[type[Violation], TermKey, str], None]) -> None:
        mb, cur, old = obs.mb(key), obs.current(key), obs.outdated(key)
        if in_inbox or mb == cur or (mb is None and cur is None) or obs.parked(key):
            return
        if cur is None and old is not None and self.outdated_at.get(key, -1) >= self.latest_current_step(key):
            return  # outdated since the last current text anyone wrote: awaits a translator
        if cur is None and old is not None and old == mb and self._policy_gave_metabase(key):
            return  # the first-contact policy's value, saved outdated on a key put back: awaits a translator
        add(I1NotInStep, key, "sides differ")

    def _check_kept(self, key: TermKey, obs: Observed, inbox: Inbox,
                    add: Callable[[type[Violation], TermKey, str], None]) -> None:
        mb, cur, old = obs.mb(key), obs.current(key), obs.outdated(key)
        sides = inbox.sides.get(key)
        for w in self.live(key):
            if w.text is None:
                if sides is None and not obs.parked(key) and (mb is not None or cur is not None):
                    add(I4Resurrected, key, f"deleted at step {w.step}, present again")
                continue
            kept = (mb == w.text and cur == w.text) or old == w.text or (sides is not None and w.text in sides) \
                or (key in inbox.decided and inbox.decisions.get(key) == w.text)  # a decision waiting its turn
            unit = obs.units.get(key)
            if obs.parked(key) and (mb == w.text or (unit is not None and unit.text == w.text)):
                kept = True
            if not kept:
                add(I3Lost, key, f"{w.text!r} (step {w.step}) is neither on both sides, in the inbox, "
                                 "nor an outdated unit")

    def _check_not_revived(self, key: TermKey, obs: Observed,
                           add: Callable[[type[Violation], TermKey, str], None]) -> None:
        cur = obs.current(key)
        if key.lang == "en" or cur is None:
            return
        since = self.english_change.get(key, -1)  # a translator's own !!FUZZY!! save asks for review, not this
        if since < 0:
            return
        if not any(w.text == cur and not w.outdated and w.step > since for w in self.of(key)):
            add(I5bOutdatedRevived, key, f"current unit {cur!r} but nobody wrote it after it was outdated "
                                         f"(step {since})")

    def seen_agreeing(self, step: int, obs: Observed, only: Collection[TermKey] | None = None) -> None:
        """Where both sides hold the same text when a sync reads them, or when it leaves them (its own
        writes, even of a run that died), the sync may know they agreed: a later change on each side is a
        genuine conflict, whatever the first-contact policy says."""
        for key in all_keys() if only is None else only:
            if obs.mb(key) is not None and obs.mb(key) == (obs.current(key) or obs.outdated(key)):
                self.agreed[key] = step

    def _genuine(self, key: TermKey, obs: Observed) -> bool:
        """A conflict needs both sides changed by humans since they were last seen to agree, or a deletion
        to confirm, or a first contact whose policy asks a human.

        With no agreement ever seen, the first-contact policy decides, so writes it overruled do not count,
        unless the policy itself asks a human (``conflict``), or names Meta-Wiki while its value is an
        outdated unit, which may never reach Metabase (asking is then the only safe outcome).
        """
        ws = [w for w in self.of(key) if w.side in ("metabase", "metawiki")]
        mw = [w for w in ws if w.side == "metawiki" and w.precontact]
        # Meta-Wiki's value is an outdated unit: a translator's outdated save, or Translate's outdating (an
        # English change, a key put back) before the first contact completed.
        outdated_unit = (bool(mw) and mw[-1].outdated) or (obs.current(key) is None and obs.outdated(key) is not None)
        ask = self.first_contact == "conflict" or (self.first_contact == "metawiki" and outdated_unit)
        if ask and {"metabase", "metawiki"} <= {w.side for w in ws if w.precontact}:
            return True
        since = self.agreed.get(key, -1)
        if any(w.racing and w.step >= since for w in ws) or self.raced.get(key, -1) >= since:
            return True  # apply's guard met a human racing it: asking is right
        if self.asked_again.get(key, -1) >= since:
            return True  # the sync dropped a decision a side had moved under
        decided = [w.step for w in self.of(key) if w.side == "decision"]
        if decided and self.decision_pending.get(key, -1) >= since and any(w.step > decided[-1] for w in ws):
            # A side moved under a human's decision still waiting to be written (a run that wrote one side
            # of it and failed may look like an agreement): it is stale, and asking again is right (class 2).
            return True
        after = [w for w in ws if w.step > since and (since >= 0 or w.n not in self.superseded)]
        sides = {w.side for w in after}
        last_mw = next((w for w in reversed(ws) if w.side == "metawiki"), None)
        if last_mw is not None and last_mw.outdated and obs.outdated(key) == last_mw.text:
            sides.add("metawiki")  # a translator's own outdated text is still pending: a change meets it
        return {"metabase", "metawiki"} <= sides or any(w.text is None for w in after)

    def _closed_by_human(self, key: TermKey, obs: Observed) -> bool:
        since = self.open_since[key]
        ws = [w for w in self.of(key) if w.step >= since]
        if any(w.side == "decision" for w in ws):
            return True
        settled = obs.mb(key) == obs.current(key) or (obs.mb(key) is None and obs.current(key) is None)
        return settled and bool(ws)

    def after_quiet(self, step: int, obs: Observed, inbox: Inbox) -> None:
        """Remember what agreed and which conflicts are open, for the next quiet sync's I8/I9."""
        for key in all_keys():
            if key in inbox.undecided:
                self.open_since.setdefault(key, step)
                continue
            if key in inbox.decided:  # a human has settled it; the sync writes it when it can
                self.open_since.pop(key, None)
                continue
            self.open_since.pop(key, None)
            if obs.parked(key):  # a translation of a key missing from the bundle was not examined
                continue
            if obs.current(key) is None and obs.outdated(key) not in (None, obs.mb(key)):
                continue  # a translator's text outdated (a put-back, say) before it reached Metabase: it waits,
                # the sides do not agree, and a Metabase change meeting it is a conflict (docs/sync.md, rule 6)
            self.agreed[key] = step

    def history(self, key: TermKey) -> str:
        ws = self.of(key)
        shown = ", ".join(w.show() + (" [superseded by policy]" if w.n in self.superseded else "") for w in ws)
        return f"written: {shown or 'nothing'}"
