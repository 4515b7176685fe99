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
        for warning in req.warnings:
            grouped.setdefault(warning.module, []).append(warning.text)
        key = req.text_key("warnings")
        return {module: {key: "\n".join(texts)} for module, texts in grouped.items()}
    return [_message(req, w.code, w.text, w.key, w.params, w.data, req.module_path(w.module)) for w in req.warnings]


def _message(req: ApiRequest, code: str, text: str, key: str | None, params: list[Any],
             data: dict[str, Any] | None, module: str) -> dict[str, Any]:
    """One entry of ``errors``/``warnings`` in a non-bc error format (ApiErrorFormatter's shapes)."""
    entry: dict[str, Any] = {"code": code}
    if req.errorformat == "raw":
        entry["key"] = key or f"apierror-{code}"
        entry["params"] = list(params)
    elif req.errorformat == "html":
        entry[req.text_key("html")] = text
    elif req.errorformat != "none":
        entry[req.text_key("text")] = text
    if data:
        entry["data"] = dict(data)
    entry["module"] = module
    return entry


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
    data = dict(err.data)
    if messages is not None:
        data["messages"] = messages
    entry = _message(req, err.code, err.info, err.key, err.params, data, req.module_path(err.module))
    return {"errors": [entry], req.text_key("docref"): docref}


def encode(req: ApiRequest, body: dict[str, Any]) -> bytes:
    """The JSON body; fv2 needs no copy of the data (Raw is unwrapped by the encoder)."""
    data = body if req.fv2 else to_fv1(body)
    ascii_only = not (req.fv2 or "utf8" in req.params) or "ascii" in req.params
    return json.dumps(data, ensure_ascii=ascii_only, separators=(",", ":"), default=_unwrap_raw).encode("utf-8")


def now_ts(clock: Callable[[], float] = time.time) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))
