"""Pull: read every side into snapshots, fully or incrementally, within a request budget.

A full pull costs, for Metabase, one query (what links to the capacity class +
term languages + server time), one SPARQL query and one ``wbgetentities`` per
50 items (terms come with the claims); for Meta-Wiki, one query (bundle +
group stats + server time), one ``messagecollection`` per language that
has something and one for the ``qqq`` documentation (unless the stats say there
is none); Wikidata one ``wbgetentities`` per 50 QIDs.

An incremental pull starts from the read cache's snapshots and high-water
marks: one ``recentchanges`` query per wiki, then only what changed (items by
``wbgetentities``; languages by ``messagecollection``). A bundle change
re-reads Meta-Wiki fully, because outdating (fuzzy) is invisible in
recentchanges (docs/clients.md, "Pull"); a changed ``/qqq`` unit re-reads the documentation
(and so does the first incremental read of a cache made before documentation
was read: its meta lacks ``documentation``); a translator's confirmation of an outdated unit
(the same text saved again: no revision, no recentchanges row) is found from
the group stats and ``messagetranslations`` riding on the recentchanges request
(see ``MetawikiClient.resolve_outdated``); a structural change on Metabase (an item that
becomes or stops being a capacity, a changed index term) re-runs discovery.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from capxl10n.wikis.http import ApiClient, make_session
from capxl10n.wikis.results import WriteResult
from capxl10n.wikis.translate import NOT_TRANSLATIONS, Bundle, MetawikiClient, PlainMetawikiClient
from capxl10n.wikis.wikibase import Discovery, MetabaseClient, claim_values, entity_terms
from capxl10n.wikis.wikidata import WikidataClient
from capxl10n.core.model import (DOC_LANGUAGE, MESSAGE_KEY_RE, SOURCE_LANGUAGE, Capacity, Snapshot, Term, TermKey,
                            qid_sort_key)
from capxl10n.profile import Profile, SiteProfile
from capxl10n.engine.apply import Written
from capxl10n.engine.state import State, open_state

log = logging.getLogger(__name__)

#: ``progress(stage, done, total)``; stages: "metabase", "metawiki", "wikidata".
Progress = Callable[[str, int, int], None]
SessionFactory = Callable[[Profile, SiteProfile], requests.Session]


class ReadCache(Protocol):
    """What pull needs from the state: the last snapshot of a side and its high-water mark."""

    def load_side(self, side: str) -> tuple[Snapshot, str] | None: ...

    def store_side(self, side: str, snapshot: Snapshot, high_water_mark: str) -> None: ...


@dataclass(frozen=True)
class PullResult:
    metabase: Snapshot
    metawiki: Snapshot
    wikidata: Snapshot | None
    discovery: Discovery
    bundle: Bundle
    unaccepted_languages: tuple[str, ...]
    unknown_bundle_keys: tuple[str, ...]
    requests: dict[str, int]
    elapsed: float
    incremental: dict[str, bool] = field(default_factory=dict)
    unknown_units: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary for the CLI and logs."""
        return {
            "items": len(self.discovery.capacities),
            "discovery": self.discovery.source,
            "terms": {"metabase": len(self.metabase.terms), "metawiki": len(self.metawiki.terms),
                      "wikidata": len(self.wikidata.terms) if self.wikidata is not None else None},
            "fuzzy": sum(1 for t in self.metawiki.terms.values() if t.fuzzy),
            "languages": {"metabase": len(self.metabase.languages()), "metawiki": len(self.metawiki.languages())},
            "duplicates": {q: list(items) for q, items in self.discovery.duplicates.items()},
            "unlinked": list(self.discovery.unlinked),
            "unaccepted_languages": list(self.unaccepted_languages),
            "unknown_bundle_keys": list(self.unknown_bundle_keys),
            "unknown_units": list(self.unknown_units),
            "requests": dict(self.requests),
            "incremental": dict(self.incremental),
            "elapsed": round(self.elapsed, 3),
        }


class Clients:
    """The three site clients of one run, sharing nothing but the profile."""

    def __init__(self, profile: Profile, *, sleep: Callable[[float], None] = time.sleep,
                 session_factory: SessionFactory | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        factory = session_factory or make_session

        def api(site: SiteProfile) -> ApiClient:
            return ApiClient(site, profile, session=factory(profile, site), sleep=sleep, clock=clock)

        self.metabase = MetabaseClient(api(profile.metabase), profile.metabase)
        cls = MetawikiClient if profile.metawiki.translate_api else PlainMetawikiClient
        self.metawiki = cls(api(profile.metawiki), profile.metawiki)
        self.wikidata = WikidataClient(api(profile.wikidata), profile.wikidata) if profile.wikidata.enabled else None

    def requests(self) -> dict[str, int]:
        out = {"metabase": self.metabase.api.requests_made, "metawiki": self.metawiki.api.requests_made}
        if self.wikidata is not None:
            out["wikidata"] = self.wikidata.api.requests_made
        return out


def pull(profile: Profile, *, incremental: bool = True, cache: ReadCache | None = None,
         progress: Progress | None = None, sleep: Callable[[float], None] = time.sleep,
         session_factory: SessionFactory | None = None, clients: Clients | None = None) -> PullResult:
    """Read Metabase, Meta-Wiki (and Wikidata) into snapshots; store them in ``cache`` if given."""
    started = time.monotonic()
    clients = clients or Clients(profile, sleep=sleep, session_factory=session_factory)
    report: Progress = progress or (lambda *_: None)
    languages = _language_filter(profile)
    flags: dict[str, bool] = {}

    cached_mb = cache.load_side("metabase") if (cache is not None and incremental) else None
    metabase, discovery = None, None
    if cached_mb is not None and cached_mb[1]:
        metabase, discovery = _metabase_incremental(clients.metabase, cached_mb[0], cached_mb[1], languages)
    flags["metabase"] = metabase is not None
    if metabase is None or discovery is None:
        discovery = clients.metabase.discover()
        report("metabase", 1, 2)
        metabase = _with_discovery(clients.metabase.read_terms(discovery.capacities, languages), discovery)
    report("metabase", 2, 2)

    cached_mw = cache.load_side("metawiki") if (cache is not None and incremental) else None
    metawiki = None
    documentation = DOC_LANGUAGE not in profile.exclude_languages
    if cached_mw is not None and cached_mw[1]:
        metawiki = _metawiki_incremental(clients.metawiki, cached_mw[0], cached_mw[1], languages, report,
                                         documentation=documentation)
    flags["metawiki"] = metawiki is not None
    if metawiki is None:
        metawiki = _metawiki_full(clients.metawiki, languages, report, _likely_language(metabase, languages),
                                  documentation=documentation)
        earlier = cached_mw or (cache.load_side("metawiki") if cache is not None else None)
        if earlier is not None:  # what changed in the English since: the previous English of outdated units
            metawiki = _with_previous_sources(metawiki, earlier[0])
    bundle = _bundle_from(metawiki)

    wikidata = None
    if clients.wikidata is not None:
        cached_wd = cache.load_side("wikidata") if (cache is not None and incremental) else None
        wanted_langs = sorted((set(metabase.languages()) | set(metawiki.languages())) - {DOC_LANGUAGE})
        wikidata, flags["wikidata"] = _wikidata(clients.wikidata, discovery, wanted_langs,
                                                cached_wd[0] if cached_wd else None)
        report("wikidata", 1, 1)

    if profile.exclude_languages:
        metabase, metawiki = (_exclude(metabase, profile.exclude_languages),
                              _exclude(metawiki, profile.exclude_languages))
    accepted = frozenset(metabase.meta.get("accepted_languages") or ())
    unaccepted = tuple(sorted(lang for lang in metawiki.languages()
                              if accepted and lang not in accepted and lang not in NOT_TRANSLATIONS))
    known = {c.qid for c in discovery.capacities}
    unknown_keys = tuple(k for k in bundle.messages
                         if not MESSAGE_KEY_RE.match(k) or MESSAGE_KEY_RE.match(k).group(1) not in known)  # type: ignore[union-attr]
    if cache is not None:
        cache.store_side("metabase", metabase, str(metabase.meta.get("high_water") or ""))
        cache.store_side("metawiki", metawiki, str(metawiki.meta.get("high_water") or ""))
        if wikidata is not None:
            cache.store_side("wikidata", wikidata, str(metabase.meta.get("high_water") or ""))
    result = PullResult(metabase=metabase, metawiki=metawiki, wikidata=wikidata, discovery=discovery, bundle=bundle,
                        unaccepted_languages=unaccepted, unknown_bundle_keys=unknown_keys,
                        requests=clients.requests(), elapsed=time.monotonic() - started, incremental=flags,
                        unknown_units=tuple(sorted(set(clients.metawiki.unknown_units))))
    log.info("pull: %s", result.summary())
    return result


def _exclude(snapshot: Snapshot, excluded: Collection[str]) -> Snapshot:
    drop = set(excluded) - {"en"}
    return Snapshot(snapshot.side, snapshot.capacities,
                    {k: t for k, t in snapshot.terms.items() if k.lang not in drop}, snapshot.meta)


def _language_filter(profile: Profile) -> frozenset[str] | None:
    if profile.languages is None and not profile.exclude_languages:
        return None
    if profile.languages is None:
        return None  # exclusions are applied after the read (we do not know every language up front)
    return frozenset(profile.languages) - frozenset(profile.exclude_languages) | {"en"}


# ---------------------------------------------------------------------- Metabase
def _with_discovery(snapshot: Snapshot, discovery: Discovery, **extra: Any) -> Snapshot:
    """Keep what an incremental pull needs to rebuild the discovery in the snapshot's meta."""
    revisions: dict[str, int] = {}
    for key, term in snapshot.terms.items():
        cap = snapshot.capacity(key.qid)
        if cap and cap.item and term.revision is not None:
            revisions[cap.item] = term.revision
    meta = {**snapshot.meta, "discovery_source": discovery.source,
            "duplicates": {q: list(v) for q, v in discovery.duplicates.items()},
            "unlinked": list(discovery.unlinked), "index_terms": dict(discovery.index_terms),
            "item_revisions": dict(sorted({**dict(snapshot.meta.get("item_revisions") or {}),
                                           **revisions}.items())), **extra}
    return Snapshot(side="metabase", capacities=snapshot.capacities, terms=snapshot.terms, meta=meta)


def _discovery_from(snapshot: Snapshot) -> Discovery:
    meta = snapshot.meta
    return Discovery(capacities=snapshot.capacities,
                     duplicates={q: tuple(v) for q, v in (meta.get("duplicates") or {}).items()},
                     unlinked=tuple(meta.get("unlinked") or ()), source=str(meta.get("discovery_source", "cache")),
                     index_terms=dict(meta.get("index_terms") or {}))


def _metabase_incremental(client: MetabaseClient, cached: Snapshot, since: str,
                          languages: Collection[str] | None) -> tuple[Snapshot | None, Discovery | None]:
    """Re-read only items changed since ``since``; None when discovery must run again."""
    own = _own_writes(cached)
    changes, mark = client.changed_item_revisions(since, ignore=_own_revisions(own))
    known_revs: Mapping[str, int] = cached.meta.get("item_revisions") or {}
    changed = {item for item, rev in changes.items() if rev == -1 or rev > _read_revision(own, item, known_revs.get(item))}
    discovery = _discovery_from(cached)
    if cached.meta.get("accepted_languages"):
        client.remember_accepted(cached.meta["accepted_languages"])
    # Items we wrote and nobody else touched: the cache already holds their content at our revision.
    verified = {item: max(w["revisions"]) for item, w in own.items() if w["revisions"] and item not in changed}
    known_revs = {**known_revs, **verified}
    base_meta = {k: v for k, v in cached.meta.items() if k != OWN_WRITES}
    if not changed:
        meta = {**base_meta, "high_water": mark, "item_revisions": dict(sorted(known_revs.items()))}
        return Snapshot("metabase", cached.capacities, cached.terms, meta), discovery
    by_item = {c.item: c for c in cached.capacities if c.item}
    index_items = set(discovery.index_terms.values())
    unsynced = set(discovery.unlinked) | {i for items in discovery.duplicates.values() for i in items}
    if changed & (index_items | unsynced):
        log.info("metabase: an index term or an unsynced item changed since %s; discovering again", since)
        return None, None
    unknown = changed - set(by_item)
    if unknown:  # any item may have just become a capacity: the wiki decides
        entities = client.get_entities(unknown, props="claims")
        if any(client.profile.capacity_class in claim_values(e, client.profile.instance_of)
               for e in entities.values()):
            log.info("metabase: a new capacity item since %s; discovering again", since)
            return None, None
    entities = client.get_entities(sorted(changed & set(by_item)))
    terms = dict(cached.terms)
    capacities = list(cached.capacities)
    revisions = dict(known_revs)
    for item, entity in entities.items():
        cap = by_item[item]
        indexes = claim_values(entity, client.profile.index_term)
        if client.profile.capacity_class not in claim_values(entity, client.profile.instance_of) or \
                (indexes[:1] != [discovery.index_terms.get(item)]):
            log.info("metabase: %s changed its class or index term; discovering again", item)
            return None, None
        terms = {k: t for k, t in terms.items() if k.qid != cap.qid}
        revision = int(entity.get("lastrevid") or 0)
        revisions[item] = revision
        for (fld, lang), text in entity_terms(entity, languages).items():
            terms[TermKey(cap.qid, fld, lang)] = Term(text=text, revision=revision, side="metabase",  # type: ignore[arg-type]
                                                      timestamp=entity.get("modified"))
    gone = changed & set(by_item) - set(entities)
    if gone:
        log.info("metabase: items %s were deleted; discovering again", ", ".join(sorted(gone)))
        return None, None
    meta = {**base_meta, "high_water": mark, "item_revisions": dict(sorted(revisions.items()))}
    return Snapshot("metabase", tuple(capacities), terms, meta), discovery


# ---------------------------------------------------------------------- Meta-Wiki
#: Metawiki snapshot meta: True when its ``qqq`` terms are the wiki's documentation as read (a cache
#: written before documentation was read lacks it, and its next incremental read fetches it).
DOCUMENTATION = "documentation"


def _metawiki_full(client: MetawikiClient, languages: Collection[str] | None, report: Progress,
                   guess: str | None = None, *, documentation: bool = True) -> Snapshot:
    bundle, stats = client.read_bundle_and_stats(first_language=guess)
    langs = client.languages_to_read(stats, languages)
    terms: dict[TermKey, Term] = client.english_terms(bundle)
    if isinstance(client, PlainMetawikiClient):
        terms.update(client.read_pages(languages, documentation=documentation))
        report("metawiki", 1, 1)
    else:
        for done, lang in enumerate(langs, 1):
            terms.update(client.read_language(lang))
            report("metawiki", done, len(langs))
        if documentation and client.has_documentation(stats):
            terms.update(client.read_documentation())
    return _with_bundle(client.snapshot(terms, bundle), bundle, **{DOCUMENTATION: documentation})


def _with_bundle(snapshot: Snapshot, bundle: Bundle, **extra: Any) -> Snapshot:
    meta = {**snapshot.meta, "bundle": {"messages": bundle.messages, "metadata": bundle.metadata,
                                        "revision": bundle.revision, "timestamp": bundle.timestamp,
                                        "exists": bundle.exists, "author": bundle.author,
                                        "namespace": bundle.namespace}, **extra}
    return Snapshot(side="metawiki", capacities=snapshot.capacities, terms=snapshot.terms, meta=meta)


def _bundle_from(snapshot: Snapshot) -> Bundle:
    raw = snapshot.meta.get("bundle") or {}
    return Bundle(messages=dict(raw.get("messages") or {}), metadata=dict(raw.get("metadata") or {}),
                  revision=raw.get("revision"), timestamp=raw.get("timestamp"), exists=bool(raw.get("exists", True)),
                  author=raw.get("author"), namespace=raw.get("namespace"))


def _metawiki_incremental(client: MetawikiClient, cached: Snapshot, since: str, languages: Collection[str] | None,
                          report: Progress, *, documentation: bool = True) -> Snapshot | None:
    """Re-read only the languages whose units changed (and the documentation if a ``/qqq`` unit did);
    None (full read) when the bundle changed."""
    bundle = _bundle_from(cached)
    own = _own_writes(cached)
    # Outdated units we hold: a translator's confirmation of one shows in no revision and no recentchanges row.
    held_outdated = {} if isinstance(client, PlainMetawikiClient) else {
        k: t for k, t in cached.terms.items()
        if t.fuzzy and k.lang not in NOT_TRANSLATIONS and (languages is None or k.lang in languages)}
    units, bundle_rev, mark, probe = client.unit_changes_and_outdated(since, bundle.namespace,
                                                                      ignore=_own_revisions(own),
                                                                      outdated=held_outdated,
                                                                      documentation=documentation)
    bundle_page = client.profile.bundle_page
    if bundle_rev is not None and (bundle_rev == -1 or (bundle.revision is None and bundle_page not in own)
                                   or bundle_rev > _read_revision(own, bundle_page, bundle.revision)):
        log.info("metawiki: the bundle changed since %s; reading everything (outdating is not in recentchanges)",
                 since)
        return None
    stale = set()
    for key, rev in units.items():
        title = client.unit_title(key)
        term = cached.terms.get(key)
        if rev == -1 or (title not in own and term is None) or \
                rev > _read_revision(own, title, term.revision if term else None):
            stale.add(key.lang)
    # Our own English change outdated these keys' translations: fuzzy tags are not in recentchanges.
    outdated = set(cached.meta.get(OUTDATED_KEYS) or ())
    stale |= {key.lang for key in cached.terms if key.message_key in outdated and key.lang not in NOT_TRANSLATIONS}
    docs_stale = documentation and (DOC_LANGUAGE in stale or not cached.meta.get(DOCUMENTATION))
    stale.discard(DOC_LANGUAGE)
    if languages is not None:
        stale &= set(languages)
    confirmed, unsure = client.resolve_outdated({k: t for k, t in held_outdated.items() if k.lang not in stale},
                                                probe)
    if confirmed or unsure:
        log.info("metawiki: %d outdated unit(s) confirmed since %s; re-reading %s", len(confirmed), since,
                 ", ".join(sorted(unsure)) or "nothing")
    stale |= unsure
    terms = dict(cached.terms)
    for key in confirmed:  # same text, same revision: only the fuzzy tag went
        old = terms[key]
        terms[key] = Term(old.text, False, old.revision, old.author, old.side, old.timestamp)
    for done, lang in enumerate(sorted(stale), 1):
        terms = {k: t for k, t in terms.items() if k.lang != lang}
        terms.update(client.read_language(lang))
        report("metawiki", done, len(stale))
    if docs_stale or not documentation:
        terms = {k: t for k, t in terms.items() if k.lang != DOC_LANGUAGE}
    if docs_stale:
        terms.update(client.read_documentation())
    client.bundle = bundle
    meta = {k: v for k, v in cached.meta.items() if k not in (OWN_WRITES, OUTDATED_KEYS, PREVIOUS_SOURCE)}
    previous = previous_sources(cached.terms, terms, _previous_of(cached), {})
    if previous:
        meta[PREVIOUS_SOURCE] = previous
    return Snapshot("metawiki", cached.capacities, terms, {**meta, "high_water": mark, DOCUMENTATION: documentation})


#: Metawiki snapshot meta: ``{lang: {message key: English}}``, the English an outdated unit was translated
#: from, where we saw that English replaced (our own bundle write, or a bundle change between two reads).
#: Translate's API does not say it; the catalogs write it as ``#| msgid``.
PREVIOUS_SOURCE = "previous_source"


def previous_sources(before: Mapping[TermKey, Term], after: Mapping[TermKey, Term],
                     previous: Mapping[str, Mapping[str, str]], replaced: Mapping[str, str]
                     ) -> dict[str, dict[str, str]]:
    """For each unit outdated in ``after``, the English it was translated from, where known (pure).

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
    for key, term in sorted(after.items(), key=lambda kv: kv[0].sort_key()):
        if not term.fuzzy or key.lang in NOT_TRANSLATIONS:
            continue
        was = before.get(key)
        if key.message_key in replaced and (was is None or not was.fuzzy):
            text: str | None = replaced[key.message_key]
        else:
            text = (previous.get(key.lang) or {}).get(key.message_key)
        if text is not None:
            out.setdefault(key.lang, {})[key.message_key] = text
    return dict(sorted(out.items()))


def _previous_of(snapshot: Snapshot) -> dict[str, dict[str, str]]:
    return _previous_of_meta(snapshot.meta)


def _previous_of_meta(meta: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    raw = meta.get(PREVIOUS_SOURCE)
    if not isinstance(raw, Mapping):
        return {}
    return {str(lang): {str(k): v for k, v in table.items() if isinstance(v, str)}
            for lang, table in raw.items() if isinstance(table, Mapping)}


def _with_previous_sources(snapshot: Snapshot, earlier: Snapshot) -> Snapshot:
    """A full Meta-Wiki read with the previous English of its outdated units, from the read before it."""
    old = (_bundle_from(earlier).messages if earlier.meta.get("bundle") else {})
    new = _bundle_from(snapshot).messages
    replaced = {key: text for key, text in old.items() if key in new and new[key] != text}
    previous = previous_sources(earlier.terms, snapshot.terms, _previous_of(earlier), replaced)
    meta = {k: v for k, v in snapshot.meta.items() if k != PREVIOUS_SOURCE}
    if previous:
        meta[PREVIOUS_SOURCE] = previous
    return Snapshot(snapshot.side, snapshot.capacities, snapshot.terms, meta)


def _likely_language(snapshot: Snapshot, languages: Collection[str] | None) -> str | None:
    """The translation language with most terms on Metabase: a good bet for Meta-Wiki's first read."""
    counts: dict[str, int] = {}
    for key in snapshot.terms:
        if key.lang not in NOT_TRANSLATIONS and (languages is None or key.lang in languages):
            counts[key.lang] = counts.get(key.lang, 0) + 1
    return max(sorted(counts), key=lambda lang: counts[lang]) if counts else None


# ---------------------------------------------------------------------- Wikidata
def _wikidata(client: WikidataClient, discovery: Discovery, languages: list[str],
              cached: Snapshot | None) -> tuple[Snapshot, bool]:
    """Wikidata changes are not tracked: reuse the cache for known QIDs, read only new ones."""
    qids = sorted({c.qid for c in discovery.capacities}, key=qid_sort_key)
    if cached is not None and cached.meta.get("languages") == languages:
        have = {c.qid for c in cached.capacities}
        new = [q for q in qids if q not in have]
        fresh = client.read_terms(new, languages) if new else Snapshot("wikidata")
        keep = set(qids)
        terms = {k: t for k, t in cached.terms.items() if k.qid in keep}
        terms.update(fresh.terms)
        from_mul = sorted({m for m in [*cached.meta.get("from_mul", []), *fresh.meta.get("from_mul", [])]
                           if m.split("/", 1)[0] in keep})
        meta = {"languages": languages, **({"from_mul": from_mul} if from_mul else {})}
        return Snapshot("wikidata", tuple(Capacity(qid=q) for q in qids), terms, meta), True
    snapshot = client.read_terms(qids, languages)
    return Snapshot("wikidata", snapshot.capacities, snapshot.terms, {**snapshot.meta, "languages": languages}), False


# ---------------------------------------------------------------------- our own writes
#: Snapshot meta: ``{page: {"from": revision the cache had read, "revisions": [revids we wrote]}}``.
OWN_WRITES = "own_writes"
#: Metawiki snapshot meta: message keys whose English we changed or removed (their translations are outdated).
OUTDATED_KEYS = "outdated_keys"


def _own_writes(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    raw = snapshot.meta.get(OWN_WRITES) or {}
    out: dict[str, dict[str, Any]] = {}
    if isinstance(raw, Mapping):
        for page, w in raw.items():
            if isinstance(w, Mapping):
                out[str(page)] = {"from": int(w.get("from") or 0),
                                  "revisions": [int(r) for r in w.get("revisions") or () if r]}
    return out


def _own_revisions(own: Mapping[str, Mapping[str, Any]]) -> frozenset[int]:
    return frozenset(r for w in own.values() for r in w["revisions"])


def _read_revision(own: Mapping[str, Mapping[str, Any]], page: str, cached: int | None) -> int:
    """The newest revision whose content the cache holds *as read*: rows after it that are not ours mean a re-read.

    For a page we wrote, that is the revision before our first write (our revision only
    joins once recentchanges shows nobody edited in between).
    """
    if page in own:
        return int(own[page]["from"])
    return int(cached or 0)


def absorb_writes(cache: ReadCache, operations: Sequence[Any], writes: Sequence[Written], bundle_page: str) -> None:
    """Make the read cache show what apply wrote, so the next incremental pull need not read it back.

    Each answered write puts its new values (fuzzy cleared) and revision into the
    cached snapshot and records the revision as ours with the revision the cache
    had read before it. The next pull skips exactly those revisions in
    recentchanges; any other revision of the page (a human, FuzzyBot) is newer than
    the recorded read revision and re-reads the page. Not absorbed, hence re-read:
    ``wikibase-conflict-patched`` answers (content merged with someone else's),
    Meta-Wiki deletions and their fuzzy fallback. Languages whose translations our
    English change outdated are listed for re-reading (outdating is not in
    recentchanges).
    """
    ops = {op.id: op for op in operations}
    mb = cache.load_side("metabase")
    mw = cache.load_side("metawiki")
    mb_state = _Absorbing(mb[0]) if mb else None
    mw_state = _Absorbing(mw[0]) if mw else None
    for w in writes:
        wops = [ops[i] for i in w.op_ids if i in ops]
        if not wops:
            continue
        if w.target == "metabase" and mb_state is not None:
            mb_state.item(w.page, w.answer, wops)
        elif w.target == "metawiki" and mw_state is not None:
            mw_state.unit(w.page, w.answer, wops[0])
        elif w.target == "bundle" and mw_state is not None:
            mw_state.bundle(w.answer, wops, bundle_page)
    if mb is not None and mb_state is not None and mb_state.touched:
        cache.store_side("metabase", mb_state.snapshot(), mb[1])
    if mw is not None and mw_state is not None and mw_state.touched:
        cache.store_side("metawiki", mw_state.snapshot(), mw[1])


class _Absorbing:
    """A cached snapshot being updated with our writes (pure: no I/O)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.side = snapshot.side
        self.capacities = snapshot.capacities
        self.terms = dict(snapshot.terms)
        self.meta = dict(snapshot.meta)
        self.own = _own_writes(snapshot)
        self.outdated = list(snapshot.meta.get(OUTDATED_KEYS) or ())
        self.touched = False

    def snapshot(self) -> Snapshot:
        meta = {**self.meta, OWN_WRITES: self.own}
        if self.outdated:
            meta[OUTDATED_KEYS] = sorted(set(self.outdated))
        return Snapshot(self.side, self.capacities, self.terms, meta)

    def _own(self, page: str, read_revision: int | None, revision: int) -> None:
        entry = self.own.setdefault(page, {"from": int(read_revision or 0), "revisions": []})
        entry["revisions"] = sorted({*entry["revisions"], revision})

    def _dirty(self, page: str, read_revision: int | None) -> None:
        """Content unknown: keep the read revision so any later revision re-reads the page."""
        self.own.setdefault(page, {"from": int(read_revision or 0), "revisions": []})

    def item(self, page: str, w: WriteResult, ops: Sequence[Any]) -> None:
        self.touched = True
        revisions = dict(self.meta.get("item_revisions") or {})
        read = revisions.get(page)
        if w.patched or (w.revision is None and not w.nochange):
            self._dirty(page, read)
            return
        qid = ops[0].key.qid
        for op in ops:
            if op.new is None:
                self.terms.pop(op.key, None)
            else:
                self.terms[op.key] = Term(text=op.new, revision=w.revision if not w.nochange else
                                          (self.terms[op.key].revision if op.key in self.terms else read),
                                          side="metabase", timestamp=w.timestamp)
        if w.nochange or w.revision is None:
            return
        for key, term in list(self.terms.items()):  # the item's lastrevid moved: the next guard uses it
            if key.qid == qid:
                self.terms[key] = Term(term.text, term.fuzzy, w.revision, term.author, term.side,
                                       w.timestamp or term.timestamp)
        self._own(page, read, w.revision)

    def unit(self, page: str, w: WriteResult, op: Any) -> None:
        self.touched = True
        old = self.terms.get(op.key)
        read = old.revision if old else None
        if op.new is None or w.patched or (w.revision is None and not w.nochange):
            self._dirty(page, read)
            return
        if w.nochange:  # identical text: Translate removed the fuzzy tag without a new revision
            self.terms[op.key] = Term(op.new, False, read, old.author if old else None, "metawiki",
                                      old.timestamp if old else None)
            return
        self.terms[op.key] = Term(op.new, bool(getattr(op, "outdated", False)), w.revision, None, "metawiki", None)
        self._own(page, read, int(w.revision or 0))

    def bundle(self, w: WriteResult, ops: Sequence[Any], page: str) -> None:
        self.touched = True
        raw = dict(self.meta.get("bundle") or {})
        read = raw.get("revision")
        if w.nochange or w.revision is None or w.patched:
            if not w.nochange:
                self._dirty(page, read)
            return
        messages = dict(raw.get("messages") or {})
        replaced: dict[str, str] = {}
        for op in ops:
            old = messages.get(op.key.message_key)
            if op.new is None:
                messages.pop(op.key.message_key, None)
            else:
                messages[op.key.message_key] = op.new
            if old is not None and old != op.new:
                self.outdated.append(op.key.message_key)
                if op.new is not None:
                    replaced[op.key.message_key] = old
        if replaced:  # Translate outdates every translation of these keys: they were made from ``old``
            outdating = {k: t if k.message_key not in replaced or k.lang in NOT_TRANSLATIONS else
                         Term(t.text, True, t.revision, t.author, t.side, t.timestamp) for k, t in self.terms.items()}
            previous = previous_sources(self.terms, outdating, _previous_of_meta(self.meta), replaced)
            self.meta.pop(PREVIOUS_SOURCE, None)
            if previous:
                self.meta[PREVIOUS_SOURCE] = previous
        raw.update(messages=messages, revision=w.revision, timestamp=w.timestamp, exists=True, author=None)
        self.meta["bundle"] = raw
        self.meta["bundle_revision"] = w.revision
        self.meta["bundle_exists"] = True
        for key, term in list(self.terms.items()):
            if key.lang == SOURCE_LANGUAGE:
                self.terms[key] = Term(term.text, term.fuzzy, w.revision, term.author, term.side,
                                       w.timestamp or term.timestamp)
        for op in ops:
            if op.new is None:
                self.terms.pop(op.key, None)
            else:
                self.terms[op.key] = Term(op.new, False, w.revision, None, "metawiki", w.timestamp)
        self._own(page, read, w.revision)


def open_cache(profile: Profile) -> State:
    """The state (its read cache) named by the profile, created when missing."""
    return open_state(profile.state)
