"""Issue 16, classes 12 and 13: a killed run's writes are recognised; a stale source is never copied.

Class 12: a write that landed but was never journaled ``done`` (SIGKILL, or a network
error after the request went out) is found by its plan's tag in the page history; the
base then moves as if the run had finished, so what humans do next is merged against
what we really wrote. Class 13: a copy is skipped when its source changed after the plan.

Unit tests use the in-memory fakes (a kill is a BaseException raised right after the
fake wiki stored the write, with apply's ``_finish`` switched off as SIGKILL would);
the sandbox tests kill a real ``capxl10n sync`` subprocess from inside the sandbox,
right after it stored the write and before it answers.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from capxl10n.engine import apply as apply_mod
from capxl10n.engine import sync as sync_mod
from capxl10n.engine.apply import Writers
from capxl10n.errors import EXIT_CONFLICTS, EXIT_OK, EXIT_PENDING, NetworkError, StateError
from capxl10n.core.model import TermKey
from capxl10n.core.plan import dumps, loads
from capxl10n.profile import load_profile
from capxl10n.engine.recover import recover_interrupted
from capxl10n.engine.state import open_state
from plugins.fake_clients import FakeWikis, seeded
from plugins.world import BUNDLE, REPO, World

DE = TermKey("Q1", "label", "de")


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs (not even except-Exception handlers)."""


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for site in ("METABASE", "METAWIKI"):
        monkeypatch.setenv(f"CAPXL10N_{site}_USER", "CapxBot@capxl10n")
        monkeypatch.setenv(f"CAPXL10N_{site}_PASSWORD", "sandbox-bot-password-0123456789abcdef")
    return load_profile("sandbox").with_paths(state=tmp_path / "state.sqlite", catalogs=tmp_path / "catalogs")


def writers(wikis: FakeWikis) -> Writers:
    return Writers(wikis.metabase, wikis.metawiki, lambda: wikis.requests)


def run(profile: Any, wikis: FakeWikis) -> Any:
    return sync_mod.sync(profile, reader=lambda p, s: wikis.read(), writers=lambda p: writers(wikis),
                         rebuild_catalogs=False)


def make_plan(profile: Any, wikis: FakeWikis) -> Any:
    return sync_mod.plan(profile, reader=lambda p, s: wikis.read(), writers=writers(wikis)).plan


def do_apply(profile: Any, wikis: FakeWikis, plan: Any) -> Any:
    return sync_mod.apply(profile, plan, writers=writers(wikis), rebuild_catalogs=False)


@pytest.fixture
def synced(profile: Any) -> FakeWikis:
    wikis = seeded()
    assert run(profile, wikis).exit_code == EXIT_OK
    return wikis


@contextmanager
def killed_after_landing(wikis: FakeWikis, client: str, method: str, error: BaseException | None = None
                         ) -> Iterator[None]:
    """The next ``method`` write lands on the fake wiki, then the run dies (or gets ``error``) before its answer."""
    api = getattr(wikis, client)
    original = getattr(api, method)

    def lands_then_dies(*args: Any, **kwargs: Any) -> Any:
        setattr(api, method, original)
        original(*args, **kwargs)
        raise error if error is not None else Killed()

    setattr(api, method, lands_then_dies)
    with pytest.MonkeyPatch.context() as m:
        if error is None:
            m.setattr(apply_mod, "_finish", lambda *a, **k: None)  # SIGKILL: apply never finishes
        yield


def unit_writes(wikis: FakeWikis, key: TermKey) -> int:
    return wikis.writes.count(("edit", f"unit:{key.message_key}/{key.lang}"))


def plan_status(profile: Any, plan_id: str) -> str | None:
    with open_state(profile.state) as state:
        return state.plan_status(plan_id)


# -- class 12, unit level ---------------------------------------------------------------------
def test_class12_killed_after_outdating_save_translator_confirms_then_sync_copies_it(profile, synced) -> None:
    synced.human_metabase("Q1", "label", "de", None)  # deleted on Metabase: Meta-Wiki gets a !!FUZZY!! save
    plan = make_plan(profile, synced)
    with killed_after_landing(synced, "metawiki", "save_unit"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    assert synced.units[DE].fuzzy and unit_writes(synced, DE) == 1 and plan_status(profile, plan.id) == "running"
    confirmed = synced.units[DE].text
    synced.human_unit("Q1", "label", "de", confirmed, author="Translator")  # re-saved as it was: confirmed
    outcome = run(profile, synced)
    assert outcome.exit_code == EXIT_OK
    assert synced.items["Q101"].terms[("label", "de")] == confirmed  # the confirmation reaches Metabase
    assert unit_writes(synced, DE) == 1  # and the unit is not outdated a second time
    assert plan_status(profile, plan.id) == "recovered"
    assert run(profile, synced).planned.plan.operations == ()


def test_class12_dry_run_after_a_kill_plans_what_the_real_sync_does_and_persists_nothing(profile, synced) -> None:
    synced.human_metabase("Q1", "label", "de", None)
    plan = make_plan(profile, synced)
    with killed_after_landing(synced, "metawiki", "save_unit"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    synced.human_unit("Q1", "label", "de", synced.units[DE].text, author="Translator")
    with open_state(profile.state) as state:
        before = (state.load_base(), state.base_generation)
    dry = sync_mod.sync(profile, dry_run=True, reader=lambda p, s: synced.read(), writers=lambda p: writers(synced))
    with open_state(profile.state) as state:
        assert (state.load_base(), state.base_generation) == before  # nothing persisted
    assert plan_status(profile, plan.id) == "running"
    real = run(profile, synced)
    assert [(op.target, op.key, op.new) for op in dry.planned.plan.operations] == \
        [(op.target, op.key, op.new) for op in real.planned.plan.operations]


DE_DESCRIPTION = TermKey("Q1", "description", "de")


@pytest.mark.parametrize("unit", ["changed", "created"])
@pytest.mark.parametrize("then", ["sync", "resume"])
def test_class12_a_unit_deleted_while_our_write_was_in_flight_is_asked_never_written_again(
        profile, synced, unit, then) -> None:
    """A write onto a unit landed, the run died before its answer, and an admin deleted the unit. The deleted
    revisions are an admin's to read, so nothing tells whether our write landed before the deletion: the
    term is asked (a sticky conflict, the dry run shows it too), never written over the deletion. Counting
    it as never written put the value back over a human's deletion."""
    from capxl10n.engine.conflicts import resolve
    from capxl10n.engine.recover import DELETED_IN_FLIGHT

    key = DE if unit == "changed" else DE_DESCRIPTION
    synced.human_metabase(key.qid, key.field, key.lang, "Neu von Metabase")
    plan = make_plan(profile, synced)
    assert [(op.target, op.key, op.expected) for op in plan.operations] == \
        [("metawiki", key, "Skill 1 [de]" if unit == "changed" else None)]
    with killed_after_landing(synced, "metawiki", "save_unit"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    synced.human_unit(key.qid, key.field, key.lang, None, author="Admin")
    writes = unit_writes(synced, key)
    if then == "sync":
        dry = sync_mod.sync(profile, dry_run=True, reader=lambda p, s: synced.read(),
                            writers=lambda p: writers(synced))
        outcome = run(profile, synced)
        assert [c.key for c in dry.planned.plan.conflicts] == [c.key for c in outcome.planned.plan.conflicts] \
            == [key]
        assert dry.planned.plan.operations == outcome.planned.plan.operations == ()
    else:
        outcome = do_apply(profile, synced, loads(dumps(plan)))
        assert outcome.result.resumed and not outcome.result.recovered
    assert outcome.exit_code == EXIT_CONFLICTS
    assert key not in synced.units and unit_writes(synced, key) == writes, "the deletion stands"
    assert synced.items["Q101"].terms[("label" if key == DE else "description", "de")] == "Neu von Metabase"
    assert plan_status(profile, plan.id) == ("recovered" if then == "sync" else "done")
    again = run(profile, synced)
    assert again.exit_code == EXIT_CONFLICTS and again.planned.plan.operations == (), "asked until a human decides"
    with open_state(profile.state) as state:
        (entry,) = [c for c in state.conflicts() if c.key == key]
        assert entry.sticky and entry.reason == DELETED_IN_FLIGHT and entry.metawiki is None
        resolve(state, key, take="metabase")
    assert run(profile, synced).exit_code == EXIT_OK and synced.units[key].text == "Neu von Metabase"


def test_class12_killed_after_copy_landed_human_edits_written_side_then_sync_copies_it(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")  # Meta-Wiki → Metabase
    plan = make_plan(profile, synced)
    with killed_after_landing(synced, "metabase", "edit_item"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    assert synced.items["Q101"].terms[("label", "de")] == "Neu"
    synced.human_metabase("Q1", "label", "de", "Neuer")  # a human edits what we wrote
    outcome = run(profile, synced)
    assert outcome.exit_code == EXIT_OK and not outcome.planned.plan.conflicts
    assert synced.units[DE].text == "Neuer"  # copied, not a conflict
    with open_state(profile.state) as state:
        assert state.conflicts() == [] and state.load_base()[DE].text == "Neuer"


def test_class12_resuming_a_killed_plan_does_not_resend_the_outdating_save(profile, synced) -> None:
    synced.human_metabase("Q1", "label", "de", None)
    synced.human_unit("Q2", "label", "de", "zwei")  # a second group, never reached
    plan = make_plan(profile, synced)
    with killed_after_landing(synced, "metawiki", "save_unit"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    synced.human_unit("Q1", "label", "de", synced.units[DE].text, author="Translator")
    requests = synced.requests
    resumed = do_apply(profile, synced, loads(dumps(plan)))
    assert resumed.exit_code == EXIT_OK and resumed.result.resumed
    assert resumed.result.recovered == ["metawiki:Q1-label/de"]
    assert unit_writes(synced, DE) == 1 and not synced.units[DE].fuzzy  # the confirmation stands
    assert synced.items["Q102"].terms[("label", "de")] == "zwei"
    assert synced.requests - requests == resumed.result.requests
    with open_state(profile.state) as state:
        assert state.load_base()[DE].text is None  # the deletion is agreed: the confirmation is a new change
    run(profile, synced)
    assert synced.items["Q101"].terms[("label", "de")] == synced.units[DE].text


def test_class12_network_error_after_the_write_landed_leaves_it_sent_then_recovered(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    plan = make_plan(profile, synced)
    lost = NetworkError("no answer within 30s from metabase", site="metabase", code="timeout")
    with killed_after_landing(synced, "metabase", "edit_item", error=lost):
        outcome = do_apply(profile, synced, plan)
    assert outcome.exit_code == 5
    with open_state(profile.state) as state:
        assert state.journal(plan.id)["metabase:Q1-label/de"][0] == "sent"  # may have landed: not "failed"
    synced.human_metabase("Q1", "label", "de", "Neuer")
    assert run(profile, synced).exit_code == EXIT_OK
    assert synced.units[DE].text == "Neuer"


def test_class12_a_recovered_plan_is_not_applied_again(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    plan = make_plan(profile, synced)
    with killed_after_landing(synced, "metabase", "edit_item"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    run(profile, synced)
    writes = synced.write_count()
    with pytest.raises(StateError, match="stale plan.*recovered"):
        do_apply(profile, synced, loads(dumps(plan)))
    assert synced.write_count() == writes


def test_class12_recovery_without_persisting_reports_the_base_moves_only(profile, synced) -> None:
    synced.human_metabase("Q1", "label", "de", None)
    plan = make_plan(profile, synced)
    with killed_after_landing(synced, "metawiki", "save_unit"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    with open_state(profile.state) as state:
        before = (state.load_base(), state.journal(plan.id), state.base_generation)
        found = recover_interrupted(profile, state, writers=writers(synced), persist=False)
        assert (state.load_base(), state.journal(plan.id), state.base_generation) == before
        assert state.plan_status(plan.id) == "running"
    assert found.plan_id == plan.id and not found.persisted and found.requests == 1
    assert list(found.landed) == ["metawiki:Q1-label/de"]
    assert found.base_updates[DE] is not None and found.base_updates[DE].text is None
    assert found.base(before[0])[DE].text is None  # merged in memory against the tombstone


def test_class12_nothing_to_recover_costs_no_request(profile, synced) -> None:
    requests = synced.requests
    with open_state(profile.state) as state:
        assert recover_interrupted(profile, state, writers=writers(synced)).plan_id is None
    assert synced.requests == requests


def test_class12_every_write_carries_its_plan_tag(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    synced.human_metabase("Q2", "label", "de", "Zwei!")
    outcome = run(profile, synced)
    tag = outcome.planned.plan.tag
    ours = [r for revs in synced.history.values() for r in revs if r.user == "CapxBot"]
    assert len(ours) == 2 and all(r.comment.startswith(tag) for r in ours)


# -- class 13, unit level ------------------------------------------------------------------------
def test_class13_source_changed_after_the_plan_nothing_written_next_sync_copies_it(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")  # plan: copy "Neu" to Metabase
    plan = make_plan(profile, synced)
    synced.human_unit("Q1", "label", "de", "Neuer")  # the translator changes the source again
    outcome = do_apply(profile, synced, plan)
    assert outcome.exit_code == EXIT_PENDING and synced.write_count() == 0
    assert list(outcome.result.stale) == ["metabase:Q1-label/de"] and not outcome.result.conflicts
    with open_state(profile.state) as state:
        assert state.journal(plan.id)["metabase:Q1-label/de"][0] == "stale"
        assert state.load_base()[DE].text == "Skill 1 [de]" and state.conflicts() == []  # the base stays
    assert run(profile, synced).exit_code == EXIT_OK
    assert synced.items["Q101"].terms[("label", "de")] == "Neuer"
    assert synced.write_count() == 1


def test_class13_metabase_source_edited_then_apply_skips_only_that_copy(profile, synced) -> None:
    synced.human_metabase("Q1", "label", "de", "Eins")  # → Meta-Wiki
    synced.human_metabase("Q2", "label", "de", "Zwei")  # → Meta-Wiki
    plan = make_plan(profile, synced)
    synced.human_metabase("Q1", "label", "de", "Eins, korrigiert")
    outcome = do_apply(profile, synced, plan)
    assert list(outcome.result.stale) == ["metawiki:Q1-label/de"]
    assert synced.units[DE].text == "Skill 1 [de]" and synced.units[TermKey("Q2", "label", "de")].text == "Zwei"
    run(profile, synced)
    assert synced.units[DE].text == "Eins, korrigiert"


def test_class13_source_outdated_after_the_plan_is_not_copied(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    plan = make_plan(profile, synced)
    synced.human_unit("Q1", "label", "de", "Neu", fuzzy=True)  # same text, now marked outdated
    outcome = do_apply(profile, synced, plan)
    assert list(outcome.result.stale) == ["metabase:Q1-label/de"] and synced.write_count() == 0


def test_class13_unchanged_sources_are_written(profile, synced) -> None:
    synced.human_unit("Q1", "label", "de", "Neu")
    plan = make_plan(profile, synced)
    outcome = do_apply(profile, synced, plan)
    assert outcome.exit_code == EXIT_OK and not outcome.result.stale
    assert synced.items["Q101"].terms[("label", "de")] == "Neu"


# -- on the sandbox, killing a real `capxl10n sync` ------------------------------------------------
class KillAfterOurSave:
    """A save hook inside the sandbox: SIGKILL the sync subprocess once our write of ``title`` is stored."""

    def __init__(self, world: World, site: str, title: str) -> None:
        self.title = title
        self.proc: subprocess.Popen[bytes] | None = None
        self.fired = False
        world.sb.site(site).wiki.save_hooks.append(self)

    def __call__(self, wiki: Any, result: Any, user: Any) -> None:
        if self.proc is not None and not self.fired and user.name == "CapxBot" and result.page.title == self.title:
            self.fired = True
            os.kill(self.proc.pid, signal.SIGKILL)  # stored, not yet answered: the journal still says "sent"

    def run(self, world: World, *args: str) -> None:
        env = {**os.environ, **world.env, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, "-m", "capxl10n", *world.args(*args)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert self.proc.wait(timeout=120) == -signal.SIGKILL and self.fired


@pytest.fixture
def world(sandbox_factory: Any, tmp_path: Path) -> World:
    from capxl10n.sandbox.server import credentials_env
    w = World(sandbox_factory(), tmp_path, credentials_env())
    assert w.cli("sync").exit_code == 0
    return w


def bot_saves(world: World, site: str, title: str) -> int:
    page = world.sb.site(site).wiki.page(title)
    return 0 if page is None else sum(1 for r in page.revisions if r.user == "CapxBot")


def test_class12_sigkill_after_fuzzy_save_translator_confirms_sync_copies_confirmation(world: World) -> None:
    key = world.pick()
    title = f"Translations:{BUNDLE}/{key.message_key}/{key.lang}"
    confirmed = world.unit(key).text
    world.peer.set_term(world.item(key.qid), key.field, key.lang, None)  # deleted on Metabase
    saves = bot_saves(world, "metawiki", title)
    KillAfterOurSave(world, "metawiki", title).run(world, "sync")
    assert world.unit(key).fuzzy and bot_saves(world, "metawiki", title) == saves + 1
    world.peer.edit_unit(key, confirmed)  # the translator re-saves it as it was
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == confirmed
    assert bot_saves(world, "metawiki", title) == saves + 1  # never outdated a second time
    assert world.cli("sync").exit_code == 0 and bot_saves(world, "metawiki", title) == saves + 1


def test_class12_sigkill_after_copy_landed_human_edit_of_written_side_is_copied(world: World) -> None:
    key = world.pick()
    item = world.item(key.qid)
    world.peer.edit_unit(key, "Copied before the kill")
    KillAfterOurSave(world, "metabase", f"Item:{item}").run(world, "sync")
    assert world.metabase_text(key.qid, key.field, key.lang) == "Copied before the kill"
    world.peer.set_term(item, key.field, key.lang, "Human after the kill")
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert world.unit(key).text == "Human after the kill"
    assert world.cli("conflicts").exit_code == 0
    with sqlite3.connect(world.state) as db:
        statuses = [s for (s,) in db.execute("SELECT status FROM plans ORDER BY rowid")]
    assert "recovered" in statuses and "running" not in statuses


def test_class13_stale_source_on_the_sandbox_and_what_the_guard_costs(world: World) -> None:
    key = world.pick()
    other = next(k for k in sorted(world.base(), key=TermKey.sort_key)
                 if k.lang not in ("en", "qqq") and world.base()[k] and k.qid != key.qid)
    world.peer.edit_unit(key, "Planned value")
    world.peer.edit_unit(other, "Another planned value")
    plan_file = world.tmp / "plan.json"
    assert world.cli("plan", "-o", str(plan_file)).exit_code == 4
    world.peer.edit_unit(key, "The translator's newer value")  # the source moves after the plan
    world.sb.stats.reset()
    result = world.cli("--format", "json", "apply", str(plan_file))
    seen = {m: c["count"] for m, c in world.sb.stats.modules().items() if m.startswith("metawiki")}
    assert result.exit_code == 4, result.output
    applied = json.loads(result.stdout)["apply"]
    assert list(applied["stale"]) == [f"metabase:{key.message_key}/{key.lang}"]
    assert world.metabase_text(key.qid, key.field, key.lang) != "Planned value"
    assert world.metabase_text(other.qid, other.field, other.lang) == "Another planned value"
    # what the guard cost: one recentchanges query on the only wiki with sources, one re-read of the moved unit
    assert seen == {"metawiki:query+recentchanges": 1, "metawiki:query": 1}, seen
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == "The translator's newer value"


def test_an_empty_plan_applies_with_zero_requests(world: World) -> None:
    plan_file = world.tmp / "plan.json"
    assert world.cli("plan", "-o", str(plan_file)).exit_code == 0
    world.sb.stats.reset()
    assert world.cli("apply", str(plan_file)).exit_code == 0
    assert world.sb.stats.total == 0, world.sb.stats.modules()


def test_class2_no_decision_is_recorded_until_a_killed_apply_is_recovered(profile, synced, tmp_path) -> None:
    """A sync killed after its English change landed outdated the German unit of an open conflict, which the
    inbox cannot show until a run recovers the kill. A decision recorded then would be bound to values the
    wikis no longer hold (a translator's confirmation before it would read as an edit after it, and the
    decision would be dropped): `conflicts resolve` and `conflicts import` refuse with exit 5, record nothing,
    and work again once a sync has recovered the apply."""
    from capxl10n.engine.conflicts import InboxBehind, export_po, import_po, resolve

    synced.human_metabase("Q1", "label", "de", "Metabase-Text")
    synced.human_unit("Q1", "label", "de", "Meta-Wiki-Text", author="Translator")
    assert run(profile, synced).exit_code == 3, "both sides changed: a conflict"
    synced.human_metabase("Q1", "label", "en", "New English")
    plan = make_plan(profile, synced)
    with killed_after_landing(synced, "metawiki", "save_bundle"), pytest.raises(Killed):
        do_apply(profile, synced, plan)
    assert synced.units[DE].fuzzy, "Translate outdated the unit; the inbox does not know it yet"
    po = tmp_path / "conflicts-de.po"
    with open_state(profile.state) as state:
        english = {k: t.text for k, t in state.directory().terms.items() if k.lang == "en"}
        export_po(state.conflicts("de"), "de", po, bundle_page=profile.metawiki.bundle_page,
                  message_group=profile.metawiki.message_group, english=english)
        before = [(c.key, c.decision) for c in state.conflicts()]
        with pytest.raises(InboxBehind, match=f"plan {plan.id} was interrupted") as refused:
            resolve(state, DE, take="metabase")
        assert refused.value.exit_code == 5 and "capxl10n sync" in (refused.value.hint or "")
        with pytest.raises(InboxBehind):
            import_po(state, po, bundle_page=profile.metawiki.bundle_page,
                      message_group=profile.metawiki.message_group)
        assert [(c.key, c.decision) for c in state.conflicts()] == before, "nothing recorded"
    assert run(profile, synced).exit_code == 3 and plan_status(profile, plan.id) == "recovered"
    with open_state(profile.state) as state:
        assert resolve(state, DE, take="metabase").text == "Metabase-Text"


@pytest.mark.parametrize("how", ["killed", "failed"])
def test_class2_a_human_undoing_a_half_written_decision_makes_it_stale(profile, synced, how,
                                                                       monkeypatch) -> None:
    """A decision reached one side, then the apply died (SIGKILL after the write landed) or failed (the other
    side's write refused). A human then puts that side back as it was when the decision was made: that is an
    edit after the decision, so the decision is stale and the conflict is asked again. It used to read as no
    edit at all (the side held the value the decision was made on), and the decided text was written over it."""
    from capxl10n.engine.conflicts import resolve

    synced.human_metabase("Q1", "label", "de", "Metabase-Text")
    synced.human_unit("Q1", "label", "de", "Meta-Wiki-Text", author="Translator")
    assert run(profile, synced).exit_code == 3
    with open_state(profile.state) as state:
        resolve(state, DE, text="Beschluss")
    plan = make_plan(profile, synced)
    first, second = [op.target for op in plan.operations if op.key == DE]
    writer = {"metabase": ("metabase", "edit_item"), "metawiki": ("metawiki", "save_unit")}
    if how == "killed":
        with killed_after_landing(synced, *writer[first]), pytest.raises(Killed):
            do_apply(profile, synced, plan)
    else:
        refused = NetworkError("no answer within 30s", site=second, code="timeout")
        monkeypatch.setattr(getattr(synced, writer[second][0]), writer[second][1],
                            lambda *a, **k: (_ for _ in ()).throw(refused))
        assert do_apply(profile, synced, plan).exit_code == 5
        monkeypatch.undo()
    if first == "metabase":
        assert synced.items["Q101"].terms[("label", "de")] == "Beschluss"
        synced.human_metabase("Q1", "label", "de", "Metabase-Text")
    else:
        assert synced.units[DE].text == "Beschluss"
        synced.human_unit("Q1", "label", "de", "Meta-Wiki-Text", author="Translator")
    dry = sync_mod.sync(profile, dry_run=True, reader=lambda p, s: synced.read(), writers=lambda p: writers(synced))
    outcome = run(profile, synced)
    assert outcome.exit_code == 3, "stale: asked again"
    assert [(op.target, op.key, op.new) for op in dry.planned.plan.operations] == \
        [(op.target, op.key, op.new) for op in outcome.planned.plan.operations] == []
    assert [c.key for c in dry.planned.plan.conflicts] == [c.key for c in outcome.planned.plan.conflicts] == [DE]
    assert synced.items["Q101"].terms[("label", "de")] != "Beschluss" or synced.units[DE].text != "Beschluss"
    with open_state(profile.state) as state:
        (entry,) = [c for c in state.conflicts() if c.key == DE]
        assert entry.decision is None and "decide again" in entry.reason
