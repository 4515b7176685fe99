"""``capxl10n export``: one language's ``.po`` for translating offline in Poedit (docs/translators.md).

Thin: picks the directory like ``capxl10n catalogs`` and ``coverage`` do
(``--snapshot``, ``--sample``, the sync state, the catalogs' ``directory.json``)
and the Wikidata read for suggestions (the sync state's, after ``capxl10n pull``;
or ``--wikidata FILE``), calls :func:`capxl10n.catalogs.translator.export_po`,
writes the file whole or not at all (or to stdout with ``-o -``), records in the
sync state what the file showed (when the directory came from it: the importer
looks it up by the file's ``X-Capxl10n-Export``) and renders a summary. No wiki
is read or written.
"""
from __future__ import annotations

import sys

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from capxl10n.catalogs.build import CatalogOptions, read_snapshot
from capxl10n.catalogs.translator import ONLY, export_po, links_for, write_atomically
from capxl10n.cli.commands.catalogs import catalog_source, optional_profile, source_options
from capxl10n.cli.commands.coverage import check_languages
from capxl10n.cli.main import Env, format_option, pass_env
from capxl10n.cli.render import render
from capxl10n.core.model import Snapshot
from capxl10n.errors import DataError, UsageError

if TYPE_CHECKING:
    from capxl10n.profile import Profile


def wikidata_read(env: Env, profile: Profile | None, explicit: Path | None, from_state: bool) -> Snapshot | None:
    """The Wikidata read to take suggestions from: ``--wikidata FILE``, else the sync state's (when the
    directory comes from the state), else none (with a note saying how to get one)."""
    if explicit is not None:
        snapshot = read_snapshot(explicit)
        if snapshot.side != "wikidata":
            raise DataError(f"{explicit}: a {snapshot.side!r} snapshot, not a Wikidata read",
                            hint="give the snapshot of a Wikidata read (side \"wikidata\"), or leave out --wikidata")
        return snapshot
    if not from_state or profile is None:
        return None
    from capxl10n.engine.state import open_state

    with open_state(profile.state, create=False) as state:
        cached = state.load_side("wikidata")
    if cached is None:
        env.echo("note: no Wikidata read in the sync state, so no suggestions; run `capxl10n pull` to read it",
                 err=True)
        return None
    return cached[0]


@click.command("export")
@click.option("--lang", "lang", required=True, metavar="CODE",
              help="The language to export (a MediaWiki code: pt-br, sh-latn…).")
@click.option("--only", type=click.Choice(tuple(ONLY)), default="todo", show_default=True,
              help="todo: missing and outdated; missing; outdated; all: the translated ones too (to review).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="The .po file to write (written whole or not at all); - for stdout.")
@click.option("--snapshot", "snapshot_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Snapshot JSON file instead of the sync state.")
@source_options
@click.option("--wikidata", "wikidata_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A Wikidata read (snapshot JSON) to suggest from, instead of the sync state's.")
@click.option("--suggestions/--no-suggestions", default=True, show_default=True,
              help="Offer Wikidata's labels and descriptions as fuzzy entries for missing terms.")
@format_option()
@pass_env
def export(env: Env, lang: str, only: str, output: Path, snapshot_path: Path | None, sample: bool, seed: int,
           capacities: int, languages: int, wikidata_path: Path | None, suggestions: bool) -> None:
    """Write one language's .po for translating offline (Poedit), with what a translator needs.

    The catalog format (msgctxt = Translate's key, msgid = English,
    Translate-compatible headers incl. X-Language-Code and X-Message-Group,
    plus X-Capxl10n-Export, the export's id for `capxl10n import`). Each entry's
    #. comments hold the documentation, the capacity's English name,
    description and path in the tree, and its Special:Translate and Metabase
    links. Outdated texts come fuzzy, with #| msgid the English they were made
    from when known. A missing term whose Wikidata concept has a label or
    description in the language or its fallback chain gets it as a fuzzy
    suggestion, with a comment saying so: nothing of Wikidata's is used
    unless a translator accepts it. The directory is the sync state's, or
    --snapshot FILE, or --sample; suggestions come from the state's Wikidata
    read (`capxl10n pull`) or --wikidata FILE.
    """
    check_languages((lang,))
    if wikidata_path is not None and not suggestions:
        raise UsageError("--wikidata gives suggestions, --no-suggestions refuses them: give one of the two")
    profile = optional_profile(env)
    source = catalog_source(env, snapshot_path, sample, seed=seed, capacities=capacities, languages=languages)
    current = CatalogOptions().generator
    options = (replace(source.recorded, generator=current) if source.recorded is not None
               else CatalogOptions.from_profile(profile) if profile is not None else CatalogOptions())
    from_state = snapshot_path is None and not sample and source.recorded is None
    wikidata = wikidata_read(env, profile, wikidata_path, from_state) if suggestions else None
    po_options = options.po_options()
    made = export_po(source.snapshot, lang, options=po_options, links=links_for(profile, po_options),
                     wikidata=wikidata, only=only)
    if str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(made.data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(output, made.data)
    if from_state and profile is not None:  # what the file showed, for `capxl10n import` (docs/translators.md)
        from capxl10n.engine.state import open_state

        with open_state(profile.state, create=False) as state:
            state.record_export(made.export_id, lang, made.shown())
    if str(output) != "-":
        env.echo(render(made, env.output_format))
    env.echo(f"export: {made.summary()} to {output} (from {source.origin}; {made.export_id})", err=True)
