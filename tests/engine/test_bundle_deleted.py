"""A bundle page somebody deleted on Meta-Wiki is not made anew behind their back.

Making it anew puts every key back into the bundle, and Translate outdates every translation of a key put
back: a human decides (restore the page, or ``--recreate-bundle`` once).
"""
from __future__ import annotations

from typing import Any

import pytest
import requests

from plugins.history_world import ADMIN_PASSWORD, grant_admin_bot_password
from plugins.world import BUNDLE, World


def _delete_bundle(world: World) -> None:
    """An admin deletes the bundle page through the API, as on Meta-Wiki."""
    grant_admin_bot_password(world.sb)
    session: requests.Session = world.sb.session()
    url = world.sb.api_url("metawiki")
    token = session.get(url, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"}
                        ).json()["query"]["tokens"]["logintoken"]
    login = session.post(url, data={"action": "login", "lgname": "Admin@capxl10n", "lgpassword": ADMIN_PASSWORD,
                                    "lgtoken": token, "format": "json"}).json()
    assert login["login"]["result"] == "Success", login
    csrf = session.get(url, params={"action": "query", "meta": "tokens", "format": "json"}).json()
    answer = session.post(url, data={"action": "delete", "title": BUNDLE, "reason": "cleanup", "format": "json",
                                     "token": csrf["query"]["tokens"]["csrftoken"]}).json()
    assert "error" not in answer, answer


@pytest.mark.parametrize("command", [("sync",), ("sync", "--full"), ("plan",), ("sync", "--dry-run")])
def test_a_deleted_bundle_is_refused_and_nothing_is_written(world: World, command: tuple[str, ...]) -> None:
    before = world.bot_revisions()
    base = world.base()
    _delete_bundle(world)
    result = world.cli(*command)
    assert result.exit_code == 1, result.output
    assert "bundle page Module:CapacityExchange/capacities.json is missing on Meta-Wiki" in result.output
    assert "--recreate-bundle" in result.output and "Traceback" not in result.output
    assert world.bundle() == {}
    assert world.bot_revisions() == before and world.base() == base
    again = world.cli(*command)  # refused every time, until a human decides
    assert again.exit_code == 1, again.output


def test_recreate_bundle_makes_it_anew_once_a_human_says_so(world: World) -> None:
    english = world.bundle()
    _delete_bundle(world)
    assert world.cli("sync").exit_code == 1
    result = world.cli("sync", "--recreate-bundle")
    assert result.exit_code == 0, result.output
    assert world.bundle() == english
    assert world.cli("sync").exit_code == 0  # in step again: nothing refused, nothing to write
    assert world.cli("plan").exit_code == 0


def test_a_first_sync_still_creates_a_missing_bundle(sandbox_profile: Any, tmp_path: Any) -> None:
    """No agreed English yet (a new project): the bundle is the sync's to create."""
    (tmp_path / "fresh").mkdir()
    fresh = World(sandbox_profile.sandbox, tmp_path / "fresh", sandbox_profile.env)
    _delete_bundle(fresh)
    result = fresh.cli("sync")
    assert result.exit_code in (0, 3), result.output
    assert fresh.bundle()
