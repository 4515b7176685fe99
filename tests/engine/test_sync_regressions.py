"""Issue 16's failure classes walked end to end on the sandbox, one named history each.

Humans are Peer2 (through the API) and the sandbox's Admin (a sysop deleting a
unit page); the sync runs through the CLI. Every test ends by checking what the
wikis hold, never only what capxl10n says.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from capxl10n.core.model import TermKey
from capxl10n.engine.state import open_state
from plugins.world import BUNDLE, World

pytestmark = pytest.mark.slow


def inbox(world: World) -> dict[TermKey, Any]:
    with open_state(world.state) as state:
        return {c.key: c for c in state.conflicts()}


def agreed_translations(world: World, key: TermKey) -> dict[TermKey, str]:
    """Every agreed translation of the key's message (all languages), from the base."""
    return {k: v for k, v in world.base().items() if k.message_key == key.message_key and v
            and k.lang not in ("en", "qqq")}


def english(world: World, key: TermKey) -> TermKey:
    return TermKey(key.qid, key.field, "en")


def make_conflict(world: World, key: TermKey) -> None:
    world.peer.set_term(world.item(key.qid), key.field, key.lang, "Metabase human")
    world.peer.edit_unit(key, "Meta-Wiki human")
    result = world.cli("sync")
    assert result.exit_code == 3, result.output
    assert key in inbox(world)


def delete_unit(world: World, key: TermKey) -> None:
    wiki = world.sb.site("metawiki").wiki
    wiki.delete_page(f"Translations:{BUNDLE}/{key.message_key}/{key.lang}", user=wiki.user("Admin"))


def test_class1_english_change_keeps_the_conflict_open(world: World) -> None:
    key = world.pick()
    make_conflict(world, key)
    world.peer.set_term(world.item(key.qid), key.field, "en", "A brand new English text")
    for _ in range(2):
        result = world.cli("sync")
        assert result.exit_code == 3, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == "Metabase human"
    unit = world.unit(key)
    assert unit is not None and unit.text == "Meta-Wiki human" and unit.fuzzy  # outdated, not overwritten
    assert key in inbox(world) and inbox(world)[key].decision is None


def test_class1_variant_metabase_deletion_in_conflict_does_not_outdate_metawiki(world: World) -> None:
    key = world.pick()
    make_conflict(world, key)
    before = world.bot_revisions()
    world.peer.set_term(world.item(key.qid), key.field, key.lang, None)
    assert world.cli("sync").exit_code == 3
    world.peer.set_term(world.item(key.qid), key.field, "en", "Another English text")
    for _ in range(2):  # the first writes the English; the second reads the unit Translate outdated
        assert world.cli("sync").exit_code == 3
    unit = world.unit(key)
    assert unit is not None and unit.text == "Meta-Wiki human"
    unit_page = f"Translations:{BUNDLE}/{key.message_key}/{key.lang}"
    assert [p for p in world.bot_revisions() if p == ("metawiki", unit_page)] == \
        [p for p in before if p == ("metawiki", unit_page)]  # the bot never touched the unit
    assert key in inbox(world)


def test_class2_decision_is_not_applied_over_a_later_correction(world: World) -> None:
    key = world.pick()
    make_conflict(world, key)
    assert world.cli("conflicts", "resolve", key.message_key, "--lang", key.lang, "--take", "metawiki").exit_code == 0
    world.peer.set_term(world.item(key.qid), key.field, key.lang, "Metabase correction")
    result = world.cli("sync")
    assert result.exit_code == 3, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == "Metabase correction"
    conflict = inbox(world)[key]
    assert conflict.decision is None and conflict.metabase is not None
    assert conflict.metabase.text == "Metabase correction"


def test_class3_english_deletion_keeps_every_translation(world: World) -> None:
    key = world.pick()
    en = english(world, key)
    translations = agreed_translations(world, key)
    world.peer.set_term(world.item(key.qid), key.field, "en", None)
    for _ in range(2):
        result = world.cli("sync")
        assert result.exit_code == 3, result.output
    assert key.message_key in world.bundle()
    for k, text in translations.items():
        assert world.metabase_text(k.qid, k.field, k.lang) == text
    assert en in inbox(world)
    # The human restores the English: the conflict closes on its own and nothing was lost.
    world.peer.set_term(world.item(key.qid), key.field, "en", world.bundle()[key.message_key])
    assert world.cli("sync").exit_code == 0
    assert en not in inbox(world)


def test_class4_bundle_key_removed_by_hand_loses_no_translation(world: World) -> None:
    key = world.pick()
    translations = agreed_translations(world, key)
    messages = world.bundle()
    del messages[key.message_key]
    world.peer.post("metawiki", action="edit", title=BUNDLE, text=json.dumps(messages, ensure_ascii=False),
                    summary="peer removes a key")
    for _ in range(3):
        result = world.cli("sync")
        assert result.exit_code == 0, result.output
    assert key.message_key in world.bundle()
    for k, text in translations.items():
        assert world.metabase_text(k.qid, k.field, k.lang) == text
        unit = world.unit(k)
        assert unit is not None and unit.text == text
    assert world.cli("sync", "--full").exit_code == 0
    plan = world.tmp / "after.json"
    assert world.cli("plan", "--full", "-o", str(plan)).exit_code == 0


def never_translated(world: World) -> TermKey:
    """A term of a synced capacity, in a synced language, that neither side has ever held."""
    base = world.base()
    langs = sorted({k.lang for k in base} - {"en", "qqq"})
    for qid in sorted({k.qid for k in base}, key=lambda q: int(q[1:])):
        for lang in langs:
            key = TermKey(qid, "description", lang)
            if key not in base and TermKey(qid, "description", "en") in base:
                return key
    raise AssertionError("every term is translated")


@pytest.mark.parametrize("deleted", ["metawiki", "metabase"])
def test_class6_deleting_one_side_of_a_conflict_does_not_resurrect_it(world: World, deleted: str) -> None:
    """Two humans add different values to a term with no base; one of them deletes theirs: still a conflict."""
    key = never_translated(world)
    make_conflict(world, key)
    if deleted == "metawiki":
        delete_unit(world, key)
    else:
        world.peer.set_term(world.item(key.qid), key.field, key.lang, None)
    for _ in range(2):
        assert world.cli("sync").exit_code == 3
    assert (world.unit(key) is None) == (deleted == "metawiki")
    assert (world.metabase_text(key.qid, key.field, key.lang) is None) == (deleted == "metabase")
    assert key in inbox(world)
    # The other human deletes too: both sides empty, the humans settled it.
    if deleted == "metawiki":
        world.peer.set_term(world.item(key.qid), key.field, key.lang, None)
    else:
        delete_unit(world, key)
    assert world.cli("sync").exit_code == 0
    assert key not in inbox(world)
    assert world.metabase_text(key.qid, key.field, key.lang) is None and world.unit(key) is None


def test_class9_interrupted_first_sync_converges_like_an_uninterrupted_one(
        sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C halfway through a first sync, then sync: the same wikis as one uninterrupted sync, no conflicts."""
    import capxl10n.engine.sync as sync_mod
    from capxl10n.sandbox.server import credentials_env

    for name, value in credentials_env().items():
        monkeypatch.setenv(name, value)
    (tmp_path / "calm").mkdir()
    (tmp_path / "hurried").mkdir()
    calm = World(sandbox_factory(seed=7), tmp_path / "calm", {})
    assert calm.cli("sync").exit_code == 0

    hurried = World(sandbox_factory(seed=7), tmp_path / "hurried", {})
    real = sync_mod.make_writers
    saves = {"n": 0}

    def interrupting(profile: Any) -> Any:
        writers = real(profile)
        save = writers.metawiki.save_unit

        def save_then_interrupt(*args: Any, **kw: Any) -> Any:
            answer = save(*args, **kw)
            saves["n"] += 1
            if saves["n"] == 5:
                raise KeyboardInterrupt
            return answer
        writers.metawiki.save_unit = save_then_interrupt  # type: ignore[method-assign]
        return writers

    monkeypatch.setattr(sync_mod, "make_writers", interrupting)
    with pytest.raises(KeyboardInterrupt):
        sync_mod.sync(hurried.profile)
    monkeypatch.setattr(sync_mod, "make_writers", real)
    assert hurried.cli("sync").exit_code == 0
    assert inbox(hurried) == {}
    assert hurried.bundle() == calm.bundle()
    for key, value in calm.base().items():
        assert hurried.base().get(key) == value, key


@pytest.mark.parametrize("english_changed", ["after the decision", "before the decision"])
def test_i5b_decision_against_older_english_is_saved_outdated(world: World, english_changed: str) -> None:
    """A decided translation translates the English of its day: written with newer English, it is outdated."""
    key = world.pick()
    make_conflict(world, key)
    new_english = "An English text the decider never saw"
    if english_changed == "before the decision":
        world.peer.set_term(world.item(key.qid), key.field, "en", new_english)
    assert world.cli("conflicts", "resolve", key.message_key, "--lang", key.lang, "--take", "metabase").exit_code == 0
    if english_changed == "after the decision":
        world.peer.set_term(world.item(key.qid), key.field, "en", new_english)
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == "Metabase human"
    unit = world.unit(key)
    assert unit is not None and unit.text == "Metabase human" and unit.fuzzy  # awaits a translator's review
    assert key not in inbox(world)
    assert world.cli("sync").exit_code == 0  # quiet: an outdated unit holding the agreed text waits


def test_decision_against_the_current_english_is_written_current(world: World) -> None:
    key = world.pick()
    make_conflict(world, key)
    assert world.cli("conflicts", "resolve", key.message_key, "--lang", key.lang, "--take", "metabase").exit_code == 0
    assert world.cli("sync").exit_code == 0
    unit = world.unit(key)
    assert unit is not None and unit.text == "Metabase human" and not unit.fuzzy
