"""Contract: every recording in mediawiki-responses/ replayed against the sandbox has the same shape."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from capxl10n.sandbox.server import BOT_PASSWORD, PEER_PASSWORD, Sandbox
from plugins.common import SHARED
from plugins.contract import SandboxCaller, compare, formatversion_of, load_recording

BUNDLE = "Module:CapacityExchange/capacities.json"
RECORDINGS = SHARED / "reference" / "mediawiki-responses"


class Client(SandboxCaller):
    """A tiny requests client for one sandbox site (fv chosen per recording)."""

    def login(self, name: str = "CapxBot@capxl10n", password: str = BOT_PASSWORD) -> requests.Response:
        token = self.call("GET", action="query", meta="tokens", type="login").json()["query"]["tokens"]["logintoken"]
        return self.call("POST", action="login", lgname=name, lgpassword=password, lgtoken=token)

    def csrf(self) -> str:
        return str(self.call("GET", action="query", meta="tokens").json()["query"]["tokens"]["csrftoken"])

    def unit(self, lang: str, existing: bool) -> str:
        """A unit page title of the seeded bundle that exists (or not) in ``lang``."""
        tr = self.sb.site("metawiki").translate  # type: ignore[attr-defined]
        group = tr.groups[BUNDLE]
        for key in group.messages:
            title = group.unit_title(key, lang)
            if (self.sb.site("metawiki").wiki.page(title) is not None) == existing:
                return title
        raise AssertionError(f"no {'existing' if existing else 'missing'} unit in {lang}")


def _edit(c: Client, **params: Any) -> requests.Response:
    return c.call("POST", action="edit", token=c.csrf(), **params)


def _conflict(base: str) -> Callable[[Client], requests.Response]:
    def run(c: Client) -> requests.Response:
        c.login()
        title = c.unit("pt-br", True)
        page = c.sb.site("metawiki").wiki.page(title)
        assert page is not None
        revid, ts = page.latest.revid, page.latest.timestamp
        peer = Client(c.sb, c.fv)
        peer.login("Peer2@capxl10n", PEER_PASSWORD)
        assert "edit" in _edit(peer, title=title, text="por Peer2").json()
        extra = {"baserevid": revid} if base == "rev" else {"basetimestamp": ts}
        return _edit(c, title=title, text="pelo bot", **extra)
    return run


def _signature(c: Client) -> requests.Response:
    c.login()
    _edit(c, title="Sandbox signature test", text="Assinado ~~~~ !!FUZZY!!x")
    return c.call("GET", action="query", prop="revisions", titles="Sandbox signature test", rvprop="content",
                  rvslots="main")


CASES: dict[str, Callable[[Client], requests.Response]] = {
    "siteinfo": lambda c: c.call("GET", action="query", meta="siteinfo", siprop="general|namespaces"),
    "login-success": lambda c: c.login(),
    "login-wrong-password": lambda c: c.login(password="wrong"),
    "maxlag": lambda c: (c.sb.faults.configure("maxlag=on:lag=10"),
                         c.call("GET", action="query", meta="siteinfo", maxlag="5"))[1],
    "recentchanges": lambda c: c.call("GET", action="query", list="recentchanges", rcnamespace="1198",
                                      rclimit="3", rcdir="newer", rcprop="title|ids|timestamp|user|comment"),
    "allpages-revisions-page1": lambda c: c.call("GET", action="query", generator="allpages", gapnamespace="1198",
                                                 gapprefix=f"{BUNDLE}/", gaplimit="5", prop="revisions",
                                                 rvprop="ids|timestamp|user|content", rvslots="main"),
    "edit-badtoken": lambda c: (c.login(), c.call("POST", action="edit", title="X", text="y", token="bad+\\"))[1],
    "edit-assert-user-anon": lambda c: c.call("POST", action="edit", title="X", text="y", token="+\\",
                                              **{"assert": "user"}),
    "edit-assert-bot": lambda c: (c.login("Peer2@capxl10n", PEER_PASSWORD),
                                  _edit(c, title=c.unit("pt-br", True), text="x", **{"assert": "bot"}))[1],
    "edit-assert-bot-with-bot-group": lambda c: (c.login(), _edit(c, title=c.unit("pt-br", True), text="bot text",
                                                                  bot="1", **{"assert": "bot"}))[1],
    "edit-create": lambda c: (c.login("Peer2@capxl10n", PEER_PASSWORD),
                              _edit(c, title=c.unit("pt-br", False), text="novo", createonly="1"))[1],
    "edit-createonly-exists": lambda c: (c.login(), _edit(c, title=c.unit("pt-br", True), text="x",
                                                          createonly="1"))[1],
    "edit-invalid-title": lambda c: (c.login(), _edit(c, title="Translations:Bad[title]", text="x"))[1],
    "edit-title-too-long": lambda c: (c.login(), _edit(c, title="Translations:" + "x" * 300, text="x"))[1],
    "edit-nochange": lambda c: (c.login("Peer2@capxl10n", PEER_PASSWORD),
                                _nochange_peer(c))[1],
    "edit-nocreate-missing": lambda c: (c.login(), _edit(c, title="Does not exist", text="x", nocreate="1"))[1],
    "edit-conflict-baserevid": _conflict("rev"),
    "edit-conflict-basetimestamp": _conflict("ts"),
    "edit-signature-and-fuzzy-marker": _signature,
    "delete": lambda c: (c.login(), c.call("POST", action="delete", title=c.unit("pt-br", True),
                                           token=c.csrf()))[1],
}


def _nochange_peer(c: Client) -> requests.Response:
    title = c.unit("pt-br", False)
    _edit(c, title=title, text="mesmo texto")
    return _edit(c, title=title, text="mesmo texto")


def recordings() -> list[Path]:
    return sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []


@pytest.mark.parametrize("path", recordings(), ids=lambda p: p.stem)
def test_recording_has_a_case(path: Path) -> None:
    assert path.stem in CASES, f"no sandbox replay for {path.name}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_sandbox_matches_recording(name: str, sandbox_factory: Callable[..., Sandbox], reference_dir: Path) -> None:
    recording = load_recording(reference_dir / "mediawiki-responses" / f"{name}.json")
    sb = sandbox_factory(capacities=8, languages=3, start=False)
    client = Client(sb, formatversion_of(recording))
    response = CASES[name](client)
    problems = compare(recording, response.status_code, response.headers, response.json())
    assert not problems, f"{name}: {recording['_case']}\n" + "\n".join(problems)
