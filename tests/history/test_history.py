"""Issue 16: stateful property-based histories of the sync (the machine lives in plugins/history.py).

Each example is one history on a tiny sandbox (3 capacities × 3 languages):
humans edit both wikis, syncs run plain, under a fault, or get SIGKILLed
mid-apply, conflicts are resolved or decided through a .po round trip; after
every quiet sync the oracle checks the promise (docs/testing-histories.md).
How many histories and how long each is comes from the hypothesis profile:
``ci`` under CI, ``--hypothesis-profile=long`` for the long run.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from plugins.history import HistoryMachine, stop_shared_sandbox


@pytest.fixture(scope="module", autouse=True)
def _shared_sandbox_lifetime() -> Iterator[None]:
    """The machine reuses one started sandbox per process; stop it when the module is done."""
    yield
    stop_shared_sandbox()


TestHistories = HistoryMachine.TestCase
# max_examples and stateful_step_count come from the active profile (tests/conftest.py).
TestHistories.settings = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
