"""Wikibase's API modules on a sandbox site: wbgetentities, wbeditentity, wbsetlabel/description,
meta=wbcontentlanguages, and :func:`install` that registers them.

Why apart: this is only the glue between the API frame (:mod:`capxl10n.sandbox.api`) and the repository
(:mod:`.repo`, :mod:`.terms`): reading parameters, turning ``WikibaseError`` into API
errors (reported for module ``main``) and shaping Wikibase's answers and warnings.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from capxl10n.sandbox.api.errors import ApiError
from capxl10n.sandbox.api.render import render_warnings
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.store.wiki import User
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.edit import TermChange, parse_data, summary_for_edit, summary_for_set
from capxl10n.sandbox.wikibase.languages import MUL, MUL_AUTONYM, TERM_LANGUAGES
from capxl10n.sandbox.wikibase.repo import METABASE_LAYOUT, RepoLayout, WikibaseRepo
from capxl10n.sandbox.wikibase.terms import EditOutcome, edit_terms
from capxl10n.sandbox.wikibase.validate import (
    NON_NORMALIZED_WARNING,
    WikibaseError,
    illegal_id_or_site_page,
    illegal_ids_or_sites_titles,
    no_such_entity_on_read,
    normalize_value,
    permission_denied,
)

PATCHED_TEXT = "Your edit was patched into the latest version."


def api_error(err: WikibaseError, module: str = "main") -> ApiError:
    """Wikibase reports its errors for module ``main`` (see wbsetlabel-errorformat-plaintext)."""
    messages = [{"name": m.name, "parameters": list(m.parameters), "html": m.html} for m in err.messages]
    first = err.messages[0] if err.messages else None
    return ApiError(err.code, err.info, data=err.data, messages=messages or None,
                    key=first.name if first else None, params=list(first.parameters) if first else None)


def _user_of(req: ApiRequest, repo: WikibaseRepo) -> User:
    return req.user if req.user is not None else repo.anonymous()


def _edit_body(req: ApiRequest, entity: dict[str, Any], outcome: EditOutcome) -> dict[str, Any]:
    """The answer of a successful term write (wbeditentity, wbsetlabel/description): the entity
    (``nochange`` flagged), the conflict-patched warning when our edit was merged, ``success``."""
    if outcome.nochange:
        entity["nochange"] = ""
    body: dict[str, Any] = {"entity": entity}
    if outcome.patched:
        _warn_patched(req, body)
    body["success"] = 1
    return body


def _warn_patched(req: ApiRequest, body: dict[str, Any]) -> None:
    """Wikibase's own warning shape: ``warnings.<module>.messages[]`` with ``type: warning``."""
    if req.errorformat != "bc":
        req.warn(req.module, PATCHED_TEXT, "wikibase-conflict-patched")
        return
    rendered = render_warnings(req) or {}
    req.warnings.clear()
    message: dict[str, Any] = {"name": "wikibase-conflict-patched", "parameters": [],
               "html": PATCHED_TEXT if req.fv2 else {"*": PATCHED_TEXT}, "type": "warning"}
    rendered.setdefault(req.module, {})["messages"] = [message]
    body["warnings"] = rendered

def _write_guard(req: ApiRequest, repo: WikibaseRepo) -> None:
    if not repo.layout.writable:
        raise api_error(permission_denied(req.module), req.module)


def _bot(req: ApiRequest) -> bool:
    return req.flag("bot") and req.has_right("bot")


def _ids_param(req: ApiRequest, low: int = 50, high: int = 500) -> list[str]:
    """``ids`` as a multi-value parameter (``toomanyvalues`` with REL1_39's data)."""
    return req.multi("ids", None, limit=low, high_limit=high)


def handle_wbgetentities(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    ids = _ids_param(req)
    sites, titles = req.get("sites"), req.get("titles")
    props = req.multi("props", wbe.ALL_PROPS, default=wbe.DEFAULT_PROPS)
    languages = req.multi("languages", sorted(repo.languages), limit=50, high_limit=500) \
        if req.has("languages") else None
    fallback = req.flag("languagefallback")
    for name in ("normalize", "redirects", "sitefilter"):
        req.get(name)
    if not ids and not (sites and titles):
        raise api_error(illegal_ids_or_sites_titles(), req.module)
    entities: dict[str, Any] = {}
    for raw in ids:
        entity_id = wbe.normalize_id(raw)
        if entity_id is None:
            raise api_error(no_such_entity_on_read(raw), req.module)
        if entity_id in entities:
            continue
        found = repo.get(entity_id)
        if found is None:
            entities[entity_id] = {"id": entity_id, "missing": ""}
            continue
        entity, info = found
        entities[entity_id] = wbe.render_entity(
            entity, info, props, languages=languages, chain_of=repo.chain_of if fallback else None,
            datatype_of=repo.datatype_of)
    if not ids:  # sites+titles: Metabase items carry no sitelinks
        for position, (site, title) in enumerate(zip(sites.split("|"), titles.split("|")), start=1):  # type: ignore[union-attr]
            entities[str(-position)] = {"site": site, "title": title, "missing": ""}
    return {"entities": entities, "success": 1}


def handle_wbeditentity(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    _write_guard(req, repo)
    raw_data = req.require("data")
    raw_id, new = req.get("id"), req.enum("new", ("item", "property"))
    site, title = req.get("site"), req.get("title")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    clear = req.flag("clear")
    req.multi("tags", None)
    if (raw_id is None) == (new is None) and not (site and title):
        raise api_error(illegal_id_or_site_page(), req.module)
    try:
        changes, warned = parse_data(raw_data, repo.languages)
        if warned:
            req.warn(req.module, NON_NORMALIZED_WARNING.format(name="data"))
        created = new is not None

        def summary(_base: wbe.Entity) -> str:
            return summary_for_edit(changes, created=created, cleared=clear, user_summary=user_summary)

        outcome = edit_terms(repo, raw_id, changes, user=_user_of(req, repo), baserevid=baserevid,
                             summary=summary, bot=_bot(req), clear=clear, new_kind=new)
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    return _edit_body(req, wbe.full_output(outcome.shown, repo.datatype_of, outcome.lastrevid), outcome)


def _handle_set_term(req: ApiRequest, repo: WikibaseRepo, field_: str) -> dict[str, Any]:
    _write_guard(req, repo)
    raw_id = req.get("id")
    lang = req.require("language")
    lang = req.enum("language", repo.languages) or lang
    raw_value = req.get("value")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    for name in ("site", "title", "new"):
        req.get(name)
    req.multi("tags", None)
    value: str | None = None
    if raw_value is not None:
        value, warned = normalize_value(raw_value)
        if warned:
            req.warn(req.module, NON_NORMALIZED_WARNING.format(name="value"))
        value = value or None
    if raw_id is None and not (req.params.get("site") and req.params.get("title")):
        raise api_error(illegal_id_or_site_page(), req.module)
    module = req.module
    try:
        def summary(base: wbe.Entity) -> str:
            return summary_for_set(module, lang, wbe.term_value(base, field_, lang), value, user_summary)

        outcome = edit_terms(repo, raw_id, [TermChange(field_, lang, value)], user=_user_of(req, repo),
                             baserevid=baserevid, summary=summary, bot=_bot(req))
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    term: dict[str, Any] = ({"language": lang, "value": value} if value is not None
                            else {"language": lang, "removed": ""})
    entity: dict[str, Any] = {field_: {lang: term}, "id": outcome.shown["id"],
                              "type": outcome.shown["type"], "lastrevid": outcome.lastrevid}
    return _edit_body(req, entity, outcome)


def handle_wbcontentlanguages(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    req.enum("wbclcontext", ("term", "monolingualtext"), "term")
    props = req.multi("wbclprop", ("code", "autonym", "name"), default=("code",))
    out: dict[str, Any] = {}
    names = dict(TERM_LANGUAGES)
    if repo.layout.mul:
        names[MUL] = MUL_AUTONYM
    for code in sorted(names):
        entry: dict[str, Any] = {}
        for prop in props:
            entry[prop] = code if prop == "code" else names[code]
        out[code] = entry
    return {"wbcontentlanguages": out}


def no_direct_editing(repo: WikibaseRepo) -> Callable[[ApiRequest], None]:
    """Wikibase's ApiCheckCanExecute hook: ``action=edit`` on an entity page is refused before anything runs
    (``wikibase-no-direct-editing``; entities change only through the wb* modules), nothing is saved."""
    entity_namespaces = {repo.layout.item_ns, repo.layout.property_ns}

    def guard(req: ApiRequest) -> None:
        if req.params.get("action") != "edit":
            return
        wiki = repo.wiki
        ns: int | None = None
        title, pageid = req.params.get("title"), req.params.get("pageid")
        if title is not None:
            try:
                ns = wiki.normalize_title(title)[0]
            except ValueError:
                return
        elif pageid is not None and pageid.isdigit():
            page = wiki.page_by_id(int(pageid))
            ns = page.ns if page is not None else None
        if ns in entity_namespaces and wiki.content_models.get(ns, "").startswith("wikibase"):
            raise ApiError("wikibase-no-direct-editing", f"Direct editing is disabled in namespace "
                           f"{wiki.namespaces.get(ns) or '(Main)'}", module="edit",
                           params=[wiki.namespaces.get(ns) or ""])

    return guard


def install(site: Site, layout: RepoLayout = METABASE_LAYOUT, *, concept_base_uri: str | None = None,
            repo: WikibaseRepo | None = None) -> WikibaseRepo:
    """Register the Wikibase modules on ``site`` and return its repository."""
    repo = repo or WikibaseRepo(site.wiki, layout)
    site.can_execute.append(no_direct_editing(repo))
    site.register_action("wbgetentities", lambda req: handle_wbgetentities(req, repo))
    for name, handler in (("wbeditentity", handle_wbeditentity),
                          ("wbsetlabel", lambda req, r: _handle_set_term(req, r, "labels")),
                          ("wbsetdescription", lambda req, r: _handle_set_term(req, r, "descriptions"))):
        site.register_action(name, (lambda h: lambda req: h(req, repo))(handler), must_post=True,
                             token="csrf", write=True)
    site.register_query("meta", "wbcontentlanguages", lambda req: handle_wbcontentlanguages(req, repo))
    base = concept_base_uri or f"{site.server}{site.base_path}/entity/"
    site.siteinfo_extra.setdefault("wikibase-conceptbaseuri", base)
    return repo


def install_metabase(site: Site) -> WikibaseRepo:
    """Metabase: items in ``Item:`` (120), properties in ``Property:`` (122), no ``mul``."""
    return install(site, RepoLayout(article_path=f"{site.base_path}/wiki/$1"))
