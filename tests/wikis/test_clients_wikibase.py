"""Metabase client: discovery (SPARQL proposes, the wiki decides), duplicates, batched reads, writes."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from plugins.fake_transport import Call, EditRecorder, Reply, Sleeper, api_error, fake_session, recording, reply

from capxl10n.wikis.http import ApiClient
from capxl10n.wikis.wikibase import MetabaseClient, claim_values, entity_terms
from capxl10n.errors import EditConflictError, ValidationError
from capxl10n.core.model import Capacity, TermKey
from capxl10n.profile import Pacing, load_profile

ENTITY = "http://wiki.test/metabase/entity/"


def item_claim(prop: str, target: str) -> dict:
    return {"mainsnak": {"snaktype": "value", "property": prop, "datavalue": {
        "value": {"entity-type": "item", "numeric-id": int(target[1:]), "id": target},
        "type": "wikibase-entityid"}}, "type": "statement", "rank": "normal"}


def string_claim(prop: str, value: str) -> dict:
    return {"mainsnak": {"snaktype": "value", "property": prop, "datavalue": {"value": value, "type": "string"}},
            "type": "statement", "rank": "normal"}


class FakeMetabase:
    """Capacity items Q100+n with index terms Q500+n carrying Wikidata QIDs."""

    def __init__(self, wikidata: dict[str, str], *, sparql_items: set[str] | None = None,
                 non_capacity: set[str] = frozenset(), sparql_html: bool = False) -> None:
        self.entities: dict[str, dict] = {}
        self.wikidata = wikidata
        for n, (item, qid) in enumerate(sorted(wikidata.items())):
            index = f"Q{500 + int(item[1:])}"
            claims = {"P67": [item_claim("P67", index)], "P91": [string_claim("P91", str(n))]}
            if item not in non_capacity:
                claims["P5"] = [item_claim("P5", "Q34531")]
            self.entities[item] = {
                "type": "item", "id": item, "lastrevid": 1000 + n, "modified": "2026-01-01T00:00:00Z",
                "labels": {"en": {"language": "en", "value": f"label {item}"},
                           "pt-br": {"language": "pt-br", "value": f"rótulo {item}"}},
                "descriptions": {"en": {"language": "en", "value": f"description {item}"}},
                "claims": claims}
            self.entities[index] = {"type": "item", "id": index, "lastrevid": 1,
                                    "claims": {"P1": [string_claim("P1", qid)]} if qid else {}}
        self.sparql_items = set(wikidata) if sparql_items is None else sparql_items
        self.sparql_html = sparql_html
        self.calls: list[Call] = []

    def __call__(self, call: Call) -> Reply:
        self.calls.append(call)
        if call.path.endswith("/query/sparql"):
            if self.sparql_html:
                return reply(body="<html>Please verify you are human</html>")
            rows = []
            for item in sorted(self.sparql_items):
                index = f"Q{500 + int(item[1:])}"
                row = {"item": {"type": "uri", "value": ENTITY + item},
                       "index": {"type": "uri", "value": ENTITY + index}}
                if self.wikidata.get(item):
                    row["qid"] = {"type": "literal", "value": self.wikidata[item]}
                rows.append(row)
            return reply({"head": {"vars": ["item", "index", "qid"]}, "results": {"bindings": rows}})
        action = call.get("action")
        if action == "query" and "backlinks" in call.values("list"):
            links = [{"pageid": 1, "ns": 120, "title": f"Item:{i}"} for i in sorted(self.wikidata)]
            return reply({"batchcomplete": True, "curtimestamp": "2026-02-02T00:00:00Z",
                          "query": {"backlinks": links, "wbcontentlanguages": {
                              "en": {"code": "en"}, "pt-br": {"code": "pt-br"}, "de": {"code": "de"}}}})
        if action == "wbgetentities":
            ids = call.values("ids")
            if len(ids) > 50:
                return api_error("toomanyvalues", "Too many values supplied for parameter \"ids\".")
            props = call.values("props")
            out = {}
            for qid in ids:
                entity = self.entities.get(qid)
                if entity is None:
                    out[qid] = {"id": qid, "missing": ""}
                    continue
                out[qid] = {k: v for k, v in entity.items()
                            if k in ("type", "id") or (k == "lastrevid" and "info" in props) or
                            (k == "modified" and "info" in props) or k in props}
            return reply({"entities": out, "success": 1})
        return api_error("badvalue", f"unexpected {call.params}")


def make(fake, *, sparql=True):
    profile = load_profile("sandbox").rebase("http://wiki.test")
    profile = replace(profile, pacing=Pacing(max_attempts=2, backoff_base_seconds=1))
    if not sparql:
        profile = replace(profile, metabase=replace(profile.metabase, sparql=None))
    session, transport = fake_session(fake)
    sleeper = Sleeper()
    api = ApiClient(profile.metabase, profile, session=session, sleep=sleeper, clock=sleeper.clock)
    return MetabaseClient(api, profile.metabase), api


def items(n: int, start: int = 100) -> dict[str, str]:
    return {f"Q{start + i}": f"Q{7000 + i}" for i in range(n)}


def test_discovery_maps_wikidata_qids_and_reads_terms_without_repeating(tmp_path):
    fake = FakeMetabase(items(120))
    client, api = make(fake)
    found = client.discover()
    assert found.source == "sparql" and len(found.capacities) == 120
    assert {c.item: c.qid for c in found.capacities} == fake.wikidata
    assert found.capacities[0].code is not None
    # backlinks+languages, SPARQL, ceil(120/50)=3 wbgetentities; no index-term reads (SPARQL agreed)
    assert api.requests_made == 5
    snap, cursor = client.read_terms(found.capacities)
    assert api.requests_made == 5  # terms came with the discovery answers
    term = snap.get(TermKey("Q7000", "label", "pt-br"))
    assert term is not None and term.text == "rótulo Q100" and term.revision == 1000 and term.side == "metabase"
    assert cursor.high_water == "2026-02-02T00:00:00Z" and not snap.meta
    assert cursor.item_revisions["Q100"] == 1000 and set(cursor.accepted_languages) == {"en", "pt-br", "de"}
    assert client.accepted_languages() == {"en", "pt-br", "de"} and api.requests_made == 5
    ids_sent = [i for c in fake.calls if c.get("action") == "wbgetentities" for i in c.values("ids")]
    assert len(ids_sent) == len(set(ids_sent)) == 120


def test_read_terms_fetches_again_when_not_just_discovered():
    fake = FakeMetabase(items(3))
    client, api = make(fake)
    snap, _ = client.read_terms([Capacity("Q7001", item="Q101")], languages={"en"})
    assert {k.lang for k in snap.terms} == {"en"} and api.requests_made == 1


def test_the_wiki_decides_over_a_lagging_query_service():
    wikidata = items(4)
    fake = FakeMetabase(wikidata, sparql_items={"Q100", "Q101", "Q103"}, non_capacity={"Q103"})
    client, api = make(fake)
    found = client.discover()
    got = {c.item for c in found.capacities}
    # Q102 is new (not yet in SPARQL): found through backlinks; Q103 lost P5 on the wiki: dropped
    assert got == {"Q100", "Q101", "Q102"}
    assert found.sparql_missing == ("Q102",)
    # Q102's index term was not vouched for by SPARQL: read from the wiki (one more request)
    index_reads = [c for c in fake.calls if c.get("props") == "claims"]
    assert len(index_reads) == 1 and index_reads[0].values("ids") == ["Q602"]


def test_shared_wikidata_qids_are_reported_and_excluded():
    wikidata = {"Q100": "Q7397", "Q101": "Q7397", "Q102": "Q42", "Q103": ""}
    client, _ = make(FakeMetabase(wikidata))
    found = client.discover()
    assert [c.qid for c in found.capacities] == ["Q42"]
    assert found.duplicates == {"Q7397": ("Q100", "Q101")}
    assert found.unlinked == ("Q103",)


def test_discovery_without_a_query_service_uses_backlinks():
    fake = FakeMetabase(items(3))
    client, api = make(fake, sparql=False)
    found = client.discover()
    assert found.source == "backlinks" and len(found.capacities) == 3
    assert not any(c.path.endswith("sparql") for c in fake.calls)


def test_an_anti_bot_page_from_the_query_service_falls_back_to_the_wiki(logs):
    fake = FakeMetabase(items(3), sparql_html=True)
    client, _ = make(fake)
    found = client.discover()
    assert found.source == "backlinks" and len(found.capacities) == 3
    assert "query service failed" in logs.text and "text/html" in logs.text


def test_claims_and_terms_helpers_accept_real_answers():
    data = recording("wikibase-responses/wbgetentities-claims").data["entities"]
    assert claim_values(data["Q34537"], "P5") == ["Q34531"]
    assert claim_values(data["Q34537"], "P67") == ["Q34532"]
    assert claim_values(data["Q34532"], "P1")[0].startswith("Q")
    several = recording("wikibase-responses/wbgetentities-languagefallback").data["entities"]
    for entity in several.values():
        for (_, lang), _text in entity_terms(entity).items():
            assert "for-language" not in entity.get("labels", {}).get(lang, {})
    assert entity_terms({"labels": [], "descriptions": {}}) == {}


@pytest.fixture()
def creds(monkeypatch):
    monkeypatch.setenv("CAPXL10N_METABASE_USER", "CapxBot@capxl10n")
    monkeypatch.setenv("CAPXL10N_METABASE_PASSWORD", "sandbox-bot-password-0123456789abcdef")


def test_edit_item_is_one_wbeditentity_with_every_term(creds):
    writer = EditRecorder(recording("wikibase-responses/wbeditentity-multi-terms"))
    client, _ = make(writer)
    result = client.edit_item("Q34537", labels={"pt-br": "Olá", "de": None}, descriptions={"es": "Hola"},
                              baserevid=41, summary="capxl10n: from Meta-Wiki")
    (edit,) = writer.edits
    assert edit.get("action") == "wbeditentity" and edit.get("baserevid") == "41" and edit.get("assert") == "user"
    data = json.loads(edit.get("data"))
    assert data == {"labels": {"de": {"language": "de", "remove": ""}, "pt-br": {"language": "pt-br", "value": "Olá"}},
                    "descriptions": {"es": {"language": "es", "value": "Hola"}}}
    assert result.revision and not result.nochange
    assert result.based_on == 41, "saved on the base revision sent, with no patch: that is its parent"


def test_edit_item_nochange_and_patched(creds):
    client, _ = make(EditRecorder(recording("wikibase-responses/wbeditentity-nochange")))
    assert client.edit_item("Q1", labels={"en": "x"}, descriptions={}, baserevid=1, summary="s").nochange
    client, _ = make(EditRecorder(recording("wikibase-responses/conflict-b-other-user-other-language-wbeditentity")))
    patched = client.edit_item("Q1", labels={"en": "x"}, descriptions={}, baserevid=1, summary="s")
    assert patched.patched and patched.based_on is None, "patched over another edit: not saved on the base sent"


@pytest.mark.parametrize("name, cls, code", [
    ("wikibase-responses/wbeditentity-label-equals-description", ValidationError, "modification-failed"),
    ("wikibase-responses/wbeditentity-description-too-long", ValidationError, "modification-failed"),
    ("wikibase-responses/conflict-c-other-user-same-label-wbeditentity", EditConflictError, "editconflict"),
    ("wikibase-responses/wbeditentity-missing-entity", ValidationError, "no-such-entity"),
])
def test_edit_item_refusals_carry_the_item(creds, name, cls, code):
    client, _ = make(EditRecorder(recording(name)))
    with pytest.raises(cls) as err:
        client.edit_item("Q34537", labels={"en": "x"}, descriptions={}, baserevid=1, summary="s")
    assert err.value.code == code and err.value.term == "Q34537" and err.value.site == "metabase"
