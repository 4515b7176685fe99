"""The command line: thin click commands over library functions of the same names.

Each command lives in ``capxl10n/cli/commands/<topic>.py`` and is registered
at the end of this module by name. This module owns the global options, the
logging set-up, and the one place where errors become exit codes (README.md,
"Exit codes"; docs/architecture.md).
"""
from __future__ import annotations

import functools
import json
import logging
import sys
import traceback
import uuid
from datetime import datetime, timezone
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from capxl10n import __version__
from capxl10n.errors import EXIT_ERROR, EXIT_PARTIAL, CapxError, Interrupted, redact

#: Ctrl-C in a command that writes nothing to a wiki: the shell's convention (128 + SIGINT).
EXIT_SIGINT = 130

FORMATS = ("table", "json", "csv", "markdown")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Env:
    """What every command gets: the global options, resolved lazily."""

    profile_name: str = "sandbox"
    output_format: str = "table"
    verbosity: int = 0
    log_format: str = "text"
    state_path: Path | None = None
    catalogs_path: Path | None = None
    #: Set while a command that writes to the wikis runs (Ctrl-C then means "stop after this write").
    writing: bool = False
    #: This invocation's id: a plan, apply or sync records its run under it (`capxl10n runs`, JSON logs).
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _profile: Any = field(default=None, repr=False)

    def profile(self) -> Any:
        if self._profile is None:
            from capxl10n.profile import load_profile

            profile = load_profile(self.profile_name)
            state, catalogs = self.state_path, self.catalogs_path
            running = running_sandbox(profile)
            if running is not None:  # `--profile sandbox` while `capxl10n sandbox serve` runs: that one
                logging.getLogger("capxl10n.cli").info("using the sandbox running at %s (process %d)",
                                                        running.url, running.pid)
                profile = profile.rebase(running.url)
                if running.concept_uri:
                    profile = profile.with_entity_prefix(running.concept_uri)
                state = state or (Path(running.state) if running.state else None)
                catalogs = catalogs or (Path(running.catalogs) if running.catalogs else None)
            self._profile = profile.with_paths(state=state, catalogs=catalogs)
        return self._profile

    @property
    def interactive(self) -> bool:
        return self.verbosity >= 0 and sys.stderr.isatty() and self.log_format == "text"

    def echo(self, text: str = "", *, err: bool = False) -> None:
        """Print unless ``-q``; results go to stdout, progress and notes to stderr."""
        if self.verbosity >= 0 or not err:
            click.echo(redact(text), err=err)


pass_env = click.make_pass_decorator(Env, ensure=True)


def running_sandbox(profile: Any) -> Any:
    """The sandbox ``capxl10n sandbox serve`` announced (capxl10n.sandbox.announce), when ``profile`` is the
    shipped sandbox profile (a profile of one's own is never moved) and that sandbox still runs."""
    from capxl10n.profile import is_shipped
    from capxl10n.sandbox.announce import read

    if profile.name != "sandbox" or not is_shipped(profile.path):
        return None
    return read()


def format_option(*choices: str) -> Callable[[F], F]:
    """``--format`` on a command, overriding the global one for that command."""
    allowed = choices or FORMATS

    def decorate(func: F) -> F:
        def store(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
            if value is not None:
                ctx.ensure_object(Env).output_format = value
            return value

        return click.option("--format", "-f", "fmt", type=click.Choice(allowed), default=None,
                            expose_value=False, callback=store, is_eager=True,
                            help="Output format (overrides the global --format).")(func)
    return decorate


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


def utc_time(created: float) -> str:
    """A log record's time as UTC ISO 8601 with milliseconds: ``2025-06-01T10:00:00.123Z``."""
    stamp = datetime.fromtimestamp(created, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line for cron and Toolforge logs: every line has ``time`` (UTC), ``level``,
    ``run`` (the id ``capxl10n runs`` shows) and ``phase`` (``start`` before the run's first phase),
    then the message and the event's fields."""

    def __init__(self, run_id: str | None = None) -> None:
        super().__init__()
        self.run_id = run_id

    def format(self, record: logging.LogRecord) -> str:
        from capxl10n.engine.runlog import current

        run, phase = current()
        entry: dict[str, Any] = {"time": utc_time(record.created), "level": record.levelname.lower(),
                                 "run": run or self.run_id, "phase": phase or "start", "logger": record.name,
                                 "message": redact(record.getMessage())}
        extra = getattr(record, "event", None)
        if isinstance(extra, dict):
            entry.update({k: v for k, v in extra.items() if v is not None or k not in ("run", "phase")})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class TextLogFormatter(logging.Formatter):
    """For people: ``warning: …``/``error: …``; an info line (``-v``) as it is; ``-vv`` names the logger.
    Secrets are redacted as everywhere."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if record.levelno >= logging.WARNING:
            message = f"{record.levelname.lower()}: {message}"
        elif record.levelno < logging.INFO:
            message = f"debug {record.name}: {message}"
        return redact(message)


class _Handler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (click's test runner swaps it), clearing a progress bar first."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        from capxl10n.cli.progress import clear_line
        clear_line()
        super().emit(record)


#: Loggers of the HTTP stack shown with ``-vv`` (one line per request: method, URL, status; redacted).
HTTP_LOGGERS = ("urllib3.connectionpool",)


def setup_logging(verbosity: int, log_format: str, run_id: str | None = None) -> None:
    """Levels: ``-q`` errors only; default warnings; ``-v`` one line per operation; ``-vv`` debug and
    every HTTP request. JSON logs (for cron) carry info lines by default (phases, counts)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    if verbosity < 0:
        level = logging.ERROR
    handler = _Handler()
    handler.setFormatter(JsonLogFormatter(run_id) if log_format == "json" else TextLogFormatter())
    root = logging.getLogger("capxl10n")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if log_format == "json" and verbosity == 0 else level)
    root.propagate = False
    for name in HTTP_LOGGERS:
        http = logging.getLogger(name)
        http.handlers[:] = [handler] if verbosity >= 2 else [h for h in http.handlers if not isinstance(h, _Handler)]
        http.setLevel(logging.DEBUG if verbosity >= 2 else logging.NOTSET)
        http.propagate = verbosity < 2


def report_crash(kind: type[BaseException], value: BaseException, tb: Any, *, json_logs: bool = False,
                 run_id: str | None = None) -> None:
    """``sys.excepthook`` of the CLI: an exception nobody caught (a bug) is printed as Python would, but with
    every secret redacted (a library's error may carry the client's state: credentials, cookies, tokens),
    then a line saying what it is; the exit status stays Python's 1 (alert a maintainer). With JSON logs, one
    JSON object as every other line."""
    trace = redact("".join(traceback.format_exception(kind, value, tb)))
    message = redact(f"{kind.__name__}: {value}")
    if json_logs:
        sys.stderr.write(json.dumps({"time": utc_time(datetime.now(timezone.utc).timestamp()), "level": "critical",
                                     "run": run_id, "phase": None, "error": kind.__name__, "message": message,
                                     "exception": trace}, ensure_ascii=False) + "\n")
        return
    sys.stderr.write(trace)
    sys.stderr.write("capxl10n stopped on an unexpected error (a bug; exit 1): please report it with the lines "
                     "above (secrets are redacted)\n")


class CapxGroup(click.Group):
    """Turns every :class:`CapxError` into its message, its hint and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CapxError as exc:
            env = ctx.find_object(Env)
            if env is not None and env.log_format == "json":
                click.echo(json.dumps({"time": utc_time(datetime.now(timezone.utc).timestamp()), "level": "error",
                                       "run": env.run_id, "phase": getattr(exc, "phase", None), **exc.to_json()},
                                      ensure_ascii=False), err=True)
            else:
                click.echo(f"{'' if isinstance(exc, Interrupted) else 'error: '}{exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            # A second Ctrl-C during a run that writes (the first one asks it to stop between two writes,
            # capxl10n.cli.interrupts), or Ctrl-C in a command that writes nothing to a wiki.
            env = ctx.find_object(Env)
            if env is not None and env.writing:
                click.echo("\ninterrupted at once: a write may have been in flight; the next run finds it by its "
                           "tag and resumes (nothing is written twice)", err=True)
                ctx.exit(EXIT_PARTIAL)
            click.echo("\ninterrupted: nothing was written to a wiki", err=True)
            ctx.exit(EXIT_SIGINT)
        except OSError as exc:
            click.echo(f"error: {redact(str(exc))}", err=True)
            ctx.exit(EXIT_ERROR)


@click.group(cls=CapxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="capxl10n")
@click.option("--profile", "-p", default="sandbox", show_default=True, envvar="CAPXL10N_PROFILE",
              help="Profile name in sync/ or a path to a .toml file.")
@click.option("--format", "-f", "output_format", type=click.Choice(FORMATS), default="table",
              show_default=True, help="Output format of results.")
@click.option("--state", "state_path", type=click.Path(path_type=Path), default=None, envvar="CAPXL10N_STATE",
              help="State database (overrides the profile).")
@click.option("--catalogs", "catalogs_path", type=click.Path(path_type=Path), default=None,
              envvar="CAPXL10N_CATALOGS", help="Catalogs directory (overrides the profile).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one JSON object per line on stderr, for cron.")
@click.option("-v", "--verbose", count=True,
              help="-v: a line per operation written; -vv: also debug lines and every HTTP request (redacted).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the result line (no progress, no notes).")
@click.pass_context
def main(ctx: click.Context, profile: str, output_format: str, state_path: Path | None,
         catalogs_path: Path | None, log_format: str, verbose: int, quiet: bool) -> None:
    """Keep the CapX capacity directory's translations in step across Metabase,
    Meta-Wiki and the app's catalogs."""
    env = ctx.ensure_object(Env)
    env.profile_name = profile
    env.output_format = output_format
    env.verbosity = -1 if quiet else verbose
    env.log_format = log_format
    env.state_path = state_path
    env.catalogs_path = catalogs_path
    setup_logging(env.verbosity, log_format, env.run_id)
    sys.excepthook = functools.partial(report_crash, json_logs=log_format == "json", run_id=env.run_id)


def _register_commands() -> None:
    """Add every command, imported by name: a command module that is missing or lacks its command
    is an ImportError at start-up, never a command silently absent (tests/cli/test_cli_commands.py holds
    them to the README). Imported here, once ``Env`` and ``pass_env`` exist: the command modules
    import them from this module."""
    from capxl10n.cli.commands.catalogs import catalogs
    from capxl10n.cli.commands.check import check
    from capxl10n.cli.commands.coverage import coverage
    from capxl10n.cli.commands.credits import credits_command
    from capxl10n.cli.commands.demo import demo
    from capxl10n.cli.commands.export import export
    from capxl10n.cli.commands.imports import import_command
    from capxl10n.cli.commands.languages import languages
    from capxl10n.cli.commands.pull import pull_command
    from capxl10n.cli.commands.report import report_command
    from capxl10n.cli.commands.runs import runs_command
    from capxl10n.cli.commands.sample import sample
    from capxl10n.cli.commands.sandbox import sandbox_group
    from capxl10n.cli.commands.conflicts import conflicts_group
    from capxl10n.cli.commands.sync import apply_command, plan_command, sync_command
    from capxl10n.cli.commands.todo import todo

    for command in (languages, catalogs, coverage, check, todo, export, sample, sandbox_group, pull_command, plan_command,
                    apply_command, sync_command, conflicts_group, import_command, runs_command, report_command,
                    credits_command, demo):
        main.add_command(command)


_register_commands()
