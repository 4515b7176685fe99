"""The architecture as rules the code must keep (docs/architecture.md, "Layers").

Read from the source with :mod:`ast`, so a rule broken anywhere fails here
with the module and the import that broke it.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "capxl10n"
#: Modules that reach the outside world (files, processes, network, databases) or third-party libraries.
IO_MODULES = frozenset({
    "os", "io", "pathlib", "shutil", "tempfile", "subprocess", "multiprocessing", "socket", "sqlite3",
    "urllib", "http", "requests", "mwclient", "polib", "babel", "click", "werkzeug", "pyoxigraph", "logging",
})


def modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every imported module name (absolute), with its line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            if node.module == "capxl10n":
                for alias in node.names:
                    yield node.lineno, f"capxl10n.{alias.name}"


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{line}"


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: p.name)
def test_the_core_does_no_io_and_depends_on_nothing_outside_it(path: Path) -> None:
    for line, name in imports(path):
        top = name.split(".")[0]
        assert top not in IO_MODULES, f"{where(path, line)}: the core imports {name}"
        if top == "capxl10n":
            assert name.startswith(("capxl10n.core", "capxl10n.errors")) or name in ("capxl10n",), \
                f"{where(path, line)}: the core imports {name} from outside the core"


@pytest.mark.parametrize("path", modules("sandbox"), ids=lambda p: p.name)
def test_the_sandbox_imports_nothing_of_the_clients_it_imitates_wikis_for(path: Path) -> None:
    for line, name in imports(path):
        assert not name.startswith(("capxl10n.wikis", "capxl10n.engine", "capxl10n.cli", "capxl10n.catalogs")), \
            f"{where(path, line)}: the sandbox imports {name}"


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_cli_prints_and_exits(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            assert name != "print", f"{where(path, node.lineno)}: print() outside the CLI"
            assert (owner, name) not in {("sys", "exit"), ("click", "echo"), ("click", "secho")}, \
                f"{where(path, node.lineno)}: {owner}.{name}() outside the CLI"
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                isinstance(node.exc.func, ast.Name) and node.exc.func.id == "SystemExit":
            raise AssertionError(f"{where(path, node.lineno)}: SystemExit outside the CLI")


def test_the_rules_see_the_packages() -> None:
    """A rule over an empty package would pass for ever."""
    assert len(modules("core")) >= 8 and len(modules("sandbox")) >= 10
