"""CLI command: demo — the whole job on the built-in sandbox (the README's first command)."""
from __future__ import annotations

import click

from capxl10n.cli.main import Env, pass_env
from capxl10n.sample.demo import DemoOptions, run_demo


@click.command("demo")
@click.option("--seed", default=1, show_default=True, help="Seed of the sample directory.")
@click.option("--capacities", default=250, show_default=True, help="Capacities in the sample.")
@click.option("--languages", default=42, show_default=True, help="Languages in the sample.")
@click.option("--latency", "latency_ms", default=0.0, show_default=True, help="Simulated latency per request (ms).")
@pass_env
@click.pass_context
def demo(ctx: click.Context, env: Env, seed: int, capacities: int, languages: int, latency_ms: float) -> None:
    """Start the sandbox, sync against it, show human edits landing, a no-op resync and coverage."""
    options = DemoOptions(profile=env.profile_name, seed=seed, capacities=capacities, languages=languages,
                          latency_ms=latency_ms, state=env.state_path, catalogs=env.catalogs_path)
    result = run_demo(options, env.echo)
    ctx.exit(result.exit_code)
