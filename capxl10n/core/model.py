"""The core data model: capacities, term keys, terms and snapshots.

Pure: imports nothing that does I/O. Every adapter reads into these types and
every writer takes them, so the merge, coverage and catalogs never see a
library type (mwclient, polib, babel).

Identity (docs/architecture.md, "Identity"): a term is ``(capacity, field, language)`` where
the capacity is the **Wikidata QID** of the concept, never the Metabase item
id (an attribute of the capacity).

>>> key = TermKey("Q7397", "label", "pt-br")
>>> key.message_key
'Q7397-label'
>>> full_message_key("Module:CapacityExchange/capacities.json", key.message_key)
'Module:CapacityExchange/capacities.json/Q7397-label'
>>> TermKey.from_message_key("Q7397-description", "ar")
TermKey(qid='Q7397', field='description', lang='ar')
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, cast

from capxl10n.core import strictjson
from capxl10n.errors import DataError

Field = Literal["label", "description"]
FIELDS: Final[tuple[Field, ...]] = ("label", "description")
SOURCE_LANGUAGE: Final = "en"
DOC_LANGUAGE: Final = "qqq"

#: The two wikis a term lives on: the sides of the merge.
Side = Literal["metabase", "metawiki"]
SIDES: Final[tuple[Side, ...]] = ("metabase", "metawiki")
#: Where an operation writes: a Metabase item, a Translate unit, or the bundle (the English).
Target = Literal["metabase", "metawiki", "bundle"]
TARGETS: Final[tuple[Target, ...]] = ("metabase", "metawiki", "bundle")
#: What an operation does to its term.
Action = Literal["set", "delete"]
ACTIONS: Final[tuple[Action, ...]] = ("set", "delete")
#: Who wins where the two sides differ and no sync has agreed on the term yet (no base).
FirstContactPolicy = Literal["conflict", "metabase", "metawiki"]
FIRST_CONTACT_POLICIES: Final[tuple[FirstContactPolicy, ...]] = ("conflict", "metabase", "metawiki")
#: Whether a deletion on one side is copied to the other or asked of a human.
DeletionPolicy = Literal["propagate", "conflict"]
DELETION_POLICIES: Final[tuple[DeletionPolicy, ...]] = ("propagate", "conflict")

SNAPSHOT_FORMAT: Final = "capxl10n-snapshot/1"

QID_RE: Final = re.compile(r"^Q[1-9][0-9]*$")
MESSAGE_KEY_RE: Final = re.compile(r"^(Q[1-9][0-9]*)-(label|description)$")


def normalize_text(text: str) -> str:
    """The form two values are compared in: Unicode NFC, outer whitespace trimmed.

    Wikibase stores terms trimmed and NFC-normalised, so two values that differ
    only there are the same term.

    >>> normalize_text("  Cafe\\u0301 ") == "Caf\\u00e9"
    True
    """
    return unicodedata.normalize("NFC", text).strip()


def qid_sort_key(qid: str) -> tuple[int, str]:
    """Numeric order for QIDs (Q9 before Q10), stable for anything else."""
    return (int(qid[1:]), qid) if QID_RE.match(qid) else (1 << 62, qid)


def full_message_key(bundle_page: str, message_key: str) -> str:
    """Translate's full key of a bundle message, as its gettext export writes msgctxt."""
    return f"{bundle_page}/{message_key}"


@dataclass(frozen=True, order=True)
class TermKey:
    """One translatable string: a capacity's label or description in one language."""

    qid: str
    field: Field
    lang: str

    def __post_init__(self) -> None:
        if not QID_RE.match(self.qid):
            raise DataError(f"not a Wikidata QID: {self.qid!r}", hint="capacity keys look like 'Q7397'")
        if self.field not in FIELDS:
            raise DataError(f"unknown field {self.field!r}", hint="use 'label' or 'description'")
        if not self.lang:
            raise DataError("empty language code")

    @property
    def message_key(self) -> str:
        """The bundle key, ``Q7397-label``."""
        return f"{self.qid}-{self.field}"

    @classmethod
    def from_message_key(cls, message_key: str, lang: str) -> TermKey:
        match = MESSAGE_KEY_RE.match(message_key)
        if not match:
            raise DataError(
                f"not a capacity message key: {message_key!r}",
                hint="bundle keys look like 'Q7397-label' or 'Q7397-description'",
            )
        return cls(match.group(1), match.group(2), lang)  # type: ignore[arg-type]

    def sort_key(self) -> tuple[tuple[int, str], int, str]:
        return (qid_sort_key(self.qid), FIELDS.index(self.field), self.lang)


@dataclass(frozen=True)
class Term:
    """A value read from one side, with the evidence needed to merge it safely."""

    text: str
    fuzzy: bool = False
    revision: int | None = None
    author: str | None = None
    #: Where it was read from: ``metabase``, ``metawiki``, ``wikidata``; ``base`` the state's agreed
    #: value, ``sample`` the generator, ``import`` a translator's .po file.
    side: str = "metabase"
    timestamp: str | None = None

    @property
    def normalized(self) -> str:
        return normalize_text(self.text)

    def same_text(self, other: Term | None) -> bool:
        return other is not None and self.normalized == other.normalized

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "side": self.side}
        if self.fuzzy:
            out["fuzzy"] = True
        for name in ("revision", "author", "timestamp"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Term:
        revision = data.get("revision")
        if revision is not None and not (isinstance(revision, int) and not isinstance(revision, bool)
                                         or isinstance(revision, str) and revision.isdigit()):
            raise DataError(f"field 'revision' must be an integer, got {type(revision).__name__} {revision!r}")
        fuzzy = data.get("fuzzy", False)
        if fuzzy is not None and not isinstance(fuzzy, bool):  # bool("no") would be True
            raise DataError(f"field 'fuzzy' must be a boolean, got {type(fuzzy).__name__} {fuzzy!r}")
        return cls(
            text=_require_str(data, "text"),
            fuzzy=bool(fuzzy),
            revision=int(revision) if revision is not None else None,
            author=_optional_str(data, "author"),
            side=str(data.get("side", "metabase")),
            timestamp=_optional_str(data, "timestamp"),
        )


@dataclass(frozen=True)
class Capacity:
    """A node of the capacity tree. ``qid`` (Wikidata) is its identity."""

    qid: str
    item: str | None = None
    parent: str | None = None
    root: str | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        if not QID_RE.match(self.qid):
            raise DataError(f"not a Wikidata QID: {self.qid!r}", hint="capacity keys look like 'Q7397'")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("qid", self.qid), ("item", self.item), ("parent", self.parent),
                                  ("root", self.root), ("code", self.code)) if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Capacity:
        code = data.get("code")
        if code is not None and (isinstance(code, bool) or not isinstance(code, (str, int))):
            raise DataError(f"field 'code' must be a string, got {type(code).__name__}")
        return cls(
            qid=_require_str(data, "qid"),
            item=_optional_str(data, "item"),
            parent=_optional_str(data, "parent"),
            root=_optional_str(data, "root"),
            code=None if code is None else str(code),
        )


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of the directory as one side (or the base) holds it.

    Capacities are kept in tree order (depth first, roots in the given order,
    siblings by QID); terms are keyed by :class:`TermKey`. Iteration and JSON
    are deterministic, so the same snapshot always serialises to the same bytes.
    ``meta`` describes a directory as built for the catalogs (its message order,
    the previous English of outdated units, the sides the base stood in for) or a
    sample; where a wiki's read stands is its cursor (:mod:`capxl10n.core.cursors`).
    """

    side: str
    capacities: tuple[Capacity, ...] = ()
    terms: Mapping[TermKey, Term] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for cap in self.capacities:
            if cap.qid in seen:
                raise DataError(f"duplicate capacity {cap.qid} in {self.side} snapshot",
                                hint="each Wikidata QID may appear once")
            seen.add(cap.qid)
        object.__setattr__(self, "capacities", tree_order(self.capacities))
        object.__setattr__(self, "terms", dict(sorted(self.terms.items(), key=lambda kv: kv[0].sort_key())))

    def capacity(self, qid: str) -> Capacity | None:
        return self._index().get(qid)

    def _index(self) -> dict[str, Capacity]:
        cached = self.__dict__.get("_cap_index")
        if cached is None:
            cached = {c.qid: c for c in self.capacities}
            object.__setattr__(self, "_cap_index", cached)
        return cached

    def get(self, key: TermKey) -> Term | None:
        return self.terms.get(key)

    def text(self, qid: str, field_: Field, lang: str) -> str | None:
        term = self.terms.get(TermKey(qid, field_, lang))
        return term.text if term is not None else None

    def languages(self) -> tuple[str, ...]:
        """Every language with at least one term, sorted (source and qqq included)."""
        return tuple(sorted({k.lang for k in self.terms}))

    def terms_in(self, lang: str) -> Iterator[tuple[TermKey, Term]]:
        return ((k, t) for k, t in self.terms.items() if k.lang == lang)

    def path(self, qid: str) -> tuple[str, ...]:
        """QIDs from the root down to ``qid`` (cycle-safe)."""
        index = self._index()
        chain: list[str] = []
        current = index.get(qid)
        while current is not None and current.qid not in chain:
            chain.append(current.qid)
            current = index.get(current.parent) if current.parent else None
        return tuple(reversed(chain))

    def message_keys(self) -> Iterator[TermKey]:
        """The source keys (English) in catalog order: tree order, label before description."""
        for cap in self.capacities:
            for fld in FIELDS:
                yield TermKey(cap.qid, fld, SOURCE_LANGUAGE)

    def with_terms(self, terms: Mapping[TermKey, Term], **meta: Any) -> Snapshot:
        return replace(self, terms={**self.terms, **terms}, meta={**self.meta, **meta})

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT,
            "side": self.side,
            "meta": dict(sorted(self.meta.items())),
            "capacities": [c.to_json() for c in self.capacities],
            "terms": [{"qid": k.qid, "field": k.field, "lang": k.lang, **t.to_json()}
                      for k, t in self.terms.items()],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=False) + "\n"

    def fingerprint(self) -> str:
        """A content hash of the terms and tree (not of meta), for plans and caches."""
        body = self.to_json()
        body.pop("meta")
        raw = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]

    @classmethod
    def from_json(cls, data: Any, *, origin: str = "snapshot") -> Snapshot:
        if not isinstance(data, dict):
            raise DataError(f"{origin}: expected a JSON object at the top level")
        if data.get("format") != SNAPSHOT_FORMAT:
            raise DataError(f"{origin}: unknown snapshot format {data.get('format')!r}",
                            hint=f"expected {SNAPSHOT_FORMAT!r}")
        caps = data.get("capacities")
        terms_raw = data.get("terms")
        if not isinstance(caps, list) or not isinstance(terms_raw, list):
            raise DataError(f"{origin}: 'capacities' and 'terms' must be lists")
        terms: dict[TermKey, Term] = {}
        for position, raw in enumerate(terms_raw):
            if not isinstance(raw, dict):
                raise DataError(f"{origin}: terms[{position}] is not an object")
            try:
                # TermKey itself rejects a missing or unknown field (DataError naming it)
                key = TermKey(_require_str(raw, "qid"), cast(Field, raw.get("field")), _require_str(raw, "lang"))
                term = Term.from_json(raw)
            except DataError as exc:
                raise DataError(f"{origin}: terms[{position}]: {exc.message}", hint=exc.hint) from None
            if key in terms:
                raise DataError(f"{origin}: duplicate term {key.message_key}/{key.lang} at terms[{position}]",
                                hint="each (capacity, field, language) may appear once")
            terms[key] = term
        capacities = []
        for position, raw in enumerate(caps):
            if not isinstance(raw, dict):
                raise DataError(f"{origin}: capacities[{position}] is not an object")
            try:
                capacities.append(Capacity.from_json(raw))
            except DataError as exc:
                raise DataError(f"{origin}: capacities[{position}]: {exc.message}", hint=exc.hint) from None
        meta = data.get("meta")
        if meta is not None and not isinstance(meta, dict):
            raise DataError(f"{origin}: 'meta' must be an object, got {type(meta).__name__}")
        try:
            return cls(side=str(data.get("side", "sample")), capacities=tuple(capacities), terms=terms,
                       meta=dict(meta or {}))
        except DataError as exc:
            raise DataError(f"{origin}: {exc.message}", hint=exc.hint) from None

    @classmethod
    def loads(cls, text: str, *, origin: str = "snapshot") -> Snapshot:
        """Parse snapshot JSON, refusing malformed JSON and objects that repeat a key.

        JSON itself lets a repeated key's last value win silently; in a
        snapshot that would drop a term's text or a whole list, so the file is
        refused instead, naming the key and where its object starts
        (:mod:`capxl10n.core.strictjson`).
        """
        return cls.from_json(strictjson.loads(text, origin=origin, malformed_hint="the file may be truncated; regenerate it"),
                             origin=origin)


def tree_order(capacities: Iterable[Capacity]) -> tuple[Capacity, ...]:
    """Depth first: roots in first-seen order, then children by QID; orphans last."""
    caps = list(capacities)
    by_qid = {c.qid: c for c in caps}
    children: dict[str | None, list[Capacity]] = {}
    for cap in caps:
        parent = cap.parent if cap.parent in by_qid else None
        children.setdefault(parent, []).append(cap)
    for parent, kids in children.items():
        if parent is not None:
            kids.sort(key=lambda c: qid_sort_key(c.qid))
    ordered: list[Capacity] = []
    seen: set[str] = set()

    def visit(cap: Capacity) -> None:
        if cap.qid in seen:
            return
        seen.add(cap.qid)
        ordered.append(cap)
        for kid in children.get(cap.qid, []):
            visit(kid)

    for root in children.get(None, []):
        visit(root)
    for cap in sorted(caps, key=lambda c: qid_sort_key(c.qid)):
        visit(cap)  # cycles: never reachable from a root
    return tuple(ordered)


def _optional_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise DataError(f"field {name!r} must be a string, got {type(value).__name__}")
    return value


def _require_str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise DataError(f"field {name!r} must be a string, got {type(value).__name__}")
    return value
