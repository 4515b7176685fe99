"""``capxl10n credits``: the translators of a window per language (Weblate's "translator credits").

Thin: the same reading as ``capxl10n report`` (the wikis' revisions in the
window, the ``.po`` imports the state recorded; bots and our own account left
out), laid out as Markdown to paste into an event page or as JSON.
"""
from __future__ import annotations

import json

import click

from capxl10n.cli.main import Env, format_option, pass_env
from capxl10n.cli.options import known_language


@click.command("credits")
@click.option("--since", required=True, metavar="WHEN",
              help="The window's start: 2025-12-06, 2025-12-06T14:00 (local time) or with a zone (…-03:00, …Z).")
@click.option("--until", default="now", show_default=True, metavar="WHEN", help="The window's end (a date: its end).")
@click.option("--lang", "langs_", multiple=True, metavar="CODE", callback=known_language,
              help="Only these languages (repeatable).")
@click.option("--event", default=None, metavar="NAME", help="The event's name, for the heading.")
@format_option("markdown", "json")
@pass_env
def credits_command(env: Env, since: str, until: str, langs_: tuple[str, ...], event: str | None) -> None:
    """Who translated into each language in a window, with the terms each translated, fixed or edited;
    bots and our own account left out. Markdown (the default) or JSON."""
    from capxl10n.cli.commands.coverage import check_languages
    from capxl10n.cli.commands.report import window
    from capxl10n.cli.report_page import credits_markdown
    from capxl10n.engine.report import build_report, check_window, now_seconds

    check_languages(langs_)
    start, end, _zone = window(since, until)
    check_window(start, end, now_seconds())
    built = build_report(env.profile(), start, end, languages=langs_ or None, event=event, todo_limit=0)
    report = built.report
    for note in report.notes:
        env.echo(f"note: {note}", err=True)
    if env.output_format == "json":
        data = report.to_json()
        click.echo(json.dumps({"event": event, "since": data["since"], "until": data["until"],
                               "credits": data["credits"], "translators": data["translators"],
                               "requests": built.requests}, ensure_ascii=False, indent=2))
    else:
        click.echo(credits_markdown(report), nl=False)
