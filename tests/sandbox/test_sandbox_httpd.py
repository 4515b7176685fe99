"""The sandbox's keep-alive HTTP/1.1 server (capxl10n/sandbox/httpd.py) with a tiny WSGI app.

Raw sockets, so what is on the wire (keep-alive, body framing, closing) is
asserted, not what a client library smooths over.
"""
from __future__ import annotations

import socket
from collections.abc import Iterator
import threading
from typing import Any

import pytest
import requests
from werkzeug.wrappers import Request, Response

from capxl10n.sandbox.httpd import KeepAliveWSGIServer


def echo_app(environ: dict[str, Any], start_response: Any) -> Any:
    request = Request(environ)
    if request.path == "/boom":
        raise RuntimeError("app failure")
    body = f"{request.method} {request.path} q={request.args.get('q', '')} body={request.get_data(as_text=True)}"
    response = Response(body, content_type="text/plain")
    response.headers["X-Cookie"] = request.headers.get("Cookie", "")
    return response(environ, start_response)


@pytest.fixture()
def server() -> Iterator[KeepAliveWSGIServer]:
    srv = KeepAliveWSGIServer("127.0.0.1", 0, echo_app)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


class Conn:
    """A raw client connection that keeps bytes read past one answer for the next."""

    def __init__(self, srv: KeepAliveWSGIServer) -> None:
        self.sock = socket.create_connection(("127.0.0.1", srv.server_port), timeout=5)
        self.buffer = b""

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self, size: int) -> bytes:
        if self.buffer:
            data, self.buffer = self.buffer, b""
            return data
        return self.sock.recv(size)

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed early; have {self.buffer!r}")
        self.buffer += chunk

    def read_answer(self) -> tuple[str, dict[str, str], bytes]:
        """One answer framed by its Content-Length (the server always sends one)."""
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return lines[0], headers, body


def connect(srv: KeepAliveWSGIServer) -> Conn:
    return Conn(srv)


def read_answer(conn: Conn) -> tuple[str, dict[str, str], bytes]:
    return conn.read_answer()


def closed(conn: Conn) -> bool:
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def test_requests_on_one_connection_are_answered_in_order(server: KeepAliveWSGIServer) -> None:
    sock = connect(server)
    for n in range(3):
        sock.sendall(f"GET /a?q={n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, headers, body = read_answer(sock)
        assert status == "HTTP/1.1 200 OK"
        assert body == f"GET /a q={n} body=".encode()
        assert "connection" not in headers
        assert headers["date"].endswith("GMT")


def test_a_post_body_is_consumed_so_the_next_request_parses(server: KeepAliveWSGIServer) -> None:
    sock = connect(server)
    sock.sendall(b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
                 b"GET /g?q=after HTTP/1.1\r\nHost: x\r\n\r\n")   # pipelined right behind the body
    assert read_answer(sock)[2] == b"POST /p q= body=hello"
    assert read_answer(sock)[2] == b"GET /g q=after body="


def test_a_chunked_body_is_decoded(server: KeepAliveWSGIServer) -> None:
    sock = connect(server)
    sock.sendall(b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"
                 b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_answer(sock)[2] == b"POST /c q= body=abcde"
    assert read_answer(sock)[2] == b"GET /next q= body="


def test_connection_close_and_http10_close_after_the_answer(server: KeepAliveWSGIServer) -> None:
    for request in (b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"GET /x HTTP/1.0\r\n\r\n"):
        sock = connect(server)
        sock.sendall(request)
        _, headers, _ = read_answer(sock)
        assert headers["connection"] == "close"
        assert closed(sock)


def test_http10_keep_alive_is_honoured(server: KeepAliveWSGIServer) -> None:
    sock = connect(server)
    for _ in range(2):
        sock.sendall(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        _, headers, _ = read_answer(sock)
        assert headers["connection"] == "keep-alive"


def test_head_has_no_body_but_the_length_of_the_body(server: KeepAliveWSGIServer) -> None:
    sock = connect(server)
    sock.sendall(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /h HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while not data.endswith(b"GET /h q= body="):
        chunk = sock.recv(65536)
        assert chunk, f"closed early: {data!r}"
        data += chunk
    head_answer, _, rest = data.partition(b"\r\n\r\n")
    assert b"Content-Length: 16" in head_answer   # len("HEAD /h q= body=")
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), "HEAD answered with a body"


@pytest.mark.parametrize("raw, status", [
    (b"NONSENSE\r\n\r\n", "400"),
    (b"GET /x HTTP/2.0\r\n\r\n", "400"),
    (b"GET /x HTTP/1.1\r\nbad header line\r\n\r\n", "400"),
    (b"POST /x HTTP/1.1\r\nContent-Length: -3\r\n\r\n", "400"),
    (b"POST /x HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", "413"),
])
def test_malformed_requests_get_an_error_and_a_closed_connection(server: KeepAliveWSGIServer, raw: bytes,
                                                                  status: str) -> None:
    sock = connect(server)
    sock.sendall(raw)
    line, headers, _ = read_answer(sock)
    assert line.split()[1] == status
    assert headers["connection"] == "close"
    assert closed(sock)


def test_an_app_failure_is_a_500_and_the_server_keeps_serving(server: KeepAliveWSGIServer,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    sock = connect(server)
    sock.sendall(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_answer(sock)[0] == "HTTP/1.1 500 Internal Server Error"
    assert read_answer(sock)[2] == b"GET /ok q= body="
    assert "app failure" in caplog.text


def test_repeated_cookie_headers_are_joined(server: KeepAliveWSGIServer) -> None:
    sock = connect(server)
    sock.sendall(b"GET /c HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n")
    assert read_answer(sock)[1]["x-cookie"] == "a=1; b=2"


def test_closing_the_server_ends_idle_keep_alive_connections(server: KeepAliveWSGIServer) -> None:
    sock = connect(server)
    sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
    read_answer(sock)
    server.shutdown()
    server.server_close()
    assert closed(sock), "a stopped server still held the connection open"


def test_requests_reuses_one_connection(server: KeepAliveWSGIServer) -> None:
    session = requests.Session()
    url = f"http://127.0.0.1:{server.server_port}/r"
    peers = set()
    for n in range(3):
        response = session.get(url, params={"q": n}, stream=True)
        peers.add(response.raw._connection.sock.getsockname())  # the local port of the pooled connection
        assert response.content == f"GET /r q={n} body=".encode()
    assert len(peers) == 1


def test_a_streamed_request_body_reaches_the_app_over_http_and_in_process() -> None:
    from capxl10n.sandbox.server import Sandbox

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with Sandbox(capacities=10, languages=3) as sb:
        for session in (sb.session(), requests.Session()):   # in-process transport, then real HTTP (chunked)
            answer = session.post(sb.api_url("metawiki"), headers=form,
                                  data=iter([b"action=query&", b"meta=userinfo&format=json"])).json()
            assert answer["query"]["userinfo"]["name"] == "127.0.0.1"


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() -> None:
    srv = KeepAliveWSGIServer("127.0.0.1", 0, echo_app, idle_timeout=0.1)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        conn = Conn(srv)
        conn.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_answer()[2] == b"GET /x q= body="
        assert closed(conn)   # the client waits (socket timeout 5 s); the server gives up after 0.1 s
    finally:
        srv.shutdown()
        srv.server_close()
