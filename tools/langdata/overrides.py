"""Everything in the language table that is not read from a source, with the reason.

Read by generate.py; docs/languages.md lists the same entries for people.
The recorded sources are MediaWiki 1.39 (the version of the loopback peer and
of the recorded Translate/Wikibase answers). Meta-Wiki runs current
MediaWiki, so where current MediaWiki differs for a code CapX uses, the
current value is set here (checked in MediaWiki's Messages*.php/Names.php).
"""
from __future__ import annotations

from typing import Any, Final

#: What Translate writes when it has no rule for a code (its English rule).
GETTEXT_PLURAL_DEFAULT: Final = "nplurals=2; plural=(n != 1);"

#: Translate's rule for bs, hr and sr (identical).
_BS_HR_SR_PLURAL = ("nplurals=3; plural=(n%10 == 1 && n%100 != 11) ? 0 : ( (n%10 >= 2 && n%10 <= 4 && "
                    "(n%100 < 10 || n%100 >= 20)) ? 1 : 2 );")
_SH_LATN_FALLBACKS = ("sh", "bs", "hr", "sr-latn", "sr-el", "sh-cyrl", "sr-cyrl", "sr-ec")
_SH_CYRL_FALLBACKS = ("sr-cyrl", "sr-ec", "sr-latn", "sr-el", "sh", "sh-latn", "bs", "hr")

#: Codes no recorded source knows but CapX needs.
EXTRA_CODES: Final[dict[str, dict[str, Any]]] = {
    "sh-latn": {"bcp47": "sh-Latn", "autonym": "srpskohrvatski (latinica)",
                "name": "Serbo-Croatian (Latin script)", "fallbacks": _SH_LATN_FALLBACKS},
    "sh-cyrl": {"bcp47": "sh-Cyrl", "autonym": "српскохрватски (ћирилица)",
                "name": "Serbo-Croatian (Cyrillic script)", "fallbacks": _SH_CYRL_FALLBACKS},
    "mul": {"bcp47": "mul", "autonym": "multiple languages", "name": "Multiple languages"},
}

#: English names (ISO 639-3) for Wikibase's extra term codes that neither CLDR
#: nor MediaWiki names; Wikibase REL1_39 gives them no name either, so the
#: English name also serves as autonym.
ENGLISH_NAMES: Final[dict[str, str]] = {
    "bag": "Tuki", "bkc": "Baka (Cameroon)", "bkh": "Bakoko", "bqz": "Bakaka", "cak": "Kaqchikel",
    "cnh": "Hakha Chin", "eto": "Eton (Cameroon)", "etu": "Ejagham", "fkv": "Kven Finnish",
    "fmp": "Fe'fe'", "gya": "Northwest Gbaya", "isu": "Isu", "ker": "Kera", "lem": "Nomaande",
    "lns": "Lamnso'", "mcn": "Masana", "mcp": "Makaa", "nge": "Ngemba", "nla": "Ngombale",
    "nnz": "Nda'nda'", "rmf": "Kalo Finnish Romani", "rwr": "Marwari (India)", "sju": "Ume Sami",
    "srq": "Sirionó", "tvu": "Tunen", "vut": "Vute", "wes": "Cameroon Pidgin", "wya": "Wyandot",
    "yas": "Nugunu (Cameroon)", "yat": "Yambeta",
}

#: Codes whose ``wikibase`` is None although some Wikibase may accept them:
#: REL1_39's term languages (the recorded list) do not include them, and a
#: refused language makes wbeditentity refuse the whole item.
UNVERIFIED_WIKIBASE: Final = frozenset({"sh-latn", "sh-cyrl", "mul", "qqq"})

#: Per-code corrections: field -> value, and "why".
OVERRIDES: Final[dict[str, dict[str, Any]]] = {
    "qqq": {"name": "Message documentation", "autonym": "Message documentation",
            "plural_forms": "nplurals=1; plural=0;",
            "why": "qqq is Translate's message documentation, not a language: MediaWiki gives no autonym, "
                   "Babel rejects it, Wikibase refuses it; Translate exports it with one plural form."},
    "sh-latn": {"plural_forms": _BS_HR_SR_PLURAL, "why": "Added to MediaWiki after 1.39 (Meta-Wiki has it; CapX UI ships it). Fallbacks from "
                       "current MessagesSh_latn.php (T399126); Babel rejects sh-latn."},
    "sh-cyrl": {"plural_forms": _BS_HR_SR_PLURAL, "why": "Added to MediaWiki after 1.39 (CapX UI ships it). Fallbacks from current "
                       "MessagesSh_cyrl.php (T399126); Babel rejects sh-cyrl."},
    "sh": {"plural_forms": _BS_HR_SR_PLURAL,
           "fallbacks": ("sh-latn", "bs", "hr", "sr-latn", "sr-el", "sh-cyrl", "sr-cyrl", "sr-ec"),
           "why": "Current MediaWiki (T399126) falls back to sh-latn first; 1.39 had 'bs, sr-el, sr-latn, hr'. "
                  "Plural rule: that of bs/hr/sr (CLDR maps sh to sr-Latn); Translate has none for sh."},
    "mul": {"why": "Wikibase's 'multiple languages' term code (default labels on Wikidata); not a MediaWiki "
                   "language, off by default in Wikibase ($wgWBRepoSettings enableMulLanguageCode), absent from "
                   "REL1_39 Metabase, and never a translation target of the bundle."},
    "de-formal": {"name": "German (formal address)",
                  "why": "Babel turns de-formal into de; MediaWiki's tag is de-x-formal (private use)."},
    "be-tarask": {"name": "Belarusian (Taraškievica orthography)",
                  "why": "Babel rejects the variant subtag; CLDR has no name for it."},
    "sr-ec": {"name": "Serbian (Cyrillic script)",
              "why": "Babel reads sr-ec as Serbian in Ecuador; MediaWiki's tag is sr-Cyrl (T117845)."},
    "sr-el": {"name": "Serbian (Latin script)",
              "why": "Babel reads sr-el as Serbian in Greece; MediaWiki's tag is sr-Latn (T117845)."},
    "bcl": {"name": "Central Bikol", "why": "Babel rejects bcl; MediaWiki's comment is not a name."},
    "be-x-old": {"name": "Belarusian (Taraškievica orthography)",
                 "why": "Deprecated alias of be-tarask; its own code kept as its BCP 47 tag so tags stay unique."},
    "bh": {"name": "Bihari", "why": "MediaWiki's comment is a note, not a name."},
    "es-formal": {"name": "Spanish (formal address)", "why": "Private-use tag es-x-formal; CLDR has no name."},
    "hu-formal": {"name": "Hungarian (formal address)", "why": "Private-use tag hu-x-formal; CLDR has no name."},
    "nl-informal": {"name": "Dutch (informal address)", "why": "Private-use tag nl-x-informal; CLDR has no name."},
    "ota": {"direction": "rtl",
            "why": "Ottoman Turkish is written in Arabic script; only Wikibase knows the code, which has no "
                   "direction, and Babel does not know it."},
    "sh": {"plural_forms": _BS_HR_SR_PLURAL,
           "fallbacks": ("sh-latn", "bs", "hr", "sr-latn", "sr-el", "sh-cyrl", "sr-cyrl", "sr-ec"),
           "why": "Current MediaWiki (T399126) falls back to sh-latn first; 1.39 had 'bs, sr-el, sr-latn, hr'. "
                  "Plural rule: that of bs/hr/sr (CLDR maps sh to sr-Latn); Translate has none for sh."},
}
