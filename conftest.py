"""The documentation's examples (README.md, docs/*.md) run as doctests (``--doctest-glob=*.md``).

They run where a reader would type them: in a directory where ``capxl10n demo`` has just written its
catalogs (the README's two-command set-up). The demo runs once per session, and only when a Markdown
doctest is collected. Test fixtures live in tests/plugins/; this file only prepares the docs.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

#: ``capxl10n demo`` on the sandbox: a few seconds of CPU, up to a minute on a loaded machine.
DEMO_TIMEOUT = 600


@pytest.fixture(scope="session")
def demo_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory where ``capxl10n demo`` ran, as the README says: its catalogs are in ``catalogs/``."""
    workdir = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPXL10N_")}
    proc = subprocess.run([sys.executable, "-m", "capxl10n", "demo"], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=DEMO_TIMEOUT, check=False)
    if proc.returncode != 0 or not (workdir / "catalogs/json/index.json").is_file():
        pytest.fail(f"`capxl10n demo` failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return workdir


def is_docs_example(item: pytest.Item) -> bool:
    return isinstance(item, DoctestItem) and item.path.suffix == ".md"


@pytest.fixture(autouse=True)
def _docs_examples_run_beside_the_demo_catalogs(request: pytest.FixtureRequest) -> Iterator[None]:
    if not is_docs_example(request.node):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(request.getfixturevalue("demo_workdir"))
        yield
