"""The README's and the docs' examples are executable and tested, and a wrong one fails.

Python examples are doctests (```pycon blocks with ``>>>``): pytest collects them from README.md and
docs/*.md (``--doctest-glob=*.md`` in setup.cfg) and runs them beside the catalogs ``capxl10n demo``
wrote (conftest.py). This file checks that set-up itself (a wrong example fails, no Python example
escapes being run, the configured glob names real files) and that every ``capxl10n`` command line in
the docs names commands and options that exist.
"""
from __future__ import annotations

import configparser
import doctest
import os
import re
import shlex
from pathlib import Path

import click
import pytest

from capxl10n.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Where a ```python block must be a doctest: the user-facing examples. Other docs keep API listings
#: (signatures, wiring) in ```python blocks, which are not meant to run.
EXAMPLE_DOCS = [ROOT / "README.md", ROOT / "docs/catalogs.md"]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.S | re.M)


def fenced(path: Path) -> list[tuple[str, str, int]]:
    """``(language tag, body, first line)`` of each fenced block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def run_doctests(text: str, name: str, workdir: Path) -> doctest.TestResults:
    """Run the ``>>>`` examples of ``text`` the way pytest's doctest collection does, in ``workdir``."""
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    test = doctest.DocTestParser().get_doctest(text, {}, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=flags)
    before = Path.cwd()
    os.chdir(workdir)
    try:
        runner.run(test, out=lambda _text: None)
    finally:
        os.chdir(before)
    return runner.summarize(verbose=False)


# -- Python examples --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", EXAMPLE_DOCS, ids=lambda p: p.name)
def test_every_python_example_is_a_doctest(path: Path) -> None:
    blocks = [(tag, body, line) for tag, body, line in fenced(path) if tag in ("python", "py", "pycon", "pycon3")]
    assert blocks, f"{path.name} has no Python example"
    for tag, body, line in blocks:
        assert tag.startswith("pycon") and body.lstrip().startswith(">>>"), \
            f"{path.name}:{line}: a Python example must be a ```pycon doctest, or it is never run"
        assert body.endswith("\n\n"), \
            f"{path.name}:{line}: end the example with a blank line, or the closing ``` is read as expected output"


@pytest.mark.slow
def test_readme_examples_run_on_the_demo_catalogs_and_fail_when_wrong(demo_workdir: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Catalogs(\"catalogs\")" in text and "(Q1282669)'" in text
    results = run_doctests(text, "README.md", demo_workdir)
    assert results.attempted >= 5 and results.failed == 0
    wrong_text = run_doctests(text.replace("'Tradução feita durante", "'Traducao feita durante"), "README.md",
                              demo_workdir)
    assert wrong_text.failed == 1
    wrong_value = run_doctests(text.replace("('Finance for education', 'en', True)",
                                            "('Finance for education', 'ar', False)"), "README.md", demo_workdir)
    assert wrong_value.failed == 1
    wrong_api = run_doctests(text.replace("names.description(", "names.describe("), "README.md", demo_workdir)
    assert wrong_api.failed >= 1


def test_the_configured_doctest_glob_collects_the_docs() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    pytest_ini = config["tool:pytest"]
    globs = re.findall(r"--doctest-glob[= ](\S+)", pytest_ini["addopts"])
    testpaths = pytest_ini["testpaths"].split()
    assert globs, "no --doctest-glob: the docs' examples would not run"
    for pattern in globs:
        matched = [p for p in DOCS if p.match(pattern)]
        assert matched, f"--doctest-glob={pattern} names no documentation file"
    for path in DOCS:
        assert any(path == ROOT / t or ROOT / t in path.parents for t in testpaths), \
            f"{path.relative_to(ROOT)} is not under the configured testpaths: its examples never run"
        if ">>>" in path.read_text(encoding="utf-8"):
            assert any(path.match(pattern) for pattern in globs)


# -- command lines --------------------------------------------------------------------------------------------
SEPARATORS = {"&&", "||", ";", "|", "&"}
CRON_TIME = re.compile(r"^\s*(?:[\d*/,-]+\s+){5}(?=\D)")  # a crontab line's five time fields


def capxl10n_command_lines(path: Path) -> list[tuple[int, list[str]]]:
    """The arguments of every ``capxl10n`` invocation in a fenced block (pipelines, cron lines, quoted
    ``--command "…"`` strings included; comments, redirections and continuation lines handled)."""
    found: list[tuple[int, list[str]]] = []

    def scan(line: str, number: int) -> None:
        line = CRON_TIME.sub("", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for index, token in enumerate(tokens):
            if " " in token:
                scan(token, number)  # a shell command inside quotes (--command "…")
            at_command = index == 0 or tokens[index - 1] in SEPARATORS
            if at_command and (token == "capxl10n" or token.endswith("/capxl10n")):
                args = []
                for arg in tokens[index + 1:]:
                    if arg in SEPARATORS or set(arg) <= set("<>&|;") or re.fullmatch(r"\d+", arg):
                        break  # the end of the command, or a redirection (>>file, 2>&1)
                    args.append(arg)
                found.append((number, args))

    for _tag, body, first in fenced(path):
        joined = body.replace("\\\n", " ")
        for offset, line in enumerate(joined.splitlines()):
            if re.search(r"(^|[\s/])capxl10n(\s|$)", line):
                scan(line, first + 1 + offset)
    return found


def parses(args: list[str]) -> None:
    """Parse a command line with the real CLI, invoking nothing: unknown commands and options fail."""
    ctx = main.make_context("capxl10n", list(args))
    group: click.Group = main
    rest = [*ctx._protected_args, *ctx.args]  # what the group leaves to its subcommand
    while rest:
        name, command, rest = group.resolve_command(ctx, rest)
        assert command is not None
        try:
            ctx = command.make_context(name or "", rest, parent=ctx)
        except click.BadParameter as exc:
            if "does not exist" not in exc.format_message():  # a file the docs only name: fine here
                raise
            return
        if not isinstance(command, click.Group):
            return
        group, rest = command, [*ctx._protected_args, *ctx.args]


def test_command_line_scanner_finds_invocations() -> None:
    docs = capxl10n_command_lines(ROOT / "README.md")
    assert ["demo"] in [args for _line, args in docs]
    assert ["--profile", "production", "--log-format", "json", "sync"] in [args for _line, args in docs]
    with pytest.raises(click.UsageError):
        parses(["catalogs", "--chek"])
    with pytest.raises(click.UsageError):
        parses(["catalog"])


@pytest.mark.parametrize("path", [p for p in DOCS if capxl10n_command_lines(p)], ids=lambda p: p.name)
def test_every_documented_command_line_exists(path: Path) -> None:
    for line, args in capxl10n_command_lines(path):
        try:
            parses(args)
        except click.ClickException as exc:
            pytest.fail(f"{path.name}:{line}: `capxl10n {shlex.join(args)}`: {exc.format_message()}")
