"""The translation checks: rules that stop bad text before it reaches a wiki, and the findings they make.

Pure: no I/O. Every rule is a small function of one value (and its English),
of a capacity's two fields, of a whole language, or of a write; each finding
says which term, which rule, how bad, what is wrong (with the position and
code point where that helps) and how to fix it. ``capxl10n check`` runs them
over the whole directory; the merge, decisions and imports are to run the
error rules before every write (:func:`check_term`, :class:`TermContext`,
:func:`check_write`). docs/checks.md has the table, why each rule exists and
what it found in the sample and in the real extract.

The rules that keep the two wikis from storing different values (control
characters, length, the fuzzy marker…) live in :mod:`capxl10n.core.values`,
which the merge has always used: :func:`check_value` reports them under the
same rule ids, with a fix. This module adds what the app or Meta-Wiki would
show or save differently (bidi controls, non-NFC text, the pre-save
transform, banana syntax), the warnings, and the rules that need context:
a label equal to its description, a label + description pair another
capacity holds in the language (Wikibase refuses both), an empty value over
a non-empty one, and the language's capitalisation.

>>> key = TermKey("Q7397", "label", "pt-br")
>>> [f.rule for f in check_value(key, "Organizar editatonas", english="Organizing edit-a-thons")]
[]
>>> (finding,) = check_value(key, "Organizar ~~~~")
>>> print(finding)
Q7397-label (pt-br): error pre-save-transform: contains ~~~~ at 11: MediaWiki's pre-save transform replaces it with the editor's signature and the date; fix: remove it; a name or description never carries a signature
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from capxl10n.core import langs as language_table
from capxl10n.core import values
from capxl10n.core.findings import (DEFAULT_OPTIONS, RULES, SEVERITIES, CheckOptions, Finding, Severity,
                                    finding)
from capxl10n.core.model import DOC_LANGUAGE, FIELDS, SOURCE_LANGUAGE, Field, Snapshot, TermKey, normalize_text

#: U+202A–U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066–U+2069 (LRI, RLI, FSI, PDI).
BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: What ends a sentence, across scripts: a label ending in one of these reads as a sentence.
_FULL_STOPS: Final = frozenset(".\u3002\uff0e\u0964\u06d4\u1362\u104b")

_SIGNATURE: Final = re.compile(r"~{3,}")
_SUBST: Final = re.compile(r"\{\{\s*(?:safe)?subst\s*:", re.IGNORECASE)
#: Parser::pstPass2's context links: [[ns:page (context)|]], [[page, context|]], and the reverse [[|page]].
_PIPE_TRICK: Final = re.compile(r"\[\[[^\[\]{}|<>]+\|\]\]|\[\[\|[^\[\]{}|<>]+\]\]")
_BANANA: Final = re.compile(r"\{\{|\$\d|\[\[")
_MARKUP: Final = re.compile(
    r"'{2,}"  # wikitext italic/bold
    r"|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"  # an HTML tag
    r"|&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"  # an entity
    r"|\[(?:https?:)?//[^\s\]]+"  # an external link
)



# -- one value --------------------------------------------------------------------------------------------
def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


def _at(matches: Sequence[re.Match[str]]) -> str:
    first = matches[0]
    more = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
    return f"{first.group(0)} at {first.start() + 1}{more}"


def _wiki_rules(key: TermKey, text: str) -> list[Finding]:
    return [finding(key, p.rule, p.reason) for p in values.value_problems(text, field=key.field)]


def _bidi(key: TermKey, text: str) -> list[Finding]:
    found = [(i, ch) for i, ch in enumerate(text) if ch in BIDI_CONTROLS]
    if not found:
        return []
    i, ch = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return [finding(key, "bidi-control", f"contains the bidi control {_codepoint(ch)} at {i + 1}{more}")]


def _nfc(key: TermKey, text: str) -> list[Finding]:
    if unicodedata.is_normalized("NFC", text):
        return []
    nfc = unicodedata.normalize("NFC", text)
    i = next((n for n, (a, b) in enumerate(zip(text, nfc)) if a != b), min(len(text), len(nfc)))
    changed = " ".join(f"U+{ord(ch):04X}" for ch in text[i:i + 3])
    shown = nfc.strip()
    fix = f"save it as NFC: {shown!r}" if len(shown) <= 80 else RULES["not-nfc"].fix
    return [finding(key, "not-nfc", f"is not in Unicode NFC from {i + 1} ({changed}…): both wikis store another "
                                    "sequence of code points than the one given", fix)]


def _pre_save(key: TermKey, text: str) -> tuple[list[Finding], list[tuple[int, int]]]:
    """The pre-save transform's findings, and the spans they cover (the banana rule skips them)."""
    out: list[Finding] = []
    spans: list[tuple[int, int]] = []
    signatures = list(_SIGNATURE.finditer(text))
    if signatures:
        out.append(finding(key, "pre-save-transform",
                           f"contains {_at(signatures)}: MediaWiki's pre-save transform replaces it with the "
                           "editor's signature and the date",
                           "remove it; a name or description never carries a signature"))
    substs = list(_SUBST.finditer(text))
    if substs:
        out.append(finding(key, "pre-save-transform",
                           f"contains {_at(substs)}: MediaWiki's pre-save transform replaces the template call "
                           "with the template's text"))
    tricks = list(_PIPE_TRICK.finditer(text))
    if tricks:
        out.append(finding(key, "pre-save-transform",
                           f"contains the pipe trick {_at(tricks)}: MediaWiki's pre-save transform fills in the "
                           "link's label"))
    spans.extend(m.span() for m in (*signatures, *substs, *tricks))
    return out, spans


def _banana(key: TermKey, text: str, skip: Sequence[tuple[int, int]]) -> list[Finding]:
    found = [m for m in _BANANA.finditer(text) if not any(a <= m.start() < b for a, b in skip)]
    if not found:
        return []
    meaning = {"{{": "a magic word ({{PLURAL:…}}, {{GENDER:…}})", "[[": "a wiki link"}
    first = found[0].group(0)
    what = meaning.get(first, f"parameter {first} (filled in by the app, or shown as {first})")
    return [finding(key, "message-syntax", f"contains {_at(found)}: the app's banana messages read it as {what}, "
                                           "so the text would not show as written")]


def _whitespace(key: TermKey, text: str) -> list[Finding]:
    out = []
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    if lead or trail:
        where = " and ".join(f"{side} with {_codepoint(part[0])}" for side, part in (("starts", lead), ("ends", trail))
                             if part)
        out.append(finding(key, "outer-whitespace", where))
    inner = text.strip()
    offset = len(text) - len(text.lstrip())
    runs = [m for m in re.finditer(r"\s{2,}", inner)]
    if runs:
        first = runs[0]
        points = " ".join(f"U+{ord(ch):04X}" for ch in first.group(0))
        more = f" (and {len(runs) - 1} more)" if len(runs) > 1 else ""
        out.append(finding(key, "double-space", f"has {len(first.group(0))} spaces in a row ({points}) at "
                                                f"{offset + first.start() + 1}{more}"))
    return out


def _same_as_english(key: TermKey, text: str, english: str | None, options: CheckOptions) -> list[Finding]:
    if english is None or key.lang in (SOURCE_LANGUAGE, DOC_LANGUAGE):
        return []
    value = normalize_text(text)
    if value.casefold() != normalize_text(english).casefold() or not any(ch.isalpha() for ch in value):
        return []
    if options.stays_the_same(value):
        return []
    return [finding(key, "same-as-english", f"is the same as the English {normalize_text(english)!r}")]


def _markup(key: TermKey, text: str) -> list[Finding]:
    found = list(_MARKUP.finditer(text))
    if not found:
        return []
    return [finding(key, "markup", f"contains markup {_at(found)}: the app shows it as written")]


def _trailing_period(key: TermKey, text: str, english: str | None) -> list[Finding]:
    value = normalize_text(text)
    if key.field != "label" or not value or value[-1] not in _FULL_STOPS or value.endswith("..."):
        return []
    if english is not None and normalize_text(english)[-1:] in _FULL_STOPS:
        return []  # the English ends so too: an abbreviation ("Inc."), not a sentence
    return [finding(key, "label-trailing-period", f"ends with the full stop {_codepoint(value[-1])}")]


def check_value(key: TermKey, text: str, *, english: str | None = None,
                options: CheckOptions = DEFAULT_OPTIONS) -> list[Finding]:
    """Every rule that needs only this value (and, for the warnings comparing with it, its English).

    ``english`` is the capacity's English of the same field (None for English
    itself, or when unknown). Errors come first, in :data:`RULES` order. An
    empty value has no other finding.

    >>> key = TermKey("Q1", "label", "de")
    >>> [f.rule for f in check_value(key, " Wikidata  Stufe.", english="Wikidata level")]
    ['outer-whitespace', 'double-space', 'label-trailing-period']
    >>> [f.rule for f in check_value(key, "Wikidata", english="Wikidata")]
    []
    """
    found = value_errors(key, text)
    if any(f.rule == values.EMPTY for f in found):
        return found
    found += _whitespace(key, text)
    found += _same_as_english(key, text, english, options)
    found += _markup(key, text)
    found += _trailing_period(key, text, english)
    return sorted(found, key=Finding.sort_key)


def value_errors(key: TermKey, text: str) -> list[Finding]:
    """Only the errors of :func:`check_value` (what needs no English and no directory), cheaper than it.

    >>> [f.rule for f in value_errors(TermKey("Q1", "label", "de"), "~~~~ {{subst:PAGENAME}} [[Kategorie:X]]")]
    ['pre-save-transform', 'pre-save-transform', 'message-syntax']
    """
    found = _wiki_rules(key, text)
    if any(f.rule == values.EMPTY for f in found):
        return found
    found += _bidi(key, text)
    found += _nfc(key, text)
    pst, spans = _pre_save(key, text)
    found += pst
    found += _banana(key, text, spans)
    return sorted(found, key=Finding.sort_key)


# -- a write ----------------------------------------------------------------------------------------------
def check_write(key: TermKey, new: str | None, current: str | None, *, explicit_delete: bool) -> list[Finding]:
    """The write's own rule: an empty value (None or blank) over a non-empty one needs an explicit deletion.

    ``current`` is what the target holds now; ``explicit_delete`` says a human
    asked for the deletion (a term deleted on the other wiki, a decision to
    delete). An empty ``msgstr`` in an imported .po, a blanked unit, or a lost
    value are no deletion. The value's own rules are :func:`check_value`'s.

    >>> key = TermKey("Q1", "description", "fr")
    >>> [f.rule for f in check_write(key, "", "Une description", explicit_delete=False)]
    ['empty-over-value']
    >>> check_write(key, None, "Une description", explicit_delete=True)
    []
    """
    if explicit_delete or current is None or not normalize_text(current):
        return []
    if new is not None and normalize_text(new):
        return []
    shown = normalize_text(current)
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    return [finding(key, "empty-over-value", f"would replace {shown!r} with nothing, and nobody asked for a "
                                             "deletion")]


# -- the directory ----------------------------------------------------------------------------------------
def _other(field_: Field) -> Field:
    return "description" if field_ == "label" else "label"


class TermContext:
    """The context rules' view of a directory: each capacity's label and description per language, and the
    capacities holding each label + description pair.

    Built once (:meth:`from_snapshot`), kept current with :meth:`set` as a plan
    queues writes, asked with :meth:`check` before each write (the two
    Wikibase rules) or for all its findings (:meth:`findings`). Values are
    compared after :func:`~capxl10n.core.model.normalize_text`, as Wikibase
    compares the values it stores (trimmed, NFC; case-sensitive).

    >>> ctx = TermContext([(TermKey("Q1", "label", "de"), "Wiki"), (TermKey("Q1", "description", "de"), "Eine")])
    >>> [f.rule for f in ctx.check(TermKey("Q2", "label", "de"), "Wiki", description="Eine")]
    ['label-description-conflict']
    >>> [f.rule for f in ctx.check(TermKey("Q1", "description", "de"), "Wiki")]
    ['label-equals-description']
    """

    def __init__(self, terms: Iterable[tuple[TermKey, str]] = ()) -> None:
        self._values: dict[tuple[str, str], dict[str, str]] = {}
        self._pairs: dict[tuple[str, str, str], set[str]] = {}
        for key, text in terms:
            self.set(key, text)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, *, include_outdated: bool = False) -> TermContext:
        """The context of ``snapshot``'s terms (documentation left out; outdated ones only when asked: an outdated
        unit is never written to Metabase nor shown by the app)."""
        return cls((key, term.text) for key, term in snapshot.terms.items()
                   if key.lang != DOC_LANGUAGE and (include_outdated or not term.fuzzy))

    def _pair(self, qid: str, lang: str) -> tuple[str, str, str] | None:
        held = self._values.get((qid, lang), {})
        label, description = held.get("label"), held.get("description")
        return (lang, label, description) if label and description else None

    def set(self, key: TermKey, text: str | None) -> None:
        """Record that ``key`` holds ``text`` now (None or blank: nothing)."""
        slot = (key.qid, key.lang)
        old = self._pair(*slot)
        if old is not None:
            holders = self._pairs.get(old)
            if holders is not None:
                holders.discard(key.qid)
                if not holders:
                    del self._pairs[old]
        value = normalize_text(text) if text is not None else ""
        held = self._values.setdefault(slot, {})
        if value:
            held[key.field] = value
        else:
            held.pop(key.field, None)
        new = self._pair(*slot)
        if new is not None:
            self._pairs.setdefault(new, set()).add(key.qid)

    def get(self, key: TermKey) -> str | None:
        return self._values.get((key.qid, key.lang), {}).get(key.field)

    def check(self, key: TermKey, text: str, *, label: str | None = None,
              description: str | None = None) -> list[Finding]:
        """The two Wikibase rules for writing ``text`` at ``key``, the capacity's other field as this context
        holds it (or as given: ``label``/``description``, for a write of both)."""
        value = normalize_text(text)
        if not value:
            return []
        given = {"label": label, "description": description}
        other_field = _other(key.field)
        other_given = given[other_field]
        other = normalize_text(other_given) if other_given is not None else self.get(
            TermKey(key.qid, other_field, key.lang))
        if not other:
            return []
        pair = (value, other) if key.field == "label" else (other, value)
        out = []
        if value == other:
            out.append(finding(key, "label-equals-description",
                               f"the {key.field} equals the capacity's {other_field} {other!r} in {key.lang}"))
        holders = sorted(self._pairs.get((key.lang, *pair), set()) - {key.qid})
        if holders:
            out.append(_conflict(key, holders, pair))
        return out

    def findings(self, langs: Collection[str] | None = None) -> list[Finding]:
        """Every context finding in the directory: each label equal to its description (on the label), each
        capacity whose pair another holds (on its label, naming the others)."""
        out = []
        for (qid, lang), held in self._values.items():
            if langs is not None and lang not in langs:
                continue
            label, description = held.get("label"), held.get("description")
            if label and label == description:
                out.append(finding(TermKey(qid, "label", lang), "label-equals-description",
                                   f"the label equals the capacity's description {description!r} in {lang}"))
        for (lang, label, description), holders in self._pairs.items():
            if len(holders) < 2 or (langs is not None and lang not in langs):
                continue
            for qid in holders:
                out.append(_conflict(TermKey(qid, "label", lang), sorted(holders - {qid}), (label, description)))
        return out


def _conflict(key: TermKey, holders: Sequence[str], pair: tuple[str, str]) -> Finding:
    names = ", ".join(holders[:3]) + (f" and {len(holders) - 3} more" if len(holders) > 3 else "")
    label = pair[0] if len(pair[0]) <= 60 else pair[0][:57] + "…"
    return finding(key, "label-description-conflict",
                   f"{names} already {'has' if len(holders) == 1 else 'have'} the label {label!r} with the same "
                   f"description in {key.lang}")


def _first_letter_case(text: str) -> str | None:
    """``upper``/``lower`` of the first letter, None when it has no case or the first word is deliberately
    cased (an acronym ``GLAM``, a brand ``iOS``): only a plain capitalised or lowercase word tells a convention."""
    value = normalize_text(text)
    first = next((ch for ch in value if ch.isalpha()), None)
    if first is None or not (first.isupper() or first.islower() or unicodedata.category(first) == "Lt"):
        return None
    word = re.split(r"[\s\-–—/:,()]", value[value.index(first):], maxsplit=1)[0]
    rest = [ch for ch in word[1:] if ch.isalpha()]
    if any(ch.isupper() for ch in rest):
        return None  # GLAM, iOS, eBay, McDonald: cased on purpose
    return "lower" if first.islower() else "upper"


def _conventions(by_lang: Mapping[str, Counter[str]], options: CheckOptions) -> dict[str, str]:
    """Per language, the case its labels (descriptions) mostly start with, where there is enough evidence."""
    out = {}
    for lang, counts in by_lang.items():
        total = sum(counts.values())
        if total < options.capitalisation_min:
            continue
        case, n = counts.most_common(1)[0]
        if n / total >= options.capitalisation_share:
            out[lang] = case
    return out


def _fallbacks(lang: str) -> tuple[str, ...]:
    """MediaWiki's fallback chain of ``lang`` without English (langdata), for a language with too few labels."""
    if not language_table.is_known(lang):
        return ()
    return tuple(code for code in language_table.get(lang).fallbacks if code != SOURCE_LANGUAGE)


def capitalisation(snapshot: Snapshot, *, langs: Collection[str] | None = None,
                   options: CheckOptions = DEFAULT_OPTIONS) -> list[Finding]:
    """The capitalisation rule over a directory (docs/checks.md, "capitalisation").

    Per language and field, the convention is the case most of its current
    values start with, when at least ``capitalisation_min`` of them start with
    a cased letter and ``capitalisation_share`` agree; a language with fewer
    takes its MediaWiki fallback's (never English's: English labels say nothing
    about German nouns). A value is flagged when it starts otherwise, unless
    it starts like its English (a proper name such as "Wikimedia …" keeps its
    capital everywhere), its first word is cased on purpose (``GLAM``,
    ``iOS``) or it is a name that stays the same in every language.
    """
    english = {(k.qid, k.field): t.text for k, t in snapshot.terms.items() if k.lang == SOURCE_LANGUAGE}
    cases: dict[TermKey, str] = {}
    tallies: dict[Field, dict[str, Counter[str]]] = {f: {} for f in FIELDS}
    for key, term in snapshot.terms.items():
        if key.lang == DOC_LANGUAGE or term.fuzzy:
            continue
        case = _first_letter_case(term.text)
        if case is None:
            continue
        cases[key] = case
        tallies[key.field].setdefault(key.lang, Counter())[case] += 1
    conventions = {f: _conventions(tallies[f], options) for f in FIELDS}
    out = []
    for key, case in cases.items():
        if langs is not None and key.lang not in langs:
            continue
        known = conventions[key.field]
        convention = known.get(key.lang) or next((known[c] for c in _fallbacks(key.lang) if c in known), None)
        if convention is None or case == convention:
            continue
        source = english.get((key.qid, key.field))
        if key.lang != SOURCE_LANGUAGE and source is not None and _first_letter_case(source) == case:
            continue
        text = snapshot.terms[key].text
        if options.stays_the_same(text):
            continue
        own = key.lang if key.lang in known else next(c for c in _fallbacks(key.lang) if c in known)
        plural = "labels" if key.field == "label" else "descriptions"
        whose = f"{key.lang}'s {plural}" if own == key.lang else f"{plural} in {own} ({key.lang}'s fallback)"
        first = next(ch for ch in normalize_text(text) if ch.isalpha())
        out.append(finding(key, "capitalisation",
                           f"starts with {case}case {first!r} where {whose} mostly start {convention}case",
                           f"start it with {'a capital' if convention == 'upper' else 'a small'} letter like the "
                           f"other {plural}, unless it begins with a proper name"))
    return out


def check_directory(snapshot: Snapshot, *, langs: Collection[str] | None = None,
                    options: CheckOptions = DEFAULT_OPTIONS) -> list[Finding]:
    """Every rule over every term of ``snapshot`` (the whole directory, :func:`capxl10n.core.directory.whole_directory`).

    ``langs`` limits the findings to those languages (their context, e.g. the
    pairs of other capacities and the fallback's capitalisation, still comes
    from the whole directory). The documentation (``qqq``) is not checked: it
    is free wikitext for translators, never written to Metabase nor shown by
    the app. Blank values are absent terms. Outdated (fuzzy) translations get
    the value rules (a translator will start from them) but not the context
    rules (they are never written to Metabase nor shown by the app).
    Sorted by term (tree order of QIDs, label first, language), then rule.
    """
    wanted = set(langs) if langs is not None else None
    english = {(k.qid, k.field): t.text for k, t in snapshot.terms.items() if k.lang == SOURCE_LANGUAGE}
    found: list[Finding] = []
    for key, term in snapshot.terms.items():
        if key.lang == DOC_LANGUAGE or (wanted is not None and key.lang not in wanted) or not term.text.strip():
            continue
        source = english.get((key.qid, key.field)) if key.lang != SOURCE_LANGUAGE else None
        found += check_value(key, term.text, english=source, options=options)
    found += TermContext.from_snapshot(snapshot).findings(wanted)
    found += capitalisation(snapshot, langs=wanted, options=options)
    return sorted(found, key=Finding.sort_key)


# -- the report -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckReport:
    """The findings of a check, for :mod:`capxl10n.cli.render` (table, JSON, CSV, Markdown)."""

    findings: tuple[Finding, ...]
    #: How many terms were checked, and in which languages.
    terms: int = 0
    languages: tuple[str, ...] = ()
    #: The least severe findings shown: ``warning`` shows all, ``error`` only the errors.
    severity: Severity = "warning"
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.blocks)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if not f.blocks)

    def shown(self) -> list[Finding]:
        return [f for f in self.findings if SEVERITIES.index(f.severity) <= SEVERITIES.index(self.severity)]

    def columns(self) -> Sequence[str]:
        return ("key", "lang", "rule", "severity", "message", "fix")

    def records(self) -> list[dict[str, Any]]:
        return [{"key": f.key.message_key, "lang": f.lang, "rule": f.rule, "severity": f.severity,
                 "message": f.message, "fix": f.fix} for f in self.shown()]

    def summary(self) -> str:
        """``2 errors, 5 warnings in 532 terms (2 languages)``."""
        return (f"{_count(self.errors, 'error')}, {_count(self.warnings, 'warning')} in {_count(self.terms, 'term')} "
                f"({_count(len(self.languages), 'language')})")

    def table_caption(self) -> str:
        return self.summary()

    def to_json(self) -> dict[str, Any]:
        return {"terms": self.terms, "languages": list(self.languages), "errors": self.errors,
                "warnings": self.warnings, "counts": dict(self.counts),
                "findings": [f.to_json() for f in self.shown()]}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def check_report(snapshot: Snapshot, *, langs: Collection[str] | None = None, severity: Severity = "warning",
                 options: CheckOptions = DEFAULT_OPTIONS) -> CheckReport:
    """:func:`check_directory` as a report: the findings, what was checked, the count per rule."""
    found = check_directory(snapshot, langs=langs, options=options)
    wanted = set(langs) if langs is not None else None
    checked = [k for k, t in snapshot.terms.items()
               if k.lang != DOC_LANGUAGE and (wanted is None or k.lang in wanted) and t.text.strip()]
    counts = Counter(f.rule for f in found)
    return CheckReport(tuple(found), len(checked), tuple(sorted({k.lang for k in checked})), severity,
                       {rule: counts[rule] for rule in RULES if counts[rule]})


def check_term(key: TermKey, text: str, *, english: str | None = None, context: TermContext | None = None,
               options: CheckOptions = DEFAULT_OPTIONS) -> list[Finding]:
    """Everything known about writing ``text`` at ``key``: :func:`check_value`, and with a ``context`` the two
    Wikibase rules against it. Callers that write (the merge, decisions, imports) refuse the term when
    :func:`errors` of this is not empty."""
    found = check_value(key, text, english=english, options=options)
    if context is not None and not any(f.rule == values.EMPTY for f in found):
        found += context.check(key, text)
    return sorted(found, key=Finding.sort_key)


#: Re-exported from :mod:`capxl10n.core.findings`: callers import the checks' whole vocabulary from here.
__all__ = ["BIDI_CONTROLS", "CheckReport", "TermContext", "capitalisation", "check_directory", "check_report",
           "check_term", "check_value", "check_write"]
