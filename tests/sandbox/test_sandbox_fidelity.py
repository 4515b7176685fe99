"""Never a silent success (issue 24): what the sandbox implements it does as MediaWiki does; the rest it refuses.

The shapes are held to the real wiki by tests/realwiki/test_contract_{frame,edits,statements}.py; these
tests pin the behaviour itself on the sandbox alone, in-process and fast.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from capxl10n.sandbox.mediawiki import sections
from capxl10n.sandbox.server import BOT_PASSWORD, Sandbox, bot_login_name
from capxl10n.sandbox.wikibase.statements import reference_hash, snak_hash


class Wiki:
    """One logged-in session on a sandbox site (in-process transport)."""

    def __init__(self, sb: Sandbox, site: str) -> None:
        self.sb, self.api, self.http = sb, sb.api_url(site), sb.session()
        token = self.get(action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
        answer = self.http.post(self.api, data={"action": "login", "lgname": bot_login_name(),
                                                "lgpassword": BOT_PASSWORD, "lgtoken": token,
                                                "format": "json"}).json()
        assert answer["login"]["result"] == "Success"
        self.csrf = self.get(action="query", meta="tokens")["query"]["tokens"]["csrftoken"]

    def get(self, **params: Any) -> Any:
        return self.http.get(self.api, params={"format": "json", "formatversion": "2", **params}).json()

    def post(self, **params: Any) -> Any:
        return self.http.post(self.api, data={"format": "json", "formatversion": "2", "token": self.csrf,
                                              **params}).json()

    def text(self, title: str) -> str:
        page = self.sb.site(self.api.split("/")[-3]).wiki.page(title)
        assert page is not None
        return page.text


@pytest.fixture
def meta(sandbox_session: Sandbox) -> Wiki:
    return Wiki(sandbox_session, "metawiki")


@pytest.fixture
def base(sandbox_session: Sandbox) -> Wiki:
    return Wiki(sandbox_session, "metabase")


def test_sections_are_cut_as_the_parser_cuts_them() -> None:
    text = "intro\n== A ==\na\n=== A1 ===\na1\n== B ==\nb"
    assert sections.section_text(text, 1) == "== A ==\na\n=== A1 ===\na1"
    assert sections.replace_section(text, 2, "new a1") == "intro\n== A ==\na\nnew a1\n\n== B ==\nb"
    assert sections.replace_section(text, 0, "lead") == "lead\n\n== A ==\na\n=== A1 ===\na1\n== B ==\nb"
    assert sections.replace_section(text, 9, "x") is None
    assert sections.append_section(text, "C", "c") == f"{text}\n\n== C ==\n\nc"
    assert sections.append_section("", "C", "c") == "== C ==\n\nc"


def test_section_edits_change_one_part_only(meta: Wiki) -> None:
    title = "Fidelity/sections"
    meta.post(action="edit", title=title, text="intro\n== A ==\na\n== B ==\nb")
    assert meta.post(action="edit", title=title, section="2", text="== B ==\nnew b")["edit"]["result"] == "Success"
    meta.post(action="edit", title=title, section="new", sectiontitle="C", text="c")
    assert meta.text(title) == "intro\n== A ==\na\n== B ==\nnew b\n\n== C ==\n\nc"
    assert meta.post(action="edit", title=title, section="7", text="x")["error"]["code"] == "nosuchsection"
    assert meta.post(action="edit", title=title, section="T-1", text="x")["error"]["code"] == "sandbox-unsupported"


def test_refused_edits_save_nothing(meta: Wiki, base: Wiki) -> None:
    title = "Fidelity/refused"
    revisions = len(meta.sb.site("metawiki").wiki.revisions)
    assert meta.post(action="edit", title=title, text="x", md5="0" * 32)["error"]["code"] == "badmd5"
    assert meta.post(action="edit", title=title, text="x", tags="nope")["error"]["code"] == "badtags"
    assert meta.post(action="edit", title="Module:Fidelity.json", text="{no")["error"]["code"] == "invalid-json-data"
    assert len(meta.sb.site("metawiki").wiki.revisions) == revisions
    entity_revisions = len(base.sb.site("metabase").wiki.revisions)
    answer = base.post(action="edit", title="Item:Q34531", text="not JSON")
    assert answer["error"]["code"] == "wikibase-no-direct-editing"
    assert len(base.sb.site("metabase").wiki.revisions) == entity_revisions
    assert base.get(action="wbgetentities", ids="Q34531")["entities"]["Q34531"]["labels"]["en"]["value"] == "capacity"


def test_what_is_not_implemented_is_refused_by_name(meta: Wiki) -> None:
    for params in ({"action": "query", "meta": "siteinfo", "siprop": "skins"},
                   {"action": "query", "list": "allpages", "callback": "f"},
                   {"action": "query", "list": "allpages", "origin": "https://example.org"},
                   {"action": "query", "prop": "revisions", "titles": "Main Page", "rvparse": "1"},
                   {"action": "query", "meta": "userinfo", "uiprop": "options"}):
        assert meta.get(**params)["error"]["code"] == "sandbox-unsupported", params
    assert meta.get(action="parse", page="Main Page")["error"]["code"] == "badvalue", "left out: unknown module"


def test_origin_star_is_anonymous(meta: Wiki) -> None:
    answer = meta.http.get(meta.api, params={"action": "query", "meta": "userinfo", "origin": "*", "format": "json"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "anon" in answer.json()["query"]["userinfo"]


def test_logout_ends_the_session(meta: Wiki) -> None:
    assert meta.post(action="logout") == {}
    assert meta.get(action="query", meta="userinfo")["query"]["userinfo"].get("anon") is True


def test_paraminfo_lists_only_what_the_site_implements(meta: Wiki, base: Wiki) -> None:
    answer = meta.get(action="paraminfo", modules="main|query|wbeditentity")
    modules = {m["path"]: m for m in answer["paraminfo"]["modules"]}
    assert "wbeditentity" not in modules, "Meta-Wiki has no Wikibase"
    actions = next(p for p in modules["main"]["parameters"] if p["name"] == "action")["type"]
    assert sorted(actions) == sorted({"query", *meta.sb.site("metawiki").actions})
    lists = next(p for p in modules["query"]["parameters"] if p["name"] == "list")
    assert "messagecollection" in lists["type"] and "wbsearch" not in lists["type"]
    assert "wbeditentity" in {m["path"] for m in base.get(action="paraminfo",
                                                         modules="wbeditentity")["paraminfo"]["modules"]}


def test_snak_and_reference_hashes_are_wikibases() -> None:
    snak = {"snaktype": "value", "property": "P93", "datavalue": {"value": "https://ref.org", "type": "string"}}
    assert snak_hash(snak) == "f77f1647e7fb1a5c527a501d70fd7a73a72860a9"  # measured on the peer
    assert reference_hash({"snaks": {"P93": [snak]}}) == "8b9b672c915986a042f6cfcccf919325d58f6fdc"
    item = {"snaktype": "value", "property": "P5",
            "datavalue": {"value": {"entity-type": "item", "numeric-id": 34531, "id": "Q34531"},
                          "type": "wikibase-entityid"}}
    assert snak_hash(item) == "f6075d1dc543cd7385567a612d58c8861f420426"


def test_unimplemented_datatypes_are_refused(base: Wiki) -> None:
    answer = base.post(action="wbeditentity", new="property",
                       data=json.dumps({"datatype": "time", "labels": {"en": {"language": "en", "value": "when"}}}))
    assert answer["error"]["code"] == "sandbox-unsupported"


def test_statements_reach_backlinks_and_sparql(sandbox: Sandbox) -> None:
    base = Wiki(sandbox, "metabase")
    created = base.post(action="wbeditentity", new="item", data=json.dumps({
        "labels": {"en": {"language": "en", "value": "fidelity item"}},
        "aliases": {"en": [{"language": "en", "value": "fidelity alias"}]},
        "claims": [{"mainsnak": {"snaktype": "value", "property": "P5", "datavalue": {
            "value": {"entity-type": "item", "numeric-id": 34531}, "type": "wikibase-entityid"}},
            "type": "statement", "rank": "normal"}]}))
    item = created["entity"]["id"]
    linking = base.get(action="query", list="backlinks", bltitle="Item:Q34531", bllimit="max")["query"]["backlinks"]
    assert f"Item:{item}" in {p["title"] for p in linking}, "discovery by backlinks sees the new capacity"
    query = (f"SELECT ?alias ?class WHERE {{ wd:{item} skos:altLabel ?alias ; wdt:P5 ?class ; "
             f"p:P5/ps:P5 ?class . }}")
    rows = sandbox.session().get(f"{sandbox.url}/metabase/query/sparql", params={"query": query, "format": "json"})
    binding = rows.json()["results"]["bindings"][0]
    assert binding["alias"]["value"] == "fidelity alias"
    assert binding["class"]["value"] == "https://metabase.wikibase.cloud/entity/Q34531"


def test_the_concept_uri_is_a_sandbox_option(sandbox_factory: Any) -> None:
    sb = sandbox_factory(concept_uri="https://example.org/entity/")
    answer = sb.session().get(f"{sb.url}/metabase/query/sparql",
                              params={"query": "SELECT ?i WHERE { ?i wdt:P5 wd:Q34531 } LIMIT 1", "format": "json"})
    assert answer.json()["results"]["bindings"][0]["i"]["value"].startswith("https://example.org/entity/Q")
    general = sb.session().get(sb.api_url("metabase"), params={"action": "query", "meta": "siteinfo",
                                                                "format": "json"}).json()["query"]["general"]
    assert general["wikibase-conceptbaseuri"] == "https://example.org/entity/"


def test_serve_writes_the_concept_uri_into_its_profile(tmp_path: Any) -> None:
    from capxl10n.cli.commands.sandbox import check_concept_uri, write_profile
    from capxl10n.errors import UsageError
    from capxl10n.profile import load_profile

    written = write_profile(tmp_path / "p.toml", "http://127.0.0.1:9999", tmp_path / "s.sqlite", tmp_path / "c",
                            concept_uri="https://example.org/entity/")
    profile = load_profile(str(written))
    assert profile.metabase.entity_prefix == "https://example.org/entity/"
    assert profile.rebase("http://127.0.0.1:1").metabase.entity_prefix == "https://example.org/entity/"
    default = load_profile(str(write_profile(tmp_path / "d.toml", "http://127.0.0.1:9999", tmp_path / "s.sqlite",
                                             tmp_path / "c")))
    assert default.metabase.entity_prefix == "https://metabase.wikibase.cloud/entity/"
    for bad in ("metabase.wikibase.cloud/entity/", "https://x.org/entity", "ftp://x.org/entity/"):
        with pytest.raises(UsageError):
            check_concept_uri(bad)
