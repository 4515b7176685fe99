"""Filling a Wikibase repository: Metabase's schema and capacity items, and concurrent edits.

Why apart: seeding (and the "concurrent editor" fault, which edits as another user) writes
through the repository and the term edit like any client, but is no part of the API; the
seed's rules (what a real import would refuse is skipped with a log line) live here.
"""
from __future__ import annotations

import copy
import json
import logging
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capxl10n.sandbox.store.wiki import User
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.edit import TermChange, summary_for_set
from capxl10n.sandbox.wikibase.repo import WikibaseRepo
from capxl10n.sandbox.wikibase.terms import edit_entity
from capxl10n.sandbox.wikibase.validate import WikibaseError, normalize_value

log = logging.getLogger(__name__)

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

    ``capacities`` are :class:`capxl10n.core.model.Capacity` objects (or anything with ``qid`` and
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
    from capxl10n.sandbox.wikibase.validate import check_length

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
            edit_entity(repo, entity_id, [TermChange(field_, lang, new)], user=user,
                        summary=lambda _base, _wanted: summary_for_set(module, lang, old, new, ""))
        except WikibaseError as err:
            log.info("concurrent edit of %s %s/%s refused: %s", entity_id, field_, lang, err)
            return None
    return entity_id, "label" if field_ == "labels" else "description", lang


def entity_json(repo: WikibaseRepo, entity_id: str) -> str | None:
    """The stored JSON of an entity (for dumps and tests)."""
    found = repo.get(entity_id)
    return None if found is None else json.dumps(copy.deepcopy(found[0]), ensure_ascii=False)
