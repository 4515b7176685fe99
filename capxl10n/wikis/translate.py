"""Meta-Wiki: the message bundle and its translations, through the Translate API.

Reads (docs/clients.md, "Meta-Wiki"): the bundle source page (JSON, key order kept) with its
revision; then ``list=messagecollection`` one language at a time with
``mcprop=translation|tags|properties``, following ``mcoffset`` to the end.
Fuzzy comes from the ``fuzzy`` tag or ``status``; the unit revision and last
translator from ``properties`` (strings). ``meta=messagegroupstats`` only says
which languages can be skipped (it is a stale cache: never the truth for
fuzzy; an uncomputed list stops with ``mgsoffset`` and then every language is
read). ``/en`` mirrors the source and ``/qqq`` is documentation: neither is a
translation. The documentation is still read (:meth:`MetawikiClient.read_documentation`,
one more ``messagecollection`` with ``mclanguage=qqq``) as ``qqq`` terms, never
outdated and never written, because the catalogs show it to translators.
:class:`PlainMetawikiClient` reads a wiki without Translate.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any, Final

from capxl10n.wikis.http import ApiClient, PageHistory
from capxl10n.wikis.results import WriteResult
from capxl10n.errors import DataError, RemoteError
from capxl10n.core import strictjson
from capxl10n.core.cursors import NOT_TRANSLATIONS, Bundle, MetawikiCursor
from capxl10n.core.model import DOC_LANGUAGE, MESSAGE_KEY_RE, SOURCE_LANGUAGE, Snapshot, Term, TermKey
from capxl10n.profile import MetawikiProfile

log = logging.getLogger(__name__)

FUZZY_MARKER: Final = "!!FUZZY!!"


def parse_bundle(text: str, title: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Messages (order kept) and @metadata of a bundle page's JSON."""
    data = strictjson.loads(text, origin=f"bundle {title}", malformed_hint="fix the page on the wiki",
                            duplicate_hint="fix the page on the wiki: Translate keeps the last value of a repeated key, "
                                           "which may not be the English meant; nothing is synced until it is fixed")
    if not isinstance(data, dict):
        raise DataError(f"bundle {title}: expected a JSON object, got {type(data).__name__}")
    metadata = data.pop("@metadata", {}) or {}
    messages = {str(k): v for k, v in data.items() if isinstance(v, str)}
    return messages, dict(metadata) if isinstance(metadata, Mapping) else {}


def strip_marker(text: str) -> tuple[str, bool]:
    """Text without Translate's fuzzy marker, and whether it was there."""
    if FUZZY_MARKER in text:
        return text.replace(FUZZY_MARKER, "").strip(), True
    return text, False


def _pages(query: Mapping[str, Any]) -> list[Any]:
    """``query.pages`` as a list: formatversion 2 answers a list, formatversion 1 an object keyed by page id."""
    pages = query.get("pages") or []
    return list(pages.values()) if isinstance(pages, Mapping) else pages


def _unit_term(rev: Mapping[str, Any], *, fuzzy: bool = False) -> Term:
    """One unit page revision (``rvslots=main``) as a Meta-Wiki term; ``fuzzy`` adds what the marker says."""
    main = (rev.get("slots") or {}).get("main") or {}
    text, marked = strip_marker(str(main.get("content", main.get("*", ""))))
    return Term(text=text, fuzzy=fuzzy or marked, revision=int(rev["revid"]), author=rev.get("user"),
                side="metawiki", timestamp=rev.get("timestamp"))


def _read_unit_answer(data: Mapping[str, Any], title: str) -> tuple[Term | None, int | None, str | None]:
    """read_unit's answer from a ``prop=revisions`` query of one unit page (term, revision, timestamp).

    Shared by the Translate and plain clients: only the former asks ``meta=messagetranslations``,
    whose ``fuzzy`` flag for ``title`` marks the term fuzzy even without the marker in the text.
    """
    query = data.get("query") or {}
    pages = _pages(query)
    page = pages[0] if pages else {}
    if not page or "missing" in page or not page.get("revisions"):
        return None, None, None
    flagged = any(row.get("title") == title and row.get("fuzzy")
                  for row in query.get("messagetranslations", []) or [])
    term = _unit_term(page["revisions"][0], fuzzy=flagged)
    return term, term.revision, term.timestamp


class MetawikiClient:
    """Reader and writer of the capacity bundle on a wiki with the Translate API."""

    def __init__(self, api: ApiClient, profile: MetawikiProfile) -> None:
        self.api = api
        self.profile = profile
        self.high_water: str | None = None
        self.stats_complete = False
        self.unknown_units: list[str] = []
        self._prefetched: dict[str, dict[TermKey, Term]] = {}
        #: ``messagecollection`` key → its capacity (QID, field), or None when it names no capacity message:
        #: each key is parsed once, not once per language (a full read lists 4,000 keys in 300 languages).
        self._unit_keys: dict[str, tuple[str, str] | None] = {}

    # ------------------------------------------------------------------ names
    @property
    def unit_prefix(self) -> str:
        return f"Translations:{self.profile.bundle_page}/"

    def unit_title(self, key: TermKey) -> str:
        return f"{self.unit_prefix}{key.message_key}/{key.lang}"

    def parse_unit_title(self, title: str) -> tuple[str, str] | None:
        """``(message key, lang)`` of a unit page of our bundle, else None."""
        if not title.startswith(self.unit_prefix):
            return None
        rest = title[len(self.unit_prefix):]
        if "/" not in rest:
            return None
        message_key, lang = rest.rsplit("/", 1)
        return message_key, lang

    # ------------------------------------------------------------------ bundle
    def _bundle_params(self) -> dict[str, Any]:
        return {"prop": "revisions", "titles": self.profile.bundle_page,
                "rvprop": "ids|timestamp|user|content", "rvslots": "main"}

    def _parse_bundle_page(self, data: Mapping[str, Any]) -> Bundle:
        pages = _pages(data.get("query") or {})
        page = next((p for p in pages if p.get("title") == self.profile.bundle_page), pages[0] if pages else {})
        if not page or "missing" in page or not page.get("revisions"):
            return Bundle(messages={}, exists=False, namespace=page.get("ns") if page else None)
        rev = page["revisions"][0]
        main = (rev.get("slots") or {}).get("main") or {}
        text = main.get("content", main.get("*", rev.get("content", rev.get("*", ""))))
        messages, metadata = parse_bundle(str(text), self.profile.bundle_page)
        return Bundle(messages=messages, metadata=metadata, revision=int(rev["revid"]),
                      timestamp=rev.get("timestamp"), exists=True, author=rev.get("user"),
                      namespace=page.get("ns"))

    def read_bundle(self) -> Bundle:
        """The bundle source page as it is now (``exists=False`` if the page is missing)."""
        data = self.api.get(action="query", **self._bundle_params())
        return self._parse_bundle_page(data)

    def read_bundle_and_stats(self, first_language: str | None = None) -> tuple[Bundle, dict[str, int] | None]:
        """Bundle, message-group stats and a time mark in one request (a full pull's first step).

        With ``first_language`` the same request also reads that language's
        translations (kept for the next :meth:`read_language`), saving one
        request when the guess has translations and costing nothing if not.
        Returns ``{lang: translated+fuzzy+proofread}`` or None when the stats
        are incomplete (``mgsoffset``: not computed yet); then every language
        must be read.
        """
        lists = "recentchanges"
        extra: dict[str, Any] = {}
        if first_language and first_language not in NOT_TRANSLATIONS:
            lists = "messagecollection|recentchanges"
            extra = self._mc_params(first_language)
        data = self.api.get(action="query", **self._bundle_params(), meta="messagegroupstats",
                            mgsgroup=self.profile.message_group, curtimestamp=1,
                            list=lists, rclimit=1, rcprop="timestamp|ids", **extra)
        if extra:
            terms = self._mc_terms(data, first_language or "")
            offset = (data.get("continue") or {}).get("mcoffset")
            if offset:
                for page in self.api.query(list="messagecollection", mcoffset=offset, **extra):
                    terms.update(self._mc_terms(page, first_language or ""))
            self._prefetched[first_language or ""] = terms
        self.high_water = self.high_water or self.api.server_time(data)
        bundle = self._parse_bundle_page(data)
        stats = self._stats_rows(data)
        offset = (data.get("continue") or {}).get("mgsoffset")
        while offset and stats is not None:
            more = self.api.get(action="query", meta="messagegroupstats", mgsgroup=self.profile.message_group,
                                mgsoffset=offset)
            rows = self._stats_rows(more)
            next_offset = (more.get("continue") or {}).get("mgsoffset")
            if not rows and next_offset == offset or rows is None:
                stats = None  # uncomputed: the wiki queued a rebuild; we cannot skip anything
                break
            stats.update(rows)
            offset = next_offset
        if stats is not None and not stats and bundle.messages:
            stats = None
        self.stats_complete = stats is not None
        return bundle, stats

    @staticmethod
    def _stats_rows(data: Mapping[str, Any]) -> dict[str, int] | None:
        query = data.get("query") or {}
        rows = query.get("messagegroupstats")
        if rows is None:
            return None
        out: dict[str, int] = {}
        for row in rows:
            code = str(row.get("code") or row.get("language"))
            out[code] = sum(int(row.get(k) or 0) for k in ("translated", "fuzzy", "proofread"))
        return out

    def translation_languages(self) -> list[str]:
        """Every language with a unit page of our bundle (used when the stats are not computed)."""
        langs: set[str] = set()
        for page in self.api.query(list="allpages", apnamespace=self.profile.translations_namespace,
                                   apprefix=f"{self.profile.bundle_page}/", aplimit="max"):
            for row in (page.get("query") or {}).get("allpages", []) or []:
                parsed = self.parse_unit_title(str(row.get("title", "")))
                if parsed:
                    langs.add(parsed[1])
        return sorted(langs - NOT_TRANSLATIONS)

    # ------------------------------------------------------------------ translations
    def english_terms(self, bundle: Bundle) -> dict[TermKey, Term]:
        out: dict[TermKey, Term] = {}
        for key, text in bundle.messages.items():
            if MESSAGE_KEY_RE.match(key):
                out[TermKey.from_message_key(key, SOURCE_LANGUAGE)] = Term(
                    text=text, revision=bundle.revision, author=bundle.author, side="metawiki",
                    timestamp=bundle.timestamp)
        return out

    def _mc_params(self, lang: str) -> dict[str, Any]:
        return {"mcgroup": self.profile.message_group, "mclanguage": lang,
                "mcprop": "translation|tags|properties", "mcfilter": "hastranslation", "mclimit": 5000}

    def read_language(self, lang: str) -> dict[TermKey, Term]:
        """All translations of one language via ``list=messagecollection`` (continuation followed)."""
        if lang in NOT_TRANSLATIONS:
            return {}
        if lang in self._prefetched:
            return self._prefetched.pop(lang)
        out: dict[TermKey, Term] = {}
        try:
            for page in self.api.query(list="messagecollection", **self._mc_params(lang)):
                out.update(self._mc_terms(page, lang))
        except RemoteError as exc:
            if exc.code != "translate-invalidlanguage":
                raise
            # A unit page in a language Translate does not know (a typo, vandalism): one odd page must not stop
            # every sync. Translate lists no translations for it, so nothing is merged or lost.
            log.warning("%s: unit pages in %r skipped: Translate does not know the language (a translation "
                        "administrator may delete Translations:%s/…/%s)", self.api.name, lang,
                        self.profile.bundle_page, lang)
            return {}
        return out

    @staticmethod
    def has_documentation(stats: Mapping[str, int] | None) -> bool:
        """Whether a full read must ask for ``qqq``: unless the group stats say it has nothing."""
        return stats is None or stats.get(DOC_LANGUAGE, 0) > 0

    def read_documentation(self) -> dict[TermKey, Term]:
        """Message documentation (``/qqq`` units) as ``qqq`` terms: one ``messagecollection``
        (``mclanguage=qqq``, continuation followed). Translate never outdates documentation, so
        these terms are never fuzzy (a ``!!FUZZY!!`` typed into one is dropped from the text)."""
        out: dict[TermKey, Term] = {}
        for page in self.api.query(list="messagecollection", **self._mc_params(DOC_LANGUAGE)):
            out.update(_as_documentation(self._mc_terms(page, DOC_LANGUAGE)))
        return out

    def _mc_terms(self, page: Mapping[str, Any], lang: str) -> dict[TermKey, Term]:
        """The units of one ``messagecollection`` answer in ``lang`` as terms (a full read makes a million:
        one pass, each key parsed once per client, no call per unit but the term's own)."""
        out: dict[TermKey, Term] = {}
        prefix = f"{self.profile.bundle_page}/"
        parsed_keys = self._unit_keys
        code: str | None = None  # lang as the first TermKey checked and interned it
        for row in (page.get("query") or {}).get("messagecollection", []) or []:
            text = row.get("translation")
            if text is None:
                text = row.get("*")
                if text is None:
                    continue
            key = row.get("key", "")
            if type(key) is not str:
                key = str(key)
            if key in parsed_keys:
                parsed = parsed_keys[key]
            else:
                message_key = key[len(prefix):] if key.startswith(prefix) else key
                match = MESSAGE_KEY_RE.match(message_key)
                checked = TermKey(match.group(1), match.group(2), lang) if match else None  # type: ignore[arg-type]
                parsed = parsed_keys[key] = (checked.qid, checked.field) if checked is not None else None
            if parsed is None:
                self.unknown_units.append(f"{key[len(prefix):] if key.startswith(prefix) else key}/{lang}")
                continue
            if code is None:
                term_key = TermKey(parsed[0], parsed[1], lang)  # type: ignore[arg-type]
                code = term_key.lang
            else:  # the QID and field as the regex checked them, the language as TermKey did
                term_key = tuple.__new__(TermKey, (parsed[0], parsed[1], code))
            if type(text) is not str:
                text = str(text)
            marked = FUZZY_MARKER in text
            if marked:
                text = text.replace(FUZZY_MARKER, "").strip()
            props = row.get("properties") or {}
            fuzzy = marked or "fuzzy" in (row.get("tags") or ()) or props.get("status") == "fuzzy"
            revision = props.get("revision", row.get("revision"))
            out[term_key] = Term(text, fuzzy, int(revision) if revision not in (None, "") else None,
                                 props.get("last-translator-text") or None, "metawiki")
        return out

    def read_translations(self, languages: Collection[str] | None = None, *, progress: Any = None
                          ) -> tuple[Snapshot, MetawikiCursor]:
        """Bundle English (as ``en``) plus every translation of ``languages`` (all with something if None),
        and the read's cursor (its time mark and the bundle as read)."""
        bundle, stats = self.read_bundle_and_stats()
        langs = self.languages_to_read(stats, languages)
        terms = self.english_terms(bundle) if languages is None or SOURCE_LANGUAGE in languages else {}
        for lang in langs:
            terms.update(self.read_language(lang))
            if progress is not None:
                progress(lang)
        return self.snapshot(terms, bundle)

    def languages_to_read(self, stats: Mapping[str, int] | None, languages: Collection[str] | None) -> list[str]:
        if stats is None:
            candidates = set(languages) if languages is not None else set(self.translation_languages())
        else:
            candidates = {code for code, count in stats.items() if count > 0}
            if languages is not None:
                candidates &= set(languages)
        return sorted(candidates - NOT_TRANSLATIONS)

    def snapshot(self, terms: Mapping[TermKey, Term], bundle: Bundle, *, documentation: bool = False
                 ) -> tuple[Snapshot, MetawikiCursor]:
        """A read of ``terms`` and ``bundle`` (side ``metawiki``) and its cursor; ``documentation``: the
        terms hold the ``qqq`` documentation as read."""
        return (Snapshot(side="metawiki", terms=dict(terms)),
                MetawikiCursor(high_water=self.high_water or None, bundle=bundle, documentation=documentation))

    def read_unit(self, key: TermKey) -> tuple[Term | None, int | None, str | None]:
        """The current term, revision and timestamp of one unit page (for apply's guards)."""
        title = self.unit_title(key)
        data = self.api.get(action="query", prop="revisions", titles=title, rvprop="ids|timestamp|user|content",
                            rvslots="main", meta="messagetranslations",
                            mttitle=f"{self.unit_prefix}{key.message_key}")
        return _read_unit_answer(data, title)

    def page_history(self, title: str, since: str | None = None) -> PageHistory:
        """A unit's or the bundle's revisions since ``since`` (ids, comments, users) and the deletions logged
        for it since then, in one request."""
        return self.api.page_history(title, since=since)

    # ------------------------------------------------------------------ changes
    def unit_changes(self, since: str, bundle_namespace: int | None = None, ignore: Collection[int] = ()
                     ) -> tuple[dict[TermKey, int], int | None, str]:
        """``{unit: newest revid}`` and the newest bundle revid changed at or after ``since``, and the mark.

        Rows whose revid is in ``ignore`` (our own writes, already in the read
        cache) are skipped. Outdating (fuzzy tags) never shows here (docs/clients.md, "Pull"):
        the caller re-reads the languages an English change of ours outdated.
        """
        units, bundle_rev, mark, _ = self.unit_changes_and_outdated(since, bundle_namespace, ignore)
        return units, bundle_rev, mark

    # ------------------------------------------------------------------ confirmations
    def _outdated_probe(self, outdated: Collection[TermKey]) -> dict[str, Any]:
        """What rides on the first ``recentchanges`` request when we hold outdated units: the group stats,
        ``messagetranslations`` of the key with most of them (every language in one answer) and the
        fuzzy units of the language with most of them."""
        if not outdated:
            return {}
        counts: dict[str, int] = {}
        for key in outdated:
            counts[key.message_key] = counts.get(key.message_key, 0) + 1
        best = min(counts, key=lambda k: (-counts[k], k))
        langs: dict[str, int] = {}
        for key in outdated:
            langs[key.lang] = langs.get(key.lang, 0) + 1
        lang = min(langs, key=lambda g: (-langs[g], g))
        return {"meta": "messagegroupstats|messagetranslations", "mgsgroup": self.profile.message_group,
                "mttitle": f"{self.unit_prefix}{best}", "list": "recentchanges|messagecollection",
                **self._mc_params(lang), "mcfilter": "fuzzy"}

    def resolve_outdated(self, outdated: Mapping[TermKey, Term], probe: Mapping[str, Any] | None
                         ) -> tuple[set[TermKey], set[str]]:
        """Which cached outdated units a translator confirmed since: ``(confirmed units, languages to re-read)``.

        A confirmation (the same text saved again, as Special:Translate's "Confirm
        translation" does) makes no revision, no ``recentchanges`` row and no log
        entry; only the fuzzy tag goes (measured on Translate REL1_39; docs/sandbox-differences.md).
        It does recompute the language's group stats, which are exact after any
        save in that language: where the stats' fuzzy count equals the number of
        outdated units we hold, nothing was confirmed. The other languages are
        checked: the probe's ``messagecollection`` (``mcfilter=fuzzy``, the language
        with most outdated units) and ``messagetranslations`` (the key with most)
        answers first, then one
        ``messagetranslations`` per key or ``messagecollection`` (``mcfilter=fuzzy``)
        per language, whichever needs fewer requests. A unit no longer fuzzy
        with the text we hold is confirmed in place (its revision is unchanged);
        anything else odd re-reads its language.
        """
        confirmed: set[TermKey] = set()
        stale: set[str] = set()
        if not outdated:
            return confirmed, stale
        query = (probe or {}).get("query") or {}
        fuzzy_stats = {str(r.get("code") or r.get("language")): int(r.get("fuzzy") or 0)
                       for r in query.get("messagegroupstats") or []}
        held: dict[str, int] = {}
        for key in outdated:
            held[key.lang] = held.get(key.lang, 0) + 1
        pending = {key for key in outdated if fuzzy_stats.get(key.lang) != held[key.lang]}
        probed_title = str((probe or {}).get("_mttitle") or "")

        def judge(key: TermKey, row: Mapping[str, Any] | None) -> None:
            if row is None:
                stale.add(key.lang)
                return
            text, marked = strip_marker(str(row.get("translation", row.get("*", ""))))
            if row.get("fuzzy") or marked:
                return
            if text == outdated[key].text:
                confirmed.add(key)
            else:
                stale.add(key.lang)

        def from_mt(data: Mapping[str, Any], message_key: str) -> dict[str, Mapping[str, Any]]:
            rows = (data.get("query") or {}).get("messagetranslations") or []
            wanted = f"{self.unit_prefix}{message_key}/"
            return {str(r.get("title", ""))[len(wanted):]: r for r in rows
                    if str(r.get("title", "")).startswith(wanted)}

        probed_lang = str((probe or {}).get("_mclanguage") or "")
        cont = (probe or {}).get("continue") or {}
        if probed_lang and "messagecollection" in query and "mcoffset" not in cont:
            still = self._mc_terms(probe or {}, probed_lang)
            if set(still) - set(outdated):
                stale.add(probed_lang)  # outdated without a bundle change we saw: read it again
            for key in sorted(k for k in outdated if k.lang == probed_lang):  # direct evidence: use it all
                if key not in still:
                    confirmed.add(key)  # not fuzzy any more, and no revision since (the caller saw none)
                pending.discard(key)
        if probed_title.startswith(self.unit_prefix) and "messagetranslations" in query:
            message_key = probed_title[len(self.unit_prefix):]
            complete = "mtoffset" not in cont
            rows = from_mt(probe or {}, message_key)
            for key in sorted(k for k in outdated if k.message_key == message_key and k.lang != probed_lang):
                if key.lang in rows or complete:
                    judge(key, rows.get(key.lang))
                    pending.discard(key)
        pending = {k for k in pending if k.lang not in stale}
        keys = sorted({k.message_key for k in pending})
        langs = sorted({k.lang for k in pending})
        if keys and len(keys) <= len(langs):
            for message_key in keys:
                rows = {}
                for page in self.api.query(meta="messagetranslations", mttitle=f"{self.unit_prefix}{message_key}"):
                    rows.update(from_mt(page, message_key))
                for key in sorted(k for k in pending if k.message_key == message_key):
                    judge(key, rows.get(key.lang))
        else:
            for lang in langs:
                fuzzy_now: dict[TermKey, Term] = {}
                for page in self.api.query(list="messagecollection", **{**self._mc_params(lang), "mcfilter": "fuzzy"}):
                    fuzzy_now.update(self._mc_terms(page, lang))
                for key in sorted(k for k in pending if k.lang == lang):
                    if key in fuzzy_now:
                        continue
                    # Not fuzzy any more and no revision since (the caller saw none): confirmed as it is.
                    confirmed.add(key)
                if set(fuzzy_now) - set(outdated):
                    stale.add(lang)  # outdated without a bundle change we saw: read it again
        return {k for k in confirmed if k.lang not in stale}, stale

    def unit_changes_and_outdated(self, since: str, bundle_namespace: int | None = None,
                                  ignore: Collection[int] = (), outdated: Collection[TermKey] = (),
                                  *, documentation: bool = False
                                  ) -> tuple[dict[TermKey, int], int | None, str, dict[str, Any] | None]:
        """:meth:`unit_changes` plus, when ``outdated`` units are held, the probe answer for
        :meth:`resolve_outdated` from the same first request (no extra request). With
        ``documentation`` the changed ``/qqq`` units are listed too (as ``qqq`` keys)."""
        skip = frozenset(ignore)
        namespaces = [self.profile.translations_namespace]
        ns = bundle_namespace
        if ns is not None:
            namespaces.append(ns)
        units: dict[TermKey, int] = {}
        bundle_rev: int | None = None
        mark: str | None = None
        rc_params: dict[str, Any] = {"list": "recentchanges", "rcnamespace": namespaces, "rcstart": since,
                                     "rcdir": "newer", "rcprop": "title|ids|timestamp|loginfo", "rclimit": "max",
                                     "curtimestamp": 1}
        probe_params = self._outdated_probe(outdated)
        probe: dict[str, Any] | None = None
        first: dict[str, Any] | None = None
        if probe_params:
            try:
                first = self.api.get(action="query", **{**rc_params, **probe_params})
            except RemoteError as exc:
                if exc.code != "nomessagefortitle":
                    raise
                # The probed key left the bundle since our last read: the bundle changed, read it all.
                log.info("metawiki: %s is no longer a message of the bundle", probe_params["mttitle"])
                bundle_rev = -1
        if first is not None:
            # The probe's modules ride on the first request only; recentchanges continues alone.
            probe = {**first, "_mttitle": probe_params["mttitle"], "_mclanguage": probe_params["mclanguage"]}
            pages: Iterable[Mapping[str, Any]] = [first]
            rc_next = (first.get("continue") or {}).get("rccontinue")
            if rc_next:
                pages = [first, *self.api.query(**rc_params, rccontinue=rc_next, **{"continue": "-||"})]
        else:
            pages = self.api.query(**rc_params)
        for page in pages:
            stamp = self.api.server_time(page)
            mark = max(mark or "", stamp or "") or None
            for change in (page.get("query") or {}).get("recentchanges", []) or []:
                title = str(change.get("title", ""))
                revid = int(change.get("revid") or 0)
                if revid and revid in skip:
                    continue
                if title == self.profile.bundle_page:
                    bundle_rev = _newest(bundle_rev, revid)
                    continue
                parsed = self.parse_unit_title(title)
                if parsed is None or not MESSAGE_KEY_RE.match(parsed[0]) or parsed[1] == SOURCE_LANGUAGE \
                        or (parsed[1] == DOC_LANGUAGE and not documentation):
                    continue
                key = TermKey.from_message_key(parsed[0], parsed[1])
                units[key] = _newest(units.get(key), revid)
        if ns is None:
            for page in self.api.query(list="recentchanges", rctitle=self.profile.bundle_page, rcstart=since,
                                       rcdir="newer", rcprop="title|ids|timestamp", rclimit="max"):
                for change in (page.get("query") or {}).get("recentchanges", []) or []:
                    revid = int(change.get("revid") or 0)
                    if not (revid and revid in skip):
                        bundle_rev = _newest(bundle_rev, revid)
        return units, bundle_rev, str(mark or since), probe

    def changed_units(self, since: str) -> tuple[set[TermKey], bool, str]:
        """Units edited since ``since`` (ns 1198), whether the bundle page changed, and the new mark."""
        units, bundle_rev, mark = self.unit_changes(since)
        return set(units), bundle_rev is not None, mark

    # ------------------------------------------------------------------ writes
    def save_unit(self, key: TermKey, text: str, *, fuzzy: bool = False, baserevid: int | None,
                  basetimestamp: str | None, create: bool, summary: str) -> WriteResult:
        """Save one translation unit page with its guards (``createonly`` or ``nocreate``)."""
        if key.lang in NOT_TRANSLATIONS:
            raise DataError(f"refusing to write {key.lang!r} unit {key.message_key}",
                            hint="/en mirrors the bundle and /qqq is documentation")
        body = f"{FUZZY_MARKER}{text}" if fuzzy else text
        params: dict[str, Any] = {"title": self.unit_title(key), "text": body, "summary": summary,
                                  "baserevid": baserevid, "basetimestamp": basetimestamp}
        params["createonly" if create else "nocreate"] = 1
        return _edit_result(self.api.write("edit", term=key, **params), self.api.name, key)

    def delete_unit(self, key: TermKey, *, summary: str) -> WriteResult:
        """Delete one unit page; needs the delete right (PermissionDeniedError otherwise)."""
        answer = self.api.write("delete", term=key, title=self.unit_title(key), reason=summary)
        deleted = answer.get("delete") or {}
        return WriteResult(revision=None, logid=int(deleted["logid"]) if deleted.get("logid") else None)

    def save_bundle(self, bundle: Bundle, messages: Mapping[str, str], *, summary: str) -> WriteResult:
        """Write ``messages`` over ``bundle``, the page as read (:meth:`read_bundle`): its @metadata is kept and
        its revision guards the edit (none: the page is created, with the bundle content model)."""
        metadata = dict(bundle.metadata)
        body: dict[str, Any] = {"@metadata": metadata} if metadata else {}
        body.update(messages)
        baserevid = bundle.revision
        params: dict[str, Any] = {"title": self.profile.bundle_page,
                                  "text": json.dumps(body, ensure_ascii=False, indent=4) + "\n",
                                  "summary": summary, "baserevid": baserevid, "basetimestamp": bundle.timestamp}
        if baserevid is None:
            params["createonly"] = 1
            params["contentmodel"] = "translate-messagebundle"
        else:
            params["nocreate"] = 1
        return _edit_result(self.api.write("edit", term=self.profile.bundle_page, **params), self.api.name,
                            self.profile.bundle_page)


class PlainMetawikiClient(MetawikiClient):
    """Reads units as plain pages (``generator=allpages`` + revisions) on a wiki without Translate."""

    def read_bundle_and_stats(self, first_language: str | None = None) -> tuple[Bundle, dict[str, int] | None]:
        data = self.api.get(action="query", **self._bundle_params(), curtimestamp=1,
                            list="recentchanges", rclimit=1, rcprop="timestamp|ids")
        self.high_water = self.high_water or self.api.server_time(data)
        self.stats_complete = False
        return self._parse_bundle_page(data), None

    def read_translations(self, languages: Collection[str] | None = None, *, progress: Any = None
                          ) -> tuple[Snapshot, MetawikiCursor]:
        bundle, _ = self.read_bundle_and_stats()
        terms = self.english_terms(bundle) if languages is None or SOURCE_LANGUAGE in languages else {}
        terms.update(self.read_pages(languages))
        return self.snapshot(terms, bundle)

    def read_language(self, lang: str) -> dict[TermKey, Term]:
        return self.read_pages([lang])

    def read_documentation(self) -> dict[TermKey, Term]:
        return self.read_pages((), documentation=True)

    def read_pages(self, languages: Collection[str] | None, *, documentation: bool = False) -> dict[TermKey, Term]:
        """Every unit page of ``languages`` (all if None), plus the ``qqq`` documentation with ``documentation``."""
        out: dict[TermKey, Term] = {}
        for page in self.api.query(generator="allpages", gapnamespace=self.profile.translations_namespace,
                                   gapprefix=f"{self.profile.bundle_page}/", gaplimit="max", prop="revisions",
                                   rvprop="ids|timestamp|user|content", rvslots="main"):
            for row in _pages(page.get("query") or {}):
                parsed = self.parse_unit_title(str(row.get("title", "")))
                if parsed is None or not row.get("revisions"):
                    continue
                message_key, lang = parsed
                doc = lang == DOC_LANGUAGE
                if lang == SOURCE_LANGUAGE or (doc and not documentation) or \
                        (not doc and languages is not None and lang not in languages):
                    continue
                if not MESSAGE_KEY_RE.match(message_key):
                    self.unknown_units.append(f"{message_key}/{lang}")
                    continue
                term = _unit_term(row["revisions"][0])
                out[TermKey.from_message_key(message_key, lang)] = replace(term, fuzzy=False) if doc else term
        return out

    def read_unit(self, key: TermKey) -> tuple[Term | None, int | None, str | None]:
        title = self.unit_title(key)
        data = self.api.get(action="query", prop="revisions", titles=title,
                            rvprop="ids|timestamp|user|content", rvslots="main")
        return _read_unit_answer(data, title)


def _as_documentation(terms: Mapping[TermKey, Term]) -> dict[TermKey, Term]:
    """Documentation terms are never outdated, whatever a unit's tags say."""
    return {key: replace(term, fuzzy=False) if term.fuzzy else term for key, term in terms.items()}


def _newest(previous: int | None, revid: int) -> int:
    """The newest revid seen for a page; -1 (re-read whatever we hold) once a row has none (a log entry)."""
    if previous == -1 or not revid:
        return -1
    return max(previous or 0, revid)


def _edit_result(answer: Mapping[str, Any], site: str, term: Any) -> WriteResult:
    edit = answer.get("edit") or {}
    if edit.get("result") != "Success":
        raise RemoteError(f"edit of {term} was not saved: {json.dumps(edit, ensure_ascii=False)[:200]}",
                          code="edit-failure", site=site, term=term,
                          hint="an extension hook (abuse filter, captcha) refused the edit")
    if edit.get("nochange") is not None and edit.get("nochange") is not False:
        return WriteResult(revision=None, nochange=True)
    revision = edit.get("newrevid")
    return WriteResult(revision=int(revision) if revision is not None else None, timestamp=edit.get("newtimestamp"))
