"""Contract comparison: does an answer have the same *shape* as a recorded real one?

Recordings (``../shared/reference/*-responses/*.json``) hold ``_case``,
``_http_status``, ``_headers`` and ``response``. We compare what a client
depends on — keys, value types, error codes, HTTP status, the
MediaWiki-specific headers — never ids, timestamps or texts.

    rec = load_recording(reference_dir / "mediawiki-responses" / "edit-badtoken.json")
    problems = compare(rec, status, headers, body)
    assert not problems, problems

Dicts keyed by ids (``query.pages`` under fv1, Wikibase ``entities``, term maps
keyed by language) are folded into lists with :data:`DYNAMIC_KEY` so that
different ids compare equal. Lists compare the union shape of their items.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

    from capxl10n.sandbox.server import Sandbox

#: dict keys that are data, not schema: page ids, entity ids, language codes, guids
DYNAMIC_KEY = re.compile(r"^(-?\d+|[QPL]\d+(-[A-Za-z0-9$-]+)?|[a-z]{2,3}(-[a-z0-9]+)*|[QP]\d+\$[0-9a-fA-F-]+)$")
HEADERS = ("MediaWiki-API-Error", "Retry-After", "X-Database-Lag")


def load_recording(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def formatversion_of(recording: Mapping[str, Any]) -> int:
    """2 when the recorded answer uses JSON booleans or ``docref`` (fv2 signs), else 1."""
    text = json.dumps(recording["response"])
    if '"docref"' in text or re.search(r":\s*(true|false)\b", text):
        return 2
    return 1


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "list"
    return "dict"


def shape(value: Any, *, dynamic: re.Pattern[str] = DYNAMIC_KEY, ignore: Iterable[str] = ()) -> Any:
    """A comparable skeleton of ``value``: types in place of scalars, id-keyed dicts as lists."""
    ignored = set(ignore)
    if isinstance(value, dict):
        keys = list(value)
        if keys and all(dynamic.match(k) for k in keys) and len(keys) > 0 and not _is_schema(keys):
            return ["*", _merge([shape(v, dynamic=dynamic, ignore=ignored) for v in value.values()])]
        return {k: shape(v, dynamic=dynamic, ignore=ignored) for k, v in value.items() if k not in ignored}
    if isinstance(value, list):
        return ["*", _merge([shape(v, dynamic=dynamic, ignore=ignored) for v in value])]
    return _kind(value)


def _is_schema(keys: list[str]) -> bool:
    """Short lowercase words such as ``id``/``ns``/``type`` look like language codes; keep them."""
    schema_words = {"id", "ns", "type", "key", "new", "bot", "lag", "host", "data", "code", "info", "name",
                    "text", "html", "page", "rev", "user", "hash", "main", "edit", "title", "value", "tags"}
    return any(k in schema_words for k in keys)


def _merge(shapes: list[Any]) -> Any:
    if not shapes:
        return "empty"
    if all(isinstance(s, list) and len(s) == 2 and s[0] == "*" for s in shapes):
        # lists of lists: the union of their item shapes (an empty list adds nothing)
        inner = [s[1] for s in shapes if s[1] != "empty"]
        return ["*", _merge(inner)]
    if all(isinstance(s, dict) for s in shapes):
        merged: dict[str, Any] = {}
        for s in shapes:
            for k, v in s.items():
                merged[k] = v if k not in merged else _merge([merged[k], v])
        return merged
    kinds = sorted({json.dumps(s, sort_keys=True) for s in shapes})
    if len(kinds) == 1:
        return shapes[0]
    return "|".join(k.strip('"') if not k.startswith(("{", "[")) else "compound" for k in kinds)


def diff_shapes(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Human-readable differences between two shapes (empty = same shape)."""
    problems: list[str] = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems.extend(diff_shapes(expected[key], actual[key], f"{path}.{key}"))
        for key in actual:
            if key not in expected:
                problems.append(f"{path}.{key}: unexpected")
        return problems
    if isinstance(expected, list) and isinstance(actual, list):
        if expected[1] == "empty" or actual[1] == "empty":
            return problems
        return diff_shapes(expected[1], actual[1], f"{path}[]")
    if expected != actual:
        exp_set, act_set = set(str(expected).split("|")), set(str(actual).split("|"))
        if not (exp_set & act_set):
            problems.append(f"{path}: expected {expected}, got {actual}")
    return problems


def compare(recording: Mapping[str, Any], status: int, headers: Mapping[str, str], body: Any, *,
            ignore: Iterable[str] = (), dynamic: re.Pattern[str] = DYNAMIC_KEY) -> list[str]:
    """Differences between a recorded real answer and an actual one (status, headers, error code, shape)."""
    problems: list[str] = []
    if recording["_http_status"] != status:
        problems.append(f"HTTP status: expected {recording['_http_status']}, got {status}")
    rec_headers = {k.lower(): v for k, v in recording.get("_headers", {}).items()}
    got_headers = {k.lower(): v for k, v in headers.items()}
    for name in HEADERS:
        low = name.lower()
        if (low in rec_headers) != (low in got_headers):
            problems.append(f"header {name}: expected {'present' if low in rec_headers else 'absent'}")
        elif low == "mediawiki-api-error" and low in rec_headers and rec_headers[low] != got_headers[low]:
            problems.append(f"header {name}: expected {rec_headers[low]}, got {got_headers[low]}")
    expected = recording["response"]
    rec_code = _error_code(expected)
    got_code = _error_code(body)
    if rec_code != got_code:
        problems.append(f"error code: expected {rec_code}, got {got_code}")
    problems.extend(diff_shapes(shape(expected, dynamic=dynamic, ignore=ignore),
                                shape(body, dynamic=dynamic, ignore=ignore)))
    return problems


def _error_code(body: Any) -> str | None:
    if isinstance(body, dict):
        if isinstance(body.get("error"), dict):
            return str(body["error"].get("code"))
        if isinstance(body.get("errors"), list) and body["errors"]:
            return str(body["errors"][0].get("code"))
    return None


class SandboxCaller:
    """Raw ``api.php`` calls to one sandbox site at a chosen formatversion (that of the recording compared).

    The contract tests subclass it with the requests their module needs; going through
    plain requests (not capxl10n's client) keeps what is compared the site's own answer.
    """

    def __init__(self, sb: Sandbox, fv: int, site: str = "metawiki") -> None:
        self.sb, self.fv, self.url = sb, fv, sb.api_url(site)
        self.http = sb.session()

    def call(self, method: str, **params: Any) -> requests.Response:
        """GET or POST ``params`` with format=json and this caller's formatversion; the requests.Response."""
        params = {"format": "json", "formatversion": str(self.fv), **params}
        if method == "GET":
            return self.http.get(self.url, params=params)
        return self.http.post(self.url, data=params)
