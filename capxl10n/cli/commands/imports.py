"""CLI command: ``import`` — translators' .po files back into the state, for ``plan`` and ``apply``.

Thin: for each file it calls :func:`capxl10n.engine.imports.import_file`,
renders what the file brought, and exits 0 (all recorded or nothing to do), 3
(translations left for a human: conflicts) or the refused file's error code.
Every file is checked whole on its own: one refused file leaves the others'
translations recorded.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from capxl10n.cli.main import Env, emit_json, format_option, pass_env
from capxl10n.errors import EXIT_CONFLICTS, EXIT_OK, CapxError

log = logging.getLogger(__name__)


@click.command("import")
@click.argument("po_files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--include-fuzzy", is_flag=True,
              help="Also take fuzzy entries (outdated text a translator left, Wikidata suggestions).")
@format_option("table", "json")
@pass_env
def import_command(env: Env, po_files: tuple[Path, ...], include_fuzzy: bool) -> None:
    """Record the translations of .po files (exports, catalogs, Translate's export, Poedit's saves).

    Nothing is written to a wiki: the next `capxl10n plan` shows them and
    `capxl10n apply` (or `sync`) writes them. Conflicts files from
    `capxl10n conflicts export` are recorded as decisions.
    """
    from capxl10n.engine.imports import import_file
    from capxl10n.engine.lock import locked
    from capxl10n.engine.state import open_state

    profile = env.profile()
    results: list[dict[str, Any]] = []
    exit_code = EXIT_OK
    with locked(profile.state, "import", create=False), open_state(profile.state, create=False) as state:
        for path in po_files:
            try:
                done = import_file(state, path, bundle_page=profile.metawiki.bundle_page,
                                   message_group=profile.metawiki.message_group, include_fuzzy=include_fuzzy)
            except CapxError as exc:
                if len(po_files) == 1:
                    raise
                results.append({"file": str(path), "error": exc.to_json()})
                env.echo(f"error: {exc}", err=True)
                exit_code = max(exit_code, exc.exit_code)
                continue
            results.append(done.to_json())
            if done.conflicts:
                exit_code = max(exit_code, EXIT_CONFLICTS)
            if env.output_format != "json":
                _show(env, done)
    if env.output_format == "json":
        emit_json(results if len(results) > 1 else results[0])
    click.get_current_context().exit(exit_code)


def _show(env: Env, done: Any) -> None:
    what = "decision(s)" if done.kind == "conflicts" else "translation(s)"
    parts = [f"{done.path}: {len(done.recorded)} {what} recorded ({done.lang})"]
    for count, label in ((done.unchanged, "unchanged"), (done.already, "already recorded"),
                         (done.skipped_empty, "empty"), (done.skipped_fuzzy, "fuzzy, skipped (--include-fuzzy)"),
                         (done.obsolete, "obsolete #~ entries ignored")):
        if count:
            parts.append(f"{count} {label}")
    env.echo(", ".join(parts))
    for conflict in done.conflicts:
        env.echo(f"  {done.path}:{conflict.line}: {conflict.key.message_key}: not recorded: {conflict.reason}")
    for warning in done.warnings:
        env.echo(f"  warning: {warning}")
    if done.recorded:
        env.echo("the next `capxl10n plan` shows them; `capxl10n apply` (or `sync`) writes them to both wikis")
