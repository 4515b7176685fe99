"""The child process of the kill-point suite (tests/reliability/test_kill_points.py): ``capxl10n`` as users
run it, paused at one precise point that no request marks, so the test can signal it there.

Points that send a request are trapped by the sandbox in the test process (capxl10n/sandbox/faults.py,
``FaultInjector.trap``); this module covers the rest, without any hook in the product: before running
the real CLI (``capxl10n.cli.main.main``) it wraps, in this process only,

* ``sqlite3.connect``: every connection gets a trace callback, so the run pauses when it is about to
  execute its N-th statement matching ``CAPX_PAUSE=sql:<text>:<n>`` (inside the state's transaction);
* the catalogs build's ``_write_temp`` (``catalog-temp:<n>``: the N-th file staged, none replaced yet)
  and ``os.replace`` into the catalogs directory (``catalog-replace:<n>``: N files replaced, the rest not).

At the point the child writes one byte to the file descriptor ``CAPX_READY_FD`` and waits for one byte on
``CAPX_GO_FD``: the test signals it meanwhile (SIGKILL ends it there; after SIGTERM or SIGINT the test
lets it go on, and the CLI's own handler decides where it stops). Imports nothing but the standard
library and capxl10n, so the child starts as fast as the CLI.
"""
from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any


def _pause() -> None:
    os.write(int(os.environ["CAPX_READY_FD"]), b"!")
    os.read(int(os.environ["CAPX_GO_FD"]), 1)


class _Counter:
    def __init__(self, nth: int) -> None:
        self.nth = nth
        self.seen = 0

    def hit(self) -> bool:
        self.seen += 1
        return self.seen == self.nth


def _arm(point: str, catalogs: str | None) -> None:
    what, _, rest = point.partition(":")
    if what == "sql":
        text, _, nth = rest.rpartition(":")
        counter = _Counter(int(nth))
        connect = sqlite3.connect

        def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = connect(*args, **kwargs)
            conn.set_trace_callback(lambda sql: _pause() if text in sql and counter.hit() else None)
            return conn

        sqlite3.connect = traced  # type: ignore[assignment]
    elif what == "catalog-temp":
        from capxl10n.catalogs import build

        counter = _Counter(int(rest))
        stage = build._write_temp

        def staged(*args: Any, **kwargs: Any) -> Any:
            temp = stage(*args, **kwargs)
            if counter.hit():
                _pause()
            return temp

        build._write_temp = staged  # type: ignore[assignment]
    elif what == "catalog-replace":
        counter = _Counter(int(rest))
        replace = os.replace
        root = os.path.realpath(catalogs or "catalogs")

        def replaced(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            replace(src, dst, *args, **kwargs)
            if os.path.realpath(str(dst)).startswith(root + os.sep) and counter.hit():
                _pause()

        os.replace = replaced  # type: ignore[assignment]
    elif what:
        raise SystemExit(f"kill_child: unknown pause point {point!r}")


def main() -> None:
    args = sys.argv[1:]
    catalogs = args[args.index("--catalogs") + 1] if "--catalogs" in args else None
    _arm(os.environ.get("CAPX_PAUSE", ""), catalogs)
    from capxl10n.cli.main import main as cli

    cli(args, prog_name="capxl10n")
