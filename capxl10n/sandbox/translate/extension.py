"""Meta-Wiki's Translate extension: the message bundle, unit pages, fuzzy state and its API modules.

Why it is modelled this closely (checked against Translate REL1_39's recorded answers by
tests/sandbox/test_sandbox_contract_translate.py and the real-wiki tier):
the pipeline's correctness depends on Translate's quirks — fuzzy is a tag on
the unit's latest revision (not a change tag, invisible in recentchanges, text
untouched), ``!!FUZZY!!`` saves are fuzzy and readers never see the marker, an
identical save over a fuzzy unit clears it with ``nochange``, ``/en`` units are
FuzzyBot's, ``/qqq`` is documentation, removed keys leave orphan units, and
``messagegroupstats`` is stale after an English change.

Known simplification: Translate's job queue runs at once (a new bundle's group
exists right after the save; the real wiki needs its jobs first). Stats are
still recomputed *before* the fuzzy tags are written, so they are stale as on
the real wiki until the language is touched again.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from capxl10n.core import langs
from capxl10n.sandbox.api.errors import ApiError
from capxl10n.sandbox.api.request import ApiRequest
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.mediawiki.modules import EditContext
from capxl10n.sandbox.store.wiki import Page, SaveResult, User, Wiki

BUNDLE_MODEL = "translate-messagebundle"
TRANSLATIONS_NS = 1198
FUZZY_MARKER = "!!FUZZY!!"
FUZZYBOT = "FuzzyBot"
FUZZYBOT_SUMMARY = "Importing a new version from external source"
KEY_RE = re.compile(r"^[a-zA-Z0-9\-_.]+$")
METADATA_KEYS = ("allowOnlyPriorityLanguages", "description", "priorityLanguages", "sourceLanguage")
MC_PROPS = ("definition", "translation", "tags", "revision", "properties")
MC_FILTERS = ("fuzzy", "translated", "hastranslation", "changed", "optional", "ignored")
MG_PROPS = ("id", "label", "description", "class", "namespace", "exists", "icon", "priority", "prioritylangs",
            "priorityforce", "workflowstates", "sourcelanguage")
BUNDLE_CLASS = "MediaWiki\\Extension\\Translate\\MessageBundleTranslation\\MessageBundleMessageGroup"


def _language_codes() -> tuple[str, ...]:
    codes = {lang.code for lang in langs.all_languages()}
    codes.discard("mul")
    return tuple(sorted(codes))


class BundleError(ValueError):
    """Translate refused the bundle content (always ``translate-messagebundle-validation-error``)."""


def parse_bundle(text: str, *, old_source_language: str | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """Validate bundle JSON as Translate does; return (messages in order, metadata)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise BundleError("Error while parsing the JSON: Syntax error") from None
    if not isinstance(data, dict):
        kind = {list: "array", str: "string", int: "integer", float: "double", bool: "boolean",
                type(None): "NULL"}.get(type(data), "unknown")
        raise BundleError(f"Message bundle must be a JSON object. Got type {kind}")
    metadata = data.pop("@metadata", {})
    if not isinstance(metadata, dict):
        raise BundleError("Metadata section must be a JSON object.")
    for key in metadata:
        if key not in METADATA_KEYS:
            raise BundleError(f'Metadata section contains an unknown key: "{key}". Supported keys are '
                              "allowOnlyPriorityLanguages, description, priorityLanguages and sourceLanguage.")
    source = metadata.get("sourceLanguage")
    if old_source_language is not None and source is not None and source != old_source_language:
        raise BundleError("The source language of a message bundle cannot be changed once it has been created.")
    messages: dict[str, str] = {}
    for key, value in data.items():
        if not KEY_RE.match(key):
            raise BundleError(f'Key "{key}" contains disallowed characters')
        if len(key.encode("utf-8")) > 100:
            raise BundleError(f'Key "{key}" is longer than 100 bytes')
        if not isinstance(value, str):
            raise BundleError(f'Key "{key}" does not contain string value')
        if not value.strip():
            raise BundleError(f'Key "{key}" does not have a value')
        messages[key] = value
    return messages, metadata


@dataclass
class Group:
    """One message bundle's message group."""

    title: str
    source_language: str
    messages: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: language -> (total, translated, fuzzy, proofread): Translate's stats cache
    stats: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    #: the keys in bundle order and key -> position (messagecollection pages by offset without a scan)
    keys: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)

    def set_messages(self, messages: dict[str, str]) -> None:
        self.messages = messages
        self.keys = list(messages)
        self.positions = {f"{self.title}/{key}": n for n, key in enumerate(self.keys)}

    @property
    def id(self) -> str:
        return f"messagebundle-{self.title}"

    def unit_title(self, key: str, lang: str) -> str:
        return f"Translations:{self.title}/{key}/{lang}"


class Translate:
    """Translate's state for one wiki; installed on Meta-Wiki by :func:`install`."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.wiki: Wiki = site.wiki
        self.groups: dict[str, Group] = {}
        self.languages = _language_codes()
        self.fuzzybot = self.wiki.add_user(FUZZYBOT, groups=("*", "bot"), system=True)

    # -- lookups ----------------------------------------------------------------
    def group_by_id(self, group_id: str) -> Group | None:
        if group_id.startswith("messagebundle-"):
            return self.groups.get(group_id[len("messagebundle-"):])
        return None

    def parse_unit_title(self, title: str) -> tuple[Group, str, str] | None:
        """``Translations:<bundle>/<key>/<lang>`` → (group, key, lang) for a bundle we know."""
        if not title.startswith("Translations:"):
            return None
        rest = title[len("Translations:"):]
        for group in self.groups.values():
            if rest.startswith(group.title + "/"):
                key, _, lang = rest[len(group.title) + 1:].rpartition("/")
                if key:
                    return group, key, lang
        return None

    def unit_page(self, group: Group, key: str, lang: str) -> Page | None:
        return self.wiki.pages.get(group.unit_title(key, lang))

    @staticmethod
    def is_fuzzy(page: Page) -> bool:
        return bool(page.props.get("fuzzy"))

    @staticmethod
    def strip_marker(text: str) -> str:
        return text.replace(FUZZY_MARKER, "")

    # -- stats -----------------------------------------------------------------
    def compute_stats(self, group: Group, lang: str) -> tuple[int, int, int, int]:
        total = len(group.messages)
        if lang == group.source_language:
            return total, total, 0, 0
        translated = fuzzy = 0
        for key in group.messages:
            page = self.unit_page(group, key, lang)
            if page is None:
                continue
            if self.is_fuzzy(page):
                fuzzy += 1
            else:
                translated += 1
        return total, translated, fuzzy, 0

    def refresh_stats(self, group: Group, languages: Iterable[str] | None = None) -> None:
        for lang in languages if languages is not None else self.languages:
            group.stats[lang] = self.compute_stats(group, lang)

    # -- bundle saves --------------------------------------------------------------
    def bundle_saved(self, title: str, text: str, user: User) -> None:
        """Re-derive the group after a bundle save: FuzzyBot /en units, stats, fuzzy tags."""
        old = self.groups.get(title)
        messages, metadata = parse_bundle(text)
        group = old or Group(title, metadata.get("sourceLanguage", "en"))
        previous = dict(group.messages)
        group.set_messages(messages)
        group.metadata = metadata
        self.groups[title] = group
        # A changed English outdates the key's translations; so does putting back a removed key (its stored
        # definition, the /en unit page, outlives the removal), even with the same English, as REL1_39 does.
        changed: list[str] = []
        for key, value in messages.items():
            if previous.get(key) != value:
                en = self.unit_page(group, key, group.source_language)
                if en is not None and (key not in previous or en.text != value):
                    changed.append(key)
                if en is None or en.text != value:
                    self.wiki.save_page(group.unit_title(key, group.source_language), value, user=self.fuzzybot,
                                        summary=FUZZYBOT_SUMMARY, bot=True)
        # Stats are recomputed before the fuzzy tags are written (stale, as on the real wiki).
        self.refresh_stats(group)
        for key in changed:
            for page in self.wiki.pages_in(TRANSLATIONS_NS, f"{title}/{key}/"):
                lang = page.title.rpartition("/")[2]
                if lang in (group.source_language, "qqq"):
                    continue
                page.props["fuzzy"] = True

    # -- edit filter -------------------------------------------------------------------
    def edit_filter(self, req: ApiRequest, ctx: EditContext) -> None:
        model = ctx.content_model or (ctx.page.content_model if ctx.page else None)
        if model == BUNDLE_MODEL:
            old = self.groups.get(ctx.title)
            try:
                parse_bundle(ctx.text, old_source_language=old.source_language if old else None)
            except BundleError as exc:
                raise ApiError("translate-messagebundle-validation-error", f"Invalid message bundle: {exc}",
                               module=req.module) from None
            ctx.pst = False
            text, user = ctx.text, ctx.user

            def after(result: SaveResult) -> None:
                if not result.nochange:
                    self.bundle_saved(result.page.title, text, user)

            ctx.after_save.append(after)
            return
        if ctx.ns != TRANSLATIONS_NS:
            return
        if req.user is None:
            raise ApiError("protectednamespace", "You do not have permission to edit pages in the Translations "
                           "namespace.", module=req.module)
        parsed = self.parse_unit_title(ctx.title)
        if parsed is None:
            raise ApiError("tpt-unknown-page", "This namespace is reserved for content page translations. The page "
                           "you are trying to edit does not seem to correspond to any page marked for translation.",
                           module=req.module)
        group, key, lang = parsed
        if key not in group.messages:
            raise ApiError("tpt-unknown-page", "This namespace is reserved for content page translations. The page "
                           "you are trying to edit does not seem to correspond to any page marked for translation.",
                           module=req.module)
        if lang not in self.languages:
            return  # saved silently as a plain page, as REL1_39 does
        if group.metadata.get("allowOnlyPriorityLanguages") and lang not in (
                group.metadata.get("priorityLanguages") or []) and lang not in ("en", "qqq"):
            raise ApiError("tpt-translation-restricted", "Translation to this language has been disabled by "
                           "the translation administrator.", module=req.module)
        ctx.pst = lang == "qqq"
        fuzzy = FUZZY_MARKER in ctx.text and lang != "qqq"

        def after_unit(result: SaveResult) -> None:
            result.page.props["fuzzy"] = fuzzy
            self.refresh_stats(group, [lang])

        ctx.after_save.append(after_unit)


def install(site: Site) -> Translate:
    """Register Translate's modules and edit filter on Meta-Wiki; return its state."""
    translate = Translate(site)
    site.namespace_protection[TRANSLATIONS_NS] = "translate"
    site.extensions.append({"type": "specialpage", "name": "Translate", "namemsg": "translate-extensionname",
                            "descriptionmsg": "translate-desc",
                            "author": "Niklas Laxström, Siebrand Mazeland, Santhosh Thottingal, Amir E. Aharoni, "
                                      "Abijeet Patro, ...",
                            "url": "https://www.mediawiki.org/wiki/Extension:Translate", "version": "2022-07-28",
                            "license-name": "GPL-2.0-or-later"})
    site.edit_filters.append(translate.edit_filter)
    site.register_query("list", "messagecollection", lambda req: messagecollection(req, translate, ""))
    site.register_query("generator", "messagecollection",
                        lambda req: messagecollection_generator(req, translate))
    site.register_query("meta", "messagegroups", lambda req: messagegroups(req, translate))
    site.register_query("meta", "messagegroupstats", lambda req: messagegroupstats(req, translate))
    site.register_query("meta", "languagestats", lambda req: languagestats(req, translate))
    site.register_query("meta", "messagetranslations", lambda req: messagetranslations(req, translate))
    site.register_action("translationreview", lambda req: translationreview(req, translate), must_post=True,
                         token="csrf", write=True)
    site.translate = translate  # type: ignore[attr-defined]
    return translate


# -- list=messagecollection -----------------------------------------------------------

@dataclass
class McRow:
    key: str
    definition: str
    page: Page | None
    lang: str


def _mc_rows(req: ApiRequest, tr: Translate, p: str, *, generator: bool = False
             ) -> tuple[Group, str, list[McRow] | None, list[str]]:
    """Validate the mc* parameters; the filtered rows, or None when no filter is active (every key)."""
    group_id = req.require(f"{p}mcgroup")
    lang = req.get(f"{p}mclanguage", "en") or "en"
    group = tr.group_by_id(group_id)
    if group is None:
        raise ApiError("badparameter", f'Invalid value for parameter "{p}mcgroup".', module="messagecollection")
    if lang not in tr.languages:
        raise ApiError("translate-invalidlanguage", f"Language code {lang} is not valid.",
                       module="messagecollection")
    if lang == group.source_language:
        req.warn("messagecollection", "The source language of this group is English. Please select another "
                 "language to translate into.", "translate-language-disabled-source")
    raw_filters = req.get(f"{p}mcfilter")
    filters = ["!optional", "!ignored"] if raw_filters is None else [f for f in raw_filters.split("|") if f]
    for flt in filters:
        name = flt.lstrip("!")
        base = name.split(":")[0]
        if name not in MC_FILTERS and base not in ("reviewer", "last-translator"):
            raise ApiError("invalidfilter", f"Unknown filter {name}", module="messagecollection")
    props = req.multi(f"{p}mcprop", MC_PROPS, default=["definition", "translation"])
    # Filters nothing in the sandbox can hit are no-ops when negated (the default !optional|!ignored).
    active = [f for f in filters if not (f.startswith("!") and f.lstrip("!").split(":")[0] in
                                          ("optional", "ignored", "changed", "reviewer"))]
    if generator:
        active.append("hastranslation")  # Translate's generator lists existing translation pages only
    if not active:
        return group, lang, None, props

    def matches(row: McRow, flt: str) -> bool:
        negate = flt.startswith("!")
        name = flt.lstrip("!")
        page = row.page
        if name == "fuzzy":
            hit = page is not None and tr.is_fuzzy(page)
        elif name == "translated":
            hit = page is not None and not tr.is_fuzzy(page)
        elif name == "hastranslation":
            hit = page is not None
        elif name.startswith("last-translator:"):
            hit = page is not None and str(page.latest.userid) == name.split(":", 1)[1]
        else:  # changed, optional, ignored, reviewer:N — nothing in the sandbox has them
            hit = False
        return hit != negate

    pages = tr.wiki.pages
    prefix = f"Translations:{group.title}/"
    rows = [McRow(key, group.messages[key], pages.get(f"{prefix}{key}/{lang}"), lang) for key in group.keys]
    return group, lang, [r for r in rows if all(matches(r, f) for f in active)], props


def _mc_page(req: ApiRequest, tr: Translate, p: str, group: Group, lang: str,
             rows: list[McRow] | None) -> tuple[list[McRow], str | None, int, int]:
    """One page of rows from ``mcoffset`` (a key or an index): (rows, next key, remaining, result size)."""
    limit = req.limit(f"{p}mclimit", default=500, max=5000, high_max=5000, module="messagecollection")
    offset_raw = req.get(f"{p}mcoffset")
    size = len(group.keys) if rows is None else len(rows)
    start = 0
    if offset_raw:
        if offset_raw.isdigit():
            start = int(offset_raw)
        elif rows is None:
            start = group.positions.get(offset_raw, size)
        else:
            keys = [f"{group.title}/{r.key}" for r in rows]
            start = keys.index(offset_raw) if offset_raw in keys else size
    if rows is None:
        pages = tr.wiki.pages
        prefix = f"Translations:{group.title}/"
        chosen = [McRow(key, group.messages[key], pages.get(f"{prefix}{key}/{lang}"), lang)
                  for key in group.keys[start:start + limit]]
        nxt = group.keys[start + limit] if start + limit < size else None
    else:
        chosen = rows[start:start + limit]
        nxt = rows[start + limit].key if start + limit < size else None
    remaining = max(0, size - start - len(chosen))
    return chosen, (f"{group.title}/{nxt}" if nxt is not None else None), remaining, size


def _fix_limit_warning(req: ApiRequest) -> None:
    for warning in req.warnings:
        if "mclimit" in warning.text and "5000" in warning.text:
            warning.text = warning.text.replace("5000", "5,000")


def _mc_entry(req: ApiRequest, tr: Translate, group: Group, row: McRow, props: list[str]) -> dict[str, Any]:
    page = row.page
    fuzzy = page is not None and tr.is_fuzzy(page)
    entry: dict[str, Any] = {"key": f"{group.title}/{row.key}"}
    if "definition" in props:
        entry["definition"] = row.definition
    if "translation" in props:
        entry["translation"] = tr.strip_marker(page.text) if page is not None else None
    if "tags" in props:
        entry["tags"] = ["fuzzy"] if fuzzy else []
    if "revision" in props:
        entry["revision"] = str(page.latest.revid) if page is not None else None
    if "properties" in props:
        if page is None:
            entry["properties"] = {"status": "untranslated", "last-translator-text": None,
                                   "last-translator-id": None}
        else:
            entry["properties"] = {"revision": str(page.latest.revid),
                                   "status": "fuzzy" if fuzzy else "translated",
                                   "last-translator-text": page.latest.user,
                                   "last-translator-id": str(page.latest.userid)}
    entry["title"] = group.unit_title(row.key, row.lang)
    entry["targetLanguage"] = row.lang
    entry["primaryGroup"] = group.id
    return entry


def messagecollection(req: ApiRequest, tr: Translate, p: str) -> dict[str, Any]:
    group, lang, rows, props = _mc_rows(req, tr, p)
    chosen, nxt, remaining, size = _mc_page(req, tr, p, group, lang, rows)
    _fix_limit_warning(req)
    if nxt is not None:
        req.continue_with({"mcoffset": nxt})
    return {"metadata": {"state": False, "resultsize": size, "remaining": remaining},
            "messagecollection": [_mc_entry(req, tr, group, row, props) for row in chosen]}


def messagecollection_generator(req: ApiRequest, tr: Translate) -> list[Page]:
    group, lang, rows, _props = _mc_rows(req, tr, "g", generator=True)
    chosen, nxt, remaining, size = _mc_page(req, tr, "g", group, lang, rows)
    _fix_limit_warning(req)
    if nxt is not None:
        req.continue_with({"gmcoffset": nxt}, generator=True)
    req.query_data["metadata"] = {"state": False, "resultsize": size, "remaining": remaining}
    return [row.page for row in chosen if row.page is not None]


# -- meta modules -----------------------------------------------------------------------------

def messagegroups(req: ApiRequest, tr: Translate) -> dict[str, Any]:
    props = req.multi("mgprop", MG_PROPS, default=["id", "label", "description", "class", "exists"])
    flt = req.get("mgfilter")
    req.get("mgroot")
    req.get("mgformat")
    req.get("mgpostprocess")
    req.get("mglanguage")
    groups: list[dict[str, Any]] = []
    specials = [
        {"id": "!recent", "label": "Recent translations", "description": "This message group shows all recent "
         "translations into this language.\nMost useful for the review tasks.", "class": "RecentMessageGroup"},
        {"id": "!additions", "label": "Recent additions", "description": "This message group shows new and "
         "changed messages.", "class": "RecentAdditionsMessageGroup"},
    ]
    candidates: list[dict[str, Any]] = [dict(s, exists=True, namespace=-1, sourcelanguage="en") for s in specials]
    for group in tr.groups.values():
        candidates.append({"id": group.id, "label": group.title,
                           "description": f"Messages of a message bundle defined on page [[:{group.title}|"
                                          f"{group.title}]].",
                           "class": BUNDLE_CLASS, "namespace": TRANSLATIONS_NS, "exists": True,
                           "priority": "default",
                           "prioritylangs": group.metadata.get("priorityLanguages") or False,
                           "priorityforce": bool(group.metadata.get("allowOnlyPriorityLanguages")),
                           "workflowstates": False, "sourcelanguage": group.source_language})
    pattern = None
    if flt:
        pattern = re.compile("^(?:" + "|".join(re.escape(f).replace(r"\*", ".*") for f in flt.split(",")) + ")$")
    for cand in candidates:
        if pattern is not None and not pattern.match(cand["id"]):
            continue
        groups.append({name: cand.get(name, False) for name in props if name != "icon"})
    return {"messagegroups": groups}


def messagegroupstats(req: ApiRequest, tr: Translate) -> dict[str, Any]:
    group_id = req.require("mgsgroup")
    group = tr.group_by_id(group_id)
    if group is None:
        raise ApiError("badparameter", 'Invalid value for parameter "mgsgroup".', module="messagegroupstats")
    suppress_complete = req.flag("mgssuppresscomplete")
    suppress_empty = req.flag("mgssuppressempty")
    req.get("mgsincludedisabled")
    offset = req.get("mgsoffset")
    out = []
    for lang in tr.languages:
        if offset and lang < offset:
            continue
        stats = group.stats.get(lang)
        if stats is None:
            req.continue_with({"mgsoffset": lang})
            tr.refresh_stats(group, [lang])
            break
        total, translated, fuzzy, proofread = stats
        if suppress_complete and total and translated == total:
            continue
        if suppress_empty and translated == 0:
            continue
        out.append({"total": total, "translated": translated, "fuzzy": fuzzy, "proofread": proofread,
                    "code": lang, "language": lang})
    return {"messagegroupstats": out}


def languagestats(req: ApiRequest, tr: Translate) -> dict[str, Any]:
    """meta=languagestats: one language's figures in every message group (computed at once: the sandbox's
    Translate has no stats cache to warm, so there is never an ``lsoffset`` continuation)."""
    lang = req.require("lslanguage")
    if lang not in tr.languages:
        raise ApiError("translate-invalidlanguage", f"Language code {lang} is not valid.", module="languagestats")
    suppress_complete = req.flag("lssuppresscomplete")
    suppress_empty = req.flag("lssuppressempty")
    req.get("lsincludedisabled")
    offset = req.get("lsoffset")
    out = []
    for group in sorted(tr.groups.values(), key=lambda g: g.id):
        if offset and group.id < offset:
            continue
        if group.stats.get(lang) is None:
            tr.refresh_stats(group, [lang])
        total, translated, fuzzy, proofread = group.stats[lang]
        if suppress_complete and total and translated == total:
            continue
        if suppress_empty and translated == 0:
            continue
        out.append({"total": total, "translated": translated, "fuzzy": fuzzy, "proofread": proofread,
                    "group": group.id})
    return {"languagestats": out}


def messagetranslations(req: ApiRequest, tr: Translate) -> dict[str, Any]:
    title = req.require("mttitle")
    req.get("mtoffset")
    wiki = tr.wiki
    try:
        _ns, norm = wiki.normalize_title(title)
    except ValueError:
        raise ApiError("nomessagefortitle", "Title does not correspond to a translatable message",
                       module="messagetranslations") from None
    parsed = tr.parse_unit_title(norm)
    if parsed is not None and parsed[2] in tr.languages:
        group, key = parsed[0], parsed[1]
    else:
        parsed = tr.parse_unit_title(norm + "/x")
        if parsed is None:
            raise ApiError("nomessagefortitle", "Title does not correspond to a translatable message",
                           module="messagetranslations")
        group, key = parsed[0], parsed[1]
    if key not in group.messages:
        raise ApiError("nomessagefortitle", "Title does not correspond to a translatable message",
                       module="messagetranslations")
    out = []
    for page in wiki.pages_in(TRANSLATIONS_NS, f"{group.title}/{key}/"):
        lang = page.title.rpartition("/")[2]
        entry: dict[str, Any] = {"title": page.title, "language": lang, "lasttranslator": page.latest.user}
        if tr.is_fuzzy(page):
            entry["fuzzy"] = "fuzzy"
        entry[req.text_key("translation")] = tr.strip_marker(page.text)
        out.append(entry)
    return {"messagetranslations": out}


def translationreview(req: ApiRequest, tr: Translate) -> dict[str, Any]:
    req.require("revision")
    if not req.has_right("translate-messagereview"):
        raise ApiError("permissiondenied", "You don't have permission to review translations.", module=req.module)
    raise ApiError("invalidrevision", "Invalid revision.", module=req.module)


def seed_unit(tr: Translate, group: Group, key: str, lang: str, text: str, *, user: User,
              fuzzy: bool = False) -> Page:
    """Create a unit directly in the store (seeding); fuzzy as after an English change: tag only."""
    result = tr.wiki.save_page(group.unit_title(key, lang), text, user=user,
                               summary=f'Created page with "{text[:200]}"')
    result.page.props["fuzzy"] = fuzzy and lang != "qqq"
    return result.page


def seed_bundle(tr: Translate, title: str, messages: dict[str, str], *, user: User) -> Group:
    """Create the bundle page and its group (seeding)."""
    text = json.dumps({"@metadata": {"sourceLanguage": "en"}, **messages}, ensure_ascii=False, indent="\t")
    tr.wiki.save_page(title, text, user=user, content_model=BUNDLE_MODEL, summary="")
    tr.bundle_saved(title, text, user)
    return tr.groups[title]
