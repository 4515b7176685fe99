"""Coverage history (issue 20, point 1): what every pull and sync records, and how little it stores.

Pure counting in :mod:`capxl10n.core.history`, storage in :meth:`State.record_history`, the snapshot of
the sync state in :mod:`capxl10n.engine.history`; on the sandbox, a sync and a pull record what
``capxl10n coverage`` shows at that moment.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from capxl10n.core.coverage import coverage_by_side
from capxl10n.core.history import changed_counts, fixes, history_snapshot
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.engine.state import SCHEMA_VERSION, open_state
from capxl10n.sample.generate import generate
from capxl10n.sandbox.seed import deal
from plugins.world import World

EN = {TermKey("Q1", "label", "en"): Term("Skill"), TermKey("Q1", "description", "en"): Term("A skill"),
      TermKey("Q2", "label", "en"): Term("Other")}
CAPS = (Capacity("Q1"), Capacity("Q2"))


def sides_of(mw: dict[TermKey, Term], mb: dict[TermKey, Term] | None = None) -> dict[str, Snapshot]:
    metabase = Snapshot("metabase", CAPS, {**EN, **(mb or {})})
    metawiki = Snapshot("metawiki", (), {**EN, **mw})
    catalogs = Snapshot("catalogs", CAPS, {**EN, **(mb or {}), **mw})
    return {"metabase": metabase, "metawiki": metawiki, "catalogs": catalogs}


def test_snapshot_counts_are_coverages_per_field() -> None:
    sides = sides_of({TermKey("Q1", "label", "de"): Term("Fähigkeit"),
                      TermKey("Q1", "description", "de"): Term("alt", fuzzy=True)},
                     {TermKey("Q2", "label", "fr"): Term("Autre")})
    snap = history_snapshot(sides)
    report = coverage_by_side(sides)
    for row in report.rows:
        for fld in ("label", "description"):
            counts = row.scope(fld)
            assert snap.counts[(row.side, row.lang, fld)] == (counts.translated, counts.fuzzy)
    assert snap.totals == {(s, f): n for s in ("metabase", "metawiki", "catalogs")
                           for f, n in (("label", 2), ("description", 1))}
    assert snap.outdated["metawiki"] == {TermKey("Q1", "description", "de")}
    assert snap.outdated["metabase"] == frozenset()


def test_only_changes_are_rows_and_a_language_gone_drops_to_zero() -> None:
    before = history_snapshot(sides_of({TermKey("Q1", "label", "de"): Term("a"), TermKey("Q1", "label", "it"): Term("b")}))
    after = history_snapshot(sides_of({TermKey("Q1", "label", "de"): Term("a"), TermKey("Q2", "label", "de"): Term("c")}))
    changed = changed_counts(before.counts, after.counts)
    assert changed == {("metawiki", "de", "label"): (2, 0), ("catalogs", "de", "label"): (2, 0),
                       ("metawiki", "it", "label"): (0, 0), ("catalogs", "it", "label"): (0, 0)}
    assert changed_counts(after.counts, after.counts) == {}


def test_a_fix_is_an_outdated_term_now_current_whatever_its_text() -> None:
    key = TermKey("Q1", "label", "de")
    old = history_snapshot(sides_of({key: Term("alt", fuzzy=True)}))
    confirmed = sides_of({key: Term("alt")})  # a confirmation: same text, no revision
    assert fixes(old.outdated, confirmed) == {"metawiki": (key,), "catalogs": (key,)}
    assert fixes(old.outdated, sides_of({key: Term("alt", fuzzy=True)})) == {}
    assert fixes(old.outdated, sides_of({})) == {}  # deleted is no fix


def test_state_stores_a_step_function(tmp_path: Path) -> None:
    key = TermKey("Q1", "label", "de")
    with open_state(tmp_path / "s.sqlite") as state:
        first = history_snapshot(sides_of({key: Term("alt", fuzzy=True)}))
        state.record_history(first, {}, "sync", 1000)
        state.record_history(first, {}, "pull", 2000)  # nothing changed: one line in history_runs
        rows = state.conn.execute("SELECT COUNT(*) FROM history").fetchone()[0]
        sides = sides_of({key: Term("neu")})
        state.record_history(history_snapshot(sides), fixes(state.history_outdated(), sides), "sync", 3000)
        assert state.history_runs() == [(1000, "sync"), (2000, "pull"), (3000, "sync")]
        assert state.conn.execute("SELECT COUNT(*) FROM history").fetchone()[0] == rows + 2  # de label on 2 sides
        counts, totals = state.history_at(2500)
        assert counts[("metawiki", "de", "label")] == (0, 1)
        assert state.history_at(None)[0][("metawiki", "de", "label")] == (1, 0)
        assert state.history_at(999) == ({}, {})
        assert totals[("catalogs", "label")] == 2
        assert [(t, s, k) for t, s, k in state.history_fixes(2000, 3000)] == [
            (3000, "metawiki", key), (3000, "catalogs", key)]
        assert state.history_outdated() == {}
        assert sorted(state.history_changes(1000, 3000)) == [
            (3000, "catalogs", "de", "label", 1, 0), (3000, "metawiki", "de", "label", 1, 0)]


def test_history_grows_by_bytes_per_quiet_run_at_300_languages(tmp_path: Path) -> None:
    """300 languages, 3 sides, 2 fields: 1800 rows the first time, nothing but a run line after."""
    directory = generate(40, 300, seed=1)
    mb, mw, _ = deal(directory, 1)
    sides = {"metabase": Snapshot("metabase", directory.capacities, mb), "metawiki": Snapshot("metawiki", (), mw),
             "catalogs": directory}
    path = tmp_path / "s.sqlite"
    with open_state(path) as state:
        snap = history_snapshot(sides)
        assert len(snap.counts) >= 1700
        state.record_history(snap, {}, "sync", 0)
        first = state.conn.execute("SELECT COUNT(*) FROM history").fetchone()[0]
        for hour in range(1, 101):
            state.record_history(snap, fixes(state.history_outdated(), sides), "sync", hour * 3600)
        assert state.conn.execute("SELECT COUNT(*) FROM history").fetchone()[0] == first
        assert state.conn.execute("SELECT COUNT(*) FROM history_runs").fetchone()[0] == 101
        state.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = path.stat().st_size
        for hour in range(101, 1101):
            state.conn.execute("INSERT INTO history_runs VALUES (?, 'sync')", (hour * 3600,))
        state.conn.commit()
        state.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert (path.stat().st_size - before) / 1000 < 40  # bytes per quiet run


def test_schema_5_migrates_a_version_4_state(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_state(path):
        pass
    with sqlite3.connect(path) as db:
        for table in ("history_runs", "history", "history_totals", "history_outdated", "history_fixes",
                      "contributions"):
            db.execute(f"DROP TABLE {table}")
        db.execute("PRAGMA user_version = 4")
    with open_state(path) as state:
        assert state.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 5
        assert state.history_runs() == []


def coverage_json(w: World, lang: str) -> dict[str, dict[str, dict[str, int]]]:
    result = w.cli("-f", "json", "coverage", "--lang", lang)
    assert result.exit_code == 0, result.output
    return {r["side"]: r for r in json.loads(result.stdout)["languages"]}


@pytest.mark.slow
def test_sync_and_pull_record_what_coverage_shows(world: World) -> None:
    with open_state(world.state) as state:
        runs = state.history_runs()
        assert [c for _t, c in runs] == ["sync"], "the first sync records one snapshot"
        counts, _ = state.history_at(None)
    lang = "pt-br"
    shown = coverage_json(world, lang)
    for side, row in shown.items():
        for fld in ("label", "description"):
            assert counts[(side, lang, fld)] == (row[fld]["translated"], row[fld]["fuzzy"])
    key = next(k for k, v in sorted(world.base().items(), key=lambda kv: kv[0].sort_key())
               if k.lang == "de" and k.field == "label" and v)
    missing = next(TermKey(k.qid, "label", "de") for k, v in sorted(world.base().items(), key=lambda kv: kv[0].sort_key())
                   if k.lang == "en" and k.field == "label" and TermKey(k.qid, "label", "de") not in world.base())
    world.peer.edit_unit(missing, "Neue Übersetzung")
    time.sleep(1.1)  # snapshots are a second apart
    pulled = world.cli("pull")
    assert pulled.exit_code == 0, pulled.output
    with open_state(world.state) as state:
        runs = state.history_runs()
        assert [c for _t, c in runs] == ["sync", "pull"]
        changes = state.history_changes(runs[0][0] - 1, runs[-1][0])
        after, _ = state.history_at(None)
    changed = {(side, lang_, fld) for t, side, lang_, fld, _tr, _fz in changes if t == runs[-1][0]}
    assert changed == {("metawiki", "de", "label"), ("catalogs", "de", "label")}
    assert after[("metawiki", "de", "label")][0] == counts[("metawiki", "de", "label")][0] + 1
    assert key  # a translated German label existed: the new one is another
