"""Histories the long profile found that are not settled yet, replayed as strict expected failures.

Each was found at the last commit of a stop with no time left to shrink and settle it: it is unknown yet
whether the product or the oracle is wrong. ``strict=True`` makes the replay fail once the finding stops
reproducing, so whoever settles it moves it to tests/history/test_history_replays.py with its reason.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.history import HistoryMachine, stop_shared_sandbox
from plugins.history_oracle import I8SpuriousConflict

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _shared_sandbox_lifetime() -> Iterator[None]:
    yield
    stop_shared_sandbox()


@pytest.mark.xfail(raises=I8SpuriousConflict, strict=True, reason="open: a conflict between equal texts, one "
                   "side an outdated unit, after saved plans applied around bundle key removals")
def test_open_equal_texts_one_outdated_asked_as_a_conflict() -> None:
    """Found by the long profile (seed AD) at f1d4cb5 and shrunk: a key removed from the bundle before the
    first sync; a saved plan puts it back, and Translate outdates its units, so the plan's guard meets units it
    could not see and shows them as conflicts (Metabase's text against the same text, outdated). The key is
    removed again and its English deleted on Metabase, so it never comes back: conflicts of a hidden key stay
    in the inbox untouched, and every sync exits 3 until a human decides them. Whether guard conflicts of a
    hidden key should wait there, or leave the inbox until the key returns, is open."""
    m = HistoryMachine()
    try:
        m.setup(seed=1, first_contact="metabase", deletions="propagate")
        m.bundle_remove_key(message="Q13-label")
        m.plan_for_later()
        m.apply_saved_plan()
        m.bundle_remove_key(message="Q13-label")
        m.english_delete(message="Q13-label")
    finally:
        m.teardown()
