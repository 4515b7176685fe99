"""action=query: submodules, titles/pageids/revids, generators, ``query.pages`` and continuation.

Why apart: query is the one action whose answer the frame assembles from many
registered modules, with ApiContinuationManager's continuation rules.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from capxl10n.sandbox.api.errors import ApiError
from capxl10n.sandbox.api.request import ApiRequest, bad_value, clean_value
from capxl10n.sandbox.api.site import PageOut

#: How many redirects ``redirects`` follows in a chain before it stops (ApiPageSet resolves one hop per
#: round and rounds until nothing is left; a loop ends when a title repeats).
MAX_REDIRECT_HOPS = 10


def _parse_continue(req: ApiRequest) -> tuple[str | None, set[str]]:
    """``continue`` as ApiContinuationManager reads it: ``<generator part>||<done modules>``, else ``badcontinue``."""
    raw = req.get("continue")
    if not raw:
        return None, set()
    parts = raw.split("||")
    if len(parts) != 2:
        raise ApiError("badcontinue", "Invalid continue param. You should pass the original value returned by the "
                       "previous query.", module="main")
    gen, done = parts
    return gen, {m for m in done.split("|") if m}


def _raw_titles(req: ApiRequest) -> list[str]:
    """The ``titles`` values as sent (before WebRequest's NFC), to report ``fromencoded`` as ApiPageSet does."""
    raw = req.raw_params.get("titles") or ""
    return raw[1:].split("\x1f") if raw.startswith("\x1f") else raw.split("|")


def run_query(req: ApiRequest) -> dict[str, Any]:
    """action=query: submodules, titles/pageids/revids, generators and continuation."""
    site = req.site
    query: dict[str, Any] = {}
    module_names: dict[str, list[str]] = {}
    for kind in ("prop", "list", "meta"):
        module_names[kind] = req.multi(kind, site.queries[kind], module="query", limit=50, high_limit=500)
    generator = req.get("generator")
    if generator is not None and generator not in site.queries["generator"]:
        raise bad_value("generator", generator, sorted(site.queries["generator"]), "query")
    req.unsupported("rawcontinue", "export", "exportnowrap")
    follow = req.flag("redirects")
    index_ids = req.flag("indexpageids")
    req.flag("converttitles")  # English has no variants: nothing to convert
    req.flag("iwurl")          # no interwiki map: no title has an interwiki prefix
    _gen_state, done = _parse_continue(req)
    all_modules = [*module_names["prop"], *module_names["list"], *module_names["meta"]]
    titles = req.multi("titles", None, module="query")
    pageids = req.multi("pageids", None, module="query")
    revids = req.multi("revids", None, module="query")
    page_outs: list[PageOut] | None = None
    wiki = site.wiki
    if generator is not None or titles or pageids or revids:
        if sum(bool(x) for x in (titles, pageids, revids)) > 1:
            raise ApiError("invalidparammix", 'The parameters "titles", "pageids" and "revids" can not be used '
                           "together.", module="query")
        pages: list[Any] = []
        missing_titles: list[tuple[int, str]] = []
        invalid: list[dict[str, Any]] = []
        normalized: list[dict[str, Any]] = []
        sent = _raw_titles(req)
        for position, raw in enumerate(titles):
            original = sent[position] if position < len(sent) else raw
            try:
                ns, title = wiki.normalize_title(raw)
            except ValueError as exc:
                invalid.append({"title": raw, "invalidreason": str(exc), "invalid": True})
                continue
            if title != original:
                encoded = clean_value(original) != original
                normalized.append({"fromencoded": encoded, "from": quote(original, safe="") if encoded else original,
                                   "to": title})
            page = wiki.page(title)
            if page is None:
                missing_titles.append((ns, title))
            else:
                pages.append(page)
        for raw in pageids:
            try:
                page = wiki.page_by_id(int(raw))
            except ValueError:
                raise ApiError("badinteger", f'Invalid value "{raw}" for integer parameter "pageids".',
                               module="query") from None
            if page is None:
                invalid.append({"pageid": int(raw), "missing": True})
            else:
                pages.append(page)
        asked: dict[int, list[int]] = {}
        for raw in revids:
            rev = wiki.revision(int(raw)) if raw.isdigit() else None
            if rev is None:
                query.setdefault("badrevids", {})[raw] = {"revid": int(raw) if raw.isdigit() else raw,
                                                           "missing": True}
            else:
                page = wiki.page_by_id(rev.pageid)
                if page is not None:
                    pages.append(page)
                    asked.setdefault(page.pageid, []).append(rev.revid)
        if generator is not None:
            # the generator runs on the titles/pageids/revids given (prop-like generators read them) and its
            # pages, or titles that do not exist, become the page set
            req.input_pages = list({page.pageid: page for page in pages}.values())
            req.module = generator
            req.stats_module = f"query+{generator}"
            generated = list(site.queries["generator"][generator](req))
            req.module = "query"
            query.update(req.query_data)
            pages, missing_titles, invalid, asked = [], [], [], {}
            for item in generated:
                if isinstance(item, str):
                    missing_titles.append(wiki.normalize_title(item))
                else:
                    pages.append(item)
        if normalized:
            query["normalized"] = normalized
        if follow:
            pages, missing_titles = _follow_redirects(req, pages, missing_titles, query)
        page_outs = []
        seen: set[int] = set()
        for page in pages:
            if page.pageid in seen:
                continue
            seen.add(page.pageid)
            page_outs.append(PageOut(page, {"pageid": page.pageid, "ns": page.ns, "title": page.title},
                                     sorted(set(asked[page.pageid])) if revids else None))
        # ApiPageSet numbers invalid titles first (-1, -2…), then missing ones
        for position, (ns, title) in enumerate(missing_titles, start=len(invalid) + 1):
            page_outs.append(PageOut(None, {"ns": ns, "title": title, "missing": True, "_fake": -position}))
        for position, item in enumerate(invalid, start=1):
            page_outs.append(PageOut(None, {**item, "_fake": -position}))
    for kind in ("prop", "list", "meta"):
        for name in module_names[kind]:
            if name in done:
                _mark_read(req, name)  # a module the continuation says is done still has its parameters
                continue
            req.module = name
            req.stats_module = f"query+{name}"
            handler = site.queries[kind][name]
            if kind == "prop":
                # run even on no page: a module's parameters are read (never "unrecognized") as in ApiQuery
                handler(req, page_outs or [])
            else:
                result = handler(req)
                if result:
                    for key, value in result.items():
                        if isinstance(value, dict) and isinstance(query.get(key), dict):
                            query[key].update(value)
                        else:
                            query[key] = value
    req.module = "query"
    if len(all_modules) == 1 and generator is None:
        req.stats_module = f"query+{all_modules[0]}"
    elif generator is not None:
        req.stats_module = f"query+{generator}"
    else:
        req.stats_module = "query"
    if page_outs:
        if index_ids:
            query["pageids"] = [str(o.page.pageid if o.page is not None else o.data.get("_fake", -1))
                                for o in page_outs]
        query["pages"] = _render_pages(req, page_outs)
    body: dict[str, Any] = {}
    cont, complete = _continuation(req, all_modules, module_names["prop"] if generator else [],
                                   module_names["prop"], generator)
    if complete:
        body["batchcomplete"] = True
    if cont:
        body["continue"] = cont
    if query:
        body["query"] = query
    return body


def _mark_read(req: ApiRequest, name: str) -> None:
    """A query submodule's parameters count as recognised even when it does not run (ApiQuery instantiates every
    module asked for): their names come from the real module's paraminfo."""
    from capxl10n.sandbox.api.paraminfo_data import PARAMINFO

    info = PARAMINFO.get(f"query+{name}")
    if info is not None:
        prefix = str(info.get("prefix", ""))
        req.used.update(prefix + str(param["name"]) for param in info.get("parameters", []))


def _follow_redirects(req: ApiRequest, pages: list[Any], missing: list[tuple[int, str]],
                      query: dict[str, Any]) -> tuple[list[Any], list[tuple[int, str]]]:
    """``redirects``: each redirect page is replaced by its target (``query.redirects`` lists the hops)."""
    wiki = req.site.wiki
    resolved: list[Any] = []
    hops: list[dict[str, str]] = []
    for page in pages:
        seen = {page.title}
        while True:
            target = wiki.redirect_target(page)
            if target is None:
                resolved.append(page)
                break
            hops.append({"from": page.title, "to": target})
            nxt = wiki.page(target)
            if nxt is None:
                try:
                    missing.append((wiki.normalize_title(target)[0], target))
                except ValueError:
                    pass
                break
            if nxt.title in seen or len(seen) > MAX_REDIRECT_HOPS:
                resolved.append(nxt)
                break
            seen.add(nxt.title)
            page = nxt
    if hops:
        query["redirects"] = hops
    return resolved, missing


def _render_pages(req: ApiRequest, outs: list[PageOut]) -> Any:
    """``query.pages`` as ApiQuery gives it: fv1 an object keyed by page id (missing titles, invalid ones,
    then the pages, each in the order found); fv2 a list sorted by that id (negative ids of missing and
    invalid titles first)."""
    def ordered(out: PageOut) -> dict[str, Any]:
        return {k: v for k, v in out.data.items() if k != "_fake"}

    def page_key(out: PageOut) -> int:
        return out.page.pageid if out.page is not None else int(out.data.get("_fake", -1))

    if req.fv2:
        return [ordered(o) for o in sorted(outs, key=page_key)]
    missing = [o for o in outs if o.page is None and "invalid" not in o.data]
    invalid = [o for o in outs if o.page is None and "invalid" in o.data]
    present = [o for o in outs if o.page is not None]
    return {str(page_key(out)): ordered(out) for out in [*missing, *invalid, *present]}


def _continuation(req: ApiRequest, all_modules: list[str], generated: list[str], props: list[str],
                  generator: str | None) -> tuple[dict[str, str], bool]:
    """ApiContinuationManager::getContinuation, as in MediaWiki core."""
    finished = [m for m in all_modules if m not in req.continuation]
    data: dict[str, str] = {}
    if req.continuation:
        for kvp in req.continuation.values():
            data.update(kvp)
        gen_params: dict[str, str] = {}
        if generator is not None:
            for name, value in req.params.items():
                if name.startswith("g") and name.endswith("continue") and name != "continue":
                    gen_params[name] = value
        data.update(gen_params)
        gen_keys = "|".join(gen_params) if generator is not None else "-"
        complete = not any(m in req.continuation for m in props)
    elif req.generator_continuation:
        data.update(req.generator_continuation)
        finished = [m for m in finished if m not in generated]
        gen_keys = "|".join(req.generator_continuation)
        complete = True
    else:
        gen_keys = "-"
        complete = True
    if data or gen_keys != "-":
        data["continue"] = f"{gen_keys}||{'|'.join(finished)}"
    return data, complete
