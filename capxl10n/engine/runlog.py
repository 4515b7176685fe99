"""Where a run stands: its id and its phase, for every log line and for the run history.

The engine marks its phases (``recover``, ``read``, ``plan``, ``apply``, ``catalogs``) with
:func:`phase`; the CLI's log formatter stamps every line with :func:`current` (docs/sync.md,
"Unattended runs"), and a run that ends by an error or an interruption is recorded with the phase
it was in. Context variables, so nothing is passed around and threads do not mix them up.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

PHASES = ("recover", "read", "plan", "apply", "catalogs", "done")

_RUN: ContextVar[str | None] = ContextVar("capxl10n_run", default=None)
_PHASE: ContextVar[str | None] = ContextVar("capxl10n_phase", default=None)


@contextmanager
def run(run_id: str) -> Iterator[str]:
    """The run ``run_id`` is under way (nested runs, e.g. a sync's second round, name their own)."""
    token, phase_token = _RUN.set(run_id), _PHASE.set(None)
    try:
        yield run_id
    finally:
        _RUN.reset(token)
        _PHASE.reset(phase_token)


@contextmanager
def phase(name: str) -> Iterator[str]:
    token = _PHASE.set(name)
    try:
        yield name
    finally:
        _PHASE.reset(token)


def enter(name: str) -> None:
    """The run under way is now in phase ``name`` (until the next :func:`enter`, or its :func:`run` ends)."""
    _PHASE.set(name)


def current() -> tuple[str | None, str | None]:
    """(run id, phase) of the run under way, or (None, None)."""
    return _RUN.get(), _PHASE.get()


def current_phase(default: str = "start") -> str:
    return _PHASE.get() or default
