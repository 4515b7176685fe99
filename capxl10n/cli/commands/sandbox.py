"""CLI: ``capxl10n sandbox serve`` — the three imitated wikis on loopback, for demos and manual tests."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from capxl10n.cli.main import Env, pass_env
from capxl10n.errors import UsageError


#: The profile ``serve`` writes unless told otherwise (beside the state it names).
DEFAULT_PROFILE_OUT = ".capxl10n/sandbox-profile.toml"
#: The real Metabase's concept URI, the sandbox's default (kept equal to capxl10n.sandbox.wikibase.repo's).
DEFAULT_CONCEPT_URI = "https://metabase.wikibase.cloud/entity/"


def check_concept_uri(uri: str) -> None:
    """An entity IRI base must be an absolute http(s) IRI ending in ``/`` (entity ids are appended to it)."""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or not uri.endswith("/") or any(
            ch in uri for ch in ' <>"{}|\\^`'):
        raise UsageError(f"--concept-uri: {uri!r} is not an http(s) IRI ending in '/'",
                         hint="e.g. https://metabase.wikibase.cloud/entity/ (the real Metabase's)")


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
@click.option("--profile-out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=f"Write a ready profile here [default: {DEFAULT_PROFILE_OUT}, beside the sandbox's state].")
@click.option("--concept-uri", default=DEFAULT_CONCEPT_URI, show_default=True,
              help="Metabase's entity IRI base (conceptBaseUri) in SPARQL answers and RDF; the written profile "
                   "uses it as entity_prefix.")
@pass_env
def serve(env: Env, port: int, seed: int, capacities: int, languages: int, latency_ms: float,
          faults: str | None, profile_out: Path | None, concept_uri: str) -> None:
    """Serve the sandbox until Ctrl-C or SIGTERM; write a ready profile and print the command that uses it.

    While it runs, `capxl10n --profile sandbox …` finds it too, whatever its port (it announces
    itself in a well-known file, docs/sandbox.md). Its data lives in memory: a state made against
    an earlier sandbox, or before a reset (POST /_sandbox/reset), is out of step with it and is
    moved aside (`<state>.detached-<time>`), so the next sync is a first contact.
    """
    from capxl10n.sandbox import require as require_sandbox

    require_sandbox()
    from capxl10n.sandbox.announce import Running, announce, location, withdraw
    from capxl10n.sandbox.faults import FaultSpec
    from capxl10n.sandbox.server import Sandbox, credentials_env

    try:
        spec = FaultSpec.parse(faults)
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}", hint="see docs/sandbox.md for the fault syntax") from None
    check_concept_uri(concept_uri)
    sb = Sandbox(seed=seed, capacities=capacities, languages=languages, latency_ms=latency_ms, faults=spec,
                 port=port, concept_uri=concept_uri)
    try:
        sb.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
                         hint="choose another --port (0 picks a free one)") from None
    state = (env.state_path or Path(DEFAULT_STATE)).absolute()
    catalogs = (env.catalogs_path or Path("catalogs")).absolute()
    written = write_profile((profile_out or Path(DEFAULT_PROFILE_OUT)).absolute(), sb.url, state, catalogs,
                            concept_uri=concept_uri)

    def detach(why: str) -> None:
        moved = detach_state(state)
        if moved is not None:
            env.echo(f"{why}: the state made against it was moved aside to {moved}; the next sync is a first "
                     "contact", err=True)

    detach("a new sandbox (its data is fresh)")
    sb.on_reset.append(lambda: detach("sandbox reset"))
    announced = announce(Running(sb.url, os.getpid(), str(written), str(state), str(catalogs), concept_uri))
    for name, url in sb.urls.items():
        env.echo(f"{name:16} {url}")
    env.echo(f"{'control':16} {sb.url}/_sandbox/stats")
    env.echo(f"{'profile':16} {written} (state {state})")
    for key, value in credentials_env().items():
        # The sandbox's own well-known test password is no secret: print it unredacted.
        click.echo(f"export {key}='{value}'")
    env.echo(f"then: capxl10n --profile {shlex.quote(str(written))} sync")
    env.echo(f"(`--profile sandbox` finds this sandbox too while it runs: {location()}.) Ctrl-C stops the sandbox.",
             err=True)
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
        withdraw(os.getpid(), announced)
        sb.stop()
        env.echo("sandbox stopped", err=True)


#: Where ``serve`` writes its profile and keeps the state made against it, unless told otherwise.
DEFAULT_STATE = ".capxl10n/sandbox.sqlite"


def write_profile(path: Path, url: str, state: Path, catalogs: Path, *,
                  concept_uri: str = DEFAULT_CONCEPT_URI) -> Path:
    """The shipped sandbox profile, moved to ``url``, with absolute state and catalogs paths (usable from
    any directory) and the sandbox's concept URI as the entity prefix; written whole or not at all."""
    from importlib import resources

    text = resources.files("capxl10n").joinpath("profiles", "sandbox.toml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765", url)
    text = re.sub(r'(?m)^entity_prefix = .*$', lambda _m: f"entity_prefix = {json.dumps(concept_uri)}", text)
    text = re.sub(r'(?m)^state = .*$', lambda _m: f"state = {json.dumps(str(state))}", text)
    text = re.sub(r'(?m)^catalogs = .*$', lambda _m: f"catalogs = {json.dumps(str(catalogs))}", text)
    head = (f"# Written by `capxl10n sandbox serve` for the sandbox at {url} (process {os.getpid()}).\n"
            "# Valid while it runs; credentials come from the environment (the export lines it printed).\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(head + text)
    os.replace(tmp, path)
    return path


def detach_state(state: Path) -> Path | None:
    """Move a state file (and its SQLite journal files) aside; where it went, or None when there is none."""
    if not state.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = state.with_name(f"{state.name}.detached-{stamp}")
    for suffix in ("-wal", "-shm"):
        side = state.with_name(state.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    state.replace(target)
    return target
