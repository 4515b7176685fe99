"""Coverage: pure counts, per side, renderings, and agreement with msgfmt and pocount."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capxl10n.catalogs.build import build_catalogs, po_path
from capxl10n.cli.main import main
from capxl10n.core.coverage import Counts, SideCoverageReport, coverage, coverage_by_side
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.cli.render import render
from plugins.gettext_tools import agree_with_tools


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


def _agree(tmp_path: Path, snapshot: Snapshot) -> int:
    out = tmp_path / "catalogs"
    build_catalogs(snapshot, out)
    from capxl10n.core import langs

    report = coverage(snapshot)
    agree_with_tools({row.lang: row.all for row in report.rows},
                     {row.lang: out / po_path(langs.get(row.lang)) for row in report.rows})
    return len(report.rows)


def test_agrees_with_msgfmt_and_pocount_on_every_language_of_a_sample(tmp_path: Path) -> None:
    from capxl10n.sample.generate import generate

    snapshot = generate(capacities=40, languages=42, seed=3)
    assert _agree(tmp_path, snapshot) == 40


def test_agrees_on_the_real_extract(tmp_path: Path, real_sample_path: Path) -> None:
    from capxl10n.sample.generate import load_real_sample

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
    assert res.exit_code == 2 and "--lang" in res.stderr and "xx-nope" in res.stderr
    for code in ("qqq", "en"):
        res = CliRunner().invoke(main, ["coverage", "--snapshot", str(a), "--lang", code])
        assert res.exit_code == 2 and f"--lang {code}" in res.stderr and "not a translation language" in res.stderr
    res = CliRunner().invoke(main, ["coverage", "--snapshot", str(a), "--side", "metabase"])
    assert res.exit_code == 2 and "--side" in res.stderr and "--snapshot" in res.stderr
    res = CliRunner().invoke(main, ["-f", "csv", "coverage", "--sample", "--capacities", "20", "--languages", "5"])
    assert res.exit_code == 0 and res.stdout.startswith("lang,")


def sides() -> dict[str, Snapshot]:
    """Metabase with the tree; Meta-Wiki's read (no tree) with a key Metabase lacks, outdated units and a
    language Metabase refuses; the catalogs' directory holding both."""
    k = TermKey
    caps = (Capacity("Q1", "Q101"), Capacity("Q2", "Q102", parent="Q1"))
    english = {k("Q1", "label", "en"): Term("one"), k("Q1", "description", "en"): Term("first"),
               k("Q2", "label", "en"): Term("two")}
    metabase = Snapshot("metabase", caps, {**english, k("Q1", "label", "de"): Term("eins"),
                                           k("Q2", "label", "de"): Term("zwei"), k("Q1", "label", "qqq"): Term("doc")})
    wiki_terms = {**english, k("Q3", "label", "en"): Term("three"), k("Q1", "label", "de"): Term("eins"),
                  k("Q2", "label", "de"): Term("zwo", fuzzy=True), k("Q3", "label", "de"): Term("drei"),
                  k("Q1", "label", "sh-latn"): Term("jedan", fuzzy=True),
                  k("Q1", "description", "sh-latn"): Term("prvi")}
    metawiki = Snapshot("metawiki", (), wiki_terms)
    catalogs = Snapshot("base", (*caps, Capacity("Q3")), {**wiki_terms, k("Q2", "label", "de"): Term("zwei")})
    return {"catalogs": catalogs, "metawiki": metawiki, "metabase": metabase}


def test_by_side_counts_every_side_against_the_same_messages() -> None:
    report = coverage_by_side(sides())
    assert isinstance(report, SideCoverageReport)
    assert report.sides == ("metabase", "metawiki", "catalogs")  # display order, whatever the mapping's
    # Q1 label + description, Q2 label (Metabase and bundle), Q3 label (bundle only): one total for all
    assert (report.label_messages, report.description_messages, report.messages) == (3, 1, 4)
    assert report.languages() == ("de", "sh-latn")  # never en or qqq; a Meta-Wiki-only language included
    assert [(r.lang, r.side) for r in report.rows][:3] == [("de", "metabase"), ("de", "metawiki"),
                                                           ("de", "catalogs")]
    counts = {(r.lang, r.side): (r.all.translated, r.all.fuzzy, r.all.missing, r.all.total) for r in report.rows}
    assert counts == {
        ("de", "metabase"): (2, 0, 2, 4),   # Q3 is not on Metabase: missing there, not left out
        ("de", "metawiki"): (2, 1, 1, 4),   # zwo is outdated
        ("de", "catalogs"): (3, 0, 1, 4),
        ("sh-latn", "metabase"): (0, 0, 4, 4),
        ("sh-latn", "metawiki"): (1, 1, 2, 4),
        ("sh-latn", "catalogs"): (1, 1, 2, 4),
    }
    row = report.row("sh-latn", "metawiki")
    assert (row.label.translated, row.label.fuzzy, row.description.translated) == (0, 1, 1)
    assert row.label.total == 3 and row.description.total == 1


def test_by_side_languages_and_unknown_sides() -> None:
    report = coverage_by_side(sides(), ["sh-latn", "qqq", "en", "fr"])
    assert report.languages() == ("sh-latn", "fr")
    assert report.row("fr", "catalogs").all == Counts(4, 0, 0)
    only = coverage_by_side({"metawiki": sides()["metawiki"]})
    assert only.sides == ("metawiki",) and only.messages == 4  # no tree: every key with English counts
    assert coverage_by_side({}).rows == ()
    odd = coverage_by_side({"wikidata": Snapshot("x"), "metabase": sides()["metabase"]})
    assert odd.sides == ("metabase", "wikidata")


def test_metabase_alone_counts_its_tree() -> None:
    metabase = sides()["metabase"]
    report = coverage_by_side({"metabase": metabase})
    assert report.messages == 3 and report.row("de").all == coverage(metabase).row("de").all


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_by_side_renderings(fmt: str) -> None:
    text = render(coverage_by_side(sides()), fmt)
    if fmt == "json":
        data = json.loads(text)
        assert data["sides"] == ["metabase", "metawiki", "catalogs"]
        assert data["messages"] == {"label": 3, "description": 1, "all": 4}
        row = next(r for r in data["languages"] if (r["lang"], r["side"]) == ("de", "metawiki"))
        assert row["all"] == {"total": 4, "translated": 2, "fuzzy": 1, "missing": 1, "percent": 50.0}
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0])[:4] == ["lang", "side", "label_translated", "label_fuzzy"]
        assert [(r["lang"], r["side"], r["all_fuzzy"]) for r in rows][:2] == [("de", "metabase", "0"),
                                                                              ("de", "metawiki", "1")]
    elif fmt == "markdown":
        assert text.splitlines()[0].startswith("| lang | side | label_translated |")
        assert "| sh-latn | metawiki | 0 | 1 | 2 | 3 | 0.0 |" in text
    else:
        lines = text.splitlines()
        assert lines[0].startswith("translated / outdated / missing of 4 messages with English "
                                   "(label 3, description 1)")
        assert lines[1].split() == ["lang", "side", "label", "description", "all", "%"]
        assert re.search(r"^de\s+metawiki\s+2 / 1 / 0\s+0 / 0 / 1\s+2 / 1 / 1\s+50\.0$", text, re.M)
        assert re.search(r"^sh-latn\s+metabase\s+0 / 0 / 3\s+0 / 0 / 1\s+0 / 0 / 4\s+0\.0$", text, re.M)


# -- counting the sides in one pass (issue 22: coverage at 1.2 M terms a side) -------------------------------
def test_has_text_is_normalize_text_not_blank_for_every_code_point():
    import sys
    import unicodedata

    from capxl10n.core.coverage import has_text
    from capxl10n.core.model import normalize_text

    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        for text in (c, f" {c} ", f"{c}\u0301", f" \u0301{c}", f"\t{c}\u200b"):
            assert has_text(text) == bool(normalize_text(text)), (hex(cp), text)
    for text in ("", " ", "\u3000\u2000\n", " \u0301", "\u0301", "a", "\u00a0x\u00a0"):
        assert has_text(text) == bool(unicodedata.normalize("NFC", text).strip()), text


def test_coverage_by_side_counts_what_counting_each_language_apart_counts():
    """The one-pass tally against the per-language count it replaced (``_by_language`` and ``_count``, which
    ``coverage`` still uses), over sides with and without a tree, blank, padded and outdated terms, English
    missing on one side, and languages asked for that no side has."""
    import random

    from capxl10n.core.coverage import _by_language, _count, _messages, coverage_by_side
    from capxl10n.core.model import Capacity, Snapshot, Term, TermKey

    rng = random.Random(5)
    caps = tuple(Capacity(f"Q{n}") for n in range(1, 41))
    texts = ["Nome", " padded ", "", "   ", "\u3000", "Cafe\u0301", "\u0301"]

    def side(name: str, tree: bool) -> Snapshot:
        terms = {}
        for cap in caps:
            for fld in ("label", "description"):
                for lang in ("en", "qqq", "de", "pt-br", "sh-latn", "mul"):
                    if rng.random() < 0.7:
                        terms[TermKey(cap.qid, fld, lang)] = Term(rng.choice(texts if lang != "en" else texts[:3]),
                                                                  fuzzy=rng.random() < 0.2, side=name)
        return Snapshot(name, caps if tree else (), terms)

    sides = {"metabase": side("metabase", True), "metawiki": side("metawiki", False),
             "catalogs": side("catalogs", True)}

    def reference(languages):
        names = list(sides)
        grouped = {name: _by_language(sides[name]) for name in names}
        total = set()
        for name in names:
            total |= _messages(sides[name], grouped[name].get("en", {}))
        keys = sorted(total)
        seen = sorted({lang for name in names for lang in grouped[name]}) if languages is None else languages
        return [_count(name, lang, keys, grouped[name].get(lang, {}))
                for lang in seen if lang not in ("en", "qqq", "mul") for name in names]

    for languages in (None, ["de", "eo", "pt-br", "de"], ["qqq", "sh-latn"]):
        report = coverage_by_side(sides, languages)
        wanted = list(dict.fromkeys(languages)) if languages is not None else None
        assert list(report.rows) == reference(wanted)
        assert report.for_languages(None) is report
    full = coverage_by_side(sides)
    for languages in (["de", "eo", "pt-br", "de"], ["sh-latn"], []):
        assert full.for_languages(languages) == coverage_by_side(sides, languages)
    from capxl10n.core.coverage import SideCoverageReport
    assert SideCoverageReport.from_json(full.to_json()) == full
