"""Contract: MediaWiki core requests the clients send, on the real wiki and on the sandbox.

Each body runs the same requests on a backend and returns its answers by
name; see conftest.py for how the two backends are compared. Bodies make their
own pages (titles fixed per case, so both backends see the same data).
"""
from __future__ import annotations

from collections.abc import Mapping

import pytest

from realwiki.backends import Answer, Backend

SITE = "metawiki"


def _next_second() -> None:
    """Wait for the wall clock's next second (real wikis have one-second timestamps)."""
    import time
    time.sleep(1.05 - (time.time() % 1.0))


def _page(case: str, n: int = 0) -> str:
    return f"Capxl10n contract/{case}/{n}"


def _reduced(answer: Answer, body: object) -> Answer:
    return Answer(answer.status, answer.headers, body, answer.request)


# ---------------------------------------------------------------- login and tokens
def login_cases(b: Backend) -> Mapping[str, Answer]:
    anon = b.anon(SITE)
    token = anon.get(action="query", meta="tokens", type="login")
    assert token["query"]["tokens"]["logintoken"].endswith("+\\")
    login, password = b.users["bot"]
    wrong = anon.post(action="login", lgname=login, lgpassword="not-the-password-" + "x" * 20,
                      lgtoken=token["query"]["tokens"]["logintoken"])
    assert wrong["login"]["result"] == "Failed"
    fresh = b.anon(SITE)
    ok = fresh.login(login, password)
    assert ok["login"]["result"] == "Success"
    assert ok["login"]["lgusername"] == b.user_name("bot")
    csrf = fresh.get(action="query", meta="tokens")
    assert csrf["query"]["tokens"]["csrftoken"].endswith("+\\")
    anon_csrf = b.anon(SITE).get(action="query", meta="tokens")
    assert anon_csrf["query"]["tokens"]["csrftoken"] == "+\\"
    no_token = b.anon(SITE).post(action="login", lgname=login, lgpassword=password)
    return {"logintoken": token, "wrong-password": wrong, "success": ok, "csrf": csrf,
            "anon-csrf": anon_csrf, "login-without-token": no_token}


def test_login_and_tokens(contract):
    contract.run("core-login-tokens", login_cases)


def userinfo(b: Backend) -> Mapping[str, Answer]:
    out = {}
    for who in ("bot", "bot2"):
        answer = b.client(SITE, who).get(action="query", meta="userinfo", uiprop="groups|rights",
                                          formatversion=2)
        info = answer["query"]["userinfo"]
        assert info["name"] == b.user_name(who)
        # only what clients read: the name, the bot group, the apihighlimits right
        out[who] = _reduced(answer, {"name": "str", "bot": "bot" in info["groups"],
                                     "apihighlimits": "apihighlimits" in info["rights"]})
    anon = b.anon(SITE).get(action="query", meta="userinfo", formatversion=2)
    assert anon["query"]["userinfo"].get("anon") is True
    out["anon"] = anon
    return out


def test_userinfo(contract):
    contract.run("core-userinfo", userinfo)


@pytest.mark.parametrize("fv", [1, 2])
def test_siteinfo(contract, fv):
    def body(b: Backend) -> Mapping[str, Answer]:
        answer = b.anon(SITE).get(action="query", meta="siteinfo", siprop="general|namespaces", formatversion=fv)
        general = answer["query"]["general"]
        assert general["generator"].startswith("MediaWiki 1.")
        ns = answer["query"]["namespaces"]
        assert "1198" in ns
        name = ns["1198"]["*" if fv == 1 else "name"]
        assert name == "Translations"
        reduced = {"query": {"general": {k: general.get(k) for k in ("generator", "sitename", "lang")},
                             "namespaces": {"1198": ns["1198"]}}}
        return {"siteinfo": _reduced(answer, reduced)}
    contract.run(f"core-siteinfo-fv{fv}", body)


# ---------------------------------------------------------------- action=edit
def edit_basics(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE, "bot")
    title = _page("edit-basics")
    created = bot.write("edit", title=title, text="first", summary="contract", createonly=True)
    assert created["edit"]["result"] == "Success" and "new" in created["edit"]
    again = bot.write("edit", title=title, text="first", summary="contract")
    assert "nochange" in again["edit"]
    exists = bot.write("edit", title=title, text="other", createonly=True)
    assert exists.code == "articleexists"
    missing = bot.write("edit", title=_page("edit-basics", 1), text="x", nocreate=True)
    assert missing.code == "missingtitle"
    changed = bot.write("edit", title=title, text="second", summary="contract",
                        baserevid=created["edit"]["newrevid"], basetimestamp=created["edit"]["newtimestamp"])
    assert changed["edit"]["oldrevid"] == created["edit"]["newrevid"]
    fv2 = bot.write("edit", title=title, text="third", formatversion=2)
    return {"create": created, "nochange": again, "createonly-exists": exists, "nocreate-missing": missing,
            "with-base": changed, "fv2": fv2}


def test_edit_basics(contract):
    contract.run("core-edit-basics", edit_basics)


@pytest.mark.parametrize("base", ["baserevid", "basetimestamp"])
def test_editconflict_between_two_users(contract, base):
    def body(b: Backend) -> Mapping[str, Answer]:
        bot, other = b.client(SITE, "bot"), b.client(SITE, "bot2")
        title = _page(f"conflict-{base}")
        first = bot.write("edit", title=title, text="line one\n", createonly=True)["edit"]
        if base == "basetimestamp":
            # MediaWiki finds the base revision by a one-second timestamp: a later edit in the same
            # second is not seen as later (a real hazard of basetimestamp; baserevid has none).
            _next_second()
        theirs = other.write("edit", title=title, text="line one changed by peer2\n")
        guard = {"baserevid": first["newrevid"]} if base == "baserevid" else {"basetimestamp": first["newtimestamp"]}
        conflict = bot.write("edit", title=title, text="line one changed by the bot\n", **guard)
        assert conflict.code == "editconflict"
        assert conflict.headers.get("MediaWiki-API-Error") == "editconflict"
        return {"other-user-save": theirs, "conflict": conflict}
    contract.run(f"core-editconflict-{base}", body)


def same_user_and_blind(b: Backend) -> Mapping[str, Answer]:
    """Own edits in between, 3-way merges and blind overwrites, as MediaWiki 1.39 really does them.

    Measured on the peer: with ``basetimestamp`` an own later edit suppresses the conflict (the
    save overwrites it); with ``baserevid`` alone it does NOT (editconflict unless the 3-way text
    merge succeeds). Edits must be a second apart: timestamps have one-second resolution.
    """
    bot, other = b.client(SITE, "bot"), b.client(SITE, "bot2")
    out = {}
    for base in ("baserevid", "basetimestamp"):
        title = _page(f"same-user-{base}")
        first = bot.write("edit", title=title, text="a\n", createonly=True)["edit"]
        _next_second()
        bot.write("edit", title=title, text="b\n")
        guard = {"baserevid": first["newrevid"]} if base == "baserevid" else {"basetimestamp": first["newtimestamp"]}
        out[f"own-edit-in-between-{base}"] = own = bot.write("edit", title=title, text="c\n", **guard)
        if base == "baserevid":
            assert own.code == "editconflict", "baserevid: no same-user suppression"
        else:
            assert own["edit"]["result"] == "Success", "basetimestamp: conflicts with own edits are suppressed"
    title = _page("merge")
    first = bot.write("edit", title=title, text="a\nb\nc\n", createonly=True)["edit"]
    _next_second()
    other.write("edit", title=title, text="A\nb\nc\n")
    merged = bot.write("edit", title=title, text="a\nb\nC\n", baserevid=first["newrevid"])
    assert merged["edit"]["result"] == "Success"
    assert bot.page(title)["text"] == "A\nb\nC", "both changes kept by the 3-way merge"
    out["three-way-merge"] = merged
    title2 = _page("blind")
    bot.write("edit", title=title2, text="a\n", createonly=True)
    other.write("edit", title=title2, text="b\n")
    blind = bot.write("edit", title=title2, text="c\n")
    assert blind["edit"]["result"] == "Success", "no base: last writer wins"
    out["blind-overwrite"] = blind
    return out


def test_same_user_and_blind_overwrite(contract):
    contract.run("core-same-user-blind", same_user_and_blind)


def token_errors(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE, "bot")
    title = _page("tokens")
    bad = bot.post(action="edit", title=title, text="x", token="0123abcd+\\")
    assert bad.code == "badtoken"
    missing = bot.post(action="edit", title=title, text="x")
    get = bot.get(action="edit", title=title, text="x", token=bot.csrf())
    anon = b.anon(SITE).post(action="edit", title=title, text="x", token="+\\", **{"assert": "user"})
    assert anon.code == "assertuserfailed"
    # assert comes before the token check (ApiMain 1.39; docs/sandbox-differences.md, D5)
    order = b.anon(SITE).post(action="edit", title=title, text="x", token="bad+\\", **{"assert": "user"})
    assert order.code == "assertuserfailed"
    return {"badtoken": bad, "notoken": missing, "get-with-token": get, "assert-user-anon": anon,
            "assert-before-token": order}


def test_token_and_assert_errors(contract):
    contract.run("core-token-errors", token_errors)


def assert_bot(b: Backend) -> Mapping[str, Answer]:
    title = _page("assert-bot")
    ok = b.client(SITE, "bot").write("edit", title=title, text="bot", bot=True, **{"assert": "bot"})
    refused = b.client(SITE, "bot2").write("edit", title=title, text="peer2", **{"assert": "bot"})
    assert refused.code == "assertbotfailed"
    return {"bot": ok, "not-bot": refused}


def test_assert_bot(contract):
    contract.run("core-assert-bot", assert_bot)


def bad_titles_and_modules(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE, "bot")
    invalid = bot.write("edit", title="Bad [title]", text="x")
    assert invalid.code == "invalidtitle"
    too_long = bot.write("edit", title="T" * 300, text="x")
    unknown_action = b.anon(SITE).get(action="nosuchaction")
    unknown_list = b.anon(SITE).get(action="query", list="nosuchlist")
    unknown_param = b.anon(SITE).get(action="query", meta="siteinfo", siprop="general", nosuchparam="1",
                                     formatversion=2)
    reduced = _reduced(unknown_param, {"warnings": unknown_param.body.get("warnings")})
    delete = bot.write("delete", title=_page("edit-basics"), reason="contract")
    assert delete.code == "permissiondenied"
    return {"invalidtitle": invalid, "title-too-long": too_long, "unknown-action": unknown_action,
            "unknown-list": unknown_list, "unknown-param": reduced, "delete": delete}


def test_bad_titles_modules_and_rights(contract):
    contract.run("core-bad-input", bad_titles_and_modules)


def maxlag(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE, "bot")
    token = bot.csrf()
    b.set_maxlag(10)
    read = b.anon(SITE).get(action="query", meta="siteinfo", maxlag=5)
    assert read.code == "maxlag"
    assert read.headers.get("Retry-After") == "5" and "X-Database-Lag" in read.headers
    write = bot.post(action="edit", title=_page("maxlag"), text="x", token=token, maxlag=5)
    assert write.code == "maxlag"
    token_first = bot.post(action="edit", title=_page("maxlag"), text="x", token="bad+\\", maxlag=5)
    assert token_first.code == "badtoken", "the token is checked before maxlag"
    tolerant = b.anon(SITE).get(action="query", meta="siteinfo", siprop="general", maxlag=20)
    assert tolerant.code is None
    b.clear_maxlag()
    after = b.anon(SITE).get(action="query", meta="siteinfo", siprop="general", maxlag=5)
    assert after.code is None
    return {"read": read, "write": write, "token-before-maxlag": token_first,
            "fv2": _reduced(read, read.body)}


def test_maxlag(contract):
    contract.run("core-maxlag", maxlag)


# ---------------------------------------------------------------- reads
@pytest.mark.parametrize("fv", [1, 2])
def test_revisions(contract, fv):
    def body(b: Backend) -> Mapping[str, Answer]:
        bot = b.client(SITE, "bot")
        title = _page(f"revisions-fv{fv}")
        bot.write("edit", title=title, text="one", summary="s1", createonly=True)
        bot.write("edit", title=title, text="two", summary="s2")
        latest = bot.get(action="query", prop="revisions", titles=f"{title}|{_page('never-created')}",
                         rvprop="ids|timestamp|user|comment|content|sha1|size", rvslots="main", formatversion=fv)
        history = bot.get(action="query", prop="revisions", titles=title, rvprop="ids|timestamp|user",
                          rvlimit=1, formatversion=fv)
        assert "continue" in history.body
        return {"latest-and-missing": latest, "history-page1": history}
    contract.run(f"core-revisions-fv{fv}", body)


def revisions_by_id(b: Backend) -> Mapping[str, Answer]:
    """What ``capxl10n report`` asks for a window's Metabase edits: given revisions (an edit and its parent,
    of several pages) with their content, in one request; and the window's saves from recentchanges."""
    bot, other = b.client(SITE, "bot"), b.client(SITE, "bot2")
    first, second = _page("revids", 1), _page("revids", 2)
    one = bot.write("edit", title=first, text="one", summary="s1", createonly=True)
    two = other.write("edit", title=first, text="two", summary="s2")
    three = bot.write("edit", title=second, text="three", summary="s3", createonly=True)
    ids = [one["edit"]["newrevid"], two["edit"]["newrevid"], three["edit"]["newrevid"]]
    asked = bot.get(action="query", prop="revisions", revids="|".join(str(i) for i in ids),
                    rvprop="ids|user|content", rvslots="main", formatversion=2)
    pages = {p["title"]: [(r["revid"], r["slots"]["main"]["content"]) for r in p["revisions"]]
             for p in asked["query"]["pages"]}
    assert pages == {first: [(ids[0], "one"), (ids[1], "two")], second: [(ids[2], "three")]}, pages
    return {"revids-content": asked}


def test_revisions_by_id(contract):
    contract.run("core-revisions-by-id", revisions_by_id)


def allpages(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE, "bot")
    for n in range(3):
        bot.write("edit", title=_page("allpages", n), text=f"page {n}", createonly=True)
    params = dict(action="query", generator="allpages", gapprefix="Capxl10n contract/allpages/", gapnamespace=0,
                  gaplimit=2, prop="revisions", rvprop="ids|timestamp|user|content", rvslots="main",
                  formatversion=2)
    first = bot.get(**params)
    assert len(first["query"]["pages"]) == 2
    second = bot.get(**params, **first["continue"])
    assert len(second["query"]["pages"]) == 1 and "continue" not in second.body
    listed = bot.get(action="query", list="allpages", apprefix="Capxl10n contract/allpages/", aplimit=2)
    return {"page1": first, "page2": second, "list-fv1": listed}


def test_allpages_with_continuation(contract):
    contract.run("core-allpages", allpages)


def recentchanges(b: Backend) -> Mapping[str, Answer]:
    bot, other = b.client(SITE, "bot"), b.client(SITE, "bot2")
    title = _page("recentchanges")
    bot.write("edit", title=title, text="one", summary="first", createonly=True, bot=True)
    other.write("edit", title=title, text="two", summary="second")
    params = dict(action="query", list="recentchanges", rctitle=title,
                  rcprop="title|ids|timestamp|user|comment|flags|sizes", rclimit=1, formatversion=2)
    newest = bot.get(**params)
    assert newest["query"]["recentchanges"][0]["user"] == b.user_name("bot2")
    older = bot.get(**params, **newest["continue"])
    assert older["query"]["recentchanges"][0]["type"] == "new"
    nobot = bot.get(action="query", list="recentchanges", rctitle=title, rcshow="!bot", rcprop="user")
    assert len(nobot["query"]["recentchanges"]) == 1
    return {"newest": newest, "older": older, "nobot-fv1": nobot}


def test_recentchanges(contract):
    contract.run("core-recentchanges", recentchanges)
