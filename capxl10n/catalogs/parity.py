"""Entry-for-entry comparison of one of our .po files with Translate's own export of the same language.

Translate's ``Special:ExportTranslations?…&format=export-as-po`` is what
translators and ``Special:ImportTranslations`` know; our catalogs promise the
same entries in the same order with the same ``msgctxt``, ``msgid``,
``msgstr``, fuzzy flag and documentation (``#. [Wiki] …``), and the same
translators credited. :func:`compare` says where a file breaks that promise
(``Comparison.differences``, empty when it holds) and, apart, what differs on
purpose (``Comparison.deliberate``: the header fields, header comments and
extra comments docs/catalogs.md lists with their reasons).

Pure: it compares parsed files (:func:`capxl10n.catalogs.po.parse_po`);
:func:`compare_texts` parses two texts first.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from capxl10n.catalogs.po import ParsedEntry, ParsedPo, parse_po

#: Differences that break parity (an entry or a credit is not what Translate exports).
CONTENT_KINDS: Final = ("missing", "extra", "duplicate", "order", "msgid", "msgstr", "fuzzy", "documentation",
                        "authors", "header-value", "header-order")
#: Header fields whose values must be Translate's (its import reads the last two).
SAME_FIELDS: Final = ("Content-Type", "Content-Transfer-Encoding", "Language", "Plural-Forms",
                      "X-Language-Code", "X-Message-Group")
AUTHOR_PREFIX: Final = "Author: "


@dataclass(frozen=True)
class Difference:
    """One difference: ``key`` is the message key (``Q7397-label``), a header field or a topic."""

    kind: str
    key: str
    reference: str | None
    ours: str | None

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: Translate {self.reference!r}, ours {self.ours!r}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "translate": self.reference, "ours": self.ours}


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`: entry counts, parity differences and deliberate ones."""

    reference_entries: int
    our_entries: int
    differences: tuple[Difference, ...]
    deliberate: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        head = f"Translate {self.reference_entries} entries, ours {self.our_entries}"
        if self.ok:
            return f"{head}: same entries, order, texts, fuzzy flags, documentation and authors"
        return head + f", {len(self.differences)} difference(s):\n  " + "\n  ".join(map(str, self.differences))

    def to_json(self) -> dict[str, Any]:
        return {"translate_entries": self.reference_entries, "our_entries": self.our_entries, "ok": self.ok,
                "differences": [d.to_json() for d in self.differences],
                "deliberate": [d.to_json() for d in self.deliberate]}


def _key(entry: ParsedEntry) -> str:
    return entry.msgctxt if entry.msgctxt is not None else entry.msgid


def _short(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _indexed(entries: Sequence[ParsedEntry], out: list[Difference], side: str) -> dict[str, ParsedEntry]:
    table: dict[str, ParsedEntry] = {}
    for entry in entries:
        key = _key(entry)
        if key in table:
            out.append(Difference("duplicate", _short(key), key if side == "reference" else None,
                                  key if side == "ours" else None))
            continue
        table[key] = entry
    return table


def _order(reference: list[str], ours: list[str]) -> list[Difference]:
    """Keys of both files that are not in their longest common order, with both positions."""
    matcher = difflib.SequenceMatcher(None, reference, ours, autojunk=False)
    in_order = {reference[block.a + i] for block in matcher.get_matching_blocks() for i in range(block.size)}
    where = {key: i for i, key in enumerate(ours)}
    return [Difference("order", _short(key), f"position {i + 1}", f"position {where[key] + 1}")
            for i, key in enumerate(reference) if key not in in_order]


def _entries(reference: ParsedPo, ours: ParsedPo) -> list[Difference]:
    out: list[Difference] = []
    theirs = _indexed(reference.entries, out, "reference")
    mine = _indexed(ours.entries, out, "ours")
    out += [Difference("missing", _short(k), theirs[k].msgid, None) for k in theirs if k not in mine]
    out += [Difference("extra", _short(k), None, mine[k].msgid) for k in mine if k not in theirs]
    common = [k for k in theirs if k in mine]
    out += _order(common, [k for k in mine if k in theirs])
    for key in common:
        a, b = theirs[key], mine[key]
        short = _short(key)
        if a.msgid != b.msgid:
            out.append(Difference("msgid", short, a.msgid, b.msgid))
        if a.msgstr != b.msgstr:
            out.append(Difference("msgstr", short, a.msgstr, b.msgstr))
        if a.fuzzy != b.fuzzy:
            out.append(Difference("fuzzy", short, str(a.fuzzy), str(b.fuzzy)))
        if a.documentation != b.documentation:
            out.append(Difference("documentation", short, "\n".join(a.documentation) or None,
                                  "\n".join(b.documentation) or None))
    return out


def _authors(header: Sequence[str]) -> list[str]:
    return [line[len(AUTHOR_PREFIX):] for line in header if line.startswith(AUTHOR_PREFIX)]


def _header(reference: ParsedPo, ours: ParsedPo) -> tuple[list[Difference], list[Difference]]:
    content: list[Difference] = []
    deliberate: list[Difference] = []
    a, b = dict(reference.metadata), dict(ours.metadata)
    for name in dict.fromkeys([*a, *b]):
        if a.get(name) == b.get(name):
            continue
        kind = "header-value" if name in SAME_FIELDS else "header-field"
        (content if kind == "header-value" else deliberate).append(Difference(kind, name, a.get(name), b.get(name)))
    common_a = [name for name in a if name in b]
    common_b = [name for name in b if name in a]
    if common_a != common_b:
        content.append(Difference("header-order", "fields", ", ".join(common_a), ", ".join(common_b)))
    if _authors(reference.header_comments) != _authors(ours.header_comments):
        content.append(Difference("authors", "Author", ", ".join(_authors(reference.header_comments)) or None,
                                  ", ".join(_authors(ours.header_comments)) or None))
    others_a = [line for line in reference.header_comments if not line.startswith(AUTHOR_PREFIX)]
    others_b = [line for line in ours.header_comments if not line.startswith(AUTHOR_PREFIX)]
    for i in range(max(len(others_a), len(others_b))):
        line_a = others_a[i] if i < len(others_a) else None
        line_b = others_b[i] if i < len(others_b) else None
        if line_a != line_b:
            deliberate.append(Difference("header-comment", f"line {i + 1}", line_a, line_b))
    return content, deliberate


def _comments(reference: ParsedPo, ours: ParsedPo) -> list[Difference]:
    """Comment kinds one side writes and the other does not, counted over the entries."""
    out = []
    for kind, count in (("extracted-comments", lambda p: sum(1 for e in p.entries if e.other_comments)),
                        ("previous-msgid", lambda p: sum(1 for e in p.entries if e.previous_msgid is not None)),
                        ("lone-comment", lambda p: p.lone_comment_lines)):
        a, b = count(reference), count(ours)
        if a != b:
            out.append(Difference(kind, "entries", str(a), str(b)))
    return out


def compare(reference: ParsedPo, ours: ParsedPo) -> Comparison:
    """Compare our .po (``ours``) with Translate's export of the same group and language (``reference``)."""
    differences = _entries(reference, ours)
    content, deliberate = _header(reference, ours)
    return Comparison(len(reference.entries), len(ours.entries), tuple(differences + content),
                      tuple(deliberate + _comments(reference, ours)))


def compare_texts(reference: str, ours: str, *, reference_origin: str = "Translate's export",
                  our_origin: str = "our catalog") -> Comparison:
    """:func:`compare` of two .po texts (``DataError`` naming the one that is not a gettext file)."""
    return compare(parse_po(reference, reference_origin), parse_po(ours, our_origin))


__all__ = ["CONTENT_KINDS", "SAME_FIELDS", "Comparison", "Difference", "compare", "compare_texts"]
