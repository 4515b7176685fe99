"""``capxl10n check``: the translation checks over the whole directory (docs/checks.md).

Thin: picks the directory like ``capxl10n catalogs`` does (``--snapshot``,
``--sample``, the sync state, the catalogs' ``directory.json``), calls
:func:`capxl10n.core.checks.check_report`, renders the findings with
:mod:`capxl10n.cli.render` and exits 1 when any is an error. No wiki is read.
"""
from __future__ import annotations

from pathlib import Path

import click

from capxl10n.cli.commands.catalogs import catalog_source, lang_option, source_options
from capxl10n.cli.main import Env, format_option, pass_env
from capxl10n.cli.render import render
from capxl10n.core.checks import check_report
from capxl10n.core.findings import SEVERITIES, Severity
from capxl10n.core.model import DOC_LANGUAGE
from capxl10n.errors import EXIT_ERROR, EXIT_OK, UsageError


@click.command("check")
@click.option("--snapshot", "snapshot_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Snapshot JSON file to check instead of the sync state.")
@source_options
@lang_option("Only these languages' findings (repeatable); the rest of the directory is still their context.")
@click.option("--severity", type=click.Choice(SEVERITIES), default="warning", show_default=True,
              help="The least severe findings to show: warning shows all, error only the errors.")
@format_option()
@pass_env
@click.pass_context
def check(ctx: click.Context, env: Env, snapshot_path: Path | None, sample: bool, seed: int, capacities: int,
          languages: int, langs_: tuple[str, ...], severity: Severity) -> None:
    """Check every name and description for text a wiki or the app would alter or refuse.

    Errors (exit 1) are what every write refuses: over-long text, a label
    equal to its description or a pair another capacity has, control and
    bidi characters, text NFC changes, !!FUZZY!!, ~~~~ and what else
    MediaWiki's pre-save transform changes, banana syntax ({{, $1, [[).
    Warnings (exit 0 when there is no error) are reported only: outer or
    double spaces, a copy of the English, markup, a label's full stop, an
    odd first letter's case. Each finding names the key, the language, the
    rule and how to fix it (docs/checks.md). The directory is the sync
    state's (everything both wikis know), or --snapshot FILE, or --sample;
    qqq (documentation) is not checked.

    Exit status: 0 no error found, 1 errors found (or the directory cannot
    be read), 2 usage (an unknown --lang).
    """
    for code in langs_:
        if code == DOC_LANGUAGE:
            raise UsageError(f"--lang {code}: {code!r} is the documentation, which is not checked",
                             hint="qqq is free wikitext for translators; check a translation language or en")
    source = catalog_source(env, snapshot_path, sample, seed=seed, capacities=capacities, languages=languages)
    report = check_report(source.snapshot, langs=tuple(dict.fromkeys(langs_)) or None, severity=severity)
    env.echo(render(report, env.output_format))
    env.echo(f"check: {report.summary()} from {source.origin}", err=True)
    ctx.exit(EXIT_ERROR if report.errors else EXIT_OK)
