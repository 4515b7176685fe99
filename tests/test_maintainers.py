"""Maintainers' experience (issue 21), through the CLI: errors that say what to do, bulk decisions,
interruptions, run history, progress, and the sandbox in one command.

The sandbox is the ``sandbox_profile`` fixture's; humans are played by ``Peer`` (tests/test_sync_scenarios.py).
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
from test_sync_scenarios import World


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

    text = (Path(__file__).parents[1] / "capxl10n/profiles/sandbox.toml").read_text(encoding="utf-8")
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
