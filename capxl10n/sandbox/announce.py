"""Where a running ``capxl10n sandbox serve`` says it is, so ``--profile sandbox`` finds it.

The serve command writes a small JSON file in a well-known place — ``$CAPXL10N_SANDBOX_FILE``, else
``$XDG_RUNTIME_DIR/capxl10n/sandbox.json``, else ``~/.cache/capxl10n/sandbox.json`` — naming its
URL, its process, the profile it wrote and the state file made against it, and removes it when it
stops. The CLI reads it when the profile is the shipped ``sandbox`` one: a sandbox on another port
(``--port 0``) needs no edited file. A file whose process is gone is ignored. Stdlib only: a
production install (no sandbox extra) reads it too.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV = "CAPXL10N_SANDBOX_FILE"


def location(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(ENV):
        return Path(env[ENV])
    runtime = env.get("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime else Path(env.get("HOME") or Path.home()) / ".cache"
    return base / "capxl10n" / "sandbox.json"


@dataclass(frozen=True)
class Running:
    """A running sandbox as it announced itself."""

    url: str
    pid: int
    profile: str | None = None
    state: str | None = None
    catalogs: str | None = None
    #: Metabase's concept URI the sandbox answers with (``serve --concept-uri``): a profile pointed at the
    #: sandbox takes it, as the profile ``serve`` writes does.
    concept_uri: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "pid": self.pid, "profile": self.profile, "state": self.state,
                "catalogs": self.catalogs, "concept_uri": self.concept_uri}


def announce(running: Running, path: Path | None = None) -> Path:
    """Write the announcement (whole or not at all); returns where."""
    target = path or location()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sandbox.", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(running.to_json(), fh, indent=2)
    os.replace(tmp, target)
    return target


def withdraw(pid: int, path: Path | None = None) -> None:
    """Remove the announcement if it is still this process's (another sandbox may have replaced it)."""
    target = path or location()
    found = read(target, check_alive=False)
    if found is not None and found.pid == pid:
        target.unlink(missing_ok=True)


def read(path: Path | None = None, *, check_alive: bool = True) -> Running | None:
    """The announced sandbox, or None: no file, an unreadable one, or one whose process is gone."""
    target = path or location()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        running = Running(str(data["url"]), int(data["pid"]), data.get("profile"), data.get("state"),
                          data.get("catalogs"), data.get("concept_uri"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not _alive(running.pid):
        return None
    return running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
