"""Profiles: which wikis to talk to, how politely, and with which policies.

A profile is a TOML file: a path, a name found in the working directory's
``sync/`` (your own profiles), or a profile shipped with the package
(``capxl10n/profiles/``: ``production``, ``sandbox``; package data, found with
:mod:`importlib.resources`, so an install from a wheel has them too). This
module is the only reader of those files. Credentials are never in the
file: it names the environment variables that hold them. Every validation
error names the file, the key and what is wrong.
"""
from __future__ import annotations

import os
import tomllib
from importlib import resources
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

from capxl10n.core.model import DELETION_POLICIES, FIRST_CONTACT_POLICIES, DeletionPolicy, FirstContactPolicy
from capxl10n.errors import ConfigError, register_secret

Choice = TypeVar("Choice", bound=str)

#: Where profiles are looked up by name before the shipped ones: the working directory's own.
PROFILE_DIRS: Final = (Path("sync"),)
SHIPPED_PROFILES: Final = "profiles"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password='***')"


@dataclass(frozen=True)
class SiteProfile:
    """One wiki: its API endpoint and the environment variables of its bot password."""

    name: str
    api: str
    user_env: str | None = None
    password_env: str | None = None
    maxlag: int | None = 5

    def credentials(self, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """The bot password from the environment, or None when the variables are unset."""
        env = os.environ if environ is None else environ
        if not self.user_env or not self.password_env:
            return None
        user, password = env.get(self.user_env), env.get(self.password_env)
        if not user or not password:
            return None
        register_secret(password)
        return Credentials(user, password)

    def require_credentials(self, environ: Mapping[str, str] | None = None) -> Credentials:
        creds = self.credentials(environ)
        if creds is None:
            from capxl10n.errors import AuthError
            raise AuthError(
                "no bot-password credentials for writing",
                site=self.name,
                hint=f"set {self.user_env} (User@BotName) and {self.password_env} in the environment",
            )
        return creds


@dataclass(frozen=True)
class MetabaseProfile(SiteProfile):
    sparql: str | None = None
    entity_prefix: str = "https://metabase.wikibase.cloud/entity/"
    item_namespace: int = 120
    instance_of: str = "P5"
    capacity_class: str = "Q34531"
    index_term: str = "P67"
    wikidata_qid: str = "P1"
    skill_id: str = "P91"


@dataclass(frozen=True)
class MetawikiProfile(SiteProfile):
    bundle_page: str = "Module:CapacityExchange/capacities.json"
    message_group: str = "messagebundle-Module:CapacityExchange/capacities.json"
    translate_api: bool = True
    translations_namespace: int = 1198


@dataclass(frozen=True)
class WikidataProfile(SiteProfile):
    enabled: bool = True


@dataclass(frozen=True)
class Policy:
    first_contact: FirstContactPolicy = "conflict"
    deletions: DeletionPolicy = "propagate"
    remove_from_bundle: bool = False


@dataclass(frozen=True)
class Pacing:
    edits_per_minute: float = 60.0
    max_attempts: int = 6
    max_wait_seconds: float = 300.0
    timeout_seconds: float = 30.0
    backoff_base_seconds: float = 1.0


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    metabase: MetabaseProfile
    metawiki: MetawikiProfile
    wikidata: WikidataProfile
    state: Path
    catalogs: Path
    contact: str
    languages: tuple[str, ...] | None = None
    exclude_languages: tuple[str, ...] = ()
    policy: Policy = field(default_factory=Policy)
    pacing: Pacing = field(default_factory=Pacing)

    def rebase(self, base_url: str) -> Profile:
        """The same profile with every endpoint moved to ``base_url`` (scheme and host:port).

        The sandbox listens on an ephemeral port; its profile names a
        placeholder host that this replaces. The entity prefix (Metabase's concept
        URI) is an identifier, not an endpoint: it moves only when it named the
        placeholder host (the sandbox answers with the real Metabase's by default).
        """
        def move(url: str | None) -> str | None:
            if not url:
                return url
            new, old = urlsplit(base_url), urlsplit(url)
            return urlunsplit((new.scheme, new.netloc, old.path, old.query, old.fragment))

        prefix = self.metabase.entity_prefix
        if urlsplit(prefix).netloc == urlsplit(self.metabase.api).netloc:
            prefix = move(prefix) or ""
        return replace(
            self,
            metabase=replace(self.metabase, api=move(self.metabase.api) or "", sparql=move(self.metabase.sparql),
                             entity_prefix=prefix),
            metawiki=replace(self.metawiki, api=move(self.metawiki.api) or ""),
            wikidata=replace(self.wikidata, api=move(self.wikidata.api) or ""),
        )

    def with_entity_prefix(self, concept_uri: str) -> Profile:
        """The same profile naming another Metabase concept URI (a sandbox serving a chosen one)."""
        return replace(self, metabase=replace(self.metabase, entity_prefix=concept_uri))

    def with_paths(self, *, state: Path | None = None, catalogs: Path | None = None) -> Profile:
        return replace(self, state=state or self.state, catalogs=catalogs or self.catalogs)


def shipped_profiles() -> list[str]:
    """Names of the profiles that come with the package."""
    folder = resources.files("capxl10n").joinpath(SHIPPED_PROFILES)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def is_shipped(path: Path) -> bool:
    """Whether ``path`` is one of the profiles that come with the package (not a copy of one's own)."""
    folder = Path(str(resources.files("capxl10n").joinpath(SHIPPED_PROFILES)))
    try:
        return path.resolve().parent == folder.resolve()
    except OSError:
        return False


def find_profile(name_or_path: str) -> Path:
    """A path as given, else ``sync/<name>.toml`` in the working directory, else a shipped profile."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if candidate.is_dir():
            raise ConfigError(f"{name_or_path} is a directory, not a profile file",
                              hint="give the path of a .toml file, or a profile's name")
        if not candidate.is_file():
            raise ConfigError(f"profile file {name_or_path} does not exist")
        return candidate
    for directory in PROFILE_DIRS:
        path = directory / f"{name_or_path}.toml"
        if path.is_file():
            return path
    shipped = resources.files("capxl10n").joinpath(SHIPPED_PROFILES, f"{name_or_path}.toml")
    if shipped.is_file():
        return Path(str(shipped))  # package data is installed as plain files (setup.cfg: zip_safe = False)
    raise ConfigError(f"no profile named {name_or_path!r}",
                      hint="use a path to a .toml file, a name from ./sync/, or a shipped profile: "
                           + ", ".join(shipped_profiles()))


def load_profile(name_or_path: str) -> Profile:
    path = find_profile(name_or_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}",
                          hint="check the path and the file's permissions") from None
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 byte order mark (Windows editors write one) is harmless
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}:{line}:{column}: not UTF-8 text (byte {raw[exc.start]:#04x}); a profile is TOML, "
            "which is always UTF-8",
            hint=f"save it as UTF-8 in your editor, or convert it: iconv -f latin1 -t utf-8 {path} > "
                 f"{path.with_suffix('.utf8.toml')} (then use that file)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}",
                          hint="compare with a shipped profile (capxl10n/profiles/sandbox.toml); "
                               "strings need double quotes, tables [brackets]") from None
    return parse_profile(data, path)


class _Reader:
    """Reads one table of the profile, naming the file and key in every error."""

    def __init__(self, path: Path, table: Mapping[str, Any], prefix: str) -> None:
        self.path, self.table, self.prefix, self.used = path, table, prefix, set[str]()

    def fail(self, key: str, why: str) -> ConfigError:
        return ConfigError(f"{self.path}: key '{self.prefix}{key}' {why}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required or default is ...:
                raise self.fail(key, "is missing")
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(key, f"must be {names}, got {type(value).__name__} {value!r}")
        return value

    def url(self, key: str, default: Any = ..., *, required: bool = False) -> Any:
        value = self.get(key, str, default, required=required)
        if value and not urlsplit(value).scheme in ("http", "https"):
            raise self.fail(key, f"must be an http(s) URL, got {value!r}")
        return value

    def choice(self, key: str, choices: tuple[Choice, ...], default: Choice) -> Choice:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return choices[choices.index(value)]

    def positive(self, key: str, kind: type, default: Any) -> Any:
        value = self.get(key, kind, default)
        if value <= 0:
            raise self.fail(key, f"must be positive, got {value!r}")
        return value

    def table_of(self, key: str) -> _Reader:
        sub = self.get(key, dict, {})
        return _Reader(self.path, sub, f"{self.prefix}{key}.")

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "is not a known setting (typo?)")


def _site_fields(reader: _Reader, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "api": reader.url("api", required=True),
        "user_env": reader.get("user_env", str, None),
        "password_env": reader.get("password_env", str, None),
        "maxlag": reader.get("maxlag", int, 5),
    }


def parse_profile(data: Mapping[str, Any], path: Path) -> Profile:
    top = _Reader(path, data, "")
    name = top.get("name", str, path.stem)
    state = Path(top.get("state", str, f".capxl10n/{name}.sqlite")).expanduser()
    catalogs = Path(top.get("catalogs", str, "catalogs"))
    contact = top.get("contact", str, required=True)
    if not contact.strip():
        raise top.fail("contact", "must name a URL or e-mail address (Wikimedia User-Agent policy)")

    mb = top.table_of("metabase")
    metabase = MetabaseProfile(
        **_site_fields(mb, "metabase"),
        sparql=mb.url("sparql", None) or None,
        entity_prefix=mb.get("entity_prefix", str, "https://metabase.wikibase.cloud/entity/"),
        item_namespace=mb.get("item_namespace", int, 120),
        instance_of=mb.get("instance_of", str, "P5"),
        capacity_class=mb.get("capacity_class", str, "Q34531"),
        index_term=mb.get("index_term", str, "P67"),
        wikidata_qid=mb.get("wikidata_qid", str, "P1"),
        skill_id=mb.get("skill_id", str, "P91"),
    )
    if "sparql_lag_tolerance" in mb.table:
        raise mb.fail("sparql_lag_tolerance", "is no longer a setting: discovery never waits for the query "
                      "service, the wiki decides which items are capacities whatever SPARQL's lag "
                      "(docs/clients.md, Metabase); remove the line")
    mb.finish()
    mw = top.table_of("metawiki")
    bundle_page = mw.get("bundle_page", str, "Module:CapacityExchange/capacities.json")
    metawiki = MetawikiProfile(
        **_site_fields(mw, "metawiki"),
        bundle_page=bundle_page,
        message_group=mw.get("message_group", str, f"messagebundle-{bundle_page}"),
        translate_api=mw.get("translate_api", bool, True),
        translations_namespace=mw.get("translations_namespace", int, 1198),
    )
    mw.finish()
    wd = top.table_of("wikidata")
    wikidata = WikidataProfile(**_site_fields(wd, "wikidata"), enabled=wd.get("enabled", bool, True))
    wd.finish()

    langs = top.table_of("languages")
    include = langs.get("include", (str, list), "all")
    if isinstance(include, str) and include != "all":
        raise langs.fail("include", f"must be \"all\" or a list of MediaWiki codes, got {include!r}")
    if isinstance(include, list) and not all(isinstance(c, str) for c in include):
        raise langs.fail("include", "must list language codes as strings")
    exclude = langs.get("exclude", list, [])
    langs.finish()
    languages = None if include == "all" else tuple(include)
    _check_languages(langs, languages, tuple(exclude))

    pol = top.table_of("policy")
    policy = Policy(
        first_contact=pol.choice("first_contact", FIRST_CONTACT_POLICIES, "conflict"),
        deletions=pol.choice("deletions", DELETION_POLICIES, "propagate"),
        remove_from_bundle=pol.get("remove_from_bundle", bool, False),
    )
    pol.finish()
    pac = top.table_of("pacing")
    pacing = Pacing(
        edits_per_minute=pac.positive("edits_per_minute", float, 60.0),
        max_attempts=pac.positive("max_attempts", int, 6),
        max_wait_seconds=pac.positive("max_wait_seconds", float, 300.0),
        timeout_seconds=pac.positive("timeout_seconds", float, 30.0),
        backoff_base_seconds=pac.positive("backoff_base_seconds", float, 1.0),
    )
    pac.finish()
    top.finish()
    return Profile(name=name, path=path, metabase=metabase, metawiki=metawiki, wikidata=wikidata,
                   state=state, catalogs=catalogs, contact=contact, languages=languages,
                   exclude_languages=tuple(exclude), policy=policy, pacing=pacing)


def _check_languages(reader: _Reader, include: tuple[str, ...] | None, exclude: tuple[str, ...]) -> None:
    from capxl10n.core import langs
    from capxl10n.errors import UnknownLanguage

    for key, codes in (("include", include or ()), ("exclude", exclude)):
        for code in codes:
            try:
                langs.get(code)
            except UnknownLanguage as exc:
                raise reader.fail(key, f"names unknown language {code!r} ({exc.hint})") from None
