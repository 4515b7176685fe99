"""``capxl10n catalogs``: build (or ``--check``) the gettext and JSON catalogs.

Thin: picks the directory to build from (:func:`directory_source`), calls
:func:`capxl10n.catalogs.build_catalogs` or :func:`~capxl10n.catalogs.check_catalogs`,
renders the result with :mod:`capxl10n.render`.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from capxl10n.catalogs import CatalogOptions, build_catalogs, check_catalogs, expected_count
from capxl10n.cli import Env, emit_json, format_option, pass_env
from capxl10n.errors import CatalogError, DataError, UsageError
from capxl10n.model import Snapshot
from capxl10n.render import Records, render

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def read_snapshot(path: Path) -> Snapshot:
    """A snapshot file; errors name the file (and the position of malformed JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"snapshot file {path} does not exist",
                        hint="write one with `capxl10n sample -o FILE` or `capxl10n pull`") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})", hint="snapshots are UTF-8 JSON") from None
    except OSError as exc:
        raise DataError(f"cannot read snapshot file {path}: {exc.strerror}") from None
    return Snapshot.loads(text, origin=str(path))


def directory_source(env: Env, snapshot: Path | None = None, sample: bool = False, *, seed: int = 1,
                     capacities: int = 250, languages: int = 42) -> Snapshot:
    """The directory to build from: a snapshot file, the generated sample, or the sync state's base."""
    if snapshot is not None and sample:
        raise UsageError("give either --snapshot or --sample, not both")
    if snapshot is not None:
        return read_snapshot(snapshot)
    if sample:
        from capxl10n.sample import generate

        return generate(capacities=capacities, languages=languages, seed=seed)
    from capxl10n import state

    loader = getattr(state, "load_directory", None)
    if loader is None:
        raise UsageError("no directory to build from", hint="give --snapshot FILE or --sample")
    profile = env.profile()
    if not Path(profile.state).exists():
        raise UsageError(f"no snapshot given and no sync state at {profile.state}",
                         hint="give --snapshot FILE or --sample, or run `capxl10n sync` first")
    result: Snapshot = loader(profile)
    return result


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
    """A click progress bar on stderr when it is a terminal; otherwise no progress callback."""
    if not env.interactive or length < 2:
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield lambda _lang: bar.update(1)


@click.command("catalogs")
@click.option("--snapshot", "snapshot_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Snapshot JSON file to build from.")
@source_options
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the catalogs on disk are out of date.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Catalogs directory (default: --catalogs, else the profile's, else ./catalogs).")
@click.option("--lang", "langs_", multiple=True, metavar="CODE", help="Only these languages (repeatable).")
@format_option()
@pass_env
def catalogs(env: Env, snapshot_path: Path | None, sample: bool, seed: int, capacities: int, languages: int,
             check: bool, out: Path | None, langs_: tuple[str, ...]) -> None:
    """Build capacities.pot, <locale>/LC_MESSAGES/capacities.po/.mo and json/<code>.json.

    The same snapshot always gives the same bytes; with --check nothing is
    written and the exit status is 1 when any file differs, is missing or
    is left over (for the app's CI).
    """
    snapshot = directory_source(env, snapshot_path, sample, seed=seed, capacities=capacities,
                                languages=languages)
    profile = env.profile()
    options = CatalogOptions.from_profile(profile, languages=tuple(langs_) or None)
    target = out or env.catalogs_path or Path(profile.catalogs or "catalogs")
    with progress_bar(env, expected_count(snapshot, options), "check" if check else "build") as progress:
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
    if check and not result.ok:
        raise CatalogError(f"catalogs in {target} are out of date: {len(result.differ)} differ, "
                           f"{len(result.missing)} missing, {len(result.extra)} not expected",
                           hint="run `capxl10n catalogs` with the same source and commit the result")
    if check:
        env.echo(f"catalogs in {target} are up to date ({result.same} files)", err=True)


COMMANDS: list[click.Command] = [catalogs]
