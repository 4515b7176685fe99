"""Contract: Wikibase (Metabase) requests, on the real Wikibase and on the sandbox.

Every body creates its own items (``wbeditentity new=item``) with labels
unique to the case, so the term validators see the same data on both backends.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from realwiki.backends import Answer, Backend

SITE = "metabase"


def new_item(b: Backend, case: str, n: int = 0, *, who: str = "bot", extra: Mapping[str, Any] | None = None) -> dict:
    data = {"labels": {"en": {"language": "en", "value": f"contract {case} {n}"},
                       "pt-br": {"language": "pt-br", "value": f"contrato {case} {n}"}},
            "descriptions": {"en": {"language": "en", "value": f"an item of the {case} contract case"}},
            **(extra or {})}
    answer = b.client(SITE, who).write("wbeditentity", new="item", data=json.dumps(data), bot=True)
    assert answer.code is None, answer.body
    return answer["entity"]


def edit(b: Backend, who: str = "bot", **params: Any) -> Answer:
    for name in ("data",):
        if name in params and not isinstance(params[name], str):
            params[name] = json.dumps(params[name])
    return b.client(SITE, who).write(params.pop("action", "wbeditentity"), **params)


def terms(labels: Mapping[str, str] | None = None, descriptions: Mapping[str, str] | None = None) -> dict:
    out: dict[str, Any] = {}
    if labels:
        out["labels"] = {lang: {"language": lang, "value": v} for lang, v in labels.items()}
    if descriptions:
        out["descriptions"] = {lang: {"language": lang, "value": v} for lang, v in descriptions.items()}
    return out


# ---------------------------------------------------------------- reads
def getentities(b: Backend) -> Mapping[str, Answer]:
    item = new_item(b, "get")
    anon = b.anon(SITE)
    ids = f"{item['id']}|Q999999999|P999999"
    fv1 = anon.get(action="wbgetentities", ids=ids, props="labels|descriptions|info", languages="en|pt-br")
    assert fv1["entities"]["Q999999999"]["missing"] == ""
    assert fv1["entities"][item["id"]]["lastrevid"] == item["lastrevid"]
    fv2 = anon.get(action="wbgetentities", ids=ids, props="labels|descriptions|info", languages="en|pt-br",
                   formatversion=2)
    assert fv2["entities"]["Q999999999"]["missing"] == "", "missing stays a string under fv2"
    invalid = anon.get(action="wbgetentities", ids=f"{item['id']}|X1")
    assert invalid.code == "no-such-entity"
    fallback = anon.get(action="wbgetentities", ids=item["id"], props="labels|descriptions",
                        languages="pt|de-at|es|en", languagefallback=1)
    pt = fallback["entities"][item["id"]]["labels"]["pt"]
    assert pt["language"] == "pt-br" and pt["for-language"] == "pt"
    unknown_lang = anon.get(action="wbgetentities", ids=item["id"], props="labels", languages="en|xx-fake")
    return {"fv1": fv1, "fv2": fv2, "invalid-id": invalid, "languagefallback": fallback,
            "unknown-language": unknown_lang}


def test_wbgetentities(contract):
    contract.run("wikibase-getentities", getentities)


def id_limits(b: Backend) -> Mapping[str, Answer]:
    item = new_item(b, "limits")
    ids51 = "|".join([item["id"]] + [f"Q{900000000 + n}" for n in range(50)])
    ids501 = "|".join([item["id"]] + [f"Q{900000000 + n}" for n in range(500)])
    user = b.client(SITE, "bot2").post(action="wbgetentities", ids=ids51, props="info")
    assert user.code == "toomanyvalues", "a plain user gets 50 ids"
    bot = b.client(SITE, "bot").post(action="wbgetentities", ids=ids51, props="info")
    assert bot.code is None, "apihighlimits: 500 ids"
    over = b.client(SITE, "bot").post(action="wbgetentities", ids=ids501, props="info")
    assert over.code == "toomanyvalues"
    return {"51-user": user, "51-bot": Answer(bot.status, bot.headers, {"success": bot["success"]}),
            "501-bot": over}


def test_wbgetentities_id_limits(contract):
    contract.run("wikibase-id-limits", id_limits)


def reads_of_items(b: Backend) -> Mapping[str, Answer]:
    item = new_item(b, "reads")
    edit(b, id=item["id"], data=terms({"es": "contrato lecturas"}), baserevid=item["lastrevid"])
    bot = b.client(SITE, "bot")
    title = f"Item:{item['id']}"
    revs = bot.get(action="query", prop="revisions", titles=title, rvprop="ids|timestamp|user|comment|content|contentmodel",
                   rvslots="main", rvlimit=5, formatversion=2)
    rev = revs["query"]["pages"][0]["revisions"][0]
    assert rev["slots"]["main"]["contentmodel"] == "wikibase-item"
    assert json.loads(rev["slots"]["main"]["content"])["id"] == item["id"]
    rc = bot.get(action="query", list="recentchanges", rcnamespace=120, rctitle=title,
                 rcprop="title|ids|sizes|flags|user|timestamp|comment", rclimit=5, formatversion=2)
    assert len(rc["query"]["recentchanges"]) == 2
    langs = b.anon(SITE).get(action="query", meta="wbcontentlanguages", wbclcontext="term",
                             wbclprop="code|name", formatversion=2)
    codes = set(langs["query"]["wbcontentlanguages"])
    assert {"pt-br", "sr-ec", "zh-hans", "en"} <= codes and "qqq" not in codes and "mul" not in codes
    cut = {"query": {"wbcontentlanguages": {c: langs["query"]["wbcontentlanguages"][c] for c in ("en", "pt-br")}}}
    info = b.anon(SITE).get(action="query", meta="siteinfo", siprop="namespaces", formatversion=2)
    ns = info["query"]["namespaces"]
    assert ns["120"]["name"] == "Item" and ns["122"]["name"] == "Property"
    return {"revisions": revs, "recentchanges": rc, "contentlanguages": Answer(200, langs.headers, cut),
            "namespaces": Answer(200, info.headers, {"120": ns["120"], "122": ns["122"]})}


def test_item_revisions_recentchanges_languages(contract):
    contract.run("wikibase-item-reads", reads_of_items)


def discovery_without_sparql(b: Backend) -> Mapping[str, Answer]:
    """What links to the capacity class item in the Item namespace (docs/clients.md, "Metabase")."""
    cls = b.facts["capacity_class"]
    links = b.anon(SITE).get(action="query", list="backlinks", bltitle=f"Item:{cls}", blnamespace=120,
                             bllimit=2, formatversion=2)
    assert links["query"]["backlinks"], "seeded capacities link to the class"
    first = links["query"]["backlinks"][0]["title"].split(":", 1)[1]
    claims = b.anon(SITE).get(action="wbgetentities", ids=first, props="claims")
    p5 = claims["entities"][first]["claims"]["P5"][0]["mainsnak"]["datavalue"]["value"]["id"]
    assert p5 == cls
    return {"backlinks": links, "claims": claims}


def test_discovery_by_backlinks(contract):
    contract.run("wikibase-backlinks", discovery_without_sparql)


# ---------------------------------------------------------------- writes
def writes(b: Backend) -> Mapping[str, Answer]:
    item = new_item(b, "writes")
    qid, base = item["id"], item["lastrevid"]
    multi = edit(b, id=qid, baserevid=base, bot=True,
                 data=terms({"es": "contrato escrituras", "fr": "contrat écritures",
                             "pt-br": "contrato writes 0"}, {"es": "un elemento", "fr": "un élément"}))
    assert multi.code is None and multi["entity"]["lastrevid"] > base
    rev = multi["entity"]["lastrevid"]
    same = edit(b, id=qid, baserevid=rev, bot=True, data=terms({"es": "contrato escrituras"}))
    assert "nochange" in same["entity"] and same["entity"]["lastrevid"] == rev
    removed = edit(b, id=qid, bot=True, data={"labels": {"fr": {"language": "fr", "remove": ""}},
                                             "descriptions": {"fr": {"language": "fr", "value": ""}}})
    setlabel = edit(b, action="wbsetlabel", id=qid, language="de", value="  Vertrag   schreiben  ")
    assert setlabel["entity"]["labels"]["de"]["value"] == "Vertrag   schreiben", "trimmed, inner spaces kept"
    setdesc = edit(b, "bot2", action="wbsetdescription", id=qid, language="de", value="ein Objekt", formatversion=2)
    nochange = edit(b, action="wbsetlabel", id=qid, language="de", value="Vertrag   schreiben")
    empty = edit(b, action="wbsetlabel", id=qid, language="de", value="")
    long_ok = edit(b, action="wbsetlabel", id=qid, language="nl", value="é" * 250)
    assert long_ok.code is None, "250 characters (500 bytes) are allowed"
    return {"multi-terms": multi, "nochange": same, "remove": removed, "wbsetlabel": setlabel,
            "wbsetdescription-fv2": setdesc, "wbsetlabel-nochange": nochange, "wbsetlabel-empty-removes": empty,
            "250-ok": long_ok}


def test_term_writes(contract):
    contract.run("wikibase-writes", writes)


def validators(b: Backend) -> Mapping[str, Answer]:
    item = new_item(b, "validators")
    other = new_item(b, "validators", 1)
    qid = item["id"]
    out = {
        "label-too-long": edit(b, action="wbsetlabel", id=qid, language="en", value="x" * 251),
        "description-too-long": edit(b, id=qid, data=terms(None, {"en": "y" * 251})),
        "label-equals-description": edit(b, id=qid, data=terms({"de": "gleich"}, {"de": "gleich"})),
        "wbsetlabel-equals-description": edit(b, action="wbsetlabel", id=qid, language="en",
                                              value=f"an item of the validators contract case"),
        "pair-conflict": edit(b, id=qid, data=terms({"en": "contract validators 1"},
                                                    {"en": "an item of the validators contract case"})),
        "language-mismatch": edit(b, id=qid, data={"labels": {"es": {"language": "fr", "value": "abc"}}}),
        "unknown-language": edit(b, id=qid, data=terms({"xx-fake": "abc"})),
        "wbsetlabel-unknown-language": edit(b, action="wbsetlabel", id=qid, language="xx-fake", value="abc"),
        "wbsetlabel-uppercase-language": edit(b, action="wbsetlabel", id=qid, language="pt-BR", value="abc"),
        "missing-entity": edit(b, id="Q999999999", data=terms({"en": "abc"})),
        "wbsetlabel-missing-entity": edit(b, action="wbsetlabel", id="Q999999999", language="en", value="abc"),
        "bad-baserevid": edit(b, id=qid, baserevid=999999999, data=terms({"en": "abc"})),
        "badtoken": edit(b, id=qid, token="bad+\\", data=terms({"en": "abc"})),
        "invalid-json": edit(b, id=qid, data="{not json"),
        "plaintext-fv2": edit(b, action="wbsetlabel", id=qid, language="en", value="x" * 251,
                              errorformat="plaintext", formatversion=2),
    }
    expected = {"label-too-long": "modification-failed", "description-too-long": "modification-failed",
                "label-equals-description": "modification-failed", "pair-conflict": "modification-failed",
                "wbsetlabel-equals-description": "modification-failed",
                "language-mismatch": "inconsistent-language", "unknown-language": "not-recognized-language",
                "wbsetlabel-unknown-language": "badvalue", "wbsetlabel-uppercase-language": "badvalue",
                "missing-entity": "no-such-entity", "wbsetlabel-missing-entity": "no-such-entity",
                "bad-baserevid": "nosuchrevid", "badtoken": "badtoken", "invalid-json": "invalid-json",
                "plaintext-fv2": "modification-failed"}
    got = {k: a.code for k, a in out.items()}
    assert got == expected
    assert other["id"] != qid
    return out


def test_term_validators(contract):
    contract.run("wikibase-validators", validators)


def maxlag(b: Backend) -> Mapping[str, Answer]:
    item = new_item(b, "maxlag")
    token = b.client(SITE, "bot").csrf()
    b.set_maxlag(10)
    read = b.anon(SITE).get(action="wbgetentities", ids=item["id"], maxlag=5)
    write = edit(b, id=item["id"], token=token, maxlag=5, data=terms({"es": "x"}))
    b.clear_maxlag()
    assert read.code == write.code == "maxlag"
    assert write.headers.get("Retry-After") == "5"
    return {"read": read, "write": write}


def test_maxlag(contract):
    contract.run("wikibase-maxlag", maxlag)


# ---------------------------------------------------------------- baserevid patching and conflicts
@pytest.mark.parametrize("scenario", ["a-same-user-other-language", "a2-same-user-same-label",
                                      "b-other-user-other-language", "b-wbeditentity", "c-other-user-same-label",
                                      "c-wbeditentity-mixed", "c2-same-value", "d-description-vs-label",
                                      "e-no-baserevid"])
def test_baserevid_conflicts(contract, scenario):
    def body(b: Backend) -> Mapping[str, Answer]:
        item = new_item(b, f"conflict-{scenario}")
        qid, base = item["id"], item["lastrevid"]
        first_who = "bot" if scenario.startswith("a") else "bot2"
        first = {
            "a-same-user-other-language": dict(action="wbsetlabel", language="es", value="es A"),
            "a2-same-user-same-label": dict(action="wbsetlabel", language="es", value="es A2"),
            "d-description-vs-label": dict(action="wbsetdescription", language="de", value="beschreibung D"),
        }.get(scenario, dict(action="wbsetlabel", language="de" if scenario.startswith("b") else "en",
                             value="same final value" if scenario == "c2-same-value" else f"by peer2 {scenario}"))
        between = edit(b, first_who, id=qid, **first)
        assert between.code is None
        second = {
            "a-same-user-other-language": dict(action="wbsetlabel", language="en", value="A by bot"),
            "a2-same-user-same-label": dict(action="wbsetlabel", language="es", value="es A2 again"),
            "b-other-user-other-language": dict(action="wbsetlabel", language="en", value="B by bot"),
            "b-wbeditentity": dict(data=terms({"en": "B2 by bot", "fr": "objet B2"}, {"fr": "desc B2"})),
            "c-other-user-same-label": dict(action="wbsetlabel", language="en", value="C by bot"),
            "c-wbeditentity-mixed": dict(data=terms({"en": "C2 by bot", "it": "oggetto C2"})),
            "c2-same-value": dict(action="wbsetlabel", language="en", value="same final value"),
            "d-description-vs-label": dict(action="wbsetlabel", language="de", value="label D by bot"),
            "e-no-baserevid": dict(action="wbsetlabel", language="en", value="E by bot"),
        }[scenario]
        guard = {} if scenario == "e-no-baserevid" else {"baserevid": base}
        answer = edit(b, "bot", id=qid, **second, **guard)
        warnings = json.dumps(answer.body.get("warnings", {}))
        if scenario.startswith(("b", "d")) or scenario == "a-same-user-other-language":
            assert answer.code is None and "wikibase-conflict-patched" in warnings
        elif scenario.startswith("c2"):
            assert answer.code == "modification-failed"
        elif scenario.startswith(("c", "a2")):
            assert answer.code == "editconflict", "the same term changed since baserevid"
        else:
            assert answer.code is None and "wikibase-conflict-patched" not in warnings
        after = b.anon(SITE).get(action="wbgetentities", ids=qid, props="labels|descriptions|info")
        answers = {"between": between, "answer": answer, "reread": after}
        if scenario == "b-wbeditentity":  # apply's patched English write: the stored revision holds both edits
            revid = answer.body["entity"]["lastrevid"]
            assert answer.body["entity"]["labels"].get("de", {}).get("value") != "by peer2 b-wbeditentity"
            stored = b.client(SITE, "bot").get(action="query", prop="revisions", revids=str(revid),
                                               rvprop="ids|content", rvslots="main", formatversion=2)
            content = json.loads(stored["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"])
            assert content["labels"]["de"]["value"] == "by peer2 b-wbeditentity"
            assert content["labels"]["en"]["value"] == "B2 by bot"
            answers["stored-revision"] = stored
        return answers
    contract.run(f"wikibase-conflict-{scenario}", body)


PLAN_TAG = "[capxl10n plan 0123456789ab]"


def tagged_history(b: Backend) -> Mapping[str, Answer]:
    """apply's recovery: the plan tag of a wbeditentity reads back in rvprop=comment, after the autocomment."""
    item = new_item(b, "plan-tag")
    answer = edit(b, id=item["id"], data=terms({"de": "Vertrag Plan", "fr": "contrat plan"}),
                  baserevid=item["lastrevid"], summary=f"{PLAN_TAG} capxl10n sync: changed on metawiki [de, fr]")
    assert answer.code is None, answer.body
    history = b.client(SITE, "bot").get(action="query", prop="revisions", titles=f"Item:{item['id']}",
                                        rvprop="ids|comment|timestamp|user", rvlimit="max",
                                        rvend="2001-01-01T00:00:00Z", formatversion=2)
    newest = history["query"]["pages"][0]["revisions"][0]
    assert newest["comment"].startswith("/* wbeditentity-update-languages-short:0||de, fr */ "), newest
    assert PLAN_TAG in newest["comment"], newest
    return {"history": history}


def test_plan_tag_survives_in_item_history(contract):
    contract.run("wikibase-plan-tag-history", tagged_history)
