"""The language table: one row per MediaWiki language code, every other naming derived from it.

Wikimedia wikis key languages by MediaWiki code (``pt-br``, ``sr-ec``,
``be-tarask``); gettext wants locale names (``pt_BR``), HTTP/HTML and
Translate's ``Language:`` header want BCP 47 (``pt-BR``, ``sr-Cyrl``), and
Wikibase accepts only its own list of term codes. Babel cannot be asked
directly (it rejects ``diq``, ``qqq``, ``sh-latn``; it reads ``sr-ec`` as
Serbian in Ecuador), so the table is generated ahead of time from MediaWiki's
and Translate's own data by ``tools/langdata/generate.py`` into
:mod:`capxl10n.core.langdata`; docs/languages.md lists every override and why.

Pure: no I/O. The gettext name is CLDR/Babel/Django style (``sr_Cyrl``,
``zh_Hans``, ``pt_BR``; variants and private use as ``@modifier``:
``de@formal``, ``be@tarask``).

>>> get("pt-br").bcp47, get("pt-br").gettext
('pt-BR', 'pt_BR')
>>> from_bcp47("sr-Cyrl").code, get("sr-ec").gettext
('sr-ec', 'sr_Cyrl')
>>> fallback_chain("pt")
('pt', 'pt-br', 'en')
"""
from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from capxl10n.errors import UnknownLanguage
from capxl10n.core.langdata import ROWS
from capxl10n.core.model import DOC_LANGUAGE, SOURCE_LANGUAGE

#: The locales the CapX UI ships (docs/languages.md).
UI_LOCALES: Final = (
    "ar", "bcl", "bn", "ce", "cy", "de", "diq", "en", "es", "fr", "ga", "gl", "he", "hi", "id", "ig",
    "it", "ja", "kaa", "ko", "lb", "lt", "mk", "nb", "nl", "pms", "pt", "pt-br", "qqq", "ru", "sh-cyrl",
    "sh-latn", "sk", "skr-arab", "sl", "sq", "sv", "tr", "uk", "vi", "zh-hans", "zh-hant",
)

#: glibc-style script modifiers people use in locale names, mapped to the script subtag.
_GETTEXT_SCRIPT_MODIFIERS: Final = {"latin": "Latn", "cyrillic": "Cyrl"}


@dataclass(frozen=True)
class Language:
    """Everything the pipeline needs to know about one language.

    ``fallbacks`` is MediaWiki's chain after the code itself ('en' is implied
    last, see :func:`fallback_chain`); ``wikibase`` is None when Wikibase
    refuses the code (``qqq``) or it is not known to be accepted.
    """

    code: str
    bcp47: str
    gettext: str
    wikibase: str | None
    direction: str
    plural_forms: str
    name: str
    autonym: str
    fallbacks: tuple[str, ...] = ()

    @property
    def is_source(self) -> bool:
        """English: the bundle's source language, never counted as a translation."""
        return self.code == SOURCE_LANGUAGE

    @property
    def is_documentation(self) -> bool:
        """``qqq``: message documentation for translators, never a translation."""
        return self.code == DOC_LANGUAGE

    @property
    def is_translation(self) -> bool:
        """A language translators translate into: not the source, not ``qqq``, not ``mul``.

        ``mul`` ("multiple languages") is Wikidata's shared default label, a
        fallback for suggestions, never a target of the bundle or the catalogs.
        """
        return not (self.is_source or self.is_documentation or self.code == "mul")

    @property
    def nplurals(self) -> int:
        """The number of plural forms in :attr:`plural_forms`."""
        head = self.plural_forms.split(";", 1)[0]
        return int(head.split("=", 1)[1])

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code, "bcp47": self.bcp47, "gettext": self.gettext, "wikibase": self.wikibase,
            "direction": self.direction, "plural_forms": self.plural_forms, "name": self.name,
            "autonym": self.autonym, "fallbacks": list(self.fallbacks),
        }


@functools.cache
def _table() -> dict[str, Language]:
    return {row[0]: Language(*row) for row in ROWS}


@functools.cache
def _by_bcp47() -> dict[str, Language]:
    return {lang.bcp47.lower(): lang for lang in _table().values()}


@functools.cache
def _by_gettext() -> dict[str, Language]:
    return {lang.gettext.lower(): lang for lang in _table().values()}


def _closest(word: str, candidates: Iterable[str], preferred: str | None = None) -> list[str]:
    pool = list(candidates)
    found = difflib.get_close_matches(word.lower(), [c.lower() for c in pool], n=3, cutoff=0.6)
    by_lower = {c.lower(): c for c in pool}
    out = [by_lower[f] for f in found]
    if preferred and preferred in pool:
        out = [preferred] + [c for c in out if c != preferred]
    return out[:3]


def get(code: str) -> Language:
    """The language of a MediaWiki code (lowercase, as Wikibase and Translate require).

    ``get("pt-BR")`` raises: the wikis refuse uppercase codes, so a caller that
    has one must convert it on purpose (:func:`from_bcp47`). The error names up
    to three close known codes.
    """
    table = _table()
    lang = table.get(code) if isinstance(code, str) else None
    if lang is None:
        text = str(code)
        raise UnknownLanguage(text, _closest(text, table, preferred=text.lower().replace("_", "-")))
    return lang


def is_known(code: str) -> bool:
    return code in _table()


def from_bcp47(tag: str) -> Language:
    """The language whose BCP 47 tag is ``tag`` (case-insensitive; ``_`` taken as ``-``)."""
    key = tag.strip().replace("_", "-").lower()
    lang = _by_bcp47().get(key)
    if lang is None:
        raise UnknownLanguage(tag, _closest(key, (lang.bcp47 for lang in _table().values())))
    return lang


def from_gettext(name: str) -> Language:
    """The language of a gettext locale name (``pt_BR``, ``sr_Cyrl``, ``de@formal``).

    Also accepts a codeset (``pt_BR.UTF-8``) and glibc's script modifiers
    (``sr@latin`` → ``sr_Latn``).
    """
    raw = name.strip()
    base, _, modifier = raw.partition("@")
    base = base.split(".", 1)[0]
    candidates = [f"{base}@{modifier}" if modifier else base]
    if modifier.lower() in _GETTEXT_SCRIPT_MODIFIERS:
        lang_part, _, region = base.partition("_")
        script = _GETTEXT_SCRIPT_MODIFIERS[modifier.lower()]
        candidates.append(f"{lang_part}_{script}" + (f"_{region}" if region else ""))
        candidates.append(f"{lang_part}_{script}")
    index = _by_gettext()
    for candidate in candidates:
        lang = index.get(candidate.replace("-", "_").lower())
        if lang is not None:
            return lang
    raise UnknownLanguage(name, _closest(candidates[0], (lang.gettext for lang in _table().values())))


def all_languages() -> tuple[Language, ...]:
    """Every known language, sorted by MediaWiki code."""
    return tuple(_table()[code] for code in sorted(_table()))


def ui_locales() -> tuple[str, ...]:
    """The 42 locales the CapX UI ships."""
    return UI_LOCALES


def fallback_chain(code: str) -> tuple[str, ...]:
    """``(code, *fallbacks, 'en')`` without duplicates: the order the app looks for a string."""
    chain: list[str] = []
    for item in (code, *get(code).fallbacks, SOURCE_LANGUAGE):
        if item not in chain:
            chain.append(item)
    return tuple(chain)


def translation_languages() -> tuple[Language, ...]:
    """Every language that can hold a translation (neither the source nor qqq)."""
    return tuple(lang for lang in all_languages() if lang.is_translation)
