"""Bench: time to generate, serialise and fingerprint sample directories.

Usage: python bench/sample.py [--sizes 250x42,2000x300] [--repeat 3]

Prints one JSON object per size: the best of ``--repeat`` runs, wall and CPU
seconds (CPU time is the steadier figure on a shared machine), and counts.
Figures, not tests.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.sample.generate import generate  # noqa: E402


def timed(func):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250x42,2000x300")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes.split(","):
        capacities, languages = (int(x) for x in size.split("x"))
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            snap, wall, cpu = timed(lambda: generate(capacities, languages, seed=1))
            text, dwall, dcpu = timed(snap.dumps)
            _, fwall, fcpu = timed(snap.fingerprint)
            for key, value in (("generate_wall_s", wall), ("generate_cpu_s", cpu), ("dumps_wall_s", dwall),
                               ("dumps_cpu_s", dcpu), ("fingerprint_cpu_s", fcpu)):
                best[key] = min(best.get(key, value), value)
        print(json.dumps({"capacities": capacities, "languages": languages, "terms": len(snap.terms),
                          "fuzzy": snap.meta["quirks"]["fuzzy_terms"], "json_mb": round(len(text.encode()) / 1e6, 1),
                          **{k: round(v, 2) for k, v in best.items()}}))


if __name__ == "__main__":
    main()
