"""Build and check the catalogs directory from a snapshot.

Layout under the catalogs dir (design.md "Files")::

    capacities.pot
    <gettext-locale>/LC_MESSAGES/capacities.po   one per translation language
    <gettext-locale>/LC_MESSAGES/capacities.mo   fuzzy excluded
    json/<mw-code>.json                          banana JSON, fallbacks resolved (en included)
    json/index.json                              languages, hashes, coverage

Safety rules, in this order:

1. Every file is rendered and compared before anything is replaced; files
   whose bytes would not change are left alone (mtime kept).
2. A ``.po``/``.pot``/JSON file already at a target path that capxl10n did
   not write (no ``X-Generator: capxl10n``, another ``X-Message-Group``) stops
   the build with :class:`CatalogError` naming it — nothing is written.
3. New contents go to temporary files in the target's own directory; only
   when all of them are written are they moved into place with ``os.replace``
   (atomic per file). Any error before that removes the temporaries and
   leaves the existing catalogs untouched.
4. Files of ours for languages no longer built are removed last (``prune``).

:func:`check_catalogs` renders the same bytes and compares them with the disk
without writing, for the app's CI.
"""
from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from capxl10n import TOOL_NAME, __version__
from capxl10n.adapters import gettext as po_adapter
from capxl10n.adapters import jsonexport
from capxl10n.coverage import coverage as compute_coverage
from capxl10n.coverage import is_translation_language
from capxl10n.errors import CapxError, CatalogError, DataError, UnknownLanguage
from capxl10n.model import SOURCE_LANGUAGE, Snapshot

log = logging.getLogger(__name__)

POT_NAME: Final = f"{po_adapter.DOMAIN}.pot"
JSON_DIR: Final = "json"
Progress = Callable[[str], None]
#: Builds with at least this many languages render them on a process pool.
PARALLEL_FROM: Final = 64


@dataclass(frozen=True)
class CatalogOptions:
    """One build's settings; the profile gives the bundle page and message group."""

    bundle_page: str = "Module:CapacityExchange/capacities.json"
    message_group: str = "messagebundle-Module:CapacityExchange/capacities.json"
    #: MediaWiki codes to build; None = every language of the snapshot.
    languages: tuple[str, ...] | None = None
    generator: str = f"{TOOL_NAME} {__version__}"
    prune: bool = True
    #: Processes rendering languages: 0 = automatic (a fork pool of up to 4 from
    #: PARALLEL_FROM languages on), 1 = this process only.
    workers: int = 0

    @classmethod
    def from_profile(cls, profile: Any, **overrides: Any) -> CatalogOptions:
        return cls(bundle_page=profile.metawiki.bundle_page, message_group=profile.metawiki.message_group,
                   **overrides)

    def po_options(self) -> po_adapter.PoOptions:
        return po_adapter.PoOptions(self.bundle_page, self.message_group, self.generator)


@dataclass(frozen=True)
class BuildResult:
    """What a build did, per file (paths relative to the catalogs dir)."""

    out: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    languages: tuple[str, ...]

    def columns(self) -> Sequence[str]:
        return ("file", "status")

    def records(self) -> list[dict[str, Any]]:
        return ([{"file": f, "status": "written"} for f in self.written]
                + [{"file": f, "status": "removed"} for f in self.removed])

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "languages": list(self.languages), "written": list(self.written),
                "unchanged": len(self.unchanged), "removed": list(self.removed)}


@dataclass(frozen=True)
class CheckResult:
    """Which files on disk differ from what the snapshot produces."""

    out: Path
    differ: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    same: int = 0

    @property
    def ok(self) -> bool:
        return not (self.differ or self.missing or self.extra)

    def problems(self) -> list[tuple[str, str]]:
        return ([(f, "differs") for f in self.differ] + [(f, "missing") for f in self.missing]
                + [(f, "not expected") for f in self.extra])

    def columns(self) -> Sequence[str]:
        return ("file", "problem")

    def records(self) -> list[dict[str, Any]]:
        return [{"file": f, "problem": p} for f, p in self.problems()]

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "ok": self.ok, "differ": list(self.differ), "missing": list(self.missing),
                "extra": list(self.extra), "same": self.same}


@dataclass
class _Plan:
    languages: list[Any]        # langs.Language of translation languages
    json_languages: list[Any]   # en + translation languages
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _langs() -> Any:
    from capxl10n import langs  # imported late: the language table is a sibling module

    return langs


def _plan(snapshot: Snapshot, options: CatalogOptions) -> _Plan:
    langs = _langs()
    codes = options.languages if options.languages is not None else snapshot.languages()
    wanted = [c for c in dict.fromkeys(codes) if is_translation_language(c)]
    plan = _Plan([], [])
    try:
        plan.json_languages.append(langs.get(SOURCE_LANGUAGE))
        for code in wanted:
            plan.languages.append(langs.get(code))
    except UnknownLanguage as exc:
        raise DataError(f"snapshot ({snapshot.side}) has terms in unknown language {exc.code!r}",
                        hint=exc.hint) from None
    plan.json_languages += plan.languages
    locales: dict[str, str] = {}
    for language in plan.languages:
        other = locales.setdefault(language.gettext, language.code)
        if other != language.code:
            raise CatalogError(f"languages {other!r} and {language.code!r} share the gettext locale "
                               f"{language.gettext!r}", hint="build one of them only (--lang / profile languages)")
    for language in plan.json_languages:
        plan.chains[language.code] = tuple(langs.fallback_chain(language.code))
    return plan


def po_path(language: Any) -> str:
    return f"{language.gettext}/LC_MESSAGES/{po_adapter.DOMAIN}.po"


@dataclass(frozen=True)
class _Job:
    """What rendering one language needs; shared with worker processes by fork."""

    prepared: po_adapter.Prepared
    chains: dict[str, tuple[str, ...]]
    keys: list[str]  # message keys (``Q7397-label``) in catalog order
    options: CatalogOptions
    #: JSON-encoded strings that recur across languages (each process fills its own copy).
    json_cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


_JOB: _Job | None = None  # set only while a worker pool of render_files is alive


def _language_files(job: _Job, language: Any) -> tuple[list[tuple[str, bytes]], str, int]:
    """The files of one language, its JSON hash and key count."""
    files: list[tuple[str, bytes]] = []
    if language.code != SOURCE_LANGUAGE:
        po_data, mo_data = po_adapter.render_po(job.prepared, language)
        files += [(po_path(language), po_data), (po_path(language)[:-3] + ".mo", mo_data)]
    chain = job.chains[language.code]
    resolved = jsonexport.resolve_indexed(job.keys, job.prepared.by_lang, chain)
    data, digest = jsonexport.banana_file(language, chain, resolved, generator=job.options.generator,
                                          message_group=job.options.message_group, encoded=job.json_cache)
    files.append((f"{JSON_DIR}/{language.code}.json", data))
    return files, digest, len(resolved)


def _worker(language: Any) -> tuple[list[tuple[str, bytes]], str, int]:
    assert _JOB is not None, "worker started without a job"
    return _language_files(_JOB, language)


def _workers(options: CatalogOptions, count: int) -> int:
    if options.workers > 0:
        return options.workers
    if count < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


@contextlib.contextmanager
def _rendered(job: _Job, languages: list[Any]) -> Iterator[Iterator[tuple[list[tuple[str, bytes]], str, int]]]:
    """Each language's files in order: in this process, or on a fork pool for large builds.

    Output is the same either way (``imap`` keeps the order); the pool only
    spreads polib's formatting over the cores.
    """
    global _JOB
    workers = min(_workers(job.options, len(languages)), max(1, len(languages)))
    if workers <= 1:
        yield (_language_files(job, language) for language in languages)
        return
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield pool.imap(_worker, languages, chunksize=2)
    finally:
        _JOB = None


def render_files(snapshot: Snapshot, options: CatalogOptions,
                 progress: Progress | None = None) -> Iterator[tuple[str, bytes]]:
    """Every catalog file as ``(relative path, bytes)``, lazily, one language at a time.

    Pure apart from logging: nothing touches the disk, so build and check
    share it and produce the very same bytes.
    """
    plan = _plan(snapshot, options)
    prepared = po_adapter.prepare(snapshot, options.po_options())
    job = _Job(prepared, plan.chains, [k.message_key for k in snapshot.message_keys()], options)
    index = []
    with _rendered(job, plan.json_languages) as results:
        # A pool is rendering by now: the template, coverage and fingerprint are made meanwhile.
        yield POT_NAME, po_adapter.pot_bytes(prepared)
        report = compute_coverage(snapshot, [lang.code for lang in plan.languages])
        cover = {row.lang: {scope: row.scope(scope).to_json() for scope in ("label", "description", "all")}
                 for row in report.rows}
        fingerprint = snapshot.fingerprint()
        for language, (files, digest, count) in zip(plan.json_languages, results):
            yield from files
            chain = plan.chains[language.code]
            index.append(jsonexport.index_entry(language, chain, digest, count, cover.get(language.code)))
            if progress is not None:
                progress(language.code)
    yield f"{JSON_DIR}/{jsonexport.INDEX_NAME}", jsonexport.index_file(
        index, generator=options.generator, message_group=options.message_group,
        snapshot=fingerprint, source_language=SOURCE_LANGUAGE)


def expected_count(snapshot: Snapshot, options: CatalogOptions) -> int:
    """How many progress steps a build of ``snapshot`` reports (one per JSON language)."""
    codes = options.languages if options.languages is not None else snapshot.languages()
    return 1 + len([c for c in dict.fromkeys(codes) if is_translation_language(c)])


def _guard_ours(path: Path, rel: str, options: CatalogOptions) -> None:
    """Refuse to overwrite (or prune) a catalog file capxl10n did not write for this message group."""
    if path.is_dir():
        raise CatalogError(f"{path} is a directory where a catalog file belongs",
                           hint="move it away or choose another catalogs directory")
    if rel.endswith((".po", ".pot")):
        header = po_adapter.read_header(path)
        generator = header.get("X-Generator", "")
        group = header.get("X-Message-Group")
        if not generator.startswith(TOOL_NAME) or group != options.message_group:
            raise CatalogError(
                f"{path} was not written by capxl10n for {options.message_group} "
                f"(X-Generator: {generator or 'none'}, X-Message-Group: {group or 'none'})",
                hint="move the file away (import it first if it holds translations) or choose another --out")
    elif rel.endswith(".json") and not _json_is_ours(path):
        raise CatalogError(f"{path} is not a catalog written by capxl10n",
                           hint="move the file away or choose another --out")


def _json_is_ours(path: Path) -> bool:
    """Our JSON names its generator near the top; parse the whole file only when the quick look fails."""
    try:
        with path.open("rb") as handle:
            head = handle.read(po_adapter.HEADER_PROBE_BYTES)
        if f'"generator": "{TOOL_NAME}'.encode() in head and head.lstrip().startswith(b"{"):
            return True
        return jsonexport.is_ours(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def _our_files(out: Path, options: CatalogOptions) -> set[str]:
    """Catalog files of ours under ``out`` (for pruning and for --check's 'not expected')."""
    found: set[str] = set()
    if not out.is_dir():
        return found
    for po in out.glob(f"*/LC_MESSAGES/{po_adapter.DOMAIN}.po"):
        try:
            _guard_ours(po, "x.po", options)
        except CapxError:
            continue
        rel = po.relative_to(out).as_posix()
        found.add(rel)
        if po.with_suffix(".mo").is_file():
            found.add(rel[:-3] + ".mo")
    json_dir = out / JSON_DIR
    if json_dir.is_dir():
        for path in json_dir.glob("*.json"):
            try:
                _guard_ours(path, "x.json", options)
            except CapxError:
                continue
            found.add(path.relative_to(out).as_posix())
    return found


def _state(path: Path, data: bytes) -> str:
    """``"missing"``, ``"same"`` or ``"differs"``: whether ``path`` holds exactly ``data``.

    The size is compared first; only a file of the same size is read (a
    rebuild of 2,000 x 300 compares ~850 MB).
    """
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if info.st_size != len(data):
            return "differs"
        return "same" if path.read_bytes() == data else "differs"
    except (FileNotFoundError, NotADirectoryError):
        return "missing"  # not there yet (writing it will tell whether it can be)
    except IsADirectoryError:
        raise CatalogError(f"{path} is a directory where a catalog file belongs",
                           hint="move it away or choose another catalogs directory") from None
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror}",
                           hint="check the catalogs directory's permissions, or choose another with --out") from None


def _write_temp(target: Path, data: bytes, made: set[Path] | None = None) -> Path:
    """``data`` in a new temporary file next to ``target``; ``made``: directories known to exist."""
    if made is None or target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(target.parent)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def build_catalogs(snapshot: Snapshot, out: Path, options: CatalogOptions | None = None,
                   progress: Progress | None = None) -> BuildResult:
    """Write the catalogs of ``snapshot`` under ``out`` (see the module docstring for the rules)."""
    options = options or CatalogOptions()
    out = Path(out)
    staged: list[tuple[Path, Path, str]] = []
    written: list[str] = []
    unchanged: list[str] = []
    produced: set[str] = set()
    made: set[Path] = set()
    try:
        if out.exists() and not out.is_dir():
            raise CatalogError(f"catalogs directory {out} is a file",
                               hint="choose another --out directory or move the file away")
        for rel, data in render_files(snapshot, options, progress):
            produced.add(rel)
            target = out / rel
            state = _state(target, data)
            if state == "same":
                unchanged.append(rel)
                continue
            if state == "differs":
                _guard_ours(target, rel, options)
            staged.append((_write_temp(target, data, made), target, rel))
        extra = sorted(_our_files(out, options) - produced) if options.prune else []
        for temp, target, rel in staged:
            os.replace(temp, target)
            written.append(rel)
        staged.clear()
    except OSError as exc:
        where = exc.filename or out
        raise CatalogError(f"cannot write catalogs in {out}: {exc.strerror or exc} ({where})",
                           hint="check that the catalogs directory is writable, or choose another with --out"
                           ) from None
    finally:
        for temp, _target, _rel in staged:
            temp.unlink(missing_ok=True)
    removed = []
    for rel in extra:
        try:
            (out / rel).unlink()
            removed.append(rel)
        except OSError as exc:
            log.warning("could not remove stale catalog %s: %s", out / rel, exc.strerror)
    log.info("catalogs in %s: %d written, %d unchanged, %d removed", out, len(written), len(unchanged),
             len(removed))
    plan_langs = tuple(sorted({rel.split("/")[1][:-5] for rel in produced
                               if rel.startswith(f"{JSON_DIR}/") and rel != f"{JSON_DIR}/{jsonexport.INDEX_NAME}"}))
    return BuildResult(out, tuple(written), tuple(unchanged), tuple(removed), plan_langs)


def check_catalogs(snapshot: Snapshot, out: Path, options: CatalogOptions | None = None,
                   progress: Progress | None = None) -> CheckResult:
    """Compare the catalogs on disk with what ``snapshot`` produces; writes nothing."""
    options = options or CatalogOptions()
    out = Path(out)
    differ, missing, produced = [], [], set()
    same = 0
    for rel, data in render_files(snapshot, options, progress):
        produced.add(rel)
        state = _state(out / rel, data)
        if state == "missing":
            missing.append(rel)
        elif state == "differs":
            differ.append(rel)
        else:
            same += 1
    extra = sorted(_our_files(out, options) - produced)
    return CheckResult(out, tuple(differ), tuple(missing), tuple(extra), same)
