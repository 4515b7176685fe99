"""What a translat-a-thon achieved: the event report's figures for a window. Pure.

Inputs are what the engine gathers (:mod:`capxl10n.engine.report`): the
coverage history (:mod:`capxl10n.core.history`) at the window's start and end,
the changes stored in between, the fixes of outdated translations the
snapshots saw, and the translators' contributions read from the wikis'
revisions (and from ``.po`` imports). Out comes an :class:`EventReport`:

* per **language** and **field** (``label``, ``description``, ``all``) and
  per side (``metabase``, ``metawiki``, ``catalogs`` — the directory the app's
  catalogs are built from, everything both wikis know: the headline): translated
  before and after, **gained** (after − before), **outdated fixed** (outdated
  translations made current again: a new text, or a translator's confirmation),
  **still missing**, **still outdated**, and the **thresholds** (50, 80, 100 %)
  crossed upwards (and those fallen below);
* per **translator**: the terms translated (new), fixed (outdated before) and
  edited (a current translation changed), on which wiki, in which languages;
* the **event total** and its progress over time (translated messages at each
  snapshot in the window);
* per language a short **to-do list** with Special:Translate links.

Every number the HTML page, ``report.json`` and ``report.csv`` show comes
from here, so they are the same numbers. A threshold is crossed when
``translated × 100 ≥ threshold × total`` holds after and not before (exact,
not the rounded percentage).

>>> key = TermKey("Q1", "label", "de")
>>> before = {("catalogs", "de", "label"): (0, 1), ("catalogs", "de", "description"): (0, 0)}
>>> after = {("catalogs", "de", "label"): (1, 0), ("catalogs", "de", "description"): (1, 0)}
>>> totals = {("catalogs", "label"): 1, ("catalogs", "description"): 1}
>>> history = WindowHistory(100, 200, before, totals, after, totals, fixes=((150, "catalogs", key),))
>>> report = event_report(history, [Contribution("Ana", "metawiki", key, "fixed", 140)], languages=["de"])
>>> row = report.languages[0].progress("catalogs", "all")
>>> (row.translated_before, row.translated_after, row.gained, row.fixed, row.still_missing, row.crossed)
(0, 2, 2, 1, 0, (50, 80, 100))
>>> report.translators[0].user, report.translators[0].counts()
('Ana', {'translated': 0, 'fixed': 1, 'edited': 0, 'removed': 0})
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final, Literal

from capxl10n.core import langs
from capxl10n.core.coverage import SIDES
from capxl10n.core.model import FIELDS, SOURCE_LANGUAGE, Snapshot, Term, TermKey, normalize_text
from capxl10n.core.todo import Links, url_quote
from capxl10n.errors import UnknownLanguage

THRESHOLDS: Final = (50, 80, 100)
#: The side whose figures head the report: everything both wikis know (what the catalogs hold).
HEADLINE: Final = "catalogs"
SCOPES: Final = (*FIELDS, "all")
#: Where a contribution was made: a wiki, or a translator's ``.po`` file (written by our bot).
Channel = Literal["metawiki", "metabase", "import"]
CHANNELS: Final[tuple[Channel, ...]] = ("metawiki", "metabase", "import")
Kind = Literal["translated", "fixed", "edited", "removed"]
KINDS: Final[tuple[Kind, ...]] = ("translated", "fixed", "edited", "removed")
#: Which contributions move a side's counts: Meta-Wiki's on Meta-Wiki, Metabase's on Metabase, an import's
#: on both; every one on the catalogs (everything both wikis know).
CHANNELS_OF_SIDE: Final = {"metawiki": ("metawiki", "import"), "metabase": ("metabase", "import"),
                           "catalogs": CHANNELS}

#: ``report.csv``: one table; ``section`` says what a row is (``total``, ``language``, ``translator``).
CSV_COLUMNS: Final = ("section", "lang", "field", "side", "user", "total_before", "translated_before",
                      "percent_before", "total", "translated", "percent", "gained", "outdated_fixed",
                      "still_missing", "still_outdated", "crossed", "terms_translated", "terms_fixed",
                      "terms_edited", "terms_removed", "channels")

Counts = Mapping[tuple[str, str, str], tuple[int, int]]
Totals = Mapping[tuple[str, str], int]


def iso(seconds: int) -> str:
    """Seconds since the epoch as ISO 8601 UTC: ``2025-12-06T14:00:00Z``."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Contribution:
    """One translator's work on one term: a revision on a wiki, or a translation imported from a ``.po``."""

    user: str
    channel: Channel
    key: TermKey
    kind: Kind
    timestamp: int
    revision: int | None = None
    #: The ``.po`` file of an import.
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"user": self.user, "channel": self.channel, "key": self.key.message_key,
                               "lang": self.key.lang, "kind": self.kind, "time": iso(self.timestamp)}
        if self.revision is not None:
            out["revision"] = self.revision
        if self.source is not None:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class WindowHistory:
    """The coverage history around a window: counts and totals at its start and end, what changed inside."""

    since: int
    until: int
    before: Counts
    totals_before: Totals
    after: Counts
    totals_after: Totals
    #: (taken, side, lang, field, translated, outdated), ``since < taken <= until``, oldest first.
    changes: Sequence[tuple[int, str, str, str, int, int]] = ()
    #: (taken, side, field, total), ``since < taken <= until``.
    total_changes: Sequence[tuple[int, str, str, int]] = ()
    #: (taken, side, term): outdated terms the snapshots in the window saw made current.
    fixes: Sequence[tuple[int, str, TermKey]] = ()
    #: Snapshot times (seconds) of the whole history, oldest first.
    runs: Sequence[int] = ()
    #: The start's figures are rebuilt from the first snapshot in the window and the contributions before it.
    reconstructed: bool = False


@dataclass(frozen=True)
class Progress:
    """One language, one side, one scope (a field or ``all``) over the window."""

    total_before: int
    translated_before: int
    outdated_before: int
    total_after: int
    translated_after: int
    outdated_after: int
    fixed: int = 0

    @property
    def gained(self) -> int:
        return self.translated_after - self.translated_before

    @property
    def still_missing(self) -> int:
        return self.total_after - self.translated_after - self.outdated_after

    @property
    def still_outdated(self) -> int:
        return self.outdated_after

    @property
    def percent_before(self) -> float:
        return _percent(self.translated_before, self.total_before)

    @property
    def percent_after(self) -> float:
        return _percent(self.translated_after, self.total_after)

    def reached(self, threshold: int, *, after: bool = True) -> bool:
        done, total = (self.translated_after, self.total_after) if after else (self.translated_before,
                                                                             self.total_before)
        return total > 0 and done * 100 >= threshold * total

    @property
    def crossed(self) -> tuple[int, ...]:
        """Thresholds reached at the end and not at the start."""
        return tuple(t for t in THRESHOLDS if self.reached(t) and not self.reached(t, after=False))

    @property
    def dropped(self) -> tuple[int, ...]:
        """Thresholds reached at the start and not at the end (an English change outdated translations)."""
        return tuple(t for t in THRESHOLDS if self.reached(t, after=False) and not self.reached(t))

    def __add__(self, other: Progress) -> Progress:
        return Progress(*(a + b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple[int, ...]:
        return (self.total_before, self.translated_before, self.outdated_before, self.total_after,
                self.translated_after, self.outdated_after, self.fixed)

    def to_json(self) -> dict[str, Any]:
        return {"total_before": self.total_before, "translated_before": self.translated_before,
                "outdated_before": self.outdated_before, "percent_before": self.percent_before,
                "total": self.total_after, "translated": self.translated_after, "percent": self.percent_after,
                "gained": self.gained, "outdated_fixed": self.fixed, "still_missing": self.still_missing,
                "still_outdated": self.still_outdated, "crossed": list(self.crossed), "dropped": list(self.dropped)}


def _percent(done: int, total: int) -> float:
    return round(100.0 * done / total, 1) if total else 0.0


@dataclass(frozen=True)
class LanguageInfo:
    """A language's names and writing direction, for the page's ``lang`` and ``dir`` attributes."""

    code: str
    name: str
    autonym: str
    bcp47: str
    direction: str

    @classmethod
    def of(cls, code: str) -> LanguageInfo:
        try:
            language = langs.get(code)
        except UnknownLanguage:
            return cls(code, code, code, code, "ltr")
        return cls(code, language.name, language.autonym, language.bcp47, language.direction)

    def to_json(self) -> dict[str, Any]:
        return {"lang": self.code, "name": self.name, "autonym": self.autonym, "bcp47": self.bcp47,
                "dir": self.direction}


@dataclass(frozen=True)
class TodoEntry:
    key: TermKey
    status: str
    english: str
    name: str
    translate_url: str | None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key.message_key, "field": self.key.field, "status": self.status,
                "english": self.english, "capacity": self.name, "translate_url": self.translate_url}


@dataclass(frozen=True)
class TodoSummary:
    """The first few messages left in a language, and the link to all of them in Special:Translate."""

    missing: int
    outdated: int
    translate_url: str | None
    items: tuple[TodoEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {"missing": self.missing, "outdated": self.outdated, "translate_url": self.translate_url,
                "items": [i.to_json() for i in self.items]}


@dataclass(frozen=True)
class LanguageReport:
    info: LanguageInfo
    #: side → scope → progress
    sides: Mapping[str, Mapping[str, Progress]]
    todo: TodoSummary | None = None

    @property
    def lang(self) -> str:
        return self.info.code

    def progress(self, side: str = HEADLINE, scope: str = "all") -> Progress:
        return self.sides[side][scope]

    @property
    def headline(self) -> Progress:
        return self.progress(HEADLINE if HEADLINE in self.sides else next(iter(self.sides)), "all")

    def to_json(self) -> dict[str, Any]:
        return {**self.info.to_json(),
                "sides": {side: {scope: p.to_json() for scope, p in scopes.items()} for side, scopes in self.sides.items()},
                "todo": self.todo.to_json() if self.todo is not None else None}


@dataclass(frozen=True)
class TranslatorCredit:
    """One translator's work in the window (distinct terms per kind; a term counted once per kind)."""

    user: str
    contributions: tuple[Contribution, ...]

    def _terms(self, kind: str, lang: str | None = None) -> set[TermKey]:
        return {c.key for c in self.contributions if c.kind == kind and (lang is None or c.key.lang == lang)}

    def counts(self, lang: str | None = None) -> dict[str, int]:
        return {kind: len(self._terms(kind, lang)) for kind in KINDS}

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({c.key.lang for c in self.contributions}))

    @property
    def channels(self) -> tuple[str, ...]:
        found = {c.channel for c in self.contributions}
        return tuple(ch for ch in CHANNELS if ch in found)

    @property
    def terms(self) -> int:
        """Terms translated or fixed (the credit's headline)."""
        return len(self._terms("translated") | self._terms("fixed"))

    @property
    def edits(self) -> int:
        return len(self.contributions)

    def to_json(self) -> dict[str, Any]:
        per_channel = {ch: len({c.key for c in self.contributions if c.channel == ch}) for ch in self.channels}
        return {"user": self.user, "terms": self.terms, **self.counts(), "edits": self.edits,
                "channels": per_channel, "languages": {lang: self.counts(lang) for lang in self.languages},
                "first": iso(min(c.timestamp for c in self.contributions)),
                "last": iso(max(c.timestamp for c in self.contributions))}


@dataclass(frozen=True)
class EventReport:
    """The whole report; :mod:`capxl10n.cli.report_page` and the JSON/CSV writers lay it out."""

    since: int
    until: int
    event: str | None
    languages: tuple[LanguageReport, ...]
    translators: tuple[TranslatorCredit, ...]
    #: (time, translated messages on the headline side, over the report's languages), at the start, at each
    #: snapshot in the window that changed them, and at the end.
    series: tuple[tuple[int, int], ...]
    notes: tuple[str, ...] = ()
    #: Requests the report cost per wiki (reading the revisions).
    requests: Mapping[str, int] = field(default_factory=dict)
    #: The history's extent: first and last snapshot (None without history), and snapshots in the window.
    history_first: int | None = None
    history_last: int | None = None
    snapshots_in_window: int = 0
    reconstructed: bool = False
    generated: int | None = None
    #: The sides the history holds, in display order.
    sides: tuple[str, ...] = SIDES

    def total(self, side: str = HEADLINE, scope: str = "all") -> Progress:
        out = Progress(0, 0, 0, 0, 0, 0, 0)
        for language in self.languages:
            if side in language.sides:
                out = out + language.progress(side, scope)
        return out

    def crossed(self, threshold: int) -> tuple[str, ...]:
        """Languages that reached ``threshold`` (headline side, both fields) during the window."""
        return tuple(lang.lang for lang in self.languages if threshold in lang.headline.crossed)

    def credits(self) -> dict[str, list[str]]:
        """Translators per language (Weblate's "translator credits"): language → names, sorted."""
        out: dict[str, set[str]] = {}
        for credit in self.translators:
            for lang in credit.languages:
                out.setdefault(lang, set()).add(credit.user)
        return {lang: sorted(names, key=str.casefold) for lang, names in sorted(out.items())}

    @property
    def active_languages(self) -> tuple[str, ...]:
        return tuple(lang.lang for lang in self.languages
                     if lang.headline.gained or lang.headline.fixed or lang.lang in self.credits())

    def summary(self) -> dict[str, Any]:
        total = self.total()
        return {"languages": len(self.languages), "active_languages": len(self.active_languages),
                "translators": len(self.translators), "gained": total.gained, "outdated_fixed": total.fixed,
                "translated": total.translated_after, "total": total.total_after,
                "still_missing": total.still_missing, "still_outdated": total.still_outdated,
                "percent_before": total.percent_before, "percent": total.percent_after,
                "contributions": sum(c.edits for c in self.translators),
                "terms_by_translators": sum(c.terms for c in self.translators),
                "crossed": {str(t): list(self.crossed(t)) for t in THRESHOLDS}}

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "since": iso(self.since), "until": iso(self.until),
                "generated": iso(self.generated) if self.generated is not None else None,
                "headline_side": HEADLINE, "sides": list(self.sides), "thresholds": list(THRESHOLDS),
                "summary": self.summary(),
                "history": {"first": iso(self.history_first) if self.history_first is not None else None,
                            "last": iso(self.history_last) if self.history_last is not None else None,
                            "snapshots_in_window": self.snapshots_in_window,
                            "start_reconstructed": self.reconstructed},
                "requests": dict(self.requests), "notes": list(self.notes),
                "series": [{"time": iso(t), "translated": n} for t, n in self.series],
                "languages": [lang.to_json() for lang in self.languages],
                "translators": [c.to_json() for c in self.translators],
                "credits": self.credits()}

    # -- CSV: one table, a ``section`` column saying what a row is (:data:`CSV_COLUMNS`) ---------------
    def csv_records(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []

        def progress_row(section: str, lang: str, scope: str, side: str, p: Progress) -> dict[str, Any]:
            return {"section": section, "lang": lang, "field": scope, "side": side,
                    "total_before": p.total_before, "translated_before": p.translated_before,
                    "percent_before": p.percent_before, "total": p.total_after, "translated": p.translated_after,
                    "percent": p.percent_after, "gained": p.gained, "outdated_fixed": p.fixed,
                    "still_missing": p.still_missing, "still_outdated": p.still_outdated,
                    "crossed": " ".join(str(t) for t in p.crossed)}

        for side in self.sides:
            for scope in SCOPES:
                rows.append(progress_row("total", "", scope, side, self.total(side, scope)))
        for language in self.languages:
            for side in self.sides:
                if side not in language.sides:
                    continue
                for scope in SCOPES:
                    rows.append(progress_row("language", language.lang, scope, side, language.progress(side, scope)))
        for credit in self.translators:
            for lang in ("", *credit.languages):
                counts = credit.counts(lang or None)
                rows.append({"section": "translator", "lang": lang, "user": credit.user,
                             "terms_translated": counts["translated"], "terms_fixed": counts["fixed"],
                             "terms_edited": counts["edited"], "terms_removed": counts["removed"],
                             "channels": " ".join(credit.channels)})
        return rows


def _progress(side: str, lang: str, scope: str, history: WindowHistory, fixed: Mapping[tuple[str, str, str], int]
              ) -> Progress:
    fields = FIELDS if scope == "all" else (scope,)
    out = Progress(0, 0, 0, 0, 0, 0, 0)
    for fld in fields:
        tb, ob = history.before.get((side, lang, fld), (0, 0))
        ta, oa = history.after.get((side, lang, fld), (0, 0))
        out = out + Progress(history.totals_before.get((side, fld), 0), tb, ob,
                             history.totals_after.get((side, fld), 0), ta, oa, fixed.get((side, lang, fld), 0))
    return out


def _series(history: WindowHistory, languages: Sequence[str]) -> tuple[tuple[int, int], ...]:
    wanted = set(languages)
    current: dict[tuple[str, str], int] = {(lang, fld): history.before.get((HEADLINE, lang, fld), (0, 0))[0]
                                           for lang in wanted for fld in FIELDS}
    points = [(history.since, sum(current.values()))]
    for taken, side, lang, fld, translated, _outdated in history.changes:
        if side != HEADLINE or lang not in wanted:
            continue
        current[(lang, fld)] = translated
        value = sum(current.values())
        if points[-1][0] == taken:
            points[-1] = (taken, value)
        elif points[-1][1] != value:
            points.append((taken, value))
    end = sum(history.after.get((HEADLINE, lang, fld), (0, 0))[0] for lang in wanted for fld in FIELDS)
    if points[-1][0] < history.until:
        points.append((history.until, end))
    return tuple(points)


def credits_by_translator(contributions: Iterable[Contribution], languages: Iterable[str] | None = None
                          ) -> tuple[TranslatorCredit, ...]:
    """Contributions grouped by translator (in ``languages`` if given); most terms first, then by name."""
    wanted = set(languages) if languages is not None else None
    grouped: dict[str, list[Contribution]] = {}
    for c in contributions:
        if wanted is None or c.key.lang in wanted:
            grouped.setdefault(c.user, []).append(c)
    credits = [TranslatorCredit(user, tuple(sorted(cs, key=lambda c: (c.timestamp, c.key.sort_key()))))
               for user, cs in grouped.items()]
    return tuple(sorted(credits, key=lambda c: (-c.terms, -c.edits, c.user.casefold())))


def event_report(history: WindowHistory, contributions: Iterable[Contribution], *,
                 languages: Sequence[str] | None = None, event: str | None = None,
                 todo: Mapping[str, TodoSummary] | None = None, notes: Sequence[str] = (),
                 requests: Mapping[str, int] | None = None, generated: int | None = None) -> EventReport:
    """The report of ``history``'s window (see the module docstring). ``languages``: those to report
    (default: every language the history knows at either end, or a contribution names)."""
    contributions = tuple(contributions)
    if languages is None:
        seen = {lang for _side, lang, _fld in (*history.before, *history.after)}
        seen |= {c.key.lang for c in contributions}
        languages = sorted(seen)
    fixed: dict[tuple[str, str, str], int] = {}
    for _taken, side, key in history.fixes:
        fixed[(side, key.lang, key.field)] = fixed.get((side, key.lang, key.field), 0) + 1
    sides = tuple(s for s in SIDES if any(k[0] == s for k in (*history.totals_before, *history.totals_after))) or SIDES
    reports = []
    for lang in languages:
        per_side = {side: {scope: _progress(side, lang, scope, history, fixed) for scope in SCOPES} for side in sides}
        reports.append(LanguageReport(LanguageInfo.of(lang), per_side, (todo or {}).get(lang)))
    reports.sort(key=lambda r: (-r.headline.gained, -r.headline.percent_after, r.lang))
    runs = list(history.runs)
    return EventReport(
        since=history.since, until=history.until, event=event, languages=tuple(reports),
        translators=credits_by_translator(contributions, languages), series=_series(history, languages),
        notes=tuple(notes), requests=dict(requests or {}), history_first=runs[0] if runs else None,
        history_last=runs[-1] if runs else None,
        snapshots_in_window=sum(1 for t in runs if history.since < t <= history.until),
        reconstructed=history.reconstructed, generated=generated, sides=sides)


def reconstruct_start(first: Counts, contributions: Iterable[Contribution], fixes_before: Iterable[tuple[int, str, TermKey]],
                      until: int) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Counts at a window's start when the history begins inside it: the first snapshot's counts less what
    the contributions up to it added (new translations) and the fixes it saw (back to outdated).
    An estimate: a term translated on one wiki that the other already had did not move the catalogs."""
    out = dict(first)
    for side, channels in CHANNELS_OF_SIDE.items():
        new = {c.key for c in contributions if c.timestamp <= until and c.kind == "translated"
               and c.channel in channels}
        for key in new:
            k = (side, key.lang, key.field)
            if k in out:
                tr, fz = out[k]
                out[k] = (max(tr - 1, 0), fz)
    for _taken, side, key in fixes_before:
        k = (side, key.lang, key.field)
        if k in out:
            tr, fz = out[k]
            out[k] = (max(tr - 1, 0), fz + 1)
    return out


def translate_group_url(links: Links, lang: str) -> str | None:
    """Special:Translate for the whole message group in ``lang``, showing what is not translated yet."""
    if not links.metawiki_script:
        return None
    return (f"{links.metawiki_script}?title=Special:Translate&group={url_quote(links.message_group)}"
            f"&language={url_quote(lang)}&filter=%21translated&action=translate")


def todo_summaries(directory: Snapshot, languages: Iterable[str], links: Links, limit: int = 10
                   ) -> dict[str, TodoSummary]:
    """Per language, the counts of missing and outdated messages and the first ``limit`` of them, in the tree's
    order: what :func:`capxl10n.core.todo.todo` lists (the same messages, the same tests), counted in one pass
    over the directory and one over each language's messages (300 languages of 4,000 messages in a second)."""
    wanted = [lang for lang in dict.fromkeys(languages) if _is_translation(lang)]
    texts: dict[str, dict[tuple[str, str], Term]] = {lang: {} for lang in (*wanted, SOURCE_LANGUAGE)}
    for key, term in directory.terms.items():
        bucket = texts.get(key.lang)
        if bucket is not None:
            bucket[(key.qid, key.field)] = term
    english = {pair: normalize_text(t.text) for pair, t in texts[SOURCE_LANGUAGE].items()}
    messages = [(cap.qid, fld) for cap in directory.capacities for fld in FIELDS if english.get((cap.qid, fld))]
    out: dict[str, TodoSummary] = {}
    for lang in wanted:
        target = texts[lang]
        missing = outdated = 0
        first: list[TodoEntry] = []
        for qid, fld in messages:
            held = target.get((qid, fld))
            if held is not None and normalize_text(held.text):
                if not held.fuzzy:
                    continue
                outdated += 1
                status = "outdated"
            else:
                missing += 1
                status = "missing"
            if len(first) < limit:
                key = TermKey(qid, fld, lang)
                first.append(TodoEntry(key, status, english[(qid, fld)], english.get((qid, "label")) or qid,
                                       links.translate(key.message_key, lang)))
        out[lang] = TodoSummary(missing, outdated, translate_group_url(links, lang), tuple(first))
    return out


def _is_translation(code: str) -> bool:
    try:
        return langs.get(code).is_translation
    except UnknownLanguage:
        return False


__all__ = ["CHANNELS", "CSV_COLUMNS", "Contribution", "EventReport", "HEADLINE", "KINDS", "LanguageInfo", "LanguageReport",
           "Progress", "THRESHOLDS", "TodoSummary", "TranslatorCredit", "WindowHistory", "credits_by_translator",
           "event_report", "iso", "reconstruct_start", "todo_summaries", "translate_group_url"]
