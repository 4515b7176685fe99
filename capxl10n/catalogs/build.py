"""Build and check the catalogs directory from a snapshot.

Layout under the catalogs dir (docs/catalogs.md, "Layout")::

    capacities.pot
    <gettext-locale>/LC_MESSAGES/capacities.po   one per translation language
    <gettext-locale>/LC_MESSAGES/capacities.mo   fuzzy excluded
    json/<mw-code>.json                          banana JSON, fallbacks resolved (en included)
    json/index.json                              languages, hashes, coverage
    directory.json                               the directory they were built from, and the settings

``directory.json`` is a snapshot (``capxl10n-snapshot/1``, one capacity or
term per line) whose meta records the build's settings
(:meth:`CatalogOptions.settings`): with it alone, :func:`read_directory`
gives back what :func:`check_catalogs` needs, so an app repository that
commits only the catalogs can check them in its CI.

Safety rules, in this order:

1. Every file is rendered and compared before anything is replaced; files
   whose bytes would not change are left alone (mtime kept).
2. A ``.po``/``.pot``/JSON file already at a target path that capxl10n did
   not write (no ``X-Generator: capxl10n``, another ``X-Message-Group``, JSON
   without our generator, a ``directory.json`` without our settings) or that
   is damaged (not valid JSON) stops the build with :class:`CatalogError`
   naming it — nothing is written.
3. New contents go to temporary files in the target's own directory; only
   when all of them are written are they moved into place with ``os.replace``
   (atomic per file). Any error before that removes the temporaries and
   leaves the existing catalogs untouched.
4. Files of ours for languages no longer built are removed last (``prune``).

:func:`check_catalogs` renders the same bytes and compares them with the disk
without writing, for the app's CI; a differing file that a build would refuse
is reported as such, with the reason.
"""
from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from capxl10n import TOOL_NAME, __version__
from capxl10n.catalogs import po as po_adapter
from capxl10n.catalogs import banana as jsonexport
from capxl10n.core.coverage import coverage as compute_coverage
from capxl10n.core.coverage import is_translation_language
from capxl10n.errors import CapxError, CatalogError, DataError, UnknownLanguage
from capxl10n.core.checks import value_errors
from capxl10n.core.findings import Finding
from capxl10n.core.model import DOC_LANGUAGE, SNAPSHOT_FORMAT, SOURCE_LANGUAGE, Snapshot, Term, TermKey, paused_gc
from capxl10n.core.values import CONTROL_CHARACTER, LINE_SEPARATOR, MAX_TERM_LENGTH, TOO_LONG
from capxl10n.profile import Profile

log = logging.getLogger(__name__)

POT_NAME: Final = f"{po_adapter.DOMAIN}.pot"
JSON_DIR: Final = "json"
DIRECTORY_NAME: Final = "directory.json"
#: Snapshot meta key under which ``directory.json`` records the build's settings.
DIRECTORY_META: Final = "catalogs"
#: CatalogOptions fields that never change a file's bytes: not recorded in ``directory.json``.
NOT_RECORDED: Final = frozenset({"prune", "workers"})
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
    #: Accounts never credited as translators (our bots; FuzzyBot always is left out): sorted names.
    exclude_authors: tuple[str, ...] = ()

    @classmethod
    def from_profile(cls, profile: Profile, **overrides: Any) -> CatalogOptions:
        """The profile's bundle and group; our bot accounts (as the environment names them) are no translators."""
        bots = sorted({user for site in (profile.metabase, profile.metawiki)
                       if (user := _account(getattr(site, "user_env", None)))})
        overrides.setdefault("exclude_authors", tuple(bots))
        return cls(bundle_page=profile.metawiki.bundle_page, message_group=profile.metawiki.message_group,
                   **overrides)

    def po_options(self) -> po_adapter.PoOptions:
        return po_adapter.PoOptions(self.bundle_page, self.message_group, self.generator,
                                    exclude_authors=frozenset(self.exclude_authors))

    def settings(self) -> dict[str, Any]:
        """The fields that shape the files' bytes, as JSON: what ``directory.json`` records.

        Every field is recorded unless listed in :data:`NOT_RECORDED`, so a
        new option reaches ``--check`` without more code; its value must be a
        JSON scalar or a tuple/frozenset of them (written as a sorted list
        for a set).
        """
        out: dict[str, Any] = {}
        for spec in fields(self):
            if spec.name in NOT_RECORDED:
                continue
            value = getattr(self, spec.name)
            if isinstance(value, (set, frozenset)):
                value = sorted(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[spec.name] = value
        return out

    @classmethod
    def from_settings(cls, data: Mapping[str, Any], *, origin: str = "settings") -> CatalogOptions:
        """The options :meth:`settings` recorded; a missing field takes its default (an older file)."""
        default = cls()
        known = {spec.name for spec in fields(cls)} - NOT_RECORDED
        unknown = sorted(set(data) - known)
        if unknown:
            raise DataError(f"{origin}: unknown catalog settings {', '.join(map(repr, unknown))}",
                            hint=f"written by {data.get('generator') or 'another capxl10n'}; "
                                 f"this is {default.generator}: install the version that wrote it")
        values: dict[str, Any] = {}
        for name, value in data.items():
            usual = getattr(default, name)
            if isinstance(value, list) and (usual is None or isinstance(usual, (tuple, frozenset))):
                if not all(isinstance(item, (str, int, float, bool)) for item in value):
                    raise DataError(f"{origin}: catalog setting {name!r} must be a list of strings")
                value = tuple(value) if usual is None or isinstance(usual, tuple) else frozenset(value)
            elif value is not None if usual is None else type(value) is not type(usual):
                raise DataError(f"{origin}: catalog setting {name!r} must be "
                                f"{'a list' if usual is None else type(usual).__name__}, "
                                f"got {type(value).__name__} {value!r}")
            values[name] = value
        return cls(**values)


@dataclass(frozen=True)
class BuildResult:
    """What a build did, per file (paths relative to the catalogs dir)."""

    out: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    languages: tuple[str, ...]
    #: Terms left out because the app would not show their text as written (:func:`app_safe`).
    left_out: tuple[Finding, ...] = ()

    def columns(self) -> Sequence[str]:
        return ("file", "status")

    def records(self) -> list[dict[str, Any]]:
        return ([{"file": f, "status": "written"} for f in self.written]
                + [{"file": f, "status": "removed"} for f in self.removed])

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "languages": list(self.languages), "written": list(self.written),
                "unchanged": len(self.unchanged), "removed": list(self.removed),
                "left_out": [f.to_json() for f in self.left_out]}


@dataclass(frozen=True)
class CheckResult:
    """Which files on disk differ from what the snapshot produces."""

    out: Path
    differ: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    same: int = 0
    #: Differing files a build would refuse to overwrite, with the reason (damaged, not ours).
    refused: tuple[tuple[str, str], ...] = ()
    #: Terms a build leaves out (:func:`app_safe`): the check compares without them, as the build writes.
    left_out: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.differ or self.missing or self.extra or self.refused)

    def problems(self) -> list[tuple[str, str]]:
        return ([(f, "differs") for f in self.differ] + [(f, "missing") for f in self.missing]
                + [(f, "not expected") for f in self.extra] + [(f, why) for f, why in self.refused])

    def columns(self) -> Sequence[str]:
        return ("file", "problem")

    def records(self) -> list[dict[str, Any]]:
        return [{"file": f, "problem": p} for f, p in self.problems()]

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "ok": self.ok, "differ": list(self.differ), "missing": list(self.missing),
                "extra": list(self.extra), "refused": [{"file": f, "reason": why} for f, why in self.refused],
                "same": self.same, "left_out": [f.to_json() for f in self.left_out]}


@dataclass
class _Plan:
    languages: list[Any]        # langs.Language of translation languages
    json_languages: list[Any]   # en + translation languages
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _langs() -> Any:
    from capxl10n.core import langs  # imported late: the language table is a sibling module

    return langs


def _plan(snapshot: Snapshot, options: CatalogOptions) -> _Plan:
    langs = _langs()
    codes = options.languages if options.languages is not None else snapshot.languages()
    wanted = [c for c in dict.fromkeys(codes) if is_translation_language(c)]
    plan = _Plan([], [langs.get(SOURCE_LANGUAGE)])
    for code in wanted:
        try:
            plan.languages.append(langs.get(code))
        except UnknownLanguage as exc:
            if options.languages is not None:
                raise  # the caller asked for it: a usage error naming the code
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


def _account(user_env: str | None) -> str | None:
    """The account a bot password's user name (``User@BotName``) logs in as, from the environment."""
    if not user_env:
        return None
    user = os.environ.get(user_env, "").strip()
    return user.partition("@")[0] or None


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
                                          message_group=job.options.message_group, encoded=job.json_cache,
                                          exclude_authors=job.options.exclude_authors)
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
            # Every result taken: let the workers end on their own. Leaving it to the pool's exit (terminate(),
            # SIGTERM) could hang: a worker inherits the CLI's SIGTERM handler (it only asks the run to stop),
            # and one waiting for the task queue's lock, held by terminate(), then never ends.
            pool.close()
            pool.join()
    finally:
        _JOB = None


def app_safe(snapshot: Snapshot, languages: Collection[str] | None = None) -> tuple[Snapshot, tuple[Finding, ...]]:
    """``snapshot`` without the terms whose text the app would not show as written, and why each is left out.

    The translation checks' value errors (:func:`capxl10n.core.checks.value_errors`: control and bidi
    characters, the fuzzy marker, ``~~~~`` and other pre-save syntax, banana syntax such as ``{{`` and
    ``[[``…) but those about Metabase alone (length, line separators) and line breaks and tabs, which the
    app shows as written (Translate's export carries them too). The sync never writes such a value
    to a wiki (docs/sync.md, rule 9); a catalog built from a wiki's read or a snapshot file must not ship
    it either: the term is left out, so the app falls back as for a missing translation, and the build
    says which and why. The documentation (``qqq``) is free wikitext for translators, never shown by the app.
    ``languages``: the languages a build writes (None: all); the English counts for every one of them.
    """
    found: list[Finding] = []
    bad: set[Any] = set()
    for key, term in snapshot.terms.items():
        if key.lang == DOC_LANGUAGE or not term.text.strip():
            continue
        if languages is not None and key.lang not in languages and key.lang != SOURCE_LANGUAGE:
            continue
        if _plain(term.text):  # nothing a check could find (a million terms: the checks walk every character)
            continue
        problems = [f for f in value_errors(key, term.text) if _shown_otherwise(f, term.text)]
        if problems:
            bad.add(key)
            found.append(problems[0])
    if not bad:
        return snapshot, ()
    terms = {k: t for k, t in snapshot.terms.items() if k not in bad}
    return Snapshot(snapshot.side, snapshot.capacities, terms, snapshot.meta), tuple(sorted(found, key=Finding.sort_key))


#: Every character a value check looks for: controls (Cc), surrogates (Cs), line and paragraph separators
#: (Zl, Zp), noncharacters, U+FFFD, bidi controls, and what starts a signature, template, link, parameter or
#: the fuzzy marker (~ { [ $ !).
_SUSPECT: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufdd0-\ufdef\ufffd\ufffe\uffff"
                             "\u202a-\u202e\u2066-\u2069~{\\[$!]|[\U0001fffe-\U0001ffff\U0002fffe-\U0002ffff"
                             "\U0003fffe-\U0003ffff\U0004fffe-\U0004ffff\U0005fffe-\U0005ffff\U0006fffe-\U0006ffff"
                             "\U0007fffe-\U0007ffff\U0008fffe-\U0008ffff\U0009fffe-\U0009ffff\U000afffe-\U000affff"
                             "\U000bfffe-\U000bffff\U000cfffe-\U000cffff\U000dfffe-\U000dffff\U000efffe-\U000effff"
                             "\U000ffffe-\U000fffff\U0010fffe-\U0010ffff]")
_WORD: Final = re.compile(r"\w")


def _plain(text: str) -> bool:
    """Whether no value error can apply to ``text`` (:func:`capxl10n.core.checks.value_errors` would find
    nothing): none of the characters any check looks for, NFC, not blank, not too long, and a letter,
    digit or underscore in it (so it is visible). False sends the text to the checks themselves."""
    if _SUSPECT.search(text) is not None or not unicodedata.is_normalized("NFC", text):
        return False
    value = text.strip()
    return 0 < len(value) <= MAX_TERM_LENGTH and _WORD.search(value) is not None


def _shown_otherwise(found: Finding, text: str) -> bool:
    """Whether the app would not show ``text`` as written, by ``found``: not for Metabase's own limits (length,
    line separators) nor for line breaks and tabs (the .po and JSON carry them, as Translate's export does)."""
    if found.rule in (TOO_LONG, LINE_SEPARATOR):
        return False
    if found.rule == CONTROL_CHARACTER:
        return any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text)
    return True


def render_files(snapshot: Snapshot, options: CatalogOptions,
                 progress: Progress | None = None) -> Iterator[tuple[str, bytes]]:
    """Every catalog file as ``(relative path, bytes)``, lazily, one language at a time.

    Pure apart from logging: nothing touches the disk, so build and check
    share it and produce the very same bytes.
    """
    plan = _plan(snapshot, options)
    prepared = po_adapter.prepare(snapshot, options.po_options())
    job = _Job(prepared, plan.chains, list(prepared.message_keys), options)  # the bundle's order, as the .po
    index = []
    with _rendered(job, plan.json_languages) as results:
        # A pool is rendering by now: the template, directory, coverage and fingerprint are made meanwhile.
        yield POT_NAME, po_adapter.pot_bytes(prepared)
        yield DIRECTORY_NAME, directory_bytes(snapshot, options)
        documentation = jsonexport.documentation_file(
            prepared.message_keys, prepared.by_lang, generator=options.generator,
            message_group=options.message_group, exclude_authors=options.exclude_authors)
        if documentation is not None:
            yield f"{JSON_DIR}/{jsonexport.DOCUMENTATION_NAME}", documentation
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


def directory_bytes(snapshot: Snapshot, options: CatalogOptions) -> bytes:
    """``directory.json``: ``snapshot`` with the build's :meth:`~CatalogOptions.settings` in its meta.

    A snapshot file (any ``--snapshot`` option reads it) laid out for diffs
    and review: one capacity or term per line, in the snapshot's own order,
    meta keys sorted, raw UTF-8. The same directory and settings give the
    same bytes, and :func:`read_directory` followed by this function gives
    the file back byte for byte.
    """
    body = snapshot.to_json(terms=False)
    body["meta"] = {**body.get("meta", {}), DIRECTORY_META: options.settings()}
    encode = json.JSONEncoder(ensure_ascii=False).encode
    parts = []
    for name, value in body.items():
        if isinstance(value, list):
            text = "[\n" + ",\n".join("  " + encode(row) for row in value) + "\n ]" if value else "[]"
        else:
            text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).replace("\n", "\n ")
        parts.append(f" {encode(name)}: {text}".encode("utf-8"))
    # the terms, a line each, written out as encode() writes a term's row (without a dict per term)
    rows = [("  " + _directory_row(k, t)).encode("utf-8") for k, t in snapshot.terms.items()]
    parts.append(b' "terms": ' + (b"[\n" + b",\n".join(rows) + b"\n ]" if rows else b"[]"))
    return b"{\n" + b",\n".join(parts) + b"\n}\n"


_STRING: Callable[[str], str] = json.encoder.encode_basestring


def _directory_row(key: TermKey, term: Term) -> str:
    """``json.JSONEncoder(ensure_ascii=False).encode`` of the term's object in a snapshot file (its keys in
    :meth:`Snapshot.to_json`'s order), written out: directory.json has a line per term, a million of them."""
    revision, author, timestamp = term.revision, term.author, term.timestamp
    return "".join(('{"qid": "', key[0], '", "field": "', key[1], '", "lang": ', _STRING(key[2]), ', "text": ',
                    _STRING(term.text), ', "side": ', _STRING(term.side), ', "fuzzy": true' if term.fuzzy else "",
                    "" if revision is None else ', "revision": ' + int.__repr__(revision),
                    "" if author is None else ', "author": ' + _STRING(author),
                    "" if timestamp is None else ', "timestamp": ' + _STRING(timestamp), "}"))


def read_snapshot(path: Path) -> Snapshot:
    """A snapshot file; errors name the file (and the position of malformed JSON or a repeated key)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"snapshot file {path} does not exist",
                        hint="write one with `capxl10n sample -o FILE` or `capxl10n pull`") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})", hint="snapshots are UTF-8 JSON") from None
    except OSError as exc:
        raise DataError(f"cannot read snapshot file {path}: {exc.strerror}") from None
    return Snapshot.loads(text, origin=str(path))


def read_directory(out: Path) -> tuple[Snapshot, CatalogOptions] | None:
    """The directory recorded next to the catalogs in ``out`` and the options it was built with.

    None when ``out`` has no ``directory.json``. The options are the recorded
    ones, generator included: checking with them tells whether the files are
    what that build wrote, whichever capxl10n version checks (as long as it
    renders the same bytes).
    """
    path = Path(out) / DIRECTORY_NAME
    if not path.exists():
        return None
    restore = (f"restore {path} from version control, or rebuild the catalogs from a snapshot "
               f"(`capxl10n catalogs --snapshot FILE --out {out}`) or from the sync state")
    try:
        snapshot = read_snapshot(path)
    except DataError as exc:
        raise DataError(exc.message, hint=restore) from None
    settings = snapshot.meta.get(DIRECTORY_META)
    if not isinstance(settings, dict) or not str(settings.get("generator", "")).startswith(TOOL_NAME):
        raise CatalogError(f"{path} is a snapshot but not the one capxl10n wrote with these catalogs "
                           f"(no meta {DIRECTORY_META!r} settings)",
                           hint=f"give it with --snapshot {path}, or move it away; {restore}")
    try:
        return snapshot, CatalogOptions.from_settings(settings, origin=f"{path}: meta {DIRECTORY_META!r}")
    except DataError as exc:
        raise DataError(exc.message, hint=exc.hint or restore) from None


def expected_count(snapshot: Snapshot, options: CatalogOptions) -> int:
    """How many progress steps a build of ``snapshot`` reports (one per JSON language)."""
    codes = options.languages if options.languages is not None else snapshot.languages()
    return 1 + len([c for c in dict.fromkeys(codes) if is_translation_language(c)])


def _guard_ours(path: Path, rel: str, options: CatalogOptions) -> None:
    """Refuse to overwrite (or prune) a catalog file capxl10n did not write for this message group."""
    problem = _not_ours(path, rel, options)
    if problem is None:
        return
    reason, damaged = problem
    if damaged:
        hint = (f"if it is a damaged catalog file, delete it (capxl10n writes it anew: `rm {path}`) and run "
                f"`capxl10n catalogs` again; if it is someone else's file, move it away or choose another --out")
    elif rel.endswith((".po", ".pot")):
        hint = "move the file away (import it first if it holds translations) or choose another --out"
    else:
        hint = "move the file away or choose another --out"
    raise CatalogError(f"{path}: {reason}", hint=hint)


def _not_ours(path: Path, rel: str, options: CatalogOptions) -> tuple[str, bool] | None:
    """Why a build must not overwrite ``path`` and whether it is damaged (else foreign); None when ours."""
    if path.is_dir():
        raise CatalogError(f"{path} is a directory where a catalog file belongs",
                           hint="move it away or choose another catalogs directory")
    if rel.endswith((".po", ".pot")):
        header = po_adapter.read_header(path)
        generator = header.get("X-Generator", "")
        group = header.get("X-Message-Group")
        if not generator.startswith(TOOL_NAME) or group != options.message_group:
            return (f"not written by capxl10n for {options.message_group} "
                    f"(X-Generator: {generator or 'none'}, X-Message-Group: {group or 'none'})", False)
    elif rel == DIRECTORY_NAME:
        return _json_problem(path, _DIRECTORY_PROBE, _directory_is_ours,
                             "not the directory file capxl10n writes with the catalogs")
    elif rel.endswith(".json"):
        return _json_problem(path, _CATALOG_PROBE, jsonexport.is_ours, "not a catalog written by capxl10n")
    return None


#: Quick looks at the first bytes of our JSON files (the full parse decides when they fail).
_CATALOG_PROBE: Final = re.compile(rb'\A\s*\{.*"generator": "' + TOOL_NAME.encode() + rb"[ \"]", re.S)
_DIRECTORY_PROBE: Final = re.compile(
    rb'\A\{\n "format": "' + SNAPSHOT_FORMAT.encode() + rb'",\n.*\n  "' + DIRECTORY_META.encode()
    + rb'": \{\n(?:   [^\n]*\n)*?   "generator": "' + TOOL_NAME.encode() + rb'[ "]', re.S)


def _directory_is_ours(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        return False
    settings = (data.get("meta") or {}).get(DIRECTORY_META) if isinstance(data.get("meta"), dict) else None
    return isinstance(settings, dict) and str(settings.get("generator", "")).startswith(TOOL_NAME)


def _json_problem(path: Path, probe: re.Pattern[bytes], is_ours: Callable[[Any], bool],
                  foreign: str) -> tuple[str, bool] | None:
    """None for our JSON; a damaged file (not UTF-8, not JSON) and a foreign one say why."""
    try:
        with path.open("rb") as handle:
            head = handle.read(po_adapter.HEADER_PROBE_BYTES)
        if probe.match(head):
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return f"damaged: not UTF-8 text (byte {exc.start})", True
    except json.JSONDecodeError as exc:
        return f"damaged: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})", True
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror}",
                           hint="check the catalogs directory's permissions, or choose another with --out") from None
    return None if is_ours(data) else (foreign, False)


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
    candidates = [(path, "x.json") for path in json_dir.glob("*.json")] if json_dir.is_dir() else []
    if (out / DIRECTORY_NAME).is_file():
        candidates.append((out / DIRECTORY_NAME, DIRECTORY_NAME))
    for path, kind in candidates:
        try:
            if _not_ours(path, kind, options) is None:
                found.add(path.relative_to(out).as_posix())
        except CapxError:
            continue
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


#: A temporary file of :func:`_write_temp` (``tempfile.mkstemp``'s 8 random characters): ``.<name>.<random>.tmp``.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")


def _remove_leftovers(out: Path, produced: set[str]) -> None:
    """Remove the temporary files a build that was killed between writing and moving them left beside the
    catalogs (rule 3 cleans up after errors; nothing runs after SIGKILL), once this build has moved its own."""
    names: dict[Path, set[str]] = {}
    for rel in produced:
        target = out / rel
        names.setdefault(target.parent, set()).add(target.name)
    for folder, ours in names.items():
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                match = _TEMPORARY.match(entry.name)
                if match and match.group("name") in ours and entry.is_file(follow_symlinks=False):
                    log.info("removing %s, left by a build that was stopped", Path(folder, entry.name))
                    Path(folder, entry.name).unlink(missing_ok=True)


def build_catalogs(snapshot: Snapshot, out: Path, options: CatalogOptions | None = None,
                   progress: Progress | None = None) -> BuildResult:
    """Write the catalogs of ``snapshot`` under ``out`` (see the module docstring for the rules), but the terms
    :func:`app_safe` leaves out (the result lists them)."""
    options = options or CatalogOptions()
    out = Path(out)
    snapshot, left_out = app_safe(snapshot, options.languages)
    staged: list[tuple[Path, Path, str]] = []
    written: list[str] = []
    unchanged: list[str] = []
    produced: set[str] = set()
    made: set[Path] = set()
    try:
        if out.exists() and not out.is_dir():
            raise CatalogError(f"catalogs directory {out} is a file",
                               hint="choose another --out directory or move the file away")
        with paused_gc():  # every language's entries: millions of objects, no cycle among them
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
        _remove_leftovers(out, produced)
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
    return BuildResult(out, tuple(written), tuple(unchanged), tuple(removed), plan_langs, left_out)


def check_catalogs(snapshot: Snapshot, out: Path, options: CatalogOptions | None = None,
                   progress: Progress | None = None) -> CheckResult:
    """Compare the catalogs on disk with what ``snapshot`` produces (without what :func:`app_safe` leaves out, as a
    build writes them); writes nothing."""
    options = options or CatalogOptions()
    out = Path(out)
    snapshot, left_out = app_safe(snapshot, options.languages)
    differ, missing, refused, produced = [], [], [], set()
    same = 0
    with paused_gc():  # every language's entries: millions of objects, no cycle among them
        for rel, data in render_files(snapshot, options, progress):
            produced.add(rel)
            state = _state(out / rel, data)
            if state == "missing":
                missing.append(rel)
            elif state == "differs":
                problem = _not_ours(out / rel, rel, options)
                if problem is None:
                    differ.append(rel)
                else:
                    refused.append((rel, problem[0]))
            else:
                same += 1
    extra = sorted(_our_files(out, options) - produced)
    return CheckResult(out, tuple(differ), tuple(missing), tuple(extra), same, tuple(refused), left_out)
