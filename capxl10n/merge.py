"""The three-way merge: base × Metabase × Meta-Wiki → changes and conflicts.

Pure: no I/O. The base is what both sides agreed on at the last sync; with it
we can tell *who* changed a term, so a deletion is a tombstone (propagated,
never copied back) and two humans' differing edits are a conflict instead of
"newest wins" (context.md §3, the failures not to repeat).

Rules per term ``(qid, field, lang)`` with base B, Metabase M, Meta-Wiki W:

* M = W: in sync; the base moves forward (a tombstone when both are gone).
* only one side changed since B: that change (set or delete) goes to the other
  side; a deletion becomes a conflict instead under ``deletions = "conflict"``.
* both changed, differently: a conflict; nothing is written for the term.
* W fuzzy (outdated): never copied to Metabase; a Metabase value changed since
  B replaces it on Meta-Wiki, which clears fuzzy.
* no base row: one-sided values are copied; differing values are conflicts,
  unless this is the first contact (empty base) and the profile names a winner.
* English is a term like any other, but its Meta-Wiki side is the bundle
  source page (target ``bundle``). The bundle's keys follow Metabase: a new
  capacity adds keys, an English value missing from the bundle is restored
  there (never deleted from Metabase), and a capacity gone from Metabase is
  reported; its bundle keys go only with ``remove_from_bundle``.
* Values compare after :func:`capxl10n.model.normalize_text`.

>>> from capxl10n.model import Capacity, Snapshot, Term, TermKey
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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from capxl10n.model import DOC_LANGUAGE, SOURCE_LANGUAGE, Capacity, Snapshot, Term, TermKey, normalize_text

TARGETS: Final = ("metabase", "metawiki", "bundle")
ACTIONS: Final = ("set", "delete")


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
    target: str
    action: str
    new: str | None
    expected: str | None
    expected_fuzzy: bool = False
    base_revision: int | None = None
    base_timestamp: str | None = None
    item: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Conflict:
    """Both sides changed a term differently (or a policy asks a human); nothing is written."""

    key: TermKey
    base: str | None
    has_base: bool
    metabase: Term | None
    metawiki: Term | None
    reason: str


@dataclass(frozen=True)
class Decision:
    """A human's resolution of a conflict: the final text, or ``None`` to delete on both sides."""

    text: str | None
    source: str = "manual"


@dataclass(frozen=True)
class MergeOptions:
    """Everything besides the three snapshots that decides the merge (from the profile and the read)."""

    first_contact: str = "conflict"
    deletions: str = "propagate"
    remove_from_bundle: bool = False
    languages: frozenset[str] | None = None
    exclude_languages: frozenset[str] = frozenset()
    unaccepted_languages: frozenset[str] = frozenset()
    duplicates: frozenset[str] = frozenset()
    decisions: Mapping[TermKey, Decision] = field(default_factory=dict)


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


def _norm(term: Term | None) -> str | None:
    if term is None:
        return None
    text = normalize_text(term.text)
    return text or None


def merge(base: Mapping[TermKey, BaseTerm], metabase: Snapshot, metawiki: Snapshot,
          options: MergeOptions | None = None) -> MergeResult:
    """Merge the two sides against the base; see the module docstring for the rules."""
    opts = options or MergeOptions()
    first_contact = not base
    duplicates = set(opts.duplicates)
    capacities = {c.qid: c for c in metabase.capacities if c.qid not in duplicates}
    item_revisions = _item_revisions(metabase)
    bundle_qids = {k.qid for k in metawiki.terms if k.lang == SOURCE_LANGUAGE}
    removed = sorted((bundle_qids | {k.qid for k in base}) - set(capacities) - duplicates,
                     key=lambda q: (len(q), q))
    keys = set(base) | set(metabase.terms) | set(metawiki.terms)
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    updates: dict[TermKey, BaseTerm | None] = {}
    resolved: list[TermKey] = []
    unaccepted: set[str] = set()
    ctx = _Context(opts, first_contact, item_revisions, changes, conflicts, updates, resolved)

    for key in sorted(keys, key=TermKey.sort_key):
        if key.qid in duplicates or key.lang == DOC_LANGUAGE or not _in_scope(key.lang, opts):
            continue
        b, m, w = base.get(key), metabase.terms.get(key), metawiki.terms.get(key)
        cap = capacities.get(key.qid)
        if cap is None:
            if key.lang == SOURCE_LANGUAGE and opts.remove_from_bundle and w is not None:
                ctx.change(key, "bundle", None, w, None, "capacity removed from metabase")
            continue
        if key.lang in opts.unaccepted_languages:
            if w is not None:
                unaccepted.add(key.lang)
            continue
        ctx.merge_term(key, cap, b, m, w)

    return MergeResult(
        changes=tuple(changes), conflicts=tuple(conflicts), base_updates=updates, resolved=tuple(resolved),
        unaccepted_languages=tuple(sorted(unaccepted)), removed_capacities=tuple(removed),
        skipped_duplicates=tuple(sorted(duplicates, key=lambda q: (len(q), q))), first_contact=first_contact)


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
    changes: list[Change]
    conflicts: list[Conflict]
    updates: dict[TermKey, BaseTerm | None]
    resolved: list[TermKey]

    def change(self, key: TermKey, target: str, new: str | None, current: Term | None,
               cap: Capacity | None, reason: str) -> None:
        """Queue a write of ``new`` (None = delete) on ``target``, guarded by what we read there."""
        if target == "metabase":
            revision, timestamp = self.item_revisions.get(key.qid), None
        else:
            revision = current.revision if current else None
            timestamp = current.timestamp if current else None
        self.changes.append(Change(
            key=key, target=target, action="set" if new is not None else "delete", new=new,
            expected=current.text if current else None, expected_fuzzy=bool(current and current.fuzzy),
            base_revision=revision, base_timestamp=timestamp,
            item=cap.item if cap is not None else None, reason=reason))

    def conflict(self, key: TermKey, b: BaseTerm | None, m: Term | None, w: Term | None, reason: str) -> None:
        self.conflicts.append(Conflict(key, b.text if b else None, b is not None, m, w, reason))

    def agree(self, key: TermKey, b: BaseTerm | None, m: Term | None, w: Term | None) -> None:
        """Both sides hold the same value: move the base forward if it differs."""
        if m is None:
            new = BaseTerm(None) if b is not None else None
        else:
            new = BaseTerm(m.text, fuzzy=bool(w and w.fuzzy), metabase_rev=m.revision,
                           metawiki_rev=w.revision if w else None)
        if new is None:
            return
        if b is None or b.normalized != new.normalized or b.fuzzy != new.fuzzy:
            self.updates[key] = new

    def merge_term(self, key: TermKey, cap: Capacity, b: BaseTerm | None, m: Term | None, w: Term | None) -> None:
        w_target = "bundle" if key.lang == SOURCE_LANGUAGE else "metawiki"
        mt, wt = _norm(m), _norm(w)
        fuzzy = w is not None and w.fuzzy and key.lang != SOURCE_LANGUAGE
        decision = self.opts.decisions.get(key)
        if decision is not None:
            self._decided(key, cap, decision, m, w, w_target, fuzzy)
            return
        bt = b.normalized if b is not None else None
        if fuzzy:
            # Outdated text on Meta-Wiki is never a value to copy; only a Metabase change replaces it.
            if b is not None and mt != bt:
                if mt is None:
                    self._delete(key, cap, b, m, w, w_target, "deleted on metabase (outdated on metawiki)")
                else:
                    self.change(key, w_target, m.text if m else None, w, cap,
                                "changed on metabase; replaces outdated translation")
            elif (b is None and m is not None and mt != wt and self.first_contact
                  and self.opts.first_contact == "metabase"):
                # First contact, policy "metabase wins": Metabase's current value replaces the
                # outdated translation (clearing fuzzy), as a Metabase change since a base would.
                self.change(key, w_target, m.text, w, cap,
                            "differs on first contact; outdated on metawiki; policy: metabase wins")
            elif mt is not None and (mt == wt or b is None):
                # Without a base, Metabase's value becomes it: a later fresh translation then
                # counts as a Meta-Wiki change instead of a conflict with a stale copy.
                self.agree(key, b, m, w)
            return
        if mt == wt:
            self.agree(key, b, m, w)
            return
        if key.lang == SOURCE_LANGUAGE and wt is None and m is not None:
            # The bundle's keys follow Metabase's capacities: a source value missing there is restored,
            # never deleted from Metabase (removing a capacity is Metabase's decision).
            self.change(key, w_target, m.text, w, cap, "missing from the bundle" if b is not None
                        else "new on metabase")
            return
        if b is None:
            self._unbased(key, cap, m, w, w_target)
            return
        m_changed, w_changed = mt != bt, wt != bt
        if m_changed and not w_changed:
            if mt is None:
                self._delete(key, cap, b, m, w, w_target, "deleted on metabase")
            else:
                self.change(key, w_target, m.text if m else None, w, cap, "changed on metabase")
        elif w_changed and not m_changed:
            if wt is None:
                self._delete(key, cap, b, m, w, "metabase", "deleted on metawiki")
            else:
                self.change(key, "metabase", w.text if w else None, m, cap, "changed on metawiki")
        else:
            self.conflict(key, b, m, w, "changed differently on both sides")

    def _delete(self, key: TermKey, cap: Capacity, b: BaseTerm, m: Term | None, w: Term | None,
                target: str, reason: str) -> None:
        if self.opts.deletions == "conflict":
            self.conflict(key, b, m, w, reason + " (policy: deletions need a human)")
            return
        current = m if target == "metabase" else w
        self.change(key, target, None, current, cap, reason)

    def _unbased(self, key: TermKey, cap: Capacity, m: Term | None, w: Term | None, w_target: str) -> None:
        if w is None and m is not None:
            self.change(key, w_target, m.text, None, cap, "new on metabase")
        elif m is None and w is not None:
            self.change(key, "metabase", w.text, None, cap, "new on metawiki")
        elif self.first_contact and self.opts.first_contact == "metabase" and m is not None:
            self.change(key, w_target, m.text, w, cap, "differs on first contact; policy: metabase wins")
        elif self.first_contact and self.opts.first_contact == "metawiki" and w is not None:
            self.change(key, "metabase", w.text, m, cap, "differs on first contact; policy: metawiki wins")
        else:
            self.conflict(key, None, m, w, "differs and no base to tell who changed it")

    def _decided(self, key: TermKey, cap: Capacity, decision: Decision, m: Term | None, w: Term | None,
                 w_target: str, fuzzy: bool) -> None:
        target_text = normalize_text(decision.text) if decision.text is not None else None
        target_text = target_text or None
        pending = False
        if _norm(m) != target_text:
            self.change(key, "metabase", decision.text, m, cap, f"conflict resolved ({decision.source})")
            pending = True
        if _norm(w) != target_text or (fuzzy and target_text is not None):
            self.change(key, w_target, decision.text, w, cap, f"conflict resolved ({decision.source})")
            pending = True
        if not pending:
            self.resolved.append(key)
            self.updates[key] = BaseTerm(decision.text, metabase_rev=m.revision if m else None,
                                         metawiki_rev=w.revision if w else None)
