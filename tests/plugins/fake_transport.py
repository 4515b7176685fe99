"""A requests transport that answers from handler functions (unit tier for the clients).

Like httpx's MockTransport: the code under test uses a real ``requests.Session``
(mwclient included); only the socket is replaced. Handlers get a :class:`Call`
(method, URL path, merged GET+POST parameters, headers) and return a
:class:`Reply` or raise a ``requests`` exception (timeout, connection error).
Recorded real answers load with :func:`recording`.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body_params: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def values(self, name: str) -> list[str]:
        raw = self.params.get(name)
        return raw.split("|") if raw else []


@dataclass
class Reply:
    data: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/json; charset=utf-8"


def reply(data: Any = None, *, status: int = 200, headers: Mapping[str, str] | None = None,
          body: bytes | str | None = None, content_type: str | None = None) -> Reply:
    raw = body.encode() if isinstance(body, str) else body
    ctype = content_type or ("text/html; charset=utf-8" if raw is not None else "application/json; charset=utf-8")
    return Reply(data=data, status=status, headers=dict(headers or {}), body=raw, content_type=ctype)


def api_error(code: str, info: str = "", **extra: Any) -> Reply:
    """An API error as MediaWiki answers it (HTTP 200 + MediaWiki-API-Error)."""
    return reply({"error": {"code": code, "info": info or code, **extra}}, headers={"MediaWiki-API-Error": code})


def recording(name: str) -> Reply:
    """A recorded real answer from ../shared/reference/<dir>/<name>.json."""
    path = REFERENCE / name if name.endswith(".json") else REFERENCE / f"{name}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    headers = {k: v for k, v in raw.get("_headers", {}).items() if k.lower() != "content-type"}
    return Reply(data=raw["response"], status=int(raw.get("_http_status", 200)), headers=headers)


class FakeTransport(BaseAdapter):
    def __init__(self, handler: Callable[[Call], Reply]) -> None:
        super().__init__()
        self.handler = handler
        self.calls: list[Call] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        parts = urlsplit(request.url or "")
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        body_params: dict[str, str] = {}
        if request.body:
            body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
            body_params = dict(parse_qsl(body, keep_blank_values=True))
        call = Call(request.method or "GET", parts.path, {**params, **body_params}, dict(request.headers),
                    body_params)
        self.calls.append(call)
        out = self.handler(call)
        response = requests.Response()
        response.status_code = out.status
        content = out.body if out.body is not None else json.dumps(out.data).encode()
        response.raw = BytesIO(content)
        response._content = content
        response.headers = CaseInsensitiveDict({"Content-Type": out.content_type, **out.headers})
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def fake_session(handler: Callable[[Call], Reply]) -> tuple[requests.Session, FakeTransport]:
    """A plain session whose every request goes to ``handler``."""
    session = requests.Session()
    transport = FakeTransport(handler)
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session, transport


class EditRecorder:
    """A wiki that lets the bot log in and answers every other call (the edits) with ``answer``.

    Token, login and siteinfo/userinfo calls get the answers a 1.39 wiki gives a bot
    with ``rights``; the rest are recorded in ``edits`` so a test can check what was sent.
    """

    def __init__(self, answer: Reply, rights: tuple[str, ...] = ("edit",)) -> None:
        self.answer = answer
        self.rights = list(rights)
        self.edits: list[Call] = []

    def __call__(self, call: Call) -> Reply:
        if call.get("meta") == "tokens":
            return reply({"query": {"tokens": {"csrftoken": "t+\\", "logintoken": "l+\\"}}})
        if call.get("action") == "login":
            return reply({"login": {"result": "Success", "lgusername": "CapxBot"}})
        if "userinfo" in call.values("meta"):
            return reply({"query": {"general": {"generator": "MediaWiki 1.39.0"}, "namespaces": {},
                                    "userinfo": {"name": "CapxBot", "rights": self.rights}}})
        self.edits.append(call)
        return self.answer


class Sleeper:
    """An injected sleep that records instead of sleeping, and a clock it advances."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now
