"""The real extract of the capacity directory (``capacities-sample.json``) as a snapshot.

Why a separate loader: the real file is the one piece of real data the tests
use (it is not shipped with the package; ``capxl10n sample --real FILE`` converts
it, see docs/contracts.md, "Reference data"). Its capacities
carry the app's code, parent code, root name and labels/descriptions, but a
Wikidata QID only for the seven roots, so every other capacity needs a key;
:func:`placeholder_qid` gives it one that can never be mistaken for a concept.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final

from capxl10n.errors import DataError
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey, normalize_text

#: Placeholder Wikidata QIDs of the real extract: ``Q{base + code}``. Wikidata will not reach
#: Q900000000 for many years, so these never name a real concept.
PLACEHOLDER_QID_BASE: Final = 900_000_000
_PLACEHOLDER_SPAN: Final = 99_999_999


def placeholder_qid(code: str) -> str:
    """The key of a real capacity whose Wikidata QID is unknown: ``Q{900000000 + code}``.

    The app's code is a small positive integer, so the key is stable, readable
    (code 11 → Q900000011) and far above any real Wikidata QID.

    >>> placeholder_qid("11")
    'Q900000011'
    """
    if not code.isdigit() or not 0 < int(code) <= _PLACEHOLDER_SPAN:
        raise DataError(f"capacity code {code!r} is not a positive integer",
                        hint="placeholder QIDs are derived from the app's numeric skill id")
    return f"Q{PLACEHOLDER_QID_BASE + int(code)}"


def is_placeholder_qid(qid: str) -> bool:
    """True for keys made by :func:`placeholder_qid` (never look these up on Wikidata)."""
    return (qid[:1] == "Q" and qid[1:].isdigit()
            and PLACEHOLDER_QID_BASE < int(qid[1:]) <= PLACEHOLDER_QID_BASE + _PLACEHOLDER_SPAN)


def _read_json(path: Path, what: str) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: {what} not found", hint="check the path: --real takes the real extract of the CapX "
                        "directory (capacities-sample.json)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read {what}: {exc}") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno} "
                        f"(character {exc.pos}): {exc.msg}",
                        hint="the file may be truncated; fetch a fresh copy") from None


def load_real_sample(path: str | os.PathLike[str]) -> Snapshot:
    """Read the real extract of the directory (``capacities-sample.json``) as a snapshot.

    Its ``capacities[]`` carry the app's ``code``, ``parent`` (a code),
    ``root`` (category name), ``labels``/``descriptions`` per language and a
    ``qid_wikidata`` known only for the seven roots. The key rule: a
    capacity with a Wikidata QID is keyed by it; one without is keyed by
    :func:`placeholder_qid` of its code (Q900000000 + code), its code is kept
    in ``Capacity.code``, and ``meta["placeholder_qids"]`` maps every
    placeholder to its code so nothing downstream mistakes it for a concept.
    A ``metabase_id``, where given, becomes ``Capacity.item``. Empty strings
    are absent terms. The ``ui_root_names`` (UI strings, not capacity terms)
    are not read.
    """
    path = Path(path)
    data = _read_json(path, "real sample")
    if not isinstance(data, dict) or not isinstance(data.get("capacities"), list):
        raise DataError(f"{path}: expected an object with a 'capacities' list",
                        hint="this does not look like capacities-sample.json")
    raw_caps: list[Any] = data["capacities"]
    keys: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    for pos, raw in enumerate(raw_caps):
        where = f"{path}: capacities[{pos}]"
        if not isinstance(raw, dict):
            raise DataError(f"{where} is not an object")
        code = raw.get("code")
        if not isinstance(code, str) or not code:
            raise DataError(f"{where}: 'code' must be a non-empty string, got {code!r}")
        if code in keys:
            raise DataError(f"{where}: duplicate code {code!r}", hint="each app code may appear once")
        qid = raw.get("qid_wikidata")
        if qid is None:
            try:
                qid = placeholder_qid(code)
            except DataError as exc:
                raise DataError(f"{where}: {exc.message}", hint=exc.hint) from None
            placeholders[qid] = code
        elif not isinstance(qid, str) or is_placeholder_qid(qid):
            raise DataError(f"{where}: 'qid_wikidata' must be a Wikidata QID or null, got {qid!r}")
        keys[code] = qid
    capacities: list[Capacity] = []
    terms: dict[TermKey, Term] = {}
    for pos, raw in enumerate(raw_caps):
        where = f"{path}: capacities[{pos}]"
        code, parent = raw["code"], raw.get("parent")
        if parent is not None and parent not in keys:
            raise DataError(f"{where}: parent {parent!r} is not the code of any capacity")
        item = raw.get("metabase_id")
        try:
            capacities.append(Capacity(keys[code], item=item if isinstance(item, str) else None,
                                       parent=keys[parent] if parent is not None else None,
                                       root=raw.get("root"), code=code))
            for fld, member in (("label", "labels"), ("description", "descriptions")):
                values = raw.get(member, {})
                if not isinstance(values, dict):
                    raise DataError(f"'{member}' must be an object of language → text")
                for lang, text in values.items():
                    if not isinstance(text, str):
                        raise DataError(f"{member}[{lang!r}] must be a string, got {type(text).__name__}")
                    if normalize_text(text):
                        terms[TermKey(keys[code], fld, lang)] = Term(text, side="sample")  # type: ignore[arg-type]
        except DataError as exc:
            raise DataError(f"{where}: {exc.message}", hint=exc.hint) from None
    meta = {
        "origin": "real",
        "source": data.get("source"),
        "file": path.name,
        "placeholder_qid_base": PLACEHOLDER_QID_BASE,
        "placeholder_qids": dict(sorted(placeholders.items(), key=lambda kv: int(kv[1]))),
    }
    try:
        return Snapshot(side="sample", capacities=tuple(capacities), terms=terms, meta=meta)
    except DataError as exc:
        raise DataError(f"{path}: {exc.message}", hint=exc.hint) from None
