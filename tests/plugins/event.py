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
        from plugins.world import World
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
        """A human account on both wikis, editing through the API as the sandbox's Peer2 does (not one of the
        seeded editors: Alice, Bruno, Chen, Dalia, Admin)."""
        assert name not in self.sb.site("metawiki").wiki.users, f"{name} is a seeded account"
        password = f"{name.lower()}-password-0123456789abcdef"
        for site in ("metabase", "metawiki"):
            self.sb.site(site).wiki.add_user(name, groups=("*", "user", "autoconfirmed"),
                                             bot_passwords={"capxl10n": password})
        return Translator(self.sb, name, password)


class Translator:
    """A person editing the sandbox through its API (their own account): Meta-Wiki units, Metabase terms."""

    def __init__(self, sandbox: Sandbox, name: str, password: str) -> None:
        from plugins.world import Peer
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


class Translatathon:
    """What the scripted mini translat-a-thon did (``run_translatathon``): the edits, by whom, where."""

    def __init__(self) -> None:
        #: translator → kind → set of terms
        self.by: dict[str, dict[str, set[TermKey]]] = {}
        self.channels: dict[str, set[str]] = {}
        self.confirmed: set[TermKey] = set()

    def did(self, who: str, kind: str, key: TermKey, channel: str) -> None:
        self.by.setdefault(who, {}).setdefault(kind, set()).add(key)
        self.channels.setdefault(who, set()).add(channel)

    def count(self, who: str, kind: str, lang: str | None = None) -> int:
        return len({k for k in self.by.get(who, {}).get(kind, set()) if lang is None or k.lang == lang})

    def gained(self, lang: str) -> int:
        """Terms of ``lang`` that became current: translated or fixed by anyone, or confirmed."""
        keys = {k for kinds in self.by.values() for kind, ks in kinds.items() if kind in ("translated", "fixed")
                for k in ks if k.lang == lang}
        return len(keys | {k for k in self.confirmed if k.lang == lang})

    def fixed(self, lang: str) -> int:
        keys = {k for kinds in self.by.values() for k in kinds.get("fixed", set()) if k.lang == lang}
        return len(keys | {k for k in self.confirmed if k.lang == lang})


def outdated_units(ev: Event, lang: str) -> list[tuple[TermKey, str]]:
    """The outdated units of ``lang`` on Meta-Wiki (as the state's last read holds them), with their text."""
    from capxl10n.engine.state import open_state
    with open_state(ev.world.state) as state:
        cached = state.load_side("metawiki")
    assert cached is not None
    return sorted(((k, t.text) for k, t in cached[0].terms.items() if k.lang == lang and t.fuzzy),
                  key=lambda kt: kt[0].sort_key())


def run_translatathon(ev: Event, monkeypatch: Any) -> Translatathon:
    """A four-hour event from ``ev.start``: Ana brings Arabic past 50 % on Meta-Wiki, Farid adds German on
    Metabase (and edits a description), Chiara fixes Brazilian Portuguese's outdated units on Meta-Wiki and
    confirms one, Dana fills the rest of Brazilian Portuguese in Poedit (a .po import) and takes it to
    100 %; syncs in between, as an hourly cron would; a last pull at the end."""
    import polib

    import capxl10n.engine.imports as imports

    done = Translatathon()
    ana, farid, chiara = ev.translator("Ana"), ev.translator("Farid"), ev.translator("Chiara")
    arabic = ev.untranslated("ar", 16)
    german = ev.untranslated("de", 6)
    german_edit = next(k for k in ev.translated("de") if k.field == "description")
    ev.at(5)
    for i, key in enumerate(arabic[:8]):
        ana.unit(key, f"قدرة رقم {i + 1}: ترجمة عربية")
        done.did("Ana", "translated", key, "metawiki")
    ev.at(20)
    for i, key in enumerate(arabic[8:], 9):
        ana.unit(key, f"قدرة رقم {i}: ترجمة عربية")
        done.did("Ana", "translated", key, "metawiki")
    ev.at(30)
    assert ev.cli("sync").exit_code == 0
    ev.at(45)
    for i, key in enumerate(german):
        farid.term(ev.world.item(key.qid), key, f"Deutsche Fähigkeit {i + 1}")
        done.did("Farid", "translated", key, "metabase")
    farid.term(ev.world.item(german_edit.qid), german_edit, "Eine überarbeitete deutsche Beschreibung")
    done.did("Farid", "edited", german_edit, "metabase")
    ev.at(60)
    outdated = outdated_units(ev, "pt-br")
    assert len(outdated) >= 2, outdated
    for i, (key, _text) in enumerate(outdated[:-1]):
        chiara.unit(key, f"Tradução revisada {i + 1}")
        done.did("Chiara", "fixed", key, "metawiki")
    confirmed_key, confirmed_text = outdated[-1]
    chiara.unit(confirmed_key, confirmed_text)  # "Confirm translation": the same text, no revision
    done.confirmed.add(confirmed_key)
    ev.at(75)
    assert ev.cli("sync").exit_code == 0
    ev.at(90)
    po_file = ev.world.tmp / "dana-pt-br.po"
    exported = ev.cli("export", "--lang", "pt-br", "--no-suggestions", "-o", str(po_file))
    assert exported.exit_code == 0, exported.output
    po = polib.pofile(str(po_file))
    missing = [e for e in po if not e.msgstr and not e.fuzzy]
    assert missing, "pt-br has nothing missing: the scenario would prove nothing"
    for i, entry in enumerate(missing):
        entry.msgstr = f"Capacidade traduzida no Poedit {i + 1}"
        key = TermKey.from_message_key(entry.msgctxt.rsplit("/", 1)[1], "pt-br")
        done.did("Dana Souza", "translated", key, "import")
    po.metadata["Last-Translator"] = "Dana Souza <dana@example.org>"
    po.save(str(po_file))
    monkeypatch.setattr(imports, "credit_time", lambda: ev.at(95))
    imported = ev.cli("import", str(po_file))
    assert imported.exit_code == 0, imported.output
    ev.at(110)
    assert ev.cli("sync").exit_code == 0
    ev.at(230)
    assert ev.cli("pull").exit_code == 0  # the organizer's last look, after the event
    ev.at(250)
    return done
