"""The MediaWiki Action API frame every sandbox site shares: parameters, errors, rendering.

Why a frame of our own: the sandbox's value is fidelity. Parameter validation,
error shapes, formatversion 1/2, warnings, continuation and the order of the
checks (apis.md §1.1) are the same for Metabase, Meta-Wiki and Wikidata, so
they live here once and the modules only say what they answer.

Handler interface (for mediawiki.py, translate.py, wikibase.py, wikidata.py)
---------------------------------------------------------------------------
A :class:`Site` is one wiki (``site.name`` in {"metabase", "metawiki",
"wikidata"}; ``site.wiki`` is its :class:`capxl10n.sandbox.wiki.Wiki` store).

``site.register_action(name, handler, *, must_post=False, token=None, write=False)``
    ``handler(req: ApiRequest) -> dict`` for ``action=name``. The dict is merged
    into the top level of the answer (``{"edit": {...}}``). ``must_post`` gives
    ``mustbeposted`` on GET; ``token="csrf"`` (or "login") makes the core check
    the token (``missingparam`` / ``mustpostparams`` / ``badtoken``); ``write``
    makes the action subject to read-only mode.

``site.register_query(kind, name, handler)`` with kind in list|meta|prop|generator:
    * list/meta: ``handler(req) -> dict`` merged into ``query`` (``{"allpages": [...]}``).
    * generator: ``handler(req) -> list[Page]`` (pages of the store; the handler
      reads its own parameters with the ``g`` prefix, e.g. ``gapnamespace``).
    * prop: ``handler(req, pages: list[PageOut]) -> None``: adds keys to each
      ``PageOut.data`` (the dict rendered for that page) for existing pages.
    To continue, any query handler calls ``req.continue_with({"apcontinue": "X"})``;
    the core builds ``continue``/``batchcomplete`` as ApiContinuationManager does
    and skips modules the client reports done. A generator passes ``generator=True``.

Handlers raise :class:`ApiError` for errors (never anything else for bad input;
an unexpected exception becomes ``internal_api_error_<Class>`` with HTTP 200,
as MediaWiki does). Handlers write fv2-style data: Python ``True``/``False``
become ``""``/absent under formatversion 1 (MediaWiki's BC booleans); wrap a
value in :class:`Raw` to keep it a JSON boolean in both versions. Text goes
under ``req.text_key("content")`` ("*" under fv1). ``query.pages`` is rendered
by the core (object keyed by page id under fv1, list under fv2).

Parameter helpers on :class:`ApiRequest` mirror MediaWiki's ParamValidator:
``get``, ``require`` (``missingparam``), ``flag``, ``int`` (``badinteger``,
clamping warning), ``limit`` ("max" and apihighlimits), ``multi``
(``toomanyvalues``, unknown values dropped with a warning), ``enum``
(``badvalue``). Parameters never read by anyone are reported as
"Unrecognized parameter" warnings, as MediaWiki does.
"""
from __future__ import annotations

import builtins
import json
import logging
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from capxl10n.sandbox.wiki import Page, Session, User, Wiki

log = logging.getLogger(__name__)

DOCREF = ("See {api} for API usage. Subscribe to the mediawiki-api-announce mailing list at "
          "&lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; "
          "for notice of API deprecations and breaking changes.")

#: Parameters ApiMain itself understands (never "unrecognized").
MAIN_PARAMS = frozenset({
    "action", "format", "formatversion", "errorformat", "errorlang", "errorsuselocal", "maxlag",
    "assert", "assertuser", "curtimestamp", "utf8", "ascii", "servedby", "requestid", "origin",
    "uselang", "variant", "smaxage", "maxage", "callback", "responselanginfo", "centralauthtoken",
    "crossorigin", "continue", "rawcontinue", "indexpageids", "export", "exportnowrap", "iwurl",
    "redirects", "converttitles",
})
ERROR_FORMATS = ("bc", "plaintext", "wikitext", "html", "raw", "none")
QUERY_KINDS = ("list", "meta", "prop", "generator")


class ApiError(Exception):
    """An API error answered as MediaWiki does (HTTP 200 + ``MediaWiki-API-Error``).

    ``data`` is merged into the ``error`` object (bc) or put under ``data``
    (plaintext); ``messages`` (Wikibase) are ``{"name", "parameters", "html"}``
    dicts whose ``html`` string the core renders per formatversion.
    """

    def __init__(self, code: str, info: str, *, data: Mapping[str, Any] | None = None,
                 messages: list[dict[str, Any]] | None = None, http_status: int = 200,
                 headers: Mapping[str, str] | None = None, module: str = "main") -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info
        self.data = dict(data or {})
        self.messages = messages
        self.http_status = http_status
        self.headers = dict(headers or {})
        self.module = module


class Raw:
    """A value rendered as is in both formatversions (a JSON boolean under fv1 too)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class FaultHooks(Protocol):
    """What the fault injector may change inside the API flow (faults.py implements it)."""

    def readonly_reason(self, site: Site) -> str | None: ...
    def lag(self, site: Site) -> float: ...
    def force_badtoken(self, req: ApiRequest) -> bool: ...
    def before_write(self, req: ApiRequest) -> None: ...


class NoFaults:
    """The default hooks: a healthy wiki."""

    def readonly_reason(self, site: Site) -> str | None:
        return None

    def lag(self, site: Site) -> float:
        return 0.0

    def force_badtoken(self, req: ApiRequest) -> bool:
        return False

    def before_write(self, req: ApiRequest) -> None:
        return None


ActionHandler = Callable[["ApiRequest"], dict[str, Any]]
QueryHandler = Callable[..., Any]


@dataclass
class ActionSpec:
    name: str
    handler: ActionHandler
    must_post: bool = False
    token: str | None = None
    write: bool = False


@dataclass
class PageOut:
    """One entry of ``query.pages``: the store's page (None when missing) and its rendered dict."""

    page: Page | None
    data: dict[str, Any]


@dataclass
class Site:
    """One wiki on the sandbox: its store, its modules and its public URLs."""

    name: str
    wiki: Wiki
    base_path: str = ""          # "/metawiki"
    server: str = "http://127.0.0.1"
    faults: Any = field(default_factory=NoFaults)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    queries: dict[str, dict[str, QueryHandler]] = field(
        default_factory=lambda: {kind: {} for kind in QUERY_KINDS})
    #: extra keys for meta=siteinfo general (Wikibase adds its own)
    siteinfo_extra: dict[str, Any] = field(default_factory=dict)
    #: $wgContentNamespaces (siteinfo ``content``): Metabase adds Item (120) but not Property (122)
    content_namespaces: set[int] = field(default_factory=lambda: {0})
    #: $wgNamespaceProtection shown by siteinfo (Translate protects 1198 with ``translate``)
    namespace_protection: dict[int, str] = field(default_factory=lambda: {8: "editinterface"})

    @property
    def api_url(self) -> str:
        return f"{self.server}{self.base_path}/w/api.php"

    def register_action(self, name: str, handler: ActionHandler, *, must_post: bool = False,
                        token: str | None = None, write: bool = False) -> None:
        self.actions[name] = ActionSpec(name, handler, must_post, token, write)

    def register_query(self, kind: str, name: str, handler: QueryHandler) -> None:
        if kind not in QUERY_KINDS:
            raise ValueError(f"unknown query module kind {kind!r}; use one of {QUERY_KINDS}")
        self.queries[kind][name] = handler

    def module_names(self) -> list[str]:
        names = set(self.actions)
        for kind in QUERY_KINDS:
            names.update(self.queries[kind])
        return sorted(names)


class ApiRequest:
    """One API call: merged GET+POST parameters, the session and user, and helpers.

    ``module`` is the name used in warnings and errors (``main``, ``edit``,
    ``query+allpages`` style names go to stats; warnings use the bare name).
    """

    def __init__(self, site: Site, params: Mapping[str, str], *, method: str = "GET",
                 query_params: Iterable[str] = (), session: Session | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.site = site
        self.params = dict(params)
        self.method = method.upper()
        self.query_params = frozenset(query_params)
        self.session = session
        self.headers = dict(headers or {})
        self.user: User | None = session.user if session is not None else None
        self.formatversion = 1
        self.errorformat = "bc"
        self.module = "main"
        self.used: set[str] = set(MAIN_PARAMS)
        self.warnings: list[tuple[str, str, str, dict[str, Any] | None]] = []
        self.continuation: dict[str, dict[str, str]] = {}
        self.generator_continuation: dict[str, str] = {}
        self.limits: dict[str, int] = {}
        #: keys a generator adds to ``query`` itself (Translate's ``metadata``)
        self.query_data: dict[str, Any] = {}
        self.response_headers: dict[str, str] = {}
        self.stats_module = "main"

    # -- rendering helpers --------------------------------------------------
    @property
    def fv2(self) -> bool:
        return self.formatversion >= 2

    def text_key(self, named: str) -> str:
        """``"*"`` under formatversion 1, ``named`` under 2 (``content``, ``translation``…)."""
        return named if self.fv2 else "*"

    def bool(self, value: bool) -> Any:
        """A BC boolean: ``""``/absent under fv1 is handled by the core; use in data as is."""
        return value

    # -- rights -------------------------------------------------------------
    @property
    def user_name(self) -> str:
        return self.user.name if self.user is not None else "127.0.0.1"

    def has_right(self, right: str) -> builtins.bool:
        if self.user is None:
            return right in ANON_RIGHTS
        return right in self.user.rights

    @property
    def high_limits(self) -> builtins.bool:
        return self.has_right("apihighlimits")

    # -- warnings -----------------------------------------------------------
    def warn(self, module: str, text: str, code: str = "warning", data: dict[str, Any] | None = None) -> None:
        self.warnings.append((module, text, code, data))

    # -- parameters ---------------------------------------------------------
    def has(self, name: str) -> builtins.bool:
        self.used.add(name)
        return name in self.params

    def get(self, name: str, default: str | None = None) -> str | None:
        self.used.add(name)
        return self.params.get(name, default)

    def require(self, name: str) -> str:
        self.used.add(name)
        value = self.params.get(name)
        if value is None:
            raise ApiError("missingparam", f'The "{name}" parameter must be set.', module=self.module)
        return value

    def flag(self, name: str) -> builtins.bool:
        """MediaWiki booleans: present means true, whatever the value (even "0" or "false")."""
        self.used.add(name)
        return name in self.params

    def int(self, name: str, default: int | None = None, min: int | None = None,
            max: int | None = None) -> int | None:
        self.used.add(name)
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ApiError("badinteger", f'Invalid value "{raw}" for integer parameter "{name}".',
                           module=self.module) from None
        if (min is not None and value < min) or (max is not None and value > max):
            clamped = value if min is None or value >= min else min
            clamped = clamped if max is None or clamped <= max else max
            if min is not None and max is not None:
                text = f'The value "{raw}" for parameter "{name}" must be between {min} and {max}.'
            elif min is not None:
                text = f'The value "{raw}" for parameter "{name}" must be no less than {min}.'
            else:
                text = f'The value "{raw}" for parameter "{name}" must be no greater than {max}.'
            self.warn(self.module, text, "integeroutofrange")
            value = clamped
        return value

    def limit(self, name: str, default: builtins.int = 10, max: builtins.int = 500,
              high_max: builtins.int | None = 5000, module: str | None = None) -> builtins.int:
        """A ``*limit`` parameter: "max" means the caller's maximum (reported under ``limits``)."""
        top = high_max if (high_max is not None and self.high_limits) else max
        raw = self.get(name)
        if raw == "max":
            self.limits[module or self.module] = top
            return top
        value = self.int(name, default, 1, top)
        return default if value is None else value

    def timestamp(self, name: str) -> str | None:
        """A timestamp parameter (ISO 8601 or ``YYYYMMDDHHMMSS``); ``badtimestamp`` when unparseable."""
        self.used.add(name)
        raw = self.params.get(name)
        if raw is None or raw == "":
            return raw
        from capxl10n.sandbox.wiki import parse_ts

        try:
            parse_ts(raw)
        except ValueError:
            raise ApiError("badtimestamp", f'Invalid value "{raw}" for timestamp parameter "{name}".',
                           module=self.module) from None
        return raw

    def deprecated(self, module: str, text: str, feature: str) -> None:
        """A deprecation warning plus ApiMain's one ``deprecation-help`` warning on ``main``."""
        self.warn(module, text, "deprecation", {"feature": feature})
        if not any(code == "deprecation-help" for _m, _t, code, _d in self.warnings):
            self.warn("main", "Subscribe to the mediawiki-api-announce mailing list at "
                      "<https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> "
                      "for notice of API deprecations and breaking changes.", "deprecation-help")

    def enum(self, name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
        self.used.add(name)
        raw = self.params.get(name)
        if raw is None:
            return default
        if raw not in set(allowed):
            raise ApiError("badvalue", f'Unrecognized value for parameter "{name}": {raw}.', module=self.module)
        return raw

    def multi(self, name: str, allowed: Iterable[str] | None = None, limit: builtins.int = 50,
              high_limit: builtins.int = 500, default: Iterable[str] | None = None,
              module: str | None = None) -> list[str]:
        """A multi-value parameter (``a|b`` or ``\\x1fa\\x1fb``); unknown values warn and are dropped."""
        self.used.add(name)
        raw = self.params.get(name)
        if raw is None:
            return list(default or [])
        if raw == "":
            return []
        values = raw[1:].split("\x1f") if raw.startswith("\x1f") else raw.split("|")
        top = high_limit if self.high_limits else limit
        if len(values) > top:
            # REL1_39's ParamValidator data: limit, lowlimit, highlimit (no "parameter" key)
            raise ApiError("toomanyvalues",
                           f'Too many values supplied for parameter "{name}". The limit is {top}.',
                           data={"limit": top, "lowlimit": limit, "highlimit": high_limit},
                           module=self.module)
        if allowed is None:
            return values
        allowed_set = set(allowed)
        good = [v for v in values if v in allowed_set]
        bad = [v for v in values if v not in allowed_set]
        if bad:
            if len(bad) == 1:
                text = f'Unrecognized value for parameter "{name}": {bad[0]}'
            else:
                text = f'Unrecognized values for parameter "{name}": {", ".join(bad)}'
            self.warn(module or self.module, text, "unrecognizedvalues", {"values": bad})
        seen: list[str] = []
        for value in good:
            if value not in seen:
                seen.append(value)
        return seen

    # -- checks -------------------------------------------------------------
    def require_post(self) -> None:
        if self.method != "POST":
            raise ApiError("mustbeposted", f'The "{self.module}" module requires a POST request.',
                           module=self.module)

    def require_token(self, kind: str = "csrf") -> None:
        """Token check as ApiMain: missing → ``missingparam``, in the URL → ``mustpostparams``, wrong → ``badtoken``."""
        self.used.add("token")
        if "token" in self.query_params:
            raise ApiError("mustpostparams",
                           "The following parameter was found in the query string, but must be in the POST "
                           "body: token.", module=self.module)
        token = self.params.get("token")
        if token is None:
            raise ApiError("missingparam", 'The "token" parameter must be set.', module=self.module)
        expected = self.expected_token(kind)
        if token != expected or self.site.faults.force_badtoken(self):
            info = "Invalid CSRF token." if kind == "csrf" else "Invalid token."
            raise ApiError("badtoken", info, module=self.module)

    def expected_token(self, kind: str) -> str:
        if self.session is None:
            return "+\\"
        if kind == "login":
            return self.session.login_token
        if self.user is None:
            return "+\\"
        return self.session.csrf_token

    def continue_with(self, values: Mapping[str, Any], *, generator: builtins.bool = False) -> None:
        """Ask the client to come back with these parameters (a module's continuation)."""
        rendered = {k: str(v) for k, v in values.items()}
        if generator:
            self.generator_continuation.update(rendered)
        else:
            self.continuation.setdefault(self.module, {}).update(rendered)


#: Rights of an anonymous user on a default MediaWiki.
ANON_RIGHTS = frozenset({"read", "edit", "createpage", "createtalk", "writeapi"})


# -- rendering --------------------------------------------------------------

_SCALARS = (str, int, float, type(None))


def to_fv1(value: Any) -> Any:
    """MediaWiki's BC transformation: booleans become ``""`` or disappear (scalars short-cut: hot path)."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if item is False:
                continue
            if item is True:
                out[key] = ""
            elif type(item) in _SCALARS:
                out[key] = item
            else:
                out[key] = to_fv1(item)
        return out
    if kind is list:
        return ["" if item is True else item if type(item) in _SCALARS else to_fv1(item) for item in value]
    if kind is Raw:
        return value.value
    return value


def to_fv2(value: Any) -> Any:
    """Unwrap :class:`Raw` values (``encode`` does it in the JSON encoder instead of a copy)."""
    if isinstance(value, Raw):
        return value.value
    if isinstance(value, dict):
        return {k: to_fv2(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_fv2(v) for v in value]
    return value


def _unwrap_raw(value: Any) -> Any:
    if isinstance(value, Raw):
        return value.value
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def render_warnings(req: ApiRequest) -> Any:
    if not req.warnings:
        return None
    if req.errorformat == "bc":
        grouped: dict[str, list[str]] = {}
        for module, text, _code, _data in req.warnings:
            grouped.setdefault(module, []).append(text)
        key = req.text_key("warnings")
        return {module: {key: "\n".join(texts)} for module, texts in grouped.items()}
    out = []
    for module, text, code, data in req.warnings:
        entry: dict[str, Any] = {"code": code}
        if data:
            entry["data"] = data
        entry["module"] = module
        entry[req.text_key("text")] = text
        out.append(entry)
    return out


def render_error(req: ApiRequest, err: ApiError) -> dict[str, Any]:
    docref = DOCREF.format(api=req.site.api_url)
    messages = None
    if err.messages is not None:
        messages = []
        for msg in err.messages:
            item = {k: v for k, v in msg.items() if k != "html"}
            html = msg.get("html", "")
            item["html"] = html if req.fv2 else {"*": html}
            messages.append(item)
    if req.errorformat == "bc":
        error: dict[str, Any] = {"code": err.code, "info": err.info}
        error.update(err.data)
        if messages is not None:
            error["messages"] = messages
        error["docref" if req.fv2 else "*"] = docref
        return {"error": error}
    entry: dict[str, Any] = {"code": err.code, req.text_key("text"): err.info}
    if err.data:
        entry["data"] = dict(err.data)
    if messages is not None:
        entry.setdefault("data", {})["messages"] = messages
    entry["module"] = err.module
    return {"errors": [entry], req.text_key("docref"): docref}


def encode(req: ApiRequest, body: dict[str, Any]) -> bytes:
    """The JSON body; fv2 needs no copy of the data (Raw is unwrapped by the encoder)."""
    data = body if req.fv2 else to_fv1(body)
    ascii_only = not (req.fv2 or "utf8" in req.params) or "ascii" in req.params
    return json.dumps(data, ensure_ascii=ascii_only, separators=(",", ":"), default=_unwrap_raw).encode("utf-8")


# -- dispatch ---------------------------------------------------------------

def parse_format(req: ApiRequest) -> None:
    """format/formatversion/errorformat first: their errors must already use the right shape."""
    fmt = req.params.get("format", "json")
    if fmt not in ("json", "jsonfm"):
        raise ApiError("badvalue", f'Unrecognized value for parameter "format": {fmt}.')
    fv = req.params.get("formatversion", "1")
    if fv not in ("1", "2", "latest"):
        raise ApiError("badvalue", f'Unrecognized value for parameter "formatversion": {fv}.')
    req.formatversion = 1 if fv == "1" else 2
    ef = req.params.get("errorformat", "bc")
    if ef not in ERROR_FORMATS:
        raise ApiError("badvalue", f'Unrecognized value for parameter "errorformat": {ef}.')
    req.errorformat = "bc" if ef == "bc" else "plaintext"


def check_asserts(req: ApiRequest) -> None:
    req.used.update({"assert", "assertuser"})
    assertion = req.params.get("assert")
    if assertion is not None:
        if assertion not in ("anon", "user", "bot"):
            raise ApiError("badvalue", f'Unrecognized value for parameter "assert": {assertion}.')
        if assertion == "user" and req.user is None:
            raise ApiError("assertuserfailed", "You are no longer logged in, so the action could not be "
                           "completed.")
        if assertion == "bot" and not req.has_right("bot"):
            raise ApiError("assertbotfailed", 'You do not have the "bot" right, so the action could not '
                           "be completed.")
        if assertion == "anon" and req.user is not None:
            raise ApiError("assertanonfailed", "You are no longer logged out, so the action could not be "
                           "completed.")
    wanted = req.params.get("assertuser")
    if wanted is not None and (req.user is None or req.user.name != wanted):
        raise ApiError("assertnameduserfailed", f'You are no longer logged in as "{wanted}", so the action '
                       "could not be completed.", data={"user": wanted})


def check_maxlag(req: ApiRequest) -> None:
    raw = req.params.get("maxlag")
    if raw is None:
        return
    try:
        wanted = int(raw)
    except ValueError:
        raise ApiError("badinteger", f'Invalid value "{raw}" for integer parameter "maxlag".') from None
    lag = req.site.faults.lag(req.site)
    if lag > wanted:
        lag_int = int(lag)
        raise ApiError("maxlag", f"Waiting for a database server: {lag_int} seconds lagged.",
                       data={"host": "db-sandbox", "lag": lag_int, "type": "db"},
                       headers={"Retry-After": str(max(wanted, 5)), "X-Database-Lag": str(lag_int)})


def dispatch(req: ApiRequest) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Run one API request to the end: (HTTP status, extra headers, body before fv rendering)."""
    headers: dict[str, str] = {}
    try:
        try:
            parse_format(req)
        except ApiError:
            req.formatversion, req.errorformat = 1, "bc"
            raise
        action = req.params.get("action", "help")
        if action == "query":
            spec: ActionSpec | None = ActionSpec("query", run_query)
        else:
            spec = req.site.actions.get(action)
        if spec is None:
            raise ApiError("badvalue", f'Unrecognized value for parameter "action": {action}.')
        req.module = action
        req.stats_module = action
        # ApiMain::executeAction order: asserts, token (setupModule), read-only (checkExecutePermissions),
        # maxlag, then mustbeposted (setupExternalResponse), then the module.
        check_asserts(req)
        if spec.token:
            req.require_token(spec.token)
        if spec.write:
            reason = req.site.faults.readonly_reason(req.site)
            if reason is not None:
                raise ApiError("readonly", "The wiki is currently in read-only mode.",
                               data={"readonlyreason": reason}, module="main")
        check_maxlag(req)
        if spec.must_post and req.method != "POST":
            raise ApiError("mustbeposted", f'The "{action}" module requires a POST request.', module=action)
        if spec.write:
            req.site.faults.before_write(req)
        body = spec.handler(req) or {}
        unknown = sorted(k for k in req.params if k not in req.used)
        if unknown:
            if len(unknown) == 1:
                req.warn("main", f"Unrecognized parameter: {unknown[0]}.", "unrecognizedparams")
            else:
                req.warn("main", f"Unrecognized parameters: {', '.join(unknown)}.", "unrecognizedparams")
        out: dict[str, Any] = {}
        if "batchcomplete" in body:
            out["batchcomplete"] = body.pop("batchcomplete")
        if "continue" in body:
            out["continue"] = body.pop("continue")
        warnings = render_warnings(req)
        if warnings is not None:
            out["warnings"] = warnings
        if req.limits:
            out["limits"] = dict(req.limits)
        out.update(body)
        return 200, {**headers, **req.response_headers}, out
    except ApiError as err:
        headers.update(err.headers)
        headers["MediaWiki-API-Error"] = err.code
        out = {}
        warnings = render_warnings(req)
        if warnings is not None and req.errorformat != "bc":
            out["warnings"] = warnings
        elif warnings is not None:
            out["warnings"] = warnings
        out.update(render_error(req, err))
        return err.http_status, headers, out
    except Exception as exc:  # noqa: BLE001 - MediaWiki answers internal errors as API errors too
        log.error("sandbox internal error in %s: %s\n%s", req.module, exc, traceback.format_exc())
        name = type(exc).__name__
        internal = ApiError(f"internal_api_error_{name}", f"[sandbox] Exception caught: {exc}",
                            data={"errorclass": name})
        headers["MediaWiki-API-Error"] = internal.code
        return 200, headers, render_error(req, internal)


# -- action=query -----------------------------------------------------------

def _parse_continue(req: ApiRequest) -> tuple[str | None, set[str]]:
    raw = req.get("continue")
    if not raw:
        return None, set()
    gen, _, done = raw.partition("||")
    return gen, {m for m in done.split("|") if m}


def run_query(req: ApiRequest) -> dict[str, Any]:
    """action=query: submodules, titles/pageids/revids, generators and continuation."""
    site = req.site
    query: dict[str, Any] = {}
    module_names: dict[str, list[str]] = {}
    for kind in ("prop", "list", "meta"):
        module_names[kind] = req.multi(kind, site.queries[kind], module="query", limit=50, high_limit=500)
    generator = req.get("generator")
    if generator is not None and generator not in site.queries["generator"]:
        raise ApiError("badvalue", f'Unrecognized value for parameter "generator": {generator}.',
                       module="query")
    _gen_state, done = _parse_continue(req)
    all_modules = [*module_names["prop"], *module_names["list"], *module_names["meta"]]
    titles = req.multi("titles", None, module="query")
    pageids = req.multi("pageids", None, module="query")
    revids = req.multi("revids", None, module="query")
    page_outs: list[PageOut] | None = None
    wiki = site.wiki
    if generator is not None or titles or pageids or revids:
        if sum(bool(x) for x in (generator is not None, titles, pageids, revids)) > 1:
            raise ApiError("invalidparammix", 'The parameters "titles", "pageids", "revids" and "generator" '
                           "can not be used together.", module="query")
        pages: list[Any] = []
        missing_titles: list[tuple[int, str]] = []
        invalid: list[dict[str, Any]] = []
        normalized: list[dict[str, str]] = []
        if generator is not None:
            req.module = generator
            req.stats_module = f"query+{generator}"
            pages = list(site.queries["generator"][generator](req))
            req.module = "query"
            query.update(req.query_data)
        for raw in titles:
            try:
                ns, title = wiki.normalize_title(raw)
            except ValueError as exc:
                invalid.append({"title": raw, "invalidreason": str(exc), "invalid": True})
                continue
            if title != raw:
                normalized.append({"from": raw, "to": title})
            page = wiki.page(title)
            if page is None:
                missing_titles.append((ns, title))
            else:
                pages.append(page)
        for raw in pageids:
            try:
                page = wiki.page_by_id(int(raw))
            except ValueError:
                raise ApiError("badinteger", f'Invalid value "{raw}" for integer parameter "pageids".',
                               module="query") from None
            if page is None:
                invalid.append({"pageid": int(raw), "missing": True})
            else:
                pages.append(page)
        for raw in revids:
            rev = wiki.revision(int(raw)) if raw.isdigit() else None
            if rev is None:
                query.setdefault("badrevids", {})[raw] = {"revid": int(raw) if raw.isdigit() else raw,
                                                           "missing": True}
            else:
                page = wiki.page_by_id(rev.pageid)
                if page is not None:
                    pages.append(page)
        if normalized:
            query["normalized"] = normalized
        page_outs = []
        seen: set[int] = set()
        for page in pages:
            if page.pageid in seen:
                continue
            seen.add(page.pageid)
            page_outs.append(PageOut(page, {"pageid": page.pageid, "ns": page.ns, "title": page.title}))
        for position, (ns, title) in enumerate(missing_titles, start=1):
            page_outs.append(PageOut(None, {"ns": ns, "title": title, "missing": True, "_fake": -position}))
        for position, item in enumerate(invalid, start=len(missing_titles) + 1):
            page_outs.append(PageOut(None, {**item, "_fake": -position}))
    for kind in ("prop", "list", "meta"):
        for name in module_names[kind]:
            if name in done:
                continue
            req.module = name
            req.stats_module = f"query+{name}"
            handler = site.queries[kind][name]
            if kind == "prop":
                if page_outs:
                    handler(req, page_outs)
            else:
                result = handler(req)
                if result:
                    for key, value in result.items():
                        if isinstance(value, dict) and isinstance(query.get(key), dict):
                            query[key].update(value)
                        else:
                            query[key] = value
    req.module = "query"
    if len(all_modules) == 1 and generator is None:
        req.stats_module = f"query+{all_modules[0]}"
    elif generator is not None:
        req.stats_module = f"query+{generator}"
    else:
        req.stats_module = "query"
    if page_outs:
        query["pages"] = _render_pages(req, page_outs)
    body: dict[str, Any] = {}
    cont, complete = _continuation(req, all_modules, module_names["prop"] if generator else [],
                                   module_names["prop"], generator)
    if complete:
        body["batchcomplete"] = True
    if cont:
        body["continue"] = cont
    if query:
        body["query"] = query
    return body


def _render_pages(req: ApiRequest, outs: list[PageOut]) -> Any:
    def ordered(out: PageOut) -> dict[str, Any]:
        return {k: v for k, v in out.data.items() if k != "_fake"}

    if req.fv2:
        missing = [o for o in outs if o.page is None]
        present = sorted((o for o in outs if o.page is not None), key=lambda o: o.page.pageid)  # type: ignore
        return [ordered(o) for o in missing + present]
    rendered: dict[str, Any] = {}
    for out in outs:
        key = str(out.page.pageid if out.page is not None else out.data.get("_fake", -1))
        rendered[key] = ordered(out)
    return rendered


def _continuation(req: ApiRequest, all_modules: list[str], generated: list[str], props: list[str],
                  generator: str | None) -> tuple[dict[str, str], bool]:
    """ApiContinuationManager::getContinuation, as in MediaWiki core."""
    finished = [m for m in all_modules if m not in req.continuation]
    data: dict[str, str] = {}
    if req.continuation:
        for kvp in req.continuation.values():
            data.update(kvp)
        gen_params: dict[str, str] = {}
        if generator is not None:
            for name, value in req.params.items():
                if name.startswith("g") and name.endswith("continue") and name != "continue":
                    gen_params[name] = value
        data.update(gen_params)
        gen_keys = "|".join(gen_params) if generator is not None else "-"
        complete = not any(m in req.continuation for m in props)
    elif req.generator_continuation:
        data.update(req.generator_continuation)
        finished = [m for m in finished if m not in generated]
        gen_keys = "|".join(req.generator_continuation)
        complete = True
    else:
        gen_keys = "-"
        complete = True
    if data or gen_keys != "-":
        data["continue"] = f"{gen_keys}||{'|'.join(finished)}"
    return data, complete


def now_ts(clock: Callable[[], float] = time.time) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))
