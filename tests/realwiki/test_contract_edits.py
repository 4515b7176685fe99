"""Contract: action=edit's guards and section edits, the logs and the history readers, on the real wiki and the sandbox.

Never a silent success (issue 24): what the real wiki refuses (an entity page edited directly, a bad md5,
an unknown tag, invalid JSON, a missing section, a redirect with ``text``, interface and personal pages)
the sandbox refuses the same way and saves nothing; what it does (a new or numbered section, a summary cut
at 500 characters, JSON pretty-printed, a content-model log row) the sandbox does too.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping

from realwiki.backends import Answer, Backend

SITE = "metawiki"


def _reduced(answer: Answer, body: object) -> Answer:
    return Answer(answer.status, answer.headers, body, answer.request)


def _page(case: str, n: int = 0) -> str:
    return f"Capxl10n contract/{case}/{n}"


def sections(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    title = _page("sections")
    bot.write("edit", title=title, text="intro\n== A ==\na\n=== A1 ===\na1\n== B ==\nb", createonly=True)
    new = bot.write("edit", title=title, section="new", sectiontitle="C", text="c", formatversion=2)
    one = bot.write("edit", title=title, section="2", text="replaced a1", formatversion=2)
    zero = bot.write("edit", title=title, section="0", text="new intro", formatversion=2)
    titled = bot.write("edit", title=title, section="new", summary="D by summary", text="d", formatversion=2)
    text = bot.page(title)["text"]
    assert text == ("new intro\n\n== A ==\na\nreplaced a1\n\n== B ==\nb\n\n== C ==\n\nc\n\n"
                    "== D by summary ==\n\nd"), text
    history = bot.get(action="query", prop="revisions", titles=title, rvprop="comment", rvlimit=5, formatversion=2)
    comments = [r["comment"] for r in history["query"]["pages"][0]["revisions"]]
    assert comments[0] == "/* D by summary */ new section" and comments[3] == "/* C */ new section"
    missing = bot.write("edit", title=title, section="9", text="x", formatversion=2)
    assert missing.code == "nosuchsection"
    invalid = bot.write("edit", title=title, section="abc", text="x", formatversion=2)
    assert invalid.code == "invalidsection"
    json_page = bot.write("edit", title="Module:Capxl10n contract sections.json", section="1", text="x",
                          formatversion=2)
    assert json_page.code == "nosuchsection"
    read = bot.get(action="query", prop="revisions", titles=title, rvprop="content", rvslots="main", rvsection=1,
                   formatversion=2)
    assert read["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"] == "== A ==\na\nreplaced a1"
    nosuch = bot.get(action="query", prop="revisions", titles=title, rvprop="content", rvslots="main", rvsection=9,
                     formatversion=2)
    return {"new": new, "numbered": one, "zero": zero, "summary-titled": titled, "nosuchsection": missing,
            "invalidsection": invalid, "json-section": json_page, "rvsection": read, "rvsection-missing": nosuch,
            "comments": _reduced(history, {"name": comments[:4]})}


def test_section_edits(contract):
    contract.run("edit-sections", sections)


def guards(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    title = _page("guards")
    text = "guarded text"
    bad_md5 = bot.write("edit", title=title, text=text, md5="0" * 32)
    assert bad_md5.code == "badmd5" and bot.page(title) is None, "nothing saved"
    good_md5 = bot.write("edit", title=title, text=text, md5=hashlib.md5(text.encode()).hexdigest())
    assert good_md5["edit"]["result"] == "Success"
    tags = bot.write("edit", title=title, text="x", tags="capxl10n-no-such-tag")
    assert tags.code == "badtags"
    fmt = bot.write("edit", title=title, text="x", contentformat="text/plain")
    assert fmt.code == "badformat"
    model = bot.write("edit", title=title, text="x", contentmodel="nosuchmodel")
    assert model.code == "badvalue"
    long_summary = bot.write("edit", title=title, text="after a long summary", summary="é" * 600)
    comment = bot.get(action="query", prop="revisions", titles=title, rvprop="comment",
                      formatversion=2)["query"]["pages"][0]["revisions"][0]["comment"]
    assert len(comment) == 500 and comment.endswith("...")
    watch = bot.write("edit", title=title, text="watched", watch=1)
    assert bot.page(title)["text"] == "watched"
    return {"badmd5": bad_md5, "md5": good_md5, "badtags": tags, "badformat": fmt, "badmodel": model,
            "long-summary": long_summary, "watch-deprecated": watch}


def undo(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    title = _page("undo")
    first = bot.write("edit", title=title, text="a\nb\nc", createonly=True)["edit"]["newrevid"]
    second = bot.write("edit", title=title, text="a\nB\nc")["edit"]["newrevid"]
    third = bot.write("edit", title=title, text="a\nB\nC")["edit"]["newrevid"]
    conflicting = bot.write("edit", title=title, undo=second, formatversion=2)
    assert conflicting.code == "undofailure", "the next edit touched the adjacent line"
    back = bot.write("edit", title=title, undo=third, undoafter=first, formatversion=2)
    assert bot.page(title)["text"] == "a\nb\nc"
    first_revision = bot.write("edit", title=title, undo=first, formatversion=2)
    assert first_revision.code == "nosuchrevid", "the first revision has no parent to go back to"
    other_page = bot.write("edit", title=_page("undo", 1), text="x", undo=second, formatversion=2)
    return {"undofailure": conflicting, "undoafter": back, "first-revision": first_revision,
            "other-page": other_page}


def test_undo(contract):
    contract.run("edit-undo", undo)


def test_edit_guards(contract):
    contract.run("edit-guards", guards)


def protected_pages(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    mine = bot.write("edit", title=f"User:{b.user_name('bot')}/capxl10n.json", text="{}")
    theirs = bot.write("edit", title=f"User:{b.user_name('bot2')}/capxl10n.json", text="{}")
    interface = bot.write("edit", title="MediaWiki:Capxl10n contract", text="x")
    interface_json = bot.write("edit", title="MediaWiki:Capxl10n contract.json", text="{}")
    return {"own-json": mine, "other-json": theirs, "interface": interface, "interface-json": interface_json}


def test_interface_and_personal_pages_are_refused(contract):
    contract.run("edit-protected", protected_pages)


def json_pages(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    title = "Module:Capxl10n contract json.json"
    invalid = bot.write("edit", title=title, text="{not json")
    assert invalid.code == "invalid-json-data"
    saved = bot.write("edit", title=title, text='{"a":1,"b":[1,2]}', formatversion=2)
    assert saved["edit"]["contentmodel"] == "json"
    assert bot.page(title)["text"] == '{\n\t"a": 1,\n\t"b": [\n\t\t1,\n\t\t2\n\t]\n}'
    plain = bot.write("edit", title=_page("json"), text='{"a":1}', contentmodel="json", formatversion=2)
    log = bot.get(action="query", list="logevents", letype="contentmodel", letitle=_page("json"), formatversion=2)
    assert log["query"]["logevents"][0]["params"] == {"oldmodel": False, "newmodel": "json"}
    rc = bot.get(action="query", list="recentchanges", rctitle=_page("json"), rcprop="title|loginfo|ids",
                 rctype="log", formatversion=2)
    assert rc["query"]["recentchanges"][0]["logtype"] == "contentmodel"
    created = bot.get(action="query", list="logevents", letype="create", letitle=title, formatversion=2)
    return {"invalid": invalid, "saved": saved, "contentmodel-json": plain, "log-contentmodel": log,
            "rc-contentmodel": rc, "log-create": created}


def test_json_pages_and_their_log_rows(contract):
    contract.run("edit-json", json_pages)


def redirect_edits(b: Backend) -> Mapping[str, Answer]:
    bot = b.client(SITE)
    target, redirect = _page("redirect-edit", 1), _page("redirect-edit", 2)
    bot.write("edit", title=target, text="target")
    bot.write("edit", title=redirect, text=f"#REDIRECT [[{target}]]")
    refused = bot.write("edit", title=redirect, text="x", redirect=1)
    assert refused.code == "redirect-appendonly"
    appended = bot.write("edit", title=redirect, appendtext=" and more", redirect=1, formatversion=2)
    assert bot.page(target)["text"] == "target and more"
    return {"text-refused": refused, "appended": appended}


def test_edits_through_a_redirect(contract):
    contract.run("edit-redirect", redirect_edits)


def history_readers(b: Backend) -> Mapping[str, Answer]:
    bot, other = b.client(SITE, "bot"), b.client(SITE, "bot2")
    title = _page("history")
    for n in range(12):
        bot.write("edit", title=title, text=f"revision {n}", minor=bool(n % 2))
    other.write("edit", title=title, text="by the other user")
    revs = bot.get(action="query", prop="revisions", titles=title, rvprop="ids", rvlimit=13, formatversion=2)
    ids = [r["revid"] for r in revs["query"]["pages"][0]["revisions"]]
    startid = bot.get(action="query", prop="revisions", titles=title, rvprop="ids", rvstartid=ids[1],
                      formatversion=2)
    assert len(startid["query"]["pages"][0]["revisions"]) == 10, "mode 2 lists 10 by default"
    two = bot.get(action="query", prop="revisions", revids=f"{ids[5]}|{ids[2]}", rvprop="ids", formatversion=2)
    assert [r["revid"] for r in two["query"]["pages"][0]["revisions"]] == [ids[5], ids[2]]
    contribs = bot.get(action="query", list="usercontribs", ucuser=b.user_name("bot2"), uclimit=1,
                       ucprop="ids|title|timestamp|comment|size|sizediff|flags|tags", formatversion=2)
    assert contribs["query"]["usercontribs"][0]["title"] == title
    exclusive = bot.get(action="query", list="recentchanges", rcshow="minor|!minor", formatversion=2)
    assert exclusive.code == "show"
    minor = bot.get(action="query", list="recentchanges", rctitle=title, rcshow="minor", rcprop="flags",
                    formatversion=2)
    assert len(minor["query"]["recentchanges"]) == 6
    patrol = other.get(action="query", list="recentchanges", rcprop="patrolled", rclimit=1, formatversion=2)
    assert patrol.code == "permissiondenied"
    logs = bot.get(action="query", list="logevents", letitle=title, formatversion=2)
    return {"rvstartid": startid, "revids-one-page": two, "usercontribs": contribs, "rcshow-exclusive": exclusive,
            "rcshow-minor": minor, "rcprop-patrolled": patrol, "logevents": logs}


def test_history_readers(contract):
    contract.run("edit-history-readers", history_readers)


def entity_page_edit(b: Backend) -> Mapping[str, Answer]:
    bot = b.client("metabase")
    capacity_class = b.facts["capacity_class"]
    before = bot.get(action="wbgetentities", ids=capacity_class, props="info", formatversion=2)
    refused = bot.write("edit", title=f"Item:{capacity_class}", text="not an entity")
    assert refused.code == "wikibase-no-direct-editing"
    missing = bot.write("edit", title="Item:Q999999999")
    assert missing.code == "wikibase-no-direct-editing", "refused before its parameters are checked"
    prop = bot.write("edit", title="Property:P5", appendtext="x")
    after = bot.get(action="wbgetentities", ids=capacity_class, props="info", formatversion=2)
    assert after["entities"][capacity_class]["lastrevid"] == before["entities"][capacity_class]["lastrevid"], \
        "nothing saved"
    return {"item": refused, "missing-item-no-text": missing, "property": prop, "entity-after": after}


def test_entity_pages_are_not_edited_directly(contract):
    contract.run("edit-entity-page", entity_page_edit)
