"""Take a coverage history snapshot of the sync state: every pull and sync calls :func:`record_history`.

The sides are what the state knows after the run: each wiki's read in the read
cache (our own writes absorbed into it) and the whole directory the catalogs
are built from (:meth:`State.whole_directory`). A wiki never read into this
state is left out (its history stays as it was). The counting is pure
(:mod:`capxl10n.core.history`); the state stores only what changed
(docs/reports.md, "History").
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from capxl10n.core.history import fixes, history_snapshot
from capxl10n.core.model import Snapshot
from capxl10n.engine.state import State

log = logging.getLogger(__name__)


def _seconds(stamp: str) -> int | None:
    try:
        return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        return None


def record_history(state: State, directory: Snapshot | None = None, *, command: str,
                   taken: int | None = None) -> str:
    """Record the state's coverage; returns the snapshot's time (ISO 8601, UTC).

    The snapshot is dated by the wikis' own clock: the newest high-water mark of the reads (the server
    time the read ended at), so that it compares with the revisions' timestamps the report reads; with
    no read, now. ``taken`` (seconds since the epoch) overrides it.
    """
    started = time.monotonic()
    sides: dict[str, Snapshot] = {}
    marks: list[str] = []
    for side in ("metabase", "metawiki"):
        cached = state.load_side(side)
        if cached is not None:
            sides[side] = cached[0]
            mark = getattr(cached[1], "high_water", None)
            if mark:
                marks.append(str(mark))
    if taken is None and marks:
        taken = _seconds(max(marks))
    sides["catalogs"] = state.whole_directory() if directory is None else directory
    snapshot = history_snapshot(sides)
    fixed = fixes(state.history_outdated(), sides)
    stamp = state.record_history(snapshot, fixed, command, taken)
    log.info("coverage history recorded (%s, %d fix(es)) in %.2f s", ", ".join(sides),
             sum(len(k) for k in fixed.values()), time.monotonic() - started)
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["record_history"]
