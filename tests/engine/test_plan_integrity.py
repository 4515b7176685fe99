"""Issue 16, class 10: a plan is applied only as it was made (its id is a content hash in the file).

Also what the plan must carry for the other guards: each copy's source (class 13)
and the tag its writes are recognised by (class 12).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from capxl10n.core.cursors import Bundle, MetabaseCursor, MetawikiCursor
from capxl10n.errors import DataError, UsageError
from capxl10n.core.merge import BaseTerm, Decision, MergeOptions, merge
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.core.plan import PLAN_FORMAT, Source, build_plan, dumps, loads, plan_tag
from plugins.world import World

BUNDLE = "Module:CapacityExchange/capacities.json"
CAPS = (Capacity("Q1", item="Q101"), Capacity("Q2", item="Q102"))
DE, PT, EN = TermKey("Q1", "label", "de"), TermKey("Q2", "label", "pt"), TermKey("Q1", "label", "en")


def sides() -> dict[str, Snapshot]:
    metabase = Snapshot("metabase", CAPS, {EN: Term("One", revision=5), DE: Term("Eins", revision=5),
                                          PT: Term("Dois", revision=6)})
    metawiki = Snapshot("metawiki", CAPS, {EN: Term("One", side="metawiki", revision=70),
                                          DE: Term("Eins neu", side="metawiki", revision=81, timestamp="t81")})
    return {"metabase": metabase, "metawiki": metawiki}


def cursors() -> dict[str, MetabaseCursor | MetawikiCursor]:
    """Where the two reads of :func:`sides` stand: what the plan records for the source guard."""
    return {"metabase": MetabaseCursor(high_water="2025-12-01T10:00:00Z", item_revisions={"Q101": 5, "Q102": 6}),
            "metawiki": MetawikiCursor(high_water="2025-12-01T10:00:01Z",
                                       bundle=Bundle({"Q1-label": "One"}, revision=70, namespace=828))}


def make(decisions: dict[TermKey, Decision] | None = None):
    base = {EN: BaseTerm("One"), DE: BaseTerm("Eins")}
    s = sides()
    result = merge(base, s["metabase"], s["metawiki"], MergeOptions(decisions=decisions or {}, established=True))
    return build_plan(result, profile="sandbox", bundle_page=BUNDLE, base_generation=3,
                      fingerprints={"metabase": "sha256:a", "metawiki": "sha256:b"}, capacities=CAPS,
                      bundle_revision=70, bundle_timestamp="t70", sides=s, cursors=cursors())


# -- the content hash ---------------------------------------------------------------------------
def test_the_file_carries_its_content_hash_and_same_inputs_give_same_bytes() -> None:
    text = dumps(make())
    assert text == dumps(make())
    data = json.loads(text)
    assert list(data)[:2] == ["format", "id"] and data["format"] == PLAN_FORMAT == "capxl10n-plan/2"
    assert data["id"] == make().id and loads(text).id == make().id


def test_a_reformatted_plan_is_the_same_plan() -> None:
    text = dumps(make())
    again = loads(json.dumps(json.loads(text), ensure_ascii=True, indent=4, sort_keys=True))
    assert again.id == make().id and dumps(again) == text


@pytest.mark.parametrize("edit", [
    lambda d: d["operations"][0].update(new="Hand-made text"),
    lambda d: d["operations"][0].update(lang="fr"),
    lambda d: d["operations"][0].update(expected=None),
    lambda d: d["operations"][0]["source"].update(revision=999),
    lambda d: d.update(base_generation=4),
    lambda d: d["base"].append({"qid": "Q2", "field": "label", "lang": "xx", "value": "x", "fuzzy": False,
                                "metabase_rev": None, "metawiki_rev": None}),
    lambda d: d["summary"].update(operations=0),
    lambda d: d.update(comment="I looked at it"),
], ids=["new", "lang", "expected", "source", "generation", "base", "summary", "extra-key"])
def test_class10_a_hand_edited_plan_is_refused(edit: Any) -> None:
    data = json.loads(dumps(make()))
    assert data["operations"], "nothing to edit: the test would prove nothing"
    edit(data)
    with pytest.raises(DataError, match=r"plan\.json was changed after it was made \(content hash \w+ ≠ \w+\)") \
            as exc:
        loads(json.dumps(data, ensure_ascii=False, indent=1), origin="plan.json")
    assert exc.value.hint and "new plan" in exc.value.hint


def test_a_plan_without_its_hash_or_in_the_old_format_is_refused_clearly() -> None:
    data = json.loads(dumps(make()))
    del data["id"]
    with pytest.raises(DataError, match="no content hash"):
        loads(json.dumps(data), origin="plan.json")
    data["format"] = "capxl10n-plan/1"
    with pytest.raises(UsageError, match="older capxl10n") as exc:
        loads(json.dumps(data), origin="plan.json")
    assert "make a new plan" in (exc.value.hint or "")


def test_a_plan_made_for_another_profile_keeps_a_valid_hash() -> None:
    other = replace(make(), profile="production")
    assert loads(dumps(other)).profile == "production" and other.id != make().id


# -- what the guards need -------------------------------------------------------------------------
def test_each_copy_names_its_source_and_the_plan_when_each_side_was_read() -> None:
    plan = make()
    ops = {op.id: op for op in plan.operations}
    to_metabase = ops["metabase:Q1-label/de"]
    assert to_metabase.source == Source("metawiki", f"Translations:{BUNDLE}/Q1-label/de", 81)
    to_unit = ops["metawiki:Q2-label/pt"]
    assert to_unit.source == Source("metabase", "Q102", 6)
    assert plan.reads == {"metabase": {"at": "2025-12-01T10:00:00Z"},
                          "metawiki": {"at": "2025-12-01T10:00:01Z", "bundle_namespace": 828, "bundle_revision": 70}}
    assert loads(dumps(plan)).operations == plan.operations


def test_a_decision_written_to_both_sides_names_the_value_each_other_side_held() -> None:
    decided = make({PT: Decision("Dois!", "manual")})
    ops = {op.target: op for op in decided.operations if op.key == PT}
    assert all(op.reason.startswith("conflict resolved") for op in ops.values())
    assert ops["metawiki"].source == Source("metabase", "Q102", 6, basis=("Dois", False))
    assert ops["metabase"].source == Source("metawiki", f"Translations:{BUNDLE}/Q2-label/pt", None,
                                            basis=(None, False))
    assert loads(dumps(decided)).operations == decided.operations


@pytest.mark.parametrize("basis", ["Dois", {"text": 3, "outdated": False}, {"text": "Dois"}])
def test_a_source_basis_of_the_wrong_shape_is_refused(basis: object) -> None:
    data = json.loads(dumps(make({PT: Decision("Dois!", "manual")})))
    op = next(o for o in data["operations"] if o["target"] == "metawiki")
    op["source"]["basis"] = basis
    with pytest.raises(DataError, match="basis"):
        Source.from_json(op["source"], "plan.json: operation 1")


def test_the_tag_of_a_plan_is_short_and_its_own() -> None:
    plan = make()
    assert plan.tag == plan_tag(plan.id) == f"[capxl10n plan {plan.id[:12]}]"


# -- through the CLI, on the sandbox ------------------------------------------------------------
@pytest.fixture
def world(sandbox_profile: Any, tmp_path: Path) -> World:
    w = World(sandbox_profile.sandbox, tmp_path, sandbox_profile.env)
    assert w.cli("sync").exit_code == 0
    return w


@pytest.mark.parametrize("field,value", [("new", "Edited by hand"), ("lang", "fr")])
def test_class10_apply_of_a_hand_edited_plan_exits_1_and_writes_nothing(world: World, field: str,
                                                                        value: str) -> None:
    key = world.pick()
    world.peer.edit_unit(key, "Planned by the sync")
    plan_file = world.tmp / "plan.json"
    assert world.cli("plan", "-o", str(plan_file)).exit_code == 4
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    (op,) = [o for o in data["operations"] if o["target"] == "metabase"]
    op[field] = value
    plan_file.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    revisions = len(world.bot_revisions())
    with sqlite3.connect(world.state) as db:
        inbox = db.execute("SELECT COUNT(*) FROM conflicts").fetchone()[0]
    result = world.cli("apply", str(plan_file))
    assert result.exit_code == 1, result.output
    assert "was changed after it was made" in result.output and "make a new plan" in result.output
    assert len(world.bot_revisions()) == revisions
    assert world.metabase_text(key.qid, key.field, key.lang) != "Edited by hand"
    with sqlite3.connect(world.state) as db:
        assert db.execute("SELECT COUNT(*) FROM conflicts").fetchone()[0] == inbox  # no bogus conflict
    assert world.cli("sync").exit_code == 0  # a new plan does the real work
    assert world.metabase_text(key.qid, key.field, key.lang) == "Planned by the sync"
