"""CLI command: ``capxl10n runs`` — the run history from the state (docs/sync.md, "Run history")."""
from __future__ import annotations

from pathlib import Path

import click

from capxl10n.cli.main import Env, emit_json, format_option, pass_env


@click.command("runs")
@click.option("--since", default=None, metavar="WHEN",
              help="Only runs started since: 30m, 12h, 7d, 2w ago, or a UTC date/time (2025-06-01T10:00).")
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True, help="At most this many (0: all).")
@format_option()
@pass_env
def runs_command(env: Env, since: str | None, limit: int) -> None:
    """Past plan, apply and sync runs, newest first: command, start, duration, exit code, what each wrote
    per wiki, conflicts left, errors; a killed run shows as interrupted with how far it got."""
    from capxl10n.cli.render import render
    from capxl10n.engine.runs import history, parse_since
    from capxl10n.engine.state import open_state

    stamp = parse_since(since) if since else None
    profile = env.profile()
    if not Path(profile.state).exists():
        if env.output_format == "json":
            emit_json([])
        else:
            env.echo(f"no runs: no sync state at {profile.state} yet")
        return
    with open_state(profile.state, create=False) as state:
        report = history(state, since=stamp, limit=limit or None)
    if env.output_format == "json":
        emit_json(report.to_json())
    elif not report.runs:
        env.echo("no runs" + (f" since {stamp}" if stamp else ""))
    else:
        click.echo(render(report, env.output_format))
