"""capxl10n.core.values: every class of docs/values.md refused with a reason naming it, ordinary text accepted."""
from __future__ import annotations

import doctest
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import capxl10n.core.values as values_mod
from capxl10n.core.model import normalize_text
from capxl10n.core.values import MAX_TERM_LENGTH, is_noncharacter, value_problem


def problem(text: str, field: str = "label") -> str | None:
    return value_problem(text, field=field, lang="pt-br")


def test_doctests() -> None:
    assert doctest.testmod(values_mod).failed == 0


def test_max_term_length_is_wikibase_default() -> None:
    assert MAX_TERM_LENGTH == 250


@pytest.mark.parametrize("text,reason", [
    ("Org\u0007anizar", "contains control character U+0007 at 4"),
    ("\u000bOrganizar", "contains control character U+000B at 1"),  # outer, but Meta-Wiki writes U+FFFD
    ("Organizar\u000c", "contains control character U+000C at 10"),
    ("\u001fOrganizar\u001c", "contains control character U+001F at 1 (and 1 more)"),
    ("\u000b", "contains control character U+000B at 1"),
    ("Org\u001banizar", "contains control character U+001B at 4"),
    ("Org\u0000anizar", "contains control character U+0000 at 4"),
    ("Org\tanizar", "contains control character U+0009 at 4"),
    ("Org\nanizar", "contains control character U+000A at 4"),
    ("Org\ranizar", "contains control character U+000D at 4"),
    ("Org\u000banizar", "contains control character U+000B at 4"),
    ("Org\u007fanizar", "contains control character U+007F at 4"),
    ("Org\u0085anizar", "contains control character U+0085 at 4"),
    ("Org\u009banizar", "contains control character U+009B at 4"),
    ("Org\u2028anizar", "contains line separator U+2028 at 4"),
    ("Org\u2029anizar", "contains paragraph separator U+2029 at 4"),
    ("Org\ufffeanizar", "contains noncharacter U+FFFE at 4"),
    ("Org\uffffanizar", "contains noncharacter U+FFFF at 4"),
    ("Org\ufdd0anizar", "contains noncharacter U+FDD0 at 4"),
    ("Org\U0010ffffanizar", "contains noncharacter U+10FFFF at 4"),
    ("Org\ud800anizar", "contains lone surrogate U+D800 at 4"),
    ("Org\udfffanizar", "contains lone surrogate U+DFFF at 4"),
    ("Org\ufffdanizar", "contains replacement character U+FFFD at 4; a character was lost there before: retype it"),
    ("", "is empty after trimming whitespace"),
    ("   \t\n ", "is empty after trimming whitespace"),
    ("\u00a0\u3000", "is empty after trimming whitespace"),
    ("\u200b", "has no visible character"),
    ("\u200d\u200c", "has no visible character"),
    ("\u0301", "has no visible character"),
    ("Org!!FUZZY!!anizar", "contains Translate's fuzzy marker !!FUZZY!! at 4"),
    ("!!FUZZY!!Organizar", "contains Translate's fuzzy marker !!FUZZY!! at 1"),
])
def test_refused_with_reason(text: str, reason: str) -> None:
    assert problem(text) == reason


def test_positions_count_from_one_in_the_text_as_given() -> None:
    assert problem("  ab\u0007") == "contains control character U+0007 at 5"
    assert problem("a\u0007b\u0001c\u007f") == "contains control character U+0007 at 2 (and 2 more)"


@pytest.mark.parametrize("field", ["label", "description"])
def test_length_limit_in_code_points_after_normalising(field: str) -> None:
    assert problem("a" * MAX_TERM_LENGTH, field) is None
    assert problem("\U0001F600" * MAX_TERM_LENGTH, field) is None  # an astral character counts one
    assert problem("e\u0301" * MAX_TERM_LENGTH, field) is None  # 500 NFD → 250 NFC
    assert problem("  " + "a" * MAX_TERM_LENGTH + "  ", field) is None  # outer whitespace is trimmed
    assert problem("a" * (MAX_TERM_LENGTH + 1), field) == \
        f"{field} is 251 characters long; Metabase allows at most 250"


@pytest.mark.parametrize("text", [
    "Organizar editatonas",
    "تنظيم ماراثونات التحرير",  # Arabic
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian with ZWNJ
    "संपादन कार्यशाला आयोजित करना",  # Devanagari (virama, ZWJ-free conjuncts)
    "\u0915\u094d\u200d\u0937",  # Devanagari with an explicit ZWJ
    "组织编辑马拉松", "編集ソンの開催", "편집톤 조직",  # CJK
    "Ουκρανικά", "Организация вики-марафонов", "ორგანიზება", "אירגון מרתוני עריכה",
    "Family \U0001F468\u200D\U0001F469\u200D\U0001F467",  # emoji ZWJ sequence
    "\U0001F3F3\ufe0f\u200d\U0001F308 Pride",  # rainbow flag: VS16 + ZWJ
    "\U0001F1E7\U0001F1F7 Brasil", "\U0001F44D\U0001F3FD ok", "\u2764\ufe0f",
    "\u0645\u0631\u062d\u0628\u0627 \u2066CapX\u2069", "Org\u202eanizar\u202c", "abc\u200e", "\u200fabc",
    "Org\ue000anizar",  # private use: kept by both wikis
    "Org\u0378x",  # unassigned today, kept by both wikis
    "Cafe\u0301",  # NFD: the same value as its NFC
    "  Organizar \n", "\u00a0Organizar\u3000", "\tOrganizar", "Org  \u00a0 anizar",
    "\r\nOrganizar\t", "\u0085Organizar\u0085", "\u2028Organizar\u2029", "\u1680Organizar\u202f",
    "!!fuzzy!! is not the marker", "[[Foo]] {{bar}} <b>x</b> ~~~~ a &amp; b",
])
def test_ordinary_text_accepted(text: str) -> None:
    assert problem(text) is None, problem(text)


def test_language_and_field_change_nothing_but_the_wording() -> None:
    for lang in ("en", "ar", "zh-hans", "qqq"):
        assert value_problem("Org\u0007x", field="description", lang=lang) == "contains control character U+0007 at 4"
        assert value_problem("ok", field="description", lang=lang) is None


def test_noncharacters_are_the_66() -> None:
    assert sum(is_noncharacter(cp) for cp in range(0x110000)) == 66


REFUSED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}


@given(st.text(max_size=300))
def test_accepted_values_survive_normalisation_and_carry_nothing_the_wikis_change(text: str) -> None:
    if problem(text) is not None:
        return
    value = normalize_text(text)
    assert value and normalize_text(value) == value and normalize_text(f" {value}\n") == value
    assert unicodedata.normalize("NFC", value) == value
    assert len(value) <= MAX_TERM_LENGTH
    assert "!!FUZZY!!" not in value and "\ufffd" not in value
    assert value.encode("utf-8").decode("utf-8") == value
    assert all(ch in "\t\n\r\x85" for ch in text if unicodedata.category(ch) == "Cc")  # only in outer whitespace
    for ch in value:
        assert unicodedata.category(ch) not in REFUSED_CATEGORIES, f"U+{ord(ch):04X}"
        assert not is_noncharacter(ord(ch))
    assert problem(value) is None  # accepting is stable under normalisation


@given(st.text(alphabet=st.characters(categories=["Cc", "Cs", "Zl", "Zp"]), min_size=1, max_size=3),
       st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != ""),
       st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != ""))
def test_refused_characters_inside_are_always_found(bad: str, left: str, right: str) -> None:
    reason = problem(left.strip() + bad + right.strip())
    assert reason is not None and reason.startswith("contains ")
