"""Request counts and wall times of a full and a no-op pull of the sample, at 0 and 100 ms latency.

Runs the sandbox on a loopback socket (real HTTP, the profile's own sessions)
with 250 capacities x 42 languages unless told otherwise, and prints one line
per run. Usage: python bench/pull.py [--capacities 250] [--languages 42] [--latency 0 100]
"""
from __future__ import annotations

import argparse
import math
import time

from capxl10n.profile import load_profile
from capxl10n.engine.pull import pull
from capxl10n.sandbox.server import Sandbox


class MemoryCache:
    def __init__(self) -> None:
        self.sides: dict[str, tuple] = {}

    def load_side(self, side: str):
        return self.sides.get(side)

    def store_side(self, side: str, snapshot, cursor) -> None:
        self.sides[side] = (snapshot, cursor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacities", type=int, default=250)
    parser.add_argument("--languages", type=int, default=42)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 100.0])
    args = parser.parse_args()
    budget = args.languages + math.ceil(args.capacities / 50) + 5 + 1  # + 1: the qqq documentation
    print(f"sample {args.capacities} capacities x {args.languages} languages; full-pull budget {budget}, "
          f"no-op budget 5")
    for latency in args.latency:
        with Sandbox(capacities=args.capacities, languages=args.languages, latency_ms=latency) as sandbox:
            profile = load_profile("sandbox").rebase(sandbox.url)
            cache = MemoryCache()
            for label in ("full", "no-op"):
                sandbox.stats.reset()
                started = time.perf_counter()
                result = pull(profile, cache=cache)
                wall = time.perf_counter() - started
                per_site = ", ".join(f"{site} {n}" for site, n in result.requests.items())
                print(f"latency {latency:5.0f} ms  {label:5}  requests {sandbox.stats.total:3d} ({per_site})  "
                      f"wall {wall:6.2f} s  terms mb {len(result.metabase.terms)} mw {len(result.metawiki.terms)}")


if __name__ == "__main__":
    main()
