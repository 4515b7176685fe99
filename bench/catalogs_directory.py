"""What directory.json costs, and what the app's CI check from it takes.

For the sample (250 capacities x 42 languages) and 2,000 x 300: the size of
``directory.json`` against the whole catalogs, the median time to render it
(part of every build), to read it back (:func:`capxl10n.catalogs.build.read_directory`:
JSON parse with the repeated-key guard, then the snapshot), and the CI's whole
job — read it, then check every file — with nothing but the catalogs.
Run: ``python bench/catalogs_directory.py [--runs N] [--large-runs N]``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.catalogs.build import (DIRECTORY_NAME, CatalogOptions, build_catalogs, check_catalogs,  # noqa: E402
                               directory_bytes, read_directory)
from capxl10n.sample.generate import generate  # noqa: E402


def timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def ci_check(out: Path) -> None:
    recorded = read_directory(out)
    assert recorded is not None
    assert check_catalogs(recorded[0], out, recorded[1]).ok


def bench(capacities: int, languages: int, runs: int) -> None:
    snapshot = generate(capacities=capacities, languages=languages, seed=1)
    options = CatalogOptions()
    with tempfile.TemporaryDirectory(prefix="capxl10n-bench-") as tmp:
        out = Path(tmp) / "catalogs"
        build_catalogs(snapshot, out, options)
        size = (out / DIRECTORY_NAME).stat().st_size
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        render = timed(lambda: directory_bytes(snapshot, options), runs)
        read = timed(lambda: read_directory(out), runs)
        check = timed(lambda: ci_check(out), runs)
    print(f"{capacities} capacities x {languages} languages ({len(snapshot.terms)} terms), median of {runs}:")
    print(f"  directory.json {size / 1e6:.1f} MB of {total / 1e6:.1f} MB of catalogs")
    for name, (wall, cpu) in (("render directory.json", render), ("read directory.json", read),
                              ("CI: read + --check", check)):
        print(f"  {name:<22} {wall:7.2f} s wall  {cpu:7.2f} s cpu")


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
