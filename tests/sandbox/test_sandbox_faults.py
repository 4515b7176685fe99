"""Every fault mode, deterministic and without real waiting; plus the request accounting."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from capxl10n.sandbox.faults import FaultSpec
from capxl10n.sandbox.server import BOT_PASSWORD, Sandbox

SITEINFO = {"action": "query", "meta": "siteinfo", "format": "json"}


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make(sandbox_factory: Callable[..., Sandbox], fake_time: FakeTime) -> Callable[..., Sandbox]:
    def build(faults: str | None = None, **kw: Any) -> Sandbox:
        return sandbox_factory(capacities=8, languages=3, faults=faults, sleep=fake_time.sleep,
                               monotonic=fake_time.clock, start=False, **kw)
    return build


def login(sb: Sandbox, site: str = "metawiki") -> requests.Session:
    http = sb.session()
    url = sb.api_url(site)
    token = http.get(url, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"}).json()
    http.post(url, data={"action": "login", "lgname": "CapxBot@capxl10n", "lgpassword": BOT_PASSWORD,
                         "lgtoken": token["query"]["tokens"]["logintoken"], "format": "json"})
    return http


def csrf(http: requests.Session, url: str) -> str:
    return str(http.get(url, params={"action": "query", "meta": "tokens", "format": "json"}).json()
               ["query"]["tokens"]["csrftoken"])


@pytest.mark.parametrize("text, field, value", [
    ("latency=100", "latency_ms", 100.0),
    ("5xx=0.5:status=502", "status_5xx", 502),
    ("429=0.1:retry_after=3", "retry_after", 3),
    ("maxlag=10s:lag=9", "maxlag_lag", 9),
    ("maxlag=500ms", "maxlag_seconds", 0.5),
    ("readonly=on", "readonly_seconds", float("inf")),
    ("hang=0.2:seconds=2", "hang_seconds", 2.0),
    ("sites=metawiki|metabase", "sites", ("metawiki", "metabase")),
    ("5xx=0.5,off", "rate_5xx", 0.0),
])
def test_spec_parses(text: str, field: str, value: Any) -> None:
    assert getattr(FaultSpec.parse(text), field) == value


@pytest.mark.parametrize("text", ["bogus=1", "5xx=2", "5xx", "429=0.1:wait=3", "latency=-1", "sites=enwiki",
                                  "5xx=0.1:status=404", "maxlag=soon"])
def test_bad_spec_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        FaultSpec.parse(text)


def test_latency_and_jitter_use_the_injected_sleep(make: Callable[..., Sandbox], fake_time: FakeTime) -> None:
    sb = make("latency=100,jitter=20")
    sb.session().get(sb.api_url("metawiki"), params=SITEINFO)
    assert len(fake_time.slept) == 1 and 0.1 <= fake_time.slept[0] <= 0.12


def test_5xx_and_429_rates_are_deterministic(make: Callable[..., Sandbox]) -> None:
    def statuses(spec: str) -> list[int]:
        sb = make(spec)
        http = sb.session()
        return [http.get(sb.api_url("metawiki"), params=SITEINFO).status_code for _ in range(40)]

    first = statuses("5xx=0.3,429=0.2,seed=5")
    assert first == statuses("5xx=0.3,429=0.2,seed=5")
    assert 503 in first and 429 in first and 200 in first
    assert first != statuses("5xx=0.3,429=0.2,seed=6")


def test_429_carries_retry_after(make: Callable[..., Sandbox]) -> None:
    sb = make("429=1:retry_after=4")
    response = sb.session().get(sb.api_url("metawiki"), params=SITEINFO)
    assert response.status_code == 429 and response.headers["Retry-After"] == "4"
    assert sb.stats.faults() == {"429": 1}


def test_maxlag_window_has_the_real_shape_then_ends(make: Callable[..., Sandbox], fake_time: FakeTime) -> None:
    sb = make("maxlag=10s:lag=7")
    http = sb.session()
    response = http.get(sb.api_url("metawiki"), params={**SITEINFO, "maxlag": "5"})
    assert response.headers["MediaWiki-API-Error"] == "maxlag"
    assert response.headers["Retry-After"] == "5" and response.headers["X-Database-Lag"] == "7"
    assert response.json()["error"]["lag"] == 7
    assert "error" not in http.get(sb.api_url("metawiki"), params={**SITEINFO, "maxlag": "8"}).json()
    assert "error" not in http.get(sb.api_url("metawiki"), params=SITEINFO).json()  # no maxlag sent
    fake_time.now += 11
    assert "error" not in http.get(sb.api_url("metawiki"), params={**SITEINFO, "maxlag": "5"}).json()


def test_hang_times_out_in_process_without_waiting(make: Callable[..., Sandbox]) -> None:
    sb = make("hang=1")
    with pytest.raises(requests.exceptions.ReadTimeout):
        sb.session().get(sb.api_url("metawiki"), params=SITEINFO, timeout=2)
    assert sb.stats.faults()["hang"] == 1


def test_hang_over_http_until_the_client_times_out(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory(capacities=8, languages=3, faults="hang=1:seconds=5")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(sb.api_url("metawiki"), params=SITEINFO, timeout=0.2)


def test_html_anti_bot_page(make: Callable[..., Sandbox]) -> None:
    sb = make("html=1")
    response = sb.session().get(sb.api_url("metabase"), params=SITEINFO)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_badtoken_fault_refuses_a_good_token(make: Callable[..., Sandbox]) -> None:
    sb = make()
    http = login(sb)
    url = sb.api_url("metawiki")
    token = csrf(http, url)
    sb.faults.configure("badtoken=1")
    answer = http.post(url, data={"action": "edit", "title": "T", "text": "x", "token": token,
                                  "format": "json"})
    assert answer.json()["error"]["code"] == "badtoken"
    sb.faults.configure("off")
    assert http.post(url, data={"action": "edit", "title": "T", "text": "x", "token": token,
                                "format": "json"}).json()["edit"]["result"] == "Success"


def test_readonly_window(make: Callable[..., Sandbox], fake_time: FakeTime) -> None:
    sb = make()
    http = login(sb)
    url = sb.api_url("metawiki")
    token = csrf(http, url)
    sb.faults.configure("readonly=30s:reason=Upgrade")
    error = http.post(url, data={"action": "edit", "title": "T", "text": "x", "token": token,
                                 "format": "json"}).json()["error"]
    assert error["code"] == "readonly" and error["readonlyreason"] == "Upgrade"
    assert http.get(url, params=SITEINFO).json()["query"]["general"]["readonly"] == ""
    fake_time.now += 31
    assert "edit" in http.post(url, data={"action": "edit", "title": "T", "text": "x", "token": token,
                                          "format": "json"}).json()


def test_concurrent_editor_makes_a_real_edit_conflict(make: Callable[..., Sandbox]) -> None:
    sb = make()
    http = login(sb)
    url = sb.api_url("metawiki")
    tr = sb.site("metawiki").translate  # type: ignore[attr-defined]
    group = next(iter(tr.groups.values()))
    title = next(p.title for p in sb.site("metawiki").wiki.pages_in(1198) if p.title.endswith("/pt-br"))
    page = sb.site("metawiki").wiki.page(title)
    assert page is not None and group
    token = csrf(http, url)
    sb.faults.configure("concurrent=1")
    answer = http.post(url, data={"action": "edit", "title": title, "text": "novo", "token": token,
                                  "baserevid": page.latest.revid, "format": "json"}).json()
    assert answer["error"]["code"] == "editconflict"
    assert page.latest.user == "Peer2"
    assert sb.stats.faults()["concurrent"] == 1


def test_control_endpoint_sets_faults_and_reads_stats(sandbox: Sandbox) -> None:
    assert requests.post(f"{sandbox.url}/_sandbox/faults", data={"spec": "5xx=1"}).json()["spec"]["rate_5xx"] == 1
    assert requests.get(sandbox.api_url("metawiki"), params=SITEINFO).status_code == 503
    assert requests.post(f"{sandbox.url}/_sandbox/faults", data={"spec": "nope=1"}).status_code == 400
    requests.post(f"{sandbox.url}/_sandbox/faults", data={"spec": "off"})
    stats = requests.get(f"{sandbox.url}/_sandbox/stats").json()
    assert stats["faults"] == {"5xx": 1} and stats["sites"]["metawiki"]["count"] == 1
    requests.post(f"{sandbox.url}/_sandbox/stats/reset")
    assert requests.get(f"{sandbox.url}/_sandbox/stats").json()["total"] == 0


def test_stats_count_exactly_what_a_client_sent(sandbox_session: Sandbox) -> None:
    http = requests.Session()
    sent = 0
    for site, params in [("metawiki", SITEINFO), ("metabase", {"action": "wbgetentities", "ids": "Q1",
                                                              "format": "json"}),
                         ("metawiki", {"action": "query", "list": "recentchanges", "format": "json"})] * 3:
        http.get(sandbox_session.api_url(site), params=params)
        sent += 1
    assert sandbox_session.stats.total == sent
    assert sandbox_session.stats.count("metabase", "wbgetentities") == 3
    assert sandbox_session.stats.count("metawiki", "query+recentchanges") == 3
    assert sandbox_session.stats.count("metawiki", "query+siteinfo") == 3
