"""The three-way merge: one table of cases per rule, plus a convergence property."""
from __future__ import annotations

import dataclasses
import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import capxl10n.core.merge as merge_mod
from capxl10n.core.merge import NO_UNIT, BaseTerm, Decision, MergeOptions, merge
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey

CAPS = (Capacity("Q1", item="Q101"), Capacity("Q2", item="Q102"))
PT = TermKey("Q1", "label", "pt")
EN = TermKey("Q1", "label", "en")
ABSENT = object()


def snap(side: str, terms: dict[TermKey, Term], caps: tuple[Capacity, ...] = CAPS) -> Snapshot:
    return Snapshot(side, caps, terms)


def run(base, m, w, key=PT, fuzzy=False, **opts):
    """Merge one term: base/m/w are texts, None = absent (base None = no row, ABSENT-free)."""
    b = {} if base is ABSENT else {key: BaseTerm(base)}
    # A second agreed term keeps the base non-empty, so this is not a first contact.
    other = TermKey("Q2", "label", "de")
    b[other] = BaseTerm("x")
    mt = {other: Term("x", revision=5)}
    wt = {other: Term("x", side="metawiki", revision=6)}
    if m is not None:
        mt[key] = Term(m, revision=5)
    if w is not None:
        wt[key] = Term(w, side="metawiki", fuzzy=fuzzy, revision=9, timestamp="2025-12-01T00:00:00Z")
    return merge(b, snap("metabase", mt), snap("metawiki", wt), MergeOptions(**opts))


def test_doctests() -> None:
    assert doctest.testmod(merge_mod).failed == 0


@pytest.mark.parametrize("base,m,w,expect", [
    ("a", "a", "a", []),                                   # in sync
    ("a", "b", "a", [("metawiki", "set", "b")]),           # changed on metabase
    ("a", "a", "b", [("metabase", "set", "b")]),           # changed on metawiki
    ("a", None, "a", [("metawiki", "delete", None)]),      # deleted on metabase: tombstone propagates
    ("a", "a", None, [("metabase", "delete", None)]),      # deleted on metawiki
    (None, None, "n", [("metabase", "set", "n")]),         # re-added after a tombstone: a new human value
    (ABSENT, "n", None, [("metawiki", "set", "n")]),       # new on metabase
    (ABSENT, None, "n", [("metabase", "set", "n")]),       # new on metawiki
    ("a", "b", "b", []),                                   # same change on both sides
    (None, None, None, []),                                # tombstone stays
    ("a", " a\u0301 ".replace("a\u0301", "a"), "a", []),   # trimming: same value
])
def test_one_sided_changes(base, m, w, expect) -> None:
    result = run(base, m, w)
    assert [(c.target, c.action, c.new) for c in result.changes] == expect
    assert result.conflicts == ()


def test_nfc_equal_values_are_the_same() -> None:
    assert run("Caf\u00e9", "Cafe\u0301", "Caf\u00e9").changes == ()


@pytest.mark.parametrize("base,m,w", [("a", "b", "c"), ("a", None, "c"), ("a", "b", None), (ABSENT, "b", "c")])
def test_two_sided_differing_changes_conflict(base, m, w) -> None:
    result = run(base, m, w)
    assert result.changes == ()
    assert [c.key for c in result.conflicts] == [PT]


def test_deletion_policy_conflict() -> None:
    result = run("a", None, "a", deletions="conflict")
    assert result.changes == () and len(result.conflicts) == 1
    assert "policy" in result.conflicts[0].reason


def test_tombstone_recorded_when_both_gone() -> None:
    result = run("a", None, None)
    assert result.base_updates[PT] == BaseTerm(None, metawiki_rev=NO_UNIT)  # agreed absent, and no unit existed
    assert result.changes == ()


@pytest.mark.parametrize("base,m,w,expect", [
    ("a", "a", "a", []),                                   # outdated, nothing newer on metabase
    ("a", "a", "z", []),                                   # fuzzy text never copied to metabase
    ("a", "b", "a", [("metawiki", "set", "b")]),           # metabase change replaces fuzzy (clears it)
    ("a", "b", "b", []),                                   # same text, outdated: a translator confirms it
    (ABSENT, None, "z", []),                               # fuzzy only on metawiki: nothing
    (ABSENT, "m", "z", None),                              # no base: both new since the last sync, a conflict
    ("a", None, "a", []),                                  # deleted on metabase: agreed absent, unit kept
    ("a", "b", "z", None),                                 # translator's outdated text vs a change: conflict
])
def test_fuzzy(base, m, w, expect) -> None:
    result = run(base, m, w, fuzzy=True)
    assert [(c.target, c.action, c.new) for c in result.changes] == (expect or [])
    assert len(result.conflicts) == (1 if expect is None else 0)
    assert all(c.target != "metabase" for c in result.changes)  # outdated text never reaches Metabase


def test_fuzzy_same_text_without_base_records_an_outdated_base() -> None:
    result = run(ABSENT, "m", "m", fuzzy=True)
    assert result.base_updates[PT] == BaseTerm("m", fuzzy=True, metabase_rev=5, metawiki_rev=9)
    # A translator then fixes the unit: a metawiki change, not a conflict.
    b = {PT: result.base_updates[PT], TermKey("Q2", "label", "de"): BaseTerm("x")}
    again = merge(b, snap("metabase", {PT: Term("m")}), snap("metawiki", {PT: Term("new", side="metawiki")}))
    assert [(c.target, c.new) for c in again.changes] == [("metabase", "new")]


@pytest.mark.parametrize("policy,expect", [
    ("conflict", []), ("metawiki", []), ("metabase", [("metawiki", "set", "m")])])
def test_first_contact_with_outdated_translation(policy: str, expect: list) -> None:
    """First contact: Metabase's value replaces an outdated unit only when Metabase wins; else a human decides."""
    m = snap("metabase", {PT: Term("m", revision=5)})
    w = snap("metawiki", {PT: Term("z", side="metawiki", fuzzy=True, revision=9)})
    result = merge({}, m, w, MergeOptions(first_contact=policy))
    assert [(c.target, c.action, c.new) for c in result.changes] == expect
    assert len(result.conflicts) == (0 if expect else 1)
    assert all(c.target != "metabase" for c in result.changes)


@pytest.mark.parametrize("policy,expect", [
    ("conflict", None), ("metabase", ("metawiki", "m")), ("metawiki", ("metabase", "w"))])
def test_first_contact_policy(policy, expect) -> None:
    m = snap("metabase", {PT: Term("m")})
    w = snap("metawiki", {PT: Term("w", side="metawiki")})
    result = merge({}, m, w, MergeOptions(first_contact=policy))
    assert result.first_contact
    if expect is None:
        assert result.changes == () and len(result.conflicts) == 1
    else:
        assert [(c.target, c.new) for c in result.changes] == [expect]


def test_policy_only_applies_on_first_contact() -> None:
    result = run(ABSENT, "m", "w", first_contact="metabase")
    assert result.changes == () and len(result.conflicts) == 1


def test_english_goes_to_the_bundle_and_new_capacity_adds_keys() -> None:
    label, desc = TermKey("Q2", "label", "en"), TermKey("Q2", "description", "en")
    base = {EN: BaseTerm("One")}
    m = snap("metabase", {EN: Term("One!"), label: Term("Two"), desc: Term("About two")})
    w = snap("metawiki", {EN: Term("One", side="metawiki", revision=40)})
    result = merge(base, m, w)
    assert [(c.target, c.key.qid, c.key.field, c.new) for c in result.changes] == [
        ("bundle", "Q1", "label", "One!"), ("bundle", "Q2", "label", "Two"), ("bundle", "Q2", "description", "About two")]


def test_removed_capacity_reported_and_removed_only_with_flag() -> None:
    gone = TermKey("Q9", "label", "en")
    gone_pt = TermKey("Q9", "label", "pt")
    m = snap("metabase", {})
    w = snap("metawiki", {gone: Term("Gone", side="metawiki"), gone_pt: Term("Foi", side="metawiki")})
    base = {gone: BaseTerm("Gone")}
    kept = merge(base, m, w)
    assert kept.removed_capacities == ("Q9",) and kept.changes == ()
    removed = merge(base, m, w, MergeOptions(remove_from_bundle=True))
    assert [(c.target, c.action, c.key.lang) for c in removed.changes] == [("bundle", "delete", "en")]


def test_unaccepted_languages_listed_once_and_skipped() -> None:
    keys = [TermKey("Q1", "label", "xx"), TermKey("Q1", "description", "xx"), TermKey("Q2", "label", "xx")]
    w = snap("metawiki", {k: Term("t", side="metawiki") for k in keys} | {PT: Term("p", side="metawiki")})
    result = merge({}, snap("metabase", {}), w, MergeOptions(unaccepted_languages=frozenset({"xx"})))
    assert result.unaccepted_languages == ("xx",)
    assert [c.key for c in result.changes] == [PT]


def test_duplicates_never_synced() -> None:
    w = snap("metawiki", {PT: Term("p", side="metawiki"), TermKey("Q2", "label", "pt"): Term("q", side="metawiki")})
    result = merge({}, snap("metabase", {}), w, MergeOptions(duplicates=frozenset({"Q1"})))
    assert [c.key.qid for c in result.changes] == ["Q2"]
    assert result.skipped_duplicates == ("Q1",)


def test_qqq_and_excluded_languages_ignored() -> None:
    qqq, de = TermKey("Q1", "label", "qqq"), TermKey("Q1", "label", "de")
    w = snap("metawiki", {qqq: Term("doc", side="metawiki"), de: Term("d", side="metawiki"),
                          PT: Term("p", side="metawiki")})
    result = merge({}, snap("metabase", {}), w, MergeOptions(exclude_languages=frozenset({"de"})))
    assert [c.key for c in result.changes] == [PT]
    only_de = merge({}, snap("metabase", {}), w, MergeOptions(languages=frozenset({"de"})))
    assert [c.key for c in only_de.changes] == [de]


def test_decision_writes_both_sides_then_resolves() -> None:
    base = {PT: BaseTerm("a")}
    m = snap("metabase", {PT: Term("b", revision=3)})
    w = snap("metawiki", {PT: Term("c", side="metawiki", revision=4)})
    result = merge(base, m, w, MergeOptions(decisions={PT: Decision("d")}))
    assert sorted((c.target, c.new, c.expected) for c in result.changes) == [("metabase", "d", "b"),
                                                                            ("metawiki", "d", "c")]
    assert result.conflicts == ()
    done = merge(base, snap("metabase", {PT: Term("d")}), snap("metawiki", {PT: Term("d", side="metawiki")}),
                 MergeOptions(decisions={PT: Decision("d")}))
    assert done.changes == () and done.resolved == (PT,) and done.base_updates[PT].text == "d"


def test_changes_carry_guards() -> None:
    result = run("a", "a", "b")
    change = result.changes[0]
    assert (change.item, change.base_revision, change.expected) == ("Q101", 5, "a")
    result = run("a", "b", "a")
    change = result.changes[0]
    assert (change.base_revision, change.base_timestamp, change.expected) == (9, "2025-12-01T00:00:00Z", "a")


# -- convergence: apply what the merge says, merge again: nothing left but the same conflicts -------------
VALUES = st.sampled_from([None, "a", "b", "c"])
LANGS = ("en", "pt", "de")


@st.composite
def worlds(draw):
    base, m, w = {}, {}, {}
    for qid in ("Q1", "Q2"):
        for lang in LANGS:
            key = TermKey(qid, "label", lang)
            if draw(st.booleans()):
                base[key] = BaseTerm(draw(VALUES))
            mv, wv = draw(VALUES), draw(VALUES)
            if mv is not None:
                m[key] = Term(mv, revision=1)
            if wv is not None:
                w[key] = Term(wv, side="metawiki", fuzzy=lang != "en" and draw(st.booleans()), revision=2)
    return base, m, w, draw(st.sampled_from(["conflict", "metabase", "metawiki"])), \
        draw(st.sampled_from(["propagate", "conflict"]))


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_merge_converges(world) -> None:
    base, m, w, first, deletions = world
    opts = MergeOptions(first_contact=first, deletions=deletions)
    result = merge(base, snap("metabase", m), snap("metawiki", w), opts)
    m2, w2 = dict(m), dict(w)
    new_base = {**base, **{k: v for k, v in result.base_updates.items() if v is not None}}
    for c in result.changes:
        side = m2 if c.target == "metabase" else w2
        if c.new is None:
            side.pop(c.key, None)
        else:
            side[c.key] = Term(c.new, side=c.target)
        new_base[c.key] = BaseTerm(c.new)
    # no term both changed and conflicted
    assert not {c.key for c in result.changes} & {c.key for c in result.conflicts}
    # the next run sees the inbox (sticky conflicts stay until a human acts) and a completed first sync
    inbox = {c.key: c.reason for c in result.conflicts if c.sticky}
    again = merge(new_base, snap("metabase", m2), snap("metawiki", w2),
                  dataclasses.replace(opts, open_conflicts=inbox, established=True))
    assert again.changes == ()
    assert {c.key for c in again.conflicts} == {c.key for c in result.conflicts}
    # fuzzy text never reaches metabase
    for c in result.changes:
        if c.target == "metabase" and c.new is not None:
            src = w.get(c.key)
            assert src is not None and not src.fuzzy


def test_source_value_missing_from_bundle_is_restored_not_deleted_on_metabase() -> None:
    result = run("One", "One", None, key=EN)
    assert [(c.target, c.action, c.new, c.reason) for c in result.changes] == [
        ("bundle", "set", "One", "missing from the bundle")]
