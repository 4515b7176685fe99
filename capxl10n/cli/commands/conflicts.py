"""CLI commands: the ``conflicts`` inbox (list, resolve, export and import as .po).

Thin: each parses options, calls one function of :mod:`capxl10n.engine.conflicts`,
renders the outcome, and exits with its code (errors are mapped to 1/2 by the CLI group).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from capxl10n.cli.main import Env, emit_json, format_option, pass_env
from capxl10n.cli.options import known_language
from capxl10n.engine.lock import locked
from capxl10n.core.reasons import KINDS
from capxl10n.errors import UsageError


REASONS = click.Choice(tuple(KINDS))


@click.group("conflicts", invoke_without_command=True)
@click.option("--lang", default=None, callback=known_language, help="Only this language (MediaWiki code).")
@click.option("--reason", "kinds", multiple=True, type=REASONS,
              help="Only conflicts of this kind (repeatable): " + ", ".join(KINDS) + ".")
@format_option()
@pass_env
@click.pass_context
def conflicts_group(ctx: click.Context, env: Env, lang: str | None, kinds: tuple[str, ...]) -> None:
    """The conflict inbox: list (default), export/import as .po, resolve (one, or many at once).

    Each side shows its value, who wrote it and when (Metabase: the item's last edit).
    Listing exits 3 while undecided conflicts remain, else 0.
    """
    if ctx.invoked_subcommand is not None:
        return
    from capxl10n.cli.render import render
    from capxl10n.core.reasons import by_language_and_kind, kind, render_counts
    from capxl10n.engine.conflicts import ConflictRows
    from capxl10n.engine.state import open_state

    profile = env.profile()
    if not Path(profile.state).exists():
        if env.output_format == "json":
            emit_json([])
        else:
            env.echo(f"no conflicts: no sync state at {profile.state} yet (`capxl10n sync` makes one)")
        ctx.exit(0)
    with open_state(profile.state, create=False) as state:
        entries = tuple(c for c in state.conflicts(lang) if not kinds or kind(c) in kinds)
    rows = ConflictRows(entries, profile.metawiki.bundle_page)
    undecided = [c for c in entries if c.decision is None]
    if env.output_format == "json":
        emit_json(rows.to_json())
    elif not entries:
        env.echo("no conflicts" + (" matching" if lang or kinds else ""))
    else:
        click.echo(render(rows, env.output_format))
        if env.output_format == "table":
            env.echo(f"{len(entries)} conflict(s), {len(undecided)} undecided", err=True)
            if len(undecided) > 1:
                for line in render_counts(by_language_and_kind(undecided)):
                    env.echo(line, err=True)
                env.echo("decide many at once: `capxl10n conflicts resolve --lang L [--reason K] --take "
                         "metabase|metawiki` (or --all)", err=True)
    ctx.exit(3 if undecided else 0)


@conflicts_group.command("resolve")
@click.argument("key", required=False)
@click.option("--lang", "langs_", multiple=True, callback=known_language,
              help="Language (MediaWiki code): the conflict's, with KEY; else decide this language's (repeatable).")
@click.option("--reason", "kinds", multiple=True, type=REASONS, help="Decide conflicts of this kind (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Decide every undecided conflict.")
@click.option("--take", type=click.Choice(["metabase", "metawiki"]), default=None, help="Keep this side's value.")
@click.option("--text", default=None, help="The final text to write on both sides (one conflict: give KEY).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deciding more than one conflict.")
@format_option("table", "json")
@pass_env
@click.pass_context
def conflicts_resolve(ctx: click.Context, env: Env, key: str | None, langs_: tuple[str, ...],
                      kinds: tuple[str, ...], everything: bool, take: str | None, text: str | None,
                      yes: bool) -> None:
    """Decide a conflict, or many at once; the next `sync` writes the decisions to both sides.

    \b
    One:   capxl10n conflicts resolve Q7397-label --lang pt-br --take metawiki
           capxl10n conflicts resolve Q7397-label --lang pt-br --text "Organizar editatonas"
    Many:  capxl10n conflicts resolve --lang de --lang fr --take metabase
           capxl10n conflicts resolve --reason first-contact --take metawiki
           capxl10n conflicts resolve --all --take metabase --yes

    Many conflicts are previewed, and decided only once you confirm (or with --yes).
    """
    from capxl10n.engine.state import open_state

    profile = env.profile()
    if key is not None:
        if kinds or everything:
            raise UsageError("give either a KEY or --reason/--all, not both",
                             hint="a KEY decides one conflict; --lang/--reason/--all select many")
        if len(langs_) != 1:
            raise UsageError("--lang: give the conflict's language once (with a KEY)",
                             hint="e.g. `capxl10n conflicts resolve Q7397-label --lang pt-br --take metawiki`")
        from capxl10n.engine.conflicts import parse_key, resolve

        term_key = parse_key(key, langs_[0], profile.metawiki.bundle_page)
        with locked(profile.state, "conflicts resolve", create=False), \
                open_state(profile.state, create=False) as state:
            decision = resolve(state, term_key, take=take, text=text)
        shown = "(delete on both sides)" if decision.text is None else repr(decision.text)
        env.echo(f"{term_key.message_key}/{term_key.lang}: {shown} — applied by the next `capxl10n sync`")
        return
    if text is not None:
        raise UsageError("--text decides one conflict: give its KEY and --lang",
                         hint="many at once take a side: --take metabase|metawiki")
    if take is None:
        raise UsageError("say which side to keep: --take metabase|metawiki",
                         hint="`capxl10n conflicts` lists both values of each conflict")
    from capxl10n.engine.conflicts import prepare_bulk, record_bulk, select

    criteria = " ".join([*(f"--lang {code}" for code in langs_), *(f"--reason {k}" for k in kinds),
                         *(["--all"] if everything else [])])
    with open_state(profile.state, create=False) as state:
        entries = select(state.conflicts(), langs=langs_, kinds=kinds, everything=everything)
        bulk = prepare_bulk(entries, take, source=f"take {take} ({criteria})")
        _preview(env, bulk)
        if not bulk.chosen:
            env.echo("nothing to decide", err=True)
            ctx.exit(0)
        if len(bulk.chosen) > 1 and not yes:
            try:
                agreed = click.confirm(f"Decide these {len(bulk.chosen)} conflicts by keeping the {take} value?",
                                       default=False, err=True)
            except click.Abort:
                agreed = False
                env.echo("", err=True)
            if not agreed:
                env.echo("nothing decided (give --yes to decide without being asked)", err=True)
                ctx.exit(1)
        with locked(profile.state, "conflicts resolve", create=False):  # not while asking: a sync may run
            count = record_bulk(state, bulk)
    if env.output_format == "json":
        emit_json(bulk.to_json())
    else:
        env.echo(f"{count} decision(s) recorded (the {take} value); the next `capxl10n sync` writes them to both "
                 "sides" + (f"; {len(bulk.skipped)} left undecided" if bulk.skipped else ""))


PREVIEW_ROWS = 15


def _preview(env: Env, bulk: Any) -> None:
    """What a bulk decision will record, on stderr: counts, the first decisions, everything it skips."""
    from capxl10n.core.reasons import by_language_and_kind, render_counts

    entries = [e for e, _d in bulk.chosen]
    env.echo(f"{len(entries)} conflict(s) to decide by keeping the {bulk.take} value", err=True)
    if len(entries) > 1:
        for line in render_counts(by_language_and_kind(entries)):
            env.echo(line, err=True)
    for entry, decision in bulk.chosen[:PREVIEW_ROWS]:
        other = entry.metawiki if bulk.take == "metabase" else entry.metabase
        shown = "(delete on both sides)" if decision.text is None else _short(decision.text)
        env.echo(f"  {entry.key.message_key}/{entry.key.lang}: {shown}   (instead of "
                 f"{_short(other.text) if other is not None else '(absent)'})", err=True)
    if len(bulk.chosen) > PREVIEW_ROWS:
        env.echo(f"  … and {len(bulk.chosen) - PREVIEW_ROWS} more (`capxl10n conflicts` lists them all)", err=True)
    for entry, why in bulk.skipped:
        env.echo(f"  left undecided {entry.key.message_key}/{entry.key.lang}: {why}", err=True)


def _short(text: str, width: int = 48) -> str:
    text = text.replace("\n", " ")
    return repr(text if len(text) <= width else text[: width - 1] + "…")


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
    with locked(profile.state, "conflicts import", create=False), open_state(profile.state, create=False) as state:
        result = import_po(state, po_file, bundle_page=profile.metawiki.bundle_page,
                           message_group=profile.metawiki.message_group)
    if env.output_format == "json":
        emit_json(result.to_json())
    else:
        env.echo(f"{len(result.decided)} decision(s) recorded, {result.skipped_empty} left undecided"
                 + (f", {len(result.already)} already recorded" if result.already else "")
                 + "; the next `capxl10n sync` applies them")
