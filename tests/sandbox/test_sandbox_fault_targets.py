"""Faults aimed at one kind of request (``only=``), bursts that clear (``times=``), dropped connections
(``reset=``, ``after=1``) and traps (capxl10n/sandbox/faults.py): what the reliability suites stand on."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from capxl10n.sandbox.faults import KINDS, FaultSpec, TrapEvent, request_kinds
from capxl10n.sandbox.server import BOT_PASSWORD, Sandbox

SITEINFO = {"action": "query", "meta": "siteinfo", "format": "json"}
UNIT = "Translations:Module:CapacityExchange/capacities.json/Q1-label/de"


@pytest.fixture
def sb(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(capacities=8, languages=3, sleep=lambda _s: None, start=False)


def login(sb: Sandbox, site: str) -> tuple[requests.Session, str]:
    http = sb.session()
    url = sb.api_url(site)
    token = http.get(url, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"}).json()
    http.post(url, data={"action": "login", "lgname": "CapxBot@capxl10n", "lgpassword": BOT_PASSWORD,
                         "lgtoken": token["query"]["tokens"]["logintoken"], "format": "json"})
    csrf = http.get(url, params={"action": "query", "meta": "tokens", "format": "json"}).json()
    return http, csrf["query"]["tokens"]["csrftoken"]


@pytest.mark.parametrize("site, method, params, kinds", [
    ("metawiki", "POST", {"action": "login"}, {"login"}),
    ("metawiki", "GET", {"action": "query", "meta": "tokens", "type": "login"}, {"login", "read"}),
    ("metawiki", "GET", {"action": "query", "meta": "siteinfo|userinfo"}, {"login", "read"}),
    ("metawiki", "GET", {"action": "query", "meta": "tokens"}, {"token", "read"}),
    ("metabase", "GET", {"action": "query", "list": "backlinks|recentchanges", "meta": "wbcontentlanguages"},
     {"discovery", "changes", "read"}),
    ("metabase", "GET", {"action": "wbgetentities", "ids": "Q1"}, {"terms", "read"}),
    ("metawiki", "GET", {"action": "query", "prop": "revisions", "rvprop": "content|ids",
                         "titles": "Module:CapacityExchange/capacities.json", "meta": "messagegroupstats"},
     {"bundle", "read"}),
    ("metawiki", "GET", {"action": "query", "prop": "revisions", "revids": "4|7"}, {"history", "read"}),
    ("metabase", "POST", {"action": "wbeditentity", "data": json.dumps(
        {"labels": {"de": {"language": "de", "value": "x"}, "fr": {"language": "fr", "remove": ""}}})},
     {"metabase-set", "metabase-remove", "write"}),
    ("metawiki", "POST", {"action": "edit", "title": UNIT, "text": "x"}, {"unit-edit", "write"}),
    ("metawiki", "POST", {"action": "edit", "title": UNIT, "text": "!!FUZZY!!x"}, {"unit-outdate", "write"}),
    ("metawiki", "POST", {"action": "delete", "title": UNIT}, {"unit-delete", "write"}),
    ("metawiki", "POST", {"action": "edit", "title": "Module:CapacityExchange/capacities.json", "text": "{}"},
     {"bundle-edit", "write"}),
])
def test_each_request_of_a_sync_has_its_kinds(site: str, method: str, params: dict[str, str],
                                              kinds: set[str]) -> None:
    assert request_kinds(site, f"/{site}/w/api.php", method, params) == kinds
    assert kinds <= set(KINDS)


def test_sparql_is_discovery() -> None:
    assert request_kinds("metabase", "/metabase/query/sparql", "GET", {"query": "SELECT"}) == {"discovery", "read"}


@pytest.mark.parametrize("text, field, value", [
    ("reset=0.5", "rate_reset", 0.5), ("reset=1:after=1", "reset_after", True), ("hang=1:after=1", "hang_after", True),
    ("only=terms|write", "only", ("terms", "write")), ("times=2", "times", 2),
])
def test_new_items_parse(text: str, field: str, value: Any) -> None:
    assert getattr(FaultSpec.parse(text), field) == value


@pytest.mark.parametrize("text", ["only=everything", "only=", "reset=1:after=yes", "times=-1", "reset=2"])
def test_bad_new_items_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        FaultSpec.parse(text)


def test_only_aims_a_fault_at_one_kind_of_request(sb: Sandbox) -> None:
    sb.faults.configure("5xx=1,only=terms")
    http = sb.session()
    assert http.get(sb.api_url("metawiki"), params=SITEINFO).status_code == 200
    assert http.get(sb.api_url("metabase"), params={"action": "wbgetentities", "ids": "Q1",
                                                    "format": "json"}).status_code == 503
    assert sb.stats.faults() == {"5xx": 1}


def test_a_burst_of_times_clears(sb: Sandbox) -> None:
    sb.faults.configure("5xx=1,times=2")
    http = sb.session()
    assert [http.get(sb.api_url("metawiki"), params=SITEINFO).status_code for _ in range(4)] == [503, 503, 200, 200]
    assert sb.faults.describe()["injected"] == 2


def test_a_maxlag_burst_refuses_only_requests_that_ask_for_maxlag(sb: Sandbox) -> None:
    sb.faults.configure("maxlag=on:lag=9,times=1")
    http = sb.session()
    assert "error" not in http.get(sb.api_url("metawiki"), params=SITEINFO).json()  # no maxlag sent: not spent
    lagged = {**SITEINFO, "maxlag": "5"}
    assert http.get(sb.api_url("metawiki"), params=lagged).json()["error"]["code"] == "maxlag"
    assert "error" not in http.get(sb.api_url("metawiki"), params=lagged).json()
    assert sb.stats.faults() == {"maxlag": 1}


def test_a_readonly_burst_refuses_writes_only(sb: Sandbox) -> None:
    http, token = login(sb, "metawiki")
    sb.faults.configure("readonly=on,times=1")
    edit = {"action": "edit", "title": "Sandbox page", "text": "x", "format": "json", "token": token}
    assert "readonly" in http.get(sb.api_url("metawiki"), params=SITEINFO).json()["query"]["general"]  # fv1: true
    assert http.post(sb.api_url("metawiki"), data=edit).json()["error"]["code"] == "readonly"
    assert http.post(sb.api_url("metawiki"), data=edit).json()["edit"]["result"] == "Success"


def test_reset_drops_the_connection_in_process(sb: Sandbox) -> None:
    sb.faults.configure("reset=1")
    with pytest.raises(requests.ConnectionError):
        sb.session().get(sb.api_url("metawiki"), params=SITEINFO)
    assert sb.stats.faults() == {"reset": 1}


def test_reset_after_loses_the_answer_of_a_write_that_landed(sb: Sandbox) -> None:
    http, token = login(sb, "metawiki")
    sb.faults.configure("reset=1:after=1,only=write")
    with pytest.raises(requests.ConnectionError):
        http.post(sb.api_url("metawiki"), data={"action": "edit", "title": "Landed", "text": "x", "format": "json",
                                                "token": token})
    assert sb.site("metawiki").wiki.page("Landed") is not None


def test_reset_over_http_closes_the_connection_without_an_answer(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory(capacities=8, languages=3, faults="reset=1,times=1")
    with requests.Session() as http:
        with pytest.raises(requests.ConnectionError):
            http.get(sb.api_url("metawiki"), params=SITEINFO, timeout=5)
        assert http.get(sb.api_url("metawiki"), params=SITEINFO, timeout=5).status_code == 200


def test_hang_after_loses_the_answer_in_process(sb: Sandbox) -> None:
    http, token = login(sb, "metawiki")
    sb.faults.configure("hang=1:after=1,only=write")
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.post(sb.api_url("metawiki"), data={"action": "edit", "title": "Hung", "text": "x", "format": "json",
                                                "token": token}, timeout=3)
    assert sb.site("metawiki").wiki.page("Hung") is not None


def test_a_trap_springs_at_the_nth_request_of_its_kind_before_or_after(sb: Sandbox) -> None:
    seen: list[TrapEvent] = []
    sb.faults.trap("write", lambda e: seen.append(e) or None, nth=2, when="after")
    sb.faults.trap("token", lambda e: "drop", nth=2)
    http, token = login(sb, "metawiki")
    for title in ("One", "Two", "Three"):
        http.post(sb.api_url("metawiki"), data={"action": "edit", "title": title, "text": "x", "format": "json",
                                                "token": token})
    assert [(e.site, e.when, e.nth, e.params.get("title")) for e in seen] == [("metawiki", "after", 2, "Two")]
    with pytest.raises(requests.ConnectionError):  # the second csrf token request is dropped
        http.get(sb.api_url("metawiki"), params={"action": "query", "meta": "tokens", "format": "json"})
    assert sb.stats.faults() == {"trap": 2}


def test_a_trap_that_drops_before_keeps_the_request_from_the_wiki(sb: Sandbox) -> None:
    http, token = login(sb, "metawiki")
    sb.faults.trap("unit-edit|bundle-edit", lambda e: "drop", site="metawiki")
    with pytest.raises(requests.ConnectionError):
        http.post(sb.api_url("metawiki"), data={"action": "edit", "title": "Never", "text": "x", "format": "json",
                                                "token": token})
    assert sb.site("metawiki").wiki.page("Never") is None


def test_a_trap_of_an_unknown_kind_is_refused(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="kinds are"):
        sb.faults.trap("everything", lambda e: None)
