"""CLI command: ``capxl10n pull`` reads every side into the read cache and summarises it."""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import click

from capxl10n.cli.main import Env, emit_json, format_option, pass_env
from capxl10n.cli.progress import ProgressView


def render_table(summary: dict[str, Any], skip: frozenset[str] = frozenset()) -> str:
    terms = summary["terms"]
    lines = [
        f"items:        {summary['items']} (discovered by {summary['discovery']})",
        f"terms:        metabase {terms['metabase']}, metawiki {terms['metawiki']} "
        f"({summary['fuzzy']} fuzzy)" + (f", wikidata {terms['wikidata']}" if terms["wikidata"] is not None else ""),
        f"languages:    metabase {summary['languages']['metabase']}, metawiki {summary['languages']['metawiki']}",
        "requests:     " + ", ".join(f"{site} {n}" for site, n in summary["requests"].items())
        + f" in {summary['elapsed']:.2f}s"
        + (" (incremental: " + ", ".join(s for s, inc in summary["incremental"].items() if inc) + ")"
           if any(summary["incremental"].values()) else ""),
    ]
    if summary["duplicates"]:
        lines.append("duplicates:   " + "; ".join(f"{q} on {', '.join(items)}"
                                                  for q, items in summary["duplicates"].items())
                     + " (not synced: give each capacity its own Wikidata QID)")
    if summary["unlinked"]:
        lines.append(f"unlinked:     {', '.join(summary['unlinked'])} (no index term with a Wikidata QID)")
    if summary["unaccepted_languages"] and "unaccepted_languages" not in skip:
        lines.append(f"not accepted by Metabase: {', '.join(summary['unaccepted_languages'])}")
    if summary["unknown_bundle_keys"]:
        lines.append(f"bundle keys unknown to the directory: {', '.join(summary['unknown_bundle_keys'])}")
    return "\n".join(lines)


@click.command("pull")
@click.option("--full", is_flag=True, help="Read everything again instead of only what changed.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the state's read cache.")
@format_option("table", "json")
@pass_env
def pull_command(env: Env, full: bool, no_cache: bool) -> None:
    """Read Metabase, Meta-Wiki and Wikidata into the read cache and print a summary."""
    from capxl10n.engine.lock import locked
    from capxl10n.engine.pull import open_cache, pull

    profile = env.profile()
    with ExitStack() as stack:
        if not no_cache:  # it stores what it read: one writer of the state at a time
            stack.enter_context(locked(profile.state, "pull"))
        cache = None if no_cache else open_cache(profile)
        if cache is not None:
            stack.callback(cache.close)
        progress = stack.enter_context(ProgressView.for_env(env))
        result = pull(profile, incremental=not full, cache=cache, progress=progress.pull_callback())
        summary = result.summary()
        repeated: frozenset[str] = frozenset()
        if cache is not None:
            from capxl10n.engine.history import record_history
            record_history(cache, command="pull")
            from capxl10n.engine.notices import repeated_notices
            repeated = repeated_notices(cache, summary)
    if env.output_format == "json":
        emit_json(summary)
    else:
        env.echo(render_table(summary, repeated if env.verbosity < 1 else frozenset()))
