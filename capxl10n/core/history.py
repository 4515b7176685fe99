"""Coverage history: what one pull or sync records, and the changes it must store. Pure.

Every pull and sync takes a **history snapshot**: per side (``metabase``,
``metawiki``, ``catalogs`` — the directory the catalogs are built from), per
language and field, how many messages are translated and how many outdated,
counted exactly as ``capxl10n coverage`` counts them
(:func:`capxl10n.core.coverage.coverage_by_side`), and per side and field the
number of messages with English (the same for every language).

The state stores a step function, not a copy per run: a row only for a
(side, language, field) whose counts differ from the ones last stored, a total
only when it changed, and one line per run saying when it looked. A run in
which nothing changed costs one line; an afternoon's translat-a-thon costs a
row per language and field that moved. What a report needs beyond counts is
which outdated translations were **fixed** (made current again, by a new text
or by a translator's confirmation, which leaves no revision): the state keeps
the set of outdated terms as of the last snapshot, and a run records a fix
for each of them that is translated now (:func:`fixes`).

>>> from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
>>> en = {TermKey("Q1", "label", "en"): Term("Skill"), TermKey("Q1", "description", "en"): Term("A skill")}
>>> before = Snapshot("metawiki", (Capacity("Q1"),), {**en, TermKey("Q1", "label", "de"): Term("F", fuzzy=True)})
>>> after = Snapshot("metawiki", (Capacity("Q1"),), {**en, TermKey("Q1", "label", "de"): Term("Fähigkeit"),
...                                                   TermKey("Q1", "description", "de"): Term("Eine")})
>>> old, new = history_snapshot({"metawiki": before}), history_snapshot({"metawiki": after})
>>> old.counts[("metawiki", "de", "label")], new.counts[("metawiki", "de", "label")]
((0, 1), (1, 0))
>>> sorted(changed_counts(old.counts, new.counts))
[('metawiki', 'de', 'description'), ('metawiki', 'de', 'label')]
>>> fixes(old.outdated, {"metawiki": after})
{'metawiki': (TermKey(qid='Q1', field='label', lang='de'),)}
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from capxl10n.core.coverage import SIDES, coverage_by_side, is_translation_language
from capxl10n.core.model import FIELDS, SOURCE_LANGUAGE, Snapshot, TermKey, normalize_text

#: Sides and fields are stored as small numbers (their index here): the rows stay a few bytes each.
HISTORY_SIDES: Final = SIDES
HISTORY_FIELDS: Final = FIELDS

#: (side, lang, field) → (translated, outdated)
Counts = dict[tuple[str, str, str], tuple[int, int]]
#: (side, field) → messages with English
Totals = dict[tuple[str, str], int]


@dataclass(frozen=True)
class HistorySnapshot:
    """What one run sees: counts per side, language and field; totals per side and field; outdated terms."""

    counts: Counts
    totals: Totals
    outdated: dict[str, frozenset[TermKey]]

    @property
    def sides(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(side for side, _field in self.totals))


def _english_pairs(sides: Mapping[str, Snapshot]) -> set[tuple[str, str]]:
    """Every (qid, field) with English on some side: coverage's one total."""
    out: set[tuple[str, str]] = set()
    for snapshot in sides.values():
        keys = {(k.qid, k.field) for k in snapshot.message_keys()} if snapshot.capacities else None
        for key, term in snapshot.terms.items():
            if key.lang == SOURCE_LANGUAGE and normalize_text(term.text) and \
                    (keys is None or (key.qid, key.field) in keys):
                out.add((key.qid, key.field))
    return out


def history_snapshot(sides: Mapping[str, Snapshot]) -> HistorySnapshot:
    """Counts, totals and outdated terms of ``sides`` (side name → snapshot), as ``capxl10n coverage`` counts."""
    report = coverage_by_side(sides)
    counts: Counts = {}
    for row in report.rows:
        for fld in FIELDS:
            c = row.scope(fld)
            counts[(row.side, row.lang, fld)] = (c.translated, c.fuzzy)
    pairs = _english_pairs(sides)
    per_field = {fld: sum(1 for _q, f in pairs if f == fld) for fld in FIELDS}
    totals: Totals = {(side, fld): per_field[fld] for side in report.sides for fld in FIELDS}
    outdated = {side: frozenset(k for k, t in sides[side].terms.items()
                                if t.fuzzy and is_translation_language(k.lang) and (k.qid, k.field) in pairs
                                and normalize_text(t.text))
                for side in report.sides}
    return HistorySnapshot(counts, totals, outdated)


def changed_counts(previous: Mapping[tuple[str, str, str], tuple[int, int]], current: Counts) -> Counts:
    """The rows to store: counts that differ from the last stored, and (0, 0) for a language gone from a
    side (its last row would otherwise stand for ever). Sides the run did not see are left alone."""
    seen_sides = {side for side, _lang, _fld in current}
    out = {key: value for key, value in current.items() if previous.get(key) != value}
    for key, value in previous.items():
        if key not in current and key[0] in seen_sides and value != (0, 0):
            out[key] = (0, 0)
    return out


def changed_totals(previous: Mapping[tuple[str, str], int], current: Totals) -> Totals:
    return {key: value for key, value in current.items() if previous.get(key) != value}


def fixes(previous: Mapping[str, frozenset[TermKey]], sides: Mapping[str, Snapshot]) -> dict[str, tuple[TermKey, ...]]:
    """Per side, the terms outdated at the last snapshot that hold a current (not outdated) text now."""
    out: dict[str, tuple[TermKey, ...]] = {}
    for side, keys in previous.items():
        snapshot = sides.get(side)
        if snapshot is None:
            continue
        fixed = []
        for key in sorted(keys, key=TermKey.sort_key):
            term = snapshot.terms.get(key)
            if term is not None and not term.fuzzy and normalize_text(term.text):
                fixed.append(key)
        if fixed:
            out[side] = tuple(fixed)
    return out


__all__ = ["Counts", "HISTORY_FIELDS", "HISTORY_SIDES", "HistorySnapshot", "Totals", "changed_counts",
           "changed_totals", "fixes", "history_snapshot"]
