"""The Wikibase repository of one sandbox wiki: entities as pages of its store, plus indexes.

Entities are pages of the site's :class:`~capxl10n.sandbox.store.wiki.Wiki` store (``Item:Q123``,
content model ``wikibase-item``, content = entity JSON in storage form), so every write is a
revision and a recentchanges row like any edit. Why a module of its own: the API handlers
(:mod:`.api`), the term edit (:mod:`.terms`), seeding (:mod:`.seed`), SPARQL and Wikidata
all read and write through this one class; it keeps the label+description index for the
uniqueness rule, the page links for ``list=backlinks`` and the change listeners.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from capxl10n.sandbox.api.errors import ANON_RIGHTS
from capxl10n.sandbox.store.wiki import SaveResult, User, Wiki
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.edit import StatementContext
from capxl10n.sandbox.wikibase.languages import MUL, TERM_LANGUAGES

log = logging.getLogger(__name__)

#: (entity id, entity in storage form, revid, timestamp) after each saved revision
Listener = Callable[[str, wbe.Entity, int, str], None]


#: The real Metabase's concept URI (wikibase.cloud): what its RDF and query service answer with.
METABASE_CONCEPT_BASE = "https://metabase.wikibase.cloud/entity/"


@dataclass(frozen=True)
class RepoLayout:
    """Where a repository keeps its entities and which term codes it accepts."""

    item_ns: int = 120
    property_ns: int = 122
    mul: bool = False               # Wikidata enables the ``mul`` term code
    writable: bool = True           # False: writes answer ``permissiondenied``
    article_path: str = "/index.php/$1"
    first_item: int = 34531         # Metabase's real numbering starts around here
    #: $wgWBRepoSettings['conceptBaseUri']: the entity IRI prefix of RDF, SPARQL and wbsearchentities
    concept_base: str = METABASE_CONCEPT_BASE

    def accepted_languages(self) -> frozenset[str]:
        codes = set(TERM_LANGUAGES)
        if self.mul:
            codes.add(MUL)
        return frozenset(codes)


METABASE_LAYOUT = RepoLayout()


class WikibaseRepo:
    """The entities of one wiki, read and written through its page store."""

    def __init__(self, wiki: Wiki, layout: RepoLayout = METABASE_LAYOUT) -> None:
        self.wiki = wiki
        self.layout = layout
        self.languages = layout.accepted_languages()
        self.listeners: list[Listener] = []
        self._parsed: dict[int, wbe.Entity] = {}             # revid -> entity (immutable by convention)
        self._pairs: dict[tuple[str, str, str], set[str]] = {}
        self._pairs_of: dict[str, set[tuple[str, str, str]]] = {}
        self._property_labels: dict[tuple[str, str], set[str]] = {}
        self._property_labels_of: dict[str, set[tuple[str, str]]] = {}
        self._datatypes: dict[str, str] = dict(wbe.BUILTIN_DATATYPES)
        self._max_numeric = {"Q": layout.first_item - 1, "P": 0}
        self._anon: User | None = None
        self.concept_base = layout.concept_base
        with wiki.lock:
            for ns in (layout.item_ns, layout.property_ns):
                for page in list(wiki.pages_in(ns)):
                    if page.content_model.startswith("wikibase"):
                        self._index(page.latest.revid, page.latest.content, page)
            wiki.save_hooks.append(self._on_save)
            extractors = getattr(wiki, "link_extractors", None)
            if extractors is not None:  # the store's pagelinks table feeds list=backlinks
                extractors["wikibase-item"] = self.links_in
                extractors["wikibase-property"] = self.links_in

    def links_in(self, content: str) -> list[str]:
        """Titles an entity page links to: the properties it uses and the items it points at."""
        try:
            entity = wbe.from_storage_json(content)
        except (ValueError, TypeError):
            return []
        return [self.title(target) for target in wbe.linked_entities(entity)]

    # -- addressing ---------------------------------------------------------
    def title(self, entity_id: str) -> str:
        ns = self.layout.property_ns if entity_id.startswith("P") else self.layout.item_ns
        return self.wiki.title_of(ns, entity_id)

    def datatype_of(self, prop: str) -> str | None:
        return self._datatypes.get(prop)

    def exists(self, entity_id: str) -> bool:
        page = self.wiki.page(self.title(entity_id))
        return page is not None and page.content_model.startswith("wikibase")

    @property
    def namespaces(self) -> dict[str, str]:
        """Namespace names for links in messages and summaries (``[[Item:Q1]]``)."""
        return {"Q": self.wiki.namespaces.get(self.layout.item_ns, ""),
                "P": self.wiki.namespaces.get(self.layout.property_ns, "")}

    def statement_context(self) -> StatementContext:
        return StatementContext(self.datatype_of, self.exists, self.namespaces)

    def properties_labelled(self, lang: str, label: str) -> set[str]:
        """Properties whose label in ``lang`` is ``label`` (property labels are unique per language)."""
        return set(self._property_labels.get((lang, label), ()))

    def chain_of(self, lang: str) -> tuple[str, ...]:
        return wbe.fallback_chain(lang, mul=self.layout.mul)

    # -- reading ------------------------------------------------------------
    def parsed(self, revid: int, content: str) -> wbe.Entity:
        entity = self._parsed.get(revid)
        if entity is None:
            entity = wbe.from_storage_json(content)
            self._parsed[revid] = entity
        return entity

    def get(self, entity_id: str) -> tuple[wbe.Entity, wbe.PageInfo] | None:
        """The latest entity (do not mutate it) and its page info, or None when missing."""
        page = self.wiki.page(self.title(entity_id))
        if page is None or not page.content_model.startswith("wikibase"):
            return None
        rev = page.latest
        info = wbe.PageInfo(page.pageid, page.ns, page.title, rev.revid, rev.timestamp)
        return self.parsed(rev.revid, rev.content), info

    def entity_ids(self, kind: str = "item") -> Iterator[str]:
        """Ids of every stored item (or property), in title order."""
        ns = self.layout.item_ns if kind == "item" else self.layout.property_ns
        for page in self.wiki.pages_in(ns):
            if page.content_model.startswith("wikibase"):
                yield self.wiki.unprefixed(page)

    def search(self, text: str, languages: list[str], kind: str = "item") -> list[tuple[str, dict[str, Any]]]:
        """What the SQL term search finds: an exact id, else labels and aliases in ``languages`` starting with
        ``text`` (case-insensitive), best match per entity (a label before an alias, the asked language
        first); exact matches first, then by id."""
        needle = " ".join(text.split()).casefold()
        if not needle:
            return []
        found: list[tuple[int, int, str, dict[str, Any]]] = []
        exact_id = wbe.normalize_id(text)
        letter = "P" if kind == "property" else "Q"
        with self.wiki.lock:
            for entity_id in list(self.entity_ids(kind)):
                if exact_id == entity_id:
                    found.append((0, int(entity_id[1:]), entity_id, {"type": "entityId", "text": entity_id}))
                    continue
                entity = self.get(entity_id)
                if entity is None or not entity_id.startswith(letter):
                    continue
                match = self._term_match(entity[0], needle, languages)
                if match is not None:
                    exact = 0 if match["text"].casefold() == needle else 1
                    found.append((exact, int(entity_id[1:]), entity_id, match))
        found.sort(key=lambda row: (row[0], row[1]))
        return [(entity_id, match) for _e, _n, entity_id, match in found]

    @staticmethod
    def _term_match(entity: wbe.Entity, needle: str, languages: list[str]) -> dict[str, Any] | None:
        for lang in languages:
            label = wbe.term_value(entity, "labels", lang)
            if label is not None and label.casefold().startswith(needle):
                return {"type": "label", "language": lang, "text": label}
            for alias in wbe.aliases_of(entity, lang):
                if alias.casefold().startswith(needle):
                    return {"type": "alias", "language": lang, "text": alias}
        return None

    def holders_of(self, lang: str, label: str, description: str) -> set[str]:
        return set(self._pairs.get((lang, label, description), ()))

    # -- writing ------------------------------------------------------------
    def next_id(self, kind: str = "item") -> str:
        letter = "P" if kind == "property" else "Q"
        return f"{letter}{self._max_numeric[letter] + 1}"

    def save(self, entity: wbe.Entity, *, user: User, summary: str, bot: bool = False,
             create: bool = False) -> SaveResult:
        """Store an entity as a new revision (the caller has decided conflicts and validity)."""
        model = "wikibase-property" if entity["type"] == "property" else "wikibase-item"
        return self.wiki.save_page(self.title(entity["id"]), wbe.to_storage_json(entity), user=user,
                                   summary=summary, content_model=model, create_only=create,
                                   bot=bot and "bot" in user.rights)

    def anonymous(self) -> User:
        """The user an IP edit is recorded under."""
        if self._anon is None:
            self._anon = self.wiki.add_user("127.0.0.1", groups=("*",), rights=ANON_RIGHTS)
        return self._anon

    # -- indexes ------------------------------------------------------------
    def _on_save(self, wiki: Wiki, result: SaveResult, user: User) -> None:
        page, rev = result.page, result.revision
        if rev is None or page.ns not in (self.layout.item_ns, self.layout.property_ns):
            return
        if not page.content_model.startswith("wikibase"):
            return
        entity = self._index(rev.revid, rev.content, page)
        for listener in list(self.listeners):
            try:
                listener(entity["id"], entity, rev.revid, rev.timestamp)
            except Exception:  # noqa: BLE001 - a listener must never fail a save
                log.exception("wikibase listener failed for %s", entity.get("id"))

    def _index(self, revid: int, content: str, page: Any) -> wbe.Entity:
        entity = self.parsed(revid, content)
        entity_id = entity["id"]
        letter, number = entity_id[0], int(entity_id[1:])
        self._max_numeric[letter] = max(self._max_numeric.get(letter, 0), number)
        if entity["type"] == "property":
            self._datatypes[entity_id] = entity.get("datatype", "string")
            for label_key in self._property_labels_of.pop(entity_id, set()):
                self._property_labels.get(label_key, set()).discard(entity_id)
            labelled = {(lang, t["value"]) for lang, t in (entity.get("labels") or {}).items()
                        if isinstance(t, dict) and "value" in t}
            for label_key in labelled:
                self._property_labels.setdefault(label_key, set()).add(entity_id)
            self._property_labels_of[entity_id] = labelled
        for key in self._pairs_of.pop(entity_id, set()):
            holders = self._pairs.get(key)
            if holders is not None:
                holders.discard(entity_id)
                if not holders:
                    del self._pairs[key]
        if entity["type"] == "item":
            keys = set()
            for lang, label in ((lang, t.get("value")) for lang, t in entity.get("labels", {}).items()):
                description = wbe.term_value(entity, "descriptions", lang)
                if label is not None and description is not None:
                    keys.add((lang, label, description))
            for key in keys:
                self._pairs.setdefault(key, set()).add(entity_id)
            self._pairs_of[entity_id] = keys
        return entity
