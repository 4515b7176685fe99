"""CLI commands: ``plan``, ``apply`` and ``sync``.

Thin: each parses options, calls one function of :mod:`capxl10n.engine.sync`,
renders the outcome, and exits with the outcome's
code (0 done, 3 conflicts, 4 changes pending, 5 partly applied; errors are
mapped to 1/2 by the CLI group).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from capxl10n.cli.interrupts import GracefulStop
from capxl10n.cli.main import Env, emit_json, format_option, pass_env
from capxl10n.cli.progress import ProgressView, pacing_of


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def result_line(command: str, planned: Any, applied: Any, code: int | None = None) -> str:
    """The one line ``-q`` prints: what the run did and its exit code."""
    parts: list[str] = []
    if applied is not None:
        r = applied.result
        per_wiki = applied.written_per_wiki()
        parts.append(f"{len(r.written)} written (metabase {per_wiki['metabase']}, metawiki {per_wiki['metawiki']})")
        if r.interrupted:
            parts.append(f"interrupted by {r.interrupted}, {len(r.left)} left")
        if r.failed:
            parts.append(f"{len(r.failed)} failed")
        if r.stale:
            parts.append(f"{len(r.stale)} skipped")
        conflicts = applied.open_conflicts
        code = applied.exit_code if code is None else code
    else:
        operations = len(planned.plan.operations)
        parts.append(f"{operations} change(s) pending" if operations else "nothing to write")
        conflicts = planned.open_conflicts + planned.pending_conflicts
        code = planned.exit_code if code is None else code
    parts.append(f"{conflicts} conflict(s) open")
    return f"{command}: {', '.join(parts)}; exit {code}"


def _render_plan(env: Env, outcome: Any) -> None:
    from capxl10n.core.plan import render_summary
    if env.output_format == "json":
        emit_json(outcome.to_json())
        return
    skip = outcome.repeated_notices if env.verbosity < 1 else ()
    env.echo(render_summary(outcome.plan, skip_notes=skip, recorded=outcome.recorded))
    if not outcome.recorded:
        env.echo(f"{outcome.open_conflicts} conflict(s) undecided in the inbox (`capxl10n conflicts`), "
                 f"{outcome.pending_conflicts} pending (found now, recorded by the next `capxl10n plan` or `sync`)")
    elif outcome.open_conflicts > len(outcome.plan.conflicts):
        env.echo(f"{outcome.open_conflicts} conflict(s) open in the inbox (`capxl10n conflicts`)")


def _render_apply(env: Env, outcome: Any, resume: str = "capxl10n sync") -> None:
    if env.output_format == "json":
        emit_json(outcome.to_json())
        return
    r = outcome.result
    if r.interrupted:
        per_wiki = outcome.written_per_wiki()
        env.echo(f"interrupted by {r.interrupted}: {len(r.written)} written (metabase {per_wiki['metabase']}, "
                 f"metawiki {per_wiki['metawiki']}), {len(r.done) - len(r.written)} already in place, "
                 f"{len(r.left)} of {len(outcome.plan.operations)} left; the write in flight was finished and "
                 "journaled")
        env.echo(f"  `{resume}` resumes: it writes only what is left, nothing twice")
        return
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
@click.option("--recreate-bundle", is_flag=True,
              help="The bundle page was deleted on Meta-Wiki and that was meant: make it anew from Metabase "
                   "(Translate outdates every translation of a key put back).")
@format_option("table", "json")
@pass_env
@click.pass_context
def plan_command(ctx: click.Context, env: Env, output: Path | None, full: bool, recreate_bundle: bool) -> None:
    """Read both sides, merge against the base and show what a sync would write.

    Exit 0 nothing to do, 4 changes pending, 3 conflicts need a human.
    """
    from capxl10n.core import plan as plan_mod
    from capxl10n.engine.sync import plan

    profile = env.profile()
    with GracefulStop() as stop, ProgressView.for_env(env) as progress:
        outcome = plan(profile, incremental=not full, stop=stop, run_id=env.run_id, progress=progress,
                       recreate_bundle=recreate_bundle)
    if output is not None:
        _write_atomic(output, plan_mod.dump_bytes(outcome.plan))
        env.echo(f"plan written to {output}", err=True)
    if env.verbosity < 0 and env.output_format != "json":
        env.echo(result_line("plan", outcome, None))
    else:
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
        raw = plan_file.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read plan {plan_file}: {exc.strerror or exc}",
                        hint="give the file `capxl10n plan -o` wrote") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"{plan_file}: not UTF-8 text (byte {raw[exc.start]:#04x} on line {line}): a plan capxl10n "
                        "wrote is UTF-8, so it was re-saved in another encoding",
                        hint="make a new plan with `capxl10n plan -o …`") from None
    the_plan = plan_mod.loads(text, origin=str(plan_file))
    profile = env.profile()
    with GracefulStop() as stop, ProgressView.for_env(env, seconds_per_write=pacing_of(profile)) as progress:
        env.writing = True
        outcome = apply(profile, the_plan, stop=stop, run_id=env.run_id, progress=progress)
    if env.verbosity < 0 and env.output_format != "json":
        env.echo(result_line("apply", None, outcome))
    else:
        _render_apply(env, outcome, resume=f"capxl10n apply {plan_file}")
    ctx.exit(outcome.exit_code)


@click.command("sync")
@click.option("--dry-run", is_flag=True, help="Plan only: no login, no write to a wiki; in the state only the read cache.")
@click.option("--full", is_flag=True, help="Read everything again instead of only what changed.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Also write the plan JSON here.")
@click.option("--recreate-bundle", is_flag=True,
              help="The bundle page was deleted on Meta-Wiki and that was meant: make it anew from Metabase "
                   "(Translate outdates every translation of a key put back).")
@format_option("table", "json")
@pass_env
@click.pass_context
def sync_command(ctx: click.Context, env: Env, dry_run: bool, full: bool, output: Path | None,
                 recreate_bundle: bool) -> None:
    """Plan and apply in one go (the command for cron).

    Exit 0 in step, 3 conflicts need a human, 4 changes pending (--dry-run), 5 partly applied (rerun).
    """
    from capxl10n.core import plan as plan_mod
    from capxl10n.engine.sync import sync

    profile = env.profile()
    with GracefulStop() as stop, ProgressView.for_env(env, seconds_per_write=pacing_of(profile)) as progress:
        env.writing = not dry_run
        outcome = sync(profile, dry_run=dry_run, incremental=not full, stop=stop, run_id=env.run_id,
                       progress=progress, recreate_bundle=recreate_bundle)
    if output is not None:
        _write_atomic(output, plan_mod.dump_bytes(outcome.planned.plan))
    if env.output_format == "json":
        emit_json(outcome.to_json())
    elif env.verbosity < 0:
        env.echo(result_line("sync --dry-run" if dry_run else "sync", outcome.planned, outcome.applied,
                             outcome.exit_code))
    else:
        _render_plan(env, outcome.planned)
        if outcome.applied is not None:
            _render_apply(env, outcome.applied)
        elif dry_run:
            env.echo("dry run: nothing written")
    ctx.exit(outcome.exit_code)
