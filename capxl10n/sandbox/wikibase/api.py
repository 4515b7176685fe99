"""Wikibase's API modules on a sandbox site: wbgetentities, wbeditentity, wbsetlabel/description,
meta=wbcontentlanguages, and :func:`install` that registers them.

Why apart: this is only the glue between the API frame (:mod:`capxl10n.sandbox.api`) and the repository
(:mod:`.repo`, :mod:`.terms`): reading parameters, turning ``WikibaseError`` into API
errors (reported for module ``main``) and shaping Wikibase's answers and warnings.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from capxl10n.sandbox.api.errors import ApiError
from capxl10n.sandbox.api.render import render_warnings
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.store.wiki import User
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.edit import (AliasChange, ClaimChange, TermChange, check_alias, parse_data,
                                            summary_for_edit, summary_for_set)
from capxl10n.sandbox.wikibase.languages import MUL, MUL_AUTONYM, TERM_LANGUAGES
from capxl10n.sandbox.wikibase.repo import METABASE_LAYOUT, RepoLayout, WikibaseRepo
from capxl10n.sandbox.wikibase.statements import (DATATYPES, GUID_RE, invalid_claim, invalid_guid, invalid_snak,
                                                  output_statement, parse_statement, summary_value)
from capxl10n.sandbox.wikibase.terms import EditOutcome, edit_entity, resolve
from capxl10n.sandbox.wikibase.validate import (
    NON_NORMALIZED_WARNING,
    Message,
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
    data = dict(err.data)
    header = data.pop("_header", None)  # several errors at once: the header lists every code (failed-save, …)
    return ApiError(err.code, err.info, data=data, messages=messages or None,
                    key=first.name if first else None, params=list(first.parameters) if first else None,
                    headers={"MediaWiki-API-Error": header} if header else None)


def _user_of(req: ApiRequest, repo: WikibaseRepo) -> User:
    return req.user if req.user is not None else repo.anonymous()


def _edit_body(req: ApiRequest, entity: dict[str, Any], outcome: EditOutcome) -> dict[str, Any]:
    """The answer of a successful term write (wbeditentity, wbsetlabel/description): the entity
    (``nochange`` flagged), the conflict-patched warning when our edit was merged, ``success``."""
    if outcome.nochange:
        entity["nochange"] = True  # a BC boolean: "" under formatversion 1, true under 2
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
    sites = "|".join(req.multi("sites", ()))  # Metabase knows no sites: every value is unrecognized
    titles = req.get("titles")
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
        subject = wbe.normalize_id(raw_id) if raw_id is not None else None
        parsed = parse_data(raw_data, repo.languages, subject=subject, statements=repo.statement_context(),
                            new_kind=new)
        if parsed.warned:
            req.warn(req.module, NON_NORMALIZED_WARNING.format(name="data"))

        def summary(base: wbe.Entity, wanted: wbe.Entity) -> str:
            return summary_for_edit(base, wanted, parsed.changes, created=new, cleared=clear,
                                    user_summary=user_summary)

        outcome = edit_entity(repo, raw_id, parsed.changes, user=_user_of(req, repo), baserevid=baserevid,
                              summary=summary, bot=_bot(req), clear=clear, new_kind=new, datatype=parsed.datatype)
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    return _edit_body(req, wbe.full_output(outcome.shown, repo.datatype_of, outcome.lastrevid), outcome)


def handle_wbsetaliases(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    """wbsetaliases: ``set`` (replaces) or ``add`` and/or ``remove`` one language's aliases."""
    _write_guard(req, repo)
    raw_id = req.get("id")
    lang = req.require("language")
    lang = req.enum("language", repo.languages) or lang
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    for name in ("site", "title", "new"):
        req.unsupported(name)
    req.multi("tags", None)
    lists = {name: req.multi(name, None) if req.has(name) else None for name in ("set", "add", "remove")}
    given = {name: values for name, values in lists.items() if values is not None}
    if not given or ("set" in given and len(given) > 1):
        raise api_error(_invalid_list(), req.module)
    if raw_id is None:
        raise api_error(illegal_id_or_site_page(), req.module)
    try:
        changes: list[AliasChange] = []
        for mode in ("set", "add", "remove"):
            if mode in given:
                values = []
                for raw in given[mode]:
                    text, _warned = normalize_value(raw)
                    check_alias(text)
                    values.append(text)
                changes.append(AliasChange(lang, mode, tuple(values)))

        def summary(base: wbe.Entity, wanted: wbe.Entity) -> str:
            after = wbe.aliases_of(wanted, lang)
            if "set" in given:
                action, shown = "set", after
            elif "add" in given and "remove" in given:
                action, shown = "update", after
            elif "add" in given:
                action, shown = "add", [v for v in after if v not in wbe.aliases_of(base, lang)]
            else:
                action, shown = "remove", [v for v in wbe.aliases_of(base, lang) if v not in after]
            text = f"/* wbsetaliases-{action}:{len(shown)}|{lang} */ {', '.join(shown)}"
            return f"{text}, {user_summary}" if user_summary else text

        outcome = edit_entity(repo, raw_id, changes, user=_user_of(req, repo), baserevid=baserevid,
                              summary=summary, bot=_bot(req))
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    aliases = [{"language": lang, "value": v} for v in wbe.aliases_of(outcome.shown, lang)]
    entity: dict[str, Any] = {"aliases": {lang: aliases} if aliases else {}, "id": outcome.shown["id"],
                              "type": outcome.shown["type"], "lastrevid": outcome.lastrevid}
    return _edit_body(req, entity, outcome)


def _invalid_list() -> WikibaseError:
    return WikibaseError("invalid-list", "Invalid list data.",
                         [Message("wikibase-api-invalid-list", (), "Invalid list data.")])


def _claim_body(req: ApiRequest, repo: WikibaseRepo, outcome: EditOutcome, guid: str) -> dict[str, Any]:
    """The answer of a claim write: ``pageinfo.lastrevid``, ``success``, the statement as shown."""
    statement = wbe.statement_of(outcome.shown, guid)
    body: dict[str, Any] = {"pageinfo": {"lastrevid": outcome.lastrevid}, "success": 1}
    if outcome.patched:
        _warn_patched(req, body)
    if statement is not None:
        body["claim"] = output_statement(statement, repo.datatype_of)
    return body


def handle_wbcreateclaim(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    """wbcreateclaim: one new statement from ``property``, ``snaktype`` and ``value`` (JSON)."""
    _write_guard(req, repo)
    raw_entity = req.require("entity")
    prop = req.require("property")
    snaktype = req.enum("snaktype", ("value", "novalue", "somevalue")) or req.require("snaktype")
    raw_value = req.get("value")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    req.multi("tags", None)
    try:
        entity_id, _latest, _info = resolve(repo, raw_entity)
        snak: dict[str, Any] = {"snaktype": snaktype, "property": prop}
        if snaktype == "value":
            if raw_value is None:
                raise WikibaseError("param-missing", 'The required parameter "value" was missing.',
                                    [Message("wikibase-api-param-missing", ("value",),
                                             'The required parameter "value" was missing.')])
            try:
                value = json.loads(raw_value)
            except ValueError:
                raise invalid_snak() from None
            datatype = repo.datatype_of(prop.upper())
            kind = "wikibase-entityid" if datatype in ("wikibase-item", "wikibase-property") else "string"
            if kind == "string" and not isinstance(value, str):
                raise invalid_snak()
            snak["datavalue"] = {"value": value, "type": kind}
        statement = parse_statement({"mainsnak": snak, "type": "statement", "rank": "normal"}, entity_id,
                                    datatype_of=repo.datatype_of, exists=repo.exists, namespaces=repo.namespaces)
        guid = str(statement["id"])

        def summary(_base: wbe.Entity, _wanted: wbe.Entity) -> str:
            text = f"/* wbcreateclaim-create:1| */ {summary_value(statement['mainsnak'], repo.namespaces)}"
            return f"{text}, {user_summary}" if user_summary else text

        outcome = edit_entity(repo, entity_id, [ClaimChange(guid, statement)], user=_user_of(req, repo),
                              baserevid=baserevid, summary=summary, bot=_bot(req))
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    return _claim_body(req, repo, outcome, guid)


def handle_wbsetclaim(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    """wbsetclaim: a whole statement (with its GUID) replaces the one of that GUID, or is added."""
    _write_guard(req, repo)
    raw_claim = req.require("claim")
    req.unsupported("index")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    req.multi("tags", None)
    try:
        try:
            data = json.loads(raw_claim)
        except ValueError:
            raise invalid_claim("Failed to get claim from claim Serialization") from None
        if not isinstance(data, dict):
            raise invalid_claim()
        guid = data.get("id")
        if guid is None:
            raise invalid_claim("GUID must be set when setting a claim")
        match = GUID_RE.match(str(guid))
        if match is None:
            raise invalid_guid()
        entity_id, latest, _info = resolve(repo, match.group(1))
        statement = parse_statement(data, entity_id, datatype_of=repo.datatype_of, exists=repo.exists,
                                    namespaces=repo.namespaces, need_guid=True)
        existed = wbe.statement_of(latest, str(guid)) is not None

        def summary(_base: wbe.Entity, _wanted: wbe.Entity) -> str:
            action = "update" if existed else "create"
            text = (f"/* wbsetclaim-{action}:2||1 */ "
                    f"{summary_value(statement['mainsnak'], repo.namespaces)}")
            return f"{text}, {user_summary}" if user_summary else text

        outcome = edit_entity(repo, entity_id, [ClaimChange(str(guid), statement)], user=_user_of(req, repo),
                              baserevid=baserevid, summary=summary, bot=_bot(req))
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    return _claim_body(req, repo, outcome, str(guid))


def handle_wbremoveclaims(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    """wbremoveclaims: statements by GUID, all of one entity."""
    _write_guard(req, repo)
    guids = req.multi("claim", None)
    if not guids:
        req.require("claim")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    req.multi("tags", None)
    try:
        subjects = set()
        for guid in guids:
            match = GUID_RE.match(guid)
            if match is None:
                raise invalid_guid()
            subjects.add(match.group(1).upper())
        if len(subjects) != 1:
            raise invalid_guid()
        entity_id, latest, _info = resolve(repo, subjects.pop())
        removed = [wbe.statement_of(latest, guid) for guid in guids]
        if any(statement is None for statement in removed):
            raise invalid_guid()

        def summary(_base: wbe.Entity, _wanted: wbe.Entity) -> str:
            if len(guids) == 1 and removed[0] is not None:
                text = f"/* wbremoveclaims-remove:1| */ {summary_value(removed[0]['mainsnak'], repo.namespaces)}"
            else:
                text = "/* wbremoveclaims-update:0| */"
            return f"{text}, {user_summary}" if user_summary else text

        outcome = edit_entity(repo, entity_id, [ClaimChange(g, None) for g in guids], user=_user_of(req, repo),
                              baserevid=baserevid, summary=summary, bot=_bot(req))
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    body: dict[str, Any] = {"pageinfo": {"lastrevid": outcome.lastrevid}, "success": 1, "claims": list(guids)}
    return body


def handle_wbgetclaims(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    """wbgetclaims: an entity's statements (or one by GUID), filtered by property and rank."""
    raw_entity = req.get("entity")
    prop = req.get("property")
    guid = req.get("claim")
    rank = req.enum("rank", ("deprecated", "normal", "preferred"))
    props = req.multi("props", ("references",), default=("references",))
    try:
        if raw_entity is None and guid is None:
            raise WikibaseError("param-missing", 'The required parameter "$1" was missing.',
                                [Message("wikibase-api-param-missing", (), 'The required parameter "$1" was missing.')])
        if guid is not None:
            match = GUID_RE.match(guid)
            if match is None:
                raise invalid_guid()
            raw_entity = match.group(1)
        entity_id, entity, _info = resolve(repo, raw_entity)
    except WikibaseError as err:
        raise api_error(err, req.module) from None
    claims: dict[str, Any] = {}
    for pid, statements in (entity.get("claims") or {}).items():
        if prop is not None and pid != prop.upper():
            continue
        for statement in statements:
            if guid is not None and str(statement.get("id", "")).upper() != guid.upper():
                continue
            if rank is not None and statement.get("rank") != rank:
                continue
            shown = output_statement(statement, repo.datatype_of)
            if "references" not in props:
                shown.pop("references", None)
            claims.setdefault(pid, []).append(shown)
    return {"claims": claims}


def handle_wbsearchentities(req: ApiRequest, repo: WikibaseRepo) -> dict[str, Any]:
    """wbsearchentities as REL1_39's SQL term search (no CirrusSearch): a prefix of a label or alias, in the
    language or its fallbacks unless ``strictlanguage``, or an exact entity id; labels and descriptions
    shown in the user language (``uselang``, English here); ``search-continue`` for the next offset."""
    search = req.require("search")
    lang = req.enum("language", sorted(repo.languages)) or req.require("language")
    strict = req.flag("strictlanguage")
    kind = req.enum("type", ("item", "property"), "item") or "item"
    limit = req.int("limit", 7, 0, 50) or 7
    offset = req.int("continue", 0, 0) or 0
    props = req.multi("props", ("url",), default=("url",))
    req.get("profile")
    languages = [lang] if strict else list(repo.chain_of(lang))
    hits = repo.search(search, languages, kind)
    chosen = hits[offset:offset + limit]
    display_lang = "en"
    rows = []
    for entity_id, match in chosen:
        found = repo.get(entity_id)
        if found is None:
            continue
        entity, info = found
        display: dict[str, Any] = {}
        label = _display_term(entity, "labels", display_lang, repo)
        description = _display_term(entity, "descriptions", display_lang, repo)
        if label is not None:
            display["label"] = label
        if description is not None:
            display["description"] = description
        row: dict[str, Any] = {"id": entity_id, "title": info.title, "pageid": info.pageid, "display": display,
                               "repository": "local"}
        if "url" in props:
            row["url"] = f"{req.site.server}{repo.layout.article_path.replace('$1', info.title)}"
        if entity["type"] == "property":
            row["datatype"] = entity.get("datatype", "string")
        row["concepturi"] = f"{repo.concept_base}{entity_id}"
        if label is not None:
            row["label"] = label["value"]
        if description is not None:
            row["description"] = description["value"]
        row["match"] = match
        if label is None or match.get("text") != label["value"]:
            row["aliases"] = [match["text"]]
        rows.append(row)
    body: dict[str, Any] = {"searchinfo": {"search": search}, "search": rows}
    if offset + limit < len(hits):
        body["search-continue"] = offset + limit
    body["success"] = 1
    return body


def _display_term(entity: wbe.Entity, field_: str, lang: str, repo: WikibaseRepo) -> dict[str, str] | None:
    for candidate in repo.chain_of(lang):
        value = wbe.term_value(entity, field_, candidate)
        if value is not None:
            return {"value": value, "language": candidate}
    return None


def _handle_set_term(req: ApiRequest, repo: WikibaseRepo, field_: str) -> dict[str, Any]:
    _write_guard(req, repo)
    raw_id = req.get("id")
    lang = req.require("language")
    lang = req.enum("language", repo.languages) or lang
    raw_value = req.get("value")
    baserevid = req.int("baserevid")
    user_summary = req.get("summary") or ""
    for name in ("site", "title", "new"):
        req.unsupported(name)
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
        def summary(base: wbe.Entity, _wanted: wbe.Entity) -> str:
            return summary_for_set(module, lang, wbe.term_value(base, field_, lang), value, user_summary)

        outcome = edit_entity(repo, raw_id, [TermChange(field_, lang, value)], user=_user_of(req, repo),
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
    site.register_action("wbgetclaims", lambda req: handle_wbgetclaims(req, repo))
    site.register_action("wbsearchentities", lambda req: handle_wbsearchentities(req, repo))
    for name, handler in (("wbeditentity", handle_wbeditentity),
                          ("wbsetlabel", lambda req, r: _handle_set_term(req, r, "labels")),
                          ("wbsetdescription", lambda req, r: _handle_set_term(req, r, "descriptions")),
                          ("wbsetaliases", handle_wbsetaliases), ("wbcreateclaim", handle_wbcreateclaim),
                          ("wbsetclaim", handle_wbsetclaim), ("wbremoveclaims", handle_wbremoveclaims)):
        site.register_action(name, (lambda h: lambda req: h(req, repo))(handler), must_post=True,
                             token="csrf", write=True)
    site.register_query("meta", "wbcontentlanguages", lambda req: handle_wbcontentlanguages(req, repo))
    repo.concept_base = concept_base_uri or repo.concept_base
    site.siteinfo_extra["wikibase-conceptbaseuri"] = repo.concept_base
    site.siteinfo_extra["wikibase-propertytypes"] = {name: {"valuetype": valuetype}
                                                     for name, (valuetype, _limit) in DATATYPES.items()}
    site.extensions.append({"type": "wikibase", "name": "WikibaseRepository", "descriptionmsg": "wikibase-desc",
                            "author": "The Wikidata team",
                            "url": "https://www.mediawiki.org/wiki/Extension:Wikibase_Repository",
                            "license-name": "GPL-2.0-or-later"})
    return repo


def install_metabase(site: Site, *, concept_base_uri: str | None = None) -> WikibaseRepo:
    """Metabase: items in ``Item:`` (120), properties in ``Property:`` (122), no ``mul``; entity IRIs under
    ``concept_base_uri`` (default the real Metabase's, so clients that hard-code it get the same answers)."""
    return install(site, RepoLayout(article_path=f"{site.base_path}/wiki/$1"), concept_base_uri=concept_base_uri)
