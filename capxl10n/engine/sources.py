"""The source guard: a copy is written only while the side it was read from still holds the value.

The target guard (the revision the plan read on the target) cannot see a human
who changes the *source* between plan and apply: the old value would be
written and the human's newer one would then look like a conflict, or be lost.
So every copy names its source (side, page, revision read; for a decision
written to both sides, the value the other side held when decided) and, once per apply,
before any write, the guard asks each wiki with sources in the plan what
changed since the plan's read — one ``recentchanges`` query per wiki, the
pull's incremental helpers — and re-reads only the sources that moved. A copy
whose source no longer holds its value is *stale*: not written, not a
conflict; its base does not move, so the next sync merges the term afresh.

Outdating is invisible in recentchanges (docs/clients.md, "Pull"): when the bundle moved,
every translation source is re-read (Translate may have marked it fuzzy).
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from capxl10n.errors import ValidationError
from capxl10n.core.model import SOURCE_LANGUAGE, normalize_text
from capxl10n.core.plan import Operation, Plan

log = logging.getLogger(__name__)

#: What a source holds now: (text, fuzzy), or None when the term is absent.
Value = tuple[str, bool] | None


def stale_sources(plan: Plan, ops: Sequence[Operation], writers: Any, *,
                  ours: Collection[int] = ()) -> dict[str, str]:
    """Copies among ``ops`` whose source changed since the plan's read: op id → what it holds now.

    ``ours`` are revisions this plan wrote (a resumed apply): never a reason to re-read.
    Costs nothing without sources; else one query per wiki, plus one read per moved source.
    """
    guarded = [op for op in ops if op.source is not None]
    if not guarded:
        return {}
    ignore = frozenset(ours)
    moved = (_moved_metabase(plan, [op for op in guarded if _side(op) == "metabase"], writers.metabase, ignore)
             + _moved_metawiki(plan, [op for op in guarded if _side(op) == "metawiki"], writers.metawiki, ignore))
    current = _Current(writers)
    stale: dict[str, str] = {}
    for op in moved:
        now = current.value(op)
        if not _holds(op, now):
            stale[op.id] = f"its source {_side(op)} {_page(op)} now holds {_describe(now)}"
    return stale


def _side(op: Operation) -> str:
    assert op.source is not None
    return op.source.side


def _page(op: Operation) -> str:
    assert op.source is not None
    return op.source.page


def _moved(newest: int | None, read: int | None) -> bool:
    """A page moved when a revision newer than the one read (or a log entry, -1) is listed for it."""
    if newest is None:
        return False
    return newest == -1 or read is None or newest > read


def _moved_metabase(plan: Plan, ops: list[Operation], api: Any, ignore: frozenset[int]) -> list[Operation]:
    if not ops:
        return []
    since = plan.reads.get("metabase", {}).get("at")
    lister = getattr(api, "changed_item_revisions", None)
    if not since or lister is None:  # no read mark (or a client that cannot list changes): re-read them all
        return ops
    newest, _mark = lister(since, ignore=ignore)
    return [op for op in ops if _moved(newest.get(_page(op)), op.source.revision if op.source else None)]


def _moved_metawiki(plan: Plan, ops: list[Operation], api: Any, ignore: frozenset[int]) -> list[Operation]:
    if not ops:
        return []
    reads: Mapping[str, Any] = plan.reads.get("metawiki", {})
    lister = getattr(api, "unit_changes", None)
    if not reads.get("at") or lister is None:
        return ops
    units, bundle_rev, _mark = lister(reads["at"], reads.get("bundle_namespace"), ignore=ignore)
    bundle_moved = _moved(bundle_rev, reads.get("bundle_revision"))
    if bundle_moved:
        log.info("source guard: the bundle changed since the plan; re-reading every Meta-Wiki source")
    return [op for op in ops if bundle_moved or (op.key.lang != SOURCE_LANGUAGE and _moved(
        units.get(op.key), op.source.revision if op.source else None))]


class _Current:
    """Reads what moved sources hold now, each page once."""

    def __init__(self, writers: Any) -> None:
        self.writers = writers
        self.items: dict[str, Mapping[tuple[str, str], str]] = {}
        self.bundle: Mapping[str, str] | None = None

    def value(self, op: Operation) -> Value:
        if _side(op) == "metabase":
            text = self._item(_page(op)).get((op.key.field, op.key.lang))
            return None if text is None else (text, False)
        if op.key.lang == SOURCE_LANGUAGE:
            if self.bundle is None:
                self.bundle = dict(self.writers.metawiki.read_bundle().messages)
            english = self.bundle.get(op.key.message_key)
            return None if english is None else (english, False)
        term, _rev, _ts = self.writers.metawiki.read_unit(op.key)
        return None if term is None else (term.text, bool(term.fuzzy))

    def _item(self, item: str) -> Mapping[tuple[str, str], str]:
        if item not in self.items:
            try:
                _rev, terms = self.writers.metabase.read_item(item)
            except ValidationError:  # the item is gone: none of its terms holds anything
                terms = {}
            self.items[item] = terms
        return self.items[item]


def _holds(op: Operation, now: Value) -> bool:
    """Whether the source still holds what the copy writes (absence, for a copied deletion), or, for a
    decision written to both sides, what it held when decided (or the decided text, written by a human)."""
    if _same(now, None if op.new is None else (op.new, False)):
        return True
    basis = op.source.basis if op.source is not None else None
    return basis is not None and _same(now, None if basis[0] is None else (basis[0], basis[1]))


def _same(now: Value, then: Value) -> bool:
    if now is None or then is None:
        return now is then
    return now[1] == then[1] and normalize_text(now[0]) == normalize_text(then[0])


def _describe(now: Value) -> str:
    if now is None:
        return "nothing"
    return f"{now[0]!r}" + (" (outdated)" if now[1] else "")
