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
            if node.module == "capxl10n" or node.module.startswith("capxl10n."):  # a name may be a module
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"


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


#: The sandbox's sub-packages (one per imitated software) and the ones each may import (docs/sandbox.md,
#: "Modules"): downwards only, so no cycle. The modules at the top of ``sandbox/`` (server, seed, app,
#: httpd, faults, stats) are the sandbox itself: they may import every sub-package, none imports them.
SANDBOX_LAYERS: dict[str, frozenset[str]] = {
    "store": frozenset(),                                  # MediaWiki core's store, 3-way merge
    "api": frozenset({"store"}),                           # the Action API frame (ApiMain)
    "mediawiki": frozenset({"api", "store"}),              # core's API modules
    "translate": frozenset({"mediawiki", "api", "store"}),  # the Translate extension
    "wikibase": frozenset({"api", "store"}),               # the Wikibase repository
    "sparql": frozenset({"wikibase", "api", "store"}),     # a Wikibase's query service
    "wikidata": frozenset({"wikibase", "api", "store"}),   # wikidata.org
}


def sandbox_part(name: str) -> str | None:
    """The sandbox sub-package a module name belongs to, "" for a top-level sandbox module, None outside."""
    parts = name.split(".")
    if parts[:2] != ["capxl10n", "sandbox"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in SANDBOX_LAYERS else ""


@pytest.mark.parametrize("path", modules("sandbox"), ids=lambda p: str(p.relative_to(PACKAGE / "sandbox")))
def test_the_sandbox_sub_packages_depend_on_each_other_only_downwards(path: Path) -> None:
    own = sandbox_part(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
    if not own:
        return  # capxl10n/sandbox/__init__.py and the top-level modules may import every sub-package
    for line, name in imports(path):
        other = sandbox_part(name)
        if other is None or other == own:
            continue
        assert other, f"{where(path, line)}: the sub-package {own} imports {name} from the top of the sandbox"
        assert other in SANDBOX_LAYERS[own], \
            f"{where(path, line)}: {own} imports {name}; {own} may import only {sorted(SANDBOX_LAYERS[own])}"


def test_the_sandbox_layers_name_every_sub_package() -> None:
    """A sub-package the map does not name would escape the rule above."""
    found = {p.parent.name for p in (PACKAGE / "sandbox").glob("*/__init__.py")}
    assert found == set(SANDBOX_LAYERS)


@pytest.mark.parametrize("name", sorted(SANDBOX_LAYERS))
def test_a_sandbox_sub_package_re_exports_nothing(name: str) -> None:
    """Its ``__init__.py`` is a docstring saying what it imitates: every import names the defining module."""
    path = PACKAGE / "sandbox" / name / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{where(path, 1)}: say what the sub-package imitates"
    body = [node for node in tree.body[1:] if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    assert not body, f"{where(path, body[0].lineno)}: a sub-package's __init__.py holds only its docstring"


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
