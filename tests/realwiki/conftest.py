"""The differential contract machinery: one body, two backends, compared answers.

A contract test calls ``contract.run(case, body)``. ``contract`` is
parametrised over the backends ``peer`` (the real wiki) and ``sandbox``:

* on ``peer`` the body runs on the real wiki; its answers are kept for the
  session (and written to ``tests/recordings/realwiki/`` when
  ``CAPXL10N_RECORD=1``);
* on ``sandbox`` the body runs on the sandbox and every named answer is
  compared, normalised, with the peer's answer of the same case — the live
  peer's when it runs, else the recording.

The body's own assertions (error codes, flags…) hold on both backends. A
known difference is marked ``@pytest.mark.sandbox_difference("D7 …")``: the
sandbox run becomes ``xfail(strict=True)`` pointing at
docs/sandbox-differences.md, so it flips to a failure once the sandbox is fixed.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from capxl10n.sandbox.server import Sandbox
from realwiki.backends import (SITES, Answer, Backend, differences, normalise, record, recorded)

Body = Callable[[Backend], Mapping[str, Answer]]
_PEER_ANSWERS: dict[str, Mapping[str, Answer]] = {}
SANDBOX_BOT = ("CapxBot@capxl10n", "sandbox-bot-password-0123456789abcdef")
SANDBOX_PEER2 = ("Peer2@capxl10n", "sandbox-peer2-password-0123456789abcdef")


@pytest.fixture(scope="session")
def peer_backend(peer: Any) -> Backend:
    """The real peer as a backend: one wiki serves both sites."""
    seed = peer.wikibase_seed()
    return Backend(
        name="peer",
        urls={site: peer.api for site in SITES},
        users={"bot": (peer.bot.login, peer.bot.password), "bot2": (peer.bot2.login, peer.bot2.password)},
        set_maxlag=peer.set_maxlag,
        clear_maxlag=peer.clear_maxlag,
        facts={"capacity_class": seed["class"], "properties": seed["properties"]},
    )


@pytest.fixture(scope="session")
def contract_sandbox() -> Iterator[Sandbox]:
    """A small sandbox of its own for the whole contract session (bodies create their own data)."""
    sandbox = Sandbox(seed=1, capacities=12, languages=6)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _sandbox_set_maxlag(sandbox: Any) -> Callable[[int], None]:
    def set_lag(lag: int) -> None:
        sandbox.faults.configure(f"maxlag=on:lag={int(lag)}")
    return set_lag


def _sandbox_clear(sandbox: Any) -> Callable[[], None]:
    def clear() -> None:
        sandbox.faults.configure("off")
    return clear


@pytest.fixture(scope="session")
def sandbox_backend(contract_sandbox: Any) -> Backend:
    base = contract_sandbox.url.rstrip("/")
    return Backend(
        name="sandbox",
        urls={"metawiki": f"{base}/metawiki/w/api.php", "metabase": f"{base}/metabase/w/api.php"},
        users={"bot": SANDBOX_BOT, "bot2": SANDBOX_PEER2},
        set_maxlag=_sandbox_set_maxlag(contract_sandbox),
        clear_maxlag=_sandbox_clear(contract_sandbox),
        facts={"capacity_class": "Q34531"},
    )


class Contract:
    """Runs a body on one backend and, on the sandbox, compares with the peer."""

    def __init__(self, request: pytest.FixtureRequest, backend_name: str) -> None:
        self.request = request
        self.backend_name = backend_name

    @property
    def backend(self) -> Backend:
        return self.request.getfixturevalue(f"{self.backend_name}_backend")

    def run(self, case: str, body: Body) -> Mapping[str, Answer]:
        if self.backend_name == "peer":
            if case in _PEER_ANSWERS:  # already run for a sandbox comparison in this session
                return _PEER_ANSWERS[case]
            answers = _run(self.backend, body)
            _PEER_ANSWERS[case] = answers
            if os.environ.get("CAPXL10N_RECORD") == "1":
                record(case, answers)
            return answers
        marker = self.request.node.get_closest_marker("sandbox_difference")
        if marker is not None:
            self.request.applymarker(pytest.mark.xfail(
                strict=True, reason=f"known sandbox difference {marker.args[0]} (docs/sandbox-differences.md)"))
        real = self._real_answers(case, body)
        answers = _run(self.backend, body)
        problems = []
        for name in sorted(set(real) | set(answers)):
            if name not in answers or name not in real:
                problems.append(f"[{name}] answered by only one backend")
                continue
            for diff in differences(normalise(real[name]), normalise(answers[name])):
                problems.append(f"[{name}] {diff}")
        assert not problems, f"sandbox differs from the real wiki in case {case!r}:\n  " + "\n  ".join(problems)
        return answers

    def _real_answers(self, case: str, body: Body) -> Mapping[str, Answer]:
        if case in _PEER_ANSWERS:
            return _PEER_ANSWERS[case]
        try:
            peer_backend = self.request.getfixturevalue("peer_backend")
        except pytest.skip.Exception:
            saved = recorded(case)
            if saved is None:
                pytest.skip(f"no peer running and no recording of case {case!r}")
            return saved
        answers = _run(peer_backend, body)
        _PEER_ANSWERS[case] = answers
        return answers


def _run(backend: Backend, body: Body) -> Mapping[str, Answer]:
    try:
        return body(backend)
    finally:
        backend.clear_maxlag()


@pytest.fixture(params=["peer", "sandbox"])
def contract(request: pytest.FixtureRequest) -> Contract:
    return Contract(request, request.param)
