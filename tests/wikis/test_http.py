"""The HTTP seam: User-Agent, retries and backoff, non-JSON answers, typed errors, login, writes, pacing."""
from __future__ import annotations

import inspect
from dataclasses import replace

import mwclient
import mwclient.sleep
import pytest
import requests
from plugins.fake_transport import Call, Reply, Sleeper, api_error, fake_session, recording, reply

from capxl10n import __version__
from capxl10n.wikis.http import ApiClient, WikiSite, make_session, parse_retry_after, user_agent
from capxl10n.errors import (
    AuthError,
    BadTokenError,
    EditConflictError,
    MaxlagError,
    NetworkError,
    NotJSONError,
    PermissionDeniedError,
    RateLimitedError,
    ReadOnlyError,
    RemoteError,
    ValidationError,
)
from capxl10n.profile import Pacing, load_profile

CANARY = "canary-Secret-Password-7f3a9c1e5b"


@pytest.fixture()
def profile():
    prof = load_profile("sandbox").rebase("http://wiki.test")
    return replace(prof, pacing=Pacing(edits_per_minute=30, max_attempts=4, max_wait_seconds=60,
                                       timeout_seconds=5, backoff_base_seconds=2))


def client(profile, handler, *, site="metawiki", rng=lambda: 0.5):
    session, transport = fake_session(handler)
    sleeper = Sleeper()
    api = ApiClient(getattr(profile, site), profile, session=session, sleep=sleeper, clock=sleeper.clock, rng=rng)
    return api, transport, sleeper


OK = {"batchcomplete": True, "query": {"general": {}}}


def test_user_agent_names_tool_version_contact_and_libraries(profile):
    ua = user_agent(profile.contact)
    assert ua.startswith(f"capxl10n/{__version__} (https://github.com/WikiMovimentoBrasil/capxl10n)")
    assert f"requests/{requests.__version__}" in ua and f"mwclient/{mwclient.__version__}" in ua
    session = make_session(profile, profile.metawiki)
    assert session.headers["User-Agent"] == ua
    assert "gzip" in session.headers["Accept-Encoding"]


def test_get_sends_json_fv2_maxlag_and_user_agent(profile):
    api, transport, _ = client(profile, lambda call: reply(OK))
    api.session.headers["User-Agent"] = user_agent(profile.contact)
    assert api.get(action="query", meta="siteinfo", flag=True, skip=None, many=["a", "b"]) == OK
    call = transport.calls[0]
    assert call.method == "GET" and call.path == "/metawiki/w/api.php"
    assert call.params["format"] == "json" and call.params["formatversion"] == "2"
    assert call.params["maxlag"] == "5" and call.params["flag"] == "1" and call.params["many"] == "a|b"
    assert "skip" not in call.params
    assert call.headers["User-Agent"].startswith("capxl10n/")


def test_post_puts_parameters_in_the_body(profile):
    api, transport, _ = client(profile, lambda call: reply({"ok": 1}))
    api.post(action="purge", titles="X")
    call = transport.calls[0]
    assert call.method == "POST" and call.body_params["titles"] == "X"


def test_maxlag_is_retried_after_retry_after(profile):
    answers = [recording("mediawiki-responses/maxlag"), reply(OK)]
    api, transport, sleeper = client(profile, lambda call: answers.pop(0))
    assert api.get(action="query") == OK
    assert sleeper.sleeps == [5.0]
    assert api.requests_made == 2 and api.retries == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_overload_statuses_are_retried_honouring_retry_after(profile, status):
    answers = [reply(body="busy", status=status, headers={"Retry-After": "7"}), reply(OK)]
    api, _, sleeper = client(profile, lambda call: answers.pop(0))
    assert api.get(action="query") == OK
    assert sleeper.sleeps == [7.0]


def test_backoff_without_retry_after_is_jittered_and_exponential(profile):
    rolls = iter([0.0, 0.9, 0.25])
    answers = [reply(body="x", status=503)] * 3 + [reply(OK)]
    api, _, sleeper = client(profile, lambda call: answers.pop(0), rng=lambda: next(rolls))
    api.get(action="query")
    # base 2s: 2*(0.5+0.0), 4*(0.5+0.9), 8*(0.5+0.25)
    assert sleeper.sleeps == pytest.approx([1.0, 5.6, 6.0])


def test_attempts_are_bounded(profile):
    api, transport, sleeper = client(profile, lambda call: reply(body="<html>down</html>", status=503))
    with pytest.raises(NetworkError) as err:
        api.get(action="query")
    assert len(transport.calls) == profile.pacing.max_attempts == api.requests_made
    assert "503" in err.value.message and "4 attempts" in err.value.message
    assert len(sleeper.sleeps) == profile.pacing.max_attempts - 1


def test_total_wait_is_bounded(profile):
    lag = recording("mediawiki-responses/maxlag")
    lag.headers["Retry-After"] = "100"
    api, transport, sleeper = client(profile, lambda call: lag)
    with pytest.raises(MaxlagError) as err:
        api.get(action="query")
    assert sleeper.sleeps == [] and len(transport.calls) == 1
    assert err.value.code == "maxlag" and err.value.hint


def test_ratelimited_error_is_retried_then_typed(profile):
    api, transport, _ = client(profile, lambda call: api_error("ratelimited", "You've exceeded your rate limit."))
    with pytest.raises(RateLimitedError) as err:
        api.get(action="query")
    assert len(transport.calls) == 4 and "pacing" in err.value.hint


def test_html_answer_is_a_clear_not_json_error(profile):
    page = "<!DOCTYPE html><html><title>Checking your browser</title></html>"
    api, transport, _ = client(profile, lambda call: reply(body=page, status=200))
    with pytest.raises(NotJSONError) as err:
        api.get(action="query")
    text = str(err.value)
    assert "text/html" in text and "HTTP 200" in text and "Checking your browser" in text
    assert err.value.site == "metawiki"


def test_timeout_is_retried_then_a_network_error(profile):
    def handler(call: Call) -> Reply:
        raise requests.ReadTimeout("read timed out")

    api, transport, sleeper = client(profile, handler)
    with pytest.raises(NetworkError) as err:
        api.get(action="query")
    assert "no answer within 5s" in err.value.message and len(transport.calls) == 4


def test_unreachable_host(profile):
    prof = profile.rebase("http://127.0.0.1:9")  # discard port: nothing listens
    prof = replace(prof, pacing=replace(prof.pacing, max_attempts=2, timeout_seconds=2))
    sleeper = Sleeper()
    api = ApiClient(prof.metabase, prof, sleep=sleeper, clock=sleeper.clock)
    with pytest.raises(NetworkError) as err:
        api.get(action="query")
    assert "cannot reach 127.0.0.1:9" in err.value.message and api.requests_made == 2


@pytest.mark.parametrize("name, cls, code", [
    ("mediawiki-responses/edit-badtoken", BadTokenError, "badtoken"),
    ("mediawiki-responses/edit-conflict-baserevid", EditConflictError, "editconflict"),
    ("translate-responses/edit-unit-unknown-key", ValidationError, "tpt-unknown-page"),
    ("translate-responses/edit-unit-anon", PermissionDeniedError, "protectednamespace"),
    ("translate-responses/bundle-invalid-json", ValidationError, "translate-messagebundle-validation-error"),
    ("wikibase-responses/wbeditentity-label-description-conflict", ValidationError, "modification-failed"),
    ("wikibase-responses/wbeditentity-unknown-language", ValidationError, "not-recognized-language"),
    ("mediawiki-responses/edit-assert-user-anon", AuthError, "assertuserfailed"),
])
def test_recorded_refusals_become_typed_errors(profile, name, cls, code):
    api, transport, _ = client(profile, lambda call: recording(name))
    with pytest.raises(cls) as err:
        api.post(action="edit")
    assert err.value.code == code and err.value.hint and len(transport.calls) == 1


def test_wikibase_validation_carries_its_messages(profile):
    api, _, _ = client(profile, lambda call: recording("wikibase-responses/wbeditentity-label-description-conflict"))
    with pytest.raises(ValidationError) as err:
        api.post(action="wbeditentity")
    assert err.value.messages == ["wikibase-validator-label-with-description-conflict"]


def test_readonly_is_retried_then_typed(profile):
    api, transport, _ = client(profile, lambda call: api_error("readonly", "The wiki is in read-only mode.",
                                                               readonlyreason="maintenance"))
    with pytest.raises(ReadOnlyError):
        api.post(action="edit")
    assert len(transport.calls) == 4


def test_query_follows_continuation_to_the_end(profile):
    pages = {
        None: {"continue": {"rccontinue": "a|1", "continue": "-||"}, "query": {"recentchanges": [{"title": "A"}]}},
        "a|1": {"continue": {"rccontinue": "b|2", "continue": "-||"}, "query": {"recentchanges": [{"title": "B"}]}},
        "b|2": {"batchcomplete": True, "query": {"recentchanges": [{"title": "C"}]}},
    }
    api, transport, _ = client(profile, lambda call: reply(pages[call.get("rccontinue")]))
    titles = [rc["title"] for page in api.query(list="recentchanges") for rc in page["query"]["recentchanges"]]
    assert titles == ["A", "B", "C"]
    assert [c.get("continue") for c in transport.calls] == [None, "-||", "-||"]
    assert all(c.get("list") == "recentchanges" for c in transport.calls)


def test_query_started_from_a_continuation_follows_the_next_ones(profile):
    """A caller that already read the first page starts from its continuation; the next page's replaces it
    (it used to be sent twice: a TypeError on the third page of more than 1,000 backlinks)."""
    pages = {
        "a|1": {"continue": {"blcontinue": "b|2", "continue": "-||"}, "query": {"backlinks": [{"title": "B"}]}},
        "b|2": {"batchcomplete": True, "query": {"backlinks": [{"title": "C"}]}},
    }
    api, transport, _ = client(profile, lambda call: reply(pages[call.get("blcontinue")]))
    titles = [bl["title"] for page in api.query(list="backlinks", blcontinue="a|1")
              for bl in page["query"]["backlinks"]]
    assert titles == ["B", "C"]
    assert [c.get("blcontinue") for c in transport.calls] == ["a|1", "b|2"]


# ---------------------------------------------------------------------- login and writes
class FakeWiki:
    """Just enough of MediaWiki for login, tokens and an edit."""

    def __init__(self, password: str = CANARY, badtoken_times: int = 0) -> None:
        self.password = password
        self.badtoken_times = badtoken_times
        self.edits: list[Call] = []

    def __call__(self, call: Call) -> Reply:
        action = call.get("action")
        if action == "query" and call.get("meta") == "tokens":
            kind = call.get("type", "csrf")
            return reply({"batchcomplete": "", "query": {"tokens": {f"{kind}token": f"{kind}-token+\\"}}})
        if action == "login":
            if call.get("lgpassword") != self.password:
                return recording("mediawiki-responses/login-wrong-password")
            return reply({"login": {"result": "Success", "lguserid": 2, "lgusername": "CapxBot"}})
        if action == "query" and "userinfo" in call.values("meta"):
            return reply({"batchcomplete": "", "query": {
                "general": {"generator": "MediaWiki 1.39.10"}, "namespaces": {"0": {"id": 0, "*": ""}},
                "userinfo": {"id": 2, "name": "CapxBot", "groups": ["bot", "user"],
                             "rights": ["edit", "bot", "apihighlimits"]}}})
        if action == "edit":
            if self.badtoken_times:
                self.badtoken_times -= 1
                return recording("mediawiki-responses/edit-badtoken")
            self.edits.append(call)
            return reply({"edit": {"result": "Success", "newrevid": 12, "newtimestamp": "2026-01-01T00:00:00Z"}})
        return api_error("badvalue", f"unexpected {action}")


@pytest.fixture()
def creds(monkeypatch):
    monkeypatch.setenv("CAPXL10N_METAWIKI_USER", "CapxBot@capxl10n")
    monkeypatch.setenv("CAPXL10N_METAWIKI_PASSWORD", CANARY)


def test_write_logs_in_asserts_and_sends_the_token(profile, creds):
    wiki = FakeWiki()
    api, transport, _ = client(profile, wiki)
    answer = api.write("edit", title="T", text="x")
    assert answer["edit"]["newrevid"] == 12
    edit = wiki.edits[0]
    assert edit.method == "POST" and edit.body_params["token"] == "csrf-token+\\"
    assert edit.params["assert"] == "bot" and edit.params["bot"] == "1" and edit.params["maxlag"] == "5"
    assert api.logged_in_as == "CapxBot" and api.has_high_limits
    assert api.requests_made == len(transport.calls)
    login = [c for c in transport.calls if c.get("action") == "login"][0]
    assert "lgpassword" in login.body_params and CANARY not in str(login.path)


def test_badtoken_is_refreshed_once(profile, creds):
    wiki = FakeWiki(badtoken_times=1)
    api, transport, _ = client(profile, wiki)
    api.write("edit", title="T", text="x")
    token_calls = [c for c in transport.calls if c.get("meta") == "tokens" and c.get("type") == "csrf"]
    assert len(token_calls) == 2 and len(wiki.edits) == 1


def test_badtoken_twice_is_an_error(profile, creds):
    api, _, _ = client(profile, FakeWiki(badtoken_times=2))
    with pytest.raises(BadTokenError):
        api.write("edit", title="T", text="x")


def test_missing_credentials_name_the_variables(profile, monkeypatch):
    monkeypatch.delenv("CAPXL10N_METAWIKI_USER", raising=False)
    monkeypatch.delenv("CAPXL10N_METAWIKI_PASSWORD", raising=False)
    api, transport, _ = client(profile, FakeWiki())
    with pytest.raises(AuthError) as err:
        api.write("edit", title="T", text="x")
    assert "CAPXL10N_METAWIKI_PASSWORD" in err.value.hint and transport.calls == []


def test_wrong_password_never_leaks_the_secret(profile, monkeypatch, logs):
    monkeypatch.setenv("CAPXL10N_METAWIKI_USER", "CapxBot@capxl10n")
    monkeypatch.setenv("CAPXL10N_METAWIKI_PASSWORD", CANARY)
    api, _, _ = client(profile, FakeWiki(password="another-password-entirely"))
    with pytest.raises(AuthError) as err:
        api.write("edit", title="T", text="x")
    assert err.value.code == "Failed"
    for text in (str(err.value), repr(err.value), str(err.value.to_json()), logs.text):
        assert CANARY not in text
    assert "login as 'CapxBot' failed" in logs.text
    assert "Special:BotPasswords" in err.value.hint


def test_writes_are_paced_by_the_profile(profile, creds):
    api, _, sleeper = client(profile, FakeWiki())
    for _ in range(3):
        api.write("edit", title="T", text="x")
    # 30 edits per minute: at least 2 s between writes, measured on the injected clock
    assert sleeper.sleeps == pytest.approx([2.0, 2.0])


def test_pacing_counts_from_when_a_write_went_out_not_from_its_answer(profile, creds):
    wiki, clocks = FakeWiki(), []

    def slow(call: Call) -> Reply:  # every edit takes the wiki 1.5 s to answer
        if call.get("action") == "edit":
            clocks[0].now += 1.5
        return wiki(call)

    api, transport, sleeper = client(profile, slow)
    clocks.append(sleeper)
    began = sleeper.now
    for _ in range(3):
        api.write("edit", title="T", text="x")
    # 30 edits per minute: a write every 2 s, the answer's 1.5 s included (not 2 s after each answer)
    assert sleeper.sleeps == pytest.approx([0.5, 0.5])
    assert sleeper.now - began == pytest.approx(2 * 2.0 + 1.5)
    assert sum(1 for call in transport.calls if call.get("action") == "edit") == 3


def test_pacing_widens_after_pushback(profile, creds):
    wiki = FakeWiki()
    lagged = {"n": 1}

    def handler(call: Call) -> Reply:
        if call.get("action") == "edit" and lagged["n"]:
            lagged["n"] -= 1
            return recording("mediawiki-responses/maxlag")
        return wiki(call)

    api, _, sleeper = client(profile, handler)
    api.write("edit", title="T", text="x")
    api.write("edit", title="T", text="y")
    # maxlag wait (5 s), then the interval doubled to 4 s and relaxed by a quarter: 3 s
    assert sleeper.sleeps == pytest.approx([5.0, 3.0])


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("12") == 12.0 and parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_a_repeated_continuation_is_an_error_not_a_loop(profile):
    page = {"continue": {"rccontinue": "a|1", "continue": "-||"}, "query": {"recentchanges": []}}
    api, transport, _ = client(profile, lambda call: reply(page))
    with pytest.raises(RemoteError) as err:
        list(api.query(list="recentchanges"))
    assert err.value.code == "continue-loop" and len(transport.calls) == 2


def test_an_expired_session_logs_in_again_once(profile, creds):
    wiki = FakeWiki()
    expired = {"n": 1}

    def handler(call: Call) -> Reply:
        if call.get("action") == "edit" and expired["n"]:
            expired["n"] -= 1
            return recording("mediawiki-responses/edit-assert-user-anon")
        return wiki(call)

    api, transport, _ = client(profile, handler)
    api.write("edit", title="T", text="x")
    assert len(wiki.edits) == 1 and api.relogins == 1
    assert len([c for c in transport.calls if c.get("action") == "login"]) == 2


# ---------------------------------------------------------------------- mwclient on our transport
def test_mwclient_builds_every_call_and_our_transport_sends_it(profile, creds, monkeypatch):
    """Login, tokens and calls come from mwclient's Site; each request goes through WikiSite.raw_call."""
    sent: list[str] = []
    original = WikiSite.raw_call

    def spy(self, script, data, *args, **kwargs):
        sent.append(str(data.get("action")))
        return original(self, script, data, *args, **kwargs)

    monkeypatch.setattr(WikiSite, "raw_call", spy)
    api, transport, _ = client(profile, FakeWiki())
    api.write("edit", title="T", text="x")
    assert sent == ["query", "login", "query", "query", "edit"] == [c.get("action") for c in transport.calls]
    assert isinstance(api.mw, mwclient.Site) and api.requests_made == 5


def test_login_handshake_goes_as_mwclient_builds_it_and_the_rest_carries_fv2_and_maxlag(profile, creds):
    api, transport, _ = client(profile, FakeWiki())
    api.write("edit", title="T", text="x")
    login_token, login, site_init, csrf, edit = transport.calls
    for call in (login_token, login, site_init):
        assert call.get("format") == "json" and "formatversion" not in call.params and "maxlag" not in call.params
    assert login_token.get("type") == "login" and site_init.values("meta")[:2] == ["siteinfo", "userinfo"]
    for call in (csrf, edit):
        assert call.get("formatversion") == "2" and call.get("maxlag") == "5"
    assert csrf.get("type") == "csrf" and list(edit.body_params)[-1] == "token"


def test_mwclient_never_sleeps(profile, creds, monkeypatch):
    """mwclient's sleepers are off (max_retries=0); a throttled login waits on our injected sleep."""
    def no_sleep(seconds):
        raise AssertionError(f"mwclient slept {seconds}s")

    monkeypatch.setattr(mwclient.sleep.time, "sleep", no_sleep)
    wiki = FakeWiki()
    throttled = {"n": 1}

    def handler(call: Call) -> Reply:
        if call.get("action") == "login" and throttled["n"]:
            throttled["n"] -= 1
            return reply({"login": {"result": "Throttled", "wait": 30}})
        return wiki(call)

    api, transport, sleeper = client(profile, handler)
    api.login()
    assert api.logged_in_as == "CapxBot" and sleeper.sleeps == [2.0] and api.retries == 1
    assert [c.get("action") for c in transport.calls] == ["query", "login", "query", "login", "query"]


def test_login_requests_get_our_retries(profile, creds, logs):
    wiki = FakeWiki()
    busy = {"n": 1}

    def handler(call: Call) -> Reply:
        if call.get("action") == "login" and busy["n"]:
            busy["n"] -= 1
            return reply(body="busy", status=503, headers={"Retry-After": "7"})
        return wiki(call)

    api, transport, sleeper = client(profile, handler)
    api.login()
    assert sleeper.sleeps == [7.0] and api.requests_made == len(transport.calls) == 4
    assert "answered HTTP 503" in logs.text and "retrying in 7.0s (attempt 2 of 4)" in logs.text
    assert CANARY not in logs.text


def test_raw_call_keeps_mwclient_signature():
    """WikiSite overrides mwclient's public Site.raw_call: an mwclient release that changes it fails here."""
    assert inspect.signature(WikiSite.raw_call).parameters.keys() == \
        inspect.signature(mwclient.Site.raw_call).parameters.keys()
