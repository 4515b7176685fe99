"""Renderings: the same records as table, JSON, CSV and Markdown."""
from __future__ import annotations

import csv
import io
import json
import unicodedata

import pytest

from capxl10n.errors import UsageError
from capxl10n.cli.render import FORMATS, Records, Tabular, render

ROWS = [{"lang": "zh-hans", "name": "中文", "percent": 5.0, "ok": True},
        {"lang": "ar", "name": "a|b", "percent": 100.0, "ok": False, "note": None}]


def test_table_aligns_wide_characters_and_numbers() -> None:
    lines = render(Records(ROWS), "table").splitlines()
    assert lines[0].split() == ["lang", "name", "percent", "ok", "note"]
    def cells(text: str) -> int:  # display width: CJK characters take two cells
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    assert cells(lines[2][:lines[2].index("5.0")]) == cells(lines[3][:lines[3].index("100.0")]) + 2
    assert lines[2].startswith("zh-hans  中文") and lines[3].startswith("ar       a|b ")
    assert "yes" in lines[2] and "no" in lines[3]


def test_json_csv_markdown() -> None:
    assert json.loads(render(Records(ROWS), "json")) == ROWS
    rows = list(csv.DictReader(io.StringIO(render(Records(ROWS), "csv"))))
    assert rows[1] == {"lang": "ar", "name": "a|b", "percent": "100.0", "ok": "False", "note": ""}
    md = render(Records(ROWS), "markdown").splitlines()
    assert md[1] == "| --- | --- | ---: | --- | --- |"
    assert md[3] == "| ar | a\\|b | 100.0 | no |  |"


def test_empty_and_extra_json() -> None:
    assert render(Records([]), "table") == "(nothing to show)"
    assert render(Records([]), "csv") == ""
    assert json.loads(render(Records([{"a": 1}], extra_json={"ok": True}), "json")) == {"ok": True,
                                                                                          "rows": [{"a": 1}]}


def test_column_choice_and_protocol() -> None:
    report = Records(ROWS, column_names=["lang"])
    assert isinstance(report, Tabular)
    assert render(report, "csv").splitlines() == ["lang", "zh-hans", "ar"]


@pytest.mark.parametrize("fmt", ["html", ""])
def test_unknown_format(fmt: str) -> None:
    with pytest.raises(UsageError, match="format"):
        render(Records(ROWS), fmt)
    assert fmt not in FORMATS


def test_table_columns_narrow_only_the_table() -> None:
    class Narrow(Records):
        def table_columns(self) -> list[str]:
            return ["lang"]
    report = Narrow(ROWS)
    assert render(report, "table").splitlines()[0] == "lang"
    assert render(report, "csv").splitlines()[0] == "lang,name,percent,ok,note"
