"""bench/run at tiny sizes, once: every piece runs and reports what it measured (no timing is asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELLS = ("full pull", "first sync", "next sync", "no-op sync", "apply 600 terms / 300 items")


def test_bench_run_smoke(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run"), "--smoke", "--json", str(tmp_path / "rows.json")],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    for cell in CELLS:
        assert f"| {cell} | 0 ms |" in out.stdout and f"| {cell} | 50 ms |" in out.stdout
    for phase in ("pull + merge + plan", "first sync", "no-op sync", "catalogs", "coverage", "baseline: read"):
        assert f"| {phase}" in out.stdout
    rows = json.loads((tmp_path / "rows.json").read_text(encoding="utf-8"))
    small = {(r["client"], r["cell"], r["latency_ms"]): r for r in rows["small"]}
    assert {(client, cell) for client, cell, _ in small} == {(c, cell) for c in ("capxl10n", "baseline") for cell in CELLS}

    # the baseline makes the current sync's requests: two SPARQL queries, one messagecollection, one
    # messagetranslations per message listed; then one write per term (wbsetlabel/wbsetdescription, edit)
    read = small[("baseline", "full pull", 0.0)]
    assert read["requests"] == 3 + read["listed_messages"] and read["writes"] == 0
    first = small[("baseline", "first sync", 0.0)]
    assert first["writes"] > 0 and first["paced_s"] >= 10 * first["writes"]
    # capxl10n: a first sync in fewer requests, a no-op in at most five, the translator's changes written
    assert small[("capxl10n", "first sync", 0.0)]["requests"] < first["requests"]
    assert small[("capxl10n", "no-op sync", 0.0)]["requests"] <= 5
    applied = small[("capxl10n", "apply 600 terms / 300 items", 0.0)]
    assert applied["changed_terms"] > 0 and applied["writes"] > 0
    # at 50 ms capxl10n was measured, the baseline modelled from its 0 ms run
    assert not small[("capxl10n", "full pull", 50.0)].get("model") and small[("baseline", "full pull", 50.0)]["model"]
    large = {(r["client"], r["phase"]): r for r in rows["large"]}
    assert large[("capxl10n", "no-op sync")]["requests"] <= 5
    assert all(large[("capxl10n", p)]["peak_rss_mb"] > 0 for p in ("pull + merge + plan", "catalogs", "coverage"))
    assert large[("baseline", "read")]["requests"] == 3 + large[("baseline", "read")]["listed"]
