"""Issue 23, point 2: ``capxl10n apply`` and ``capxl10n sync`` killed at precise points, then rerun.

The run under test is a real ``capxl10n`` subprocess talking HTTP to the sandbox served in this process.
It is stopped at a point of its journal by one of two means, neither a hook in the product:

* a point that sends a request is a sandbox trap (capxl10n/sandbox/faults.py, ``FaultInjector.trap``):
  when the N-th request of a kind arrives — before the wiki handles it, or after (landed, not yet
  answered) — the sandbox signals the child from its request thread; SIGKILL is waited for and the
  request dropped (before) or its answer lost (after); SIGTERM and SIGINT let the request go on;
* a point that sends nothing (a state write, the catalogs build) pauses the child itself
  (plugins/kill_child.py: a wrapper around ``sqlite3.connect``'s statements or the build's file writes,
  installed before the CLI runs) until the test has signalled it.

After each kill the state passes ``PRAGMA integrity_check``; the rerun (``sync``, or ``apply`` of the
same plan, then ``sync`` until quiet) must leave both wikis, the bot's revisions per page, the catalogs
and the inbox as the same commands left them uninterrupted. The default run takes a point of each kind
with each signal (:data:`DEFAULT`); ``CAPXL10N_RELIABILITY_FULL=1`` runs every point × signal × command.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from plugins.reliability import (FULL, REPO, Result, Rig, child_command, integrity, run_sync, tiny_sandbox)
from capxl10n.sandbox.faults import TrapEvent
from capxl10n.sandbox.server import credentials_env

pytestmark = pytest.mark.reliability

SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}
#: What a child stopped by SIGTERM or SIGINT exits with: 5 (stopped at a safe point), or the run's own code
#: when the signal came after its last safe point (3: the scenario's conflict), 130 before a run began.
GRACEFUL = {3, 5, 130}
CHILD_TIMEOUT = 120


@dataclass(frozen=True)
class Point:
    """Where the child is stopped: a request (``kinds`` #``nth``, ``when``) or a pause of its own (``pause``)."""

    label: str
    kinds: str = ""
    nth: int = 1
    when: str = "before"
    pause: str = ""
    commands: tuple[str, ...] = ("sync", "apply")


POINTS: dict[str, Point] = {p.label: p for p in (
    # the read and the plan (sync only: apply reads nothing but its sources)
    Point("mid-read: 2nd term read", "terms", 2, commands=("sync",)),
    Point("state: read cache written", pause="sql:INSERT OR REPLACE INTO read_cache:1", commands=("sync",)),
    Point("plan: authors of the conflict asked", "history", 1, commands=("sync",)),
    Point("state: plan registered", pause="sql:INSERT INTO plans:1", commands=("sync",)),
    # apply
    Point("apply: source guard asked", "changes", 1, "before", commands=("apply",)),
    Point("login", "login", 1),
    Point("journal: 1st write marked sent", pause="sql:SET status = 'sent':1"),
    Point("before send: bundle keys edit", "bundle-edit", 1, "before"),
    Point("after send, before journal: bundle keys edit landed", "bundle-edit", 1, "after"),
    Point("between the bundle edit and the units: its done mark", pause="sql:SET status = 'done':1"),
    Point("before send: Metabase label set", "metabase-set", 1, "before"),
    Point("after send, before journal: Metabase label set landed", "metabase-set", 1, "after"),
    Point("mid-batch: Metabase removal landed", "metabase-remove", 1, "after"),
    Point("journal: 3rd write's done mark", pause="sql:SET status = 'done':3"),
    Point("before send: unit edit", "unit-edit", 1, "before"),
    Point("after send, before journal: unit edit landed", "unit-edit", 1, "after"),
    Point("deletion refused (no delete right), answered", "unit-delete", 1, "after"),
    Point("after send, before journal: outdated fallback landed", "unit-outdate", 1, "after"),
    Point("before send: bundle English edit (after the units)", "bundle-edit", 2, "before"),
    Point("after send, before journal: bundle English edit landed", "bundle-edit", 2, "after"),
    Point("state: base moved", pause="sql:INSERT OR REPLACE INTO base:2"),
    Point("state: plan status written", pause="sql:UPDATE plans SET status:1"),
    Point("catalogs: 1st file staged", pause="catalog-temp:1"),
    Point("catalogs: 6th file staged", pause="catalog-temp:6"),
    Point("catalogs: 1st file replaced", pause="catalog-replace:1"),
    Point("catalogs: 8th file replaced", pause="catalog-replace:8"),
    Point("state: coverage history", pause="sql:INSERT OR REPLACE INTO history_runs:1"),
    Point("state: run finished", pause="sql:SET finished:1"),
)}

CASES = [(c, p, s) for p, point in POINTS.items() for c in point.commands for s in SIGNALS]
DEFAULT = [
    ("sync", "mid-read: 2nd term read", "SIGTERM"),
    ("sync", "state: read cache written", "SIGKILL"),
    ("sync", "after send, before journal: bundle keys edit landed", "SIGKILL"),
    ("sync", "between the bundle edit and the units: its done mark", "SIGKILL"),
    ("sync", "mid-batch: Metabase removal landed", "SIGINT"),
    ("sync", "before send: unit edit", "SIGKILL"),
    ("sync", "catalogs: 1st file replaced", "SIGKILL"),
    ("sync", "state: base moved", "SIGTERM"),
    ("apply", "after send, before journal: Metabase label set landed", "SIGKILL"),
    ("apply", "after send, before journal: outdated fallback landed", "SIGTERM"),
    ("apply", "journal: 1st write marked sent", "SIGINT"),
    ("apply", "catalogs: 6th file staged", "SIGKILL"),
]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    sb = tiny_sandbox(start=True)
    yield Rig(sb, tmp_path_factory.mktemp("kills"), serve=True)
    sb.stop()


def settle(rig: Rig) -> None:
    """``sync`` until it writes nothing (at most twice: an apply leaves a sync's second round to the next)."""
    for _ in range(2):
        if run_sync(rig.profile, rig.wiring()).operations == 0:
            return
    quiet = run_sync(rig.profile, rig.wiring())
    assert quiet.operations == 0, f"still writing after two syncs: {quiet}"


def make_plan(rig: Rig) -> Path:
    """``capxl10n plan -o plan.json`` (in this process)."""
    from capxl10n.core.plan import dumps
    from capxl10n.engine.sync import plan

    path = rig.work / "plan.json"
    path.write_text(dumps(plan(rig.profile, reader=rig.wiring().reader, writers=rig.wiring().writers).plan),
                    encoding="utf-8")
    return path


def apply_again(rig: Rig, path: Path) -> int:
    """``capxl10n apply plan.json`` once more (in this process): resumes what the killed one left."""
    from capxl10n.core.plan import loads
    from capxl10n.engine.sync import apply
    from plugins.history_world import documented

    outcome, failed = documented(lambda: apply(rig.profile, loads(path.read_text(encoding="utf-8")),
                                               writers=rig.wiring().writers))
    return failed.code if failed is not None else outcome.exit_code  # type: ignore[return-value]


@pytest.fixture(scope="module")
def references(rig: Rig) -> dict[str, Result]:
    """What ``sync`` and ``plan`` + ``apply`` leave when nothing stops them (then ``sync`` until quiet)."""
    out = {}
    for command in ("sync", "apply"):
        rig.fresh()
        rig.first_sync()
        rig.scenario()
        if command == "sync":
            assert run_sync(rig.profile, rig.wiring()).code == 3
        else:
            assert apply_again(rig, make_plan(rig)) == 3
        settle(rig)
        out[command] = Result.of(rig)
    return out


class Child:
    """The ``capxl10n`` subprocess, and the means to stop it at its point."""

    def __init__(self, rig: Rig, args: list[str], point: Point, signal_name: str) -> None:
        self.rig, self.point, self.sig = rig, point, SIGNALS[signal_name]
        self.ready_r, ready_w = os.pipe()
        go_r, self.go_w = os.pipe()
        env = {**os.environ, **credentials_env(), "PYTHONPATH": str(REPO), "CAPX_PAUSE": point.pause,
               "CAPX_READY_FD": str(ready_w), "CAPX_GO_FD": str(go_r)}
        if not point.pause:
            rig.sb.faults.trap(point.kinds, self._sprung, nth=point.nth, when=point.when)
        self.proc = subprocess.Popen(child_command("--profile", str(rig.profile_path), "--state", str(rig.state),
                                                   "--catalogs", str(rig.catalogs), *args),
                                     env=env, pass_fds=(ready_w, go_r), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=rig.work)
        os.close(ready_w)
        os.close(go_r)
        self.reached = False

    def _sprung(self, event: TrapEvent) -> str | None:
        """In the sandbox's request thread: signal the child at the trapped request."""
        self.reached = True
        self.proc.send_signal(self.sig)
        if self.sig == signal.SIGKILL:
            self.proc.wait(CHILD_TIMEOUT)
            return "drop" if event.when == "before" else None
        return None

    def run(self) -> tuple[int, str]:
        """Wait for the point (a pause of the child's own: signal it, then let it go on); the exit status."""
        if self.point.pause:
            ready, _, _ = select.select([self.ready_r], [], [], CHILD_TIMEOUT)
            if ready and os.read(self.ready_r, 1):
                self.reached = True
                self.proc.send_signal(self.sig)
                if self.sig != signal.SIGKILL:
                    os.write(self.go_w, b"!")
        output, _ = self.proc.communicate(timeout=CHILD_TIMEOUT)
        os.close(self.ready_r)
        os.close(self.go_w)
        self.rig.sb.faults.clear_traps()
        return self.proc.returncode, output.decode("utf-8", "replace")


def check_kill(rig: Rig, references: dict[str, Result], command: str, label: str, signal_name: str) -> None:
    point = POINTS[label]
    rig.fresh()
    rig.first_sync()
    rig.scenario()
    plan_path = make_plan(rig) if command == "apply" else None
    args = ["apply", str(plan_path)] if plan_path else ["sync"]
    child = Child(rig, args, point, signal_name)
    code, output = child.run()
    where = f"{command} {signal_name} at {label!r}: exit {code}"
    assert child.reached, f"{where}: the point was never reached\n{output[-2000:]}"
    if signal_name == "SIGKILL":
        assert code == -signal.SIGKILL, f"{where}\n{output[-2000:]}"
    else:
        assert code in GRACEFUL, f"{where}\n{output[-2000:]}"
        assert "Traceback" not in output, f"{where}\n{output[-2000:]}"
    assert integrity(rig.state) == "ok", where
    if plan_path is not None:
        assert apply_again(rig, plan_path) == 3, where
    else:
        assert run_sync(rig.profile, rig.wiring()).code in (0, 3), where
    settle(rig)
    differences = Result.of(rig).differences(references[command])
    assert differences == [], f"{where}; after the rerun:\n  " + "\n  ".join(differences)


@pytest.mark.parametrize("command, label, signal_name", DEFAULT, ids=[f"{c}-{s}-{p}" for c, p, s in DEFAULT])
def test_kill(rig: Rig, references: dict[str, Result], command: str, label: str, signal_name: str) -> None:
    check_kill(rig, references, command, label, signal_name)


REST = [c for c in CASES if c not in DEFAULT] if FULL else []


@pytest.mark.reliability_full
@pytest.mark.skipif(not FULL, reason="every kill point: CAPXL10N_RELIABILITY_FULL=1 (docs/reliability.md)")
@pytest.mark.parametrize("command, label, signal_name", REST, ids=[f"{c}-{s}-{p}" for c, p, s in REST])
def test_kill_full(rig: Rig, references: dict[str, Result], command: str, label: str, signal_name: str) -> None:
    check_kill(rig, references, command, label, signal_name)


DOC = REPO / "docs" / "reliability.md"
BEGIN, END = "<!-- kill-points:begin -->", "<!-- kill-points:end -->"


def render() -> str:
    rows = ["| point | how the child is stopped there | commands |", "|---|---|---|"]
    for point in POINTS.values():
        how = (f"pauses itself at `{point.pause}`" if point.pause else
               f"sandbox trap: `{point.kinds}` #{point.nth}, {point.when} the wiki handles it")
        rows.append(f"| {point.label} | {how} | {', '.join(point.commands)} |")
    return "\n".join(rows) + (f"\n\n{len(POINTS)} points × {len(SIGNALS)} signals: {len(CASES)} kills "
                               f"({len(DEFAULT)} in the default run).")


def test_docs_kill_points_are_the_tests_own() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")
    assert documented == render(), \
        "docs/reliability.md's kill points are stale: run PYTHONPATH=tests python tests/reliability/test_kill_points.py"


def test_a_build_removes_the_temporaries_a_killed_build_left(tmp_path: Path) -> None:
    """A SIGKILL between staging and moving the catalogs' files left ``.<name>.<random>.tmp`` beside them for
    good (the kill points found it); the next build removes those of its own files, nothing else."""
    from capxl10n.catalogs.build import build_catalogs
    from capxl10n.sample.generate import generate

    out = tmp_path / "catalogs"
    build_catalogs(generate(capacities=8, languages=2, seed=1), out)
    left = [out / "json" / ".index.json.ab12cd34.tmp", out / ".capacities.pot.x_y9z8w7.tmp"]
    mine = [out / "json" / ".notes.txt.ab12cd34.tmp", out / "json" / "index.json.ab12cd34.tmp"]
    for path in left + mine:
        path.write_text("half written", encoding="utf-8")
    build_catalogs(generate(capacities=8, languages=2, seed=1), out)
    assert [p.exists() for p in left] == [False, False] and all(p.exists() for p in mine)


def test_there_are_at_least_twenty_points_and_the_default_run_meets_every_signal_and_command() -> None:
    assert len(POINTS) >= 20
    assert set(DEFAULT) <= set(CASES)
    assert {s for _, _, s in DEFAULT} == set(SIGNALS) and {c for c, _, _ in DEFAULT} == {"sync", "apply"}


if __name__ == "__main__":
    import sys

    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}", encoding="utf-8")
    sys.stdout.write(f"docs/reliability.md kill points rewritten ({len(CASES)} kills)\n")
