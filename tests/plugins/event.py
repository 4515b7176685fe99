"""An event on the sandbox, in the past: the sandbox's clock is ours to move (``event``).

The sandbox gives every write a second of its own, so after a sync its clock runs ahead of ours;
a report's window must be in the past for capxl10n (a window in the future is refused). Here the
wikis live two days ago, on a clock the test moves: ``event.at(minutes)`` sets it to the event's
start plus ``minutes``; the first sync (the baseline) ran an hour before the start.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from capxl10n.core.model import TermKey
from capxl10n.core.report import iso
from capxl10n.sandbox.server import Sandbox, credentials_env


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class Event:
    """The sandbox, the CLI on it (``World`` of test_sync_scenarios), and the event's clock."""

    def __init__(self, sandbox: Sandbox, clock: Clock, start: int, tmp: Path) -> None:
        from test_sync_scenarios import World
        self.sb, self.clock, self.start = sandbox, clock, start
        self.world = World(sandbox, tmp, {**os.environ, **credentials_env()})

    def at(self, minutes: float) -> int:
        """Move the wikis' clock to the event's start plus ``minutes``; the time, in seconds."""
        moment = int(self.start + minutes * 60)
        self.clock.now = moment
        return moment

    def iso(self, minutes: float) -> str:
        return iso(int(self.start + minutes * 60))

    def cli(self, *args: str) -> Any:
        return self.world.cli(*args)

    def untranslated(self, lang: str, n: int, *, skip: int = 0) -> list[TermKey]:
        """``n`` messages with English that ``lang`` has on neither wiki."""
        base = self.world.base()
        out = [TermKey(k.qid, k.field, lang) for k in sorted(base, key=lambda k: k.sort_key())
               if k.lang == "en" and base[k] and TermKey(k.qid, k.field, lang) not in base]
        return out[skip:skip + n]

    def translated(self, lang: str) -> list[TermKey]:
        base = self.world.base()
        return [k for k in sorted(base, key=lambda k: k.sort_key()) if k.lang == lang and base[k]]

    def translator(self, name: str) -> Translator:
        """A human account on both wikis, editing through the API as the sandbox's Peer2 does."""
        password = f"{name.lower()}-password-0123456789abcdef"
        for site in ("metabase", "metawiki"):
            self.sb.site(site).wiki.add_user(name, groups=("*", "user", "autoconfirmed"),
                                             bot_passwords={"capxl10n": password})
        return Translator(self.sb, name, password)


class Translator:
    """A person editing the sandbox through its API (their own account): Meta-Wiki units, Metabase terms."""

    def __init__(self, sandbox: Sandbox, name: str, password: str) -> None:
        from test_sync_scenarios import Peer
        self.name = name
        self.peer = Peer(sandbox)
        login, secret = f"{name}@capxl10n", password

        def session(site: str) -> tuple[Any, str]:
            if site not in self.peer.sessions:
                s = sandbox.session()
                url = sandbox.api_url(site)
                token = s.get(url, params={"action": "query", "meta": "tokens", "type": "login",
                                           "format": "json"}).json()["query"]["tokens"]["logintoken"]
                answer = s.post(url, data={"action": "login", "lgname": login, "lgpassword": secret,
                                           "lgtoken": token, "format": "json"}).json()
                assert answer["login"]["result"] == "Success", answer
                csrf = s.get(url, params={"action": "query", "meta": "tokens", "format": "json"}).json()
                self.peer.sessions[site] = (s, csrf["query"]["tokens"]["csrftoken"])
            return self.peer.sessions[site]

        self.peer._session = session  # type: ignore[method-assign]

    def unit(self, key: TermKey, text: str) -> None:
        """Save a translation on Meta-Wiki (a unit page, as Special:Translate does)."""
        self.peer.edit_unit(key, text)

    def term(self, item: str, key: TermKey, text: str | None) -> None:
        """Set (or remove, None) a label or description on Metabase."""
        self.peer.set_term(item, key.field, key.lang, text)


@pytest.fixture
def event(tmp_path: Path) -> Iterator[Event]:
    start = int(datetime.now(timezone.utc).timestamp()) - 2 * 86400
    start -= start % 3600
    clock = Clock(start - 3600)
    sb = Sandbox(seed=1, capacities=20, languages=6, clock=clock).start()
    try:
        ev = Event(sb, clock, start, tmp_path)
        first = ev.cli("sync")
        assert first.exit_code == 0, first.output
        yield ev
    finally:
        sb.stop()


def wait_a_second() -> None:
    time.sleep(1.05)
