"""Ctrl-C and SIGTERM during a run that writes: stop at the next safe point, never in the middle of a write.

The first SIGINT (Ctrl-C) or SIGTERM (a scheduler stopping the job: cron's timeout, Toolforge,
systemd, Kubernetes) only asks: the engine looks at :meth:`GracefulStop.__call__` between two writes
(and at each step of the read), finishes and journals the write in flight, and ends the run as
partly done (exit 5; the next run resumes). A second Ctrl-C stops at once
(``KeyboardInterrupt``): a write may then be in flight, which the next run finds by its tag.
"""
from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import click

#: The signals that ask a run to stop.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GracefulStop:
    """Install with ``with GracefulStop() as stop:``; pass ``stop`` to the engine (it returns the signal's
    name once one came, else None). Outside the main thread (where signals cannot be caught) it does nothing."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._previous: dict[int, Any] = {}

    def __call__(self) -> str | None:
        return self.signal_name

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signal_name is not None:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            return
        self.signal_name = name
        from capxl10n.cli.progress import end_line
        if not end_line():
            click.echo("", err=True)  # after the terminal's ^C
        click.echo(f"{name}: stopping after the write in flight (Ctrl-C again stops at once)", err=True)
