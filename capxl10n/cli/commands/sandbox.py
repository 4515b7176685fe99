"""CLI: ``capxl10n sandbox serve`` — the three imitated wikis on loopback, for demos and manual tests."""
from __future__ import annotations

import signal
import threading
from typing import Any

import click

from capxl10n.cli.main import Env, pass_env
from capxl10n.errors import UsageError


@click.group("sandbox")
def sandbox_group() -> None:
    """The built-in sandbox: Metabase, Meta-Wiki and Wikidata imitated on 127.0.0.1."""


@sandbox_group.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0 = any free port).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the sample data and faults.")
@click.option("--capacities", type=click.IntRange(1, 20000), default=250, show_default=True)
@click.option("--languages", type=click.IntRange(1, 600), default=42, show_default=True)
@click.option("--latency", "latency_ms", type=click.FloatRange(0), default=0, show_default=True,
              help="Simulated latency per request, in ms.")
@click.option("--faults", "faults", default=None,
              help="Fault spec, e.g. '5xx=0.05,429=0.02:retry_after=1,maxlag=10s:lag=7' (docs/sandbox.md).")
@pass_env
def serve(env: Env, port: int, seed: int, capacities: int, languages: int, latency_ms: float,
          faults: str | None) -> None:
    """Serve the sandbox until Ctrl-C or SIGTERM; prints the URLs, profile and credentials."""
    from capxl10n.sandbox import require as require_sandbox

    require_sandbox()
    from capxl10n.sandbox.faults import FaultSpec
    from capxl10n.sandbox.server import Sandbox, credentials_env

    try:
        spec = FaultSpec.parse(faults)
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}", hint="see docs/sandbox.md for the fault syntax") from None
    sb = Sandbox(seed=seed, capacities=capacities, languages=languages, latency_ms=latency_ms, faults=spec,
                 port=port)
    try:
        sb.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
                         hint="choose another --port (0 picks a free one)") from None
    for name, url in sb.urls.items():
        env.echo(f"{name:16} {url}")
    env.echo(f"{'control':16} {sb.url}/_sandbox/stats")
    env.echo("profile          sandbox (capxl10n/profiles/sandbox.toml)" + ("" if sb.url.endswith(":8765") else
                                                      f" (rebase it to {sb.url})"))
    for key, value in credentials_env().items():
        # The sandbox's own well-known test password is no secret: print it unredacted.
        click.echo(f"export {key}='{value}'")
    env.echo("Ctrl-C stops the sandbox.", err=True)
    stopping = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sb.stop()
        env.echo("sandbox stopped", err=True)
