"""Two runs on one state, as real processes: one writer at a time, named; readers keep working.

A sync (a real ``capxl10n`` process) is held inside its first write by a gate in front of the sandbox
(its write request waits until the test opens the gate), so it holds the state for as long as the test
needs. Meanwhile: a second ``sync``, an ``apply`` of a saved plan, ``conflicts resolve``, ``import`` and
``pull`` are refused at once (exit 5, "try again later") with a message naming the holder (its command
and process id); ``sync --dry-run``, ``coverage``, ``conflicts`` and ``runs`` keep working, and the dry
run does not store what it read. Then the gate opens: the sync finishes, nothing was written twice (each
page's bot revisions), the state passes ``PRAGMA integrity_check``, and the refused commands work. A
sync killed (SIGKILL) while it holds the state leaves its record in the lock file: the next run takes
the lock over, says so, and converges.
"""
from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from capxl10n.core.model import TermKey
from capxl10n.engine.lock import lock_path
from capxl10n.sandbox.httpd import KeepAliveWSGIServer
from capxl10n.sandbox.server import Sandbox, credentials_env
from plugins.bad_inputs import SMALL, profile_text
from plugins.world import REPO, Peer

WRITES = frozenset({"wbeditentity", "edit", "delete"})


class Gate:
    """A WSGI wrapper in front of the sandbox: while closed, every write waits (reads and logins pass)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.open = threading.Event()
        self.open.set()
        self.waiting = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size) if size else b""
            environ["wsgi.input"] = io.BytesIO(body)
            action = parse_qs(body.decode("utf-8", "replace")).get("action", [""])[0]
            if action in WRITES and not self.open.is_set():
                self.waiting.set()
                self.open.wait(timeout=120)
        return self.app(environ, start_response)


class Rig:
    """A sandbox behind a gate, a profile on it, and the CLI as real processes in one directory."""

    def __init__(self, tmp: Path) -> None:
        self.sandbox = Sandbox(**SMALL).start()
        self.gate = Gate(self.sandbox.app)
        self.server = KeepAliveWSGIServer("127.0.0.1", 0, self.gate)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.dir = tmp
        (tmp / "profile.toml").write_text(profile_text(f"http://127.0.0.1:{self.server.server_port}"),
                                          encoding="utf-8")
        self.state = tmp / "state.sqlite"
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("CAPXL10N_")}, **credentials_env(),
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                    "CAPXL10N_SANDBOX_FILE": os.environ.get("CAPXL10N_SANDBOX_FILE", str(tmp / "none.json"))}

    def args(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "capxl10n", "--profile", "profile.toml", "--state", "state.sqlite",
                "--catalogs", "catalogs", *args]

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.args(*args), cwd=self.dir, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.args(*args), cwd=self.dir, env=self.env, capture_output=True, text=True,
                              timeout=120, input=stdin)

    def stop(self) -> None:
        self.gate.open.set()
        self.server.shutdown()
        self.server.server_close()
        self.sandbox.stop()

    def bot_revisions(self) -> Counter[tuple[str, str]]:
        out: Counter[tuple[str, str]] = Counter()
        for name in ("metabase", "metawiki"):
            for page in self.sandbox.site(name).wiki.pages.values():
                out.update((name, page.title) for r in page.revisions if r.user == "CapxBot")
        return out

    def integrity(self) -> str:
        with sqlite3.connect(self.state) as db:
            return str(db.execute("PRAGMA integrity_check").fetchone()[0])

    def item(self, qid: str) -> str:
        with sqlite3.connect(self.state) as db:
            return str(db.execute("SELECT item FROM capacities WHERE qid = ?", (qid,)).fetchone()[0])

    def human_edits(self, n: int) -> None:
        """Work for the next sync: five translations on Meta-Wiki, and a conflict."""
        peer = Peer(self.sandbox)
        for lang in ("de", "ja", "pt-br", "zh-hant", "ar"):
            peer.edit_unit(TermKey("Q1282669", "label", lang), f"Technology {lang} {n}")  # type: ignore[arg-type]
        peer.edit_unit(TermKey("Q1282669", "description", "ja"), f"説明（メタ {n}）")
        peer.set_term(self.item("Q1282669"), "description", "ja", f"説明（メタベース {n}）")

    def held(self, proc: subprocess.Popen[str], timeout: float = 60) -> None:
        """Wait until ``proc`` waits inside its first write (so it holds the state)."""
        deadline = time.monotonic() + timeout
        while not self.gate.waiting.wait(0.05):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sync never reached its first write"
        assert str(proc.pid) in lock_path(self.state).read_text(encoding="utf-8")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path)
    try:
        first = made.run("sync")
        assert first.returncode == 0, first.stderr
        yield made
    finally:
        made.stop()


def refused(done: subprocess.CompletedProcess[str], holder: subprocess.Popen[str]) -> None:
    assert done.returncode == 5, (done.returncode, done.stdout, done.stderr)
    assert "is in use by `capxl10n sync`" in done.stderr and f"process {holder.pid}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_second_writer_is_refused_naming_the_holder_readers_keep_working(rig: Rig) -> None:
    rig.human_edits(1)
    plan = rig.run("plan", "-o", "plan.json")
    assert plan.returncode == 3, plan.stderr
    export = rig.run("export", "--lang", "de", "--only", "all", "-o", "de.po")
    assert export.returncode == 0, export.stderr
    rig.human_edits(2)
    before = rig.bot_revisions()
    rig.gate.open.clear()
    holder = rig.start("sync")
    try:
        rig.held(holder)
        refused(rig.run("sync"), holder)
        refused(rig.run("apply", "plan.json"), holder)
        refused(rig.run("conflicts", "resolve", "--all", "--take", "metabase", "--yes"), holder)
        refused(rig.run("import", "de.po"), holder)
        refused(rig.run("pull"), holder)
        cache = _read_cache(rig.state)
        dry = rig.run("sync", "--dry-run")
        assert dry.returncode in (3, 4), dry.stderr
        assert "holds the state: this dry run reads it but does not store what it read" in dry.stderr
        assert _read_cache(rig.state) == cache
        coverage = rig.run("coverage", "--format", "json")
        assert coverage.returncode == 0, coverage.stderr
        listing = rig.run("conflicts")
        assert listing.returncode in (0, 3), listing.stderr
        runs = rig.run("runs")
        assert runs.returncode == 0 and "running" in runs.stdout, runs.stdout
        assert holder.poll() is None, "the sync did not wait inside its write while the others ran"
    finally:
        rig.gate.open.set()
        out, err = holder.communicate(timeout=120)
    assert holder.returncode in (0, 3), err
    assert rig.integrity() == "ok"
    assert lock_path(rig.state).read_text(encoding="utf-8") == ""  # released: nobody holds it
    after = rig.bot_revisions()
    again = rig.run("sync")
    assert again.returncode in (0, 3), again.stderr
    assert rig.bot_revisions() == after, "a write was made twice"
    assert sum(after.values()) > sum(before.values())
    resolve = rig.run("conflicts", "resolve", "--all", "--take", "metabase", "--yes")
    assert resolve.returncode == 0, resolve.stderr
    final = rig.run("sync")
    assert final.returncode == 0, final.stderr
    assert rig.integrity() == "ok"


def test_a_killed_holder_leaves_a_lock_the_next_run_takes_over(rig: Rig) -> None:
    rig.human_edits(1)
    rig.gate.open.clear()
    holder = rig.start("sync")
    try:
        rig.held(holder)
        refused(rig.run("sync"), holder)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        rig.gate.open.set()
    assert holder.returncode == -signal.SIGKILL
    assert str(holder.pid) in lock_path(rig.state).read_text(encoding="utf-8")  # its record stays behind
    assert rig.integrity() == "ok"
    rerun = rig.run("sync")
    assert rerun.returncode in (0, 3), rerun.stderr
    assert f"process {holder.pid}" in rerun.stderr and "no longer running" in rerun.stderr, rerun.stderr
    settled = rig.bot_revisions()
    assert rig.run("sync").returncode in (0, 3)
    assert rig.bot_revisions() == settled and rig.integrity() == "ok"


def _read_cache(state: Path) -> list[Any]:
    with sqlite3.connect(state) as db:
        return sorted(db.execute("SELECT * FROM read_cache").fetchall(), key=repr)
