"""Banana-format JSON catalogs for the app, with the fallback chain resolved.

One file per language, ``json/<mw-code>.json``, in the layout Translate and
translatewiki.net use for the app's UI strings (``@metadata`` first, tab
indent, raw UTF-8, trailing newline), so the front end loads both the same way.
The keys are the bundle message keys (``Q7397-label``).

Resolution: for each key, the first language of the MediaWiki fallback chain
(``langs.fallback_chain``: the code itself, its fallbacks, then ``en``) that
has a non-empty, non-fuzzy term wins. Fuzzy translations are never used —
Translate's exports skip them too — the chain moves on. A key that no language
of the chain has is absent from the file. Keys are kept even when the English
source is missing, if another language of the chain has text (the app can
still show it; the gettext catalogs cannot have such an entry).

``@metadata`` carries, besides banana's ``authors`` (the people whose text
in this language the file holds, :mod:`capxl10n.catalogs.credits`): the language
(``locale``, ``bcp47``, ``dir``), the chain used, the generator, the message
group, ``provenance`` per key (``lang`` actually used, ``side`` the term was
read from, ``fuzzy``: a translation earlier in the chain was outdated and
skipped) and ``hash``, a content hash of the messages and provenance that
changes exactly when the file's content does.

:func:`documentation_file` writes ``qqq.json``, the message documentation,
as banana does for translators and translation memories.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol

from capxl10n.catalogs.credits import credited
from capxl10n.core.model import DOC_LANGUAGE, Term, normalize_text

INDEX_FORMAT: Final = "capxl10n-catalog-index/1"
INDEX_NAME: Final = "index.json"
DOCUMENTATION_NAME: Final = f"{DOC_LANGUAGE}.json"


class JsonLanguage(Protocol):
    """The part of :class:`capxl10n.core.langs.Language` the JSON files describe."""

    code: str
    bcp47: str
    gettext: str
    direction: str
    name: str
    autonym: str


class Resolved(NamedTuple):
    """The text chosen for one key of one language, and where it came from.

    A named tuple: a 2,000 x 300 build makes over a million of them.
    """

    text: str
    lang: str
    side: str
    fuzzy_skipped: bool
    author: str | None

    def provenance(self) -> dict[str, Any]:
        return {"lang": self.lang, "side": self.side, "fuzzy": self.fuzzy_skipped}


def by_language(terms: Mapping[tuple[str, str, str], Term], *,
                normalized: bool = False) -> dict[str, dict[str, Term]]:
    """Terms by language, then message key (``Q7397-label``), for :func:`resolve_indexed`."""
    out: dict[str, dict[str, Term]] = {}
    for (qid, fld, lang), term in terms.items():
        table = out.get(lang)
        if table is None:
            table = out[lang] = {}
        table[qid + "-" + fld] = term if normalized else replace(term, text=normalize_text(term.text))
    return out


def resolve(message_keys: Sequence[tuple[str, str]], terms: Mapping[tuple[str, str, str], Term],
            chain: Sequence[str], *, normalized: bool = False) -> dict[str, Resolved]:
    """Each message key (``(qid, field)``, in catalog order) resolved through ``chain``.

    ``normalized``: the terms' texts are already NFC and trimmed (as in
    :func:`capxl10n.catalogs.po.prepare`), so they are not normalised again.
    """
    wanted = set(chain)
    index = by_language({k: t for k, t in terms.items() if k[2] in wanted}, normalized=normalized)
    return resolve_indexed([qid + "-" + fld for qid, fld in message_keys], index, chain)


def resolve_indexed(message_keys: Sequence[str], by_lang: Mapping[str, Mapping[str, Term]],
                    chain: Sequence[str]) -> dict[str, Resolved]:
    """:func:`resolve` over terms already indexed by :func:`by_language` (texts normalised).

    Done once per build, the index turns each lookup into one dict access by
    a string whose hash Python keeps: tuple keys were hashed anew every time.
    """
    tables = [(lang, by_lang[lang]) for lang in chain if lang in by_lang]
    new = tuple.__new__  # Resolved(...) without the named tuple's keyword-handling __new__
    out: dict[str, Resolved] = {}
    for key in message_keys:
        skipped = False
        for lang, table in tables:
            term = table.get(key)
            if term is None or not term.text:
                continue
            if term.fuzzy:
                skipped = True
                continue
            out[key] = new(Resolved, (term.text, lang, term.side, skipped, term.author))
            break
    return out


#: One string as JSON, exactly ``json.dumps(text, ensure_ascii=False)`` (``"``, ``\\`` and C0 controls
#: escaped, everything else raw), through the public encoder API: ``JSONEncoder.encode`` hands a
#: ``str`` straight to json's C string encoder, without the per-call set-up of ``json.dumps``.
_encode_string: Final = json.JSONEncoder(ensure_ascii=False).encode


def _dump(data: Any, depth: int = 2) -> bytes:
    """Tab-indented JSON down to ``depth`` levels, anything deeper on one line.

    Same JSON as ``json.dumps(indent="\\t")`` once parsed, but deeper values
    stay compact (one provenance record per line) and the C encoder does the
    work: the pure-Python indenting encoder took most of a large build.
    """
    return (_pretty(data, depth, "") + "\n").encode("utf-8")


def _pretty(value: Any, depth: int, indent: str) -> str:
    if depth <= 0 or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    inner = indent + "\t"
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_pretty(v, depth - 1, inner)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + _pretty(v, depth - 1, inner) for v in value) + "\n" + indent + "]"


def banana_file(language: JsonLanguage, chain: Sequence[str], resolved: Mapping[str, Resolved], *,
                generator: str, message_group: str, encoded: dict[str, str] | None = None,
                exclude_authors: Collection[str] = ()) -> tuple[bytes, str]:
    """The file's bytes and its content hash.

    Laid out as Translate writes banana files (``@metadata`` first, tab
    indent, one message per line), with one compact provenance record per
    line; exactly ``json.dumps(messages, ensure_ascii=False,
    separators=(",\\n\\t", ": "))`` for the messages, with each string encoded
    by :data:`_encode_string` (json's own encoder). ``encoded``: a cache of encoded
    strings kept across the languages of a build (fallback texts, mostly
    English, recur in every file). ``exclude_authors``: accounts never
    credited besides FuzzyBot (the profile's bots).
    """
    cache: dict[str, str] = encoded if encoded is not None else {}
    records: dict[tuple[str, str, bool], str] = {}
    provenance_lines = []
    message_lines = []
    own = language.code
    for key, r in resolved.items():
        combo = (r.lang, r.side, r.fuzzy_skipped)
        record = records.get(combo)
        if record is None:
            record = records[combo] = json.dumps(r.provenance(), ensure_ascii=False, separators=(", ", ": "))
        name = cache.get(key)
        if name is None:
            name = cache[key] = _encode_string(key)
        provenance_lines.append(f"\t\t\t{name}: {record}")
        value = None if r.lang == own else cache.get(r.text)
        if value is None:
            value = _encode_string(r.text)
            if r.lang != own:
                cache[r.text] = value
        message_lines.append(f"{name}: {value}")
    provenance_text = "{\n" + ",\n".join(provenance_lines) + "\n\t\t}" if provenance_lines else "{}"
    body = "{" + ",\n\t".join(message_lines) + "}"
    messages = bool(message_lines)
    provenance_bytes, body_bytes = provenance_text.encode("utf-8"), body.encode("utf-8")  # each encoded once
    hasher = hashlib.sha256(provenance_bytes)
    hasher.update(b"\n")
    hasher.update(body_bytes)
    digest = "sha256:" + hasher.hexdigest()[:32]
    authors = credited({r.author for r in resolved.values() if r.author and r.lang == language.code},
                       exclude_authors)
    metadata = {
        "authors": authors,
        "locale": language.code,
        "bcp47": language.bcp47,
        "dir": language.direction,
        "fallbacks": list(chain[1:]),
        "generator": generator,
        "message-group": message_group,
        "hash": digest,
    }
    meta_text = _pretty(metadata, 2, "\t")
    meta_head = "{\n\t\"@metadata\": " + meta_text[:-len("\n\t}")] + ",\n\t\t\"provenance\": "
    pieces = [meta_head.encode("utf-8"), provenance_bytes, b"\n\t}"]
    if messages:
        pieces += [b",\n\t", body_bytes[1:-1]]  # the body without its braces (one byte each)
    pieces.append(b"\n}\n")
    return b"".join(pieces), digest


def documentation_file(message_keys: Sequence[str], by_lang: Mapping[str, Mapping[str, Term]], *,
                       generator: str, message_group: str,
                       exclude_authors: Collection[str] = ()) -> bytes | None:
    """``json/qqq.json``: each key's documentation, or None when no key has any (no file, as banana).

    ``message_keys`` in catalog order, ``by_lang`` as :func:`by_language`
    makes it (``Prepared.by_lang`` of the gettext adapter, texts already
    normalised). The texts are those the ``.po`` files show as ``#. [Wiki]``
    lines; ``@metadata`` credits their authors and carries the generator (so
    the build recognises the file as its own), the message group and a hash.
    """
    table = by_lang.get(DOC_LANGUAGE) or {}
    docs = {key: table[key] for key in message_keys if key in table and normalize_text(table[key].text)}
    if not docs:
        return None
    messages = {key: normalize_text(term.text) for key, term in docs.items()}
    body = json.dumps(messages, ensure_ascii=False, separators=(",", ":"))
    metadata = {"authors": credited((t.author for t in docs.values()), exclude_authors),
                "locale": DOC_LANGUAGE, "generator": generator, "message-group": message_group,
                "hash": "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]}
    return _dump({"@metadata": metadata, **messages}, depth=2)


def index_file(entries: Sequence[Mapping[str, Any]], *, generator: str, message_group: str,
               snapshot: str, source_language: str) -> bytes:
    """``json/index.json``: the languages built, their files, hashes and coverage."""
    return _dump(depth=4, data={"format": INDEX_FORMAT, "generator": generator, "message-group": message_group,
                  "snapshot": snapshot, "source-language": source_language, "languages": list(entries)})


def index_entry(language: JsonLanguage, chain: Sequence[str], digest: str, keys: int,
                coverage: Mapping[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": language.code, "bcp47": language.bcp47, "gettext": language.gettext,
                             "dir": language.direction, "name": language.name, "autonym": language.autonym,
                             "fallbacks": list(chain[1:]), "file": f"{language.code}.json", "hash": digest,
                             "keys": keys}
    if coverage is not None:
        entry["coverage"] = dict(coverage)
    return entry


def is_ours(data: Any) -> bool:
    """Whether parsed JSON looks like a file this module wrote (index or language file)."""
    if not isinstance(data, dict):
        return False
    meta = data.get("@metadata", data)
    return isinstance(meta, dict) and str(meta.get("generator", "")).startswith("capxl10n")
