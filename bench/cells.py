"""The measured cells of ``bench/run``: one client (capxl10n or the baseline) against its own sandbox.

A *chain* runs in a process of its own, with its own sandbox (the sample, drifting as the sandbox
deals it) in a child process (``bench/world.py``'s :class:`~world.Served`): what it measures is the
client's own CPU time, its wall time and the requests the sandbox answered. Each measured cell runs
at the chain's latency; preparation (a translator's edits) at 0 ms. The cells, in order on one world:
full pull (nothing cached), first sync, next sync, no-op sync, then a translator changes 600
translations over 300 capacities on Meta-Wiki and the next sync copies them to Metabase
("apply 600 terms / 300 items").

Run as ``python bench/cells.py --client capxl10n|baseline --latency MS --capacities N --languages L``;
prints one JSON object per measured cell.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from baseline_capx import Baseline, WRITE_PAUSE_SECONDS  # noqa: E402
from world import Human, Served  # noqa: E402

from capxl10n.core.model import DOC_LANGUAGE, SOURCE_LANGUAGE  # noqa: E402
from capxl10n.engine.pull import pull  # noqa: E402
from capxl10n.engine.sync import sync  # noqa: E402
from capxl10n.profile import Profile, load_profile  # noqa: E402
from capxl10n.sandbox.server import BOT_PASSWORD, bot_login_name, credentials_env  # noqa: E402

CLIENTS = ("capxl10n", "baseline")
CELLS = ("full pull", "first sync", "next sync", "no-op sync", "apply 600 terms / 300 items")
WRITE_MODULES = frozenset({"edit", "wbeditentity", "wbsetlabel", "wbsetdescription", "delete"})
#: The production profile's pacing: 30 edits a minute, counted from the start of each write.
PRODUCTION_INTERVAL = 2.0
CHANGED_TERMS, CHANGED_ITEMS = 600, 300


class MemoryCache:
    """A read cache in memory: a full pull with nothing cached, as ``capxl10n pull --no-cache`` reads."""

    def __init__(self) -> None:
        self.sides: dict[str, Any] = {}

    def load_side(self, side: str) -> Any:
        return self.sides.get(side)

    def store_side(self, side: str, snapshot: Any, cursor: Any) -> None:
        self.sides[side] = (snapshot, cursor)


def writes_of(modules: dict[str, Any]) -> int:
    return sum(int(m["count"]) for name, m in modules.items() if name.split(":", 1)[-1] in WRITE_MODULES)


class Chain:
    """One client's chain of cells on its own sandbox."""

    def __init__(self, client: str, served: Served, latency: float, tmp: Path) -> None:
        self.client, self.served, self.latency = client, served, latency
        self.profile: Profile = load_profile("sandbox").rebase(served.url).with_paths(
            state=tmp / "state.sqlite", catalogs=tmp / "catalogs")
        os.environ.update(credentials_env())

    def step(self) -> dict[str, Any]:
        """One sync of this chain's client (nothing measured)."""
        if self.client == "capxl10n":
            outcome = sync(self.profile)
            return {"exit": outcome.exit_code}
        done = Baseline(self.profile, user=bot_login_name(), password=BOT_PASSWORD).run()
        return {"paused_s": done.paused, "writes": done.writes, "refused": done.refused}

    def read(self) -> dict[str, Any]:
        if self.client == "capxl10n":
            result = pull(self.profile, cache=MemoryCache())
            return {"terms": len(result.metabase.terms) + len(result.metawiki.terms)}
        done = Baseline(self.profile, user=bot_login_name(), password=BOT_PASSWORD).run(write=False)
        return {"listed_messages": done.listed_messages}

    def measure(self, cell: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        self.served.latency(self.latency)
        self.served.reset_stats()
        wall, cpu = time.perf_counter(), time.process_time()
        extra = action()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        stats = self.served.control("stats")
        self.served.latency(0)
        writes = writes_of(stats["modules"])
        paused = float(extra.pop("paused_s", 0.0))
        interval = WRITE_PAUSE_SECONDS if self.client == "baseline" else PRODUCTION_INTERVAL
        return {"cell": cell, "client": self.client, "latency_ms": self.latency, "requests": int(stats["total"]),
                "writes": writes, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                # with the pacing as deployed, accounted not slept: the baseline sleeps 10 s after each write;
                # capxl10n's production profile sends at most one write per 2 s (counted from its start)
                "paced_s": round(wall + (paused if self.client == "baseline" else writes * interval), 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **extra}

    def translate(self, count: int, items: int) -> int:
        """A translator changes ``count`` translations on Meta-Wiki, two per capacity over ``items`` capacities."""
        read = pull(self.profile, cache=MemoryCache())
        human = Human(self.served.url)
        qids = [c.qid for c in read.metabase.capacities][:items]
        per = max(1, count // max(len(qids), 1))
        done = 0
        for qid in qids:
            keys = sorted(k for k in read.metawiki.terms if k.qid == qid and k.lang not in (SOURCE_LANGUAGE, DOC_LANGUAGE)
                          and not read.metawiki.terms[k].fuzzy and k in read.metabase.terms)
            for key in keys[:per]:
                human.translate(self.profile.metawiki.bundle_page, key, f"{read.metawiki.terms[key].text[:200]} (rev. {done})")
                done += 1
        return done


def run_chain(client: str, latency: float, capacities: int, languages: int,
              emit: Callable[[dict[str, Any]], None], *, changed: int = CHANGED_TERMS, items: int = CHANGED_ITEMS) -> None:
    with Served(capacities, languages, full=False) as served, tempfile.TemporaryDirectory(prefix="capxl10n-bench-") as tmp:
        chain = Chain(client, served, latency, Path(tmp))
        emit(chain.measure("full pull", chain.read))
        emit(chain.measure("first sync", chain.step))
        emit(chain.measure("next sync", chain.step))
        emit(chain.measure("no-op sync", chain.step))
        made = chain.translate(changed, items)
        emit({**chain.measure(CELLS[-1], chain.step), "changed_terms": made})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=CLIENTS, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--capacities", type=int, default=300)
    parser.add_argument("--languages", type=int, default=42)
    parser.add_argument("--changed", type=int, default=CHANGED_TERMS, help="translations the translator changes")
    parser.add_argument("--items", type=int, default=CHANGED_ITEMS, help="over this many capacities")
    args = parser.parse_args()
    run_chain(args.client, args.latency, args.capacities, args.languages,
              lambda row: print(json.dumps(row), flush=True), changed=args.changed, items=args.items)


if __name__ == "__main__":
    main()
