"""The read cache's mark rows (engine/state.py, ``State._move_cursor``): a cursor that moved only its time
mark is stored beside the row (SQLite would rewrite the whole row, snapshot included, to change its cursor
column). The cursor in effect is always the newest one stored, whatever wrote the row since."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from capxl10n.core.cursors import MetabaseCursor, OwnWrite
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.engine.state import MARK, open_state

PT = TermKey("Q1", "label", "pt")
SNAP = Snapshot("metabase", (Capacity("Q1"),), {PT: Term("x", revision=2)})
FIRST = MetabaseCursor(high_water="2026-01-01T00:00:00Z", item_revisions={"Q1": 2})


def rows(state) -> dict[str, int]:
    return dict(state.conn.execute("SELECT side, length(snapshot) FROM read_cache"))


def test_a_moved_mark_is_stored_beside_the_row_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_state(path) as state:
        state.store_side("metabase", SNAP, FIRST)
        row = state.conn.execute("SELECT snapshot, cursor FROM read_cache WHERE side = 'metabase'").fetchone()
        loaded, _ = state.load_side("metabase")
        later = replace(FIRST, high_water="2026-01-02T00:00:00Z")
        state.store_side("metabase", loaded, later)
        assert state.conn.execute("SELECT snapshot, cursor FROM read_cache WHERE side = 'metabase'").fetchone() == row
        assert set(rows(state)) == {"metabase", "metabase" + MARK}
        assert state.load_side("metabase")[1] == later and state.load_cursor("metabase") == later
        identity = state.read_identity("metabase")
    with open_state(path) as other:  # another process reads the same
        assert other.load_side("metabase")[1] == later
        assert other.read_identity("metabase") == identity
        latest = replace(FIRST, high_water="2026-01-03T00:00:00Z")
        other.store_cursor("metabase", latest)
        assert other.load_cursor("metabase") == latest
        changed = replace(latest, own_writes={"Q1": OwnWrite(2, (3,))})  # more than the mark: the row's cursor
        other.store_cursor("metabase", changed)
        assert set(rows(other)) == {"metabase"} and other.load_cursor("metabase") == changed
        assert other.read_identity("metabase") != identity


def test_a_row_rewritten_by_another_writer_outranks_its_mark(tmp_path: Path) -> None:
    """An earlier capxl10n knows no mark row: what it writes into the row is what holds."""
    with open_state(tmp_path / "s.sqlite") as state:
        state.store_side("metabase", SNAP, FIRST)
        state.store_cursor("metabase", replace(FIRST, high_water="2026-01-02T00:00:00Z"))
        older = '{"side":"metabase","high_water":"2026-01-05T00:00:00Z","item_revisions":{"Q1":9}}'
        state.conn.execute("UPDATE read_cache SET cursor = ? WHERE side = 'metabase'", (older,))
        state.conn.commit()
        cursor = state.load_cursor("metabase")
        assert cursor is not None and cursor.high_water == "2026-01-05T00:00:00Z" and cursor.item_revisions == {"Q1": 9}
        assert state.row_digest("metabase") is None  # the row's note went with its cursor


def test_expiring_and_forgetting_a_side_take_its_mark_along(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite") as state:
        state.store_side("metabase", SNAP, FIRST)
        state.store_cursor("metabase", replace(FIRST, high_water="2026-01-02T00:00:00Z"))
        state.expire_side("metabase")
        assert set(rows(state)) == {"metabase"}
        assert state.load_cursor("metabase") == replace(FIRST, high_water=None)
        state.store_cursor("metabase", replace(FIRST, high_water="2026-01-03T00:00:00Z"))
        state.forget_side("metabase")
        assert rows(state) == {} and state.load_side("metabase") is None
