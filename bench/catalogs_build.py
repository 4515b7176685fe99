"""Catalog build time: the sample (250 capacities x 42 languages) and 2,000 x 300.

Prints the median wall and CPU time of several full builds into a fresh
directory, of a rebuild over unchanged catalogs, of ``--check``, and of
rendering every file in this process without touching the disk (the writers
alone: the least noisy figure on a shared machine).
Run: ``python bench/catalogs_build.py [--runs N] [--large-runs N]``.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.catalogs.build import CatalogOptions, build_catalogs, check_catalogs, render_files  # noqa: E402
from capxl10n.sample.generate import generate  # noqa: E402


def timed(action: Callable[[], object], runs: int, before: Callable[[], None] = lambda: None) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before()
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def bench(capacities: int, languages: int, runs: int) -> None:
    start = time.perf_counter()
    snapshot = generate(capacities=capacities, languages=languages, seed=1)
    made = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="capxl10n-bench-") as tmp:
        out = Path(tmp) / "catalogs"
        fresh = timed(lambda: build_catalogs(snapshot, out), runs,
                      before=lambda: shutil.rmtree(out, ignore_errors=True))
        serial = timed(lambda: build_catalogs(snapshot, out, CatalogOptions(workers=1)), runs,
                       before=lambda: shutil.rmtree(out, ignore_errors=True))
        rebuild = timed(lambda: build_catalogs(snapshot, out), runs)
        check = timed(lambda: check_catalogs(snapshot, out), runs)
        render = timed(lambda: sum(len(data) for _, data in render_files(snapshot, CatalogOptions(workers=1))), runs)
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
    print(f"{capacities} capacities x {languages} languages ({len(snapshot.terms)} terms, "
          f"sample generated in {made:.1f} s), median of {runs}:")
    print("  (cpu = this process only; the automatic worker pool's children are not counted)")
    for name, (wall, cpu) in (("build (fresh dir)", fresh), ("build, 1 process", serial),
                              ("rebuild (unchanged)", rebuild), ("check", check),
                              ("render, no disk", render)):
        print(f"  {name:<20} {wall:7.2f} s wall  {cpu:7.2f} s cpu")
    print(f"  output: {len(files)} files, {size / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs for the sample")
    parser.add_argument("--large-runs", type=int, default=3, help="runs for 2,000 x 300")
    args = parser.parse_args()
    bench(250, 42, args.runs)
    if args.large_runs > 0:
        bench(2000, 300, args.large_runs)


if __name__ == "__main__":
    main()
