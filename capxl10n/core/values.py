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

Each rule lives here once: :func:`value_problems` lists every problem of a
value with its rule id (the ids :mod:`capxl10n.core.checks` reports them
under, with severity and fix); :func:`value_problem` words the first one,
as the merge and the conflict inbox have always read it.

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
from dataclasses import dataclass
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


#: Rule ids (the ids capxl10n.core.checks reports; docs/checks.md): one per class of value a wiki alters or refuses.
CONTROL_CHARACTER: Final = "control-character"
LONE_SURROGATE: Final = "lone-surrogate"
LINE_SEPARATOR: Final = "line-separator"
NONCHARACTER: Final = "noncharacter"
REPLACEMENT: Final = "replacement-character"
EMPTY: Final = "empty"
FUZZY: Final = "fuzzy-marker"
TOO_LONG: Final = "too-long"
INVISIBLE: Final = "invisible"
#: Every rule of this module, in the order :func:`value_problems` reports them.
RULE_IDS: Final = (CONTROL_CHARACTER, LONE_SURROGATE, LINE_SEPARATOR, NONCHARACTER, REPLACEMENT, EMPTY, FUZZY,
                   TOO_LONG, INVISIBLE)


def _char_rule(ch: str) -> tuple[str, str] | None:
    """(rule id, what it is) for one character inside a value a wiki would alter; None when both keep it."""
    cp = ord(ch)
    category = unicodedata.category(ch)
    if category == "Cc":  # Wikibase: a space; Meta-Wiki: U+FFFD (C0) or kept (TAB, LF, DEL, C1)
        return CONTROL_CHARACTER, f"control character U+{cp:04X}"
    if category == "Cs":  # not encodable as UTF-8: neither wiki can receive it
        return LONE_SURROGATE, f"lone surrogate U+{cp:04X}"
    if category in ("Zl", "Zp"):  # Wikibase refuses (wikibase-validator-malformed-value)
        return LINE_SEPARATOR, f"{unicodedata.name(ch).lower()} U+{cp:04X}"
    if is_noncharacter(cp):  # U+FFFE/U+FFFF: U+FFFD on both wikis; the others: policy
        return NONCHARACTER, f"noncharacter U+{cp:04X}"
    if ch == REPLACEMENT_CHARACTER:  # policy: the mark of a character already lost
        return REPLACEMENT, "replacement character U+FFFD"
    return None


def char_problem(ch: str) -> str | None:
    """What is wrong with one character inside a value (None when both wikis keep it).

    >>> char_problem("\\u2028")
    'line separator U+2028'
    >>> char_problem("\\u200d") is None  # ZWJ: emoji sequences, Indic scripts; both wikis keep it
    True
    """
    found = _char_rule(ch)
    return found[1] if found is not None else None


def _character_problems(text: str) -> list[tuple[int, str, str]]:
    """(index, rule id, what) of every character a wiki would alter, the outer whitespace included."""
    start = len(text) - len(text.lstrip())
    end = max(start, len(text.rstrip()))
    found = []
    for i, ch in enumerate(text):
        if start <= i < end:
            problem = _char_rule(ch)
        else:
            problem = _char_rule(ch) if unicodedata.category(ch) == "Cc" and ch not in _EDGE_CONTROLS else None
        if problem is not None:
            found.append((i, *problem))
    return found


def _contains(index: int, rule: str, what: str, others: int) -> str:
    """The reason for a character problem: ``contains <what> at <position>`` (+ how many others)."""
    more = f" (and {others} more)" if others else ""
    lost = "; a character was lost there before: retype it" if rule == REPLACEMENT else ""
    return f"contains {what} at {index + 1}{more}{lost}"


@dataclass(frozen=True)
class ValueProblem:
    """One class of problem in a value: its rule id, the reason in :func:`value_problem`'s words, where
    (``position`` counts from 1 in the text as given; None for the whole value) and how many times."""

    rule: str
    reason: str
    position: int | None = None
    count: int = 1


def value_problems(text: str, *, field: str) -> list[ValueProblem]:
    """Every problem of ``text`` a wiki would alter or refuse, one per rule, in :data:`RULE_IDS` order.

    Empty when both wikis store ``text`` unchanged (after normalize_text). A
    character rule reports its first occurrence and counts the others.

    >>> [(p.rule, p.position, p.count) for p in value_problems("a\\u0007b\\u0001!!FUZZY!!", field="label")]
    [('control-character', 2, 2), ('fuzzy-marker', 5, 1)]
    """
    problems: list[ValueProblem] = []
    by_rule: dict[str, list[tuple[int, str]]] = {}
    for index, rule, what in _character_problems(text):
        by_rule.setdefault(rule, []).append((index, what))
    for rule in RULE_IDS:
        seen = by_rule.get(rule)
        if seen:
            index, what = seen[0]
            problems.append(ValueProblem(rule, _contains(index, rule, what, len(seen) - 1), index + 1, len(seen)))
    value = normalize_text(text)
    if not value:
        problems.append(ValueProblem(EMPTY, "is empty after trimming whitespace"))
        return problems
    if FUZZY_MARKER in text:
        at = text.index(FUZZY_MARKER) + 1
        problems.append(ValueProblem(FUZZY, f"contains Translate's fuzzy marker {FUZZY_MARKER} at {at}", at,
                                     text.count(FUZZY_MARKER)))
    if len(value) > MAX_TERM_LENGTH:
        problems.append(ValueProblem(TOO_LONG, f"{field} is {len(value)} characters long; Metabase allows at most "
                                               f"{MAX_TERM_LENGTH}"))
    if all(unicodedata.category(ch) in _INVISIBLE for ch in value):
        problems.append(ValueProblem(INVISIBLE, "has no visible character"))
    return problems


def value_problem(text: str, *, field: str, lang: str) -> str | None:
    """None when both wikis store `text` unchanged (after capxl10n.core.model.normalize_text); else a short
    human reason naming the problem and the position/codepoint, e.g. "contains control character U+0007 at 5".

    Positions count characters from 1 in ``text`` as given. ``field`` names
    the term in the length reason; ``lang`` is part of the term's identity but
    changes nothing today: both wikis apply the same rules to every language.
    """
    del lang  # same rules for every language (docs/values.md)
    found = _character_problems(text)
    if found:  # the first character problem of any rule, counting those of every rule
        index, rule, what = found[0]
        return _contains(index, rule, what, len(found) - 1)
    problems = value_problems(text, field=field)
    return problems[0].reason if problems else None


__all__ = ["FUZZY_MARKER", "MAX_TERM_LENGTH", "RULE_IDS", "ValueProblem", "char_problem", "is_noncharacter",
           "value_problem", "value_problems"]
