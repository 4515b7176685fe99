"""Shared helpers of the reliability suites (tests/reliability/, docs/reliability.md): a tiny sandbox world
with a scenario that makes every kind of write, runs of the real sync on it (in-process, or a subprocess
that a test signals at a precise point), and what the checks compare: both wikis as their stores hold them,
the bot's revisions per page, the catalogs' bytes and the state file's integrity.

The world is the history suite's (plugins/history_world.py: 3 capacities × English and 3 languages), so a
sync costs milliseconds; the wikis are read from the sandbox's store, never through capxl10n.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capxl10n.core.model import TermKey
from capxl10n.sandbox.server import Sandbox, credentials_env
from plugins.history_world import (BOT, BUNDLE, LANGS, QIDS, Human, Observed, Wiring, grant_admin_bot_password,
                                   observe, tiny_snapshot)

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
#: Opt-in switches (docs/reliability.md): every cell and kill point, and the 1,000-sync soak.
FULL = os.environ.get("CAPXL10N_RELIABILITY_FULL", "") not in ("", "0")
SOAK = os.environ.get("CAPXL10N_SOAK", "") not in ("", "0")


def key(name: str) -> TermKey:
    """``Q11-label/de`` → the translation; ``Q11-label`` → its English."""
    message_key, _, lang = name.partition("/")
    return TermKey.from_message_key(message_key, lang or "en")


# -- the scenario ------------------------------------------------------------------------------------------------

#: What the humans do between the first sync and the run under test; each line makes one kind of write.
SCENARIO = (
    ("A", "Meta-Wiki unit edited", "Metabase label set"),
    ("B", "Meta-Wiki unit deleted by an administrator", "Metabase label removed"),
    ("C", "Metabase label set", "Meta-Wiki unit edited"),
    ("D", "Metabase description removed", "Meta-Wiki unit deleted (the bot may not: saved outdated)"),
    ("E", "Metabase English changed", "bundle source edited after the units (English)"),
    ("F", "a bundle key removed by hand", "bundle source edited before the units (the key put back), "
                                          "a second round"),
    ("G", "one term changed on both sides", "a conflict (its authors looked up while planning)"),
)


@dataclass
class Rig:
    """One tiny sandbox world: the sandbox, the humans, a profile on it, the state and catalogs paths.

    ``fresh()`` reseeds the wikis and starts over with a new state; ``first_sync()`` makes every term
    agreed; ``scenario()`` then makes the edits of :data:`SCENARIO`.
    """

    sb: Sandbox
    root: Path
    serve: bool = False
    n: int = 0
    human: Human = field(init=False)
    profile: Any = field(init=False)
    items: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.fresh()

    @property
    def work(self) -> Path:
        return self.root / f"w{self.n}"

    @property
    def state(self) -> Path:
        return self.work / "state.sqlite"

    @property
    def catalogs(self) -> Path:
        return self.work / "catalogs"

    @property
    def profile_path(self) -> Path:
        return self.root / "profile.toml"

    def fresh(self) -> None:
        from capxl10n.profile import load_profile

        self.sb.faults.configure(None)
        self.sb.faults.clear_traps()
        self.sb.reset()
        grant_admin_bot_password(self.sb)
        self.human = Human(self.sb)
        self.n += 1
        self.work.mkdir(parents=True, exist_ok=True)
        text = (REPO / "capxl10n" / "profiles" / "sandbox.toml").read_text(encoding="utf-8")
        # Tests never sleep for real: no backoff worth waiting for, a short timeout for real sockets.
        text = (text.replace("http://127.0.0.1:8765", self.sb.url)
                .replace("max_wait_seconds = 60", "max_wait_seconds = 30")
                .replace("timeout_seconds = 10", "timeout_seconds = 2")
                .replace("backoff_base_seconds = 0.05", "backoff_base_seconds = 0.001"))
        self.profile_path.write_text(text, encoding="utf-8")
        self.profile = load_profile(str(self.profile_path)).with_paths(state=self.state, catalogs=self.catalogs)
        self.items = {}

    def wiring(self, on_apply: Callable[[], None] | None = None, *, incremental: bool = True) -> Wiring:
        return Wiring(None if self.serve else self.sb.session, incremental=incremental, on_apply=on_apply)

    def sync(self, *, incremental: bool = True) -> RunOutcome:
        return run_sync(self.profile, self.wiring(incremental=incremental))

    def first_sync(self) -> RunOutcome:
        outcome = self.sync()
        assert outcome.code == 0, outcome
        with sqlite3.connect(self.state) as db:
            self.items = dict(db.execute("SELECT qid, item FROM capacities"))
        return outcome

    def observe(self) -> Observed:
        return observe(self.sb, self.items)

    # -- the humans ----------------------------------------------------------------------------------------------
    def scenario(self) -> None:
        """The edits of :data:`SCENARIO`, made by Peer2 (and Admin for the deletion) through the API."""
        h = self.human
        h.save_unit(key("Q11-label/de"), "A: von Meta-Wiki")
        h.delete_unit(key("Q12-label/de"))
        h.set_item_term(self.items["Q13"], key("Q13-label/fr"), "C: de Metabase")
        h.set_item_term(self.items["Q13"], key("Q13-description/fr"), None)
        h.set_item_term(self.items["Q12"], key("Q12-description"), "E: new English")
        bundle = dict(self.observe().bundle)
        bundle.pop("Q11-description")
        h.save_bundle(bundle)
        h.set_item_term(self.items["Q11"], key("Q11-label/fr"), "G: sur Metabase")
        h.save_unit(key("Q11-label/fr"), "G: sur Meta-Wiki")


# -- running the sync ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunOutcome:
    """A run's exit code (as the CLI would exit) and what it said failed (its error, or its first failed write)."""

    code: int
    message: str = ""
    operations: int = 0


def run_sync(profile: Any, wiring: Wiring, **kw: Any) -> RunOutcome:
    """:func:`capxl10n.engine.sync.sync` with the bot credentials in the environment (only meanwhile)."""
    from capxl10n.engine.sync import sync
    from capxl10n.errors import CapxError

    saved = {name: os.environ.get(name) for name in credentials_env()}
    os.environ.update(credentials_env())
    try:
        outcome = sync(profile, incremental=wiring.incremental, reader=wiring.reader, writers=wiring.writers, **kw)
    except CapxError as exc:
        return RunOutcome(exc.exit_code, str(exc))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    failed = outcome.applied.result.failed if outcome.applied is not None else {}
    message = next(iter(failed.values()), "")
    return RunOutcome(outcome.exit_code, message, len(outcome.planned.plan.operations))


# -- what the checks compare -------------------------------------------------------------------------------------

def bot_revisions(sb: Sandbox) -> Counter[tuple[str, str]]:
    """How many revisions the bot made per page (a write made twice shows here)."""
    out: Counter[tuple[str, str]] = Counter()
    for name in ("metabase", "metawiki"):
        for page in sb.site(name).wiki.pages.values():
            for rev in page.revisions:
                if rev.user == BOT:
                    out[(name, page.title)] += 1
    return out


def catalog_files(path: Path) -> dict[str, Any]:
    """What a catalogs directory says, file by file (stray temporary files included): every message of every
    ``.po``/``.pot``/``.mo`` (context, source, translation, flags) and JSON file (messages, provenance, authors).

    Not the bytes: headers and ``directory.json`` carry each term's revision and time, which the order of
    the writes decides (a run stopped halfway writes the rest later, so later revisions); the app reads the
    messages, and those must be the same.
    """
    import polib

    if not path.is_dir():
        return {}
    out: dict[str, Any] = {}
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = str(file.relative_to(path))
        if file.suffix in (".po", ".pot", ".mo"):
            catalog = polib.mofile(str(file)) if file.suffix == ".mo" else polib.pofile(str(file))
            out[rel] = sorted((e.msgctxt or "", e.msgid, e.msgstr, tuple(sorted(e.flags)), e.previous_msgid or "")
                              for e in catalog)
        elif file.name == "directory.json":
            data = json.loads(file.read_text(encoding="utf-8"))
            out[rel] = sorted((t["qid"], t["field"], t["lang"], t.get("text"), t.get("side"), bool(t.get("fuzzy")))
                              for t in data.get("terms", []))
        elif file.name == "index.json":
            data = json.loads(file.read_text(encoding="utf-8"))
            out[rel] = [(lang.get("code"), lang.get("keys"), lang.get("fallbacks")) for lang in data.get("languages", [])]
        elif file.suffix == ".json":
            data = json.loads(file.read_text(encoding="utf-8"))
            meta = data.pop("@metadata", {})
            out[rel] = (data, meta.get("provenance"), meta.get("authors"), meta.get("fallbacks"))
        else:
            out[rel] = file.read_bytes()
    return out


def integrity(state: Path) -> str:
    """``PRAGMA integrity_check`` of a state file, as SQLite answers it (``ok``)."""
    db = sqlite3.connect(state)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def open_conflicts(state: Path) -> set[TermKey]:
    from capxl10n.engine.state import open_state

    with open_state(state) as st:
        return {c.key for c in st.conflicts() if c.decision is None}


def out_of_step(obs: Observed, conflicts: set[TermKey]) -> list[str]:
    """Terms whose Metabase value differs from Meta-Wiki's current value and that no open conflict explains."""
    keys = {*obs.metabase, *obs.units, *(key(k) for k in obs.bundle if k.startswith(QIDS))}
    out = []
    for k in sorted(keys, key=TermKey.sort_key):
        if k.lang not in ("en", *LANGS) or k in conflicts:
            continue
        if obs.mb(k) == obs.current(k):
            continue
        if obs.outdated(k) is not None and obs.mb(k) in (None, obs.outdated(k)):
            continue  # agreed absent, or agreed and outdated by an English change (docs/sync.md's rule table)
        out.append(obs.show(k))
    return out


@dataclass(frozen=True)
class Result:
    """Where a world ended: both wikis, the bot's revisions per page, the catalogs, the open conflicts."""

    observed: Observed
    revisions: Counter[tuple[str, str]]
    catalogs: dict[str, Any]
    conflicts: frozenset[TermKey]

    @classmethod
    def of(cls, rig: Rig) -> Result:
        return cls(rig.observe(), bot_revisions(rig.sb), catalog_files(rig.catalogs),
                   frozenset(open_conflicts(rig.state)))

    def differences(self, other: Result) -> list[str]:
        """What differs from ``other`` (the reference), in words."""
        out: list[str] = []
        a, b = self.observed, other.observed
        for k in sorted({*a.metabase, *b.metabase}, key=TermKey.sort_key):
            if a.mb(k) != b.mb(k):
                out.append(f"metabase {k}: {a.mb(k)!r}, expected {b.mb(k)!r}")
        for k in sorted({*a.units, *b.units}, key=TermKey.sort_key):
            if a.units.get(k) != b.units.get(k):
                out.append(f"unit {k}: {a.units.get(k)}, expected {b.units.get(k)}")
        if a.bundle != b.bundle:
            out.append(f"bundle {a.bundle}, expected {b.bundle}")
        for page in sorted({*self.revisions, *other.revisions}):
            if self.revisions[page] != other.revisions[page]:
                out.append(f"bot revisions of {page[0]} {page[1]}: {self.revisions[page]}, "
                           f"expected {other.revisions[page]}")
        for rel in sorted({*self.catalogs, *other.catalogs}):
            if self.catalogs.get(rel) != other.catalogs.get(rel):
                out.append(f"catalogs/{rel}: {'missing' if rel not in self.catalogs else 'stray' if rel not in other.catalogs else 'differs'}")
        if self.conflicts != other.conflicts:
            out.append(f"open conflicts {sorted(map(str, self.conflicts))}, expected {sorted(map(str, other.conflicts))}")
        return out


def plan_tags_written_twice(sb: Sandbox) -> list[str]:
    """Bot revisions of one page under one plan's tag beyond what one apply writes there (one per page; the
    bundle two: keys before the units, English after)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    for name in ("metabase", "metawiki"):
        for page in sb.site(name).wiki.pages.values():
            for rev in page.revisions:
                if rev.user == BOT and "[capxl10n plan " in rev.comment:
                    tag = rev.comment[rev.comment.index("[capxl10n plan "):].split("]")[0]
                    seen[(name, page.title, tag)] += 1
    return [f"{site} {title}: {count} bot revisions under {tag}]" for (site, title, tag), count in sorted(seen.items())
            if count > (2 if title == BUNDLE else 1)]


# -- a subprocess to signal at a precise point ---------------------------------------------------------------------

def child_command(*args: str) -> list[str]:
    """``capxl10n <args>`` in a child Python that runs :mod:`plugins.kill_child` (a pause point, then the CLI)."""
    return [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                                  "from plugins.kill_child import main; main()", str(TESTS), *args]


#: The wikis' clock in these worlds: it stands still, so each write is one second after the one before
#: (store/wiki.py) and two worlds that make the same writes have the same timestamps (and catalog bytes).
EPOCH = 1_764_547_200.0  # 2025-12-01T00:00:00Z


def tiny_sandbox(*, start: bool = False) -> Sandbox:
    """The tiny world's sandbox (3 capacities × English and 3 languages) on a standing clock, no sleeps."""
    sb = Sandbox(seed=1, capacities=len(QIDS), languages=len(LANGS), snapshot=tiny_snapshot(),
                 sleep=lambda _s: None, clock=lambda: EPOCH)
    return sb.start() if start else sb
