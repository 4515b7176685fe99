"""Progress reports: the engine says how far a run got; the CLI draws it (docs/sync.md, "Progress").

The engine never prints (tests/test_layers.py): it calls a :data:`Progress` callback with a
:class:`Step` — the phase (``read``, ``plan``, ``apply``), the task within it (a wiki, or the
bundle), how many of its units are done and how many there are. The CLI renders steps as bars on a
terminal, or as a log line every N units and at each task's start and end under cron
(:mod:`capxl10n.cli.progress`).

Units per task: while reading, Metabase's discovery and terms, Meta-Wiki's languages, Wikidata;
while planning, the merge; while applying, the writes (requests) each wiki gets: one per
Metabase item, one per Meta-Wiki unit page, one per bundle edit. Before the first write, one
step of task :data:`ALL` gives the number of writes of the whole apply (for an estimate at the
profile's pacing).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: The task of the step announcing the whole apply's writes.
ALL = "all"
#: What a task's units are, for people.
UNITS = {("read", "metabase"): "steps", ("read", "metawiki"): "languages", ("read", "wikidata"): "steps",
         ("plan", "merge"): "steps", ("apply", "metabase"): "items", ("apply", "metawiki"): "pages",
         ("apply", "bundle"): "edits", ("apply", ALL): "writes"}


@dataclass(frozen=True)
class Step:
    phase: str
    task: str
    done: int
    total: int

    @property
    def unit(self) -> str:
        return UNITS.get((self.phase, self.task), "steps")


Progress = Callable[[Step], None]


def task_of(target: str) -> str:
    """The apply task of an operation's target: its wiki, or the bundle."""
    return "bundle" if target == "bundle" else target
