"""One run at a time writes a state: an advisory lock beside the state file, naming its holder.

Two syncs on one state (a cron line that overlaps the previous run, a maintainer's ``apply`` or
``conflicts resolve`` while the cron sync writes) would each plan from the same base and write the
same terms, or decide a conflict the other is applying. SQLite keeps the file consistent (one writer
at a time, WAL), but not the run: a plan is read, merged and applied over minutes. So every command
that writes the state — ``sync``, ``plan``, ``apply``, ``pull``, ``import``, ``conflicts resolve`` and
``conflicts import``, a ``catalogs`` build, each read of ``report --watch`` — holds this lock for its whole
run (a ``report --watch`` round that finds it held reports from what the state holds); a second one is refused
at once with :class:`StateBusy` (exit 5, "try again later": the run in progress does the work), naming
the holder: the command, its process id and host, its run id and since when. Read-only commands
(``conflicts``, ``coverage``, ``runs``, ``todo``, ``export``, ``check``, ``sync --dry-run``) take no lock
and keep working meanwhile (SQLite's WAL lets them read beside the writer); a dry run that finds the
lock held does not store what it read (:func:`held_elsewhere`).

The lock is ``flock`` on ``<state>.lock``: the kernel releases it when its process ends, however it
ends (SIGKILL, a crash, a power cut), so a dead holder never blocks the next run. The file keeps the
holder's record; a run that takes the lock over a record whose process is gone says so (a killed run's
lock taken over). Within one process the lock is re-entrant (``sync`` plans, then applies). Where
``fcntl`` does not exist (Windows) only SQLite's own locking remains.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from capxl10n.errors import EXIT_PARTIAL, StateError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


class StateBusy(StateError):
    """Another run holds the state: exit 5, try again later (the run in progress does the work)."""

    exit_code = EXIT_PARTIAL

    def __init__(self, message: str, *, holder: Holder | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.holder = holder


def process_alive(pid: int, host: str | None, *, command: bytes | None = None) -> bool | None:
    """Whether process ``pid`` of ``host`` still runs; None when it ran on another host (no telling).

    ``command``: a pid is reused after a while, so on Linux the process must also have this in its command
    line (a process gone from /proc's view counts as running: no telling either).
    """
    if host is not None and host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if command is None:
        return True
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return command in fh.read()
    except OSError:
        return True


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: what the lock file records."""

    command: str
    pid: int
    host: str
    started: str
    run_id: str | None = None

    def describe(self) -> str:
        """What a message names: the command, its process and host, its run and since when."""
        run = f", run {self.run_id}" if self.run_id else ""
        return f"`capxl10n {self.command}` (process {self.pid} on host {self.host}{run}, since {self.started})"

    def alive(self) -> bool | None:
        """Whether its process still runs (None: on another host, cannot tell)."""
        return process_alive(self.pid, self.host)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(str(data["command"]), int(data["pid"]), str(data["host"]), str(data["started"]),
                       data.get("run_id"))
        except (ValueError, KeyError, TypeError):
            return None


def lock_path(state: Path | str) -> Path:
    path = Path(state)
    return path.with_name(path.name + LOCK_SUFFIX)


_HELD: dict[str, list[Any]] = {}  # resolved state path -> [fd, depth, holder]
_GUARD = threading.Lock()


def _key(state: Path | str) -> str:
    return str(Path(state).resolve())


def _read(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    return Holder.parse(data.decode("utf-8", "replace")) if data.strip() else None


def _write(fd: int, holder: Holder | None) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    if holder is not None:
        os.write(fd, (json.dumps(asdict(holder)) + "\n").encode("utf-8"))
        os.fsync(fd)


def _busy(state: Path, holder: Holder | None) -> StateBusy:
    who = holder.describe() if holder is not None else "another capxl10n process"
    return StateBusy(f"the state {state} is in use by {who}",
                     holder=holder,
                     hint="it is freed when that run ends (`capxl10n runs` shows it): run this again later. "
                          "Meanwhile read-only commands work (conflicts, coverage, runs, sync --dry-run)")


@contextmanager
def locked(state: Path | str, command: str, *, run_id: str | None = None, wait: float = 0.0, create: bool = True,
           sleep: Any = time.sleep, clock: Any = time.monotonic) -> Iterator[Holder]:
    """Hold the state's lock for the block, or raise :class:`StateBusy` naming the holder.

    ``wait``: seconds to keep trying before giving up (0: refuse at once). ``create=False``: a command that
    needs an existing state locks nothing when there is none (it refuses by itself, leaving no lock file).
    Re-entrant in one process.
    """
    state = Path(state)
    if not create and not state.exists():
        yield Holder(command, os.getpid(), socket.gethostname(), "", run_id)  # the command refuses by itself
        return
    key = _key(state)
    with _GUARD:
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
    if held is not None:
        try:
            yield held[2]
        finally:
            with _GUARD:
                held[1] -= 1
        return
    holder = Holder(command, os.getpid(), socket.gethostname(),
                    datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"), run_id)
    if fcntl is None:
        yield holder
        return
    state.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(state), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = clock() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if clock() >= deadline:
                    raise _busy(state, _read(fd)) from None
                sleep(min(0.2, max(0.0, deadline - clock())))
        previous = _read(fd)
        if previous is not None and previous.alive() is False:
            log.warning("the state's lock was left by %s, which is no longer running (killed?): taken over",
                        previous.describe())
        _write(fd, holder)
        with _GUARD:
            _HELD[key] = [fd, 1, holder]
        try:
            yield holder
        finally:
            with _GUARD:
                _HELD.pop(key, None)
            _write(fd, None)  # released cleanly: the file says nobody holds it
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def held_elsewhere(state: Path | str) -> Holder | None:
    """The holder when another process holds the state's lock now (None: free, or held by this process).

    Read from the lock file's record, without touching the lock itself: a probe that took the lock even
    for an instant could make a starting sync refuse. A record whose process is gone is a killed run's.
    """
    if _key(state) in _HELD:
        return None
    try:
        holder = Holder.parse(lock_path(state).read_text(encoding="utf-8"))
    except OSError:
        return None
    if holder is None or (holder.pid == os.getpid() and holder.host == socket.gethostname()):
        return None
    return None if holder.alive() is False else holder
