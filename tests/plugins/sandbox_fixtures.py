"""Sandbox fixtures: a seeded Metabase + Meta-Wiki + Wikidata imitation for any test.

Names are stable; other modules' tests use them:

``sandbox``
    Function scoped: a fresh :class:`capxl10n.sandbox.server.Sandbox` (seed 1,
    20 capacities, 6 languages) served on 127.0.0.1:<ephemeral>; ``.url``,
    ``.api_url(site)``, ``.stats``, ``.faults.configure(spec)``, ``.session()``
    (a requests session through the in-process transport — no sockets).
``sandbox_session``
    One started sandbox shared by the whole test session. Each use gets it with
    stats cleared and faults off; it is reseeded (cheap at this size) only when
    the previous user wrote to it. Use it for read-only tests.
``sandbox_factory(**kw)``
    Build and start sandboxes with other arguments (``capacities``, ``languages``,
    ``seed``, ``faults``, ``latency_ms``, ``sleep``…); all are stopped at teardown.
``sandbox_profile``
    ``(profile, env)``: ``capxl10n/profiles/sandbox.toml`` rebased to the ``sandbox`` fixture's
    URL with state and catalogs in ``tmp_path``, and the environment dict holding
    the bot credentials the profile names. ``sandbox_profile.sandbox`` is the sandbox.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from capxl10n.sandbox.server import Sandbox, credentials_env

SMALL = {"seed": 1, "capacities": 20, "languages": 6}


def client_env(sb: Sandbox) -> Any:
    """The sandbox as the client sessions (tests/plugins/client_sessions.py) see it: its two wikis, the bot
    password, and the maxlag fault as the lag switch."""
    from capxl10n.sandbox.server import BOT_PASSWORD, bot_login_name
    from plugins.client_sessions import ClientEnv

    return ClientEnv("sandbox", sb.api_url("metawiki"), sb.api_url("metabase"), bot_login_name(), BOT_PASSWORD,
                     set_maxlag=lambda lag: sb.faults.configure(f"maxlag=on:lag={int(lag)}"),
                     clear_maxlag=lambda: sb.faults.configure("off"))


class SandboxProfile(NamedTuple):
    profile: Any
    env: dict[str, str]
    sandbox: Sandbox


def _writes(sb: Sandbox) -> int:
    return sum(len(site.wiki.revisions) + len(site.wiki.sessions) for site in sb.sites.values())


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(**SMALL).start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture(scope="session")
def _shared_sandbox() -> Iterator[list[Any]]:
    sb = Sandbox(**SMALL).start()
    try:
        yield [sb, _writes(sb)]
    finally:
        sb.stop()


@pytest.fixture
def sandbox_session(_shared_sandbox: list[Any]) -> Sandbox:
    sb: Sandbox = _shared_sandbox[0]
    sb.faults.configure(None)
    if _writes(sb) != _shared_sandbox[1]:
        sb.reset()
        _shared_sandbox[1] = _writes(sb)
    sb.stats.reset()
    return sb


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    made: list[Sandbox] = []

    def make(**kw: Any) -> Sandbox:
        start = kw.pop("start", True)
        sb = Sandbox(**{**SMALL, **kw})
        made.append(sb)
        return sb.start() if start else sb

    try:
        yield make
    finally:
        for sb in made:
            sb.stop()


@pytest.fixture
def sandbox_profile(sandbox: Sandbox, tmp_path: Path) -> SandboxProfile:
    from capxl10n.profile import load_profile

    profile = load_profile("sandbox").rebase(sandbox.url).with_paths(
        state=tmp_path / "state.sqlite", catalogs=tmp_path / "catalogs")
    return SandboxProfile(profile, credentials_env(), sandbox)
