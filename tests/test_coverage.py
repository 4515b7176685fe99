"""Coverage: pure counts, per side, renderings, and agreement with msgfmt and pocount."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from capxl10n.catalogs import build_catalogs, po_path
from capxl10n.cli import main
from capxl10n.coverage import Counts, coverage
from capxl10n.model import Capacity, Snapshot, Term, TermKey
from capxl10n.render import render
from plugins.common import need_tool


def snap(side: str = "metabase", **extra: Term) -> Snapshot:
    k = TermKey
    terms = {
        k("Q1", "label", "en"): Term("one"), k("Q1", "description", "en"): Term("first"),
        k("Q2", "label", "en"): Term("two"), k("Q2", "description", "en"): Term("   "),  # blank: no entry
        k("Q3", "label", "de"): Term("drei"),                                           # no English: nowhere
        k("Q1", "label", "de"): Term("eins"), k("Q1", "description", "de"): Term("erste", fuzzy=True),
        k("Q2", "label", "de"): Term(""),                                               # empty: missing
        k("Q1", "label", "qqq"): Term("doc"), k("Q1", "label", "fr"): Term("un", fuzzy=True),
    }
    for name, term in extra.items():
        qid, fld, lang = name.split("_")
        terms[k(qid, fld, lang.replace("X", "-"))] = term  # type: ignore[arg-type]
    return Snapshot(side, (Capacity("Q1"), Capacity("Q2"), Capacity("Q3")), terms)


def test_counts_definitions() -> None:
    report = coverage(snap())
    assert report.languages() == ("de", "fr")  # never en or qqq
    de = report.row("de")
    assert (de.label.total, de.label.translated, de.label.fuzzy, de.label.missing) == (2, 1, 0, 1)
    assert (de.description.total, de.description.translated, de.description.fuzzy) == (1, 0, 1)
    assert de.all == Counts(3, 1, 1) and de.all.missing == 1 and de.all.percent == 33.3
    fr = report.row("fr")
    assert fr.all == Counts(3, 0, 1) and fr.all.percent == 0.0


def test_counts_empty_snapshot_and_unknown_row() -> None:
    empty = Snapshot("x")
    assert coverage(empty).rows == ()
    row = coverage(empty, ["de"]).row("de")
    assert row.all == Counts(0, 0, 0) and row.all.percent == 0.0
    with pytest.raises(KeyError):
        coverage(empty, ["de"]).row("fr")


def test_explicit_languages_drop_source_and_documentation() -> None:
    assert coverage(snap(), ["qqq", "en", "fr", "fr"]).languages() == ("fr",)


def test_per_side() -> None:
    a = snap("metabase")
    b = snap("metawiki", Q2_label_fr=Term("deux"))
    report = coverage([a, b])
    assert report.sides == ("metabase", "metawiki")
    assert report.row("fr", "metabase").all.translated == 0
    assert report.row("fr", "metawiki").all.translated == 1
    assert report.columns()[0] == "side" and {r["side"] for r in report.records()} == {"metabase", "metawiki"}


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_renderings_carry_the_same_numbers(fmt: str) -> None:
    report = coverage(snap())
    text = render(report, fmt)
    if fmt == "json":
        data = json.loads(text)
        de = next(r for r in data["languages"] if r["lang"] == "de")
        assert de["all"] == {"total": 3, "translated": 1, "fuzzy": 1, "missing": 1, "percent": 33.3}
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows[0]["lang"] == "de" and rows[0]["all_translated"] == "1" and rows[0]["all_percent"] == "33.3"
    elif fmt == "markdown":
        assert text.splitlines()[0].startswith("| lang |") and "| de | 1 |" in text
    else:
        assert text.split()[:3] == ["lang", "all_translated", "all_fuzzy"]
        assert re.search(r"^de\s+1\s+1\s+1\s+3\s+33\.3\s+50\.0\s+0\.0$", text, re.M)


def _msgfmt_stats(msgfmt: str, po: Path) -> tuple[int, int, int]:
    out = subprocess.run([msgfmt, "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True,
                         check=True, env={"LC_ALL": "C"}).stderr
    def number(word: str) -> int:
        match = re.search(rf"(\d+) {word}", out)
        return int(match.group(1)) if match else 0
    return number("translated"), number("fuzzy"), number("untranslated")


def _agree(tmp_path: Path, snapshot: Snapshot) -> int:
    msgfmt, pocount = need_tool("msgfmt"), need_tool("pocount")
    out = tmp_path / "catalogs"
    build_catalogs(snapshot, out)
    from capxl10n import langs

    report = coverage(snapshot)
    files = {row.lang: out / po_path(langs.get(row.lang)) for row in report.rows}
    csv_text = subprocess.run([pocount, "--csv", *map(str, files.values())], capture_output=True, text=True,
                              check=True).stdout
    counted = {row["Filename"]: row for row in csv.DictReader(io.StringIO(csv_text))}
    for row in report.rows:
        po = files[row.lang]
        check = subprocess.run([msgfmt, "-c", "-o", "/dev/null", str(po)], capture_output=True, text=True)
        assert check.returncode == 0, (row.lang, check.stderr)
        assert "error" not in check.stderr.lower(), (row.lang, check.stderr)
        ours = (row.all.translated, row.all.fuzzy, row.all.missing)
        assert _msgfmt_stats(msgfmt, po) == ours, row.lang
        pc = counted[str(po)]
        assert (int(pc["Translated Messages"]), int(pc["Fuzzy Messages"]), int(pc["Untranslated Messages"]),
                int(pc["Total Message"])) == (*ours, row.all.total), row.lang
    return len(report.rows)


def test_agrees_with_msgfmt_and_pocount_on_every_language_of_a_sample(tmp_path: Path) -> None:
    from capxl10n.sample import generate

    snapshot = generate(capacities=40, languages=42, seed=3)
    assert _agree(tmp_path, snapshot) == 40


def test_agrees_on_the_real_extract(tmp_path: Path, real_sample_path: Path) -> None:
    from capxl10n.sample import load_real_sample

    assert _agree(tmp_path, load_real_sample(real_sample_path)) >= 1


def test_cli_coverage(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(snap("metabase").dumps(), encoding="utf-8")
    b.write_text(snap("metawiki", Q2_label_fr=Term("deux")).dumps(), encoding="utf-8")
    res = CliRunner().invoke(main, ["-f", "json", "coverage", "--snapshot", str(a), "--snapshot", str(b),
                                    "--lang", "fr"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [(r["side"], r["all"]["translated"]) for r in data["languages"]] == [("metabase", 0), ("metawiki", 1)]
    res = CliRunner().invoke(main, ["coverage", "--snapshot", str(a), "--lang", "xx-nope"])
    assert res.exit_code == 2 and "xx-nope" in res.stderr
    res = CliRunner().invoke(main, ["-f", "csv", "coverage", "--sample", "--capacities", "20", "--languages", "5"])
    assert res.exit_code == 0 and res.stdout.startswith("lang,")
