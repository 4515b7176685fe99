"""The conflict inbox library: keys, decisions, .po export/import (Poedit round trip)."""
from __future__ import annotations

import doctest
import subprocess
from pathlib import Path

import polib
import pytest

import capxl10n.engine.conflicts as conflicts_mod
from capxl10n.engine.conflicts import ConflictRows, export_po, import_po, parse_key, resolve
from capxl10n.errors import DataError, UsageError
from capxl10n.core.merge import Conflict, Decision
from capxl10n.core.model import Term, TermKey
from capxl10n.cli.render import render
from capxl10n.engine.state import open_state
from plugins.common import need_tool

BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"
PT = TermKey("Q7397", "label", "pt-br")
DE = TermKey("Q8", "description", "de")


@pytest.fixture
def state(tmp_path: Path):
    with open_state(tmp_path / "s.sqlite") as st:
        st.record_conflicts([
            Conflict(PT, "Organizar", True, Term("Organizar editatonas", author="Ana", timestamp="2025-12-06T10:00:00Z"),
                     Term('Organizar "edit-a-thons"\nlinha 2', side="metawiki", author="Bo"), "both changed"),
            Conflict(DE, None, False, None, Term("Beschreibung", side="metawiki"), "x"),
        ])
        yield st


def test_doctests() -> None:
    assert doctest.testmod(conflicts_mod).failed == 0


@pytest.mark.parametrize("text", ["Q7397-label", f"{BUNDLE}/Q7397-label", "  Q7397-label "])
def test_parse_key(text: str) -> None:
    assert parse_key(text, "pt-br", BUNDLE) == PT


@pytest.mark.parametrize("text", ["Q7397", "label", f"{BUNDLE}/Q7397-name", "P5-label", ""])
def test_parse_key_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_key(text, "pt-br", BUNDLE)


def test_resolve_take_and_text(state) -> None:
    assert resolve(state, PT, take="metawiki").text == 'Organizar "edit-a-thons"\nlinha 2'
    assert state.decisions()[PT].source == "take metawiki"
    assert resolve(state, DE, take="metabase") == Decision(None, "take metabase")  # absent: delete both
    assert resolve(state, PT, text="Final").text == "Final"


@pytest.mark.parametrize("kw,match", [
    ({}, "exactly one"), ({"take": "metabase", "text": "x"}, "exactly one"), ({"take": "wikidata"}, "metabase or"),
    ({"text": "   "}, "empty")])
def test_resolve_bad_input(state, kw, match) -> None:
    with pytest.raises(UsageError, match=match):
        resolve(state, PT, **kw)
    assert state.decisions() == {}


@pytest.mark.parametrize("text,rule", [("Organizar $1", "message-syntax"), ("Org ~~~~", "pre-save-transform"),
                                       ("Orga\u0301nizar", "not-nfc"), ("Org\u202eanizar", "bidi-control")])
def test_resolve_refuses_a_text_the_merge_would_refuse(state, text: str, rule: str) -> None:
    """Every error of the translation checks, not only what a wiki refuses outright: recorded, the decision
    would only be forgotten at the next plan."""
    with pytest.raises(UsageError, match=rule):
        resolve(state, PT, text=text)
    assert state.decisions() == {}


def test_resolve_unknown_conflict(state) -> None:
    with pytest.raises(UsageError, match="no open conflict"):
        resolve(state, TermKey("Q1", "label", "pt-br"), text="x")


def test_rows_render_table_and_json(state) -> None:
    rows = ConflictRows(tuple(state.conflicts()), BUNDLE)
    table = render(rows, "table")
    assert "Organizar editatonas" in table and "Ana" in table and "2025-12-06 10:00" in table  # value, author, time
    data = rows.to_json()
    assert [d["full_key"] for d in data] == [f"{BUNDLE}/Q8-description", f"{BUNDLE}/Q7397-label"]
    assert data[1]["metawiki"]["author"] == "Bo"


def test_export_then_import_roundtrip(state, tmp_path: Path) -> None:
    po = tmp_path / "pt-br.po"
    english = {TermKey("Q7397", "label", "en"): "Organizing edit-a-thons"}
    assert export_po(state.conflicts(), "pt-br", po, bundle_page=BUNDLE, message_group=GROUP, english=english) == 1
    catalog = polib.pofile(str(po))
    (entry,) = list(catalog)
    assert entry.msgctxt == f"{BUNDLE}/Q7397-label" and entry.msgid == "Organizing edit-a-thons"
    assert entry.msgstr == "" and "Organizar editatonas" in entry.tcomment and "by Ana" in entry.tcomment
    assert catalog.metadata["X-Language-Code"] == "pt-br" and catalog.metadata["X-Message-Group"] == GROUP
    entry.msgstr = "Organizar maratonas de edição"
    catalog.save(str(po))
    result = import_po(state, po, bundle_page=BUNDLE, english=english)
    assert result.decided == (PT,) and result.unknown == ()
    assert state.decisions()[PT].text == "Organizar maratonas de edição"
    assert export_po(state.conflicts(), "pt-br", po, bundle_page=BUNDLE, message_group=GROUP, english={}) == 0


def test_export_is_valid_gettext(state, tmp_path: Path) -> None:
    msgfmt = need_tool("msgfmt")
    po = tmp_path / "pt-br.po"
    export_po(state.conflicts(), "pt-br", po, bundle_page=BUNDLE, message_group=GROUP, english={})
    subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "x.mo"), str(po)], check=True)


def test_import_refuses_a_file_that_is_not_an_export(state, tmp_path: Path) -> None:
    """Unknown keys, duplicates, no export headers: refused whole (tests/engine/test_conflicts_import.py has the rest)."""
    po = tmp_path / "de.po"
    catalog = polib.POFile()
    catalog.metadata = {"X-Language-Code": "de", "Content-Type": "text/plain; charset=UTF-8"}
    catalog.append(polib.POEntry(msgctxt=f"{BUNDLE}/Q8-description", msgid="About", msgstr=""))
    catalog.append(polib.POEntry(msgctxt=f"{BUNDLE}/Q8-description", msgid="About2", msgstr="x", flags=["fuzzy"]))
    catalog.append(polib.POEntry(msgctxt=f"{BUNDLE}/Q99-label", msgid="Other", msgstr="y"))
    catalog.append(polib.POEntry(msgctxt="garbage", msgid="G", msgstr="z"))
    catalog.save(str(po))
    with pytest.raises(DataError, match="not a capxl10n conflicts export"):
        import_po(state, po, bundle_page=BUNDLE)
    assert state.decisions() == {}


@pytest.mark.parametrize("content", [b"", b'msgid ""\nmsgstr ""\n"Language: de\\n"\n', b"\xff\xfe garbage \x00"])
def test_import_bad_files(state, tmp_path: Path, content: bytes) -> None:
    po = tmp_path / "bad.po"
    po.write_bytes(content)
    with pytest.raises(DataError):
        import_po(state, po, bundle_page=BUNDLE)
