"""Running one API request to the end: format options, asserts, token, read-only, maxlag, module.

Why apart: the order of the checks (ApiMain::executeAction of MediaWiki 1.39; docs/sandbox-differences.md, D5) is
what makes errors come out as on the real wiki; it is written once, here.
"""
from __future__ import annotations

import logging
import traceback
from typing import Any

from capxl10n.sandbox.api.errors import ERROR_FORMATS, NO_CACHE, ApiError, unsupported
from capxl10n.sandbox.api.query import run_query
from capxl10n.sandbox.api.render import render_error, render_warnings
from capxl10n.sandbox.api.request import ApiRequest, bad_value
from capxl10n.sandbox.api.site import ActionSpec

log = logging.getLogger(__name__)

#: Modules whose answers ApiMain lets shared caches keep (getCacheMode "public") when ``maxage``/``smaxage``
#: ask; every other module (writes, tokens, userinfo, paraminfo) and every logged-in answer stay private.
PRIVATE_QUERY_MODULES = frozenset({"tokens", "userinfo"})
PUBLIC_ACTIONS = frozenset({"query", "wbgetentities", "wbsearchentities", "wbgetclaims", "wbformatvalue",
                            "wbparsevalue"})

def parse_format(req: ApiRequest) -> None:
    """format/formatversion/errorformat first: their errors must already use the right shape."""
    fmt = req.params.get("format", "json")
    if fmt not in ("json", "jsonfm"):
        raise bad_value("format", fmt, ["json", "jsonfm"], "main")
    fv = req.params.get("formatversion", "1")
    if fv not in ("1", "2", "latest"):
        raise bad_value("formatversion", fv, ["1", "2", "latest"], "main")
    req.formatversion = 1 if fv == "1" else 2
    ef = req.params.get("errorformat", "bc")
    if ef not in ERROR_FORMATS:
        raise bad_value("errorformat", ef, list(ERROR_FORMATS), "main")
    req.errorformat = ef


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


def _languages(req: ApiRequest) -> tuple[str, str]:
    """``uselang`` and ``errorlang`` as ApiMain resolves them: ``user``/``content`` are English here.

    Messages are English whatever is asked: the sandbox ships no translations (bc errors are English on the
    real wiki too; the other error formats' texts are a listed difference, docs/sandbox-differences.md)."""
    uselang = req.params.get("uselang") or "user"
    if uselang in ("user", "content"):
        uselang = "en"
    errorlang = req.params.get("errorlang") or "uselang"
    if errorlang == "uselang":
        errorlang = uselang
    elif errorlang == "content":
        errorlang = "en"
    return uselang, errorlang


def _cache_control(req: ApiRequest, action: str, error: bool) -> str:
    """ApiMain::sendCacheHeaders: ``maxage``/``smaxage`` make a public answer of an anonymous read
    cacheable; private answers, errors included, keep only ``max-age`` (checked on the peer)."""
    try:
        maxage = max(0, int(req.params.get("maxage", "0") or 0))
        smaxage = max(0, int(req.params.get("smaxage", "0") or 0))
    except ValueError:
        return NO_CACHE
    if not maxage and not smaxage:
        return NO_CACHE
    if error:
        return f"private, must-revalidate, max-age={maxage}"
    modules: set[str] = set()
    for kind in ("prop", "list", "meta"):
        modules.update(m for m in (req.params.get(kind) or "").split("|") if m)
    public = (req.user is None and action in PUBLIC_ACTIONS
              and not (action == "query" and modules & PRIVATE_QUERY_MODULES))
    if public:
        return f"s-maxage={smaxage}, max-age={maxage}, public"
    return f"private, must-revalidate, max-age={maxage}"


def _main_extras(req: ApiRequest, out: dict[str, Any]) -> None:
    """What ApiMain adds to every answer, errors included, when asked."""
    if req.params.get("requestid") is not None:
        out["requestid"] = req.params["requestid"]
    # servedby: answered only where $wgShowHostnames is on, which the real peer (and Metabase) leave off
    if req.params.get("curtimestamp") not in (None, "false"):
        out["curtimestamp"] = req.site.wiki.current_timestamp()  # ApiMain: the server clock, read-only
    if "responselanginfo" in req.params:
        out["uselang"], out["errorlang"] = _languages(req)


def dispatch(req: ApiRequest) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Run one API request to the end: (HTTP status, extra headers, body before fv rendering)."""
    headers: dict[str, str] = {"Cache-Control": NO_CACHE}
    action = str(req.params.get("action", "help"))
    try:
        try:
            parse_format(req)
        except ApiError:
            req.formatversion, req.errorformat = 1, "bc"
            raise
        if action == "query":
            spec: ActionSpec | None = ActionSpec("query", run_query)
        else:
            spec = req.site.actions.get(action)
        if spec is None:
            raise bad_value("action", action, ["query", *sorted(req.site.actions)], "main")
        req.module = action
        req.stats_module = action
        if "callback" in req.params:
            raise unsupported('JSONP ("callback")')
        origin = req.params.get("origin")
        if origin is not None:
            if origin != "*":
                raise unsupported('CORS for a named "origin" (only origin=* is)')
            req.session, req.user = None, None  # origin=*: an anonymous request, cookies ignored
            headers["Access-Control-Allow-Origin"] = "*"
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
        for hook in req.site.can_execute:
            hook(req)
        check_maxlag(req)
        if spec.must_post and req.method != "POST":
            raise ApiError("mustbeposted", f'The "{action}" module requires a POST request.', module=action)
        if spec.write:
            req.site.faults.before_write(req)
        body = spec.handler(req) or {}
        unknown = sorted(k for k in req.params if k not in req.used)
        if unknown:
            listed = {"list": {str(i): name for i, name in enumerate(unknown)}, "type": "comma"}
            if len(unknown) == 1:
                req.warn("main", f"Unrecognized parameter: {unknown[0]}.", "unrecognizedparams",
                         key="apierror-unrecognizedparams", params=[listed, 1])
            else:
                req.warn("main", f"Unrecognized parameters: {', '.join(unknown)}.", "unrecognizedparams",
                         key="apierror-unrecognizedparams", params=[listed, len(unknown)])
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
        extras: dict[str, Any] = {}
        _main_extras(req, extras)
        for key in ("requestid", "curtimestamp", "uselang", "errorlang"):
            if key in extras:
                out[key] = extras[key]
        out.update(body)
        headers["Cache-Control"] = _cache_control(req, action, error=False)
        return 200, {**headers, **req.response_headers}, out
    except ApiError as err:
        headers.update(err.headers)
        headers.setdefault("MediaWiki-API-Error", err.code)
        headers["Cache-Control"] = _cache_control(req, action, error=True)
        out = {}
        warnings = render_warnings(req)
        if warnings is not None and req.errorformat != "bc":
            out["warnings"] = warnings
        elif warnings is not None:
            out["warnings"] = warnings
        out.update(render_error(req, err))
        _main_extras(req, out)
        return err.http_status, headers, out
    except Exception as exc:  # noqa: BLE001 - MediaWiki answers internal errors as API errors too
        log.error("sandbox internal error in %s: %s\n%s", req.module, exc, traceback.format_exc())
        name = type(exc).__name__
        internal = ApiError(f"internal_api_error_{name}", f"[sandbox] Exception caught: {exc}",
                            data={"errorclass": name})
        headers["MediaWiki-API-Error"] = internal.code
        out = render_error(req, internal)
        _main_extras(req, out)
        return 200, headers, out
