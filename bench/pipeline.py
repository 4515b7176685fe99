"""The client's own work at 2,000 x 300 fully translated, without the wikis: where the CPU and memory go.

Usage: python bench/pipeline.py [--capacities 2000] [--languages 300] [--profile DIR] [--only STAGE,...]

Builds both sides as a pull would return them (every term on Metabase and on Meta-Wiki, revisions,
authors and times; ``bench/world.py``'s fully translated directory), then runs, in this process and in
order, the stages a plan and a sync go through, each timed in CPU seconds with the process's peak RSS
after it (a stage that raises the peak shows it):

- ``merge (first contact)``, ``plan (first contact)``: no base yet, every term agreed;
- ``plan id + file``: the plan's content hash and its file (``capxl10n plan -o``);
- ``store read cache``, ``load read cache``: both sides into the state and back;
- ``store base``, ``load base``: the first sync's agreed values, 1.2 M rows;
- ``merge (established)``, ``plan (established)``: the next sync's merge, nothing to do;
- ``fingerprints``: both sides' content hashes (every plan records them);
- ``whole directory``, ``catalogs (render)``, ``coverage``: what ``capxl10n catalogs`` and
  ``capxl10n coverage`` do from the state.

``--profile DIR`` writes ``DIR/<stage>.prof`` (cProfile) per stage. Prints one JSON object per
stage. Figures, not tests; the HTTP reads are measured by bench/scale.py.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from world import full_directory  # noqa: E402

from capxl10n.catalogs.build import CatalogOptions, render_files  # noqa: E402
from capxl10n.core.coverage import coverage  # noqa: E402
from capxl10n.core.cursors import Bundle, MetabaseCursor, MetawikiCursor  # noqa: E402
from capxl10n.core.merge import MergeOptions, merge  # noqa: E402
from capxl10n.core.model import DOC_LANGUAGE, SOURCE_LANGUAGE, Snapshot, Term  # noqa: E402
from capxl10n.core.plan import build_plan, dump_bytes  # noqa: E402
from capxl10n.engine.state import open_state  # noqa: E402

STAMP = "2025-11-20T12:00:00Z"


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def sides(capacities: int, languages: int) -> tuple[Snapshot, Snapshot, MetabaseCursor, MetawikiCursor]:
    """Both wikis' reads of a directory in step, shaped as the clients make them."""
    directory = full_directory(capacities, languages)
    revisions = {c.qid: 1000 + n for n, c in enumerate(directory.capacities)}
    mb_terms = {k: Term(t.text, revision=revisions[k.qid], side="metabase", timestamp=STAMP)
                for k, t in directory.terms.items() if k.lang != DOC_LANGUAGE}
    mw_terms = {k: Term(t.text, revision=5000 + n if k.lang != SOURCE_LANGUAGE else 4000,
                        author=None if k.lang == SOURCE_LANGUAGE else "Alice", side="metawiki",
                        timestamp=None if k.lang == SOURCE_LANGUAGE else STAMP)
                for n, (k, t) in enumerate(directory.terms.items())}
    metabase = Snapshot("metabase", directory.capacities, mb_terms)
    metawiki = Snapshot("metawiki", (), mw_terms)
    bundle = Bundle({k.message_key: t.text for k, t in directory.terms.items() if k.lang == SOURCE_LANGUAGE},
                    revision=4000, timestamp=STAMP)
    mb_cursor = MetabaseCursor(high_water=STAMP, item_revisions={c.item: revisions[c.qid]
                                                                 for c in directory.capacities if c.item})
    mw_cursor = MetawikiCursor(high_water=STAMP, bundle=bundle)
    return metabase, metawiki, mb_cursor, mw_cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacities", type=int, default=2000)
    parser.add_argument("--languages", type=int, default=300)
    parser.add_argument("--profile", type=Path, help="write a cProfile of each stage here")
    args = parser.parse_args()
    began = time.process_time()
    metabase, metawiki, mb_cursor, mw_cursor = sides(args.capacities, args.languages)
    print(json.dumps({"capacities": args.capacities, "languages": args.languages,
                      "terms": {"metabase": len(metabase.terms), "metawiki": len(metawiki.terms)},
                      "built_cpu_s": round(time.process_time() - began, 1), "peak_rss_mb": peak_mb()}), flush=True)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    found: dict[str, Any] = {}

    def stage(name: str, action: Callable[[], Any]) -> Any:
        profiler = cProfile.Profile() if args.profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        result = action()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(args.profile / f"{name.replace(' ', '-').replace('(', '').replace(')', '')}.prof"))
        print(json.dumps({"stage": name, "cpu_s": round(time.process_time() - cpu, 2),
                          "wall_s": round(time.perf_counter() - wall, 2), "peak_rss_mb": peak_mb()}), flush=True)
        found[name] = result
        return result

    cursors = {"metabase": mb_cursor, "metawiki": mw_cursor}
    both = {"metabase": metabase, "metawiki": metawiki}

    def plan_of(result: Any, generation: int) -> Any:
        return build_plan(result, profile="sandbox", bundle_page="Module:CapacityExchange/capacities.json",
                          base_generation=generation, fingerprints={}, capacities=metabase.capacities,
                          bundle_revision=4000, bundle_timestamp=STAMP, sides=both, cursors=cursors)

    first = stage("merge (first contact)", lambda: merge({}, metabase, metawiki, MergeOptions(established=False)))
    plan = stage("plan (first contact)", lambda: plan_of(first, 0))
    stage("plan id + file", lambda: len(dump_bytes(plan)))
    del plan
    with tempfile.TemporaryDirectory(prefix="capxl10n-pipeline-") as tmp, open_state(Path(tmp) / "s.sqlite") as state:
        stage("store read cache", lambda: (state.store_side("metabase", metabase, mb_cursor),
                                           state.store_side("metawiki", metawiki, mw_cursor)))
        stage("store base", lambda: state.update_base({k: b for k, b in first.base_updates.items()},
                                                      metabase.capacities))
        del first
        with open_state(Path(tmp) / "s.sqlite") as again:
            stage("load read cache", lambda: (again.load_side("metabase"), again.load_side("metawiki")))
            base = stage("load base", again.load_base)
            established = stage("merge (established)",
                                lambda: merge(base, metabase, metawiki, MergeOptions(established=True)))
            stage("plan (established)", lambda: len(dump_bytes(plan_of(established, 1))))
            stage("fingerprints", lambda: (Snapshot("metabase", metabase.capacities, dict(metabase.terms)).fingerprint(),
                                           Snapshot("metawiki", (), dict(metawiki.terms)).fingerprint()))
            del base, established
            directory = stage("whole directory", again.whole_directory)
        stage("catalogs (render)", lambda: sum(len(data) for _, data in render_files(directory, CatalogOptions(workers=1))))
        stage("coverage", lambda: coverage(directory))
    print(json.dumps({"total_cpu_s": round(time.process_time() - began, 1), "peak_rss_mb": peak_mb()}))


if __name__ == "__main__":
    main()
