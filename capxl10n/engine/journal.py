"""The apply journal's row and statuses, and a plan's status, defined once (apply writes it, recover reads it).

The SQLite state (:meth:`capxl10n.engine.state.State.journal` / ``mark``) stores the
statuses as plain strings and reads rows back as :class:`JournalRow`;
:class:`JournalStatus` members are ``str`` and compare equal to them.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple


class JournalStatus(StrEnum):
    """Where one operation of a plan stands."""

    PENDING = "pending"    # not sent yet
    SENT = "sent"          # the request may have reached the wiki (committed before it goes out)
    DONE = "done"          # the target holds the planned value (written, or found so)
    FAILED = "failed"      # the wiki answered with an error, or the write was held back: retried by a rerun
    CONFLICT = "conflict"  # the target changed under the plan (or refused the value): a human decides
    STALE = "stale"        # not written: the copied value's source changed after the plan


class PlanStatus(StrEnum):
    """Where a plan's apply stands (the state's ``plans.status``)."""

    RUNNING = "running"      # registered: its apply started and has not finished (or was killed)
    PARTIAL = "partial"      # its apply ended with operations left (failed, or stopped by a signal)
    DONE = "done"            # every operation is done, stale or a conflict
    RECOVERED = "recovered"  # a later run recovered what it wrote: applying it again is refused


#: An apply that did not finish: the next run recovers what it wrote.
UNFINISHED: Final = frozenset({PlanStatus.RUNNING, PlanStatus.PARTIAL})


class JournalRow(NamedTuple):
    """One operation's journal row."""

    status: str  # a JournalStatus value (rows read from SQLite hold the plain string)
    attempts: int = 0
    revision: int | None = None
    detail: str | None = None


#: The row of an operation the journal does not hold yet.
PENDING: Final = JournalRow(JournalStatus.PENDING)
#: What the state accepts in its journal's status column.
JOURNAL_STATUSES: Final = frozenset(JournalStatus)


__all__ = ["JOURNAL_STATUSES", "PENDING", "UNFINISHED", "JournalRow", "JournalStatus", "PlanStatus"]
