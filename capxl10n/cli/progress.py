"""The one progress helper of every command (docs/sync.md, "Progress").

The engine reports :class:`~capxl10n.engine.progress.Step` s (phase, task, done, total); this
module shows them the way the output calls for:

* on a terminal (text logs, not ``-q``): a bar per phase and task, redrawn in place, with
  done/total, the rate and an ETA — while writing, at the profile's pacing
  (``[pacing] edits_per_minute``) until the wikis prove slower;
* without a terminal (cron, a pipe): one line on stderr when a task starts, every N units
  (``every``) and when it ends, so a log shows a long run moving (not with ``--format json``,
  whose reader is a program: it gets progress as JSON logs);
* with ``--log-format json``: the same lines as JSON log records (logger ``capxl10n.progress``);
* with ``-q``: nothing.

Log lines never land in the middle of a bar: the CLI's log handler calls :func:`clear_line`
first. Adapters let the library's older callbacks report here too: :meth:`ProgressView.pull_callback`
for :func:`capxl10n.engine.pull.pull` (stage, done, total) and :meth:`ProgressView.counter` for one
call per unit done (the catalogs' builder, per language).
"""
from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from capxl10n.engine.progress import ALL, Step

log = logging.getLogger("capxl10n.progress")

#: The view drawing a bar on stderr right now, if any (:func:`clear_line` clears its line).
_ACTIVE: list[ProgressView] = []
#: Lines mode: a line every this many units of a task (and at its start and end).
EVERY = 50


def clear_line() -> None:
    """Clear the bar being drawn, so that the next line written to stderr starts on a clean line."""
    for view in _ACTIVE:
        view.clear()


def end_line() -> bool:
    """End the line of the bar being drawn (it stays as drawn); whether there was one."""
    drawn = any(view._dirty for view in _ACTIVE)
    for view in _ACTIVE:
        view.finish_line()
    return drawn


def clock(seconds: float | None) -> str:
    """``75`` → ``1:15``; ``3725`` → ``1:02:05``; None → ``?``."""
    if seconds is None:
        return "?"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class _Task:
    phase: str
    task: str
    total: int
    unit: str
    started: float
    done: int = 0
    drawn: float = 0.0
    logged: int = -1


@dataclass
class ProgressView:
    """Call it with each :class:`Step`; use it as a context manager (the last bar is closed on exit).

    ``mode``: ``bar``, ``lines``, ``json`` or ``None`` (silent); see :meth:`for_env`.
    ``seconds_per_write``: the profile's pacing, for the ETA of writes before (and while) the
    wikis answer faster than it allows.
    """

    mode: str | None
    seconds_per_write: float | None = None
    every: int = EVERY
    stream: IO[str] | None = None
    now: Callable[[], float] = time.monotonic
    width: int | None = None
    tasks: dict[tuple[str, str], _Task] = field(default_factory=dict)
    _line: tuple[str, str] | None = None   # the task whose bar is on the current line
    _dirty: bool = False                   # something is drawn on the current line

    @classmethod
    def for_env(cls, env: Any, *, seconds_per_write: float | None = None, lines: bool = True) -> ProgressView:
        """The view the command line asks for: bars on a terminal, lines under cron, JSON with JSON logs.

        ``lines=False``: a command quick enough to need no lines without a terminal (the catalogs).
        """
        if env.verbosity < 0:
            mode = None
        elif env.log_format == "json":
            mode = "json" if lines else None
        elif sys.stderr.isatty():
            mode = "bar"
        else:  # a program reading --format json output asks for progress as JSON logs (--log-format json)
            mode = "lines" if lines and env.output_format != "json" else None
        return cls(mode, seconds_per_write)

    # -- the context ----------------------------------------------------------------------
    def __enter__(self) -> ProgressView:
        if self.mode == "bar":
            _ACTIVE.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish_line()
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    # -- adapters ---------------------------------------------------------------------------
    def pull_callback(self, phase: str = "read") -> Callable[[str, int, int], None]:
        """For :func:`capxl10n.engine.pull.pull`'s ``progress(stage, done, total)``."""
        return lambda stage, done, total: self(Step(phase, stage, done, total))

    def counter(self, phase: str, task: str, total: int) -> Callable[..., None]:
        """A callback counting one unit per call (whatever it is called with)."""
        state = {"done": 0}
        self(Step(phase, task, 0, total))

        def tick(*_args: Any) -> None:
            state["done"] += 1
            self(Step(phase, task, state["done"], total))
        return tick

    # -- steps ------------------------------------------------------------------------------
    def __call__(self, step: Step) -> None:
        if self.mode is None or step.total <= 0:
            return
        if step.task == ALL:
            self.announce(step)
            return
        key = (step.phase, step.task)
        task = self.tasks.get(key)
        if task is None or step.done < task.done:
            task = self.tasks[key] = _Task(step.phase, step.task, step.total, step.unit, self.now())
        task.done, task.total = step.done, step.total
        if self.mode == "bar":
            self.draw(task)
        else:
            self.log_line(task)

    def eta(self, task: _Task) -> float | None:
        """Seconds left: the rate so far, never faster than the profile's pacing allows writes."""
        left = task.total - task.done
        if left <= 0:
            return 0.0
        observed = (self.now() - task.started) / task.done if task.done else None
        pace = self.seconds_per_write if task.phase == "apply" else None
        per_unit = max(x for x in (observed, pace) if x is not None) if (observed or pace) else None
        return None if per_unit is None else left * per_unit

    def announce(self, step: Step) -> None:
        """Before the first write: how many writes, and how long at the profile's pacing."""
        pace = self.seconds_per_write
        estimate = f", at least {clock(step.total * pace)} at the profile's pacing ({60 / pace:g} edits/min)" \
            if pace else ""
        self.emit(f"writing: {step.total} {step.unit}{estimate}", step)

    # -- bars (a terminal) -----------------------------------------------------------------
    def draw(self, task: _Task) -> None:
        key = (task.phase, task.task)
        finished = task.done >= task.total
        now = self.now()
        if self._line not in (None, key):
            self.finish_line()
        if not finished and self._line == key and now - task.drawn < 0.1:
            return
        task.drawn = now
        self._line = key
        out = self.stream or sys.stderr
        out.write("\r\x1b[2K" + self.bar_text(task))
        out.flush()
        self._dirty = True
        if finished:
            self.finish_line()

    def bar_text(self, task: _Task) -> str:
        eta = self.eta(task)
        tail = f" {task.done}/{task.total} {task.unit}" + (" done" if task.done >= task.total else
                                                         "" if eta is None else f"  ETA {clock(eta)}")
        head = f"{task.phase:<5} {task.task:<9} "
        columns = self.width or shutil.get_terminal_size((80, 24)).columns
        room = max(10, min(40, columns - len(head) - len(tail) - 3))
        filled = int(room * task.done / task.total) if task.total else room
        return f"{head}[{'#' * filled}{'.' * (room - filled)}]{tail}"

    def clear(self) -> None:
        if self._dirty:
            out = self.stream or sys.stderr
            out.write("\r\x1b[2K")
            out.flush()
            self._dirty = False
            if self._line is not None and self._line in self.tasks:
                self.tasks[self._line].drawn = 0.0  # redraw at the next step

    def finish_line(self) -> None:
        """End the current bar's line (it stays on screen as it was last drawn)."""
        if self._dirty:
            out = self.stream or sys.stderr
            out.write("\n")
            out.flush()
        self._dirty = False
        self._line = None

    # -- lines (cron) and JSON --------------------------------------------------------------
    def log_line(self, task: _Task) -> None:
        first, last = task.logged < 0, task.done >= task.total
        if not (first or last or task.done // self.every > task.logged // self.every):
            return
        if task.done == task.logged:
            return
        task.logged = task.done
        percent = 100 * task.done // task.total
        left = self.eta(task)
        eta = "" if last or left is None else f", ETA {clock(left)}"
        self.emit(f"{task.phase} {task.task}: {task.done}/{task.total} {task.unit} ({percent}%){eta}",
                  Step(task.phase, task.task, task.done, task.total), eta=self.eta(task))

    def emit(self, text: str, step: Step, *, eta: float | None = None) -> None:
        if self.mode == "json":
            log.info(text, extra={"event": {"phase": step.phase, "task": step.task, "done": step.done,
                                            "total": step.total, "unit": step.unit,
                                            "eta_seconds": None if eta is None else round(eta, 1)}})
            return
        self.finish_line()
        out = self.stream or sys.stderr
        out.write(("progress: " if self.mode == "lines" else "") + text + "\n")
        out.flush()


def pacing_of(profile: Any) -> float | None:
    """Seconds per write at the profile's pacing (``[pacing] edits_per_minute``)."""
    per_minute = getattr(getattr(profile, "pacing", None), "edits_per_minute", None)
    return 60.0 / per_minute if per_minute else None
