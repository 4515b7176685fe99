"""Bench: how much the coverage history adds to the state per run, and what recording costs.

Usage: python bench/history.py [--capacities 2000] [--languages 300] [--runs 400]

Takes a history snapshot of a sample directory (the three sides: Metabase and
Meta-Wiki as the sandbox deals them, and the whole directory), then ``--runs``
hourly snapshots: most change nothing (an hourly cron at night), one in eight
sees a translat-a-thon hour (40 terms translated and 5 outdated ones fixed in
a few languages), one in two hundred a new capacity (every total moves). It
prints the state's bytes after the first snapshot and per later run (measured
on the file, the write-ahead log checkpointed), rows per table, and the time
to record and to read a window back. Figures, not tests; docs/reports.md
quotes them.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.core.history import fixes, history_snapshot  # noqa: E402
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey  # noqa: E402
from capxl10n.engine.state import open_state  # noqa: E402
from capxl10n.sample.generate import generate  # noqa: E402
from capxl10n.sandbox.seed import deal  # noqa: E402

HOUR = 3600


def size(path: Path, conn: object) -> int:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacities", type=int, default=2000)
    parser.add_argument("--languages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(7)
    directory = generate(args.capacities, args.languages, seed=1)
    mb_terms, mw_terms, _report = deal(directory, 1)
    sides = {"metabase": Snapshot("metabase", directory.capacities, mb_terms),
             "metawiki": Snapshot("metawiki", (), mw_terms), "catalogs": directory}
    langs = [lang for lang in directory.languages() if lang not in ("en", "qqq")]
    keys = [k for k in directory.message_keys()]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.sqlite"
        state = open_state(path)
        empty = size(path, state.conn)
        t0 = 1_765_000_000
        started = time.perf_counter()
        snap = history_snapshot(sides)
        counted = time.perf_counter() - started
        state.record_history(snap, {}, "sync", t0)
        first_seconds = time.perf_counter() - started
        first = size(path, state.conn)
        record_times = []
        changed_runs = 0
        for run in range(1, args.runs + 1):
            if run % 8 == 0:  # a translat-a-thon hour in three languages
                changed_runs += 1
                new = {TermKey(key.qid, key.field, lang): Term(f"t{run}")
                       for lang in rng.sample(langs, 3) for key in rng.sample(keys, 14)}
                for side in ("metawiki", "catalogs"):
                    sides[side] = sides[side].with_terms({**sides[side].terms, **new})
            if run % 200 == 0:  # a new capacity: every side's totals move
                qid = f"Q{9_000_000 + run}"
                cap = Capacity(qid)
                for side in sides:
                    snapshot = sides[side]
                    terms = {**snapshot.terms, TermKey(qid, "label", "en"): Term(f"New {run}")}
                    caps = (*snapshot.capacities, cap) if snapshot.capacities else ()
                    sides[side] = Snapshot(side, caps, terms)
            began = time.perf_counter()
            snap = history_snapshot(sides)
            state.record_history(snap, fixes(state.history_outdated(), sides), "sync", t0 + run * HOUR)
            record_times.append(time.perf_counter() - began)
        last = size(path, state.conn)
        rows = {table: state.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("history_runs", "history", "history_totals", "history_outdated", "history_fixes")}
        began = time.perf_counter()
        at_start, _ = state.history_at(t0 + 100 * HOUR)
        at_end, _ = state.history_at(t0 + 148 * HOUR)
        changes = state.history_changes(t0 + 100 * HOUR, t0 + 148 * HOUR)
        window_read = time.perf_counter() - began
        state.close()
    print(json.dumps({
        "capacities": args.capacities, "languages": args.languages, "sides": 3,
        "count_rows_per_snapshot": len(snap.counts), "runs": args.runs, "runs_with_changes": changed_runs,
        "bytes_empty_state": empty, "bytes_first_snapshot": first - empty,
        "bytes_per_later_run": round((last - first) / args.runs, 1),
        "bytes_per_year_hourly": round((last - first) / args.runs * 24 * 365),
        "rows": rows,
        "first_snapshot_seconds": round(first_seconds, 2), "counting_seconds": round(counted, 2),
        "record_seconds_median": round(sorted(record_times)[len(record_times) // 2], 3),
        "read_window_seconds": round(window_read, 4), "window_rows": len(changes),
        "keys_at_window_ends": [len(at_start), len(at_end)],
    }, indent=2))


if __name__ == "__main__":
    main()
