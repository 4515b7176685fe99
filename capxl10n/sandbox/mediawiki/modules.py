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

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from capxl10n.sandbox.api.errors import ANON_RIGHTS, ApiError, unsupported
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.mediawiki import history, pageprops, sections
from capxl10n.sandbox.mediawiki import query as mwquery
from capxl10n.sandbox.mediawiki.query import CONTENT_FORMATS as CONTENT_MODELS
from capxl10n.sandbox.store.merge3 import merge3
from capxl10n.sandbox.store.wiki import (EditConflict, InvalidTitle, NoSuchRevision, Page, PageExists,
                                         PageMissing, SaveResult, User, parse_ts)

GENERATOR = "MediaWiki 1.39.17"
#: Namespaces where a ``*.json`` title is a JSON page (User, MediaWiki, Module), as on the peer.
JSON_TITLE_NAMESPACES = (2, 8, 828)
TOKEN_TYPES = ("createaccount", "csrf", "deleteglobalaccount", "login", "patrol", "rollback",
               "setglobalaccountstatus", "userrights", "watch")
SIPROPS = ("general", "namespaces", "namespacealiases", "specialpagealiases", "magicwords", "interwikimap",
           "dbrepllag", "statistics", "usergroups", "libraries", "extensions", "fileextensions", "rightsinfo",
           "restrictions", "languages", "languagevariants", "skins", "extensiontags", "functionhooks",
           "showhooks", "variables", "protocols", "defaultoptions", "uploaddialog")
UIPROPS = ("blockinfo", "hasmsg", "groups", "groupmemberships", "implicitgroups", "rights", "changeablegroups",
           "options", "editcount", "ratelimits", "theoreticalratelimits", "email", "realname",
           "acceptlang", "registrationdate", "unreadcount", "centralids", "latestcontrib")


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
    site.register_action("login", login, must_post=True)
    site.register_action("edit", edit, must_post=True, token="csrf", write=True)
    site.register_action("delete", delete, must_post=True, token="csrf", write=True)
    site.register_action("paraminfo", paraminfo)
    site.register_query("meta", "tokens", tokens)
    site.register_query("meta", "siteinfo", siteinfo)
    site.register_query("meta", "userinfo", userinfo)
    mwquery.install(site)
    pageprops.install(site)
    history.install(site)


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
    if "extensions" in props:
        out["extensions"] = [{**ext, "license": f"{site.base_path}/w/index.php/Special:Version/License/{ext['name']}"}
                             for ext in site.extensions]
    if "magicwords" in props:
        out["magicwords"] = [{"name": "redirect", "aliases": ["#REDIRECT"], "case-sensitive": False}]
    if "usergroups" in props:
        out["usergroups"] = _usergroups(req)
    if "restrictions" in props:
        out["restrictions"] = {"types": ["create", "edit", "move", "upload"], "levels": ["", "autoconfirmed", "sysop"],
                               "cascadinglevels": ["sysop"], "semiprotectedlevels": ["autoconfirmed"]}
    missing = [name for name in props if name not in out]
    if missing:
        raise unsupported(f"siteinfo's {', '.join(missing)}", "siteinfo")
    return out


def _usergroups(req: ApiRequest) -> list[dict[str, Any]]:
    """The groups this wiki's users are in, with their rights (``siprop=usergroups``)."""
    groups: dict[str, set[str]] = {"*": set(ANON_RIGHTS)}
    for user in req.site.wiki.users.values():
        for group in user.groups:
            groups.setdefault(group, set()).update(user.rights if group != "*" else ())
    return [{"name": name, "rights": sorted(rights)} for name, rights in sorted(groups.items())]


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
    """meta=userinfo with the props clients ask for (pywikibot: blockinfo, hasmsg, ratelimits, rights), in the
    key order of 1.39; ``options`` and ``email`` need grants a bot password lacks, so they are refused."""
    props = req.multi("uiprop", UIPROPS)
    req.get("uiattachedwiki")
    if "options" in props:
        raise unsupported('userinfo\'s "options"', "userinfo")
    user = req.user
    wiki = req.site.wiki
    if user is None:
        out: dict[str, Any] = {"id": 0, "name": req.user_name, "anon": True}
        groups, rights = ["*"], sorted(ANON_RIGHTS)
    else:
        out = {"id": user.id, "name": user.name}
        groups, rights = list(user.groups), sorted(user.rights)
    mine = [r for r in wiki.revisions.values() if user is not None and r.userid == user.id]
    if "hasmsg" in props:
        out["messages"] = False
    if "groups" in props:
        out["groups"] = groups
    if "groupmemberships" in props:
        out["groupmemberships"] = [{"group": g, "expiry": "infinity"} for g in sorted(groups)
                                   if g not in ("*", "user", "autoconfirmed")]
    if "implicitgroups" in props:
        out["implicitgroups"] = ["*"] if user is None else ["*", "user", "autoconfirmed"]
    if "rights" in props:
        out["rights"] = rights
    if "changeablegroups" in props:
        out["changeablegroups"] = {"add": [], "remove": [], "add-self": [], "remove-self": []}
    if "editcount" in props:
        out["editcount"] = len(mine)
    for name in ("ratelimits", "theoreticalratelimits"):
        if name in props:
            out[name] = {}  # MediaWiki's default $wgRateLimits set none for these groups
    if "realname" in props:
        out["realname"] = ""
    if "email" in props and user is None:
        out["email"] = ""
    if "registrationdate" in props and user is not None:
        out["registrationdate"] = min((r.timestamp for r in mine), default=wiki.current_timestamp())
    if "acceptlang" in props:
        out["acceptlang"] = []
    if "unreadcount" in props:
        out["unreadcount"] = 0
    if "centralids" in props:
        out["centralids"] = {"local": out["id"]}
        out["attachedlocal"] = {"local": user is not None}
    if "latestcontrib" in props and mine:
        out["latestcontrib"] = max(r.timestamp for r in mine)
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


def _title_default_model(wiki: Any, ns: int, title: str) -> str:
    """The content model a new page gets without ``contentmodel``: the namespace's, or JSON for ``*.json``
    in User, MediaWiki and Module (measured on the peer: ``Project:X.json`` stays wikitext)."""
    if title.endswith(".json") and ns in JSON_TITLE_NAMESPACES:
        return "json"
    return str(wiki.content_models.get(ns, "wikitext"))


def _section_text(req: ApiRequest, page: Page | None, model: str, section: str | None, text: str | None,
                  append: str | None, prepend: str | None, section_title: str | None) -> str:
    """The page text to save: the whole ``text``, or one section (or a new one) changed as EditPage does."""
    current = page.text if page is not None else ""
    if section is None:
        return text if text is not None else (prepend or "") + current + (append or "")
    if section == "new":
        if model != "wikitext":
            raise ApiError("internal_api_error_ErrorPageError", "[sandbox] Exception caught: Section editing is "
                           "not supported in this page or is disabled for this view.",
                           data={"errorclass": "ErrorPageError"}, module=req.module)
        body = text if text is not None else (prepend or "") + (append or "")
        return sections.append_section(current, section_title, body)
    number = int(section)
    old = sections.section_text(current, number) if model == "wikitext" else None
    if old is None:
        if number == 0 and page is None:
            old = ""
        else:
            raise ApiError("nosuchsection", f"There is no section {section}.", module=req.module,
                           params=[section])
    new = text if text is not None else (prepend or "") + old + (append or "")
    if page is None:
        return new
    replaced = sections.replace_section(current, number, new)
    assert replaced is not None
    return replaced


def _undone(req: ApiRequest, page: Page | None, undo: int, undo_after: int | None) -> str:
    """``undo`` (and ``undoafter``): the page with those revisions' change taken back by the same three-way
    merge as an edit conflict (``undofailure`` when later edits touch the same or adjacent lines)."""
    wiki = req.site.wiki
    rev = wiki.revision(undo)
    if rev is None:
        raise ApiError("nosuchrevid", f"There is no revision with ID {undo}.", module=req.module, params=[undo])
    after_id = undo_after if undo_after else rev.parentid
    after = wiki.revision(after_id) if after_id else None
    if after is None:
        shown = undo_after if undo_after else ""
        raise ApiError("nosuchrevid", f"There is no revision with ID {shown}.", module=req.module, params=[shown])
    title = page.title if page is not None else str(req.params.get("title", ""))
    for checked in (rev, after):
        if page is None or checked.pageid != page.pageid:  # ApiEditPage: each must be of this page
            raise ApiError("revwrongpage", f"r{checked.revid} is not a revision of {title}.", module=req.module,
                           params=[checked.revid, title])
    assert page is not None
    merged = merge3(rev.content, after.content, page.text)
    if merged is None:
        raise ApiError("undofailure", "The edit could not be undone due to conflicting intermediate edits.",
                       module=req.module)
    return merged


def _json_content(req: ApiRequest, text: str) -> str:
    """JsonContent: invalid JSON is refused (``invalid-json-data``); valid JSON is saved pretty-printed with
    tabs (its pre-save transform)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ApiError("invalid-json-data", "Invalid JSON: Syntax error", module=req.module) from None
    if not isinstance(data, (dict, list)):
        return text.strip()
    return json.dumps(data, ensure_ascii=False, indent="\t", separators=(",", ": "))


def edit(req: ApiRequest) -> dict[str, Any]:
    """action=edit as ApiEditPage 1.39: whole page, one section or a new one, with its guards."""
    text = req.get("text")
    append = req.get("appendtext")
    prepend = req.get("prependtext")
    undo = req.int("undo", None, 0)
    undo_after = req.int("undoafter", None, 0)
    if text is None and append is None and prepend is None and not undo:
        raise ApiError("missingparam", 'At least one of the parameters "text", "appendtext" and "prependtext" is '
                       "required.", module=req.module, key="apierror-missingparam-at-least-one-of",
                       params=[{"list": ["<var>text</var>", "<var>appendtext</var>", "<var>prependtext</var>",
                                         "<var>undo</var>"], "type": "text"}, 4])
    ns, title, page = _edit_target(req)
    wiki = req.site.wiki
    section = req.get("section")
    section_title = req.get("sectiontitle")
    summary = req.get("summary")
    md5 = req.get("md5")
    tags = req.multi("tags", None)
    watch_mode = req.enum("watchlist", ("watch", "unwatch", "preferences", "nochange"), "preferences") or ""
    for old_name, mode in (("watch", "watch"), ("unwatch", "unwatch")):
        if req.flag(old_name):
            req.deprecated(req.module, f'The parameter "{old_name}" has been deprecated.', f"edit&{old_name}",
                           key="apiwarn-deprecation-parameter", params=[old_name])
            watch_mode = mode
    base_revid = req.int("baserevid")
    base_ts = req.timestamp("basetimestamp")
    start_ts = req.timestamp("starttimestamp")
    recreate = req.flag("recreate")
    create_only = req.flag("createonly")
    no_create = req.flag("nocreate")
    bot = req.flag("bot") and req.has_right("bot")
    minor, notminor = req.flag("minor"), req.flag("notminor")
    minor = minor and not notminor
    follow = req.flag("redirect")
    model = req.enum("contentmodel", sorted(CONTENT_MODELS))
    content_format = req.get("contentformat")
    out: dict[str, Any] = {}
    if follow and page is not None and wiki.redirect_target(page) is not None:
        if text is not None and section != "new":
            raise ApiError("redirect-appendonly", "You have attempted to edit using the redirect-following mode, "
                           'which must be used in conjunction with "section=new", "prependtext", or "appendtext".',
                           module=req.module)
        target = wiki.redirect_target(page)
        assert target is not None
        out["redirects"] = {"from": title, "to": target}
        ns, title = wiki.normalize_title(target)
        page = wiki.page(title)
    effective_model = model or (page.content_model if page is not None else _title_default_model(wiki, ns, title))
    if content_format is not None and content_format != CONTENT_MODELS.get(effective_model, "text/plain"):
        raise ApiError("badformat", f"The requested format {content_format} is not supported for content model "
                       f"{effective_model} used by {title.replace(' ', '_')}.", module=req.module,
                       params=[content_format, effective_model, title])
    if section is not None:
        if not re.fullmatch(r"[0-9]+|new", section):
            if re.fullmatch(r"T-[0-9]+", section):
                raise unsupported("sections of transcluded templates (section=T-n)", req.module)
            raise ApiError("invalidsection", 'The "section" parameter must be a valid section ID or "new".',
                           module=req.module)
        if section not in ("0", "new") and (page is None or effective_model != "wikitext"
                                            or sections.section_text(page.text, int(section)) is None):
            raise ApiError("nosuchsection", f"There is no section {section}.", module=req.module, params=[section])
    if md5 is not None:
        sent = text if text is not None else (prepend or "") + (append or "")
        if hashlib.md5(sent.encode("utf-8")).hexdigest() != md5.lower():
            raise ApiError("badmd5", "The supplied MD5 hash was incorrect.", module=req.module)
    refused = [tag for tag in tags if tag not in req.site.change_tags]
    if refused:
        names = ", ".join(f'"{t}"' for t in refused)
        info = (f"The tag {names} is not allowed to be manually applied." if len(refused) == 1
                else f"The following tags are not allowed to be manually applied: {names}")
        raise ApiError("badtags", info, data={"disallowedtags": refused}, module=req.module)
    user = _acting_user(req)
    if not req.has_right("edit"):
        raise ApiError("permissiondenied", "You do not have permission to edit this page.", module=req.module)
    if page is None and not req.has_right("createpage"):
        raise ApiError("cantcreate", "You do not have permission to create new pages.", module=req.module)
    _check_protected(req, ns, title, user)
    if page is None and start_ts and not recreate:
        deleted = wiki.deleted.get(title)
        if deleted is not None and parse_ts(deleted) >= parse_ts(start_ts):
            raise ApiError("pagedeleted", "The page has been deleted since you fetched its timestamp.",
                           module=req.module)
    heading = section_title or (summary if section == "new" else None)  # EditPage: a summary alone titles it
    if undo:
        new_text = _undone(req, page, undo, undo_after)
    else:
        new_text = _section_text(req, page, effective_model, section, text, append, prepend, heading)
    default_model = _title_default_model(wiki, ns, title)
    ctx = EditContext(title, ns, new_text, model if model is not None or page is not None else default_model,
                      page, user, list(tags))
    for edit_filter in req.site.edit_filters:
        edit_filter(req, ctx)
    final_model = ctx.content_model or (page.content_model if page is not None else default_model)
    final_text = ctx.text.rstrip()
    if final_model == "json":
        final_text = _json_content(req, final_text)
    if ctx.pst and final_model == "wikitext":
        final_text = pre_save_transform(final_text, user.name, wiki.clock())
    summary = _edit_summary(summary, section, section_title, page, final_text)
    try:
        result = wiki.save_page(title, final_text, user=user, summary=summary, content_model=ctx.content_model,
                                base_revid=base_revid, base_timestamp=base_ts, create_only=create_only,
                                no_create=no_create, bot=bot, minor=minor, tags=ctx.tags,
                                log_model=page is None and final_model != default_model)
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
    answer: dict[str, Any] = {}
    if result.new:
        answer["new"] = True
    answer.update({"result": "Success", "pageid": result.page.pageid, "title": result.page.title,
                   "contentmodel": result.page.content_model})
    if result.nochange:
        answer["nochange"] = True
    else:
        assert result.revision is not None
        answer.update({"oldrevid": result.old_revid, "newrevid": result.revision.revid,
                       "newtimestamp": result.revision.timestamp})
    if watched:
        answer["watched"] = True
    out["edit"] = answer
    return out


_USER_CODE = {".json": "json", ".css": "css", ".js": "js"}


def _check_protected(req: ApiRequest, ns: int, title: str, user: User) -> None:
    """Interface and personal pages (measured on the peer): ``MediaWiki:`` needs ``editinterface``; a user's
    ``.json``/``.css``/``.js`` subpages need rights no bot password grants (``mycustom…``/``custom…protected``)."""
    kind = next((k for suffix, k in _USER_CODE.items() if title.endswith(suffix)), None)
    if ns == 8 and not req.has_right("editinterface"):
        err = ApiError("protectednamespace-interface", "This page provides interface text for the software on this "
                       "wiki, and is protected to prevent abuse. To add or change translations for all wikis, "
                       "please use [https://translatewiki.net/ translatewiki.net], the MediaWiki localisation project.",
                       module=req.module)
        if kind is not None:
            err.headers["MediaWiki-API-Error"] = f"protectednamespace-interface, site{kind}protected"
        raise err
    if ns == 2 and kind is not None and "/" in title:
        owner = title.split(":", 1)[1].split("/", 1)[0]
        label = kind.upper() if kind != "js" else "JavaScript"
        if owner == user.name:
            raise ApiError(f"mycustom{kind}protected", f"You do not have permission to edit this {label} page.",
                           module=req.module)
        raise ApiError(f"custom{kind}protected", f"You do not have permission to edit this {label} page because "
                       "it contains another user's personal settings.", module=req.module)


def _edit_summary(summary: str | None, section: str | None, section_title: str | None, page: Page | None,
                  text: str) -> str:
    """The summary EditPage saves: as given; for ``section=new`` ``/* title */ new section`` when only a title
    (or only a summary, which is then the title) was given; for a new page "Created page with …"."""
    if section == "new":
        title = section_title or summary
        if summary and section_title:
            return summary
        if title:
            return f"/* {title} */ new section"
        return ""
    if summary:
        return summary
    if page is None:
        return f'Created page with "{_autosummary(text)}"'
    return ""


def _autosummary(text: str) -> str:
    """The text of ``Created page with "…"``: each line break a space, cut to 200 characters."""
    return re.sub(r"[\r\n]", " ", text)[:200]


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
    return {"delete": {"title": title, "reason": reason, "logid": row.logid}}


def paraminfo(req: ApiRequest) -> dict[str, Any]:
    """action=paraminfo: the real modules' descriptions (copied from the peer: ``api/paraminfo_data.py``),
    for the modules this site implements; ``main`` and ``query`` list only those (pywikibot builds and
    checks every request from them)."""
    paths = req.multi("modules", None)
    req.enum("helpformat", ("html", "wikitext", "raw", "none"), "none")
    out: dict[str, Any] = {"helpformat": "none"}
    for name, key, prefix in (("querymodules", "querymodules", "query+"),):
        legacy = req.multi(name, None)
        if legacy:
            req.deprecated("paraminfo", f'The parameter "{name}" has been deprecated.', f"paraminfo&{name}",
                           key="apiwarn-deprecation-parameter", params=[name])
            out[key] = [m for m in (_module_info(req, prefix + n) for n in legacy) if m is not None]
    if req.flag("mainmodule"):
        req.deprecated("paraminfo", 'The parameter "mainmodule" has been deprecated.', "paraminfo&mainmodule",
                       key="apiwarn-deprecation-parameter", params=["mainmodule"])
        out["mainmodule"] = _module_info(req, "main")
    req.unsupported("pagesetmodule", "formatmodules")
    modules = []
    for path in _expand(req, paths):
        info = _module_info(req, path)
        if info is not None:
            modules.append(info)
    if modules:
        out["modules"] = modules
    return {"paraminfo": out}


def _expand(req: ApiRequest, paths: list[str]) -> list[str]:
    """``query+*`` (and ``*``) stand for every submodule, as ApiParamInfo expands them."""
    site = req.site
    out: list[str] = []
    for path in paths:
        if path == "*":
            out.extend(sorted({"query", *site.actions}))
        elif path == "query+*":
            out.extend(f"query+{name}" for name in sorted({n for kind in ("prop", "list", "meta", "generator")
                                                            for n in site.queries[kind]}))
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def _module_info(req: ApiRequest, path: str) -> dict[str, Any] | None:
    """One module's paraminfo, or None (with ApiParamInfo's warning) when this site does not implement it."""
    from capxl10n.sandbox.api.paraminfo_data import PARAMINFO

    site = req.site
    parent, _, name = path.rpartition("+")
    if path == "main":
        implemented = True
    elif parent == "":
        implemented = path == "query" or path in site.actions
    elif parent == "query":
        implemented = any(name in site.queries[kind] for kind in ("prop", "list", "meta", "generator"))
    else:
        implemented = False
    data = PARAMINFO.get(path)
    if not implemented or data is None:
        owner = parent or "main"
        key = "apierror-badmodule-nosubmodules" if parent and parent != "query" else "apierror-badmodule-badsubmodule"
        req.warn("paraminfo", f'The module "{owner}" does not have a submodule "{name or path}".', "badmodule",
                 key=key, params=[owner, name or path])
        return None
    info = json.loads(json.dumps(data).replace("$SERVER", f"{site.server}{site.base_path}/w"))
    if path == "main":
        _narrow(info, "action", sorted({"query", *site.actions}), "")
        _narrow(info, "format", ["json", "jsonfm"], "")
    elif path == "query":
        for kind in ("prop", "list", "meta"):
            _narrow(info, kind, sorted(site.queries[kind]), "query+")
        _narrow(info, "generator", sorted(site.queries["generator"]), "query+")
    elif parent == "query":
        if name not in site.queries["generator"]:
            info.pop("generator", None)
    return dict(info)


def _narrow(info: dict[str, Any], param: str, names: list[str], prefix: str) -> None:
    """A module-list parameter of ``main``/``query`` reduced to the modules this site implements."""
    for entry in info.get("parameters", []):
        if entry.get("name") != param:
            continue
        entry["type"] = list(names)
        if "submodules" in entry:
            entry["submodules"] = {n: f"{prefix}{n}" if prefix else n for n in names}
