"""The run history: what `capxl10n runs` lists from the state's ``runs`` table.

Every ``plan``, ``apply`` and ``sync`` (not a dry run, which records nothing) is a row: its
command, when it started and how long it took, its exit code, what it wrote per wiki, the
conflicts it left open and its errors. A run that was killed (SIGKILL, a crash, a power cut)
never wrote its end: while it ran it noted its phase, its plan and its process, so it is shown
as *interrupted* with how far it got (its plan's journal); one whose process is still alive on
this host is *running*.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from capxl10n.engine.journal import JournalStatus
from capxl10n.engine.lock import process_alive
from capxl10n.engine.state import State
from capxl10n.errors import UsageError, phase_doing

#: exit code → status word
STATUS = {0: "ok", 1: "error", 2: "usage", 3: "conflicts", 4: "pending", 5: "partial"}
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def parse_since(text: str, now: datetime | None = None) -> str:
    """``30m``, ``12h``, ``7d``, ``2w`` ago, or a UTC date/time (``2025-06-01``, ``2025-06-01T10:00``,
    ``2025-06-01 10:00:00Z``) → the state's timestamp form.

    >>> parse_since("2d", datetime(2025, 6, 3, 12, 0, tzinfo=timezone.utc))
    '2025-06-01T12:00:00Z'
    >>> parse_since("2025-06-01")
    '2025-06-01T00:00:00Z'
    """
    raw = text.strip()
    match = _RELATIVE.match(raw.lower())
    if match:
        moment = (now or datetime.now(timezone.utc)) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return moment.strftime(STAMP)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise UsageError(f"--since: {text!r} is neither a time ago nor a date",
                         hint="use 30m, 12h, 7d, 2w, or a UTC date/time such as 2025-06-01 or 2025-06-01T10:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(STAMP)


@dataclass(frozen=True)
class Run:
    run_id: str
    command: str
    started: str
    finished: str | None
    exit_code: int | None
    status: str
    seconds: int | None
    written: Mapping[str, int] = field(default_factory=dict)
    conflicts: int | None = None
    errors: tuple[str, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run_id, "command": self.command, "started": self.started, "finished": self.finished,
                "seconds": self.seconds, "exit_code": self.exit_code, "status": self.status,
                "written": dict(self.written), "conflicts": self.conflicts, "errors": list(self.errors),
                "note": self.note}


@dataclass(frozen=True)
class RunHistory:
    """The runs as a report (table/JSON/CSV/Markdown through capxl10n.cli.render)."""

    runs: tuple[Run, ...]

    def columns(self) -> list[str]:
        return ["run", "command", "started", "duration", "status", "exit", "metabase", "metawiki", "conflicts",
                "errors", "note"]

    def records(self) -> list[dict[str, Any]]:
        return [{"run": r.run_id, "command": r.command, "started": r.started.replace("T", " ").rstrip("Z"),
                 "duration": duration(r.seconds), "status": r.status, "exit": r.exit_code,
                 "metabase": r.written.get("metabase"), "metawiki": r.written.get("metawiki"),
                 "conflicts": r.conflicts, "errors": "; ".join(r.errors) or None, "note": r.note or None}
                for r in self.runs]

    def table_caption(self) -> str:
        return "metabase/metawiki: operations written; conflicts: undecided in the inbox after the run (UTC times)"

    def to_json(self) -> Any:
        return [r.to_json() for r in self.runs]


def duration(seconds: int | None) -> str | None:
    """``95`` → ``1m 35s``."""
    if seconds is None:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _seconds(start: str, end: str | None) -> int | None:
    try:
        a = datetime.strptime(start, STAMP)
        b = datetime.strptime(end, STAMP) if end else datetime.now(timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None
    return max(0, int((b - a).total_seconds()))


def _alive(pid: Any, host: Any) -> bool | None:
    """Whether the process that noted a run is still running; None when it ran on another host."""
    if host is not None and not isinstance(host, str):
        return None
    if not isinstance(pid, int):
        return False
    return process_alive(pid, host, command=b"capxl10n")


def _journal_progress(state: State, plan_id: str | None) -> tuple[int, int] | None:
    if not plan_id:
        return None
    rows = state.journal(plan_id)
    if not rows:
        return None
    done = sum(1 for row in rows.values() if row[0] == JournalStatus.DONE)
    return done, len(rows)


def describe(state: State, row: Mapping[str, Any]) -> Run:
    """One row of the ``runs`` table as the history shows it."""
    summary: Mapping[str, Any] = row.get("summary") or {}
    exit_code = row.get("exit_code")
    finished = row.get("finished")
    written: dict[str, int] = dict(summary.get("written") or {})
    applied = summary.get("apply") or {}
    errors: list[str] = []
    note = ""
    if isinstance(summary.get("error"), Mapping):
        errors.append(str(summary["error"].get("message", ""))[:200])
    failed = applied.get("failed") or {}
    if failed:
        first = next(iter(failed.values()))
        errors.append(f"{len(failed)} failed: {first}"[:200])
    if finished is None:
        alive = _alive(summary.get("pid"), summary.get("host"))
        if alive is None:
            status = "unfinished"
            note = f"on {summary.get('host')} (running or killed), last {phase_doing(str(summary.get('phase')))}"
        elif alive:
            status = "running"
            note = f"{phase_doing(str(summary.get('phase', 'start')))}"
        else:
            status = "interrupted"
            note = f"killed while {phase_doing(str(summary.get('phase', 'starting')))}"
        progress = _journal_progress(state, summary.get("plan")) if summary.get("phase") == "apply" else None
        if progress is not None:
            note += f": {progress[0]} of {progress[1]} operation(s) done"
        elif summary.get("phase") in ("read", "recover", None) and status == "interrupted":
            note += ": nothing written"
    elif summary.get("interrupted") or applied.get("interrupted"):
        status = "interrupted"
        signal_name = summary.get("interrupted") or applied.get("interrupted")
        phase = summary.get("phase", "apply")
        note = f"{signal_name} while {phase_doing(str(phase))}"
        if applied.get("interrupted"):
            note += f": {applied.get('written', 0)} written, {applied.get('left', 0)} left"
        elif summary.get("at_once"):
            note += ", stopped at once"
        else:
            note += ": nothing written"
    else:
        status = STATUS.get(int(exit_code), str(exit_code)) if exit_code is not None else "?"
        if applied.get("stale"):
            note = f"{len(applied['stale'])} copy(ies) skipped: their source changed"
    if not written and finished and row.get("command") in ("sync", "apply") and status in ("ok", "conflicts",
                                                                                          "pending"):
        written = {"metabase": 0, "metawiki": 0}  # ran to its end writing nothing
    if not written and "summary" in summary and row.get("command") == "plan":
        note = note or f"{summary['summary'].get('operations', 0)} change(s) planned"
    # A killed run never wrote its end: how long it ran is unknown (not the time since it started).
    seconds = None if finished is None and status != "running" else _seconds(str(row["started"]), finished)
    return Run(str(row["run_id"]), str(row["command"]), str(row["started"]), finished, exit_code, status,
               seconds, written, summary.get("open_conflicts"), tuple(errors), note)


def history(state: State, *, since: str | None = None, limit: int | None = 20) -> RunHistory:
    """The runs started since ``since`` (a :func:`parse_since` value), newest first, at most ``limit``."""
    return RunHistory(tuple(describe(state, row) for row in state.run_history(since, limit)))


__all__: Sequence[str] = ("Run", "RunHistory", "duration", "history", "parse_since")
