"""``capxl10n todo --format html``: a page to hand out at a translat-a-thon.

One self-contained file (styles inline, no script, no image, no font, nothing
fetched) that prints well: the language's name in English and in itself, the
counts per field and per branch of the capacity tree, then per branch a table of
the terms to translate with their English, documentation, outdated text (and the
English it was made from) and the links to Special:Translate and to Metabase.

Everything that comes from the data is escaped with :func:`html.escape` (a
name holding ``<script>`` shows as text); a link is made only of an ``http(s)``
URL. No timestamps: the same report gives the same bytes.
"""
from __future__ import annotations

import html
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
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<meta name=\"generator\" content=\"{_e(generator)}\">",
        f"<title>{_e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
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
    parts += [f"<p class=\"key\">{_e(footer)}.</p>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


__all__ = ["todo_page"]
