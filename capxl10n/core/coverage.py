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

:func:`coverage_by_side` counts several sides of the same directory — Metabase,
Meta-Wiki and the directory the catalogs are built from — against one total:
every message with English text on any side, so a message a side lacks is
*missing there* rather than left out of its count.

>>> from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
>>> snap = Snapshot("sample", (Capacity("Q1"),), {
...     TermKey("Q1", "label", "en"): Term("Skill"),
...     TermKey("Q1", "description", "en"): Term("A skill"),
...     TermKey("Q1", "label", "de"): Term("Fähigkeit"),
...     TermKey("Q1", "description", "de"): Term("Eine", fuzzy=True)})
>>> row = coverage(snap).row("de")
>>> (row.all.total, row.all.translated, row.all.fuzzy, row.all.missing, row.all.percent)
(2, 1, 1, 0, 50.0)
>>> wiki = Snapshot("metawiki", (), {TermKey("Q1", "label", "en"): Term("Skill"),
...                                  TermKey("Q1", "label", "de"): Term("Fähigkeit", fuzzy=True)})
>>> by_side = coverage_by_side({"metabase": snap, "metawiki": wiki})
>>> [(r.side, r.all.total, r.all.translated, r.all.fuzzy) for r in by_side.rows]
[('metabase', 2, 1, 1), ('metawiki', 2, 0, 1)]
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from capxl10n.core.model import DOC_LANGUAGE, FIELDS, SOURCE_LANGUAGE, Snapshot, Term, TermKey, normalize_text

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
    """Coverage rows (side, then language order); rendered by :mod:`capxl10n.cli.render`."""

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


#: The sides :func:`coverage_by_side` is meant for, in display order; others follow in the order given.
SIDES: Final = ("metabase", "metawiki", "catalogs")


@dataclass(frozen=True)
class SideCoverageReport(CoverageReport):
    """Coverage of the same languages on several sides, grouped by language, against one total.

    ``label_messages`` and ``description_messages`` are that total per field:
    the rows of every side and language count translated / outdated / missing
    out of it. CSV, Markdown and JSON
    carry every count; the terminal table shows each field as
    ``translated / outdated / missing`` under a caption naming the total.
    """

    label_messages: int = 0
    description_messages: int = 0

    @property
    def messages(self) -> int:
        return self.label_messages + self.description_messages

    def to_json(self) -> dict[str, Any]:
        return {"sides": list(self.sides),
                "messages": {"label": self.label_messages, "description": self.description_messages,
                             "all": self.messages},
                "languages": [r.to_json() for r in self.rows]}

    def columns(self) -> tuple[str, ...]:
        return ("lang", "side", *(f"{scope}_{what}" for scope in SCOPES
                                  for what in ("translated", "fuzzy", "missing", "total", "percent")))

    def table_columns(self) -> tuple[str, ...]:
        return ("lang", "side", "label", "description", "all", "%")

    def table_caption(self) -> str:
        return (f"translated / outdated / missing of {self.messages} messages with English "
                f"(label {self.label_messages}, description {self.description_messages}); "
                "% = translated; Metabase has no outdated state")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SideCoverageReport:
        """The report :meth:`to_json` wrote (a ``KeyError``, ``TypeError`` or ``ValueError`` when it is not one)."""
        def counts(raw: Mapping[str, Any]) -> Counts:
            return Counts(int(raw["total"]), int(raw["translated"]), int(raw["fuzzy"]))

        rows = tuple(LanguageCoverage(str(r["lang"]), str(r["side"]), counts(r["label"]), counts(r["description"]))
                     for r in data["languages"])
        return cls(rows, tuple(str(side) for side in data["sides"]), int(data["messages"]["label"]),
                   int(data["messages"]["description"]))

    def for_languages(self, languages: Iterable[str] | None) -> SideCoverageReport:
        """The report :func:`coverage_by_side` gives for ``languages`` over the same sides: their rows, in
        that order; a language no side has is missing everywhere."""
        if languages is None:
            return self
        held = {(row.lang, row.side): row for row in self.rows}
        labels, descriptions = Counts(self.label_messages), Counts(self.description_messages)
        rows = tuple(held.get((lang, side)) or LanguageCoverage(lang, side, labels, descriptions)
                     for lang in dict.fromkeys(languages) if is_translation_language(lang) for side in self.sides)
        return SideCoverageReport(rows, self.sides, self.label_messages, self.description_messages)

    def records(self) -> list[dict[str, Any]]:
        widths = {"label": len(str(self.label_messages)), "description": len(str(self.description_messages)),
                  "all": len(str(self.messages))}
        out = []
        for row in self.rows:
            record: dict[str, Any] = {"lang": row.lang, "side": row.side}
            for scope in SCOPES:
                counts = row.scope(scope)
                record.update({f"{scope}_translated": counts.translated, f"{scope}_fuzzy": counts.fuzzy,
                               f"{scope}_missing": counts.missing, f"{scope}_total": counts.total,
                               f"{scope}_percent": counts.percent})
                w = widths[scope]
                record[scope] = f"{counts.translated:>{w}} / {counts.fuzzy:>{w}} / {counts.missing:>{w}}"
            record["%"] = row.all.percent
            out.append(record)
        return out


def _messages(snapshot: Snapshot, english: dict[tuple[str, str], Term]) -> set[tuple[str, str]]:
    """The (qid, field) pairs with English text on one side.

    A side with a capacity tree counts the keys of its tree (what its catalog
    would hold); Meta-Wiki's read has no tree, only the bundle, so there every
    key with English counts.
    """
    if snapshot.capacities:
        return set(_sources(snapshot, english))
    return {pair for pair, term in english.items() if normalize_text(term.text)}


def coverage_by_side(sides: Mapping[str, Snapshot], languages: Iterable[str] | None = None) -> SideCoverageReport:
    """Coverage of each translation language on each side, counted against one total.

    ``sides`` maps a side's name (e.g. ``metabase``, ``metawiki``, ``catalogs``)
    to its snapshot; the names label the rows, so a snapshot's own ``side``
    does not matter. The total is every message (capacity label or
    description) with English text on any side; every side gets a row for
    every language seen on any side (or for ``languages``), so a language
    present on one side only shows as missing on the others. For the
    directory the catalogs are built from, which holds every message, the
    counts are those ``msgfmt --statistics`` gives for its ``.po`` files.
    """
    names = sorted(sides, key=lambda name: (SIDES.index(name) if name in SIDES else len(SIDES),
                                            list(sides).index(name)))
    english = {name: _english(sides[name]) for name in names}
    total: set[tuple[str, str]] = set()
    for name in names:
        total |= _messages(sides[name], english[name])
    if languages is None:
        seen = sorted({k[2] for name in names for k in sides[name].terms})
    else:
        seen = list(dict.fromkeys(languages))
    wanted = [lang for lang in seen if is_translation_language(lang)]
    counted = {name: _tally(sides[name].terms, total, frozenset(wanted)) for name in names}
    labels = sum(1 for _qid, fld in total if fld == "label")
    descriptions = len(total) - labels
    rows = []
    for lang in wanted:
        for name in names:
            lt, lf, dt, df = counted[name].get(lang, _NONE)
            rows.append(LanguageCoverage(lang, name, Counts(labels, lt, lf), Counts(descriptions, dt, df)))
    return SideCoverageReport(tuple(rows), tuple(names), labels, descriptions)


_NONE: Final = (0, 0, 0, 0)


def _english(snapshot: Snapshot) -> dict[tuple[str, str], Term]:
    out: dict[tuple[str, str], Term] = {}
    for (qid, fld, lang), term in snapshot.terms.items():
        if lang == SOURCE_LANGUAGE:
            out[(qid, fld)] = term
    return out


def has_text(text: str) -> bool:
    """``normalize_text(text) != ""``, mostly without normalising: NFC never turns a character that is not
    whitespace into whitespace nor drops one (tests/core/test_coverage.py checks every code point), so text
    with anything but whitespace has text; only all-whitespace text is normalised to be sure."""
    return bool(text.strip()) or bool(normalize_text(text))


def _tally(terms: Mapping[TermKey, Term], messages: set[tuple[str, str]], languages: frozenset[str]
           ) -> dict[str, list[int]]:
    """One pass over a side's terms: per language in ``languages``, the translated and outdated ones among
    ``messages`` (label translated, label outdated, description translated, description outdated)."""
    fields_of: dict[str, set[str]] = {}
    for qid, fld in messages:
        fields_of.setdefault(qid, set()).add(fld)
    out: dict[str, list[int]] = {}
    for (qid, fld, lang), term in terms.items():
        if lang not in languages:
            continue
        fields = fields_of.get(qid)
        if fields is None or fld not in fields:
            continue
        text = term.text
        if not (text.strip() or normalize_text(text)):  # has_text, without a call per term
            continue
        counts = out.get(lang)
        if counts is None:
            counts = out[lang] = [0, 0, 0, 0]
        counts[(0 if fld == "label" else 2) + (1 if term.fuzzy else 0)] += 1
    return out
