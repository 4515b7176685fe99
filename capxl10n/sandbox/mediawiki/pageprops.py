"""MediaWiki core's page-part readers: prop (and generator) links, templates, categories; imageinfo, categoryinfo.

Why: pywikibot's page save runs ``generator=templates`` and its page reads ask
``prop=info|imageinfo|categoryinfo``; clients list a page's links and categories. The parts
come from the store's link tables (what the parser recorded at save time: pagelinks —
including a red link to a missing template —, templatelinks, categorylinks; see
:func:`capxl10n.sandbox.store.wiki.wikitext_parts`). Shapes, order (namespace, then title),
limits and continuation (``plcontinue`` = ``pageid|ns|Title``, ``tlcontinue`` likewise,
``clcontinue`` = ``pageid|Title``) as ApiQueryLinks / ApiQueryCategories of MediaWiki 1.39 (checked on
the peer). The sandbox has no files (uploads are off, as on the peer): ``imageinfo`` only marks a
``File:`` page's repository, ``categoryinfo`` counts a category's members.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from capxl10n.sandbox.api.errors import ApiError
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import PageOut, Site
from capxl10n.sandbox.store.wiki import Page, Wiki

CLPROPS = ("sortkey", "timestamp", "hidden")
IIPROPS = ("timestamp", "user", "userid", "comment", "parsedcomment", "canonicaltitle", "url", "dimensions", "size",
           "sha1", "mime", "thumbmime", "mediatype", "metadata", "commonmetadata", "extmetadata", "archivename",
           "bitdepth", "uploadwarning", "badfile")


@dataclass(frozen=True)
class PartKind:
    """One of links / templates / categories: its result key, parameter prefix and the store's table."""

    key: str
    prefix: str
    parts: Callable[[Wiki, Page], tuple[str, ...] | frozenset[str]]
    filter_param: str


LINKS = PartKind("links", "pl", lambda wiki, page: wiki.links(page), "titles")
TEMPLATES = PartKind("templates", "tl", lambda wiki, page: wiki.templates(page), "templates")
CATEGORIES = PartKind("categories", "cl", lambda wiki, page: wiki.categories(page), "categories")


def install(site: Site) -> None:
    for kind in (LINKS, TEMPLATES, CATEGORIES):
        site.register_query("prop", kind.key, (lambda k: lambda req, pages: part_prop(req, pages, k))(kind))
        site.register_query("generator", kind.key, (lambda k: lambda req: part_generator(req, k))(kind))
    site.register_query("prop", "imageinfo", imageinfo)
    site.register_query("prop", "categoryinfo", categoryinfo)


def _key(wiki: Wiki, title: str) -> tuple[int, str]:
    ns, norm = wiki.normalize_title(title)
    return ns, norm


def _rows(req: ApiRequest, kind: PartKind, pages: list[Page], p: str) -> tuple[list[tuple[Page, int, str]], str | None]:
    """Every (page, ns, title) part of ``pages``, filtered and ordered, cut at the limit; the continuation."""
    wiki = req.site.wiki
    namespaces = None
    if kind is not CATEGORIES:
        allowed = [str(ns) for ns in wiki.namespaces] + ["*"]
        chosen = req.multi(f"{p}namespace", allowed)
        namespaces = None if not chosen or "*" in chosen else {int(n) for n in chosen}
    wanted_raw = req.multi(f"{p}{kind.filter_param}", None)
    wanted = {wiki.normalize_title(t)[1] for t in wanted_raw if _valid(wiki, t)} if wanted_raw else None
    descending = req.enum(f"{p}dir", ("ascending", "descending"), "ascending") == "descending"
    limit = req.limit(f"{p}limit", 10, 500, 5000, module=kind.key)
    cont = req.get(f"{p}continue")
    rows: list[tuple[int, int, str, Page]] = []
    for page in pages:
        for title in kind.parts(wiki, page):
            ns, norm = _key(wiki, title)
            if namespaces is not None and ns not in namespaces:
                continue
            if wanted is not None and norm not in wanted:
                continue
            rows.append((page.pageid, ns, norm, page))
    rows.sort(key=lambda r: (r[0], r[1], wiki.unprefixed_title(r[2])), reverse=descending)
    if cont:
        start = _parse_continue(cont, kind)
        rows = [r for r in rows if (_cont_key(wiki, r, kind) <= start if descending
                                    else _cont_key(wiki, r, kind) >= start)]
    nxt = None
    if len(rows) > limit:
        row = rows[limit]
        nxt = _cont_value(wiki, row, kind)
        rows = rows[:limit]
    return [(page, ns, title) for _pid, ns, title, page in rows], nxt


def _valid(wiki: Wiki, title: str) -> bool:
    try:
        wiki.normalize_title(title)
    except ValueError:
        return False
    return True


def _cont_key(wiki: Wiki, row: tuple[int, int, str, Page], kind: PartKind) -> tuple[Any, ...]:
    pageid, ns, title, _page = row
    name = wiki.unprefixed_title(title).replace(" ", "_")
    return (pageid, name) if kind is CATEGORIES else (pageid, ns, name)


def _cont_value(wiki: Wiki, row: tuple[int, int, str, Page], kind: PartKind) -> str:
    return "|".join(str(part) for part in _cont_key(wiki, row, kind))


def _parse_continue(raw: str, kind: PartKind) -> tuple[Any, ...]:
    parts = raw.split("|")
    try:
        if kind is CATEGORIES and len(parts) == 2:
            return int(parts[0]), parts[1]
        if kind is not CATEGORIES and len(parts) == 3:
            return int(parts[0]), int(parts[1]), parts[2]
    except ValueError:
        pass
    raise ApiError("badcontinue", "Invalid continue param. You should pass the original value returned by the "
                   "previous query.", module=kind.key)


def part_prop(req: ApiRequest, outs: list[PageOut], kind: PartKind) -> None:
    """prop=links|templates|categories: each page's parts under its entry."""
    p = kind.prefix
    props: list[str] = []
    show: list[str] = []
    if kind is CATEGORIES:
        props = req.multi("clprop", CLPROPS)
        show = req.multi("clshow", ("hidden", "!hidden"))
        if "hidden" in show and "!hidden" in show:
            raise ApiError("show", "Incorrect parameter - mutually exclusive values may not be supplied.",
                           module=kind.key)
        if "hidden" in show:  # the sandbox has no hidden categories (no __HIDDENCAT__ pages)
            return
    by_id = {o.page.pageid: o for o in outs if o.page is not None}
    rows, nxt = _rows(req, kind, [o.page for o in outs if o.page is not None], p)
    for page, ns, title in rows:
        entry: dict[str, Any] = {"ns": ns, "title": title}
        if kind is CATEGORIES:
            if "sortkey" in props:
                entry["sortkey"] = page.title.upper().encode("utf-8").hex()
                entry["sortkeyprefix"] = ""
            if "timestamp" in props:
                entry["timestamp"] = page.latest.timestamp
            if "hidden" in props:
                entry["hidden"] = False
        by_id[page.pageid].data.setdefault(kind.key, []).append(entry)
    if nxt is not None:
        req.continue_with({f"{p}continue": nxt})


def part_generator(req: ApiRequest, kind: PartKind) -> list[Page | str]:
    """generator=links|templates|categories: the parts as pages (a title that does not exist stays a title)."""
    wiki = req.site.wiki
    source = req.query_pages()
    rows, nxt = _rows(req, kind, source, "g" + kind.prefix)
    out: dict[str, Page | str] = {}
    for _page, _ns, title in rows:
        found = wiki.page(title)
        out.setdefault(title, found if found is not None else title)
    if nxt is not None:
        req.continue_with({f"g{kind.prefix}continue": nxt}, generator=True)
    return list(out.values())


def imageinfo(req: ApiRequest, outs: list[PageOut]) -> None:
    """prop=imageinfo: no file exists (uploads are off), so a ``File:`` page is only marked ``imagerepository``
    (empty: in no repository), as on the peer; other pages get nothing."""
    req.multi("iiprop", IIPROPS, default=["timestamp", "user"])
    req.limit("iilimit", 1, 500, 5000, module="imageinfo")
    for name in ("iistart", "iiend", "iiurlwidth", "iiurlheight", "iimetadataversion", "iiextmetadatalanguage",
                 "iiextmetadatamultilang", "iiextmetadatafilter", "iiurlparam", "iibadfilecontexttitle",
                 "iicontinue", "iilocalonly", "iihandlerparam"):
        req.get(name)
    for out in outs:
        if out.data.get("ns") == 6 and out.page is None:
            out.data["imagerepository"] = ""


def categoryinfo(req: ApiRequest, outs: list[PageOut]) -> None:
    """prop=categoryinfo: a category's member counts (present or missing category page), when it has members."""
    req.get("cicontinue")
    wiki = req.site.wiki
    for out in outs:
        if out.data.get("ns") != 14:
            continue
        members = wiki.category_members(out.data["title"])
        if not members and out.page is None:
            continue
        subcats = sum(1 for m in members if m.ns == 14)
        files = sum(1 for m in members if m.ns == 6)
        out.data["categoryinfo"] = {"size": len(members), "pages": len(members) - subcats - files, "files": files,
                                    "subcats": subcats, "hidden": False}
