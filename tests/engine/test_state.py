"""The state database: schema, refusal of foreign/corrupt/newer files, base, journal, cache, inbox."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from capxl10n.core.cursors import (Bundle, DiscoveryCursor, MetabaseCursor, MetawikiCursor, OwnWrite, WikidataCursor,
                                   cursor_from_json)
from capxl10n.errors import DataError, StateError
from capxl10n.core.merge import BaseTerm, Conflict, Decision
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.engine.state import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, load_directory, open_state

PT = TermKey("Q1", "label", "pt")


def test_new_state_is_versioned_and_ours(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "s.sqlite"
    open_state(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    open_state(path).close()  # reopening an up-to-date file is fine


def test_refuses_missing_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="no state database"):
        open_state(tmp_path / "nope.sqlite", create=False)


@pytest.mark.parametrize("content", [b"this is not sqlite at all, just text\n" * 10, b"\x00" * 4096])
def test_refuses_corrupt_file_and_leaves_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(content)
    with pytest.raises(StateError) as exc:
        open_state(path)
    assert exc.value.hint
    assert path.read_bytes() == content


def test_refuses_foreign_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StateError, match="another application"):
        open_state(path)
    assert path.read_bytes() == before


def test_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    open_state(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StateError, match="newer capxl10n"):
        open_state(path)


def test_base_roundtrip_tombstones_and_generation(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite") as state:
        assert state.base_generation == 0 and state.load_base() == {}
        de = TermKey("Q1", "label", "de")
        state.update_base({PT: BaseTerm("Olá", False, 3, 4), de: BaseTerm(None)}, [Capacity("Q1", item="Q101")])
        assert state.base_generation == 1
        assert state.load_base() == {PT: BaseTerm("Olá", False, 3, 4), de: BaseTerm(None)}
        state.update_base({de: None})
        assert de not in state.load_base() and state.base_generation == 2
        directory = state.directory()
        assert directory.side == "base" and directory.text("Q1", "label", "pt") == "Olá"
        assert directory.capacity("Q1").item == "Q101"
        state.update_base({})
        assert state.base_generation == 2  # nothing written, nothing bumped


def test_load_directory_uses_profile_state(tmp_path: Path) -> None:
    class P:
        state = tmp_path / "s.sqlite"
    with open_state(P.state) as state:
        state.update_base({PT: BaseTerm("Olá")}, [Capacity("Q1")])
    assert load_directory(P).text("Q1", "label", "pt") == "Olá"


def _state_of_version_3(path: Path, rows: list[tuple[str, Snapshot, str]]) -> None:
    """A state file as capxl10n wrote it at schema 3: each read's cursor in keys of its snapshot's meta."""
    conn = sqlite3.connect(path)
    for version in (1, 2, 3):
        conn.executescript(MIGRATIONS[version])  # type: ignore[arg-type]
    conn.executemany("INSERT INTO read_cache VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
                     [(side, snap.dumps() if isinstance(snap, Snapshot) else snap, mark) for side, snap, mark in rows])
    conn.execute("PRAGMA user_version = 3")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.commit()
    conn.close()


def test_schema_4_moves_the_read_cursors_out_of_the_snapshots_meta(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    caps = (Capacity("Q1", item="Q101"),)
    metabase = Snapshot("metabase", caps, {PT: Term("x", revision=12)}, {
        "high_water": "2026-01-01T00:00:00Z", "item_revisions": {"Q101": 12}, "accepted_languages": ["en", "pt"],
        "discovery_source": "sparql", "duplicates": {"Q9": ["Q109", "Q110"]}, "unlinked": ["Q111"],
        "index_terms": {"Q101": "Q201"}, "own_writes": {"Q101": {"from": 10, "revisions": [12]}}})
    bundle = {"messages": {"Q1-label": "One", "notes": "x"}, "metadata": {"sourceLanguage": "en"}, "revision": 70,
              "timestamp": "t70", "exists": True, "author": "Ana", "namespace": 828}
    metawiki = Snapshot("metawiki", (), {PT: Term("y", fuzzy=True, side="metawiki", revision=3)}, {
        "high_water": "2026-01-01T00:00:01Z", "bundle": bundle, "bundle_revision": 70, "bundle_exists": True,
        "bundle_namespace": 828, "unknown_bundle_keys": ["notes"], "documentation": True,
        "previous_source": {"pt": {"Q1-label": "Uno"}}, "own_writes": {"Translations:B/Q1-label/pt": {"from": 2,
                                                                                                       "revisions": []}},
        "outdated_keys": ["Q1-label"]})
    wikidata = Snapshot("wikidata", (Capacity("Q1"),), {}, {"languages": ["en", "pt"], "from_mul": ["Q1/label/pt"]})
    _state_of_version_3(path, [("metabase", metabase, "2026-01-01T00:00:00Z"), ("metawiki", metawiki, "2026-01-01T00:00:01Z"),
                               ("wikidata", wikidata, "2026-01-01T00:00:00Z"), ("elsewhere", "{broken", "")])
    with open_state(path) as state:
        assert state.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in state.conn.execute("PRAGMA table_info(read_cache)")]
        assert columns == ["side", "snapshot", "cursor", "updated"]
        mb, mb_cursor = state.load_side("metabase")
        assert mb.meta == {} and mb.terms == metabase.terms and mb.capacities == caps
        assert mb_cursor == MetabaseCursor(
            high_water="2026-01-01T00:00:00Z", item_revisions={"Q101": 12}, accepted_languages=("en", "pt"),
            discovery=DiscoveryCursor("sparql", {"Q9": ("Q109", "Q110")}, ("Q111",), {"Q101": "Q201"}),
            own_writes={"Q101": OwnWrite(10, (12,))})
        mw, mw_cursor = state.load_side("metawiki")
        assert mw.meta == {} and mw.terms == metawiki.terms
        assert mw_cursor == MetawikiCursor(
            high_water="2026-01-01T00:00:01Z",
            bundle=Bundle({"Q1-label": "One", "notes": "x"}, {"sourceLanguage": "en"}, 70, "t70", True, "Ana", 828),
            documentation=True, previous_source={"pt": {"Q1-label": "Uno"}},
            own_writes={"Translations:B/Q1-label/pt": OwnWrite(2)}, outdated_keys=("Q1-label",))
        assert state.load_side("wikidata")[1] == WikidataCursor(("en", "pt"), ("Q1/label/pt",))
        assert state.load_side("elsewhere") is None  # damaged: dropped, only a cache
        directory = state.whole_directory()
        assert directory.meta["previous_source"] == {"pt": {"Q1-label": "Uno"}}
        assert directory.meta["message_order"] == ["Q1-label"]
    open_state(path).close()  # migrated once


def test_a_malformed_cursor_is_refused_naming_the_field() -> None:
    good = MetawikiCursor(bundle=Bundle({"Q1-label": "One"}, revision=3)).to_json()
    assert cursor_from_json("metawiki", good) == MetawikiCursor(bundle=Bundle({"Q1-label": "One"}, revision=3))
    with pytest.raises(DataError, match="metawiki cursor: bundle: field 'revision' must be an integer"):
        cursor_from_json("metawiki", {**good, "bundle": {**good["bundle"], "revision": "3"}})
    with pytest.raises(DataError, match="a cursor of side 'metabase', not 'metawiki'"):
        cursor_from_json("metawiki", MetabaseCursor().to_json())
    with pytest.raises(DataError, match=r"own_writes\['Q1'\]: field 'revisions' must be a list of integers"):
        cursor_from_json("metabase", {"side": "metabase", "own_writes": {"Q1": {"revisions": ["12"]}}})
    with pytest.raises(DataError, match="no read cursor for side 'base'"):
        cursor_from_json("base", {})


def test_read_cache_roundtrip_and_damage(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite") as state:
        assert state.load_side("metabase") is None
        snap = Snapshot("metabase", (Capacity("Q1"),), {PT: Term("x", revision=2)})
        cursor = MetabaseCursor(high_water="2025-12-01T00:00:00Z", item_revisions={"Q1": 2},
                                own_writes={"Q1": OwnWrite(1, (2,))})
        state.store_side("metabase", snap, cursor)
        loaded, read = state.load_side("metabase")
        assert loaded.fingerprint() == snap.fingerprint() and read == cursor
        state.conn.execute("UPDATE read_cache SET cursor = '{\"side\": \"metabase\", \"high_water\": 7}'")
        state.conn.commit()
        assert state.load_side("metabase") is None  # a malformed cursor: a full read, not a crash
        state.store_side("metabase", snap, cursor)
        state.conn.execute("UPDATE read_cache SET snapshot = '{broken'")
        state.conn.commit()
        assert state.load_side("metabase") is None  # a damaged cache means a full read, not a crash


def test_journal_statuses_persist(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_state(path) as state:
        assert state.register_plan("p1", "sandbox", "{}", ["a", "b"]) is True
        assert state.register_plan("p1", "sandbox", "{}", ["a", "b"]) is False
        state.mark("p1", ["a"], "sent")
        state.mark("p1", ["a"], "done", revision=7)
        with pytest.raises(ValueError):
            state.mark("p1", ["b"], "bogus")
    with open_state(path) as state:  # committed before returning: visible to a new connection
        journal = state.journal("p1")
        assert journal["a"][:3] == ("done", 1, 7) and journal["b"][0] == "pending"
        assert state.sent_count("p1") == 1


def test_conflict_inbox(tmp_path: Path) -> None:
    c = Conflict(PT, "a", True, Term("b", author="Ana"), Term("c", side="metawiki", author="Bo"), "both")
    other = Conflict(TermKey("Q2", "label", "pt"), None, False, None, Term("z", side="metawiki"), "x")
    with open_state(tmp_path / "s.sqlite") as state:
        state.record_conflicts([c, other])
        assert [s.key for s in state.conflicts()] == [PT, other.key]
        state.decide(PT, Decision("d", "manual"))
        state.record_conflicts([])  # undecided ones no longer seen leave; decided ones stay
        rows = state.conflicts()
        assert [s.key for s in rows] == [PT] and rows[0].decision == Decision("d", "manual", basis=("b", "c"))
        assert rows[0].metabase.author == "Ana"
        assert state.decisions() == {PT: Decision("d", "manual", basis=("b", "c"))}
        with pytest.raises(StateError):
            state.decide(TermKey("Q3", "label", "pt"), Decision("x"))
        state.clear_conflicts([PT])
        assert state.conflicts() == []


def test_coverage_and_runs(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite") as state:
        state.record_coverage({"pt": (3, 1, 10)}, taken="2025-12-06T10:00:00Z")
        state.record_coverage({"pt": (5, 0, 10)}, taken="2025-12-07T10:00:00Z")
        assert [r[2] for r in state.coverage_history("pt")] == [3, 5]
        state.start_run("r1", "sync")
        state.finish_run("r1", 0, {"ok": True})
        assert state.runs()[0]["summary"] == {"ok": True} and state.runs()[0]["exit_code"] == 0
