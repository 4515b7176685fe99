"""A lean threaded HTTP/1.1 server for the sandbox's WSGI app, with real keep-alive.

Why not werkzeug's dev server: werkzeug (3.x) sends ``Connection: close`` on
every answer, so each API call paid a TCP connect, a new thread and the
email-module header parser of ``http.server`` — about three quarters of the
time of a small request. This server reads the request line and headers itself,
reads the body by ``Content-Length`` (or de-chunks it) so the next request on
the connection starts at the right byte, and writes status, headers and body
in one ``sendall``. werkzeug stays the WSGI toolkit of the app itself
(``Request``/``Response`` in :mod:`capxl10n.sandbox.app`).

What it does not do (the sandbox needs none of it): TLS, pipelining beyond
reading requests in order, streaming answers (bodies are buffered, so every
answer gets a ``Content-Length``), HTTP/2.
"""
from __future__ import annotations

import io
import logging
import socket
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_LINE = 65536          # request line and each header line, as http.server
MAX_HEADERS = 100
MAX_BODY = 16 * 1024 * 1024
IDLE_TIMEOUT = 120.0      # seconds a keep-alive connection may wait for its next request
SERVER_NAME = "capxl10n-sandbox"
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_NO_BODY = frozenset({204, 304})


class _BadRequest(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


class _DateCache:
    """The ``Date`` header, formatted at most once a second (formatdate is not free)."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def get(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._value = formatdate(now, usegmt=True)
            self._second = now
        return self._value


class KeepAliveWSGIServer(socketserver.ThreadingTCPServer):
    """One thread per connection; connections stay open between requests (HTTP/1.1).

    :meth:`server_close` also shuts the open keep-alive connections down, so a
    stopped sandbox stops answering at once (clients see a closed connection,
    not an answer from a sandbox that was stopped).
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, app: WSGIApp, *, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.app = app
        self.idle_timeout = idle_timeout
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self.date = _DateCache()
        super().__init__((host, port), _Handler)
        self.server_port: int = self.socket.getsockname()[1]

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(sock)
            else:
                self._connections.discard(sock)

    def server_close(self) -> None:
        super().server_close()
        with self._conn_lock:
            open_now = list(self._connections)
            self._connections.clear()
        for sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("sandbox connection %s ended with an error", client_address, exc_info=True)


class _Handler(socketserver.StreamRequestHandler):
    """Serves the requests of one connection in order until it closes."""

    server: KeepAliveWSGIServer
    rbufsize = 65536
    wbufsize = 0
    timeout = None   # see setup(): a Python-level timeout costs a poll() before every recv and send
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        # The idle limit as a kernel receive timeout: a blocking recv then fails with EAGAIN after
        # IDLE_TIMEOUT (handled as a closed connection) without the extra poll() per call that
        # socket.settimeout() adds to every read and write.
        seconds = self.server.idle_timeout
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                                       struct.pack("ll", int(seconds), int(seconds % 1 * 1_000_000)))
        except (OSError, struct.error):   # not Linux-like: fall back to the Python timeout
            self.connection.settimeout(seconds)

    def handle(self) -> None:
        self.server._track(self.connection, True)
        try:
            while self._one_request():
                pass
        except (ConnectionError, TimeoutError, socket.timeout, OSError):
            pass
        finally:
            self.server._track(self.connection, False)

    # -- one request -----------------------------------------------------------------
    def _one_request(self) -> bool:
        """Read, run and answer one request; False when the connection must close."""
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return False
        if line in (b"\r\n", b"\n"):   # tolerated stray CRLF between requests (RFC 9112 §2.2)
            return True
        try:
            method, target, version, headers = self._parse_head(line)
            keep_alive = _keep_alive(version, headers.get("connection", ""))
            if headers.get("expect", "").lower() == "100-continue":
                self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = self._read_body(headers)
        except _BadRequest as exc:
            self._send_plain(exc.status, str(exc))
            return False
        environ = self._environ(method, target, version, headers, body)
        status, response_headers, payload = self._run(environ)
        self._send(method, status, response_headers, payload, keep_alive, version)
        return keep_alive

    def _parse_head(self, line: bytes) -> tuple[str, str, str, dict[str, str]]:
        if len(line) > MAX_LINE:
            raise _BadRequest(414, "Request line too long")
        parts = line.decode("latin-1").rstrip("\r\n").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400, f"Bad request line {line[:80]!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            raw = self.rfile.readline(MAX_LINE + 1)
            if len(raw) > MAX_LINE:
                raise _BadRequest(431, "Header line too long")
            if raw in (b"\r\n", b"\n", b""):
                return method, target, version, headers
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(400, f"Bad header line {raw[:80]!r}")
            key = name.lower()
            value = value.strip()
            if key in headers:   # repeated header: one value, as CGI/WSGI servers join them
                headers[key] += ("; " if key == "cookie" else ", ") + value
            else:
                headers[key] = value
        raise _BadRequest(431, "Too many headers")

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        raw = headers.get("content-length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            raise _BadRequest(400, f"Bad Content-Length {raw!r}") from None
        if length < 0:
            raise _BadRequest(400, f"Bad Content-Length {raw!r}")
        if length > MAX_BODY:
            raise _BadRequest(413, "Request Entity Too Large")
        body = self.rfile.read(length)
        if len(body) < length:
            raise ConnectionError("client closed the connection in the middle of the body")
        return body

    def _read_chunked(self) -> bytes:
        out = bytearray()
        while True:
            size_line = self.rfile.readline(MAX_LINE + 1)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(400, "Bad chunk size") from None
            if size == 0:
                while self.rfile.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass   # trailers are ignored
                return bytes(out)
            if len(out) + size > MAX_BODY:
                raise _BadRequest(413, "Request Entity Too Large")
            out += self.rfile.read(size)
            self.rfile.readline(MAX_LINE + 1)

    def _environ(self, method: str, target: str, version: str, headers: dict[str, str],
                 body: bytes) -> dict[str, Any]:
        if not target.startswith("/"):   # absolute-form (a proxy-style request line)
            scheme_sep = target.find("://")
            slash = target.find("/", scheme_sep + 3) if scheme_sep >= 0 else -1
            target = target[slash:] if slash >= 0 else "/"
        path, _, query = target.partition("?")
        host, port = self.server.server_address[:2]
        client = self.client_address
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "QUERY_STRING": query,
            "REQUEST_URI": target, "RAW_URI": target,
            "SERVER_NAME": host, "SERVER_PORT": str(port), "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": client[0], "REMOTE_PORT": client[1],
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)) if body else headers.get("content-length", ""),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "wsgi.input_terminated": True,
        }
        for key, value in headers.items():
            if key in ("content-type", "content-length"):
                continue
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        return environ

    def _run(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        captured: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, response_headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        try:
            result = self.server.app(environ, start_response)
            try:
                for chunk in result:
                    chunks.append(chunk)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except ConnectionResetError:  # the app dropped the connection (a fault): close it, no answer
            raise
        except Exception:  # noqa: BLE001 - a failing app must still answer and keep the server up
            log.exception("sandbox app failed on %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            text = b"<!DOCTYPE html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>"
            return 500, [("Content-Type", "text/html; charset=utf-8")], text
        status = int(captured[0].split(None, 1)[0])
        return status, captured[1], b"".join(chunks)

    # -- answering --------------------------------------------------------------------
    def _send(self, method: str, status: int, headers: list[tuple[str, str]], payload: bytes,
              keep_alive: bool, version: str) -> None:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}",
                 f"Server: {SERVER_NAME}", f"Date: {self.server.date.get()}"]
        has_length = False
        for name, value in headers:
            if name.lower() == "content-length":
                has_length = True
            lines.append(f"{name}: {value}")
        if not has_length and status not in _NO_BODY:
            lines.append(f"Content-Length: {len(payload)}")
        if not keep_alive:
            lines.append("Connection: close")
        elif version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if method == "HEAD" or status in _NO_BODY:
            payload = b""
        self.connection.sendall(head + payload)

    def _send_plain(self, status: int, text: str) -> None:
        self._send("GET", status, [("Content-Type", "text/plain; charset=utf-8")], text.encode("utf-8"),
                   False, "HTTP/1.1")


def _keep_alive(version: str, connection: str) -> bool:
    tokens = {token.strip().lower() for token in connection.split(",")}
    if version == "HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens
