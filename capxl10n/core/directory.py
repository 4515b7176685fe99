"""The whole directory: everything both wikis know, each value saying where it came from.

Pure: no I/O. The catalogs and coverage are built from it, so it must hold what
translators and the app need to see, not only what both wikis agreed on: the
outdated translations (somebody's work, shown as fuzzy), the documentation, the
languages one wiki refuses, the values not yet synced, the bundle keys whose
capacity has no Metabase item yet, and who wrote what when. The state's read
cache (each wiki's latest read, kept current with our own writes) already holds
all of it, so composing it reads no wiki.

Rules per term ``(qid, field, lang)``, with M Metabase's value and W Meta-Wiki's
(a blank value counts as absent, as in the merge):

* W outdated (fuzzy): W's text, ``fuzzy`` — an outdated translation is still a
  translation; the renderers decide what to do with it (the ``.po`` flags it,
  the JSON skips it).
* M and W the same text: ``side="agreed"``.
* only W: ``side="metawiki"`` (not yet on Metabase, or in a language Metabase refuses);
  only M: ``side="metabase"`` (not yet on Meta-Wiki).
* both, different (an open conflict, or a value one wiki refuses): W's text,
  ``side="metawiki"``, as Translate's own export shows the unit.
* English: the bundle's (Meta-Wiki's ``en``); Metabase's where the bundle lacks the key.
  ``qqq`` (documentation): Meta-Wiki's.
* the English an outdated translation was made from (``meta["previous_source"]``,
  ``{lang: {message key: English}}``, the ``.po``'s ``#| msgid``): where the Meta-Wiki
  read's cursor knows it (it saw that English replaced; Translate's API does not say it).
* ``author`` and ``timestamp``: as the side read them (Meta-Wiki: the unit's last
  translator; Metabase: the item's last modification); an agreed term takes
  Meta-Wiki's and fills gaps from Metabase's.

Translate outdates every translation of a key whose English changes, but a
read of that only comes with the next sync: the keys whose English our own
write changed (the Meta-Wiki cursor's ``outdated_keys``) have their Meta-Wiki
translations shown fuzzy at once, so no catalog pairs new English with a
translation of the old.

Where a side's read is missing (a state written before the read cache, or a
Meta-Wiki read forgotten before an apply), the base stands in for it
(``side="base"``) and ``meta["from_base"]`` names it. A page we wrote whose answer
did not tell its content (a deletion, an edit Wikibase merged with someone
else's) is taken to hold what the base says until the next read. A term only in
the base, with both sides read, is known to neither wiki: it is left out.

The capacities are Metabase's tree (the stored tree when Metabase's read is
missing), then the bundle keys whose capacity has no Metabase item (the Meta-Wiki
cursor's bundle), as capacities without parent in bundle order. ``meta["message_order"]`` lists the
message keys in the bundle's order, then those the bundle lacks in tree order
(label before description): Translate's export follows the bundle.

>>> from capxl10n.core.cursors import Bundle, MetawikiCursor
>>> from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
>>> caps = (Capacity("Q1", item="Q100"),)
>>> pt, sh = TermKey("Q1", "label", "pt-br"), TermKey("Q1", "label", "sh-latn")
>>> mb = Snapshot("metabase", caps, {TermKey("Q1", "label", "en"): Term("Name"), pt: Term("Nome")})
>>> mw = Snapshot("metawiki", (), {TermKey("Q1", "label", "en"): Term("Name", side="metawiki"),
...                                pt: Term("Nome", fuzzy=True, side="metawiki", author="Ana"),
...                                sh: Term("Ime", side="metawiki")})
>>> read = MetawikiCursor(bundle=Bundle({"Q1-label": "Name", "Q2-label": "New"}))
>>> d = whole_directory({}, mb, mw, metawiki_cursor=read)
>>> [(k.qid, k.lang, t.side, t.fuzzy) for k, t in d.terms.items()]
[('Q1', 'en', 'agreed', False), ('Q1', 'pt-br', 'metawiki', True), ('Q1', 'sh-latn', 'metawiki', False)]
>>> [c.qid for c in d.capacities], d.meta["message_order"]
(['Q1', 'Q2'], ['Q1-label', 'Q2-label'])
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from capxl10n.errors import DataError
from capxl10n.core.cursors import MetabaseCursor, MetawikiCursor, OwnWrite
from capxl10n.core.merge import BaseTerm
from capxl10n.core.model import (DOC_LANGUAGE, FIELDS, MESSAGE_KEY_RE, SOURCE_LANGUAGE, Capacity, Snapshot, Term, TermKey,
                            tree_order)

#: The side of the composed snapshot, and of its terms that both wikis hold.
DIRECTORY_SIDE: Final = "directory"
AGREED: Final = "agreed"
#: Terms standing in for a side whose read is missing.
BASE_SIDE: Final = "base"
#: Snapshot meta: the message keys in bundle order (then the rest in tree order), for the renderers.
MESSAGE_ORDER_META: Final = "message_order"
#: Snapshot meta: ``{lang: {message key: English}}``, the English an outdated translation was made from,
#: where it is known (the catalogs' ``#| msgid``); the Meta-Wiki read's, for the terms shown outdated.
PREVIOUS_SOURCE_META: Final = "previous_source"
#: Snapshot meta: the sides the base stood in for (their reads were missing).
FROM_BASE_META: Final = "from_base"
_UNIT_PREFIX: Final = "Translations:"


def whole_directory(base: Mapping[TermKey, BaseTerm], metabase: Snapshot | None, metawiki: Snapshot | None,
                    capacities: Iterable[Capacity] = (), *, metabase_cursor: MetabaseCursor | None = None,
                    metawiki_cursor: MetawikiCursor | None = None) -> Snapshot:
    """Compose one snapshot (side ``directory``) of everything both wikis know; see the module docstring.

    ``base`` is the state's base (tombstones included), ``metabase``/``metawiki`` the
    cached reads (None when missing) and their cursors (the pages we wrote since, the
    bundle as read, the previous English of outdated units), ``capacities`` the stored
    tree (used when Metabase's read is missing).
    """
    for name, snapshot in (("metabase", metabase), ("metawiki", metawiki)):
        if snapshot is not None and snapshot.side != name:
            raise DataError(f"the {name} read of the directory is a {snapshot.side!r} snapshot",
                            hint="pass the metabase and metawiki reads in that order")
    stand_ins = [name for name, snapshot in (("metabase", metabase), ("metawiki", metawiki)) if snapshot is None]
    caps = list(metabase.capacities if metabase is not None else capacities)
    items = {c.item: c.qid for c in caps if c.item}
    mb_read = metabase_cursor if metabase is not None else None
    mw_read = metawiki_cursor if metawiki is not None else None
    m_terms = _side_terms("metabase", metabase, base, _dirty_metabase_keys(mb_read, items, base))
    w_terms = _outdating(_side_terms("metawiki", metawiki, base, _dirty_metawiki_keys(mw_read, base)), mw_read)

    bundle_order = list(mw_read.bundle.capacity_keys) if mw_read is not None and mw_read.bundle is not None else None
    known = {c.qid for c in caps}
    for message_key in bundle_order or ():
        qid = message_key.rpartition("-")[0]
        if qid not in known:
            known.add(qid)
            caps.append(Capacity(qid))
    if bundle_order is None:  # no bundle in the read: its English terms tell the keys
        for key in sorted(w_terms, key=TermKey.sort_key):
            if key.qid not in known and key.lang == SOURCE_LANGUAGE:
                known.add(key.qid)
                caps.append(Capacity(key.qid))

    terms: dict[TermKey, Term] = {}
    for key in set(m_terms) | set(w_terms):
        if key.qid not in known:
            continue  # a base value of a capacity neither wiki has any more
        term = _pick(m_terms.get(key), w_terms.get(key))
        if term is not None:
            terms[key] = term
    ordered = tree_order(caps)
    meta: dict[str, Any] = {MESSAGE_ORDER_META: _message_order(ordered, terms, bundle_order or [])}
    previous = _previous_sources(mw_read, terms)
    if previous:
        meta[PREVIOUS_SOURCE_META] = previous
    if stand_ins:
        meta[FROM_BASE_META] = stand_ins
    return Snapshot(DIRECTORY_SIDE, ordered, terms, meta)


def _pick(m: Term | None, w: Term | None) -> Term | None:
    """One term from the two sides' values (see the rules in the module docstring)."""
    if w is None:
        return m
    if m is None or w.fuzzy or (w.text != m.text and not w.same_text(m)):
        return w
    side = BASE_SIDE if m.side == w.side == BASE_SIDE else AGREED
    return Term(w.text, False, w.revision if w.revision is not None else m.revision, w.author or m.author, side,
                w.timestamp or m.timestamp)


def _side_terms(name: str, snapshot: Snapshot | None, base: Mapping[TermKey, BaseTerm],
                unknown: Iterable[TermKey]) -> dict[TermKey, Term]:
    """A side's non-blank terms, labelled with the side; the base's where the read is missing or a page's
    content is unknown after our write."""
    if snapshot is None:
        return {key: _from_base(name, b) for key, b in base.items() if _present(b.text)}
    out = {key: term if term.side == name else _relabel(term, name)
           for key, term in snapshot.terms.items() if _present(term.text)}
    for key in unknown:
        b = base[key]
        if _present(b.text):
            out[key] = Term(b.text or "", bool(b.fuzzy) and name == "metawiki", _revision(name, b), None, name)
        else:
            out.pop(key, None)
    return out


def _from_base(name: str, b: BaseTerm) -> Term:
    return Term(b.text or "", bool(b.fuzzy) and name == "metawiki", _revision(name, b), None, BASE_SIDE)


def _revision(name: str, b: BaseTerm) -> int | None:
    return b.metabase_rev if name == "metabase" else b.metawiki_rev


def _relabel(term: Term, side: str) -> Term:
    return Term(term.text, term.fuzzy, term.revision, term.author, side, term.timestamp)


def _present(text: str | None) -> bool:
    """Not blank: what :func:`~capxl10n.core.model.normalize_text` would not empty (NFC adds or drops no space)."""
    return text is not None and text != "" and not text.isspace()


def _unknown_pages(own: Mapping[str, OwnWrite]) -> list[str]:
    """Pages we wrote whose answer did not tell their content (the cursor keeps no revision of ours)."""
    return sorted(page for page, w in own.items() if not w.revisions)


def _dirty_metabase_keys(cursor: MetabaseCursor | None, items: Mapping[str, str],
                         base: Mapping[TermKey, BaseTerm]) -> list[TermKey]:
    qids = {items[page] for page in _unknown_pages(cursor.own_writes if cursor else {}) if page in items}
    return [key for key in base if key.qid in qids]


def _dirty_metawiki_keys(cursor: MetawikiCursor | None, base: Mapping[TermKey, BaseTerm]) -> list[TermKey]:
    units: set[tuple[str, str]] = set()
    bundle = False
    for page in _unknown_pages(cursor.own_writes if cursor else {}):
        if not page.startswith(_UNIT_PREFIX):
            bundle = True  # the only other page we write on Meta-Wiki
            continue
        parts = page.rsplit("/", 2)
        if len(parts) == 3 and MESSAGE_KEY_RE.match(parts[1]):
            units.add((parts[1], parts[2]))
    return [key for key in base if (key.message_key, key.lang) in units or (bundle and key.lang == SOURCE_LANGUAGE)]


def _previous_sources(cursor: MetawikiCursor | None, terms: Mapping[TermKey, Term]) -> dict[str, dict[str, str]]:
    """The Meta-Wiki read's previous English of outdated units, for those the directory shows outdated."""
    out: dict[str, dict[str, str]] = {}
    for lang, table in sorted((cursor.previous_source if cursor is not None else {}).items()):
        for message_key, text in table.items():
            match = MESSAGE_KEY_RE.match(message_key)
            term = terms.get(TermKey(match.group(1), match.group(2), lang)) if match and lang else None  # type: ignore[arg-type]
            if term is not None and term.fuzzy:
                out.setdefault(lang, {})[message_key] = text
    return out


def _outdating(terms: dict[TermKey, Term], cursor: MetawikiCursor | None) -> dict[TermKey, Term]:
    """Translations of the keys whose English our own write changed, outdated as Translate does."""
    keys = set(cursor.outdated_keys) if cursor is not None else set()
    if not keys:
        return terms
    return {key: Term(t.text, True, t.revision, t.author, t.side, t.timestamp)
            if key.message_key in keys and key.lang not in (SOURCE_LANGUAGE, DOC_LANGUAGE) and not t.fuzzy else t
            for key, t in terms.items()}


def _message_order(capacities: Iterable[Capacity], terms: Iterable[TermKey], bundle_order: list[str]) -> list[str]:
    with_terms = {key.message_key for key in terms}
    order = dict.fromkeys(bundle_order)
    for cap in capacities:
        for fld in FIELDS:
            message_key = f"{cap.qid}-{fld}"
            if message_key in with_terms:
                order.setdefault(message_key)
    return list(order)


def known_languages_only(snapshot: Snapshot) -> tuple[Snapshot, tuple[str, ...]]:
    """The snapshot without terms in languages :mod:`capxl10n.core.langs` does not know, and those codes.

    A unit page with an odd language suffix must not stop every catalog from being built.
    """
    from capxl10n.core import langs

    unknown = tuple(code for code in snapshot.languages() if not langs.is_known(code))
    if not unknown:
        return snapshot, ()
    terms = {k: t for k, t in snapshot.terms.items() if k.lang not in unknown}
    return Snapshot(snapshot.side, snapshot.capacities, terms, snapshot.meta), unknown


def digest(snapshot: Snapshot) -> str:
    """A content hash of the whole snapshot, meta included (the order of messages is content here).

    Compact JSON: json's C encoder (an indented dump is encoded in Python, several times slower).
    """
    raw = json.dumps(snapshot.to_json(), ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def previous_english(directory: Snapshot, lang: str) -> dict[str, str]:
    """Message key → the English an outdated translation in ``lang`` was made from, where the directory knows
    it (``meta["previous_source"]``: ``*`` for every language, then the language's own; the ``#| msgid``)."""
    raw = directory.meta.get(PREVIOUS_SOURCE_META)
    if not isinstance(raw, Mapping):
        return {}
    merged: dict[str, str] = {}
    for scope in ("*", lang):
        table = raw.get(scope)
        if isinstance(table, Mapping):
            merged.update({str(k): v for k, v in table.items() if isinstance(v, str)})
    return merged
