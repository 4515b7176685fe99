"""Metabase (a Wikibase): discover capacity items, read their terms, write them back.

Discovery (docs/clients.md, "Metabase"): the query service lists *candidates* (items with
P5 = Q34531, and their index term's Wikidata QID via P67/P1) but lags behind
the wiki, so the wiki decides: every candidate — plus what links to
``Item:Q34531`` (lag-free) — is read with ``wbgetentities`` and kept only if
its own claims say it is a capacity. Items sharing a Wikidata QID are
reported, never synced. Terms come from the same ``wbgetentities`` answers,
so a full read costs one request per 50 items (500 with ``apihighlimits``).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from capxl10n.wikis.http import ApiClient, PageHistory
from capxl10n.wikis.results import WriteResult
from capxl10n.errors import DataError, NotJSONError, RemoteError, ValidationError
from capxl10n.core.cursors import MetabaseCursor
from capxl10n.core.model import QID_RE, Capacity, Snapshot, Term, TermKey, qid_sort_key
from capxl10n.profile import MetabaseProfile

log = logging.getLogger(__name__)

ENTITY_PROPS: Final = "info|claims|labels|descriptions"
_TERM_MAPS: Final = {"label": "labels", "description": "descriptions"}
#: Revisions per ``prop=revisions&revids=`` request with content (MediaWiki's limit for a user).
CONTENT_BATCH: Final = 50


@dataclass(frozen=True)
class Discovery:
    """Which Metabase items are capacities, and under which Wikidata QID."""

    capacities: tuple[Capacity, ...]
    duplicates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unlinked: tuple[str, ...] = ()
    source: str = "backlinks"
    sparql_missing: tuple[str, ...] = ()   # items the wiki knows but the query service did not list (lag)
    index_terms: dict[str, str] = field(default_factory=dict)  # capacity item -> index term item


def batched(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


def claim_values(entity: Mapping[str, Any], prop: str) -> list[str]:
    """The values of ``prop`` in an entity's claims (item ids or strings), best rank first, deprecated skipped."""
    out: list[str] = []
    claims = entity.get("claims") or {}
    statements = claims.get(prop, []) if isinstance(claims, Mapping) else []
    ranked = sorted(statements, key=lambda s: 0 if s.get("rank") == "preferred" else 1)
    for statement in ranked:
        if statement.get("rank") == "deprecated":
            continue
        value = ((statement.get("mainsnak") or {}).get("datavalue") or {}).get("value")
        if isinstance(value, Mapping) and "id" in value:
            out.append(str(value["id"]))
        elif isinstance(value, Mapping) and "numeric-id" in value:
            out.append(f"Q{value['numeric-id']}")
        elif isinstance(value, str):
            out.append(value.strip())
    return out


def entity_terms(entity: Mapping[str, Any], languages: Collection[str] | None = None
                 ) -> dict[tuple[str, str], str]:
    """``{(field, lang): text}`` from an entity's labels and descriptions ({} or [] both mean empty)."""
    out: dict[tuple[str, str], str] = {}
    for fld, key in _TERM_MAPS.items():
        terms = entity.get(key) or {}
        if not isinstance(terms, Mapping):
            continue
        for lang, value in terms.items():
            if not isinstance(value, Mapping) or "for-language" in value or "value" not in value:
                continue
            if languages is not None and lang not in languages:
                continue
            out[(fld, str(lang))] = str(value["value"])
    return out


class MetabaseClient:
    """Reads and writes capacity items on Metabase through one :class:`ApiClient`."""

    def __init__(self, api: ApiClient, profile: MetabaseProfile) -> None:
        self.api = api
        self.profile = profile
        self._entities: dict[str, dict[str, Any]] = {}
        self._accepted: frozenset[str] | None = None
        self.high_water: str | None = None

    # ------------------------------------------------------------------ helpers
    @property
    def batch_size(self) -> int:
        return 500 if self.api.has_high_limits else 50

    def item_title(self, item: str) -> str:
        prefix = "Item:" if self.profile.item_namespace == 120 else ""
        return f"{prefix}{item}"

    def get_entities(self, ids: Iterable[str], props: str = ENTITY_PROPS) -> dict[str, dict[str, Any]]:
        """``wbgetentities`` in batches; missing ids are left out."""
        wanted = sorted(set(ids), key=lambda q: (len(q), q))
        out: dict[str, dict[str, Any]] = {}
        for batch in batched(wanted, self.batch_size):
            params: dict[str, Any] = {"action": "wbgetentities", "ids": batch, "props": props}
            if self.high_water is None:
                params["curtimestamp"] = 1
            data = self.api.get(**params)
            if self.high_water is None:
                self.high_water = self.api.server_time(data)
            for qid, entity in (data.get("entities") or {}).items():
                if isinstance(entity, Mapping) and "missing" not in entity:
                    out[str(qid)] = dict(entity)
        return out

    # ------------------------------------------------------------------ discovery
    def _wiki_candidates(self) -> tuple[set[str], frozenset[str]]:
        """What links to the capacity class (lag-free) and the term languages, in one query."""
        items: set[str] = set()
        langs: set[str] = set()
        params: dict[str, Any] = {"list": "backlinks|recentchanges",
                                  "bltitle": self.item_title(self.profile.capacity_class),
                                  "blnamespace": self.profile.item_namespace, "bllimit": "max",
                                  "rclimit": 1, "rcprop": "timestamp|ids",
                                  "meta": "wbcontentlanguages", "wbclcontext": "term", "wbclprop": "code",
                                  "curtimestamp": 1}
        page = self.api.get(action="query", **params)
        if self.high_water is None:
            self.high_water = self.api.server_time(page)
        pages = [page]
        blcontinue = (page.get("continue") or {}).get("blcontinue")
        if blcontinue:  # more than one page of backlinks: follow only that module
            pages.extend(self.api.query(list="backlinks", bltitle=params["bltitle"],
                                        blnamespace=params["blnamespace"], bllimit="max", blcontinue=blcontinue))
        for page in pages:
            query = page.get("query") or {}
            for link in query.get("backlinks", []) or []:
                title = str(link.get("title", ""))
                item = title.split(":", 1)[-1]
                if QID_RE.match(item):
                    items.add(item)
            content = query.get("wbcontentlanguages")
            if isinstance(content, Mapping):
                langs.update(str(k) for k in content)
        accepted = frozenset(langs)
        if accepted:
            self._accepted = accepted
        return items, accepted

    def _sparql_candidates(self) -> dict[str, tuple[str | None, str | None]] | None:
        """``{item: (index term item, wikidata qid)}`` from the query service, or None if it failed."""
        if not self.profile.sparql:
            return None
        entity = self.profile.entity_prefix
        direct = entity.replace("/entity/", "/prop/direct/")
        query = (f"PREFIX wd: <{entity}>\nPREFIX wdt: <{direct}>\n"
                 f"SELECT ?item ?index ?qid WHERE {{\n"
                 f"  ?item wdt:{self.profile.instance_of} wd:{self.profile.capacity_class} .\n"
                 f"  OPTIONAL {{ ?item wdt:{self.profile.index_term} ?index .\n"
                 f"             OPTIONAL {{ ?index wdt:{self.profile.wikidata_qid} ?qid . }} }}\n}}")
        try:
            data = self.api.sparql(self.profile.sparql, query)
        except (NotJSONError, RemoteError) as exc:
            log.warning("metabase: query service failed (%s); discovering through backlinks", exc.message)
            return None
        out: dict[str, tuple[str | None, str | None]] = {}
        for row in (data.get("results") or {}).get("bindings", []) or []:
            item = _entity_id(row.get("item"), entity)
            if item is None:
                continue
            index = _entity_id(row.get("index"), entity)
            qid = (row.get("qid") or {}).get("value")
            previous = out.get(item)
            if previous is None or (previous[1] is None and qid):
                out[item] = (index, str(qid).strip() if qid else None)
        return out

    def discover(self) -> Discovery:
        """Capacity items as the wiki holds them now; SPARQL only proposes candidates."""
        backlinks, _ = self._wiki_candidates()
        sparql = self._sparql_candidates()
        candidates = set(backlinks) | set(sparql or {})
        entities = self.get_entities(candidates)
        capacity_items: dict[str, dict[str, Any]] = {}
        for item, entity in entities.items():
            if self.profile.capacity_class in claim_values(entity, self.profile.instance_of):
                capacity_items[item] = entity
        # Index term -> Wikidata QID: trust the query service only where the wiki agrees on the index term.
        index_of: dict[str, str] = {}
        qid_of_index: dict[str, str] = {}
        need: set[str] = set()
        for item, entity in capacity_items.items():
            indexes = claim_values(entity, self.profile.index_term)
            if not indexes:
                continue
            index_of[item] = indexes[0]
            hint = (sparql or {}).get(item)
            if hint and hint[0] == indexes[0] and hint[1]:
                qid_of_index[indexes[0]] = hint[1]
            else:
                need.add(indexes[0])
        need -= set(qid_of_index)
        for index, entity in self.get_entities(need, props="claims").items():
            values = claim_values(entity, self.profile.wikidata_qid)
            if values:
                qid_of_index[index] = values[0]
        by_qid: dict[str, list[str]] = {}
        unlinked: list[str] = []
        for item in capacity_items:
            qid = qid_of_index.get(index_of.get(item, ""), "")
            if not QID_RE.match(qid):
                unlinked.append(item)
                continue
            by_qid.setdefault(qid, []).append(item)
        capacities: list[Capacity] = []
        duplicates: dict[str, tuple[str, ...]] = {}
        for qid, items in by_qid.items():
            if len(items) > 1:
                duplicates[qid] = tuple(sorted(items, key=_qnum))
                log.warning("metabase: items %s share Wikidata %s; they are not synced", ", ".join(items), qid)
                continue
            codes = claim_values(capacity_items[items[0]], self.profile.skill_id)
            capacities.append(Capacity(qid=qid, item=items[0], code=codes[0] if codes else None))
        self._entities = capacity_items
        missing = sorted(set(capacity_items) - set(sparql or {}), key=_qnum) if sparql is not None else []
        if missing:
            log.info("metabase: %d capacity items not yet in the query service: %s", len(missing),
                     ", ".join(missing[:10]))
        capacities.sort(key=lambda c: qid_sort_key(c.qid))
        return Discovery(capacities=tuple(capacities), duplicates=dict(sorted(duplicates.items())),
                         unlinked=tuple(sorted(unlinked, key=_qnum)),
                         source="sparql" if sparql is not None else "backlinks",
                         sparql_missing=tuple(missing), index_terms=dict(sorted(index_of.items())))

    # ------------------------------------------------------------------ reads
    def read_terms(self, capacities: Sequence[Capacity], languages: Collection[str] | None = None
                   ) -> tuple[Snapshot, MetabaseCursor]:
        """Labels and descriptions of ``capacities`` (side ``metabase``), and the read's cursor (its time mark,
        each item's revision, the term languages Metabase accepts).

        Entities read by the :meth:`discover` just before are used once
        instead of being fetched again (no request is ever repeated).
        """
        items = [c.item for c in capacities if c.item]
        cached = {i: self._entities.pop(i) for i in items if i in self._entities}
        fetched = self.get_entities([i for i in items if i not in cached], props="info|labels|descriptions")
        entities = {**cached, **fetched}
        terms: dict[TermKey, Term] = {}
        revisions: dict[str, int] = {}
        for cap in capacities:
            entity = entities.get(cap.item or "")
            if entity is None:
                continue
            revision = entity.get("lastrevid")
            if revision is not None and cap.item:
                revisions[cap.item] = int(revision)
            for (fld, lang), text in entity_terms(entity, languages).items():
                terms[TermKey(cap.qid, fld, lang)] = Term(  # type: ignore[arg-type]
                    text=text, revision=int(revision) if revision is not None else None,
                    side="metabase", timestamp=entity.get("modified"))
        cursor = MetabaseCursor(high_water=self.high_water or None,
                                item_revisions=dict(sorted(revisions.items(), key=lambda kv: _qnum(kv[0]))),
                                accepted_languages=tuple(sorted(self._accepted or ())))
        return Snapshot(side="metabase", capacities=tuple(capacities), terms=terms), cursor

    def read_item(self, item: str) -> tuple[int, dict[tuple[str, str], str]]:
        """Fresh ``lastrevid`` and terms of one item, for the apply guards."""
        entity = self.get_entities([item], props="info|labels|descriptions").get(item)
        if entity is None:
            raise ValidationError(f"item {item} does not exist", code="no-such-entity", site=self.api.name,
                                  term=item, hint="the item was deleted or merged; re-run discovery")
        return int(entity.get("lastrevid") or 0), entity_terms(entity)

    def revision_contents(self, revids: Sequence[int]) -> dict[int, str]:
        """The stored JSON of each revision (``prop=revisions&revids=…&rvprop=content``),
        ``CONTENT_BATCH`` revisions a request (the API's limit with content)."""
        out: dict[int, str] = {}
        ids = sorted(set(revids))
        for start in range(0, len(ids), CONTENT_BATCH):
            chunk = ids[start:start + CONTENT_BATCH]
            for data in self.api.query(prop="revisions", revids="|".join(str(r) for r in chunk),
                                       rvprop="ids|content", rvslots="main"):
                pages = (data.get("query") or {}).get("pages") or []
                for page in (pages.values() if isinstance(pages, Mapping) else pages):
                    for rev in page.get("revisions") or ():
                        slot = (rev.get("slots") or {}).get("main") or {}
                        content = slot.get("content", slot.get("*", rev.get("content")))
                        if rev.get("revid") and content is not None:
                            out[int(rev["revid"])] = str(content)
        return out

    def terms_at(self, revision: int) -> dict[tuple[str, str], str]:
        """An item's labels and descriptions as one revision stored them, in one request.

        The answer of a write Wikibase patched over another edit shows the base revision plus our change
        (R), not what was stored: the stored revision is the only record of what the item held then."""
        content = self.revision_contents([revision]).get(revision)
        if content is None:
            raise DataError(f"revision {revision} was not found on {self.api.name}",
                            hint="it was deleted or suppressed since the write")
        try:
            entity = json.loads(content)
        except ValueError as exc:
            raise DataError(f"revision {revision} holds no entity JSON ({exc})") from None
        return entity_terms(entity)

    def page_history(self, item: str, since: str | None = None) -> PageHistory:
        """The item page's revisions since ``since`` (ids, comments, users): how a killed apply's edits are found."""
        return self.api.page_history(self.item_title(item), since=since)

    def changed_item_revisions(self, since: str, ignore: Collection[int] = ()) -> tuple[dict[str, int], str]:
        """``{item: newest revid}`` (-1 after a log entry) changed at or after ``since``, and a new mark.

        Rows whose revid is in ``ignore`` (revisions we wrote ourselves and whose
        content the read cache already holds) are skipped; an item with only such
        rows is not listed. Any other row, before or after ours, still counts.
        """
        out: dict[str, int] = {}
        skip = frozenset(ignore)
        mark: str | None = None
        for page in self.api.query(list="recentchanges", rcnamespace=self.profile.item_namespace,
                                   rcstart=since, rcdir="newer", rcprop="title|ids|timestamp",
                                   rclimit="max", curtimestamp=1):
            stamp = self.api.server_time(page)
            mark = max(mark or "", stamp or "") or None
            for change in (page.get("query") or {}).get("recentchanges", []) or []:
                item = str(change.get("title", "")).split(":", 1)[-1]
                if QID_RE.match(item):
                    revid = int(change.get("revid") or 0)
                    if revid and revid in skip:
                        continue
                    # a log row (deletion, merge) has no revid: -1 = re-read whatever we hold
                    out[item] = -1 if revid == 0 or out.get(item) == -1 else max(out.get(item, 0), revid)
        return out, str(mark or since)

    def accepted_languages(self) -> frozenset[str]:
        """Term languages Metabase accepts (``meta=wbcontentlanguages``, context term)."""
        if self._accepted is None:
            langs: set[str] = set()
            for page in self.api.query(meta="wbcontentlanguages", wbclcontext="term", wbclprop="code"):
                content = (page.get("query") or {}).get("wbcontentlanguages")
                if isinstance(content, Mapping):
                    langs.update(str(k) for k in content)
            self._accepted = frozenset(langs)
        return self._accepted

    def remember_accepted(self, languages: Iterable[str]) -> None:
        """Reuse a cached language list (from the read cache) instead of asking again."""
        self._accepted = frozenset(languages)

    # ------------------------------------------------------------------ writes
    def edit_item(self, item: str, *, labels: Mapping[str, str | None], descriptions: Mapping[str, str | None],
                  baserevid: int, summary: str) -> WriteResult:
        """One ``wbeditentity`` carrying every changed term of the item; ``None`` removes a term."""
        data: dict[str, dict[str, dict[str, str]]] = {}
        for key, terms in (("labels", labels), ("descriptions", descriptions)):
            if terms:
                data[key] = {lang: ({"language": lang, "remove": ""} if text is None
                                    else {"language": lang, "value": text}) for lang, text in sorted(terms.items())}
        if not data:
            raise DataError(f"edit of {item} changes nothing", hint="pass at least one label or description")
        answer = self.api.write("wbeditentity", term=item, id=item, baserevid=baserevid, summary=summary,
                                data=json.dumps(data, ensure_ascii=False, sort_keys=True))
        entity = answer.get("entity") or {}
        warnings = json.dumps(answer.get("warnings") or {})
        patched = "wikibase-conflict-patched" in warnings
        return WriteResult(revision=int(entity["lastrevid"]) if entity.get("lastrevid") is not None else None,
                           nochange="nochange" in entity or "nochange" in answer, patched=patched,
                           timestamp=entity.get("modified"), based_on=baserevid if baserevid and not patched else None)


def _entity_id(binding: Any, prefix: str) -> str | None:
    if not isinstance(binding, Mapping):
        return None
    value = str(binding.get("value", ""))
    tail = value[len(prefix):] if value.startswith(prefix) else value.rsplit("/", 1)[-1]
    return tail if QID_RE.match(tail) else None


def _qnum(item: str) -> tuple[int, str]:
    return (int(item[1:]) if QID_RE.match(item) else 1 << 62, item)


__all__ = ["Discovery", "MetabaseClient", "claim_values", "entity_terms"]
