"""The README's command table and the CLI agree: every row names a command that exists, every
command has its row (a group's row names its sub-commands), and every command module is registered.
"""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from capxl10n.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
#: A row of the table under "## Commands": ``| `capxl10n NAME [SUB…]` | what it does |``.
ROW = re.compile(r"^\| `capxl10n ([a-z-]+)((?: [^`|]*)?)` \|", re.M)


def readme_rows() -> dict[str, str]:
    """Command name → the rest of its usage cell, from the README's "Commands" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for match in ROW.finditer(section):
        name = match.group(1)
        assert name not in rows, f"README: two rows for `capxl10n {name}`"
        rows[name] = match.group(2).strip()
    assert rows, "README: no command table under ## Commands"
    return rows


def named_subcommands(usage: str) -> set[str]:
    """The bare words of a usage cell: ``serve`` in ``serve``, ``export`` … in ``[export/import/resolve]``."""
    tokens = usage.replace("[", " ").replace("]", " ").replace("/", " ").split()
    return {t for t in tokens if re.fullmatch(r"[a-z][a-z-]*", t)}


def test_every_readme_row_is_a_command() -> None:
    for name, usage in readme_rows().items():
        assert name in main.commands, f"README names `capxl10n {name}`, which is not a command"
        command = main.commands[name]
        if isinstance(command, click.Group):
            assert named_subcommands(usage) == set(command.commands), \
                f"README: the row of `capxl10n {name}` should name its sub-commands {sorted(command.commands)}"


def test_every_command_has_a_readme_row() -> None:
    rows = readme_rows()
    missing = sorted(set(main.commands) - set(rows))
    assert not missing, f"commands without a row in the README's command table: {missing}"


def test_every_command_module_is_registered() -> None:
    """A module in capxl10n/cli/commands/ whose commands the CLI does not register would be dead code."""
    registered = {command.callback.__module__ for command in main.commands.values() if command.callback}
    modules = {f"capxl10n.cli.commands.{p.stem}" for p in (ROOT / "capxl10n/cli/commands").glob("*.py")
               if p.stem != "__init__"}
    for module in sorted(modules):
        importlib.import_module(module)
    assert modules == registered


def test_commands_are_there_whichever_module_is_imported_first() -> None:
    code = ("import capxl10n.cli.commands.sync\nfrom capxl10n.cli.main import main\n"
            "print(' '.join(sorted(main.commands)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == sorted(main.commands)


@pytest.mark.parametrize("command", [["demo"], ["sandbox", "serve"]])
def test_the_sandbox_commands_say_which_extra_they_need(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A production install has no werkzeug or pyoxigraph: the demo and the sandbox refuse with the fix."""
    import importlib.util

    from click.testing import CliRunner

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("werkzeug", "pyoxigraph") else real(name, *a))
    result = CliRunner().invoke(main, command)
    assert result.exit_code not in (0, None), result.output
    assert "werkzeug and pyoxigraph" in result.output and "capxl10n[sandbox]" in result.output
