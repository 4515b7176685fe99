"""Wikibase entities as the sandbox stores and shows them (pure: no I/O, no HTTP).

An entity lives as the JSON content of a wiki page (``Item:Q123`` in namespace 120 on
Metabase, ``Q123`` in the main namespace on Wikidata), exactly in the *storage* form a
REL1_39 repository writes (``wikibase-responses/revisions-item.json``): ``aliases`` and
``sitelinks`` as ``[]`` when empty, main snaks without ``datatype``. The API shows the
*output* form: empty maps as ``{}`` and every main snak with its property's datatype. This
module converts between the two, builds statements in the real shape, and renders
``wbgetentities`` answers (``props``, ``languages``, ``languagefallback``), so the HTTP
handlers in :mod:`capxl10n.sandbox.wikibase.api` stay thin.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from capxl10n.core import langs
from capxl10n.errors import UnknownLanguage
from capxl10n.sandbox.wikibase.statements import find_statement, output_statement, snak_hash

ENTITY_ID_RE: Final = re.compile(r"^([QP])([1-9][0-9]{0,9})$", re.IGNORECASE)
TERM_FIELDS: Final = ("labels", "descriptions")
#: ``props`` values of wbgetentities, in the order Wikibase documents them.
ALL_PROPS: Final = ("info", "sitelinks", "sitelinks/urls", "aliases", "labels", "descriptions",
                    "claims", "datatype")
DEFAULT_PROPS: Final = ("info", "sitelinks", "aliases", "labels", "descriptions", "claims", "datatype")
#: Datatypes of the Metabase properties the capacity directory uses.
BUILTIN_DATATYPES: Final = {"P1": "string", "P5": "wikibase-item", "P67": "wikibase-item",
                            "P91": "string"}

Entity = dict[str, Any]


def normalize_id(raw: str) -> str | None:
    """``q34537`` -> ``Q34537``; None when it is not an item or property id at all.

    >>> normalize_id(" q42"), normalize_id("X1"), normalize_id("Q0")
    ('Q42', None, None)
    """
    match = ENTITY_ID_RE.match(raw.strip())
    return f"{match.group(1).upper()}{match.group(2)}" if match else None


def entity_type(entity_id: str) -> str:
    return "property" if entity_id.startswith("P") else "item"


def new_entity(entity_id: str, *, datatype: str | None = None) -> Entity:
    """An empty entity in storage form (a property needs its datatype)."""
    entity: Entity = {"type": entity_type(entity_id)}
    if entity["type"] == "property":
        entity["datatype"] = datatype or "string"
    entity.update({"id": entity_id, "labels": {}, "descriptions": {}, "aliases": [], "claims": {},
                   "sitelinks": []})
    return entity


def to_storage_json(entity: Entity) -> str:
    """Page content as Wikibase writes it: compact, ASCII-escaped, empty maps as ``[]``."""
    stored = dict(entity)
    for key in ("labels", "descriptions", "aliases", "claims", "sitelinks"):
        if key in stored and not stored[key]:
            stored[key] = [] if key in ("aliases", "sitelinks") else {}
    return json.dumps(stored, separators=(",", ":"), ensure_ascii=True)


def from_storage_json(text: str) -> Entity:
    """Parse page content; ``[]`` maps (PHP's empty arrays) become ``{}``."""
    entity: Entity = json.loads(text)
    for key in ("labels", "descriptions", "aliases", "claims", "sitelinks"):
        if isinstance(entity.get(key), list) and not entity[key]:
            entity[key] = {}
        entity.setdefault(key, {})
    return entity


def term_value(entity: Entity, field: str, lang: str) -> str | None:
    term = entity.get(field, {}).get(lang)
    return term.get("value") if isinstance(term, dict) else None


def set_term(entity: Entity, field: str, lang: str, value: str | None) -> None:
    """Set (or with None remove) one label/description, in place; new languages go last."""
    terms = entity.setdefault(field, {})
    if value is None:
        terms.pop(lang, None)
    else:
        terms[lang] = {"language": lang, "value": value}


def terms_of(entity: Entity) -> dict[tuple[str, str], str]:
    """Every term as ``{(field, lang): value}``."""
    return {(field, lang): term["value"] for field in TERM_FIELDS
            for lang, term in entity.get(field, {}).items() if isinstance(term, dict) and "value" in term}


def changed_terms(before: Entity, after: Entity) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """``{(field, lang): (old, new)}`` for every term that differs between two entities."""
    old, new = terms_of(before), terms_of(after)
    return {key: (old.get(key), new.get(key)) for key in sorted(old.keys() | new.keys())
            if old.get(key) != new.get(key)}


def aliases_of(entity: Entity, lang: str) -> list[str]:
    return [a["value"] for a in (entity.get("aliases") or {}).get(lang, []) if isinstance(a, dict) and "value" in a]


def set_aliases(entity: Entity, lang: str, values: Sequence[str]) -> None:
    """Replace one language's aliases (duplicates dropped, first kept; none removes the language)."""
    aliases = entity.get("aliases")
    if not isinstance(aliases, dict):  # a new entity's storage form has [] for "no aliases"
        aliases = entity["aliases"] = {}
    unique = list(dict.fromkeys(values))
    if unique:
        aliases[lang] = [{"language": lang, "value": v} for v in unique]
    else:
        aliases.pop(lang, None)


def aspects(entity: Entity) -> dict[tuple[str, str], Any]:
    """Every part a patch works on: ``(labels|descriptions, lang)`` → text, ``(aliases, lang)`` → tuple of
    texts, ``(claims, guid)`` → the statement as stored (canonical JSON)."""
    out: dict[tuple[str, str], Any] = dict(terms_of(entity))
    for lang in (entity.get("aliases") or {}):
        values = aliases_of(entity, lang)
        if values:
            out[("aliases", lang)] = tuple(values)
    for statements in (entity.get("claims") or {}).values():
        for statement in statements:
            out[("claims", str(statement.get("id")))] = json.dumps(statement, sort_keys=True)
    return out


def changed_aspects(before: Entity, after: Entity) -> dict[tuple[str, str], tuple[Any, Any]]:
    """``{aspect: (old, new)}`` for every label, description, language's aliases and statement that differs."""
    old, new = aspects(before), aspects(after)
    return {key: (old.get(key), new.get(key)) for key in sorted(old.keys() | new.keys())
            if old.get(key) != new.get(key)}


def set_aspect(entity: Entity, key: tuple[str, str], value: Any) -> None:
    """Write one aspect (None removes it): what :func:`changed_aspects` reported, onto another revision."""
    kind, name = key
    if kind in TERM_FIELDS:
        set_term(entity, kind, name, value)
    elif kind == "aliases":
        set_aliases(entity, name, list(value or ()))
    else:
        set_statement(entity, name, json.loads(value) if value is not None else None)


def set_statement(entity: Entity, guid: str, statement: Mapping[str, Any] | None) -> None:
    """Replace (in place), add (last of its property) or, with None, remove the statement ``guid``."""
    claims = entity.setdefault("claims", {})
    for prop, statements in list(claims.items()):
        for position, current in enumerate(statements):
            if str(current.get("id", "")).upper() == guid.upper():
                if statement is None:
                    del statements[position]
                    if not statements:
                        del claims[prop]
                elif statement["mainsnak"]["property"] == prop:
                    statements[position] = dict(statement)
                else:
                    del statements[position]
                    if not statements:
                        del claims[prop]
                    claims.setdefault(statement["mainsnak"]["property"], []).append(dict(statement))
                return
    if statement is not None:
        claims.setdefault(statement["mainsnak"]["property"], []).append(dict(statement))


def statement_of(entity: Entity, guid: str) -> dict[str, Any] | None:
    return find_statement(entity, guid)


# --- statements -----------------------------------------------------------------------------


def _guid(subject: str, prop: str, value: Any) -> str:
    """A deterministic statement GUID in Wikibase's ``Q1$UPPER-UUID`` form (seeded reruns agree)."""
    digest = hashlib.md5(f"{subject}|{prop}|{value}".encode()).hexdigest()
    return f"{subject}${str(uuid.UUID(digest)).upper()}"


def statement(subject: str, prop: str, value: str, datatype: str) -> dict[str, Any]:
    """One normal-rank statement in storage form: an item link or a plain string."""
    if datatype == "wikibase-item":
        target = normalize_id(value)
        if target is None or not target.startswith("Q"):
            raise ValueError(f"{prop}: not an item id: {value!r}")
        datavalue: dict[str, Any] = {"value": {"entity-type": "item", "numeric-id": int(target[1:]),
                                               "id": target}, "type": "wikibase-entityid"}
    else:
        datavalue = {"value": value, "type": "string"}
    snak = {"snaktype": "value", "property": prop, "datavalue": datavalue}
    return {"mainsnak": {"snaktype": "value", "property": prop, "hash": snak_hash(snak), "datavalue": datavalue},
            "type": "statement", "id": _guid(subject, prop, value), "rank": "normal"}


def add_statement(entity: Entity, prop: str, value: str, datatype: str) -> None:
    entity.setdefault("claims", {}).setdefault(prop, []).append(
        statement(entity["id"], prop, value, datatype))


def claim_values(entity: Entity, prop: str) -> list[str]:
    """Best-rank values of ``prop`` (item ids or strings), deprecated ones left out."""
    out: list[str] = []
    for claim in entity.get("claims", {}).get(prop, []):
        if claim.get("rank") == "deprecated":
            continue
        value = claim.get("mainsnak", {}).get("datavalue", {}).get("value")
        if isinstance(value, dict) and "id" in value:
            out.append(value["id"])
        elif isinstance(value, str):
            out.append(value)
    return out


def linked_entities(entity: Entity) -> list[str]:
    """Ids of every entity this one points at (what ``list=backlinks`` indexes): properties used
    and item values, as Wikibase records page links for them."""
    links: list[str] = []
    for prop, claims in entity.get("claims", {}).items():
        links.append(prop)
        for claim in claims:
            value = claim.get("mainsnak", {}).get("datavalue", {}).get("value")
            if isinstance(value, dict) and "id" in value:
                links.append(value["id"])
    return list(dict.fromkeys(links))


# --- output ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageInfo:
    """What ``props=info`` adds: the page holding the entity and its latest revision."""

    pageid: int
    ns: int
    title: str
    lastrevid: int
    modified: str


def output_claims(claims: Mapping[str, Any], datatype_of: Callable[[str], str | None]) -> dict[str, Any]:
    """Claims as the API shows them: each snak (main, qualifiers, references) gains its property's ``datatype``."""
    return {prop: [output_statement(claim, datatype_of) for claim in statements] for prop, statements in claims.items()}


def full_output(entity: Entity, datatype_of: Callable[[str], str | None], lastrevid: int) -> dict[str, Any]:
    """The whole entity as wbeditentity answers it (every part present, ``lastrevid`` last)."""
    out: dict[str, Any] = {"type": entity["type"]}
    if entity["type"] == "property":
        out["datatype"] = entity.get("datatype", "string")
    out["id"] = entity["id"]
    out["labels"] = copy.deepcopy(entity.get("labels") or {})
    out["descriptions"] = copy.deepcopy(entity.get("descriptions") or {})
    out["aliases"] = copy.deepcopy(entity.get("aliases") or {})
    out["claims"] = output_claims(entity.get("claims") or {}, datatype_of)
    if entity["type"] == "item":
        out["sitelinks"] = copy.deepcopy(entity.get("sitelinks") or {})
    out["lastrevid"] = lastrevid
    return out


def render_terms(terms: Mapping[str, Any], languages: Sequence[str] | None,
                 chain_of: Callable[[str], Sequence[str]] | None) -> dict[str, Any]:
    """One term map (labels or descriptions) filtered to ``languages``, with fallbacks.

    A language the entity lacks is filled from the first language of its fallback chain that
    it has, as ``{"value", "language": <used>, "for-language": <asked>}`` (the recorded key
    order); languages with nothing to fall back on are left out.

    >>> render_terms({"en": {"language": "en", "value": "x"}}, ["en", "es"], lambda l: [l, "en"])
    {'en': {'language': 'en', 'value': 'x'}, 'es': {'value': 'x', 'language': 'en', 'for-language': 'es'}}
    """
    if languages is None:
        return copy.deepcopy(dict(terms))
    out: dict[str, Any] = {}
    for lang in languages:
        if lang in terms:
            out[lang] = dict(terms[lang])
        elif chain_of is not None:
            for candidate in chain_of(lang):
                if candidate != lang and candidate in terms:
                    out[lang] = {"value": terms[candidate]["value"], "language": candidate,
                                 "for-language": lang}
                    break
    return out


def render_entity(entity: Entity, info: PageInfo | None, props: Iterable[str], *,
                  languages: Sequence[str] | None = None,
                  chain_of: Callable[[str], Sequence[str]] | None = None,
                  datatype_of: Callable[[str], str | None] = BUILTIN_DATATYPES.get) -> dict[str, Any]:
    """One entity of a ``wbgetentities`` answer, keys in the order REL1_39 writes them."""
    wanted = set(props)
    out: dict[str, Any] = {}
    if "info" in wanted and info is not None:
        out.update(pageid=info.pageid, ns=info.ns, title=info.title, lastrevid=info.lastrevid,
                   modified=info.modified)
    out["type"] = entity["type"]
    if entity["type"] == "property" and ("datatype" in wanted or "info" in wanted):
        out["datatype"] = entity.get("datatype", "string")
    out["id"] = entity["id"]
    if "labels" in wanted:
        out["labels"] = render_terms(entity.get("labels") or {}, languages, chain_of)
    if "descriptions" in wanted:
        out["descriptions"] = render_terms(entity.get("descriptions") or {}, languages, chain_of)
    if "aliases" in wanted:
        aliases = entity.get("aliases") or {}
        out["aliases"] = ({k: v for k, v in aliases.items() if k in languages} if languages is not None
                          else copy.deepcopy(dict(aliases)))
    if "claims" in wanted:
        out["claims"] = output_claims(entity.get("claims") or {}, datatype_of)
    if ("sitelinks" in wanted or "sitelinks/urls" in wanted) and entity["type"] == "item":
        out["sitelinks"] = copy.deepcopy(entity.get("sitelinks") or {})
    return out


# --- language fallback ----------------------------------------------------------------------

def fallback_chain(lang: str, *, mul: bool = False) -> tuple[str, ...]:
    """``(lang, *MediaWiki fallbacks, ['mul',] 'en')`` without duplicates."""
    chain: list[str] = [lang]
    try:  # MediaWiki's fallback chains, from the project's language table
        chain.extend(langs.fallback_chain(lang))
    except UnknownLanguage:  # a code MediaWiki does not know has no fallbacks
        pass
    chain = [c for c in chain if c != "en" or lang == "en"]
    if mul:
        chain.append("mul")
    chain.append("en")
    return tuple(dict.fromkeys(chain))
