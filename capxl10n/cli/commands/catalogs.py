"""``capxl10n catalogs``: build (or ``--check``) the gettext and JSON catalogs.

Thin: picks the directory to build from (:func:`catalog_source`), calls
:func:`capxl10n.catalogs.build.build_catalogs` or :func:`~capxl10n.catalogs.build.check_catalogs`,
renders the result with :mod:`capxl10n.cli.render`.

The source, first found wins: ``--snapshot``, ``--sample``, the sync state of
the profile, then the ``directory.json`` the last build wrote next to the
catalogs. The last needs no profile, so an app repository that commits only
its catalogs can run ``capxl10n catalogs --check`` in CI.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from capxl10n.catalogs.build import (DIRECTORY_NAME, CatalogOptions, CheckResult, build_catalogs, check_catalogs,
                               expected_count, read_directory, read_snapshot)
from capxl10n.cli.main import Env, emit_json, format_option, pass_env
from capxl10n.cli.progress import ProgressView
from capxl10n.engine.lock import locked
from capxl10n.errors import CatalogError, ConfigError, UnknownLanguage, UsageError
from capxl10n.core.model import Snapshot
from capxl10n.cli.render import Records, render

if TYPE_CHECKING:
    from capxl10n.profile import Profile

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


__all__ = ["Source", "catalog_source", "directory_source", "lang_option", "optional_profile", "read_snapshot"]


def optional_profile(env: Env) -> Any | None:
    """The profile, or None when none was asked for and the default one does not exist.

    An app repository has no ``sync/`` directory; commands that can work
    without a profile (building or checking catalogs) then use the
    defaults. A profile named on the command line or in ``CAPXL10N_PROFILE``
    (or needed for a ``--state``) must exist, and a broken one is always an
    error.
    """
    from capxl10n.profile import Profile, find_profile

    ctx = click.get_current_context(silent=True)
    source = ctx.find_root().get_parameter_source("profile") if ctx is not None else None
    if source in (None, ParameterSource.DEFAULT) and env.state_path is None:
        try:
            find_profile(env.profile_name)
        except ConfigError:
            return None
    return env.profile()


@dataclass(frozen=True)
class Source:
    """The directory to build from and, when it is a ``directory.json``, the options it records."""

    snapshot: Snapshot
    recorded: CatalogOptions | None = None
    origin: str = ""


def catalog_source(env: Env, snapshot: Path | None = None, sample: bool = False, *, seed: int = 1,
                   capacities: int = 250, languages: int = 42, out: Path | None = None) -> Source:
    """A snapshot file, the generated sample, the sync state's base, or ``<out>/directory.json``."""
    if snapshot is not None and sample:
        raise UsageError("give either --snapshot or --sample, not both")
    if snapshot is not None:
        return Source(read_snapshot(snapshot), origin=str(snapshot))
    if sample:
        from capxl10n.sample.generate import generate

        return Source(generate(capacities=capacities, languages=languages, seed=seed), origin="the sample")
    from capxl10n.engine.state import load_directory

    profile = optional_profile(env)
    if profile is not None and Path(profile.state).exists():
        return Source(load_directory(profile), origin=f"the sync state {profile.state}")
    if env.state_path is not None:  # asked for: never silently replaced by another source
        raise UsageError(f"no snapshot given and no sync state at {env.state_path}",
                         hint="give --snapshot FILE or --sample, or run `capxl10n sync` first")
    target = catalogs_dir(env, profile, out)
    recorded = read_directory(target)
    if recorded is not None:
        return Source(recorded[0], recorded[1], origin=str(target / DIRECTORY_NAME))
    where = f"no sync state at {profile.state} and " if profile is not None else "no profile, "
    raise UsageError(f"no snapshot given, {where}no {target / DIRECTORY_NAME}",
                     hint="give --snapshot FILE or --sample, run `capxl10n sync` first, or point --out at "
                          "catalogs that capxl10n built (they hold their directory.json)")


def directory_source(env: Env, snapshot: Path | None = None, sample: bool = False, *, seed: int = 1,
                     capacities: int = 250, languages: int = 42) -> Snapshot:
    """The directory alone (see :func:`catalog_source`), for commands that only read it."""
    return catalog_source(env, snapshot, sample, seed=seed, capacities=capacities, languages=languages).snapshot


def catalogs_dir(env: Env, profile: Profile | None, out: Path | None = None) -> Path:
    """``--out``, else the global ``--catalogs``, else the profile's, else ``./catalogs``."""
    return Path(out or env.catalogs_path or (profile.catalogs if profile is not None else None) or "catalogs")


def _known_languages(_ctx: click.Context, _param: click.Parameter, codes: tuple[str, ...]) -> tuple[str, ...]:
    from capxl10n.core import langs

    for code in codes:
        try:
            langs.get(code)
        except UnknownLanguage as exc:
            raise UsageError(f"--lang: {exc.message}", hint=exc.hint, code=code) from None
    return codes


def lang_option(help_text: str = "Only these languages (repeatable).") -> Callable[[F], F]:
    """``--lang CODE`` (repeatable); an unknown code is a usage error (exit 2) naming the option.

    Checked while the command line is parsed, so nothing is read or written.
    """
    return click.option("--lang", "langs_", multiple=True, metavar="CODE", callback=_known_languages,
                        help=help_text)


def source_options(func: F) -> F:
    """``--snapshot`` / ``--sample`` and the sample's size, shared by catalogs and coverage."""
    for decorator in reversed((
        click.option("--sample", is_flag=True, help="Use the generated sample directory."),
        click.option("--seed", type=int, default=1, show_default=True, help="Sample seed."),
        click.option("--capacities", type=click.IntRange(1), default=250, show_default=True,
                     help="Sample size: capacities."),
        click.option("--languages", type=click.IntRange(1), default=42, show_default=True,
                     help="Sample size: languages."),
    )):
        func = decorator(func)
    return func


@contextlib.contextmanager
def progress_bar(env: Env, length: int, label: str) -> Iterator[Callable[[str], None] | None]:
    """One tick per language, through the CLI's one progress helper (:mod:`capxl10n.cli.progress`)."""
    if length < 2:
        yield None
        return
    with ProgressView.for_env(env, lines=False) as view:
        yield view.counter("catalogs", label, length)


@click.command("catalogs")
@click.option("--snapshot", "snapshot_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Snapshot JSON file to build from.")
@source_options
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the catalogs on disk are out of date.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Catalogs directory (default: --catalogs, else the profile's, else ./catalogs).")
@lang_option()
@format_option()
@pass_env
def catalogs(env: Env, snapshot_path: Path | None, sample: bool, seed: int, capacities: int, languages: int,
             check: bool, out: Path | None, langs_: tuple[str, ...]) -> None:
    """Build capacities.pot, <locale>/LC_MESSAGES/capacities.po/.mo, json/<code>.json and directory.json.

    The same snapshot always gives the same bytes; with --check nothing is
    written and the exit status is 1 when any file differs, is missing or
    is left over (for the app's CI). With no --snapshot, --sample or sync
    state, the catalogs' own directory.json is the source: a repository
    holding only the catalogs can check (or rebuild) them.
    """
    profile = optional_profile(env)
    target = catalogs_dir(env, profile, out)
    source = catalog_source(env, snapshot_path, sample, seed=seed, capacities=capacities, languages=languages,
                            out=target)
    snapshot = source.snapshot
    if source.recorded is not None:  # the settings it was built with; a rebuild is stamped with this version
        options = source.recorded if check else replace(source.recorded, generator=CatalogOptions().generator)
        if langs_:
            options = replace(options, languages=tuple(langs_))
    elif profile is not None:
        options = CatalogOptions.from_profile(profile, languages=tuple(langs_) or None)
    else:
        options = CatalogOptions(languages=tuple(langs_) or None)
    from_state = profile is not None and source.origin == f"the sync state {profile.state}"
    with locked(profile.state, "catalogs", create=False) if from_state and not check and profile else \
            contextlib.nullcontext(), \
            progress_bar(env, expected_count(snapshot, options), "check" if check else "build") as progress:
        if check:
            result: Any = check_catalogs(snapshot, target, options, progress)
        else:
            result = build_catalogs(snapshot, target, options, progress)
    if env.output_format == "json":
        emit_json(result.to_json())
    elif check:
        if not result.ok:
            env.echo(render(result, env.output_format))
    else:
        env.echo(render(Records([{"out": str(result.out), "languages": len(result.languages),
                                  "written": len(result.written), "unchanged": len(result.unchanged),
                                  "removed": len(result.removed)}]), env.output_format))
    _report_left_out(env, result.left_out)
    if check and not result.ok:
        raise CatalogError(f"catalogs in {target} are out of date: {len(result.differ)} differ, "
                           f"{len(result.missing)} missing, {len(result.extra)} not expected"
                           + (f", {len(result.refused)} damaged or not ours" if result.refused else ""),
                           hint=_check_hint(result, source, target, options))
    if check:
        env.echo(f"catalogs in {target} are up to date ({result.same} files, from {source.origin})", err=True)
    elif result.left_out:
        raise CatalogError(f"left out of the catalogs: {len(result.left_out)} term(s) whose text the app would not "
                           f"show as written (the rest is written; the app falls back for them)",
                           hint="fix each value on its wiki (or in the snapshot) and build again; `capxl10n check` "
                                "lists every error with its fix")


def _report_left_out(env: Env, left_out: tuple[Any, ...], shown: int = 10) -> None:
    """One warning line per term a build leaves out (:func:`capxl10n.catalogs.build.app_safe`), the first few."""
    for found in left_out[:shown]:
        log.warning("left out of the catalogs: %s", found)
    if len(left_out) > shown:
        log.warning("… and %d more left out (`capxl10n check --severity error` lists them)", len(left_out) - shown)


def _check_hint(result: CheckResult, source: Source, target: Path, options: CatalogOptions) -> str:
    """What to run so that the check passes: the command that rebuilds from the same source."""
    if source.recorded is not None:
        rebuild = f"`capxl10n catalogs --out {target}` (it rebuilds from {source.origin})"
    else:
        rebuild = "`capxl10n catalogs` with the same source"
    hint = f"run {rebuild} and commit the result"
    if result.refused:
        files = ", ".join(str(target / rel) for rel, _why in result.refused)
        hint = (f"a build will not overwrite {files}: delete what is a damaged catalog (capxl10n writes it "
                f"anew) and move anything else away, then {hint}")
    current = CatalogOptions().generator
    if options.generator != current:
        hint += f"; the catalogs were built by {options.generator}, this is {current}"
    return hint
