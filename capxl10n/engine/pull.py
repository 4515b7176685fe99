"""Pull: read every side into snapshots, fully or incrementally, within a request budget.

A full pull costs, for Metabase, one query (what links to the capacity class +
term languages + server time), one SPARQL query and one ``wbgetentities`` per
50 items (terms come with the claims); for Meta-Wiki, one query (bundle +
group stats + server time), one ``messagecollection`` per language that
has something and one for the ``qqq`` documentation (unless the stats say there
is none); Wikidata one ``wbgetentities`` per 50 QIDs.

An incremental pull starts from the read cache's snapshots and their cursors
(:mod:`capxl10n.core.cursors`: the high-water marks and what else a read needs): one ``recentchanges`` query per wiki, then only what changed (items by
``wbgetentities``; languages by ``messagecollection``). A bundle change
re-reads Meta-Wiki fully, because outdating (fuzzy) is invisible in
recentchanges (docs/clients.md, "Pull"); a changed ``/qqq`` unit re-reads the documentation
(and so does the first incremental read of a cache made before documentation
was read: its cursor says ``documentation=False``); a translator's confirmation of an outdated unit
(the same text saved again: no revision, no recentchanges row) is found from
the group stats and ``messagetranslations`` riding on the recentchanges request
(see ``MetawikiClient.resolve_outdated``); a structural change on Metabase (an item that
becomes or stops being a capacity, a changed index term) re-runs discovery.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from capxl10n.core.cursors import (NOT_TRANSLATIONS, Bundle, DiscoveryCursor, MetabaseCursor, MetawikiCursor,
                                   ReadCache, WikidataCursor, cached_read, own_revisions, previous_sources,
                                   read_revision)
from capxl10n.core.model import DOC_LANGUAGE, MESSAGE_KEY_RE, Capacity, Snapshot, Term, TermKey, paused_gc, qid_sort_key
from capxl10n.core import langs
from capxl10n.errors import CapxError
from capxl10n.engine.clients import Clients, SessionFactory
from capxl10n.engine.state import State, open_state
from capxl10n.profile import Profile
from capxl10n.wikis.translate import MetawikiClient, PlainMetawikiClient
from capxl10n.wikis.wikibase import Discovery, MetabaseClient, claim_values, entity_terms
from capxl10n.wikis.wikidata import WikidataClient

log = logging.getLogger(__name__)

#: ``progress(stage, done, total)``; stages: "metabase", "metawiki", "wikidata".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PullResult:
    metabase: Snapshot
    metawiki: Snapshot
    wikidata: Snapshot | None
    discovery: Discovery
    metabase_cursor: MetabaseCursor
    metawiki_cursor: MetawikiCursor
    wikidata_cursor: WikidataCursor | None
    unaccepted_languages: tuple[str, ...]
    unknown_bundle_keys: tuple[str, ...]
    requests: dict[str, int]
    elapsed: float
    incremental: dict[str, bool] = field(default_factory=dict)
    unknown_units: tuple[str, ...] = ()

    @property
    def bundle(self) -> Bundle:
        """The bundle page as the Meta-Wiki read holds it."""
        return self.metawiki_cursor.bundle or Bundle({})

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


class Answers:
    """What a look at the wikis already asked them (:func:`read_quietly`), for the incremental read that
    follows it to take instead of asking again: an answer is taken once, and only for the very same question
    (else the read asks the wiki)."""

    def __init__(self) -> None:
        self._kept: dict[tuple[Any, ...], Any] = {}

    def keep(self, question: tuple[Any, ...], answer: Any) -> Any:
        self._kept[question] = answer
        return answer

    def take(self, question: tuple[Any, ...], ask: Callable[[], Any]) -> Any:
        if question in self._kept:
            return self._kept.pop(question)
        return ask()


_NO_ANSWERS: Final = Answers()


def pull(profile: Profile, *, incremental: bool = True, cache: ReadCache | None = None,
         progress: Progress | None = None, sleep: Callable[[float], None] = time.sleep,
         session_factory: SessionFactory | None = None, clients: Clients | None = None,
         answers: Answers | None = None) -> PullResult:
    """Read Metabase, Meta-Wiki (and Wikidata) into snapshots and cursors; store them in ``cache`` if given.
    ``clients`` and ``answers``: those of a :func:`read_quietly` that found something (its requests are not
    made again)."""
    with paused_gc():  # a read makes millions of keys and terms, none in a cycle
        return _pull(profile, incremental=incremental, cache=cache, progress=progress, sleep=sleep,
                     session_factory=session_factory, clients=clients, answers=answers or Answers())


def _pull(profile: Profile, *, incremental: bool, cache: ReadCache | None, progress: Progress | None,
          sleep: Callable[[float], None], session_factory: SessionFactory | None, clients: Clients | None,
          answers: Answers) -> PullResult:
    started = time.monotonic()
    clients = clients or Clients(profile, sleep=sleep, session_factory=session_factory)
    report: Progress = progress or (lambda *_: None)
    languages = _language_filter(profile)
    flags: dict[str, bool] = {}

    cached_mb = cached_read(cache, "metabase", MetabaseCursor) if incremental else None
    mb_read = None
    if cached_mb is not None and cached_mb[1].high_water:
        mb_read = _metabase_incremental(clients.metabase, cached_mb[0], cached_mb[1], languages, answers)
    flags["metabase"] = mb_read is not None
    if mb_read is None:
        discovery = clients.metabase.discover()
        report("metabase", 1, 2)
        metabase, mb_cursor = clients.metabase.read_terms(discovery.capacities, languages)
        mb_cursor = _with_discovery(metabase, mb_cursor, discovery)
    else:
        metabase, mb_cursor, discovery = mb_read
    report("metabase", 2, 2)

    cached_mw = cached_read(cache, "metawiki", MetawikiCursor) if incremental else None
    mw_read = None
    documentation = DOC_LANGUAGE not in profile.exclude_languages
    if cached_mw is not None and cached_mw[1].high_water:
        mw_read = _metawiki_incremental(clients.metawiki, cached_mw[0], cached_mw[1], languages, report,
                                        documentation=documentation, answers=answers)
    flags["metawiki"] = mw_read is not None
    if mw_read is None:
        metawiki, mw_cursor = _metawiki_full(clients.metawiki, languages, report,
                                             _likely_language(metabase, languages), documentation=documentation)
        earlier = cached_mw or cached_read(cache, "metawiki", MetawikiCursor)
        if earlier is not None:  # what changed in the English since: the previous English of outdated units
            mw_cursor = _with_previous_sources(metawiki, mw_cursor, *earlier)
    else:
        metawiki, mw_cursor = mw_read
    bundle = mw_cursor.bundle or Bundle({})

    wikidata, wd_cursor = None, None
    if clients.wikidata is not None:
        cached_wd = cached_read(cache, "wikidata", WikidataCursor) if incremental else None
        wanted_langs = _suggestion_languages(set(metabase.languages()) | set(metawiki.languages()))
        wikidata, wd_cursor, flags["wikidata"] = _wikidata(clients.wikidata, discovery, wanted_langs, cached_wd)
        report("wikidata", 1, 1)

    if profile.exclude_languages:
        metabase, metawiki = (_exclude(metabase, profile.exclude_languages),
                              _exclude(metawiki, profile.exclude_languages))
    accepted = frozenset(mb_cursor.accepted_languages)
    unaccepted = tuple(sorted(lang for lang in metawiki.languages()
                              if accepted and lang not in accepted and lang not in NOT_TRANSLATIONS))
    known = {c.qid for c in discovery.capacities}
    unknown_keys = tuple(k for k in bundle.messages
                         if not MESSAGE_KEY_RE.match(k) or MESSAGE_KEY_RE.match(k).group(1) not in known)  # type: ignore[union-attr]
    if cache is not None:
        cache.store_side("metabase", metabase, mb_cursor)
        cache.store_side("metawiki", metawiki, mw_cursor)
        if wikidata is not None and wd_cursor is not None:
            cache.store_side("wikidata", wikidata, wd_cursor)
    result = PullResult(metabase=metabase, metawiki=metawiki, wikidata=wikidata, discovery=discovery,
                        metabase_cursor=mb_cursor, metawiki_cursor=mw_cursor, wikidata_cursor=wd_cursor,
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
def _with_discovery(snapshot: Snapshot, cursor: MetabaseCursor, discovery: Discovery) -> MetabaseCursor:
    """Keep what an incremental pull needs to rebuild the discovery in the cursor."""
    revisions: dict[str, int] = {}
    for key, term in snapshot.terms.items():
        cap = snapshot.capacity(key.qid)
        if cap and cap.item and term.revision is not None:
            revisions[cap.item] = term.revision
    found = DiscoveryCursor(source=discovery.source,
                            duplicates={q: tuple(v) for q, v in discovery.duplicates.items()},
                            unlinked=tuple(discovery.unlinked), index_terms=dict(discovery.index_terms))
    return replace(cursor, discovery=found,
                   item_revisions=dict(sorted({**cursor.item_revisions, **revisions}.items())))


def _discovery_from(snapshot: Snapshot, cursor: MetabaseCursor) -> Discovery:
    found = cursor.discovery or DiscoveryCursor()
    return Discovery(capacities=snapshot.capacities, duplicates=dict(found.duplicates), unlinked=found.unlinked,
                     source=found.source, index_terms=dict(found.index_terms))


def _metabase_incremental(client: MetabaseClient, cached: Snapshot, cursor: MetabaseCursor,
                          languages: Collection[str] | None, answers: Answers = _NO_ANSWERS
                          ) -> tuple[Snapshot, MetabaseCursor, Discovery] | None:
    """Re-read only items changed since the cursor's mark; None when discovery must run again."""
    since = cursor.high_water or ""
    own = cursor.own_writes
    ignore = own_revisions(own)
    changes, mark = answers.take(("metabase", since, ignore),
                                 lambda: client.changed_item_revisions(since, ignore=ignore))
    known_revs: Mapping[str, int] = cursor.item_revisions
    changed = {item for item, rev in changes.items() if rev == -1 or rev > read_revision(own, item, known_revs.get(item))}
    discovery = _discovery_from(cached, cursor)
    if cursor.accepted_languages:
        client.remember_accepted(cursor.accepted_languages)
    # Items we wrote and nobody else touched: the cache already holds their content at our revision.
    verified = {item: max(w.revisions) for item, w in own.items() if w.revisions and item not in changed}
    known_revs = {**known_revs, **verified}
    read = replace(cursor, own_writes={}, high_water=mark)  # our writes are consumed: the mark moved past them
    if not changed:
        return (Snapshot("metabase", cached.capacities, cached.terms, cached.meta),
                replace(read, item_revisions=dict(sorted(known_revs.items()))), discovery)
    by_item = {c.item: c for c in cached.capacities if c.item}
    index_items = set(discovery.index_terms.values())
    unsynced = set(discovery.unlinked) | {i for items in discovery.duplicates.values() for i in items}
    if changed & (index_items | unsynced):
        log.info("metabase: an index term or an unsynced item changed since %s; discovering again", since)
        return None
    unknown = changed - set(by_item)
    if unknown:  # any item may have just become a capacity: the wiki decides
        entities = client.get_entities(unknown, props="claims")
        if any(client.profile.capacity_class in claim_values(e, client.profile.instance_of)
               for e in entities.values()):
            log.info("metabase: a new capacity item since %s; discovering again", since)
            return None
    entities = client.get_entities(sorted(changed & set(by_item)))
    rewritten = {by_item[item].qid for item in entities}
    terms = {k: t for k, t in cached.terms.items() if k.qid not in rewritten}  # one pass, however many changed
    capacities = list(cached.capacities)
    revisions = dict(known_revs)
    for item, entity in entities.items():
        cap = by_item[item]
        indexes = claim_values(entity, client.profile.index_term)
        if client.profile.capacity_class not in claim_values(entity, client.profile.instance_of) or \
                (indexes[:1] != [discovery.index_terms.get(item)]):
            log.info("metabase: %s changed its class or index term; discovering again", item)
            return None
        revision = int(entity.get("lastrevid") or 0)
        revisions[item] = revision
        for (fld, lang), text in entity_terms(entity, languages).items():
            terms[TermKey(cap.qid, fld, lang)] = Term(text=text, revision=revision, side="metabase",  # type: ignore[arg-type]
                                                      timestamp=entity.get("modified"))
    gone = changed & set(by_item) - set(entities)
    if gone:
        log.info("metabase: items %s were deleted; discovering again", ", ".join(sorted(gone)))
        return None
    return (Snapshot("metabase", tuple(capacities), terms, cached.meta),
            replace(read, item_revisions=dict(sorted(revisions.items()))), discovery)


# ---------------------------------------------------------------------- Meta-Wiki
def _metawiki_full(client: MetawikiClient, languages: Collection[str] | None, report: Progress,
                   guess: str | None = None, *, documentation: bool = True) -> tuple[Snapshot, MetawikiCursor]:
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
    return client.snapshot(terms, bundle, documentation=documentation)


def _metawiki_incremental(client: MetawikiClient, cached: Snapshot, cursor: MetawikiCursor,
                          languages: Collection[str] | None, report: Progress, *, documentation: bool = True,
                          answers: Answers = _NO_ANSWERS) -> tuple[Snapshot, MetawikiCursor] | None:
    """Re-read only the languages whose units changed (and the documentation if a ``/qqq`` unit did);
    None (full read) when the bundle changed."""
    since = cursor.high_water or ""
    bundle = cursor.bundle or Bundle({})
    own = cursor.own_writes
    # Outdated units we hold: a translator's confirmation of one shows in no revision and no recentchanges row.
    held_outdated = {} if isinstance(client, PlainMetawikiClient) else {
        k: t for k, t in cached.terms.items()
        if t.fuzzy and k.lang not in NOT_TRANSLATIONS and (languages is None or k.lang in languages)}
    ignore = own_revisions(own)
    units, bundle_rev, mark, probe = answers.take(
        ("metawiki", since, bundle.namespace, ignore, frozenset(held_outdated.items()), documentation),
        lambda: client.unit_changes_and_outdated(since, bundle.namespace, ignore=ignore, outdated=held_outdated,
                                                 documentation=documentation))
    bundle_page = client.profile.bundle_page
    if bundle_rev is not None and (bundle_rev == -1 or (bundle.revision is None and bundle_page not in own)
                                   or bundle_rev > read_revision(own, bundle_page, bundle.revision)):
        log.info("metawiki: the bundle changed since %s; reading everything (outdating is not in recentchanges)",
                 since)
        return None
    stale = set()
    for key, rev in units.items():
        title = client.unit_title(key)
        term = cached.terms.get(key)
        if rev == -1 or (title not in own and term is None) or \
                rev > read_revision(own, title, term.revision if term else None):
            stale.add(key.lang)
    # Our own English change outdated these keys' translations: fuzzy tags are not in recentchanges.
    outdated = set(cursor.outdated_keys)
    stale |= {key.lang for key in cached.terms if key.message_key in outdated and key.lang not in NOT_TRANSLATIONS}
    docs_stale = documentation and (DOC_LANGUAGE in stale or not cursor.documentation)
    stale.discard(DOC_LANGUAGE)
    if languages is not None:
        stale &= set(languages)
    asked = {k: t for k, t in held_outdated.items() if k.lang not in stale}
    confirmed, unsure = answers.take(("outdated", frozenset(asked.items()), id(probe)),
                                     lambda: client.resolve_outdated(asked, probe))
    if confirmed or unsure:
        log.info("metawiki: %d outdated unit(s) confirmed since %s; re-reading %s", len(confirmed), since,
                 ", ".join(sorted(unsure)) or "nothing")
    stale |= unsure
    dropped = set(stale) | ({DOC_LANGUAGE} if docs_stale or not documentation else set())
    terms: Mapping[TermKey, Term] = cached.terms  # kept as it is (the cache stores no copy) unless something changed
    if confirmed or stale or docs_stale or (dropped and any(k.lang in dropped for k in cached.terms)):
        changed = {k: t for k, t in cached.terms.items() if k.lang not in dropped}  # one pass, whatever changed
        for key in confirmed:  # same text, same revision: only the fuzzy tag went (a language read again has it)
            old = changed.get(key)
            if old is not None:
                changed[key] = Term(old.text, False, old.revision, old.author, old.side, old.timestamp)
        for done, lang in enumerate(sorted(stale), 1):
            changed.update(client.read_language(lang))
            report("metawiki", done, len(stale))
        if docs_stale:
            changed.update(client.read_documentation())
        terms = changed
    previous = previous_sources(cached.terms, terms, cursor.previous_source, {})
    return (Snapshot("metawiki", cached.capacities, terms, cached.meta),
            replace(cursor, high_water=mark, documentation=documentation, previous_source=previous, own_writes={},
                    outdated_keys=()))


def _with_previous_sources(snapshot: Snapshot, cursor: MetawikiCursor, earlier: Snapshot,
                           earlier_cursor: MetawikiCursor) -> MetawikiCursor:
    """A full Meta-Wiki read's cursor with the previous English of its outdated units, from the read before it."""
    old = earlier_cursor.bundle.messages if earlier_cursor.bundle is not None else {}
    new = cursor.bundle.messages if cursor.bundle is not None else {}
    replaced = {key: text for key, text in old.items() if key in new and new[key] != text}
    previous = previous_sources(earlier.terms, snapshot.terms, earlier_cursor.previous_source, replaced)
    return replace(cursor, previous_source=previous)


def _likely_language(snapshot: Snapshot, languages: Collection[str] | None) -> str | None:
    """The translation language with most terms on Metabase: a good bet for Meta-Wiki's first read."""
    counts: dict[str, int] = {}
    for key in snapshot.terms:
        if key.lang not in NOT_TRANSLATIONS and (languages is None or key.lang in languages):
            counts[key.lang] = counts.get(key.lang, 0) + 1
    return max(sorted(counts), key=lambda lang: counts[lang]) if counts else None


# ---------------------------------------------------------------------- Wikidata
def _suggestion_languages(directory_languages: set[str]) -> list[str]:
    """The languages Wikidata is read in: the directory's, and their fallback chains (an export suggests
    a concept's label in ``pt`` for ``pt-br`` when ``pt-br`` has none); never the documentation, and
    English only where the directory has it (it is never a suggestion)."""
    wanted = set(directory_languages)
    for code in directory_languages:
        try:
            wanted.update(langs.fallback_chain(code)[1:-1])  # without the code itself and the implied English
        except CapxError:  # a code our table does not know still gets read, without fallbacks
            continue
    return sorted(wanted - {DOC_LANGUAGE})


def _wikidata(client: WikidataClient, discovery: Discovery, languages: list[str],
              cached: tuple[Snapshot, WikidataCursor] | None) -> tuple[Snapshot, WikidataCursor, bool]:
    """Wikidata changes are not tracked: reuse the cache for known QIDs, read only new ones."""
    qids = sorted({c.qid for c in discovery.capacities}, key=qid_sort_key)
    if cached is not None and cached[1].languages == tuple(languages):
        snapshot, cursor = cached
        have = {c.qid for c in snapshot.capacities}
        new = [q for q in qids if q not in have]
        if not new and have == set(qids):  # nothing to read: the cached read as it is
            return Snapshot("wikidata", tuple(Capacity(qid=q) for q in qids), snapshot.terms), \
                WikidataCursor(languages=tuple(languages), from_mul=cursor.from_mul), True
        fresh, fresh_cursor = client.read_terms(new, languages) if new else (Snapshot("wikidata"), WikidataCursor())
        keep = set(qids)
        terms = {k: t for k, t in snapshot.terms.items() if k.qid in keep}
        terms.update(fresh.terms)
        from_mul = sorted({m for m in [*cursor.from_mul, *fresh_cursor.from_mul] if m.split("/", 1)[0] in keep})
        return (Snapshot("wikidata", tuple(Capacity(qid=q) for q in qids), terms),
                WikidataCursor(languages=tuple(languages), from_mul=tuple(from_mul)), True)
    snapshot, cursor = client.read_terms(qids, languages)
    return snapshot, replace(cursor, languages=tuple(languages)), False


def open_cache(profile: Profile) -> State:
    """The state (its read cache) named by the profile, created when missing."""
    return open_state(profile.state)


# ---------------------------------------------------------------------- the quiet read
@dataclass(frozen=True)
class QuietRead:
    """Both sides' incremental reads found nothing new: where each read stands now (stored), and the
    requests made."""

    metabase_cursor: MetabaseCursor
    metawiki_cursor: MetawikiCursor
    requests: dict[str, int]


def read_quietly(profile: Profile, state: State, outdated: Mapping[TermKey, Term], documentation_terms: bool, *,
                 clients: Clients, answers: Answers, progress: Progress | None = None) -> QuietRead | None:
    """The incremental read of both sides when it finds nothing new, without the cached snapshots: the
    caller (engine/sync.py's quiet check) knows the rows are those it knew (their digests), and brings what
    the read needs of their terms (``outdated``: the Meta-Wiki row's outdated translation units;
    ``documentation_terms``: whether it holds ``qqq`` units). It asks the wikis what the incremental reads
    ask first (one ``recentchanges`` each, the outdated units' probe riding on Meta-Wiki's), decides as
    they do whether anything is new, and, when nothing is, stores the cursors they would store (the same
    marks) and returns them. Otherwise None, and every answer it had is in ``answers`` for the read
    (:func:`pull`) to take instead of asking again. ``profile`` is the sync's (Wikidata not read)."""
    report: Progress = progress or (lambda *_: None)
    mb_cursor, mw_cursor = state.load_cursor("metabase"), state.load_cursor("metawiki")
    if not (isinstance(mb_cursor, MetabaseCursor) and isinstance(mw_cursor, MetawikiCursor)
            and mb_cursor.high_water and mw_cursor.high_water and not mb_cursor.own_writes
            and not mw_cursor.own_writes and not mw_cursor.outdated_keys):
        return None
    # Metabase, as _metabase_incremental: any item newer than its read revision is news.
    since = mb_cursor.high_water
    ignore = own_revisions({})
    changes, mark = answers.keep(("metabase", since, ignore),
                                 clients.metabase.changed_item_revisions(since, ignore=ignore))
    if any(rev == -1 or rev > read_revision({}, item, mb_cursor.item_revisions.get(item))
           for item, rev in changes.items()):
        return None
    metabase = replace(mb_cursor, own_writes={}, high_water=mark,
                       item_revisions=dict(sorted(mb_cursor.item_revisions.items())))
    report("metabase", 2, 2)
    # Meta-Wiki, as _metawiki_incremental: no unit changed, the bundle neither, no outdated unit confirmed.
    client = clients.metawiki
    languages = _language_filter(profile)
    documentation = DOC_LANGUAGE not in profile.exclude_languages
    if (documentation and not mw_cursor.documentation) or (not documentation and documentation_terms):
        return None
    held = {} if isinstance(client, PlainMetawikiClient) else {
        k: t for k, t in outdated.items()
        if t.fuzzy and k.lang not in NOT_TRANSLATIONS and (languages is None or k.lang in languages)}
    since = mw_cursor.high_water
    bundle = mw_cursor.bundle or Bundle({})
    units, bundle_rev, mark, probe = answers.keep(
        ("metawiki", since, bundle.namespace, ignore, frozenset(held.items()), documentation),
        client.unit_changes_and_outdated(since, bundle.namespace, ignore=ignore, outdated=held,
                                         documentation=documentation))
    bundle_page = client.profile.bundle_page
    if units or (bundle_rev is not None and (bundle_rev == -1 or bundle.revision is None
                                             or bundle_rev > read_revision({}, bundle_page, bundle.revision))):
        return None
    confirmed, unsure = answers.keep(("outdated", frozenset(held.items()), id(probe)),
                                     client.resolve_outdated(held, probe))
    if confirmed or unsure:
        return None
    outdated_units = {k: t for k, t in outdated.items() if t.fuzzy and k.lang not in NOT_TRANSLATIONS}
    metawiki = replace(mw_cursor, high_water=mark, documentation=documentation, own_writes={}, outdated_keys=(),
                       previous_source=previous_sources(outdated_units, outdated_units, mw_cursor.previous_source, {}))
    state.store_cursor("metabase", metabase)
    state.store_cursor("metawiki", metawiki)
    return QuietRead(metabase, metawiki, clients.requests())
