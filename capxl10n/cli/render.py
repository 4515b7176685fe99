"""Renderings of report objects: table, JSON, CSV and Markdown.

Data first, rendering second: a report object computes its figures and this
module only lays them out, so every command renders the same way. Anything
with ``columns()``, ``records()`` and ``to_json()`` (see :class:`Tabular`) can
be rendered; :class:`Records` wraps a plain list of dicts. A report may add
``table_columns()``, a narrower choice for the terminal table, ``table_records()``,
its rows with long texts cut, and ``table_caption()``, a line above it (e.g. what
the cells mean).

>>> print(render(Records([{"lang": "de", "percent": 50.0}]), "markdown"))
| lang | percent |
| --- | ---: |
| de | 50.0 |
"""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, runtime_checkable

from capxl10n.errors import UsageError

FORMATS: Final = ("table", "json", "csv", "markdown")


@runtime_checkable
class Tabular(Protocol):
    """What a report offers to be rendered."""

    def columns(self) -> Sequence[str]: ...

    def records(self) -> list[dict[str, Any]]: ...

    def to_json(self) -> Any: ...


@dataclass(frozen=True)
class Records:
    """A plain list of rows (dicts) as a report; columns default to the keys in first-seen order."""

    rows: Sequence[Mapping[str, Any]]
    column_names: Sequence[str] | None = None
    extra_json: Mapping[str, Any] = field(default_factory=dict)

    def columns(self) -> Sequence[str]:
        if self.column_names is not None:
            return self.column_names
        return list(dict.fromkeys(k for row in self.rows for k in row))

    def records(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.rows]

    def to_json(self) -> Any:
        rows = [dict(row) for row in self.rows]
        return {**self.extra_json, "rows": rows} if self.extra_json else rows


def render(report: Tabular, fmt: str = "table") -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`), without a trailing newline."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise UsageError(f"unknown output format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}") from None
    return renderer(report)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _width(text: str) -> int:
    """Display width: East Asian wide characters take two cells, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _is_number(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)


def render_table(report: Tabular) -> str:
    """Aligned columns; a report may offer narrower ``table_columns()`` and a ``table_caption()``."""
    narrow = getattr(report, "table_columns", None)
    columns = list(narrow() if callable(narrow) else report.columns())
    short = getattr(report, "table_records", None)  # e.g. long texts cut for a terminal
    rows = short() if callable(short) else report.records()
    if not rows:
        return "(nothing to show)"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    numeric = [_is_number([row.get(c) for row in rows]) for c in columns]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        out = []
        for value, width, right in zip(values, widths, numeric):
            pad = " " * (width - _width(value))
            out.append(pad + value if right else value + pad)
        return "  ".join(out).rstrip()

    caption = getattr(report, "table_caption", None)
    head = [caption()] if callable(caption) else []
    return "\n".join([*head, line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def render_json(report: Tabular) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)


def render_csv(report: Tabular) -> str:
    buffer = io.StringIO()
    columns = list(report.columns())
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in report.records():
        writer.writerow(["" if row.get(c) is None else row.get(c) if isinstance(row.get(c), (int, float, str))
                         else _cell(row.get(c)) for c in columns])
    return buffer.getvalue().rstrip("\n")


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Tabular) -> str:
    columns = list(report.columns())
    rows = report.records()
    numeric = [_is_number([row.get(c) for row in rows]) for c in columns]
    head = "| " + " | ".join(_md_escape(c) for c in columns) + " |"
    rule = "| " + " | ".join("---:" if n else "---" for n in numeric) + " |"
    body = ["| " + " | ".join(_md_escape(_cell(row.get(c))) for c in columns) + " |" for row in rows]
    return "\n".join([head, rule, *body])


_RENDERERS: Final[dict[str, Callable[[Tabular], str]]] = {
    "table": render_table, "json": render_json, "csv": render_csv, "markdown": render_markdown,
}
