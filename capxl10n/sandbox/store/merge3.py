"""The three-way text merge MediaWiki tries before answering ``editconflict``.

Why: on a conflict EditPage calls ``wfMerge`` (GNU ``diff3 -a --overlap-only``
then ``diff3 -a -e --merge``) with the base revision, the new text and the
current text; a clean merge is saved instead of a conflict. The real wiki
(checked on MediaWiki 1.39) merges changes separated by at least one unchanged
line, refuses changes to the same or *adjacent* lines, and accepts identical
changes on both sides. Pure Python, no diff3 binary needed.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class _Hunk:
    lo: int          # first base line replaced
    hi: int          # one past the last base line replaced (lo == hi: insertion)
    lines: tuple[str, ...]


def _hunks(base: list[str], other: list[str]) -> list[_Hunk]:
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [_Hunk(i1, i2, tuple(other[j1:j2])) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _apply(base: list[str], lo: int, hi: int, hunks: list[_Hunk]) -> list[str]:
    out: list[str] = []
    pos = lo
    for hunk in hunks:
        out.extend(base[pos:hunk.lo])
        out.extend(hunk.lines)
        pos = hunk.hi
    out.extend(base[pos:hi])
    return out


def _ambiguous(*texts: list[str]) -> bool:
    """Repeated lines let difflib and GNU diff align differently; refuse rather than merge unlike diff3.

    >>> _ambiguous(["b", "a", "a"], ["b"], ["a", "c", "a", "b"])
    True
    """
    return any(len(set(lines)) != len(lines) for lines in texts)


def merge3(base: str, mine: str, yours: str) -> str | None:
    """Merge two edits of ``base`` line by line; None when they touch the same or adjacent lines.

    Texts are compared with trailing whitespace trimmed, as ``wfMerge`` does;
    the result has no trailing newline (MediaWiki's pre-save transform trims it).

    >>> merge3("a\\nb\\nc", "A\\nb\\nc", "a\\nb\\nC")
    'A\\nb\\nC'
    >>> merge3("a\\nb\\nc", "A\\nb\\nc", "a\\nB\\nc") is None
    True
    """
    old = base.rstrip().split("\n")
    a = mine.rstrip().split("\n")
    b = yours.rstrip().split("\n")
    if a == old or a == b:
        return "\n".join(b).rstrip()
    if b == old:
        return "\n".join(a).rstrip()
    if _ambiguous(old, a, b):
        return None
    tagged = sorted([(h, 0) for h in _hunks(old, a)] + [(h, 1) for h in _hunks(old, b)],
                    key=lambda item: (item[0].lo, item[0].hi))
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(tagged):
        block = [tagged[i]]
        lo, hi = tagged[i][0].lo, tagged[i][0].hi
        i += 1
        # diff3 joins hunks whose base ranges overlap or touch into one block
        while i < len(tagged) and tagged[i][0].lo <= hi:
            block.append(tagged[i])
            hi = max(hi, tagged[i][0].hi)
            i += 1
        out.extend(old[pos:lo])
        sides = {side for _h, side in block}
        versions = [_apply(old, lo, hi, [h for h, s in block if s == side]) for side in (0, 1)]
        if len(sides) == 2 and versions[0] != versions[1]:
            return None
        out.extend(versions[0] if 0 in sides else versions[1])
        pos = hi
    out.extend(old[pos:])
    return "\n".join(out).rstrip()
