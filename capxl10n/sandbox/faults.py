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
    seed=7               the fault RNG seed (default: the sandbox seed)
    sites=metawiki|metabase          restrict faults to these sites (default: all)
    off                  clear every fault

Rates are probabilities per request (0..1); durations take ``ms``, ``s`` or
``m`` (plain numbers are seconds).
"""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
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
    seed: int | None = None
    sites: tuple[str, ...] = ()

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
            known("seconds")
            return replace(self, rate_hang=_rate(value, item),
                           hang_seconds=_duration(opts.get("seconds", "30"), item))
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
        raise ValueError(f"unknown fault {name!r} in {item!r}; known: latency, jitter, 5xx, 429, maxlag, hang, "
                         "html, badtoken, readonly, concurrent, seed, sites, off")

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


def _duration(value: str, item: str) -> float:
    if value in ("on", "always", "inf"):
        return float("inf")
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if value.endswith(suffix):
            return _number(value[: -len(suffix)], item) * factor
    return _number(value, item)


ConcurrentHook = Callable[[ApiRequest, random.Random], Any]


@dataclass
class FaultInjector:
    """Applies a :class:`FaultSpec`; implements core.FaultHooks and the app's pre-request hook."""

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
        self.configure(self.spec)

    # -- configuration --------------------------------------------------------
    def configure(self, spec: FaultSpec | str | None) -> None:
        parsed = spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec)
        with self._lock:
            self.spec = parsed
            self.rng = random.Random(parsed.seed if parsed.seed is not None else self.seed)
            self.set_at = self.clock()

    def describe(self) -> dict[str, Any]:
        spec = self.spec.to_json()
        for key in ("maxlag_seconds", "readonly_seconds"):
            if spec[key] == float("inf"):
                spec[key] = "on"
        return {"spec": spec, "maxlag_active": self._window(self.spec.maxlag_seconds),
                "readonly_active": self._window(self.spec.readonly_seconds)}

    def _applies(self, site: str) -> bool:
        return not self.spec.sites or site in self.spec.sites

    def _draw(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self.rng.random() < rate

    def _window(self, seconds: float | None) -> bool:
        return seconds is not None and (self.clock() - self.set_at) < seconds

    def _count(self, kind: str) -> None:
        if self.stats is not None:
            self.stats.fault(kind)

    # -- before the request reaches the wiki -------------------------------------
    def before_request(self, request: Request, site: str) -> tuple[str | None, Response | None]:
        """Latency, then at most one of hang / 5xx / 429 / html, drawn in that order."""
        spec = self.spec
        if not self._applies(site):
            return None, None
        delay = spec.latency_ms
        if spec.jitter_ms:
            with self._lock:
                delay += self.rng.uniform(0, spec.jitter_ms)
        if delay > 0:
            self.sleep(delay / 1000.0)
        if self._draw(spec.rate_hang):
            self._count("hang")
            if request.environ.get("capxl10n.sandbox.transport"):
                from capxl10n.sandbox.app import HangSignal

                raise HangSignal(spec.hang_seconds)
            self.stop_event.wait(spec.hang_seconds)
            return None, Response(ERROR_PAGE.format(status=504), status=504,
                                  content_type="text/html; charset=utf-8")
        if self._draw(spec.rate_5xx):
            return "5xx", Response(ERROR_PAGE.format(status=spec.status_5xx), status=spec.status_5xx,
                                   content_type="text/html; charset=utf-8")
        if self._draw(spec.rate_429):
            return "429", Response("<!DOCTYPE html><title>Too Many Requests</title><h1>429 Too Many Requests</h1>",
                                   status=429, headers={"Retry-After": str(spec.retry_after)},
                                   content_type="text/html; charset=utf-8")
        if self._draw(spec.rate_html):
            return "html", Response(ANTI_BOT_PAGE, status=200, content_type="text/html; charset=utf-8")
        return None, None

    # -- core.FaultHooks ------------------------------------------------------------
    def readonly_reason(self, site: Site) -> str | None:
        if self._applies(site.name) and self._window(self.spec.readonly_seconds):
            return self.spec.readonly_reason
        return None

    def lag(self, site: Site) -> float:
        if self._applies(site.name) and self._window(self.spec.maxlag_seconds):
            return float(self.spec.maxlag_lag)
        return 0.0

    def force_badtoken(self, req: ApiRequest) -> bool:
        if self._applies(req.site.name) and self._draw(self.spec.rate_badtoken):
            self._count("badtoken")
            return True
        return False

    def before_write(self, req: ApiRequest) -> None:
        if not self._applies(req.site.name) or not self._draw(self.spec.rate_concurrent):
            return
        hook = self.concurrent_hooks.get(req.site.name)
        if hook is not None:
            with self._lock:
                rng = random.Random(self.rng.random())
            if hook(req, rng):
                self._count("concurrent")
