"""Metabase's query service on the sandbox: a real SPARQL engine over RDF of the items, lagging.

Why a real engine (pyoxigraph) and not canned answers: clients send the app's own queries
(``wdt:P5 wd:Q34531``, ``wdt:P67/wdt:P1``, ``VALUES``, ``LANG()``, ``OPTIONAL``), and the
answers must be what a query service computes, in SPARQL 1.1 JSON results with the stored
term codes as language tags (``"xml:lang": "pt-br"``).

The RDF follows the Wikidata Query Service munging, under the repository's **concept URI**
(``conceptBaseUri``; the real Metabase's ``https://metabase.wikibase.cloud/entity/`` by default,
whatever host the sandbox listens on, so a client that hard-codes production IRIs gets the same
answers as from production): every entity is ``<{concept}Q1>`` with ``rdfs:label`` per label
(``skos:prefLabel`` and ``schema:name`` copies with ``label_aliases=True``: they triple the store,
so they are off by default), ``skos:altLabel`` per alias, ``schema:description``, ``wdt:Pn`` for
best-rank values (items and URLs as IRIs, strings and external ids as plain literals, ``somevalue``
as a ``.well-known/genid`` IRI, ``novalue`` as ``a wdno:Pn``), the full statements
(``p:Pn`` → ``wds:`` node with ``ps:``, ``pq:``, ``wikibase:rank``, ``wikibase:BestRank`` and
``prov:wasDerivedFrom`` → ``wdref:`` nodes with ``pr:``), ``schema:version`` (lastrevid) and
``schema:dateModified``. The usual prefixes (``wd:``, ``wdt:``, ``p:``, ``ps:``, ``pq:``, ``pr:``,
``wds:``, ``wdref:``, ``wdno:``, ``rdfs:``, ``schema:``, ``skos:``, ``wikibase:``, ``prov:``,
``xsd:``…) are predeclared, as on WDQS.

Lag: the real service applies edits seconds to minutes late (and can stall). Each entity's
triples live in their own named graph, so an update replaces one graph (incremental: no
rebuild per edit). An edit becomes visible ``lag_seconds`` after it was made (by the
injectable ``clock``) or once ``lag_edits`` later edits exist, whichever comes first; with
both at 0 it is visible at once; ``paused`` stalls the updater. The anti-bot HTML page is a
fault: :func:`antibot_response` is what the fault module serves instead of results.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import pyoxigraph as ox
from werkzeug.wrappers import Request, Response

from capxl10n.sandbox.wikibase import entity as wbe

log = logging.getLogger(__name__)

RDFS_LABEL: Final = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_PREF: Final = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
SCHEMA_NAME: Final = ox.NamedNode("http://schema.org/name")
SCHEMA_DESC: Final = ox.NamedNode("http://schema.org/description")
SCHEMA_VERSION: Final = ox.NamedNode("http://schema.org/version")
SCHEMA_MODIFIED: Final = ox.NamedNode("http://schema.org/dateModified")
SKOS_ALT: Final = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
PROV_DERIVED: Final = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
RDF_TYPE: Final = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER: Final = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
XSD_DATETIME: Final = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
WIKIBASE: Final = "http://wikiba.se/ontology#"
WIKIBASE_RANK: Final = ox.NamedNode(WIKIBASE + "rank")
RANK_NODES: Final = {"preferred": ox.NamedNode(WIKIBASE + "PreferredRank"),
                     "normal": ox.NamedNode(WIKIBASE + "NormalRank"),
                     "deprecated": ox.NamedNode(WIKIBASE + "DeprecatedRank")}
#: Datatypes whose values WDQS writes as IRIs (not literals).
IRI_DATATYPES: Final = frozenset({"url", "wikibase-item", "wikibase-property"})

JSON_TYPE: Final = "application/sparql-results+json;charset=utf-8"
FORMATS: Final = {
    "json": (ox.QueryResultsFormat.JSON, JSON_TYPE),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml;charset=utf-8"),
    "csv": (ox.QueryResultsFormat.CSV, "text/csv;charset=utf-8"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values;charset=utf-8"),
}
ACCEPT_FORMATS: Final = (("application/sparql-results+json", "json"), ("application/json", "json"),
                         ("application/sparql-results+xml", "xml"), ("text/csv", "csv"),
                         ("text/tab-separated-values", "tsv"))
_PREFIX_RE = re.compile(r"PREFIX\s+([A-Za-z][\w-]*)?\s*:", re.IGNORECASE)


def root_of(concept_base: str) -> str:
    """The IRI root a Wikibase's RDF hangs off: ``https://x/`` for the concept URI ``https://x/entity/``."""
    return concept_base[: -len("entity/")] if concept_base.endswith("entity/") else concept_base


def default_prefixes(base: str) -> dict[str, str]:
    """The prefixes WDQS declares for every query, under this Metabase's IRI root (see :func:`root_of`)."""
    return {
        "wd": f"{base}entity/", "wdt": f"{base}prop/direct/", "p": f"{base}prop/",
        "ps": f"{base}prop/statement/", "pq": f"{base}prop/qualifier/", "pr": f"{base}prop/reference/",
        "wdno": f"{base}prop/novalue/", "wds": f"{base}entity/statement/", "wdref": f"{base}reference/",
        "wikibase": WIKIBASE, "prov": "http://www.w3.org/ns/prov#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "schema": "http://schema.org/", "skos": "http://www.w3.org/2004/02/skos/core#",
        "xsd": "http://www.w3.org/2001/XMLSchema#", "bd": "http://www.bigdata.com/rdf#",
    }


def _value_node(snak: dict[str, Any], base: str, datatype: str | None) -> ox.NamedNode | ox.Literal | None:
    """A snak's value as WDQS writes it: entities and URLs as IRIs, other strings as plain literals, an
    unknown value as a skolem IRI; None for ``novalue``."""
    kind = snak.get("snaktype", "value")
    if kind == "novalue":
        return None
    if kind == "somevalue":
        return ox.NamedNode(f"{base}.well-known/genid/{snak.get('hash', '0')}")
    value = snak.get("datavalue", {}).get("value")
    if isinstance(value, dict) and "id" in value:
        return ox.NamedNode(f"{base}entity/{value['id']}")
    if isinstance(value, str):
        if datatype == "url":
            try:
                return ox.NamedNode(value)
            except ValueError:
                return ox.Literal(value)
        return ox.Literal(value)
    return None


def entity_quads(entity: wbe.Entity, revid: int, timestamp: str, base: str, *,
                 label_aliases: bool = False,
                 datatype_of: Callable[[str], str | None] = wbe.BUILTIN_DATATYPES.get) -> list[ox.Quad]:
    """The munged RDF of one entity, in its own named graph, under the IRI root ``base`` (``label_aliases``
    adds ``skos:prefLabel``/``schema:name`` copies of each label, as WDQS has: 3× the label triples)."""
    label_preds = (RDFS_LABEL, SKOS_PREF, SCHEMA_NAME) if label_aliases else (RDFS_LABEL,)
    subject = ox.NamedNode(f"{base}entity/{entity['id']}")
    graph = subject
    quads = [
        ox.Quad(subject, RDF_TYPE, ox.NamedNode(WIKIBASE + ("Property" if entity["type"] == "property"
                                                              else "Item")), graph),
        ox.Quad(subject, SCHEMA_VERSION, ox.Literal(str(revid), datatype=XSD_INTEGER), graph),
        ox.Quad(subject, SCHEMA_MODIFIED, ox.Literal(timestamp, datatype=XSD_DATETIME), graph),
    ]
    for lang, term in (entity.get("labels") or {}).items():
        literal = ox.Literal(term["value"], language=lang)
        quads.extend(ox.Quad(subject, pred, literal, graph) for pred in label_preds)
    for lang, term in (entity.get("descriptions") or {}).items():
        quads.append(ox.Quad(subject, SCHEMA_DESC, ox.Literal(term["value"], language=lang), graph))
    for lang, aliases in (entity.get("aliases") or {}).items():
        for alias in aliases:
            quads.append(ox.Quad(subject, SKOS_ALT, ox.Literal(alias["value"], language=lang), graph))
    for prop, claims in (entity.get("claims") or {}).items():
        quads.extend(_statement_quads(subject, prop, claims, base, graph, datatype_of))
    return quads


def _statement_quads(subject: ox.NamedNode, prop: str, claims: list[dict[str, Any]], base: str, graph: ox.NamedNode,
                     datatype_of: Callable[[str], str | None]) -> list[ox.Quad]:
    """One property's statements: ``wdt:`` for the best rank (preferred, else normal; never deprecated) and the
    full ``p:``/``ps:``/``pq:``/``pr:`` statement and reference nodes."""
    quads: list[ox.Quad] = []
    ranks = {c.get("rank", "normal") for c in claims}
    best = "preferred" if "preferred" in ranks else "normal"
    direct = ox.NamedNode(f"{base}prop/direct/{prop}")
    for claim in claims:
        snak = claim.get("mainsnak", {})
        rank = claim.get("rank", "normal")
        value = _value_node(snak, base, datatype_of(prop))
        node = ox.NamedNode(f"{base}entity/statement/{str(claim.get('id', '')).replace('$', '-')}")
        quads.append(ox.Quad(subject, ox.NamedNode(f"{base}prop/{prop}"), node, graph))
        quads.append(ox.Quad(node, RDF_TYPE, ox.NamedNode(WIKIBASE + "Statement"), graph))
        quads.append(ox.Quad(node, WIKIBASE_RANK, RANK_NODES.get(rank, RANK_NODES["normal"]), graph))
        if rank == best:
            quads.append(ox.Quad(node, RDF_TYPE, ox.NamedNode(WIKIBASE + "BestRank"), graph))
            if value is not None:
                quads.append(ox.Quad(subject, direct, value, graph))
            else:
                quads.append(ox.Quad(subject, RDF_TYPE, ox.NamedNode(f"{base}prop/novalue/{prop}"), graph))
        if value is not None:
            quads.append(ox.Quad(node, ox.NamedNode(f"{base}prop/statement/{prop}"), value, graph))
        else:
            quads.append(ox.Quad(node, RDF_TYPE, ox.NamedNode(f"{base}prop/novalue/{prop}"), graph))
        for qprop, qualifiers in (claim.get("qualifiers") or {}).items():
            for qualifier in qualifiers:
                qvalue = _value_node(qualifier, base, datatype_of(qprop))
                if qvalue is not None:
                    quads.append(ox.Quad(node, ox.NamedNode(f"{base}prop/qualifier/{qprop}"), qvalue, graph))
        for reference in claim.get("references") or []:
            ref = ox.NamedNode(f"{base}reference/{reference.get('hash', '0')}")
            quads.append(ox.Quad(node, PROV_DERIVED, ref, graph))
            quads.append(ox.Quad(ref, RDF_TYPE, ox.NamedNode(WIKIBASE + "Reference"), graph))
            for rprop, snaks in (reference.get("snaks") or {}).items():
                for rsnak in snaks:
                    rvalue = _value_node(rsnak, base, datatype_of(rprop))
                    if rvalue is not None:
                        quads.append(ox.Quad(ref, ox.NamedNode(f"{base}prop/reference/{rprop}"), rvalue, graph))
    return quads


@dataclass
class _Pending:
    made: float
    seq: int
    entity_id: str
    entity: wbe.Entity
    revid: int
    timestamp: str


def antibot_response() -> Response:
    """What an anti-bot interstitial answers instead of results: HTML with status 200."""
    html = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
            "<h1>Checking your browser before accessing the query service</h1>"
            "<p>This process is automatic. Please enable JavaScript and cookies.</p></body></html>")
    return Response(html, status=200, content_type="text/html; charset=UTF-8")


class SparqlService:
    """The query service of one Wikibase: lagging RDF of its entities, answering SPARQL over HTTP.

    ``source()`` yields ``(entity_id, entity, revid, timestamp)`` for every current entity
    (read by :meth:`reload`); :meth:`notify` is the repository listener that queues edits.
    """

    def __init__(self, source: Callable[[], Iterable[tuple[str, wbe.Entity, int, str]]], *,
                 site_path: str = "/metabase", lag_seconds: float = 0.0, lag_edits: int = 0,
                 clock: Callable[[], float] = time.monotonic,
                 block: Callable[[Request], bool] | None = None, label_aliases: bool = False,
                 concept_base: str = "https://metabase.wikibase.cloud/entity/",
                 datatype_of: Callable[[str], str | None] = wbe.BUILTIN_DATATYPES.get) -> None:
        self.source = source
        self.label_aliases = label_aliases
        #: the repository's concept URI: every IRI the service answers with is under its root
        self.base = root_of(concept_base)
        self.datatype_of = datatype_of
        self.site_path = site_path.rstrip("/")
        self.lag_seconds = lag_seconds
        self.lag_edits = lag_edits
        self.clock = clock
        self.paused = False
        #: anti-bot hook: when it returns True the request gets :func:`antibot_response`
        self.block = block
        self._lock = threading.RLock()
        self._applied: dict[str, tuple[wbe.Entity, int, str]] = {}
        self._pending: deque[_Pending] = deque()
        self._seq = 0
        self._store: ox.Store | None = None
        self._base: str | None = None
        self.queries = 0
        self.reload()

    # -- updates ------------------------------------------------------------
    def reload(self) -> None:
        """Take the repository's current state as applied, with no lag (after seeding/reset)."""
        with self._lock:
            self._applied = {eid: (entity, revid, ts) for eid, entity, revid, ts in self.source()}
            self._pending.clear()
            self._store, self._base = None, None

    def notify(self, entity_id: str, entity: wbe.Entity, revid: int, timestamp: str) -> None:
        """A saved revision (repository listener); visible after the configured lag."""
        with self._lock:
            self._seq += 1
            self._pending.append(_Pending(self.clock(), self._seq, entity_id, entity, revid, timestamp))

    def configure(self, *, lag_seconds: float | None = None, lag_edits: int | None = None,
                  paused: bool | None = None) -> None:
        with self._lock:
            if lag_seconds is not None:
                self.lag_seconds = max(0.0, lag_seconds)
            if lag_edits is not None:
                self.lag_edits = max(0, lag_edits)
            if paused is not None:
                self.paused = paused

    def flush(self) -> int:
        """Apply every pending edit now (the updater caught up); returns how many."""
        with self._lock:
            count = len(self._pending)
            while self._pending:
                self._apply(self._pending.popleft())
            return count

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _due(self, item: _Pending, now: float) -> bool:
        if self.lag_seconds <= 0 and self.lag_edits <= 0:
            return True
        if self.lag_seconds > 0 and now - item.made >= self.lag_seconds:
            return True
        return self.lag_edits > 0 and self._seq - item.seq >= self.lag_edits

    def catch_up(self) -> int:
        """Apply the edits whose lag has passed (called before each query)."""
        if self.paused:
            return 0
        with self._lock:
            now, applied = self.clock(), 0
            while self._pending and self._due(self._pending[0], now):
                self._apply(self._pending.popleft())
                applied += 1
            return applied

    def _apply(self, item: _Pending) -> None:
        self._applied[item.entity_id] = (item.entity, item.revid, item.timestamp)
        if self._store is not None and self._base is not None:
            graph = ox.NamedNode(f"{self._base}entity/{item.entity_id}")
            self._store.remove_graph(graph)
            self._store.extend(entity_quads(item.entity, item.revid, item.timestamp, self._base,
                                            label_aliases=self.label_aliases, datatype_of=self.datatype_of))

    def _store_for(self, base: str) -> ox.Store:
        if self._store is None or self._base != base:
            store = ox.Store()
            quads: list[ox.Quad] = []
            for entity, revid, ts in self._applied.values():
                quads.extend(entity_quads(entity, revid, ts, base, label_aliases=self.label_aliases,
                                          datatype_of=self.datatype_of))
            store.bulk_extend(quads)
            self._store, self._base = store, base
        return self._store

    # -- queries ------------------------------------------------------------
    def run(self, query: str, base: str | None = None, fmt: str = "json") -> tuple[int, str, bytes]:
        """(HTTP status, content type, body) for one query (IRIs under ``base``, default the concept URI's root)."""
        base = base or self.base
        self.catch_up()
        declared = {m.group(1) or "" for m in _PREFIX_RE.finditer(query)}
        # one line, so the engine's error positions keep the client's line numbers
        preamble = " ".join(f"PREFIX {name}: <{iri}>" for name, iri in default_prefixes(base).items()
                            if name not in declared) + " "
        with self._lock:
            store = self._store_for(base)
            self.queries += 1
            try:
                results = store.query(preamble + query, use_default_graph_as_union=True)
                if isinstance(results, ox.QueryTriples):
                    content_type, body = "text/turtle;charset=utf-8", results.serialize(format=ox.RdfFormat.TURTLE)
                else:
                    result_format, content_type = FORMATS[fmt]
                    body = results.serialize(format=result_format)
                assert body is not None, "serialize() without an output target returns the bytes"
                return 200, content_type, body
            except (SyntaxError, ValueError, OSError) as exc:
                return 400, "text/plain;charset=utf-8", error_text(query, exc).encode("utf-8")

    def handle(self, request: Request) -> Response:
        """The HTTP endpoint: GET ``?query=`` or POST (form or ``application/sparql-query``)."""
        if self.block is not None and self.block(request):
            return antibot_response()
        if request.method not in ("GET", "POST", "HEAD"):
            return Response("Method Not Allowed", status=405, content_type="text/plain;charset=utf-8")
        query = request.args.get("query")
        if request.method == "POST":
            if request.mimetype == "application/sparql-query":
                query = request.get_data(as_text=True)
            else:
                query = request.form.get("query", query)
        if request.values.get("update") is not None:
            return Response("Update is not allowed on this endpoint\n", status=403,
                            content_type="text/plain;charset=utf-8")
        if not query:
            return Response("Missing query: pass ?query=<SPARQL> (GET) or a form field query (POST)\n",
                            status=400, content_type="text/plain;charset=utf-8")
        status, content_type, body = self.run(query, self.base, self._format(request))
        return Response(body, status=status, content_type=content_type)

    @staticmethod
    def _format(request: Request) -> str:
        wanted = (request.values.get("format") or "").lower()
        if wanted in FORMATS:
            return wanted
        accept = request.headers.get("Accept", "")
        for mime, name in ACCEPT_FORMATS:
            if mime in accept:
                return name
        return "xml"  # Blazegraph's default when the client states no preference

    def describe(self) -> dict[str, Any]:
        return {"concept_base": f"{self.base}entity/", "lag_seconds": self.lag_seconds, "lag_edits": self.lag_edits,
                "paused": self.paused,
                "pending": self.pending, "entities": len(self._applied), "queries": self.queries}


def error_text(query: str, exc: Exception) -> str:
    """Blazegraph-style error body: the query echoed, then the Java exception chain."""
    return (f"SPARQL-QUERY: queryStr={query}\n"
            "java.util.concurrent.ExecutionException: org.openrdf.query.MalformedQueryException: "
            f"{exc}\n")


def repo_source(repo: Any) -> Callable[[], Iterable[tuple[str, wbe.Entity, int, str]]]:
    """Adapt a :class:`~capxl10n.sandbox.wikibase.repo.WikibaseRepo` as a service source."""
    def source() -> Iterable[tuple[str, wbe.Entity, int, str]]:
        with repo.wiki.lock:
            rows = []
            for kind in ("property", "item"):
                for entity_id in list(repo.entity_ids(kind)):
                    found = repo.get(entity_id)
                    if found is not None:
                        entity, info = found
                        rows.append((entity_id, entity, info.lastrevid, info.modified))
            return rows
    return source


def install_sparql(app: Any, site: Any, repo: Any, *, lag_seconds: float = 0.0, lag_edits: int = 0,
                   clock: Callable[[], float] = time.monotonic,
                   block: Callable[[Request], bool] | None = None,
                   label_aliases: bool = False) -> SparqlService:
    """Create the service for ``repo``, listen to its edits and route ``/<site>/query/sparql``."""
    service = SparqlService(repo_source(repo), site_path=site.base_path, lag_seconds=lag_seconds,
                            lag_edits=lag_edits, clock=clock, block=block, label_aliases=label_aliases,
                            concept_base=repo.concept_base, datatype_of=repo.datatype_of)
    repo.listeners.append(service.notify)
    app.add_route(f"{site.base_path}/query/sparql", service.handle, site=site.name, module="sparql")
    return service
