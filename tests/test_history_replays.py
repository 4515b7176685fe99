"""Histories the random suite once found, replayed step by step on the same machine and oracle.

Each replay is a failure the sandbox histories (tests/test_history.py) reported,
kept so the finding stays fixed whatever the random draws do next. The steps
are the machine's own rules; teardown runs the final sync and every check.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from plugins.history import HistoryMachine, stop_shared_sandbox

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _shared_sandbox_lifetime() -> Iterator[None]:
    yield
    stop_shared_sandbox()


def replay(steps: Callable[[HistoryMachine], None]) -> None:
    machine = HistoryMachine()
    try:
        steps(machine)
    finally:
        machine.teardown()


def test_i5b_decision_then_english_change_is_not_shown_current() -> None:
    """A decided translation written in the sync that changes its English is saved outdated."""
    def steps(m: HistoryMachine) -> None:
        m.setup(seed=3, first_contact="conflict", deletions="propagate")
        m.sync()
        assert m.inbox_size > 0, "first contact under the conflict policy leaves conflicts to decide"
        m.resolve(pick=0, choice="metabase")
        m.english_set("Q11-label")
        m.sync()
    replay(steps)


def test_i3_key_removed_from_bundle_after_a_decision_lapses_it() -> None:
    """English deleted on Metabase, decided 'keep Meta-Wiki's', then a human removes the key from the bundle:
    the later human edit stands (both sides agree the English is gone) and no translation is lost."""
    def steps(m: HistoryMachine) -> None:
        m.setup(seed=1, first_contact="metabase", deletions="propagate")
        m.sync()
        m.english_delete("Q11-label")
        m.sync()
        assert m.inbox_size == 1, "an English deletion is a conflict"
        m.resolve(pick=0, choice="metawiki")
        m.bundle_remove_key("Q11-label")
        m.sync()
    replay(steps)


@pytest.mark.parametrize("nth_write", [1, 2])
def test_i5b_sync_killed_between_english_and_translation_writes(nth_write: int) -> None:
    """A translation written on Metabase before a decided English change, copied by a sync killed midway:
    whichever write landed, the translation never shows as current for the new English."""
    def steps(m: HistoryMachine) -> None:
        m.setup(seed=1, first_contact="metabase", deletions="propagate")
        m.sync()
        m.english_delete("Q12-label")
        m.sync()
        assert m.inbox_size == 1, "an English deletion is a conflict"
        m.resolve(pick=0, choice="text")
        m.metabase_set("Q12-label/de")
        m.sync_killed(nth_write=nth_write, when="after")
        m.sync()
    replay(steps)
