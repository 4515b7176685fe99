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
from plugins.world import BUNDLE, REPO, World, cached_metawiki, written_ops


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


def test_previous_english_survives_a_sync_that_also_adds_keys(world: World) -> None:
    """One sync adds a capacity's keys to the bundle and changes another's English: the keys make it read
    Meta-Wiki again in full, and that read still knows the English the outdated translations were made from
    (todo's previous English, the catalogs' ``#| msgid``)."""
    from capxl10n.core.model import Capacity
    from capxl10n.sandbox.wikibase.seed import seed_metabase
    key = world.pick()
    english = TermKey(key.qid, key.field, "en")
    before = world.metabase_text(english.qid, english.field, "en")
    seed_metabase(world.sb.extras["metabase_repo"], [Capacity("Q424243")],
                  {("Q424243", "label", "en"): "Another new capacity", ("Q424243", "description", "en"): "New"})
    world.peer.set_term(world.item(key.qid), key.field, "en", "A new English text")
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    assert world.bundle()["Q424243-label"] == "Another new capacity" and world.unit(key).fuzzy
    listed = world.cli("-f", "json", "todo", "--lang", key.lang)
    assert listed.exit_code == 0, listed.output
    items = {i["key"]: i for b in json.loads(listed.stdout)["branches"] for i in b["items"]}
    item = items[key.message_key]
    assert (item["status"], item["previous_english"]) == ("outdated", before)

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
