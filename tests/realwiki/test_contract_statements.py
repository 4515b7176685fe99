"""Contract: Wikibase statements, aliases and search on the real repository and the sandbox (issue 24).

Items written the way WikibaseIntegrator and pywikibot write them — claims with the datatypes Metabase
uses (wikibase-item, external-id, string, url), aliases, sitelinks refused — must be stored and shown the
same, with the same refusals and edit summaries, and be visible to backlinks (Wikibase's page links).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from realwiki.backends import Answer, Backend

SITE = "metabase"


def _reduced(answer: Answer, body: object) -> Answer:
    return Answer(answer.status, answer.headers, body, answer.request)


def _snak(prop: str, value: Any, kind: str = "string") -> dict[str, Any]:
    return {"mainsnak": {"snaktype": "value", "property": prop, "datavalue": {"value": value, "type": kind}},
            "type": "statement", "rank": "normal"}


def _item_value(qid: str) -> dict[str, Any]:
    return {"entity-type": "item", "numeric-id": int(qid[1:])}


def _comments(b: Backend, entity: str, n: int) -> list[str]:
    answer = b.client(SITE).get(action="query", prop="revisions", titles=f"Item:{entity}", rvprop="comment",
                                rvlimit=n, formatversion=2)
    return [r["comment"] for r in answer["query"]["pages"][0]["revisions"]]


def _new_property(b: Backend, datatype: str, label: str) -> str:
    answer = b.client(SITE).write("wbeditentity", new="property", formatversion=2,
                                  data=json.dumps({"datatype": datatype, "labels": {"en": {"language": "en",
                                                                                          "value": label}}}))
    return str(answer["entity"]["id"])


def items_with_claims(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    cls = b.facts["capacity_class"]
    external = _new_property(b, "external-id", "capxl10n contract external id")
    url = _new_property(b, "url", "capxl10n contract url")
    data = {"labels": {"en": {"language": "en", "value": "capxl10n contract claims"}},
            "descriptions": {"en": {"language": "en", "value": "an item with statements"}},
            "aliases": {"en": [{"language": "en", "value": "alias one"}, {"language": "en", "value": "alias two"}]},
            "sitelinks": {}, "type": "item",
            "claims": [_snak("P5", _item_value(cls), "wikibase-entityid"), _snak(external, "ext-1"),
                       _snak(url, "https://example.org/capxl10n"), _snak("P91", "99")]}
    created = bot.write("wbeditentity", new="item", data=json.dumps(data), summary="contract", formatversion=2)
    item = created["entity"]["id"]
    claims = created["entity"]["claims"]
    assert claims["P5"][0]["mainsnak"]["hash"] == "f6075d1dc543cd7385567a612d58c8861f420426", "the real hash"
    assert [claims[p][0]["mainsnak"]["datatype"] for p in ("P5", external, url, "P91")] == [
        "wikibase-item", "external-id", "url", "string"]
    same = bot.write("wbeditentity", id=item, data=json.dumps({"aliases": {"en": [
        {"language": "en", "value": "alias one"}, {"language": "en", "value": "alias two"}]}}), formatversion=2)
    assert "nochange" in same["entity"]
    changed = dict(claims["P91"][0])
    changed["mainsnak"] = {**changed["mainsnak"], "datavalue": {"value": "100", "type": "string"}}
    mixed = bot.write("wbeditentity", id=item, formatversion=2, data=json.dumps({
        "labels": {"fr": {"language": "fr", "value": "capxl10n contrat"}}, "claims": [changed]}))
    removed = bot.write("wbeditentity", id=item, formatversion=2,
                        data=json.dumps({"claims": [{"id": claims[url][0]["id"], "remove": ""}]}))
    alias_add = bot.write("wbeditentity", id=item, formatversion=2,
                          data=json.dumps({"aliases": [{"language": "de", "value": "Alias", "add": ""}]}))
    comments = _comments(b, item, 5)
    assert comments[0] == "/* wbeditentity-update-languages-short:0||de */"
    assert comments[1] == "/* wbeditentity-update:0| */"
    assert comments[2] == "/* wbeditentity-update-languages-and-other-short:0||fr */"
    links = bot.get(action="query", titles=f"Item:{item}", prop="links", pllimit="max", formatversion=2)
    linked = {link["title"] for link in links["query"]["pages"][0]["links"]}
    assert {f"Item:{cls}", "Property:P5", f"Property:{external}", "Property:P91"} <= linked
    assert f"Property:{url}" not in linked, "the removed statement's link is gone"
    backlinks = bot.get(action="query", list="backlinks", bltitle=f"Property:{external}", formatversion=2)
    assert [p["title"] for p in backlinks["query"]["backlinks"]] == [f"Item:{item}"]
    got = bot.get(action="wbgetentities", ids=item, formatversion=2)
    return {"created": created, "aliases-nochange": same, "mixed": mixed, "claim-removed": removed,
            "alias-added": alias_add, "comments": _reduced(links, {"name": comments[:4]}),
            "backlinks": backlinks, "read": got}


def test_items_with_claims_and_aliases(contract):
    contract.run("wb-items-with-claims", items_with_claims)


def refusals(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    cls = b.facts["capacity_class"]
    url = _new_property(b, "url", "capxl10n contract url refusals")

    def edit(data: dict[str, Any]) -> Answer:
        return bot.write("wbeditentity", id=cls, data=json.dumps(data), formatversion=2)

    out = {
        "sitelinks": edit({"sitelinks": {"enwiki": {"site": "enwiki", "title": "Foo"}}}),
        "no-such-property": edit({"claims": [_snak("P999999", "x")]}),
        "bad-value-type": edit({"claims": [_snak("P5", "not an item")]}),
        "no-such-item": edit({"claims": [_snak("P5", _item_value("Q999999999"), "wikibase-entityid")]}),
        "too-long": edit({"claims": [_snak("P91", "x" * 401)]}),
        "url-scheme": edit({"claims": [_snak(url, "no scheme here")]}),
        "no-datavalue": edit({"claims": [{"mainsnak": {"snaktype": "value", "property": "P91"},
                                          "type": "statement"}]}),
        "bad-rank": edit({"claims": [{**_snak("P91", "x"), "rank": "bogus"}]}),
        "unknown-guid": edit({"claims": [{"id": f"{cls}$0A1B2C3D-0000-4000-8000-0000000000FF", "remove": ""}]}),
        "alias-too-long": edit({"aliases": {"en": [{"language": "en", "value": "x" * 251}]}}),
        "alias-empty": edit({"aliases": {"en": [{"language": "en", "value": ""}]}}),
        "property-without-datatype": bot.write("wbeditentity", new="property", formatversion=2, data=json.dumps(
            {"labels": {"en": {"language": "en", "value": "capxl10n contract no datatype"}}})),
        "property-label-taken": bot.write("wbeditentity", new="property", formatversion=2, data=json.dumps(
            {"datatype": "string", "labels": {"en": {"language": "en", "value": "capxl10n contract url refusals"}}})),
    }
    assert out["sitelinks"].code == "not-recognized-site"
    assert out["no-such-property"].error["messages"][0]["name"] == "wikibase-validator-no-such-property"
    after = bot.get(action="wbgetentities", ids=cls, props="info", formatversion=2)
    return {**out, "unchanged": _reduced(after, {"name": sorted(after["entities"][cls])})}


def test_statement_refusals(contract):
    contract.run("wb-statement-refusals", refusals)


def claim_modules(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    cls = b.facts["capacity_class"]
    item = bot.write("wbeditentity", new="item", formatversion=2, data=json.dumps(
        {"labels": {"en": {"language": "en", "value": "capxl10n contract claim modules"}}}))["entity"]["id"]
    created = bot.write("wbcreateclaim", entity=item, property="P5", snaktype="value",
                        value=json.dumps(_item_value(cls)), formatversion=2)
    novalue = bot.write("wbcreateclaim", entity=item, property="P91", snaktype="novalue", formatversion=2)
    bad_value = bot.write("wbcreateclaim", entity=item, property="P91", snaktype="value", value="s1",
                          formatversion=2)
    statement = created["claim"]
    guid = statement["id"]
    fresh = {"id": f"{item}$0A1B2C3D-0000-4000-8000-000000000001", "type": "statement", "rank": "preferred",
             "mainsnak": {"snaktype": "value", "property": "P91", "datavalue": {"value": "s2", "type": "string"}},
             "qualifiers": {"P91": [{"snaktype": "value", "property": "P91",
                                     "datavalue": {"value": "q", "type": "string"}}]},
             "references": [{"snaks": {"P91": [{"snaktype": "value", "property": "P91",
                                                "datavalue": {"value": "r", "type": "string"}}]}}]}
    set_new = bot.write("wbsetclaim", claim=json.dumps(fresh), formatversion=2)
    no_guid = bot.write("wbsetclaim", claim=json.dumps({k: v for k, v in fresh.items() if k != "id"}),
                        formatversion=2)
    assert no_guid.code == "invalid-claim"
    all_claims = bot.get(action="wbgetclaims", entity=item, formatversion=2)
    one = bot.get(action="wbgetclaims", claim=guid, formatversion=2)
    preferred = bot.get(action="wbgetclaims", entity=item, rank="preferred", formatversion=2)
    removed = bot.write("wbremoveclaims", claim=guid, formatversion=2)
    again = bot.write("wbremoveclaims", claim=guid, formatversion=2)
    assert again.code == "invalid-guid"
    comments = _comments(b, item, 4)
    assert comments[0] == "/* wbremoveclaims-remove:1| */ [[Property:P5]]: [[Item:Q34531]]".replace("Q34531", cls)
    assert comments[1] == "/* wbsetclaim-create:2||1 */ [[Property:P91]]: s2"
    assert comments[2] == "/* wbcreateclaim-create:1| */ [[Property:P91]]: no value"
    return {"created": created, "novalue": novalue, "not-json": bad_value, "set-new": set_new, "no-guid": no_guid,
            "all": all_claims, "one": one, "preferred": preferred, "removed": removed, "removed-again": again,
            "comments": _reduced(removed, {"name": comments[1:3]})}


def test_claim_modules(contract):
    contract.run("wb-claim-modules", claim_modules)


def aliases_and_search(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    item = bot.write("wbeditentity", new="item", formatversion=2, data=json.dumps(
        {"labels": {"en": {"language": "en", "value": "capxl10n contract searchable"}}}))["entity"]["id"]
    added = bot.write("wbsetaliases", id=item, language="en", add="capxl10n alias a|capxl10n alias b",
                      formatversion=2)
    removed = bot.write("wbsetaliases", id=item, language="en", remove="capxl10n alias a", formatversion=2)
    replaced = bot.write("wbsetaliases", id=item, language="en", set="capxl10n alias c|capxl10n alias d",
                         formatversion=2)
    same = bot.write("wbsetaliases", id=item, language="en", set="capxl10n alias c|capxl10n alias d",
                     formatversion=2)
    assert "nochange" in same["entity"]
    both = bot.write("wbsetaliases", id=item, language="en", add="capxl10n alias e", remove="capxl10n alias c",
                     formatversion=2)
    empty = bot.write("wbsetaliases", id=item, language="en", formatversion=2)
    assert empty.code == "invalid-list"
    comments = _comments(b, item, 4)
    assert comments == ["/* wbsetaliases-update:2|en */ capxl10n alias d, capxl10n alias e",
                        "/* wbsetaliases-set:2|en */ capxl10n alias c, capxl10n alias d",
                        "/* wbsetaliases-remove:1|en */ capxl10n alias a",
                        "/* wbsetaliases-add:2|en */ capxl10n alias a, capxl10n alias b"], comments
    anon = b.anon(SITE)
    by_label = anon.get(action="wbsearchentities", search="capxl10n contract search", language="en",
                        formatversion=2)
    assert [hit["id"] for hit in by_label["search"]] == [item]
    by_alias = anon.get(action="wbsearchentities", search="capxl10n alias e", language="en", formatversion=2)
    assert by_alias["search"][0]["match"]["type"] == "alias"
    by_id = anon.get(action="wbsearchentities", search=item, language="en", formatversion=2)
    assert by_id["search"][0]["match"] == {"type": "entityId", "text": item}
    nothing = anon.get(action="wbsearchentities", search="capxl10n nothing like it", language="en", formatversion=2)
    prop = anon.get(action="wbsearchentities", search="index term", language="en", type="property",
                    formatversion=2)
    return {"added": added, "removed": removed, "replaced": replaced, "nochange": same, "add-and-remove": both,
            "invalid-list": empty, "search-label": by_label, "search-alias": by_alias, "search-id": by_id,
            "search-none": nothing, "search-property": prop}


def test_aliases_and_search(contract):
    contract.run("wb-aliases-search", aliases_and_search)
