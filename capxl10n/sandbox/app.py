"""The WSGI application: three wikis on one port by path prefix, plus ``/_sandbox/`` control.

Why one app: one port to start, one place for faults and accounting. Routes:

- ``/<site>/w/api.php`` — the Action API of ``metabase``, ``metawiki``, ``wikidata``
- extra routes sites add (``/metabase/query/sparql``, ``/metabase/entity/…``) via
  :meth:`SandboxApp.add_route` with a ``handler(request) -> werkzeug Response``
- ``GET /_sandbox/stats``, ``POST /_sandbox/stats/reset``, ``GET|POST /_sandbox/faults``,
  ``POST /_sandbox/reset``, ``GET /_sandbox/dump``

Sessions are cookies per site (``<site>_session``, path ``/<site>/``), so a
login on Meta-Wiki is not a login on Metabase, as on the real wikis.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from capxl10n.sandbox.api.dispatch import dispatch
from capxl10n.sandbox.api.render import encode
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.stats import Stats

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
MAX_BODY = 8 * 1024 * 1024

RouteHandler = Callable[[Request], Response]


class HangSignal(Exception):
    """Raised inside the app when a hang fault fires for an in-process transport call.

    The in-process transport turns it into ``requests.ReadTimeout`` at once, so
    tests of timeouts never wait; over real HTTP the server waits instead.
    """


class SandboxApp:
    """A WSGI callable serving the sandbox's sites."""

    def __init__(self, sites: dict[str, Site], *, stats: Stats | None = None, faults: Any = None,
                 control: Any = None) -> None:
        self.sites = sites
        self.stats = stats or Stats()
        self.faults = faults
        self.control = control      # object with reset() and dump(); the Sandbox
        self.routes: dict[str, tuple[str, RouteHandler]] = {}

    def add_route(self, path: str, handler: RouteHandler, *, site: str, module: str) -> None:
        """Serve ``path`` (exact, or a prefix when it ends with ``/``) with ``handler``."""
        self.routes[path] = (f"{site}\x00{module}", handler)

    # -- WSGI ---------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.handle(request)
        except HangSignal:
            raise
        except HTTPException as exc:
            response = exc.get_response()
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_sandbox/"):
            return self.control_endpoint(request)
        parts = path.strip("/").split("/")
        site = self.sites.get(parts[0]) if parts else None
        started = time.perf_counter()
        if site is not None and path == f"{site.base_path}/w/api.php":
            return self._timed(request, site.name, None, started, lambda: self.api(request, site))
        route = self._route(path)
        if route is not None:
            key, handler = route
            site_name, module = key.split("\x00")
            return self._timed(request, site_name, module, started, lambda: handler(request))
        if site is not None and path.rstrip("/") in (site.base_path, f"{site.base_path}/w"):
            return Response("<!DOCTYPE html><title>Sandbox</title><p>API at w/api.php</p>",
                            content_type="text/html; charset=utf-8")
        return Response("<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>", status=404,
                        content_type="text/html; charset=utf-8")

    def _route(self, path: str) -> tuple[str, RouteHandler] | None:
        exact = self.routes.get(path)
        if exact is not None:
            return exact
        for prefix, route in self.routes.items():
            if prefix.endswith("/") and path.startswith(prefix):
                return route
        return None

    def _timed(self, request: Request, site: str, module: str | None, started: float,
               run: Callable[[], Response]) -> Response:
        bytes_in = int(request.content_length or 0) + len(request.query_string or b"")
        fault_kind = None
        response: Response | None = None
        if self.faults is not None:
            fault_kind, response = self.faults.before_request(request, site)
        if response is None:
            response = run()
            if self.faults is not None:
                self.faults.after_request(request, site)  # may lose the answer (a reset, a hang)
        label = module or getattr(response, "sandbox_module", None) or _guess_module(request)
        body_len = response.calculate_content_length() or 0
        error = response.status_code >= 400 or "MediaWiki-API-Error" in response.headers
        self.stats.record(site, label, bytes_in=bytes_in, bytes_out=body_len,
                          seconds=time.perf_counter() - started, error=error)
        if fault_kind:
            self.stats.fault(fault_kind)
        return response

    # -- the Action API -----------------------------------------------------
    def api(self, request: Request, site: Site) -> Response:
        if request.method not in ("GET", "POST", "HEAD"):
            return Response("Method Not Allowed", status=405, headers={"Allow": "GET, HEAD, POST"},
                            content_type="text/plain; charset=utf-8")
        if (request.content_length or 0) > MAX_BODY:
            return Response("Request Entity Too Large", status=413, content_type="text/plain; charset=utf-8")
        params = dict(request.args.items())
        if request.method == "POST":
            params.update(request.form.items())
        cookie = f"{site.name}_session"
        session = site.wiki.session(request.cookies.get(cookie))
        req = ApiRequest(site, params, method=request.method, query_params=request.args.keys(),
                         session=session, headers=_request_headers(request.environ))
        status, headers, body = dispatch(req)
        response = Response(encode(req, body), status=status, headers=list(headers.items()),
                            content_type=JSON_TYPE)
        response.sandbox_module = req.stats_module  # type: ignore[attr-defined]  # read by _timed
        new_session = req.session
        if new_session is not None and (session is None or new_session.id != session.id):
            response.set_cookie(cookie, new_session.id, path=f"{site.base_path}/", httponly=True)
        return response

    # -- control ------------------------------------------------------------
    def control_endpoint(self, request: Request) -> Response:
        path = request.path[len("/_sandbox/"):].strip("/")
        if path == "stats" and request.method == "GET":
            return _json(self.stats.snapshot())
        if path == "stats/reset" and request.method == "POST":
            self.stats.reset()
            return _json({"reset": "stats"})
        if path == "faults":
            if request.method == "POST" and self.faults is not None:
                spec = request.form.get("spec")
                if spec is None:
                    spec = request.get_data(as_text=True)
                try:
                    self.faults.configure(spec)
                except ValueError as exc:
                    return _json({"error": str(exc)}, status=400)
            return _json(self.faults.describe() if self.faults is not None else {})
        if path == "reset" and request.method == "POST" and self.control is not None:
            self.control.reset()
            return _json({"reset": "all"})
        if path == "dump" and request.method == "GET" and self.control is not None:
            return _json(self.control.dump())
        return _json({"error": f"unknown control endpoint {request.method} /_sandbox/{path}",
                      "endpoints": ["GET stats", "POST stats/reset", "GET|POST faults", "POST reset",
                                    "GET dump"]}, status=404)


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request headers as a plain dict, read from the environ directly.

    Why not ``dict(request.headers)``: werkzeug's EnvironHeaders iteration
    costs several microseconds per header on every API call, and the handlers
    only ever look the headers up.
    """
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key[:5] == "HTTP_"}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def _guess_module(request: Request) -> str:
    action = request.values.get("action", "help")
    return action


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=1), status=status, content_type=JSON_TYPE)
