"""Pseudo-translation for the sample directory: English text re-spelt in each language's script.

The sample must exercise what real translations do to software (right-to-left
scripts, CJK without spaces, characters outside the Basic Multilingual Plane,
text longer than English) without shipping anyone's real translations. So a
"translation" here is the English text passed through a deterministic,
per-language cipher:

* Latin-script languages permute vowels, swap a few consonants and add the
  accents of their own alphabet ("Organizing" → "Urgenúzong");
* other alphabetic scripts map each letter onto a letter of that script
  (Arabic, Hebrew, Cyrillic, Devanagari, Gothic — the last one outside the BMP);
* Chinese, Japanese and Korean replace each English word by one to three
  ideographs or syllables and drop the spaces (Traditional Chinese now and
  then uses a CJK Extension B ideograph, outside the BMP).

Project names and loanwords (:data:`capxl10n.sample.text.PROTECTED_WORDS`) stay
in Latin letters, as they do in real translations, which also gives mixed
left-to-right runs inside right-to-left text.

Pure and deterministic: a language's cipher depends only on its code (a CRC of
it), never on Python's randomised ``hash()``; nothing here keeps global state
except immutable tables and bounded per-language caches.
"""
from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import Final

from capxl10n.sample.text import PROTECTED_WORDS

Segments = tuple[tuple[bool, str], ...]
"""English text split into (protected?, piece) runs; protected pieces are never re-spelt."""

_ASCII_LOWER: Final = "abcdefghijklmnopqrstuvwxyz"


def _run(start: int, count: int) -> str:
    return "".join(chr(start + i) for i in range(count))


#: 26 letters per alphabetic script, standing for a–z. Ranges were chosen to be
#: fully assigned in every Unicode version Python 3.11+ ships (no gaps).
ALPHABETS: Final[dict[str, str]] = {
    "Cyrl": _run(0x0430, 26),
    "Grek": "αβγδεζηθικλμνξοπρστυφχψωάέ",
    "Arab": _run(0x0628, 19) + _run(0x0641, 7),
    "Hebr": _run(0x05D0, 26),
    "Thaa": _run(0x0780, 26),
    "Nkoo": _run(0x07CA, 26),
    "Deva": _run(0x0915, 26),
    "Beng": _run(0x0995, 20) + _run(0x09AA, 6),
    "Guru": _run(0x0A15, 20) + _run(0x0A2A, 6),
    "Gujr": _run(0x0A95, 20) + _run(0x0AAA, 6),
    "Orya": _run(0x0B15, 20) + _run(0x0B2A, 6),
    "Taml": "அஆகஙசஜஞடணதநனபமயரறலளழவஶஷஸஹஇ",
    "Telu": _run(0x0C15, 20) + _run(0x0C2A, 6),
    "Knda": _run(0x0C95, 20) + _run(0x0CAA, 6),
    "Mlym": _run(0x0D15, 26),
    "Sinh": _run(0x0D9A, 24) + _run(0x0DB3, 2),
    "Thai": _run(0x0E01, 26),
    "Laoo": "ກຂຄງຈຊຍດຕຖທນບປຜຝພຟມຢຣລວສຫອ",
    # Tibetan: skip the letters NFC decomposes (U+0F43, U+0F4D, U+0F52, U+0F57, U+0F5C)
    "Tibt": _run(0x0F40, 3) + _run(0x0F44, 4) + _run(0x0F49, 4) + _run(0x0F4E, 4) + _run(0x0F53, 4)
    + _run(0x0F58, 4) + _run(0x0F5D, 3),
    "Mymr": _run(0x1000, 26),
    "Geor": _run(0x10D0, 26),
    "Ethi": _run(0x1200, 26),
    "Cher": _run(0x13A0, 26),
    "Cans": _run(0x1401, 26),
    "Khmr": _run(0x1780, 26),
    "Olck": _run(0x1C5A, 26),
    "Armn": _run(0x0561, 26),
    "Goth": _run(0x10330, 26),
}

#: Scripts written right to left.
#: Scripts handled word by word (no alphabet to map letters onto).
CJK_SCRIPTS: Final = frozenset({"Hans", "Hant", "Jpan", "Kore"})

_SCRIPT_LANGS: Final[dict[str, str]] = {
    "Cyrl": "ru uk be be-tarask bg mk sr sr-ec sh-cyrl kk kk-cyrl ky tg tt tt-cyrl ba cv ce os mn sah "
            "udm koi kv mhr mrj myv mdf tyv xal krc inh av lez lbe kbd ady ab rue kum crh-cyrl bxr "
            "alt cu",
    "Grek": "el pnt",
    "Arab": "ar arz ary arq fa azb ur pnb ps ckb sd ug ug-arab ks ks-arab skr-arab mzn glk lrc bcc "
            "kk-arab ku-arab bqi sdh ms-arab",
    "Hebr": "he yi",
    "Thaa": "dv",
    "Nkoo": "nqo",
    "Deva": "hi mr ne sa mai bho new awa dty anp ks-deva gom-deva",
    "Beng": "bn as bpy",
    "Guru": "pa",
    "Gujr": "gu",
    "Orya": "or",
    "Taml": "ta",
    "Telu": "te",
    "Knda": "kn tcy",
    "Mlym": "ml",
    "Sinh": "si",
    "Thai": "th",
    "Laoo": "lo",
    "Khmr": "km",
    "Mymr": "my shn mnw",
    "Tibt": "bo dz",
    "Geor": "ka xmf",
    "Armn": "hy hyw",
    "Ethi": "am ti",
    "Olck": "sat",
    "Cher": "chr",
    "Cans": "iu ike-cans",
    "Goth": "got",
    "Hans": "zh zh-hans zh-cn zh-sg zh-my wuu gan gan-hans",
    "Hant": "zh-hant zh-tw zh-hk zh-mo yue lzh gan-hant",
    "Jpan": "ja",
    "Kore": "ko ko-kp",
}
SCRIPTS: Final[dict[str, str]] = {code: script for script, codes in _SCRIPT_LANGS.items()
                                  for code in codes.split()}


def script_of(code: str) -> str:
    """The script the sample writes ``code`` in ('Latn' unless listed)."""
    return SCRIPTS.get(code, "Latn")


_PROTECTED_RE: Final = re.compile(
    r"(?<![\w'’-])(" + "|".join(re.escape(w) for w in sorted(PROTECTED_WORDS, key=len, reverse=True))
    + r")(?![\w'’-])")
_WORD_RE: Final = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def segments(text: str) -> Segments:
    """Split English ``text`` into runs, marking names that stay untranslated.

    >>> segments("Querying Wikidata items")
    ((False, 'Querying '), (True, 'Wikidata'), (False, ' items'))
    """
    out: list[tuple[bool, str]] = []
    last = 0
    for match in _PROTECTED_RE.finditer(text):
        if match.start() > last:
            out.append((False, text[last:match.start()]))
        out.append((True, match.group(0)))
        last = match.end()
    if last < len(text):
        out.append((False, text[last:]))
    return tuple(out)


def _latin_table(rng: random.Random) -> dict[int, str]:
    """A bijection on a–z: vowels permuted, a few consonant pairs swapped, two vowels accented."""
    vowels = list("aeiou")
    while vowels == list("aeiou"):
        rng.shuffle(vowels)
    mapping = dict(zip("aeiou", vowels))
    swaps = [("c", "k"), ("v", "w"), ("s", "z"), ("t", "d"), ("f", "p"), ("g", "j"), ("b", "p")]
    used: set[str] = set()
    for a, b in rng.sample(swaps, 3):
        if a in used or b in used:
            continue
        mapping[a], mapping[b] = b, a
        used.update((a, b))
    accents = {"a": "áàâäãå", "e": "éèêëę", "i": "íìîïı", "o": "óòôöõø", "u": "úùûüů"}
    for source in rng.sample("aeiou", 2):
        mapping[source] = rng.choice(accents[mapping[source]])
    table: dict[int, str] = {}
    for lower, target in mapping.items():
        table[ord(lower)] = target
        table[ord(lower.upper())] = target.upper()
    return table


def _alphabet_table(script: str, lang: str) -> dict[int, str]:
    letters = ALPHABETS[script]
    shift = zlib.crc32(lang.encode("utf-8")) % 26  # two languages of one script read differently
    letters = letters[shift:] + letters[:shift]
    table: dict[int, str] = {}
    for src, dst in zip(_ASCII_LOWER, letters):
        upper = dst if script == "Geor" else dst.upper()  # Georgian prose has no capitals
        table[ord(src)] = dst
        table[ord(src.upper())] = upper if len(upper) == 1 else dst
    if script == "Arab":
        table.update({ord(","): "،", ord(";"): "؛", ord("?"): "؟"})
    return table


_CJK_PUNCT: Final[dict[str, dict[int, str]]] = {
    "Hans": {ord(","): "，", ord(";"): "；"},
    "Hant": {ord(","): "，", ord(";"): "；"},
    "Jpan": {ord(","): "、", ord(";"): "；"},
    "Kore": {},
}


class _CjkWords:
    """Maps each English word to one to three ideographs/syllables, stably per language."""

    def __init__(self, lang: str, script: str) -> None:
        self.salt = lang.encode("utf-8") + b"\0"
        self.script = script
        self.cache: dict[str, str] = {}

    def char(self, word: str, index: int) -> str:
        h = zlib.crc32(self.salt + word.lower().encode("utf-8") + bytes([index]))
        if self.script == "Kore":
            return chr(0xAC00 + h % 11172)
        if self.script == "Jpan" and index > 0 and h % 3 == 0:
            return chr(0x3041 + h % 86)  # hiragana okurigana
        if self.script == "Hant" and h % 29 == 0:
            return chr(0x20000 + h % 42711)  # CJK Extension B, outside the BMP
        return chr(0x4E00 + h % 20902)

    def word(self, match: re.Match[str]) -> str:
        word = match.group(0)
        out = self.cache.get(word)
        if out is None:
            n = 1 + (len(word) > 4) + (len(word) > 9)
            out = "".join(self.char(word, i) for i in range(n))
            if len(self.cache) < 50_000:
                self.cache[word] = out
        return out


@lru_cache(maxsize=1024)
def translator(lang: str, script: str | None = None) -> Callable[[Segments], str]:
    """The pseudo-translation function of ``lang``: segments of English in, text out.

    ``script`` (an ISO 15924 code this module knows) overrides :func:`script_of`.
    """
    script = script if script in ALPHABETS or script in CJK_SCRIPTS else script_of(lang)
    if script in CJK_SCRIPTS:
        words = _CjkWords(lang, script)
        punct = _CJK_PUNCT[script]
        keep_spaces = script == "Kore"

        def cjk(segs: Segments) -> str:
            parts = []
            for protected, piece in segs:
                if protected:
                    parts.append(piece)
                    continue
                piece = _WORD_RE.sub(words.word, piece).translate(punct)
                parts.append(piece if keep_spaces else piece.replace(" ", ""))
            return "".join(parts)
        return cjk

    table = (_latin_table(random.Random(zlib.crc32(lang.encode("utf-8")))) if script == "Latn"
             else _alphabet_table(script, lang))

    def alphabetic(segs: Segments) -> str:
        if len(segs) == 1 and not segs[0][0]:
            return segs[0][1].translate(table)
        return "".join(piece if protected else piece.translate(table) for protected, piece in segs)
    return alphabetic


def pseudo_translate(text: str, lang: str) -> str:
    """Convenience form of :func:`translator` for one string.

    >>> pseudo_translate("Wikidata querying", "he").startswith("Wikidata ")
    True
    >>> pseudo_translate("Wikidata querying", "ja") == pseudo_translate("Wikidata querying", "ja")
    True
    """
    return translator(lang)(segments(text))


def fit(text: str, limit: int = 250) -> str:
    """Shorten ``text`` to at most ``limit`` code points, at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:—-")
