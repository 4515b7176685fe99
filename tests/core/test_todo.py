"""``capxl10n todo``: what is missing and outdated in one language, pure and through the CLI on the sandbox."""
from __future__ import annotations

import csv
import html.parser
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from capxl10n.cli.html import todo_page
from capxl10n.cli.main import main
from capxl10n.core.coverage import coverage
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.core.todo import Links, todo, url_quote
from capxl10n.errors import UnknownLanguage, UsageError
from capxl10n.sample.generate import generate

K = TermKey
META = "https://meta.wikimedia.org/w/api.php"
METABASE = "https://metabase.wikibase.cloud/w/api.php"
LINKS = Links.from_apis(META, METABASE)


def directory() -> Snapshot:
    """Two branches: Q10 › Q11 › Q12 and Q20 (no Metabase item); pt-br has one of each status."""
    caps = (Capacity("Q10", item="Q100"), Capacity("Q11", item="Q101", parent="Q10"),
            Capacity("Q12", item="Q102", parent="Q11"), Capacity("Q20"))
    terms = {
        K("Q10", "label", "en"): Term("Communication"), K("Q10", "description", "en"): Term("Sharing the work"),
        K("Q11", "label", "en"): Term("Writing"), K("Q11", "description", "en"): Term("Writing articles"),
        K("Q11", "label", "qqq"): Term("Name of a capacity."),
        K("Q12", "label", "en"): Term("Newsletters"), K("Q12", "description", "en"): Term("  "),  # blank: no message
        K("Q20", "label", "en"): Term("Safety"),
        K("Q10", "label", "pt-br"): Term("Comunicação", author="Ana"),
        K("Q10", "description", "pt-br"): Term(" "),                                  # blank: missing
        K("Q11", "label", "pt-br"): Term("Escrita", fuzzy=True, author="Bruno"),
        K("Q12", "label", "pt-br"): Term("Boletins", fuzzy=True),
        K("Q20", "label", "de"): Term("Sicherheit"),
    }
    meta = {"previous_source": {"pt-br": {"Q11-label": "Writing texts", "Q12-label": "Newsletters"}}}
    return Snapshot("directory", caps, terms, meta)


def test_items_in_tree_order_with_status_context_and_links() -> None:
    report = todo(directory(), "pt-br", LINKS)
    assert [(i.message_key, i.status) for i in report.items] == [
        ("Q10-description", "missing"), ("Q11-label", "outdated"), ("Q11-description", "missing"),
        ("Q12-label", "outdated"), ("Q20-label", "missing")]
    first, writing, _, news, safety = report.items
    assert (first.path, first.branch, first.name, first.text) == ((), "Q10", "Communication", None)
    assert (news.path, news.branch) == (("Communication", "Writing"), "Q10")
    assert (writing.english, writing.documentation, writing.text, writing.author) == (
        "Writing", "Name of a capacity.", "Escrita", "Bruno")
    assert writing.previous_english == "Writing texts"
    assert news.previous_english is None  # the English it was made from is today's: nothing to show
    assert writing.translate_url == (
        "https://meta.wikimedia.org/w/index.php?title=Special:Translate"
        "&showMessage=Module:CapacityExchange/capacities.json/Q11-label"
        "&group=messagebundle-Module:CapacityExchange/capacities.json&language=pt-br")
    assert writing.metabase_url == "https://metabase.wikibase.cloud/wiki/Item:Q101"
    assert safety.metabase_url is None and safety.item is None and safety.translate_url is not None
    assert report.messages == 6  # Q12's blank English description is no message


def test_counts_per_field_and_per_branch() -> None:
    report = todo(directory(), "pt-br")
    assert report.counts() == {"label": {"missing": 1, "outdated": 2}, "description": {"missing": 2, "outdated": 0},
                               "all": {"missing": 3, "outdated": 2}}
    branches = report.branches()
    assert [(b.qid, b.name, b.item, len(b.items)) for b in branches] == [("Q10", "Communication", "Q100", 4),
                                                                       ("Q20", "Safety", None, 1)]
    assert branches[0].counts(report.statuses)["all"] == {"missing": 2, "outdated": 2}
    assert report.summary() == "pt-br (Brazilian Portuguese): 3 missing, 2 outdated of 6 messages with English"
    assert (report.name, report.autonym, report.bcp47) == ("Brazilian Portuguese", "português do Brasil", "pt-BR")
    everything = todo(directory(), "pt-br", statuses=("missing", "outdated", "translated"))
    assert [i.message_key for i in everything.items if i.status == "translated"] == ["Q10-label"]


def test_agrees_with_coverage_on_every_language_of_a_sample() -> None:
    sample = generate(capacities=60, languages=8, seed=3)
    counted = coverage(sample)
    for row in counted.rows:
        report = todo(sample, row.lang)
        counts = report.counts()
        for fld in ("label", "description"):
            assert counts[fld]["missing"] == row.scope(fld).missing, (row.lang, fld)
            assert counts[fld]["outdated"] == row.scope(fld).fuzzy, (row.lang, fld)
        assert report.messages == row.all.total
        order = {cap.qid: n for n, cap in enumerate(sample.capacities)}
        keys = [(order[i.key.qid], i.key.field != "label") for i in report.items]
        assert keys == sorted(keys), "not in tree order"


@pytest.mark.parametrize("code", ["xx-nope", "pt-BR", "pt_BR", ""])
def test_unknown_language_is_a_usage_error_naming_close_codes(code: str) -> None:
    with pytest.raises(UnknownLanguage) as caught:
        todo(directory(), code)
    assert caught.value.exit_code == 2
    if code == "pt-BR":
        assert "pt-br" in (caught.value.hint or "")


@pytest.mark.parametrize("code", ["en", "qqq", "mul"])
def test_source_documentation_and_mul_are_refused(code: str) -> None:
    with pytest.raises(UsageError, match="not a translation language"):
        todo(directory(), code)


def test_unknown_status_is_refused() -> None:
    with pytest.raises(UsageError, match="unknown status"):
        todo(directory(), "pt-br", statuses=("missing", "done"))  # type: ignore[arg-type]


def test_links_from_other_layouts_and_quoting() -> None:
    other = Links.from_apis("https://wiki.example.org/api.php", "https://base.example.org/api.php",
                            "Module:Capacity Exchange/capacités.json", "messagebundle-Module:Capacity Exchange/capacités.json")
    assert other.translate("Q1-label", "sh-latn") == (
        "https://wiki.example.org/index.php?title=Special:Translate"
        "&showMessage=Module:Capacity%20Exchange/capacit%C3%A9s.json/Q1-label"
        "&group=messagebundle-Module:Capacity%20Exchange/capacit%C3%A9s.json&language=sh-latn")
    assert other.item("Q5") == "https://base.example.org/index.php?title=Item:Q5"
    assert Links().translate("Q1-label", "de") is None and Links().item("Q5") is None
    assert url_quote("a&b=c?d#e f") == "a%26b%3Dc%3Fd%23e%20f"


class _Page(html.parser.HTMLParser):
    """Collects the text, the tags and the attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def hostile() -> Snapshot:
    base = directory()
    terms = dict(base.terms)
    terms[K("Q11", "label", "en")] = Term('<script>alert("x")</script> & <b>bold</b>')
    terms[K("Q11", "label", "qqq")] = Term("<img src=x onerror=alert(1)>")
    terms[K("Q11", "label", "pt-br")] = Term("</td><script>evil()</script>", fuzzy=True)
    return Snapshot(base.side, base.capacities, terms, base.meta)


def test_html_page_escapes_everything_and_is_self_contained() -> None:
    report = todo(hostile(), "pt-br", LINKS)
    page = todo_page(report, generator="capxl10n test", origin="<origin>")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    found = parsed(page)
    text = "".join(found.text)
    assert '<script>alert("x")</script> & <b>bold</b>' in text  # shown as text
    assert "<img src=x onerror=alert(1)>" in text and "</td><script>evil()</script>" in text
    assert "<origin>" in text
    assert set(found.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span", "div",
                               "table", "thead", "tbody", "tr", "th", "td", "a"}
    hrefs = [value for name, value in found.attrs if name == "href"]
    assert all(h and (h.startswith("https://") or h.startswith("#branch-")) for h in hrefs), hrefs
    assert not [name for name, _ in found.attrs if name in ("src", "srcset", "onerror", "onload")]
    assert "@import" not in page and "url(" not in page  # no external assets from the style either
    assert "Brazilian Portuguese" in text and "português do Brasil" in text
    assert 'lang="pt-BR"' in page and "Special:Translate" in text and "3 missing, 2 outdated" in text
    assert page == todo_page(todo(hostile(), "pt-br", LINKS), generator="capxl10n test", origin="<origin>")


def test_html_page_of_nothing_to_do() -> None:
    page = todo_page(todo(directory(), "de"))
    assert "Nothing to translate" not in page  # de misses almost everything
    done = Snapshot("directory", (Capacity("Q1"),), {K("Q1", "label", "en"): Term("A"),
                                                      K("Q1", "label", "de"): Term("B")})
    assert "Nothing to translate." in todo_page(todo(done, "de"))


def test_renderings_carry_the_items(tmp_path: Path) -> None:
    from capxl10n.cli.render import render

    report = todo(directory(), "pt-br", LINKS)
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert [(r["key"], r["status"], r["branch"], r["path"]) for r in rows][:2] == [
        ("Q10-description", "missing", "Communication", ""), ("Q11-label", "outdated", "Communication", "Communication")]
    assert rows[1]["outdated_text"] == "Escrita" and rows[1]["previous_english"] == "Writing texts"
    data = json.loads(render(report, "json"))
    assert data["counts"]["all"] == {"missing": 3, "outdated": 2}
    assert [b["qid"] for b in data["branches"]] == ["Q10", "Q20"]
    assert data["branches"][0]["items"][1]["outdated_text"] == "Escrita"
    table = render(report, "table")
    assert table.splitlines()[0].startswith("pt-br (Brazilian Portuguese): 3 missing, 2 outdated")
    assert "| Q11-label |" in render(report, "markdown")


# -- through the CLI --------------------------------------------------------------------------------------
def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_cli_on_a_snapshot_every_format(tmp_path: Path) -> None:
    path = tmp_path / "dir.json"
    path.write_text(hostile().dumps(), encoding="utf-8")
    result = run("-f", "json", "todo", "--lang", "pt-br", "--snapshot", str(path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["all"] == {"missing": 3, "outdated": 2}
    assert "127.0.0.1:8765/metawiki/w/index.php?title=Special:Translate" in \
        data["branches"][0]["items"][0]["translate_url"]  # the (default) sandbox profile's Meta-Wiki
    assert "todo: pt-br (Brazilian Portuguese): 3 missing, 2 outdated" in result.stderr
    out = tmp_path / "page.html"
    result = run("todo", "--lang", "pt-br", "--snapshot", str(path), "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and f"wrote {out}" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json", "page.html"]  # no temporary file left
    for fmt in ("csv", "markdown", "table"):
        result = run("todo", "--lang", "pt-br", "--snapshot", str(path), "-f", fmt)
        assert result.exit_code == 0 and "Q11-label" in result.stdout, (fmt, result.output)


def test_cli_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "dir.json"
    path.write_text(directory().dumps(), encoding="utf-8")
    result = run("todo", "--lang", "pt-BR", "--snapshot", str(path))
    assert result.exit_code == 2 and "--lang" in result.stderr and "pt-br" in result.stderr, result.output
    result = run("todo", "--lang", "qqq", "--snapshot", str(path))
    assert result.exit_code == 2 and "not a translation language" in result.stderr
    result = run("todo", "--snapshot", str(path))
    assert result.exit_code == 2 and "--lang" in result.stderr
    result = run("todo", "--lang", "de", "--snapshot", str(path), "--format", "pdf")
    assert result.exit_code == 2 and "pdf" in result.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    result = run("todo", "--lang", "de", "--snapshot", str(path), "-o", str(blocked / "todo.txt"))
    assert result.exit_code == 1 and f"cannot write {blocked / 'todo.txt'}" in result.stderr, result.output
    missing_dir = tmp_path / "no" / "such" / "dir" / "todo.html"
    result = run("todo", "--lang", "de", "--snapshot", str(path), "-o", str(missing_dir), "-f", "html")
    assert result.exit_code == 1 and "cannot write" in result.stderr and not missing_dir.parent.exists()
    result = run("--state", str(tmp_path / "none.sqlite"), "todo", "--lang", "de")
    assert result.exit_code == 2 and "no sync state" in result.stderr


@pytest.mark.slow
def test_cli_on_the_synced_sandbox(sandbox_profile: Any, tmp_path: Path) -> None:
    """After an English change outdates translations, todo lists them with the English they were made from,
    agrees with coverage's count of the directory, and links the sandbox's Special:Translate and items."""
    from plugins.world import World

    world = World(sandbox_profile.sandbox, tmp_path, sandbox_profile.env)
    assert world.cli("sync").exit_code == 0
    key = world.pick("pt-br")
    old = world.bundle()[key.message_key]
    world.peer.edit_bundle({key.message_key: "A new English text"})
    assert world.cli("sync").exit_code == 0
    result = world.cli("-f", "json", "todo", "--lang", "pt-br")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    items = {i["key"]: i for b in data["branches"] for i in b["items"]}
    outdated = items[key.message_key]
    assert outdated["status"] == "outdated" and outdated["english"] == "A new English text"
    assert outdated["previous_english"] == old and outdated["outdated_text"]
    assert outdated["translate_url"].startswith(f"{sandbox_profile.sandbox.url}/metawiki/w/index.php?"
                                                "title=Special:Translate&showMessage=")
    assert outdated["metabase_url"] == f"{sandbox_profile.sandbox.url}/metabase/wiki/Item:{world.item(key.qid)}"
    cover = world.cli("-f", "json", "coverage", "--side", "catalogs", "--lang", "pt-br")
    row = json.loads(cover.stdout)["languages"][0]["all"]
    assert data["counts"]["all"] == {"missing": row["missing"], "outdated": row["fuzzy"]}
    page = world.cli("todo", "--lang", "pt-br", "-f", "html")
    assert page.exit_code == 0 and "A new English text" in page.stdout and "made from:" in page.stdout
