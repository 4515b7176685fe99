"""``State.cached_capacities``: a cached read's capacity tree from its row's header line (the report asks for
Metabase's items without decoding a million terms); the same tree loading the row gives, in every form."""
from __future__ import annotations

from pathlib import Path

from capxl10n.core.cursors import MetabaseCursor
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.engine.state import open_state


def test_the_tree_of_a_cached_read_comes_from_its_header(tmp_path: Path) -> None:
    caps = tuple(Capacity(f"Q{n}", item=f"Q{100 + n}", parent=f"Q{n // 3}" if n > 2 else None) for n in range(1, 400))
    terms = {TermKey(c.qid, "label", lang): Term(f"{c.qid} in {lang}") for c in caps for lang in ("en", "de")}
    snap = Snapshot("metabase", caps, terms, {"note": "x" * 200_000})  # a header line longer than one read
    with open_state(tmp_path / "s.sqlite") as state:
        assert state.cached_capacities("metabase") is None
        state.store_side("metabase", snap, MetabaseCursor(high_water="2026-01-01T00:00:00Z"))
        assert state.cached_capacities("metabase") == state.load_side("metabase")[0].capacities == snap.capacities
        state.conn.execute("UPDATE read_cache SET snapshot = ? WHERE side = 'metabase'", (snap.dumps(),))
        state.conn.commit()  # a row as an earlier version stored it: the text of a snapshot file
        assert state.cached_capacities("metabase") == snap.capacities
        state.conn.execute("UPDATE read_cache SET snapshot = x'7b6e6f' WHERE side = 'metabase'")
        state.conn.commit()
        assert state.cached_capacities("metabase") is None  # damaged: only a cache
