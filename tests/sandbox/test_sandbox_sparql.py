"""Metabase's query service: real SPARQL over the items, lag with an injected clock, errors."""
from __future__ import annotations

import json

import pytest

from capxl10n.sandbox.sparql.service import SparqlService, antibot_response, install_sparql, repo_source
from plugins.wiki_harness import Harness, small_seed

DISCOVER = """SELECT ?item ?qid ?label WHERE {
  ?item wdt:P5 wd:Q34531 ; wdt:P67/wdt:P1 ?qid .
  OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = "fr") }
} ORDER BY ?qid"""
JSON = {"Accept": "application/sparql-results+json"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def env() -> tuple[Harness, dict[str, str], SparqlService, Clock]:
    h = Harness()
    items = small_seed(h)
    clock = Clock()
    service = install_sparql(h.app, h.site, h.repo, clock=clock)
    return h, items, service, clock


def query(h: Harness, text: str, *, method: str = "GET", headers: dict[str, str] | None = None,
          **extra: str):
    client = h.clients[None]
    if method == "GET":
        return client.get("/metabase/query/sparql", query_string={"query": text, **extra}, headers=headers or JSON)
    return client.post("/metabase/query/sparql", data={"query": text, **extra}, headers=headers or JSON)


def bindings(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    return json.loads(response.get_data(as_text=True))["results"]["bindings"]


def test_discovery_query_finds_capacities_with_wikidata_qids(env) -> None:
    h, items, _service, _clock = env
    rows = bindings(query(h, DISCOVER))
    assert [r["qid"]["value"] for r in rows] == sorted(items, key=str)
    assert {r["item"]["value"].rsplit("/", 1)[1] for r in rows} == set(items.values())
    # the real Metabase's concept URI, not the request's host (clients hard-code production IRIs)
    assert rows[0]["item"]["value"].startswith("https://metabase.wikibase.cloud/entity/")
    assert all("label" not in r for r in rows)          # unbound variables are absent


def test_language_tags_are_stored_term_codes(env) -> None:
    h, items, _service, _clock = env
    rows = bindings(query(h, f"SELECT ?l WHERE {{ wd:{items['Q7397']} rdfs:label ?l }}", method="POST"))
    assert {(r["l"]["value"], r["l"]["xml:lang"]) for r in rows} == {
        ("Organizing edit-a-thons", "en"), ("Organizar editatonas", "pt-br")}


def test_edits_show_after_the_lag_and_not_before(env) -> None:
    h, items, service, clock = env
    service.configure(lag_seconds=30)
    h.post(action="wbsetlabel", id=items["Q42"], language="fr", value="Écrire")
    assert all("label" not in r for r in bindings(query(h, DISCOVER)))
    assert service.pending == 1
    clock.now += 30
    labelled = [r for r in bindings(query(h, DISCOVER)) if "label" in r]
    assert [(r["qid"]["value"], r["label"]["value"]) for r in labelled] == [("Q42", "Écrire")]


def test_lag_by_edit_count_and_pause(env) -> None:
    h, items, service, _clock = env
    service.configure(lag_edits=2)
    for n, lang in enumerate(("fr", "de", "es")):
        h.post(action="wbsetlabel", id=items["Q42"], language=lang, value=f"v{n}")
    text = f"SELECT ?l WHERE {{ wd:{items['Q42']} rdfs:label ?l }}"
    assert {r["l"]["value"] for r in bindings(query(h, text))} == {"Writing", "v0"}
    service.configure(paused=True, lag_edits=0)
    assert len(bindings(query(h, text))) == 2 and service.pending == 2
    service.configure(paused=False)
    assert {r["l"]["value"] for r in bindings(query(h, text))} == {"Writing", "v0", "v1", "v2"}


def test_version_triples_let_clients_detect_lag(env) -> None:
    h, items, service, _clock = env
    service.configure(paused=True)
    h.post(action="wbsetlabel", id=items["Q42"], language="fr", value="x")
    rows = bindings(query(h, f"SELECT ?v WHERE {{ wd:{items['Q42']} schema:version ?v }}"))
    assert int(rows[0]["v"]["value"]) < h.lastrevid(items["Q42"])
    assert service.flush() == 1
    rows = bindings(query(h, f"SELECT ?v WHERE {{ wd:{items['Q42']} schema:version ?v }}"))
    assert int(rows[0]["v"]["value"]) == h.lastrevid(items["Q42"])


def test_syntax_errors_are_text_with_400(env) -> None:
    h, *_ = env
    response = query(h, "SELEC ?x")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "MalformedQueryException" in response.get_data(as_text=True)
    assert h.clients[None].get("/metabase/query/sparql").status_code == 400


def test_formats_follow_accept_and_updates_are_refused(env) -> None:
    h, *_ = env
    xml = query(h, "ASK { ?s ?p ?o }", headers={"Accept": "*/*"})
    assert xml.status_code == 200 and "sparql-results+xml" in xml.headers["Content-Type"]
    assert json.loads(query(h, "ASK { ?s ?p ?o }", format="json").get_data()) == {"head": {}, "boolean": True}
    assert query(h, "INSERT DATA { <a:b> <a:c> <a:d> }").status_code == 400
    raw = h.clients[None].post("/metabase/query/sparql", data="SELECT * WHERE { ?s ?p ?o } LIMIT 1",
                               headers={**JSON, "Content-Type": "application/sparql-query"})
    assert raw.status_code == 200


def test_antibot_hook_answers_html(env) -> None:
    h, _items, service, _clock = env
    service.block = lambda request: True
    response = query(h, DISCOVER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert antibot_response().mimetype == "text/html"


def test_reload_takes_current_state_without_lag(env) -> None:
    h, items, service, _clock = env
    service.configure(paused=True)
    h.post(action="wbsetlabel", id=items["Q42"], language="fr", value="Écrire")
    service.reload()
    assert service.pending == 0
    fresh = SparqlService(repo_source(h.repo))
    status, _ctype, body = fresh.run(f"SELECT ?l WHERE {{ wd:{items['Q42']} rdfs:label ?l FILTER(LANG(?l)='fr') }}",
                                     "http://x/metabase/")
    assert status == 200 and b"\xc3\x89crire" in body
