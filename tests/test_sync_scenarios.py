"""End-to-end sync scenarios on the sandbox, through the CLI (issue 6).

Humans are played by the sandbox user Peer2 editing through the real API;
the sync runs as ``capxl10n`` (click's CliRunner, or a subprocess where it
must be killed). Revisions are counted in the sandbox's store to prove that
nothing is written twice.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from capxl10n.cli.main import main
from capxl10n.core.model import TermKey
from capxl10n.engine.clients import Clients

BUNDLE = "Module:CapacityExchange/capacities.json"
REPO = Path(__file__).resolve().parents[1]


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


def test_first_sync_baseless_then_noop_in_few_requests(world: World) -> None:
    assert world.base()  # base recorded
    assert (world.tmp / "catalogs" / "capacities.pot").is_file()
    assert written_ops(world), "the first sync wrote nothing: this test would prove nothing"
    world.sb.stats.reset()
    again = world.cli("--format", "json", "sync")  # our own writes are in the read cache: not read back
    assert again.exit_code == 0, again.output
    assert world.sb.stats.total <= 5, world.sb.stats.modules()
    summary = json.loads(again.output)
    assert summary["plan"]["summary"]["operations"] == 0
    assert "0 change(s)" in world.cli("plan").output


@pytest.mark.parametrize("target", ["metabase", "metawiki"])
def test_human_edit_after_our_write_on_same_page_is_seen(world: World, target: str) -> None:
    ours = [op for op in written_ops(world) if op["target"] == target and op["new"] and op["lang"] not in ("en", "qqq")]
    assert ours, f"the first sync wrote nothing on {target}"
    op = ours[0]
    key = TermKey(op["qid"], op["field"], op["lang"])
    if target == "metabase":  # another term of the very item we wrote, by a human, after our write
        other = next(k for k in sorted(world.base(), key=lambda k: k.sort_key())
                     if k.qid == key.qid and k.lang not in ("en", "qqq") and k != key and world.base()[k])
        world.peer.set_term(op["page"], other.field, other.lang, "Human edit after the bot")
        result = world.cli("sync")
        assert result.exit_code == 0, result.output
        assert world.unit(other).text == "Human edit after the bot"
    else:  # the very unit page we wrote
        world.peer.edit_unit(key, "Human edit after the bot")
        result = world.cli("sync")
        assert result.exit_code == 0, result.output
        assert world.metabase_text(key.qid, key.field, key.lang) == "Human edit after the bot"
    assert "0 change(s)" in world.cli("plan").output


def test_our_english_change_outdates_translations_seen_next_run(world: World) -> None:
    key = world.pick()
    world.peer.set_term(world.item(key.qid), key.field, "en", "A brand new English source")
    assert world.cli("sync").exit_code == 0  # writes the bundle; Translate outdates the translations
    assert world.unit(key).fuzzy
    world.sb.stats.reset()
    assert world.cli("sync").exit_code == 0
    assert world.sb.stats.total > 2  # the outdated language was read again although only we edited
    term = cached_metawiki(world).terms[key]
    assert term.fuzzy, term
    assert world.metabase_text(key.qid, key.field, key.lang) is not None  # fuzzy never deletes nor copies


def test_dry_run_is_read_only(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    key = world.pick()
    world.peer.edit_unit(key, "dry run text")
    revisions = len(world.bot_revisions())
    world.sb.stats.reset()
    with sqlite3.connect(world.state) as db:
        runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        base = db.execute("SELECT COUNT(*), MAX(updated) FROM base").fetchone()
    methods: list[str] = []
    send = requests.Session.send

    def observed_send(self: requests.Session, request: requests.PreparedRequest, **kw: Any) -> Any:
        methods.append(str(request.method))
        return send(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", observed_send)
    result = world.cli("sync", "--dry-run")
    assert result.exit_code == 4, result.output
    assert methods and set(methods) == {"GET"}, methods
    modules = world.sb.stats.modules()
    assert modules and not [m for m in modules if "login" in m or "edit" in m or "tokens" in m], modules
    assert len(world.bot_revisions()) == revisions
    with sqlite3.connect(world.state) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == runs
        assert db.execute("SELECT COUNT(*), MAX(updated) FROM base").fetchone() == base


def test_translator_on_metawiki_lands_on_metabase(world: World) -> None:
    key = world.pick()
    world.peer.edit_unit(key, "Tradução nova")
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == "Tradução nova"
    assert world.cli("sync").exit_code == 0
    assert "0 change(s)" in world.cli("plan").output


def test_metabase_edit_lands_on_metawiki(world: World) -> None:
    key = world.pick()
    world.peer.set_term(world.item(key.qid), key.field, key.lang, "Edited on Metabase")
    assert world.cli("sync").exit_code == 0
    assert world.unit(key).text == "Edited on Metabase"
    assert world.cli("plan").exit_code == 0


def test_english_change_updates_bundle_fuzzy_not_copied_back(world: World) -> None:
    key = world.pick()
    english = TermKey(key.qid, key.field, "en")
    world.peer.set_term(world.item(key.qid), key.field, "en", "A brand new English source")
    assert world.cli("sync").exit_code == 0
    assert world.bundle()[key.message_key] == "A brand new English source"
    unit = world.unit(key)
    assert unit is not None and unit.fuzzy
    before = world.metabase_text(key.qid, key.field, key.lang)
    for _ in range(2):
        assert world.cli("sync").exit_code == 0
    assert world.metabase_text(key.qid, key.field, key.lang) == before
    assert world.base()[english] == "A brand new English source"


@pytest.mark.parametrize("side", ["metabase", "metawiki"])
def test_deletion_stays_deleted_after_two_more_syncs(world: World, side: str) -> None:
    key = world.pick()
    if side == "metabase":
        world.peer.set_term(world.item(key.qid), key.field, key.lang, None)
    else:
        world.sb.site("metawiki").wiki.delete_page(
            f"Translations:{BUNDLE}/{key.message_key}/{key.lang}",
            user=world.sb.site("metawiki").wiki.user("Peer2"))
    assert world.cli("sync").exit_code == 0
    for _ in range(2):
        result = world.cli("sync")
        assert result.exit_code == 0, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) is None
    unit = world.unit(key)
    assert unit is None or unit.fuzzy  # deleted, or outdated when the bot may not delete
    assert world.base()[key] is None


def test_conflict_nothing_written_exit_3_then_resolved_via_inbox(world: World) -> None:
    key = world.pick()
    world.peer.set_term(world.item(key.qid), key.field, key.lang, "Metabase says")
    world.peer.edit_unit(key, "Meta-Wiki says")
    revisions = len(world.bot_revisions())
    result = world.cli("sync")
    assert result.exit_code == 3, result.output
    assert len(world.bot_revisions()) == revisions
    listing = world.cli("--format", "json", "conflicts")
    assert listing.exit_code == 3
    (row,) = json.loads(listing.output)
    assert row["metabase"]["text"] == "Metabase says" and row["metawiki"]["text"] == "Meta-Wiki says"
    assert row["metawiki"]["author"] == "Peer2"
    assert world.cli("sync").exit_code == 3  # reported on every run
    po = world.tmp / f"{key.lang}.po"
    assert world.cli("conflicts", "export", "--lang", key.lang, "-o", str(po)).exit_code == 0
    text = po.read_text(encoding="utf-8")
    assert f'msgctxt "{BUNDLE}/{key.message_key}"' in text and "Metabase says" in text and "Meta-Wiki says" in text
    import polib
    catalog = polib.pofile(str(po))
    catalog[0].msgstr = "Agreed text"
    catalog.save(str(po))
    imported = world.cli("conflicts", "import", str(po))
    assert imported.exit_code == 0 and "1 decision" in imported.output
    assert world.cli("sync").exit_code == 0
    assert world.metabase_text(key.qid, key.field, key.lang) == "Agreed text"
    assert world.unit(key).text == "Agreed text"
    assert world.cli("conflicts").exit_code == 0
    assert world.cli("sync").exit_code == 0


def test_conflict_resolved_by_take(world: World) -> None:
    key = world.pick()
    world.peer.set_term(world.item(key.qid), key.field, key.lang, "Metabase says")
    world.peer.edit_unit(key, "Meta-Wiki says")
    assert world.cli("sync").exit_code == 3
    resolved = world.cli("conflicts", "resolve", key.message_key, "--lang", key.lang, "--take", "metawiki")
    assert resolved.exit_code == 0, resolved.output
    assert world.cli("sync").exit_code == 0
    assert world.metabase_text(key.qid, key.field, key.lang) == "Meta-Wiki says"


def test_concurrent_editor_between_plan_and_apply_is_caught(world: World) -> None:
    key = world.pick()
    world.peer.edit_unit(key, "Planned value")
    plan = world.tmp / "plan.json"
    assert world.cli("plan", "-o", str(plan)).exit_code == 4
    world.peer.set_term(world.item(key.qid), key.field, key.lang, "Concurrent value")
    result = world.cli("apply", str(plan))
    assert result.exit_code == 3, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == "Concurrent value"


def test_edit_conflict_on_other_term_of_same_item_retried(world: World) -> None:
    key = world.pick()
    world.peer.edit_unit(key, "Planned value")
    plan = world.tmp / "plan.json"
    assert world.cli("plan", "-o", str(plan)).exit_code == 4
    other = "description" if key.field == "label" else "label"
    world.peer.set_term(world.item(key.qid), other, key.lang, "Another term changed meanwhile")
    result = world.cli("apply", str(plan))
    assert result.exit_code == 0, result.output
    assert world.metabase_text(key.qid, key.field, key.lang) == "Planned value"
    assert world.metabase_text(key.qid, other, key.lang) == "Another term changed meanwhile"


def test_new_capacity_keys_added_to_bundle(world: World) -> None:
    from capxl10n.core.model import Capacity
    from capxl10n.sandbox.wikibase.seed import seed_metabase
    repo = world.sb.extras["metabase_repo"]
    seed_metabase(repo, [Capacity("Q424242")], {("Q424242", "label", "en"): "Brand new capacity",
                                                ("Q424242", "description", "en"): "Added on Metabase today",
                                                ("Q424242", "label", "de"): "Ganz neu"})
    result = world.cli("sync")  # incremental: the new items show in recentchanges
    assert result.exit_code == 0, result.output
    bundle = world.bundle()
    assert bundle["Q424242-label"] == "Brand new capacity"
    assert bundle["Q424242-description"] == "Added on Metabase today"
    assert world.unit(TermKey("Q424242", "label", "de")).text == "Ganz neu"
    assert world.cli("sync").exit_code == 0
    assert "0 change(s)" in world.cli("plan").output


def test_key_removed_from_bundle_by_hand_is_restored(world: World) -> None:
    key = world.pick()
    trimmed = {k: v for k, v in world.bundle().items() if k != f"{key.qid}-{key.field}"}
    world.peer.post("metawiki", action="edit", title=BUNDLE, text=json.dumps(trimmed, ensure_ascii=False))
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert key.message_key in world.bundle()
    assert world.metabase_text(key.qid, key.field, "en")  # never deleted on Metabase


def test_plan_bad_inputs(world: World) -> None:
    key = world.pick()
    world.peer.edit_unit(key, "Something new")
    plan = world.tmp / "plan.json"
    assert world.cli("plan", "-o", str(plan)).exit_code == 4
    revisions = len(world.bot_revisions())
    bad = world.tmp / "bad.json"
    bad.write_text(plan.read_text()[:-40], encoding="utf-8")
    result = world.cli("apply", str(bad))
    assert result.exit_code == 1 and "malformed JSON" in result.output
    other = world.tmp / "other.json"
    from dataclasses import replace
    from capxl10n.core.plan import dumps, loads
    other.write_text(dumps(replace(loads(plan.read_text()), profile="production")))  # made for another profile
    result = world.cli("apply", str(other))
    assert result.exit_code == 2 and "production" in result.output
    env = {k: v for k, v in world.env.items() if "METABASE_PASSWORD" not in k}
    env["CAPXL10N_METABASE_PASSWORD"] = ""
    result = world.cli("apply", str(plan), env=env)
    assert result.exit_code == 1 and "CAPXL10N_METABASE_PASSWORD" in result.output
    assert len(world.bot_revisions()) == revisions


def test_state_from_newer_version_refused(world: World) -> None:
    with sqlite3.connect(world.state) as db:
        db.execute("PRAGMA user_version = 99")
    before = world.state.read_bytes()
    result = world.cli("sync")
    assert result.exit_code == 1 and "newer capxl10n" in result.output
    assert world.state.read_bytes() == before


def test_json_logs_for_unattended_runs(world: World) -> None:
    key = world.pick()
    world.peer.edit_unit(key, "Logged change")
    runner = CliRunner()
    result = runner.invoke(main, ["--log-format", "json", *world.args("sync")], env=world.env)
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stderr.splitlines()]  # every stderr line is JSON
    phases = {e.get("phase") for e in events}
    assert {"plan", "apply", "done"} <= phases
    assert len({e["run"] for e in events if "run" in e}) == 1
    with sqlite3.connect(world.state) as db:
        (summary,) = db.execute("SELECT summary FROM runs ORDER BY rowid DESC LIMIT 1").fetchone()
    assert json.loads(summary)["exit_code"] == 0


def test_maxlag_and_429_storm_finishes_later(world: World) -> None:
    langs = sorted({k.lang for k in world.base() if k.lang not in ("en", "qqq")})[:3]
    keys = [world.pick(lang) for lang in langs]
    for n, key in enumerate(keys):
        world.peer.edit_unit(key, f"storm {n}")
    plan = world.tmp / "plan.json"
    assert world.cli("plan", "-o", str(plan)).exit_code == 4
    world.sb.faults.configure("maxlag=on:lag=9,sites=metabase")
    result = world.cli("apply", str(plan))
    assert result.exit_code == 5, result.output
    assert "rerun" in result.output
    world.sb.faults.configure("429=0.3:retry_after=0,seed=3")
    result = world.cli("apply", str(plan))  # resumes the same plan through a 429 storm
    world.sb.faults.configure(None)
    if result.exit_code == 5:
        result = world.cli("sync")
    assert result.exit_code == 0, result.output
    for n, key in enumerate(keys):
        assert world.metabase_text(key.qid, key.field, key.lang) == f"storm {n}"
    assert world.cli("sync").exit_code == 0


@pytest.mark.parametrize("kill_after", [1, 3])
def test_kill_9_during_apply_then_rerun_converges(sandbox_factory: Any, tmp_path: Path, kill_after: int) -> None:
    from capxl10n.sandbox.server import credentials_env
    sb = sandbox_factory(latency_ms=40)
    env = {**os.environ, **credentials_env(), "PYTHONPATH": str(REPO)}
    w = World(sb, tmp_path, env)
    assert w.cli("sync").exit_code == 0
    for key in [k for k in sorted(w.base(), key=TermKey.sort_key) if k.lang not in ("en", "qqq") and w.base()[k]][:6]:
        w.peer.edit_unit(key, f"killed {key.message_key}")
    plan = tmp_path / "plan.json"
    assert w.cli("plan", "-o", str(plan)).exit_code == 4
    before = Counter(w.bot_revisions())
    proc = subprocess.Popen([sys.executable, "-m", "capxl10n", *w.args("apply", str(plan))], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with sqlite3.connect(w.state, timeout=1) as db:
                    sent = db.execute("SELECT COUNT(*) FROM journal WHERE status IN ('sent','done')").fetchone()[0]
            except sqlite3.OperationalError:
                sent = 0
            if sent >= kill_after:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL  # killed mid-apply, not finished
    result = w.cli("apply", str(plan))
    assert result.exit_code == 0, result.output
    writes = w.bot_revisions()
    new = Counter(writes) - before
    assert new and max(new.values()) == 1  # every target written once, never twice
    assert w.cli("sync").exit_code == 0
    assert w.bot_revisions() == writes  # and a second sync writes nothing


def test_language_metabase_does_not_accept_listed_once_rest_proceeds(world: World) -> None:
    key = world.pick()
    sh = [TermKey(key.qid, "label", "sh-latn"), TermKey(key.qid, "description", "sh-latn")]
    for n, k in enumerate(sh):
        world.peer.edit_unit(k, f"Srpskohrvatski {n}")
    world.peer.edit_unit(key, "Accepted language text")
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert result.output.count("sh-latn") == 1  # listed once, not once per term
    assert world.metabase_text(key.qid, key.field, key.lang) == "Accepted language text"
    assert world.metabase_text(key.qid, "label", "sh-latn") is None
    again = world.cli("--format", "json", "sync")
    assert again.exit_code == 0
    assert json.loads(again.output)["plan"]["notes"]["unaccepted_languages"] == ["sh-latn"]
