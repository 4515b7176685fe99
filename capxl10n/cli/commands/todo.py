"""``capxl10n todo``: what is missing and outdated in one language, for translators (docs/translators.md).

Thin: picks the directory like ``capxl10n catalogs`` and ``coverage`` do
(``--snapshot``, ``--sample``, the sync state, the catalogs' ``directory.json``),
calls :func:`capxl10n.core.todo.todo`, renders the report (table, JSON, CSV,
Markdown with :mod:`capxl10n.cli.render`; a printable page with
:mod:`capxl10n.cli.html`) to stdout or, whole or not at all, to ``-o FILE``.
No wiki is read.
"""
from __future__ import annotations

from pathlib import Path

import click

from capxl10n.catalogs.build import CatalogOptions
from capxl10n.catalogs.translator import links_for, write_atomically
from capxl10n.cli.commands.catalogs import catalog_source, optional_profile, source_options
from capxl10n.cli.commands.coverage import check_languages
from capxl10n.cli.html import todo_page
from capxl10n.cli.main import FORMATS, Env, format_option, pass_env
from capxl10n.cli.render import render
from capxl10n.core.todo import todo as todo_report


@click.command("todo")
@click.option("--lang", "lang", required=True, metavar="CODE",
              help="The language to list (a MediaWiki code: pt-br, sh-latn…).")
@click.option("--snapshot", "snapshot_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Snapshot JSON file instead of the sync state.")
@source_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the list to this file (written whole or not at all) instead of stdout.")
@format_option(*FORMATS, "html")
@pass_env
def todo(env: Env, lang: str, snapshot_path: Path | None, sample: bool, seed: int, capacities: int,
         languages: int, output: Path | None) -> None:
    """What is missing and what is outdated in one language, term by term.

    Per message (a capacity's name or description) with English: its key,
    field and status (missing / outdated), the English, the documentation,
    the outdated text and the English it was made from when known, the
    capacity's path in the tree, and links to the message in Meta-Wiki's
    Special:Translate and to the Metabase item; counted per field and per
    branch (top-level capacity), in the tree's order. --format html makes a
    self-contained page to print or hand out at an event. The directory is
    the sync state's (everything both wikis know), or --snapshot FILE, or
    --sample.
    """
    check_languages((lang,))
    profile = optional_profile(env)
    source = catalog_source(env, snapshot_path, sample, seed=seed, capacities=capacities, languages=languages)
    options = source.recorded or (CatalogOptions.from_profile(profile) if profile is not None else CatalogOptions())
    report = todo_report(source.snapshot, lang, links_for(profile, options.po_options()))
    if env.output_format == "html":
        text = todo_page(report, generator=CatalogOptions().generator, origin=source.origin)
    else:
        text = render(report, env.output_format) + "\n"
    if output is None:
        env.echo(text.rstrip("\n"))
    else:
        write_atomically(output, text.encode("utf-8"))
        env.echo(f"wrote {output}", err=True)
    env.echo(f"todo: {report.summary()} (from {source.origin})", err=True)
