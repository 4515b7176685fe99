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

import contextlib
import gc
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, NamedTuple, cast

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
#: The read cache's compact form of a snapshot (:meth:`Snapshot.dump_rows`): a row per term.
ROWS_FORMAT: Final = "capxl10n-snapshot-rows/1"

QID_RE: Final = re.compile(r"^Q[1-9][0-9]*$")
MESSAGE_KEY_RE: Final = re.compile(r"^(Q[1-9][0-9]*)-(label|description)$")


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic objects (keys, terms, rows) are built.

    Each full collection walks every live object, and a growing heap triggers one per quarter of
    growth: reading a directory of a million terms spent half its time in them, collecting nothing
    (terms hold no cycles; reference counting frees them). Restored on exit, errors included."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def normalize_text(text: str) -> str:
    """The form two values are compared in: Unicode NFC, outer whitespace trimmed.

    Wikibase stores terms trimmed and NFC-normalised, so two values that differ
    only there are the same term.

    >>> normalize_text("  Cafe\\u0301 ") == "Caf\\u00e9"
    True
    """
    return unicodedata.normalize("NFC", text).strip()


def same_value(a: str | None, b: str | None) -> bool:
    """Whether two values (None = absent) are the same term: compared normalised, an empty text as absent."""
    na = normalize_text(a) or None if a is not None else None
    nb = normalize_text(b) or None if b is not None else None
    return na == nb


def qid_sort_key(qid: str) -> tuple[int, str]:
    """Numeric order for QIDs (Q9 before Q10), stable for anything else."""
    return (int(qid[1:]), qid) if QID_RE.match(qid) else (1 << 62, qid)


def full_message_key(bundle_page: str, message_key: str) -> str:
    """Translate's full key of a bundle message, as its gettext export writes msgctxt."""
    return f"{bundle_page}/{message_key}"


class _KeyFields(NamedTuple):
    qid: str
    field: Field
    lang: str


#: Valid QIDs and language codes seen so far, each mapped to one shared string: a directory has a few thousand
#: QIDs and a few hundred languages but a million keys, so a key is checked by one dict lookup (not a regular
#: expression) and its strings are stored once. Bounded: past the bound a new value is checked, not kept.
_QIDS: dict[str, str] = {}
_LANGS: dict[str, str] = {}
_QID_ORDER: dict[str, tuple[int, str]] = {}
_FIELD_NAMES: Final[dict[str, Field]] = {"label": "label", "description": "description"}
_KNOWN_BOUND: Final = 1 << 18


class TermKey(_KeyFields):
    """One translatable string: a capacity's label or description in one language.

    A named tuple (qid, field, lang): hashed, compared and ordered as the tuple, at C speed, in a
    fraction of a dataclass's memory (a directory holds millions of them). Checked when made.
    """

    __slots__ = ()

    def __new__(cls, qid: str, field: Field, lang: str) -> TermKey:
        known = _QIDS.get(qid) if isinstance(qid, str) else None
        if known is None:
            if not isinstance(qid, str) or not QID_RE.match(qid):
                raise DataError(f"not a Wikidata QID: {qid!r}", hint="capacity keys look like 'Q7397'")
            known = qid
            if len(_QIDS) < _KNOWN_BOUND:
                _QIDS[qid] = qid
        name = _FIELD_NAMES.get(field) if isinstance(field, str) else None
        if name is None:
            raise DataError(f"unknown field {field!r}", hint="use 'label' or 'description'")
        if not lang:
            raise DataError("empty language code")
        if isinstance(lang, str):
            code = _LANGS.get(lang)
            if code is None:
                code = lang
                if len(_LANGS) < _KNOWN_BOUND:
                    _LANGS[lang] = lang
            lang = code
        return tuple.__new__(cls, (known, name, lang))

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
        order = _QID_ORDER.get(self[0])
        if order is None:
            order = qid_sort_key(self[0])
            if len(_QID_ORDER) < _KNOWN_BOUND:
                _QID_ORDER[self[0]] = order
        return (order, 0 if self[1] == "label" else 1, self[2])


def key_order(key: TermKey) -> tuple[int, str, bool, str]:
    """:meth:`TermKey.sort_key`'s order, cheaper (what sorting a million keys asks): a valid QID has no
    leading zero, so ordering QIDs by (length, text) is ordering them by number."""
    qid, fld, lang = key
    return (len(qid), qid, fld == "description", lang)


def _order(item: tuple[TermKey, Any]) -> tuple[int, str, bool, str]:
    """A snapshot's term order (:func:`key_order`)."""
    return key_order(item[0])


#: Canonical JSON (keys sorted, compact, raw UTF-8) with json's C encoder, and its string escaping.
_CANONICAL: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_STRING: Final[Callable[[str], str]] = json.encoder.encode_basestring
_CHUNK: Final = 20_000


def _canonical_term(key: TermKey, term: Term) -> str:
    """``_CANONICAL({"qid": …, "field": …, "lang": …, **term.to_json()})``, written out: the keys in their
    sorted order, each string escaped by the C function json's encoder uses (a million terms a second)."""
    author, revision, timestamp = term.author, term.revision, term.timestamp
    return "".join((
        '{"author":' + _STRING(author) + "," if author is not None else "{",
        '"field":"', key[1], '",', '"fuzzy":true,' if term.fuzzy else "",
        '"lang":', _STRING(key[2]), ',"qid":"', key[0], '",',
        '"revision":' + int.__repr__(revision) + "," if revision is not None else "",
        '"side":', _STRING(term.side), ',"text":', _STRING(term.text),
        ',"timestamp":' + _STRING(timestamp) + "}" if timestamp is not None else "}"))


def _row(key: TermKey, term: Term) -> str:
    """A term as a read cache row (:meth:`Snapshot.dump_rows`): ``[qid, field, lang, text, side, fuzzy,
    revision, author, timestamp]`` in compact JSON."""
    author, revision, timestamp = term.author, term.revision, term.timestamp
    return "".join((
        '["', key[0], '","', key[1], '",', _STRING(key[2]), ",", _STRING(term.text), ",", _STRING(term.side),
        ",1," if term.fuzzy else ",0,", "null" if revision is None else int.__repr__(revision), ",",
        "null" if author is None else _STRING(author), ",", "null" if timestamp is None else _STRING(timestamp), "]"))


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _lines(raw: bytes) -> Iterator[bytes]:
    """The lines of ``raw`` one at a time (not a list of copies of all of them)."""
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", start)
        end = len(raw) if end < 0 else end
        if end > start:
            yield raw[start:end]
        start = end + 1


def _row_term_key(row: Any, position: int, origin: str) -> TermKey:
    if type(row) is not list or len(row) != 9:
        raise DataError(f"{origin}: terms[{position}] is not a row of 9 values")
    try:
        return TermKey(row[0], row[1], row[2])
    except DataError as exc:
        raise DataError(f"{origin}: terms[{position}]: {exc.message}", hint=exc.hint) from None


class _Terms(dict[TermKey, "Term"]):
    """A snapshot's terms, in its order: a snapshot made from another's terms keeps them as they are
    (and the read cache knows an unchanged read by them: weak references, hence no ``__slots__``)."""


def _fingerprints(terms: Mapping[TermKey, Term]) -> dict[tuple[str, tuple[Capacity, ...]], str]:
    """The fingerprints known for snapshots of these terms, by side and tree (kept on the terms object)."""
    if type(terms) is not _Terms:
        return {}
    memo: dict[tuple[str, tuple[Capacity, ...]], str] = terms.__dict__.setdefault("fingerprints", {})
    return memo


def _in_order(terms: Mapping[TermKey, Term]) -> _Terms:
    """``terms`` in snapshot order: as given when already in it (one pass), sorted otherwise."""
    if type(terms) is _Terms:
        return terms
    previous: tuple[int, str, bool, str] | None = None
    for key in terms:
        current = key_order(key)
        if previous is not None and current < previous:
            return _Terms(sorted(terms.items(), key=_order))
        previous = current
    return _Terms(terms)


@dataclass(frozen=True, slots=True)
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


#: Making a Term without its ``__init__`` (a frozen dataclass's sets each field through ``object.__setattr__``):
#: the read cache makes a million of them, from values :meth:`Snapshot.load_rows` has checked.
_TERM_SLOTS: Final[tuple[Any, ...]] = (object.__new__, *(getattr(Term, name).__set__ for name in (
    "text", "fuzzy", "revision", "author", "side", "timestamp")))


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
        object.__setattr__(self, "terms", _in_order(self.terms))

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

    def to_json(self, *, terms: bool = True) -> dict[str, Any]:
        """The snapshot file's JSON (``terms=False``: all of it but the terms, for writers that stream them)."""
        out = {
            "format": SNAPSHOT_FORMAT,
            "side": self.side,
            "meta": dict(sorted(self.meta.items())),
            "capacities": [c.to_json() for c in self.capacities],
        }
        if terms:
            out["terms"] = [{"qid": k.qid, "field": k.field, "lang": k.lang, **t.to_json()} for k, t in self.terms.items()]
        return out

    def dumps(self) -> str:
        """The snapshot file's text: canonical JSON (keys sorted, compact, raw UTF-8), a trailing newline.

        Written with json's C encoder, a chunk of terms at a time: a directory of a million terms is
        serialised in seconds, without a second copy of it as dicts."""
        return "".join(self._canonical(meta=True)) + "\n"

    def fingerprint(self) -> str:
        """A content hash of the terms and tree (not of meta), for plans and caches; computed once for a
        snapshot's terms, side and tree (a snapshot remade from another's terms finds it)."""
        known = self.__dict__.get("_fingerprint")
        if known is None:
            memo = _fingerprints(self.terms)
            known = memo.get((self.side, self.capacities))
            if known is None:
                digest = hashlib.sha256()
                for part in self._canonical(meta=False):
                    digest.update(part.encode("utf-8"))
                known = "sha256:" + digest.hexdigest()[:32]
            self._know_fingerprint(known)
        return known

    def _know_fingerprint(self, known: str) -> None:
        object.__setattr__(self, "_fingerprint", known)
        _fingerprints(self.terms)[(self.side, self.capacities)] = known

    def _canonical(self, *, meta: bool) -> Iterator[str]:
        """:meth:`to_json` (without ``meta`` unless asked) as canonical JSON, in parts: the text of
        ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)``."""
        yield '{"capacities":'
        yield _CANONICAL([c.to_json() for c in self.capacities])
        yield ',"format":' + _CANONICAL(SNAPSHOT_FORMAT)
        if meta:
            yield ',"meta":' + _CANONICAL(dict(self.meta))
        yield ',"side":' + _CANONICAL(self.side) + ',"terms":['
        for n, chunk in enumerate(_chunks(self.terms.items())):
            yield ("," if n else "") + ",".join([_canonical_term(k, t) for k, t in chunk])
        yield "]}"

    def dump_rows(self) -> bytes:
        """The snapshot in the read cache's compact form (:data:`ROWS_FORMAT`), UTF-8.

        A header line (format, side, meta, capacities, the number of terms, the :meth:`fingerprint`, so
        that a read of the cache need not compute it again), then lines of up to
        20,000 terms, each term a row ``[qid, field, lang, text, side, fuzzy, revision, author,
        timestamp]`` instead of an object. Written and read a line at a time with json's C code: no
        dict per term, and no single string of the whole (text holding one character beyond the BMP
        takes four bytes per character as a Python string)."""
        header = _CANONICAL({"capacities": [c.to_json() for c in self.capacities], "fingerprint": self.fingerprint(),
                             "format": ROWS_FORMAT, "meta": dict(self.meta), "side": self.side,
                             "terms": len(self.terms)})
        parts = [header.encode("utf-8")]
        for chunk in _chunks(self.terms.items()):
            parts.append(("[" + ",".join([_row(k, t) for k, t in chunk]) + "]").encode("utf-8"))
        return b"\n".join(parts) + b"\n"

    @classmethod
    def load_rows(cls, raw: bytes, *, origin: str = "read cache") -> Snapshot:
        """A snapshot from :meth:`dump_rows`' form; a :class:`DataError` names what is wrong."""
        lines = _lines(raw)
        try:
            with paused_gc():
                header, terms, position = cls._rows(lines, origin)
        except json.JSONDecodeError as exc:
            raise DataError(f"{origin}: malformed JSON: {exc.msg}") from None
        except strictjson.DuplicateKey as exc:
            raise DataError(f"{origin}: duplicate key {exc.key!r}") from None
        if not isinstance(header, dict) or header.get("format") != ROWS_FORMAT:
            raise DataError(f"{origin}: not a {ROWS_FORMAT} snapshot")
        caps, meta = header.get("capacities"), header.get("meta")
        if not isinstance(caps, list) or not all(isinstance(c, dict) for c in caps) or not isinstance(meta, dict):
            raise DataError(f"{origin}: 'capacities' must be a list of objects and 'meta' an object")
        if header.get("terms") != position:
            raise DataError(f"{origin}: {position} terms where the header says {header.get('terms')!r} "
                            "(truncated?)")
        if len(terms) != position:
            raise DataError(f"{origin}: a term appears twice", hint="each (capacity, field, language) may appear once")
        try:
            snapshot = cls(side=str(header.get("side", "")), capacities=tuple(Capacity.from_json(c) for c in caps),
                           terms=terms, meta=meta)
        except DataError as exc:
            raise DataError(f"{origin}: {exc.message}", hint=exc.hint) from None
        if isinstance(header.get("fingerprint"), str):  # computed when stored: not again on every read
            snapshot._know_fingerprint(header["fingerprint"])
        return snapshot

    @staticmethod
    def _rows(lines: Iterator[bytes], origin: str) -> tuple[Any, dict[TermKey, Term], int]:
        """The header and the terms of :meth:`dump_rows`' lines (checked as they are made)."""
        header = json.loads(next(lines, b"null"), object_pairs_hook=strictjson.unique_keys)
        terms: dict[TermKey, Term] = {}
        position = 0
        new, set_text, set_fuzzy, set_revision, set_author, set_side, set_timestamp = _TERM_SLOTS
        qids, langs, fields, key_of = _QIDS, _LANGS, _FIELD_NAMES, tuple.__new__
        for line in lines:
            rows = json.loads(line)
            if type(rows) is not list:
                raise DataError(f"{origin}: a line of terms is not a list")
            for row in rows:  # one loop, no call per term but the two objects it makes (a million of them)
                if type(row) is not list or len(row) != 9:
                    raise DataError(f"{origin}: terms[{position}] is not a row of 9 values")
                qid, fld, lang, text, side, fuzzy, revision, author, timestamp = row
                if qid in qids and fld in fields and lang in langs:  # known: already checked once
                    key = key_of(TermKey, (qids[qid], fields[fld], langs[lang]))
                else:
                    key = _row_term_key(row, position, origin)
                if type(text) is not str or type(side) is not str or fuzzy not in (0, 1) or \
                        not (revision is None or type(revision) is int) or not (author is None or type(author) is str) \
                        or not (timestamp is None or type(timestamp) is str):
                    raise DataError(f"{origin}: terms[{position}] has a value of the wrong type")
                term = new(Term)
                set_text(term, text)
                set_fuzzy(term, fuzzy == 1)
                set_revision(term, revision)
                set_author(term, author)
                set_side(term, side)
                set_timestamp(term, timestamp)
                terms[key] = term
                position += 1
        return header, terms, position

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
