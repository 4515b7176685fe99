"""How a Wikibase term edit is decided: parse, apply, validate, patch (pure).

The flow is REL1_39's ``ModifyEntity`` + ``EditEntity``, as the recorded conflict cases
(``wikibase-responses/conflict-*``) show it:

1. The change is applied to the entity **at ``baserevid``** (the latest revision without one).
2. The result is validated: length, label ≠ description, and the label+description pair
   against every item's *current* terms — the edited item included, which is why setting,
   from a stale base, the value another user already saved names the item itself.
3. If the base is the latest revision the result is saved. Otherwise the user's diff
   (base → result) is patched onto the latest revision: a changed term whose latest value
   is no longer the base value is a conflict and refuses the *whole* call (``editconflict``,
   also when the intervening edit was the same user's); else it is saved with the warning
   ``wikibase-conflict-patched`` and the answer shows base + change, not what was stored.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from capxl10n.sandbox.wikibase.entity import Entity, changed_terms, set_term, term_value
from capxl10n.sandbox.wikibase.validate import (
    check_label_not_description,
    check_language,
    check_length,
    edit_conflict,
    inconsistent_language,
    invalid_json,
    label_description_conflict,
    normalize_value,
    not_recognized_array,
)

#: ``(lang, label, description) -> ids of items holding that pair now``
PairLookup = Callable[[str, str, str], Collection[str]]


@dataclass(frozen=True)
class TermChange:
    """Set (``value``) or remove (``None``) one label or description."""

    field: str      # "labels" | "descriptions"
    lang: str
    value: str | None


def parse_data(raw: str, accepted: Collection[str]) -> tuple[list[TermChange], bool]:
    """``wbeditentity``'s ``data``: the term changes, and whether any value needed normalising.

    Both shapes are accepted (``{"en": {"language": "en", "value": ...}}`` and lists of such
    objects); ``remove`` or an empty value removes. Other parts of the data (claims, aliases,
    sitelinks) are outside the sandbox and ignored (see docs/sandbox-wikibase.md).

    >>> parse_data('{"labels": {"fr": {"language": "fr", "value": " x "}}}', {"fr"})
    ([TermChange(field='labels', lang='fr', value='x')], False)
    """
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise invalid_json() from None
    if isinstance(data, list) and not data:
        data = {}
    if not isinstance(data, dict):
        raise invalid_json()
    changes: list[TermChange] = []
    warned = False
    for field in ("labels", "descriptions"):
        terms = data.get(field)
        if terms is None:
            continue
        if isinstance(terms, dict):
            entries: Iterable[tuple[str | None, object]] = terms.items()
        elif isinstance(terms, list):
            entries = ((None, item) for item in terms)
        else:
            raise not_recognized_array()
        for key, item in entries:
            if not isinstance(item, dict):
                raise not_recognized_array()
            lang = item.get("language", key)
            if not isinstance(lang, str) or (key is not None and lang != key):
                raise inconsistent_language()
            check_language(lang, accepted)
            if "remove" in item:
                changes.append(TermChange(field, lang, None))
                continue
            value = item.get("value")
            if not isinstance(value, str):
                raise not_recognized_array()
            text, changed = normalize_value(value)
            warned = warned or changed
            changes.append(TermChange(field, lang, text or None))
    return changes, warned


def apply_changes(entity: Entity, changes: Iterable[TermChange]) -> Entity:
    """A copy of ``entity`` with the changes made (later changes of a term win)."""
    out = copy.deepcopy(entity)
    for change in changes:
        set_term(out, change.field, change.lang, change.value)
    return out


def validate(before: Entity, after: Entity, *, pairs: PairLookup, title_of: Callable[[str], str],
             article_path: str) -> None:
    """Wikibase's term validators for every language whose terms changed from ``before``."""
    diff = changed_terms(before, after)
    for (field, _lang), (_old, new) in diff.items():
        if new is not None:
            check_length(field, new)
    for lang in sorted({lang for _field, lang in diff}):
        label, description = term_value(after, "labels", lang), term_value(after, "descriptions", lang)
        check_label_not_description(lang, label, description)
        if after.get("type") == "item" and label is not None and description is not None:
            holders = sorted(pairs(lang, label, description))
            if holders:
                other = holders[0]
                raise label_description_conflict(label, lang, other, title_of(other), article_path)


def patch(base: Entity, latest: Entity, wanted: Entity) -> Entity:
    """The user's diff (``base`` → ``wanted``) applied onto ``latest``; ``editconflict`` when a
    changed term has moved on since the base (whoever moved it)."""
    out = copy.deepcopy(latest)
    for (field, lang), (old, new) in changed_terms(base, wanted).items():
        if term_value(latest, field, lang) != old:
            raise edit_conflict()
        set_term(out, field, lang, new)
    return out


def summary_for_set(module: str, lang: str, old: str | None, new: str | None, user_summary: str) -> str:
    """``/* wbsetlabel-add:1|sv */ value, user summary`` as REL1_39 writes it."""
    action = "remove" if new is None else ("add" if old is None else "set")
    shown = old if new is None else new
    text = f"/* {module}-{action}:1|{lang} */ {shown}"
    return f"{text}, {user_summary}" if user_summary else text


def summary_for_edit(changes: Iterable[TermChange], *, created: bool, cleared: bool,
                     user_summary: str) -> str:
    """``/* wbeditentity-update-languages-short:0||sv, da */ summary`` and friends."""
    if created:
        text = "/* wbeditentity-create-item:0| */"
    elif cleared:
        text = "/* wbeditentity-override:0| */"
    else:
        langs = list(dict.fromkeys(change.lang for change in changes))
        text = f"/* wbeditentity-update-languages-short:0||{', '.join(langs)} */"
    return f"{text} {user_summary}" if user_summary else text


__all__ = ["PairLookup", "TermChange", "apply_changes", "parse_data", "patch",
           "summary_for_edit", "summary_for_set", "validate"]
