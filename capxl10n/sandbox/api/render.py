"""Rendering an answer: formatversion 1/2, warnings and errors per errorformat, the JSON body.

Why apart: the same data (written fv2-style by handlers) is shaped here for
every site and every error path, so fv1's BC booleans and the bc/plaintext
error shapes exist once.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from capxl10n.sandbox.api.errors import DOCREF, ApiError, Raw

if TYPE_CHECKING:  # pragma: no cover
    from capxl10n.sandbox.api.request import ApiRequest

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


def now_ts(clock: Callable[[], float] = time.time) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))
