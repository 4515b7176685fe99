"""The event report's page (``capxl10n report``: ``DIR/index.html``) and ``coverage --format html``.

Made for an organizer to project during a translat-a-thon and to print or send
afterwards: the event's figures in large type, the progress over time, one row
per language with its bar (before, gained, the 50/80/100 % marks), the
translators and who translated into each language, what is left with links to
Special:Translate, and how the figures were made. Built from the page parts of
:mod:`capxl10n.cli.html`: one self-contained file, no script, inline SVG,
semantic tables (``<caption>``, ``<th scope>``), ``lang`` and ``dir`` on every
name of a language in itself, readable on a phone (tables scroll sideways, the
less needed columns go) and printable.

Every number comes from :class:`capxl10n.core.report.EventReport`, which also
writes ``report.json`` and ``report.csv``; cells carry ``data-lang`` and
``data-v`` (the JSON field they show) so a test can compare them.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Final

from capxl10n.cli.html import (clock, document, escape, lang_text, link, number, progress_bar, span, step_chart,
                               user_name)
from capxl10n.core.coverage import CoverageReport, SideCoverageReport
from capxl10n.core.report import HEADLINE, THRESHOLDS, EventReport, LanguageInfo, LanguageReport, Progress

SIDE_NAMES: Final = {"metabase": "Metabase", "metawiki": "Meta-Wiki", "catalogs": "Both wikis (the app)"}
KIND_NAMES: Final = {"translated": "translated", "fixed": "outdated fixed", "edited": "edited", "removed": "removed"}
CHANNEL_NAMES: Final = {"metawiki": "Meta-Wiki", "metabase": "Metabase", "import": ".po file"}

STYLE: Final = """
:root { --ink: #202122; --muted: #54595d; --line: #c8ccd1; --paper: #fff; --page: #f3f5f8; --accent: #3366cc;
  --gain: #14866d; --before: #a2a9b1; --track: #eaecf0; --loss: #d73333; --gold: #ac6600; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 76rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
header.event { background: #1f3c88; background: linear-gradient(120deg, #1f3c88, #3366cc 60%, #14866d); color: #fff;
  padding: 1.6rem 1.25rem 1.4rem; }
header.event > div { max-width: 76rem; margin: 0 auto; }
header.event h1 { margin: 0; font-size: 2.3rem; line-height: 1.15; letter-spacing: -.01em; }
header.event p { margin: .35rem 0 0; font-size: 1.15rem; opacity: .95; }
header.event p.made { font-size: .9rem; opacity: .85; }
header.event a { color: #fff; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5rem, 1fr)); gap: .8rem; margin: 1.2rem 0;
  align-items: start; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: .6rem; padding: .8rem 1rem; }
.card .n { display: block; font-size: 2.5rem; font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }
.card .what { color: var(--muted); }
.card.gain .n { color: var(--gain); } .card.gold .n { color: var(--gold); }
.card.share .n { font-size: 1.4rem; line-height: 1.7; }
.card .what { display: block; }
.nw { white-space: nowrap; }
section { background: var(--paper); border: 1px solid var(--line); border-radius: .6rem; padding: .6rem 1rem 1rem;
  margin: 1.2rem 0; }
h2 { font-size: 1.35rem; margin: .4rem 0 .6rem; }
h3 { font-size: 1.1rem; margin: 1rem 0 .3rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: start; color: var(--muted); padding: 0 0 .4rem; font-size: .95rem; }
th, td { padding: .35rem .5rem; border-bottom: 1px solid var(--track); text-align: start; vertical-align: middle; }
thead th { border-bottom: 2px solid var(--line); font-size: .85rem; color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: end; white-space: nowrap; }
td.gain { color: var(--gain); font-weight: 700; }
td.loss { color: var(--loss); font-weight: 700; }
th.lang { min-width: 11rem; font-weight: normal; }
.lang .en { display: block; color: var(--muted); font-size: .85rem; }
tr.active { background: #f0faf6; }
details summary { cursor: pointer; color: var(--accent); }
.todo { margin: .3rem 0; padding-inline-start: 1.2rem; font-size: .92rem; }
.lang .auto { font-weight: 600; }
.code { color: var(--muted); font-size: .8rem; font-family: ui-monospace, monospace; white-space: nowrap; }
svg.bar { width: 100%; min-width: 7rem; height: 1rem; display: block; border-radius: .2rem; }
svg.bar .track { fill: var(--track); } svg.bar .before { fill: var(--before); }
svg.bar .gain { fill: var(--gain); } svg.bar .loss { fill: var(--loss); }
svg.bar .mark { stroke: #fff; stroke-width: 2; }
td.bar { width: 28%; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart.narrow { display: none; }
svg.chart .axis { stroke: var(--line); } svg.chart .line { fill: none; stroke: var(--gain); stroke-width: 3; }
svg.chart .area { fill: #14866d22; } svg.chart circle { fill: var(--gain); }
svg.chart text { font-size: 15px; fill: var(--muted); }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .8rem; font-size: .8rem; font-weight: 700;
  background: #fef6e7; color: var(--gold); border: 1px solid #fc3; margin: .1rem .15rem 0 0; white-space: nowrap; }
.badge.b100 { background: #d5fdf4; color: #0e6b56; border-color: #14866d; }
.badge.drop { background: #fee7e6; color: var(--loss); border-color: var(--loss); }
.milestones { list-style: none; padding: 0; margin: .2rem 0; }
.milestones li { margin: .35rem 0; font-size: 1.2rem; }
.milestones .badge { font-size: .95rem; vertical-align: .1rem; }
.milestones .en { color: var(--muted); font-size: 1rem; }
ul.credits { list-style: none; padding: 0; margin: 0; columns: 2 18rem; }
ul.credits li { break-inside: avoid; margin: 0 0 .6rem; }
.todo li { margin: .15rem 0; }
.muted, .notes { color: var(--muted); }
.notes { font-size: .92rem; }
a { color: var(--accent); }
.user { font-weight: 600; }
.legend span { display: inline-block; width: .9rem; height: .9rem; vertical-align: -.1rem; border-radius: .15rem;
  margin: 0 .25rem 0 .6rem; }
.legend .k-before { background: var(--before); } .legend .k-gain { background: var(--gain); }
.legend .k-loss { background: var(--loss); }
@media (max-width: 700px) {
  body { font-size: 15px; }
  header.event h1 { font-size: 1.6rem; }
  .card .n { font-size: 1.9rem; }
  .cards { grid-template-columns: repeat(2, 1fr); }
  main { padding: .6rem .6rem 2rem; }
  section { padding: .5rem .6rem .8rem; }
  .wide { display: none; }
  svg.chart { display: none; } svg.chart.narrow { display: block; }
  th, td { padding: .3rem .3rem; }
  td.bar { width: auto; } svg.bar { min-width: 4rem; }
  th.lang { min-width: 6.5rem; }
  td.pct { white-space: normal; }
  .card.share .n { font-size: 1.3rem; }
}
@media print {
  body { background: #fff; font-size: 10pt; }
  header.event { background: #fff; color: var(--ink); border-bottom: 3px solid var(--ink); }
  main { max-width: none; padding: 0; }
  section, .card { border: none; padding: .3rem 0; break-inside: auto; }
  .cards { grid-template-columns: repeat(4, 1fr); }
  thead { display: table-header-group; } tr { break-inside: avoid; }
  a, header.event a { color: inherit; text-decoration: none; }
  svg.bar .before { fill: #888; } svg.bar .gain { fill: #000; }
  .scroll { overflow: visible; }
  table { font-size: 8.5pt; } th, td { padding: .15rem .25rem; }
  td.pct { white-space: normal; } svg.bar { min-width: 3rem; } th.lang { min-width: 6rem; }
  details > summary { display: none; }
  thead th { font-size: 8pt; } .ms { display: none; }
}
"""


def _lang_cell(info: LanguageInfo) -> str:
    """The language's name in itself (its ``lang`` and ``dir``), its English name and code under it."""
    return (f'<th scope="row" class="lang">{lang_text(info.autonym, info.bcp47, info.direction, cls="auto")}'
            f'<span class="en">{escape(info.name)} <span class="code">{escape(info.code)}</span></span></th>')


def _lang_inline(info: LanguageInfo) -> str:
    return f"{lang_text(info.autonym, info.bcp47, info.direction)} <span class=\"code\">({escape(info.code)})</span>"


def _badges(p: Progress) -> str:
    up = "".join(f'<span class="badge{" b100" if t == 100 else ""}">{t} %</span>' for t in p.crossed)
    down = "".join(f'<span class="badge drop">below {t} %</span>' for t in p.dropped)
    return up + down


def _card(value: str, what: str, key: str, cls: str = "") -> str:
    return (f'<div class="card {cls}"><span class="n" data-v="{escape(key)}">{value}</span>'
            f'<span class="what">{escape(what)}</span></div>')


def _summary_cards(report: EventReport) -> str:
    s = report.summary()
    crossed = sum(len(v) for v in s["crossed"].values())
    completed = len(s["crossed"]["100"])

    def n(count: int, one: str, many: str) -> str:
        return one if count == 1 else many

    cards = [
        _card(number(s["gained"], signed=True), n(s["gained"], "translation gained", "translations gained"), "gained",
              "gain"),
        _card(number(s["outdated_fixed"]), n(s["outdated_fixed"], "outdated translation fixed",
                                             "outdated translations fixed"), "outdated_fixed"),
        _card(number(s["translators"]), n(s["translators"], "translator", "translators"), "translators"),
        _card(number(s["active_languages"]), n(s["active_languages"], "language worked on", "languages worked on"),
              "active_languages"),
        _card(number(completed), n(completed, "language completed", "languages completed"), "crossed_100", "gold")
        if completed else _card(number(crossed), "milestones reached (50, 80, 100 %)", "milestones", "gold"),
        f'<div class="card share"><span class="n"><span class="nw"><span data-v="percent_before">'
        f'{s["percent_before"]:.1f}</span> %</span> → <span class="nw"><span data-v="percent">{s["percent"]:.1f}'
        '</span> %</span></span>'
        f'<span class="what">translated, {number(s["languages"])} languages together</span></div>',
    ]
    return '<div class="cards">' + "".join(cards) + "</div>"


def _milestones(report: EventReport) -> str:
    by_lang = {lang.lang: lang.info for lang in report.languages}
    items = []
    for t in reversed(THRESHOLDS):
        for code in report.crossed(t):
            info = by_lang[code]
            what = "completed: every name and description translated" if t == 100 else f"passed {t} %"
            items.append(f'<li><span class="badge{" b100" if t == 100 else ""}">{t} %</span> '
                         f'<strong>{lang_text(info.autonym, info.bcp47, info.direction)}</strong> '
                         f'<span class="en">{escape(info.name)} · {escape(what)}</span></li>')
    if not items:
        return ""
    return '<section><h2>Milestones</h2><ul class="milestones">' + "".join(items) + "</ul></section>"


def _languages_table(report: EventReport, zone: tzinfo | None) -> str:
    rows = []
    wikis = [s for s in ("metabase", "metawiki") if s in report.sides]
    for lang in report.languages:
        p = lang.headline
        info = lang.info
        label = f"{info.name}: {p.percent_before:.1f} % → {p.percent_after:.1f} % translated"
        gain_cls = "gain" if p.gained > 0 else "loss" if p.gained < 0 else ""
        per_wiki = "".join(
            f'<td class="n wide" data-lang="{escape(info.code)}" data-side="{side}" data-v="percent">'
            f'{lang.progress(side).percent_after:.1f} %</td>' for side in wikis)
        active = ' class="active"' if p.gained or p.fixed else ""
        rows.append(
            f'<tr data-lang="{escape(info.code)}"{active}>{_lang_cell(info)}'
            f'<td class="bar">{progress_bar(p.percent_before, p.percent_after, label)}</td>'
            f'<td class="n pct"><span data-v="percent_before">{p.percent_before:.1f}</span> → '
            f'<strong data-v="percent">{p.percent_after:.1f}</strong> %</td>'
            f'<td class="n {gain_cls}" data-v="gained">{number(p.gained, signed=True)}</td>'
            f'<td class="n wide" data-v="outdated_fixed">{number(p.fixed)}</td>'
            f'<td class="n wide" data-v="still_missing">{number(p.still_missing)}</td>'
            f'<td class="n wide" data-v="still_outdated">{number(p.still_outdated)}</td>'
            f'{per_wiki}<td class="wide ms">{_badges(p)}</td></tr>')
    head = "".join(f'<th scope="col" class="n wide">{escape(SIDE_NAMES[s])}</th>' for s in wikis)
    total = report.total()
    caption = (f"Translated share of the {number(total.total_after // max(len(report.languages), 1))} capacity names "
               "and descriptions with English, per language, on both wikis together (what the app shows); "
               "most gained first.")
    legend = ('<p class="legend muted">Bars: <span class="k-before"></span>translated at the start'
              '<span class="k-gain"></span>gained<span class="k-loss"></span>lost (English changed); '
              "white lines at 50 % and 80 %.</p>")
    return ('<section id="languages"><h2>Progress per language</h2>' + legend + '<div class="scroll"><table>'
            f"<caption>{escape(caption)}</caption><thead><tr><th scope=\"col\">language</th>"
            '<th scope="col">progress</th><th scope="col" class="n">translated</th><th scope="col" class="n">gained</th>'
            '<th scope="col" class="n wide">outdated fixed</th><th scope="col" class="n wide">still missing</th>'
            f'<th scope="col" class="n wide">still outdated</th>{head}<th scope="col" class="wide ms">milestones</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></section>")


def _translators_table(report: EventReport, infos: dict[str, LanguageInfo]) -> str:
    if not report.translators:
        return ('<section id="translators"><h2>Translators</h2><p class="muted">No translator\'s saves in the '
                "window (bots and our own account are not counted).</p></section>")
    rows = []
    for credit in report.translators:
        counts = credit.counts()
        langs = ", ".join(_lang_inline(infos.get(code) or LanguageInfo.of(code)) for code in credit.languages)
        where = ", ".join(CHANNEL_NAMES[c] for c in credit.channels)
        rows.append(f'<tr data-user="{escape(credit.user)}"><th scope="row">{user_name(credit.user)}</th>'
                    f'<td class="n" data-v="terms">{number(credit.terms)}</td>'
                    f'<td class="n" data-v="translated">{number(counts["translated"])}</td>'
                    f'<td class="n" data-v="fixed">{number(counts["fixed"])}</td>'
                    f'<td class="n wide" data-v="edited">{number(counts["edited"])}</td>'
                    f"<td class=\"wide\">{escape(where)}</td><td>{langs}</td></tr>")
    return ('<section id="translators"><h2>Translators</h2><div class="scroll"><table><caption>Distinct terms per '
            "translator: translated (new), outdated fixed, edited (a current translation changed); on Meta-Wiki, "
            "on Metabase or in a .po file.</caption><thead><tr><th scope=\"col\">translator</th>"
            '<th scope="col" class="n">terms</th><th scope="col" class="n">translated</th>'
            '<th scope="col" class="n">fixed</th><th scope="col" class="n wide">edited</th>'
            '<th scope="col" class="wide">where</th><th scope="col">languages</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></section>")


def _credits(report: EventReport, infos: dict[str, LanguageInfo]) -> str:
    credits = report.credits()
    if not credits:
        return ""
    items = "".join(f"<li>{_lang_inline(infos.get(code) or LanguageInfo.of(code))}: "
                    + ", ".join(user_name(n) for n in names) + "</li>" for code, names in credits.items())
    return f'<section id="credits"><h2>Thank you</h2><ul class="credits">{items}</ul></section>'


def _todo(report: EventReport) -> str:
    shown = [lang for lang in report.languages if lang.todo is not None and (lang.todo.missing or lang.todo.outdated)]
    if not shown:
        return ""
    shown.sort(key=lambda lang: (-lang.headline.percent_after, lang.lang))
    rows = []
    for lang in shown:
        todo = lang.todo
        assert todo is not None
        items = "".join(
            f'<li><span class="code">{escape(i.key.message_key)}</span> {lang_text(i.english, "en", "ltr")}'
            + (f" · {link(i.translate_url, 'translate')}" if i.translate_url else "") + "</li>" for i in todo.items)
        more = todo.missing + todo.outdated - len(todo.items)
        tail = f'<li class="muted">and {number(more)} more in Special:Translate</li>' if more > 0 else ""
        which = f"the first {len(todo.items)}" if more > 0 else "show them"
        listing = (f'<details><summary>{which}</summary><ul class="todo">{items}{tail}</ul>'
                   "</details>") if todo.items else ""
        rows.append(f'<tr data-lang="{escape(lang.lang)}">{_lang_cell(lang.info)}'
                    f'<td class="n" data-v="todo_missing">{number(todo.missing)}</td>'
                    f'<td class="n" data-v="todo_outdated">{number(todo.outdated)}</td>'
                    f"<td>{link(todo.translate_url, 'open in Special:Translate')}{listing}</td></tr>")
    return ('<section id="todo"><h2>Still to translate</h2><div class="scroll"><table><caption>What is left now, per '
            "language (the closest to done first), with the link that opens it in Meta-Wiki's Special:Translate."
            '</caption><thead><tr><th scope="col">language</th><th scope="col" class="n">missing</th>'
            '<th scope="col" class="n">outdated</th><th scope="col">translate</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></section>")


def _how(report: EventReport, zone: tzinfo | None, seconds: float | None) -> str:
    requests = sum(report.requests.values())
    per_wiki = ", ".join(f"{SIDE_NAMES.get(w, w)} {n}" for w, n in report.requests.items())
    history = ("No coverage history" if report.history_first is None else
               f"Coverage history from {clock(report.history_first, zone)} to {clock(report.history_last or 0, zone)}, "
               f"{report.snapshots_in_window} snapshot(s) in the window")
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
    cost = f" in {seconds:.2f} s" if seconds is not None else ""
    return ('<section id="how" class="notes"><h2>How these figures are made</h2><ul>'
            "<li>Translated: a capacity name or description with English that has a current (not outdated) "
            "translation; on Metabase, on Meta-Wiki, and both together (what the app's catalogs hold).</li>"
            "<li>Gained: translated at the end less at the start. Outdated fixed: outdated translations made current "
            "again (a new text, or a translator's confirmation). Milestones: 50, 80 and 100 % reached.</li>"
            "<li>Translators: their saves on Meta-Wiki's unit pages and Metabase's items in the window, and their "
            ".po files imported; bots and our own account are not counted.</li>"
            f"<li>{escape(history)}; the wikis' revisions read in {requests} request(s) ({escape(per_wiki or 'none')})"
            f"{escape(cost)}.</li>{notes}</ul></section>")


def report_page(report: EventReport, *, zone: tzinfo | None = None, generator: str = "capxl10n",
                seconds: float | None = None) -> str:
    """The whole page (see the module docstring); times shown in ``zone`` (default UTC)."""
    infos = {lang.lang: lang.info for lang in report.languages}
    title = report.event or "Translat-a-thon progress"
    subtitle = f"CapX capacity directory · {span(report.since, report.until, zone)}"
    made = (f'<p class="made">Figures as of {escape(clock(report.generated, zone))}; the same numbers in '
            '<a href="report.json">report.json</a> and <a href="report.csv">report.csv</a>.</p>'
            if report.generated is not None else "")
    body = [f'<header class="event"><div><h1>{escape(title)}</h1><p>{escape(subtitle)}</p>{made}</div></header>',
            "<main>", _summary_cards(report)]
    label = "Translated names and descriptions over the window, all languages together"
    chart = step_chart(report.series, label, zone=zone)
    if chart and len(report.series) > 1:
        narrow = step_chart(report.series, label, zone=zone, width=420, height=240, css="chart narrow")
        body.append('<section id="progress"><h2>Progress over time</h2>'
                    '<p class="muted">Translated capacity names and descriptions, all languages of the report, '
                    f"at each snapshot.</p>{chart}{narrow}</section>")
    body += [_milestones(report), _languages_table(report, zone), _translators_table(report, infos),
             _credits(report, infos), _todo(report), _how(report, zone, seconds), "</main>"]
    return document(f"{title}: translat-a-thon report", [b for b in body if b], style=STYLE, generator=generator)


def coverage_page(report: CoverageReport, *, generator: str = "capxl10n", when: str | None = None) -> str:
    """``capxl10n coverage --format html``: per language, the translated share on each side, with the
    report's page parts (bars, language names in themselves)."""
    by_lang: dict[str, dict[str, Progress]] = {}
    for row in report.rows:
        c = row.all
        by_lang.setdefault(row.lang, {})[row.side] = Progress(c.total, c.translated, c.fuzzy, c.total, c.translated,
                                                              c.fuzzy)
    order = sorted(by_lang, key=lambda lang: (-(by_lang[lang].get(HEADLINE) or next(iter(by_lang[lang].values())))
                                              .percent_after, lang))
    sides = list(report.sides)
    head = "".join(f'<th scope="col">{escape(SIDE_NAMES.get(s, s))}</th><th scope="col" class="n">%</th>'
                   for s in sides)
    rows = []
    for code in order:
        info = LanguageInfo.of(code)
        cells = []
        for side in sides:
            p = by_lang[code].get(side)
            if p is None:
                cells.append("<td></td><td></td>")
                continue
            label = f"{info.name} on {SIDE_NAMES.get(side, side)}: {p.percent_after:.1f} % translated"
            cells.append(f'<td class="bar">{progress_bar(0.0, p.percent_after, label)}</td>'
                         f'<td class="n" data-side="{escape(side)}" data-v="percent">{p.percent_after:.1f}</td>')
        first = by_lang[code].get(HEADLINE) or next(iter(by_lang[code].values()))
        rows.append(f'<tr data-lang="{escape(code)}">{_lang_cell(info)}{"".join(cells)}'
                    f'<td class="n wide" data-v="translated">{number(first.translated_after)}</td>'
                    f'<td class="n wide" data-v="still_outdated">{number(first.still_outdated)}</td>'
                    f'<td class="n wide" data-v="still_missing">{number(first.still_missing)}</td>'
                    f"<td>{_reached(first)}</td></tr>")
    if isinstance(report, SideCoverageReport):
        caption = (f"Translated share of the {number(report.messages)} capacity names and descriptions with English "
                   f"(names {number(report.label_messages)}, descriptions {number(report.description_messages)}); "
                   "Metabase has no outdated state.")
    else:
        caption = "Translated share of the capacity names and descriptions with English, per snapshot."
    subtitle = "CapX capacity directory" + (f" · {when}" if when else "")
    body = [f'<header class="event"><div><h1>Translation coverage</h1><p>{escape(subtitle)}</p></div></header>',
            "<main>", '<section id="languages"><h2>Coverage per language</h2><div class="scroll"><table>'
            f"<caption>{escape(caption)}</caption><thead><tr><th scope=\"col\">language</th>{head}"
            '<th scope="col" class="n wide">translated</th><th scope="col" class="n wide">outdated</th>'
            '<th scope="col" class="n wide">missing</th><th scope="col">reached</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></section>", "</main>"]
    return document("Translation coverage", body, style=STYLE, generator=generator)


def _reached(p: Progress) -> str:
    """The highest milestone reached."""
    done = [t for t in THRESHOLDS if p.reached(t)]
    return f'<span class="badge{" b100" if done[-1] == 100 else ""}">{done[-1]} %</span>' if done else ""


def credits_markdown(report: EventReport) -> str:
    """``capxl10n credits --format markdown``: translators per language, with what each did."""
    lines = [f"# Translator credits{f': {report.event}' if report.event else ''}", "",
             f"{clock(report.since)} – {clock(report.until)}", ""]
    infos = {lang.lang: lang.info for lang in report.languages}
    by_user = {c.user: c for c in report.translators}
    credits = report.credits()
    if not credits:
        lines.append("No translator's saves in the window (bots and our own account are not counted).")
    for code, names in credits.items():
        info = infos.get(code) or LanguageInfo.of(code)
        lines += [f"## {info.autonym} ({info.name}, {code})", ""]
        for name in names:
            counts = by_user[name].counts(code)
            done = ", ".join(f"{n} {KIND_NAMES[k]}" for k, n in counts.items() if n)
            lines.append(f"- {_md(name)} ({done})")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md(text: str) -> str:
    out = text
    for char in "\\`*_[]<>#|":
        out = out.replace(char, "\\" + char)
    return out


__all__: Sequence[str] = ["STYLE", "coverage_page", "credits_markdown", "report_page"]
