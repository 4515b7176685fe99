"""Translation coverage per language: pure counting over snapshots.

The numbers are defined so that they equal what ``msgfmt --statistics`` and
translate-toolkit's ``pocount`` say about the ``.po`` file built from the same
snapshot (tests check it with the real tools):

* ``total`` — message keys whose English source text is non-empty (a capacity
  with no English text has no catalog entry, so it is counted nowhere);
* ``translated`` — a non-empty, non-fuzzy translation;
* ``fuzzy`` — a non-empty translation marked outdated (``#, fuzzy``);
* ``missing`` — everything else (no term, or an empty one).

``en`` (the source) and ``qqq`` (documentation) are never in coverage.

>>> from capxl10n.model import Capacity, Snapshot, Term, TermKey
>>> snap = Snapshot("sample", (Capacity("Q1"),), {
...     TermKey("Q1", "label", "en"): Term("Skill"),
...     TermKey("Q1", "description", "en"): Term("A skill"),
...     TermKey("Q1", "label", "de"): Term("Fähigkeit"),
...     TermKey("Q1", "description", "de"): Term("Eine", fuzzy=True)})
>>> row = coverage(snap).row("de")
>>> (row.all.total, row.all.translated, row.all.fuzzy, row.all.missing, row.all.percent)
(2, 1, 1, 0, 50.0)
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from capxl10n.model import DOC_LANGUAGE, FIELDS, SOURCE_LANGUAGE, Snapshot, Term, normalize_text

SCOPES: Final = ("label", "description", "all")


@dataclass(frozen=True)
class Counts:
    """Counts for one language and one scope (a field, or both together)."""

    total: int = 0
    translated: int = 0
    fuzzy: int = 0

    @property
    def missing(self) -> int:
        return self.total - self.translated - self.fuzzy

    @property
    def percent(self) -> float:
        """Share translated (fuzzy does not count), one decimal; 0.0 when there is nothing to translate."""
        return round(100.0 * self.translated / self.total, 1) if self.total else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.total + other.total, self.translated + other.translated, self.fuzzy + other.fuzzy)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "translated": self.translated, "fuzzy": self.fuzzy,
                "missing": self.missing, "percent": self.percent}


@dataclass(frozen=True)
class LanguageCoverage:
    """Coverage of one language on one side."""

    lang: str
    side: str
    label: Counts
    description: Counts

    @property
    def all(self) -> Counts:
        return self.label + self.description

    def scope(self, name: str) -> Counts:
        return self.all if name == "all" else getattr(self, name)

    def to_json(self) -> dict[str, Any]:
        return {"lang": self.lang, "side": self.side,
                **{scope: self.scope(scope).to_json() for scope in SCOPES}}


@dataclass(frozen=True)
class CoverageReport:
    """Coverage rows (side, then language order); rendered by :mod:`capxl10n.render`."""

    rows: tuple[LanguageCoverage, ...]
    sides: tuple[str, ...]

    def row(self, lang: str, side: str | None = None) -> LanguageCoverage:
        for row in self.rows:
            if row.lang == lang and (side is None or row.side == side):
                return row
        raise KeyError(f"{lang} ({side or 'any side'}) not in coverage report")

    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.lang for r in self.rows))

    def to_json(self) -> dict[str, Any]:
        return {"sides": list(self.sides), "languages": [r.to_json() for r in self.rows]}

    def columns(self) -> tuple[str, ...]:
        head = ("side",) if len(self.sides) > 1 else ()
        return (*head, "lang", *(f"{scope}_{what}" for scope in SCOPES
                                 for what in ("translated", "fuzzy", "missing", "total", "percent")))

    def table_columns(self) -> tuple[str, ...]:
        """The terminal table: both fields together, plus each field's percentage."""
        head = ("side",) if len(self.sides) > 1 else ()
        return (*head, "lang", "all_translated", "all_fuzzy", "all_missing", "all_total", "all_percent",
                "label_percent", "description_percent")

    def records(self) -> list[dict[str, Any]]:
        """Flat rows for table, CSV and Markdown renderings."""
        out = []
        for row in self.rows:
            record: dict[str, Any] = {"side": row.side} if len(self.sides) > 1 else {}
            record["lang"] = row.lang
            for scope in SCOPES:
                counts = row.scope(scope)
                record.update({f"{scope}_translated": counts.translated, f"{scope}_fuzzy": counts.fuzzy,
                               f"{scope}_missing": counts.missing, f"{scope}_total": counts.total,
                               f"{scope}_percent": counts.percent})
            out.append(record)
        return out


#: Never counted: the source, the documentation, and Wikidata's "multiple languages" default.
NOT_TRANSLATIONS: Final = frozenset({SOURCE_LANGUAGE, DOC_LANGUAGE, "mul"})


def is_translation_language(lang: str) -> bool:
    return lang not in NOT_TRANSLATIONS


def _by_language(snapshot: Snapshot) -> dict[str, dict[tuple[str, str], Term]]:
    """Terms grouped by language once, so counting every language stays linear in the terms."""
    grouped: dict[str, dict[tuple[str, str], Term]] = {}
    for key, term in snapshot.terms.items():
        grouped.setdefault(key.lang, {})[(key.qid, key.field)] = term
    return grouped


def _sources(snapshot: Snapshot, english: dict[tuple[str, str], Term]) -> list[tuple[str, str]]:
    """The (qid, field) pairs that have a catalog entry: English text present, in tree order."""
    out: list[tuple[str, str]] = []
    for key in snapshot.message_keys():
        term = english.get((key.qid, key.field))
        if term is not None and normalize_text(term.text):
            out.append((key.qid, key.field))
    return out


def _count(side: str, lang: str, sources: list[tuple[str, str]],
           terms: dict[tuple[str, str], Term]) -> LanguageCoverage:
    counts: dict[str, list[int]] = {fld: [0, 0, 0] for fld in FIELDS}
    for pair in sources:
        bucket = counts[pair[1]]
        bucket[0] += 1
        term = terms.get(pair)
        if term is None or not normalize_text(term.text):
            continue
        bucket[2 if term.fuzzy else 1] += 1
    return LanguageCoverage(lang, side, Counts(*counts["label"]), Counts(*counts["description"]))


def language_coverage(snapshot: Snapshot, lang: str) -> LanguageCoverage:
    """Counts for one language of one snapshot (see the module docstring for the definitions)."""
    grouped = _by_language(snapshot)
    return _count(snapshot.side, lang, _sources(snapshot, grouped.get(SOURCE_LANGUAGE, {})),
                  grouped.get(lang, {}))


def coverage(snapshots: Snapshot | Sequence[Snapshot], languages: Iterable[str] | None = None) -> CoverageReport:
    """Coverage of every translation language (or of ``languages``) on each snapshot given.

    With several snapshots (e.g. Metabase and Meta-Wiki) every side gets a row
    for every language seen on any side, so the sides can be compared.
    """
    snaps = (snapshots,) if isinstance(snapshots, Snapshot) else tuple(snapshots)
    if languages is None:
        seen = sorted({lang for snap in snaps for lang in snap.languages()})
    else:
        seen = list(dict.fromkeys(languages))
    wanted = [lang for lang in seen if is_translation_language(lang)]
    rows: list[LanguageCoverage] = []
    for snap in snaps:
        grouped = _by_language(snap)
        sources = _sources(snap, grouped.get(SOURCE_LANGUAGE, {}))
        rows += [_count(snap.side, lang, sources, grouped.get(lang, {})) for lang in wanted]
    return CoverageReport(tuple(rows), tuple(dict.fromkeys(s.side for s in snaps)))
