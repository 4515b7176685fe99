"""Our own writes into the read cache, so the next incremental pull need not read them back.

After an apply (``engine/sync.py``), each answered write puts its new values (fuzzy
cleared) and revision into the cached snapshot of its side, and records in the side's
cursor (:class:`~capxl10n.core.cursors.OwnWrite`) the revision as ours with the revision
the cache had read before it. The next pull skips exactly those revisions in
recentchanges; any other revision of the page (a human, FuzzyBot) is newer than the
recorded read revision and re-reads the page. Not absorbed, hence re-read:
``wikibase-conflict-patched`` answers (content merged with someone else's), Meta-Wiki
deletions and their fuzzy fallback. Keys whose English our write changed are listed in
the Meta-Wiki cursor (``outdated_keys``): Translate outdated their translations, which
recentchanges does not show, so the next pull re-reads those languages.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from capxl10n.core.cursors import (NOT_TRANSLATIONS, Bundle, MetabaseCursor, MetawikiCursor, OwnWrite, ReadCache,
                                   cached_read, previous_sources)
from capxl10n.core.model import SOURCE_LANGUAGE, Snapshot, Term, TermKey
from capxl10n.core.plan import Operation
from capxl10n.engine.apply import Written
from capxl10n.wikis.results import WriteResult


def absorb_writes(cache: ReadCache, operations: Sequence[Operation], writes: Sequence[Written],
                  bundle_page: str) -> None:
    """Make the read cache show what apply wrote (see the module docstring)."""
    ops = {op.id: op for op in operations}
    mb = cached_read(cache, "metabase", MetabaseCursor)
    mw = cached_read(cache, "metawiki", MetawikiCursor)
    mb_state = _AbsorbingMetabase(*mb) if mb else None
    mw_state = _AbsorbingMetawiki(*mw) if mw else None
    for w in writes:
        wops = [ops[i] for i in w.op_ids if i in ops]
        if not wops:
            continue
        if w.target == "metabase" and mb_state is not None:
            mb_state.item(w.page, w.answer, wops)
        elif w.target == "metawiki" and mw_state is not None:
            mw_state.unit(w.page, w.answer, wops[0])
        elif w.target == "bundle" and mw_state is not None:
            mw_state.bundle(w.answer, wops, bundle_page)
    if mb_state is not None and mb_state.touched:
        cache.store_side("metabase", mb_state.snapshot(), mb_state.cursor())
    if mw_state is not None and mw_state.touched:
        cache.store_side("metawiki", mw_state.snapshot(), mw_state.cursor())


class _Absorbing:
    """A cached read being updated with our writes (pure: no I/O)."""

    def __init__(self, snapshot: Snapshot, own: dict[str, OwnWrite]) -> None:
        self.read = snapshot
        self.terms = dict(snapshot.terms)
        self.own = own
        self.touched = False
        self._by_qid: dict[str, set[TermKey]] | None = None

    def keys_of(self, qid: str) -> list[TermKey]:
        """The cached terms of one capacity: indexed once, so a write touches its own terms, not the cache's."""
        if self._by_qid is None:
            self._by_qid = {}
            for key in self.terms:
                self._by_qid.setdefault(key.qid, set()).add(key)
        return [key for key in self._by_qid.get(qid, ()) if key in self.terms]

    def put(self, key: TermKey, term: Term) -> None:
        if key not in self.terms and self._by_qid is not None:
            self._by_qid.setdefault(key.qid, set()).add(key)
        self.terms[key] = term

    def snapshot(self) -> Snapshot:
        return Snapshot(self.read.side, self.read.capacities, self.terms, self.read.meta)

    def _own(self, page: str, read_revision: int | None, revision: int) -> None:
        entry = self.own.get(page) or OwnWrite(int(read_revision or 0))
        self.own[page] = OwnWrite(entry.read_revision, tuple(sorted({*entry.revisions, revision})))

    def _dirty(self, page: str, read_revision: int | None) -> None:
        """Content unknown: keep the read revision so any later revision re-reads the page."""
        self.own.setdefault(page, OwnWrite(int(read_revision or 0)))


class _AbsorbingMetabase(_Absorbing):
    def __init__(self, snapshot: Snapshot, cursor: MetabaseCursor) -> None:
        super().__init__(snapshot, dict(cursor.own_writes))
        self.read_cursor = cursor

    def cursor(self) -> MetabaseCursor:
        return replace(self.read_cursor, own_writes=self.own)

    def item(self, page: str, w: WriteResult, ops: Sequence[Operation]) -> None:
        self.touched = True
        read = self.read_cursor.item_revisions.get(page)
        if w.patched or (w.revision is None and not w.nochange):
            self._dirty(page, read)
            return
        qid = ops[0].key.qid
        for op in ops:
            if op.new is None:
                self.terms.pop(op.key, None)
            else:
                self.put(op.key, Term(text=op.new, revision=w.revision if not w.nochange else
                                      (self.terms[op.key].revision if op.key in self.terms else read),
                                      side="metabase", timestamp=w.timestamp))
        if w.nochange or w.revision is None:
            return
        for key in self.keys_of(qid):  # the item's lastrevid moved: the next guard uses it
            term = self.terms[key]
            self.terms[key] = Term(term.text, term.fuzzy, w.revision, term.author, term.side,
                                   w.timestamp or term.timestamp)
        self._own(page, read, w.revision)


class _AbsorbingMetawiki(_Absorbing):
    def __init__(self, snapshot: Snapshot, cursor: MetawikiCursor) -> None:
        super().__init__(snapshot, dict(cursor.own_writes))
        self.read_cursor = cursor
        self.written_bundle = cursor.bundle
        self.previous = cursor.previous_source
        self.outdated = list(cursor.outdated_keys)

    def cursor(self) -> MetawikiCursor:
        return replace(self.read_cursor, own_writes=self.own, bundle=self.written_bundle,
                       previous_source=self.previous, outdated_keys=tuple(sorted(set(self.outdated))))

    def unit(self, page: str, w: WriteResult, op: Operation) -> None:
        self.touched = True
        old = self.terms.get(op.key)
        read = old.revision if old else None
        if op.new is None or w.patched or (w.revision is None and not w.nochange):
            self._dirty(page, read)
            return
        if w.nochange:  # identical text: Translate removed the fuzzy tag without a new revision
            self.terms[op.key] = Term(op.new, False, read, old.author if old else None, "metawiki",
                                      old.timestamp if old else None)
            return
        self.terms[op.key] = Term(op.new, op.outdated, w.revision, None, "metawiki", None)
        self._own(page, read, int(w.revision or 0))

    def bundle(self, w: WriteResult, ops: Sequence[Operation], page: str) -> None:
        self.touched = True
        bundle = self.written_bundle or Bundle({})
        read = bundle.revision
        if w.nochange or w.revision is None or w.patched:
            if not w.nochange:
                self._dirty(page, read)
            return
        messages = dict(bundle.messages)
        replaced: dict[str, str] = {}
        for op in ops:
            old = messages.get(op.key.message_key)
            if op.new is None:
                messages.pop(op.key.message_key, None)
            else:
                messages[op.key.message_key] = op.new
            if old is not None and old != op.new:
                self.outdated.append(op.key.message_key)
                if op.new is not None:
                    replaced[op.key.message_key] = old
        if replaced:  # Translate outdates every translation of these keys: they were made from ``old``
            outdating = {k: t if k.message_key not in replaced or k.lang in NOT_TRANSLATIONS else
                         Term(t.text, True, t.revision, t.author, t.side, t.timestamp) for k, t in self.terms.items()}
            self.previous = previous_sources(self.terms, outdating, self.previous, replaced)
        self.written_bundle = replace(bundle, messages=messages, revision=w.revision, timestamp=w.timestamp,
                                      exists=True, author=None)
        for key, term in list(self.terms.items()):
            if key.lang == SOURCE_LANGUAGE:
                self.terms[key] = Term(term.text, term.fuzzy, w.revision, term.author, term.side,
                                       w.timestamp or term.timestamp)
        for op in ops:
            if op.new is None:
                self.terms.pop(op.key, None)
            else:
                self.terms[op.key] = Term(op.new, False, w.revision, None, "metawiki", w.timestamp)
        self._own(page, read, w.revision)
