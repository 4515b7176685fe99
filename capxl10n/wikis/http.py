"""The one HTTP seam: a polite ``requests.Session`` and the API client every adapter uses.

Why one client per site: all retries, backoff, pacing and error typing live
here, once, so the Metabase, Meta-Wiki and Wikidata adapters only build
parameters and read answers.

mwclient is the MediaWiki client (docs/architecture.md, "mwclient"): one
:class:`WikiSite` (a ``mwclient.Site``) per wiki, on our session, builds and
sends every Action API call (``raw_api``), does the bot-password login
(``login``, ``site_init``) and keeps the tokens (``get_token``). The one part of
it we replace is its transport, the public ``Site.raw_call``: mwclient's retries
sleep with a hard-wired ``time.sleep``, have no budget and give up at once on
HTTP 429 and on non-JSON pages, so ``WikiSite.raw_call`` sends each request
through :meth:`ApiClient._send` instead, and mwclient's own sleepers are off
(``max_retries=0``: they raise before they would sleep).

Retry policy (docs/clients.md, "One HTTP seam"): ``maxlag`` errors, ``ratelimited``,
``readonly``, HTTP 429/5xx, timeouts, dropped connections and non-JSON pages
are retried, honouring ``Retry-After`` when the server sends it and otherwise
waiting a jittered exponential backoff; attempts and total waiting are
bounded by the profile's pacing. The sleep and the clock are injected so
tests never sleep.
"""
from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import mwclient
import mwclient.errors
import requests
import urllib3.exceptions

from capxl10n import TOOL_NAME, __version__
from capxl10n.errors import (
    AuthError,
    BadTokenError,
    EditConflictError,
    MaxlagError,
    NetworkError,
    NotJSONError,
    PermissionDeniedError,
    RateLimitedError,
    ReadOnlyError,
    RemoteError,
    ValidationError,
    redact,
    register_secret,
)
from capxl10n.profile import Profile, SiteProfile

log = logging.getLogger(__name__)

#: API error codes worth waiting for: the server asks us to slow down or come back.
RETRYABLE_CODES: Final = frozenset({
    "maxlag", "ratelimited", "readonly", "internal_api_error_DBConnectionError",
    "internal_api_error_DBQueryError", "internal_api_error_DBTransactionStateError",
})
RETRYABLE_STATUS: Final = frozenset({429, 500, 502, 503, 504})
#: Parameters mwclient sends last (``Site.raw_api``), so a truncated POST fails on the token.
_TOKENS: Final = ("token", "wpEditToken")

_ERROR_CLASSES: Final[dict[str, tuple[type[RemoteError], str]]] = {
    "badtoken": (BadTokenError, "the session's token was refused twice; log in again"),
    "notoken": (BadTokenError, "the request carried no token"),
    "maxlag": (MaxlagError, "the wiki's databases are lagging; run again later"),
    "ratelimited": (RateLimitedError, "the wiki throttles this account; lower pacing.edits_per_minute"),
    "actionthrottledtext": (RateLimitedError, "the wiki throttles this account; lower pacing.edits_per_minute"),
    "readonly": (ReadOnlyError, "the wiki is in read-only mode (maintenance); run again later"),
    "permissiondenied": (PermissionDeniedError, "grant the bot password the needed rights on Special:BotPasswords"),
    "protectednamespace": (PermissionDeniedError,
                           "log in with a bot password that has the translate grant (anonymous edits are refused)"),
    "protectedpage": (PermissionDeniedError, "the page is protected; ask an administrator"),
    "cascadeprotected": (PermissionDeniedError, "the page is protected; ask an administrator"),
    "blocked": (PermissionDeniedError, "the bot account is blocked"),
    "writeapidenied": (PermissionDeniedError, "the bot password lacks the edit grant"),
    "cantdelete": (PermissionDeniedError, "the page cannot be deleted"),
    "editconflict": (EditConflictError, "the target changed since it was read; re-read and plan again"),
    "pagedeleted": (EditConflictError, "the page was deleted since it was read; re-read and plan again"),
    "articleexists": (EditConflictError, "the page was created meanwhile; re-read and plan again"),
    "missingtitle": (EditConflictError, "the page no longer exists; re-read and plan again"),
    "nosuchrevid": (EditConflictError, "the base revision is unknown; re-read and plan again"),
    "assertuserfailed": (AuthError, "the login session expired or was refused; check the bot password"),
    "assertbotfailed": (AuthError, "the account is not in the bot group; drop assert=bot or grant it"),
    "assertnameduserfailed": (AuthError, "logged in as another user than expected"),
    "notloggedin": (AuthError, "log in with a bot password"),
    "modification-failed": (ValidationError, "Wikibase refused the value; see the messages"),
    "not-recognized-language": (ValidationError, "Metabase does not accept this language code"),
    "inconsistent-language": (ValidationError, "a term's language key differs from its inner language"),
    "invalid-json": (ValidationError, "the entity data was not valid JSON"),
    "no-such-entity": (ValidationError, "the item does not exist (deleted or merged?)"),
    "failed-save": (ValidationError, "the wiki could not save (rate limit, abuse filter or storage)"),
    "badvalue": (ValidationError, "a parameter value was refused"),
    "tpt-unknown-page": (ValidationError, "the bundle has no such key; is the bundle saved and its jobs run?"),
    "tpt-translation-restricted": (ValidationError, "the bundle only accepts its priority languages"),
    "translate-messagebundle-validation-error": (ValidationError, "the bundle JSON was refused by Translate"),
    "contentmodel-mismatch": (ValidationError, "the page has another content model"),
    "toomanyvalues": (ValidationError, "too many values in one parameter (a client bug)"),
}


def user_agent(contact: str) -> str:
    """The User-Agent Wikimedia's policy asks for: tool/version (contact) library/version."""
    return (f"{TOOL_NAME}/{__version__} ({contact.strip()}) requests/{requests.__version__} "
            f"mwclient/{mwclient.__version__}")


class _TimeoutSession(requests.Session):
    """A session with a default timeout, so no caller (mwclient included) can hang forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(*args, **kwargs)


def make_session(profile: Profile, site: SiteProfile) -> requests.Session:
    """A session for ``site``: policy User-Agent, gzip, the profile's timeout.

    ``site`` is accepted so a future per-site setting (a proxy, a CA bundle)
    has a place to go; today every site gets the same headers.
    """
    del site
    session = _TimeoutSession(profile.pacing.timeout_seconds)
    session.headers["User-Agent"] = user_agent(profile.contact)
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


@dataclass(frozen=True)
class RevisionInfo:
    """One revision of a page as ``prop=revisions`` lists it (no content)."""

    revid: int
    comment: str
    user: str | None = None
    timestamp: str | None = None


@dataclass(frozen=True)
class PageHistory:
    """A page's recent revisions, newest first; ``exists=False`` when the page is missing (deleted).

    ``deletions`` are the deletions its log holds since the same point (timestamps, newest first): a
    missing page's revisions are gone, and the log is what still tells that it existed."""

    title: str
    exists: bool
    revisions: tuple[RevisionInfo, ...] = ()
    deletions: tuple[str, ...] = ()


@dataclass
class _Attempt:
    """What one HTTP exchange produced: a parsed body, or a reason to retry or fail."""

    data: dict[str, Any] | None = None
    text: str = ""
    error: RemoteError | None = None
    retry: bool = False
    retry_after: float | None = None


def error_from_api(site: str, error: Mapping[str, Any], *, term: Any = None) -> RemoteError:
    """The typed error for an API ``error`` object (bc format, fv1 or fv2)."""
    code = str(error.get("code", "unknown"))
    info = str(error.get("info", "")).strip()
    names = [str(m.get("name")) for m in error.get("messages", []) or [] if isinstance(m, Mapping)]
    cls, hint = _ERROR_CLASSES.get(code, (RemoteError, None))
    if cls is RemoteError and code.startswith("tpt-translation-restricted"):
        cls, hint = _ERROR_CLASSES["tpt-translation-restricted"]
    if cls is RemoteError and code.startswith("internal_api_error"):
        hint = "the wiki hit an internal error; run again later"
    about = f" ({term})" if term is not None else ""
    message = f"API error {code}{about}: {info}" + (f" [{', '.join(names)}]" if names else "")
    kwargs: dict[str, Any] = {"code": code, "site": site, "term": term, "hint": hint}
    if cls is ValidationError:
        return ValidationError(message, messages=names, **kwargs)
    return cls(message, **kwargs)


def describe_body(response: requests.Response) -> str:
    """A short, secret-free description of an unexpected answer (status, type, first bytes)."""
    head = response.content[:120].decode("utf-8", "replace").replace("\n", " ").strip()
    ctype = response.headers.get("Content-Type", "no content type")
    return f"HTTP {response.status_code}, {ctype}, starting {head!r}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class WikiSite(mwclient.Site):
    """mwclient's ``Site`` for one wiki, whose every HTTP request goes through our transport.

    mwclient builds the calls (``raw_api``: ``action``, ``format=json``, the token
    last), logs in (``login``, ``site_init``) and keeps the tokens (``get_token``);
    only ``raw_call``, its transport, is replaced: mwclient's retries sleep with a
    hard-wired ``time.sleep`` (its ``Sleepers`` take no sleep function), have no
    budget and give up at once on HTTP 429, so each request goes through
    :meth:`ApiClient._send` (retries, ``Retry-After``, backoff, non-JSON pages,
    typed errors, ``requests_made``) and mwclient's sleepers are off
    (``max_retries=0``: a ``Sleeper`` raises before it would sleep).

    ``defaults`` go into every ``api.php`` request mwclient does not build for
    its login: ``formatversion=2`` and the profile's ``maxlag``. The login
    handshake (``defaults={}``) is sent as mwclient builds it: ``site_init``
    reads formatversion 1 answers.
    """

    def __init__(self, client: ApiClient, *, defaults: Mapping[str, str]) -> None:
        parts = urlsplit(client.site.api)
        super().__init__(parts.netloc, path=parts.path.rsplit("/", 1)[0] + "/", scheme=parts.scheme,
                         pool=client.session, do_init=False, max_retries=0, retry_timeout=0, force_login=True,
                         connection_options={"timeout": client.pacing.timeout_seconds})
        self.client = client
        self.defaults = dict(defaults)

    def raw_call(self, script: str, data: Mapping[str, Any], files: Any = None, retry_on_error: bool = True,
                 http_method: str = "POST") -> str:
        """One request to ``<script>.php`` through our retries; the answer's text (JSON, checked).

        ``retry_on_error`` is mwclient's switch for its own retries (``site_init``
        turns them off); ours follow the profile's pacing for every request.
        """
        del retry_on_error
        if script == "api":
            url = self.client.site.api
            params = {k: v for k, v in data.items() if v is not None and k not in _TOKENS}
            for key, value in self.defaults.items():
                params.setdefault(key, value)
            params.update((k, v) for k, v in data.items() if v is not None and k in _TOKENS)  # tokens last
        else:
            url = f"{self.scheme}://{self.host}{self.path}{script}{self.ext}"
            params = {k: v for k, v in data.items() if v is not None}
        return self.client._send(http_method, url, params, files=files, term=self.client._term).text


class ApiClient:
    """All API calls to one wiki: GET/POST with retries, continuation, login and guarded writes.

    ``requests_made`` counts HTTP requests actually sent (retries included),
    which is what the request budgets in the tests and the pull summary count.
    """

    def __init__(self, site: SiteProfile, profile: Profile, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] | None = None) -> None:
        self.site = site
        self.profile = profile
        self.pacing = profile.pacing
        self.session = session if session is not None else make_session(profile, site)
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random().random
        self.requests_made = 0
        self.retries = 0
        self.slept = 0.0
        self.logged_in_as: str | None = None
        self.rights: frozenset[str] = frozenset()
        self._term: Any = None  # what the call in flight is about, for its typed errors
        #: mwclient's Site for this wiki (reads, tokens); login() replaces it by the logged-in one
        self.mw = WikiSite(self, defaults=self._defaults())
        self._last_write: float | None = None
        self._last_sent = 0.0  # when the latest request went out: a write's pacing counts from its start
        self._write_interval = 60.0 / self.pacing.edits_per_minute
        self.last_server_time: str | None = None
        self.token_refreshes = 0
        self.relogins = 0

    # ------------------------------------------------------------------ basics
    @property
    def name(self) -> str:
        return self.site.name

    def get(self, **params: Any) -> dict[str, Any]:
        """One GET of api.php (format=json, formatversion=2, maxlag) with retries."""
        return self._call("GET", params)

    def post(self, **params: Any) -> dict[str, Any]:
        """One POST of api.php with retries; parameters go in the body (never the URL)."""
        return self._call("POST", params)

    def query(self, **params: Any) -> Iterator[dict[str, Any]]:
        """``action=query`` pages, following ``continue`` to the end; yields each whole answer.

        Not an mwclient listing: a ``List`` yields the items of one module (our reads combine
        several in one request), sets its own ``…limit``, turns timestamps into ``struct_time``
        and goes through ``Site.api``, which adds ``meta=userinfo`` to every query.
        """
        params = {"action": "query", **params}
        cont: dict[str, Any] = {}
        while True:
            data = self.get(**{**params, **cont})  # the continuation replaces a starting point given
            yield data
            if "continue" not in data:
                return
            nxt = dict(data["continue"])
            if nxt == cont:
                raise RemoteError(f"the wiki repeated the continuation {nxt}", code="continue-loop", site=self.name,
                                  hint="a server bug; reading further would loop forever")
            cont = nxt

    def page_history(self, title: str, *, since: str | None = None) -> PageHistory:
        """The revisions of one page since ``since`` (all, newest first, up to the API's limit) and the
        deletions logged for it since then, in one request.

        Comments come as stored: Wikibase puts its autocomment before the summary we
        sent, so callers look for their text as a substring.
        """
        params: dict[str, Any] = {"action": "query", "prop": "revisions", "titles": title,
                                  "rvprop": "ids|comment|timestamp|user", "rvlimit": "max",
                                  "list": "logevents", "letype": "delete", "letitle": title,
                                  "leprop": "timestamp", "lelimit": 10}
        if since:
            params["rvend"] = params["leend"] = since
        query = self.get(**params).get("query") or {}
        pages = query.get("pages") or []
        page = (list(pages.values()) if isinstance(pages, Mapping) else pages or [{}])[0]
        deletions = tuple(str(e.get("timestamp")) for e in query.get("logevents") or [] if e.get("timestamp"))
        if "missing" in page or "invalid" in page:
            return PageHistory(title, exists=False, deletions=deletions)
        return PageHistory(title, True, tuple(
            RevisionInfo(int(r["revid"]), str(r.get("comment") or ""), r.get("user"), r.get("timestamp"))
            for r in page.get("revisions") or [] if r.get("revid")), deletions)

    def sparql(self, url: str, query: str) -> dict[str, Any]:
        """A SPARQL SELECT against a query service (GET, SPARQL JSON results).

        GET keeps reads read-only all the way down (``sync --dry-run`` sends no POST) and is
        what the query services cache; our queries are short enough for a URL.
        """
        data = self._send("GET", url, {"query": query}, accept="application/sparql-results+json",
                          kind="sparql").data
        assert data is not None
        return data

    def _defaults(self) -> dict[str, str]:
        """What every Action API call of ours carries besides ``format=json`` (mwclient adds that)."""
        return {"formatversion": "2", **({"maxlag": str(self.site.maxlag)} if self.site.maxlag is not None else {})}

    def _call(self, method: str, params: Mapping[str, Any], *, term: Any = None) -> dict[str, Any]:
        """One Action API call built by mwclient (``Site.raw_api``) and sent through our retries.

        ``raw_api``, not ``Site.api``: ``api`` adds ``meta=userinfo`` and ``continue=`` to every
        query (a different request and answer than we mean to send) and loops on its own
        sleeper; our ``raw_call`` has already retried or typed every error answer.
        """
        clean = {k: _param(v) for k, v in params.items() if v is not None and v is not False}
        action = clean.pop("action", None)
        self._term = term
        try:
            data: dict[str, Any] = self.mw.raw_api(action, method, **clean)
        finally:
            self._term = None
        return data

    # ------------------------------------------------------------------ retries
    def _send(self, method: str, url: str, params: Mapping[str, Any], *, term: Any = None, files: Any = None,
              accept: str = "application/json", kind: str = "api") -> _Attempt:
        """One request with retries: the successful attempt (parsed JSON and its text), or a typed error."""
        clean = {k: _param(v) for k, v in params.items() if v is not None and v is not False}
        started = self.clock()
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(method, url, clean, files=files, accept=accept, kind=kind, term=term)
            if outcome.data is not None:
                return outcome
            assert outcome.error is not None
            # Raised below only once retrying ran out: try again later (exit 5). Not a host that never
            # answered at all (refused, unknown): check the profile's URL (exit 1).
            outcome.error.transient = outcome.retry and outcome.error.code != "connection"
            if not outcome.retry or attempt >= self.pacing.max_attempts:
                raise self._exhausted(outcome.error, attempt)
            delay = outcome.retry_after if outcome.retry_after is not None else self._backoff(attempt)
            elapsed = max(waited, self.clock() - started)
            if elapsed + delay > self.pacing.max_wait_seconds:
                raise self._exhausted(outcome.error, attempt, waited=elapsed)
            log.warning("%s; retrying in %.1fs (attempt %d of %d)", outcome.error.message,
                        delay, attempt + 1, self.pacing.max_attempts)
            self.retries += 1
            self.slept += delay
            waited += delay
            self._pushback()
            self.sleep(delay)

    def _attempt(self, method: str, url: str, params: Mapping[str, str], *, files: Any = None, accept: str,
                 kind: str, term: Any) -> _Attempt:
        self.requests_made += 1
        self._last_sent = self.clock()
        headers = {"Accept": accept}
        try:
            if method == "GET":
                response = self.session.request("GET", url, params=params, headers=headers,
                                                timeout=self.pacing.timeout_seconds)
            else:
                response = self.session.request("POST", url, data=params, files=files, headers=headers,
                                                timeout=self.pacing.timeout_seconds)
        except requests.Timeout:
            return _Attempt(error=NetworkError(
                f"no answer within {self.pacing.timeout_seconds:g}s from {_host(url)}", site=self.name,
                code="timeout", hint="the wiki is slow or down; raise pacing.timeout_seconds or run later"),
                retry=True)
        except requests.ConnectionError as exc:
            if not _never_connected(exc):
                return _Attempt(error=NetworkError(
                    f"{_host(url)} dropped the connection without an answer ({_cause(exc)})", site=self.name,
                    code="dropped", hint="the network or the wiki dropped the connection; run again later"),
                    retry=True)
            return _Attempt(error=NetworkError(
                f"cannot reach {_host(url)}: {type(exc).__name__}", site=self.name, code="connection",
                hint="check the profile's URL and the network"), retry=True)
        except requests.RequestException as exc:
            return _Attempt(error=NetworkError(f"request to {_host(url)} failed: {type(exc).__name__}",
                                               site=self.name, code="request"))
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        self.last_server_time = None
        self._note_server_time(response.headers.get("Date"))
        if response.status_code in RETRYABLE_STATUS:
            cls = RateLimitedError if response.status_code == 429 else NetworkError
            return _Attempt(error=cls(f"{_host(url)} answered {describe_body(response)}", site=self.name,
                                      code=f"http-{response.status_code}",
                                      hint="the server is overloaded or throttling; run again later"),
                            retry=True, retry_after=retry_after)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if response.status_code in (404, 410):  # no API at this URL: a wrong profile, not a passing trouble
                return _Attempt(error=NotJSONError(
                    f"expected JSON from {_host(url)} ({kind}), got {describe_body(response)}", site=self.name,
                    code=f"http-{response.status_code}", hint="no API answers at this URL: check the profile's "
                                                              "api (…/w/api.php) or sparql URL"))
            return _Attempt(error=NotJSONError(
                f"expected JSON from {_host(url)} ({kind}), got {describe_body(response)}", site=self.name,
                code="notjson", hint="an anti-bot, login or maintenance page answered; check the URL, "
                                     "the User-Agent contact, or run again later"),
                retry=True, retry_after=retry_after)
        if response.status_code >= 400 and "error" not in data:
            return _Attempt(error=NetworkError(f"{_host(url)} answered {describe_body(response)}",
                                               site=self.name, code=f"http-{response.status_code}"))
        error = data.get("error")
        if error is None and isinstance(data.get("errors"), list) and data["errors"]:
            first = data["errors"][0]
            error = {"code": first.get("code"), "info": first.get("text") or first.get("key", "")}
        if isinstance(error, Mapping):
            typed = error_from_api(self.name, error, term=term)
            code = typed.code or ""
            if code == "maxlag" and retry_after is None:
                retry_after = float(max(int(error.get("lag", 5) or 5), 5))
            return _Attempt(error=typed, retry=code in RETRYABLE_CODES, retry_after=retry_after)
        if response.headers.get("X-Database-Lag") and retry_after is not None and "error" not in data:
            log.debug("%s: lag header on a successful answer", self.name)
        return _Attempt(data=data, text=response.text)

    def _note_server_time(self, header: str | None) -> None:
        """The server's clock from ``Date`` (ISO 8601), a fallback high-water mark without ``curtimestamp``."""
        if not header:
            return
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        self.last_server_time = when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def server_time(self, data: Mapping[str, Any]) -> str | None:
        """A high-water mark from one answer: every later change has a timestamp at or after it.

        ``curtimestamp`` when the wiki sends it; else the newest ``recentchanges``
        row in the answer (the first request of a read carries an
        ``rclimit=1`` probe); else the ``Date`` header of the response.
        """
        value = data.get("curtimestamp")
        if value:
            return str(value)
        rows = (data.get("query") or {}).get("recentchanges") or []
        stamps = [str(r["timestamp"]) for r in rows if isinstance(r, Mapping) and r.get("timestamp")]
        return max(stamps) if stamps else self.last_server_time

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter around the doubling step (never zero)."""
        step = self.pacing.backoff_base_seconds * (2 ** (attempt - 1))
        return step * (0.5 + self.rng())

    def _exhausted(self, error: RemoteError, attempts: int, waited: float | None = None) -> RemoteError:
        if attempts > 1:
            extra = f" (gave up after {attempts} attempts" + (f", {waited:.1f}s" if waited else "") + ")"
            error.message += extra
            error.args = (error.message,)
        return error

    # ------------------------------------------------------------------ login and writes
    def login(self) -> None:
        """Bot-password login with mwclient (``Site.login``) on our session; reads never need it.

        Each login gets a new :class:`WikiSite` (no request: it wraps the same session), so a
        login after an expired session fetches a fresh login token and rights, and the csrf
        token of the old session is dropped with its site. Its requests go through our
        retries like every other; what mwclient itself gives up on (a ``Throttled`` login,
        which it would sleep for, an unknown generator) starts the login over after a backoff.
        """
        if self.logged_in_as is not None:
            return
        creds = self.site.require_credentials()
        user = creds.user.split("@")[0]
        attempt = 0
        while True:
            attempt += 1
            site = WikiSite(self, defaults={})
            try:
                site.login(creds.user, creds.password)
                break
            except mwclient.errors.LoginError as exc:
                log.warning("%s: login as %r failed: %s", self.name, user, exc.code)
                raise AuthError(f"login as {user!r} failed: {exc.code}" + (f" ({exc.info})" if exc.info else ""),
                                site=self.name, code=str(exc.code),
                                hint=f"check {self.site.user_env} (User@BotName) and {self.site.password_env}; "
                                     "create or reset the bot password on Special:BotPasswords") from None
            except mwclient.errors.APIError as exc:
                raise error_from_api(self.name, {"code": exc.code, "info": exc.info}) from None
            except (mwclient.errors.MwClientError, ValueError) as exc:
                if attempt >= self.pacing.max_attempts:
                    raise NetworkError(f"login failed: {type(exc).__name__}: {redact(str(exc))[:200]}",
                                       site=self.name, code="login",
                                       hint="the wiki is unreachable or overloaded; run again later") from None
                delay = self._backoff(attempt)
                self.retries += 1
                self.slept += delay
                self.sleep(delay)
        site.defaults = self._defaults()
        self.mw = site
        _session_secrets(self.session)
        self.logged_in_as = str(site.username or user)
        self.rights = frozenset(str(r) for r in (site.rights or ()))
        log.info("%s: logged in as %s", self.name, self.logged_in_as)

    def csrf_token(self, *, refresh: bool = False) -> str:
        """The session's csrf token from mwclient (``Site.get_token``), fetched once per login or on refresh."""
        token = str(self.mw.get_token("csrf", force=refresh))
        register_secret(token)
        register_secret(token.partition("+")[0])  # as a repr or a log shows it (the "+\\" suffix escaped)
        return token

    @property
    def is_bot(self) -> bool:
        return "bot" in self.rights

    @property
    def has_high_limits(self) -> bool:
        return "apihighlimits" in self.rights

    def write(self, action: str, *, term: Any = None, **params: Any) -> dict[str, Any]:
        """A guarded write: login, csrf token, ``assert``, one token refresh on badtoken, pacing."""
        self.login()
        self._pace()
        full: dict[str, Any] = {"action": action, "assert": "bot" if self.is_bot else "user", **params}
        if self.is_bot and action in ("edit", "wbeditentity", "wbsetlabel", "wbsetdescription"):
            full.setdefault("bot", "1")
        try:
            data = self._call("POST", {**full, "token": self.csrf_token()}, term=term)
        except BadTokenError:
            log.info("%s: badtoken; fetching a fresh token once", self.name)
            self.token_refreshes += 1
            data = self._call("POST", {**full, "token": self.csrf_token(refresh=True)}, term=term)
        except AuthError as exc:
            if exc.code != "assertuserfailed" or self.relogins:
                raise
            log.info("%s: the session expired; logging in again once", self.name)
            self.relogins += 1
            self.logged_in_as = None
            self.login()
            data = self._call("POST", {**full, "token": self.csrf_token(refresh=True)}, term=term)
        self._last_write = self._last_sent
        self._relax()
        return data

    def _pace(self) -> None:
        """Wait until the adaptive interval since the last write went out has passed (never below the profile's).

        Measured from when the last write was sent (its last attempt, after any retry), not from its
        answer: the time the wiki takes to answer is part of the interval, so at the profile's rate a
        write goes out every interval, not every interval plus an answer's time. Requests stay serial
        (one in flight per wiki, as Wikimedia's API etiquette asks)."""
        if self._last_write is None:
            return
        due = self._last_write + self._write_interval - self.clock()
        if due > 0:
            self.slept += due
            self.sleep(due)

    def _pushback(self) -> None:
        """The server asked us to slow down: widen the write interval (up to a minute)."""
        self._write_interval = min(max(self._write_interval * 2, 60.0 / self.pacing.edits_per_minute), 60.0)

    def _relax(self) -> None:
        floor = 60.0 / self.pacing.edits_per_minute
        self._write_interval = max(floor, self._write_interval * 0.75)


def _param(value: Any) -> str:
    if value is True:
        return "1"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "|".join(str(v) for v in value)
    return str(value)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Whether the connection was never made (refused, unknown host), not dropped once made."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _cause(exc: BaseException) -> str:
    """The innermost named cause of a dropped connection (``RemoteDisconnected``, ``ConnectionResetError``)."""
    inner: Any = exc
    while inner.args and isinstance(inner.args[-1], BaseException):
        inner = inner.args[-1]
    return type(inner).__name__


def _session_secrets(session: requests.Session) -> None:
    """The logged-in session's cookies that act as the bot (``<wiki>_session``, ``<wiki>Token``): redacted from
    every output like the password (:func:`capxl10n.errors.redact`)."""
    for cookie in session.cookies:
        if cookie.value and cookie.name.lower().endswith(("session", "token")):
            register_secret(cookie.value)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"
