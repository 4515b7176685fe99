"""The vocabulary of the translation checks: the rule table, a finding, and the options a profile may tune.

Pure: no I/O. :mod:`capxl10n.core.checks` holds the rules themselves; every
finding they make names one of :data:`RULES`, which says how bad it is, why
the rule exists (which wiki or the app would alter, refuse or mis-show the
text) and how to fix it (docs/checks.md explains each).

>>> f = finding(TermKey("Q7397", "label", "pt-br"), "too-long", "label is 251 characters long")
>>> f.severity, f.blocks, f.fix
('error', True, 'shorten it to 250 characters or fewer')
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from capxl10n.core import values
from capxl10n.core.model import TermKey, normalize_text

Severity = Literal["error", "warning"]
SEVERITIES: Final[tuple[Severity, ...]] = ("error", "warning")
#: What a rule needs: one value (and its English), the directory around it, or the write it guards.
Scope = Literal["value", "directory", "write"]

#: Names that stay the same in every language: a translation equal to its English is no finding when the
#: whole value is one of them (compared case-insensitively). A profile may extend it (:meth:`CheckOptions.allowing`).
SAME_IN_EVERY_LANGUAGE: Final[frozenset[str]] = frozenset({
    "Wikidata", "Wikipedia", "Wikimedia", "Wikimedia Commons", "Commons", "Wikibase", "MediaWiki", "Wikisource",
    "Wiktionary", "Wikiquote", "Wikibooks", "Wikinews", "Wikiversity", "Wikivoyage", "Wikispecies", "Wikifunctions",
    "Meta-Wiki", "OpenRefine", "QuickStatements", "PetScan", "Toolforge", "Phabricator", "SPARQL", "Lua",
    "Scribunto", "VisualEditor", "GLAM", "OpenStreetMap", "GitHub", "GitLab", "Python", "JavaScript",
    "Reasonator", "Pywikibot", "Quarry", "PAWS", "Pattypan", "AutoWikiBrowser", "HotCat", "API", "APIs",
    "Wikimedia Meta-Wiki", "Wikimedia 2030",
})


@dataclass(frozen=True)
class Rule:
    """One check: its id, how bad a finding is, what it needs, why it exists, how to fix its findings."""

    id: str
    severity: Severity
    scope: Scope
    summary: str
    why: str
    fix: str


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


#: Every rule, in report order (errors first). docs/checks.md explains each; tests hold the two together.
RULES: Final[Mapping[str, Rule]] = _rules(
    Rule(values.CONTROL_CHARACTER, "error", "value", "control characters (TAB, LF, CR, BEL, DEL, C1…) inside",
         "Metabase turns them into a space, Meta-Wiki into U+FFFD or keeps them: the sides diverge",
         "delete the character (retype the text around it if it came from a copy and paste)"),
    Rule(values.LONE_SURROGATE, "error", "value", "lone surrogates U+D800–U+DFFF",
         "not encodable as UTF-8: neither wiki can receive it", "retype the character: the text was damaged"),
    Rule(values.LINE_SEPARATOR, "error", "value", "U+2028 LINE / U+2029 PARAGRAPH SEPARATOR inside",
         "Metabase refuses it (wikibase-validator-malformed-value); Meta-Wiki keeps it",
         "replace it with a space; a name or description is one line"),
    Rule(values.NONCHARACTER, "error", "value", "noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF…)",
         "both wikis store U+FFFE/U+FFFF as U+FFFD; the others are never a human's text",
         "delete the character"),
    Rule(values.REPLACEMENT, "error", "value", "U+FFFD REPLACEMENT CHARACTER",
         "a character was already lost upstream; copying the loss spreads it", "retype the lost character"),
    Rule(values.EMPTY, "error", "value", "empty or only whitespace",
         "Metabase removes the term, the bundle refuses a blank English, Meta-Wiki keeps an empty unit",
         "write the text, or delete the term on purpose"),
    Rule(values.INVISIBLE, "error", "value", "nothing visible (a lone ZWSP, combining marks only)",
         "both wikis keep it, but the app would show a blank name", "write visible text"),
    Rule(values.FUZZY, "error", "value", "Translate's !!FUZZY!! marker",
         "Meta-Wiki reads the unit as outdated and strips the marker; Metabase keeps it as text",
         "remove the marker; mark an outdated translation with the fuzzy flag (#, fuzzy in a .po) instead"),
    Rule(values.TOO_LONG, "error", "value", f"longer than {values.MAX_TERM_LENGTH} code points",
         f"Metabase refuses it (wikibase-validator-label-too-long / -description-too-long, limit "
         f"{values.MAX_TERM_LENGTH}); Meta-Wiki keeps it", f"shorten it to {values.MAX_TERM_LENGTH} characters or fewer"),
    Rule("bidi-control", "error", "value", "bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)",
         "both wikis keep them, but they reorder what follows them in the app's lists and menus, and can make "
         "text read differently from how it is stored (spoofing)",
         "delete them; the app sets each name's direction itself; where a left-to-right name inside "
         "right-to-left text needs help, use U+200E LEFT-TO-RIGHT MARK (or U+200F)"),
    Rule("not-nfc", "error", "value", "text Unicode NFC changes",
         "both wikis store the NFC form, so what is saved is not what was written (composition exclusions "
         "and CJK compatibility ideographs even change the character)",
         "save the text NFC-normalised (the fix names the NFC form)"),
    Rule("pre-save-transform", "error", "value",
         "~~~, ~~~~, ~~~~~, {{subst:…}}, {{safesubst:…}}, the pipe trick [[a (b)|]] and [[|a]]",
         "MediaWiki's pre-save transform replaces them on save (a signature, a date, a template's text, a "
         "link label) wherever it runs — /qqq documentation, every wikitext page, units on a wiki with "
         "$wgTranslateUsePreSaveTransform —; in the app they are shown as written",
         "remove them; a name or description carries no signature, template or link"),
    Rule("message-syntax", "error", "value", "banana message syntax: {{, $1…$9, [[",
         "the app renders the catalogs' JSON with banana, which reads {{…}} as PLURAL/GENDER-style magic "
         "words, $1 as a parameter and [[…]] as a link: the text would not show as written",
         "write the text without them (spell a literal $1 or {{ differently)"),
    Rule("label-equals-description", "error", "directory", "a label equal to its own description",
         "Metabase refuses the edit (wikibase-validator-label-equals-description)",
         "make the description say more than the name"),
    Rule("label-description-conflict", "error", "directory",
         "a label + description pair another capacity already has in the language",
         "Metabase refuses the edit (wikibase-validator-label-with-description-conflict); the app would show "
         "two capacities nobody can tell apart",
         "make the label or the description say how the capacities differ"),
    Rule("empty-over-value", "error", "write", "an empty value over a non-empty one without an explicit deletion",
         "writing it deletes a human's text (Metabase removes the term) although nobody asked for a deletion",
         "translate the term, or delete it explicitly (on the wiki, or with a decision)"),
    Rule("outer-whitespace", "warning", "value", "leading or trailing whitespace",
         "Metabase trims it, Meta-Wiki trims the trailing and keeps the leading: harmless to the sync "
         "(values compare trimmed) but not what the app shows", "remove it"),
    Rule("double-space", "warning", "value", "two or more spaces in a row inside",
         "both wikis keep them; the app shows a gap", "use one space"),
    Rule("same-as-english", "warning", "value", "a translation identical to the English",
         "usually an untranslated copy that counts as translated",
         "translate it, or allow-list a name that stays the same in every language (SAME_IN_EVERY_LANGUAGE)"),
    Rule("markup", "warning", "value", "wikitext or HTML markup ('' ''', <b>, &nbsp;, [https://…])",
         "the app shows names and descriptions as plain text: the markup is shown as written",
         "write plain text (a real character instead of an entity: U+00A0 for &nbsp;)"),
    Rule("label-trailing-period", "warning", "value", "a label ending in a full stop",
         "labels are names, not sentences; the English has none", "remove the full stop"),
    Rule("capitalisation", "warning", "directory",
         "a first letter whose case differs from how the language's other labels (descriptions) mostly start",
         "a translator's slip (or a copy from elsewhere) makes one name stand out in the app's lists",
         "start it like the language's other labels (descriptions), unless it begins with a proper name"),
)

_RULE_ORDER: Final = {rule: i for i, rule in enumerate(RULES)}

@dataclass(frozen=True)
class Finding:
    """What one rule found in one term: the term, the rule, how bad, what is wrong, how to fix it."""

    key: TermKey
    rule: str
    severity: Severity
    message: str
    fix: str

    @property
    def lang(self) -> str:
        return self.key.lang

    @property
    def blocks(self) -> bool:
        """An error: the term's write is refused."""
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.key.message_key} ({self.key.lang}): {self.severity} {self.rule}: {self.message}; fix: {self.fix}"

    def sort_key(self) -> tuple[Any, ...]:
        return (self.key.sort_key(), _RULE_ORDER.get(self.rule, len(_RULE_ORDER)), self.message)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key.message_key, "qid": self.key.qid, "field": self.key.field, "lang": self.key.lang,
                "rule": self.rule, "severity": self.severity, "message": self.message, "fix": self.fix}


def finding(key: TermKey, rule: str, message: str, fix: str | None = None) -> Finding:
    """A finding of ``rule`` (one of :data:`RULES`) on ``key``: its severity from the rule, its fix the rule's
    unless a more precise one is given."""
    known = RULES[rule]
    return Finding(key, rule, known.severity, message, fix or known.fix)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that block a write."""
    return [f for f in findings if f.blocks]


@dataclass(frozen=True)
class CheckOptions:
    """What a profile may tune: the names that stay the same in every language, and how much agreement the
    capitalisation rule needs before it calls a first letter odd."""

    same_everywhere: frozenset[str] = SAME_IN_EVERY_LANGUAGE
    #: The capitalisation rule judges a language only on at least this many labels (descriptions) whose
    #: first letter has case...
    capitalisation_min: int = 5
    #: ...of which at least this share starts the same way.
    capitalisation_share: float = 0.8

    def allowing(self, names: Iterable[str]) -> CheckOptions:
        """These options with more names that stay the same in every language (a profile's own)."""
        return replace(self, same_everywhere=self.same_everywhere | frozenset(names))

    def stays_the_same(self, text: str) -> bool:
        folded = normalize_text(text).casefold()
        return any(folded == name.casefold() for name in self.same_everywhere)


DEFAULT_OPTIONS: Final = CheckOptions()


__all__ = ["DEFAULT_OPTIONS", "RULES", "SAME_IN_EVERY_LANGUAGE", "SEVERITIES", "CheckOptions", "Finding", "Rule",
           "Scope", "Severity", "errors", "finding"]
