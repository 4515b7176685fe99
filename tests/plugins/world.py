"""A synced sandbox world for end-to-end tests: the CLI on a profile pointing at the sandbox, a human
(``Peer``, the sandbox user Peer2 editing through the real API) and readers that check the results.

Humans are played by Peer2; the sync runs as ``capxl10n`` (click's CliRunner, or a subprocess where it
must be killed). Revisions are counted in the sandbox's store to prove that nothing is written twice.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from capxl10n.cli.main import main
from capxl10n.core.model import TermKey
from capxl10n.engine.clients import Clients


BUNDLE = "Module:CapacityExchange/capacities.json"


REPO = Path(__file__).resolve().parents[2]


class Peer:
    """Peer2 editing the sandbox through its API, as a human would (no bases: last writer wins)."""

    def __init__(self, sandbox: Any) -> None:
        self.sb = sandbox
        self.sessions: dict[str, Any] = {}

    def _session(self, site: str) -> tuple[Any, str]:
        if site not in self.sessions:
            s = self.sb.session()
            url = self.sb.api_url(site)
            token = s.get(url, params={"action": "query", "meta": "tokens", "type": "login",
                                       "format": "json"}).json()["query"]["tokens"]["logintoken"]
            login = s.post(url, data={"action": "login", "lgname": "Peer2@capxl10n", "format": "json",
                                      "lgpassword": "sandbox-peer2-password-0123456789abcdef",
                                      "lgtoken": token}).json()
            assert login["login"]["result"] == "Success", login
            csrf = s.get(url, params={"action": "query", "meta": "tokens", "format": "json"}).json()
            self.sessions[site] = (s, csrf["query"]["tokens"]["csrftoken"])
        return self.sessions[site]

    def post(self, site: str, **params: Any) -> dict[str, Any]:
        s, token = self._session(site)
        answer = s.post(self.sb.api_url(site), data={**params, "token": token, "format": "json",
                                                     "formatversion": "2"}).json()
        assert "error" not in answer, answer
        return answer

    def set_term(self, item: str, fld: str, lang: str, text: str | None) -> None:
        kind = "labels" if fld == "label" else "descriptions"
        value = {"language": lang, "remove": ""} if text is None else {"language": lang, "value": text}
        self.post("metabase", action="wbeditentity", id=item, data=json.dumps({kind: {lang: value}}))

    def edit_unit(self, key: TermKey, text: str) -> None:
        self.post("metawiki", action="edit", title=f"Translations:{BUNDLE}/{key.message_key}/{key.lang}",
                  text=text, summary="peer")

    def edit_bundle(self, changes: dict[str, str]) -> None:
        s, _ = self._session("metawiki")
        data = s.get(self.sb.api_url("metawiki"), params={
            "action": "query", "prop": "revisions", "titles": BUNDLE, "rvprop": "content", "rvslots": "main",
            "format": "json", "formatversion": "2"}).json()
        content = json.loads(data["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"])
        content.update(changes)
        self.post("metawiki", action="edit", title=BUNDLE, text=json.dumps(content, ensure_ascii=False),
                  summary="peer")


class World:
    """One sandbox, a profile file pointing at it, the CLI, and readers for checking results."""

    def __init__(self, sandbox: Any, tmp_path: Path, env: dict[str, str]) -> None:
        self.sb = sandbox
        self.tmp = tmp_path
        self.env = env
        text = (REPO / "capxl10n" / "profiles" / "sandbox.toml").read_text(encoding="utf-8")
        self.profile_path = tmp_path / "sandbox.toml"
        # Retry-After waits longer than a second give up at once: tests never sleep for real.
        text = text.replace("http://127.0.0.1:8765", sandbox.url).replace("max_wait_seconds = 60",
                                                                          "max_wait_seconds = 1")
        self.profile_path.write_text(text, encoding="utf-8")
        self.state = tmp_path / "state.sqlite"
        self.peer = Peer(sandbox)
        from capxl10n.profile import load_profile
        self.profile = load_profile(str(self.profile_path)).with_paths(state=self.state,
                                                                       catalogs=tmp_path / "catalogs")

    def args(self, *args: str) -> list[str]:
        return ["--profile", str(self.profile_path), "--state", str(self.state),
                "--catalogs", str(self.tmp / "catalogs"), *args]

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Any:
        result = CliRunner().invoke(main, self.args(*args), env=self.env if env is None else env,
                                    catch_exceptions=False)
        return result

    def clients(self) -> Clients:
        from dataclasses import replace
        return Clients(replace(self.profile, wikidata=replace(self.profile.wikidata, enabled=False)),
                       session_factory=lambda p, s: self.sb.session())

    def metabase_text(self, qid: str, fld: str, lang: str) -> str | None:
        item = self.item(qid)
        _rev, terms = self.clients().metabase.read_item(item)
        return terms.get((fld, lang))

    def unit(self, key: TermKey) -> Any:
        term, _rev, _ts = self.clients().metawiki.read_unit(key)
        return term

    def bundle(self) -> dict[str, str]:
        return dict(self.clients().metawiki.read_bundle().messages)

    def item(self, qid: str) -> str:
        with sqlite3.connect(self.state) as db:
            row = db.execute("SELECT item FROM capacities WHERE qid = ?", (qid,)).fetchone()
        return row[0]

    def base(self) -> dict[TermKey, str | None]:
        with sqlite3.connect(self.state) as db:
            return {TermKey(q, f, lg): v for q, f, lg, v in db.execute("SELECT qid, field, lang, value FROM base")}

    def bot_revisions(self) -> list[tuple[str, str]]:
        out = []
        for name in ("metabase", "metawiki"):
            wiki = self.sb.site(name).wiki
            for page in wiki.pages.values():
                out.extend((name, page.title) for r in page.revisions if r.user == "CapxBot")
        return out

    def pick(self, lang: str | None = None, *, both: bool = True) -> TermKey:
        """A translated term (not English) present and equal on both sides after the first sync."""
        base = self.base()
        for key, value in sorted(base.items(), key=lambda kv: kv[0].sort_key()):
            if value and key.lang not in ("en", "qqq") and (lang is None or key.lang == lang):
                return key
        raise AssertionError("no agreed term")


@pytest.fixture
def world(sandbox_profile: Any, tmp_path: Path) -> World:
    w = World(sandbox_profile.sandbox, tmp_path, sandbox_profile.env)
    first = w.cli("sync")
    assert first.exit_code == 0, first.output
    return w


def written_ops(world: World) -> list[dict[str, Any]]:
    """The operations our syncs wrote (done in the journal), from the plans stored in the state."""
    with sqlite3.connect(world.state) as db:
        done = {(p, o) for p, o in db.execute("SELECT plan_id, op_id FROM journal WHERE status = 'done'")}
        plans = db.execute("SELECT plan_id, body FROM plans").fetchall()
    return [op for plan_id, body in plans for op in json.loads(body)["operations"] if (plan_id, op["id"]) in done]


def cached_metawiki(world: World) -> Any:
    from capxl10n.engine.state import open_state
    with open_state(world.state) as state:
        cached = state.load_side("metawiki")
    assert cached is not None
    return cached[0]


def set_wikidata_term(sandbox: Any, qid: str, fld: str, lang: str, text: str) -> None:
    """Give a sandbox Wikidata concept a term (its API refuses writes, as Wikidata does for our bot)."""
    from capxl10n.sandbox.wikibase import entity as wbe
    from capxl10n.sandbox.wikibase.seed import seed_user

    repo = sandbox.extras["wikidata_repo"]
    with repo.wiki.lock:
        found = repo.get(qid)
        assert found is not None, qid
        entity = wbe.from_storage_json(wbe.to_storage_json(found[0]))
        wbe.set_term(entity, "labels" if fld == "label" else "descriptions", lang, text)
        repo.save(entity, user=seed_user(repo, "WikidataImporter"), summary="test", bot=True)
