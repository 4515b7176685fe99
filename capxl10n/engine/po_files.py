"""Reading translators' .po files safely: shared by the translation importer and the conflicts importer.

A .po file comes back from Poedit, from Translate's own export or from our
exports, and one wrong file (another language relabelled, a cut download, an
old export) would write wrong text over humans' translations on both wikis.
So a file is checked whole before anything is taken from it: UTF-8, every
string closed (polib would take a cut string as the whole text), headers that
name this profile's message group and one known language, agreeing with each
other and with the file name.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polib

from capxl10n.core import langs
from capxl10n.core.model import MESSAGE_KEY_RE
from capxl10n.errors import CapxError, DataError, UsageError

MAX_LISTED_PROBLEMS: Final = 20


@dataclass(frozen=True)
class PoProblem:
    """One reason to refuse a .po file, where it is (1-based line) and which key it concerns."""

    line: int
    message: str
    key: str | None = None

    def render(self, path: Path) -> str:
        return f"{path}:{self.line}: " + (f"{self.key}: " if self.key else "") + self.message


def refuse(path: Path, problems: list[PoProblem], *, hint: str) -> None:
    """Refuse the whole file when anything is wrong with it: every problem listed as file:line: key: reason."""
    if not problems:
        return
    listed = [p.render(path) for p in sorted(problems, key=lambda p: p.line)[:MAX_LISTED_PROBLEMS]]
    more = len(problems) - len(listed)
    raise DataError(f"{path}: refused, nothing recorded ({len(problems)} problem(s)):\n  " + "\n  ".join(listed)
                    + (f"\n  … and {more} more" if more else ""),
                    hint="fix or delete the entries named, or " + hint,
                    problems=[(p.line, p.key, p.message) for p in problems])


def read_po_text(path: Path, *, hint: str) -> str:
    """The file's text; a file that is not UTF-8 is refused at the first bad byte (line and byte named)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x})",
                        hint="capxl10n reads UTF-8 .po files only (Poedit saves UTF-8); " + hint) from None


def parse_po(text: str, path: Path, *, hint: str) -> polib.POFile:
    """polib's reading of a file that passed :func:`po_syntax_problems` (everything else refused first)."""
    refuse(path, po_syntax_problems(text), hint=hint)
    try:
        return polib.pofile(text, wrapwidth=0)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable .po file ({exc})", hint=hint) from None


_KEYWORD_RE: Final = re.compile(r"^(?P<kw>msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)(?:[ \t]+(?P<rest>.*))?$")
_STRING_RE: Final = re.compile(r'^"(?:[^"\\]|\\.)*"[ \t]*$')
_ESCAPE_RE: Final = re.compile(r"\\(.)")
_KNOWN_ESCAPES: Final = frozenset('\\"ntrvbf')


def po_syntax_problems(text: str) -> list[PoProblem]:
    """Lines a .po parser would misread: polib takes an unterminated or cut string as the whole text.

    A file cut short (a download or a copy stopped midway) must not turn a
    half msgstr into a decision, so every string must close on its line,
    every msgid must have its msgstr and the file must end with a newline.

    >>> po_syntax_problems('msgid "a"\\nmsgstr "b"\\n')
    []
    >>> [p.message for p in po_syntax_problems('msgid "a"\\nmsgstr "Organiz')]
    ['unterminated string (the file is cut short?)', 'the file ends in the middle of a line (cut short?)']
    """
    problems: list[PoProblem] = []
    lines = text.split("\n")
    last: tuple[str, int] | None = None  # the entry's last keyword (msgctxt, msgid or msgstr) and its line
    in_string = False
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r").lstrip("\ufeff") if number == 1 else raw.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            in_string = False
            continue
        match = _KEYWORD_RE.match(stripped)
        if match:
            keyword, literal = match.group("kw"), match.group("rest") or ""
            problem = _string_problem(literal)
            if problem:
                problems.append(PoProblem(number, problem))
            last = _follow(keyword, number, last, problems)
            in_string = True
        elif stripped.startswith('"') and in_string:
            problem = _string_problem(stripped)
            if problem:
                problems.append(PoProblem(number, problem))
        else:
            problems.append(PoProblem(number, f"not a .po line: {stripped[:40]!r} (garbled or cut short?)"))
            in_string = False
    if last is not None and last[0] != "msgstr":
        problems.append(PoProblem(last[1], f"{_missing(last[0])} (the file is cut short?)"))
    if text and not text.endswith("\n"):
        problems.append(PoProblem(len(lines), "the file ends in the middle of a line (cut short?)"))
    return problems


def _follow(keyword: str, number: int, state: tuple[str, int] | None,
            problems: list[PoProblem]) -> tuple[str, int] | None:
    """Track the keyword order of an entry, [msgctxt] msgid [msgid_plural] msgstr…; the state is the last
    keyword seen (and its line), so that a msgid left without msgstr is found even at the end of the file."""
    last = state[0] if state else None
    if keyword in ("msgctxt", "msgid"):
        if last in ("msgctxt", "msgid") and not (last == "msgctxt" and keyword == "msgid"):
            problems.append(PoProblem(state[1] if state else number, _missing(last)))
        return (keyword, number)
    if keyword == "msgid_plural":
        return state
    if last not in ("msgid", "msgstr"):
        problems.append(PoProblem(number, f"{keyword} without msgid"))
    return ("msgstr", number)


def _missing(keyword: str) -> str:
    return "msgctxt without msgid" if keyword == "msgctxt" else "msgid without msgstr"


def _string_problem(literal: str) -> str | None:
    if not literal.startswith('"'):
        return "a keyword without its quoted string"
    if not _STRING_RE.match(literal):
        return "unterminated string (the file is cut short?)"
    body = literal.rstrip(" \t")[1:-1]
    unknown = sorted({m.group(1) for m in _ESCAPE_RE.finditer(body)} - _KNOWN_ESCAPES)
    if unknown:
        return f"unknown escape \\{unknown[0]} (gettext files know \\n \\t \\\" \\\\ and a few more)"
    return None


def header_line(text: str) -> int:
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("msgid"):
            return number
    return 1


def file_language(meta: Mapping[str, str], path: Path, message_group: str, line: int, *, hint: str) -> str:
    """The file's language, once its headers show this profile's message group in one known language
    (``X-Language-Code``, as Translate writes it) that the ``Language`` header and the file name agree with."""
    if not any(meta.get(name) for name in ("X-Message-Group", "X-Language-Code", "Language")):
        raise DataError(f"{path}:{line}: no header naming a message group and a language: not a file exported "
                        "by capxl10n or Translate", hint=hint)
    group = meta.get("X-Message-Group")
    if group != message_group:
        raise UsageError(f"{path}:{line}: exported for message group {group or '(none)'}, this profile's is "
                         f"{message_group}", hint="import it with the --profile it was exported with")
    code = meta.get("X-Language-Code", "")
    try:
        language = langs.get(code)
    except CapxError:
        raise DataError(f"{path}:{line}: X-Language-Code {code or '(none)'} is not a known language",
                        hint=hint) from None
    declared = meta.get("Language", "")
    if not same_language(language, declared):
        raise DataError(f"{path}:{line}: the headers disagree: X-Language-Code {code} is {language.bcp47}, "
                        f"Language is {declared or '(none)'}",
                        hint="a file relabelled for another language would write one language's text over "
                             "another's; " + hint)
    named = _named_language(path)
    if named is not None and named.code != language.code:
        raise DataError(f"{path}:{line}: the file name says {named.code}, its headers say {language.code}",
                        hint="rename the file after its language, or " + hint)
    return language.code


def _named_language(path: Path) -> langs.Language | None:
    """The language a file name states, if any: ``pt-br.po``, ``pt_BR.po``, ``capacities-pt-br.po``; the
    longest known code at the end of the stem wins (``sh-latn`` before ``latn``)."""
    parts = path.stem.replace("_", "-").split("-")
    for start in range(len(parts)):
        tail = "-".join(parts[start:]).lower()
        if not tail:
            continue
        try:
            return langs.get(tail)
        except CapxError:
            continue
    return None


def same_language(language: langs.Language, tag: str) -> bool:
    """A Language header names ``language`` as we write it (BCP 47) or as Poedit rewrites it (pt_BR)."""
    def norm(text: str) -> str:
        return text.strip().replace("_", "-").lower()

    return bool(tag.strip()) and norm(tag) in {norm(language.bcp47), norm(language.gettext), norm(language.code)}


def entry_message_key(entry: polib.POEntry, bundle_page: str, seen: dict[str, int]) -> tuple[str | None, str]:
    """An entry's message key (``Q123-label``) from its msgctxt, Translate's full message key, or why the
    entry is not one of the bundle's: a plural entry, another page's key, a key already seen (``seen``
    maps each key to its line)."""
    if entry.msgid_plural or entry.msgstr_plural:
        return None, "a plural entry (msgid_plural/msgstr[n]): capacity names have no plural forms"
    context, prefix = entry.msgctxt or "", bundle_page + "/"
    short = context[len(prefix):] if context.startswith(prefix) else None
    if short is None or not MESSAGE_KEY_RE.match(short):
        return None, f"msgctxt is not a message key of {bundle_page}"
    if short in seen:
        return None, f"the same key as line {seen[short]}"
    seen[short] = entry.linenum or 0
    return short, ""
