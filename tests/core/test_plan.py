"""Plan files: deterministic bytes, strict parsing, summary and exit codes."""
from __future__ import annotations

import json

import pytest

from capxl10n.errors import EXIT_CONFLICTS, EXIT_OK, EXIT_PENDING, DataError, UsageError
from capxl10n.core.merge import BaseTerm, MergeOptions, merge
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.core.plan import PLAN_FORMAT, build_plan, dumps, loads, render_summary

BUNDLE = "Module:CapacityExchange/capacities.json"
CAPS = (Capacity("Q1", item="Q101"), Capacity("Q2", item="Q102"))


def make(base=None, m=None, w=None, **opts):
    result = merge(base or {}, Snapshot("metabase", CAPS, m or {}), Snapshot("metawiki", CAPS, w or {}),
                   MergeOptions(**opts))
    return build_plan(result, profile="sandbox", bundle_page=BUNDLE, base_generation=3,
                      fingerprints={"metabase": "sha256:a", "metawiki": "sha256:b"}, capacities=CAPS,
                      bundle_revision=77, bundle_timestamp="2025-12-01T00:00:00Z")


def sample():
    k = lambda q, f, lang: TermKey(q, f, lang)  # noqa: E731
    m = {k("Q1", "label", "en"): Term("One", revision=5), k("Q2", "label", "pt"): Term("Dois", revision=6),
         k("Q2", "label", "de"): Term("Zwei", revision=6)}
    w = {k("Q1", "label", "de"): Term("Eins", side="metawiki", revision=8, timestamp="t8")}
    return make({}, m, w)


def test_plan_is_deterministic_and_roundtrips() -> None:
    plan = sample()
    text = dumps(plan)
    assert text == dumps(sample())
    again = loads(text)
    assert dumps(again) == text and again.id == plan.id
    data = json.loads(text)
    assert data["format"] == PLAN_FORMAT and data["profile"] == "sandbox" and data["base_generation"] == 3
    assert data["fingerprints"] == {"metabase": "sha256:a", "metawiki": "sha256:b"}


def test_operations_grouped_bundle_items_units_with_targets() -> None:
    plan = sample()
    targets = [(op.target, op.page) for op in plan.operations]
    assert targets == [
        ("bundle", BUNDLE),
        ("metabase", "Q101"),
        ("metawiki", f"Translations:{BUNDLE}/Q2-label/de"),
        ("metawiki", f"Translations:{BUNDLE}/Q2-label/pt"),
    ]
    bundle_op = plan.operations[0]
    assert bundle_op.base_revision == 77 and bundle_op.expected is None and bundle_op.new == "One"
    item_op = plan.operations[1]
    assert item_op.key == TermKey("Q1", "label", "de") and item_op.new == "Eins"
    assert len({op.group for op in plan.operations}) == 4
    assert plan.exit_code == EXIT_PENDING


def test_exit_codes() -> None:
    assert make().exit_code == EXIT_OK
    pt = TermKey("Q1", "label", "pt")
    conflicted = make({pt: BaseTerm("a")}, {pt: Term("b")}, {pt: Term("c", side="metawiki")})
    assert conflicted.exit_code == EXIT_CONFLICTS and len(conflicted.conflicts) == 1


def test_summary_mentions_counts_conflicts_and_unaccepted() -> None:
    pt, xx = TermKey("Q1", "label", "pt"), TermKey("Q1", "label", "xx")
    plan = make({pt: BaseTerm("a")}, {pt: Term("b")}, {pt: Term("c", side="metawiki"),
                                                       xx: Term("t", side="metawiki")},
                unaccepted_languages=frozenset({"xx"}))
    text = render_summary(plan)
    assert "1 conflict(s)" in text and "Q1-label/pt" in text
    assert text.count("xx") == 1  # listed once
    data = json.loads(dumps(plan))
    assert data["summary"]["conflicts_per_language"] == {"pt": 1}
    assert data["notes"]["unaccepted_languages"] == ["xx"]


def _plan_json() -> dict:
    return json.loads(dumps(sample()))


@pytest.mark.parametrize("mutate,error,match", [
    (lambda d: "{not json", DataError, "malformed JSON"),
    (lambda d: [], DataError, "JSON object"),
    (lambda d: {**d, "format": "capxl10n-plan/99"}, UsageError, "unknown plan format"),
    (lambda d: {**d, "profile": 5}, DataError, "profile"),
    (lambda d: {**d, "operations": {}}, DataError, "operations"),
    (lambda d: {**d, "operations": [{**d["operations"][0], "target": "wikidata"}]}, DataError, "unknown target"),
    (lambda d: {**d, "operations": [{**d["operations"][0], "action": "set", "new": None}]}, DataError, "'new'"),
    (lambda d: {**d, "operations": [{**d["operations"][0], "qid": "L5"}]}, DataError, r"operations\[0\]"),
    (lambda d: {**d, "operations": [{**d["operations"][0], "base_revision": "7"}]}, DataError, "integer"),
    (lambda d: {**d, "operations": d["operations"][:1] * 2}, DataError, "twice"),
    (lambda d: {**d, "base": [{"qid": "Q1"}]}, DataError, "malformed plan section"),
])
def test_bad_plans_refused_with_clear_errors(mutate, error, match) -> None:
    data = mutate(_plan_json())
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(error, match=match) as exc:
        loads(text, origin="plan.json")
    assert "plan.json" in exc.value.message


def test_truncated_plan_file() -> None:
    text = dumps(sample())
    with pytest.raises(DataError, match="line"):
        loads(text[: len(text) // 2])
