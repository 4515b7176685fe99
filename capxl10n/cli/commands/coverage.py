"""``capxl10n coverage``: translation coverage per language, on Metabase, on Meta-Wiki and in the catalogs.

Thin: reads the sides (the sync state's read cache and the catalogs'
directory, or snapshot files, or the sample; from the state, the report the last sync or pull kept while
the state still holds what it was counted from), calls
:func:`capxl10n.core.coverage.coverage_by_side` or :func:`~capxl10n.core.coverage.coverage`,
renders the report (table, JSON, CSV or Markdown) with :mod:`capxl10n.cli.render`.
No wiki is read: the sides are as the last ``pull`` or ``sync`` left them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from capxl10n.cli.main import Env, format_option, pass_env
from capxl10n.cli.commands.catalogs import directory_source, read_snapshot, source_options
from capxl10n.core.coverage import NOT_TRANSLATIONS, SIDES, coverage_by_side
from capxl10n.core.coverage import coverage as compute_coverage
from capxl10n.errors import UnknownLanguage, UsageError
from capxl10n.core.model import Snapshot
from capxl10n.cli.render import render

_WIKI_NAMES = {"metabase": "Metabase", "metawiki": "Meta-Wiki"}


def check_languages(codes: tuple[str, ...]) -> None:
    """Refuse, before anything is read, a ``--lang`` that names no language or one that is never counted."""
    from capxl10n.core import langs

    for code in codes:
        if code in NOT_TRANSLATIONS:
            raise UsageError(f"--lang {code}: {code!r} is not a translation language",
                             hint="en is the source, qqq the documentation, mul no language; they are never counted")
        try:
            langs.get(code)
        except UnknownLanguage as exc:
            raise UsageError(f"--lang: {exc.message}", hint=exc.hint, code=code) from None


def state_sides(env: Env, wanted: tuple[str, ...], explicit: bool) -> dict[str, Snapshot]:
    """The sides from the sync state: each wiki's cached read, and the directory the catalogs are built from.

    A wiki never read into this state is an error when asked for by
    ``--side``; by default it is left out with a note, so the other sides
    still show.
    """
    from capxl10n.engine.state import open_state

    profile = env.profile()
    if not Path(profile.state).exists():
        raise UsageError(f"no snapshot given and no sync state at {profile.state}",
                         hint="give --snapshot FILE or --sample, or run `capxl10n sync` first")
    out: dict[str, Snapshot] = {}
    wikis = [side for side in wanted if side in _WIKI_NAMES]
    if wikis:
        with open_state(profile.state, create=False) as state:
            for side in wikis:
                cached = state.load_side(side)
                if cached is not None:
                    out[side] = cached[0]
                    continue
                message = f"no read of {_WIKI_NAMES[side]} in the sync state {profile.state}"
                hint = "run `capxl10n pull` (or `capxl10n sync`) to read it"
                if explicit:
                    raise UsageError(message, hint=hint)
                env.echo(f"note: {message}: its rows are left out; {hint}", err=True)
    if "catalogs" in wanted:
        out["catalogs"] = directory_source(env)
    return out


def kept_report(env: Env, languages: tuple[str, ...] | None) -> Any:
    """The three sides' report the last sync or pull kept in the state (``engine/history.kept_coverage``),
    while the state holds what it was counted from: nothing is decoded or counted. None otherwise."""
    from capxl10n.engine.history import kept_coverage
    from capxl10n.engine.state import open_state

    profile = env.profile()
    if not Path(profile.state).exists():
        return None
    with open_state(profile.state, create=False) as state:
        return kept_coverage(state, languages)


@click.command("coverage")
@click.option("--side", "sides", type=click.Choice(SIDES), multiple=True,
              help="Count only this side of the sync state (repeatable; default: all three).")
@click.option("--snapshot", "snapshot_paths", type=click.Path(path_type=Path, dir_okay=False), multiple=True,
              help="Snapshot JSON file instead of the sync state (repeat for several sides).")
@source_options
@click.option("--lang", "langs_", multiple=True, metavar="CODE", help="Only these languages (repeatable).")
@format_option("table", "json", "csv", "markdown", "html")
@pass_env
def coverage(env: Env, sides: tuple[str, ...], snapshot_paths: tuple[Path, ...], sample: bool, seed: int,
             capacities: int, languages: int, langs_: tuple[str, ...]) -> None:
    """Translated, outdated (fuzzy) and missing names and descriptions per language.

    By default from the sync state, per side: on Metabase and on Meta-Wiki
    (as the last pull or sync read them) and in the catalogs (the directory
    they are built from), every side counted against the same messages (those
    with English). The catalogs' counts equal what `msgfmt --statistics` and
    `pocount` report for the .po files. With --snapshot or --sample, each
    snapshot is counted on its own. English and qqq are never counted.
    --format html prints a self-contained page (bars per side, languages named in themselves).
    """
    if snapshot_paths and sample:
        raise UsageError("give either --snapshot or --sample, not both")
    if sides and (snapshot_paths or sample):
        raise UsageError("--side chooses sides of the sync state; it cannot be combined with "
                         f"--{'snapshot' if snapshot_paths else 'sample'}",
                         hint="leave out --side, or leave out --snapshot/--sample to read the sync state")
    check_languages(langs_)
    report: Any
    if snapshot_paths:
        report = compute_coverage([read_snapshot(p) for p in snapshot_paths], langs_ or None)
    elif sample:
        report = compute_coverage(directory_source(env, None, True, seed=seed, capacities=capacities,
                                                   languages=languages), langs_ or None)
    else:
        report = None if sides else kept_report(env, langs_ or None)
        if report is None:
            report = coverage_by_side(state_sides(env, tuple(dict.fromkeys(sides)) or SIDES, bool(sides)),
                                      langs_ or None)
    if env.output_format == "html":  # the report's page parts (docs/reports.md)
        from capxl10n import __version__
        from capxl10n.cli.report_page import coverage_page
        click.echo(coverage_page(report, generator=f"capxl10n {__version__}"), nl=False)
        return
    env.echo(render(report, env.output_format))
