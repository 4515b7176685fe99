"""Translate semantics on the sandbox: bundle validation, FuzzyBot /en, fuzzy tags, !!FUZZY!!, stale stats."""
from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from capxl10n.sandbox.server import BOT_PASSWORD, Sandbox

BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"


class Meta:
    def __init__(self, sb: Sandbox) -> None:
        self.sb, self.url, self.http = sb, sb.api_url("metawiki"), sb.session()
        token = self.get(action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
        self.post(action="login", lgname="CapxBot@capxl10n", lgpassword=BOT_PASSWORD, lgtoken=token)
        self.token = self.get(action="query", meta="tokens")["query"]["tokens"]["csrftoken"]

    def get(self, **params: Any) -> dict[str, Any]:
        return dict(self.http.get(self.url, params={"format": "json", "formatversion": "2", **params}).json())

    def post(self, **params: Any) -> dict[str, Any]:
        return dict(self.http.post(self.url, data={"format": "json", "formatversion": "2", **params}).json())

    def edit(self, title: str, text: str, **extra: Any) -> dict[str, Any]:
        return self.post(action="edit", title=title, text=text, token=self.token, **extra)

    def mc(self, lang: str, **extra: Any) -> list[dict[str, Any]]:
        return list(self.get(action="query", list="messagecollection", mcgroup=GROUP, mclanguage=lang,
                             mcprop="definition|translation|tags|properties", **extra)["query"]["messagecollection"])

    def bundle(self) -> dict[str, str]:
        return dict(self.sb.site("metawiki").translate.groups[BUNDLE].messages)  # type: ignore[attr-defined]


@pytest.fixture
def meta(sandbox_factory: Any) -> Meta:
    return Meta(sandbox_factory(capacities=8, languages=4, start=False))


@pytest.mark.parametrize("text, reason", [
    ("{not json", "Syntax error"),
    ("[1, 2]", "Got type array"),
    ('{"Q1 label": "x"}', "disallowed characters"),
    ('{"Q1-label": 3}', "does not contain string value"),
    ('{"Q1-label": "  "}', "does not have a value"),
    ('{"@metadata": {"label": "x"}, "Q1-label": "x"}', "unknown key"),
    ('{"@metadata": {"sourceLanguage": "pt-br"}, "Q1-label": "x"}', "cannot be changed"),
])
def test_bundle_validation(meta: Meta, text: str, reason: str) -> None:
    error = meta.edit(BUNDLE, text)["error"]
    assert error["code"] == "translate-messagebundle-validation-error" and reason in error["info"]


def test_english_change_fuzzies_translations_and_fuzzybot_updates_en(meta: Meta) -> None:
    messages = meta.bundle()
    before = {e["key"]: e for e in meta.mc("pt-br")}
    key = next(k for k in messages if before[f"{BUNDLE}/{k}"]["properties"]["status"] == "translated")
    stats_before = _stats(meta, "pt-br")
    messages[key] = messages[key] + " (changed)"
    assert meta.edit(BUNDLE, json.dumps({"@metadata": {"sourceLanguage": "en"}, **messages}))["edit"]["result"]
    after = {e["key"]: e for e in meta.mc("pt-br")}
    entry = after[f"{BUNDLE}/{key}"]
    assert entry["tags"] == ["fuzzy"] and entry["properties"]["status"] == "fuzzy"
    assert entry["translation"] == before[f"{BUNDLE}/{key}"]["translation"]  # text untouched
    assert entry["definition"].endswith("(changed)")
    en = meta.sb.site("metawiki").wiki.page(f"Translations:{BUNDLE}/{key}/en")
    assert en is not None and en.latest.user == "FuzzyBot" and en.text.endswith("(changed)")
    assert _stats(meta, "pt-br") == stats_before  # stale until the language is touched again
    rc = meta.get(action="query", list="recentchanges", rcnamespace="1198", rcprop="title|tags", rclimit="50")
    assert not any("fuzzy" in row.get("tags", []) for row in rc["query"]["recentchanges"])


def _stats(meta: Meta, lang: str) -> dict[str, Any]:
    rows = meta.get(action="query", meta="messagegroupstats", mgsgroup=GROUP)["query"]["messagegroupstats"]
    return next(r for r in rows if r["code"] == lang)


def test_fuzzy_marker_save_and_same_text_unfuzzies(meta: Meta) -> None:
    key = next(iter(meta.bundle()))
    title = f"Translations:{BUNDLE}/{key}/de"
    assert "edit" in meta.edit(title, "!!FUZZY!!Entwurf")
    entry = next(e for e in meta.mc("de") if e["key"].endswith(key))
    assert entry["translation"] == "Entwurf" and entry["properties"]["status"] == "fuzzy"
    meta.edit(title, "Fertig")
    entry = next(e for e in meta.mc("de") if e["key"].endswith(key))
    assert entry["properties"]["status"] == "translated"
    page = meta.sb.site("metawiki").wiki.page(title)
    assert page is not None
    page.props["fuzzy"] = True  # as after an English change
    answer = meta.edit(title, "Fertig")["edit"]
    assert answer.get("nochange") is True
    assert next(e for e in meta.mc("de") if e["key"].endswith(key))["properties"]["status"] == "translated"


def test_unit_errors(meta: Meta) -> None:
    assert meta.edit(f"Translations:{BUNDLE}/Q999999-label/de", "x")["error"]["code"] == "tpt-unknown-page"
    anon = requests.Session()
    anon.mount("http://", meta.sb.transport())
    key = next(iter(meta.bundle()))
    answer = anon.post(meta.url, data={"action": "edit", "title": f"Translations:{BUNDLE}/{key}/de", "text": "x",
                                       "token": "+\\", "format": "json"}).json()
    assert answer["error"]["code"] == "protectednamespace"


def test_messagecollection_errors_and_continuation(meta: Meta) -> None:
    assert meta.get(action="query", list="messagecollection")["error"]["code"] == "missingparam"
    assert meta.get(action="query", list="messagecollection", mcgroup="messagebundle-Nope")["error"]["code"] == \
        "badparameter"
    assert meta.get(action="query", list="messagecollection", mcgroup=GROUP, mclanguage="pt-BR")["error"]["code"] \
        == "translate-invalidlanguage"
    assert meta.get(action="query", list="messagecollection", mcgroup=GROUP, mcfilter="bogus")["error"]["code"] \
        == "invalidfilter"
    keys, params = [], {"mclimit": "3"}
    while True:
        answer = meta.get(action="query", list="messagecollection", mcgroup=GROUP, mclanguage="de", **params)
        keys += [e["key"] for e in answer["query"]["messagecollection"]]
        if "continue" not in answer:
            break
        params = {"mclimit": "3", **answer["continue"]}
    assert keys == [f"{BUNDLE}/{k}" for k in meta.bundle()]
    warned = meta.get(action="query", list="messagecollection", mcgroup=GROUP, mclimit="6000")
    assert "5,000" in warned["warnings"]["messagecollection"]["warnings"]


def test_messagetranslations_lists_every_subpage(meta: Meta) -> None:
    key = next(iter(meta.bundle()))
    rows = meta.get(action="query", meta="messagetranslations", mttitle=f"Translations:{BUNDLE}/{key}")
    languages = [r["language"] for r in rows["query"]["messagetranslations"]]
    assert "en" in languages and languages == sorted(languages)
    unknown = meta.get(action="query", meta="messagetranslations", mttitle=f"Translations:{BUNDLE}/Q999-label")
    assert unknown["error"]["code"] == "nomessagefortitle"
