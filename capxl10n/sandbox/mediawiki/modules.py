"""MediaWiki core modules: login, tokens, siteinfo, userinfo, edit, delete, paraminfo.

Why these shapes: they are what mwclient and our adapters read, copied from
the recordings in ``mediawiki-responses/`` (MediaWiki 1.39). Query modules
that list pages (revisions, info, allpages, recentchanges, backlinks) are in
:mod:`capxl10n.sandbox.mediawiki.query`. Extensions hook into ``action=edit`` with
``site.edit_filters`` (before the save: may change text/model/tags, refuse,
or disable the pre-save transform) — Translate uses it for unit pages and the
message bundle.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from capxl10n.sandbox.api.errors import ApiError
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.mediawiki import query as mwquery
from capxl10n.sandbox.store.wiki import (EditConflict, InvalidTitle, NoSuchRevision, Page, PageExists,
                                         PageMissing, SaveResult, User)

GENERATOR = "MediaWiki 1.39.17"
TOKEN_TYPES = ("createaccount", "csrf", "deleteglobalaccount", "login", "patrol", "rollback",
               "setglobalaccountstatus", "userrights", "watch")
SIPROPS = ("general", "namespaces", "namespacealiases", "specialpagealiases", "magicwords", "interwikimap",
           "dbrepllag", "statistics", "usergroups", "libraries", "extensions", "fileextensions", "rightsinfo",
           "restrictions", "languages", "languagevariants", "skins", "extensiontags", "functionhooks",
           "showhooks", "variables", "protocols", "defaultoptions", "uploaddialog")
UIPROPS = ("blockinfo", "hasmsg", "groups", "groupmemberships", "implicitgroups", "rights", "changeablegroups",
           "options", "editcount", "ratelimits", "theoreticalratelimits", "email", "realname",
           "acceptlang", "registrationdate", "unreadcount", "centralids", "latestcontrib", "cancreateaccount")


@dataclass
class EditContext:
    """What an edit filter sees and may change before the save."""

    title: str
    ns: int
    text: str
    content_model: str | None
    page: Page | None
    user: User
    tags: list[str] = field(default_factory=list)
    pst: bool = True
    after_save: list[Callable[[SaveResult], None]] = field(default_factory=list)


def install(site: Site, *, sitename: str = "TestWiki") -> None:
    """Register the core modules on ``site``."""
    site.siteinfo_extra.setdefault("sitename", sitename)
    if not hasattr(site, "edit_filters"):
        site.edit_filters = []  # type: ignore[attr-defined]
    site.register_action("login", login, must_post=True)
    site.register_action("edit", edit, must_post=True, token="csrf", write=True)
    site.register_action("delete", delete, must_post=True, token="csrf", write=True)
    site.register_action("paraminfo", paraminfo)
    site.register_query("meta", "tokens", tokens)
    site.register_query("meta", "siteinfo", siteinfo)
    site.register_query("meta", "userinfo", userinfo)
    mwquery.install(site)


# -- login and tokens -------------------------------------------------------

def login(req: ApiRequest) -> dict[str, Any]:
    name = req.get("lgname") or ""
    password = req.get("lgpassword") or ""
    token = req.get("lgtoken")
    req.get("lgdomain")
    wiki = req.site.wiki
    if token is None:
        req.deprecated("login", 'Fetching a token via "action=login" is deprecated. Use '
                       '"action=query&meta=tokens&type=login" instead.', "action=login&!lgtoken")
    if req.session is None:
        if token is None:
            req.session = wiki.new_session()
            return {"login": {"result": "NeedToken", "token": req.session.login_token}}
        return {"login": {"result": "Failed",
                          "reason": "Unable to continue login. Your session most likely timed out."}}
    if token is None:
        return {"login": {"result": "NeedToken", "token": req.session.login_token}}
    if token != req.session.login_token:
        return {"login": {"result": "WrongToken"}}
    user = wiki.check_bot_password(name, password)
    if user is None:
        return {"login": {"result": "Failed", "reason": "Incorrect username or password entered. Please try again."}}
    wiki.log_in(req.session, user)
    req.user = user
    return {"login": {"result": "Success", "lguserid": user.id, "lgusername": user.name}}


def tokens(req: ApiRequest) -> dict[str, Any]:
    kinds = req.multi("type", TOKEN_TYPES, default=["csrf"])
    out: dict[str, str] = {}
    for kind in kinds:
        if kind == "login":
            if req.session is None:
                req.session = req.site.wiki.new_session()
            out["logintoken"] = req.session.login_token
        elif kind == "createaccount":
            out["createaccounttoken"] = req.expected_token("csrf")
        else:
            out[f"{kind}token"] = req.expected_token("csrf")
    return {"tokens": out}


# -- siteinfo and userinfo ---------------------------------------------------

def siteinfo(req: ApiRequest) -> dict[str, Any]:
    props = req.multi("siprop", SIPROPS, default=["general"])
    req.get("sifilteriw")
    req.get("sishowalldb")
    req.get("sinumberingroup")
    req.get("siinlanguagecode")
    site = req.site
    out: dict[str, Any] = {}
    if "general" in props:
        out["general"] = general(req)
    if "namespaces" in props:
        out["namespaces"] = namespaces(req)
    if "namespacealiases" in props:
        out["namespacealiases"] = []
    if "statistics" in props:
        pages = len(site.wiki.pages)
        out["statistics"] = {"pages": pages, "articles": pages, "edits": len(site.wiki.revisions),
                             "images": 0, "users": len(site.wiki.users), "activeusers": 2, "admins": 1,
                             "jobs": 0}
    if "dbrepllag" in props:
        out["dbrepllag"] = [{"host": "db-sandbox", "lag": int(site.faults.lag(site))}]
    for name in props:
        if name not in out:
            out[name] = []
    return out


def general(req: ApiRequest) -> dict[str, Any]:
    site = req.site
    server = site.server
    return {
        "mainpage": "Main Page", "base": f"{server}{site.base_path}/wiki/Main_Page",
        "sitename": site.siteinfo_extra.get("sitename", "TestWiki"), "mainpageisdomainroot": False,
        "logo": f"{server}/resources/assets/change-your-logo.svg", "generator": GENERATOR,
        "phpversion": "8.2.36", "phpsapi": "sandbox", "dbtype": "sqlite", "dbversion": "3.40.1",
        "imagewhitelistenabled": False, "langconversion": True, "linkconversion": True, "titleconversion": True,
        "linkprefixcharset": "", "linkprefix": "", "linktrail": "/^([a-z]+)(.*)$/sD",
        "legaltitlechars": " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+",
        "invalidusernamechars": "@:>", "allunicodefixes": False, "fixarabicunicode": True,
        "fixmalayalamunicode": True, "case": "first-letter", "lang": "en", "fallback": [], "rtl": False,
        "fallback8bitEncoding": "windows-1252",
        "readonly": site.faults.readonly_reason(site) is not None,
        **({"readonlyreason": site.faults.readonly_reason(site)} if site.faults.readonly_reason(site) else {}),
        "writeapi": True, "maxarticlesize": 2097152, "timezone": "UTC", "timeoffset": 0,
        "articlepath": f"{site.base_path}/wiki/$1", "scriptpath": f"{site.base_path}/w",
        "script": f"{site.base_path}/w/index.php", "variantarticlepath": False, "server": server,
        "servername": "127.0.0.1", "wikiid": f"sandbox_{site.name}",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(site.wiki.clock())), "misermode": False,
        "uploadsenabled": False, "maxuploadsize": 104857600, "minuploadchunksize": 1024,
        "galleryoptions": {"imagesPerRow": 0, "imageWidth": 120, "imageHeight": 120, "captionLength": True,
                           "showBytes": True, "showDimensions": True, "mode": "traditional"},
        "thumblimits": {str(i): v for i, v in enumerate((120, 150, 180, 200, 250, 300))},
        "imagelimits": {str(i): {"width": w, "height": h} for i, (w, h) in enumerate(
            ((320, 240), (640, 480), (800, 600), (1024, 768), (1280, 1024), (2560, 2048)))},
        "favicon": f"{server}/favicon.ico", "centralidlookupprovider": "local",
        "allcentralidlookupproviders": ["local"], "interwikimagic": True, "magiclinks": {"ISBN": False,
                                                                                          "PMID": False,
                                                                                          "RFC": False},
        "categorycollation": "uppercase", "nofollowlinks": True, "nofollownsexceptions": [],
        "nofollowdomainexceptions": ["mediawiki.org"], "externallinktarget": False,
        **{k: v for k, v in site.siteinfo_extra.items() if k != "sitename"},
    }


def namespaces(req: ApiRequest) -> dict[str, Any]:
    wiki = req.site.wiki
    out: dict[str, Any] = {}
    key = req.text_key("name")
    for ns, name in sorted(wiki.namespaces.items()):
        entry: dict[str, Any] = {"id": ns, "case": "first-letter"}
        entry[key] = name
        entry["subpages"] = ns not in (-2, -1, 0, 6) and ns % 2 == 1 or ns in (2, 4, 8, 10, 12, 828, 1198)
        if name:
            entry["canonical"] = name
        entry["content"] = ns in req.site.content_namespaces
        entry["nonincludable"] = False
        if ns in req.site.namespace_protection:
            entry["namespaceprotection"] = req.site.namespace_protection[ns]
        if wiki.content_models.get(ns, "").startswith("wikibase"):
            entry["defaultcontentmodel"] = wiki.content_models[ns]
        out[str(ns)] = entry
    return out


def userinfo(req: ApiRequest) -> dict[str, Any]:
    props = req.multi("uiprop", UIPROPS)
    req.get("uiattachedwiki")
    user = req.user
    if user is None:
        out: dict[str, Any] = {"id": 0, "name": req.user_name, "anon": True}
        groups, rights = ["*"], sorted(req.site.anon_rights) if hasattr(req.site, "anon_rights") else [
            "read", "edit", "createpage", "createtalk", "writeapi"]
    else:
        out = {"id": user.id, "name": user.name}
        groups, rights = list(user.groups), sorted(user.rights)
    if "blockinfo" in props:
        pass
    if "hasmsg" in props:
        out["messages"] = False
    if "groups" in props:
        out["groups"] = groups
    if "rights" in props:
        out["rights"] = rights
    if "editcount" in props and user is not None:
        out["editcount"] = sum(1 for r in req.site.wiki.revisions.values() if r.userid == user.id)
    return {"userinfo": out}


# -- edit -------------------------------------------------------------------

def _edit_target(req: ApiRequest) -> tuple[int, str, Page | None]:
    title = req.get("title")
    pageid = req.get("pageid")
    if title is None and pageid is None:
        raise ApiError("missingparam", 'One of the parameters "title" and "pageid" is required.', module=req.module)
    if title is not None and pageid is not None:
        raise ApiError("invalidparammix", 'The parameters "title" and "pageid" can not be used together.',
                       module=req.module)
    wiki = req.site.wiki
    if pageid is not None:
        page_id = req.int("pageid")
        page = wiki.page_by_id(page_id or 0)
        if page is None:
            raise ApiError("nosuchpageid", f"There is no page with ID {pageid}.", module=req.module)
        return page.ns, page.title, page
    assert title is not None
    try:
        ns, norm = wiki.normalize_title(title)
    except InvalidTitle:
        raise ApiError("invalidtitle", f'Bad title "{title}".', module=req.module) from None
    return ns, norm, wiki.page(norm)


def edit(req: ApiRequest) -> dict[str, Any]:
    ns, title, page = _edit_target(req)
    text = req.get("text")
    append = req.get("appendtext")
    prepend = req.get("prependtext")
    if req.get("undo") is not None:
        raise ApiError("nosuchrevid", "undo is not supported by the sandbox.", module=req.module)
    if text is None and append is None and prepend is None:
        raise ApiError("missingparam", 'At least one of the parameters "text", "appendtext", "prependtext" and '
                       '"undo" is required.', module=req.module)
    for name in ("starttimestamp", "recreate", "notminor", "watchlistexpiry", "md5", "section",
                 "sectiontitle", "contentformat", "redirect", "nosuchsection", "captchaid", "captchaword",
                 "undoafter", "returnto", "returntoquery", "returntoanchor"):
        req.get(name)
    summary = req.get("summary") or ""
    watch_mode = req.enum("watchlist", ("watch", "unwatch", "preferences", "nochange"), "preferences") or ""
    base_revid = req.int("baserevid")
    base_ts = req.timestamp("basetimestamp")
    create_only = req.flag("createonly")
    no_create = req.flag("nocreate")
    bot = req.flag("bot") and req.has_right("bot")
    minor = req.flag("minor")
    model = req.get("contentmodel")
    tags = [t for t in (req.get("tags") or "").split("|") if t]
    user = _acting_user(req)
    if not req.has_right("edit"):
        raise ApiError("permissiondenied", "You do not have permission to edit this page.", module=req.module)
    if page is None and not req.has_right("createpage"):
        raise ApiError("cantcreate", "You do not have permission to create new pages.", module=req.module)
    current = page.text if page is not None else ""
    if text is None:
        text = (prepend or "") + current + (append or "")
    if page is None and model is None and title.endswith(".json") and ns in (2, 4, 8, 828):
        model = "json"  # MediaWiki's JSON content handler claims *.json pages in these namespaces
    if page is None and not summary:
        summary = f'Created page with "{text[:200]}"'
    ctx = EditContext(title, ns, text, model, page, user, tags)
    for edit_filter in getattr(req.site, "edit_filters", []):
        edit_filter(req, ctx)
    final_text = ctx.text.rstrip()
    if ctx.pst and (ctx.content_model or (page.content_model if page else
                                          req.site.wiki.content_models.get(ns, "wikitext"))) == "wikitext":
        final_text = pre_save_transform(final_text, user.name, req.site.wiki.clock())
    wiki = req.site.wiki
    try:
        result = wiki.save_page(title, final_text, user=user, summary=summary, content_model=ctx.content_model,
                                base_revid=base_revid, base_timestamp=base_ts, create_only=create_only,
                                no_create=no_create, bot=bot, minor=minor, tags=ctx.tags)
    except PageExists as exc:
        raise ApiError("articleexists", str(exc), module=req.module) from None
    except PageMissing as exc:
        raise ApiError("missingtitle", str(exc), module=req.module) from None
    except EditConflict as exc:
        raise ApiError("editconflict", str(exc), module=req.module) from None
    except NoSuchRevision as exc:
        raise ApiError("nosuchrevid", str(exc), module=req.module) from None
    for hook in ctx.after_save:
        hook(result)
    watched = _watch(req, user, result.page.pageid, watch_mode)
    out: dict[str, Any] = {}
    if result.new:
        out["new"] = True
    out.update({"result": "Success", "pageid": result.page.pageid, "title": result.page.title,
                "contentmodel": result.page.content_model})
    if result.nochange:
        out["nochange"] = True
    else:
        assert result.revision is not None
        out.update({"oldrevid": result.old_revid, "newrevid": result.revision.revid,
                    "newtimestamp": result.revision.timestamp})
    if watched:
        out["watched"] = True
    return {"edit": out}


def _acting_user(req: ApiRequest) -> User:
    if req.user is not None:
        return req.user
    wiki = req.site.wiki
    return wiki.users.get(req.user_name) or wiki.add_user(req.user_name, groups=("*",),
                                                             rights=frozenset({"read", "edit", "createpage",
                                                                               "createtalk", "writeapi"}),
                                                             system=True)


def _watch(req: ApiRequest, user: User, pageid: int, mode: str) -> bool:
    """ApiWatchlistTrait::getWatchlistValue with 1.39's defaults (watchdefault=1, watchcreations=1).

    ``preferences`` (the default) watches every page a non-bot user saves; bots
    keep their current state so their watchlists stay small.
    """
    watchers = _watchlist(req.site, user)
    watching = pageid in watchers
    if mode == "watch":
        watch = True
    elif mode == "unwatch":
        watch = False
    elif mode == "preferences":
        watch = watching or "bot" not in user.rights
    else:
        watch = watching
    if watch:
        watchers.add(pageid)
    elif mode == "unwatch":
        watchers.discard(pageid)
    return watch


def _watchlist(site: Site, user: User) -> set[int]:
    lists: dict[int, set[int]] = site.__dict__.setdefault("_watchlists", {})
    return lists.setdefault(user.id, set())


_SIG5 = re.compile(r"(?<!~)~~~~~(?!~)")
_SIG4 = re.compile(r"(?<!~)~~~~(?!~)")
_SIG3 = re.compile(r"(?<!~)~~~(?!~)")


def pre_save_transform(text: str, user: str, now: float) -> str:
    """The signature part of MediaWiki's pre-save transform (``~~~``, ``~~~~``, ``~~~~~``)."""
    if "~~~" not in text:
        return text
    stamp = time.strftime("%H:%M, %-d %B %Y (UTC)", time.gmtime(now))
    sig = f"[[User:{user}|{user}]] ([[User talk:{user}|talk]])"
    text = _SIG5.sub(stamp, text)
    text = _SIG4.sub(f"{sig} {stamp}", text)
    return _SIG3.sub(sig, text)


# -- delete and paraminfo ------------------------------------------------------

def delete(req: ApiRequest) -> dict[str, Any]:
    ns, title, page = _edit_target(req)
    reason = req.get("reason") or ""
    for name in ("tags", "watch", "watchlist", "watchlistexpiry", "unwatch", "oldimage", "deletetalk"):
        req.get(name)
    if not req.has_right("delete"):
        sitename = req.site.siteinfo_extra.get("sitename", "TestWiki")
        raise ApiError("permissiondenied", "The action you have requested is limited to users in the group: "
                       f"[[{sitename}:Administrators|Administrators]].", module=req.module)
    if page is None:
        raise ApiError("missingtitle", "The page you specified doesn't exist.", module=req.module)
    row = req.site.wiki.delete_page(title, user=_acting_user(req), reason=reason)
    return {"delete": {"title": title, "reason": reason, "logid": row.rcid}}


def paraminfo(req: ApiRequest) -> dict[str, Any]:
    modules = req.multi("modules", None)
    req.get("helpformat")
    for name in ("querymodules", "mainmodule", "pagesetmodule", "formatmodules"):
        req.get(name)
    out = []
    site = req.site
    for name in modules:
        path = name
        bare = name.split("+")[-1]
        known = bare in site.actions or bare == "query" or any(bare in site.queries[k] for k in site.queries)
        if not known:
            req.warn("paraminfo", f'The module "{name}" does not have a submodule "{bare}".', "badmodule")
            continue
        params = getattr(site, "param_info", {}).get(bare, [])
        out.append({"name": bare, "classname": f"Sandbox\\{bare}", "path": path, "group": "action",
                    "prefix": "", "source": "MediaWiki", "sourcename": "mediawiki",
                    "licensetag": "GPL-2.0-or-later", "licenselink": "", "parameters": params,
                    "templatedparameters": []})
    return {"paraminfo": {"modules": out}}
