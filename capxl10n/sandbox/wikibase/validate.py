"""Wikibase's term rules and error answers, as REL1_39 gives them (pure).

Every refusal is a :class:`WikibaseError` carrying the API code, the ``info`` text and the
``messages`` list (name, parameters, html) recorded from the real repository (the recordings
tests/sandbox/test_sandbox_contract_wikibase.py replays); :mod:`capxl10n.sandbox.wikibase.api` turns it into
the API's error answer. Clients match codes and message names, so those are exact; texts
are exact where a recording shows them.

Input normalisation follows what REL1_39 did to values sent through the API (checked on the
peer): a run of tabs/newlines/CRs becomes one space, outer whitespace (incl. no-break and
other Unicode spaces) is trimmed, C0 controls become U+FFFD and non-NFC text is normalised
(both with the API's "invalid or non-normalized data" warning), and an empty result means
"remove". So tabs, newlines and other controls never provoke
``wikibase-validator-malformed-value`` through the API (docs/values.md).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Final

MAX_TERM_LENGTH: Final = 250
#: The API warning MediaWiki adds when it had to clean a parameter value.
NON_NORMALIZED_WARNING: Final = (
    'The value passed for "{name}" contains invalid or non-normalized data. Textual data should be '
    "valid, NFC-normalized Unicode without C0 control characters other than HT (\\t), LF (\\n), and "
    "CR (\\r).")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_OUTER_SPACE = r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
_TRIM = re.compile(rf"^{_OUTER_SPACE}|{_OUTER_SPACE}$")


@dataclass(frozen=True)
class Message:
    """One entry of an error's ``messages`` list; ``html`` is rendered per formatversion."""

    name: str
    parameters: tuple[str, ...] = ()
    html: str = ""


@dataclass
class WikibaseError(Exception):
    """A refusal with the real API code, info and messages (and extra ``data`` keys)."""

    code: str
    info: str
    messages: list[Message] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.info}"


def normalize_value(raw: str) -> tuple[str, bool]:
    """The stored form of a term value and whether the API would warn about it.

    >>> normalize_value("  spazi   interni  ")
    ('spazi   interni', False)
    >>> normalize_value("a\\t\\tb"), normalize_value("Cafe\\u0301")
    (('a b', False), ('Café', True))
    """
    warned = False
    if _C0.search(raw):
        raw, warned = _C0.sub("\ufffd", raw), True
    nfc = unicodedata.normalize("NFC", raw)
    if nfc != raw:
        warned = True
    value = _TRIM.sub("", _LINE_BREAKS.sub(" ", nfc))
    return value, warned


def truncate_param(value: str, limit: int = 32) -> str:
    """Long values in message parameters are cut as Wikibase cuts them (29 chars + ``...``)."""
    return value if len(value) <= limit else value[: limit - 3] + "..."


def check_length(field_: str, value: str, limit: int = MAX_TERM_LENGTH) -> None:
    """Terms are limited in code points (250 ``é`` are fine: 500 bytes)."""
    if len(value) > limit:
        kind = "label" if field_ == "labels" else "description"
        text = f"{kind.capitalize()} must be no more than {limit} characters long"
        raise WikibaseError("modification-failed", text, [
            Message(f"wikibase-validator-{kind}-too-long", (str(limit), truncate_param(value)), text)])


def check_label_not_description(lang: str, label: str | None, description: str | None) -> None:
    if label is not None and label == description:
        text = f"Label and description for language code {lang} can not have the same value."
        raise WikibaseError("modification-failed", text, [
            Message("wikibase-validator-label-equals-description", (lang,), text)])


def label_description_conflict(label: str, lang: str, other_id: str, other_title: str,
                               article_path: str = "/index.php/$1") -> WikibaseError:
    """Another item (or, from a stale base, this one) already has this label+description pair."""
    link = f"[[{other_title}|{other_id}]]"
    info = (f"Item {link} already has label \"{label}\" associated with language code {lang}, "
            "using the same description text.")
    href = article_path.replace("$1", other_title)
    html = (f"Item <a href=\"{href}\" title=\"{other_title}\">{other_id}</a> already has label "
            f"\"{label}\" associated with language code {lang}, using the same description text.")
    return WikibaseError("modification-failed", info, [
        Message("wikibase-validator-label-with-description-conflict", (label, lang, link), html)])


def check_language(lang: str, accepted: Collection[str]) -> None:
    """wbeditentity's answer to a term code the wiki does not accept (wbsetlabel: ``badvalue``)."""
    if lang not in accepted:
        text = "The supplied language code was not recognized."
        raise WikibaseError("not-recognized-language", text, [
            Message("wikibase-api-not-recognized-language", (), text)])


def _simple(code: str, name: str, text: str, *params: str, html: str | None = None) -> WikibaseError:
    return WikibaseError(code, text, [Message(name, params, html if html is not None else text)])


def edit_conflict() -> WikibaseError:
    text = "Edit conflict. Could not patch the current revision."
    return WikibaseError("editconflict", text, [
        Message("wikibase-api-editconflict", (), text), Message("edit-conflict", (), "Edit conflict.")])


def no_such_revision() -> WikibaseError:
    return _simple("nosuchrevid", "wikibase-api-nosuchrevid", "Revision with ID not found.")


def no_such_entity_on_write(entity_id: str) -> WikibaseError:
    """REL1_39 answers a write to a missing entity with an unexpanded message key as info."""
    return _simple("no-such-entity", "no-such-entity", "\u29fcno-such-entity\u29fd", entity_id)


def no_such_entity_on_read(raw_id: str) -> WikibaseError:
    error = _simple("no-such-entity", "wikibase-api-no-such-entity",
                    f"Could not find an entity with the ID \"{raw_id}\".", raw_id)
    error.data["id"] = raw_id
    return error


def invalid_entity_id() -> WikibaseError:
    return _simple("invalid-entity-id", "wikibase-api-invalid-entity-id", "Invalid entity ID.")


def invalid_json() -> WikibaseError:
    return _simple("invalid-json", "wikibase-api-invalid-json", "Invalid json in request.")


def not_recognized_array() -> WikibaseError:
    return _simple("not-recognized-array", "wikibase-api-not-recognized-array",
                   "An array was expected, but not recognized.")


def inconsistent_language() -> WikibaseError:
    return _simple("inconsistent-language", "wikibase-api-inconsistent-language",
                   "Inconsistent language detected.")


def illegal_id_or_site_page() -> WikibaseError:
    return _simple("param-illegal", "wikibase-api-illegal-id-or-site-page-selector",
                   'You need to provide either an entity "id", or a "site" and "page" combination, '
                   "but not both.",
                   html="You need to provide either an entity <var>id</var>, or a <var>site</var> and "
                        "<var>page</var> combination, but not both.")


def illegal_ids_or_sites_titles() -> WikibaseError:
    return _simple("param-missing", "wikibase-api-illegal-ids-or-sites-titles-selector",
                   'Either provide the Item "ids" or pairs of "sites" and "titles" for corresponding page')


def permission_denied(action: str) -> WikibaseError:
    """A write on a wiki where the account lacks the right (Wikidata in the sandbox)."""
    text = "You do not have the permissions needed to carry out this action."
    return WikibaseError("permissiondenied", text, [
        Message("wikibase-api-permissiondenied", (), text),
        Message("badaccess-groups", (action,), "The action you have requested is limited to users in "
                                                "the group: [[Project:Bots|Bots]].")])
