"""Contract: ApiMain's frame on the real wiki and on the sandbox — what every request gets, whatever module answers.

``curtimestamp``/``requestid`` (kept by the normaliser: their presence is compared), ``responselanginfo``,
Cache-Control with ``maxage``/``smaxage``, every ``errorformat`` with its message keys, ``continue``
validation, non-NFC values, ``redirects``/``indexpageids``, paraminfo and siteinfo extensions as clients
read them (issue 24; docs/sandbox-differences.md).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from realwiki.backends import Answer, Backend

SITE = "metawiki"


def _reduced(answer: Answer, body: object) -> Answer:
    return Answer(answer.status, answer.headers, body, answer.request)


def _cache(answer: Answer) -> Answer:
    """Only the Cache-Control value (under ``name``: a value the normaliser compares)."""
    return _reduced(answer, {"name": answer.headers.get("Cache-Control")})


def main_extras(b: Backend) -> Mapping[str, Answer]:
    anon = b.anon(SITE)
    ok = anon.get(action="query", meta="siteinfo", siprop="general", requestid="r-1", curtimestamp=1,
                  responselanginfo=1, servedby=1, formatversion=2)
    assert ok["requestid"] == "r-1" and ok["uselang"] == "en" and "servedby" not in ok.body
    error = anon.get(action="nosuchaction", requestid="r-2", curtimestamp=1, formatversion=2)
    assert error.code == "badvalue" and error["requestid"] == "r-2" and "curtimestamp" in error.body
    return {"success": _reduced(ok, {k: v for k, v in ok.body.items() if k != "query"}), "error": error}


def test_requestid_curtimestamp_and_languages(contract):
    contract.run("frame-main-extras", main_extras)


def cache_control(b: Backend) -> Mapping[str, Answer]:
    anon = b.anon(SITE)
    public = anon.get(action="query", meta="siteinfo", maxage=60, smaxage=30, formatversion=2)
    assert public.headers["Cache-Control"] == "s-maxage=30, max-age=60, public"
    private = anon.get(action="query", meta="userinfo", maxage=60, formatversion=2)
    none = anon.get(action="query", meta="siteinfo", formatversion=2)
    logged_in = b.client(SITE).get(action="query", meta="siteinfo", maxage=60, formatversion=2)
    error = anon.get(action="query", list="allpages", aplimit="x", maxage=60, formatversion=2)
    return {"public": _cache(public), "userinfo": _cache(private), "no-maxage": _cache(none),
            "logged-in": _cache(logged_in), "error": _cache(error)}


def test_cache_control(contract):
    contract.run("frame-cache-control", cache_control)


@pytest.mark.parametrize("errorformat", ["plaintext", "wikitext", "html", "raw", "none"])
def test_error_formats(contract, errorformat):
    def body(b: Backend) -> Mapping[str, Answer]:
        anon = b.anon(SITE)
        error = anon.get(action="query", list="allpages", aplimit="x", errorformat=errorformat, formatversion=2)
        assert error.code == "badinteger" and error.error["module"] == "query+allpages"
        warned = anon.get(action="query", list="allpages", aplimit=1, apdir="ascending", nosuchparam=1,
                          meta="nosuchmeta", errorformat=errorformat, formatversion=2)
        out = {"error": error, "warnings": _reduced(warned, {"warnings": warned["warnings"]})}
        if errorformat == "raw":  # the message keys are the contract of raw (under "name": compared by value)
            out["keys"] = _reduced(error, {"name": [e["key"] for e in error["errors"]] +
                                           [w["key"] for w in warned["warnings"]]})
        return out
    contract.run(f"frame-errorformat-{errorformat}", body)


def bad_continue(b: Backend) -> Mapping[str, Answer]:
    anon = b.anon(SITE)
    garbage = anon.get(action="query", list="allpages", aplimit=2, formatversion=2, **{"continue": "garbage"})
    assert garbage.code == "badcontinue"
    fine = anon.get(action="query", list="allpages", aplimit=2, formatversion=2, **{"continue": "-||"})
    assert fine.code is None
    return {"garbage": garbage, "first-page": _reduced(fine, {"continue": fine.body.get("continue")})}


def test_continue_is_checked(contract):
    contract.run("frame-continue", bad_continue)


def non_nfc_titles(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    raw = "Capxl10n contract/Cafe\u0301 nfc"
    saved = bot.write("edit", title=raw, text="x", formatversion=2)
    assert saved["edit"]["title"] == "Capxl10n contract/Café nfc"
    read = bot.get(action="query", titles=raw, formatversion=2)
    assert read["query"]["normalized"][0]["fromencoded"] is True
    fv1 = bot.get(action="query", titles=raw)
    return {"edit": saved, "query": read, "query-fv1": fv1}


def test_non_nfc_values_are_normalised_with_a_warning(contract):
    contract.run("frame-non-nfc", non_nfc_titles)


def redirects(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    source, target = "Capxl10n contract/frame redirect", "Capxl10n contract/frame redirect target"
    bot.write("edit", title=target, text="target [[Capxl10n contract/x]]")
    bot.write("edit", title=source, text=f"#REDIRECT [[{target}]]")
    plain = bot.get(action="query", titles=source, prop="info", formatversion=2)
    assert plain["query"]["pages"][0]["redirect"] is True
    followed = bot.get(action="query", titles=f"{source}|Capxl10n contract/nowhere", redirects=1, indexpageids=1,
                       prop="info", formatversion=2)
    assert followed["query"]["redirects"] == [{"from": source, "to": target}]
    only = bot.get(action="query", list="allpages", apprefix=source, apfilterredir="redirects", formatversion=2)
    assert [p["title"] for p in only["query"]["allpages"]] == [source]
    return {"plain": plain, "followed": followed, "allpages-redirects": only}


def test_redirects_and_indexpageids(contract):
    contract.run("frame-redirects", redirects)


def paraminfo(b: Backend) -> Mapping[str, Answer]:
    anon = b.anon(SITE)
    answer = anon.get(action="paraminfo", modules="main|query|edit|query+allpages|nosuchmodule", formatversion=2)
    modules = {m["path"]: m for m in answer["paraminfo"]["modules"]}
    actions = next(p for p in modules["main"]["parameters"] if p["name"] == "action")["type"]
    assert {"query", "edit", "login", "paraminfo"} <= set(actions)
    generators = next(p for p in modules["query"]["parameters"] if p["name"] == "generator")["type"]
    assert {"allpages", "templates"} <= set(generators)
    edit = [p["name"] for p in modules["edit"]["parameters"]]
    allpages = modules["query+allpages"]
    assert allpages["prefix"] == "ap" and allpages.get("generator") is True
    shown = {"edit": {"name": edit}, "allpages": {"prefix": allpages["prefix"], "parameters": allpages["parameters"]},
             "warnings": answer.body.get("warnings")}
    return {"paraminfo": _reduced(answer, shown)}


def test_paraminfo_of_the_modules_clients_use(contract):
    contract.run("frame-paraminfo", paraminfo)


def extensions(b: Backend) -> Mapping[str, Answer]:
    answer = b.anon(SITE).get(action="query", meta="siteinfo", siprop="extensions", formatversion=2)
    names = sorted(e["name"] for e in answer["query"]["extensions"] if e["name"] in ("Translate",
                                                                                      "WikibaseRepository"))
    assert "Translate" in names
    repo = b.anon("metabase").get(action="query", meta="siteinfo", siprop="extensions", formatversion=2)
    assert any(e["name"] == "WikibaseRepository" for e in repo["query"]["extensions"])
    picked = [e for e in answer["query"]["extensions"] if e["name"] == "Translate"]
    return {"translate": _reduced(answer, {"query": {"extensions": picked}})}


def test_siteinfo_lists_the_extensions(contract):
    contract.run("frame-extensions", extensions)


def page_parts(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    title = "Capxl10n contract/parts"
    bot.write("edit", title=title, text="x [[Capxl10n contract/link b]] [[Capxl10n contract/link a]] "
                                        "[[Category:Capxl10n contract cat]] {{Capxl10n contract template}}")
    parts = bot.get(action="query", titles=title, prop="links|templates|categories", formatversion=2)
    page = parts["query"]["pages"][0]
    assert [link["title"] for link in page["links"]][:2] == ["Capxl10n contract/link a", "Capxl10n contract/link b"]
    first = bot.get(action="query", titles=title, prop="links", pllimit=1, formatversion=2)
    assert "plcontinue" in first["continue"]
    generated = bot.get(action="query", titles=title, generator="templates", prop="info", inprop="protection",
                        formatversion=2)
    assert generated["query"]["pages"][0]["missing"] is True
    category = bot.get(action="query", titles="Category:Capxl10n contract cat", prop="categoryinfo|imageinfo",
                       formatversion=2)
    return {"parts": parts, "links-page1": first, "generator-templates": generated, "categoryinfo": category}


def test_links_templates_and_categories(contract):
    contract.run("frame-page-parts", page_parts)


def userinfo_for_pywikibot(b: Backend) -> Mapping[str, Answer]:
    answer = b.client(SITE).get(action="query", meta="userinfo", uiprop="blockinfo|groups|hasmsg|ratelimits|rights",
                                formatversion=2)
    info: dict[str, Any] = answer["query"]["userinfo"]
    return {"userinfo": _reduced(answer, {"query": {"userinfo": {k: v for k, v in info.items()
                                                                  if k not in ("groups", "rights", "name")}}})}


def test_userinfo_as_pywikibot_asks(contract):
    contract.run("frame-userinfo-pywikibot", userinfo_for_pywikibot)
