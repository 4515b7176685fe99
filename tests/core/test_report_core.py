"""The event report's figures (issue 20, point 2): pure, from history and contributions."""
from __future__ import annotations

from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.core.report import (CSV_COLUMNS, Contribution, Progress, WindowHistory, event_report,
                                  reconstruct_start, todo_summaries)
from capxl10n.core.todo import Links

T0, T1 = 1_765_000_000, 1_765_014_400  # a four-hour event


def history(before: dict, after: dict, totals: dict, **kw: object) -> WindowHistory:
    return WindowHistory(T0, T1, before, totals, after, totals, **kw)  # type: ignore[arg-type]


def counts(side: str, **langs: tuple[tuple[int, int], tuple[int, int]]) -> dict:
    out = {}
    for lang, (label, description) in langs.items():
        out[(side, lang.replace("_", "-"), "label")] = label
        out[(side, lang.replace("_", "-"), "description")] = description
    return out


TOTALS = {(side, fld): n for side in ("metabase", "metawiki", "catalogs") for fld, n in (("label", 50), ("description", 50))}


def test_gained_fixed_missing_and_thresholds_per_language_and_field() -> None:
    before = counts("catalogs", de=((20, 5), (10, 0)), pt_br=((49, 0), (50, 0)), fr=((50, 0), (50, 0)))
    after = counts("catalogs", de=((30, 2), (20, 0)), pt_br=((50, 0), (50, 0)), fr=((40, 10), (50, 0)))
    fixes = [(T0 + 60, "catalogs", TermKey(f"Q{i}", "label", "de")) for i in range(1, 4)]
    report = event_report(history(before, after, TOTALS, fixes=fixes), [])
    de = next(r for r in report.languages if r.lang == "de")
    label = de.progress("catalogs", "label")
    assert (label.translated_before, label.translated_after, label.gained, label.fixed) == (20, 30, 10, 3)
    assert (label.still_missing, label.still_outdated) == (50 - 30 - 2, 2)
    both = de.progress("catalogs", "all")
    assert (both.total_after, both.translated_before, both.translated_after, both.gained) == (100, 30, 50, 20)
    assert both.crossed == (50,) and both.percent_after == 50.0
    pt = next(r for r in report.languages if r.lang == "pt-br").headline
    assert pt.crossed == (100,) and pt.dropped == ()  # 99 % → 100 %: 50 and 80 were reached already
    fr = next(r for r in report.languages if r.lang == "fr").headline
    assert fr.dropped == (100,) and fr.gained == -10
    assert report.crossed(100) == ("pt-br",) and report.crossed(50) == ("de",)
    assert report.languages[0].lang == "de", "most gained first"


def test_a_threshold_needs_the_exact_share_not_the_rounded_percentage() -> None:
    p = Progress(2501, 0, 0, 2501, 2000, 0)  # 79.968 % rounds to 80.0
    assert p.percent_after == 80.0 and 80 not in p.crossed and 50 in p.crossed
    assert Progress(0, 0, 0, 0, 0, 0).crossed == ()  # nothing to translate reaches nothing


def test_translators_count_distinct_terms_per_kind_wiki_and_language() -> None:
    k1, k2, k3 = TermKey("Q1", "label", "de"), TermKey("Q2", "label", "de"), TermKey("Q1", "label", "ar")
    contributions = [
        Contribution("Ana", "metawiki", k1, "translated", T0 + 10, 1),
        Contribution("Ana", "metawiki", k1, "edited", T0 + 20, 2),         # her typo fixed: an edit, not a term
        Contribution("Ana", "import", k2, "fixed", T0 + 30, source="ana-de.po"),
        Contribution("Bruno", "metabase", k3, "translated", T0 + 40, 7),
        Contribution("Bruno", "metabase", k3, "translated", T0 + 41, 8),   # the same term twice: once
    ]
    report = event_report(history({}, {}, TOTALS), contributions, languages=["de", "ar"])
    ana, bruno = report.translators
    assert ana.user == "Ana" and ana.terms == 2 and ana.counts() == {"translated": 1, "fixed": 1, "edited": 1,
                                                                     "removed": 0}
    assert ana.channels == ("metawiki", "import") and ana.languages == ("de",) and ana.edits == 3
    assert bruno.terms == 1 and bruno.counts("ar")["translated"] == 1 and bruno.counts("de")["translated"] == 0
    assert report.credits() == {"ar": ["Bruno"], "de": ["Ana"]}
    only_ar = event_report(history({}, {}, TOTALS), contributions, languages=["ar"])
    assert [c.user for c in only_ar.translators] == ["Bruno"]
    assert report.to_json()["translators"][0]["languages"]["de"]["fixed"] == 1


def test_event_total_and_progress_over_time() -> None:
    before = counts("catalogs", de=((10, 0), (0, 0)), it=((0, 0), (0, 0)))
    after = counts("catalogs", de=((14, 0), (2, 0)), it=((3, 0), (0, 0)))
    changes = [(T0 + 600, "catalogs", "de", "label", 12, 0), (T0 + 600, "metawiki", "de", "label", 12, 0),
               (T0 + 1200, "catalogs", "it", "label", 3, 0), (T0 + 1800, "catalogs", "de", "label", 14, 0),
               (T0 + 1800, "catalogs", "de", "description", 2, 0)]
    report = event_report(history(before, after, TOTALS, changes=changes, runs=[T0 - 5, T0 + 600, T0 + 1200, T0 + 1800]),
                          [])
    assert report.series == ((T0, 10), (T0 + 600, 12), (T0 + 1200, 15), (T0 + 1800, 19), (T1, 19))
    summary = report.summary()
    assert summary["gained"] == 9 == report.total().gained
    assert summary["active_languages"] == 2 and report.snapshots_in_window == 3
    data = report.to_json()
    assert data["history"]["first"] == "2025-12-06T05:46:35Z"


def test_csv_rows_carry_the_json_numbers() -> None:
    before = counts("catalogs", de=((10, 1), (0, 0)))
    after = counts("catalogs", de=((14, 0), (2, 0)))
    contributions = [Contribution("Ana", "metawiki", TermKey("Q1", "label", "de"), "translated", T0 + 10, 1)]
    report = event_report(history(before, after, TOTALS), contributions)
    data = report.to_json()
    rows = report.csv_records()
    assert all(set(r) <= set(CSV_COLUMNS) for r in rows)
    de = next(r for r in rows if r["section"] == "language" and r["lang"] == "de" and r["field"] == "all"
              and r["side"] == "catalogs")
    js = data["languages"][0]["sides"]["catalogs"]["all"]
    assert (de["translated_before"], de["translated"], de["gained"], de["still_missing"]) == (
        js["translated_before"], js["translated"], js["gained"], js["still_missing"])
    total = next(r for r in rows if r["section"] == "total" and r["field"] == "all" and r["side"] == "catalogs")
    assert total["gained"] == data["summary"]["gained"] == 6
    ana = next(r for r in rows if r["section"] == "translator" and r["lang"] == "")
    assert ana["terms_translated"] == data["translators"][0]["translated"] == 1


def test_the_start_is_rebuilt_when_history_begins_inside_the_window() -> None:
    first = counts("catalogs", de=((12, 0), (0, 0))) | counts("metawiki", de=((12, 0), (0, 0)))
    k = TermKey("Q1", "label", "de")
    contributions = [Contribution("Ana", "metawiki", k, "translated", T0 + 5),
                     Contribution("Ana", "metawiki", TermKey("Q2", "label", "de"), "translated", T0 + 6),
                     Contribution("Ana", "metawiki", TermKey("Q3", "label", "de"), "translated", T0 + 99_999)]
    start = reconstruct_start(first, contributions, [(T0 + 50, "catalogs", TermKey("Q9", "label", "de"))], T0 + 60)
    assert start[("metawiki", "de", "label")] == (10, 0)
    assert start[("catalogs", "de", "label")] == (9, 1)


def test_todo_summary_links_to_the_untranslated_messages_in_special_translate() -> None:
    directory = Snapshot("directory", (Capacity("Q1", item="Q100"), Capacity("Q2", parent="Q1")), {
        TermKey("Q1", "label", "en"): Term("Skills"), TermKey("Q2", "label", "en"): Term("Editing"),
        TermKey("Q2", "description", "en"): Term("Changing articles"),
        TermKey("Q2", "label", "ar"): Term("تحرير", fuzzy=True)})
    links = Links.from_apis("https://meta.wikimedia.org/w/api.php", "https://metabase.wikibase.cloud/w/api.php")
    summary = todo_summaries(directory, ["ar", "xx-unknown", "en"], links, limit=2)
    assert list(summary) == ["ar"]
    ar = summary["ar"]
    assert (ar.missing, ar.outdated, len(ar.items)) == (2, 1, 2)
    assert ar.translate_url == ("https://meta.wikimedia.org/w/index.php?title=Special:Translate&group=messagebundle-"
                                "Module:CapacityExchange/capacities.json&language=ar&filter=%21translated&action=translate")
    assert ar.items[0].translate_url and "showMessage=Module:CapacityExchange/capacities.json/Q1-label" in \
        ar.items[0].translate_url


def test_many_languages_get_counts_and_links_without_reading_the_directory() -> None:
    from capxl10n.engine.report import LISTED_LANGUAGES, counted_todo, default_todo_limit

    assert (default_todo_limit(3), default_todo_limit(LISTED_LANGUAGES), default_todo_limit(300)) == (50, 10, 0)
    after = counts("catalogs", de=((14, 2), (20, 0)))
    links = Links.from_apis("https://meta.wikimedia.org/w/api.php", None)
    summary = counted_todo(history({}, after, TOTALS), ["de"], links)["de"]
    assert (summary.missing, summary.outdated, summary.items) == (50 - 14 - 2 + 50 - 20, 2, ())
    assert summary.translate_url is not None and summary.translate_url.endswith("&language=de&filter=%21translated"
                                                                                "&action=translate")
