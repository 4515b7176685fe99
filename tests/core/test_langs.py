"""The language table: naming round trips, the facts Translate/Wikibase/MediaWiki showed us, the CLI."""
from __future__ import annotations

import csv
import gettext as pygettext
import io
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from capxl10n.core import langs
from capxl10n.cli.main import main
from capxl10n.errors import EXIT_USAGE, UnknownLanguage
from plugins.common import REPO, need_tool

ALL = langs.all_languages()
ALL_CODES = [lang.code for lang in ALL]
SOURCES = json.loads((REPO / "tools" / "langdata" / "sources.json").read_text(encoding="utf-8"))


def _overrides() -> dict[str, dict[str, object]]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_langoverrides", REPO / "tools" / "langdata" / "overrides.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.OVERRIDES)


# ------------------------------------------------------------------ the table as a whole
def test_table_is_broad_sorted_and_lowercase() -> None:
    assert len(ALL) >= 500
    assert ALL_CODES == sorted(ALL_CODES)
    assert all(code == code.lower() and " " not in code for code in ALL_CODES)


@pytest.mark.parametrize("code", ALL_CODES)
def test_round_trip_mediawiki_bcp47_gettext(code: str) -> None:
    lang = langs.get(code)
    assert langs.from_bcp47(lang.bcp47) is lang
    assert langs.from_gettext(lang.gettext) is lang
    assert langs.from_bcp47(lang.bcp47).gettext == lang.gettext
    assert langs.from_gettext(langs.from_bcp47(lang.bcp47).gettext).code == code


def test_every_row_is_complete_and_well_formed() -> None:
    for lang in ALL:
        assert lang.direction in ("ltr", "rtl"), lang
        assert lang.name and lang.autonym, lang
        assert re.fullmatch(r"[a-z]{2,3}(_[A-Z][a-z]{3})?(_([A-Z]{2}|[0-9]{3}))?(@[a-z0-9_]+)?", lang.gettext), lang
        assert re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", lang.bcp47), lang
        assert lang.code not in lang.fallbacks, lang
        assert lang.wikibase in (None, lang.code), lang


@pytest.mark.parametrize("code", ALL_CODES)
def test_fallback_chain_starts_with_code_ends_with_english_no_duplicates(code: str) -> None:
    chain = langs.fallback_chain(code)
    assert chain[0] == code and chain[-1] == "en"
    assert len(chain) == len(set(chain))
    positions = [chain.index(f) for f in langs.get(code).fallbacks]
    assert positions == sorted(positions) or len(set(langs.get(code).fallbacks)) < len(langs.get(code).fallbacks)


def test_plural_forms_are_valid_c_expressions_within_nplurals() -> None:
    for lang in ALL:
        head, expr = lang.plural_forms.split(";", 1)
        nplurals = lang.nplurals
        assert head.strip() == f"nplurals={nplurals}" and nplurals >= 1, lang
        expr = expr.strip()
        assert expr.startswith("plural=") and expr.endswith(";"), lang
        function = pygettext.c2py(expr[len("plural="):-1])
        assert all(0 <= function(n) < nplurals for n in range(0, 250)), lang
        if nplurals > 1:
            assert len({function(n) for n in range(0, 250)}) > 1, lang


# ------------------------------------------------------------------ facts
UI = ("ar bcl bn ce cy de diq en es fr ga gl he hi id ig it ja kaa ko lb lt mk nb nl pms pt pt-br qqq ru "
      "sh-cyrl sh-latn sk skr-arab sl sq sv tr uk vi zh-hans zh-hant").split()


def test_ui_locales_are_the_42_of_the_capx_ui_and_all_known() -> None:
    assert langs.ui_locales() == tuple(UI) and len(UI) == 42
    for code in UI + ["sr-ec", "sr-el", "be-tarask", "de-formal", "mul", "pt", "zh-hk", "zh-tw"]:
        assert langs.is_known(code), code


@pytest.mark.parametrize(("code", "bcp47", "gettext", "wikibase", "direction"), [
    ("pt-br", "pt-BR", "pt_BR", "pt-br", "ltr"),
    ("pt", "pt", "pt", "pt", "ltr"),
    ("sr-ec", "sr-Cyrl", "sr_Cyrl", "sr-ec", "ltr"),
    ("sr-el", "sr-Latn", "sr_Latn", "sr-el", "ltr"),
    ("be-tarask", "be-tarask", "be@tarask", "be-tarask", "ltr"),
    ("de-formal", "de-x-formal", "de@formal", "de-formal", "ltr"),
    ("zh-hans", "zh-Hans", "zh_Hans", "zh-hans", "ltr"),
    ("zh-hant", "zh-Hant", "zh_Hant", "zh-hant", "ltr"),
    ("zh-hk", "zh-Hant-HK", "zh_Hant_HK", "zh-hk", "ltr"),
    ("zh-tw", "zh-Hant-TW", "zh_Hant_TW", "zh-tw", "ltr"),
    ("sh-latn", "sh-Latn", "sh_Latn", None, "ltr"),
    ("sh-cyrl", "sh-Cyrl", "sh_Cyrl", None, "ltr"),
    ("skr-arab", "skr-Arab", "skr_Arab", "skr-arab", "rtl"),
    ("ar", "ar", "ar", "ar", "rtl"),
    ("he", "he", "he", "he", "rtl"),
    ("diq", "diq", "diq", "diq", "ltr"),
    ("qqq", "qqq", "qqq", None, "ltr"),
    ("mul", "mul", "mul", None, "ltr"),
    ("en", "en", "en", "en", "ltr"),
])
def test_known_codes(code: str, bcp47: str, gettext: str, wikibase: str | None, direction: str) -> None:
    lang = langs.get(code)
    assert (lang.bcp47, lang.gettext, lang.wikibase, lang.direction) == (bcp47, gettext, wikibase, direction)


@pytest.mark.parametrize(("code", "starts"), [
    ("pt-br", ("pt",)), ("pt", ("pt-br",)), ("de-formal", ("de",)), ("be-tarask", ("be",)),
    ("sr-ec", ("sr-cyrl", "sr")), ("pms", ("it",)), ("kaa", ("kk-latn", "kk-cyrl")),
    ("skr-arab", ("ur", "pnb")), ("zh-hant", ("zh-tw", "zh-hk", "zh", "zh-hans")),
    ("zh-hans", ("zh-cn", "zh", "zh-hant")), ("zh-hk", ("zh-hant",)), ("lb", ("de",)), ("ce", ("ru",)),
    ("sh-latn", ("sh", "bs", "hr")), ("sh-cyrl", ("sr-cyrl", "sr-ec")),
])
def test_mediawiki_fallbacks(code: str, starts: tuple[str, ...]) -> None:
    assert langs.get(code).fallbacks[:len(starts)] == starts


def test_sr_ec_is_never_serbian_in_ecuador() -> None:
    lang = langs.get("sr-ec")
    assert "EC" not in lang.bcp47 and "EC" not in lang.gettext and "Ecuador" not in lang.name
    assert langs.get("sr-el").name.endswith("(Latin script)")
    assert langs.get("de-formal").bcp47 != "de" and langs.get("de-formal").gettext != "de"


def test_source_and_documentation_are_not_translations() -> None:
    assert langs.get("en").is_source and not langs.get("en").is_translation
    assert langs.get("qqq").is_documentation and not langs.get("qqq").is_translation
    assert langs.get("pt-br").is_translation and not langs.get("pt-br").is_source
    codes = {lang.code for lang in langs.translation_languages()}
    assert "en" not in codes and "qqq" not in codes and "pt-br" in codes


@pytest.mark.parametrize(("code", "rule"), [
    ("pt-br", "nplurals=2; plural=(n > 1);"),
    ("zh-hans", "nplurals=1; plural=0;"),
    ("qqq", "nplurals=1; plural=0;"),
    ("en", "nplurals=2; plural=(n != 1);"),
])
def test_plural_forms_match_translate_export(code: str, rule: str) -> None:
    assert langs.get(code).plural_forms == rule


def test_serbo_croatian_has_three_plural_forms() -> None:
    assert {langs.get(c).nplurals for c in ("sh", "sh-latn", "sh-cyrl", "sr-ec", "hr", "bs")} == {3}


def _po_headers(path: Path) -> dict[str, str]:
    headers = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r'"([A-Za-z-]+): (.*)\\n"', line)
        if match:
            headers[match.group(1)] = match.group(2)
    return headers


@pytest.mark.parametrize("name", ["export-pt-br.po", "export-ar.po"])
def test_headers_of_real_translate_exports(reference_dir: Path, name: str) -> None:
    headers = _po_headers(reference_dir / "translate-responses" / name)
    lang = langs.get(headers["X-Language-Code"])
    assert lang.bcp47 == headers["Language"]
    assert langs.from_bcp47(headers["Language"]) is lang
    assert lang.plural_forms == headers["Plural-Forms"]


def test_wikibase_codes_are_real_wikibase_term_languages(reference_dir: Path) -> None:
    data = json.loads((reference_dir / "wikibase-responses" / "wbcontentlanguages-term.json").read_text("utf-8"))
    real = set(data["response"]["query"]["wbcontentlanguages"])
    ours = {lang.wikibase for lang in ALL if lang.wikibase is not None}
    assert ours == real  # every code Wikibase accepts is in the table, and no other
    assert langs.get("qqq").wikibase is None and "qqq" not in real


def test_table_agrees_with_recorded_mediawiki_except_documented_overrides() -> None:
    overrides = _overrides()
    info = SOURCES["languageinfo"]
    checked = 0
    for code, mw in info.items():
        if code == "qqx":
            continue
        lang = langs.get(code)
        if "fallbacks" not in overrides.get(code, {}):
            assert lang.fallbacks == tuple(mw["fallbacks"]), code
        if "direction" not in overrides.get(code, {}):
            assert lang.direction == mw["dir"], code
        if lang.bcp47 != mw["bcp47"]:  # only aliases whose MediaWiki tag is another code's own tag
            owner = langs.from_bcp47(mw["bcp47"])
            assert owner.code != code and owner.bcp47 == mw["bcp47"], code
        checked += 1
    assert checked >= 490


def test_overrides_are_documented() -> None:
    text = (REPO / "docs" / "languages.md").read_text(encoding="utf-8")
    for code, entry in _overrides().items():
        assert entry.get("why"), code
        assert f"`{code}`" in text, f"{code} override missing from docs/languages.md"


# ------------------------------------------------------------------ lookups and errors
def test_get_refuses_uppercase_and_suggests_the_lowercase_code() -> None:
    with pytest.raises(UnknownLanguage) as info:
        langs.get("pt-BR")
    assert info.value.suggestions[0] == "pt-br"
    assert info.value.exit_code == EXIT_USAGE
    assert "pt-br" in str(info.value)


@pytest.mark.parametrize("bad", ["xx-nope", "", "pt_br", "zh-Hans", "portuguese", "en-"])
def test_unknown_codes_raise_with_at_most_three_suggestions(bad: str) -> None:
    with pytest.raises(UnknownLanguage) as info:
        langs.get(bad)
    assert len(info.value.suggestions) <= 3
    assert all(langs.is_known(s) for s in info.value.suggestions)
    assert info.value.code == bad


def test_suggestions_are_close() -> None:
    with pytest.raises(UnknownLanguage) as info:
        langs.get("pt-bt")
    assert "pt-br" in info.value.suggestions


@pytest.mark.parametrize(("tag", "code"), [
    ("pt-BR", "pt-br"), ("PT-br", "pt-br"), ("pt_BR", "pt-br"), ("sr-Cyrl", "sr-ec"), ("zh-Hans", "zh-hans"),
    ("de-x-formal", "de-formal"), ("be-tarask", "be-tarask"), ("qqq", "qqq"), ("ro-Cyrl-MD", "mo"),
])
def test_from_bcp47(tag: str, code: str) -> None:
    assert langs.from_bcp47(tag).code == code


@pytest.mark.parametrize(("name", "code"), [
    ("pt_BR", "pt-br"), ("pt_BR.UTF-8", "pt-br"), ("sr_Cyrl", "sr-ec"), ("sr@latin", "sr-el"),
    ("sr@cyrillic", "sr-ec"), ("de@formal", "de-formal"), ("zh_Hant_HK", "zh-hk"), ("pt-BR", "pt-br"),
])
def test_from_gettext(name: str, code: str) -> None:
    assert langs.from_gettext(name).code == code


@pytest.mark.parametrize(("func", "bad"), [(langs.from_bcp47, "sr-Cyrl-XK"), (langs.from_bcp47, "xx"),
                                          (langs.from_gettext, "xx_YY"), (langs.from_gettext, "sr@klingon")])
def test_unknown_tags_raise(func: object, bad: str) -> None:
    with pytest.raises(UnknownLanguage):
        func(bad)  # type: ignore[operator]


# ------------------------------------------------------------------ msgfmt accepts every header
def _tiny_po(lang: langs.Language) -> str:
    plural = "\n".join(f'msgstr[{i}] "x{i}"' for i in range(lang.nplurals))
    return (
        'msgid ""\nmsgstr ""\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n'
        f'"Language: {lang.bcp47}\\n"\n"X-Language-Code: {lang.code}\\n"\n"Plural-Forms: {lang.plural_forms}\\n"\n\n'
        f'msgctxt "Module:CapacityExchange/capacities.json/Q1-label"\nmsgid "one"\nmsgid_plural "many"\n{plural}\n'
    )


def test_msgfmt_accepts_every_header(tmp_path: Path) -> None:
    msgfmt = need_tool("msgfmt")
    paths = []
    for lang in ALL:
        path = tmp_path / f"{lang.code}.po"
        path.write_text(_tiny_po(lang), encoding="utf-8")
        paths.append(path)

    def check(path: Path) -> tuple[str, int, str]:
        done = subprocess.run([msgfmt, "-c", "-o", "/dev/null", str(path)], capture_output=True, text=True)
        return path.stem, done.returncode, done.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [r for r in pool.map(check, paths) if r[1] != 0]
    assert failures == []


# ------------------------------------------------------------------ CLI
def _run(*args: str) -> "object":
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_table_lists_every_language() -> None:
    result = _run("languages")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].split()[:3] == ["code", "bcp47", "gettext"]
    assert len(lines) == len(ALL) + 1
    assert any(line.split()[:3] == ["pt-br", "pt-BR", "pt_BR"] for line in lines)


def test_cli_ui_json_via_command_format() -> None:
    result = _run("languages", "--ui", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["code"] for r in rows] == UI
    assert next(r for r in rows if r["code"] == "qqq")["wikibase"] is None


def test_cli_codes_with_global_json_format() -> None:
    result = _run("--format", "json", "languages", "sr-ec", "pt")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [(r["code"], r["bcp47"], r["gettext"]) for r in rows] == [("sr-ec", "sr-Cyrl", "sr_Cyrl"), ("pt", "pt", "pt")]
    assert rows[1]["fallbacks"] == ["pt-br"]


def test_cli_csv() -> None:
    result = _run("languages", "-f", "csv", "ar", "zh-hk")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["code"] for r in rows] == ["ar", "zh-hk"]
    assert rows[0]["direction"] == "rtl" and rows[0]["nplurals"] == "6"
    assert rows[1]["fallbacks"].split() == list(langs.get("zh-hk").fallbacks)


def test_cli_markdown() -> None:
    result = _run("languages", "-f", "markdown", "de-formal")
    assert result.exit_code == 0
    assert result.output.splitlines()[2].startswith("| de-formal | de-x-formal | de@formal |")


def test_cli_unknown_code_exits_2_with_hint() -> None:
    result = CliRunner().invoke(main, ["languages", "pt-br", "pt-BR"])
    assert result.exit_code == EXIT_USAGE
    assert "unknown language code 'pt-BR'" in result.stderr
    assert "hint: closest known codes: pt-br" in result.stderr
    assert result.stdout == ""


def test_generated_table_is_up_to_date(tmp_path: Path) -> None:
    """langdata.py is what generate.py makes of sources.json + overrides.py (same Babel/CLDR)."""
    import babel
    import sys

    from capxl10n.core import langdata

    committed = Path(langdata.__file__).read_text(encoding="utf-8")
    if f"Babel {babel.__version__} (CLDR)" not in committed:
        pytest.skip(f"langdata.py was generated with another Babel than {babel.__version__}")
    out = tmp_path / "langdata.py"
    subprocess.run([sys.executable, str(REPO / "tools" / "langdata" / "generate.py"), "build", "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_text(encoding="utf-8") == committed, "run: python tools/langdata/generate.py build"
