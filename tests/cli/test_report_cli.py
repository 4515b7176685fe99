"""``capxl10n report``, ``credits`` and ``coverage --format html`` (issue 20, points 2–4 and "Bad input").

On the sandbox, two days ago (tests/plugins/event.py): a baseline sync an hour before the event,
translators' saves during it, a sync, then the report of the window.
"""
from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from capxl10n.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from plugins.event import Event, event  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    """Tags, attributes, text, and the ``data-v`` cells of each ``data-lang`` row."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.cells: dict[tuple[str, str, str], str] = {}
        self.langs: list[tuple[str | None, str | None, str]] = []  # (lang, dir, text) of lang-tagged elements
        self._row: str | None = None
        self._section: str | None = None
        self._open: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "section":
            self._section = a.get("id")
        if tag == "tr":
            self._row = a.get("data-lang")
        self._open.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for tag, a in reversed(self._open):
            if "data-v" in a:
                where = f"{self._section}:{a.get('data-side') or ''}"
                key = (where, self._row or "", str(a["data-v"]))
                self.cells[key] = self.cells.get(key, "") + data
                break
        for tag, a in reversed(self._open):
            if "lang" in a and tag != "html":
                if data.strip():
                    self.langs.append((a.get("lang"), a.get("dir"), data))
                break


def number(text: str) -> float:
    return float(text.replace(",", "").replace("+", "").replace("%", "").strip())


def run_event(ev: Event) -> dict[str, Any]:
    """A small event: 3 Arabic units on Meta-Wiki, 2 German terms on Metabase, then a sync."""
    ana, farid = ev.translator("Ana"), ev.translator("Farid")
    ev.at(10)
    for i, key in enumerate(ev.untranslated("ar", 3)):
        ana.unit(key, f"ترجمة رقم {i}")
    ev.at(40)
    for i, key in enumerate(ev.untranslated("de", 2)):
        farid.term(ev.world.item(key.qid), key, f"Übersetzung {i}")
    ev.at(90)
    synced = ev.cli("sync")
    assert synced.exit_code == EXIT_OK, synced.output
    ev.at(180)
    return {"ar": 3, "de": 2}


def report(ev: Event, out: Path, *args: str) -> Any:
    return ev.cli("report", "--since", ev.iso(0), "--until", ev.iso(120), "-o", str(out), *args)


def test_report_writes_a_page_json_and_csv_with_the_same_numbers(event: Event) -> None:
    gained = run_event(event)
    out = event.world.tmp / "report"
    result = report(event, out, "--event", "Tradutaton <CapX>")
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    langs = {lang["lang"]: lang for lang in data["languages"]}
    for code, n in gained.items():
        assert langs[code]["sides"]["catalogs"]["all"]["gained"] == n
    assert data["summary"]["gained"] == 5 and data["summary"]["translators"] == 2
    assert {t["user"]: t["translated"] for t in data["translators"]} == {"Ana": 3, "Farid": 2}
    assert data["credits"] == {"ar": ["Ana"], "de": ["Farid"]}
    assert data["requests"] == {"metabase": 2, "metawiki": 1}  # recentchanges on each, Metabase's contents once
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text(encoding="utf-8"))))
    for row in rows:
        if row["section"] == "language":
            side = langs[row["lang"]]["sides"][row["side"]][row["field"]]
            assert (int(row["translated"]), int(row["gained"]), int(row["still_missing"])) == (
                side["translated"], side["gained"], side["still_missing"])
    total = next(r for r in rows if r["section"] == "total" and r["side"] == "catalogs" and r["field"] == "all")
    assert int(total["gained"]) == data["summary"]["gained"]
    page = (out / "index.html").read_text(encoding="utf-8")
    found = Page(page)
    for code, lang in langs.items():
        row = lang["sides"]["catalogs"]["all"]
        assert number(found.cells[("languages:", code, "gained")]) == row["gained"]
        assert number(found.cells[("languages:", code, "percent")]) == row["percent"]
        assert number(found.cells[("languages:", code, "still_missing")]) == row["still_missing"]
    assert "Tradutaton &lt;CapX&gt;" in page and "<CapX>" not in page
    # self-contained: nothing to fetch, nothing to run
    assert "<script" not in page and "@import" not in page and "url(" not in page
    assert not [v for k, v in found.attrs if k in ("src", "srcset") or (k == "href" and v and not (
        v.startswith(("https://", "http://127.0.0.1", "#")) or v in ("report.json", "report.csv")))]
    assert ("ar", "rtl", "العربية") in found.langs and ("de", "ltr", "Deutsch") in found.langs
    assert set(found.tags) >= {"svg", "table", "caption", "thead", "tbody", "th"}
    assert "Ana" in result.output or "2 translators" in result.output


def test_bad_input(event: Event) -> None:
    out = event.world.tmp / "r"
    backwards = event.cli("report", "--since", event.iso(60), "--until", event.iso(0), "-o", str(out))
    assert backwards.exit_code == EXIT_USAGE and "is after --until" in backwards.output
    future = event.cli("report", "--since", "2999-01-01", "-o", str(out))
    assert future.exit_code == EXIT_USAGE and "future" in future.output
    unknown = event.cli("report", "--since", event.iso(0), "--lang", "pt-BR", "-o", str(out))
    assert unknown.exit_code == EXIT_USAGE and "pt-br" in unknown.output
    garbled = event.cli("report", "--since", "yesterday-ish", "-o", str(out))
    assert garbled.exit_code == EXIT_USAGE and "--since" in garbled.output
    assert not out.exists()
    # before the history began: the translators only, and a message saying what is available
    early = event.cli("report", "--since", event.iso(-3 * 60), "--until", event.iso(-2 * 60), "-o", str(out))
    assert early.exit_code == EXIT_OK, early.output
    assert "history begins at" in early.output and (out / "index.html").is_file()
    # a window longer than history: the start is rebuilt, and said so
    run_event(event)
    longer = event.cli("-f", "json", "report", "--since", event.iso(-3 * 60), "--until", event.iso(120), "-o", str(out))
    assert longer.exit_code == EXIT_OK, longer.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["history"]["start_reconstructed"] is True and any("inside the window" in n for n in data["notes"])
    assert data["summary"]["gained"] >= 5
    # no snapshot in the window: the figures of the last one, and the advice to pull
    later = event.cli("report", "--since", event.iso(150), "--until", event.iso(170), "-o", str(out))
    assert later.exit_code == EXIT_OK and "no snapshot in the window" in later.output
    # no state: nothing can be produced
    nostate = event.cli("--state", str(event.world.tmp / "none.sqlite"), "report", "--since", event.iso(0),
                        "-o", str(out))
    assert nostate.exit_code == EXIT_ERROR and "no sync state" in nostate.output


def test_credits_per_language(event: Event) -> None:
    run_event(event)
    md = event.cli("credits", "--since", event.iso(0), "--until", event.iso(120), "--event", "Tradutaton")
    assert md.exit_code == EXIT_OK, md.output
    assert "## العربية (Arabic, ar)" in md.output and "- Ana (3 translated)" in md.output
    assert "- Farid (2 translated)" in md.output and "CapxBot" not in md.output
    js = event.cli("credits", "--since", event.iso(0), "--until", event.iso(120), "--lang", "de", "--format", "json")
    data = json.loads(js.stdout)
    assert data["credits"] == {"de": ["Farid"]}


def test_coverage_as_a_page(event: Event) -> None:
    result = event.cli("coverage", "--format", "html")
    assert result.exit_code == EXIT_OK, result.output
    page = Page(result.stdout)
    data = json.loads(event.cli("-f", "json", "coverage").stdout)
    for row in data["languages"]:
        shown = page.cells[("languages:" + row["side"], row["lang"], "percent")]
        assert number(shown) == row["all"]["percent"]
    assert "<script" not in result.stdout and ("ar", "rtl", "العربية") in page.langs


def test_watch_reads_the_wikis_and_stops_once_the_window_has_ended(event: Event) -> None:
    """Each round pulls (a snapshot) and rebuilds; a window already over gets one round, its final report."""
    run_event(event)
    late = event.translator("Late")
    key = event.untranslated("ar", 1, skip=3)[0]
    event.at(100)
    late.unit(key, "ترجمة متأخرة")  # after the last sync: only a pull sees it
    event.at(115)
    out = event.world.tmp / "watched"
    result = event.cli("report", "--since", event.iso(0), "--until", event.iso(120), "-o", str(out), "--watch", "5")
    assert result.exit_code == EXIT_OK, result.output
    assert "read the wikis" in result.output and "the report is final" in result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    langs = {lang["lang"]: lang for lang in data["languages"]}
    assert langs["ar"]["sides"]["metawiki"]["all"]["gained"] == 4  # the pull's snapshot has the late one
    assert {t["user"] for t in data["translators"]} == {"Ana", "Farid", "Late"}
