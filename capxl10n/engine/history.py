"""Take a coverage history snapshot of the sync state: every pull and sync calls :func:`record_history`.

The sides are what the state knows after the run: each wiki's read in the read
cache (our own writes absorbed into it) and the whole directory the catalogs
are built from (:meth:`State.whole_directory`). A wiki never read into this
state is left out (its history stays as it was). The counting is pure
(:mod:`capxl10n.core.history`); the state stores only what changed
(docs/reports.md, "History").
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from capxl10n.core.coverage import SIDES, SideCoverageReport, coverage_by_side
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
    identity = state.directory_identity()  # of the state the sides are loaded from
    sides["catalogs"] = state.whole_directory() if directory is None else directory
    snapshot = history_snapshot(sides)
    fixed = fixes(state.history_outdated(), sides)
    stamp = state.record_history(snapshot, fixed, command, taken)
    keep_coverage(state, sides, identity)
    log.info("coverage history recorded (%s, %d fix(es)) in %.2f s", ", ".join(sides),
             sum(len(k) for k in fixed.values()), time.monotonic() - started)
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: State meta: the coverage report of the sync state's three sides (``capxl10n coverage``) and what it was
#: counted from (:meth:`State.directory_identity`).
COVERAGE_REPORT = "coverage_report"


def keep_coverage(state: State, sides: dict[str, Snapshot], identity: dict[str, Any] | None) -> None:
    """Keep the coverage report of ``sides`` (both wikis' reads and the whole directory, as the history
    just counted them) for ``capxl10n coverage``, which then counts nothing while the state holds what it
    was counted from (``identity``); with a wiki not read, or an unknown row, none is kept."""
    if identity is None or set(sides) != set(SIDES) or not all(identity["reads"].values()):
        state.drop_meta(COVERAGE_REPORT)
        return
    report = coverage_by_side(sides)
    state.set_meta(COVERAGE_REPORT, json.dumps({"made_of": identity, "report": report.to_json()},
                                               ensure_ascii=False, separators=(",", ":")))


def kept_coverage(state: State, languages: Iterable[str] | None = None) -> SideCoverageReport | None:
    """The coverage report :func:`keep_coverage` kept, for ``languages`` (all when None), if the state still
    holds what it was counted from; else None (count the sides)."""
    raw = state.get_meta(COVERAGE_REPORT)
    if raw is None:
        return None
    identity = state.directory_identity()
    try:
        kept = json.loads(raw)
        if identity is None or kept.get("made_of") != identity:
            return None
        return SideCoverageReport.from_json(kept["report"]).for_languages(languages)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("ignoring a damaged kept coverage report: %s", exc)
        return None


__all__ = ["record_history", "keep_coverage", "kept_coverage"]
