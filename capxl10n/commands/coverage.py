"""``capxl10n coverage``: translation coverage per language (and per side with several snapshots).

Thin: reads the snapshots, calls :func:`capxl10n.coverage.coverage`, renders
the report (table, JSON, CSV or Markdown) with :mod:`capxl10n.render`.
"""
from __future__ import annotations

from pathlib import Path

import click

from capxl10n.cli import Env, format_option, pass_env
from capxl10n.commands.catalogs import directory_source, read_snapshot, source_options
from capxl10n.coverage import coverage as compute_coverage
from capxl10n.errors import UsageError
from capxl10n.render import render


@click.command("coverage")
@click.option("--snapshot", "snapshot_paths", type=click.Path(path_type=Path, dir_okay=False), multiple=True,
              help="Snapshot JSON file (repeat for several sides, e.g. metabase and metawiki).")
@source_options
@click.option("--lang", "langs_", multiple=True, metavar="CODE", help="Only these languages (repeatable).")
@format_option()
@pass_env
def coverage(env: Env, snapshot_paths: tuple[Path, ...], sample: bool, seed: int, capacities: int,
             languages: int, langs_: tuple[str, ...]) -> None:
    """Translated, fuzzy and missing names and descriptions per language.

    Counts equal what `msgfmt --statistics` and `pocount` report for the
    catalogs built from the same snapshot. English and qqq are never counted.
    """
    if snapshot_paths and sample:
        raise UsageError("give either --snapshot or --sample, not both")
    if snapshot_paths:
        snapshots = [read_snapshot(p) for p in snapshot_paths]
    else:
        snapshots = [directory_source(env, None, sample, seed=seed, capacities=capacities, languages=languages)]
    if langs_:
        from capxl10n import langs

        for code in langs_:
            langs.get(code)  # UnknownLanguage (exit 2) names the code and the closest ones
    report = compute_coverage(snapshots, langs_ or None)
    env.echo(render(report, env.output_format))


COMMANDS: list[click.Command] = [coverage]
