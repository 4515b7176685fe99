"""Apply against in-memory fake wikis: guards, grouping, journal/resume, faults, bad input."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from capxl10n.engine import sync as sync_mod
from capxl10n.engine.apply import Writers
from capxl10n.errors import (EXIT_CONFLICTS, EXIT_OK, EXIT_PARTIAL, AuthError, MaxlagError, StateError,
                             UsageError)
from capxl10n.core.model import TermKey
from capxl10n.core.plan import dumps, loads
from capxl10n.profile import load_profile
from capxl10n.engine.state import open_state
from plugins.fake_clients import FakeWikis, fail_n_times, seeded


class Crash(BaseException):
    """Stands in for kill -9: nothing after it runs (not even except-Exception handlers)."""


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for site in ("METABASE", "METAWIKI"):
        monkeypatch.setenv(f"CAPXL10N_{site}_USER", "CapxBot@capxl10n")
        monkeypatch.setenv(f"CAPXL10N_{site}_PASSWORD", "sandbox-bot-password-0123456789abcdef")
    return load_profile("sandbox").with_paths(state=tmp_path / "state.sqlite", catalogs=tmp_path / "catalogs")


def run(profile, wikis: FakeWikis, *, dry_run: bool = False):
    return sync_mod.sync(profile, dry_run=dry_run, reader=lambda p, s: wikis.read(),
                         writers=lambda p: Writers(wikis.metabase, wikis.metawiki, lambda: wikis.requests))


def make_plan(profile, wikis: FakeWikis):
    return sync_mod.plan(profile, reader=lambda p, s: wikis.read()).plan


def do_apply(profile, wikis: FakeWikis, plan):
    return sync_mod.apply(profile, plan, writers=Writers(wikis.metabase, wikis.metawiki, lambda: wikis.requests))


@pytest.fixture
def synced(profile):
    wikis = seeded()
    assert run(profile, wikis).exit_code == EXIT_OK  # first contact: all agree, base recorded
    assert wikis.write_count() == 0
    return wikis


def test_first_sync_then_noop(profile, synced) -> None:
    with open_state(profile.state) as state:
        assert len(state.load_base()) == 3 * 4
    again = run(profile, synced)
    assert again.exit_code == EXIT_OK and again.applied is None and synced.write_count() == 0


def test_one_item_one_request_for_many_languages(profile, synced) -> None:
    for lang in ("fr", "es", "it"):
        synced.human_unit("Q1", "label", lang, f"one-{lang}")
    synced.human_unit("Q1", "description", "fr", "desc-fr")
    outcome = run(profile, synced)
    assert outcome.exit_code == EXIT_OK
    assert synced.writes == [("wbeditentity", "Q101")]
    assert synced.items["Q101"].terms[("label", "es")] == "one-es"
    assert run(profile, synced).planned.plan.operations == ()


def test_guard_same_term_changed_between_plan_and_apply(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    plan = make_plan(profile, synced)
    synced.human_metabase("Q1", "label", "de", "Anders")  # the concurrent editor
    outcome = do_apply(profile, synced, plan)
    assert outcome.exit_code == EXIT_CONFLICTS
    assert synced.items["Q101"].terms[("label", "de")] == "Anders"  # not overwritten
    assert synced.write_count() == 0
    with open_state(profile.state) as state:
        (c,) = state.conflicts()
        assert c.key == TermKey("Q1", "label", "de") and c.metabase.text == "Anders"


def test_edit_conflict_on_other_term_of_same_item_is_patched(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    plan = make_plan(profile, synced)
    synced.human_metabase("Q1", "label", "pt-br", "outro")  # another term of the same item
    outcome = do_apply(profile, synced, plan)
    assert outcome.exit_code == EXIT_OK
    assert synced.items["Q101"].terms[("label", "de")] == "Neu"
    assert synced.items["Q101"].terms[("label", "pt-br")] == "outro"


def test_target_already_holds_new_value_completes_without_write(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    plan = make_plan(profile, synced)
    synced.human_metabase("Q1", "label", "de", "Neu")  # someone did it by hand meanwhile
    outcome = do_apply(profile, synced, plan)
    assert outcome.exit_code == EXIT_OK and synced.write_count() == 0
    assert outcome.result.done == ["metabase:Q1-label/de"] and outcome.result.written == []


def _crash_after(wikis: FakeWikis, n: int, *, before_request: bool) -> None:
    """Crash on the n-th write: before it reaches the wiki, or right after the wiki stored it."""
    count = [0]
    if before_request:
        def hook(kind: str, target: str) -> None:
            count[0] += 1
            if count[0] == n:
                raise Crash()
        wikis.before_write = hook
        return
    for client, names in ((wikis.metabase, ("edit_item",)), (wikis.metawiki, ("save_unit", "save_bundle"))):
        for name in names:
            original = getattr(client, name)

            def wrapped(*a, _original=original, **kw):
                result = _original(*a, **kw)
                count[0] += 1
                if count[0] == n:
                    raise Crash()
                return result
            setattr(client, name, wrapped)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("before_request", [True, False])
def test_crash_then_rerun_converges_without_duplicate_writes(profile, synced, n, before_request) -> None:
    synced.human_bundle({**synced.bundle, "Q1-label": "Skill one"})  # English change: bundle → Metabase
    for q in ("Q1", "Q2", "Q3"):
        synced.human_metabase(q, "description", "de", f"Beschreibung {q}")  # → 3 unit pages
    synced.human_unit("Q2", "label", "fr", "deux")  # → Q102
    plan = make_plan(profile, synced)
    groups = len({op.group for op in plan.operations})
    assert groups == 5
    _crash_after(synced, n, before_request=before_request)
    with pytest.raises(Crash):
        do_apply(profile, synced, plan)
    synced.before_write = None
    synced.metabase, synced.metawiki = type(synced.metabase)(synced), type(synced.metawiki)(synced)
    outcome = do_apply(profile, synced, loads(dumps(plan)))
    assert outcome.exit_code == EXIT_OK and outcome.result.resumed
    assert len(synced.writes) == groups == len(set(synced.writes))  # every target written exactly once
    assert synced.items["Q101"].terms[("label", "en")] == "Skill one"
    assert run(profile, synced).planned.plan.operations == ()


def test_maxlag_storm_partial_then_resume(profile, synced) -> None:
    synced.human_unit("Q1", "label", "fr", "un")
    synced.human_metabase("Q2", "label", "de", "Zwei!")
    fail_n_times(synced, 1, lambda: MaxlagError("lagged", code="maxlag", site="metabase"))
    first = run(profile, synced)
    assert first.exit_code == EXIT_PARTIAL and len(first.applied.result.failed) == 1
    synced.before_write = None
    second = run(profile, synced)
    assert second.exit_code == EXIT_OK
    assert synced.items["Q101"].terms[("label", "fr")] == "un"
    assert synced.units[TermKey("Q2", "label", "de")].text == "Zwei!"
    assert run(profile, synced).planned.plan.operations == ()


def test_missing_credentials_nothing_written(profile, synced, monkeypatch) -> None:
    synced.human_unit("Q1", "label", "fr", "un")
    plan = make_plan(profile, synced)
    monkeypatch.delenv("CAPXL10N_METABASE_PASSWORD")
    with pytest.raises(AuthError, match="CAPXL10N_METABASE_PASSWORD"):
        do_apply(profile, synced, plan)
    assert synced.write_count() == 0 and synced.requests == 3 + 3  # only the two reads


def test_plan_for_another_profile_refused(profile, synced) -> None:
    synced.human_unit("Q1", "label", "fr", "un")
    plan = make_plan(profile, synced)
    foreign = dataclasses.replace(plan, profile="production")  # made for another profile, not edited by hand
    with pytest.raises(UsageError, match="production"):
        do_apply(profile, synced, foreign)
    assert synced.write_count() == 0


def test_stale_plan_after_another_apply_refused(profile, synced) -> None:
    synced.human_unit("Q1", "label", "fr", "un")
    old = make_plan(profile, synced)
    synced.human_unit("Q2", "label", "fr", "deux")
    run(profile, synced)
    writes = synced.write_count()
    with pytest.raises(StateError, match="stale plan"):
        do_apply(profile, synced, old)
    assert synced.write_count() == writes


def test_stale_plan_whose_targets_all_moved_writes_nothing(profile, synced) -> None:
    for q in ("Q1", "Q2"):
        synced.human_unit(q, "label", "de", f"neu {q}")
    plan = make_plan(profile, synced)
    for q in ("Q1", "Q2"):
        synced.human_metabase(q, "label", "de", f"anders {q}")
    outcome = do_apply(profile, synced, plan)
    assert outcome.exit_code == EXIT_CONFLICTS and synced.write_count() == 0
    assert len(outcome.result.conflicts) == 2


def test_refused_value_becomes_conflict_and_rest_proceeds(profile, synced) -> None:
    synced.human_unit("Q1", "label", "fr", "x" * 300)  # Metabase refuses > 250
    synced.human_unit("Q1", "label", "es", "uno")
    outcome = run(profile, synced)
    assert outcome.exit_code == EXIT_CONFLICTS
    assert synced.items["Q101"].terms[("label", "es")] == "uno"
    assert ("label", "fr") not in synced.items["Q101"].terms


def test_deletion_without_delete_right_marks_outdated_and_stays_deleted(profile, synced) -> None:
    synced.human_metabase("Q1", "label", "de", None)
    assert run(profile, synced).exit_code == EXIT_OK
    unit = synced.units[TermKey("Q1", "label", "de")]
    assert unit.fuzzy  # no delete right on Meta-Wiki: outdated instead
    for _ in range(2):
        assert run(profile, synced).planned.plan.operations == ()
    assert ("label", "de") not in synced.items["Q101"].terms


def test_deletion_on_metawiki_stays_deleted(profile, synced) -> None:
    synced.human_unit("Q2", "label", "pt-br", None)
    assert run(profile, synced).exit_code == EXIT_OK
    for _ in range(2):
        assert run(profile, synced).planned.plan.operations == ()
    assert ("label", "pt-br") not in synced.items["Q102"].terms
    assert TermKey("Q2", "label", "pt-br") not in synced.units


def test_english_change_fuzzy_not_copied_back(profile, synced) -> None:
    synced.human_metabase("Q1", "label", "en", "Skill one, renamed")
    assert run(profile, synced).exit_code == EXIT_OK
    assert synced.bundle["Q1-label"] == "Skill one, renamed"
    assert synced.units[TermKey("Q1", "label", "de")].fuzzy
    synced.human_unit("Q1", "label", "de", "veraltet geändert", fuzzy=True)
    again = run(profile, synced)
    assert again.planned.plan.operations == ()
    assert synced.items["Q101"].terms[("label", "de")] == "Skill 1 [de]"


def test_dry_run_writes_nothing_and_records_nothing(profile, synced) -> None:
    synced.human_unit("Q1", "label", "fr", "un")
    with open_state(profile.state) as state:
        runs, generation = len(state.runs()), state.base_generation
    outcome = run(profile, synced, dry_run=True)
    assert outcome.exit_code == 4 and synced.write_count() == 0
    with open_state(profile.state) as state:
        assert len(state.runs()) == runs and state.base_generation == generation


def test_reapplying_a_done_plan_is_a_noop(profile, synced) -> None:
    synced.human_unit("Q1", "label", "fr", "un")
    plan = make_plan(profile, synced)
    assert do_apply(profile, synced, plan).exit_code == EXIT_OK
    writes = synced.write_count()
    synced.human_unit("Q1", "label", "fr", "changed later")
    run(profile, synced)
    again = do_apply(profile, synced, plan)
    assert again.result.written == [] and synced.write_count() == writes + 1
    with open_state(profile.state) as state:
        assert state.load_base()[TermKey("Q1", "label", "fr")].text == "changed later"


def test_catalogs_failure_is_an_error_but_the_base_moves(profile, synced, tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the catalogs directory should be")
    broken = profile.with_paths(catalogs=blocker)
    synced.human_unit("Q1", "label", "fr", "un")
    outcome = run(broken, synced)
    assert outcome.exit_code == 1 and "error" in outcome.applied.catalogs
    with open_state(profile.state) as state:
        assert state.load_base()[TermKey("Q1", "label", "fr")].text == "un"
        assert state.runs()[0]["exit_code"] == 1
    assert run(profile, synced).exit_code == EXIT_OK  # nothing to write, but the catalogs catch up
    assert (profile.catalogs / "capacities.pot").is_file()


def test_a_translation_saved_just_before_our_english_write_is_one_of_the_older_english(profile, synced) -> None:
    """A human saves a German label on the item right before our decided English lands on it; Wikibase patches
    our write over that edit, and its answer shows the plan's base plus our change (R), not the German. What the
    item held once our English landed is read from our stored revision, so that German translates the older
    English: saved outdated on Meta-Wiki even after another term of the item is edited (found by the long
    profile, seed AJ: I5b; the German was taken for newer than the English and copied current)."""
    from capxl10n.engine.conflicts import resolve

    de = TermKey("Q1", "label", "de")
    synced.human_metabase("Q1", "label", "en", None)
    assert run(profile, synced).exit_code == EXIT_CONFLICTS
    with open_state(profile.state) as state:
        resolve(state, TermKey("Q1", "label", "en"), text="Skill one, decided")

    def human_first(kind: str, target: str) -> None:
        if kind == "wbeditentity" and target == "Q101":
            synced.before_write = None
            synced.human_metabase("Q1", "label", "de", "Neu vor dem Englisch")

    synced.before_write = human_first
    outcome = run(profile, synced)
    assert outcome.exit_code == EXIT_OK and synced.items["Q101"].terms[("label", "en")] == "Skill one, decided"
    assert outcome.applied.result.translations_left, "the patched English write's revision was read"
    synced.human_metabase("Q1", "description", "de", "Eine Beschreibung")  # the item moves on
    assert run(profile, synced).exit_code == EXIT_OK
    assert synced.units[de].text == "Neu vor dem Englisch" and synced.units[de].fuzzy
