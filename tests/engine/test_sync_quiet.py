"""The quiet sync (engine/sync.py, ``QUIET_FAST_PATH``): a sync whose reads find nothing new, when nothing its
merge is made of changed since the last sync that ended quiet, takes that sync's plan without decoding the
read cache or merging. It must be indistinguishable from the merge: two identical sandboxes on one clock
live the same history (human edits on each side, a conflict decided, a bundle change that outdates units,
profile options changed, a failed catalogs build, the catalogs moved and deleted), one synced with the
fast path off, one with it on; after every sync the plans, exit codes, wikis, bases and catalogs are the
same, and the fast path was taken where nothing was new.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest

from capxl10n.core.merge import Decision
from capxl10n.core.model import TermKey
from capxl10n.engine import sync as sync_module
from capxl10n.engine.state import open_state
from capxl10n.profile import Profile, load_profile
from capxl10n.sandbox.server import credentials_env
from plugins.world import Peer

START = 1_800_000_000.0


class Clock:
    """One clock for both sandboxes, moved by the test only: both wikis stamp the same times."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 60.0) -> None:
        self.now += seconds


class Side:
    """One of the two worlds: a sandbox, its profile (state, catalogs) and a human editing it."""

    def __init__(self, sandbox: Any, root: Path, fast: bool) -> None:
        self.sb, self.root, self.fast = sandbox, root, fast
        self.profile: Profile = load_profile("sandbox").rebase(sandbox.url).with_paths(
            state=root / "state.sqlite", catalogs=root / "catalogs")
        self.peer = Peer(sandbox)
        self.quiet_runs = 0

    def sync(self, monkeypatch: pytest.MonkeyPatch) -> Any:
        monkeypatch.setattr(sync_module, "QUIET_FAST_PATH", self.fast)
        outcome = sync_module.sync(self.profile)
        self.quiet_runs += outcome.planned.reading.quiet
        return outcome

    def item(self, qid: str) -> str:
        with sqlite3.connect(self.profile.state) as db:
            return str(db.execute("SELECT item FROM capacities WHERE qid = ?", (qid,)).fetchone()[0])

    def wikis(self) -> dict[str, Any]:
        out = {}
        for name in ("metabase", "metawiki"):
            wiki = self.sb.site(name).wiki
            out[name] = {title: [(r.revid, r.user, r.timestamp, r.comment, r.content, tuple(r.tags))
                                 for r in page.revisions] for title, page in sorted(wiki.pages.items())}
        return out

    def base(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.profile.state) as db:
            return db.execute("SELECT qid, field, lang, value, fuzzy, metabase_rev, metawiki_rev FROM base "
                              "ORDER BY qid, field, lang").fetchall()

    def inbox(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.profile.state) as db:
            return db.execute("SELECT qid, field, lang, base, metabase, metawiki, reason, decided, decision, sticky "
                              "FROM conflicts ORDER BY qid, field, lang").fetchall()

    def catalogs(self) -> dict[str, bytes] | None:
        where = Path(self.profile.catalogs)
        if not where.is_dir():
            return None
        return {str(p.relative_to(where)): p.read_bytes() for p in sorted(where.rglob("*")) if p.is_file()}


@pytest.fixture
def worlds(sandbox_factory: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> tuple[Side, Side, Clock]:
    for name, value in credentials_env().items():
        monkeypatch.setenv(name, value)
    clock = Clock()
    slow = Side(sandbox_factory(clock=clock), tmp_path / "slow", fast=False)
    fast = Side(sandbox_factory(clock=clock), tmp_path / "fast", fast=True)
    assert slow.wikis() == fast.wikis()  # the same seed, the same clock: the same wikis
    return slow, fast, clock


def run_both(worlds: tuple[Side, Side, Clock], monkeypatch: pytest.MonkeyPatch) -> int:
    """One sync in each world (the clock moved first, so the read marks are past every edit); both the same."""
    slow, fast, clock = worlds
    clock.tick()
    a, b = slow.sync(monkeypatch), fast.sync(monkeypatch)
    assert b.exit_code == a.exit_code, (a.to_json(), b.to_json())
    assert b.planned.plan.to_json() == a.planned.plan.to_json()
    assert b.planned.open_conflicts == a.planned.open_conflicts
    assert (b.applied is None) == (a.applied is None)
    if a.applied is not None:
        assert b.applied.result.to_json() == a.applied.result.to_json()
    assert not a.planned.reading.quiet
    assert fast.wikis() == slow.wikis()
    assert fast.base() == slow.base()
    assert fast.inbox() == slow.inbox()
    assert fast.catalogs() == slow.catalogs()
    return int(a.exit_code)


def settle(worlds: tuple[Side, Side, Clock], monkeypatch: pytest.MonkeyPatch, quiet_syncs: int = 2) -> None:
    """Sync until nothing is left to do, then ``quiet_syncs`` more: all but the first of those take the fast
    path in the fast world (the first keeps the record)."""
    slow, fast, _clock = worlds
    for _ in range(4):
        before = fast.quiet_runs
        run_both(worlds, monkeypatch)
        if fast.quiet_runs == before and not _pending(fast):
            break
    before = fast.quiet_runs
    for _ in range(quiet_syncs):
        assert run_both(worlds, monkeypatch) in (0, 3)
    assert fast.quiet_runs - before >= quiet_syncs - 1, "the fast path was not taken where nothing was new"


def _pending(side: Side) -> bool:
    with sqlite3.connect(side.profile.state) as db:
        return bool(db.execute("SELECT COUNT(*) FROM conflicts WHERE decided = 0").fetchone()[0])


def decide_all(side: Side) -> None:
    """Every open conflict decided for Metabase's value (Meta-Wiki's where Metabase has none)."""
    with open_state(side.profile.state) as state:
        for entry in state.conflicts():
            if entry.decision is None:
                value = entry.metabase or entry.metawiki
                state.decide(entry.key, Decision(value.text if value is not None else None, "test"))


def submit(side: Side, key: TermKey, text: str) -> None:
    """A translator's text for ``key`` imported from a file (a decided inbox entry; no wiki touched)."""
    from capxl10n.engine.state import Submission
    with open_state(side.profile.state) as state:
        mb, mw = state.load_side("metabase"), state.load_side("metawiki")
        assert mb is not None and mw is not None
        english = mw[0].terms[TermKey(key.qid, key.field, "en")].text
        state.submit([Submission(key, text, mb[0].terms.get(key), mw[0].terms.get(key), english, "test.po")])


def both(worlds: tuple[Side, Side, Clock], act: Callable[[Side], None]) -> None:
    slow, fast, clock = worlds
    clock.tick()
    act(slow)
    act(fast)


def test_the_quiet_sync_plans_and_leaves_what_the_merge_would(worlds, monkeypatch):
    slow, fast, clock = worlds
    run_both(worlds, monkeypatch)  # the first sync: the sandbox's drift, first-contact conflicts
    both(worlds, decide_all)
    settle(worlds, monkeypatch)
    assert fast.quiet_runs >= 1

    # A human on Metabase, then on Meta-Wiki: copied, then quiet again.
    key = next(TermKey(q, f, lg) for q, f, lg, v, *_ in slow.base() if v and lg not in ("en", "qqq"))
    both(worlds, lambda s: s.peer.set_term(s.item(key.qid), key.field, key.lang, "edited on Metabase"))
    settle(worlds, monkeypatch)
    both(worlds, lambda s: s.peer.edit_unit(key, "edited on Meta-Wiki"))
    settle(worlds, monkeypatch)

    # A translation imported from a file while all is quiet: only the inbox changed; written to both sides.
    both(worlds, lambda s: submit(s, key, "imported from a file"))
    run_both(worlds, monkeypatch)
    assert fast.wikis()["metawiki"] != {} and slow.base() == fast.base()
    assert ("imported from a file",) in {(v,) for q, f, lg, v, *_ in fast.base() if TermKey(q, f, lg) == key}
    settle(worlds, monkeypatch)

    # Both sides edited apart: a conflict (no quiet record while it is open), decided, written, quiet.
    both(worlds, lambda s: (s.peer.set_term(s.item(key.qid), key.field, key.lang, "Metabase's"),
                            s.peer.edit_unit(key, "Meta-Wiki's")))
    assert run_both(worlds, monkeypatch) == 3
    assert run_both(worlds, monkeypatch) == 3
    both(worlds, decide_all)
    settle(worlds, monkeypatch)

    # The English changes on Meta-Wiki: its translations are outdated units, held through the quiet syncs.
    both(worlds, lambda s: s.peer.edit_bundle({f"{key.message_key}": "A new English text"}))
    settle(worlds, monkeypatch, quiet_syncs=3)
    with open_state(fast.profile.state) as state:
        cached = state.load_side("metawiki")
    assert cached is not None and any(t.fuzzy for t in cached[0].terms.values())

    # A profile option changed: the next sync merges again, whatever it finds.
    for side in (slow, fast):
        side.profile = dataclasses.replace(side.profile, policy=dataclasses.replace(side.profile.policy,
                                                                                      deletions="conflict"))
    before = fast.quiet_runs
    run_both(worlds, monkeypatch)
    assert fast.quiet_runs == before
    settle(worlds, monkeypatch)
    for side in (slow, fast):
        side.profile = dataclasses.replace(side.profile, exclude_languages=(*side.profile.exclude_languages, "fr"))
    before = fast.quiet_runs
    run_both(worlds, monkeypatch)
    assert fast.quiet_runs == before
    settle(worlds, monkeypatch)

    # A failed catalogs build (their directory is a file): an error, then rebuilt once it can be.
    for side in (slow, fast):
        shutil.rmtree(side.profile.catalogs)
        Path(side.profile.catalogs).write_text("in the way")
    clock.tick()
    codes = [side.sync(monkeypatch).exit_code for side in (slow, fast)]
    assert codes[0] == codes[1] != 0
    for side in (slow, fast):
        os.remove(side.profile.catalogs)
    assert run_both(worlds, monkeypatch) == 0
    assert fast.catalogs() is not None
    settle(worlds, monkeypatch)

    # The catalogs moved elsewhere, then deleted by a human: rebuilt each time.
    for side in (slow, fast):
        side.profile = side.profile.with_paths(catalogs=side.root / "moved")
    run_both(worlds, monkeypatch)
    assert fast.catalogs() is not None
    settle(worlds, monkeypatch)
    for side in (slow, fast):
        shutil.rmtree(side.profile.catalogs)
    run_both(worlds, monkeypatch)
    assert fast.catalogs() is not None and fast.catalogs() == slow.catalogs()
    settle(worlds, monkeypatch)
    assert slow.quiet_runs == 0


def test_a_quiet_sync_makes_the_incremental_reads_requests_only(worlds, monkeypatch):
    """Two requests (one recentchanges a wiki), and nothing new found elsewhere makes none twice: a read
    that finds something after the quiet check asks nothing the check asked."""
    slow, fast, clock = worlds
    run_both(worlds, monkeypatch)
    both(worlds, decide_all)
    settle(worlds, monkeypatch)
    fast.sb.stats.reset()
    clock.tick()
    outcome = fast.sync(monkeypatch)
    assert outcome.planned.reading.quiet and fast.sb.stats.total == 2
    key = next(TermKey(q, f, lg) for q, f, lg, v, *_ in fast.base() if v and lg not in ("en", "qqq"))
    for side in (slow, fast):
        side.peer.edit_unit(key, "news")
    clock.tick()
    slow.sb.stats.reset()
    fast.sb.stats.reset()
    a, b = slow.sync(monkeypatch), fast.sync(monkeypatch)
    assert not b.planned.reading.quiet
    assert b.planned.reading.requests == a.planned.reading.requests
    assert fast.sb.stats.total == slow.sb.stats.total
