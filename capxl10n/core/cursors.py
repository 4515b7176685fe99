"""The read cursors: where each wiki's last read stands, so that the next read starts from there.

Pure: no I/O. A read gives two things: a :class:`~capxl10n.core.model.Snapshot` (the
directory as the wiki holds it: terms and tree) and a cursor (what the next,
incremental read needs, and what the plan and the directory need to know about the
read): :class:`MetabaseCursor`, :class:`MetawikiCursor` (with the :class:`Bundle` page as
read) and :class:`WikidataCursor`. The wiki clients make them, ``engine/pull.py``
carries them from one read to the next, ``engine/absorb.py`` records our own writes
in them, the plan records the read marks of them (``Plan.reads``, for the source guard)
and the whole directory takes the bundle's order and the previous English of outdated
units from the Meta-Wiki one. The state keeps each side's cursor in the read cache's own
column (``cursor``), as the JSON of :meth:`to_json`; :func:`cursor_from_json` refuses a
malformed one with a :class:`~capxl10n.errors.DataError` naming the field.

>>> c = MetawikiCursor(high_water="2026-01-01T00:00:00Z",
...                    bundle=Bundle({"Q1-label": "Name", "notes": "x"}, revision=7, namespace=828))
>>> c.bundle.capacity_keys, c.bundle.unknown_keys
(('Q1-label',), ('notes',))
>>> cursor_from_json("metawiki", c.to_json()) == c
True
>>> cursor_from_json("metabase", {"side": "metabase", "item_revisions": {"Q1": "ten"}})
Traceback (most recent call last):
capxl10n.errors.DataError: metabase cursor: field 'item_revisions' must map strings to integers, got 'ten' for 'Q1'
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Protocol, TypeVar, Union

from capxl10n.core.model import DOC_LANGUAGE, MESSAGE_KEY_RE, SOURCE_LANGUAGE, Snapshot, Term, TermKey
from capxl10n.errors import DataError

#: Languages whose units are not translations: ``en`` mirrors the bundle, ``qqq`` is documentation.
NOT_TRANSLATIONS: Final = frozenset({SOURCE_LANGUAGE, DOC_LANGUAGE})


# ---------------------------------------------------------------------- parts
@dataclass(frozen=True)
class OwnWrite:
    """A page we wrote since the read: the revision the read held of it, and the revisions we made.

    The next read skips exactly ``revisions`` in recentchanges; any other revision
    of the page newer than ``read_revision`` re-reads it. No ``revisions`` means our
    write's answer did not tell the page's content (a deletion, a merged edit): the
    page is re-read on any later revision, and the directory shows the base for it.
    """

    read_revision: int = 0
    revisions: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"read_revision": self.read_revision, "revisions": list(self.revisions)}

    @classmethod
    def from_json(cls, data: Any, origin: str) -> OwnWrite:
        raw = _object(data, origin)
        return cls(read_revision=_int(raw, "read_revision", origin, default=0) or 0,
                   revisions=tuple(_int_list(raw, "revisions", origin)))


@dataclass(frozen=True)
class Bundle:
    """The bundle source page as read: the English messages in bundle order, its @metadata and revision."""

    messages: Mapping[str, str]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    revision: int | None = None
    timestamp: str | None = None
    exists: bool = True
    author: str | None = None
    namespace: int | None = None

    @property
    def capacity_keys(self) -> tuple[str, ...]:
        """The capacity message keys (``Q7397-label``) in bundle order."""
        return tuple(k for k in self.messages if MESSAGE_KEY_RE.match(k))

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        """Keys that are not ``Q<digits>-label|description`` (reported, never synced)."""
        return tuple(k for k in self.messages if not MESSAGE_KEY_RE.match(k))

    def to_json(self) -> dict[str, Any]:
        return {"messages": dict(self.messages), "metadata": dict(self.metadata), "revision": self.revision,
                "timestamp": self.timestamp, "exists": self.exists, "author": self.author,
                "namespace": self.namespace}

    @classmethod
    def from_json(cls, data: Any, origin: str) -> Bundle:
        raw = _object(data, origin)
        metadata = raw.get("metadata", {})
        if not isinstance(metadata, Mapping):
            raise DataError(f"{origin}: field 'metadata' must be an object, got {type(metadata).__name__}")
        return cls(messages=_str_map(raw, "messages", origin), metadata=dict(metadata),
                   revision=_int(raw, "revision", origin), timestamp=_str(raw, "timestamp", origin),
                   exists=_bool(raw, "exists", origin, default=True), author=_str(raw, "author", origin),
                   namespace=_int(raw, "namespace", origin))


@dataclass(frozen=True)
class DiscoveryCursor:
    """What Metabase's discovery found besides the capacities (the snapshot's tree): reused by
    incremental reads until something structural changes."""

    source: str = "cache"
    duplicates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unlinked: tuple[str, ...] = ()
    #: capacity item → its index term item
    index_terms: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "duplicates": {q: list(v) for q, v in self.duplicates.items()},
                "unlinked": list(self.unlinked), "index_terms": dict(self.index_terms)}

    @classmethod
    def from_json(cls, data: Any, origin: str) -> DiscoveryCursor:
        raw = _object(data, origin)
        duplicates = raw.get("duplicates", {})
        if not isinstance(duplicates, Mapping):
            raise DataError(f"{origin}: field 'duplicates' must be an object, got {type(duplicates).__name__}")
        return cls(source=_str(raw, "source", origin) or "cache",
                   duplicates={str(q): tuple(_str_list(duplicates, q, f"{origin}: duplicates"))
                               for q in duplicates},
                   unlinked=tuple(_str_list(raw, "unlinked", origin)),
                   index_terms=_str_map(raw, "index_terms", origin))


# ---------------------------------------------------------------------- the cursors
@dataclass(frozen=True)
class MetabaseCursor:
    """Where Metabase's read stands: its time mark, each item's revision as read, the term languages
    Metabase accepts, the discovery's findings, and the pages we wrote since."""

    side: ClassVar[str] = "metabase"

    #: Every edit after the read is at or after this time (recentchanges starts here).
    high_water: str | None = None
    #: item → ``lastrevid`` as read (or as we wrote it, once recentchanges showed nobody else did).
    item_revisions: Mapping[str, int] = field(default_factory=dict)
    accepted_languages: tuple[str, ...] = ()
    #: None when the read ran no discovery (``MetabaseClient.read_terms`` alone).
    discovery: DiscoveryCursor | None = None
    own_writes: Mapping[str, OwnWrite] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"side": self.side, "high_water": self.high_water, "item_revisions": dict(self.item_revisions),
                "accepted_languages": list(self.accepted_languages),
                "discovery": None if self.discovery is None else self.discovery.to_json(),
                "own_writes": {page: w.to_json() for page, w in self.own_writes.items()}}

    @classmethod
    def from_json(cls, data: Any, origin: str = "metabase cursor") -> MetabaseCursor:
        raw = _object(data, origin)
        _check_side(raw, cls.side, origin)
        discovery = raw.get("discovery")
        return cls(high_water=_str(raw, "high_water", origin), item_revisions=_int_map(raw, "item_revisions", origin),
                   accepted_languages=tuple(_str_list(raw, "accepted_languages", origin)),
                   discovery=None if discovery is None else DiscoveryCursor.from_json(discovery,
                                                                                      f"{origin}: discovery"),
                   own_writes=_own_writes(raw, origin))


@dataclass(frozen=True)
class MetawikiCursor:
    """Where Meta-Wiki's read stands: its time mark, the bundle page as read, whether the documentation
    was read, the English outdated units were translated from, and what we wrote since."""

    side: ClassVar[str] = "metawiki"

    high_water: str | None = None
    bundle: Bundle | None = None
    #: True when the snapshot's ``qqq`` terms are the wiki's documentation as read (a cache written
    #: before documentation was read has False, and its next incremental read fetches it).
    documentation: bool = False
    #: ``{lang: {message key: English}}``: the English an outdated unit was translated from, where a read
    #: saw it replaced (our own bundle write, or a bundle change between two reads). Translate's API does
    #: not say it; the catalogs write it as ``#| msgid``.
    previous_source: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    own_writes: Mapping[str, OwnWrite] = field(default_factory=dict)
    #: Message keys whose English we changed or removed since the read (their translations are outdated:
    #: fuzzy tags are not in recentchanges).
    outdated_keys: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"side": self.side, "high_water": self.high_water,
                "bundle": None if self.bundle is None else self.bundle.to_json(),
                "documentation": self.documentation,
                "previous_source": {lang: dict(table) for lang, table in self.previous_source.items()},
                "own_writes": {page: w.to_json() for page, w in self.own_writes.items()},
                "outdated_keys": list(self.outdated_keys)}

    @classmethod
    def from_json(cls, data: Any, origin: str = "metawiki cursor") -> MetawikiCursor:
        raw = _object(data, origin)
        _check_side(raw, cls.side, origin)
        bundle = raw.get("bundle")
        previous = raw.get("previous_source", {})
        if not isinstance(previous, Mapping):
            raise DataError(f"{origin}: field 'previous_source' must be an object, got {type(previous).__name__}")
        return cls(high_water=_str(raw, "high_water", origin),
                   bundle=None if bundle is None else Bundle.from_json(bundle, f"{origin}: bundle"),
                   documentation=_bool(raw, "documentation", origin, default=False),
                   previous_source={str(lang): _str_map(previous, lang, f"{origin}: previous_source")
                                    for lang in previous},
                   own_writes=_own_writes(raw, origin),
                   outdated_keys=tuple(_str_list(raw, "outdated_keys", origin)))


@dataclass(frozen=True)
class WikidataCursor:
    """What the Wikidata read was for: its languages (another list reads everything again), and which
    terms are Wikidata's language-independent ``mul`` value standing in for a language (``Q42/label/de``)."""

    side: ClassVar[str] = "wikidata"

    languages: tuple[str, ...] | None = None
    from_mul: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"side": self.side, "languages": None if self.languages is None else list(self.languages),
                "from_mul": list(self.from_mul)}

    @classmethod
    def from_json(cls, data: Any, origin: str = "wikidata cursor") -> WikidataCursor:
        raw = _object(data, origin)
        _check_side(raw, cls.side, origin)
        return cls(languages=None if raw.get("languages") is None else tuple(_str_list(raw, "languages", origin)),
                   from_mul=tuple(_str_list(raw, "from_mul", origin)))


Cursor = Union[MetabaseCursor, MetawikiCursor, WikidataCursor]
CURSORS: Final[dict[str, type[MetabaseCursor] | type[MetawikiCursor] | type[WikidataCursor]]] = {
    "metabase": MetabaseCursor, "metawiki": MetawikiCursor, "wikidata": WikidataCursor}


def cursor_from_json(side: str, data: Any, *, origin: str | None = None) -> Cursor:
    """The cursor of ``side`` from its JSON (:meth:`to_json`); a :class:`DataError` naming what is wrong
    when it is malformed or of another side."""
    kind = CURSORS.get(side)
    if kind is None:
        raise DataError(f"no read cursor for side {side!r}", hint="sides with a cursor: " + ", ".join(CURSORS))
    return kind.from_json(data, origin or f"{side} cursor")


def cursor_loads(side: str, text: str, *, origin: str | None = None) -> Cursor:
    """:func:`cursor_from_json` of a JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin or side + ' cursor'}: malformed JSON at line {exc.lineno} column {exc.colno}: "
                        f"{exc.msg}") from None
    return cursor_from_json(side, data, origin=origin)


def cursor_dumps(cursor: Cursor) -> str:
    """The cursor's JSON text (compact; the bundle's messages in bundle order)."""
    return json.dumps(cursor.to_json(), ensure_ascii=False, separators=(",", ":"))


class ReadCache(Protocol):
    """Where each side's last read is kept (the state's read cache): its snapshot and its cursor."""

    def load_side(self, side: str) -> tuple[Snapshot, Cursor] | None: ...

    def store_side(self, side: str, snapshot: Snapshot, cursor: Cursor) -> None: ...


_C = TypeVar("_C", MetabaseCursor, MetawikiCursor, WikidataCursor)


def cached_read(cache: ReadCache | None, side: str, kind: type[_C]) -> tuple[Snapshot, _C] | None:
    """The last read of ``side`` kept in ``cache`` (None: no cache, no read, or a cursor of another kind)."""
    found = cache.load_side(side) if cache is not None else None
    if found is None:
        return None
    snapshot, cursor = found
    return (snapshot, cursor) if isinstance(cursor, kind) else None


# ---------------------------------------------------------------------- own writes, previous English
def own_revisions(own: Mapping[str, OwnWrite]) -> frozenset[int]:
    """Every revision we wrote: recentchanges rows the next read skips."""
    return frozenset(r for w in own.values() for r in w.revisions)


def read_revision(own: Mapping[str, OwnWrite], page: str, cached: int | None) -> int:
    """The newest revision whose content the cache holds *as read*: rows after it that are not ours mean a re-read.

    For a page we wrote, that is the revision before our first write (our revision only
    joins once recentchanges shows nobody edited in between).

    >>> read_revision({"Q1": OwnWrite(10, (12,))}, "Q1", 12), read_revision({}, "Q1", 12)
    (10, 12)
    """
    if page in own:
        return own[page].read_revision
    return int(cached or 0)


def previous_sources(before: Mapping[TermKey, Term], after: Mapping[TermKey, Term],
                     previous: Mapping[str, Mapping[str, str]], replaced: Mapping[str, str]
                     ) -> dict[str, dict[str, str]]:
    """For each unit outdated in ``after``, the English it was translated from, where known.

    A unit that was current ``before`` and whose key's English was ``replaced``
    (message key → the English before the change) was translated from that
    English; any other outdated unit keeps what ``previous`` says (an outdated
    unit stays outdated against the English its translator saw). Units no longer
    outdated are forgotten.

    >>> k = TermKey("Q1", "label", "pt-br")
    >>> previous_sources({k: Term("Nome")}, {k: Term("Nome", fuzzy=True)}, {}, {"Q1-label": "Name"})
    {'pt-br': {'Q1-label': 'Name'}}
    >>> previous_sources({k: Term("Nome", fuzzy=True)}, {k: Term("Nome", fuzzy=True)},
    ...                  {"pt-br": {"Q1-label": "Old"}}, {"Q1-label": "Name"})
    {'pt-br': {'Q1-label': 'Old'}}
    >>> previous_sources({k: Term("Nome", fuzzy=True)}, {k: Term("Nome")}, {"pt-br": {"Q1-label": "Old"}}, {})
    {}
    """
    out: dict[str, dict[str, str]] = {}
    outdated = ((key, term) for key, term in after.items() if term.fuzzy and key.lang not in NOT_TRANSLATIONS)
    for key, term in sorted(outdated, key=lambda kv: kv[0].sort_key()):  # only the outdated ones: few
        was = before.get(key)
        if key.message_key in replaced and (was is None or not was.fuzzy):
            text: str | None = replaced[key.message_key]
        else:
            text = (previous.get(key.lang) or {}).get(key.message_key)
        if text is not None:
            out.setdefault(key.lang, {})[key.message_key] = text
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------- the state's schema 3 and before
#: Snapshot meta keys that held the cursors before they had a type and a column of their own (state schema 3).
LEGACY_META_KEYS: Final[dict[str, frozenset[str]]] = {
    "metabase": frozenset({"high_water", "item_revisions", "accepted_languages", "discovery_source", "duplicates",
                           "unlinked", "index_terms", "own_writes"}),
    "metawiki": frozenset({"high_water", "bundle", "bundle_revision", "bundle_exists", "bundle_namespace",
                           "unknown_bundle_keys", "documentation", "previous_source", "own_writes",
                           "outdated_keys"}),
    "wikidata": frozenset({"languages", "from_mul"}),
}


def cursor_from_legacy_meta(side: str, meta: Mapping[str, Any], high_water: str | None
                            ) -> tuple[Cursor, dict[str, Any]]:
    """The cursor an old read cache kept as keys of its snapshot's meta, and the meta without them.

    ``high_water`` is the mark the old cache kept beside the snapshot. Values are read
    as leniently as the reads of the time did (a part that is not what it should be is
    left out, so the next read fetches it again); a :class:`DataError` when ``side`` has
    no cursor.

    >>> cursor, rest = cursor_from_legacy_meta("metawiki", {"bundle_revision": 7, "documentation": True,
    ...     "bundle": {"messages": {"Q1-label": "Name"}, "revision": 7, "namespace": 828}, "note": 1}, "2026")
    >>> cursor.bundle.revision, cursor.bundle.namespace, cursor.documentation, cursor.high_water, rest
    (7, 828, True, '2026', {'note': 1})
    """
    if side not in LEGACY_META_KEYS:
        raise DataError(f"no read cursor for side {side!r}")
    rest = {k: v for k, v in meta.items() if k not in LEGACY_META_KEYS[side]}
    mark = high_water or _lenient_str(meta.get("high_water"))
    cursor: Cursor
    if side == "metabase":
        revisions = meta.get("item_revisions")
        discovery = None
        if any(k in meta for k in ("discovery_source", "duplicates", "unlinked", "index_terms")):
            dups = meta.get("duplicates")
            index = meta.get("index_terms")
            discovery = DiscoveryCursor(
                source=str(meta.get("discovery_source", "cache")),
                duplicates={str(q): tuple(str(i) for i in v) for q, v in dups.items()
                            if isinstance(v, (list, tuple))} if isinstance(dups, Mapping) else {},
                unlinked=tuple(str(i) for i in meta.get("unlinked") or ()),
                index_terms={str(k): str(v) for k, v in index.items()} if isinstance(index, Mapping) else {})
        cursor = MetabaseCursor(
            high_water=mark,
            item_revisions={str(k): int(v) for k, v in revisions.items() if _intlike(v)}
            if isinstance(revisions, Mapping) else {},
            accepted_languages=tuple(str(lang) for lang in meta.get("accepted_languages") or ()),
            discovery=discovery, own_writes=_legacy_own_writes(meta.get("own_writes")))
    elif side == "metawiki":
        raw = meta.get("bundle")
        bundle = None
        if isinstance(raw, Mapping):
            messages = raw.get("messages")
            metadata = raw.get("metadata")
            bundle = Bundle(messages={str(k): v for k, v in messages.items() if isinstance(v, str)}
                            if isinstance(messages, Mapping) else {},
                            metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
                            revision=_lenient_int(raw.get("revision")), timestamp=_lenient_str(raw.get("timestamp")),
                            exists=bool(raw.get("exists", True)), author=_lenient_str(raw.get("author")),
                            namespace=_lenient_int(raw.get("namespace")))
        previous = meta.get("previous_source")
        cursor = MetawikiCursor(
            high_water=mark, bundle=bundle, documentation=bool(meta.get("documentation")),
            previous_source={str(lang): {str(k): v for k, v in table.items() if isinstance(v, str)}
                             for lang, table in previous.items() if isinstance(table, Mapping)}
            if isinstance(previous, Mapping) else {},
            own_writes=_legacy_own_writes(meta.get("own_writes")),
            outdated_keys=tuple(str(k) for k in meta.get("outdated_keys") or ()))
    else:
        languages = meta.get("languages")
        cursor = WikidataCursor(languages=tuple(str(lang) for lang in languages)
                                if isinstance(languages, (list, tuple)) else None,
                                from_mul=tuple(str(m) for m in meta.get("from_mul") or ()))
    return cursor, rest


def _legacy_own_writes(raw: Any) -> dict[str, OwnWrite]:
    out: dict[str, OwnWrite] = {}
    if isinstance(raw, Mapping):
        for page, w in raw.items():
            if isinstance(w, Mapping):
                out[str(page)] = OwnWrite(int(w.get("from") or 0), tuple(int(r) for r in w.get("revisions") or () if r))
    return out


def _intlike(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and value.isdigit()


def _lenient_int(value: Any) -> int | None:
    return int(value) if _intlike(value) else None


def _lenient_str(value: Any) -> str | None:
    return str(value) if value is not None and value != "" else None


# ---------------------------------------------------------------------- strict JSON readers
def _object(data: Any, origin: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DataError(f"{origin}: expected a JSON object, got {type(data).__name__}",
                        hint="the read cache is only a cache: `capxl10n pull --full` reads everything again")
    return data


def _check_side(raw: Mapping[str, Any], side: str, origin: str) -> None:
    if raw.get("side") != side:
        raise DataError(f"{origin}: a cursor of side {raw.get('side')!r}, not {side!r}")


def _str(raw: Mapping[str, Any], name: str, origin: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise DataError(f"{origin}: field {name!r} must be a string, got {type(value).__name__} {value!r}")
    return value


def _int(raw: Mapping[str, Any], name: str, origin: str, default: int | None = None) -> int | None:
    value = raw.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise DataError(f"{origin}: field {name!r} must be an integer, got {type(value).__name__} {value!r}")
    return value


def _bool(raw: Mapping[str, Any], name: str, origin: str, *, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise DataError(f"{origin}: field {name!r} must be true or false, got {type(value).__name__} {value!r}")
    return value


def _str_list(raw: Mapping[str, Any], name: str, origin: str) -> list[str]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{origin}: field {name!r} must be a list of strings, got {value!r:.80}")
    return value


def _int_list(raw: Mapping[str, Any], name: str, origin: str) -> list[int]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise DataError(f"{origin}: field {name!r} must be a list of integers, got {value!r:.80}")
    return value


def _str_map(raw: Mapping[str, Any], name: str, origin: str) -> dict[str, str]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise DataError(f"{origin}: field {name!r} must be an object, got {type(value).__name__}")
    for k, v in value.items():
        if not isinstance(v, str):
            raise DataError(f"{origin}: field {name!r} must map strings to strings, got {v!r:.40} for {k!r}")
    return dict(value)


def _int_map(raw: Mapping[str, Any], name: str, origin: str) -> dict[str, int]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise DataError(f"{origin}: field {name!r} must be an object, got {type(value).__name__}")
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int):
            raise DataError(f"{origin}: field {name!r} must map strings to integers, got {v!r:.40} for {k!r}")
    return dict(value)


def _own_writes(raw: Mapping[str, Any], origin: str) -> dict[str, OwnWrite]:
    value = raw.get("own_writes", {})
    if not isinstance(value, Mapping):
        raise DataError(f"{origin}: field 'own_writes' must be an object, got {type(value).__name__}")
    return {str(page): OwnWrite.from_json(w, f"{origin}: own_writes[{page!r}]") for page, w in value.items()}

