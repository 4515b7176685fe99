"""What is left to translate in one language: the missing and outdated names and descriptions.

Pure: no I/O. From the whole directory (:func:`capxl10n.core.directory.whole_directory`,
as ``State.whole_directory()`` gives it) and one translation language, one
:class:`TodoItem` per message that has English and, in that language, no text
(``missing``) or an outdated one (``outdated``: Translate's fuzzy state). The
counts agree with :mod:`capxl10n.core.coverage` (the same messages, the same
tests for "no text" and "outdated").

Each item carries what a translator needs: the English, the documentation
(``qqq``), the outdated text and the English it was made from where the
directory knows it (``meta["previous_source"]``), the capacity's place in the
tree (the English names of its ancestors, root first, and its branch: the
top-level capacity), and the links to the message in Meta-Wiki's
Special:Translate and to the Metabase item (:class:`Links`).

Items come in the tree's order (depth first, as :func:`capxl10n.core.model.tree_order`),
label before description; the report counts them per field and per branch.

:func:`wikidata_suggestion` picks, for a missing term, the linked Wikidata
concept's label or description in the language or its fallback chain
(``mul`` last, English never: it is the source). A suggestion is a concept's
text, not a translation of the capacity: only the translator export
(:mod:`capxl10n.catalogs.translator`) shows it, as a fuzzy entry for a human
to accept or not.

>>> from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
>>> d = Snapshot("directory", (Capacity("Q1", item="Q100"), Capacity("Q2", parent="Q1")), {
...     TermKey("Q1", "label", "en"): Term("Skills"), TermKey("Q2", "label", "en"): Term("Editing"),
...     TermKey("Q2", "description", "en"): Term("Changing articles"),
...     TermKey("Q1", "label", "pt-br"): Term("Competências"),
...     TermKey("Q2", "label", "pt-br"): Term("Edição", fuzzy=True)})
>>> report = todo(d, "pt-br")
>>> [(i.key.message_key, i.status, i.path) for i in report.items]
[('Q2-label', 'outdated', ('Skills',)), ('Q2-description', 'missing', ('Skills',))]
>>> report.counts()["all"], report.counts()["label"]
({'missing': 1, 'outdated': 1}, {'missing': 0, 'outdated': 1})
>>> links = Links.from_apis("https://meta.wikimedia.org/w/api.php", "https://metabase.wikibase.cloud/w/api.php")
>>> links.translate("Q7397-label", "pt-br")
'https://meta.wikimedia.org/w/index.php?title=Special:Translate&showMessage=Module:CapacityExchange/capacities.json/Q7397-label&group=messagebundle-Module:CapacityExchange/capacities.json&language=pt-br'
>>> links.item("Q123")
'https://metabase.wikibase.cloud/wiki/Item:Q123'
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

from capxl10n.core import langs
from capxl10n.core.directory import previous_english
from capxl10n.core.model import (DOC_LANGUAGE, FIELDS, SOURCE_LANGUAGE, Field, Snapshot, Term, TermKey,
                                 full_message_key, normalize_text)
from capxl10n.errors import UsageError

Status = Literal["missing", "outdated", "translated"]
#: Every status a term can have in a language, in the order reports name them.
STATUSES: Final[tuple[Status, ...]] = ("missing", "outdated", "translated")
#: What is left to do: the statuses ``capxl10n todo`` lists.
TODO: Final[tuple[Status, ...]] = ("missing", "outdated")
#: Wikidata's "multiple languages" code: language-independent labels, the last resort of a suggestion.
MUL: Final = "mul"
#: Snapshot meta (:mod:`capxl10n.core.directory`): ``{lang: {message key: English}}``; ``"*"`` applies to all.
DEFAULT_BUNDLE: Final = "Module:CapacityExchange/capacities.json"
DEFAULT_GROUP: Final = "messagebundle-Module:CapacityExchange/capacities.json"
#: Characters left as they are in a URL's query value (RFC 3986 unreserved, plus ``:`` and ``/``,
#: which a query may hold: page titles stay readable); everything else is percent-encoded as UTF-8.
_URL_SAFE: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/")


def url_quote(text: str) -> str:
    """``text`` percent-encoded for a URL's path or query value (UTF-8; ``:`` and ``/`` kept).

    >>> url_quote("Módulo:A b/c&d")
    'M%C3%B3dulo:A%20b/c%26d'
    """
    return "".join(chr(byte) if byte in _URL_SAFE else f"%{byte:02X}" for byte in text.encode("utf-8"))


@dataclass(frozen=True)
class Links:
    """Where a term is worked on: its message in Meta-Wiki's Special:Translate, its Metabase item page.

    ``metawiki_script`` is Meta-Wiki's ``index.php`` URL; ``metabase_pages`` the
    prefix a page title is appended to (``https://metabase.wikibase.cloud/wiki/``).
    The Special:Translate link is the one Translate itself makes for a single
    message (``TranslateUtils::getEditorUrl``, the editor's "link to this
    message"): ``index.php?title=Special:Translate&showMessage=<the message's
    key in its group>&group=<group id>&language=<code>``; a message bundle's key
    is ``<bundle page>/<message key>`` (``MessageBundleMessageGroup``, as
    ``list=messagecollection`` answers it), the group id
    ``messagebundle-<bundle page>``.
    """

    metawiki_script: str | None = None
    metabase_pages: str | None = None
    bundle_page: str = DEFAULT_BUNDLE
    message_group: str = DEFAULT_GROUP
    #: The namespace of Metabase's items (120 on wikibase.cloud).
    item_prefix: str = "Item:"

    @classmethod
    def from_apis(cls, metawiki_api: str | None, metabase_api: str | None, bundle_page: str = DEFAULT_BUNDLE,
                  message_group: str = DEFAULT_GROUP) -> Links:
        """From the wikis' ``api.php`` URLs (the profile's): the Wikimedia layout, ``/w/api.php`` beside
        ``/w/index.php`` and articles under ``/wiki/``; another layout reaches pages through ``index.php?title=``."""
        script = metawiki_api[:-len("api.php")] + "index.php" if metawiki_api and metawiki_api.endswith(
            "/api.php") else None
        pages = None
        if metabase_api and metabase_api.endswith("/w/api.php"):
            pages = metabase_api[:-len("/w/api.php")] + "/wiki/"
        elif metabase_api and metabase_api.endswith("/api.php"):
            pages = metabase_api[:-len("api.php")] + "index.php?title="
        return cls(script, pages, bundle_page, message_group)

    def translate(self, message_key: str, lang: str) -> str | None:
        """The message in Special:Translate, in ``lang`` (None when Meta-Wiki's URL is unknown)."""
        if not self.metawiki_script:
            return None
        key = full_message_key(self.bundle_page, message_key)
        return (f"{self.metawiki_script}?title=Special:Translate&showMessage={url_quote(key)}"
                f"&group={url_quote(self.message_group)}&language={url_quote(lang)}")

    def item(self, item: str | None) -> str | None:
        """The Metabase item's page (None without an item or Metabase's URL)."""
        if not item or not self.metabase_pages:
            return None
        return f"{self.metabase_pages}{url_quote(self.item_prefix + item)}"


@dataclass(frozen=True)
class TodoItem:
    """One message in one language, with what a translator needs to translate it."""

    key: TermKey
    status: Status
    #: The English (the bundle's source), normalised (NFC, trimmed).
    english: str
    #: The documentation (``qqq``), or None.
    documentation: str | None
    #: The text the language holds (outdated or translated; None when missing).
    text: str | None
    #: The English an outdated text was made from, where known and not the English of today.
    previous_english: str | None
    #: The English names of the capacity's ancestors, root first (empty for a top-level capacity).
    path: tuple[str, ...]
    #: The capacity's English name and description (context for both of its messages).
    name: str
    description: str | None
    #: The top-level capacity of the capacity's branch (the capacity itself at the top).
    branch: str
    item: str | None
    translate_url: str | None
    metabase_url: str | None
    #: Who last wrote the text and when, as the directory has it (None when missing).
    author: str | None = None
    timestamp: str | None = None

    @property
    def message_key(self) -> str:
        return self.key.message_key

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.message_key, "qid": self.key.qid, "field": self.key.field,
                               "status": self.status, "english": self.english, "documentation": self.documentation,
                               "path": list(self.path), "name": self.name, "description": self.description,
                               "item": self.item}
        if self.status == "outdated":
            out["outdated_text"] = self.text
            out["previous_english"] = self.previous_english
        elif self.status == "translated":
            out["translation"] = self.text
        if self.status != "missing":
            out["author"] = self.author
        out["translate_url"] = self.translate_url
        out["metabase_url"] = self.metabase_url
        return out


@dataclass(frozen=True)
class Branch:
    """A top-level capacity and its items in the report."""

    qid: str
    name: str
    item: str | None
    items: tuple[TodoItem, ...]

    def counts(self, statuses: Iterable[Status]) -> dict[str, dict[str, int]]:
        return _counts(self.items, statuses)


def _counts(items: Iterable[TodoItem], statuses: Iterable[Status]) -> dict[str, dict[str, int]]:
    wanted = tuple(statuses)
    out: dict[str, dict[str, int]] = {scope: dict.fromkeys(wanted, 0) for scope in (*FIELDS, "all")}
    for item in items:
        out[item.key.field][item.status] += 1
        out["all"][item.status] += 1
    return out


@dataclass(frozen=True)
class TodoReport:
    """What is left to translate in one language; rendered by :mod:`capxl10n.cli.render` and the HTML page."""

    lang: str
    #: The language's names in English and in itself, its BCP 47 tag and writing direction.
    name: str
    autonym: str
    bcp47: str
    direction: str
    #: The messages with English (what coverage counts against).
    messages: int
    statuses: tuple[Status, ...]
    items: tuple[TodoItem, ...]

    def counts(self) -> dict[str, dict[str, int]]:
        """``{label|description|all: {status: n}}``."""
        return _counts(self.items, self.statuses)

    def branches(self) -> tuple[Branch, ...]:
        """The items per top-level capacity, branches in tree order."""
        grouped: dict[str, list[TodoItem]] = {}
        for item in self.items:
            grouped.setdefault(item.branch, []).append(item)
        out = []
        for qid, items in grouped.items():
            head = next((i for i in items if i.key.qid == qid), None)
            name = head.name if head is not None else (items[0].path[0] if items[0].path else qid)
            out.append(Branch(qid, name, head.item if head is not None else None, tuple(items)))
        return tuple(out)

    def summary(self) -> str:
        counts = self.counts()["all"]
        done = ", ".join(f"{counts[s]} {s}" for s in self.statuses)
        return f"{self.lang} ({self.name}): {done} of {self.messages} messages with English"

    # -- rendering (capxl10n.cli.render's protocol) ---------------------------------------------
    def columns(self) -> tuple[str, ...]:
        return ("branch", "path", "capacity", "key", "field", "status", "english", "documentation", "outdated_text",
                "previous_english", "translate_url", "metabase_url")

    def table_columns(self) -> tuple[str, ...]:
        return ("status", "key", "capacity", "english")

    def table_caption(self) -> str:
        counts = self.counts()
        per_field = "; ".join(f"{fld}: " + ", ".join(f"{counts[fld][s]} {s}" for s in self.statuses)
                              for fld in FIELDS)
        return f"{self.summary()} ({per_field})"

    def records(self) -> list[dict[str, Any]]:
        branch_names = {b.qid: b.name for b in self.branches()}
        return [{"branch": branch_names.get(i.branch, i.branch), "path": " › ".join(i.path), "capacity": i.name,
                 "key": i.message_key, "field": i.key.field, "status": i.status, "english": i.english,
                 "documentation": i.documentation, "outdated_text": i.text if i.status == "outdated" else None,
                 "previous_english": i.previous_english, "translate_url": i.translate_url,
                 "metabase_url": i.metabase_url} for i in self.items]

    def to_json(self) -> dict[str, Any]:
        return {"lang": self.lang, "name": self.name, "autonym": self.autonym, "bcp47": self.bcp47,
                "direction": self.direction, "messages": self.messages, "counts": self.counts(),
                "branches": [{"qid": b.qid, "name": b.name, "item": b.item, "counts": b.counts(self.statuses),
                              "items": [i.to_json() for i in b.items]} for b in self.branches()]}


def translation_language(code: str) -> langs.Language:
    """The language of ``code``; :class:`~capxl10n.errors.UnknownLanguage` (a usage error naming the closest
    codes) when unknown, :class:`~capxl10n.errors.UsageError` for English, ``qqq`` and ``mul``."""
    language = langs.get(code)
    if not language.is_translation:
        raise UsageError(f"{code!r} is not a translation language",
                         hint="en is the source, qqq the documentation, mul no language: nothing to translate into")
    return language


def todo(directory: Snapshot, lang: str, links: Links | None = None,
         statuses: Iterable[Status] = TODO) -> TodoReport:
    """The messages of ``directory`` whose text in ``lang`` has one of ``statuses``, in tree order.

    A message counts when its English is not blank; its text in ``lang`` is
    ``missing`` when absent or blank, ``outdated`` when fuzzy, else ``translated``
    (as :mod:`capxl10n.core.coverage` counts).
    """
    language = translation_language(lang)
    wanted = tuple(dict.fromkeys(statuses))
    for asked in wanted:
        if asked not in STATUSES:
            raise UsageError(f"unknown status {asked!r}", hint=f"use {', '.join(STATUSES)}")
    english, docs, target = _by_language(directory, lang)
    previous = previous_english(directory, lang)

    def name_of(qid: str) -> str:
        return english.get((qid, "label"), "") or qid

    items: list[TodoItem] = []
    messages = 0
    for cap in directory.capacities:
        chain = directory.path(cap.qid)
        ancestors = tuple(name_of(q) for q in chain[:-1])
        for fld in FIELDS:
            msgid = english.get((cap.qid, fld), "")
            if not msgid:
                continue
            messages += 1
            term = target.get((cap.qid, fld))
            text = normalize_text(term.text) if term is not None else ""
            status: Status = "missing" if not text else "outdated" if term is not None and term.fuzzy else "translated"
            if status not in wanted:
                continue
            key = TermKey(cap.qid, fld, lang)
            old = previous.get(key.message_key) if status == "outdated" else None
            old = normalize_text(old) if old else None
            items.append(TodoItem(
                key=key, status=status, english=msgid, documentation=docs.get((cap.qid, fld)) or None,
                text=text or None, previous_english=old if old and old != msgid else None, path=ancestors,
                name=name_of(cap.qid), description=english.get((cap.qid, "description")) or None,
                branch=chain[0] if chain else cap.qid, item=cap.item,
                translate_url=links.translate(key.message_key, lang) if links is not None else None,
                metabase_url=links.item(cap.item) if links is not None else None,
                author=term.author if term is not None and text else None,
                timestamp=term.timestamp if term is not None and text else None))
    return TodoReport(lang, language.name, language.autonym, language.bcp47, language.direction, messages, wanted,
                      tuple(items))


def _by_language(directory: Snapshot, lang: str) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str],
                                                            dict[tuple[str, str], Term]]:
    """English and documentation texts (normalised, blank ones left out) and ``lang``'s terms, by (qid, field)."""
    english: dict[tuple[str, str], str] = {}
    docs: dict[tuple[str, str], str] = {}
    target: dict[tuple[str, str], Term] = {}
    for key, term in directory.terms.items():
        if key.lang == lang:
            target[(key.qid, key.field)] = term
        elif key.lang in (SOURCE_LANGUAGE, DOC_LANGUAGE):
            text = normalize_text(term.text)
            if text:
                (english if key.lang == SOURCE_LANGUAGE else docs)[(key.qid, key.field)] = text
    return english, docs, target


@dataclass(frozen=True)
class Suggestion:
    """A Wikidata concept's label or description offered for a missing term; ``lang`` says whose it is."""

    text: str
    #: The language of the fallback chain it was found in (``mul``: Wikidata's language-independent label).
    lang: str
    qid: str
    field: Field


def suggestion_chain(lang: str) -> tuple[str, ...]:
    """Where a suggestion for ``lang`` is looked for: the language, its MediaWiki fallbacks, then ``mul``.

    English is left out: it is the source, which the translator already has.

    >>> suggestion_chain("pt-br")
    ('pt-br', 'pt', 'mul')
    """
    return (*(code for code in langs.fallback_chain(lang) if code not in (SOURCE_LANGUAGE, MUL)), MUL)


def wikidata_suggestion(wikidata: Snapshot, key: TermKey, english: str = "") -> Suggestion | None:
    """The linked concept's text for ``key`` (its QID is the Wikidata id) in the first language of
    :func:`suggestion_chain` that has one; None when there is none or it only repeats ``english``.

    A value Wikidata's reader filled in from ``mul`` (``author == "mul"``, see
    :mod:`capxl10n.wikis.wikidata`) is ``mul``'s, not the language's: it is taken
    only after every language of the chain.
    """
    same = normalize_text(english).casefold()
    found: Suggestion | None = None
    for code in suggestion_chain(key.lang):
        term = wikidata.terms.get(TermKey(key.qid, key.field, code))
        if term is None or (term.author == MUL and code != MUL):
            continue
        text = normalize_text(term.text)
        if text:
            found = Suggestion(text, code, key.qid, key.field)
            break
    if found is None:
        term = wikidata.terms.get(key)
        text = normalize_text(term.text) if term is not None and term.author == MUL else ""
        if text:
            found = Suggestion(text, MUL, key.qid, key.field)
    if found is None or found.text.casefold() == same:
        return None
    return found


__all__ = ["MUL", "STATUSES", "TODO", "Branch", "Links", "Status", "Suggestion", "TodoItem", "TodoReport",
           "suggestion_chain", "todo", "translation_language", "url_quote", "wikidata_suggestion"]
