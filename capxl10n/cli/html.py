"""Self-contained HTML pages and the parts they share: ``todo --format html``, the event report
(``capxl10n report``, :mod:`capxl10n.cli.report_page`) and ``coverage --format html``.

Every page is one file (styles inline, no script, no image file, no font, nothing
fetched) that prints well and reads on a phone. The parts: :func:`document` (the
frame and the shared style), :func:`lang_text` (a piece of text in a language,
with its ``lang`` and ``dir``), :func:`progress_bar` (an inline SVG bar: before,
gained, the 50/80/100 % marks) and :func:`step_chart` (an inline SVG of a
count over time).

The to-do page: the language's name in English and in itself, the
counts per field and per branch of the capacity tree, then per branch a table of
the terms to translate with their English, documentation, outdated text (and the
English it was made from) and the links to Special:Translate and to Metabase.

Everything that comes from the data is escaped with :func:`html.escape` (a
name holding ``<script>`` shows as text); a link is made only of an ``http(s)``
URL. No timestamps: the same report gives the same bytes.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Final

from capxl10n.core.model import FIELDS
from capxl10n.core.todo import Branch, TodoItem, TodoReport

_STYLE: Final = """
body { font: 11pt/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #202122; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #a2a9b1; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; }
th, td { border: 1px solid #c8ccd1; padding: .3em .5em; vertical-align: top; text-align: start; }
th { background: #eaecf0; }
td.n { text-align: end; font-variant-numeric: tabular-nums; }
.status { font-size: .85em; font-weight: bold; text-transform: uppercase; }
.missing { color: #b32424; } .outdated { color: #a66200; }
.path, .key, .was { color: #54595d; font-size: .85em; }
.doc { font-size: .9em; }
.doc, .en, .text { white-space: pre-line; }
a { color: #36c; word-break: break-all; }
@media print {
  body { margin: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  a { color: inherit; }
  .links a::after { content: " (" attr(href) ")"; font-size: .8em; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("https://", "http://")):
        return ""
    return f'<a href="{_e(url)}">{_e(label)}</a>'


escape = _e
link = _link


def document(title: str, body: Sequence[str], *, style: str = "", generator: str = "capxl10n",
             lang: str = "en") -> str:
    """A whole page: the frame, ``style`` inline, ``body`` as it is (already escaped); ends with a newline."""
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{_e(lang)}" dir="ltr">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<meta name=\"generator\" content=\"{_e(generator)}\">",
        f"<title>{_e(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
    ]) + "\n"


def lang_text(text: str, bcp47: str, direction: str, *, tag: str = "span", cls: str = "") -> str:
    """A piece of text in a language: its ``lang`` (BCP 47) and ``dir`` (``rtl`` reads right to left)."""
    klass = f' class="{_e(cls)}"' if cls else ""
    return f'<{tag}{klass} lang="{_e(bcp47)}" dir="{_e(direction)}">{_e(text)}</{tag}>'


def user_name(name: str) -> str:
    """A user name: in no known language, isolated so a right-to-left name cannot reorder its neighbours."""
    return f'<bdi class="user">{_e(name)}</bdi>'


def number(value: int, *, signed: bool = False) -> str:
    return f"{value:+,}" if signed and value else f"{value:,}"


def progress_bar(before: float, after: float, label: str, *, marks: Sequence[int] = (50, 80, 100)) -> str:
    """An inline SVG bar of a share in percent: ``before`` (grey), gained since (green) or lost (red), and
    the ``marks``; ``label`` is its accessible name (and its tooltip)."""
    lo, hi = sorted((max(0.0, min(before, 100.0)), max(0.0, min(after, 100.0))))
    change = "gain" if after >= before else "loss"
    ticks = "".join(f'<line x1="{m}" y1="0" x2="{m}" y2="10" class="mark" vector-effect="non-scaling-stroke"/>'
                    for m in marks if 0 < m < 100)
    return (f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="{_e(label)}">'
            f"<title>{_e(label)}</title>"
            '<rect class="track" x="0" y="0" width="100" height="10"/>'
            f'<rect class="before" x="0" y="0" width="{lo:.2f}" height="10"/>'
            f'<rect class="{change}" x="{lo:.2f}" y="0" width="{hi - lo:.2f}" height="10"/>'
            f"{ticks}</svg>")


def clock(seconds: int, zone: tzinfo | None = None, *, date: bool = True) -> str:
    """``2025-12-06 14:00 UTC−03:00`` (or only the time), in ``zone`` (default UTC)."""
    moment = datetime.fromtimestamp(seconds, zone or timezone.utc)
    text = moment.strftime("%Y-%m-%d %H:%M" if date else "%H:%M")
    return f"{text} {zone_name(moment.utcoffset())}" if date else text


def span(start: int, end: int, zone: tzinfo | None = None) -> str:
    """A window for people: ``Sat 6 Dec 2025, 14:00–18:00 UTC−03:00`` (the date once when it is one day)."""
    a, b = (datetime.fromtimestamp(t, zone or timezone.utc) for t in (start, end))

    def day(moment: datetime) -> str:
        return f"{moment:%a} {moment.day} {moment:%b %Y}"

    if a.date() == b.date():
        return f"{day(a)}, {a:%H:%M}–{b:%H:%M} {zone_name(a.utcoffset())}"
    return f"{day(a)} {a:%H:%M} – {day(b)} {b:%H:%M} {zone_name(b.utcoffset())}"


def zone_name(offset: timedelta | None) -> str:
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "\u2212"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def step_chart(points: Sequence[tuple[int, int]], label: str, *, zone: tzinfo | None = None,
               width: int = 1000, height: int = 210, css: str = "chart") -> str:
    """An inline SVG of a count over time, drawn as steps (a snapshot's count holds until the next one):
    the area under it, the first and last times and the lowest and highest counts as labels."""
    if not points:
        return ""
    left, right, top, bottom = 64, 12, 16, 34
    t0, t1 = points[0][0], max(points[-1][0], points[0][0] + 1)
    values = [v for _t, v in points]
    v0, v1 = min(values), max(values)
    if v0 == v1:
        v0, v1 = max(0, v0 - 1), v1 + 1

    def x(t: int) -> float:
        return left + (width - left - right) * (t - t0) / (t1 - t0)

    def y(v: int) -> float:
        return top + (height - top - bottom) * (1 - (v - v0) / (v1 - v0))

    path = [f"M{x(points[0][0]):.1f},{y(points[0][1]):.1f}"]
    for (_ta, va), (tb, vb) in zip(points, points[1:]):
        path.append(f"H{x(tb):.1f}V{y(vb):.1f}")
    line = "".join(path)
    area = f"{line}V{y(v0):.1f}H{x(points[0][0]):.1f}Z"
    dots = "".join(f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="3"><title>{_e(clock(t, zone))}: {v:,}</title></circle>'
                   for t, v in points[1:-1])
    same_day = datetime.fromtimestamp(t0, zone or timezone.utc).date() == \
        datetime.fromtimestamp(t1, zone or timezone.utc).date()
    ticks, last_x = [], x(t0)
    for t, _v in points[1:-1]:
        if x(t) - last_x >= 70 and x(t1) - x(t) >= 150:
            ticks.append(f'<text x="{x(t):.1f}" y="{height - 8}" text-anchor="middle">{_e(clock(t, zone, date=False))}</text>')
            last_x = x(t)
    return (f'<svg class="{_e(css)}" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}">'
            f"<title>{_e(label)}</title>"
            f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}"/>'
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}"/>'
            f'<path class="area" d="{area}"/><path class="line" d="{line}"/>{dots}'
            f'<text x="{left - 6}" y="{y(v1) + 4:.1f}" text-anchor="end">{v1:,}</text>'
            f'<text x="{left - 6}" y="{y(v0) + 4:.1f}" text-anchor="end">{v0:,}</text>'
            f'<text x="{left}" y="{height - 8}">{_e(clock(t0, zone, date=not same_day))}</text>{"".join(ticks)}'
            f'<text x="{width - right}" y="{height - 8}" text-anchor="end">{_e(clock(t1, zone))}</text>'
            "</svg>")


def _counts_table(report: TodoReport) -> str:
    counts = report.counts()
    head = "".join(f"<th>{_e(s)}</th>" for s in report.statuses)
    rows = "".join(f"<tr><th>{_e(scope)}</th>" + "".join(f'<td class="n">{counts[scope][s]}</td>'
                                                        for s in report.statuses) + "</tr>"
                   for scope in (*FIELDS, "all"))
    return f"<table class=\"counts\"><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _branches_table(report: TodoReport, branches: tuple[Branch, ...]) -> str:
    head = "".join(f"<th>{_e(s)}</th>" for s in report.statuses)
    rows = []
    for number, branch in enumerate(branches, 1):
        counts = branch.counts(report.statuses)["all"]
        rows.append(f'<tr><td><a href="#branch-{number}">{_e(branch.name)}</a></td>'
                    + "".join(f'<td class="n">{counts[s]}</td>' for s in report.statuses) + "</tr>")
    return (f"<table class=\"branches\"><thead><tr><th>branch</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _item_row(report: TodoReport, item: TodoItem) -> str:
    path = " › ".join((*item.path, item.name))
    capacity = (f'<div>{_e(item.name)}</div><div class="path">{_e(path)}</div>'
                f'<div class="key">{_e(item.message_key)} · {_e(item.key.field)}</div>')
    status = f'<span class="status {_e(item.status)}">{_e(item.status)}</span>'
    english = _e(item.english)
    doc = f'<div class="doc">{_e(item.documentation)}</div>' if item.documentation else ""
    text = ""
    if item.text:
        text = f'<div class="text" lang="{_e(report.bcp47)}" dir="{_e(report.direction)}">{_e(item.text)}</div>'
        if item.previous_english:
            text += f'<div class="was">made from: {_e(item.previous_english)}</div>'
    links = " ".join(filter(None, (_link(item.translate_url, "Special:Translate"),
                                   _link(item.metabase_url, f"Metabase {item.item or ''}".strip()))))
    return (f"<tr><td>{capacity}</td><td>{status}</td><td class=\"en\" lang=\"en\" dir=\"ltr\">{english}</td>"
            f"<td>{doc}</td><td>{text}</td><td class=\"links\">{links}</td></tr>")


def todo_page(report: TodoReport, *, generator: str = "capxl10n", origin: str = "") -> str:
    """The whole page (a string ending with a newline); see the module docstring."""
    branches = report.branches()
    counts = report.counts()["all"]
    title = f"To translate into {report.name} ({report.lang})"
    parts = [
        f"<h1>{_e(report.name)} · <span lang=\"{_e(report.bcp47)}\" dir=\"{_e(report.direction)}\">"
        f"{_e(report.autonym)}</span> <span class=\"key\">({_e(report.lang)})</span></h1>",
        "<p>" + _e(", ".join(f"{counts[s]} {s}" for s in report.statuses))
        + f" of {report.messages} capacity names and descriptions with English.</p>",
        _counts_table(report),
    ]
    if branches:
        parts.append(_branches_table(report, branches))
    else:
        parts.append("<p>Nothing to translate.</p>")
    header = ("<thead><tr><th>capacity</th><th>status</th><th>English</th><th>documentation</th>"
              "<th>outdated text</th><th>links</th></tr></thead>")
    for number, branch in enumerate(branches, 1):
        branch_counts = branch.counts(report.statuses)["all"]
        summary = ", ".join(f"{branch_counts[s]} {s}" for s in report.statuses)
        parts.append(f'<h2 id="branch-{number}">{_e(branch.name)} <span class="key">({_e(summary)})</span></h2>')
        rows = "".join(_item_row(report, item) for item in branch.items)
        parts.append(f"<table>{header}<tbody>{rows}</tbody></table>")
    footer = f"Made by {generator}" + (f" from {origin}" if origin else "")
    parts.append(f"<p class=\"key\">{_e(footer)}.</p>")
    return document(title, parts, style=_STYLE, generator=generator)


__all__ = ["document", "escape", "lang_text", "link", "number", "progress_bar", "step_chart",
           "todo_page", "user_name"]
