"""Our .po against the real ``Special:ExportTranslations`` of the same group and language (issue 17, point 2).

On the real peer (MediaWiki 1.39 + Translate REL1_39), from its seeded state
plus a few edits of our own (a two-line ``/qqq``, a unit saved with
``!!FUZZY!!``, an English change that outdates a translation), for several
languages: the export as Translate serves it, and our rendering of the same
data read through capxl10n's own Meta-Wiki reader
(:class:`capxl10n.wikis.translate.MetawikiClient`): bundle, translations with
fuzzy flags and last translators, documentation. They must have the same
entries in the same order with the same msgctxt, msgid, msgstr, fuzzy flag,
documentation and ``# Author:`` lines (:mod:`capxl10n.catalogs.parity`).

The capacities of the snapshot are the bundle's keys (a Meta-Wiki read has no
tree; the directory gives every bundle key a capacity) and
``meta["message_order"]`` is the bundle's order, as the directory writes it.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from capxl10n.core import langs
from capxl10n.catalogs import po as po_adapter
from capxl10n.wikis.http import ApiClient
from capxl10n.wikis.translate import MetawikiClient
from capxl10n.core.model import DOC_LANGUAGE, MESSAGE_KEY_RE, SOURCE_LANGUAGE, Capacity, Snapshot, Term, TermKey
from capxl10n.catalogs.parity import Comparison, compare_texts
from capxl10n.profile import MetabaseProfile, MetawikiProfile, Pacing, Profile, WikidataProfile
from realwiki.backends import BUNDLE, GROUP, Client

pytestmark = pytest.mark.slow

#: pt-br: complete, with the seed's outdated unit and ours; ar: partial, with the seed's marker;
#: fr: one current and one marker-fuzzy unit of ours; de: nothing translated (every entry empty).
LANGUAGES = ("pt-br", "ar", "fr", "de")
COUNTS: dict[str, tuple[int, int, int, int]] = {}


def _profile(api: str) -> Profile:
    return Profile(name="peer-parity", path=Path("peer.toml"),
                   metabase=MetabaseProfile(name="metabase", api=api),
                   metawiki=MetawikiProfile(name="metawiki", api=api, bundle_page=BUNDLE, message_group=GROUP),
                   wikidata=WikidataProfile(name="wikidata", api=api, enabled=False),
                   state=Path("state.sqlite"), catalogs=Path("catalogs"),
                   contact="https://github.com/WikiMovimentoBrasil/capxl10n (real-wiki tests)",
                   pacing=Pacing(edits_per_minute=6000, max_attempts=3, max_wait_seconds=10, timeout_seconds=30,
                                 backoff_base_seconds=0.1))


def _documentation(reader: MetawikiClient, api: Client) -> dict[TermKey, Term]:
    """The ``qqq`` terms: the reader's own read where it has one, else one messagecollection (same call)."""
    read = getattr(reader, "read_documentation", None)
    if read is not None:
        return dict(read())
    answer = api.get(action="query", list="messagecollection", mcgroup=GROUP, mclanguage=DOC_LANGUAGE,
                     mcprop="translation|properties", mcfilter="hastranslation", mclimit=5000,
                     formatversion=2).body
    out = {}
    for row in answer["query"]["messagecollection"]:
        key = row["key"].rsplit("/", 1)[1]
        if MESSAGE_KEY_RE.match(key) and row.get("translation") is not None:
            out[TermKey.from_message_key(key, DOC_LANGUAGE)] = Term(
                row["translation"], author=row["properties"].get("last-translator-text"), side="metawiki")
    return out


@pytest.fixture(scope="module")
def world(peer: Any) -> Iterator[tuple[Any, Snapshot, str]]:
    """The seeded peer plus our edits; the snapshot our reader makes of it; the peer reset afterwards."""
    peer.reset()
    other = Client(peer.api)
    other.login(peer.bot2.login, peer.bot2.password)
    anon = Client(peer.api)
    bundle = json.loads(anon.page(BUNDLE)["text"])
    keys = [k for k in bundle if MESSAGE_KEY_RE.match(k)]
    assert len(keys) >= 10, bundle
    unit = f"Translations:{BUNDLE}/{{}}/{{}}"
    edits = [(unit.format(keys[-1], "qqq"), "First line of the documentation.\nSecond line, after a break."),
             (unit.format(keys[0], "fr"), "structure organisationnelle"),
             (unit.format(keys[2], "fr"), "!!FUZZY!!une traduction à revoir")]
    for title, text in edits:
        answer = other.write("edit", title=title, text=text, summary="export parity test")
        assert answer.code is None, answer.body
    # an English change outdates the translations of that key (pt-br is complete)
    changed = dict(bundle)
    changed[keys[3]] = bundle[keys[3]] + " (revised)"
    answer = other.write("edit", title=BUNDLE, text=json.dumps(changed, ensure_ascii=False), summary="parity test")
    assert answer.code is None, answer.body

    profile = _profile(peer.api)
    reader = MetawikiClient(ApiClient(profile.metawiki, profile), profile.metawiki)
    read, cursor = reader.read_translations([SOURCE_LANGUAGE, *LANGUAGES])
    assert cursor.bundle is not None
    terms = {**read.terms, **_documentation(reader, anon)}
    order = list(cursor.bundle.capacity_keys)
    capacities = tuple(Capacity(q) for q in dict.fromkeys(k.rpartition("-")[0] for k in order))
    snapshot = Snapshot("metawiki", capacities, terms, meta={"message_order": order})
    try:
        yield peer, snapshot, keys[3]
    finally:
        peer.reset()


def export(peer: Any, code: str) -> str:
    response = requests.get(peer.index, params={"title": "Special:ExportTranslations", "group": GROUP,
                                                "language": code, "format": "export-as-po"}, timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    return response.text


def ours(snapshot: Snapshot, code: str) -> str:
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions())
    return po_adapter.render_po(prepared, langs.get(code))[0].decode("utf-8")


@pytest.mark.parametrize("code", LANGUAGES)
def test_same_entries_as_special_exporttranslations(world: Any, code: str) -> None:
    peer, snapshot, _changed = world
    real = export(peer, code)
    result: Comparison = compare_texts(real, ours(snapshot, code))
    assert result.ok, f"{code}: {result.summary()}"
    parsed = po_adapter.parse_po(real)
    COUNTS[code] = (result.reference_entries, sum(1 for e in parsed.entries if e.msgstr and not e.fuzzy),
                    sum(1 for e in parsed.entries if e.fuzzy), sum(1 for e in parsed.entries if e.documentation))
    assert result.reference_entries == len(snapshot.meta["message_order"])


def test_the_languages_cover_outdated_marked_and_documented_units(world: Any) -> None:
    peer, snapshot, changed = world
    pt = po_adapter.parse_po(export(peer, "pt-br"))
    fuzzy = {e.msgctxt.rsplit("/", 1)[1] for e in pt.entries if e.fuzzy and e.msgctxt}
    assert changed in fuzzy, "the English change outdated the pt-br translation"
    fr = {e.msgctxt.rsplit("/", 1)[1]: e for e in po_adapter.parse_po(export(peer, "fr")).entries if e.msgctxt}
    assert sum(1 for e in fr.values() if e.fuzzy) == 1 and sum(1 for e in fr.values() if e.msgstr) == 2
    documented = [e for e in pt.entries if e.documentation]
    assert any(len(e.documentation) == 2 for e in documented), "a two-line /qqq is two [Wiki] lines"
    assert not any(e.msgstr for e in po_adapter.parse_po(export(peer, "de")).entries)


def test_report_entry_counts(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert set(COUNTS) == set(LANGUAGES), "run with the comparisons"
    with capsys.disabled():
        print("\nexport parity (entries, translated, fuzzy, documented) per language, Translate = ours:")
        for code in LANGUAGES:
            print(f"  {code}: {COUNTS[code]}")
