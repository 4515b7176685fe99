"""Issue 23, point 1: every sandbox fault × every phase of a sync (docs/reliability.md, "The fault matrix").

Each cell: a tiny world syncs once, the humans make the scenario's edits (one of every kind of write,
plugins/reliability.py), then a sync runs with one fault aimed at one phase — a burst that clears within
the retry budget, or a fault that outlasts it. The run completes, or stops with the documented exit code
and a message naming the wiki and what failed; then the fault clears and a rerun converges: both wikis,
the bot's revisions per page, the catalogs' bytes and the inbox are those of the same scenario run
without a fault (no translation lost, no edit made twice). A concurrent editor is a human: its edits
must be kept (in step on both wikis, or in the inbox) and nothing written twice under one plan.

The default run takes a representative cell per fault and phase (:data:`DEFAULT`);
``CAPXL10N_RELIABILITY_FULL=1`` runs all of them. The table in docs/reliability.md is generated from
:data:`FAULTS`, :data:`PHASES` and :func:`expected`: ``PYTHONPATH=tests python tests/reliability/test_fault_matrix.py``.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from plugins.history_world import max_revids, revision_terms
from plugins.reliability import (FULL, Result, Rig, RunOutcome, integrity, open_conflicts, out_of_step,
                                 plan_tags_written_twice, tiny_sandbox)

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
BEGIN, END = "<!-- fault-matrix:begin -->", "<!-- fault-matrix:end -->"

pytestmark = pytest.mark.reliability


@dataclass(frozen=True)
class Fault:
    """One sandbox fault: its spec, the spec of a burst that clears (None: no burst), what a failure says."""

    label: str
    spec: str
    burst: str | None
    says: str              # what the message of a run it stopped contains
    reaches: frozenset[str]  # the phases whose requests it can hit ("*": all that send requests)
    retried: bool = True    # the client retries it (outlasting it: exit 5)


@dataclass(frozen=True)
class Phase:
    """Where a fault is aimed: kinds of request (capxl10n/sandbox/faults.py) from a point of the run on."""

    label: str
    kinds: str
    start: str = "read"     # read: from the run's start; apply: once apply begins; catalogs: once they are built
    full: bool = False      # a full read (discovery only runs then, or when an item becomes a capacity)


WRITES = frozenset({"metabase-set", "metabase-remove", "unit-edit", "unit-delete", "bundle-edit"})
ALL = frozenset({"*"})

FAULTS: dict[str, Fault] = {
    "latency": Fault("latency (200 ms)", "latency=200", None, "", ALL),
    "5xx": Fault("HTTP 503 page", "5xx=1", "5xx=1,times=2", "HTTP 503", ALL),
    "429": Fault("HTTP 429, Retry-After", "429=1:retry_after=1", "429=1:retry_after=1,times=2", "HTTP 429", ALL),
    "maxlag": Fault("maxlag window", "maxlag=on:lag=9", "maxlag=on:lag=9,times=2", "maxlag",
                    ALL),
    "hang": Fault("hang (timeout)", "hang=1:seconds=0.05", "hang=1:seconds=0.05,times=2",
                  "no answer within", ALL),
    "html": Fault("HTML anti-bot page", "html=1", "html=1,times=2", "expected JSON", ALL),
    "badtoken": Fault("token expiry", "badtoken=1", "badtoken=1,times=1", "badtoken", WRITES,
                      retried=False),
    "readonly": Fault("read-only", "readonly=on", "readonly=on,times=2", "readonly", WRITES),
    "concurrent": Fault("concurrent editor", "concurrent=1",
                        "concurrent=1,times=1", "kept changing", WRITES - {"bundle-edit"}, retried=False),
    "reset": Fault("connection reset", "reset=1", "reset=1,times=2",
                   "dropped the connection", ALL),
    "lost": Fault("reset, answer lost", "reset=1:after=1",
                  "reset=1:after=1,times=2", "dropped the connection", ALL),
}

PHASES: dict[str, Phase] = {
    "login": Phase("login", "login|token"),
    "discovery": Phase("discovery", "discovery", full=True),
    "terms": Phase("term reads", "terms"),
    "bundle": Phase("bundle read", "bundle"),
    "plan": Phase("plan", "history"),
    "guard": Phase("source guard", "changes", start="apply"),
    "metabase-set": Phase("Metabase set", "metabase-set"),
    "metabase-remove": Phase("Metabase removal", "metabase-remove"),
    "unit-edit": Phase("unit edit", "unit-edit"),
    "unit-delete": Phase("unit deletion", "unit-delete|unit-outdate"),
    "bundle-edit": Phase("bundle edit", "bundle-edit"),
    "catalogs": Phase("catalogs", "write|read|login", start="catalogs"),
}


@dataclass(frozen=True)
class Expect:
    codes: frozenset[int]   # exit codes of the faulted run
    short: str              # the table's cell
    stops: bool             # the run stops on the fault (its message names it)


#: The scenario's own outcome: it leaves a conflict for a human (exit 3).
REFERENCE_CODE = 3


def expected(fault: str, phase: str, duration: str) -> Expect:
    """What a cell must do: the documented exit code of the faulted run (README.md, "Exit codes")."""
    f = FAULTS[fault]
    reaches = phase in f.reaches or ("*" in f.reaches and phase != "catalogs")
    if not reaches:
        return Expect(frozenset({REFERENCE_CODE}), "—", False)
    if fault == "concurrent":  # the target changed under the write: a guard conflict; the next sync merges it
        return Expect(frozenset({REFERENCE_CODE}), "kept", False)
    if duration == "burst" or fault == "latency":
        return Expect(frozenset({REFERENCE_CODE}), "ok", False)
    if phase == "plan":  # who wrote each side of the new conflict stays unknown until the next run
        return Expect(frozenset({REFERENCE_CODE}), "ok\\*", False)
    if fault == "badtoken":
        return Expect(frozenset({1}), "**1**", True)
    return Expect(frozenset({5}), "5", True)


def durations(fault: str) -> tuple[str, ...]:
    return ("on",) if FAULTS[fault].burst is None else ("burst", "outlasting")


CELLS = [(f, p, d) for f in FAULTS for p in PHASES for d in durations(f)]


def _default_cells() -> list[tuple[str, str, str]]:
    """A representative cell per fault and per phase, both durations: fault i meets phases i, i+4, i+8."""
    faults, phases = list(FAULTS), list(PHASES)
    picked = []
    for i, f in enumerate(faults):
        for j, d in enumerate(durations(f)):
            for step in (0, 4, 8):
                picked.append((f, phases[(i + step + j * 2) % len(phases)], d))
    picked.append(("maxlag", "terms", "outlasting"))  # the finding: read phase, exit 1 before
    return sorted(set(picked), key=CELLS.index)


DEFAULT = _default_cells()


# -- the rig -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    sb = tiny_sandbox()
    yield Rig(sb, tmp_path_factory.mktemp("matrix"))
    sb.stop()


@pytest.fixture(scope="module")
def reference(rig: Rig) -> Result:
    """The scenario without a fault: what every cell must converge to."""
    rig.fresh()
    rig.first_sync()
    rig.scenario()
    assert rig.sync().code == REFERENCE_CODE
    assert settle(rig) == REFERENCE_CODE
    return Result.of(rig)


def settle(rig: Rig) -> int:
    """One more sync, which must be quiet: it writes nothing. It rereads what the last apply could not take
    in (a Meta-Wiki deletion saved outdated: docs/reliability.md, "What the suites found"), so the
    catalogs show it too. Its exit code."""
    quiet = rig.sync()
    assert quiet.operations == 0 and quiet.code in (0, REFERENCE_CODE), f"not quiet: {quiet}"
    return quiet.code


def faulted_run(rig: Rig, fault: str, phase: str, duration: str, monkeypatch: pytest.MonkeyPatch) -> tuple[RunOutcome, int]:
    """The scenario's sync with the cell's fault aimed at its phase; (outcome, requests sent while the catalogs
    were built when the phase is the catalogs')."""
    from capxl10n.engine import runlog
    from capxl10n.engine import sync as sync_mod

    f, p = FAULTS[fault], PHASES[phase]
    spec = (f.burst if duration == "burst" else f.spec) + f",only={p.kinds},seed=3"
    during_build = [0]

    def arm() -> None:
        rig.sb.faults.configure(spec)

    if p.start == "read":
        arm()
    elif p.start == "apply":
        enter, armed = runlog.enter, []

        def entering(name: str) -> None:
            if name == "apply" and not armed:
                arm()
                armed.append(name)
            enter(name)
        monkeypatch.setattr(runlog, "enter", entering)
    else:
        build = sync_mod.build_catalogs

        def building(*args: Any, **kw: Any) -> Any:
            arm()
            before = rig.sb.stats.total
            try:
                return build(*args, **kw)
            finally:
                during_build[0] += rig.sb.stats.total - before
                rig.sb.faults.configure(None)
        monkeypatch.setattr(sync_mod, "build_catalogs", building)
    outcome = rig.sync(incremental=not p.full)
    monkeypatch.undo()
    rig.sb.faults.configure(None)
    return outcome, during_build[0]


def check_cell(rig: Rig, reference: Result, fault: str, phase: str, duration: str,
               monkeypatch: pytest.MonkeyPatch) -> None:
    rig.fresh()
    rig.first_sync()
    rig.scenario()
    want = expected(fault, phase, duration)
    before = max_revids(rig.sb)
    outcome, built_with = faulted_run(rig, fault, phase, duration, monkeypatch)
    where = f"{fault} × {phase} ({duration}): exit {outcome.code}, {outcome.message!r}"
    assert outcome.code in want.codes, f"{where}; expected exit {sorted(want.codes)}"
    if want.stops and outcome.code not in (0, 3, 4):
        site_named = "metabase" in outcome.message or "metawiki" in outcome.message
        assert site_named and FAULTS[fault].says in outcome.message, f"{where}: the message does not say what failed"
    assert integrity(rig.state) == "ok", where
    assert built_with == 0, f"{where}: {built_with} request(s) while the catalogs were built"
    rerun = rig.sync()
    assert rerun.code in (REFERENCE_CODE, 0), f"{where}; the rerun exited {rerun.code}: {rerun.message}"
    settle(rig)
    if fault == "concurrent":  # a human edited meanwhile: kept, in step or in the inbox; nothing written twice
        observed, inbox = rig.observe(), open_conflicts(rig.state)
        assert out_of_step(observed, inbox) == [], where
        assert plan_tags_written_twice(rig.sb) == [], where
        latest: dict[Any, str | None] = {}  # each term's last concurrent edit (a later one supersedes it)
        for site in before:
            for revid in sorted(r for r in rig.sb.site(site).wiki.revisions if r > before[site]):
                if rig.sb.site(site).wiki.revisions[revid].user == "Peer2":
                    latest.update(revision_terms(rig.sb, site, revid, rig.items))
        for key, text in latest.items():
            kept = text in (observed.mb(key), observed.current(key), observed.outdated(key)) or key in inbox
            assert kept, f"{where}: the concurrent edit {key} = {text!r} was lost: {observed.show(key)}"
        return
    differences = Result.of(rig).differences(reference)
    assert differences == [], f"{where}; after the rerun:\n  " + "\n  ".join(differences)


@pytest.mark.parametrize("fault, phase, duration", DEFAULT, ids=["-".join(c) for c in DEFAULT])
def test_cell(rig: Rig, reference: Result, fault: str, phase: str, duration: str,
              monkeypatch: pytest.MonkeyPatch) -> None:
    check_cell(rig, reference, fault, phase, duration, monkeypatch)


REST = [c for c in CELLS if c not in DEFAULT] if FULL else []


@pytest.mark.reliability_full
@pytest.mark.skipif(not FULL, reason="every cell: CAPXL10N_RELIABILITY_FULL=1 (docs/reliability.md)")
@pytest.mark.parametrize("fault, phase, duration", REST, ids=["-".join(c) for c in REST])
def test_cell_full(rig: Rig, reference: Result, fault: str, phase: str, duration: str,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    check_cell(rig, reference, fault, phase, duration, monkeypatch)


# -- the same through the CLI -------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, says", [
    ("maxlag=on:lag=9,only=terms", "maxlag"),            # the finding: this exited 1
    ("5xx=1,only=changes", "HTTP 503"),
    ("reset=1,only=bundle", "dropped the connection"),
    ("429=1:retry_after=0,only=login", "HTTP 429"),
])
def test_a_transient_fault_that_outlasts_the_retries_exits_5_in_any_phase(sandbox_profile: Any, tmp_path: Path,
                                                                           spec: str, says: str) -> None:
    """README.md, "Exit codes": 5 is "try again later"; 1 would page a maintainer for the wiki's own trouble."""
    from plugins.world import World

    world = World(sandbox_profile.sandbox, tmp_path, sandbox_profile.env)
    assert world.cli("sync").exit_code == 0
    world.peer.edit_unit(world.pick(), "a human's edit")  # work for the next sync: it reads, then logs in
    world.sb.faults.configure(spec)
    result = world.cli("sync")
    assert result.exit_code == 5, result.output
    assert says in result.output and ("run again later" in result.output or "rerun" in result.output)
    world.sb.faults.configure(None)
    assert world.cli("sync").exit_code == 0
    runs = world.cli("--format", "json", "runs")
    assert [r["exit_code"] for r in __import__("json").loads(runs.stdout)][:2] == [0, 5]


def test_a_host_that_refuses_connections_still_exits_1(tmp_path: Path) -> None:
    """Nothing listens at the profile's URL: no wiki trouble to wait out; check the URL (exit 1)."""
    from click.testing import CliRunner

    from capxl10n.cli.main import main
    from plugins.reliability import REPO

    text = (REPO / "capxl10n" / "profiles" / "sandbox.toml").read_text(encoding="utf-8")
    profile = tmp_path / "p.toml"
    profile.write_text(text.replace("http://127.0.0.1:8765", "http://127.0.0.1:9")
                       .replace("max_attempts = 6", "max_attempts = 2")
                       .replace("backoff_base_seconds = 0.05", "backoff_base_seconds = 0.001"), encoding="utf-8")
    result = CliRunner().invoke(main, ["--profile", str(profile), "--state", str(tmp_path / "s.sqlite"), "sync"])
    assert result.exit_code == 1 and "cannot reach 127.0.0.1:9" in result.output


# -- the documentation --------------------------------------------------------------------------------------

def render() -> str:
    phases = list(PHASES)
    head = "| fault | sandbox spec | " + " | ".join(f"{PHASES[p].label}" for p in phases) + " |"
    rows = [head, "|---" * (len(phases) + 2) + "|"]
    for f in FAULTS:
        for d in durations(f):
            spec = FAULTS[f].burst if d == "burst" else FAULTS[f].spec
            name = FAULTS[f].label + ("" if d == "on" else f", {d}")
            rows.append(f"| {name} | `{spec}` | " + " | ".join(expected(f, p, d).short for p in phases) + " |")
    kinds = ", ".join(f"{PHASES[p].label}: `{PHASES[p].kinds}`" + ("" if PHASES[p].start == "read" else
                                                                    f" from {PHASES[p].start}") for p in phases)
    return "\n".join(rows) + f"\n\n{len(CELLS)} cells. Each phase's kinds of request (`only=`): {kinds}."


def documented() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def test_docs_fault_matrix_is_the_tests_own() -> None:
    assert documented() == render(), "docs/reliability.md's fault matrix is stale: " \
                                     "run PYTHONPATH=tests python tests/reliability/test_fault_matrix.py"


def test_the_default_run_meets_every_fault_and_phase_both_ways() -> None:
    assert {f for f, _, _ in DEFAULT} == set(FAULTS) and {p for _, p, _ in DEFAULT} == set(PHASES)
    assert {(f, d) for f, _, d in DEFAULT} == {(f, d) for f in FAULTS for d in durations(f)}


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}", encoding="utf-8")
    sys.stdout.write(f"docs/reliability.md fault matrix rewritten ({len(CELLS)} cells)\n")
