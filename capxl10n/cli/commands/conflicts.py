"""CLI commands: the ``conflicts`` inbox (list, resolve, export and import as .po).

Thin: each parses options, calls one function of :mod:`capxl10n.engine.conflicts`,
renders the outcome, and exits with its code (errors are mapped to 1/2 by the CLI group).
"""
from __future__ import annotations

from pathlib import Path

import click

from capxl10n.cli.main import Env, emit_json, format_option, pass_env
from capxl10n.cli.options import known_language


@click.group("conflicts", invoke_without_command=True)
@click.option("--lang", default=None, callback=known_language, help="Only this language (MediaWiki code).")
@format_option()
@pass_env
@click.pass_context
def conflicts_group(ctx: click.Context, env: Env, lang: str | None) -> None:
    """The conflict inbox: list (default), export/import as .po, resolve.

    Listing exits 3 while undecided conflicts remain, else 0.
    """
    if ctx.invoked_subcommand is not None:
        return
    from capxl10n.engine.conflicts import ConflictRows
    from capxl10n.cli.render import render
    from capxl10n.engine.state import open_state

    profile = env.profile()
    with open_state(profile.state) as state:
        rows = ConflictRows(tuple(state.conflicts(lang)), profile.metawiki.bundle_page)
    if env.output_format == "json":
        emit_json(rows.to_json())
    elif not rows.conflicts:
        env.echo("no conflicts")
    else:
        click.echo(render(rows, env.output_format))
    ctx.exit(3 if any(c.decision is None for c in rows.conflicts) else 0)


@conflicts_group.command("resolve")
@click.argument("key")
@click.option("--lang", required=True, callback=known_language, help="Language of the conflict (MediaWiki code).")
@click.option("--take", type=click.Choice(["metabase", "metawiki"]), default=None, help="Keep this side's value.")
@click.option("--text", default=None, help="The final text to write on both sides.")
@pass_env
def conflicts_resolve(env: Env, key: str, lang: str, take: str | None, text: str | None) -> None:
    """Decide one conflict; the next `sync` writes the decision to both sides."""
    from capxl10n.engine.conflicts import parse_key, resolve
    from capxl10n.engine.state import open_state

    profile = env.profile()
    term_key = parse_key(key, lang, profile.metawiki.bundle_page)
    with open_state(profile.state, create=False) as state:
        decision = resolve(state, term_key, take=take, text=text)
    shown = "(delete on both sides)" if decision.text is None else repr(decision.text)
    env.echo(f"{term_key.message_key}/{lang}: {shown} — applied by the next `capxl10n sync`")


@conflicts_group.command("export")
@click.option("--lang", required=True, callback=known_language, help="Language to export (MediaWiki code).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@pass_env
def conflicts_export(env: Env, lang: str, output: Path) -> None:
    """Write the language's open conflicts as a .po (alternatives in translator comments)."""
    from capxl10n.engine.conflicts import english_sources, export_po
    from capxl10n.engine.state import open_state

    profile = env.profile()
    with open_state(profile.state, create=False) as state:
        count = export_po(state.conflicts(lang), lang, output, bundle_page=profile.metawiki.bundle_page,
                          message_group=profile.metawiki.message_group, english=english_sources(state))
    env.echo(f"{count} conflict(s) written to {output}", err=True)


@conflicts_group.command("import")
@click.argument("po_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@format_option("table", "json")
@pass_env
def conflicts_import(env: Env, po_file: Path) -> None:
    """Record the decisions of an edited conflicts .po (non-empty, non-fuzzy msgstr)."""
    from capxl10n.engine.conflicts import import_po
    from capxl10n.engine.state import open_state

    profile = env.profile()
    with open_state(profile.state, create=False) as state:
        result = import_po(state, po_file, bundle_page=profile.metawiki.bundle_page,
                           message_group=profile.metawiki.message_group)
    if env.output_format == "json":
        emit_json(result.to_json())
    else:
        env.echo(f"{len(result.decided)} decision(s) recorded, {result.skipped_empty} left undecided"
                 + (f", {len(result.already)} already recorded" if result.already else "")
                 + "; the next `capxl10n sync` applies them")
