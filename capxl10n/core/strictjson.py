"""One JSON reader for what people and wikis hand us: malformed JSON and repeated keys are refused.

JSON itself lets a key repeated in one object keep its last value silently
(Python's :func:`json.loads`, PHP's ``json_decode`` and so Translate alike).
In a snapshot that drops a term's text; in a plan it hides what the file
shows a reviewer; in the bundle on Meta-Wiki it changes the English the
next sync copies to Metabase. Every reader of such input (snapshots, plans,
the bundle page) parses through :func:`loads`, which refuses both with a
:class:`~capxl10n.errors.DataError` naming the origin, the key and where
its object starts and the key repeats.

Pure: no I/O.

>>> loads('{"a": 1, "b": [1, {"c": 2}]}', origin="x.json")
{'a': 1, 'b': [1, {'c': 2}]}
>>> loads('{"a": 1,\\n "b": {"c": 2, "c": 3}}', origin="x.json")
Traceback (most recent call last):
...
capxl10n.errors.DataError: x.json: duplicate key 'c' in the JSON object at line 2 column 7, repeated at line 2 column 16
  hint: each key may appear once per object; remove or merge the repeated entry (JSON readers would silently keep only its last value)
"""
from __future__ import annotations

import json
import json.scanner
import re
from typing import Any, Final

from capxl10n.errors import DataError

DUPLICATE_HINT: Final = ("each key may appear once per object; remove or merge the repeated entry (JSON readers "
                         "would silently keep only its last value)")


def loads(text: str, *, origin: str, malformed_hint: str | None = None, duplicate_hint: str = DUPLICATE_HINT) -> Any:
    """``text`` parsed; a :class:`DataError` (``origin: …``) when it is not JSON or an object repeats a key."""
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                        hint=malformed_hint) from None
    except DuplicateKey as exc:
        raise DataError(f"{origin}: duplicate key {exc.key!r} in the JSON object {duplicate_position(text, exc.key)}",
                        hint=duplicate_hint) from None


class DuplicateKey(ValueError):
    """A key repeated in one JSON object (raised by :func:`unique_keys`)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads` that refuses a key repeated in one object."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return data


def duplicate_position(text: str, key: str | None = None) -> str:
    """``at line L column C``: where the first object with a repeated key starts; with ``key``, also where
    it is repeated (``…, repeated at line L column C``: the key's second spelling after the object's start).

    Only called once a duplicate was found: it parses again with json's pure
    Python scanner, which (unlike the C one) tells where each object begins.
    """
    decoder = json.JSONDecoder(object_pairs_hook=unique_keys)
    parse_object = getattr(decoder, "parse_object")  # not in the type stubs

    def located(s_and_end: tuple[str, int], *args: Any) -> Any:
        try:
            return parse_object(s_and_end, *args)
        except DuplicateKey:
            start = s_and_end[1] - 1  # the position of "{"
            where = f"at line {_line_column(text, start)}"
            if key is not None:
                spelled = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
                found = [m.start() for m in spelled.finditer(text, start)][:2]
                if len(found) == 2:
                    where += f", repeated at line {_line_column(text, found[1])}"
            raise _Located(where) from None

    setattr(decoder, "parse_object", located)
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except _Located as found:
        return str(found)
    except ValueError:
        pass
    return "(position unknown)"


def _line_column(text: str, index: int) -> str:
    return f"{text.count(chr(10), 0, index) + 1} column {index - text.rfind(chr(10), 0, index)}"


class _Located(Exception):
    pass
