"""The Action API frame (sandbox/api/) and the edit-conflict rules, through the in-process transport.

Expected answers are the real MediaWiki 1.39 ones (checked on the peer; see
docs/sandbox-differences.md): parameter errors, fv1/fv2, errorformat, warnings,
the check order assert → token → read-only → maxlag → mustbeposted, continuation,
unknown action/module, and never a 500 or a traceback for bad input.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capxl10n.sandbox.server import BOT_PASSWORD, PEER_PASSWORD, Sandbox
from capxl10n.sandbox.store.merge3 import merge3


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    box = Sandbox(seed=1, capacities=8, languages=3)
    yield box
    box.stop()


class Api:
    def __init__(self, sb: Sandbox, site: str = "metawiki") -> None:
        self.url = sb.api_url(site)
        self.http = sb.session()

    def get(self, **params: Any) -> requests.Response:
        return self.http.get(self.url, params={"format": "json", **params})

    def post(self, **params: Any) -> requests.Response:
        return self.http.post(self.url, data={"format": "json", **params})

    def login(self, who: str = "bot") -> Api:
        name, password = ("CapxBot@capxl10n", BOT_PASSWORD) if who == "bot" else ("Peer2@capxl10n", PEER_PASSWORD)
        token = self.get(action="query", meta="tokens", type="login").json()["query"]["tokens"]["logintoken"]
        assert self.post(action="login", lgname=name, lgpassword=password, lgtoken=token).json()["login"][
            "result"] == "Success"
        return self

    def token(self) -> str:
        return str(self.get(action="query", meta="tokens").json()["query"]["tokens"]["csrftoken"])

    def edit(self, title: str, text: str, **params: Any) -> dict[str, Any]:
        return dict(self.post(action="edit", title=title, text=text, token=self.token(), **params).json())


def code(response: requests.Response) -> str | None:
    body = response.json()
    if "error" in body:
        assert response.headers["MediaWiki-API-Error"] == body["error"]["code"]
        return str(body["error"]["code"])
    if "errors" in body:
        return str(body["errors"][0]["code"])
    assert "MediaWiki-API-Error" not in response.headers
    return None


# -- parameters and rendering ------------------------------------------------------
def test_unknown_action_and_module_are_badvalue(sb: Sandbox) -> None:
    api = Api(sb)
    assert code(api.get(action="nosuchaction")) == "badvalue"
    answer = api.get(action="query", list="nosuchlist")
    assert code(answer) is None and "Unrecognized value" in answer.json()["warnings"]["query"]["*"]


def test_unknown_parameter_warns_on_main(sb: Sandbox) -> None:
    body = Api(sb).get(action="query", meta="siteinfo", nosuch="1", formatversion=2).json()
    assert "nosuch" in body["warnings"]["main"]["warnings"]


def test_fv1_and_fv2_booleans_and_text_keys(sb: Sandbox) -> None:
    api = Api(sb)
    fv1 = api.get(action="query", meta="userinfo").json()
    fv2 = api.get(action="query", meta="userinfo", formatversion=2).json()
    assert fv1["batchcomplete"] == "" and fv1["query"]["userinfo"]["anon"] == ""
    assert fv2["batchcomplete"] is True and fv2["query"]["userinfo"]["anon"] is True
    err1 = api.get(action="nosuchaction").json()["error"]
    err2 = api.get(action="nosuchaction", formatversion=2).json()["error"]
    assert "*" in err1 and "docref" in err2


def test_errorformat_plaintext(sb: Sandbox) -> None:
    body = Api(sb).get(action="nosuchaction", errorformat="plaintext").json()
    assert body["errors"][0]["code"] == "badvalue" and "*" in body["errors"][0]


def test_toomanyvalues_has_real_data_only(sb: Sandbox) -> None:
    body = Api(sb).get(action="query", prop="info", titles="|".join(f"T{i}" for i in range(51))).json()
    assert body["error"]["code"] == "toomanyvalues"
    assert {k for k in body["error"] if k not in ("code", "info", "*")} == {"limit", "lowlimit", "highlimit"}


def test_badinteger_and_limit_clamping(sb: Sandbox) -> None:
    api = Api(sb)
    assert code(api.get(action="query", list="allpages", aplimit="x")) == "badinteger"
    clamped = api.get(action="query", list="allpages", aplimit="999999").json()
    assert "aplimit" in clamped["warnings"]["allpages"]["*"]
    assert api.get(action="query", list="allpages", aplimit="max").json()["limits"] == {"allpages": 500}


def test_continuation_visits_every_page_once(sb: Sandbox) -> None:
    api, seen, cont = Api(sb), [], {}
    for _ in range(200):
        body = api.get(action="query", list="allpages", apnamespace=1198, aplimit=7, formatversion=2, **cont).json()
        seen += [p["title"] for p in body["query"]["allpages"]]
        if "continue" not in body:
            break
        cont = body["continue"]
    assert len(seen) == len(set(seen)) == len(list(sb.site("metawiki").wiki.pages_in(1198)))


# -- check order ------------------------------------------------------------------------
def test_check_order_assert_token_maxlag_post(sb: Sandbox) -> None:
    api = Api(sb).login()
    assert code(Api(sb).post(action="edit", title="X", text="y", token="bad+\\", **{"assert": "user"})) \
        == "assertuserfailed"
    assert code(api.get(action="edit", title="X", text="y")) == "missingparam"
    assert code(api.get(action="edit", title="X", text="y", token=api.token())) == "mustpostparams"
    assert code(api.get(action="login")) == "mustbeposted"
    sb.faults.configure("maxlag=on:lag=10")
    try:
        assert code(api.post(action="edit", title="X", text="y", token="bad+\\", maxlag=5)) == "badtoken"
        lagged = api.post(action="edit", title="X", text="y", token=api.token(), maxlag=5)
        assert code(lagged) == "maxlag" and lagged.headers["Retry-After"] == "5"
        sb.faults.configure("readonly=on")
        assert code(api.post(action="edit", title="X", text="y", token=api.token(), maxlag=5)) == "readonly"
    finally:
        sb.faults.configure("off")


def test_login_without_token_has_deprecation_warnings(sb: Sandbox) -> None:
    body = Api(sb).post(action="login", lgname="CapxBot@capxl10n", lgpassword="x", errorformat="plaintext").json()
    assert body["login"]["result"] == "NeedToken"
    assert {w["code"] for w in body["warnings"]} == {"deprecation", "deprecation-help"}


# -- edit conflicts (EditPage 1.39) -------------------------------------------------------
def _base(api: Api, title: str, text: str) -> dict[str, Any]:
    return api.edit(title, text, createonly=1)["edit"]


def test_baserevid_alone_conflicts_with_own_edit(sb: Sandbox) -> None:
    bot = Api(sb).login()
    first = _base(bot, "Core/own-rev", "a")
    bot.edit("Core/own-rev", "b")
    assert bot.edit("Core/own-rev", "c", baserevid=first["newrevid"])["error"]["code"] == "editconflict"


def test_basetimestamp_suppresses_own_edit_conflict(sb: Sandbox) -> None:
    bot = Api(sb).login()
    first = _base(bot, "Core/own-ts", "a")
    bot.edit("Core/own-ts", "b")
    assert bot.edit("Core/own-ts", "c", basetimestamp=first["newtimestamp"])["edit"]["result"] == "Success"


def test_other_users_edit_merges_or_conflicts(sb: Sandbox) -> None:
    bot, peer = Api(sb).login(), Api(sb).login("peer2")
    first = _base(bot, "Core/merge", "a\nb\nc")
    peer.edit("Core/merge", "A\nb\nc")
    assert bot.edit("Core/merge", "a\nb\nC", baserevid=first["newrevid"])["edit"]["result"] == "Success"
    assert sb.site("metawiki").wiki.page("Core/merge").text == "A\nb\nC"
    first = _base(bot, "Core/adjacent", "a\nb\nc")
    peer.edit("Core/adjacent", "A\nb\nc")
    assert bot.edit("Core/adjacent", "a\nB\nc", baserevid=first["newrevid"])["error"]["code"] == "editconflict"


def test_bad_base_parameters(sb: Sandbox) -> None:
    bot = Api(sb).login()
    _base(bot, "Core/bad-base", "a")
    assert bot.edit("Core/bad-base", "b", baserevid=99999999)["error"]["code"] == "editconflict"
    assert bot.edit("Core/bad-base", "b", basetimestamp="garbage")["error"]["code"] == "badtimestamp"
    assert bot.edit("Core/bad-base", "b", baserevid="abc")["error"]["code"] == "badinteger"


def test_plain_user_saves_are_watched_bot_saves_not(sb: Sandbox) -> None:
    assert Api(sb).login("peer2").edit("Core/watch", "a")["edit"]["watched"] == ""
    assert "watched" not in Api(sb).login().edit("Core/watch-bot", "a")["edit"]


@pytest.mark.parametrize("base, mine, yours, merged", [
    ("a\nb\nc", "A\nb\nc", "a\nb\nC", "A\nb\nC"),
    ("a\nb\nc", "A\nb\nc", "a\nB\nc", None),
    ("a\nb\nc", "A\nb\nc", "A\nb\nc", "A\nb\nc"),
    ("a\nb\nc\nd", "z\na\nb\nc\nd", "a\nb\nc\nd\ne", "z\na\nb\nc\nd\ne"),
    ("a", "b", "c", None),
])
def test_merge3_cases_measured_on_the_real_wiki(base: str, mine: str, yours: str, merged: str | None) -> None:
    assert merge3(base, mine, yours) == merged


_lines = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=6).map("\n".join)


@pytest.mark.skipif(shutil.which("diff3") is None, reason="GNU diff3 not installed")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=_lines, mine=_lines, yours=_lines)
def test_merge3_never_merges_what_diff3_calls_a_conflict(tmp_path: Path, base: str, mine: str, yours: str) -> None:
    """Where our merge succeeds, GNU diff3 (what MediaWiki runs) must agree and give the same text."""
    files = []
    for name, text in (("mine", mine), ("old", base), ("yours", yours)):
        path = tmp_path / name
        path.write_text(text.rstrip() + "\n")
        files.append(str(path))
    ours = merge3(base, mine, yours)
    if ours is None:
        return  # we may be stricter than diff3 (difflib's alignment can differ); never looser
    overlap = subprocess.run(["diff3", "-a", "--overlap-only", *files], capture_output=True, text=True).stdout
    assert overlap == "", f"diff3 sees a conflict we merged: {base!r} {mine!r} {yours!r}"
    result = subprocess.run(["diff3", "-a", "-e", "--merge", *files], capture_output=True, text=True).stdout
    assert ours == result.rstrip()


# -- robustness -----------------------------------------------------------------------
_names = st.sampled_from(["action", "list", "meta", "prop", "titles", "formatversion", "errorformat", "maxlag",
                          "aplimit", "apcontinue", "continue", "rvprop", "rvlimit", "siprop", "mcgroup", "mclimit",
                          "mcoffset", "mcfilter", "generator", "gaplimit", "assert", "token", "uiprop", "x"])
_values = st.one_of(st.sampled_from(["query", "edit", "login", "allpages", "revisions", "siteinfo", "userinfo",
                                     "messagecollection", "max", "-1", "0", "1", "2", "999999", "a|b", "", "\x1f",
                                     "user", "bot", "||", "-||"]),
                    st.text(max_size=12))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(_names, _values, max_size=6), post=st.booleans())
def test_random_parameters_never_give_a_500_or_a_traceback(sb: Sandbox, params: dict[str, str], post: bool) -> None:
    api = Api(sb)
    response = api.post(**params) if post else api.get(**params)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, dict)
    assert not (code(response) or "").startswith("internal_api_error"), body
