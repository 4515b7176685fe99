"""Issue 16's failure classes of the merge, one readable regression each (pure: no wiki).

Each test states the history that used to lose, resurrect or freeze a
translation and what the merge must do instead. The same classes are walked
end to end on the sandbox in tests/engine/test_sync_regressions.py and at random by
tests/history/test_history.py.
"""
from __future__ import annotations

from capxl10n.core.merge import NO_ENGLISH, NO_UNIT, BaseTerm, Decision, MergeOptions, MergeResult, merge
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey

CAPS = (Capacity("Q1", item="Q101"), Capacity("Q2", item="Q102"))
PT = TermKey("Q1", "label", "pt")
DE = TermKey("Q1", "label", "de")
EN = TermKey("Q1", "label", "en")
OTHER = TermKey("Q2", "label", "de")
BUNDLE = frozenset({"Q1-label", "Q1-description", "Q2-label", "Q2-description"})


def mb(**terms: str | None) -> dict[TermKey, Term]:
    return {_key(name): Term(text, revision=5) for name, text in terms.items() if text is not None}


def mw(fuzzy: tuple[str, ...] = (), **terms: str | None) -> dict[TermKey, Term]:
    return {_key(name): Term(text, side="metawiki", fuzzy=name in fuzzy, revision=9)
            for name, text in terms.items() if text is not None}


def _key(name: str) -> TermKey:
    return {"pt": PT, "de": DE, "en": EN, "other": OTHER}[name]


def run(base: dict[TermKey, BaseTerm], m: dict[TermKey, Term], w: dict[TermKey, Term],
        **opts: object) -> MergeResult:
    base = {OTHER: BaseTerm("x"), **base}
    m = {OTHER: Term("x", revision=5), **m}
    w = {OTHER: Term("x", side="metawiki", revision=6), **w}
    options = MergeOptions(**{"established": True, "bundle_keys": BUNDLE, **opts})  # type: ignore[arg-type]
    return merge(base, Snapshot("metabase", CAPS, m), Snapshot("metawiki", CAPS, w), options)


def writes(result: MergeResult) -> list[tuple[str, str, str | None]]:
    return [(c.target, c.key.lang, c.new) for c in result.changes]


def test_class1_english_change_does_not_close_an_open_conflict() -> None:
    """Open conflict on pt; the English changes, Translate outdates the unit: still a conflict, nothing written."""
    open_ = {PT: "changed differently on both sides"}
    result = run({PT: BaseTerm("a")}, mb(pt="m"), mw(pt="w", fuzzy=("pt",)), open_conflicts=open_)
    assert writes(result) == []
    assert [(c.key, c.reason) for c in result.conflicts] == [(PT, "changed differently on both sides")]
    assert result.conflicts[0].metawiki is not None and result.conflicts[0].metawiki.fuzzy


def test_class1_variant_metabase_deletion_in_conflict_never_outdates_metawiki() -> None:
    open_ = {PT: "changed differently on both sides"}
    result = run({PT: BaseTerm("a")}, mb(pt=None), mw(pt="w", fuzzy=("pt",)), open_conflicts=open_)
    assert writes(result) == [] and len(result.conflicts) == 1


def test_class1_without_inbox_outdated_translator_text_is_not_overwritten() -> None:
    """A translator's own text (not the base) got outdated while Metabase changed: a conflict, not a loss."""
    result = run({PT: BaseTerm("a")}, mb(pt="m"), mw(pt="w", fuzzy=("pt",)))
    assert writes(result) == [] and [c.key for c in result.conflicts] == [PT]


def test_outdated_base_text_is_replaced_by_a_metabase_change() -> None:
    result = run({PT: BaseTerm("a")}, mb(pt="m"), mw(pt="a", fuzzy=("pt",)))
    assert writes(result) == [("metawiki", "pt", "m")]


def test_class2_decision_is_stale_after_a_later_edit() -> None:
    """Decided 'take metawiki' on (m, w); then a human corrected Metabase to m2: conflict again, m2 shown."""
    decision = Decision("w", "take metawiki", basis=("m", "w"))
    result = run({PT: BaseTerm("a")}, mb(pt="m2"), mw(pt="w"), decisions={PT: decision})
    assert writes(result) == []
    assert result.stale_decisions == (PT,)
    conflict, = result.conflicts
    assert conflict.metabase is not None and conflict.metabase.text == "m2"
    assert "metabase edited after the decision" in conflict.reason


def test_class2_decision_partly_applied_is_not_stale() -> None:
    """Our own write of the decided text is not a 'later edit': the other side is still written."""
    decision = Decision("w", "take metawiki", basis=("m", "w"))
    result = run({PT: BaseTerm("a")}, mb(pt="w"), mw(pt="w"), decisions={PT: decision})
    assert result.stale_decisions == () and result.resolved == (PT,)
    decision = Decision("d", "manual", basis=("m", "w"))
    half = run({PT: BaseTerm("a")}, mb(pt="d"), mw(pt="w"), decisions={PT: decision})
    assert writes(half) == [("metawiki", "pt", "d")] and half.stale_decisions == ()


def test_class2_a_side_put_back_after_our_write_of_the_decision_is_a_later_edit() -> None:
    """Once our write of the decision landed on Metabase (the apply then died), Metabase holding the value the
    decision was made on again means a human undid our write: stale, not written once more."""
    decision = Decision("d", "manual", basis=(None, "w")).written_on({"metabase"})
    assert decision.basis == ("d", "w")
    undone = run({PT: BaseTerm("a")}, mb(), mw(pt="w"), decisions={PT: decision})
    assert writes(undone) == [] and undone.stale_decisions == (PT,) and [c.key for c in undone.conflicts] == [PT]
    untouched = run({PT: BaseTerm("a")}, mb(pt="d"), mw(pt="w"), decisions={PT: decision})
    assert writes(untouched) == [("metawiki", "pt", "d")] and untouched.stale_decisions == ()


def test_class2_a_decision_made_with_no_english_is_saved_outdated_under_any_english() -> None:
    """Decided while the capacity's English was agreed absent: whatever English the bundle holds when it is
    written, the decided text does not translate it (an unrecorded English, None, stays trusted as before)."""
    for english, outdated in ((NO_ENGLISH, True), (None, False), ("One", False), ("Old", True)):
        decision = Decision("d", "manual", basis=("m", "w"), english=english)
        result = run({PT: BaseTerm("a"), EN: BaseTerm("One")}, mb(pt="d", en="One"), mw(pt="w", en="One"),
                     decisions={PT: decision})
        (change,) = result.changes
        assert (change.target, change.new, change.outdated) == ("metawiki", "d", outdated), english


def test_class3_english_deletion_is_a_conflict_and_keeps_the_bundle_key() -> None:
    result = run({EN: BaseTerm("One"), PT: BaseTerm("Um")}, mb(en=None, pt="Um"), mw(en="One", pt="Um"))
    assert writes(result) == []
    assert [(c.key, c.reason.split(";")[0]) for c in result.conflicts] == [(EN, "English deleted on metabase")]


def test_class3_a_decision_never_deletes_english() -> None:
    result = run({EN: BaseTerm("One")}, mb(en=None), mw(en="One"),
                 decisions={EN: Decision(None, "take metabase", basis=(None, "One"))})
    assert writes(result) == [] and result.stale_decisions == (EN,)


def test_class3_units_hidden_by_a_missing_key_are_not_deletions() -> None:
    """The key left the bundle (English gone on both sides): Translate hides its units; nothing is deleted."""
    result = run({EN: BaseTerm(None), PT: BaseTerm("Um")}, mb(pt="Um"), mw(),
                 bundle_keys=BUNDLE - {"Q1-label"})
    assert writes(result) == [] and result.conflicts == ()
    assert result.unlisted_keys == ("Q1-label",)
    later = run({EN: BaseTerm(None), PT: BaseTerm("Um")}, mb(pt="Um", de="Eins"), mw(),
                bundle_keys=BUNDLE - {"Q1-label"})
    assert writes(later) == []  # a new translation of a key the bundle lacks waits (no tpt-unknown-page)


def test_class4_key_removed_by_hand_is_restored_and_its_translations_kept() -> None:
    result = run({EN: BaseTerm("One"), PT: BaseTerm("Um")}, mb(en="One", pt="Um"), mw(),
                 bundle_keys=BUNDLE - {"Q1-label"})
    assert writes(result) == [("bundle", "en", "One")]
    assert result.restored_keys == ("Q1-label",) and result.unlisted_keys == ()


def test_new_capacity_keys_and_their_translations_go_in_one_plan() -> None:
    result = run({}, mb(en="One", pt="Um"), mw(), bundle_keys=BUNDLE - {"Q1-label"})
    assert writes(result) == [("bundle", "en", "One"), ("metawiki", "pt", "Um")]


def test_class5_new_metabase_translation_replaces_an_outdated_unit_without_base() -> None:
    """A sync that sees an outdated unit and nothing current records the term agreed absent; a Metabase
    translation added later replaces the outdated unit (the sides do not stay different for ever)."""
    seen = run({}, mb(), mw(pt="velho", fuzzy=("pt",)))
    assert writes(seen) == [] and seen.conflicts == ()
    agreed_absent = seen.base_updates[PT]
    assert agreed_absent.text is None and agreed_absent.metawiki_rev is not None  # the unit as it was seen
    result = run({PT: agreed_absent}, mb(pt="novo"), mw(pt="velho", fuzzy=("pt",)))
    assert writes(result) == [("metawiki", "pt", "novo")]
    resaved = run({PT: agreed_absent}, mb(pt="novo"), {PT: Term("meu", side="metawiki", fuzzy=True, revision=10)})
    assert writes(resaved) == [] and [c.key for c in resaved.conflicts] == [PT]  # a translator's outdated text


def test_found_by_histories_outdated_unit_and_metabase_value_both_new_since_the_last_sync_conflict() -> None:
    """No base row: nobody has seen either value. A translator's outdated text is theirs all the same, so a
    Metabase value new since the last sync does not replace it: two humans, a conflict."""
    result = run({}, mb(pt="novo"), mw(pt="velho", fuzzy=("pt",)))
    assert writes(result) == [] and [c.key for c in result.conflicts] == [PT]


def test_class6_deleting_one_side_of_an_open_conflict_keeps_it_open() -> None:
    for base in ({PT: BaseTerm("a")}, {PT: BaseTerm(None)}, {}):
        for m, w in (("m", None), (None, "w")):
            result = run(base, mb(pt=m), mw(pt=w), open_conflicts={PT: "changed differently on both sides"})
            assert writes(result) == [], (base, m, w)
            assert [c.key for c in result.conflicts] == [PT]


def test_class6_humans_settling_a_conflict_closes_it() -> None:
    result = run({PT: BaseTerm("a")}, mb(pt="same"), mw(pt="same"), open_conflicts={PT: "x"})
    assert result.conflicts == () and result.base_updates[PT].text == "same"
    gone = run({PT: BaseTerm("a")}, mb(), mw(), open_conflicts={PT: "x"})
    assert gone.conflicts == () and gone.base_updates[PT] == BaseTerm(None, metawiki_rev=NO_UNIT)


def test_class7_first_contact_current_against_outdated() -> None:
    """First contact: a current Metabase value and a different outdated unit never stay different silently."""
    for policy, expect in (("conflict", []), ("metawiki", []), ("metabase", [("metawiki", "pt", "m")])):
        result = merge({}, Snapshot("metabase", CAPS, mb(pt="m")),
                       Snapshot("metawiki", CAPS, mw(pt="z", fuzzy=("pt",))), MergeOptions(first_contact=policy))
        assert writes(result) == expect
        assert len(result.conflicts) == (0 if expect else 1)
        assert PT not in result.base_updates  # never an agreed text carrying the other side's fuzzy flag


def test_class9_first_contact_lasts_until_a_sync_completes() -> None:
    """An interrupted first sync left a partial base: the rest still follows the first-contact policy."""
    base = {DE: BaseTerm("agreed")}
    m = Snapshot("metabase", CAPS, mb(pt="m", de="agreed"))
    w = Snapshot("metawiki", CAPS, mw(pt="w", de="agreed"))
    result = merge(base, m, w, MergeOptions(first_contact="metabase", established=False))
    assert writes(result) == [("metawiki", "pt", "m")] and result.first_contact
    after = merge(base, m, w, MergeOptions(first_contact="metabase", established=True))
    assert writes(after) == [] and len(after.conflicts) == 1


def test_metabase_deletion_against_outdated_unit_keeps_the_unit() -> None:
    """Deleted on Metabase, outdated on Meta-Wiki: agreed absent; the outdated translation stays, unwritten."""
    result = run({PT: BaseTerm("a")}, mb(), mw(pt="a", fuzzy=("pt",)))
    unit = mw(pt="a", fuzzy=("pt",))[PT]
    assert writes(result) == [] and result.base_updates[PT] == BaseTerm(None, metawiki_rev=unit.revision)
    # A translator then confirms the unit: a Meta-Wiki change after the tombstone, copied to Metabase.
    confirmed = run({PT: BaseTerm(None)}, mb(), mw(pt="a"))
    assert writes(confirmed) == [("metabase", "pt", "a")]


def test_class11_a_value_a_wiki_would_alter_is_a_conflict_not_a_write() -> None:
    result = run({PT: BaseTerm("a")}, mb(pt="a"), mw(pt="bell\x07"))
    assert writes(result) == []
    conflict, = result.conflicts
    assert "not written" in conflict.reason and not conflict.sticky


def test_class3_resolving_english_by_deletion_is_refused(tmp_path) -> None:
    import pytest

    from capxl10n.engine.conflicts import resolve
    from capxl10n.errors import UsageError
    from capxl10n.core.merge import Conflict
    from capxl10n.engine.state import open_state

    with open_state(tmp_path / "s.sqlite") as state:
        state.record_conflicts([Conflict(EN, "One", True, None, Term("One", side="metawiki"), "English deleted")])
        with pytest.raises(UsageError, match="never deletes a capacity's English"):
            resolve(state, EN, take="metabase")
        assert state.decisions() == {}
        assert resolve(state, EN, take="metawiki").text == "One"


def test_found_by_histories_confirmation_of_an_outdated_unit_is_a_change() -> None:
    """Base agreed while the unit was outdated; a translator confirms it and Metabase changes: a conflict."""
    result = run({PT: BaseTerm("a", fuzzy=True)}, mb(pt="b"), mw(pt="a"))
    assert writes(result) == [] and [c.key for c in result.conflicts] == [PT]
    only_confirmed = run({PT: BaseTerm("a", fuzzy=True)}, mb(pt="a"), mw(pt="a"))
    assert only_confirmed.base_updates[PT] == BaseTerm("a", metabase_rev=5, metawiki_rev=9)


def test_found_by_histories_english_change_outdates_the_agreed_base_once_it_went_out(tmp_path) -> None:
    """The plan changes the English: its translations' base rows become outdated ones, but only once that
    English change is written (an apply stopped before it leaves them current, as Translate does)."""
    from capxl10n.core.plan import build_plan
    from capxl10n.engine.journal import JournalRow
    from capxl10n.engine.recover import outdated_messages
    from capxl10n.engine.state import open_state

    result = run({EN: BaseTerm("One"), PT: BaseTerm("a")}, mb(en="One!", pt="a", de="d"), mw(en="One", pt="a", de="d"))
    assert writes(result) == [("bundle", "en", "One!")]
    assert result.outdated_keys == ("Q1-label",)
    assert not result.base_updates[DE].fuzzy and PT not in result.base_updates  # not yet: nothing is written
    plan = build_plan(result, profile="t", bundle_page="Module:B.json", base_generation=0, fingerprints={},
                      notes={"outdated_keys": list(result.outdated_keys)})
    english = plan.operations[0]
    assert outdated_messages(plan, {}) == set()
    assert outdated_messages(plan, {english.id: JournalRow("done", 1, 7, None)}) == {"Q1-label"}
    with open_state(tmp_path / "s.sqlite") as state:
        state.update_base({EN: BaseTerm("One"), PT: BaseTerm("a"), DE: BaseTerm("d"), OTHER: BaseTerm("x")})
        state.outdate_translations({"Q1-label"})
        base = state.load_base()
    assert base[PT].fuzzy and base[DE].fuzzy and not base[EN].fuzzy and not base[OTHER].fuzzy


def test_found_by_histories_conflicts_of_hidden_keys_stay_in_the_inbox(tmp_path) -> None:
    """A hidden key's conflicts that wait for a human stay; a guard's, merged afresh each run, leaves (the long
    profile, seed AD: guard conflicts of a key hidden for good made every sync exit 3 until decided)."""
    from capxl10n.core.merge import Conflict
    from capxl10n.engine.state import open_state

    guard = Conflict(DE, None, False, Term("m"), Term("m", fuzzy=True, side="metawiki"),
                     "metawiki changed after the plan was made (guard)", sticky=False)
    first_contact = Conflict(OTHER, None, False, Term("m"), Term("w", side="metawiki"), "first contact",
                             sticky=False, first_contact=True)
    with open_state(tmp_path / "s.sqlite") as state:
        state.record_conflicts([Conflict(PT, "a", True, Term("m"), Term("w", side="metawiki"), "both"), guard,
                                first_contact])
        state.record_conflicts([], unexamined=("Q1-label", OTHER.message_key))
        assert [c.key for c in state.conflicts()] == sorted([PT, OTHER], key=TermKey.sort_key)
        state.record_conflicts([])
        assert state.conflicts() == []


def test_found_by_histories_every_added_key_is_read_again() -> None:
    """A key may have been removed by hand before we ever read it: after adding it, Meta-Wiki is read again."""
    result = run({}, mb(en="One", pt="Um"), mw(), bundle_keys=BUNDLE - {"Q1-label"})
    assert result.restored_keys == ("Q1-label",)


def test_found_by_histories_a_copy_made_with_an_english_change_goes_out_before_the_english() -> None:
    """The value predates the English this plan writes: the unit is written first, and the English change
    after it makes Translate outdate it; an apply stopped in between leaves it current for the old English."""
    from capxl10n.core.plan import build_plan

    result = merge({}, Snapshot("metabase", CAPS, {EN: Term("One!"), PT: Term("m")}),
                   Snapshot("metawiki", CAPS, {EN: Term("One", side="metawiki"), PT: Term("w", side="metawiki")}),
                   MergeOptions(first_contact="metabase", bundle_keys=BUNDLE))
    unit = next(c for c in result.changes if c.key == PT)
    assert unit.new == "m" and not unit.outdated
    plan = build_plan(result, profile="t", bundle_page="Module:B.json", base_generation=0, fingerprints={})
    assert [(op.target, op.key.lang) for op in plan.operations] == [("metawiki", "pt"), ("bundle", "en")]
    assert result.outdated_keys == ("Q1-label",)


def test_found_by_histories_keys_added_to_the_bundle_go_before_their_units() -> None:
    from capxl10n.core.plan import build_plan

    result = run({}, mb(en="One", pt="Um"), mw(), bundle_keys=BUNDLE - {"Q1-label"})
    plan = build_plan(result, profile="t", bundle_page="Module:B.json", base_generation=0, fingerprints={})
    assert plan.operations[0].target == "bundle" and not plan.operations[0].changes_english


def test_found_by_histories_a_key_put_back_is_an_english_change_once_it_went_out() -> None:
    """Translate outdates every unit of a key put back into the bundle, whatever its English: once the put-back
    is written, the item revision its English was read at is remembered, so a Metabase translation on an item
    not edited since (written before the put-back) replaces a hidden unit outdated, never current."""
    from capxl10n.core.plan import build_plan
    from capxl10n.engine.journal import JournalRow
    from capxl10n.engine.recover import english_revisions, put_back_messages

    m = {EN: Term("One", revision=5), PT: Term("Um", revision=5)}
    sides = {"metabase": Snapshot("metabase", CAPS, m), "metawiki": Snapshot("metawiki", CAPS, {})}
    result = merge({}, sides["metabase"], sides["metawiki"],
                   MergeOptions(first_contact="metabase", bundle_keys=BUNDLE - {"Q1-label"}))
    plan = build_plan(result, profile="t", bundle_page="Module:B.json", base_generation=0, fingerprints={},
                      notes={"restored_bundle_keys": list(result.restored_keys)}, sides=sides)
    put_back = next(op for op in plan.operations if op.target == "bundle")
    assert put_back_messages(plan, {}) == set() and english_revisions(plan, {}) == {}
    done = {put_back.id: JournalRow("done", 1, 7, None)}
    assert put_back_messages(plan, done) == {"Q1-label"}
    assert english_revisions(plan, done) == {"Q1-label": 5}
    description_en, description_de = TermKey("Q1", "description", "en"), TermKey("Q1", "description", "de")
    sides = {"metabase": Snapshot("metabase", CAPS, {**m, description_en: Term("Desc", revision=5)}),
             "metawiki": Snapshot("metawiki", CAPS, {description_en: Term("Desc", side="metawiki"),
                                                     description_de: Term("Beschreibung", side="metawiki")})}
    result = merge({}, sides["metabase"], sides["metawiki"],
                   MergeOptions(first_contact="metabase", bundle_keys=BUNDLE - {"Q1-label"}))
    plan = build_plan(result, profile="t", bundle_page="Module:B.json", base_generation=0, fingerprints={},
                      notes={"restored_bundle_keys": list(result.restored_keys)}, sides=sides)
    copy = next(op for op in plan.operations if op.target == "metabase" and op.key == description_de)
    put_back = next(op for op in plan.operations if op.target == "bundle")
    done_with_metabase = {put_back.id: JournalRow("done", 1, 7, None), copy.id: JournalRow("done", 1, 6, None)}
    # Our own write to the item (revision 6) moves its revision, not the age of its translations: Metabase's
    # translation still counts as written before the put-back; a message of an item we did not write keeps its own.
    assert english_revisions(plan, done_with_metabase) == {"Q1-label": 6}
    assert english_revisions(plan, done_with_metabase, {"Q1-description": 5, "Q2-label": 3}) == \
        {"Q1-label": 6, "Q1-description": 6}  # known at the revision the plan read: ours takes its place
    assert english_revisions(plan, done_with_metabase, {"Q1-description": 4}) == {"Q1-label": 6}  # edited since

    hidden_unit = {EN: Term("One", side="metawiki"), PT: Term("old", side="metawiki", fuzzy=True, revision=9)}
    later = merge({}, Snapshot("metabase", CAPS, m), Snapshot("metawiki", CAPS, hidden_unit),
                  MergeOptions(first_contact="metabase", bundle_keys=BUNDLE, first_contact_keys=frozenset({"Q1-label"}),
                               english_changed_at={"Q1-label": 5}, established=True))
    unit = next(c for c in later.changes if c.key == PT)
    assert (unit.new, unit.outdated) == ("Um", True)
    edited_since = {**m, PT: Term("Um!", revision=6)}
    later = merge({}, Snapshot("metabase", CAPS, edited_since), Snapshot("metawiki", CAPS, hidden_unit),
                  MergeOptions(first_contact="metabase", bundle_keys=BUNDLE, first_contact_keys=frozenset({"Q1-label"}),
                               english_changed_at={"Q1-label": 5}, established=True))
    unit = next(c for c in later.changes if c.key == PT)
    assert (unit.new, unit.outdated) == ("Um!", False)


def test_found_by_histories_a_translation_left_by_an_english_change_stays_older_whatever_else_of_the_item_moves(
) -> None:
    """The English change went out with Metabase's German as the plan read it (and as its own writes left
    it): that German predates the English even once a human edits another term of the item (its revision
    moves past the one remembered); a German written since is newer."""
    from capxl10n.core.plan import build_plan
    from capxl10n.engine.journal import JournalRow
    from capxl10n.engine.recover import english_translations
    from capxl10n.engine.sync import translations_of

    m = {EN: Term("One", revision=5), PT: Term("Um ", revision=5)}
    sides = {"metabase": Snapshot("metabase", CAPS, m), "metawiki": Snapshot("metawiki", CAPS, {})}
    result = merge({}, sides["metabase"], sides["metawiki"],
                   MergeOptions(first_contact="metabase", bundle_keys=BUNDLE - {"Q1-label"}))
    read = translations_of(sides["metabase"], result.restored_keys)
    assert read == {"Q1-label": {"pt": "Um"}}, "the translations read, normalised, English and qqq left out"
    plan = build_plan(result, profile="t", bundle_page="Module:B.json", base_generation=0, fingerprints={},
                      notes={"restored_bundle_keys": list(result.restored_keys), "english_translations": read},
                      sides=sides)
    put_back = next(op for op in plan.operations if op.target == "bundle")
    assert english_translations(plan, {}) == {}, "nothing went out"
    assert english_translations(plan, {put_back.id: JournalRow("done", 1, 7, None)}) == read

    def unit_from(metabase_pt: Term) -> tuple[str | None, bool]:
        later = merge({}, Snapshot("metabase", CAPS, {EN: Term("One", revision=9), PT: metabase_pt}),
                      Snapshot("metawiki", CAPS, {EN: Term("One", side="metawiki")}),
                      MergeOptions(first_contact="metabase", bundle_keys=BUNDLE, established=True,
                                   english_changed_at={"Q1-label": 5}, english_translations=read))
        change = next(c for c in later.changes if c.key == PT)
        return change.new, change.outdated

    assert unit_from(Term("Um", revision=9)) == ("Um", True), "another term's edit moved the item: still older"
    assert unit_from(Term("Um novo", revision=9)) == ("Um novo", False), "written since the English: current"


def test_found_by_histories_metabase_re_adds_after_a_deletion_shown_as_outdated() -> None:
    """Deleted on Metabase, carried to Meta-Wiki as an outdated unit; a human re-adds on Metabase: written."""
    unit = mw(pt="a", fuzzy=("pt",))
    for tombstone in (BaseTerm(None), BaseTerm(None, metawiki_rev=unit[PT].revision)):
        result = run({PT: tombstone}, mb(pt="again"), unit)
        assert writes(result) == [("metawiki", "pt", "again")] and result.conflicts == ()


def test_found_by_histories_an_outdated_unit_where_the_tombstone_saw_none_is_a_translators() -> None:
    """Agreed absent while no unit existed (a unit deleted, the deletion copied): an outdated unit found later
    was saved by somebody since; Metabase's new value meets it as a conflict, never replaces it."""
    result = run({PT: BaseTerm(None, metawiki_rev=NO_UNIT)}, mb(pt="again"), mw(pt="a", fuzzy=("pt",)))
    assert writes(result) == [] and [c.key for c in result.conflicts] == [PT]


def test_found_by_histories_confirming_the_outdated_unit_a_decision_saw_makes_it_stale() -> None:
    decision = Decision("m", "take metabase", basis=("m", "w"), basis_outdated=True)
    result = run({PT: BaseTerm("a")}, mb(pt="m"), mw(pt="w"), decisions={PT: decision})
    assert writes(result) == [] and result.stale_decisions == (PT,)
    still_outdated = run({PT: BaseTerm("a")}, mb(pt="m"), mw(pt="w", fuzzy=("pt",)), decisions={PT: decision})
    assert writes(still_outdated) == [("metawiki", "pt", "m")]


def test_found_by_histories_a_key_hidden_from_the_first_sync_is_still_a_first_contact() -> None:
    """After the first sync, a key whose units it could not see is still met for the first time: the
    first-contact policy decides its translations, every other term is established."""
    both = {"m": mb(pt="novo"), "w": mw(pt="velho")}
    pending = run({}, both["m"], both["w"], first_contact="metabase", first_contact_keys=frozenset({"Q1-label"}))
    assert writes(pending) == [("metawiki", "pt", "novo")]
    settled = run({}, both["m"], both["w"], first_contact="metabase")
    assert writes(settled) == [] and [c.key for c in settled.conflicts] == [PT]


def test_state_keeps_hidden_keys_a_first_contact_until_examined(tmp_path) -> None:
    from capxl10n.engine.state import open_state

    with open_state(tmp_path / "s.sqlite") as state:
        state.mark_established({"Q1-label"})
        assert state.established and state.first_contact_keys() == {"Q1-label"}
        state.mark_established({"Q1-label", "Q2-label"})  # already established: nothing new becomes pending
        assert state.first_contact_keys() == {"Q1-label"}
        state.mark_established()  # a run that saw Q1-label's units
        assert state.first_contact_keys() == frozenset()


def test_found_by_histories_our_english_change_outdates_the_unit_a_decision_saw(tmp_path) -> None:
    """A conflict recorded on a current unit, then our English change outdates that unit: a translator
    re-saving it is a confirmation, an edit the decision never saw, so the decision goes stale."""
    from capxl10n.core.merge import Conflict
    from capxl10n.engine.state import open_state

    with open_state(tmp_path / "s.sqlite") as state:
        state.record_conflicts([Conflict(PT, None, False, Term("a"), Term("d", side="metawiki"), "both changed"),
                                Conflict(DE, None, False, Term("x"), Term("y", side="metawiki"), "both changed")])
        state.decide(PT, Decision("a", "take metabase"))
        state.outdate_translations({"Q1-label"})
        conflicts = {c.key: c for c in state.conflicts()}
        decision = state.decisions()[PT]
    assert conflicts[DE].metawiki is not None and conflicts[DE].metawiki.fuzzy
    assert decision.basis == ("a", "d") and decision.basis_outdated
    result = run({}, mb(pt="a"), mw(pt="d"), decisions={PT: decision})  # the unit confirmed: current again
    assert writes(result) == [] and result.stale_decisions == (PT,)


# -- Wikibase's pair rules, checked on Metabase as the plan leaves it (issue 19's checks) ----------------------
PT_DESC = TermKey("Q1", "description", "pt")
Q2_PT, Q2_PT_DESC = TermKey("Q2", "label", "pt"), TermKey("Q2", "description", "pt")


def test_a_label_made_equal_to_its_description_is_not_written_but_kept_for_a_human() -> None:
    base = {PT: BaseTerm("Nome"), PT_DESC: BaseTerm("Texto")}
    result = run(base, {PT: Term("Nome", revision=5), PT_DESC: Term("Texto", revision=5)},
                 {PT: Term("Texto", side="metawiki", revision=9), PT_DESC: Term("Texto", side="metawiki", revision=9)})
    assert writes(result) == []
    (conflict,) = result.conflicts
    assert conflict.key == PT and "label-equals-description" in conflict.reason and conflict.sticky


def test_a_plan_that_also_changes_the_description_writes_the_label() -> None:
    """Judged on the end state: the description that would equal the label goes away in the same plan."""
    base = {PT: BaseTerm("Nome"), PT_DESC: BaseTerm("Texto")}
    result = run(base, {PT: Term("Nome", revision=5), PT_DESC: Term("Texto", revision=5)},
                 {PT: Term("Texto", side="metawiki", revision=9), PT_DESC: Term("Outro", side="metawiki", revision=9)})
    assert sorted(writes(result)) == [("metabase", "pt", "Outro"), ("metabase", "pt", "Texto")]
    assert result.conflicts == ()


def test_a_pair_another_capacity_holds_is_not_written() -> None:
    base = {PT: BaseTerm("Nome"), PT_DESC: BaseTerm("Texto"), Q2_PT: BaseTerm("Igual"), Q2_PT_DESC: BaseTerm("Par")}
    m = {PT: Term("Nome", revision=5), PT_DESC: Term("Texto", revision=5), Q2_PT: Term("Igual", revision=6),
         Q2_PT_DESC: Term("Par", revision=6)}
    w = {PT: Term("Igual", side="metawiki", revision=9), PT_DESC: Term("Par", side="metawiki", revision=9),
         Q2_PT: Term("Igual", side="metawiki", revision=9), Q2_PT_DESC: Term("Par", side="metawiki", revision=9)}
    result = run(base, m, w)
    refused = {c.key for c in result.conflicts}
    assert ("metabase", "pt", "Igual") not in writes(result) and PT in refused
    assert all("label-description-conflict" in c.reason for c in result.conflicts if c.key == PT)


def test_a_decision_whose_text_equals_the_description_is_forgotten_and_asked_again() -> None:
    base = {PT_DESC: BaseTerm("Texto")}
    m = {PT: Term("A", revision=5), PT_DESC: Term("Texto", revision=5)}
    w = {PT: Term("B", side="metawiki", revision=9), PT_DESC: Term("Texto", side="metawiki", revision=9)}
    result = run(base, m, w, decisions={PT: Decision("Texto", "manual", basis=("A", "B"))})
    assert writes(result) == [] and result.stale_decisions == (PT,)
    assert "decided text is not written" in result.conflicts[0].reason


def test_a_metabase_translation_older_than_its_english_is_copied_outdated() -> None:
    """The state remembers the item revision at which the English our last change sent was on Metabase: a
    translation on an item not edited since translates the older English, whoever wins."""
    english_at = {"Q1-label": 5}
    first = run({}, mb(pt="Velho"), mw(pt="Novo"), established=False, first_contact="metabase",
                english_changed_at=english_at)
    (change,) = first.changes
    assert (change.target, change.new, change.outdated) == ("metawiki", "Velho", True)
    edited_since = run({}, {PT: Term("Velho", revision=6)}, mw(pt="Novo"), established=False,
                       first_contact="metabase", english_changed_at=english_at)
    assert [(c.new, c.outdated) for c in edited_since.changes] == [("Velho", False)]
    outdated_unit = run({PT: BaseTerm("a", fuzzy=True)}, mb(pt="Velho"), mw(pt="a", fuzzy=("pt",)),
                        english_changed_at=english_at)
    assert [(c.new, c.outdated) for c in outdated_unit.changes] == [("Velho", True)]
