"""The Sandbox object: build the three wikis, seed them, serve them on loopback or in-process.

Why both: CLI tests and demos need a real port (``.start()`` → ``.url``);
unit tests are faster through :meth:`Sandbox.transport`, a requests adapter
that calls the WSGI app without sockets (cookies, headers and status behave
as over HTTP)::

    with Sandbox(capacities=20, languages=5) as sb:      # serves on 127.0.0.1:<ephemeral>
        requests.get(sb.url + "/metawiki/w/api.php", params={...})
    sb = Sandbox(capacities=20)
    session = requests.Session(); session.mount("http://", sb.transport())
    session.get(sb.url + "/metabase/w/api.php", ...)     # no socket: sb.url is http://sandbox.invalid
"""
from __future__ import annotations

import http.client
import io
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse
from werkzeug.test import EnvironBuilder

from capxl10n.sandbox import seed as seeding
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.app import HangSignal, SandboxApp
from capxl10n.sandbox.faults import FaultInjector, FaultSpec
from capxl10n.sandbox.httpd import KeepAliveWSGIServer
from capxl10n.sandbox.mediawiki import modules as mediawiki
from capxl10n.sandbox.stats import Stats
from capxl10n.sandbox.store.wiki import METABASE_NAMESPACES, METAWIKI_NAMESPACES, WIKIDATA_NAMESPACES, Wiki
from capxl10n.sandbox.wikibase.repo import METABASE_CONCEPT_BASE

log = logging.getLogger(__name__)

INPROCESS_URL = "http://sandbox.invalid"
BOT_USER, BOT_NAME, BOT_PASSWORD = "CapxBot", "capxl10n", "sandbox-bot-password-0123456789abcdef"
PEER_USER, PEER_PASSWORD = "Peer2", "sandbox-peer2-password-0123456789abcdef"


def bot_login_name() -> str:
    return f"{BOT_USER}@{BOT_NAME}"


def credentials_env() -> dict[str, str]:
    """The environment variables ``capxl10n/profiles/sandbox.toml`` names, set to the sandbox bot password."""
    login = bot_login_name()
    return {"CAPXL10N_METABASE_USER": login, "CAPXL10N_METABASE_PASSWORD": BOT_PASSWORD,
            "CAPXL10N_METAWIKI_USER": login, "CAPXL10N_METAWIKI_PASSWORD": BOT_PASSWORD}


class Sandbox:
    """Metabase, Meta-Wiki and Wikidata imitated in one WSGI app, seeded deterministically."""

    def __init__(self, seed: int = 1, capacities: int = 250, languages: int = 42, latency_ms: float = 0,
                 faults: FaultSpec | str | None = None, *, port: int = 0, sparql_lag: float = 0.0,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic, snapshot: Any = None,
                 concept_uri: str = METABASE_CONCEPT_BASE) -> None:
        self.seed = seed
        #: Metabase's entity IRI base (conceptBaseUri) in RDF, SPARQL and wbsearchentities: the real
        #: Metabase's by default, whatever port the sandbox serves on
        self.concept_uri = concept_uri
        self.capacities = capacities
        self.languages = languages
        self.port = port
        self.sparql_lag = sparql_lag
        self.clock = clock
        self.snapshot = snapshot
        self.stats = Stats()
        spec = faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults)
        if latency_ms and not spec.latency_ms:
            from dataclasses import replace

            spec = replace(spec, latency_ms=float(latency_ms))
        self.faults = FaultInjector(spec, seed=seed, clock=monotonic, sleep=sleep, stats=self.stats)
        self.url = INPROCESS_URL
        self._server: KeepAliveWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self.app = SandboxApp({}, stats=self.stats, faults=self.faults, control=self)
        self.seeded: seeding.SeedReport | None = None
        #: Called after every :meth:`reset` (``capxl10n sandbox serve`` detaches the state made against it).
        self.on_reset: list[Callable[[], None]] = []
        self._build()

    # -- building -------------------------------------------------------------
    def _build(self) -> None:
        with self._lock:
            sites: dict[str, Site] = {}
            extras: dict[str, Any] = {}
            for name, namespaces, models in (
                    ("metabase", METABASE_NAMESPACES, {120: "wikibase-item", 122: "wikibase-property"}),
                    ("metawiki", METAWIKI_NAMESPACES, {}),
                    ("wikidata", WIKIDATA_NAMESPACES, {0: "wikibase-item", 120: "wikibase-property"})):
                wiki = Wiki(name, namespaces, clock=self.clock, content_namespaces=models)
                site = Site(name, wiki, base_path=f"/{name}", server=self.url, faults=self.faults)
                # Metabase (a Wikibase repo): only Item is a content namespace; Wikidata: items and properties
                site.content_namespaces = {"metabase": {0, 120}, "metawiki": {0}, "wikidata": {0, 120}}[name]
                mediawiki.install(site, sitename={"metabase": "Metabase", "metawiki": "Meta",
                                                  "wikidata": "Wikidata"}[name])
                seeding.add_users(wiki)
                sites[name] = site
            self.app.sites = sites
            self.app.routes.clear()
            self.sites = sites
            self.extras = extras
            self.seeded = seeding.seed_all(self, sites)

    def site(self, name: str) -> Site:
        return self.sites[name]

    def _set_server(self, url: str) -> None:
        self.url = url
        for site in self.sites.values():
            site.server = url

    # -- serving --------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self.faults.stop_event.clear()
        server = KeepAliveWSGIServer("127.0.0.1", self.port, self.app)
        self._server = server
        self._set_server(f"http://127.0.0.1:{server.server_port}")
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="capxl10n-sandbox", daemon=True)
        self._thread.start()
        log.info("sandbox serving on %s", self.url)
        return self

    def stop(self) -> None:
        self.faults.stop_event.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI); returns after :meth:`stop` from another thread."""
        self.start()
        assert self._thread is not None
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.2)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- URLs and credentials ----------------------------------------------------------
    def api_url(self, site: str) -> str:
        return f"{self.url}/{site}/w/api.php"

    @property
    def urls(self) -> dict[str, str]:
        return {"metabase": self.api_url("metabase"), "metabase_sparql": f"{self.url}/metabase/query/sparql",
                "metawiki": self.api_url("metawiki"), "wikidata": self.api_url("wikidata")}

    credentials_env = staticmethod(credentials_env)

    # -- control ----------------------------------------------------------------------
    def reset(self) -> None:
        """Reseed every wiki (same seed, same data) and clear stats; faults stay as set. Then the
        :attr:`on_reset` hooks run: a sync state made against the old data is out of step now."""
        with self._lock:
            url = self.url
            self._build()
            self._set_server(url)
            self.stats.reset()
        for hook in list(self.on_reset):
            hook()

    def dump(self) -> dict[str, Any]:
        return {"seed": self.seed, "capacities": self.capacities, "languages": self.languages,
                "url": self.url, "concept_uri": self.concept_uri, "sites": {name: site.wiki.dump() for name, site in self.sites.items()},
                "seeded": self.seeded.to_json() if self.seeded else None}

    def transport(self) -> WSGITransport:
        return WSGITransport(self.app)

    def session(self) -> requests.Session:
        """A requests session wired to the in-process transport (for any URL of this sandbox).

        ``trust_env`` is off: there is no proxy, netrc or CA bundle to honour for
        an in-process call, and reading them from the environment on every
        request was a third of the time of a small in-process API call.
        """
        session = requests.Session()
        session.trust_env = False
        adapter = self.transport()
        session.mount(INPROCESS_URL, adapter)
        if self.url != INPROCESS_URL:
            session.mount(self.url, adapter)
        return session


class _FakeOriginal:
    """What requests' cookie extraction reads from ``raw._original_response``."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        return None


class WSGITransport(BaseAdapter):
    """A requests adapter calling the WSGI app directly: no sockets, same bytes.

    A ``hang`` fault becomes :class:`requests.ReadTimeout` at once when the
    request has a timeout (as a real client would see after waiting), a ``reset``
    :class:`requests.ConnectionError`.
    """

    def __init__(self, app: SandboxApp) -> None:
        super().__init__()
        self.app = app
        self._builder = HTTPAdapter()

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        from urllib.parse import urlsplit

        url = urlsplit(request.url or "")
        raw_body = request.body or b""
        if isinstance(raw_body, str):
            body = raw_body.encode("utf-8")
        elif isinstance(raw_body, bytes):
            body = raw_body
        else:  # an iterable or file-like body (requests streams these); the app needs the bytes
            data: Any = raw_body.read() if hasattr(raw_body, "read") else b"".join(
                part.encode("utf-8") if isinstance(part, str) else part for part in raw_body)
            body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        headers = [(name, value.decode("latin-1") if isinstance(value, bytes) else value)
                   for name, value in request.headers.items() if name.lower() != "transfer-encoding"]
        builder = EnvironBuilder(path=url.path or "/", query_string=url.query, method=request.method or "GET",
                                 headers=headers, data=body,
                                 base_url=f"{url.scheme}://{url.netloc}")
        environ = builder.get_environ()
        environ["capxl10n.sandbox.transport"] = True
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = response_headers
            return lambda data: None

        try:
            chunks = self.app(environ, start_response)
            payload = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
        except HangSignal:
            raise requests.exceptions.ReadTimeout(f"sandbox: request hung (timeout={timeout})",
                                                  request=request) from None
        except ConnectionResetError as exc:  # a `reset` fault or a trap dropped the connection
            raise requests.exceptions.ConnectionError(exc, request=request) from None
        code = int(captured["status"].split()[0])
        raw = HTTPResponse(body=io.BytesIO(payload), headers=captured["headers"], status=code,
                           reason=captured["status"].partition(" ")[2], preload_content=False,
                           decode_content=False, original_response=_FakeOriginal(captured["headers"]))  # type: ignore[arg-type]
        return self._builder.build_response(request, raw)

    def close(self) -> None:
        self._builder.close()
