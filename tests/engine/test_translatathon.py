"""Issue 20's "Done when": a scripted mini translat-a-thon on the sandbox, and a report whose numbers are
the edits made.

Four translators over four hours (tests/plugins/event.py, ``run_translatathon``): Ana brings Arabic past
50 % on Meta-Wiki, Farid adds German labels on Metabase and edits a description, Chiara fixes Brazilian
Portuguese's outdated units on Meta-Wiki and confirms one (no revision), Dana fills the rest of Brazilian
Portuguese in Poedit (a ``.po`` import our bot writes); syncs in between as a cron would, a pull after.
The page of the same event is checked in Chromium by tests/cli/test_report_browser.py.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from capxl10n.core.report import THRESHOLDS
from capxl10n.errors import EXIT_OK
from plugins.event import Event, event, run_translatathon  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow


def coverage(ev: Event) -> dict[tuple[str, str], dict[str, Any]]:
    result = ev.cli("-f", "json", "coverage")
    assert result.exit_code == EXIT_OK, result.output
    return {(r["lang"], r["side"]): r["all"] for r in json.loads(result.stdout)["languages"]}


def reached(row: dict[str, Any], threshold: int) -> bool:
    return row["total"] > 0 and row["translated"] * 100 >= threshold * row["total"]


def test_the_report_counts_exactly_the_edits_made(event: Event, monkeypatch: pytest.MonkeyPatch) -> None:
    before = coverage(event)
    done = run_translatathon(event, monkeypatch)
    after = coverage(event)
    out = event.world.tmp / "report"
    result = event.cli("-f", "json", "report", "--since", event.iso(0), "--until", event.iso(240),
                       "--event", "Mini translat-a-thon", "-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))

    # per translator: exactly what each did, where, in which language
    people = {t["user"]: t for t in data["translators"]}
    assert set(people) == set(done.by) == {"Ana", "Farid", "Chiara", "Dana Souza"}
    for who, kinds in done.by.items():
        for kind in ("translated", "fixed", "edited"):
            assert people[who][kind] == done.count(who, kind), (who, kind)
            for lang, counts in people[who]["languages"].items():
                assert counts[kind] == done.count(who, kind, lang), (who, kind, lang)
        channels = {"metawiki": "metawiki", "metabase": "metabase", "import": "import"}
        assert set(people[who]["channels"]) == {channels[c] for c in done.channels[who]}
    assert people["Dana Souza"]["channels"] == {"import": done.count("Dana Souza", "translated")}
    assert data["credits"] == {"ar": ["Ana"], "de": ["Farid"], "pt-br": ["Chiara", "Dana Souza"]}

    # per language: gained and fixed are the edits (a confirmation fixes without a revision), and equal what
    # `capxl10n coverage` says before and after
    langs = {lang["lang"]: lang for lang in data["languages"]}
    for lang in ("ar", "de", "pt-br", "ja", "zh-hant"):
        row = langs[lang]["sides"]["catalogs"]["all"]
        assert row["gained"] == done.gained(lang), lang
        assert row["outdated_fixed"] == done.fixed(lang), lang
        assert (row["translated_before"], row["translated"]) == (before[(lang, "catalogs")]["translated"],
                                                                 after[(lang, "catalogs")]["translated"]), lang
        assert row["still_missing"] == after[(lang, "catalogs")]["missing"], lang
        assert row["still_outdated"] == after[(lang, "catalogs")]["fuzzy"], lang
        expected = [t for t in THRESHOLDS if reached(after[(lang, "catalogs")], t)
                    and not reached(before[(lang, "catalogs")], t)]
        assert row["crossed"] == expected, lang
        for side in ("metabase", "metawiki"):  # both wikis end in step: the same figures on each
            assert langs[lang]["sides"][side]["all"]["translated"] == after[(lang, side)]["translated"], (lang, side)
    assert langs["pt-br"]["sides"]["catalogs"]["all"]["crossed"] == [100]
    assert 50 in langs["ar"]["sides"]["catalogs"]["all"]["crossed"]

    # the event total
    summary = data["summary"]
    assert summary["gained"] == sum(done.gained(lang) for lang in langs) == 16 + 6 + done.gained("pt-br")
    assert summary["outdated_fixed"] == done.fixed("pt-br")
    assert summary["translators"] == 4 and summary["active_languages"] == 3
    assert summary["crossed"]["100"] == ["pt-br"] and "ar" in summary["crossed"]["50"]
    # the progress over time rises at each sync in the window, to the total at the end
    series = [point["translated"] for point in data["series"]]
    assert series[0] == sum(before[(lang, "catalogs")]["translated"] for lang in langs)
    assert series[-1] == series[0] + summary["gained"] and series == sorted(series) and len(series) >= 4
    # what it cost: one recentchanges request per wiki, one request for Farid's Metabase revisions
    assert data["requests"] == {"metawiki": 1, "metabase": 2}
    # the credits command says the same
    credits = event.cli("credits", "--since", event.iso(0), "--until", event.iso(240), "--format", "json")
    assert json.loads(credits.stdout)["credits"] == data["credits"]
    print(f"\nmini translat-a-thon: {summary}")
