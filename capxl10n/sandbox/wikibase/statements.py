"""Statements as Wikibase REL1_39 reads, checks, hashes and stores them (pure).

Why apart: ``wbeditentity``'s ``claims``, ``wbcreateclaim``, ``wbsetclaim`` and seeding all
turn a client's statement JSON into the storage form the same way, with the refusals the
real repository gives (checked on the peer): an unknown property is
``wikibase-validator-no-such-property``, a value of the wrong type
``wikibase-validator-bad-value-type``, an item that does not exist
``wikibase-validator-no-such-entity``, a string or external id over 400 characters and a URL over
500 ``wikibase-validator-too-long``, a URL without a scheme
``wikibase-validator-url-scheme-missing`` (all ``modification-failed``).

The datatypes Metabase's capacity directory uses are implemented: ``wikibase-item``,
``wikibase-property``, ``string``, ``external-id`` and ``url``; every snak type (``value``,
``somevalue``, ``novalue``), ranks, qualifiers and references. Other datatypes (time,
quantity, monolingual text, coordinates, media…) are refused as ``sandbox-unsupported``:
never stored unchecked.

Hashes are the real ones: ``sha1`` of the pre-PHP-7.4 serialisation DataModel hashes
(``SnakObject::getSerializationForHash``); a reference's hash is ``sha1`` of its snaks'
hashes, sorted and joined by ``|`` (``MapValueHasher``). GUIDs are ``Q1$`` plus an upper-case
UUID v4, as ``GuidGenerator`` makes them.
"""
from __future__ import annotations

import copy
import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from capxl10n.sandbox.wikibase.validate import Message, WikibaseError, normalize_value, truncate_param

#: Datatypes whose values the sandbox checks and stores, with their value type and length limit.
DATATYPES: Final = {"wikibase-item": ("wikibase-entityid", None), "wikibase-property": ("wikibase-entityid", None),
                    "string": ("string", 400), "external-id": ("string", 400), "url": ("string", 500)}
#: Datatypes a real repository has that the sandbox does not implement (creating such a property is refused).
KNOWN_DATATYPES: Final = frozenset({*DATATYPES, "commonsMedia", "globe-coordinate", "monolingualtext", "quantity",
                                    "time", "tabular-data", "geo-shape", "math", "musical-notation",
                                    "wikibase-lexeme", "wikibase-form", "wikibase-sense", "entity-schema"})
#: Wikibase's default URL schemes ($wgUrlProtocols' subset the url datatype accepts).
URL_SCHEMES: Final = ("bzr", "cvs", "ftp", "git", "http", "https", "irc", "mailto", "ssh", "svn")
RANKS: Final = ("deprecated", "normal", "preferred")
SNAK_TYPES: Final = ("value", "somevalue", "novalue")
GUID_RE: Final = re.compile(r"^([QP][1-9][0-9]*)\$([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})$",
                            re.IGNORECASE)
_SNAK_CLASS = {"value": "Wikibase\\DataModel\\Snak\\PropertyValueSnak",
               "somevalue": "Wikibase\\DataModel\\Snak\\PropertySomeValueSnak",
               "novalue": "Wikibase\\DataModel\\Snak\\PropertyNoValueSnak"}
_ID_CLASS = {"Q": "Wikibase\\DataModel\\Entity\\ItemId", "P": "Wikibase\\DataModel\\Entity\\NumericPropertyId"}

Statement = dict[str, Any]
#: ``(property id) -> datatype`` or None when there is no such property
DatatypeOf = Callable[[str], str | None]
#: ``(entity id) -> whether it exists``
Exists = Callable[[str], bool]


def _php_object(cls: str, data: str) -> str:
    """PHP's old ``C:`` serialisation of a Serializable object (lengths in bytes)."""
    return f'C:{len(cls)}:"{cls}":{len(data.encode("utf-8"))}:{{{data}}}'


def snak_hash(snak: Mapping[str, Any]) -> str:
    """The hash Wikibase gives a snak (the real one: ``f6075d…`` for P5 = Q34531).

    >>> snak_hash({"snaktype": "value", "property": "P91", "datavalue": {"value": "s1", "type": "string"}})
    'c0d033401444f0c48656bbfc503e430b92022a7f'
    >>> snak_hash({"snaktype": "novalue", "property": "P5"})
    '6ee46c6e25606f949a870c84ae6694be8b5d4a02'
    """
    prop = str(snak["property"])
    kind = str(snak.get("snaktype", "value"))
    if kind != "value":
        return hashlib.sha1(_php_object(_SNAK_CLASS[kind], prop).encode("utf-8")).hexdigest()
    datavalue = snak["datavalue"]
    if datavalue["type"] == "wikibase-entityid":
        target = str(datavalue["value"]["id"])
        value = _php_object("Wikibase\\DataModel\\Entity\\EntityIdValue", _php_object(_ID_CLASS[target[0]], target))
    else:
        value = _php_object("DataValues\\StringValue", str(datavalue["value"]))
    inner = f'a:2:{{i:0;s:{len(prop)}:"{prop}";i:1;{value}}}'
    return hashlib.sha1(_php_object(_SNAK_CLASS["value"], inner).encode("utf-8")).hexdigest()


def reference_hash(reference: Mapping[str, Any]) -> str:
    """A reference's hash: its snaks' hashes, sorted, joined by ``|``, hashed again."""
    hashes = sorted(snak_hash(snak) for snaks in reference.get("snaks", {}).values() for snak in snaks)
    return hashlib.sha1("|".join(hashes).encode("utf-8")).hexdigest()


def new_guid(subject: str) -> str:
    return f"{subject}${str(uuid.uuid4()).upper()}"


def _modification_failed(name: str, text: str, *params: str, html: str | None = None) -> WikibaseError:
    return WikibaseError("modification-failed", text, [Message(name, params, html if html is not None else text)])


def invalid_claim(detail: str = "Failed to get claim from claim Serialization") -> WikibaseError:
    return WikibaseError("invalid-claim", detail, [Message("wikibase-api-invalid-claim", (detail,), detail)])


def modification_failed(detail: str) -> WikibaseError:
    """``wikibase-api-modification-failed`` with the ChangeOp's own text (e.g. an unknown statement GUID)."""
    return WikibaseError("modification-failed", detail, [Message("wikibase-api-modification-failed", (detail,),
                                                                  detail)])


def invalid_snak() -> WikibaseError:
    return WikibaseError("invalid-snak", "Invalid snak data.", [Message("wikibase-api-invalid-snak", (), "Invalid "
                                                                                                       "snak data.")])


def invalid_guid() -> WikibaseError:
    return WikibaseError("invalid-guid", "Invalid claim guid.", [Message("wikibase-api-invalid-guid", (),
                                                                          "Invalid claim guid.")])


def unsupported_datatype(datatype: str) -> WikibaseError:
    """A datatype the sandbox does not implement: refused, never stored unchecked."""
    text = f"The sandbox does not implement values of the datatype {datatype} (docs/sandbox-differences.md)."
    return WikibaseError("sandbox-unsupported", text, [Message("sandbox-unsupported", (datatype,), text)])


def _link(kind: str, entity_id: str) -> str:
    return f"[[{kind}:{entity_id}|{entity_id}]]"


def parse_snak(raw: Any, *, datatype_of: DatatypeOf, exists: Exists,
               namespaces: Mapping[str, str]) -> dict[str, Any]:
    """A client's snak in storage form (no ``datatype``, the real ``hash``), or the real refusal."""
    if not isinstance(raw, Mapping):
        raise invalid_snak()
    kind = raw.get("snaktype")
    prop = raw.get("property")
    if kind not in SNAK_TYPES or not isinstance(prop, str) or not re.fullmatch(r"P[1-9][0-9]*", prop.upper()):
        raise invalid_snak()
    prop = prop.upper()
    datatype = datatype_of(prop)
    if datatype is None or not exists(prop):
        link = _link(namespaces["P"], prop)
        raise _modification_failed("wikibase-validator-no-such-property", f"Property {link} not found", link)
    snak: dict[str, Any] = {"snaktype": kind, "property": prop}
    if kind == "value":
        if "datavalue" not in raw:
            raise invalid_claim('Attribute "datavalue" is missing')
        snak["datavalue"] = _datavalue(raw.get("datavalue"), datatype, exists=exists, namespaces=namespaces)
    elif datatype not in DATATYPES:
        raise unsupported_datatype(datatype)
    snak["hash"] = snak_hash(snak)
    ordered = {"snaktype": snak["snaktype"], "property": prop, "hash": snak["hash"]}
    if "datavalue" in snak:
        ordered["datavalue"] = snak["datavalue"]
    return ordered


def _datavalue(raw: Any, datatype: str, *, exists: Exists, namespaces: Mapping[str, str]) -> dict[str, Any]:
    if datatype not in DATATYPES:
        raise unsupported_datatype(datatype)
    if not isinstance(raw, Mapping) or "value" not in raw or not isinstance(raw.get("type"), str):
        raise invalid_snak()
    expected, limit = DATATYPES[datatype]
    if raw["type"] != expected:
        text = f"Bad value type {raw['type']}, expected {expected}"
        raise _modification_failed("wikibase-validator-bad-value-type", text, raw["type"], expected)
    value = raw["value"]
    if expected == "wikibase-entityid":
        target = _entity_id_of(value, "P" if datatype == "wikibase-property" else "Q")
        if target is None:
            raise invalid_snak()
        if not exists(target):
            link = _link(namespaces[target[0]], target)
            raise _modification_failed("wikibase-validator-no-such-entity", f"{link} not found", link)
        kind = "property" if target[0] == "P" else "item"
        return {"value": {"entity-type": kind, "numeric-id": int(target[1:]), "id": target},
                "type": "wikibase-entityid"}
    if not isinstance(value, str):
        raise invalid_snak()
    text, _warned = normalize_value(value)
    if not text:
        raise _modification_failed("wikibase-validator-too-short", "Must be at least one character long", "1", "")
    if limit is not None and len(text) > limit:
        raise _modification_failed("wikibase-validator-too-long", f"Must be no more than {limit} characters long",
                                   str(limit), truncate_param(text))
    if datatype == "url":
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", text)
        if scheme is None:
            raise _modification_failed("wikibase-validator-url-scheme-missing",
                                       f'This URL misses a scheme like "https://": {text}', text)
        if scheme.group(1).lower() not in URL_SCHEMES:
            raise _modification_failed("wikibase-validator-bad-url-scheme",
                                       f"Unsupported URL scheme: {scheme.group(1)}", scheme.group(1))
    return {"value": text, "type": "string"}


def _entity_id_of(value: Any, letter: str) -> str | None:
    """``{"entity-type", "numeric-id"}`` or ``{"id"}`` (or both, agreeing) as an entity id."""
    if not isinstance(value, Mapping):
        return None
    if isinstance(value.get("id"), str):
        found = value["id"].strip().upper()
        if re.fullmatch(rf"{letter}[1-9][0-9]*", found):
            return str(found)
        return None
    numeric = value.get("numeric-id")
    if isinstance(numeric, int) and not isinstance(numeric, bool) and numeric > 0:
        kind = value.get("entity-type", "item" if letter == "Q" else "property")
        if (kind == "item") == (letter == "Q"):
            return f"{letter}{numeric}"
    return None


def _snak_lists(raw: Any, order: Any, *, parse: Callable[[Any], dict[str, Any]]) -> tuple[dict[str, list[Any]],
                                                                                           list[str]]:
    """Qualifiers or a reference's snaks: ``{P: [snak…]}`` (a plain list is accepted too) and their order."""
    grouped: dict[str, list[Any]] = {}
    items: list[Any]
    if isinstance(raw, Mapping):
        items = [snak for snaks in raw.values() for snak in (snaks if isinstance(snaks, list) else [snaks])]
    elif isinstance(raw, list):
        items = raw
    else:
        raise invalid_claim()
    for item in items:
        snak = parse(item)
        grouped.setdefault(snak["property"], []).append(snak)
    wanted = [p for p in (order if isinstance(order, list) else []) if p in grouped]
    return grouped, wanted + [p for p in grouped if p not in wanted]


def parse_statement(raw: Any, subject: str, *, datatype_of: DatatypeOf, exists: Exists,
                    namespaces: Mapping[str, str], need_guid: bool = False) -> Statement:
    """A client's statement in storage form (a new GUID when it has none, unless ``need_guid``)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("mainsnak"), Mapping):
        raise invalid_claim()
    if raw.get("type", "statement") not in ("statement", "claim"):
        raise invalid_claim()
    rank = raw.get("rank", "normal")
    if rank not in RANKS:
        raise invalid_claim(f"The rank {rank} is not a valid rank.")

    def parse(snak: Any) -> dict[str, Any]:
        return parse_snak(snak, datatype_of=datatype_of, exists=exists, namespaces=namespaces)

    guid = raw.get("id")
    if guid is None:
        if need_guid:
            raise invalid_claim("GUID must be set when setting a claim")
        guid = new_guid(subject)
    else:
        match = GUID_RE.match(guid) if isinstance(guid, str) else None
        if match is None:
            raise invalid_guid()
        if match.group(1).upper() != subject:
            raise modification_failed("Statement GUID invalid for given entity")
    statement: Statement = {"mainsnak": parse(raw["mainsnak"]), "type": "statement"}
    qualifiers = raw.get("qualifiers")
    if qualifiers:
        grouped, order = _snak_lists(qualifiers, raw.get("qualifiers-order"), parse=parse)
        statement["qualifiers"] = grouped
        statement["qualifiers-order"] = order
    statement["id"] = guid
    statement["rank"] = rank
    references = raw.get("references")
    if references:
        if not isinstance(references, list):
            raise invalid_claim()
        statement["references"] = [parse_reference(ref, parse) for ref in references]
    return statement


def parse_reference(raw: Any, parse: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise invalid_claim()
    grouped, order = _snak_lists(raw.get("snaks") or {}, raw.get("snaks-order"), parse=parse)
    reference = {"snaks": grouped, "snaks-order": order}
    return {"hash": reference_hash(reference), **reference}


def output_statement(statement: Mapping[str, Any], datatype_of: DatatypeOf) -> Statement:
    """A stored statement as the API shows it: every snak gains its property's ``datatype``."""
    out = copy.deepcopy(dict(statement))

    def typed(snak: dict[str, Any]) -> None:
        datatype = datatype_of(snak.get("property", ""))
        if datatype and "datatype" not in snak:
            snak["datatype"] = datatype

    typed(out.get("mainsnak", {}))
    for snaks in (out.get("qualifiers") or {}).values():
        for snak in snaks:
            typed(snak)
    for reference in out.get("references") or []:
        for snaks in (reference.get("snaks") or {}).values():
            for snak in snaks:
                typed(snak)
    return out


def summary_value(snak: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """How an autosummary shows a main snak: ``[[Property:P5]]: [[Item:Q1]]``, ``…: text``, ``…: no value``."""
    prop = f"[[{namespaces['P']}:{snak.get('property')}]]"
    kind = snak.get("snaktype")
    if kind == "novalue":
        return f"{prop}: no value"
    if kind == "somevalue":
        return f"{prop}: unknown value"
    value = snak.get("datavalue", {}).get("value")
    if isinstance(value, Mapping):
        target = str(value.get("id"))
        return f"{prop}: [[{namespaces[target[0]]}:{target}]]"
    return f"{prop}: {value}"


def find_statement(entity: Mapping[str, Any], guid: str) -> Statement | None:
    for statements in (entity.get("claims") or {}).values():
        for statement in statements:
            if str(statement.get("id", "")).upper() == guid.upper():
                return dict(statement)
    return None
