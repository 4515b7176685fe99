"""capxl10n.core.checks and ``capxl10n check``: every rule has a failing and a passing case, every finding says
key, language, rule and fix, the directory rules see the whole directory, and the CLI exits 1 on errors."""
from __future__ import annotations

import doctest
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import capxl10n.core.checks as checks_mod
from capxl10n.cli.main import main
from capxl10n.core import values
from capxl10n.core.checks import (TermContext, capitalisation, check_directory, check_report, check_term, check_value,
                                  check_write)
from capxl10n.core.findings import RULES, SAME_IN_EVERY_LANGUAGE, CheckOptions, Finding, errors
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.core.values import MAX_TERM_LENGTH, value_problem

ROOT = Path(__file__).resolve().parents[2]
LABEL = TermKey("Q7397", "label", "pt-br")
DESCRIPTION = TermKey("Q7397", "description", "pt-br")


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


# (rule, field, failing text, passing text, English): one failing and one passing case for every value rule.
VALUE_CASES = [
    ("control-character", "label", "Org\u0007anizar", "Organizar", None),
    ("control-character", "description", "Uma\ttabulação", "Uma tabulação", None),
    ("lone-surrogate", "label", "Org\ud800anizar", "Organizar", None),
    ("line-separator", "label", "Org\u2028anizar", "\u2028Organizar", None),  # outer: trimmed by both wikis
    ("noncharacter", "label", "Org\ufffeanizar", "Org\ue000anizar", None),  # private use is kept
    ("replacement-character", "label", "Org\ufffdanizar", "Organizar", None),
    ("empty", "label", " \u00a0\t", "x", None),
    ("invisible", "label", "\u200b", "a\u200bb", None),
    ("fuzzy-marker", "label", "!!FUZZY!!Organizar", "!!fuzzy!! é outra coisa", None),
    ("too-long", "description", "d" * (MAX_TERM_LENGTH + 1), "d" * MAX_TERM_LENGTH, None),
    ("too-long", "label", "\U0001F600" * (MAX_TERM_LENGTH + 1), "\U0001F600" * MAX_TERM_LENGTH, None),
    ("bidi-control", "label", "Org\u202eanizar\u202c", "\u0645\u0631\u062d\u0628\u0627\u200f CapX", None),
    ("bidi-control", "label", "\u0645\u0631\u062d\u0628\u0627 \u2066CapX\u2069", "\u0645\u0631\u062d\u0628\u0627 CapX",
     None),
    ("not-nfc", "label", "Cafe\u0301", "Caf\u00e9", None),
    ("not-nfc", "label", "\u2126 ohm", "\u03a9 ohm", None),  # a composition exclusion: NFC changes the character
    ("not-nfc", "label", "\uf900 x", "\u8c48 x", None),  # a CJK compatibility ideograph
    ("pre-save-transform", "description", "Feito por ~~~~", "Feito por ~~ alguém", None),
    ("pre-save-transform", "description", "Feito em ~~~~~", "Feito em 2024", None),
    ("pre-save-transform", "description", "Feito por ~~~", "Feito por ~", None),
    ("pre-save-transform", "description", "{{subst:CURRENTYEAR}}", "ano corrente", None),
    ("pre-save-transform", "description", "{{ SafeSubst:x}}", "substituição", None),
    ("pre-save-transform", "description", "Veja [[Ajuda (Wikipédia)|]]", "Veja Ajuda", None),
    ("pre-save-transform", "description", "Veja [[|Ajuda]]", "Veja Ajuda", None),
    ("message-syntax", "label", "{{PLURAL:$1|grupo|grupos}}", "grupos", None),
    ("message-syntax", "label", "Grupos de $1", "Grupos de US$ 1", None),
    ("message-syntax", "label", "Veja [[Ajuda]]", "Veja [Ajuda]", None),
    ("outer-whitespace", "label", " Organizar", "Organizar", None),
    ("outer-whitespace", "label", "Organizar\u00a0", "Organizar", None),
    ("double-space", "label", "Organizar  editatonas", "Organizar editatonas", None),
    ("double-space", "label", "Organizar\u00a0 editatonas", "Organizar\u00a0editatonas", None),
    ("same-as-english", "label", "Finance for education", "Finanças para educação", "Finance for education"),
    ("same-as-english", "label", "finance FOR education", "Wikidata", "Finance for education"),
    ("markup", "description", "Um ''grupo'' de edição", "Um grupo de edição", None),
    ("markup", "description", "Um <b>grupo</b>", "Um grupo < dois > um", None),
    ("markup", "description", "Um&nbsp;grupo", "Um & outro; grupo", None),
    ("markup", "description", "Veja [https://meta.wikimedia.org Meta]", "Veja https://meta.wikimedia.org", None),
    ("label-trailing-period", "label", "Organizar editatonas.", "Organizar editatonas...", None),
    ("label-trailing-period", "label", "编辑马拉松。", "编辑马拉松", None),
]


@pytest.mark.parametrize("rule,field,bad,good,english", VALUE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(VALUE_CASES)])
def test_each_value_rule_fails_and_passes(rule: str, field: str, bad: str, good: str, english: str | None) -> None:
    key = TermKey("Q7397", field, "pt-br")  # type: ignore[arg-type]
    failing = check_value(key, bad, english=english)
    assert rule in rules(failing), failing
    finding = next(f for f in failing if f.rule == rule)
    assert finding.severity == RULES[rule].severity and finding.key == key
    passing = check_value(key, good, english=english)
    assert rule not in rules(passing), passing


def test_every_rule_has_a_failing_case_here() -> None:
    covered = {c[0] for c in VALUE_CASES} | {"label-equals-description", "label-description-conflict",
                                             "empty-over-value", "capitalisation"}
    assert covered == set(RULES)
    for name in covered - {c[0] for c in VALUE_CASES}:
        assert globals().get(f"test_{name.replace('-', '_')}_fails_and_passes"), name


@pytest.mark.parametrize("bad", [c[2] for c in VALUE_CASES])
def test_a_finding_names_key_language_rule_and_fix(bad: str) -> None:
    for finding in check_value(LABEL, bad, english="Finance for education"):
        text = str(finding)
        for part in ("Q7397-label", "pt-br", finding.rule, finding.severity, finding.message, finding.fix):
            assert part in text, (part, text)
        assert finding.fix and finding.message
        assert {k: finding.to_json()[k] for k in ("key", "lang", "rule", "fix")} == \
            {"key": "Q7397-label", "lang": "pt-br", "rule": finding.rule, "fix": finding.fix}


def test_a_full_stop_the_english_has_too_is_an_abbreviation() -> None:
    key = TermKey("Q1", "label", "de")
    assert rules(check_value(key, "Wikimedia Deutschland e.V.")) == ["label-trailing-period"]
    assert check_value(key, "Wikimedia Deutschland e.V.", english="Wikimedia Germany e.V.") == []
    assert check_value(key, "Stufe 2", english="Level 2.") == []
    assert rules(check_value(TermKey("Q1", "description", "de"), "Ein Satz.")) == []


def test_positions_and_code_points_are_named() -> None:
    (bidi,) = [f for f in check_value(LABEL, "Org\u202eanizar\u202c") if f.rule == "bidi-control"]
    assert bidi.message == "contains the bidi control U+202E RIGHT-TO-LEFT OVERRIDE at 4 (and 1 more)"
    (nfc,) = check_value(LABEL, "Cafe\u0301")
    assert "from 4 (U+0065 U+0301" in nfc.message and nfc.fix == "save it as NFC: 'Café'"
    (sig,) = check_value(DESCRIPTION, "Feito por ~~~~ e ~~~")
    assert sig.message.startswith("contains ~~~~ at 11 (and 1 more)")
    (syntax,) = check_value(LABEL, "Grupos de $1")
    assert "$1 at 11" in syntax.message
    (double,) = check_value(LABEL, " a  b")[1:]
    assert double.message == "has 2 spaces in a row (U+0020 U+0020) at 3"


def test_the_pre_save_transform_and_banana_rules_do_not_report_one_thing_twice() -> None:
    assert rules(check_value(DESCRIPTION, "{{subst:x}}")) == ["pre-save-transform"]
    assert rules(check_value(DESCRIPTION, "[[a (b)|]]")) == ["pre-save-transform"]
    assert rules(check_value(DESCRIPTION, "{{subst:x}} {{y}}")) == ["pre-save-transform", "message-syntax"]


def test_an_empty_value_has_no_other_finding() -> None:
    assert rules(check_value(LABEL, "   ", english="x")) == ["empty"]


def test_ordinary_text_in_many_scripts_has_no_finding() -> None:
    for text in ("Organizar editatonas", "تنظيم ماراثونات التحرير", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
                 "संपादन कार्यशाला आयोजित करना", "组织编辑马拉松", "編集ソンの開催", "편집톤 조직", "Ουκρανικά",
                 "Family \U0001F468\u200D\U0001F469\u200D\U0001F467", "Organisation : ateliers", "50% dos grupos",
                 "C++ e C#", "Rock & roll", "a < b", "Wikimedia 2030"):
        assert check_value(LABEL, text, english="Organizing edit-a-thons") == [], text


# -- the wiki rules live in capxl10n.core.values: value_problem and the checks agree ---------------------
@pytest.mark.parametrize("rule,field,bad,good,english", [c for c in VALUE_CASES if c[0] in values.RULE_IDS])
def test_value_problem_refuses_what_the_wiki_rules_find(rule: str, field: str, bad: str, good: str,
                                                        english: str | None) -> None:
    key = TermKey("Q7397", field, "pt-br")  # type: ignore[arg-type]
    reason = value_problem(bad, field=field, lang="pt-br")
    assert reason is not None
    assert reason in [f.message for f in check_value(key, bad)]
    assert value_problem(good, field=field, lang="pt-br") is None


def test_value_problem_accepts_what_only_the_other_checks_refuse() -> None:
    """Both wikis keep bidi controls, wikitext and NFD (docs/values.md): value_problem stays what it was; the
    checks refuse them for the app's sake (docs/checks.md)."""
    for text in ("Org\u202eanizar\u202c", "[[Foo]] {{bar}} ~~~~", "Cafe\u0301"):
        assert value_problem(text, field="label", lang="pt-br") is None
        assert errors(check_value(LABEL, text))


# -- a write ---------------------------------------------------------------------------------------------
def test_empty_over_value_fails_and_passes() -> None:
    assert rules(check_write(DESCRIPTION, "", "Uma descrição", explicit_delete=False)) == ["empty-over-value"]
    assert rules(check_write(DESCRIPTION, None, "Uma descrição", explicit_delete=False)) == ["empty-over-value"]
    (found,) = check_write(DESCRIPTION, " ", "Uma descrição", explicit_delete=False)
    assert "'Uma descrição'" in found.message and found.severity == "error"
    assert check_write(DESCRIPTION, None, "Uma descrição", explicit_delete=True) == []
    assert check_write(DESCRIPTION, "Outra", "Uma descrição", explicit_delete=False) == []
    assert check_write(DESCRIPTION, "", None, explicit_delete=False) == []
    assert check_write(DESCRIPTION, "", "  ", explicit_delete=False) == []


# -- the directory ---------------------------------------------------------------------------------------
def snapshot(terms: dict[tuple[str, str, str], str], fuzzy: frozenset[tuple[str, str, str]] = frozenset()) -> Snapshot:
    caps = tuple(Capacity(q) for q in sorted({k[0] for k in terms}))
    return Snapshot("directory", caps, {TermKey(q, f, l): Term(text, fuzzy=(q, f, l) in fuzzy)  # type: ignore[arg-type]
                                        for (q, f, l), text in terms.items()})


def test_label_equals_description_fails_and_passes() -> None:
    bad = snapshot({("Q1", "label", "de"): "Finanzen", ("Q1", "description", "de"): " Finanzen"})
    (found,) = [f for f in check_directory(bad, langs=["de"]) if f.rule == "label-equals-description"]
    assert found.rule == "label-equals-description" and found.key == TermKey("Q1", "label", "de")
    assert "'Finanzen'" in found.message and "de" in found.message
    good = snapshot({("Q1", "label", "de"): "Finanzen", ("Q1", "description", "de"): "Geld und Budgets"})
    assert "label-equals-description" not in rules(check_directory(good))
    case = snapshot({("Q1", "label", "de"): "Finanzen", ("Q1", "description", "de"): "finanzen"})
    assert "label-equals-description" not in rules(check_directory(case))  # Wikibase compares case-sensitively


def test_label_description_conflict_fails_and_passes() -> None:
    terms = {("Q1", "label", "pt-br"): "Membros", ("Q1", "description", "pt-br"): "Gestão de membros",
             ("Q2", "label", "pt-br"): "Membros", ("Q2", "description", "pt-br"): "Gestão de membros",
             ("Q3", "label", "pt-br"): "Membros", ("Q3", "description", "pt-br"): "Outra coisa",
             ("Q1", "label", "de"): "Membros", ("Q1", "description", "de"): "Gestão de membros"}
    found = [f for f in check_directory(snapshot(terms)) if f.rule == "label-description-conflict"]
    assert [(f.key.qid, f.lang) for f in found] == [("Q1", "pt-br"), ("Q2", "pt-br")]
    assert "Q2 already has the label 'Membros' with the same description in pt-br" in found[0].message
    assert found[0].fix == RULES["label-description-conflict"].fix
    assert not [f for f in check_directory(snapshot(terms), langs=["de"]) if f.rule == "label-description-conflict"]
    outdated = snapshot(terms, fuzzy=frozenset({("Q2", "description", "pt-br")}))
    assert "label-description-conflict" not in rules(check_directory(outdated))  # never written nor shown


def test_the_context_answers_before_a_write_and_follows_the_writes() -> None:
    ctx = TermContext.from_snapshot(snapshot({("Q1", "label", "fr"): "Finance", ("Q1", "description", "fr"): "Argent",
                                              ("Q2", "label", "fr"): "Budget"}))
    q2_description = TermKey("Q2", "description", "fr")
    assert rules(ctx.check(q2_description, "Argent")) == []
    ctx.set(TermKey("Q2", "label", "fr"), "Finance")
    assert rules(ctx.check(q2_description, "Argent")) == ["label-description-conflict"]
    assert rules(check_term(q2_description, "Argent", context=ctx)) == ["label-description-conflict"]
    assert rules(ctx.check(q2_description, "Finance")) == ["label-equals-description"]
    ctx.set(TermKey("Q1", "description", "fr"), None)  # Q1's pair is gone: no conflict any more
    assert rules(ctx.check(q2_description, "Argent")) == []
    assert rules(ctx.check(TermKey("Q3", "label", "fr"), "Budget", description="Argent")) == []
    assert rules(check_term(TermKey("Q3", "label", "fr"), " ", context=ctx)) == ["empty"]


def labels(lang: str, texts: list[str], english: list[str] | None = None) -> dict[tuple[str, str, str], str]:
    out = {(f"Q{i + 1}", "label", lang): text for i, text in enumerate(texts)}
    for i, text in enumerate(english or []):
        out[(f"Q{i + 1}", "label", "en")] = text
    return out


def test_capitalisation_fails_and_passes() -> None:
    mostly_lower = ["finanças", "orçamento", "gestão", "comunicação", "tecnologia", "saúde", "Educação"]
    found = capitalisation(snapshot(labels("pt-br", mostly_lower)))
    assert [(f.key.qid, f.rule) for f in found] == [("Q7", "capitalisation")]
    assert "starts with uppercase 'E' where pt-br's labels mostly start lowercase" in found[0].message
    assert "small letter" in found[0].fix
    # the English starts so too (a proper name), or the first word is cased on purpose: no finding
    english = ["finance", "budget", "management", "communication", "technology", "health", "Education"]
    assert capitalisation(snapshot(labels("pt-br", mostly_lower, english)), langs=["pt-br"]) == []
    assert [f.key.lang for f in capitalisation(snapshot(labels("pt-br", mostly_lower, english)))] == ["en"]
    assert capitalisation(snapshot(labels("pt-br", mostly_lower[:-1] + ["GLAM"]))) == []
    assert capitalisation(snapshot(labels("pt-br", mostly_lower[:-1] + ["iOS e Android"]))) == []
    assert capitalisation(snapshot(labels("pt-br", mostly_lower[:-1] + ["Wikidata"]))) == []
    # too little evidence, or no clear convention: no finding
    assert capitalisation(snapshot(labels("pt-br", ["finanças", "orçamento", "Gestão"]))) == []
    assert capitalisation(snapshot(labels("pt-br", ["a", "b", "c", "D", "E", "F"]))) == []
    # scripts without case say nothing
    assert capitalisation(snapshot(labels("ja", ["財務", "予算", "管理", "通信", "技術"]))) == []


def test_capitalisation_of_a_small_language_follows_its_fallback() -> None:
    terms = labels("pt-br", ["finanças", "orçamento", "gestão", "comunicação", "tecnologia"])
    terms[("Q1", "label", "pt")] = "Finanças"
    (found,) = capitalisation(snapshot(terms))
    assert found.key == TermKey("Q1", "label", "pt") and "pt-br (pt's fallback)" in found.message
    terms[("Q1", "label", "de")] = "finanzen"  # de has no fallback but English, which is never used
    assert [f.key.lang for f in capitalisation(snapshot(terms))] == ["pt"]


def test_check_directory_leaves_out_documentation_and_blank_values_and_filters_languages() -> None:
    terms = {("Q1", "label", "en"): "Finance", ("Q1", "label", "qqq"): "Signed ~~~~ {{PLURAL:$1|x}}",
             ("Q1", "label", "de"): "Finance", ("Q1", "label", "fr"): "Finance~~~~", ("Q1", "label", "it"): "  "}
    found = check_directory(snapshot(terms))
    assert [(f.key.lang, f.rule) for f in found] == [("de", "same-as-english"), ("fr", "pre-save-transform")]
    assert [(f.key.lang, f.rule) for f in check_directory(snapshot(terms), langs=("fr",))] == \
        [("fr", "pre-save-transform")]


def test_the_allow_list_is_one_constant_a_profile_can_extend() -> None:
    terms = {("Q1", "label", "en"): "Reasonator", ("Q1", "label", "de"): "Reasonator",
             ("Q2", "label", "en"): "Mix'n'match", ("Q2", "label", "de"): "Mix'n'match"}
    assert [f.key.qid for f in check_directory(snapshot(terms))] == ["Q2"]
    assert check_directory(snapshot(terms), options=CheckOptions().allowing(["Mix'n'match"])) == []
    assert "Wikidata" in SAME_IN_EVERY_LANGUAGE and "Reasonator" in SAME_IN_EVERY_LANGUAGE


def test_the_sample_and_the_real_extract(real_sample_path: Path) -> None:
    """What docs/checks.md reports: no error in either; the counts per rule are the ones it lists."""
    from capxl10n.sample.generate import generate, load_real_sample

    documented = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    for name, snap in (("generated sample", generate()), ("real extract", load_real_sample(real_sample_path))):
        report = check_report(snap)
        assert report.errors == 0, [str(f) for f in report.findings if f.blocks][:5]
        for rule, count in report.counts.items():
            assert re.search(rf"\| {name} \| `{rule}` \| {count} \|", documented), (name, rule, count)


def test_doctests() -> None:
    assert doctest.testmod(checks_mod).failed == 0


def test_docs_explain_every_rule() -> None:
    text = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert re.search(rf"^\| `{rule.id}` \| {rule.severity} \|", text, re.M), rule.id
    assert "docs/checks.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "checks" in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


# -- the CLI ---------------------------------------------------------------------------------------------
def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def bad_snapshot(tmp_path: Path) -> Path:
    terms = {("Q1", "label", "en"): "Finance", ("Q1", "description", "en"): "Money matters",
             ("Q1", "label", "pt-br"): "Finanças ~~~~", ("Q1", "description", "pt-br"): "Dinheiro",
             ("Q2", "label", "en"): "Budget", ("Q2", "description", "en"): "Planning money",
             ("Q2", "label", "pt-br"): "Budget", ("Q2", "description", "pt-br"): "Planejamento"}
    path = tmp_path / "directory.json"
    path.write_text(snapshot(terms).dumps(), encoding="utf-8")
    return path


def test_cli_reports_findings_and_exits_1_on_errors(bad_snapshot: Path) -> None:
    result = run("-f", "json", "check", "--snapshot", str(bad_snapshot))
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert (data["errors"], data["warnings"], data["terms"]) == (1, 1, 8)
    assert data["counts"] == {"pre-save-transform": 1, "same-as-english": 1}
    assert [(f["key"], f["lang"], f["rule"], f["severity"]) for f in data["findings"]] == [
        ("Q1-label", "pt-br", "pre-save-transform", "error"), ("Q2-label", "pt-br", "same-as-english", "warning")]
    assert all(f["fix"] and f["message"] for f in data["findings"])
    assert "check: 1 error, 1 warning in 8 terms (2 languages)" in result.stderr

    errors_only = run("-f", "csv", "check", "--snapshot", str(bad_snapshot), "--severity", "error")
    assert errors_only.exit_code == 1
    assert errors_only.stdout.splitlines()[0] == "key,lang,rule,severity,message,fix"
    assert len(errors_only.stdout.splitlines()) == 2

    table = run("check", "--snapshot", str(bad_snapshot), "--lang", "pt-br")
    assert table.stdout.splitlines()[0] == "1 error, 1 warning in 4 terms (1 language)"
    assert "Q1-label" in table.stdout and "pre-save-transform" in table.stdout

    markdown = run("check", "--snapshot", str(bad_snapshot), "--format", "markdown", "--lang", "en")
    assert markdown.exit_code == 0 and markdown.stdout.startswith("| key | lang | rule |")


def test_cli_on_the_generated_sample_exits_0() -> None:
    result = run("-f", "json", "check", "--sample", "--capacities", "30", "--languages", "6")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["errors"] == 0


@pytest.mark.parametrize("args,message", [
    (["--lang", "xx-nope"], "unknown language code 'xx-nope'"),
    (["--lang", "pt-BR"], "unknown language code 'pt-BR'"),
    (["--lang", "qqq"], "'qqq' is the documentation"),
    (["--severity", "fatal"], "Invalid value for '--severity'"),
])
def test_cli_bad_input_is_a_usage_error(bad_snapshot: Path, args: list[str], message: str) -> None:
    result = run("check", "--snapshot", str(bad_snapshot), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_cli_unreadable_snapshot_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "capxl10n-snapshot/1", "capacities": [', encoding="utf-8")
    result = run("check", "--snapshot", str(broken))
    assert result.exit_code == 1 and "malformed JSON" in result.output
    both = run("check", "--snapshot", str(broken), "--sample")
    assert both.exit_code == 2 and "not both" in both.output


def test_cli_checks_the_directory_of_the_sync_state(sandbox_profile: Any, tmp_path: Path) -> None:
    """On the sandbox: a volunteer's unit with a signature and one with a bidi override, read by a pull, are
    errors of the state's directory; the rest of the sandbox's directory has none."""
    from plugins.world import World, cached_metawiki

    world = World(sandbox_profile.sandbox, tmp_path, sandbox_profile.env)
    assert world.cli("pull").exit_code == 0
    clean = world.cli("-f", "json", "check")
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["errors"] == 0
    translated = sorted(k for k, t in cached_metawiki(world).terms.items()
                        if k.lang not in ("en", "qqq") and not t.fuzzy)
    signed, overridden = translated[0], translated[-1]
    world.peer.edit_unit(signed, "Traduzido por ~~~~")
    world.peer.edit_unit(overridden, "Org\u202eanizar")
    assert world.cli("pull").exit_code == 0
    result = world.cli("-f", "json", "check", "--severity", "error")
    assert result.exit_code == 1, result.output
    found = {(f["key"], f["lang"], f["rule"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {(signed.message_key, signed.lang, "pre-save-transform"),
                     (overridden.message_key, overridden.lang, "bidi-control")}
    assert "from the sync state" in result.stderr
