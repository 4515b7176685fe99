"""Maintainers' experience (issue 21), through the CLI: errors that say what to do, bulk decisions,
interruptions, run history, progress, and the sandbox in one command.

The sandbox is the ``sandbox_profile`` fixture's; humans are played by ``Peer`` (tests/engine/test_sync_scenarios.py).
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
from plugins.world import World


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


@pytest.fixture
def fresh(sandbox_profile: Any, tmp_path: Path) -> World:
    """A sandbox and a profile file pointing at it; no sync yet (a first contact)."""
    return World(sandbox_profile.sandbox, tmp_path, sandbox_profile.env)


def tables(state: Path, *names: str) -> dict[str, list[Any]]:
    with sqlite3.connect(state) as db:
        return {name: sorted(db.execute(f"SELECT * FROM {name}").fetchall(), key=repr) for name in names}


# -- point 6: every error says what to do ------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["conflicts", "--lang", "pt-bx"],
    ["conflicts", "export", "--lang", "pt-bx", "-o", "OUT"],
    ["conflicts", "resolve", "Q1-label", "--lang", "pt-bx", "--take", "metabase"],
])
def test_an_unknown_lang_is_a_usage_error_naming_the_option_and_the_closest_codes(args: list[str],
                                                                                  tmp_path: Path) -> None:
    out = tmp_path / "out.po"
    result = run("--state", str(tmp_path / "state.sqlite"), *[str(out) if a == "OUT" else a for a in args])
    assert result.exit_code == 2, result.output
    assert "--lang: unknown language code 'pt-bx'" in result.output
    assert "closest known codes: pt-br" in result.output
    assert not out.exists() and not (tmp_path / "state.sqlite").exists()


def test_an_unknown_lang_without_close_codes_points_to_the_language_table(tmp_path: Path) -> None:
    result = run("--state", str(tmp_path / "s.sqlite"), "conflicts", "--lang", "zzzzzz")
    assert result.exit_code == 2
    assert "capxl10n languages" in result.output


def test_a_profile_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    profile = tmp_path / "latin.toml"
    profile.write_bytes('name = "t"\ncontact = "José <j@example.org>"\n'.encode("latin-1"))
    result = run("--profile", str(profile), "plan")
    assert result.exit_code == 1
    assert f"{profile}:2:15: not UTF-8 text (byte 0xe9)" in result.output
    assert "save it as UTF-8" in result.output and "Traceback" not in result.output


def test_a_profile_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    from capxl10n.profile import load_profile

    text = (Path(__file__).parents[2] / "capxl10n/profiles/sandbox.toml").read_text(encoding="utf-8")
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_profile(str(path)).name == "sandbox"


def test_a_profile_that_is_not_toml_says_so_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("name = sandbox\n", encoding="utf-8")
    result = run("--profile", str(path), "plan")
    assert result.exit_code == 1 and "not valid TOML" in result.output and "hint:" in result.output


OTHER_TABLES = ("base", "conflicts", "journal", "plans", "runs", "coverage", "capacities", "exports")


def test_a_dry_run_writes_only_the_read_cache(fresh: World) -> None:
    """README: `--dry-run` writes to no wiki and, in the state, only the read cache."""
    first = fresh.cli("sync")
    assert first.exit_code == 0, first.output
    key = fresh.pick()
    fresh.peer.edit_unit(key, "Texto de um humano")
    with sqlite3.connect(fresh.state) as db:
        meta_before = dict(db.execute("SELECT key, value FROM meta").fetchall())
    before = tables(fresh.state, *OTHER_TABLES)
    writes = len(fresh.bot_revisions())
    dry = fresh.cli("sync", "--dry-run")
    assert dry.exit_code == 4, dry.output
    assert tables(fresh.state, *OTHER_TABLES) == before
    with sqlite3.connect(fresh.state) as db:
        assert dict(db.execute("SELECT key, value FROM meta").fetchall()) == meta_before
    assert len(fresh.bot_revisions()) == writes


def test_the_refused_languages_notice_is_shown_once_then_only_with_v(fresh: World) -> None:
    assert fresh.cli("sync").exit_code == 0
    fresh.peer.edit_unit(TermKey(fresh.pick().qid, "label", "sh-latn"), "Ime sposobnosti")
    notice = "languages Metabase does not accept"
    first = fresh.cli("sync")
    assert notice in first.output and "sh-latn" in first.output, first.output
    again = fresh.cli("sync")
    assert again.exit_code == 0 and notice not in again.output, again.output
    verbose = fresh.cli("-v", "sync")
    assert notice in verbose.output
    dry = fresh.cli("sync", "--dry-run")
    assert notice not in dry.output


# -- point 3: first contact and bulk decisions ------------------------------------------------------
@pytest.fixture
def contact(fresh: World) -> World:
    """A first contact under the production policy (``first_contact = "conflict"``): a sync asks a human."""
    text = fresh.profile_path.read_text(encoding="utf-8").replace('first_contact = "metabase"',
                                                                  'first_contact = "conflict"')
    fresh.profile_path.write_text(text, encoding="utf-8")
    from capxl10n.profile import load_profile
    fresh.profile = load_profile(str(fresh.profile_path)).with_paths(state=fresh.state,
                                                                     catalogs=fresh.tmp / "catalogs")
    return fresh


def inbox(world: World, *args: str) -> list[dict[str, Any]]:
    listed = world.cli("--format", "json", "conflicts", *args)
    assert listed.exit_code in (0, 3), listed.output
    return json.loads(listed.stdout)


def test_a_dry_run_and_the_inbox_agree_pending_conflicts_are_shown_as_pending(contact: World) -> None:
    dry = contact.cli("sync", "--dry-run")
    assert dry.exit_code == 3, dry.output
    assert "found by this dry run, which records nothing" in dry.output
    assert "0 conflict(s) undecided in the inbox (`capxl10n conflicts`), " in dry.output
    found = int(dry.output.split("undecided in the inbox (`capxl10n conflicts`), ")[1].split()[0])
    assert found > 0
    assert inbox(contact) == []
    assert contact.cli("conflicts").output.startswith("no conflicts")
    data = json.loads(contact.cli("--format", "json", "sync", "--dry-run").stdout)
    assert data["plan"]["pending_conflicts"] == found and data["plan"]["recorded"] is False
    synced = contact.cli("sync")
    assert synced.exit_code == 3
    assert len(inbox(contact)) == found
    again = json.loads(contact.cli("--format", "json", "sync", "--dry-run").stdout)
    assert again["plan"]["pending_conflicts"] == 0 and again["plan"]["open_conflicts"] == found


def test_plan_summarises_conflicts_by_language_and_reason(contact: World) -> None:
    planned = contact.cli("plan")
    assert planned.exit_code == 3, planned.output
    assert "in bulk: `capxl10n conflicts resolve --lang L --take metabase|metawiki`" in planned.output
    assert "  by reason:   first-contact " in planned.output
    langs = {c["lang"] for c in inbox(contact)}
    line = next(x for x in planned.output.splitlines() if x.startswith("  by language: "))
    assert {part.split()[0] for part in line[len("  by language: "):].split(", ")} == langs


def test_the_listing_shows_value_author_and_time_per_side(contact: World) -> None:
    contact.cli("sync")
    rows = inbox(contact)
    metabase = [r["metabase"] for r in rows if r["metabase"]]
    metawiki = [r["metawiki"] for r in rows if r["metawiki"]]
    assert metabase and metawiki
    for side in (*metabase, *metawiki):
        assert side["author"] and not side["author"][:4].isdigit(), side  # a user, not a timestamp
        assert side["timestamp"].endswith("Z")
    table = contact.cli("conflicts").output
    head = table.splitlines()[0].split()
    assert head[:10] == ["key", "lang", "kind", "metabase", "metabase_by", "metabase_at", "metawiki",
                         "metawiki_by", "metawiki_at", "decision"]


def test_authors_are_asked_once_per_revision(contact: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reads name no Metabase author and no Meta-Wiki time: asked by revision id, once."""
    import capxl10n.engine.sync as sync_module

    asked: list[int] = []
    real = sync_module.api_lookup

    def counting(api: Any) -> Any:
        lookup = real(api)

        def wrapped(revids: Any) -> Any:
            asked.extend(revids)
            return lookup(revids)
        return wrapped

    monkeypatch.setattr(sync_module, "api_lookup", counting)
    assert contact.cli("sync").exit_code == 3
    first = len(asked)
    assert first > 0
    assert contact.cli("sync").exit_code == 3
    assert len(asked) == first  # the inbox knew every author and time: no request for them


def answer(world: World, text: str, *args: str) -> Any:
    return CliRunner().invoke(main, world.args(*args), env=world.env, input=text, catch_exceptions=False)


def test_bulk_resolve_previews_asks_and_decides(contact: World) -> None:
    contact.cli("sync")
    rows = inbox(contact)
    lang = max({r["lang"] for r in rows}, key=lambda code: sum(r["lang"] == code for r in rows))
    mine = [r for r in rows if r["lang"] == lang]
    assert len(mine) > 1
    refused = answer(contact, "n\n", "conflicts", "resolve", "--lang", lang, "--take", "metabase")
    assert refused.exit_code == 1, refused.output
    assert f"{len(mine)} conflict(s) to decide by keeping the metabase value" in refused.output
    assert f"Decide these {len(mine)} conflicts by keeping the metabase value? [y/N]" in refused.output
    assert "nothing decided" in refused.output
    assert all(r["decision"] is None for r in inbox(contact))
    agreed = answer(contact, "y\n", "conflicts", "resolve", "--lang", lang, "--take", "metabase")
    assert agreed.exit_code == 0, agreed.output
    assert f"{len(mine)} decision(s) recorded (the metabase value)" in agreed.output
    decided = {(r["message_key"], r["lang"]): r for r in inbox(contact) if r["decision"]}
    assert set(decided) == {(r["message_key"], r["lang"]) for r in mine}
    for r in mine:
        assert decided[(r["message_key"], r["lang"])]["decision"]["text"] == (r["metabase"] or {}).get("text")
    synced = contact.cli("sync")
    assert synced.exit_code == 3, synced.output  # the other languages remain
    assert not [r for r in inbox(contact) if r["lang"] == lang]
    for r in mine:
        key = TermKey(r["qid"], r["field"], lang)
        if r["metabase"]:
            assert contact.unit(key).text == r["metabase"]["text"]


def test_bulk_resolve_by_reason_and_all_with_yes(contact: World) -> None:
    contact.cli("sync")
    contact.cli("sync")  # the first contact has ended: its conflicts are kept open, still of their kind
    total = len(inbox(contact))
    assert total and {r["kind"] for r in inbox(contact)} == {"first-contact"}
    by_reason = contact.cli("conflicts", "resolve", "--reason", "first-contact", "--take", "metawiki", "--yes")
    assert by_reason.exit_code == 0, by_reason.output
    assert f"{total} decision(s) recorded (the metawiki value)" in by_reason.output
    nothing = contact.cli("conflicts", "resolve", "--all", "--take", "metabase", "--yes")
    assert nothing.exit_code == 0 and "nothing to decide" in nothing.output
    assert contact.cli("sync").exit_code == 0
    assert inbox(contact) == []


@pytest.mark.parametrize("args, message", [
    (["--take", "metabase"], "say which conflicts to decide: --lang, --reason or --all"),
    (["--all", "--text", "x"], "--text decides one conflict"),
    (["--all"], "say which side to keep"),
    (["Q1-label", "--all", "--take", "metabase"], "either a KEY or --reason/--all"),
    (["Q1-label", "--take", "metabase"], "give the conflict's language once"),
])
def test_bulk_resolve_usage_errors_say_what_to_do(contact: World, args: list[str], message: str) -> None:
    contact.cli("sync")
    result = contact.cli("conflicts", "resolve", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "hint:" in result.output or message in result.output


def test_docs_name_every_kind_of_conflict() -> None:
    from capxl10n.core.reasons import KINDS

    text = (Path(__file__).parents[2] / "docs/sync.md").read_text(encoding="utf-8")
    for name, meaning in KINDS.items():
        assert f"| `{name}` | {meaning} |" in text


# -- point 4: interruptions --------------------------------------------------------------------------
def journaled(state: Path) -> int:
    try:
        with sqlite3.connect(state, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM journal WHERE status IN ('sent','done')").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def spawn(world: World, *args: str) -> Any:
    import os
    import subprocess
    import sys

    env = {**os.environ, **world.env, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.Popen([sys.executable, "-m", "capxl10n", *world.args(*args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def signal_when(proc: Any, ready: Any, *signals: int, timeout: float = 60, gap: float = 0.2) -> str:
    """Send ``signals`` (``gap`` seconds apart) once ``ready()`` holds; the process's output."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.005)
    for n, sig in enumerate(signals):
        if n:
            time.sleep(gap)
        if proc.poll() is None:
            proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    return str(out)


@pytest.fixture
def slow(sandbox_factory: Any, tmp_path: Path) -> World:
    """A first contact slow enough to interrupt (40 ms per request)."""
    from capxl10n.sandbox.server import credentials_env

    return World(sandbox_factory(latency_ms=40), tmp_path, credentials_env())


def runs_table(state: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(state) as db:
        return db.execute("SELECT command, exit_code, summary FROM runs ORDER BY started, rowid").fetchall()


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_during_apply_stops_after_the_write_in_flight_and_the_next_sync_resumes(slow: World,
                                                                                        sig: str) -> None:
    import signal
    from collections import Counter

    proc = spawn(slow, "sync")
    out = signal_when(proc, lambda: journaled(slow.state) >= 3, getattr(signal, sig))
    assert proc.returncode == 5, out
    assert f"{sig}: stopping after the write in flight (Ctrl-C again stops at once)" in out
    assert f"interrupted by {sig}: " in out and " left; the write in flight was finished and journaled" in out
    assert "`capxl10n sync` resumes: it writes only what is left, nothing twice" in out
    assert "Traceback" not in out and "Aborted!" not in out
    with sqlite3.connect(slow.state) as db:
        assert not db.execute("SELECT op_id FROM journal WHERE status = 'sent'").fetchall()  # nothing in flight
    (command, code, summary), = runs_table(slow.state)
    assert (command, code) == ("sync", 5)
    assert json.loads(summary)["apply"]["interrupted"] == sig
    before = slow.bot_revisions()
    resumed = slow.cli("sync")
    assert resumed.exit_code == 0, resumed.output
    writes = Counter(slow.bot_revisions())
    assert max((writes - Counter(before)).values(), default=1) == 1 and max(writes.values()) == 1  # never twice
    assert slow.cli("sync").exit_code == 0 and Counter(slow.bot_revisions()) == writes


def test_ctrl_c_while_reading_stops_there_nothing_written(sandbox_factory: Any, tmp_path: Path) -> None:
    import signal
    import time

    from capxl10n.sandbox.server import credentials_env

    world = World(sandbox_factory(latency_ms=150), tmp_path, credentials_env())
    proc = spawn(world, "sync")
    started = time.monotonic()
    out = signal_when(proc, lambda: time.monotonic() - started > 1.5, signal.SIGINT)
    assert proc.returncode == 5, out
    assert "interrupted by SIGINT while reading: nothing was written to either wiki" in out
    assert "hint: run the same command again: the next run resumes" in out
    assert world.bot_revisions() == []
    (command, code, summary), = runs_table(world.state)
    assert (command, code, json.loads(summary)) == ("sync", 5, {"interrupted": "SIGINT", "phase": "read"})


def test_a_second_ctrl_c_stops_at_once_and_the_next_sync_finds_the_write_in_flight(slow: World) -> None:
    import signal
    from collections import Counter

    proc = spawn(slow, "sync")
    out = signal_when(proc, lambda: journaled(slow.state) >= 3, signal.SIGINT, signal.SIGINT, gap=0.01)
    assert proc.returncode == 5, out
    assert "interrupted at once: a write may have been in flight" in out
    (command, code, summary), = runs_table(slow.state)
    assert code == 5 and json.loads(summary)["interrupted"] == "SIGINT"
    resumed = slow.cli("sync")
    assert resumed.exit_code == 0, resumed.output
    assert max(Counter(slow.bot_revisions()).values()) == 1


# -- point 2: logs and run history -------------------------------------------------------------------
def test_every_json_log_line_has_time_run_phase_and_level(fresh: World) -> None:
    import re

    result = CliRunner().invoke(main, ["--log-format", "json", *fresh.args("sync")], env=fresh.env)
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events
    for event in events:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["time"]), event
        assert event["level"] in ("debug", "info", "warning", "error") and event["phase"] and event["run"]
    assert {e["phase"] for e in events} >= {"read", "plan", "apply", "done"}
    (run_id,) = {e["run"] for e in events}
    listed = json.loads(fresh.cli("--format", "json", "runs").stdout)
    assert [r["run"] for r in listed] == [run_id]


def test_quiet_prints_only_the_result_line_and_errors(fresh: World) -> None:
    result = CliRunner().invoke(main, ["-q", *fresh.args("sync")], env=fresh.env)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert line.startswith("sync: ") and " written (metabase " in line and line.endswith("; exit 0")
    failed = CliRunner().invoke(main, ["-q", *fresh.args("sync")], env={k: "" for k in fresh.env})
    assert failed.exit_code in (0, 1)
    key = fresh.pick()
    fresh.peer.edit_unit(key, "Texto novo")
    no_credentials = CliRunner().invoke(main, ["-q", *fresh.args("sync")], env={k: "" for k in fresh.env})
    assert no_credentials.exit_code == 1
    assert no_credentials.stdout == "" and no_credentials.stderr.startswith("error: ")


def test_verbose_shows_each_operation_and_very_verbose_each_request_redacted(fresh: World) -> None:
    from capxl10n.sandbox.server import BOT_PASSWORD

    verbose = CliRunner().invoke(main, ["-v", *fresh.args("sync")], env=fresh.env)
    assert verbose.exit_code == 0
    wrote = [line for line in verbose.stderr.splitlines() if line.startswith("wrote ")]
    (run,) = json.loads(fresh.cli("--format", "json", "runs").stdout)
    assert len(wrote) == sum(run["written"].values()) > 0
    assert all(w.split()[1] in ("metabase", "metawiki", "bundle") for w in wrote)
    quiet_default = CliRunner().invoke(main, fresh.args("sync"), env=fresh.env)
    assert not [line for line in quiet_default.stderr.splitlines() if line.startswith("wrote ")]
    key = fresh.pick()
    fresh.peer.edit_unit(key, "Texto novo")
    try:
        loud = CliRunner().invoke(main, ["-vv", *fresh.args("sync")], env=fresh.env)
    finally:
        from capxl10n.cli.main import setup_logging
        setup_logging(0, "text")  # the HTTP loggers back to silent for the tests after this one
    assert loud.exit_code == 0, loud.output
    assert '"GET /metawiki/w/api.php?' in loud.stderr and '"POST /metabase/w/api.php' in loud.stderr
    assert BOT_PASSWORD not in loud.output and "lgpassword=" not in loud.output.replace("lgpassword=***", "")


def test_runs_lists_each_run_with_status_counts_conflicts_and_errors(contact: World) -> None:
    assert contact.cli("sync").exit_code == 3
    assert contact.cli("plan").exit_code == 3
    broken = contact.cli("apply", str(contact.tmp / "missing.json"))
    assert broken.exit_code == 1
    contact.peer.edit_unit(TermKey(inbox(contact)[0]["qid"], "description", "de"), "Neu")
    no_credentials = CliRunner().invoke(main, contact.args("sync"), env={k: "" for k in contact.env})
    assert no_credentials.exit_code == 1
    rows = json.loads(contact.cli("--format", "json", "runs").stdout)
    assert [r["command"] for r in rows] == ["sync", "plan", "sync"]
    failed, planned, first = rows
    assert (first["status"], first["exit_code"]) == ("conflicts", 3)
    assert first["written"]["metabase"] + first["written"]["metawiki"] > 0 and first["conflicts"] > 0
    assert first["seconds"] is not None and first["finished"]
    assert (planned["status"], planned["note"]) == ("conflicts", planned["note"])
    assert (failed["status"], failed["exit_code"]) == ("error", 1)
    assert "no bot-password credentials" in failed["errors"][0]
    table = contact.cli("runs").stdout
    assert table.splitlines()[1].split() == ["run", "command", "started", "duration", "status", "exit", "metabase",
                                             "metawiki", "conflicts", "errors", "note"]
    assert contact.cli("--format", "json", "runs", "--since", "1h").stdout == contact.cli(
        "--format", "json", "runs").stdout
    assert json.loads(contact.cli("--format", "json", "runs", "--since", "2999-01-01").stdout) == []
    bad = contact.cli("runs", "--since", "yesterday")
    assert bad.exit_code == 2 and "--since: 'yesterday' is neither a time ago nor a date" in bad.output
    assert contact.cli("--format", "json", "runs", "--limit", "1").stdout.count('"run"') == 1


def test_a_killed_run_is_shown_as_interrupted_with_how_far_it_got(slow: World) -> None:
    import signal

    proc = spawn(slow, "sync")
    signal_when(proc, lambda: journaled(slow.state) >= 3, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    (row,) = json.loads(slow.cli("--format", "json", "runs").stdout)
    assert row["status"] == "interrupted" and row["exit_code"] is None and row["finished"] is None
    assert row["seconds"] is None  # unknown: not the time since it started
    assert row["note"].startswith("killed while writing: ") and row["note"].endswith(" operation(s) done")
    done, total = row["note"][len("killed while writing: "):].split(" operation(s)")[0].split(" of ")
    assert 3 <= int(done) + 1 and int(done) < int(total)
    assert slow.cli("sync").exit_code == 0
    rows = json.loads(slow.cli("--format", "json", "runs").stdout)
    assert [r["status"] for r in rows] == ["ok", "interrupted"]


def test_a_signal_is_recorded_with_the_signal_and_what_was_left(slow: World) -> None:
    import signal

    proc = spawn(slow, "sync")
    signal_when(proc, lambda: journaled(slow.state) >= 3, signal.SIGTERM)
    (row,) = json.loads(slow.cli("--format", "json", "runs").stdout)
    assert (row["status"], row["exit_code"]) == ("interrupted", 5)
    assert row["note"].startswith("SIGTERM while writing: ") and " left" in row["note"]


# -- point 1: progress -------------------------------------------------------------------------------
def in_pty(world: World, *args: str, columns: int = 100, timeout: float = 120, ctrl_c_after: str | None = None,
           answer: tuple[str, str] | None = None) -> tuple[int, str]:
    """Run ``capxl10n`` on a pseudo-terminal, as its controlling terminal (what a maintainer sees and
    types): its exit code and screen bytes. ``ctrl_c_after``: type Ctrl-C once the screen shows this
    (the terminal sends SIGINT, as for a person); ``answer``: (prompt, reply) typed when the prompt shows."""
    import os
    import pty
    import select
    import sys
    import time

    env = {**os.environ, **world.env, "PYTHONPATH": str(Path(__file__).parents[2]), "COLUMNS": str(columns),
           "TERM": "xterm"}
    pid, master = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execvpe(sys.executable, [sys.executable, "-m", "capxl10n", *world.args(*args)], env)
    out = b""
    typed = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        screen = out.decode("utf-8", "replace")
        if ctrl_c_after and "ctrl-c" not in typed and ctrl_c_after in screen:
            typed.add("ctrl-c")
            os.write(master, b"\x03")
        if answer and "answer" not in typed and answer[0] in screen:
            typed.add("answer")
            os.write(master, answer[1].encode() + b"\r")
    _pid, status = os.waitpid(pid, 0)
    os.close(master)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_on_a_terminal_sync_shows_a_bar_per_phase_with_done_total_and_eta(slow: World) -> None:
    code, screen = in_pty(slow, "sync")
    assert code == 0, screen
    frames = screen.replace("\r\n", "\n").replace("\x1b[2K", "").split("\r")
    drawn = [line for frame in frames for line in frame.split("\n") if line.strip()]
    for phase, task, unit in (("read", "metabase", "steps"), ("read", "metawiki", "languages"),
                              ("plan", "merge", "steps"), ("apply", "metabase", "items"),
                              ("apply", "metawiki", "pages")):
        assert any(line.startswith(f"{phase:<5} {task:<9} [") and line.endswith(f" {unit} done")
                   for line in drawn), (phase, task, drawn)
    assert any(line.startswith("apply ") and "  ETA " in line for line in drawn)
    assert any(line.startswith("writing: ") and "at the profile's pacing (6000 edits/min)" in line for line in drawn)
    assert "progress:" not in screen  # lines are for logs, bars for people


def test_without_a_terminal_progress_is_a_line_per_task_start_end_and_every_n(fresh: World) -> None:
    result = CliRunner().invoke(main, fresh.args("sync"), env=fresh.env)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("progress: ")]
    import re
    assert any(re.fullmatch(r"progress: read metawiki: (\d+)/\1 languages \(100%\)", line) for line in lines)
    writes = [line for line in lines if line.startswith("progress: apply metabase: ")]
    assert writes[0].startswith("progress: apply metabase: 0/") and writes[-1].endswith("(100%)")
    assert any(line.startswith("progress: writing: ") for line in lines)
    quiet = CliRunner().invoke(main, ["-q", *fresh.args("sync")], env=fresh.env)
    assert "progress" not in quiet.output
    as_json = CliRunner().invoke(main, ["--format", "json", *fresh.args("sync")], env=fresh.env)
    assert "progress" not in as_json.stderr  # its reader is a program: progress comes as --log-format json


def test_json_logs_carry_progress_records(fresh: World) -> None:
    result = CliRunner().invoke(main, ["--log-format", "json", *fresh.args("sync")], env=fresh.env)
    records = [json.loads(line) for line in result.stderr.splitlines()]
    progress = [r for r in records if r["logger"] == "capxl10n.progress" and "task" in r]
    assert {(r["phase"], r["task"]) for r in progress} >= {("read", "metawiki"), ("apply", "metabase"),
                                                            ("apply", "metawiki")}
    assert all({"done", "total", "unit", "eta_seconds"} <= set(r) for r in progress)


def test_the_eta_of_writes_is_never_faster_than_the_profiles_pacing() -> None:
    from capxl10n.cli.progress import ProgressView
    from capxl10n.engine.progress import Step

    now = [0.0]
    view = ProgressView("lines", seconds_per_write=2.0, now=lambda: now[0], stream=__import__("io").StringIO())
    view(Step("apply", "metawiki", 0, 100))
    task = view.tasks[("apply", "metawiki")]
    assert view.eta(task) == 200.0  # nothing written yet: the pacing's estimate
    now[0] = 5.0
    view(Step("apply", "metawiki", 50, 100))
    assert view.eta(task) == 100.0  # answered faster than the pacing allows: the pacing still holds
    now[0] = 500.0
    view(Step("apply", "metawiki", 60, 100))
    assert round(view.eta(task) or 0) == round(40 * 500 / 60)  # slower than the pacing: the rate seen
    view(Step("read", "metawiki", 0, 10))
    assert view.eta(view.tasks[("read", "metawiki")]) is None  # reads are not paced: unknown until one is done


def test_pull_and_catalogs_report_through_the_same_helper(fresh: World) -> None:
    pulled = CliRunner().invoke(main, fresh.args("pull"), env=fresh.env)
    assert pulled.exit_code == 0, pulled.output
    import re
    assert re.search(r"^progress: read metawiki: (\d+)/\1 languages \(100%\)$", pulled.stderr, re.M)
    import capxl10n.cli.commands.catalogs as catalogs_cmd
    import capxl10n.cli.commands.pull as pull_cmd
    from capxl10n.cli.progress import ProgressView

    assert catalogs_cmd.ProgressView is pull_cmd.ProgressView is ProgressView


def test_lines_come_at_a_tasks_start_every_n_units_and_its_end() -> None:
    import io

    from capxl10n.cli.progress import ProgressView
    from capxl10n.engine.progress import Step

    out = io.StringIO()
    view = ProgressView("lines", seconds_per_write=0.5, every=50, stream=out, now=lambda: 0.0)
    for done in range(0, 121):
        view(Step("apply", "metawiki", done, 120))
    assert [line.split(": ", 2)[2].split(" ")[0] for line in out.getvalue().splitlines()] == \
        ["0/120", "50/120", "100/120", "120/120"]
    assert out.getvalue().splitlines()[0] == "progress: apply metawiki: 0/120 pages (0%), ETA 1:00"


# -- point 5: the sandbox in one command -------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Any:
    """`capxl10n sandbox serve --port 0` in its own process, announcing itself in a file of this test."""
    import os
    import subprocess
    import sys

    announcement = tmp_path / "run" / "sandbox.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), "CAPXL10N_SANDBOX_FILE": str(announcement)}
    proc = subprocess.Popen([sys.executable, "-m", "capxl10n", "sandbox", "serve", "--port", "0", "--capacities",
                             "20", "--languages", "6"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:  # type: ignore[union-attr]
        lines.append(line.rstrip("\n"))
        if line.startswith("then: "):
            break

    class Served:
        process, printed, file, cwd = proc, lines, announcement, tmp_path
        environment = {**env}

    try:
        yield Served
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=30)


def test_sandbox_serve_writes_a_ready_profile_and_prints_the_one_command(served: Any) -> None:
    import shlex

    from capxl10n.sandbox.server import credentials_env

    command = served.printed[-1]
    assert command.startswith("then: capxl10n --profile ") and command.endswith(" sync")
    profile = Path(shlex.split(command)[3])
    assert profile == served.cwd / ".capxl10n" / "sandbox-profile.toml" and profile.is_file()
    assert any(line.startswith(f"profile          {profile} (state {served.cwd / '.capxl10n/sandbox.sqlite'})")
               for line in served.printed)
    exports = dict(line[len("export "):].replace("'", "").split("=", 1) for line in served.printed
                   if line.startswith("export "))
    assert exports == credentials_env()
    synced = run("--profile", str(profile), "sync", env=exports)
    assert synced.exit_code == 0, synced.output
    assert (served.cwd / ".capxl10n" / "sandbox.sqlite").is_file()  # the profile's state: absolute, beside it


def test_profile_sandbox_finds_the_running_sandbox_without_editing_files(served: Any, monkeypatch: Any) -> None:
    from capxl10n.sandbox.server import credentials_env

    monkeypatch.setenv("CAPXL10N_SANDBOX_FILE", str(served.file))
    announced = json.loads(served.file.read_text())
    assert announced["pid"] == served.process.pid and not announced["url"].endswith(":8765")
    first = run("--profile", "sandbox", "-v", "sync", env={**credentials_env(), "CAPXL10N_SANDBOX_FILE":
                                                           str(served.file)})
    assert first.exit_code == 0, first.output
    assert f"using the sandbox running at {announced['url']} (process {served.process.pid})" in first.output
    again = run("--profile", "sandbox", "-q", "sync", env={**credentials_env(), "CAPXL10N_SANDBOX_FILE":
                                                           str(served.file)})
    assert again.output.strip() == "sync: nothing to write, 0 conflict(s) open; exit 0"  # the same state
    served.process.terminate()
    served.process.communicate(timeout=30)
    assert not served.file.exists()  # withdrawn when it stops
    from click.testing import CliRunner

    from capxl10n.cli.main import Env
    with CliRunner().isolation(env={"CAPXL10N_SANDBOX_FILE": str(served.file)}):
        assert ":8765/" in Env(profile_name="sandbox").profile().metabase.api  # back to the shipped port


def test_a_reset_of_the_sandbox_detaches_the_state_made_against_it(served: Any) -> None:
    import shlex
    import time

    import requests

    from capxl10n.sandbox.server import credentials_env

    profile = shlex.split(served.printed[-1])[3]
    state = served.cwd / ".capxl10n" / "sandbox.sqlite"
    assert run("--profile", profile, "sync", env=credentials_env()).exit_code == 0
    url = json.loads(served.file.read_text())["url"]
    assert requests.post(f"{url}/_sandbox/reset", timeout=30).json() == {"reset": "all"}
    deadline = time.monotonic() + 10
    while state.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not state.exists()
    (moved,) = [p for p in state.parent.iterdir() if p.name.startswith("sandbox.sqlite.detached-")
                and not p.name.endswith(("-wal", "-shm"))]
    again = run("--profile", profile, "sync", env=credentials_env())
    assert again.exit_code == 0, again.output  # a first contact again, not deletions of what the reset undid
    assert "delete" not in again.output
    served.process.terminate()
    _out, err = served.process.communicate(timeout=30)
    assert f"sandbox reset: the state made against it was moved aside to {moved}" in err


# -- Done when: a maintainer's first contact on a terminal -------------------------------------------
def test_a_first_contact_session_on_a_terminal(sandbox_factory: Any, tmp_path: Path) -> None:
    """Progress, a Ctrl-C typed on the terminal, the run history, the resume and a bulk decision
    (docs/maintainers.md shows the same session, recorded by tools/maintainers_session.py)."""
    from capxl10n.sandbox.server import credentials_env

    slow = World(sandbox_factory(latency_ms=40, capacities=40, languages=8), tmp_path, credentials_env())
    text = slow.profile_path.read_text(encoding="utf-8").replace('first_contact = "metabase"',
                                                                 'first_contact = "conflict"')
    slow.profile_path.write_text(text, encoding="utf-8")
    code, screen = in_pty(slow, "sync", ctrl_c_after="apply metawiki  [#")
    assert code == 5, screen
    assert "^C" in screen and "SIGINT: stopping after the write in flight (Ctrl-C again stops at once)" in screen
    assert "apply metabase  [########################################]" in screen
    assert "interrupted by SIGINT: " in screen and "`capxl10n sync` resumes" in screen
    (row,) = json.loads(slow.cli("--format", "json", "runs").stdout)
    assert (row["status"], row["exit_code"]) == ("interrupted", 5) and row["note"].startswith("SIGINT while writing")
    code, screen = in_pty(slow, "sync")
    assert code == 3, screen  # resumed to the end; the first contact's conflicts wait for a human
    assert "applied plan " in screen and " 0 failed" in screen
    code, screen = in_pty(slow, "conflicts", "resolve", "--reason", "first-contact", "--take", "metawiki",
                          answer=("[y/N]: ", "y"))
    assert code == 0, screen
    assert "decision(s) recorded (the metawiki value)" in screen
    code, screen = in_pty(slow, "sync")
    assert code == 0, screen
    statuses = [r["status"] for r in json.loads(slow.cli("--format", "json", "runs").stdout)]
    assert statuses == ["ok", "conflicts", "interrupted"]


def test_profile_sandbox_takes_the_concept_uri_the_running_sandbox_serves(tmp_path: Path) -> None:
    """`serve --concept-uri` announces it: `--profile sandbox` then names it, as the profile serve writes does
    (discovery matches the SPARQL answers' entity IRIs against it)."""
    import os

    from click.testing import CliRunner

    from capxl10n.cli.main import Env
    from capxl10n.sandbox.announce import Running, announce

    announcement = tmp_path / "sandbox.json"
    announce(Running("http://127.0.0.1:49999", os.getpid(), concept_uri="https://wb.example/entity/"), announcement)
    with CliRunner().isolation(env={"CAPXL10N_SANDBOX_FILE": str(announcement)}):
        profile = Env(profile_name="sandbox").profile()
    assert profile.metabase.entity_prefix == "https://wb.example/entity/"
    assert profile.metabase.api.startswith("http://127.0.0.1:49999/")
