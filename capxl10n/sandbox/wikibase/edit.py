"""How a Wikibase entity edit is decided: parse, apply, validate, patch (pure).

The flow is REL1_39's ``ModifyEntity`` + ``EditEntity``, as the recorded conflict cases
(``wikibase-responses/conflict-*``) and the peer show it:

1. The change is applied to the entity **at ``baserevid``** (the latest revision without one).
2. The result is validated: term and alias lengths, label ≠ description, the label+description
   pair against every item's *current* terms — the edited item included, which is why setting,
   from a stale base, the value another user already saved names the item itself — and a
   property's label against every other property's.
3. If the base is the latest revision the result is saved. Otherwise the user's diff
   (base → result: labels, descriptions, each language's aliases, each statement by GUID) is
   patched onto the latest revision: a changed part whose latest value is no longer the base
   value is a conflict and refuses the *whole* call (``editconflict``, also when the intervening
   edit was the same user's); else it is saved with the warning ``wikibase-conflict-patched`` and
   the answer shows base + change, not what was stored.

What ``data`` may hold (``wbeditentity``): labels, descriptions, aliases (set a language's list,
or ``add``/``remove`` single ones), claims (new, replaced by GUID, or ``remove``d) and, for a new
property, its ``datatype``. Sitelinks are refused as the peer refuses them (``not-recognized-site``:
Metabase has no sites); other keys are ignored, as REL1_39 ignores them.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from capxl10n.sandbox.wikibase.entity import (Entity, TERM_FIELDS, aliases_of, changed_aspects, set_aliases,
                                              set_aspect, set_statement, set_term, term_value)
from capxl10n.sandbox.wikibase.statements import (KNOWN_DATATYPES, DatatypeOf, Exists, find_statement,
                                                  modification_failed, parse_statement, unsupported_datatype)
from capxl10n.sandbox.wikibase.statements import DATATYPES as STORED_DATATYPES
from capxl10n.sandbox.wikibase.validate import (
    Message,
    WikibaseError,
    check_label_not_description,
    check_language,
    check_length,
    edit_conflict,
    inconsistent_language,
    invalid_json,
    label_description_conflict,
    normalize_value,
    not_recognized_array,
    truncate_param,
)

#: ``(lang, label, description) -> ids of items holding that pair now``
PairLookup = Callable[[str, str, str], Collection[str]]
#: ``(lang, label) -> ids of properties holding that label now``
LabelLookup = Callable[[str, str], Collection[str]]
MAX_ALIAS_LENGTH = 250


@dataclass(frozen=True)
class TermChange:
    """Set (``value``) or remove (``None``) one label or description."""

    field: str      # "labels" | "descriptions"
    lang: str
    value: str | None

    def apply(self, entity: Entity) -> None:
        set_term(entity, self.field, self.lang, self.value)


@dataclass(frozen=True)
class AliasChange:
    """Set a language's aliases, or add or remove some (``mode`` set | add | remove)."""

    lang: str
    mode: str
    values: tuple[str, ...]

    def apply(self, entity: Entity) -> None:
        current = aliases_of(entity, self.lang)
        if self.mode == "set":
            set_aliases(entity, self.lang, self.values)
        elif self.mode == "add":
            set_aliases(entity, self.lang, [*current, *self.values])
        else:
            set_aliases(entity, self.lang, [v for v in current if v not in self.values])


@dataclass(frozen=True)
class ClaimChange:
    """Add or replace (``statement``) or remove (``None``) the statement ``guid``."""

    guid: str
    statement: Mapping[str, Any] | None

    def apply(self, entity: Entity) -> None:
        set_statement(entity, self.guid, self.statement)


Change = TermChange | AliasChange | ClaimChange


@dataclass(frozen=True)
class StatementContext:
    """What parsing statements needs from the repository: datatypes, existence, namespace names."""

    datatype_of: DatatypeOf
    exists: Exists
    namespaces: Mapping[str, str] = field(default_factory=lambda: {"Q": "Item", "P": "Property"})


@dataclass
class ParsedData:
    """``wbeditentity``'s ``data``: the changes, whether a value needed normalising, a new property's datatype."""

    changes: list[Change]
    warned: bool = False
    datatype: str | None = None


def parse_data(raw: str, accepted: Collection[str], *, subject: str | None = None,
               statements: StatementContext | None = None, new_kind: str | None = None) -> ParsedData:
    """Parse ``data``; ``subject`` is the edited entity's id (None for a new one: GUIDs are made on save).

    >>> parse_data('{"labels": {"fr": {"language": "fr", "value": " x "}}}', {"fr"}).changes
    [TermChange(field='labels', lang='fr', value='x')]
    """
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise invalid_json() from None
    if isinstance(data, list) and not data:
        data = {}
    if not isinstance(data, dict):
        raise invalid_json()
    out = ParsedData([])
    for field_ in TERM_FIELDS:
        _parse_terms(data.get(field_), field_, accepted, out)
    _parse_aliases(data.get("aliases"), accepted, out)
    sitelinks = data.get("sitelinks")
    if sitelinks:
        site = next(iter(sitelinks)) if isinstance(sitelinks, dict) else (
            sitelinks[0].get("site") if isinstance(sitelinks, list) and isinstance(sitelinks[0], dict) else None)
        raise not_recognized_site(str(site))
    claims = data.get("claims")
    if claims:
        if statements is None:
            raise not_recognized_array()
        _parse_claims(claims, subject, statements, out)
    if new_kind == "property":
        datatype = data.get("datatype")
        if not isinstance(datatype, str) or datatype not in KNOWN_DATATYPES:
            raise WikibaseError("param-illegal", "A datatype was expected, but either missing or not recognized.",
                                [Message("wikibase-api-not-recognized-datatype", (),
                                         "A datatype was expected, but either missing or not recognized.")])
        if datatype not in STORED_DATATYPES:
            raise unsupported_datatype(datatype)
        out.datatype = datatype
    return out


def _entries(terms: Any) -> Iterable[tuple[str | None, object]]:
    if isinstance(terms, dict):
        return terms.items()
    if isinstance(terms, list):
        return ((None, item) for item in terms)
    raise not_recognized_array()


def _parse_terms(terms: Any, field_: str, accepted: Collection[str], out: ParsedData) -> None:
    if terms is None:
        return
    for key, item in _entries(terms):
        if not isinstance(item, dict):
            raise not_recognized_array()
        lang = item.get("language", key)
        if not isinstance(lang, str) or (key is not None and lang != key):
            raise inconsistent_language()
        check_language(lang, accepted)
        if "remove" in item:
            out.changes.append(TermChange(field_, lang, None))
            continue
        value = item.get("value")
        if not isinstance(value, str):
            raise not_recognized_array()
        text, changed = normalize_value(value)
        out.warned = out.warned or changed
        out.changes.append(TermChange(field_, lang, text or None))


def _parse_aliases(aliases: Any, accepted: Collection[str], out: ParsedData) -> None:
    """ChangeOpDeserializer for aliases: per language, entries without ``add``/``remove`` replace the list."""
    if aliases is None:
        return
    flat: list[tuple[str | None, object]] = []
    for key, group in _entries(aliases):
        items = group if isinstance(group, list) else [group]
        flat.extend((key, item) for item in items)
    to_set: dict[str, list[str]] = {}
    edits: list[AliasChange] = []
    for key, item in flat:
        if not isinstance(item, dict):
            raise not_recognized_array()
        lang = item.get("language", key)
        if not isinstance(lang, str) or (key is not None and lang != key):
            raise inconsistent_language()
        check_language(lang, accepted)
        value = item.get("value")
        if not isinstance(value, str):
            raise not_recognized_array()
        text, changed = normalize_value(value)
        out.warned = out.warned or changed
        check_alias(text)
        if "remove" in item:
            edits.append(AliasChange(lang, "remove", (text,)))
        elif "add" in item:
            edits.append(AliasChange(lang, "add", (text,)))
        else:
            to_set.setdefault(lang, []).append(text)
    out.changes.extend(AliasChange(lang, "set", tuple(values)) for lang, values in to_set.items())
    out.changes.extend(edits)


def check_alias(text: str) -> None:
    if not text:
        raise WikibaseError("modification-failed", "Each alias must be at least one character long", [
            Message("wikibase-validator-alias-too-short", ("1", ""), "Each alias must be at least one character long")])
    if len(text) > MAX_ALIAS_LENGTH:
        info = f"Each alias must be no more than {MAX_ALIAS_LENGTH} characters long"
        raise WikibaseError("modification-failed", info, [
            Message("wikibase-validator-alias-too-long", (str(MAX_ALIAS_LENGTH), truncate_param(text)), info)])


def _parse_claims(claims: Any, subject: str | None, ctx: StatementContext, out: ParsedData) -> None:
    items: list[Any]
    if isinstance(claims, dict):
        items = [c for group in claims.values() for c in (group if isinstance(group, list) else [group])]
    elif isinstance(claims, list):
        items = claims
    else:
        raise not_recognized_array()
    for item in items:
        if isinstance(item, dict) and "remove" in item:
            guid = item.get("id")
            if not isinstance(guid, str):
                raise modification_failed("Entity does not have statement with GUID ")
            out.changes.append(ClaimChange(guid, None))
            continue
        statement = parse_statement(item, subject or "Q0", datatype_of=ctx.datatype_of, exists=ctx.exists,
                                    namespaces=ctx.namespaces)
        out.changes.append(ClaimChange(str(statement["id"]), statement))


def not_recognized_site(site: str) -> WikibaseError:
    text = f"Unknown site: {site}"
    return WikibaseError("not-recognized-site", text, [Message("wikibase-api-not-recognized-site", (text,), text)])


def apply_changes(entity: Entity, changes: Iterable[Change]) -> Entity:
    """A copy of ``entity`` with the changes made, in order (a removed statement must exist)."""
    out = copy.deepcopy(entity)
    for change in changes:
        if isinstance(change, ClaimChange) and change.statement is None:
            if find_statement(out, change.guid) is None:
                raise modification_failed(f"Entity does not have statement with GUID {change.guid}")
        change.apply(out)
    return out


def with_guids(entity: Entity, subject: str) -> Entity:
    """A new entity's statements get GUIDs of the id it was given (they were parsed before it had one)."""
    out = copy.deepcopy(entity)
    for statements in (out.get("claims") or {}).values():
        for statement in statements:
            guid = str(statement.get("id", ""))
            if guid.startswith("Q0$"):
                statement["id"] = f"{subject}${guid[3:]}"
    return out


def validate(before: Entity, after: Entity, *, pairs: PairLookup, title_of: Callable[[str], str],
             article_path: str, property_labels: LabelLookup | None = None) -> None:
    """Wikibase's term validators for every language whose terms changed from ``before``."""
    diff = changed_aspects(before, after)
    for (kind, _lang), (_old, new) in diff.items():
        if kind in TERM_FIELDS and new is not None:
            check_length(kind, new)
        if kind == "aliases":
            for alias in new or ():
                check_alias(alias)
    languages = sorted({lang for kind, lang in diff if kind in TERM_FIELDS})
    for lang in languages:
        label, description = term_value(after, "labels", lang), term_value(after, "descriptions", lang)
        check_label_not_description(lang, label, description)
        if after.get("type") == "item" and label is not None and description is not None:
            holders = sorted(pairs(lang, label, description))
            if holders:
                other = holders[0]
                raise label_description_conflict(label, lang, other, title_of(other), article_path)
        if after.get("type") == "property" and label is not None and property_labels is not None:
            others = sorted(h for h in property_labels(lang, label) if h != after.get("id"))
            if others:
                raise property_label_conflict(label, lang, others[0], title_of(others[0]), article_path)


def property_label_conflict(label: str, lang: str, other_id: str, other_title: str,
                            article_path: str) -> WikibaseError:
    """Another property has this label (REL1_39 answers ``failed-save`` with the validator's message)."""
    link = f"[[{other_title}|{other_id}]]"
    href = article_path.replace("$1", other_title)
    html = (f"Property <a href=\"{href}\" title=\"{other_title}\">{other_id}</a> already has label \"{label}\" "
            f"associated with language code {lang}.")
    error = WikibaseError("failed-save", "The save has failed.", [
        Message("wikibase-api-failed-save", (), "The save has failed."),
        Message("wikibase-validator-label-conflict", (label, lang, link), html)])
    error.data["_header"] = "failed-save, wikibase-validator-label-conflict"
    return error


def patch(base: Entity, latest: Entity, wanted: Entity) -> Entity:
    """The user's diff (``base`` → ``wanted``) applied onto ``latest``; ``editconflict`` when a
    changed part has moved on since the base (whoever moved it)."""
    out = copy.deepcopy(latest)
    current = changed_aspects({}, latest)
    for key, (old, new) in changed_aspects(base, wanted).items():
        if current.get(key, (None, None))[1] != old:
            raise edit_conflict()
        set_aspect(out, key, new)
    return out


#: Beyond this many languages the summary gives their count (ChangedLanguagesCounter::SHORTENED_SUMMARY_MAX_EDIT).
SHORT_SUMMARY_LANGUAGES = 50


def languages_changed(before: Entity, after: Entity, changes: Iterable[Change]) -> tuple[list[str], bool]:
    """The languages whose labels, descriptions or aliases changed, in the order of the change ops (labels,
    descriptions, aliases, each as sent), and whether statements changed."""
    diff = changed_aspects(before, after)
    changed = {lang for kind, lang in diff if kind != "claims"}
    order = [c.lang for c in changes if isinstance(c, (TermChange, AliasChange))]
    langs = [lang for lang in dict.fromkeys([*order, *sorted(changed)]) if lang in changed]
    return langs, any(kind == "claims" for kind, _ in diff)


def summary_for_set(module: str, lang: str, old: str | None, new: str | None, user_summary: str) -> str:
    """``/* wbsetlabel-add:1|sv */ value, user summary`` as REL1_39 writes it."""
    action = "remove" if new is None else ("add" if old is None else "set")
    shown = old if new is None else new
    text = f"/* {module}-{action}:1|{lang} */ {shown}"
    return f"{text}, {user_summary}" if user_summary else text


def summary_for_edit(before: Entity, after: Entity, changes: Iterable[Change] = (), *, created: str | None,
                     cleared: bool, user_summary: str) -> str:
    """``/* wbeditentity-update-languages-short:0||sv, da */ summary`` and friends (REL1_39's keys:
    ``create-item``/``create-property``, ``override``, ``update-languages-short``,
    ``update-languages-and-other-short``, ``update``)."""
    if created:
        text = f"/* wbeditentity-create-{created}:0| */"
    elif cleared:
        text = "/* wbeditentity-override:0| */"
    else:
        langs, other = languages_changed(before, after, changes)
        suffix = "-and-other" if other else ""
        if not langs:
            text = "/* wbeditentity-update:0| */"
        elif len(langs) <= SHORT_SUMMARY_LANGUAGES:
            text = f"/* wbeditentity-update-languages{suffix}-short:0||{', '.join(langs)} */"
        else:
            text = f"/* wbeditentity-update-languages{suffix}:0||{len(langs)} */"
    return f"{text} {user_summary}" if user_summary else text


__all__ = ["AliasChange", "Change", "ClaimChange", "PairLookup", "ParsedData", "StatementContext", "TermChange",
           "apply_changes", "check_alias", "languages_changed", "parse_data", "patch", "summary_for_edit",
           "summary_for_set", "validate", "with_guids"]
