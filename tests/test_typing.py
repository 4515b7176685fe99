"""The package type-checks: ``mypy capxl10n`` with the [mypy] settings in setup.cfg.

Run as a test so a type error breaks the build like a failing assertion does, not
only when someone remembers to run mypy. mypy comes with the ``test`` extra; a
local environment without it skips, CI (CI=true) fails.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from plugins.common import IN_CI

ROOT = Path(__file__).resolve().parent.parent


def test_package_type_checks() -> None:
    if importlib.util.find_spec("mypy") is None:
        message = "mypy is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    proc = subprocess.run([sys.executable, "-m", "mypy", "capxl10n"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"mypy capxl10n failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
