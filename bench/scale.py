"""The issue's scale targets at 2,000 capacities x 300 languages, fully translated on both sides (1.2 M terms).

Usage: python bench/scale.py [--capacities 2000] [--languages 300] [--profile DIR] [--only PHASE,...]

A sandbox holding the directory on both wikis (``bench/world.py``: every term in every language, none
outdated) is served by a child process on loopback at 0 ms latency; each phase is a real
``capxl10n`` command in a child process of its own, so its CPU time and peak RSS are its own (read
with ``os.wait4``), interpreter start-up included. Phases, in order, on one state:

- ``plan``: ``capxl10n plan -o plan.json`` on a fresh state: a full read of both wikis, the merge (a
  first contact), the plan written (target: <= 10 s, <= 1 GB);
- ``first sync``: ``capxl10n sync`` on another fresh state (read, merge, the 1.2 M-term base stored,
  catalogs, coverage history);
- ``no-op sync``: ``capxl10n sync`` again: it merges (the first sync planned the base) and, finding
  nothing to do, keeps what the next sync's quiet check needs (target: <= 5 requests, <= 2 s);
- ``quiet sync``: ``capxl10n sync`` once more: nothing new read, nothing changed since the last sync that
  ended quiet: its plan without decoding the read cache nor merging (engine/sync.py; target as above);
- ``catalogs``: ``capxl10n catalogs`` from the state into a fresh directory (target: <= 10 s, <= 500 MB);
- ``coverage``: ``capxl10n coverage`` from the state (target: <= 2 s);
- ``todo`` (one language) and ``report`` (a window with nothing in it), from the state (target: <= 5 s).

``--profile DIR`` runs each phase under cProfile (``DIR/<phase>.prof``; times then include the
profiler's overhead). Prints one JSON object per phase. Figures, not tests.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from world import Served  # noqa: E402

from capxl10n.cli.commands.sandbox import write_profile  # noqa: E402
from capxl10n.sandbox.server import credentials_env  # noqa: E402

#: Phase → (the capxl10n arguments after the global options, the issue's targets: seconds, MB, requests).
TARGETS: dict[str, tuple[float | None, float | None, int | None]] = {
    "plan": (10.0, 1024.0, None), "first sync": (None, None, None), "no-op sync": (2.0, None, 5),
    "quiet sync": (2.0, None, 5),
    "catalogs": (10.0, 500.0, None), "coverage": (2.0, None, None), "todo": (5.0, None, None),
    "report": (5.0, None, None)}


def run_command(args: list[str], *, profile_to: Path | None = None) -> dict[str, Any]:
    """Run ``capxl10n ARGS`` in a child process; its wall time, CPU time and peak RSS (its own)."""
    runner = [sys.executable] + (["-m", "cProfile", "-o", str(profile_to)] if profile_to else []) + ["-m", "capxl10n"]
    started = time.perf_counter()
    child = subprocess.Popen(runner + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, **credentials_env()})
    out, err = child.communicate()
    # communicate() reaped the child: its rusage comes from wait4 below only if we reap it ourselves
    wall = time.perf_counter() - started
    usage = _usage_of(child)
    return {"exit": child.returncode, "wall_s": round(wall, 2), **usage,
            "stdout": out.decode(errors="replace")[-2000:], "stderr": err.decode(errors="replace")[-2000:]}


_CHILD_USAGE: dict[int, Any] = {}


def _usage_of(child: subprocess.Popen[bytes]) -> dict[str, Any]:
    usage = _CHILD_USAGE.pop(child.pid, None)
    if usage is None:
        return {}
    return {"cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def install_wait4() -> None:
    """Make subprocess reap children with ``os.wait4`` and keep each one's resource usage."""
    original = subprocess.Popen._try_wait  # type: ignore[attr-defined]

    def _try_wait(self: subprocess.Popen[bytes], wait_flags: int) -> tuple[int, int]:
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return original(self, wait_flags)
        if pid == self.pid:
            _CHILD_USAGE[pid] = usage
        return pid, status

    subprocess.Popen._try_wait = _try_wait  # type: ignore[attr-defined]


def phases(profile_file: Path, tmp: Path) -> list[tuple[str, list[str]]]:
    common = ["--profile", str(profile_file), "--format", "json", "-q"]
    return [
        ("plan", [*common, "--state", str(tmp / "plan.sqlite"), "plan", "-o", str(tmp / "plan.json")]),
        ("first sync", [*common, "sync"]),
        ("no-op sync", [*common, "sync"]),
        ("quiet sync", [*common, "sync"]),
        ("catalogs", [*common, "--catalogs", str(tmp / "catalogs-fresh"), "catalogs"]),
        ("coverage", [*common, "coverage"]),
        ("todo", [*common, "todo", "--lang", "pt-br", "-o", str(tmp / "todo.txt")]),
        ("report", [*common, "report", "--since", "2000-01-01", "--until", "2000-01-02", "-o", str(tmp / "report")]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacities", type=int, default=2000)
    parser.add_argument("--languages", type=int, default=300)
    parser.add_argument("--profile", type=Path, help="write a cProfile of each phase here")
    parser.add_argument("--only", help="comma-separated phases (the state must then exist: --keep)")
    parser.add_argument("--keep", type=Path, help="work in this directory and leave it (state, catalogs)")
    args = parser.parse_args()
    install_wait4()
    only = set(args.only.split(",")) if args.only else None
    began = time.perf_counter()
    with Served(args.capacities, args.languages, full=True) as served, \
            tempfile.TemporaryDirectory(prefix="capxl10n-scale-") as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        profile_file = write_profile(tmp / "profile.toml", served.url, tmp / "state.sqlite", tmp / "catalogs")
        print(json.dumps({"capacities": args.capacities, "languages": args.languages,
                          "sandbox_seconds": served.seconds, "cpus": os.cpu_count()}), flush=True)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        for name, command in phases(profile_file, tmp):
            if only is not None and name not in only:
                continue
            served.reset_stats()
            prof = args.profile / f"{name.replace(' ', '-')}.prof" if args.profile else None
            result = run_command(command, profile_to=prof)
            requests = served.requests()
            seconds, mb, budget = TARGETS[name]
            row = {"phase": name, "exit": result["exit"], "wall_s": result["wall_s"], "cpu_s": result.get("cpu_s"),
                   "peak_rss_mb": result.get("peak_rss_mb"), "requests": sum(requests.values()),
                   "requests_by_site": requests,
                   "targets": {"seconds": seconds, "peak_rss_mb": mb, "requests": budget}}
            if result["exit"] not in (0, 3, 4):
                row["stderr"] = result["stderr"]
            print(json.dumps(row), flush=True)
    print(json.dumps({"total_seconds": round(time.perf_counter() - began, 1)}))


if __name__ == "__main__":
    main()
