"""``capxl10n report``: what a translat-a-thon achieved, as a page to project and files with the same numbers.

Thin: parses the window, calls :func:`capxl10n.engine.report.build_report`, lays
the report out with :mod:`capxl10n.cli.report_page` and writes ``DIR/index.html``,
``DIR/report.json`` and ``DIR/report.csv`` (docs/reports.md). ``--watch MINUTES``
reads the wikis (an incremental pull, a history snapshot) and rebuilds the files
every MINUTES until the window ends or Ctrl-C.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import click

from capxl10n.cli.main import Env, emit_json, format_option, pass_env
from capxl10n.cli.options import known_language
from capxl10n.errors import UsageError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    return zone or timezone.utc


def parse_moment(text: str, option: str, *, end: bool = False, zone: tzinfo | None = None,
                 now: datetime | None = None) -> tuple[int, tzinfo]:
    """A time given on the command line → (seconds since the epoch, the zone it was given in).

    ``2025-12-06`` (the day's start; for ``--until`` its end), ``2025-12-06T14:00`` or ``2025-12-06 14:00``
    (in this computer's time zone), with a zone (``2025-12-06T14:00-03:00``, ``…Z``), or ``now``.

    >>> utc = timezone.utc
    >>> parse_moment("2025-12-06T14:00-03:00", "--since")[0] == int(datetime(2025, 12, 6, 17, tzinfo=utc).timestamp())
    True
    >>> parse_moment("2025-12-06", "--until", end=True, zone=utc)[0] - parse_moment("2025-12-06", "--since", zone=utc)[0]
    86399
    """
    zone = zone or local_zone()
    raw = text.strip()
    if raw.lower() == "now":
        moment = now or datetime.now(timezone.utc)
        return int(moment.timestamp()), zone
    try:
        if _DATE.match(raw):
            day = datetime.fromisoformat(raw).replace(tzinfo=zone)
            moment = day + timedelta(days=1, seconds=-1) if end else day
        else:
            moment = datetime.fromisoformat(raw.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date or time",
                         hint="use 2025-12-06, 2025-12-06T14:00 (this computer's time zone), 2025-12-06T14:00-03:00, "
                              "2025-12-06T17:00Z, or now") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp()), moment.tzinfo or zone


def window(since: str, until: str) -> tuple[int, int, tzinfo]:
    start, zone = parse_moment(since, "--since")
    end, _ = parse_moment(until, "--until", end=True, zone=zone)
    return start, end, zone


@click.command("report")
@click.option("--since", required=True, metavar="WHEN",
              help="The window's start: 2025-12-06, 2025-12-06T14:00 (local time) or with a zone (…-03:00, …Z).")
@click.option("--until", default="now", show_default=True, metavar="WHEN", help="The window's end (a date: its end).")
@click.option("--lang", "langs_", multiple=True, metavar="CODE", callback=known_language,
              help="Only these languages (repeatable; default: every language).")
@click.option("--event", default=None, metavar="NAME", help="The event's name, the page's title.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory for index.html, report.json and report.csv (created if missing).")
@click.option("--watch", type=click.FloatRange(min=0.1), default=None, metavar="MINUTES",
              help="Read the wikis and rebuild the report every MINUTES until the window ends (or Ctrl-C).")
@click.option("--todo", "todo_limit", type=click.IntRange(0), default=None, metavar="N",
              help="Messages listed per language under 'still to translate' (default: 50 for up to 3 languages, 10 "
                   "up to 12; more languages get their counts and Special:Translate links only).")
@format_option("table", "json")
@pass_env
def report_command(env: Env, since: str, until: str, langs_: tuple[str, ...], event: str | None, out_dir: Path,
                   watch: float | None, todo_limit: int | None) -> None:
    """What a translat-a-thon achieved in a window: per language and field the translations gained, outdated
    ones fixed, what is still missing and the 50/80/100 % milestones reached; per translator the terms
    translated or fixed, on which wiki, in which languages. Writes DIR/index.html (one page to project,
    print or send; no network needed), DIR/report.json and DIR/report.csv with the same numbers. Reads the
    state's coverage history and the wikis' revisions in the window (a few requests; the count is in the
    report)."""
    from capxl10n.cli.commands.coverage import check_languages
    from capxl10n.engine.report import check_window, now_seconds

    check_languages(langs_)
    start, end, zone = window(since, until)
    check_window(start, end, now_seconds())
    profile = env.profile()
    if watch is None:
        _once(env, profile, start, end, zone, langs_, event, out_dir, todo_limit)
        return
    rounds = 0
    try:
        while True:
            rounds += 1
            from capxl10n.engine.lock import StateBusy, locked
            from capxl10n.engine.report import record_now
            try:
                with locked(profile.state, "report --watch"):  # its pull writes the state: one writer at a time
                    read = record_now(profile)
                env.echo(f"read the wikis ({sum(read['requests'].values())} requests); snapshot {read['taken']}",
                         err=True)
            except StateBusy as busy:  # a sync reads and records the wikis itself: report from what it leaves
                env.echo(f"not read this round: {busy.message}", err=True)
            _once(env, profile, start, end, zone, langs_, event, out_dir, todo_limit)
            if now_seconds() >= end:
                env.echo("the window has ended: the report is final", err=True)
                return
            time.sleep(watch * 60)
    except KeyboardInterrupt:
        env.echo(f"\nstopped after {rounds} round(s); the last report is in {out_dir}", err=True)


def _once(env: Env, profile: Any, start: int, end: int, zone: tzinfo, langs_: tuple[str, ...], event: str | None,
          out_dir: Path, todo_limit: int | None) -> None:
    from capxl10n import __version__
    from capxl10n.cli.report_page import report_page
    from capxl10n.engine.report import build_report, write_report

    built = build_report(profile, start, end, languages=langs_ or None, event=event, todo_limit=todo_limit)
    page = report_page(built.report, zone=zone, generator=f"capxl10n {__version__}", seconds=built.seconds)
    written = write_report(built, out_dir, page)
    summary = built.report.summary()
    for note in built.report.notes:
        env.echo(f"note: {note}", err=True)
    if env.output_format == "json":
        emit_json({"written": [str(p) for p in written], "summary": summary, "notes": list(built.report.notes),
                   "requests": built.requests, "seconds": round(built.seconds, 2)})
        return
    env.echo(f"{written[-1]}: {summary['languages']} languages ({summary['active_languages']} worked on), "
             f"{summary['translators']} translators, {summary['gained']:+d} translated, "
             f"{summary['outdated_fixed']} outdated fixed; {sum(built.requests.values())} requests, "
             f"{built.seconds:.1f} s")
