"""MediaWiki core query modules: prop=revisions|info, list/generator=allpages, recentchanges, backlinks.

Why separate from :mod:`.modules`: these are the readers, with MediaWiki's limits
and continuation formats (``rvcontinue``, ``apcontinue``, ``rccontinue``
``<YYYYMMDDHHMMSS>|<rcid>``, ``blcontinue``), and they are shared unchanged by
Metabase and Meta-Wiki.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from capxl10n.sandbox.api.errors import ApiError, unsupported
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import PageOut, Site
from capxl10n.sandbox.mediawiki import sections
from capxl10n.sandbox.store.wiki import Page, Revision, parse_ts

_IP_USER = re.compile(r"[0-9.]+|[0-9a-fA-F:]+")

RVPROPS = ("ids", "flags", "timestamp", "user", "userid", "size", "slotsize", "sha1", "slotsha1", "contentmodel",
           "comment", "parsedcomment", "content", "tags", "roles", "parsetree")
RCPROPS = ("user", "userid", "comment", "parsedcomment", "flags", "timestamp", "title", "ids", "sizes",
           "redirect", "patrolled", "loginfo", "tags", "sha1")
RCSHOW = ("minor", "!minor", "bot", "!bot", "anon", "!anon", "redirect", "!redirect", "patrolled", "!patrolled",
          "unpatrolled", "autopatrolled", "!autopatrolled")
PATROL_DENIED = 'You need the "patrol" or "patrolmarks" right to request the patrolled flag.'
RCTYPES = ("edit", "new", "log", "external", "categorize")
CONTENT_FORMATS = {"wikitext": "text/x-wiki", "json": "application/json", "wikibase-item": "application/json",
                   "wikibase-property": "application/json", "translate-messagebundle": "application/json",
                   "Scribunto": "text/plain", "text": "text/plain", "css": "text/css",
                   "javascript": "text/javascript"}


def install(site: Site) -> None:
    site.register_query("prop", "revisions", revisions)
    site.register_query("prop", "info", info)
    site.register_query("list", "allpages", allpages)
    site.register_query("generator", "allpages", allpages_generator)
    site.register_query("list", "recentchanges", recentchanges)
    site.register_query("list", "backlinks", backlinks)
    site.register_query("generator", "backlinks", backlinks_generator)


def mw_ts(iso: str) -> str:
    return re.sub(r"[-:TZ]", "", iso)


def iso_ts(value: str) -> str:
    """Accept ISO 8601 or MediaWiki 14-digit timestamps (``badtimestamp`` otherwise)."""
    try:
        seconds = parse_ts(value)
    except ValueError:
        raise ApiError("badtimestamp", f'Invalid value "{value}" for timestamp parameter.') from None
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _namespace(req: ApiRequest, name: str, default: int | None = 0) -> int | None:
    raw = req.get(name)
    if raw is None:
        return default
    if raw.lstrip("-").isdigit() and int(raw) in req.site.wiki.namespaces:
        return int(raw)
    raise ApiError("badvalue", f'Unrecognized value for parameter "{name}": {raw}.', module=req.module)


def _namespaces(req: ApiRequest, name: str) -> list[int] | None:
    allowed = [str(ns) for ns in req.site.wiki.namespaces]
    values = req.multi(name, allowed + ["*"])
    if not values or "*" in values:
        return None
    return [int(v) for v in values]


# -- prop=revisions -----------------------------------------------------------

def render_revision(req: ApiRequest, rev: Revision, props: list[str], slots: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "ids" in props:
        out["revid"] = rev.revid
        out["parentid"] = rev.parentid
    if "flags" in props:
        out["minor"] = rev.minor
    for name in ("user", "userid", "timestamp", "size", "sha1"):  # rvprop names are Revision attributes
        if name in props:
            out[name] = getattr(rev, name)
    if "roles" in props:
        out["roles"] = ["main"]
    wants_content = "content" in props or "contentmodel" in props or "slotsize" in props or "slotsha1" in props
    if slots is not None and wants_content:
        slot: dict[str, Any] = {}
        if "slotsize" in props:
            slot["size"] = rev.size
        if "slotsha1" in props:
            slot["sha1"] = rev.sha1
        if "contentmodel" in props or "content" in props:
            slot["contentmodel"] = rev.content_model
        if "content" in props:
            slot["contentformat"] = CONTENT_FORMATS.get(rev.content_model, "text/plain")
            slot[req.text_key("content")] = rev.content
        out["slots"] = {"main": slot}
    elif wants_content:
        if "contentmodel" in props or "content" in props:
            out["contentmodel"] = rev.content_model
        if "content" in props:
            out["contentformat"] = CONTENT_FORMATS.get(rev.content_model, "text/plain")
            out[req.text_key("content")] = rev.content
    if "comment" in props:
        out["comment"] = rev.comment
    if "parsedcomment" in props:
        out["parsedcomment"] = html.escape(rev.comment, quote=False)
    if "tags" in props:
        out["tags"] = list(rev.tags)
    return out


def _section_of(req: ApiRequest, out: dict[str, Any], rev: Revision, section: int | None) -> None:
    """``rvsection``: the content is that section's (``nosuchsection`` when the revision has none)."""
    if section is None:
        return
    key = req.text_key("content")
    holder = out["slots"]["main"] if "slots" in out else out
    if key not in holder:
        return
    part = sections.section_text(rev.content, section) if rev.content_model == "wikitext" else None
    if part is None:
        for name in ("contentformat", "contentmodel", key):
            holder.pop(name, None)
        holder["nosuchsection"] = True
    else:
        holder[key] = part


def revisions(req: ApiRequest, pages: list[PageOut]) -> None:
    props = req.multi("rvprop", RVPROPS, default=["ids", "timestamp", "flags", "comment", "user"])
    slots_raw = req.get("rvslots")
    slots = None if slots_raw is None else [s for s in slots_raw.split("|") if s]
    if slots is None and "content" in props:
        req.warn("revisions", 'Because "rvslots" was not specified, a legacy format has been used for the '
                 "output. This format is deprecated, and in the future the new format will always be used.",
                 "deprecation")
    single = [name for name in ("rvlimit", "rvstartid", "rvendid", "rvstart", "rvend", "rvdir", "rvuser",
                                "rvexcludeuser", "rvtag") if req.has(name)]
    existing = [p for p in pages if p.page is not None]
    if "parsetree" in props:
        raise unsupported('rvprop "parsetree"', "revisions")
    req.unsupported("rvexpandtemplates", "rvgeneratexml", "rvparse", "rvdiffto", "rvdifftotext", "rvdifftotextpst")
    fmt = req.get("rvcontentformat")
    if fmt is not None and any(p.page is not None and CONTENT_FORMATS.get(p.page.content_model) != fmt
                               for p in existing):
        raise unsupported(f'rvcontentformat "{fmt}" (a serialisation other than the page\'s own)', "revisions")
    section = req.int("rvsection", None, 0)
    if any(p.revids is not None for p in existing):  # revids=: exactly those revisions (ApiQueryRevisions mode 1)
        if single:
            raise ApiError("invalidparammix", f'The parameter "{single[0]}" may only be used with a single page.',
                           module="revisions")
        _asked_revisions(req, existing, props, slots, section)
        return
    if len(pages) > 1 or not single:
        if single and len(pages) > 1:
            raise ApiError("invalidparammix", f'The parameter "{single[0]}" may only be used with a single page.',
                           module="revisions")
        _latest_revisions(req, existing, props, slots, section)
        return
    if not existing:
        _history_limit(req, props)  # parsed (and ``limits`` reported for "max") even for a missing page
        return
    _page_history(req, existing[0], props, slots, section)


def _rendered(req: ApiRequest, rev: Revision, props: list[str], slots: list[str] | None,
              section: int | None) -> dict[str, Any]:
    out = render_revision(req, rev, props, slots)
    _section_of(req, out, rev, section)
    return out


def _latest_revisions(req: ApiRequest, pages: list[PageOut], props: list[str], slots: list[str] | None,
                      section: int | None = None) -> None:
    cap = (500 if req.high_limits else 50) if "content" in props else len(pages) + 1
    start = req.get("rvcontinue")
    start_id = int(start) if start and start.isdigit() else 0
    ordered = sorted(pages, key=lambda p: p.page.latest.revid)  # type: ignore[union-attr]
    served = 0
    for out in ordered:
        page = out.page
        assert page is not None
        rev = page.latest
        if rev.revid < start_id:
            continue
        if served >= cap:
            req.continue_with({"rvcontinue": rev.revid})
            return
        out.data["revisions"] = [_rendered(req, rev, props, slots, section)]
        served += 1


def _asked_revisions(req: ApiRequest, pages: list[PageOut], props: list[str], slots: list[str] | None,
                     section: int | None = None) -> None:
    """``revids=…``: each asked revision under its page, oldest first; with content at most 50 (500 with
    ``apihighlimits``) per answer, then ``rvcontinue`` (the next revid)."""
    cap = (500 if req.high_limits else 50) if "content" in props else 5000
    start = req.get("rvcontinue")
    start_id = int(start) if start and start.isdigit() else 0
    wanted = sorted((revid, out) for out in pages for revid in out.revids or () if revid >= start_id)
    for served, (revid, out) in enumerate(wanted):
        if served >= cap:
            req.continue_with({"rvcontinue": revid})
            return
        page = out.page
        assert page is not None
        rev = next(r for r in page.revisions if r.revid == revid)
        out.data.setdefault("revisions", []).append(_rendered(req, rev, props, slots, section))


def _history_limit(req: ApiRequest, props: list[str]) -> int:
    """Mode 2 (one page's history, entered by any of rvlimit/rvstartid/rvendid/rvstart/rvend/rvdir/rvuser…):
    10 revisions unless ``rvlimit`` says otherwise (checked on the peer: ``rvstartid`` alone gives 10)."""
    cap = (500 if req.high_limits else 50) if "content" in props else (5000 if req.high_limits else 500)
    return req.limit("rvlimit", 10, cap, None, module="revisions")


def _page_history(req: ApiRequest, out: PageOut, props: list[str], slots: list[str] | None,
                  section: int | None = None) -> None:
    page = out.page
    assert page is not None
    limit = _history_limit(req, props)
    direction = req.enum("rvdir", ("older", "newer"), "older")
    start_id = req.int("rvstartid")
    end_id = req.int("rvendid")
    start_ts = req.get("rvstart")
    end_ts = req.get("rvend")
    user = req.get("rvuser")
    exclude = req.get("rvexcludeuser")
    tag = req.get("rvtag")
    revs = list(page.revisions) if direction == "newer" else list(reversed(page.revisions))
    cont = req.get("rvcontinue")
    if cont:
        try:
            cont_id = int(cont.split("|")[-1])
        except ValueError:
            raise ApiError("badcontinue", "Invalid continue param. You should pass the original value returned "
                           "by the previous query.", module="revisions") from None
        revs = [r for r in revs if (r.revid >= cont_id if direction == "newer" else r.revid <= cont_id)]

    def keep(rev: Revision) -> bool:
        if start_id is not None and (rev.revid < start_id if direction == "newer" else rev.revid > start_id):
            return False
        if end_id is not None and (rev.revid > end_id if direction == "newer" else rev.revid < end_id):
            return False
        if start_ts and (rev.timestamp < iso_ts(start_ts) if direction == "newer" else rev.timestamp > iso_ts(start_ts)):
            return False
        if end_ts and (rev.timestamp > iso_ts(end_ts) if direction == "newer" else rev.timestamp < iso_ts(end_ts)):
            return False
        if user and rev.user != user:
            return False
        if exclude and rev.user == exclude:
            return False
        return not (tag and tag not in rev.tags)

    chosen = [r for r in revs if keep(r)]
    out.data["revisions"] = [_rendered(req, r, props, slots, section) for r in chosen[:limit]]
    if len(chosen) > limit:
        nxt = chosen[limit]
        req.continue_with({"rvcontinue": f"{mw_ts(nxt.timestamp)}|{nxt.revid}"})


# -- prop=info ------------------------------------------------------------------

INPROPS = ("protection", "talkid", "watched", "watchers", "visitingwatchers", "notificationtimestamp", "subjectid",
           "associatedpage", "url", "readable", "preload", "displaytitle", "varianttitles", "linkclasses")
TEST_ACTIONS = {"edit": "edit", "create": "createpage", "move": "move", "delete": "delete", "protect": "protect",
                "upload": "upload", "read": "read"}


def info(req: ApiRequest, pages: list[PageOut]) -> None:
    """prop=info with the props of 1.39 (``watchers`` is shown only to users with ``unwatchedpages``, which the
    sandbox's users lack; ``readable`` is deprecated; ``intestactions`` checks the user's rights)."""
    props = req.multi("inprop", INPROPS)
    if "readable" in props:
        req.deprecated("info", 'The value "readable" to parameter "inprop" has been deprecated.',
                       "action=query&prop=info&inprop=readable", key="apiwarn-deprecation-parameter",
                       params=["inprop=readable"])
    actions = req.multi("intestactions", None)
    req.enum("intestactionsdetail", ("boolean", "full", "quick"), "boolean")
    req.get("inlinkcontext")
    req.get("incontinue")
    wiki = req.site.wiki
    watchlist = req.site.__dict__.get("_watchlists", {}).get(req.user.id if req.user is not None else -1, set())
    for out in pages:
        page = out.page
        if page is None:
            if "invalid" in out.data:
                continue
            model = wiki.content_models.get(out.data.get("ns", 0), "wikitext")
            out.data.update({"contentmodel": model, "pagelanguage": "en", "pagelanguagehtmlcode": "en",
                             "pagelanguagedir": "ltr"})
        else:
            out.data.update({"contentmodel": page.content_model, "pagelanguage": "en",
                             "pagelanguagehtmlcode": "en", "pagelanguagedir": "ltr", "touched": page.touched,
                             "lastrevid": page.latest.revid, "length": page.latest.size})
            if wiki.redirect_target(page) is not None:
                out.data["redirect"] = True
            if len(page.revisions) == 1:
                out.data["new"] = True
        title = out.data["title"]
        ns = int(out.data.get("ns", 0))
        other_ns = ns + 1 if ns % 2 == 0 else ns - 1
        other = wiki.title_of(other_ns, wiki.unprefixed_title(title)) if ns >= 0 and other_ns in wiki.namespaces \
            else None
        if "protection" in props:
            out.data["protection"] = []
            out.data["restrictiontypes"] = ["edit", "move"] if page is not None else ["create"]
        if "talkid" in props and ns % 2 == 0 and other and wiki.page(other) is not None:
            out.data["talkid"] = wiki.page(other).pageid  # type: ignore[union-attr]
        if "subjectid" in props and ns % 2 == 1 and other and wiki.page(other) is not None:
            out.data["subjectid"] = wiki.page(other).pageid  # type: ignore[union-attr]
        if "watched" in props and req.user is not None:
            out.data["watched"] = page is not None and page.pageid in watchlist
        if "notificationtimestamp" in props and req.user is not None:
            out.data["notificationtimestamp"] = ""
        if "url" in props:
            underscored = title.replace(" ", "_")
            out.data["fullurl"] = f"{req.site.server}{req.site.base_path}/wiki/{underscored}"
            out.data["editurl"] = f"{req.site.server}{req.site.base_path}/w/index.php?title={underscored}&action=edit"
            out.data["canonicalurl"] = out.data["fullurl"]
        if "associatedpage" in props and other:
            out.data["associatedpage"] = other
        if "readable" in props:
            out.data["readable"] = True
        if "preload" in props:
            out.data["preload"] = ""
        if "displaytitle" in props:
            out.data["displaytitle"] = title
        if "varianttitles" in props:
            out.data["varianttitles"] = {"en": title}
        if "linkclasses" in props:
            out.data["linkclasses"] = []
        if actions:
            out.data["actions"] = {a: req.has_right(TEST_ACTIONS.get(a, a)) and (a != "create" or page is None)
                                   for a in actions}


# -- allpages ---------------------------------------------------------------------

def _allpages(req: ApiRequest, prefix_letter: str) -> tuple[list[Page], str | None]:
    p = prefix_letter + "ap"
    ns = _namespace(req, f"{p}namespace", 0)
    assert ns is not None
    prefix = (req.get(f"{p}prefix") or "").replace("_", " ")
    cont, first = req.get(f"{p}continue"), req.get(f"{p}from")
    start = (cont or first or "").replace("_", " ")
    end = (req.get(f"{p}to") or "").replace("_", " ")
    redirects = req.enum(f"{p}filterredir", ("all", "redirects", "nonredirects"), "all")
    direction = req.enum(f"{p}dir", ("ascending", "descending"), "ascending")
    limit = req.limit(f"{p}limit", 10, 500, 5000, module="allpages")
    minsize, maxsize = req.int(f"{p}minsize"), req.int(f"{p}maxsize")
    # no page is protected and there are no language links: these filters match nothing or everything
    protection = req.multi(f"{p}prtype", ("edit", "move", "upload"))
    req.multi(f"{p}prlevel", ("", "autoconfirmed", "sysop"))
    req.enum(f"{p}prfiltercascade", ("all", "cascading", "noncascading"), "all")
    req.enum(f"{p}prexpiry", ("indefinite", "definite", "all"), "all")
    langlinks = req.enum(f"{p}filterlanglinks", ("withlanglinks", "withoutlanglinks", "all"), "all")
    wiki = req.site.wiki
    names = [(wiki.unprefixed(pg), pg) for pg in wiki.pages_in(ns, prefix)]
    if protection or langlinks == "withlanglinks":
        names = []
    if redirects != "all":
        names = [(n, pg) for n, pg in names if (wiki.redirect_target(pg) is not None) == (redirects == "redirects")]
    if minsize is not None or maxsize is not None:
        names = [(n, pg) for n, pg in names if (minsize is None or pg.latest.size >= minsize)
                 and (maxsize is None or pg.latest.size <= maxsize)]
    if direction == "descending":
        names.reverse()
    chosen: list[Page] = []
    for name, page in names:
        if start and (name < start if direction == "ascending" else name > start):
            continue
        if end and (name > end if direction == "ascending" else name < end):
            continue
        if len(chosen) >= limit:
            return chosen, name.replace(" ", "_")
        chosen.append(page)
    return chosen, None


def _continued(req: ApiRequest, selection: tuple[list[Page], str | None], param: str, *,
               generator: bool = False) -> list[Page]:
    """The selected pages, after asking the client back with ``param`` when the selection was cut short.

    Every page list module comes as a list (``list=``) and as a generator (``generator=``);
    only the continuation parameter's prefix and where it is reported differ.
    """
    pages, nxt = selection
    if nxt is not None:
        req.continue_with({param: nxt}, generator=generator)
    return pages


def _page_rows(pages: Iterable[Page]) -> list[dict[str, Any]]:
    """A page list module's rows: pageid, ns and title, as MediaWiki's list modules give them."""
    return [{"pageid": p.pageid, "ns": p.ns, "title": p.title} for p in pages]


def allpages(req: ApiRequest) -> dict[str, Any]:
    return {"allpages": _page_rows(_continued(req, _allpages(req, ""), "apcontinue"))}


def allpages_generator(req: ApiRequest) -> list[Page]:
    return _continued(req, _allpages(req, "g"), "gapcontinue", generator=True)


# -- recentchanges --------------------------------------------------------------

def recentchanges(req: ApiRequest) -> dict[str, Any]:
    props = req.multi("rcprop", RCPROPS, default=["title", "timestamp", "ids"])
    show = req.multi("rcshow", RCSHOW)
    for flag in show:
        if flag.startswith("!") and flag[1:] in show:
            raise ApiError("show", "Incorrect parameter - mutually exclusive values may not be supplied.",
                           module="recentchanges")
    if "patrolled" in props or any("patrolled" in flag for flag in show):
        if not req.has_right("patrol"):
            raise ApiError("permissiondenied", PATROL_DENIED, module="recentchanges")
        raise unsupported("patrolling (rcprop=patrolled, rcshow=patrolled…)", "recentchanges")
    types = req.multi("rctype", RCTYPES, default=["edit", "new", "log", "categorize"])
    namespaces = _namespaces(req, "rcnamespace")
    limit = req.limit("rclimit", 10, 500, 5000, module="recentchanges")
    direction = req.enum("rcdir", ("older", "newer"), "older")
    start = req.get("rcstart")
    end = req.get("rcend")
    user = req.get("rcuser")
    exclude = req.get("rcexcludeuser")
    tag = req.get("rctag")
    title = req.get("rctitle")
    toponly = req.flag("rctoponly")
    req.get("rcgeneraterevisions")
    req.get("rcslot")
    cont = req.get("rccontinue")
    if user and exclude:
        raise ApiError("invalidparammix", 'The parameters "rcuser" and "rcexcludeuser" can not be used together.',
                       module="recentchanges")
    start_iso = iso_ts(start) if start else None
    end_iso = iso_ts(end) if end else None
    if start_iso and end_iso and ((direction == "older" and start_iso < end_iso)
                                  or (direction == "newer" and start_iso > end_iso)):
        raise ApiError("invalidparammix",
                       f'The "rcstart" parameter must be {"later" if direction == "older" else "earlier"} than '
                       '"rcend" when "rcdir" is set to "' + direction + '".', module="recentchanges")
    cont_key: tuple[str, int] | None = None
    if cont:
        ts, _, rcid = cont.partition("|")
        if not rcid.isdigit() or not ts.isdigit():
            raise ApiError("badcontinue", "Invalid continue param. You should pass the original value returned "
                           "by the previous query.", module="recentchanges")
        cont_key = (ts, int(rcid))
    wiki = req.site.wiki
    with wiki.lock:
        rows = list(wiki.recentchanges)
        latest_rev = {p.pageid: p.latest.revid for p in wiki.pages.values()} if toponly else {}
    rows.sort(key=lambda r: (r.timestamp, r.rcid), reverse=direction == "older")
    out: list[dict[str, Any]] = []
    for row in rows:
        key = (mw_ts(row.timestamp), row.rcid)
        if cont_key is not None and (key > cont_key if direction == "older" else key < cont_key):
            continue
        if start_iso and (row.timestamp > start_iso if direction == "older" else row.timestamp < start_iso):
            continue
        if end_iso and (row.timestamp < end_iso if direction == "older" else row.timestamp > end_iso):
            continue
        if row.type not in types or (namespaces is not None and row.ns not in namespaces):
            continue
        if (user and row.user != user) or (exclude and row.user == exclude) or (tag and tag not in row.tags):
            continue
        if title and row.title != title:
            continue
        if "bot" in show and not row.bot or "!bot" in show and row.bot:
            continue
        if "minor" in show and not row.minor or "!minor" in show and row.minor:
            continue
        anon = _IP_USER.fullmatch(row.user) is not None
        if "anon" in show and not anon or "!anon" in show and anon:
            continue
        if "redirect" in show or "!redirect" in show:
            page = wiki.page_by_id(row.pageid)
            is_redirect = page is not None and wiki.redirect_target(page) is not None
            if "redirect" in show and not is_redirect or "!redirect" in show and is_redirect:
                continue
        if toponly and latest_rev.get(row.pageid) != row.revid:
            continue
        if len(out) >= limit:
            req.continue_with({"rccontinue": f"{key[0]}|{key[1]}"})
            break
        out.append(_rc_entry(row, props, wiki))
    return {"recentchanges": out}


def _rc_entry(row: Any, props: list[str], wiki: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": row.type}
    if "title" in props:
        entry["ns"] = row.ns
        entry["title"] = row.title
    if "ids" in props:
        entry.update({"pageid": row.pageid, "revid": row.revid, "old_revid": row.old_revid, "rcid": row.rcid})
    if "user" in props:
        entry["user"] = row.user
    if "userid" in props:
        entry["userid"] = row.userid
    if "flags" in props:
        entry.update({"bot": row.bot, "new": row.type == "new", "minor": row.minor})
    if "sizes" in props:
        entry.update({"oldlen": row.oldlen, "newlen": row.newlen})
    if "timestamp" in props:
        entry["timestamp"] = row.timestamp
    if "comment" in props:
        entry["comment"] = row.comment
    if "parsedcomment" in props:
        entry["parsedcomment"] = html.escape(row.comment, quote=False)
    if "redirect" in props:
        page = wiki.page_by_id(row.pageid)
        if page is not None and wiki.redirect_target(page) is not None:
            entry["redirect"] = True
    if "tags" in props:
        entry["tags"] = list(row.tags)
    if "sha1" in props and row.revid:
        rev = wiki.revision(row.revid)
        if rev is not None:
            entry["sha1"] = rev.sha1
    if "loginfo" in props and row.type == "log":
        entry.update({"logid": row.logid, "logtype": row.logtype, "logaction": row.logaction,
                      "logparams": dict(row.logparams) if row.logparams else []})
    return entry


# -- backlinks --------------------------------------------------------------------

def _backlinks(req: ApiRequest, p: str) -> tuple[list[Page], str | None]:
    title = req.get(f"{p}title")
    pageid = req.get(f"{p}pageid")
    wiki = req.site.wiki
    if title is None and pageid is None:
        raise ApiError("missingparam", f'One of the parameters "{p}title" and "{p}pageid" is required.',
                       module="backlinks")
    if title is not None:
        try:
            _ns, target = wiki.normalize_title(title)
        except ValueError:
            raise ApiError("invalidtitle", f'Bad title "{title}".', module="backlinks") from None
    else:
        page = wiki.page_by_id(int(pageid) if pageid and pageid.isdigit() else 0)
        if page is None:
            raise ApiError("nosuchpageid", f"There is no page with ID {pageid}.", module="backlinks")
        target = page.title
    namespaces = _namespaces(req, f"{p}namespace")
    redirects = req.enum(f"{p}filterredir", ("all", "redirects", "nonredirects"), "all")
    descending = req.enum(f"{p}dir", ("ascending", "descending"), "ascending") == "descending"
    req.unsupported(f"{p}redirect")  # the pages linking through a redirect (a nested list): not imitated
    limit = req.limit(f"{p}limit", 10, 500, 5000, module="backlinks")
    cont = req.get(f"{p}continue")
    start = 0
    if cont:
        try:
            start = int(cont.split("|")[-1])
        except ValueError:
            raise ApiError("badcontinue", "Invalid continue param. You should pass the original value returned "
                           "by the previous query.", module="backlinks") from None
    linking = sorted(wiki.backlinks(target), key=lambda pg: pg.pageid, reverse=descending)
    if redirects != "all":
        linking = [pg for pg in linking if (wiki.redirect_target(pg) is not None) == (redirects == "redirects")]
    chosen: list[Page] = []
    for page in linking:
        if cont and (page.pageid > start if descending else page.pageid < start):
            continue
        if namespaces is not None and page.ns not in namespaces:
            continue
        if len(chosen) >= limit:
            return chosen, f"{wiki.normalize_title(target)[0]}|{target.split(':', 1)[-1].replace(' ', '_')}|{page.pageid}"
        chosen.append(page)
    return chosen, None


def backlinks(req: ApiRequest) -> dict[str, Any]:
    return {"backlinks": _page_rows(_continued(req, _backlinks(req, "bl"), "blcontinue"))}


def backlinks_generator(req: ApiRequest) -> list[Page]:
    return _continued(req, _backlinks(req, "gbl"), "gblcontinue", generator=True)
