"""The apply journal's row and statuses, defined once (apply writes it, recover reads it).

The SQLite state (:meth:`capxl10n.engine.state.State.journal` / ``mark``) stores the
statuses as plain strings; :class:`JournalStatus` members are ``str`` and compare
equal to them, so rows read back compare with the members directly.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, NamedTuple, Protocol


class JournalStatus(StrEnum):
    """Where one operation of a plan stands."""

    PENDING = "pending"    # not sent yet
    SENT = "sent"          # the request may have reached the wiki (committed before it goes out)
    DONE = "done"          # the target holds the planned value (written, or found so)
    FAILED = "failed"      # the wiki answered with an error, or the write was held back: retried by a rerun
    CONFLICT = "conflict"  # the target changed under the plan (or refused the value): a human decides
    STALE = "stale"        # not written: the copied value's source changed after the plan


class JournalRow(NamedTuple):
    """One operation's journal row."""

    status: str  # a JournalStatus value (rows read from SQLite hold the plain string)
    attempts: int = 0
    revision: int | None = None
    detail: str | None = None


#: The row of an operation the journal does not hold yet.
PENDING: Final = JournalRow(JournalStatus.PENDING)


class JournalSource(Protocol):
    def journal(self, plan_id: str) -> Mapping[str, tuple[str, int, int | None, str | None]]: ...


def read_journal(state: JournalSource, plan_id: str) -> dict[str, JournalRow]:
    """The plan's journal as typed rows (the state returns plain tuples)."""
    return {op_id: JournalRow(*row) for op_id, row in state.journal(plan_id).items()}


__all__ = ["PENDING", "JournalRow", "JournalStatus", "read_journal"]
