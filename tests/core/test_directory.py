"""The whole directory (capxl10n.core.directory): rules, odd input, the state's read cache, the qqq reader, and
sandbox end to end (a sync leaves catalogs with every outdated unit, documentation, Meta-Wiki-only languages).
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import polib
import pytest
from plugins.fake_transport import Sleeper

from capxl10n.core.cursors import Bundle, Cursor, MetabaseCursor, MetawikiCursor, OwnWrite
from capxl10n.core.directory import (AGREED, BASE_SIDE, DIRECTORY_SIDE, FROM_BASE_META, MESSAGE_ORDER_META, digest,
                                known_languages_only, whole_directory)
from capxl10n.errors import DataError
from capxl10n.core.merge import BaseTerm
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.profile import load_profile
from capxl10n.engine.pull import pull
from capxl10n.sandbox.server import credentials_env
from capxl10n.engine.state import load_directory, open_state

BUNDLE = "Module:CapacityExchange/capacities.json"
CAPS = (Capacity("Q1", item="Q101"), Capacity("Q2", item="Q102", parent="Q1"))


def k(qid: str, fld: str, lang: str) -> TermKey:
    return TermKey(qid, fld, lang)  # type: ignore[arg-type]


Read = tuple[Snapshot, Any]


def mb(terms: dict[TermKey, Term], caps: tuple[Capacity, ...] = CAPS, **cursor: Any) -> Read:
    """A Metabase read: its snapshot and its cursor (``cursor`` its fields)."""
    return Snapshot("metabase", caps, terms), MetabaseCursor(**cursor)


def mw(terms: dict[TermKey, Term], bundle: list[str] | None = None, **cursor: Any) -> Read:
    """A Meta-Wiki read; ``bundle`` the bundle's message keys in order (None: no bundle in the read)."""
    page = Bundle({key: f"English {key}" for key in bundle}) if bundle is not None else None
    return (Snapshot("metawiki", (), {key: replace(t, side="metawiki") for key, t in terms.items()}),
            MetawikiCursor(bundle=page, **cursor))


def directory(base: Any, metabase: Read | None, metawiki: Read | None, capacities: Any = ()) -> Snapshot:
    """:func:`whole_directory` of two reads (each a snapshot and its cursor, or None)."""
    return whole_directory(base, metabase[0] if metabase else None, metawiki[0] if metawiki else None, capacities,
                           metabase_cursor=metabase[1] if metabase else None,
                           metawiki_cursor=metawiki[1] if metawiki else None)


def got(d: Snapshot, key: TermKey) -> Term:
    term = d.get(key)
    assert term is not None, f"{key} missing from the directory"
    return term


def only(d: Snapshot, key: TermKey) -> tuple[str, str, bool]:
    term = got(d, key)
    return term.text, term.side, term.fuzzy


# ---------------------------------------------------------------------- the rules
def test_agreed_values_carry_both_sides_evidence() -> None:
    key = k("Q1", "label", "pt-br")
    d = directory({}, mb({key: Term("Nome", revision=7, timestamp="2026-01-02T00:00:00Z")}),
                        mw({key: Term("Nome", revision=30, author="Ana")}))
    term = got(d, key)
    assert d.side == DIRECTORY_SIDE
    assert (term.text, term.side, term.fuzzy) == ("Nome", AGREED, False)
    assert term.author == "Ana" and term.timestamp == "2026-01-02T00:00:00Z" and term.revision == 30


def test_values_only_one_wiki_holds_are_kept_and_say_which() -> None:
    only_mb, only_mw = k("Q1", "label", "de"), k("Q1", "label", "fr")
    d = directory({}, mb({only_mb: Term("Name", author="Bot")}), mw({only_mw: Term("Nom", author="Chen")}))
    assert only(d, only_mb) == ("Name", "metabase", False) and got(d, only_mb).author == "Bot"
    assert only(d, only_mw) == ("Nom", "metawiki", False) and got(d, only_mw).author == "Chen"


def test_an_outdated_unit_is_shown_fuzzy_whatever_metabase_holds() -> None:
    same, other, alone = k("Q1", "label", "pt-br"), k("Q1", "description", "pt-br"), k("Q2", "label", "pt-br")
    d = directory({}, mb({same: Term("Nome"), other: Term("Nova descrição")}),
                        mw({same: Term("Nome", fuzzy=True), other: Term("Descrição antiga", fuzzy=True),
                            alone: Term("Sozinho", fuzzy=True, author="Ana")}))
    assert only(d, same) == ("Nome", "metawiki", True)
    assert only(d, other) == ("Descrição antiga", "metawiki", True)
    assert only(d, alone) == ("Sozinho", "metawiki", True) and got(d, alone).author == "Ana"


def test_an_open_conflict_shows_metawikis_text_as_translates_export_does() -> None:
    key = k("Q1", "label", "es")
    d = directory({key: BaseTerm("Base")}, mb({key: Term("De Metabase")}), mw({key: Term("De Meta-Wiki")}))
    assert only(d, key) == ("De Meta-Wiki", "metawiki", False)


def test_english_is_the_bundles_and_metabases_only_where_the_bundle_lacks_the_key() -> None:
    en1, en2, en2d = k("Q1", "label", "en"), k("Q2", "label", "en"), k("Q2", "description", "en")
    d = directory({}, mb({en1: Term("Metabase English"), en2: Term("Same"), en2d: Term("Only here")}),
                        mw({en1: Term("Bundle English"), en2: Term("Same")}, bundle=["Q1-label", "Q2-label"]))
    assert only(d, en1) == ("Bundle English", "metawiki", False)
    assert only(d, en2) == ("Same", AGREED, False)
    assert only(d, en2d) == ("Only here", "metabase", False)


def test_documentation_and_languages_only_metawiki_has() -> None:
    doc, sh = k("Q1", "label", "qqq"), k("Q1", "label", "sh-latn")
    d = directory({}, mb({}), mw({doc: Term("Name of a root."), sh: Term("Ime")}))
    assert only(d, doc) == ("Name of a root.", "metawiki", False)
    assert only(d, sh) == ("Ime", "metawiki", False)
    assert {"qqq", "sh-latn"} <= set(d.languages())


def test_bundle_keys_without_a_metabase_item_become_capacities_after_the_tree_in_bundle_order() -> None:
    terms = {k("Q9", "label", "en"): Term("Nine"), k("Q3", "label", "en"): Term("Three"),
             k("Q1", "label", "en"): Term("One"), k("Q3", "label", "pt-br"): Term("Três")}
    d = directory({}, mb({k("Q1", "label", "en"): Term("One"), k("Q2", "label", "en"): Term("Two")}),
                        mw(terms, bundle=["Q9-label", "Q1-label", "Q3-label", "Q3-description"]))
    assert [c.qid for c in d.capacities] == ["Q1", "Q2", "Q9", "Q3"]
    assert d.capacity("Q9") == Capacity("Q9")  # no item, no parent
    assert only(d, k("Q3", "label", "pt-br")) == ("Três", "metawiki", False)
    # the bundle's order first (every bundle key), then what the bundle lacks in tree order
    assert d.meta[MESSAGE_ORDER_META] == ["Q9-label", "Q1-label", "Q3-label", "Q3-description", "Q2-label"]


def test_without_a_bundle_in_the_read_the_order_is_the_trees_and_units_still_find_their_capacity() -> None:
    d = directory({}, mb({k("Q2", "label", "en"): Term("Two")}),
                        mw({k("Q7", "label", "en"): Term("Seven"), k("Q7", "label", "de"): Term("Sieben")},
                           bundle=None))
    assert [c.qid for c in d.capacities] == ["Q1", "Q2", "Q7"]
    assert d.meta[MESSAGE_ORDER_META] == ["Q2-label", "Q7-label"]
    d2 = directory({}, mb({}), (Snapshot("metawiki", (), {k("Q1", "label", "de"): Term("x", side="metawiki")}),
                                MetawikiCursor()))
    assert only(d2, k("Q1", "label", "de")) == ("x", "metawiki", False)


def test_blank_values_count_as_absent() -> None:
    key = k("Q1", "label", "ja")
    d = directory({}, mb({key: Term("名前")}), mw({key: Term("  ", fuzzy=True)}))
    assert only(d, key) == ("名前", "metabase", False)
    assert directory({}, mb({}), mw({key: Term("")})).get(key) is None


def test_our_english_change_outdates_the_keys_translations_at_once() -> None:
    pt, en, doc, other = (k("Q1", "label", "pt-br"), k("Q1", "label", "en"), k("Q1", "label", "qqq"),
                          k("Q2", "label", "pt-br"))
    d = directory({}, mb({pt: Term("Nome"), other: Term("Outro")}),
                        mw({pt: Term("Nome"), en: Term("New English"), doc: Term("Doc"), other: Term("Outro")},
                           outdated_keys=("Q1-label",)))
    assert only(d, pt) == ("Nome", "metawiki", True)
    assert only(d, en)[2] is False and only(d, doc)[2] is False
    assert only(d, other) == ("Outro", AGREED, False)


def test_the_previous_english_is_passed_on_for_the_translations_shown_outdated() -> None:
    outdated, current, gone = k("Q1", "label", "pt-br"), k("Q1", "label", "de"), k("Q2", "label", "fr")
    previous = {"pt-br": {"Q1-label": "Old name"}, "de": {"Q1-label": "Old name"}, "fr": {"Q2-label": "x"},
                "ja": {"not a key": "x"}}
    d = directory({}, mb({}), mw({outdated: Term("Nome", fuzzy=True), current: Term("Name")},
                                      previous_source=previous))
    assert d.meta["previous_source"] == {"pt-br": {"Q1-label": "Old name"}}
    assert "previous_source" not in directory({}, mb({}), mw({current: Term("Name")})).meta
    assert d.get(gone) is None


# ---------------------------------------------------------------------- odd input
def test_a_missing_side_is_stood_in_by_the_base_and_named() -> None:
    pt, fr, gone = k("Q1", "label", "pt-br"), k("Q1", "label", "fr"), k("Q1", "label", "de")
    base = {pt: BaseTerm("Nome", metabase_rev=3), fr: BaseTerm("Nom", fuzzy=True), gone: BaseTerm(None)}
    no_metawiki = directory(base, mb({pt: Term("Nome")}), None)
    assert no_metawiki.meta[FROM_BASE_META] == ["metawiki"]
    assert only(no_metawiki, pt) == ("Nome", AGREED, False)
    assert only(no_metawiki, fr) == ("Nom", BASE_SIDE, True)  # the base remembers it outdated on Meta-Wiki
    assert no_metawiki.get(gone) is None  # a tombstone is agreed absence
    no_metabase = directory(base, None, mw({pt: Term("Nome")}), CAPS)
    assert [c.qid for c in no_metabase.capacities] == ["Q1", "Q2"]  # the stored tree
    assert only(no_metabase, fr) == ("Nom", BASE_SIDE, False)
    neither = directory(base, None, None, CAPS)
    assert neither.meta[FROM_BASE_META] == ["metabase", "metawiki"]
    assert {key: t.side for key, t in neither.terms.items()} == {pt: BASE_SIDE, fr: BASE_SIDE}


def test_a_term_only_in_the_base_is_known_to_neither_wiki_and_left_out() -> None:
    key = k("Q1", "label", "it")
    d = directory({key: BaseTerm("Nome")}, mb({}), mw({}))
    assert d.get(key) is None and d.terms == {}


def test_a_tombstone_hides_nothing_a_wiki_still_holds() -> None:
    fuzzy, back = k("Q1", "label", "pt-br"), k("Q1", "label", "fr")
    base = {fuzzy: BaseTerm(None), back: BaseTerm(None)}
    d = directory(base, mb({}), mw({fuzzy: Term("Nome", fuzzy=True), back: Term("De retour")}))
    assert only(d, fuzzy) == ("Nome", "metawiki", True)  # our deletion fallback is an outdated unit
    assert only(d, back) == ("De retour", "metawiki", False)  # re-added by a human, not yet synced


def test_capacities_gone_from_both_wikis_are_left_out() -> None:
    key = k("Q5", "label", "pt-br")
    d = directory({key: BaseTerm("Velho")}, mb({}), mw({}, bundle=["Q1-label"]), (*CAPS, Capacity("Q5")))
    assert "Q5" not in {c.qid for c in d.capacities} and d.get(key) is None


def test_pages_whose_write_answer_did_not_tell_their_content_hold_what_the_base_says() -> None:
    deleted, kept, edited = k("Q1", "label", "pt-br"), k("Q1", "label", "de"), k("Q2", "label", "fr")
    base = {deleted: BaseTerm(None), kept: BaseTerm("Name"), edited: BaseTerm("Nouveau", metabase_rev=12)}
    unknown = OwnWrite(read_revision=5)
    metawiki = mw({deleted: Term("Nome"), kept: Term("Name")},
                  own_writes={f"Translations:{BUNDLE}/Q1-label/pt-br": unknown,
                              f"Translations:{BUNDLE}/Q1-label/de": OwnWrite(3, (9,))})
    metabase = mb({edited: Term("Ancien", revision=5), kept: Term("Name")}, own_writes={"Q102": unknown})
    d = directory(base, metabase, metawiki)
    assert d.get(deleted) is None  # deleted on Meta-Wiki by us: the cache's text is gone
    assert only(d, kept) == ("Name", AGREED, False)
    assert only(d, edited) == ("Nouveau", "metabase", False) and got(d, edited).revision == 12
    unwritten = mw({deleted: Term("Nome")})
    assert only(directory(base, metabase, unwritten), deleted)[0] == "Nome"


def test_sides_passed_the_wrong_way_round_are_refused() -> None:
    with pytest.raises(DataError, match="metabase read of the directory is a 'metawiki' snapshot"):
        directory({}, mw({}), mb({}))


def test_same_input_same_bytes_and_the_digest_sees_the_order() -> None:
    terms = {k("Q1", "label", "en"): Term("One"), k("Q2", "label", "en"): Term("Two")}
    one = directory({}, mb(terms), mw(terms, bundle=["Q1-label", "Q2-label"]))
    assert one.dumps() == directory({}, mb(terms), mw(terms, bundle=["Q1-label", "Q2-label"])).dumps()
    swapped = directory({}, mb(terms), mw(terms, bundle=["Q2-label", "Q1-label"]))
    assert swapped.fingerprint() == one.fingerprint() and digest(swapped) != digest(one)


def test_languages_capxl10n_does_not_know_are_dropped_and_named() -> None:
    snap = Snapshot("directory", CAPS, {k("Q1", "label", "xx-bogus"): Term("?"), k("Q1", "label", "de"): Term("Name")})
    kept, unknown = known_languages_only(snap)
    assert unknown == ("xx-bogus",) and kept.languages() == ("de",)
    assert known_languages_only(kept) == (kept, ())


# ---------------------------------------------------------------------- the state
def _state_with_reads(path: Path, *, metabase: bool = True, metawiki: bool = True) -> None:
    pt = k("Q1", "label", "pt-br")
    with open_state(path) as state:
        state.update_base({pt: BaseTerm("Nome"), k("Q1", "label", "en"): BaseTerm("One")}, CAPS)
        if metabase:
            state.store_side("metabase", *mb({pt: Term("Nome"), k("Q1", "label", "en"): Term("One")}))
        if metawiki:
            state.store_side("metawiki", *mw({pt: Term("Nome", fuzzy=True), k("Q1", "label", "sh-latn"): Term("Ime"),
                                              k("Q1", "label", "en"): Term("One")}, bundle=["Q1-label"]))


def test_load_directory_builds_from_the_base_and_the_read_cache(tmp_path: Path) -> None:
    class P:
        state = tmp_path / "s.sqlite"
    _state_with_reads(P.state)
    d = load_directory(P)
    assert d.side == DIRECTORY_SIDE
    assert only(d, k("Q1", "label", "pt-br")) == ("Nome", "metawiki", True)
    assert only(d, k("Q1", "label", "sh-latn")) == ("Ime", "metawiki", False)


def test_a_state_without_read_cache_falls_back_to_the_base_with_a_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / "s.sqlite"
    _state_with_reads(path, metabase=False, metawiki=False)
    with caplog.at_level(logging.WARNING, logger="capxl10n.engine.state"), open_state(path) as state:
        d = state.whole_directory()
    assert d.side == "base" and only(d, k("Q1", "label", "pt-br")) == ("Nome", "base", False)
    assert "no read of either wiki" in caplog.text


def test_one_missing_read_is_stood_in_by_the_base_with_a_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / "s.sqlite"
    _state_with_reads(path, metabase=False)
    with caplog.at_level(logging.WARNING, logger="capxl10n.engine.state"), open_state(path) as state:
        d = state.whole_directory()
    assert d.meta[FROM_BASE_META] == ["metabase"] and "holds no read of metabase" in caplog.text
    assert only(d, k("Q1", "label", "pt-br")) == ("Nome", "metawiki", True)


# ---------------------------------------------------------------------- reading the documentation
def _client(handler: Any) -> Any:
    from plugins.fake_transport import fake_session

    from capxl10n.wikis.http import ApiClient
    from capxl10n.wikis.translate import MetawikiClient
    from capxl10n.profile import Pacing

    profile = replace(load_profile("sandbox").rebase("http://wiki.test"), pacing=Pacing(max_attempts=2))
    session, _transport = fake_session(handler)
    sleeper = Sleeper()
    api = ApiClient(profile.metawiki, profile, session=session, sleep=sleeper, clock=sleeper.clock)
    return MetawikiClient(api, profile.metawiki), api


def test_the_real_qqq_answer_reads_as_documentation_terms() -> None:
    from plugins.fake_transport import recording

    answer = recording("translate-responses/mc-qqq")
    answer.data.pop("continue", None)
    calls: list[Any] = []

    def handler(call: Any) -> Any:
        calls.append(call)
        return answer
    client, api = _client(handler)
    docs = client.read_documentation()
    assert api.requests_made == 1 and calls[0].get("mclanguage") == "qqq"
    assert calls[0].get("mcfilter") == "hastranslation"
    (key, term), = docs.items()  # the untranslated rows (translation null) are no documentation
    assert key == k("Q11024", "label", "qqq")
    assert (term.text, term.fuzzy, term.revision, term.author) == (
        "Name of a capacity: a root of the capacity tree.", False, 39, "Admin")


def test_documentation_is_never_outdated_and_the_stats_decide_whether_to_ask() -> None:
    from plugins.fake_transport import reply

    row = {"key": f"{BUNDLE}/Q1-label", "translation": "!!FUZZY!!Doc", "tags": ["fuzzy"],
           "properties": {"status": "fuzzy", "revision": "4", "last-translator-text": "Ana"}}
    client, _api = _client(lambda call: reply({"batchcomplete": True, "query": {"messagecollection": [row]}}))
    assert client.read_documentation() == {k("Q1", "label", "qqq"): Term("Doc", False, 4, "Ana", "metawiki")}
    assert client.has_documentation(None) and client.has_documentation({"qqq": 3})
    assert not client.has_documentation({"qqq": 0, "pt-br": 5}) and not client.has_documentation({})


def test_recentchanges_lists_qqq_units_only_when_asked() -> None:
    from plugins.fake_transport import reply

    rc = {"batchcomplete": True, "curtimestamp": "2026-04-04T00:00:00Z", "query": {"recentchanges": [
        {"type": "edit", "ns": 1198, "title": f"Translations:{BUNDLE}/Q1-label/qqq", "revid": 9},
        {"type": "edit", "ns": 1198, "title": f"Translations:{BUNDLE}/Q1-label/en", "revid": 8}]}}
    client, _api = _client(lambda call: reply(rc))
    assert client.unit_changes("2026-01-01T00:00:00Z")[0] == {}
    units = client.unit_changes_and_outdated("2026-01-01T00:00:00Z", documentation=True)[0]
    assert units == {k("Q1", "label", "qqq"): 9}


class MemoryCache:
    def __init__(self) -> None:
        self.sides: dict[str, tuple[Snapshot, Cursor]] = {}

    def load_side(self, side: str) -> tuple[Snapshot, Cursor] | None:
        return self.sides.get(side)

    def store_side(self, side: str, snapshot: Snapshot, cursor: Cursor) -> None:
        self.sides[side] = (snapshot, cursor)


def _pull(sandbox: Any, cache: MemoryCache, profile: Any = None, **kw: Any) -> Any:
    def session(p: Any, site: Any) -> Any:
        return sandbox.session()
    profile = profile or load_profile("sandbox").rebase(sandbox.url)
    sleeper = Sleeper()
    return pull(replace(profile, wikidata=replace(profile.wikidata, enabled=False)), cache=cache, sleep=sleeper,
                session_factory=session, **kw)


def _save_unit(sandbox: Any, title: str, text: str) -> None:
    wiki = sandbox.site("metawiki").wiki
    wiki.save_page(title, text, user=wiki.user("Peer2"), summary="peer")
    translate = sandbox.site("metawiki").translate
    translate.refresh_stats(translate.groups[BUNDLE], ["qqq"])


def _mc_requests(sandbox: Any) -> int:
    return sandbox.stats.count("metawiki", "query+messagecollection")


def test_a_full_pull_reads_the_documentation_in_one_request(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(languages=8)  # the 8th sample language is qqq
    cache = MemoryCache()
    sandbox.stats.reset()
    result = _pull(sandbox, cache)
    docs = {key: t for key, t in result.metawiki.terms.items() if key.lang == "qqq"}
    assert docs and all(not t.fuzzy and t.side == "metawiki" and t.revision for t in docs.values())
    langs = [lang for lang in result.metawiki.languages() if lang not in ("en", "qqq")]
    # one request per translation language, the first riding on the bundle request, plus one for qqq
    assert _mc_requests(sandbox) == len(langs) - 1 + 1
    assert result.metawiki_cursor.documentation is True


def test_no_documentation_request_when_the_stats_say_there_is_none(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory()  # six languages: no qqq
    sandbox.stats.reset()
    result = _pull(sandbox, MemoryCache())
    langs = [lang for lang in result.metawiki.languages() if lang not in ("en", "qqq")]
    assert "qqq" not in result.metawiki.languages()
    assert _mc_requests(sandbox) == len(langs) - 1


def test_a_changed_qqq_unit_rereads_the_documentation_and_only_it(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(languages=8)
    cache = MemoryCache()
    first = _pull(sandbox, cache)
    key = next(key for key in first.metawiki.terms if key.lang == "en")
    doc_key = TermKey(key.qid, key.field, "qqq")
    _save_unit(sandbox, f"Translations:{BUNDLE}/{key.message_key}/qqq", "Fresh documentation.")
    sandbox.stats.reset()
    again = _pull(sandbox, cache)
    assert again.incremental["metawiki"]
    assert sandbox.stats.count("metawiki") == 2 and _mc_requests(sandbox) == 1  # recentchanges + qqq
    assert again.metawiki.get(doc_key).text == "Fresh documentation."
    sandbox.stats.reset()
    assert _pull(sandbox, cache).metawiki.get(doc_key).text == "Fresh documentation."
    assert sandbox.stats.count("metawiki") == 1  # nothing changed: recentchanges only


def test_a_cache_from_before_documentation_reads_it_once(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(languages=8)
    cache = MemoryCache()
    first = _pull(sandbox, cache)
    old, cursor = cache.sides["metawiki"]
    cache.sides["metawiki"] = (Snapshot("metawiki", (), {key: t for key, t in old.terms.items() if key.lang != "qqq"}),
                               replace(cursor, documentation=False))
    sandbox.stats.reset()
    upgraded = _pull(sandbox, cache)
    assert upgraded.incremental["metawiki"] and _mc_requests(sandbox) == 1
    assert upgraded.metawiki.fingerprint() == first.metawiki.fingerprint()
    sandbox.stats.reset()
    _pull(sandbox, cache)
    assert _mc_requests(sandbox) == 0


def test_excluding_qqq_reads_no_documentation(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(languages=8)
    profile = load_profile("sandbox").rebase(sandbox.url)
    profile = replace(profile, exclude_languages=("qqq",))
    cache = MemoryCache()
    sandbox.stats.reset()
    result = _pull(sandbox, cache, profile)
    assert "qqq" not in result.metawiki.languages()
    langs = [lang for lang in result.metawiki.languages() if lang != "en"]
    assert _mc_requests(sandbox) == len(langs) - 1


def test_a_wiki_without_translate_api_gives_the_documentation_too(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(languages=8)
    profile = load_profile("sandbox").rebase(sandbox.url)
    plain = replace(profile, metawiki=replace(profile.metawiki, translate_api=False))
    with_api = _pull(sandbox, MemoryCache())
    without = _pull(sandbox, MemoryCache(), plain)
    docs = {key: t.text for key, t in with_api.metawiki.terms.items() if key.lang == "qqq"}
    assert docs and docs == {key: t.text for key, t in without.metawiki.terms.items() if key.lang == "qqq"}


@pytest.mark.realwiki
def test_documentation_on_the_real_translate(peer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """One request reads it; a changed /qqq unit is read again incrementally; incremental = full."""
    from capxl10n.engine.clients import Clients

    profile = load_profile("sandbox")
    profile = replace(profile, metabase=replace(profile.metabase, api=peer.api, sparql=None),
                      metawiki=replace(profile.metawiki, api=peer.api),
                      wikidata=replace(profile.wikidata, enabled=False))
    for site in ("METABASE", "METAWIKI"):
        monkeypatch.setenv(f"CAPXL10N_{site}_USER", peer.bot.login)
        monkeypatch.setenv(f"CAPXL10N_{site}_PASSWORD", peer.bot.password)
    cache = MemoryCache()
    try:
        writer = Clients(profile, sleep=Sleeper()).metawiki
        message_key = next(iter(writer.read_bundle().messages))
        doc_key = TermKey.from_message_key(message_key, "qqq")
        title = f"Translations:{BUNDLE}/{message_key}/qqq"
        writer.api.write("edit", term=title, title=title, text="Documentation on the real Translate.")
        mark = peer.request_count()
        first = pull(profile, cache=cache, sleep=Sleeper())
        assert sum("mclanguage=qqq" in line for line in peer.requests_since(mark)) == 1
        doc = got(first.metawiki, doc_key)
        assert (doc.text, doc.fuzzy, doc.author) == ("Documentation on the real Translate.", False, peer.bot.name)

        writer.api.write("edit", term=title, title=title, text="Documentation changed.")
        mark = peer.request_count()
        again = pull(profile, cache=cache, sleep=Sleeper())
        assert again.incremental["metawiki"]
        assert sum("mclanguage=qqq" in line for line in peer.requests_since(mark)) == 1
        assert got(again.metawiki, doc_key).text == "Documentation changed."
        assert again.metawiki.terms == pull(profile, incremental=False, sleep=Sleeper()).metawiki.terms
    finally:
        peer.reset()


# ---------------------------------------------------------------------- sandbox end to end
@pytest.fixture
def rich(sandbox_factory: Any, tmp_path: Path) -> Iterator[Any]:
    """A synced sandbox whose sample has documentation (8 languages) and outdated units."""
    from plugins.world import World

    sandbox = sandbox_factory(languages=8)
    world = World(sandbox, tmp_path, credentials_env())
    first = world.cli("sync")
    assert first.exit_code == 0, first.output
    yield world


def _entry(world: Any, locale: str, message_key: str) -> polib.POEntry:
    entry = _po(world, locale).find(f"{BUNDLE}/{message_key}", by="msgctxt")
    assert entry is not None, f"no entry for {message_key} in {locale}"
    return entry


def _po(world: Any, locale: str) -> polib.POFile:
    path = world.tmp / "catalogs" / locale / "LC_MESSAGES" / "capacities.po"
    assert path.is_file(), f"no catalog for {locale}"
    return polib.pofile(str(path))


def _units(world: Any) -> list[tuple[str, str, Any]]:
    """(message key, lang, page) of every unit page of the bundle's keys on the sandbox's Meta-Wiki."""
    wiki = world.sb.site("metawiki").wiki
    keys = set(world.bundle())
    out = []
    for page in wiki.pages_in(1198, f"{BUNDLE}/"):
        message_key, lang = page.title[len(f"Translations:{BUNDLE}/"):].rsplit("/", 1)
        if message_key in keys:
            out.append((message_key, lang, page))
    return out


def test_after_a_sync_the_catalogs_hold_every_outdated_unit_documentation_and_metawiki_languages(rich: Any) -> None:
    from capxl10n.core import langs

    world = rich
    key = world.pick("pt-br")
    world.peer.edit_unit(TermKey(key.qid, key.field, "sh-latn"), "Ime na srpskohrvatskom")
    world.peer.edit_unit(TermKey(key.qid, key.field, "qqq"), "Documentation written after the first sync.")
    world.peer.edit_unit(TermKey(key.qid, "description", "de"), "!!FUZZY!!Veraltete Beschreibung")
    result = world.cli("--format", "json", "sync")  # nothing to write: the catalogs still catch up
    assert result.exit_code == 0, result.output
    assert '"catalogs"' in result.output

    units = _units(world)
    outdated = [(mk, lang) for mk, lang, page in units if page.props.get("fuzzy") and lang not in ("en", "qqq")]
    documented = {mk: page.text for mk, lang, page in units if lang == "qqq"}
    assert len(outdated) >= 2 and len(documented) >= 2, "the sample must have outdated and documented units"
    for message_key, lang in outdated:
        entry = _po(world, langs.get(lang).gettext).find(f"{BUNDLE}/{message_key}", by="msgctxt")
        assert entry is not None and entry.fuzzy, f"{message_key}/{lang} is outdated on Meta-Wiki"
    template = polib.pofile(str(world.tmp / "catalogs" / "capacities.pot"))
    for message_key, text in documented.items():
        entry = template.find(f"{BUNDLE}/{message_key}", by="msgctxt")
        assert entry is not None, message_key
        wiki_lines = [line for line in (entry.comment or "").splitlines() if line.startswith("[Wiki]")]
        assert wiki_lines == [f"[Wiki] {line}".rstrip() for line in text.splitlines()], message_key
    sh = _po(world, langs.get("sh-latn").gettext).find(f"{BUNDLE}/{key.message_key}", by="msgctxt")
    assert sh is not None and sh.msgstr == "Ime na srpskohrvatskom" and not sh.fuzzy
    assert (world.tmp / "catalogs" / "json" / "sh-latn.json").is_file()
    assert world.metabase_text(key.qid, key.field, "sh-latn") is None  # Metabase refuses sh-latn


def test_a_sync_with_nothing_to_write_still_brings_new_documentation_and_languages_to_the_catalogs(
        rich: Any) -> None:
    from capxl10n.core import langs

    world = rich
    key = world.pick("pt-br")
    world.peer.edit_unit(TermKey(key.qid, key.field, "sh-cyrl"), "Име")
    world.peer.edit_unit(TermKey(key.qid, key.field, "qqq"), "Only documentation changed.")
    result = world.cli("--format", "json", "sync")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["apply"] is None and summary["plan"]["summary"]["operations"] == 0  # nothing to write
    entry = _po(world, langs.get("sh-cyrl").gettext).find(f"{BUNDLE}/{key.message_key}", by="msgctxt")
    assert entry is not None and entry.msgstr == "Име"
    assert "[Wiki] Only documentation changed." in _entry(world, "pt_BR", key.message_key).comment
    with open_state(world.state) as state:
        assert "catalogs_written" in state.runs(1)[0]["summary"]["catalogs"]
    assert world.cli("sync").exit_code == 0
    with open_state(world.state) as state:
        assert "catalogs" not in state.runs(1)[0]["summary"]  # nothing new: nothing rebuilt


def test_nothing_writes_documentation_anywhere(rich: Any) -> None:
    world = rich
    for _message_key, lang, page in _units(rich):
        if lang == "qqq":
            assert all(r.user != "CapxBot" for r in page.revisions), page.title
    item = world.item(world.pick().qid)
    _rev, terms = world.clients().metabase.read_item(item)
    assert not any(lang == "qqq" for _fld, lang in terms)
    assert not any(re.search(r"/qqq\b", op.get("page") or "") or op.get("lang") == "qqq"
                   for op in _written(world))


def _written(world: Any) -> list[dict[str, Any]]:
    from plugins.world import written_ops
    return written_ops(world)


def test_the_sync_that_changes_english_shows_its_translations_outdated_with_the_previous_english(
        rich: Any) -> None:
    world = rich
    key = world.pick("pt-br")
    before = world.bundle()[key.message_key]
    world.peer.set_term(world.item(key.qid), key.field, "en", "A brand new English source")
    assert world.cli("sync").exit_code == 0  # writes the bundle; Translate outdates the key's translations
    entry = _entry(world, "pt_BR", key.message_key)
    assert entry.msgid == "A brand new English source" and entry.fuzzy and entry.previous_msgid == before
    assert world.cli("sync").exit_code == 0  # the read confirms it
    entry = _entry(world, "pt_BR", key.message_key)
    assert entry.msgid == "A brand new English source" and entry.fuzzy and entry.previous_msgid == before
    world.peer.edit_unit(key, "Tradução para o inglês novo")  # the translator catches up
    assert world.cli("sync").exit_code == 0
    entry = _entry(world, "pt_BR", key.message_key)
    assert entry.msgstr == "Tradução para o inglês novo" and not entry.fuzzy and entry.previous_msgid is None


def test_an_english_change_made_on_metawiki_gives_the_previous_english_too(rich: Any) -> None:
    world = rich
    key = world.pick("pt-br")
    before = world.bundle()[key.message_key]
    world.peer.edit_bundle({key.message_key: "English edited on Meta-Wiki"})
    assert world.cli("sync").exit_code == 0  # a full read of Meta-Wiki: the bundle changed
    entry = _entry(world, "pt_BR", key.message_key)
    assert entry.msgid == "English edited on Meta-Wiki" and entry.fuzzy and entry.previous_msgid == before
    assert world.metabase_text(key.qid, key.field, "en") == "English edited on Meta-Wiki"
