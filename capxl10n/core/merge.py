"""The three-way merge: base × Metabase × Meta-Wiki → changes and conflicts.

Pure: no I/O. The base is what both sides agreed on at the last sync; with it
we can tell *who* changed a term, so a deletion is a tombstone (propagated,
never copied back) and two humans' differing edits are a conflict instead of
"newest wins", which loses one of the two translations.

Rules per term ``(qid, field, lang)`` with base B, Metabase M, Meta-Wiki W
(docs/sync.md has the complete table):

* A human's decision comes first, while it still applies: it is bound to the
  values it was made on, and an edit of either side since makes it stale (the
  term is a conflict again).
* An open conflict stays open until a human decides it or both sides hold the
  same value; nothing later (a deletion, an English change) closes it for one side.
* M = W: in sync; the base moves forward (a tombstone when both are gone).
* only one side changed since B: that change (set or delete) goes to the other
  side; a deletion becomes a conflict instead under ``deletions = "conflict"``.
* both changed, differently: a conflict; nothing is written for the term.
* W outdated (fuzzy): its text is never copied to Metabase and never lost. A
  Metabase change replaces it only if the unit still holds the base; a Metabase
  deletion makes the term agreed-absent and leaves the unit alone.
* no base row: one-sided values are copied; differing values are conflicts,
  unless this is the first contact and the profile names a winner.
* English is a term like any other, but its Meta-Wiki side is the bundle
  source page (target ``bundle``). The bundle's keys follow Metabase: a new
  capacity adds keys, an English value missing from the bundle is restored
  there, an English deletion on Metabase is a conflict (the key and its
  translations stay), and a capacity gone from Metabase is reported; its
  bundle keys go only with ``remove_from_bundle``.
* Translations of a key missing from the bundle are not merged: Translate
  hides their units, so their absence proves nothing.
* A value a wiki or the app would alter or refuse (the errors of :mod:`capxl10n.core.checks`)
  is never written; the term is a conflict saying why.
* Values compare after :func:`capxl10n.core.model.normalize_text`.

>>> from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
>>> caps = (Capacity("Q1", item="Q100"),)
>>> pt, de = TermKey("Q1", "label", "pt"), TermKey("Q1", "label", "de")
>>> base = {pt: BaseTerm("Olá"), de: BaseTerm("Hallo")}
>>> mb = Snapshot("metabase", caps, {pt: Term("Olá", revision=7)})
>>> mw = Snapshot("metawiki", caps, {pt: Term("Oi", side="metawiki", revision=9),
...                                  de: Term("Hallo", side="metawiki", revision=3)})
>>> result = merge(base, mb, mw)
>>> [(c.target, c.key.lang, c.action, c.new, c.reason) for c in result.changes]
[('metawiki', 'de', 'delete', None, 'deleted on metabase'), ('metabase', 'pt', 'set', 'Oi', 'changed on metawiki')]
>>> result.conflicts
()
"""
from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from capxl10n.core.model import (DOC_LANGUAGE, SOURCE_LANGUAGE, Action, Capacity, DeletionPolicy, FirstContactPolicy,
                                 Snapshot, Target, Term, TermKey, key_order, normalize_text,
                                 qid_sort_key)
from capxl10n.core.checks import TermContext, check_term
from capxl10n.core.findings import errors

#: A tombstone's ``metawiki_rev`` when no unit existed as the term was agreed absent (MediaWiki revision
#: ids start at 1): a unit found later was saved since, by somebody.
NO_UNIT: Final = 0


@dataclass(frozen=True)
class BaseTerm:
    """What both sides held when they last agreed; ``text=None`` is a tombstone (agreed absent)."""

    text: str | None
    fuzzy: bool = False
    metabase_rev: int | None = None
    metawiki_rev: int | None = None

    @property
    def normalized(self) -> str | None:
        return None if self.text is None else normalize_text(self.text)


@dataclass(frozen=True)
class Change:
    """One term to write on one side, with what we expect to find there (the guard)."""

    key: TermKey
    target: Target
    action: Action
    new: str | None
    expected: str | None
    expected_fuzzy: bool = False
    base_revision: int | None = None
    base_timestamp: str | None = None
    item: str | None = None
    reason: str = ""
    #: Save the unit outdated: a decided text whose human saw older English than the bundle holds.
    outdated: bool = False


@dataclass(frozen=True)
class Conflict:
    """Both sides changed a term differently (or a policy asks a human); nothing is written."""

    key: TermKey
    base: str | None
    has_base: bool
    metabase: Term | None
    metawiki: Term | None
    reason: str
    #: Sticky conflicts (two humans' values) stay in the inbox until decided or equal on both
    #: sides; others (a value a wiki would refuse) are merged afresh on the next run.
    sticky: bool = True
    #: Asked during a first contact (not sticky while it lasts: each run asks the policy again); once the
    #: first contact of its key ends, it stays until a human decides, like a sticky one.
    first_contact: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"qid": self.key.qid, "field": self.key.field, "lang": self.key.lang, "base": self.base,
                "has_base": self.has_base, "metabase": self.metabase.to_json() if self.metabase else None,
                "metawiki": self.metawiki.to_json() if self.metawiki else None, "reason": self.reason}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Conflict:
        """Read :meth:`to_json`'s form (a plan's conflicts); KeyError/TypeError on a malformed one."""
        def term(value: Any) -> Term | None:
            return Term.from_json(value) if isinstance(value, dict) else None
        return cls(TermKey(raw["qid"], raw["field"], raw["lang"]), raw.get("base"), bool(raw.get("has_base")),
                   term(raw.get("metabase")), term(raw.get("metawiki")), str(raw.get("reason", "")))


#: A decision's English when the capacity had none agreed (its English deleted on both sides): the decided
#: translation translates no English there is now, so it is saved outdated under whatever English comes back.
NO_ENGLISH: Final = ""


@dataclass(frozen=True)
class Decision:
    """A human's resolution of a conflict: the final text, or ``None`` to delete on both sides.

    ``basis`` holds the two values (Metabase, Meta-Wiki; None = absent) the human
    saw when deciding. A decision is bound to them: once either side holds
    something else (neither its basis nor the decided text), somebody edited the
    term since and the decision no longer applies (the term is a conflict again).
    """

    text: str | None
    source: str = "manual"
    basis: tuple[str | None, str | None] | None = None
    #: The Meta-Wiki side of the basis was outdated: a translator confirming it since is an edit.
    basis_outdated: bool = False
    #: The capacity's English (same field) when the decision was made: the decided text translates it,
    #: so once the bundle holds other English it is written to Meta-Wiki outdated. None = not recorded;
    #: :data:`NO_ENGLISH` = agreed absent then (deleted on both sides), so any English since is other English.
    english: str | None = None

    def written_on(self, sides: Collection[str]) -> Decision:
        """This decision once our write of it landed on ``sides`` ("metabase", "metawiki") but not yet on both.

        From then on the decided text is what such a side was left holding: a human who moves it
        afterwards, even back to the value the decision was made on, has edited after the decision.
        Without this, that human's edit (a deletion of our write, say) would read as no edit at all and
        the decision would be written over it again.
        """
        if self.basis is None:
            return self
        metabase, metawiki = self.basis
        return replace(self, basis=(self.text if "metabase" in sides else metabase,
                                    self.text if "metawiki" in sides else metawiki))


@dataclass(frozen=True)
class MergeOptions:
    """Everything besides the three snapshots that decides the merge (from the profile and the read)."""

    first_contact: FirstContactPolicy = "conflict"
    deletions: DeletionPolicy = "propagate"
    remove_from_bundle: bool = False
    languages: frozenset[str] | None = None
    exclude_languages: frozenset[str] = frozenset()
    unaccepted_languages: frozenset[str] = frozenset()
    duplicates: frozenset[str] = frozenset()
    decisions: Mapping[TermKey, Decision] = field(default_factory=dict)
    #: Undecided conflicts in the inbox (key → reason): they stay until a human decides or
    #: both sides hold the same value; nothing the merge sees later closes them for one side.
    open_conflicts: Mapping[TermKey, str] = field(default_factory=dict)
    #: Whether a first sync has completed; None infers it from a non-empty base.
    established: bool | None = None
    #: The message keys the bundle holds now; None when unknown (then every key is taken as listed).
    bundle_keys: frozenset[str] | None = None
    #: Message keys still a first contact although a first sync completed: their units were hidden from
    #: it (keys missing from the bundle), so the first-contact policy still decides their translations.
    first_contact_keys: frozenset[str] = frozenset()
    #: Message key → the Metabase item revision at which the English our latest change sent was on Metabase
    #: (the state's ``english_changed_at``): Metabase translations on items not edited since predate it.
    english_changed_at: Mapping[str, int] = field(default_factory=dict)
    #: Message key → language → the (normalised) Metabase translation there when the English our latest
    #: change sent went out (the state's ``english_translations``): a value still the same predates it.
    english_translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class MergeResult:
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    #: Base rows to write once the plan is applied: a BaseTerm, or None to drop the row.
    base_updates: Mapping[TermKey, BaseTerm | None]
    #: Keys whose pending decision is now satisfied on both sides (clear it from the inbox).
    resolved: tuple[TermKey, ...]
    unaccepted_languages: tuple[str, ...]
    removed_capacities: tuple[str, ...]
    skipped_duplicates: tuple[str, ...]
    first_contact: bool
    #: Decisions a later human edit overtook: the inbox forgets them, the term is a conflict again.
    stale_decisions: tuple[TermKey, ...] = ()
    #: Message keys missing from the bundle whose translations were not merged (their units are
    #: invisible to Translate's listing until the key is back, so absence there proves nothing).
    unlisted_keys: tuple[str, ...] = ()
    #: Message keys this plan puts back into the bundle that may have hidden units: Meta-Wiki must
    #: be read in full after it, to see them again.
    restored_keys: tuple[str, ...] = ()
    #: Message keys whose English this plan changes: Translate outdates their units.
    outdated_keys: tuple[str, ...] = ()


def _norm(term: Term | None) -> str | None:
    if term is None:
        return None
    text = normalize_text(term.text)
    return text or None


def merge(base: Mapping[TermKey, BaseTerm], metabase: Snapshot, metawiki: Snapshot,
          options: MergeOptions | None = None) -> MergeResult:
    """Merge the two sides against the base; see the module docstring for the rules.

    English first: which keys this plan puts into the bundle decides which
    translations Meta-Wiki can be trusted to list (see :func:`_listing`).
    """
    opts = options or MergeOptions()
    first_contact = not base if opts.established is None else not opts.established
    duplicates = set(opts.duplicates)
    capacities = {c.qid: c for c in metabase.capacities if c.qid not in duplicates}
    bundle_qids = {k.qid for k in metawiki.terms if k.lang == SOURCE_LANGUAGE}
    removed = sorted((bundle_qids | {k.qid for k in base}) - set(capacities) - duplicates,
                     key=lambda q: (len(q), q))
    ctx = _Context(opts, first_contact, _item_revisions(metabase), base)
    unaccepted: set[str] = set()
    unlisted: set[str] = set()
    # A decision may bring a term neither side holds yet (a translation imported from a file).
    keys = _every_key(base, metabase, metawiki, opts.decisions)
    english = [k for k in keys if k.lang == SOURCE_LANGUAGE]
    for key in english:
        if key.qid in duplicates:
            continue
        cap = capacities.get(key.qid)
        w = metawiki.terms.get(key)
        if cap is None:
            if opts.remove_from_bundle and w is not None:
                ctx.change(key, "bundle", None, w, None, "capacity removed from metabase")
            continue
        ctx.merge_term(key, cap, base.get(key), metabase.terms.get(key), w)
    added = {c.key.message_key for c in ctx.changes if c.target == "bundle" and c.action == "set"
             and (opts.bundle_keys is None or c.key.message_key not in opts.bundle_keys)}
    pending = {k.message_key for k in (*opts.decisions, *opts.open_conflicts) if k.lang != SOURCE_LANGUAGE}
    listed, reread = _listing(base, opts.bundle_keys, added, pending)
    # Translate outdates every unit of a key whose English this plan changes.
    ctx.outdating = {c.key.message_key for c in ctx.changes if c.target == "bundle" and c.action == "set"
                     and c.expected is not None and c.key.message_key not in added}
    ctx.english = {k.message_key: t.text for k, t in metawiki.terms.items() if k.lang == SOURCE_LANGUAGE}

    for key in keys:
        if key.lang == SOURCE_LANGUAGE or key.qid in duplicates or key.lang == DOC_LANGUAGE \
                or not _in_scope(key.lang, opts):
            continue
        b, m, w = base.get(key), metabase.terms.get(key), metawiki.terms.get(key)
        cap = capacities.get(key.qid)
        if cap is None:
            continue
        if key.lang in opts.unaccepted_languages:
            if w is not None:
                unaccepted.add(key.lang)
            continue
        if listed is not None and key.message_key not in listed:
            unlisted.add(key.message_key)
            continue
        ctx.merge_term(key, cap, b, m, w)
    ctx.refuse_pairs(base, metabase, metawiki)

    return MergeResult(
        changes=tuple(ctx.changes), conflicts=tuple(ctx.conflicts), base_updates=ctx.updates,
        resolved=tuple(ctx.resolved), unaccepted_languages=tuple(sorted(unaccepted)),
        removed_capacities=tuple(removed), skipped_duplicates=tuple(sorted(duplicates, key=lambda q: (len(q), q))),
        first_contact=first_contact, stale_decisions=tuple(ctx.stale),
        outdated_keys=tuple(sorted(ctx.outdating, key=_message_key_order)),
        unlisted_keys=tuple(sorted(unlisted - reread, key=_message_key_order)),
        restored_keys=tuple(sorted(reread, key=_message_key_order)))


def _every_key(base: Mapping[TermKey, BaseTerm], metabase: Snapshot, metawiki: Snapshot,
               decisions: Mapping[TermKey, Any]) -> list[TermKey]:
    """Every key an input holds, in key order. Metabase's are in it already (a Snapshot keeps its terms
    sorted), so only the few the others add are sorted and merged in: a million keys are not sorted again."""
    known = metabase.terms.keys()
    others = sorted((set(base) | metawiki.terms.keys() | decisions.keys()) - known, key=key_order)
    return list(heapq.merge(known, others, key=key_order)) if others else list(known)


def _message_key_order(message_key: str) -> tuple[tuple[int, str], str]:
    qid, _, fld = message_key.partition("-")
    return qid_sort_key(qid), fld


def _listing(base: Mapping[TermKey, BaseTerm], bundle_keys: frozenset[str] | None,
             added: set[str], pending: Collection[str] = ()) -> tuple[set[str] | None, set[str]]:
    """The message keys whose translations Meta-Wiki lists truthfully, and the keys to read again.

    Translate lists the units of a key only while the key is in the bundle, so a key
    missing there hides its translations: their absence is not a deletion. A key
    this plan adds with no agreed translation has nothing a hidden unit could be
    mistaken to delete: its translations are written right after it (apply
    creates units only where none exists, so a hidden unit is never
    overwritten). A key added back with agreed translations, or with a translation
    in the inbox (``pending``: a decision or an open conflict, made on values a
    hidden unit would belie), waits. Either way
    the key may have been in the bundle before (removed by hand, perhaps before
    we ever read it) and have hidden units: Meta-Wiki is read again after the
    plan (``restored_keys``), and the sync merges once more.
    """
    if bundle_keys is None:
        return None, set()
    translated = {k.message_key for k in base if k.lang != SOURCE_LANGUAGE} | set(pending)
    return set(bundle_keys) | (added - translated), set(added)


def _in_scope(lang: str, opts: MergeOptions) -> bool:
    if lang == SOURCE_LANGUAGE:
        return True
    if lang in opts.exclude_languages:
        return False
    return opts.languages is None or lang in opts.languages


def _item_revisions(snapshot: Snapshot) -> dict[str, int]:
    """The latest item revision seen per capacity (every Metabase term carries its item's lastrevid)."""
    out: dict[str, int] = {}
    for key, term in snapshot.terms.items():
        if term.revision is not None and term.revision > out.get(key.qid, -1):
            out[key.qid] = term.revision
    return out


@dataclass
class _Context:
    opts: MergeOptions
    first_contact: bool
    item_revisions: dict[str, int]
    base: Mapping[TermKey, BaseTerm]
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    updates: dict[TermKey, BaseTerm | None] = field(default_factory=dict)
    resolved: list[TermKey] = field(default_factory=list)
    stale: list[TermKey] = field(default_factory=list)
    outdating: set[str] = field(default_factory=set)
    #: message key → the English the bundle holds while the units are written (before this plan's changes)
    english: dict[str, str] = field(default_factory=dict)

    def refusal(self, key: TermKey, text: str) -> str | None:
        """Why ``text`` must not be written at ``key`` (the first error of the value's own checks), or None;
        the rules that need the rest of Metabase are :meth:`refuse_pairs`'."""
        english = None if key.lang == SOURCE_LANGUAGE else self.english.get(key.message_key)
        found = errors(check_term(key, text, english=english))
        return None if not found else f"{found[0].message} ({found[0].rule})"

    def refuse_pairs(self, base: Mapping[TermKey, BaseTerm], metabase: Snapshot, metawiki: Snapshot) -> None:
        """Wikibase's two rules on Metabase as this plan leaves it: a write that makes a capacity's label
        equal its description, or its label + description pair one another capacity holds, is not made.
        Checked once every change is known (a plan deleting a
        description and setting a label equal to it breaks nothing); refusing a write keeps the old value
        there, so the check runs again until nothing more is refused. The conflict stays until a human
        decides, as Wikibase's own refusal at apply time does (two humans' values, one of which cannot be
        written). A decision refused on Metabase is refused whole: it is forgotten, and its term is a
        conflict again."""
        if not any(c.target == "metabase" and c.new is not None for c in self.changes):
            return  # nothing written there: Metabase stays as Wikibase already accepted it
        while True:
            end = TermContext.from_snapshot(metabase)
            for c in self.changes:
                if c.target == "metabase":
                    end.set(c.key, c.new)
            refused = {c.key: found[0] for c in self.changes if c.target == "metabase" and c.new is not None
                       for found in [errors(end.check(c.key, c.new))] if found}
            if not refused:
                return
            self.changes = [c for c in self.changes if c.key not in refused]
            for key, finding in refused.items():
                m, w, b = metabase.terms.get(key), metawiki.terms.get(key), base.get(key)
                why = f"{finding.message} ({finding.rule})"
                if key in self.opts.decisions:
                    self.stale.append(key)
                    self.conflict(key, b, m, w, f"decided text is not written: {why}; decide again")
                else:  # as Wikibase's own refusal at apply time: kept until a human decides
                    self.conflict(key, b, m, w, f"not written on metabase: {why}")
                self.updates.pop(key, None)

    def saved_outdated(self, key: TermKey) -> bool:
        """Whether a decided translation predates the English the bundle holds when it is written.

        Units are written before the plan's English changes (plan stages), so
        Translate outdates a translation of a message this plan changes by itself;
        a decision is saved outdated only when the bundle already holds other
        English than the decision's human saw.
        """
        decision = self.opts.decisions.get(key)
        if decision is None or decision.english is None:
            return False
        now = self.english.get(key.message_key)
        return now is not None and normalize_text(now) != normalize_text(decision.english)

    def first(self, key: TermKey) -> bool:
        """Whether the term is met for the first time: the first sync, or a key hidden from it."""
        return self.first_contact or key.message_key in self.opts.first_contact_keys

    def change(self, key: TermKey, target: Target, new: str | None, current: Term | None,
               cap: Capacity | None, reason: str, *, outdated: bool = False) -> None:
        """Queue a write of ``new`` (None = delete) on ``target``, guarded by what we read there; ``outdated``
        saves a unit outdated (a translation of older English than the bundle's)."""
        if target == "metabase":
            revision, timestamp = self.item_revisions.get(key.qid), None
        else:
            revision = current.revision if current else None
            timestamp = current.timestamp if current else None
        if target == "metawiki" and new is not None and self.saved_outdated(key):
            outdated = True
            reason += "; saved outdated (decided against older English)"
        outdated = outdated and target == "metawiki" and new is not None
        self.changes.append(Change(
            key=key, target=target, action="set" if new is not None else "delete", new=new,
            expected=current.text if current else None, expected_fuzzy=bool(current and current.fuzzy),
            base_revision=revision, base_timestamp=timestamp,
            item=cap.item if cap is not None else None, reason=reason, outdated=outdated))

    def copy(self, key: TermKey, target: Target, new: str, current: Term | None, cap: Capacity,
             reason: str, b: BaseTerm | None, m: Term | None, w: Term | None, *, outdated: bool = False) -> None:
        """Queue a write of a value onto the other side, unless a wiki would alter or refuse it."""
        problem = self.refusal(key, new)
        if problem is not None:
            source = "metawiki" if target == "metabase" else "metabase"
            self.conflict(key, b, m, w, f"{source}'s value is not written: {problem}", sticky=False)
            return
        self.change(key, target, new, current, cap, reason, outdated=outdated)

    def predates_english(self, key: TermKey, b: BaseTerm | None, m: Term) -> bool:
        """Whether Metabase's value was there before the English that outdated the unit reached Metabase.

        Either of two facts the state remembers per message says so. The Metabase translations there when
        the English our latest change sent went out: a value still the same was written before that English
        (an edit of another term of the item says nothing about this one). And the item revision at which
        that English was on Metabase (read there, or written there by a decision): an item not edited since
        holds only values written before it. States from before both know it from the English base row of
        an outdated term.
        """
        remembered = self.opts.english_translations.get(key.message_key)
        if remembered is not None and remembered.get(key.lang) == m.normalized:
            return True
        if m.revision is None:
            return False
        changed_at = self.opts.english_changed_at.get(key.message_key)
        if changed_at is not None:
            return m.revision <= changed_at
        english = self.base.get(TermKey(key.qid, key.field, SOURCE_LANGUAGE))
        return (b is not None and b.fuzzy and english is not None and english.metabase_rev is not None
                and m.revision <= english.metabase_rev)

    def conflict(self, key: TermKey, b: BaseTerm | None, m: Term | None, w: Term | None, reason: str,
                 *, sticky: bool = True, first_contact: bool = False) -> None:
        self.conflicts.append(Conflict(key, b.text if b else None, b is not None, m, w, reason, sticky,
                                       first_contact))

    def agree(self, key: TermKey, b: BaseTerm | None, m: Term | None, w: Term | None) -> None:
        """Both sides hold the same text (or none): move the base forward if it differs."""
        if m is None:
            if b is not None and (b.fuzzy or b.normalized is not None):
                self.updates[key] = BaseTerm(None, metawiki_rev=NO_UNIT if w is None else w.revision)
            return
        fuzzy = bool(w and w.fuzzy)  # an English change of this plan outdates it once written (apply)
        if b is None or b.fuzzy != fuzzy or (b.text != m.text and b.normalized != normalize_text(m.text)):
            self.updates[key] = BaseTerm(m.text, fuzzy=fuzzy, metabase_rev=m.revision,
                                         metawiki_rev=w.revision if w else None)

    def merge_term(self, key: TermKey, cap: Capacity, b: BaseTerm | None, m: Term | None, w: Term | None) -> None:
        # Most terms hold the same text on both sides: equal as stored, they are equal once normalised.
        same = m is not None and w is not None and m.text == w.text
        mt, wt = (None, None) if same else (_norm(m), _norm(w))
        decision = self.opts.decisions.get(key)
        if decision is not None:
            self._decided(key, cap, decision, b, m, w)
            return
        still_open = self.opts.open_conflicts.get(key)
        if still_open is not None:
            # Only a human closes a conflict: by deciding, or by making both sides the same.
            if same or mt == wt:
                self.agree(key, b, m, w)
            else:
                self.conflict(key, b, m, w, still_open)
            return
        if same or mt == wt:
            self.agree(key, b, m, w)
        elif key.lang == SOURCE_LANGUAGE:
            self._english(key, cap, b, m, w)
        elif w is not None and w.fuzzy:
            self._outdated(key, cap, b, m, w)
        elif b is None:
            self._unbased(key, cap, m, w)
        else:
            self._based(key, cap, b, m, w)

    def _based(self, key: TermKey, cap: Capacity, b: BaseTerm, m: Term | None, w: Term | None) -> None:
        """Current values on both sides (or absent), a base to tell who changed what."""
        w_target: Target = "bundle" if key.lang == SOURCE_LANGUAGE else "metawiki"
        bt, mt, wt = b.normalized, _norm(m), _norm(w)
        # Saving an outdated unit unchanged is a translator confirming it: a Meta-Wiki change.
        confirmed = b.fuzzy and w is not None and not w.fuzzy and key.lang != SOURCE_LANGUAGE
        m_changed, w_changed = mt != bt, wt != bt or confirmed
        if m_changed and not w_changed:
            if m is None:
                self._delete(key, cap, b, m, w, w_target, "deleted on metabase")
            else:
                self.copy(key, w_target, m.text, w, cap, "changed on metabase", b, m, w)
        elif w_changed and not m_changed:
            if w is None:
                self._delete(key, cap, b, m, w, "metabase", "deleted on metawiki")
            else:
                self.copy(key, "metabase", w.text, m, cap, "changed on metawiki", b, m, w)
        else:
            self.conflict(key, b, m, w, "changed differently on both sides")

    def _english(self, key: TermKey, cap: Capacity, b: BaseTerm | None, m: Term | None, w: Term | None) -> None:
        """The bundle's keys follow Metabase's capacities, but an English deletion never empties the bundle.

        A source value missing from the bundle is restored there (removing a
        capacity is Metabase's decision). Deleting a capacity's English on
        Metabase would remove the key from the bundle, hide every translation
        of it and read as their deletion: a human decides instead.
        """
        if w is None and m is not None:
            self.copy(key, "bundle", m.text, w, cap, "missing from the bundle" if b is not None else "new on metabase",
                      b, m, w)
        elif m is None and b is not None and b.text is not None:
            self.conflict(key, b, m, w, "English deleted on metabase; the bundle keeps the key and its "
                                        "translations (restore it on metabase, or decide)")
        elif b is None:
            self._unbased(key, cap, m, w)
        else:
            self._based(key, cap, b, m, w)

    def _outdated(self, key: TermKey, cap: Capacity, b: BaseTerm | None, m: Term | None, w: Term) -> None:
        """Meta-Wiki's unit is outdated: its text is nobody's current value, yet still somebody's translation.

        Outdated text is never copied to Metabase. A current Metabase value
        replaces it only when that loses no translator's text: the unit holds
        the base (just outdated by an English change), or this is the first
        contact and the policy says Metabase wins.
        """
        bt, mt, wt = (b.normalized if b else None), _norm(m), _norm(w)
        if b is None:
            if m is None:  # no current value on either side: agreed absent, so a later Metabase value replaces it
                self.updates[key] = BaseTerm(None, metawiki_rev=w.revision)  # ...unless the unit is saved again
                return
            if self.first(key) and self.opts.first_contact == "metabase":
                older = self.predates_english(key, b, m)
                self.copy(key, "metawiki", m.text, w, cap, "differs on first contact; policy: metabase wins "
                          "(replaces outdated translation" + (", saved outdated)" if older else ")"), b, m, w,
                          outdated=older)
            elif self.first(key):
                # Not kept open by itself: while the first contact lasts, each run asks the policy again
                # (a translator confirming the unit, say, lets a metawiki policy settle it).
                self.conflict(key, b, m, w, "differs on first contact; the metawiki translation is outdated",
                              sticky=False, first_contact=True)
            else:  # both appeared since the last sync: a translator's outdated text is theirs all the same
                self.conflict(key, b, m, w, "new on both sides (the metawiki translation is outdated)")
        elif mt == bt:
            return  # Metabase unchanged: the outdated unit waits for a translator
        elif m is None:  # neither side has a current value: agreed absent, the unit stays (its revision noted)
            if b.text is not None or b.metawiki_rev != w.revision:
                self.updates[key] = BaseTerm(None, metawiki_rev=w.revision)
        elif wt == bt or (b.text is None and not _resaved(b, w)):
            # The unit holds the base, or the term was agreed absent (an outdated unit is how a deletion
            # shows when the bot may not delete) and nobody saved the unit since: a new Metabase value
            # replaces it.
            if self.predates_english(key, b, m):
                self.copy(key, "metawiki", m.text, w, cap, "changed on metabase before its English changed; "
                          "replaces outdated translation, saved outdated", b, m, w, outdated=True)
            else:
                self.copy(key, "metawiki", m.text, w, cap, "changed on metabase; replaces outdated translation",
                          b, m, w)
        else:
            self.conflict(key, b, m, w, "changed differently on both sides (the metawiki translation is outdated)")

    def _delete(self, key: TermKey, cap: Capacity, b: BaseTerm, m: Term | None, w: Term | None,
                target: Target, reason: str) -> None:
        if self.opts.deletions == "conflict":
            self.conflict(key, b, m, w, reason + " (policy: deletions need a human)")
            return
        current = m if target == "metabase" else w
        self.change(key, target, None, current, cap, reason)

    def _unbased(self, key: TermKey, cap: Capacity, m: Term | None, w: Term | None) -> None:
        w_target: Target = "bundle" if key.lang == SOURCE_LANGUAGE else "metawiki"
        if w is None and m is not None:
            # Written before the English our latest change sent (a key put back, say): a translation of the
            # older English, so the new unit is saved outdated, as Translate holds the key's other units.
            older = key.lang != SOURCE_LANGUAGE and self.predates_english(key, None, m)
            self.copy(key, w_target, m.text, None, cap, "new on metabase" + (
                " (older than its English: saved outdated)" if older else ""), None, m, w, outdated=older)
        elif m is None and w is not None:
            self.copy(key, "metabase", w.text, None, cap, "new on metawiki", None, m, w)
        elif self.first(key) and self.opts.first_contact == "metabase" and m is not None:
            older = key.lang != SOURCE_LANGUAGE and self.predates_english(key, None, m)
            self.copy(key, w_target, m.text, w, cap, "differs on first contact; policy: metabase wins"
                      + (" (older than its English: saved outdated)" if older else ""), None, m, w, outdated=older)
        elif self.first(key) and self.opts.first_contact == "metawiki" and w is not None:
            self.copy(key, "metabase", w.text, m, cap, "differs on first contact; policy: metawiki wins", None, m, w)
        else:
            first = self.first(key)
            self.conflict(key, None, m, w, "differs and no base to tell who changed it", sticky=not first,
                          first_contact=first)

    def _decided(self, key: TermKey, cap: Capacity, decision: Decision, b: BaseTerm | None, m: Term | None,
                 w: Term | None) -> None:
        w_target: Target = "bundle" if key.lang == SOURCE_LANGUAGE else "metawiki"
        mt, wt = _norm(m), _norm(w)
        target_text = (normalize_text(decision.text) or None) if decision.text is not None else None
        moved = _moved_since(decision, mt, wt, target_text)
        if decision.basis_outdated and w is not None and not w.fuzzy and "metawiki" not in moved \
                and wt != target_text:
            moved.append("metawiki")  # the outdated unit the decision saw was confirmed since
        if moved:
            self.stale.append(key)
            if mt == wt:
                self.agree(key, b, m, w)  # the humans agreed on their own
            else:
                shown = "deletion" if decision.text is None else repr(decision.text)
                self.conflict(key, b, m, w, f"decided on values that changed since: {' and '.join(moved)} edited "
                                            f"after the decision ({decision.source}: {shown}); decide again")
            return
        problem = None
        if decision.text is not None:
            problem = self.refusal(key, decision.text)
        elif key.lang == SOURCE_LANGUAGE:
            problem = "a decision never deletes a capacity's English (it would empty the bundle key)"
        if problem is not None:
            self.stale.append(key)
            self.conflict(key, b, m, w, f"decided text is not written: {problem}; decide again")
            return
        pending = False
        if mt != target_text:
            self.change(key, "metabase", decision.text, m, cap, _decided_reason(decision))
            pending = True
        outdated = w is not None and w.fuzzy and key.lang != SOURCE_LANGUAGE
        if target_text is None and outdated:
            pass  # an outdated unit is how a deletion shows on Meta-Wiki when the bot may not delete
        elif wt != target_text or (outdated and target_text is not None and not self.saved_outdated(key)):
            self.change(key, w_target, decision.text, w, cap, _decided_reason(decision))
            pending = True
        if not pending:
            self.resolved.append(key)
            self.updates[key] = BaseTerm(decision.text, metabase_rev=m.revision if m else None,
                                         metawiki_rev=w.revision if w else None)


#: A decision's source for translations brought in from a file (``capxl10n import``): "import <file>".
IMPORT_SOURCE: Final = "import "


def _decided_reason(decision: Decision) -> str:
    if decision.source.startswith(IMPORT_SOURCE):
        return f"translation imported from {decision.source[len(IMPORT_SOURCE):]}"
    return f"conflict resolved ({decision.source})"


def _resaved(b: BaseTerm, w: Term) -> bool:
    """An agreed-absent term whose outdated unit was saved since it was agreed absent: a translator's own
    outdated text. A tombstone made while no unit existed (:data:`NO_UNIT`) saw no outdated unit, so any
    unit there now was saved since; one that noted no revision at all (older states) cannot tell."""
    if b.metawiki_rev == NO_UNIT:
        return True
    return b.metawiki_rev is not None and w.revision is not None and w.revision != b.metawiki_rev


def _moved_since(decision: Decision, mt: str | None, wt: str | None, target: str | None) -> list[str]:
    """The sides whose value is neither what the decision was made on nor the decided text."""
    if decision.basis is None:
        return []
    moved = []
    for side, now, then in (("metabase", mt, decision.basis[0]), ("metawiki", wt, decision.basis[1])):
        then_norm = (normalize_text(then) or None) if then is not None else None
        if now != then_norm and now != target:
            moved.append(side)
    return moved
