"""Which term values both wikis store unchanged: the rest is refused before anything is written.

A value Metabase (Wikibase) and Meta-Wiki (Translate) would store differently
makes the sides diverge without anyone seeing it: Wikibase turns a control
character into a space where Meta-Wiki keeps it or writes U+FFFD, Wikibase
refuses 251 characters that Translate saves, Translate reads a unit containing
``!!FUZZY!!`` as an outdated translation. The next sync then sees two
different values and one human's text overwrites or hides another's.

:func:`value_problem` names such a value's problem so that callers (the
merge, ``conflicts resolve``, the conflicts .po import) refuse it and a human
decides instead. The rules come from what the real MediaWiki 1.39 +
Wikibase + Translate REL1_39 do (docs/values.md, proved by
tests/realwiki/test_values_peer.py). Three rules are capxl10n's own, for
values both wikis keep but that are never a human's text: U+FFFD (a character
was already lost upstream), noncharacters (only U+FFFE/U+FFFF are altered by
the wikis, the other 64 are refused alike) and nothing visible (a lone ZWSP). Values are compared after
:func:`capxl10n.core.model.normalize_text` (NFC, outer whitespace trimmed), as
everywhere else, so outer whitespace is no problem, except C0 controls other
than TAB, LF and CR: Meta-Wiki turns them into U+FFFD even there.

Pure: no I/O.

>>> value_problem("Organizar editatonas", field="label", lang="pt-br") is None
True
>>> value_problem("Org\\u0007anizar", field="label", lang="pt-br")
'contains control character U+0007 at 4'
>>> value_problem("x" * 251, field="description", lang="de")
'description is 251 characters long; Metabase allows at most 250'
"""
from __future__ import annotations

import unicodedata
from typing import Final

from capxl10n.core.model import normalize_text

#: Wikibase's ``string-limits.multilang.length`` default (Wikibase.default.php, REL1_39), counted in code
#: points (``mb_strlen``) after trimming and NFC; labels and descriptions alike.
MAX_TERM_LENGTH: Final = 250

#: Translate's fuzzy marker: a unit containing it anywhere is read as outdated, with the marker removed.
FUZZY_MARKER: Final = "!!FUZZY!!"

REPLACEMENT_CHARACTER: Final = "\ufffd"

#: The controls that may stand in outer whitespace: Wikibase trims them, Meta-Wiki keeps them (CR as LF) and
#: normalize_text strips them. Any other C0 control becomes U+FFFD on Meta-Wiki even there.
_EDGE_CONTROLS: Final = frozenset("\t\n\r\x85")

#: Categories with nothing to see: a value made only of these is blank to a reader.
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def is_noncharacter(cp: int) -> bool:
    """The 66 code points Unicode reserves for internal use (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF).

    >>> [is_noncharacter(cp) for cp in (0xFDD0, 0xFFFE, 0x10FFFF, 0xFFFD)]
    [True, True, True, False]
    """
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def char_problem(ch: str) -> str | None:
    """What is wrong with one character inside a value (None when both wikis keep it).

    >>> char_problem("\\u2028")
    'line separator U+2028'
    >>> char_problem("\\u200d") is None  # ZWJ: emoji sequences, Indic scripts; both wikis keep it
    True
    """
    cp = ord(ch)
    category = unicodedata.category(ch)
    if category == "Cc":  # Wikibase: a space; Meta-Wiki: U+FFFD (C0) or kept (TAB, LF, DEL, C1)
        return f"control character U+{cp:04X}"
    if category == "Cs":  # not encodable as UTF-8: neither wiki can receive it
        return f"lone surrogate U+{cp:04X}"
    if category in ("Zl", "Zp"):  # Wikibase refuses (wikibase-validator-malformed-value)
        return f"{unicodedata.name(ch).lower()} U+{cp:04X}"
    if is_noncharacter(cp):  # U+FFFE/U+FFFF: U+FFFD on both wikis; the others: policy
        return f"noncharacter U+{cp:04X}"
    if ch == REPLACEMENT_CHARACTER:  # policy: the mark of a character already lost
        return "replacement character U+FFFD"
    return None


def _character_problems(text: str) -> list[tuple[int, str]]:
    """(index, problem) of every character a wiki would alter, the outer whitespace included."""
    start = len(text) - len(text.lstrip())
    end = max(start, len(text.rstrip()))
    found = []
    for i, ch in enumerate(text):
        if start <= i < end:
            problem = char_problem(ch)
        else:
            problem = char_problem(ch) if unicodedata.category(ch) == "Cc" and ch not in _EDGE_CONTROLS else None
        if problem is not None:
            found.append((i, problem))
    return found


def value_problem(text: str, *, field: str, lang: str) -> str | None:
    """None when both wikis store `text` unchanged (after capxl10n.core.model.normalize_text); else a short
    human reason naming the problem and the position/codepoint, e.g. "contains control character U+0007 at 5".

    Positions count characters from 1 in ``text`` as given. ``field`` names
    the term in the length reason; ``lang`` is part of the term's identity but
    changes nothing today: both wikis apply the same rules to every language.
    """
    del lang  # same rules for every language (docs/values.md)
    found = _character_problems(text)
    if found:
        position, problem = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        lost = "; a character was lost there before: retype it" if text[position] == REPLACEMENT_CHARACTER else ""
        return f"contains {problem} at {position + 1}{more}{lost}"
    value = normalize_text(text)
    if not value:
        return "is empty after trimming whitespace"
    if FUZZY_MARKER in text:
        return f"contains Translate's fuzzy marker {FUZZY_MARKER} at {text.index(FUZZY_MARKER) + 1}"
    if len(value) > MAX_TERM_LENGTH:
        return f"{field} is {len(value)} characters long; Metabase allows at most {MAX_TERM_LENGTH}"
    if all(unicodedata.category(ch) in _INVISIBLE for ch in value):
        return "has no visible character"
    return None


__all__ = ["FUZZY_MARKER", "MAX_TERM_LENGTH", "char_problem", "is_noncharacter", "value_problem"]
