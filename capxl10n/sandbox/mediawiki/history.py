"""MediaWiki core's history listings: list=logevents and list=usercontribs; action=logout.

Why: clients list a user's contributions (pywikibot's ``User.contributions``) and the logs
(a new page's ``create`` row, the ``contentmodel/new`` row a message bundle's creation writes,
deletions) — shapes, order (newest first), limits and continuation (``lecontinue`` =
``YYYYMMDDHHMMSS|logid``, ``uccontinue`` = ``YYYYMMDDHHMMSS|revid``, with several users
``actor|<id>|…``) as ApiQueryLogEvents / ApiQueryUserContribs 1.39 (checked on the peer).
"""
from __future__ import annotations

import html
from typing import Any

from capxl10n.sandbox.api.errors import ApiError, plain
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.store.wiki import LogEntry, Revision

LEPROPS = ("ids", "title", "type", "user", "userid", "timestamp", "comment", "parsedcomment", "details", "tags")
LETYPES = ("block", "contentmodel", "create", "delete", "import", "managetags", "merge", "move", "newusers",
           "patrol", "protect", "rights", "suppress", "tag", "upload", "pagelang", "translationreview",
           "pagetranslation", "messagebundle", "thanks")
UCPROPS = ("ids", "title", "timestamp", "comment", "parsedcomment", "size", "sizediff", "flags", "patrolled",
           "tags")
UCSHOW = ("minor", "!minor", "patrolled", "!patrolled", "autopatrolled", "!autopatrolled", "top", "!top", "new",
          "!new")
BAD_CONTINUE = "Invalid continue param. You should pass the original value returned by the previous query."


def install(site: Site) -> None:
    site.register_query("list", "logevents", logevents)
    site.register_query("list", "usercontribs", usercontribs)
    site.register_action("logout", logout, must_post=True, token="csrf")


def _mw(ts: str) -> str:
    return ts.replace("-", "").replace(":", "").replace("T", "").replace("Z", "")


def _continue_key(raw: str, module: str) -> tuple[str, int]:
    ts, _, ident = raw.rpartition("|")
    ts = ts.rsplit("|", 1)[-1]
    if not ident.isdigit() or not ts.isdigit():
        raise ApiError("badcontinue", BAD_CONTINUE, module=module)
    return ts, int(ident)


def logevents(req: ApiRequest) -> dict[str, Any]:
    """list=logevents: newest first (``ledir=newer`` oldest first), filtered by type, action, user, title,
    namespace, prefix and time."""
    props = req.multi("leprop", LEPROPS, default=["ids", "title", "type", "user", "timestamp", "comment", "details"])
    kind = req.enum("letype", LETYPES)
    action = req.get("leaction")
    direction = req.enum("ledir", ("newer", "older"), "older") or "older"
    start, end = req.timestamp("lestart"), req.timestamp("leend")
    user = req.get("leuser")
    title = req.get("letitle")
    namespace = req.get("lenamespace")
    prefix = req.get("leprefix")
    req.unsupported("letag", "lelogid")
    limit = req.limit("lelimit", 10, 500, 5000, module="logevents")
    cont = req.get("lecontinue")
    wiki = req.site.wiki
    if kind is not None and action is not None:
        raise ApiError("invalidparammix", 'The parameters "letype" and "leaction" can not be used together.',
                       module="logevents", params=plain("letype", "leaction"))
    with wiki.lock:
        rows = list(wiki.log)
    rows.sort(key=lambda e: (e.timestamp, e.logid), reverse=direction == "older")
    cont_key = _continue_key(cont, "logevents") if cont else None
    out: list[dict[str, Any]] = []
    for entry in rows:
        key = (_mw(entry.timestamp), entry.logid)
        if cont_key is not None and (key > cont_key if direction == "older" else key < cont_key):
            continue
        if kind is not None and entry.type != kind:
            continue
        if action is not None and f"{entry.type}/{entry.action}" != action:
            continue
        if user is not None and entry.user != user.replace("_", " "):
            continue
        if title is not None and entry.title != wiki.normalize_title(title)[1]:
            continue
        if namespace is not None and str(entry.ns) != namespace:
            continue
        if prefix is not None and not entry.title.startswith(prefix.replace("_", " ")):
            continue
        if start and (entry.timestamp > _iso(start) if direction == "older" else entry.timestamp < _iso(start)):
            continue
        if end and (entry.timestamp < _iso(end) if direction == "older" else entry.timestamp > _iso(end)):
            continue
        if len(out) >= limit:
            req.continue_with({"lecontinue": f"{key[0]}|{key[1]}"})
            break
        out.append(_log_row(entry, props))
    return {"logevents": out}


def _iso(value: str) -> str:
    from capxl10n.sandbox.store.wiki import format_ts, parse_ts

    return format_ts(parse_ts(value))


def _log_row(entry: LogEntry, props: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if "ids" in props:
        row["logid"] = entry.logid
    if "title" in props:
        row.update({"ns": entry.ns, "title": entry.title})
    if "ids" in props:
        row.update({"pageid": entry.pageid, "logpage": entry.pageid})
    if "details" in props:
        row["params"] = dict(entry.params)
    if "type" in props:
        row.update({"type": entry.type, "action": entry.action})
    if "user" in props:
        row["user"] = entry.user
    if "userid" in props:
        row["userid"] = entry.userid
    if "timestamp" in props:
        row["timestamp"] = entry.timestamp
    if "comment" in props:
        row["comment"] = entry.comment
    if "parsedcomment" in props:
        row["parsedcomment"] = html.escape(entry.comment, quote=False)
    if "tags" in props:
        row["tags"] = []
    return row


def usercontribs(req: ApiRequest) -> dict[str, Any]:
    """list=usercontribs: the revisions of one or more users, newest first, with ``top`` and ``new`` flags."""
    props = req.multi("ucprop", UCPROPS, default=["ids", "title", "timestamp", "comment", "size", "flags"])
    users = req.multi("ucuser", None)
    req.unsupported("ucuserids", "uciprange", "ucuserprefix")
    if not users:
        raise ApiError("missingparam", 'One of the parameters "ucuserprefix", "ucuserids", "uciprange" and "ucuser" '
                       "is required.", module="usercontribs", key="apierror-missingparam-one-of")
    show = req.multi("ucshow", UCSHOW)
    if "patrolled" in props or any("patrolled" in flag for flag in show):
        raise ApiError("permissiondenied", 'You need the "patrol" or "patrolmarks" right to request the patrolled '
                       "flag.", module="usercontribs")
    for flag in show:
        if flag.startswith("!") and flag[1:] in show:
            raise ApiError("show", "Incorrect parameter - mutually exclusive values may not be supplied.",
                           module="usercontribs")
    direction = req.enum("ucdir", ("newer", "older"), "older") or "older"
    start, end = req.timestamp("ucstart"), req.timestamp("ucend")
    namespaces = req.multi("ucnamespace", [str(n) for n in req.site.wiki.namespaces] + ["*"])
    tag = req.get("uctag")
    top_only = req.flag("uctoponly")
    limit = req.limit("uclimit", 10, 500, 5000, module="usercontribs")
    cont = req.get("uccontinue")
    wiki = req.site.wiki
    names = {u.replace("_", " ") for u in users}
    with wiki.lock:
        revs = [r for r in wiki.revisions.values() if r.user in names and wiki.page_by_id(r.pageid) is not None]
        latest = {p.pageid: p.latest.revid for p in wiki.pages.values()}
    revs.sort(key=lambda r: (r.timestamp, r.revid), reverse=direction == "older")
    cont_key = _continue_key(cont, "usercontribs") if cont else None
    out: list[dict[str, Any]] = []
    for rev in revs:
        page = wiki.page_by_id(rev.pageid)
        assert page is not None
        key = (_mw(rev.timestamp), rev.revid)
        if cont_key is not None and (key > cont_key if direction == "older" else key < cont_key):
            continue
        top = latest.get(rev.pageid) == rev.revid
        if (top_only or "top" in show) and not top or "!top" in show and top:
            continue
        new = rev.parentid == 0
        if "new" in show and not new or "!new" in show and new:
            continue
        if "minor" in show and not rev.minor or "!minor" in show and rev.minor:
            continue
        if namespaces and "*" not in namespaces and str(page.ns) not in namespaces:
            continue
        if tag and tag not in rev.tags:
            continue
        if start and (rev.timestamp > _iso(start) if direction == "older" else rev.timestamp < _iso(start)):
            continue
        if end and (rev.timestamp < _iso(end) if direction == "older" else rev.timestamp > _iso(end)):
            continue
        if len(out) >= limit:
            value = f"{key[0]}|{key[1]}"
            if len(names) > 1:
                value = f"actor|{rev.userid}|{value}"
            req.continue_with({"uccontinue": value})
            break
        out.append(_contrib_row(rev, page.ns, page.title, props, top, wiki))
    return {"usercontribs": out}


def _contrib_row(rev: Revision, ns: int, title: str, props: list[str], top: bool, wiki: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"userid": rev.userid, "user": rev.user}
    if "ids" in props:
        row.update({"pageid": rev.pageid, "revid": rev.revid, "parentid": rev.parentid})
    if "title" in props:
        row.update({"ns": ns, "title": title})
    if "timestamp" in props:
        row["timestamp"] = rev.timestamp
    if "flags" in props:
        row.update({"new": rev.parentid == 0, "minor": rev.minor, "top": top})
    if "comment" in props:
        row["comment"] = rev.comment
    if "parsedcomment" in props:
        row["parsedcomment"] = html.escape(rev.comment, quote=False)
    if "size" in props:
        row["size"] = rev.size
    if "sizediff" in props:
        parent = wiki.revision(rev.parentid) if rev.parentid else None
        row["sizediff"] = rev.size - (parent.size if parent is not None else 0)
    if "tags" in props:
        row["tags"] = list(rev.tags)
    return row


def logout(req: ApiRequest) -> dict[str, Any]:
    """action=logout: the session ends (its tokens with it); the answer is empty, as on the real wiki."""
    if req.session is not None:
        req.site.wiki.log_out(req.session)
    req.user = None
    return {}

