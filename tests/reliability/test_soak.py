"""Issue 23, point 6: a long run — syncs with random human edits and 2 % faults.

Each round, Peer2 (and Admin, for a deletion) make a few random edits on both wikis, a fault mix is
switched on (2 % of requests: 5xx, 429, HTML pages, hangs, dropped connections, lost answers, token
expiry, a concurrent editor) and ``capxl10n sync`` runs — the real command (``main``), in a process
that does nothing else and runs every sync, so its memory, file descriptors and connections can be
watched (/proc/self): a child interpreter started once, which the test tells what to run over a pipe (the sandbox and
its wikis stay in the test's process, so their growth is not the child's). Every 25 rounds a
maintainer decides the open conflicts (``conflicts resolve --all``). At the end the faults stop, the
conflicts are decided and the wikis must be in step, nothing written twice.

Flat means: the syncing process's memory (RSS) and open file descriptors (its sockets among them) and
the sandbox's open connections end where they were once warmed up; the state's working tables (base,
read cache, plans, journal, inbox…) end the size they were; what it keeps on purpose grows only as
documented (docs/reliability.md, "The soak"): the run history, capped at ``RUNS_KEPT`` runs, and the
coverage history, a row per change. The default run makes 30 syncs; ``CAPXL10N_SOAK=1`` makes 1,000
(``CAPXL10N_SOAK_SYNCS`` to choose) and prints its figures.
"""
from __future__ import annotations

import gc
import json
import os
import random
import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from capxl10n.sandbox.server import credentials_env
from plugins.history_world import ENGLISH, TRANSLATIONS, Refused
from plugins.reliability import SOAK, Rig, key, open_conflicts, out_of_step, plan_tags_written_twice, tiny_sandbox

pytestmark = pytest.mark.reliability

#: Fault mixes, one per round; each draws 2 % of requests in all. ``seed=`` is added per round.
MIXES = ("5xx=0.005,429=0.005:retry_after=0,html=0.005,reset=0.005",
         "hang=0.005:seconds=1,badtoken=0.005,concurrent=0.005,reset=0.005:after=1")
#: Exit codes a faulted sync may end with (README.md): done, conflicts, pending, partly done; 1 only for a
#: token refused twice in a row (docs/reliability.md, the matrix's token expiry row).
ALLOWED = {0, 3, 4, 5}
#: Tables the state keeps on purpose, growing with the runs (capped) and with changes; every other is working
#: state and must end the size it was.
KEPT = ("runs", "coverage", "history", "history_runs", "history_totals", "history_fixes", "history_outdated",
        "contributions")


@dataclass
class Sample:
    sync: int
    rss_kib: int
    fds: int
    sockets: int
    threads: int
    connections: int          # keep-alive connections the sandbox holds open
    state_bytes: int          # pages in use
    working_bytes: int        # pages of the working tables
    runs: int
    runs_bytes: int           # pages of the run history


@dataclass
class Figures:
    syncs: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    exits: dict[int, int] = field(default_factory=dict)
    edits: int = 0
    samples: list[Sample] = field(default_factory=list)

    def show(self) -> str:
        lines = [f"soak: {self.syncs} syncs, {self.edits} human edits, {sum(self.faults.values())} faults injected "
                 f"{dict(sorted(self.faults.items()))}, exit codes {dict(sorted(self.exits.items()))}"]
        for s in (self.samples[0], self.samples[-1]):
            lines.append(f"  sync {s.sync:>5}: RSS {s.rss_kib / 1024:.1f} MiB, {s.fds} fds ({s.sockets} sockets), "
                         f"{s.threads} thread(s), sandbox connections {s.connections}; state {s.state_bytes / 1024:.0f}"
                         f" KiB: working tables {s.working_bytes / 1024:.0f} KiB, {s.runs} runs "
                         f"{s.runs_bytes / 1024:.0f} KiB, coverage history "
                         f"{(s.state_bytes - s.working_bytes - s.runs_bytes) / 1024:.0f} KiB")
        return "\n".join(lines)


def state_bytes(path: Path) -> tuple[int, int, int, int]:
    """The state's bytes in use, those of its working tables (:data:`KEPT` aside), its recorded runs and their
    bytes."""
    db = sqlite3.connect(path)
    try:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        used = (db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0])
        per_table = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        db.close()
    indexes = {name: table for name, table in sqlite3.connect(path).execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")}
    working = sum(b for name, b in per_table.items() if indexes.get(name, name) not in KEPT
                  and not name.startswith("sqlite_"))
    runs_bytes = sum(b for name, b in per_table.items() if indexes.get(name, name) == "runs")
    return used * size, working, runs, runs_bytes


class Syncer:
    """A child started once that runs ``capxl10n`` commands as the test asks, and measures itself.

    One JSON line per command each way. The child talks to the sandbox over loopback HTTP only; its output
    goes to a log file the parent reads. It is a fresh interpreter, not a fork of the test process: a fork
    inherits SQLite's per-process table of open files, and a connection some earlier test left open on a
    since deleted file can share an inode number with the child's new state (SQLite then answers
    "disk I/O error").
    """

    def __init__(self, args: list[str], log: Path) -> None:
        import subprocess

        self.log = log
        to_child, self._to_child = os.pipe()
        self._from_child, from_child = os.pipe()
        here = str(Path(__file__).resolve().parent)
        code = ("import sys; from pathlib import Path; import test_soak; "
                "test_soak.Syncer._serve(__import__('json').loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), "
                "Path(sys.argv[4]))")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, *sys.path])}
        self.process = subprocess.Popen([sys.executable, "-c", code, json.dumps(args), str(to_child), str(from_child),
                                         str(log)], pass_fds=(to_child, from_child), env=env,
                                        stdin=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._answers = os.fdopen(self._from_child, "r", encoding="utf-8")

    @staticmethod
    def _serve(args: list[str], commands: int, answers: int, log: Path) -> None:  # pragma: no cover - the child
        from capxl10n.cli.main import main

        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        # The CLI writes to the log as to a pipe.
        sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)
        os.environ.update(credentials_env())
        with os.fdopen(commands, "r", encoding="utf-8") as inbox, os.fdopen(answers, "w", encoding="utf-8") as outbox:
            for line in inbox:
                command = json.loads(line)
                if command == ["measure"]:
                    gc.collect()
                    fds, sockets = open_fds()
                    answer: Any = {"rss": rss_kib(), "fds": fds, "sockets": sockets,
                                   "threads": threading.active_count()}
                elif command == ["exit"]:
                    return
                else:
                    sys.stdout.write(f"\n@@ capxl10n {' '.join(command)}\n")
                    sys.stdout.flush()
                    try:
                        code = main([*args, *command], prog_name="capxl10n", standalone_mode=False)
                    except SystemExit as exc:
                        code = exc.code
                    sys.stdout.flush()
                    sys.stderr.flush()
                    answer = {"code": code if isinstance(code, int) else 0}
                outbox.write(json.dumps(answer) + "\n")
                outbox.flush()

    def ask(self, *command: str) -> dict[str, Any]:
        os.write(self._to_child, (json.dumps(list(command)) + "\n").encode())
        line = self._answers.readline()
        assert line, "the syncing process died:\n" + self.output()[-3000:]
        return dict(json.loads(line))

    def run(self, *command: str) -> tuple[int, str]:
        """A command's exit code and what it printed."""
        before = self.log.stat().st_size if self.log.exists() else 0
        code = int(self.ask(*command)["code"])
        with open(self.log, encoding="utf-8", errors="replace") as out:
            out.seek(before)
            return code, out.read()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def close(self) -> None:
        try:
            os.write(self._to_child, b'["exit"]\n')
        except OSError:
            pass
        os.close(self._to_child)
        self._answers.close()
        self.process.wait(timeout=60)


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds() -> tuple[int, int]:
    """File descriptors open in this process, and how many of them are sockets."""
    fds = sockets = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        fds += 1
        sockets += target.startswith("socket:")
    return fds, sockets


class Soak:
    """The world, the humans' random edits, the syncing process; samples taken as it goes."""

    def __init__(self, rig: Rig, seed: int) -> None:
        self.rig = rig
        self.rng = random.Random(seed)
        self.figures = Figures()
        self.n = 0
        log = rig.root / f"soak-{rig.n}.log"
        self.syncer = Syncer(["--profile", str(rig.profile_path), "--state", str(rig.state), "--catalogs",
                              str(rig.catalogs), "-q"], log)

    def edit(self) -> None:
        """One random human edit (a refused one, e.g. a unit of a key not in the bundle, is no edit)."""
        h, rng, n = self.rig.human, self.rng, self.n
        term = key(rng.choice(TRANSLATIONS))
        item = self.rig.items[term.qid]
        roll = rng.random()
        try:
            if roll < 0.35:
                h.set_item_term(item, term, f"mb@{n}")
            elif roll < 0.70:
                h.save_unit(term, f"mw@{n}")
            elif roll < 0.80:
                h.set_item_term(item, term, None)
            elif roll < 0.85:
                h.delete_unit(term)
            elif roll < 0.95:  # the same term changed on both sides: a conflict for a maintainer
                h.set_item_term(item, term, f"mb@{n}")
                h.save_unit(term, f"mw@{n}")
            else:
                english = key(rng.choice(ENGLISH))
                h.set_item_term(self.rig.items[english.qid], english, f"{english.qid} {english.field} en@{n}")
        except Refused:
            return
        self.figures.edits += 1

    def round(self) -> None:
        self.n += 1
        for _ in range(self.rng.randrange(3)):
            self.edit()
        self.rig.sb.faults.configure(f"{self.rng.choice(MIXES)},seed={self.rng.randrange(1 << 30)}")
        code, output = self.syncer.run("sync")
        self.rig.sb.faults.configure(None)
        self.figures.exits[code] = self.figures.exits.get(code, 0) + 1
        assert code in ALLOWED or (code == 1 and "badtoken" in output), f"sync {self.n}: exit {code}\n{output[-3000:]}"
        assert "Traceback" not in output, output
        if self.n % 25 == 0:
            code, output = self.syncer.run("conflicts", "resolve", "--all", "--take", "metabase", "--yes")
            assert code in (0, 1) and "Traceback" not in output, output

    def sample(self) -> Sample:
        own = self.syncer.ask("measure")
        server = self.rig.sb._server
        connections = len(server._connections) if server is not None else 0
        size, working, runs, runs_bytes = state_bytes(self.rig.state)
        found = Sample(self.n, own["rss"], own["fds"], own["sockets"], own["threads"], connections, size, working,
                       runs, runs_bytes)
        self.figures.samples.append(found)
        return found

    def finish(self) -> None:
        """Faults off, every conflict decided, then syncs until quiet: both wikis in step."""
        self.figures.syncs = self.n
        self.figures.faults = self.rig.sb.stats.faults()
        for _ in range(3):
            self.syncer.run("conflicts", "resolve", "--all", "--take", "metabase", "--yes")
            code, _ = self.syncer.run("sync")
            if code == 0 and not open_conflicts(self.rig.state):
                break
        code, output = self.syncer.run("--format", "json", "sync", "--dry-run")
        summary = json.loads(output[output.index("{"):])
        assert code == 0 and summary["plan"]["summary"]["operations"] == 0, output


def run(rig: Rig, syncs: int, seed: int = 23) -> Figures:
    rig.fresh()
    rig.first_sync()
    soak = Soak(rig, seed)
    try:
        warm = max(5, syncs // 10)
        for _ in range(syncs):
            soak.round()
            if soak.n == warm or soak.n == syncs or (soak.n > warm and soak.n % max(1, syncs // 10) == 0):
                soak.sample()
        soak.finish()
    finally:
        soak.syncer.close()
    conflicts = open_conflicts(rig.state)
    assert conflicts == set(), f"conflicts left: {sorted(map(str, conflicts))}"
    assert out_of_step(rig.observe(), set()) == []
    assert plan_tags_written_twice(rig.sb) == []
    return soak.figures


def check_flat(figures: Figures, *, rss_mib: float) -> None:
    """Memory, descriptors and connections end where they were once warm; the working tables too."""
    from capxl10n.engine.state import RUNS_KEPT

    warm, last = figures.samples[0], figures.samples[-1]
    report = figures.show()
    assert last.fds <= warm.fds + 2 and last.sockets <= warm.sockets + 2, report
    assert last.connections <= max(warm.connections, 2) + 2 and last.threads <= warm.threads, report
    assert (last.rss_kib - warm.rss_kib) / 1024 <= rss_mib, report
    assert last.working_bytes <= warm.working_bytes + 64 * 1024, report
    assert last.runs <= RUNS_KEPT, report


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    sb = tiny_sandbox(start=True)
    made = Rig(sb, tmp_path_factory.mktemp("soak"), serve=True)
    text = made.profile_path.read_text(encoding="utf-8").replace("timeout_seconds = 2", "timeout_seconds = 0.2")
    made.profile_path.write_text(text, encoding="utf-8")  # a hang costs 0.2 s, not 2
    yield made
    sb.stop()


def test_a_short_soak_stays_in_step_and_leaks_nothing(rig: Rig) -> None:
    figures = run(rig, 30)
    assert figures.edits > 0 and sum(figures.exits.values()) == 30
    check_flat(figures, rss_mib=8)


def test_the_run_history_keeps_the_newest_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A state in cron for years must not grow by a row an hour: the oldest runs go (the soak found it)."""
    from capxl10n.engine import state as state_mod

    monkeypatch.setattr(state_mod, "RUNS_KEPT", 5)
    with state_mod.open_state(tmp_path / "s.sqlite") as st:
        for n in range(8):
            st.start_run(f"run{n}", "sync")
            st.finish_run(f"run{n}", 0, {})
        assert [r["run_id"] for r in st.run_history()] == [f"run{n}" for n in range(7, 2, -1)]


@pytest.mark.soak
@pytest.mark.skipif(not SOAK, reason="the 1,000-sync soak: CAPXL10N_SOAK=1 (docs/reliability.md)")
def test_soak(rig: Rig) -> None:
    syncs = int(os.environ.get("CAPXL10N_SOAK_SYNCS", "1000"))
    figures = run(rig, syncs)
    sys.stdout.write(figures.show() + "\n")
    check_flat(figures, rss_mib=8)
