"""Fault injection: the network and wiki troubles a polite, robust client must survive.

Why deterministic: a test that injects "5% 503s" must fail the same way every
run, so every decision draws from one ``random.Random(seed)``; time windows
and latency use an injectable clock and sleep, so tests never wait.

Spec syntax (``--faults``, ``POST /_sandbox/faults``, ``Sandbox(faults=...)``):
comma-separated ``name=value[:option=value...]`` items::

    latency=100          fixed latency in ms before every API/SPARQL answer
    jitter=20            plus uniform 0..20 ms
    5xx=0.05[:status=503]            rate of HTTP 5xx answers (an HTML error page)
    429=0.02[:retry_after=1]         rate of HTTP 429 with Retry-After
    maxlag=10s[:lag=7]   for 10 s from now every request with maxlag=N<lag gets the
                         real maxlag error (Retry-After, X-Database-Lag); ``on`` = forever
    hang=0.01[:seconds=30]           rate of requests that never answer (until the client
                         times out, the server stops, or ``seconds`` pass)
    html=0.01            rate of an HTML anti-bot page with HTTP 200 instead of JSON
    badtoken=0.05        rate of token checks refused with ``badtoken`` (token expiry)
    readonly=30s[:reason=Maintenance]  read-only mode for 30 s (``on`` = until cleared)
    concurrent=0.1       rate of writes preceded by a conflicting edit by Peer2
    reset=0.01[:after=1] rate of connections dropped with no answer; ``after=1``: once the
                         wiki has handled the request (a write landed, its answer is lost)
    seed=7               the fault RNG seed (default: the sandbox seed)
    sites=metawiki|metabase          restrict faults to these sites (default: all)
    only=terms|write     restrict faults to these kinds of request (default: all; see KINDS)
    times=2              at most this many faults in all, then none (a burst that clears)
    off                  clear every fault

Rates are probabilities per request (0..1); durations take ``ms``, ``s`` or
``m`` (plain numbers are seconds). ``hang`` also takes ``after=1`` (the wiki
handles the request, then the answer never comes).

Kinds of request (``only=``, :meth:`FaultInjector.trap`), each named after the
part of a sync that sends it; a request may be of several kinds:

    login            the login handshake (login token, ``action=login``, mwclient's site_init)
    token            a csrf token (``meta=tokens``)
    discovery        Metabase's capacity discovery (``list=backlinks``, SPARQL, ``wbcontentlanguages``)
    terms            reads of terms (``wbgetentities``, ``list=messagecollection``, ``messagetranslations``)
    bundle           the read of the bundle page's content (or its group's stats)
    changes          ``list=recentchanges`` (incremental reads, apply's source guard)
    history          revisions without content (``revids=`` or ``rvprop`` without content: authors, recovery)
    metabase-set     a ``wbeditentity`` setting a label or description
    metabase-remove  a ``wbeditentity`` removing one
    unit-edit        an edit of a translation unit page (``Translations:…``), current
    unit-outdate     an edit saving a unit outdated (``!!FUZZY!!``: how a deletion lands without the right)
    unit-delete      ``action=delete``
    bundle-edit      an edit of any other Meta-Wiki page (the bundle's source)
    write            any POST of a write module; ``read`` any GET

Traps (:meth:`FaultInjector.trap`, Python only) call a function when the N-th
request of a kind arrives, before the wiki handles it or after (before the
answer goes out); a test uses them to signal a client process at a precise
point of its run.
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from werkzeug.wrappers import Request, Response

from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site

ANTI_BOT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Checking your browser…</title></head>
<body><h1>One moment, please…</h1><p>Please wait while we verify that you are not a bot.</p>
<noscript>Please enable JavaScript to continue.</noscript></body></html>
"""
ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Wikimedia Error</title></head>
<body><h1>Error</h1><p>Our servers are currently under maintenance or experiencing a technical problem.
Please try again in a few minutes.</p><p>Error: {status}, Sandbox fault</p></body></html>
"""


@dataclass(frozen=True)
class FaultSpec:
    """A parsed fault specification (see the module docstring for the syntax)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_5xx: float = 0.0
    status_5xx: int = 503
    rate_429: float = 0.0
    retry_after: int = 1
    maxlag_seconds: float | None = None     # window length; inf = always
    maxlag_lag: int = 7
    rate_hang: float = 0.0
    hang_seconds: float = 30.0
    rate_html: float = 0.0
    rate_badtoken: float = 0.0
    readonly_seconds: float | None = None
    readonly_reason: str = "The sandbox is in read-only mode for a test."
    rate_concurrent: float = 0.0
    rate_reset: float = 0.0
    reset_after: bool = False
    hang_after: bool = False
    seed: int | None = None
    sites: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    times: int | None = None

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        spec = cls()
        if not text or not text.strip():
            return spec
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            if item == "off":
                spec = cls()
                continue
            head, *options = item.split(":")
            name, eq, value = head.partition("=")
            if not eq:
                raise ValueError(f"fault {item!r}: expected name=value (e.g. 5xx=0.05)")
            opts = {}
            for opt in options:
                key, eq2, val = opt.partition("=")
                if not eq2:
                    raise ValueError(f"fault {item!r}: option {opt!r} must be key=value")
                opts[key.strip()] = val.strip()
            spec = spec._apply(name.strip(), value.strip(), opts, item)
        return spec

    def _apply(self, name: str, value: str, opts: dict[str, str], item: str) -> FaultSpec:
        def known(*names: str) -> None:
            unknown = set(opts) - set(names)
            if unknown:
                raise ValueError(f"fault {item!r}: unknown option(s) {', '.join(sorted(unknown))}")

        if name == "latency":
            known()
            return replace(self, latency_ms=_number(value, item))
        if name == "jitter":
            known()
            return replace(self, jitter_ms=_number(value, item))
        if name == "5xx":
            known("status")
            status = int(opts.get("status", "503"))
            if not 500 <= status <= 599:
                raise ValueError(f"fault {item!r}: status must be 500..599")
            return replace(self, rate_5xx=_rate(value, item), status_5xx=status)
        if name == "429":
            known("retry_after")
            return replace(self, rate_429=_rate(value, item),
                           retry_after=int(_number(opts.get("retry_after", "1"), item)))
        if name == "maxlag":
            known("lag")
            return replace(self, maxlag_seconds=_duration(value, item),
                           maxlag_lag=int(_number(opts.get("lag", "7"), item)))
        if name == "hang":
            known("seconds", "after")
            return replace(self, rate_hang=_rate(value, item),
                           hang_seconds=_duration(opts.get("seconds", "30"), item),
                           hang_after=_flag(opts.get("after", "0"), item))
        if name == "reset":
            known("after")
            return replace(self, rate_reset=_rate(value, item), reset_after=_flag(opts.get("after", "0"), item))
        if name == "html":
            known()
            return replace(self, rate_html=_rate(value, item))
        if name == "badtoken":
            known()
            return replace(self, rate_badtoken=_rate(value, item))
        if name == "readonly":
            known("reason")
            return replace(self, readonly_seconds=_duration(value, item),
                           readonly_reason=opts.get("reason", self.readonly_reason))
        if name == "concurrent":
            known()
            return replace(self, rate_concurrent=_rate(value, item))
        if name == "seed":
            known()
            return replace(self, seed=int(_number(value, item)))
        if name == "sites":
            known()
            sites = tuple(s for s in value.split("|") if s)
            bad = set(sites) - {"metabase", "metawiki", "wikidata"}
            if bad:
                raise ValueError(f"fault {item!r}: unknown site(s) {', '.join(sorted(bad))}")
            return replace(self, sites=sites)
        if name == "only":
            known()
            kinds = tuple(k for k in value.split("|") if k)
            bad = set(kinds) - set(KINDS)
            if bad or not kinds:
                raise ValueError(f"fault {item!r}: unknown kind(s) of request {', '.join(sorted(bad)) or '(none)'};"
                                 f" known: {', '.join(KINDS)}")
            return replace(self, only=kinds)
        if name == "times":
            known()
            return replace(self, times=int(_number(value, item)))
        raise ValueError(f"unknown fault {name!r} in {item!r}; known: latency, jitter, 5xx, 429, maxlag, hang, "
                         "html, badtoken, readonly, concurrent, reset, seed, sites, only, times, off")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _number(value: str, item: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"fault {item!r}: {value!r} is not a number") from None
    if number < 0:
        raise ValueError(f"fault {item!r}: {value!r} must not be negative")
    return number


def _rate(value: str, item: str) -> float:
    rate = _number(value, item)
    if rate > 1:
        raise ValueError(f"fault {item!r}: a rate is a probability between 0 and 1")
    return rate


def _flag(value: str, item: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(f"fault {item!r}: {value!r} must be 0 or 1")
    return value == "1"


#: The kinds of request ``only=`` and traps name (module docstring).
KINDS = ("login", "token", "discovery", "terms", "bundle", "changes", "history", "metabase-set",
         "metabase-remove", "unit-edit", "unit-outdate", "unit-delete", "bundle-edit", "write", "read")
WRITE_ACTIONS = frozenset({"edit", "wbeditentity", "delete", "wbsetlabel", "wbsetdescription", "move"})
UNIT_PREFIX = "Translations:"


def request_kinds(site: str, path: str, method: str, params: Mapping[str, str]) -> frozenset[str]:
    """The kinds of a request (module docstring), from its site, path, method and parameters."""
    kinds: set[str] = set()
    action = params.get("action", "")
    if path.endswith("/sparql"):
        return frozenset({"discovery", "read"})
    if method == "POST" and action in WRITE_ACTIONS:
        kinds.add("write")
        if action == "wbeditentity":
            kinds.update(_entity_edit_kinds(params.get("data", "")))
        elif action in ("wbsetlabel", "wbsetdescription"):
            kinds.add("metabase-set" if params.get("value") else "metabase-remove")
        elif action == "delete":
            kinds.add("unit-delete")
        elif action == "edit":
            if params.get("title", "").startswith(UNIT_PREFIX):
                kinds.add("unit-outdate" if params.get("text", "").lstrip().startswith("!!FUZZY!!") else "unit-edit")
            else:
                kinds.add("bundle-edit")
        return frozenset(kinds)
    kinds.add("login" if action == "login" else "read")
    lists = set(params.get("list", "").split("|"))
    metas = set(params.get("meta", "").split("|"))
    props = set(params.get("prop", "").split("|"))
    if "tokens" in metas:
        kinds.add("login" if params.get("type") == "login" else "token")
    if "userinfo" in metas and "siteinfo" in metas:
        kinds.add("login")  # mwclient's site_init, part of its login
    if "backlinks" in lists or "wbcontentlanguages" in metas:
        kinds.add("discovery")
    if action == "wbgetentities" or "messagecollection" in lists or "messagetranslations" in metas:
        kinds.add("terms")
    if "recentchanges" in lists:
        kinds.add("changes")
    if "messagegroupstats" in metas:
        kinds.add("bundle")
    if "revisions" in props:
        rvprop = params.get("rvprop", "ids|timestamp|flags|comment|user")
        titles = params.get("titles", "")
        if "content" in rvprop and site == "metawiki" and titles and not titles.startswith(UNIT_PREFIX):
            kinds.add("bundle")
        elif "content" not in rvprop or params.get("revids"):
            kinds.add("history")
        else:
            kinds.add("terms")
    return frozenset(kinds)


def _entity_edit_kinds(data: str) -> set[str]:
    try:
        entity = json.loads(data) if data else {}
    except ValueError:
        return set()
    kinds = set()
    for name in ("labels", "descriptions"):
        terms = entity.get(name) if isinstance(entity, dict) else None
        values = terms.values() if isinstance(terms, dict) else terms if isinstance(terms, list) else ()
        for term in values:
            if isinstance(term, dict):
                kinds.add("metabase-remove" if "remove" in term else "metabase-set")
    return kinds


def _duration(value: str, item: str) -> float:
    if value in ("on", "always", "inf"):
        return float("inf")
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if value.endswith(suffix):
            return _number(value[: -len(suffix)], item) * factor
    return _number(value, item)


ConcurrentHook = Callable[[ApiRequest, random.Random], Any]


class ConnectionDropped(ConnectionResetError):
    """Raised inside the app when a fault or a trap drops the connection: no answer at all.

    Over HTTP the server resets the connection (``capxl10n.sandbox.httpd``); the in-process
    transport raises ``requests.ConnectionError`` (``capxl10n.sandbox.server``).
    """


@dataclass(frozen=True)
class TrapEvent:
    """What a trap's action is told: the request that sprang it and when."""

    site: str
    kinds: frozenset[str]
    params: Mapping[str, str]
    when: str
    nth: int


@dataclass
class Trap:
    """Calls ``action`` when the ``nth`` request of one of ``kinds`` arrives (on ``site``, if given).

    ``when="before"``: before the wiki handles it; ``"after"``: once it has, before the answer goes
    out. ``action`` returning ``"drop"`` drops the connection instead of going on (the wiki never
    sees a request dropped before; an answer dropped after is lost). A trap springs once.
    """

    kinds: frozenset[str]
    nth: int
    when: str
    action: Callable[[TrapEvent], str | None]
    site: str | None = None
    seen: int = 0
    sprung: bool = False

    def matches(self, site: str, kinds: frozenset[str]) -> bool:
        return not self.sprung and (self.site is None or self.site == site) and bool(self.kinds & kinds)


class _Current(threading.local):
    """The request this thread is answering: whether faults may hit it, and what it is."""

    request: Request | None = None
    targeted: bool = True
    kinds: frozenset[str] = frozenset()
    params: Mapping[str, str] = {}
    site: str = ""
    hit: str | None = None

    @property
    def write(self) -> bool:
        return self.request is not None and self.request.method == "POST" and \
            self.request.values.get("action") in WRITE_ACTIONS

    @property
    def maxlag(self) -> float | None:
        raw = self.request.values.get("maxlag") if self.request is not None else None
        try:
            return float(raw) if raw is not None else None
        except ValueError:
            return None


@dataclass
class FaultInjector:
    """Applies a :class:`FaultSpec`; implements core.FaultHooks and the app's pre- and post-request hooks."""

    spec: FaultSpec = field(default_factory=FaultSpec)
    seed: int = 1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    stop_event: threading.Event = field(default_factory=threading.Event)
    #: site name -> hook making a conflicting edit by Peer2 for this request
    concurrent_hooks: dict[str, ConcurrentHook] = field(default_factory=dict)
    stats: Any = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._current = _Current()
        self.traps: list[Trap] = []
        self.injected = 0
        self.configure(self.spec)

    # -- configuration --------------------------------------------------------
    def configure(self, spec: FaultSpec | str | None) -> None:
        parsed = spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec)
        with self._lock:
            self.spec = parsed
            self.rng = random.Random(parsed.seed if parsed.seed is not None else self.seed)
            self.set_at = self.clock()
            self.injected = 0

    def describe(self) -> dict[str, Any]:
        spec = self.spec.to_json()
        for key in ("maxlag_seconds", "readonly_seconds"):
            if spec[key] == float("inf"):
                spec[key] = "on"
        return {"spec": spec, "maxlag_active": self._window(self.spec.maxlag_seconds),
                "readonly_active": self._window(self.spec.readonly_seconds), "injected": self.injected}

    def trap(self, kinds: str, action: Callable[[TrapEvent], str | None], *, nth: int = 1, when: str = "before",
             site: str | None = None) -> Trap:
        """Spring ``action`` at the ``nth`` request of ``kinds`` (``"unit-edit|bundle-edit"``); see :class:`Trap`."""
        names = frozenset(k for k in kinds.split("|") if k)
        if not names or names - set(KINDS) or when not in ("before", "after") or nth < 1:
            raise ValueError(f"trap {kinds!r} {when!r} #{nth}: kinds are {', '.join(KINDS)}; when before or after")
        made = Trap(names, nth, when, action, site)
        with self._lock:
            self.traps.append(made)
        return made

    def clear_traps(self) -> None:
        with self._lock:
            self.traps.clear()

    def _applies(self, site: str) -> bool:
        return not self.spec.sites or site in self.spec.sites

    def _budget_left(self) -> bool:
        """Whether a fault may still hit the current request: it is targeted, and ``times`` is not spent
        (a request already hit may be hit again: a fault counts once per request)."""
        current = self._current
        if not current.targeted:
            return False
        return current.hit is not None or self.spec.times is None or self.injected < self.spec.times

    def _spend(self, kind: str) -> bool:
        """Count a fault hitting the current request, when one still may (``times``)."""
        with self._lock:
            if not self._budget_left():
                return False
            if self._current.hit is not None:
                return True
            self.injected += 1
            self._current.hit = kind
        self._count(kind)
        return True

    def _draw(self, rate: float, kind: str) -> bool:
        if rate <= 0 or not self._current.targeted:
            return False
        with self._lock:
            drawn = self.rng.random() < rate
        return drawn and self._spend(kind)

    def _window(self, seconds: float | None) -> bool:
        return seconds is not None and (self.clock() - self.set_at) < seconds

    def _count(self, kind: str) -> None:
        if self.stats is not None:
            self.stats.fault(kind)

    # -- before the request reaches the wiki -------------------------------------
    def before_request(self, request: Request, site: str) -> tuple[str | None, Response | None]:
        """Traps, latency, then at most one of hang / reset / 5xx / 429 / html, drawn in that order.

        Answers ``(None, response)`` for a fault answered instead of the wiki (counted here, in the
        stats' ``faults``), ``(None, None)`` to go on; a reset raises :class:`ConnectionDropped`."""
        spec = self.spec
        current = self._current
        current.request, current.hit = request, None
        params: Mapping[str, str] = {}
        if spec.only or self.traps:
            params = dict(request.args.items())
            if request.method == "POST":
                params.update(request.form.items())
            current.kinds = request_kinds(site, request.path, request.method, params)
            current.params = params
        else:
            current.kinds = frozenset()
        current.site = site
        current.targeted = self._applies(site) and (not spec.only or bool(current.kinds.intersection(spec.only)))
        if self.traps:
            self._spring(site, "before")
        if not current.targeted:
            return None, None
        delay = spec.latency_ms
        if spec.jitter_ms:
            with self._lock:
                delay += self.rng.uniform(0, spec.jitter_ms)
        if delay > 0:
            self.sleep(delay / 1000.0)
        if not spec.hang_after and self._draw(spec.rate_hang, "hang"):
            self._hang(request)
            return None, Response(ERROR_PAGE.format(status=504), status=504,
                                  content_type="text/html; charset=utf-8")
        if not spec.reset_after and self._draw(spec.rate_reset, "reset"):
            raise ConnectionDropped(f"sandbox fault: connection to {site} reset")
        if self._draw(spec.rate_5xx, "5xx"):
            return None, Response(ERROR_PAGE.format(status=spec.status_5xx), status=spec.status_5xx,
                                   content_type="text/html; charset=utf-8")
        if self._draw(spec.rate_429, "429"):
            return None, Response("<!DOCTYPE html><title>Too Many Requests</title><h1>429 Too Many Requests</h1>",
                                   status=429, headers={"Retry-After": str(spec.retry_after)},
                                   content_type="text/html; charset=utf-8")
        if self._draw(spec.rate_html, "html"):
            return None, Response(ANTI_BOT_PAGE, status=200, content_type="text/html; charset=utf-8")
        return None, None

    def after_request(self, request: Request, site: str) -> None:
        """Once the wiki has handled the request, before its answer goes out: ``after`` traps and faults."""
        if self.traps:
            self._spring(site, "after")
        current = self._current
        if not current.targeted:
            return
        if self.spec.hang_after and self._draw(self.spec.rate_hang, "hang"):
            self._hang(request)
        if self.spec.reset_after and self._draw(self.spec.rate_reset, "reset"):
            raise ConnectionDropped(f"sandbox fault: connection to {site} reset after the request was handled")

    def _hang(self, request: Request) -> None:
        """In-process: a timeout at once (:class:`HangSignal`); over HTTP: no answer until ``seconds`` pass."""
        if request.environ.get("capxl10n.sandbox.transport"):
            from capxl10n.sandbox.app import HangSignal

            raise HangSignal(self.spec.hang_seconds)
        self.stop_event.wait(self.spec.hang_seconds)

    def _spring(self, site: str, when: str) -> None:
        current = self._current
        with self._lock:
            due = []
            for trap in self.traps:
                if trap.when == when and trap.matches(site, current.kinds):
                    trap.seen += 1
                    if trap.seen == trap.nth:
                        trap.sprung = True
                        due.append(trap)
        for trap in due:
            self._count("trap")
            outcome = trap.action(TrapEvent(site, current.kinds, current.params, when, trap.nth))
            if outcome == "drop":
                raise ConnectionDropped(f"sandbox trap: connection to {site} dropped {when} the request")

    # -- core.FaultHooks ------------------------------------------------------------
    def readonly_reason(self, site: Site) -> str | None:
        if not self._window(self.spec.readonly_seconds) or not self._current.targeted:
            return None
        if self._current.write and not self._spend("readonly"):  # a refused write counts as a fault
            return None
        return self.spec.readonly_reason

    def lag(self, site: Site) -> float:
        if not self._window(self.spec.maxlag_seconds) or not self._current.targeted:
            return 0.0
        lag = float(self.spec.maxlag_lag)
        wanted = self._current.maxlag
        if wanted is not None and lag > wanted and not self._spend("maxlag"):  # this request would be refused
            return 0.0
        return lag

    def force_badtoken(self, req: ApiRequest) -> bool:
        return self._draw(self.spec.rate_badtoken, "badtoken")

    def before_write(self, req: ApiRequest) -> None:
        if self.spec.rate_concurrent <= 0 or not self._current.targeted:
            return
        with self._lock:
            if self.rng.random() >= self.spec.rate_concurrent:
                return
            rng = random.Random(self.rng.random())
        hook = self.concurrent_hooks.get(req.site.name)
        if hook is not None and self._budget_left() and hook(req, rng):
            self._spend("concurrent")
