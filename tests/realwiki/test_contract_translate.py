"""Contract: Translate (Meta-Wiki) requests, on the real Translate and on the sandbox.

The bodies share one block of test keys that :func:`ensure_block` puts at the
*start* of the bundle (so the seed's keys always follow it and continuation is
deterministic), in known states: translated, outdated by an English change,
saved with ``!!FUZZY!!``, untranslated, documented in ``qqq``. Comparisons
keep only the block's entries. Cases that change keys append their own.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from realwiki.backends import BUNDLE, GROUP, Answer, Backend, make_qid

SITE = "metawiki"
K1, K2, K3 = (make_qid("translate-block", str(n)) for n in (1, 2, 3))
BLOCK = [f"{q}-{f}" for q in (K1, K2, K3) for f in ("label", "description")]
COMPARED = BLOCK[:4]  # K3 is changed by the unfuzzy case, so never compared in listings


def unit(key: str, lang: str) -> str:
    return f"Translations:{BUNDLE}/{key}/{lang}"


def full(key: str) -> str:
    return f"{BUNDLE}/{key}"


def read_bundle(b: Backend) -> tuple[dict[str, Any], dict[str, Any]]:
    page = b.client(SITE, "bot").page(BUNDLE)
    assert page is not None, f"{b.name}: no bundle page {BUNDLE}"
    return json.loads(page["text"]), page


def save_bundle(b: Backend, data: Mapping[str, Any], page: Mapping[str, Any], summary: str) -> Answer:
    return b.client(SITE, "bot").write("edit", title=BUNDLE, text=json.dumps(data, ensure_ascii=False, indent=1),
                                       summary=summary, baserevid=page["revid"])


def ensure_block(b: Backend) -> None:
    """The shared block of keys, once per backend (idempotent)."""
    if b.facts.get("translate-block"):
        return
    data, page = read_bundle(b)
    english = {K1 + "-label": "contract label one", K1 + "-description": "contract description one (old)",
               K2 + "-label": "contract label two", K2 + "-description": "contract description two",
               K3 + "-label": "contract label three (old)", K3 + "-description": "contract description three"}
    meta = {k: v for k, v in data.items() if k == "@metadata"}
    rest = {k: v for k, v in data.items() if k != "@metadata" and k not in english}
    answer = save_bundle(b, {**meta, **english, **rest}, page, "contract: add the test block")
    assert answer.code is None, answer.body
    bot, other = b.client(SITE, "bot"), b.client(SITE, "bot2")
    for key, text in ((K1 + "-label", "rótulo um"), (K1 + "-description", "descrição um"),
                      (K3 + "-label", "rótulo três")):
        assert bot.write("edit", title=unit(key, "pt-br"), text=text).code is None
    assert other.write("edit", title=unit(K2 + "-label", "pt-br"), text="!!FUZZY!!rótulo dois").code is None
    assert bot.write("edit", title=unit(K1 + "-label", "qqq"), text="Documentation of label one.").code is None
    data, page = read_bundle(b)
    data[K1 + "-description"] = "contract description one"
    data[K3 + "-label"] = "contract label three"
    assert save_bundle(b, data, page, "contract: change English").code is None
    b.facts["translate-block"] = True


def only(answer: Answer, keys: list[str]) -> Answer:
    """A messagecollection answer cut to the given bundle keys (data of other tests removed)."""
    body = json.loads(json.dumps(answer.body))
    query = body.get("query", {})
    wanted = {full(k) for k in keys}
    if "messagecollection" in query:
        query["messagecollection"] = [m for m in query["messagecollection"] if m["key"] in wanted]
    body.pop("continue", None)
    return Answer(answer.status, answer.headers, body, answer.request)


def mc(b: Backend, **params: Any) -> Answer:
    return b.anon(SITE).get(action="query", list="messagecollection", mcgroup=GROUP, **params)


def entries(answer: Answer) -> dict[str, dict[str, Any]]:
    return {m["key"].rsplit("/", 1)[1]: m for m in answer["query"]["messagecollection"]}


# ---------------------------------------------------------------- message groups and collections
def groups(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    default = b.anon(SITE).get(action="query", meta="messagegroups", formatversion=2)
    ours = [g for g in default["query"]["messagegroups"] if g["id"] == GROUP]
    assert len(ours) == 1
    filtered = b.anon(SITE).get(action="query", meta="messagegroups", mgfilter="messagebundle-*",
                                mgprop="id|label|class|exists|sourcelanguage|prioritylangs", formatversion=2)
    cut = [g for g in filtered["query"]["messagegroups"] if g["id"] == GROUP]
    return {"default": Answer(200, default.headers, {"query": {"messagegroups": ours}}),
            "filtered": Answer(200, filtered.headers, {"query": {"messagegroups": cut}})}


def test_messagegroups(contract):
    contract.run("translate-messagegroups", groups)


@pytest.mark.parametrize("fv", [1, 2])
def test_messagecollection_props(contract, fv):
    def body(b: Backend) -> Mapping[str, Answer]:
        ensure_block(b)
        default = mc(b, mclanguage="pt-br", mclimit=4, formatversion=fv)
        assert [k.rsplit("/", 1)[1] for k in (m["key"] for m in default["query"]["messagecollection"])] == COMPARED
        allprops = mc(b, mclanguage="pt-br", mclimit=4, mcprop="definition|translation|tags|revision|properties",
                      formatversion=fv)
        e = entries(allprops)
        assert "fuzzy" in e[K1 + "-description"]["tags"], "English change outdates the translation"
        assert e[K1 + "-description"]["translation"] == "descrição um", "text untouched"
        assert e[K2 + "-label"]["translation"] == "rótulo dois", "readers never see the marker"
        assert e[K2 + "-description"]["properties"]["status"] == "untranslated"
        assert isinstance(e[K1 + "-label"]["properties"]["revision"], str)
        assert e[K2 + "-label"]["properties"]["last-translator-text"] == b.user_name("bot2")
        return {"default-props": only(default, COMPARED), "all-props": only(allprops, COMPARED)}
    contract.run(f"translate-mc-props-fv{fv}", body)


def continuation(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    first = mc(b, mclanguage="pt-br", mclimit=2, formatversion=2)
    assert first["continue"]["mcoffset"] == full(K2 + "-label"), "mcoffset = the next key"
    second = mc(b, mclanguage="pt-br", mclimit=2, formatversion=2, **first["continue"])
    assert list(entries(second)) == [K2 + "-label", K2 + "-description"]
    numeric = mc(b, mclanguage="pt-br", mclimit=1, mcoffset=1, formatversion=2)
    assert list(entries(numeric)) == [K1 + "-description"], "a numeric mcoffset is an index"
    over = mc(b, mclanguage="pt-br", mclimit=6000, mcprop="translation")
    assert over.body.get("warnings"), "mclimit over 5000 is clamped with a warning"
    maximum = mc(b, mclanguage="pt-br", mclimit="max", mcprop="translation")
    gen = b.anon(SITE).get(action="query", generator="messagecollection", gmcgroup=GROUP, gmclanguage="pt-br",
                           gmclimit=2, prop="info", formatversion=2)
    assert gen["continue"]["gmcoffset"] == full(K2 + "-label")
    return {"page1": first, "page2": only(second, COMPARED), "numeric-offset": only(numeric, COMPARED),
            "over-max": only(over, COMPARED), "max": only(maximum, COMPARED), "generator": gen}


def test_messagecollection_continuation_and_limits(contract):
    contract.run("translate-mc-continuation", continuation)


FILTERS = {"fuzzy": {K1 + "-description", K2 + "-label"}, "translated": {K1 + "-label"},
           "hastranslation": {K1 + "-label", K1 + "-description", K2 + "-label"},
           "!hastranslation": {K2 + "-description"}, "!translated": {K1 + "-description", K2 + "-label",
                                                                     K2 + "-description"},
           "changed": None}


@pytest.mark.parametrize("mcfilter", list(FILTERS))
def test_messagecollection_filters(contract, mcfilter):
    def body(b: Backend) -> Mapping[str, Answer]:
        ensure_block(b)
        answer = mc(b, mclanguage="pt-br", mcfilter=mcfilter, mcprop="translation|tags|properties", mclimit=5000,
                    formatversion=2)
        assert answer.code is None
        got = set(entries(answer)) & set(COMPARED)
        if FILTERS[mcfilter] is not None:
            assert got == FILTERS[mcfilter]
        return {"filtered": only(answer, COMPARED)}
    contract.run(f"translate-mc-filter-{mcfilter.replace('!', 'not-')}", body)


def mc_errors(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    out = {
        "unknown-group": b.anon(SITE).get(action="query", list="messagecollection", mcgroup="messagebundle-Nope"),
        "no-group": b.anon(SITE).get(action="query", list="messagecollection"),
        "bad-language": mc(b, mclanguage="xx-notalang"),
        "uppercase-language": mc(b, mclanguage="pt-BR"),
        "bad-filter": mc(b, mclanguage="pt-br", mcfilter="bogus"),
    }
    assert out["unknown-group"].code == "badparameter"
    assert out["bad-filter"].code == "invalidfilter"
    assert out["uppercase-language"].code is not None, "Translate refuses BCP 47 case"
    source = mc(b, mclanguage="en", mclimit=4, mcprop="definition|translation|tags|properties", formatversion=2)
    qqq = mc(b, mclanguage="qqq", mclimit=4, mcprop="translation|properties", formatversion=2)
    assert entries(qqq)[K1 + "-label"]["translation"] == "Documentation of label one."
    out["source-language"] = only(source, COMPARED)
    out["qqq"] = only(qqq, COMPARED)
    return out


def test_messagecollection_errors_and_special_languages(contract):
    contract.run("translate-mc-errors", mc_errors)


def stats(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    answer = b.anon(SITE).get(action="query", meta="messagegroupstats", mgsgroup=GROUP, formatversion=2)
    rows = {r["code"]: r for r in answer["query"]["messagegroupstats"]}
    assert {"en", "qqq", "pt-br"} <= set(rows), "every supported language is listed, en and qqq included"
    kept = {"query": {"messagegroupstats": [rows[c] for c in ("en", "pt-br", "qqq")]}}
    suppressed = b.anon(SITE).get(action="query", meta="messagegroupstats", mgsgroup=GROUP,
                                  mgssuppressempty=1, mgssuppresscomplete=1, formatversion=2)
    codes = {r["code"] for r in suppressed["query"]["messagegroupstats"]}
    assert "pt-br" in codes and "de-formal" not in codes
    return {"stats": Answer(200, answer.headers, kept)}


def test_messagegroupstats(contract):
    contract.run("translate-messagegroupstats", stats)


def translations(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    anon = b.anon(SITE)
    every = anon.get(action="query", meta="messagetranslations", mttitle=f"Translations:{BUNDLE}/{K1}-label")
    langs = {t["language"] for t in every["query"]["messagetranslations"]}
    assert {"en", "qqq", "pt-br"} <= langs, "/en and /qqq are listed too"
    fuzzy = anon.get(action="query", meta="messagetranslations", mttitle=unit(K1 + "-description", "pt-br"),
                     formatversion=2)
    pt = [t for t in fuzzy["query"]["messagetranslations"] if t["language"] == "pt-br"]
    assert pt and pt[0].get("fuzzy") == "fuzzy"
    unknown = anon.get(action="query", meta="messagetranslations", mttitle=f"Translations:{BUNDLE}/Q999-label")
    assert unknown.code == "nomessagefortitle"
    return {"all": every, "fuzzy-fv2": fuzzy, "unknown": unknown}


def test_messagetranslations(contract):
    contract.run("translate-messagetranslations", translations)


# ---------------------------------------------------------------- unit saves
def unit_saves(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    bot = b.client(SITE, "bot")
    key = K2 + "-description"
    plain = bot.write("edit", title=unit(key, "de"), text="Beschreibung zwei", createonly=True)
    marked = bot.write("edit", title=unit(key, "fr"), text="!!FUZZY!!description deux")
    raw = bot.page(unit(key, "fr"))
    assert raw is not None and raw["text"] == "!!FUZZY!!description deux", "the marker is stored in the text"
    read_fr = mc(b, mclanguage="fr", mcprop="translation|tags|properties", mclimit=5000, formatversion=2)
    assert entries(read_fr)[key]["translation"] == "description deux"
    assert "fuzzy" in entries(read_fr)[key]["tags"]
    unfuzzy = bot.write("edit", title=unit(key, "fr"), text="description deux")
    read_again = mc(b, mclanguage="fr", mcprop="translation|tags|properties", mclimit=5000, formatversion=2)
    assert "fuzzy" not in (entries(read_again)[key].get("tags") or []), "a plain save clears fuzzy"
    signature = bot.write("edit", title=unit(key, "es"), text="Firmado ~~~~")
    assert bot.page(unit(key, "es"))["text"] == "Firmado ~~~~", "Translate does not expand ~~~~ in units"
    unknown = bot.write("edit", title=unit("Q999-label", "pt-br"), text="x")
    assert unknown.code == "tpt-unknown-page"
    anon = b.anon(SITE).post(action="edit", title=unit(key, "it"), text="x", token="+\\")
    assert anon.code == "protectednamespace"
    return {"plain": plain, "fuzzy-marker": marked, "fuzzy-readback": only(read_fr, [key]), "unfuzzy": unfuzzy,
            "unfuzzy-readback": only(read_again, [key]), "signature": signature, "unknown-key": unknown,
            "anonymous": anon}


def test_unit_saves(contract):
    contract.run("translate-unit-saves", unit_saves)


def identical_over_fuzzy(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    key = K3 + "-label"
    before = mc(b, mclanguage="pt-br", mcprop="translation|tags|properties", mclimit=5000, formatversion=2)
    assert "fuzzy" in entries(before)[key]["tags"]
    same = b.client(SITE, "bot").write("edit", title=unit(key, "pt-br"), text="rótulo três")
    assert "nochange" in same["edit"], "identical text: no new revision"
    after = mc(b, mclanguage="pt-br", mcprop="translation|tags|properties", mclimit=5000, formatversion=2)
    assert "fuzzy" not in (entries(after)[key].get("tags") or []), "…but the fuzzy tag is removed"
    return {"save": same, "readback": only(after, [key])}


def test_identical_save_over_fuzzy_unit(contract):
    contract.run("translate-identical-over-fuzzy", identical_over_fuzzy)


def unit_conflict(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    bot, other = b.client(SITE, "bot"), b.client(SITE, "bot2")
    title = unit(K2 + "-description", "nl")
    first = bot.write("edit", title=title, text="beschrijving", createonly=True)["edit"]
    other.write("edit", title=title, text="beschrijving twee")
    conflict = bot.write("edit", title=title, text="beschrijving drie", baserevid=first["newrevid"])
    assert conflict.code == "editconflict"
    return {"conflict": conflict}


def test_unit_editconflict(contract):
    contract.run("translate-unit-conflict", unit_conflict)


# ---------------------------------------------------------------- bundle edits
def english_change(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    qid = make_qid("translate-english-change")
    data, page = read_bundle(b)
    data[qid + "-label"] = "english before"
    added = save_bundle(b, data, page, "contract: add a key")
    bot = b.client(SITE, "bot")
    bot.write("edit", title=unit(qid + "-label", "pt-br"), text="português")
    bot.write("edit", title=unit(qid + "-label", "qqq"), text="doc")
    data, page = read_bundle(b)
    data[qid + "-label"] = "english after"
    changed = save_bundle(b, data, page, "contract: change English")
    read = mc(b, mclanguage="pt-br", mcprop="definition|translation|tags|properties", mclimit=5000, formatversion=2)
    e = entries(read)[qid + "-label"]
    assert "fuzzy" in e["tags"] and e["translation"] == "português" and e["definition"] == "english after"
    qqq = mc(b, mclanguage="qqq", mcprop="translation|tags|properties", mclimit=5000, formatversion=2)
    assert "fuzzy" not in (entries(qqq)[qid + "-label"].get("tags") or []), "documentation is not outdated"
    en = bot.page(unit(qid + "-label", "en"))
    assert en is not None and en["text"] == "english after", "FuzzyBot keeps /en"
    rc = bot.get(action="query", list="recentchanges", rcnamespace=1198, rcprop="title|user|tags", rclimit=50,
                 formatversion=2)
    return {"add": added, "change": changed, "readback": only(read, [qid + "-label"]),
            "qqq": only(qqq, [qid + "-label"]),
            "recentchanges": Answer(200, rc.headers, {"rows": [r for r in rc["query"]["recentchanges"]
                                                               if qid in r["title"]][:1]})}


def test_bundle_english_change_outdates_translations(contract):
    contract.run("translate-english-change", english_change)


def remove_key(b: Backend) -> Mapping[str, Answer]:
    ensure_block(b)
    qid = make_qid("translate-remove-key")
    data, page = read_bundle(b)
    data[qid + "-label"] = "to be removed"
    save_bundle(b, data, page, "contract: add a key")
    b.client(SITE, "bot").write("edit", title=unit(qid + "-label", "pt-br"), text="a remover")
    data, page = read_bundle(b)
    del data[qid + "-label"]
    removed = save_bundle(b, data, page, "contract: remove a key")
    orphan = b.client(SITE, "bot").page(unit(qid + "-label", "pt-br"))
    assert orphan is not None and orphan["text"] == "a remover", "removed keys leave orphan units"
    mt = b.anon(SITE).get(action="query", meta="messagetranslations", mttitle=f"Translations:{BUNDLE}/{qid}-label")
    assert mt.code == "nomessagefortitle"
    return {"remove": removed, "messagetranslations": mt}


def test_bundle_key_removal(contract):
    contract.run("translate-remove-key", remove_key)


def key_put_back(b: Backend) -> Mapping[str, Answer]:
    """A key removed and put back outdates the translations it had, with another English or the same one
    (its stored definition, the /en unit page, outlives the removal)."""
    ensure_block(b)
    same, other = make_qid("translate-put-back-same"), make_qid("translate-put-back-other")
    data, page = read_bundle(b)
    data.update({same + "-label": "kept English", other + "-label": "first English"})
    save_bundle(b, data, page, "contract: add keys")
    bot = b.client(SITE, "bot")
    for qid in (same, other):
        bot.write("edit", title=unit(qid + "-label", "pt-br"), text="tradução")
    data, page = read_bundle(b)
    del data[same + "-label"], data[other + "-label"]
    save_bundle(b, data, page, "contract: remove keys")
    data, page = read_bundle(b)
    data.update({same + "-label": "kept English", other + "-label": "second English"})
    put_back = save_bundle(b, data, page, "contract: put keys back")
    read = mc(b, mclanguage="pt-br", mcprop="definition|translation|tags|properties", mclimit=5000, formatversion=2)
    found = entries(read)
    for qid in (same, other):
        assert "fuzzy" in found[qid + "-label"]["tags"] and found[qid + "-label"]["translation"] == "tradução"
    return {"put_back": put_back, "readback": only(read, [same + "-label", other + "-label"])}


def test_bundle_key_put_back(contract):
    contract.run("translate-put-back", key_put_back)


INVALID_BUNDLES = {
    "invalid-json": '{"Q1-label": "x",',
    "list": '["a", "b"]',
    "empty-value": '{"Q1-label": ""}',
    "nonstring-value": '{"Q1-label": 5}',
    "bad-key": '{"Q1 label": "x"}',
    "metadata-label": '{"@metadata": {"label": "x"}, "Q1-label": "x"}',
    "sourcelanguage-change": '{"@metadata": {"sourceLanguage": "pt-br"}, "Q1-label": "x"}',
}


@pytest.mark.parametrize("kind", list(INVALID_BUNDLES))
def test_invalid_bundles(contract, kind):
    def body(b: Backend) -> Mapping[str, Answer]:
        ensure_block(b)
        answer = b.client(SITE, "bot").write("edit", title=BUNDLE, text=INVALID_BUNDLES[kind], summary="invalid")
        assert answer.code is not None
        return {"refused": answer}
    contract.run(f"translate-invalid-bundle-{kind}", body)


PLAN_TAG = "[capxl10n plan 0123456789ab]"


def tagged_history(b: Backend) -> Mapping[str, Answer]:
    """apply's recovery: the plan tag of a unit save (plain and !!FUZZY!!) reads back in rvprop=comment, and the
    page's deletion log rides on the same request (a page never deleted: no entries)."""
    ensure_block(b)
    bot = b.client(SITE, "bot")
    title = unit(K2 + "-description", "nl")
    summary = f"{PLAN_TAG} capxl10n sync: changed on metabase [nl]"
    answers: dict[str, Answer] = {}
    for name, text in (("save", "contract beschrijving twee"), ("save-fuzzy", "!!FUZZY!!contract beschrijving twee")):
        assert bot.write("edit", title=title, text=text, summary=summary).code is None
        history = bot.get(action="query", prop="revisions", titles=title, rvprop="ids|comment|timestamp|user",
                          rvlimit="max", rvend="2001-01-01T00:00:00Z", list="logevents", letype="delete",
                          letitle=title, leprop="timestamp", lelimit=10, leend="2001-01-01T00:00:00Z",
                          formatversion=2)
        newest = history["query"]["pages"][0]["revisions"][0]
        assert PLAN_TAG in newest["comment"], newest
        answers[name] = history
    missing = bot.get(action="query", prop="revisions", titles=title + "-missing", rvprop="ids|comment|timestamp|user",
                      rvlimit="max", list="logevents", letype="delete", letitle=title + "-missing",
                      leprop="timestamp", lelimit=10, formatversion=2)
    assert missing["query"]["pages"][0]["missing"] is True and missing["query"]["logevents"] == []
    answers["missing-page"] = missing
    return answers


def test_plan_tag_survives_in_unit_history(contract):
    contract.run("translate-plan-tag-history", tagged_history)
