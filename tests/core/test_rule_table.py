"""docs/sync.md's rule table is the merge's own answer for every combination.

The table is generated from :func:`capxl10n.core.merge.merge`; this test fails when
the docs and the code disagree. To refresh the docs after a deliberate rule
change: ``python tests/core/test_rule_table.py``.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

from capxl10n.core.merge import BaseTerm, MergeOptions, MergeResult, merge
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync.md"
BEGIN, END = "<!-- rule-table:begin -->", "<!-- rule-table:end -->"
CAPS = (Capacity("Q1", item="Q101"),)
KEY = TermKey("Q1", "label", "pt")
SIDE_NAMES = {"metabase": "Metabase", "metawiki": "Meta-Wiki", "bundle": "the bundle"}

BASES = ("none", "tombstone", "a")
METABASE = (None, "a", "b")
METAWIKI = (None, "a", "b", "c", "a*", "b*", "c*")


def one(base: str, m: str | None, w: str | None, **opts: object) -> MergeResult:
    b = {} if base == "none" else {KEY: BaseTerm(None if base == "tombstone" else base)}
    mt = {KEY: Term(m, revision=1)} if m else {}
    wt = {KEY: Term(w.rstrip("*"), side="metawiki", fuzzy=w.endswith("*"), revision=2)} if w else {}
    options = MergeOptions(**{"established": True, **opts})  # type: ignore[arg-type]
    return merge(b, Snapshot("metabase", CAPS, mt), Snapshot("metawiki", CAPS, wt), options)


def outcome(result: MergeResult) -> str:
    if result.conflicts:
        return f"**conflict**: {result.conflicts[0].reason}"
    if result.changes:
        return "; ".join(f"write {c.new} to {SIDE_NAMES[c.target]}" if c.new is not None
                         else f"delete on {SIDE_NAMES[c.target]}" for c in result.changes)
    update = result.base_updates.get(KEY)
    if update is not None:
        return "agreed absent: base becomes a tombstone" if update.text is None else \
            f"in step: base becomes {update.text}" + (" (outdated)" if update.fuzzy else "")
    return "nothing"


def cell(value: str | None) -> str:
    if value is None:
        return "—"
    return f"{value.rstrip('*')} (outdated)" if value.endswith("*") else value


def render() -> str:
    lines = ["| base | Metabase | Meta-Wiki | outcome |", "|---|---|---|---|"]
    for base, m, w in itertools.product(BASES, METABASE, METAWIKI):
        lines.append(f"| {base} | {cell(m)} | {cell(w)} | {outcome(one(base, m, w))} |")
    lines += ["", "First contact (no base yet, before the first sync completes), by `[policy] first_contact`:", "",
              "| Metabase | Meta-Wiki | conflict | metabase | metawiki |", "|---|---|---|---|---|"]
    for m, w in (("a", "b"), ("a", "b*"), ("a", None), (None, "b"), (None, "b*")):
        outcomes = [outcome(one("none", m, w, established=False, first_contact=policy))
                    for policy in ("conflict", "metabase", "metawiki")]
        lines.append(f"| {cell(m)} | {cell(w)} | " + " | ".join(outcomes) + " |")
    return "\n".join(lines)


def documented() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip("\n")


def test_docs_rule_table_is_the_merge() -> None:
    assert documented() == render(), "docs/sync.md's rule table is stale: run python tests/core/test_rule_table.py"


def test_table_covers_every_combination() -> None:
    assert render().count("\n| ") == len(BASES) * len(METABASE) * len(METAWIKI) + 5 + 1


def test_every_conflict_of_the_rule_table_has_a_kind() -> None:
    """`--reason` and the plan's counts name a kind for every conflict the merge makes (none is `other`)."""
    import itertools

    from capxl10n.core.reasons import kind

    seen = set()
    for base, m, w in itertools.product(BASES, METABASE, METAWIKI):
        for policy in ("conflict", "metabase"):
            for opts in ({}, {"established": False, "first_contact": policy}, {"deletions": "conflict"}):
                for c in one(base, m, w, **opts).conflicts:  # type: ignore[arg-type]
                    seen.add(kind(c))
                    assert kind(c) != "other", c.reason
    assert {"first-contact", "both-changed", "deletion"} <= seen


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}", encoding="utf-8")
    sys.stdout.write("docs/sync.md rule table rewritten\n")
