"""Fixtures every test tier uses: paths to shared data, temporary dirs, the real tools."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CAPXL10N_SHARED", REPO.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_tool(name: str) -> str:
    """The path of an external tool; skip locally, fail in CI, when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install gettext translate-toolkit)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        message = f"../shared not found at {SHARED} (set CAPXL10N_SHARED)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return SHARED


@pytest.fixture(scope="session")
def reference_dir(shared_dir: Path) -> Path:
    return shared_dir / "reference"


@pytest.fixture(scope="session")
def real_sample_path(shared_dir: Path) -> Path:
    return shared_dir / "data" / "capacities-sample.json"


@pytest.fixture(autouse=True)
def _restore_capxl10n_logger():
    """The CLI's setup_logging() replaces handlers and stops propagation; undo it after each test."""
    import logging

    logger = logging.getLogger("capxl10n")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture()
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> pytest.LogCaptureFixture:
    """caplog at DEBUG that sees capxl10n's records even after a CLI test turned propagation off."""
    import logging

    monkeypatch.setattr(logging.getLogger("capxl10n"), "propagate", True)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="capxl10n")
    return caplog
