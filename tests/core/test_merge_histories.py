"""Random histories against the merge rules, on an in-memory model of both wikis (fast: thousands a minute).

The sandbox suite (tests/history/test_history.py) walks histories through the real
clients, faults and kills; this one walks many more through the merge and
the inbox alone, with a faithful miniature of what the wikis do to a term:
Translate outdates every unit of a key whose English changes and lists units
only for keys in the bundle; the bot cannot delete a unit and outdates it
instead. The oracle is the test's own record of what humans wrote.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from capxl10n.core.merge import BaseTerm, Conflict, Decision, MergeOptions, MergeResult, merge
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey, normalize_text

CAPS = (Capacity("Q1", item="Q101"), Capacity("Q2", item="Q102"))
LANGS = ("pt", "de")
KEYS = tuple(TermKey(q, f, lang) for q in ("Q1", "Q2") for f in ("label", "description") for lang in LANGS)
ENGLISH = tuple(TermKey(q, f, "en") for q in ("Q1", "Q2") for f in ("label", "description"))
TEXTS = st.sampled_from(["a", "b", "c", "d"])


@dataclass
class Unit:
    text: str
    fuzzy: bool = False


@dataclass
class Human:
    """One human act on a term: the oracle's record.

    ``undoes`` is set on a deletion of a value both sides had agreed on (the
    only deletion a three-way merge can see; deleting a value that never
    reached the other side leaves that side's value a new one).
    """

    step: int
    side: str
    text: str | None
    undoes: bool = False
    yields: bool = False


@dataclass
class Wikis:
    metabase: dict[TermKey, str] = field(default_factory=dict)
    bundle: dict[str, str] = field(default_factory=dict)  # message key → English
    units: dict[TermKey, Unit] = field(default_factory=dict)

    def save_bundle(self, messages: dict[str, str]) -> None:
        """Translate: a key whose English changed outdates every unit of it."""
        for mk, text in messages.items():
            if mk in self.bundle and normalize_text(self.bundle[mk]) != normalize_text(text):
                for key, unit in self.units.items():
                    if key.message_key == mk:
                        unit.fuzzy = True
        self.bundle = dict(messages)

    def snapshots(self) -> tuple[Snapshot, Snapshot]:
        m = {k: Term(v, revision=1) for k, v in self.metabase.items()}
        w = {TermKey.from_message_key(mk, "en"): Term(v, side="metawiki", revision=1) for mk, v in self.bundle.items()}
        w.update({k: Term(u.text, side="metawiki", fuzzy=u.fuzzy, revision=1)
                  for k, u in self.units.items() if k.message_key in self.bundle})
        return Snapshot("metabase", CAPS, m), Snapshot("metawiki", CAPS, w)


class MergeHistories(RuleBasedStateMachine):
    """Humans edit, the sync merges and writes, the inbox remembers; the promise holds after every sync."""

    @initialize(seed=st.dictionaries(st.sampled_from(KEYS + ENGLISH), TEXTS, max_size=6),
                policy=st.sampled_from(["conflict", "metabase", "metawiki"]))
    def start(self, seed: dict[TermKey, str], policy: str) -> None:
        self.wikis = Wikis()
        for key in ENGLISH:
            self.wikis.metabase[key] = "English " + key.message_key
        for key, text in seed.items():
            self.wikis.metabase[key] = text
        self.wikis.bundle = {k.message_key: self.wikis.metabase[k] for k in ENGLISH}
        self.base: dict[TermKey, BaseTerm] = {}
        self.inbox: dict[TermKey, tuple[str, bool, Term | None, Term | None]] = {}
        self.decisions: dict[TermKey, Decision] = {}
        self.established = False
        self.policy = policy
        self.step = 0
        self.humans: dict[TermKey, list[Human]] = {}
        #: What both sides showed after the last quiet sync (the oracle's own reading of the wikis).
        self.agreed: dict[TermKey, str] = {}
        self.seen: dict[tuple[TermKey, str], object] = {}
        self.synced_at = 0
        self.outdated_only: set[tuple[TermKey, str]] = set()
        self.quiet = False

    # -- humans ---------------------------------------------------------------------------
    def _human(self, key: TermKey, side: str, text: str | None, before: str | None = None) -> None:
        self.step += 1
        undoes = text is None and before is not None and self.agreed.get(key) == before \
            and self._other(key, side) == before
        # Before the first sync completes, a first-contact policy may pick the other side's value.
        yields = not self.established and self.policy != "conflict"
        self.humans.setdefault(key, []).append(Human(self.step, side, text, undoes, yields))
        self.quiet = False

    def _other(self, key: TermKey, side: str) -> str | None:
        if side == "metawiki":
            return self.wikis.metabase.get(key)
        unit = self.wikis.units.get(key)
        return unit.text if unit is not None and not unit.fuzzy else None

    @rule(key=st.sampled_from(KEYS), text=st.none() | TEXTS)
    def edit_metabase(self, key: TermKey, text: str | None) -> None:
        before = self.wikis.metabase.get(key)
        if before == text:
            return  # a null edit: no revision, nothing a merge could see
        if text is None:
            self.wikis.metabase.pop(key, None)
        else:
            self.wikis.metabase[key] = text
        self._human(key, "metabase", text, before)

    @rule(key=st.sampled_from(KEYS), text=TEXTS)
    def translate_on_metawiki(self, key: TermKey, text: str) -> None:
        if key.message_key not in self.wikis.bundle:
            return  # Translate refuses units of a key that is not in the bundle
        unit = self.wikis.units.get(key)
        if unit is not None and unit.text == text and not unit.fuzzy:
            return  # a null edit (saving an outdated unit unchanged is a confirmation, not this)
        self.wikis.units[key] = Unit(text)
        self._human(key, "metawiki", text)

    @rule(key=st.sampled_from(KEYS))
    def delete_unit(self, key: TermKey) -> None:
        if key in self.wikis.units and key.message_key in self.wikis.bundle:
            unit = self.wikis.units.pop(key)
            self._human(key, "metawiki", None, None if unit.fuzzy else unit.text)

    @rule(key=st.sampled_from(KEYS), m=TEXTS, w=TEXTS)
    def both_sides(self, key: TermKey, m: str, w: str) -> None:
        self.edit_metabase(key, m)
        self.translate_on_metawiki(key, w)

    @rule(key=st.sampled_from(ENGLISH), text=st.none() | TEXTS)
    def english_on_metabase(self, key: TermKey, text: str | None) -> None:
        if text is None:
            self.wikis.metabase.pop(key, None)
        else:
            self.wikis.metabase[key] = "English " + text
        self.quiet = False

    @rule(key=st.sampled_from(ENGLISH))
    def remove_bundle_key(self, key: TermKey) -> None:
        self.wikis.save_bundle({mk: v for mk, v in self.wikis.bundle.items() if mk != key.message_key})
        self.quiet = False

    @precondition(lambda self: bool(self.inbox))
    @rule(data=st.data())
    def resolve(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.inbox, key=TermKey.sort_key)))
        _reason, _sticky, m, w = self.inbox[key]
        choice = data.draw(st.sampled_from(["metabase", "metawiki", "text"]))
        if choice == "text":
            text: str | None = data.draw(TEXTS)
        else:
            chosen = m if choice == "metabase" else w
            text = chosen.text if chosen is not None else None
        if text is None and key.lang == "en":
            return  # refused by `conflicts resolve`
        self.decisions[key] = Decision(text, choice, basis=(m.text if m else None, w.text if w else None),
                                       basis_outdated=bool(w and w.fuzzy))  # as State.decide_many records it
        self.step += 1
        self.humans.setdefault(key, []).append(Human(self.step, "decision", text))
        self.quiet = False

    # -- the sync ------------------------------------------------------------------------
    def _merge(self) -> MergeResult:
        m, w = self.wikis.snapshots()
        opts = MergeOptions(first_contact=self.policy, decisions=dict(self.decisions),
                            open_conflicts={k: v[0] for k, v in self.inbox.items()
                                            if v[1] and k not in self.decisions},
                            established=self.established, bundle_keys=frozenset(self.wikis.bundle))
        return merge(self.base, m, w, opts)

    def _apply(self, result: MergeResult) -> None:
        m_read, w_read = self.wikis.snapshots()
        guarded: list[Conflict] = []
        # As apply does: keys the bundle lacks first (they exist before their units), English it holds last
        # (Translate then outdates the units of a changed message, the ones just written included).
        added = {c.key.message_key: c.new for c in result.changes
                 if c.target == "bundle" and c.new is not None and c.key.message_key not in self.wikis.bundle}
        if added:
            self.wikis.save_bundle({**self.wikis.bundle, **added})
        messages = dict(self.wikis.bundle)
        for change in result.changes:
            if change.target == "bundle":
                if change.new is None:
                    messages.pop(change.key.message_key, None)
                else:
                    messages[change.key.message_key] = change.new
        for change in result.changes:
            if change.target == "metabase":
                source = w_read.terms.get(change.key)
                assert change.key in self.decisions or source is None or not source.fuzzy, \
                    f"I5: outdated text copied to Metabase for {change.key}"
                if change.new is None:
                    self.wikis.metabase.pop(change.key, None)
                else:
                    self.wikis.metabase[change.key] = change.new
            elif change.target == "metawiki":
                assert change.key.message_key in self.wikis.bundle, \
                    f"unit written for a key not in the bundle: {change.key}"
                existing = self.wikis.units.get(change.key)
                if change.expected is None and existing is not None:
                    # apply creates units only where none exists: a hidden unit turns up as a conflict
                    guarded.append(Conflict(change.key, None, False, Term(change.new or "", side="metabase"),
                                            Term(existing.text, side="metawiki", fuzzy=existing.fuzzy),
                                            "metawiki changed after the plan was made (guard)", sticky=False))
                    continue
                if change.new is None:
                    self.wikis.units[change.key].fuzzy = True  # the bot cannot delete: it outdates
                else:
                    self.wikis.units[change.key] = Unit(change.new, fuzzy=change.outdated)
        changed_english = {mk for mk, text in messages.items()
                           if mk in self.wikis.bundle and self.wikis.bundle[mk] != text}
        if messages != self.wikis.bundle:
            self.wikis.save_bundle(messages)
        updates = dict(result.base_updates)
        refused = {c.key for c in guarded}
        targets: dict[TermKey, set[str]] = {}
        for change in result.changes:
            targets.setdefault(change.key, set()).add(change.target)
        for key, where in targets.items():
            if key not in refused:
                new = next(c.new for c in result.changes if c.key == key)
                fuzzy = (key.message_key in result.outdated_keys and key.lang != "en" and new is not None) \
                    or any(c.outdated for c in result.changes if c.key == key)
                updates[key] = BaseTerm(new, fuzzy=fuzzy)  # as recover.base_moves does
        for key, value in updates.items():
            if value is None:
                self.base.pop(key, None)
            else:
                self.base[key] = value
        for key, value in list(self.base.items()):  # as State.outdate_translations after our English change
            if key.message_key in changed_english and key.lang != "en" and value.text is not None:
                self.base[key] = BaseTerm(value.text, fuzzy=True)
        for key in result.stale_decisions:
            self.decisions.pop(key, None)
        unexamined = {*result.unlisted_keys, *result.restored_keys}
        # As State.record_conflicts: a hidden key's conflicts that wait for a human stay; a guard's (merged
        # afresh each run) leaves, as no merge can take it up while the units are hidden.
        kept = {k: v for k, v in self.inbox.items()
                if k in self.decisions or (k.message_key in unexamined and v[1])}
        for c in (*result.conflicts, *guarded):
            kept[c.key] = (c.reason, c.sticky, c.metabase, c.metawiki)
        self.inbox = kept
        applied = {c.key for c in result.changes} - refused
        for key in (*result.resolved, *(k for k in applied if k in self.decisions)):
            self.inbox.pop(key, None)  # apply clears a decision once all its writes are done
            self.decisions.pop(key, None)
        for key, (reason, sticky, m_term, w_term) in list(self.inbox.items()):
            if key.message_key in changed_english and key.lang != "en" and w_term is not None:
                self.inbox[key] = (reason, sticky, m_term, replace(w_term, fuzzy=True))
        for key, decision in list(self.decisions.items()):
            if key.message_key in changed_english and key.lang != "en" and decision.basis and decision.basis[1]:
                self.decisions[key] = replace(decision, basis_outdated=True)
        if not result.restored_keys:
            self.established = True  # sync.apply: a round that put keys back leaves first contact to the next

    def _sync_once(self) -> None:
        """One `capxl10n sync`: a second round after keys were put back into the bundle (sync.sync does)."""
        first = self._merge()
        self._apply(first)
        if first.restored_keys:
            self._apply(self._merge())

    def _net_out(self) -> None:
        """A merge compares states, not histories: acts a side undid before the sync (delete, then
        re-add the same text) leave that side unchanged, and the oracle forgets them too."""
        for key, acts in self.humans.items():
            for side, now in (("metabase", self.wikis.metabase.get(key)), ("metawiki", self._unit_state(key))):
                if now == self.seen.get((key, side)):
                    acts[:] = [a for a in acts if a.side != side or a.step <= self.synced_at]

    def _unit_state(self, key: TermKey) -> tuple[str, bool] | None:
        unit = self.wikis.units.get(key)
        return None if unit is None else (unit.text, unit.fuzzy)

    @rule()
    def sync(self) -> None:
        self._net_out()
        self._sync_once()
        self.quiet = True
        self.synced_at = self.step
        for key in KEYS:
            self.seen[(key, "metabase")] = self.wikis.metabase.get(key)
            self.seen[(key, "metawiki")] = self._unit_state(key)
        again = self._merge()
        assert again.changes == (), f"I2: a second sync would write {again.changes}"
        self._apply(again)
        for key in KEYS:
            unit = self.wikis.units.get(key) if key.message_key in self.wikis.bundle else None
            m = self.wikis.metabase.get(key)
            if m is not None and unit is not None and not unit.fuzzy and unit.text == m:
                self.agreed[key] = m
            elif m is None and (unit is None or unit.fuzzy):
                self.agreed.pop(key, None)

    # -- the promise ---------------------------------------------------------------------
    @invariant()
    def promise(self) -> None:
        if not getattr(self, "quiet", False):
            return
        for key in KEYS:
            self._check_term(key)

    def _check_term(self, key: TermKey) -> None:
        m = self.wikis.metabase.get(key)
        unit = self.wikis.units.get(key)
        listed = key.message_key in self.wikis.bundle
        w = unit.text if unit is not None and not unit.fuzzy and listed else None
        in_inbox = key in self.inbox
        awaiting = unit is not None and unit.fuzzy
        # I1: equal, absent on both, in the inbox, or an outdated unit awaiting a translator.
        assert m == w or in_inbox or awaiting or not listed, f"I1 {key}: metabase {m!r} vs metawiki {w!r}"
        history = self.humans.get(key)
        if not history or not listed:
            return
        last = history[-1]
        if last.side == "decision" or last.yields:
            return
        # I3 / I4: the latest human act on the term is what both sides show (or it waits in the inbox,
        # or it lives on as an outdated unit on Meta-Wiki).
        if last.text is None:
            if last.undoes:
                assert m is None and w is None or in_inbox, f"I4 {key}: deleted by a human, now {m!r} / {w!r}"
        else:
            present = (m == last.text and (w == last.text or awaiting)) or \
                (unit is not None and unit.text == last.text and unit.fuzzy and last.side == "metawiki")
            assert present or in_inbox, f"I3 {key}: {last.text!r} ({last.side}) lost: {m!r} / {unit!r}"


TestMergeHistories = MergeHistories.TestCase
# At least 300 histories per run (they are cheap); the `long` profile raises it to its own 10,000.
TestMergeHistories.settings = settings(max_examples=max(300, settings().max_examples), stateful_step_count=30,
                                       deadline=None)


def test_model_sanity() -> None:
    """The miniature Translate outdates units on an English change and hides units of missing keys."""
    wikis = Wikis(bundle={"Q1-label": "One"}, units={TermKey("Q1", "label", "pt"): Unit("Um")})
    wikis.save_bundle({"Q1-label": "One!"})
    assert wikis.units[TermKey("Q1", "label", "pt")].fuzzy
    wikis.save_bundle({})
    _m, w = wikis.snapshots()
    assert TermKey("Q1", "label", "pt") not in w.terms
    assert replace(Unit("x"), fuzzy=True).fuzzy
