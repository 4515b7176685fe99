"""CLI commands: ``plan``, ``apply``, ``sync`` and the ``conflicts`` inbox.

Thin: each parses options, calls one function of :mod:`capxl10n.engine.sync` or
:mod:`capxl10n.engine.conflicts`, renders the outcome, and exits with the outcome's
code (0 done, 3 conflicts, 4 changes pending, 5 partly applied; errors are
mapped to 1/2 by the CLI group).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from capxl10n.cli.main import Env, emit_json, format_option, pass_env


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _render_plan(env: Env, outcome: Any) -> None:
    from capxl10n.core.plan import render_summary
    if env.output_format == "json":
        emit_json(outcome.to_json())
        return
    env.echo(render_summary(outcome.plan))
    if outcome.open_conflicts > len(outcome.plan.conflicts):
        env.echo(f"{outcome.open_conflicts} conflict(s) open in the inbox (`capxl10n conflicts`)")


def _render_apply(env: Env, outcome: Any) -> None:
    if env.output_format == "json":
        emit_json(outcome.to_json())
        return
    r = outcome.result
    env.echo(f"applied plan {r.plan_id}{' (resumed)' if r.resumed else ''}: {len(r.done)} done "
             f"({len(r.written)} written, {len(r.done) - len(r.written)} already in place), "
             f"{len(r.conflicts)} new conflict(s), {len(r.failed)} failed, {r.requests} request(s)")
    if r.recovered:
        env.echo(f"  {len(r.recovered)} found already written by the interrupted run (by the plan's tag)")
    for op_id, why in sorted(r.failed.items())[:10]:
        env.echo(f"  failed {op_id}: {why}")
    if r.stale:
        env.echo(f"  {len(r.stale)} not written: the value's source changed after the plan (the next sync "
                 "merges them again)")
    for op_id, why in sorted(r.stale.items())[:10]:
        env.echo(f"  skipped {op_id}: {why}")
    if r.failed:
        env.echo("  rerun the same command to resume; nothing done is written twice")
    if outcome.open_conflicts:
        env.echo(f"{outcome.open_conflicts} conflict(s) open in the inbox (`capxl10n conflicts`)")


@click.command("plan")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write the plan JSON here (apply it later with `capxl10n apply`).")
@click.option("--full", is_flag=True, help="Read everything again instead of only what changed.")
@format_option("table", "json")
@pass_env
@click.pass_context
def plan_command(ctx: click.Context, env: Env, output: Path | None, full: bool) -> None:
    """Read both sides, merge against the base and show what a sync would write.

    Exit 0 nothing to do, 4 changes pending, 3 conflicts need a human.
    """
    from capxl10n.core import plan as plan_mod
    from capxl10n.engine.sync import plan

    outcome = plan(env.profile(), incremental=not full)
    if output is not None:
        _write_atomic(output, plan_mod.dumps(outcome.plan))
        env.echo(f"plan written to {output}", err=True)
    _render_plan(env, outcome)
    ctx.exit(outcome.exit_code)


@click.command("apply")
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@format_option("table", "json")
@pass_env
@click.pass_context
def apply_command(ctx: click.Context, env: Env, plan_file: Path) -> None:
    """Apply a plan made by `capxl10n plan`; rerun after a failure or crash to resume.

    Exit 0 done, 3 conflicts left, 4 copies skipped because their source changed (run sync),
    5 partly applied (rerun).
    """
    from capxl10n.core import plan as plan_mod
    from capxl10n.errors import DataError
    from capxl10n.engine.sync import apply

    try:
        text = plan_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read plan {plan_file}: {exc}", hint="give the file `capxl10n plan -o` wrote")
    the_plan = plan_mod.loads(text, origin=str(plan_file))
    outcome = apply(env.profile(), the_plan)
    _render_apply(env, outcome)
    ctx.exit(outcome.exit_code)


@click.command("sync")
@click.option("--dry-run", is_flag=True, help="Plan only: no login, no write, no state change but the read cache.")
@click.option("--full", is_flag=True, help="Read everything again instead of only what changed.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Also write the plan JSON here.")
@format_option("table", "json")
@pass_env
@click.pass_context
def sync_command(ctx: click.Context, env: Env, dry_run: bool, full: bool, output: Path | None) -> None:
    """Plan and apply in one go (the command for cron).

    Exit 0 in step, 3 conflicts need a human, 4 changes pending (--dry-run), 5 partly applied (rerun).
    """
    from capxl10n.core import plan as plan_mod
    from capxl10n.engine.sync import sync

    outcome = sync(env.profile(), dry_run=dry_run, incremental=not full)
    if output is not None:
        _write_atomic(output, plan_mod.dumps(outcome.planned.plan))
    if env.output_format == "json":
        emit_json(outcome.to_json())
    else:
        _render_plan(env, outcome.planned)
        if outcome.applied is not None:
            _render_apply(env, outcome.applied)
        elif dry_run:
            env.echo("dry run: nothing written")
    ctx.exit(outcome.exit_code)


@click.group("conflicts", invoke_without_command=True)
@click.option("--lang", default=None, help="Only this language (MediaWiki code).")
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
@click.option("--lang", required=True, help="Language of the conflict (MediaWiki code).")
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
@click.option("--lang", required=True, help="Language to export (MediaWiki code).")
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
