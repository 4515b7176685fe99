"""Section edits of wikitext as MediaWiki 1.39's parser does them (pure).

Why here: ``action=edit`` with ``section=N`` or ``section=new`` must change one part of
the page, never the whole page, and ``prop=revisions&rvsection=N`` reads one part; both
cut the text the way ``Parser::extractSections`` does (checked on the real peer):

- section 0 is the text before the first heading; section N starts at the N-th heading and
  runs to the next heading of the same or a higher level (its subsections included);
- replacing a section keeps the text before it, puts the new text, two newlines and the
  rest, and the saved page loses its trailing whitespace (the pre-save transform's rtrim);
- ``section=new`` appends ``\\n\\n== title ==\\n\\n`` and the text (only the text when there is
  no title), ``== title ==\\n\\ntext`` on a new page.

Headings are lines ``== x ==`` (1 to 6 equals signs, the level is the smaller side); headings
inside ``<nowiki>``, ``<pre>``, comments or templates are not told apart (the sandbox's pages
have none).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(={1,6})(.+?)(={1,6})[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """Where a section starts and ends in the text, and its heading level (0 for the lead)."""

    start: int
    end: int
    level: int


def sections(text: str) -> list[Section]:
    """Every section of ``text``, the lead (section 0, possibly empty) first.

    >>> [(s.level, text[s.start:s.end]) for text in ["a\\n== B ==\\nb\\n=== C ===\\nc\\n== D ==\\nd"]
    ...  for s in sections(text)]
    [(0, 'a\\n'), (2, '== B ==\\nb\\n=== C ===\\nc\\n'), (3, '=== C ===\\nc\\n'), (2, '== D ==\\nd')]
    """
    heads = [(m.start(), min(len(m.group(1)), len(m.group(3)))) for m in _HEADING.finditer(text)
             if m.group(2).strip("=").strip()]
    out = [Section(0, heads[0][0] if heads else len(text), 0)]
    for position, (start, level) in enumerate(heads):
        end = len(text)
        for later, later_level in heads[position + 1:]:
            if later_level <= level:
                end = later
                break
        out.append(Section(start, end, level))
    return out


def section_text(text: str, number: int) -> str | None:
    """The text of section ``number`` without its trailing whitespace (None when there is no such section)."""
    found = sections(text)
    if number < 0 or number >= len(found):
        return None
    part = found[number]
    return text[part.start:part.end].rstrip()


def replace_section(text: str, number: int, new: str) -> str | None:
    """``text`` with section ``number`` replaced by ``new`` (None when there is no such section)."""
    found = sections(text)
    if number < 0 or number >= len(found):
        return None
    part = found[number]
    rest = text[part.end:]
    joined = text[:part.start] + new.rstrip() + ("\n\n" + rest if rest else "")
    return joined.rstrip()


def append_section(text: str, title: str | None, body: str) -> str:
    """``section=new``: a new last section headed ``== title ==`` (no heading without a title)."""
    piece = f"== {title} ==\n\n{body}" if title else body
    return f"{text.rstrip()}\n\n{piece}" if text.strip() else piece
