"""Bench: requests and time of a full first sync and of a no-op resync on the sandbox.

Usage: python bench/sync.py [--capacities 250] [--languages 42] [--latency-ms 100]

Prints one JSON object per phase (first sync, the next sync — our own writes are
already in the read cache, so it reads only recentchanges — and a no-op resync).
Figures, not tests.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.profile import load_profile  # noqa: E402
from capxl10n.sandbox.server import Sandbox, credentials_env  # noqa: E402
from capxl10n.engine.sync import sync  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacities", type=int, default=250)
    parser.add_argument("--languages", type=int, default=42)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    os.environ.update(credentials_env())
    with tempfile.TemporaryDirectory() as tmp, Sandbox(seed=1, capacities=args.capacities, languages=args.languages,
                                                       latency_ms=args.latency_ms).start() as sb:
        profile = load_profile("sandbox").rebase(sb.url).with_paths(state=Path(tmp) / "state.sqlite",
                                                                    catalogs=Path(tmp) / "catalogs")
        for phase in ("first sync", "next sync (after our writes)", "no-op resync"):
            sb.stats.reset()
            started = time.perf_counter()
            outcome = sync(profile)
            elapsed = time.perf_counter() - started
            applied = outcome.applied.result if outcome.applied else None
            print(json.dumps({
                "phase": phase, "capacities": args.capacities, "languages": args.languages,
                "latency_ms": args.latency_ms, "exit_code": outcome.exit_code,
                "operations": len(outcome.planned.plan.operations),
                "conflicts": len(outcome.planned.plan.conflicts),
                "written": len(applied.written) if applied else 0,
                "requests": sb.stats.total, "requests_by_site": {k: v["count"] for k, v in
                                                                 sb.stats.snapshot()["sites"].items()},
                "seconds": round(elapsed, 2)}), flush=True)


if __name__ == "__main__":
    main()
