"""Metabase's Wikibase API on the sandbox: wbgetentities, wbeditentity, wbsetlabel/description.

Entities are pages of the site's :class:`~capxl10n.sandbox.wiki.Wiki` store (``Item:Q123``,
content model ``wikibase-item``, content = entity JSON in storage form), so every write is a
revision and a recentchanges row like any edit, and ``prop=revisions`` shows them. This
module adds what Wikibase adds on top: the term rules and the ``baserevid`` patching of
:mod:`capxl10n.sandbox.wbedit`, a label+description index for the uniqueness rule, page links
for ``list=backlinks`` (a link extractor for the store), and change listeners (SPARQL).

Wiring (engineer A's app/server): ``repo = install_metabase(site)`` registers the modules on a
:class:`~capxl10n.sandbox.core.Site`; ``seed_metabase(repo, snapshot, ...)`` fills it;
``repo.listeners`` receives ``(entity_id, entity, revid, timestamp)`` after every save.
Wikidata reuses the same repository class with its own layout (see :mod:`.wikidata`).
"""
from __future__ import annotations

import copy
import json
import logging
import random
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capxl10n.sandbox import wbentity as wbe
from capxl10n.sandbox.core import ANON_RIGHTS, ApiError, ApiRequest, Site, render_warnings
from capxl10n.sandbox.wbedit import (
    TermChange,
    apply_changes,
    parse_data,
    patch,
    summary_for_edit,
    summary_for_set,
    validate,
)
from capxl10n.sandbox.wblanguages import MUL, MUL_AUTONYM, TERM_LANGUAGES
from capxl10n.sandbox.wbvalidate import (
    NON_NORMALIZED_WARNING,
    edit_conflict,
    WikibaseError,
    illegal_id_or_site_page,
    illegal_ids_or_sites_titles,
    invalid_entity_id,
    no_such_entity_on_read,
    no_such_entity_on_write,
    no_such_revision,
    normalize_value,
    permission_denied,
)
from capxl10n.sandbox.wiki import SaveResult, User, Wiki

log = logging.getLogger(__name__)

PATCHED_TEXT = "Your edit was patched into the latest version."
#: (entity id, entity in storage form, revid, timestamp) after each saved revision
Listener = Callable[[str, wbe.Entity, int, str], None]


@dataclass(frozen=True)
class RepoLayout:
    """Where a repository keeps its entities and which term codes it accepts."""

    item_ns: int = 120
    property_ns: int = 122
    mul: bool = False               # Wikidata enables the ``mul`` term code
    writable: bool = True           # False: writes answer ``permissiondenied``
    article_path: str = "/index.php/$1"
    first_item: int = 34531         # Metabase's real numbering starts around here

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
        self._datatypes: dict[str, str] = dict(wbe.BUILTIN_DATATYPES)
        self._max_numeric = {"Q": layout.first_item - 1, "P": 0}
        self._anon: User | None = None
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


# -- API glue -----------------------------------------------------------------------------------

def api_error(err: WikibaseError, module: str = "main") -> ApiError:
    """Wikibase reports its errors for module ``main`` (see wbsetlabel-errorformat-plaintext)."""
    messages = [{"name": m.name, "parameters": list(m.parameters), "html": m.html} for m in err.messages]
    return ApiError(err.code, err.info, data=err.data, messages=messages or None)


def _user_of(req: ApiRequest, repo: WikibaseRepo) -> User:
    return req.user if req.user is not None else repo.anonymous()


def _edit_body(req: ApiRequest, entity: dict[str, Any], outcome: EditOutcome) -> dict[str, Any]:
    """The answer of a successful term write (wbeditentity, wbsetlabel/description): the entity
    (``nochange`` flagged), the conflict-patched warning when our edit was merged, ``success``."""
    if outcome.nochange:
        entity["nochange"] = ""
    body: dict[str, Any] = {"entity": entity}
    if outcome.patched:
        _warn_patched(req, body)
    body["success"] = 1
    return body


def _warn_patched(req: ApiRequest, body: dict[str, Any]) -> None:
    """Wikibase's own warning shape: ``warnings.<module>.messages[]`` with ``type: warning``."""
    if req.errorformat != "bc":
        req.warn(req.module, PATCHED_TEXT, "wikibase-conflict-patched")
        return
    rendered = render_warnings(req) or {}
    req.warnings.clear()
    message: dict[str, Any] = {"name": "wikibase-conflict-patched", "parameters": [],
               "html": PATCHED_TEXT if req.fv2 else {"*": PATCHED_TEXT}, "type": "warning"}
    rendered.setdefault(req.module, {})["messages"] = [message]
    body["warnings"] = rendered


def _resolve(repo: WikibaseRepo, raw_id: str | None) -> tuple[str, wbe.Entity, wbe.PageInfo]:
    entity_id = wbe.normalize_id(raw_id or "")
    if entity_id is None:
        raise invalid_entity_id()
    found = repo.get(entity_id)
    if found is None:
        raise no_such_entity_on_write(entity_id)
    return entity_id, found[0], found[1]


def _base_entity(repo: WikibaseRepo, info: wbe.PageInfo, latest: wbe.Entity,
                 baserevid: int | None) -> wbe.Entity:
    if baserevid is None or baserevid == info.lastrevid:
        return latest
    rev = repo.wiki.revision(baserevid)
    if rev is None or rev.pageid != info.pageid:
        raise no_such_revision()
    return repo.parsed(rev.revid, rev.content)


@dataclass
class EditOutcome:
    """What a term write did: the entity shown in the answer and the revision it made."""

    shown: wbe.Entity
    lastrevid: int
    nochange: bool = False
    patched: bool = False
    created: bool = False


def edit_terms(repo: WikibaseRepo, entity_id: str | None, changes: Sequence[TermChange], *,
               user: User, baserevid: int | None = None, summary: Callable[[wbe.Entity], str],
               bot: bool = False, clear: bool = False, new_kind: str | None = None) -> EditOutcome:
    """The whole Wikibase term edit, under the store's lock (also used by seeding and hooks).

    ``summary`` builds the edit comment from the base entity (wbsetlabel names the old value).
    """
    wiki, layout = repo.wiki, repo.layout
    with wiki.lock:
        if new_kind is not None:
            entity_id = repo.next_id(new_kind)
            base = wbe.new_entity(entity_id)
            wanted = apply_changes(base, changes)
            validate(base, wanted, pairs=repo.holders_of, title_of=repo.title, article_path=layout.article_path)
            result = repo.save(wanted, user=user, summary=summary(base), bot=bot, create=True)
            assert result.revision is not None
            return EditOutcome(wanted, result.revision.revid, created=True)
        entity_id, latest, info = _resolve(repo, entity_id)
        base = _base_entity(repo, info, latest, baserevid)
        if clear:
            if base is not latest:
                raise edit_conflict()
            cleared = wbe.new_entity(entity_id, datatype=latest.get("datatype"))
            wanted = apply_changes(cleared, changes)
        else:
            wanted = apply_changes(base, changes)
        validate(base, wanted, pairs=repo.holders_of, title_of=repo.title, article_path=layout.article_path)
        unchanged = (wanted == base) if clear else not wbe.changed_terms(base, wanted)
        if unchanged:
            return EditOutcome(wanted, info.lastrevid, nochange=True)
        to_save = wanted if base is latest else patch(base, latest, wanted)
        result = repo.save(to_save, user=user, summary=summary(base), bot=bot)
        if result.nochange or result.revision is None:
            return EditOutcome(wanted, info.lastrevid, nochange=True)
        return EditOutcome(wanted, result.revision.revid, patched=base is not latest)


def _write_guard(req: ApiRequest, repo: WikibaseRepo) -> None:
    if not repo.layout.writable:
        raise api_error(permission_denied(req.module), req.module)


def _bot(req: ApiRequest) -> bool:
    return req.flag("bot") and req.has_right("bot")


def _ids_param(req: ApiRequest, low: int = 50, high: int = 500) -> list[str]:
    """``ids`` as a multi-value parameter (``toomanyvalues`` with REL1_39's data)."""
    return req.multi("ids", None, limit=low, high_limit=high)


def handle_wbgetentities(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    ids = _ids_param(req)
    sites, titles = req.get("sites"), req.get("titles")
    props = req.multi("props", wbe.ALL_PROPS, default=wbe.DEFAULT_PROPS)
    languages = req.multi("languages", sorted(repo.languages), limit=50, high_limit=500) \
        if req.has("languages") else None
    fallback = req.flag("languagefallback")
    for name in ("normalize", "redirects", "sitefilter"):
        req.get(name)
    if not ids and not (sites and titles):
        raise api_error(illegal_ids_or_sites_titles(), req.module)
    entities: dict[str, Any] = {}
    for raw in ids:
        entity_id = wbe.normalize_id(raw)
        if entity_id is None:
            raise api_error(no_such_entity_on_read(raw), req.module)
        if entity_id in entities:
            continue
        found = repo.get(entity_id)
        if found is None:
            entities[entity_id] = {"id": entity_id, "missing": ""}
            continue
        entity, info = found
        entities[entity_id] = wbe.render_entity(
            entity, info, props, languages=languages, chain_of=repo.chain_of if fallback else None,
            datatype_of=repo.datatype_of)
    if not ids:  # sites+titles: Metabase items carry no sitelinks
        for position, (site, title) in enumerate(zip(sites.split("|"), titles.split("|")), start=1):  # type: ignore[union-attr]
            entities[str(-position)] = {"site": site, "title": title, "missing": ""}
    return {"entities": entities, "success": 1}


def handle_wbeditentity(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    _write_guard(req, repo)
    raw_data = req.require("data")
    raw_id, new = req.get("id"), req.enum("new", ("item", "property"))
    site, title = req.get("site"), req.get("title")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    clear = req.flag("clear")
    req.multi("tags", None)
    if (raw_id is None) == (new is None) and not (site and title):
        raise api_error(illegal_id_or_site_page(), req.module)
    try:
        changes, warned = parse_data(raw_data, repo.languages)
        if warned:
            req.warn(req.module, NON_NORMALIZED_WARNING.format(name="data"))
        created = new is not None

        def summary(_base: wbe.Entity) -> str:
            return summary_for_edit(changes, created=created, cleared=clear, user_summary=user_summary)

        outcome = edit_terms(repo, raw_id, changes, user=_user_of(req, repo), baserevid=baserevid,
                             summary=summary, bot=_bot(req), clear=clear, new_kind=new)
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    return _edit_body(req, wbe.full_output(outcome.shown, repo.datatype_of, outcome.lastrevid), outcome)


def _handle_set_term(req: ApiRequest, repo: WikibaseRepo, field_: str) -> dict[str, Any]:
    _write_guard(req, repo)
    raw_id = req.get("id")
    lang = req.require("language")
    lang = req.enum("language", repo.languages) or lang
    raw_value = req.get("value")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    for name in ("site", "title", "new"):
        req.get(name)
    req.multi("tags", None)
    value: str | None = None
    if raw_value is not None:
        value, warned = normalize_value(raw_value)
        if warned:
            req.warn(req.module, NON_NORMALIZED_WARNING.format(name="value"))
        value = value or None
    if raw_id is None and not (req.params.get("site") and req.params.get("title")):
        raise api_error(illegal_id_or_site_page(), req.module)
    module = req.module
    try:
        def summary(base: wbe.Entity) -> str:
            return summary_for_set(module, lang, wbe.term_value(base, field_, lang), value, user_summary)

        outcome = edit_terms(repo, raw_id, [TermChange(field_, lang, value)], user=_user_of(req, repo),
                             baserevid=baserevid, summary=summary, bot=_bot(req))
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    term: dict[str, Any] = ({"language": lang, "value": value} if value is not None
                            else {"language": lang, "removed": ""})
    entity: dict[str, Any] = {field_: {lang: term}, "id": outcome.shown["id"],
                              "type": outcome.shown["type"], "lastrevid": outcome.lastrevid}
    return _edit_body(req, entity, outcome)


def handle_wbcontentlanguages(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    req.enum("wbclcontext", ("term", "monolingualtext"), "term")
    props = req.multi("wbclprop", ("code", "autonym", "name"), default=("code",))
    out: dict[str, Any] = {}
    names = dict(TERM_LANGUAGES)
    if repo.layout.mul:
        names[MUL] = MUL_AUTONYM
    for code in sorted(names):
        entry: dict[str, Any] = {}
        for prop in props:
            entry[prop] = code if prop == "code" else names[code]
        out[code] = entry
    return {"wbcontentlanguages": out}


def install(site: Site, layout: RepoLayout = METABASE_LAYOUT, *, concept_base_uri: str | None = None,
            repo: WikibaseRepo | None = None) -> WikibaseRepo:
    """Register the Wikibase modules on ``site`` and return its repository."""
    repo = repo or WikibaseRepo(site.wiki, layout)
    site.register_action("wbgetentities", lambda req: handle_wbgetentities(req, repo))
    for name, handler in (("wbeditentity", handle_wbeditentity),
                          ("wbsetlabel", lambda req, r: _handle_set_term(req, r, "labels")),
                          ("wbsetdescription", lambda req, r: _handle_set_term(req, r, "descriptions"))):
        site.register_action(name, (lambda h: lambda req: h(req, repo))(handler), must_post=True,
                             token="csrf", write=True)
    site.register_query("meta", "wbcontentlanguages", lambda req: handle_wbcontentlanguages(req, repo))
    base = concept_base_uri or f"{site.server}{site.base_path}/entity/"
    site.siteinfo_extra.setdefault("wikibase-conceptbaseuri", base)
    return repo


def install_metabase(site: Site) -> WikibaseRepo:
    """Metabase: items in ``Item:`` (120), properties in ``Property:`` (122), no ``mul``."""
    return install(site, RepoLayout(article_path=f"{site.base_path}/wiki/$1"))


# -- seeding ------------------------------------------------------------------------------------

#: The properties and class every capacity item uses, with Metabase's real ids and texts.
SCHEMA_PROPERTIES: tuple[tuple[str, str, str, str], ...] = (
    ("P1", "string", "Wikidata QID", "QID of the concept on Wikidata (index-term items)"),
    ("P5", "wikibase-item", "instance of", "class of which this item is an instance"),
    ("P67", "wikibase-item", "index term", "the index-term item of a capacity"),
    ("P91", "string", "skill id", "internal id of the capacity in the Capacity Exchange app"),
)
CAPACITY_CLASS = "Q34531"


@dataclass
class MetabaseSeed:
    """What :func:`seed_metabase` created: Wikidata QID -> capacity item / index-term item."""

    capacity_items: dict[str, str] = field(default_factory=dict)
    index_items: dict[str, str] = field(default_factory=dict)
    capacity_class: str = CAPACITY_CLASS


def seed_user(repo: WikibaseRepo, name: str = "Admin") -> User:
    """The maintenance account seed edits are recorded under (a bot: seeding is bot work)."""
    return repo.wiki.user(name) or repo.wiki.add_user(name, groups=("*", "user", "bot", "sysop"))


def _store_new(repo: WikibaseRepo, entity: wbe.Entity, user: User, summary: str) -> str:
    repo.save(entity, user=user, summary=summary, bot=True, create=True)
    return str(entity["id"])


def seed_metabase(repo: WikibaseRepo, capacities: Sequence[Any],
                  terms: Mapping[tuple[str, str, str], str], *, user: User | None = None,
                  codes: Mapping[str, str] | None = None) -> MetabaseSeed:
    """Create P1/P5/P67/P91, class Q34531, one index-term item per capacity (P1 = Wikidata
    QID) and one capacity item (P5 = Q34531, P67 = index term, P91 = code), with exactly the
    given ``terms``: ``{(wikidata_qid, "label"|"description", lang): text}``.

    ``capacities`` are :class:`capxl10n.model.Capacity` objects (or anything with ``qid`` and
    optional ``code``). Terms the wiki would refuse (unknown code, over 250 characters, label =
    description, a duplicate pair) are skipped with a log line, as a real import would fail
    them, so seeding never raises on sample quirks.
    """
    user = user or seed_user(repo)
    seed = MetabaseSeed()
    by_qid: dict[str, list[tuple[tuple[str, str, str], str]]] = {}
    for key, text in terms.items():
        by_qid.setdefault(key[0], []).append((key, text))
    with repo.wiki.lock:
        for pid, datatype, label, description in SCHEMA_PROPERTIES:
            if repo.get(pid) is None:
                prop = wbe.new_entity(pid, datatype=datatype)
                wbe.set_term(prop, "labels", "en", label)
                wbe.set_term(prop, "descriptions", "en", description)
                _store_new(repo, prop, user, "/* wbeditentity-create-property:0| */")
        if repo.get(CAPACITY_CLASS) is None:
            cls = wbe.new_entity(CAPACITY_CLASS)
            wbe.set_term(cls, "labels", "en", "capacity")
            wbe.set_term(cls, "descriptions", "en", "class of the capacities in the Capacity Exchange directory")
            wbe.set_term(cls, "labels", "pt-br", "capacidade")
            wbe.set_term(cls, "descriptions", "pt-br", "classe das capacidades do diretório Capacity Exchange")
            _store_new(repo, cls, user, "/* wbeditentity-create-item:0| */")
        for cap in capacities:
            qid = cap.qid
            index = wbe.new_entity(repo.next_id())
            wbe.add_statement(index, "P1", qid, "string")
            english = terms.get((qid, "label", "en"))
            if english:
                wbe.set_term(index, "labels", "en", english)
            seed.index_items[qid] = _store_new(repo, index, user, "/* wbeditentity-create-item:0| */")
            item = wbe.new_entity(repo.next_id())
            wbe.add_statement(item, "P5", CAPACITY_CLASS, "wikibase-item")
            wbe.add_statement(item, "P67", seed.index_items[qid], "wikibase-item")
            code = (codes or {}).get(qid) or getattr(cap, "code", None)
            if code:
                wbe.add_statement(item, "P91", str(code), "string")
            _fill_terms(repo, item, qid, sorted(by_qid.get(qid, [])))
            seed.capacity_items[qid] = _store_new(repo, item, user, "/* wbeditentity-create-item:0| */")
    return seed


def _fill_terms(repo: WikibaseRepo, item: wbe.Entity, qid: str,
                mine: Sequence[tuple[tuple[str, str, str], str]]) -> None:
    from capxl10n.sandbox.wbvalidate import check_length

    for (_qid, fld, lang), raw in mine:
        field_ = "labels" if fld == "label" else "descriptions"
        value, _warned = normalize_value(raw)
        if lang not in repo.languages or not value:
            log.info("seed: %s %s/%s not accepted by Metabase, skipped", qid, fld, lang)
            continue
        try:
            check_length(field_, value)
        except WikibaseError:
            log.info("seed: %s %s/%s too long for Metabase, skipped", qid, fld, lang)
            continue
        wbe.set_term(item, field_, lang, value)
    for lang in list(item["labels"]):
        label = wbe.term_value(item, "labels", lang)
        description = wbe.term_value(item, "descriptions", lang)
        if description is not None and (label == description or repo.holders_of(lang, label or "", description)):
            log.info("seed: %s %s description clashes (equal or duplicate pair), skipped", qid, lang)
            wbe.set_term(item, "descriptions", lang, None)


def concurrent_edit(repo: WikibaseRepo, rng: random.Random, *, user_name: str = "Peer2",
                    items: Collection[str] | None = None) -> tuple[str, str, str] | None:
    """Change one term of one capacity item as another user (the "concurrent editor" fault).

    Picks an item (from ``items`` or every item with claim P5) and one of its labels or
    descriptions, and appends a marker; returns ``(item, field, lang)`` or None when there
    is nothing to edit. Deterministic for a seeded ``rng``.
    """
    user = repo.wiki.user(user_name) or repo.wiki.add_user(user_name)
    with repo.wiki.lock:
        pool = sorted(items) if items is not None else [
            i for i in repo.entity_ids("item") if CAPACITY_CLASS in wbe.claim_values(repo.get(i)[0], "P5")]  # type: ignore[index]
        if not pool:
            return None
        entity_id = rng.choice(pool)
        found = repo.get(entity_id)
        if found is None:
            return None
        entity = found[0]
        candidates = sorted(wbe.terms_of(entity))
        if not candidates:
            return None
        field_, lang = rng.choice(candidates)
        old = wbe.terms_of(entity)[(field_, lang)]
        new = (old[:230] + f" (edit {rng.randrange(10_000)})").strip()
        module = "wbsetlabel" if field_ == "labels" else "wbsetdescription"
        try:
            edit_terms(repo, entity_id, [TermChange(field_, lang, new)], user=user,
                       summary=lambda base: summary_for_set(module, lang, old, new, ""))
        except WikibaseError as err:
            log.info("concurrent edit of %s %s/%s refused: %s", entity_id, field_, lang, err)
            return None
    return entity_id, "label" if field_ == "labels" else "description", lang


def entity_json(repo: WikibaseRepo, entity_id: str) -> str | None:
    """The stored JSON of an entity (for dumps and tests)."""
    found = repo.get(entity_id)
    return None if found is None else json.dumps(copy.deepcopy(found[0]), ensure_ascii=False)
