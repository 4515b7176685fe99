"""The kinds of conflict: what ``conflicts resolve --reason`` selects and what ``plan`` counts.

A conflict's ``reason`` is a sentence for a human (it names values and policies); a maintainer
settling a first contact in bulk needs a handful of stable words instead. A conflict keeps its
kind for its whole life in the inbox: a first contact's conflicts are ``first-contact`` before
and after the first sync completes (the merge keeps them open then, with the same reason). :func:`kind` maps every
reason the merge, apply and the importers give to one of :data:`KINDS` (tests/core/test_rule_table.py
holds every reason of the rule table to a kind other than ``other``).

>>> from capxl10n.core.model import TermKey
>>> from capxl10n.core.merge import Conflict
>>> kind(Conflict(TermKey("Q1", "label", "de"), None, False, None, None,
...               "differs and no base to tell who changed it", sticky=False, first_contact=True))
'first-contact'
>>> kind(Conflict(TermKey("Q1", "label", "de"), "a", True, None, None, "changed differently on both sides"))
'both-changed'
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

#: kind → what it means (shown by ``conflicts resolve -h`` and docs/sync.md).
KINDS: Final[Mapping[str, str]] = {
    "first-contact": "no agreed value yet: the wikis differ on a term no sync has settled (the first sync, or a "
                     "term new on both sides)",
    "both-changed": "both sides changed the agreed value, differently",
    "deletion": "one side deleted the agreed value (policy: deletions need a human)",
    "english-deleted": "a capacity's English was deleted on Metabase",
    "decision-stale": "a decision whose values a human changed since, or that cannot be written",
    "value-refused": "a value a wiki would alter or refuse (too long, control characters…)",
    "guard": "a target a human changed between the plan and its apply",
    "imported": "a translation brought in from a .po file, waiting to be written",
    "other": "anything else",
}

#: (kind, words of the reason that mark it), checked in order after ``first_contact``.
_MARKS: Final = (
    ("decision-stale", ("decided on values that changed since", "decided text is not written")),
    ("value-refused", ("value is not written:", "refused the value")),
    ("guard", ("(guard)",)),
    ("english-deleted", ("English deleted on",)),
    ("deletion", ("deletions need a human",)),
    ("imported", ("translation imported from",)),
    ("first-contact", ("on first contact", "differs and no base", "new on both sides")),
    ("both-changed", ("changed differently on both sides",)),
)


class HasReason(Protocol):
    @property
    def reason(self) -> str: ...
    @property
    def first_contact(self) -> bool: ...


def kind_of(reason: str, first_contact: bool = False) -> str:
    """The kind of a reason sentence (see :data:`KINDS`)."""
    for name, marks in _MARKS:
        if any(mark in reason for mark in marks):
            return name
    return "first-contact" if first_contact else "other"


def kind(conflict: HasReason) -> str:
    """The kind of a conflict (a :class:`~capxl10n.core.merge.Conflict` or an inbox entry)."""
    return kind_of(conflict.reason, bool(getattr(conflict, "first_contact", False)))


def by_language_and_kind(conflicts: Iterable[Any]) -> dict[str, Any]:
    """Counts for a summary: per kind, per language, and per language and kind (sorted, JSON-able)."""
    pairs = [(c.key.lang, kind(c)) for c in conflicts]
    per_kind = Counter(k for _l, k in pairs)
    per_lang = Counter(lang for lang, _k in pairs)
    cross: dict[str, Counter[str]] = {}
    for lang, k in pairs:
        cross.setdefault(lang, Counter())[k] += 1
    return {"total": len(pairs),
            "by_reason": dict(sorted(per_kind.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_language": dict(sorted(per_lang.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_language_and_reason": {lang: dict(sorted(c.items())) for lang, c in sorted(cross.items())}}


def render_counts(counts: Mapping[str, Any], *, width: int = 100) -> list[str]:
    """Two lines for a terminal: the reasons, then the languages (most first), cut to ``width``."""
    def line(head: str, items: Mapping[str, int]) -> str:
        text = head + ", ".join(f"{name} {n}" for name, n in items.items())
        return text if len(text) <= width else text[: width - 1] + "…"

    return [line("  by reason:   ", counts["by_reason"]), line("  by language: ", counts["by_language"])]
