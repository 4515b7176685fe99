"""The sample directory generator, the real-extract loader and the ``sample`` command."""
from __future__ import annotations

import json
import logging
import os
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from capxl10n.core import langs
from capxl10n.sample import generate as sample_mod
from capxl10n.cli.main import main
from capxl10n.errors import DataError, UsageError
from capxl10n.core.model import Snapshot, normalize_text
from capxl10n.sample.generate import (MAX_LENGTH, UI_COMPLETENESS, available_languages, generate, is_placeholder_qid,
                             load_real_sample, placeholder_qid, write_snapshot)
from capxl10n.sample.scripts import ALPHABETS, fit, pseudo_translate, segments, translator

UI_42 = {"ar", "bcl", "bn", "ce", "cy", "de", "diq", "en", "es", "fr", "ga", "gl", "he", "hi", "id", "ig",
         "it", "ja", "kaa", "ko", "lb", "lt", "mk", "nb", "nl", "pms", "pt", "pt-br", "qqq", "ru", "sh-cyrl",
         "sh-latn", "sk", "skr-arab", "sl", "sq", "sv", "tr", "uk", "vi", "zh-hans", "zh-hant"}
ROOTS = {"organizational", "communication", "learning", "community", "social", "strategic", "technology"}


@pytest.fixture(scope="module")
def default() -> Snapshot:
    """The default sample (250 capacities × 42 languages), generated once for this module."""
    return generate()


def translations(snap: Snapshot) -> list[str]:
    return [c for c in snap.languages() if c not in ("en", "qqq")]


def english_keys(snap: Snapshot) -> int:
    return sum(1 for _ in snap.terms_in("en"))


# --------------------------------------------------------------------------- determinism

class TestDeterminism:
    def test_same_seed_same_bytes(self) -> None:
        assert generate(40, 9, seed=3).dumps() == generate(40, 9, seed=3).dumps()

    def test_other_seed_other_directory(self) -> None:
        a, b = generate(40, 9, seed=3), generate(40, 9, seed=4)
        assert a.fingerprint() != b.fingerprint()
        assert {c.qid for c in a.capacities} != {c.qid for c in b.capacities}

    def test_a_language_does_not_depend_on_how_many_others_were_asked_for(self) -> None:
        small, large = generate(40, 5, seed=2), generate(40, 12, seed=2)
        for lang in ("ar", "de"):
            assert dict(small.terms_in(lang)) == dict(large.terms_in(lang))

    def test_round_trip_through_json(self) -> None:
        snap = generate(30, 8, seed=5)
        assert Snapshot.loads(snap.dumps()) == snap


# --------------------------------------------------------------------------- shape

class TestTree:
    def test_counts_roots_and_depth(self, default: Snapshot) -> None:
        assert len(default.capacities) == 250
        roots = [c for c in default.capacities if c.parent is None]
        assert {c.root for c in roots} == ROOTS and len(roots) == 7
        depths = Counter(len(default.path(c.qid)) for c in default.capacities)
        assert set(depths) == {1, 2, 3}
        assert depths[3] > depths[2] > depths[1]  # shaped like the real tree (79/48/7)

    def test_every_capacity_is_under_its_root(self, default: Snapshot) -> None:
        for cap in default.capacities:
            path = default.path(cap.qid)
            top = default.capacity(path[0])
            assert top is not None and top.parent is None and top.root == cap.root

    def test_ids_are_distinct_and_in_separate_ranges(self, default: Snapshot) -> None:
        qids = [int(c.qid[1:]) for c in default.capacities]
        items = [int((c.item or "Q0")[1:]) for c in default.capacities]
        codes = [int(c.code or 0) for c in default.capacities]
        assert all(1_000_000 <= q < 100_000_000 for q in qids)
        assert all(100_000 <= i < 1_000_000 for i in items)
        assert len(set(items)) == len(set(codes)) == 250
        assert sorted(codes) == list(range(10, 260))

    def test_codes_are_not_grouped_by_root(self, default: Snapshot) -> None:
        by_code = sorted(default.capacities, key=lambda c: int(c.code or 0))
        changes = sum(1 for a, b in zip(by_code, by_code[1:]) if a.root != b.root)
        assert changes > len(ROOTS) - 1  # some subtrees were "added later"

    @pytest.mark.parametrize("count", [7, 8, 20, 61])
    def test_any_size_from_seven(self, count: int) -> None:
        snap = generate(count, 3, seed=count)
        assert len(snap.capacities) == count
        assert sum(1 for c in snap.capacities if c.parent is None) == 7
        assert max(len(snap.path(c.qid)) for c in snap.capacities) <= 3


class TestEnglish:
    def test_names_read_like_skills(self, default: Snapshot) -> None:
        labels = [t.text for _, t in default.terms_in("en") if _.field == "label"]
        assert len(set(labels)) == len(labels)
        assert all(label[0].isupper() and len(label) <= 60 for label in labels)
        assert any(label.split()[0].endswith("ing") for label in labels)

    def test_description_lengths_like_the_real_ones(self, default: Snapshot) -> None:
        lengths = [len(t.text) for k, t in default.terms_in("en") if k.field == "description"]
        assert max(lengths) <= MAX_LENGTH
        assert min(lengths) >= 20
        assert 90 <= statistics.median(lengths) <= 170
        assert sum(n >= 230 for n in lengths) >= 3  # some near the limit

    def test_one_capacity_has_no_english_label(self, default: Snapshot) -> None:
        qid = default.meta["quirks"]["no_english_label"]
        cap = default.capacity(qid)
        assert cap is not None and cap.parent is not None
        assert not [k for k in default.terms if k.qid == qid and k.field == "label"]
        assert default.text(qid, "description", "en")
        missing = [c.qid for c in default.capacities if default.text(c.qid, "label", "en") is None]
        assert missing == [qid]


class TestLanguages:
    def test_the_42_ui_locales(self, default: Snapshot) -> None:
        assert set(default.languages()) == UI_42
        assert set(default.meta["languages"]) == UI_42

    def test_coverage_spreads_from_almost_complete_to_almost_empty(self, default: Snapshot) -> None:
        total = english_keys(default)
        share = {lang: sum(1 for _, t in default.terms_in(lang) if not t.fuzzy) / total
                 for lang in translations(default)}
        assert max(share.values()) >= 0.85
        assert min(share.values()) <= 0.03
        assert all(s > 0 for s in share.values())
        # ordered like the real UI's completeness
        ranked = sorted(share, key=share.get)  # type: ignore[arg-type]
        real = sorted(share, key=UI_COMPLETENESS.get)  # type: ignore[arg-type]
        assert ranked[:5] != ranked[-5:]
        assert len(set(ranked[:8]) & set(real[:8])) >= 6
        assert len(set(ranked[-8:]) & set(real[-8:])) >= 6

    def test_scripts(self, default: Snapshot) -> None:
        def bidi(lang: str) -> Counter[str]:
            return Counter(unicodedata.bidirectional(ch) for _, t in default.terms_in(lang) for ch in t.text)
        for lang in ("ar", "skr-arab"):
            assert bidi(lang)["AL"] > bidi(lang)["L"]
        assert bidi("he")["R"] > bidi("he")["L"]
        for lang in ("ja", "zh-hans", "zh-hant"):
            text = "".join(t.text for _, t in default.terms_in(lang))
            assert sum("CJK UNIFIED" in unicodedata.name(ch, "") for ch in text) > len(text) / 3
        assert any("HANGUL" in unicodedata.name(ch, "") for _, t in default.terms_in("ko") for ch in t.text)
        assert any(ch >= "\u0400" and ch <= "\u04ff" for _, t in default.terms_in("ru") for ch in t.text)

    def test_characters_outside_the_bmp(self, default: Snapshot) -> None:
        non_bmp = {k.lang for k, t in default.terms.items() if any(ord(ch) > 0xFFFF for ch in t.text)}
        assert "zh-hant" in non_bmp

    def test_more_languages_are_real_mediawiki_codes(self) -> None:
        snap = generate(12, 80, seed=1)
        extra = set(snap.languages()) - UI_42
        assert len(snap.languages()) == 80 and len(extra) == 38
        for code in extra:
            assert langs.get(code).code == code

    def test_documentation_is_not_translation(self, default: Snapshot) -> None:
        assert default.meta["documentation_language"] == "qqq"
        docs = [t for _, t in default.terms_in("qqq")]
        assert docs and all(not t.fuzzy and "CapX directory" in t.text or "Description of" in t.text
                            for t in docs)


class TestTerms:
    def test_lengths_never_over_250_code_points(self, default: Snapshot) -> None:
        assert max(len(t.text) for t in default.terms.values()) <= MAX_LENGTH
        assert all(t.text == t.text.strip() and t.text for t in default.terms.values())

    def test_one_term_at_the_limit_with_a_surrogate_pair(self, default: Snapshot) -> None:
        at = default.meta["quirks"]["at_limit"]
        text = default.text(at["qid"], at["field"], at["lang"])
        assert text is not None and len(text) == MAX_LENGTH
        assert len(text.encode("utf-16-le")) // 2 > MAX_LENGTH

    def test_wikibase_rules_hold_in_every_language(self, default: Snapshot) -> None:
        for lang in default.languages():
            labels = {k.qid: t.normalized for k, t in default.terms_in(lang) if k.field == "label"}
            descs = {k.qid: t.normalized for k, t in default.terms_in(lang) if k.field == "description"}
            pairs = [(labels[q], descs[q]) for q in labels.keys() & descs.keys()]
            assert all(a != b for a, b in pairs), lang
            assert len(set(pairs)) == len(pairs), lang

    def test_shared_translated_label_with_different_descriptions(self, default: Snapshot) -> None:
        shared = default.meta["quirks"]["shared_label"]
        a, b = shared["qids"]
        lang = shared["lang"]
        assert lang == "pt-br"
        assert default.text(a, "label", lang) == default.text(b, "label", lang) == shared["text"]
        assert default.text(a, "description", lang) != default.text(b, "description", lang)
        assert default.text(a, "label", "en") != default.text(b, "label", "en")

    def test_some_translations_identical_to_english(self, default: Snapshot) -> None:
        same = [k for k, t in default.terms.items() if k.lang not in ("en", "qqq")
                and t.text == default.text(k.qid, k.field, "en")]
        assert len(same) == default.meta["quirks"]["identical_to_english"] > 0
        assert any(k.lang == "pt-br" for k in same)

    def test_fuzzy_translations_come_from_metawiki(self, default: Snapshot) -> None:
        fuzzy = [(k, t) for k, t in default.terms.items() if t.fuzzy]
        assert len(fuzzy) == default.meta["quirks"]["fuzzy_terms"]
        assert 0.005 * len(default.terms) < len(fuzzy) < 0.1 * len(default.terms)
        assert all(t.side == "metawiki" for _, t in fuzzy)
        assert not {k.lang for k, _ in fuzzy} & {"en", "qqq"}
        assert all(t.side == "sample" for t in default.terms.values() if not t.fuzzy)

    def test_labels_translate_more_than_deep_descriptions(self, default: Snapshot) -> None:
        counts = Counter(k.field for k in default.terms if k.lang not in ("en", "qqq"))
        assert counts["label"] > counts["description"]


def test_every_known_language_obeys_the_rules() -> None:
    """All scripts at once: NFC (as Wikibase stores it), trimmed, ≤ 250, Wikibase pair rules."""
    pool = available_languages()
    snap = generate(16, len(pool), seed=9)
    assert set(snap.languages()) == set(pool)
    for key, term in snap.terms.items():
        assert term.text == normalize_text(term.text) and 0 < len(term.text) <= MAX_LENGTH, key
    for lang in snap.languages():
        labels = {k.qid: t.normalized for k, t in snap.terms_in(lang) if k.field == "label"}
        pairs = [(labels[k.qid], t.normalized) for k, t in snap.terms_in(lang)
                 if k.field == "description" and k.qid in labels]
        assert len(set(pairs)) == len(pairs) and all(a != b for a, b in pairs), lang


class TestBadArguments:
    @pytest.mark.parametrize("kwargs,needle", [
        ({"capacities": 6}, "capacities must be between 7"),
        ({"capacities": 10**6}, "capacities must be between 7"),
        ({"languages": 0}, "languages must be between 1"),
        ({"languages": 10_000}, "languages must be between 1"),
        ({"capacities": "250"}, "capacities must be an integer"),
        ({"seed": True}, "seed must be an integer"),
    ])
    def test_usage_errors(self, kwargs: dict[str, object], needle: str) -> None:
        with pytest.raises(UsageError, match=needle):
            generate(**kwargs)  # type: ignore[arg-type]

    def test_single_language_is_english(self) -> None:
        snap = generate(9, 1)
        assert snap.languages() == ("en",)
        assert snap.meta["quirks"]["shared_label"] is None


# --------------------------------------------------------------------------- pseudo-translation

class TestScripts:
    def test_protected_words_stay_latin(self) -> None:
        for lang in ("ar", "ja", "ru", "de"):
            assert "Wikidata" in pseudo_translate("Querying Wikidata items", lang)

    def test_latin_cipher_is_not_identity_and_differs_per_language(self) -> None:
        text = "Organizing community events"
        assert pseudo_translate(text, "de") != text
        assert pseudo_translate(text, "de") != pseudo_translate(text, "fr")
        assert pseudo_translate(text, "ar") != pseudo_translate(text, "skr-arab")

    @pytest.mark.parametrize("script", sorted(ALPHABETS))
    def test_alphabets_are_26_distinct_letters(self, script: str) -> None:
        letters = ALPHABETS[script]
        assert len(letters) == 26 == len(set(letters))
        assert unicodedata.normalize("NFC", letters) == letters  # Wikibase stores NFC
        # letters (Gothic's "ninety" is a letter number, Nl)
        assert all(unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Nl" for ch in letters)

    def test_gothic_is_outside_the_bmp(self) -> None:
        assert all(ord(ch) > 0xFFFF for ch in pseudo_translate("abc", "got"))

    def test_segments_split_only_whole_words(self) -> None:
        assert segments("Wikidatas and Wikidata") == ((False, "Wikidatas and "), (True, "Wikidata"))
        assert segments("") == ()

    @pytest.mark.parametrize("text,limit", [("a " * 200, 250), ("x" * 300, 250), ("word " * 10, 12)])
    def test_fit(self, text: str, limit: int) -> None:
        out = fit(text, limit)
        assert len(out) <= limit and out == out.rstrip()
        assert text.startswith(out)

    def test_fit_keeps_short_text(self) -> None:
        assert fit("short", 250) == "short"

    def test_translator_script_override(self) -> None:
        assert translator("xx", "Hebr")(segments("abc")) != translator("xx")(segments("abc"))


# --------------------------------------------------------------------------- the real extract

class TestPlaceholders:
    def test_rule(self) -> None:
        assert placeholder_qid("11") == "Q900000011"
        assert is_placeholder_qid("Q900000011") and not is_placeholder_qid("Q11024")
        assert not is_placeholder_qid("Q900000000") and not is_placeholder_qid("P900000011")

    @pytest.mark.parametrize("code", ["0", "-3", "abc", "", "100000000"])
    def test_bad_codes(self, code: str) -> None:
        with pytest.raises(DataError, match="not a positive integer"):
            placeholder_qid(code)


class TestRealSample:
    @pytest.fixture(scope="class")
    def real(self, real_sample_path: Path) -> Snapshot:
        return load_real_sample(real_sample_path)

    @staticmethod
    def by_code(snap: Snapshot) -> dict[str, str]:
        return {c.code or "": c.qid for c in snap.capacities}

    def test_counts_and_roots(self, real: Snapshot) -> None:
        assert len(real.capacities) == 134
        roots = {c.root: c.qid for c in real.capacities if c.parent is None}
        assert roots["organizational"] == "Q759524" and roots["technology"] == "Q11016"
        assert set(roots) == ROOTS
        assert max(len(real.path(c.qid)) for c in real.capacities) == 3
        assert real.languages() == ("en", "pt-br")

    def test_placeholder_keys(self, real: Snapshot) -> None:
        placeholders = real.meta["placeholder_qids"]
        assert len(placeholders) == 127
        codes = self.by_code(real)
        assert codes["11"] == "Q900000011" and placeholders["Q900000011"] == "11"
        assert all(is_placeholder_qid(q) for q in placeholders)
        roots = [c.qid for c in real.capacities if c.parent is None]
        assert not any(is_placeholder_qid(q) for q in roots)

    def test_capacity_without_english_label(self, real: Snapshot) -> None:
        qid = self.by_code(real)["97"]
        cap = real.capacity(qid)
        assert cap is not None and cap.item == "Q22314"
        assert not [k for k in real.terms if k.qid == qid]

    @pytest.mark.parametrize("codes,label", [(("28", "29"), "avaliação"), (("54", "98"), "pesquisa")])
    def test_duplicated_pt_br_labels(self, real: Snapshot, codes: tuple[str, str], label: str) -> None:
        qids = [self.by_code(real)[c] for c in codes]
        assert [real.text(q, "label", "pt-br") for q in qids] == [label, label]
        assert real.text(qids[0], "description", "pt-br") != real.text(qids[1], "description", "pt-br")

    def test_labels_identical_to_english(self, real: Snapshot) -> None:
        same = [c for c in real.capacities if real.text(c.qid, "label", "en") is not None
                and real.text(c.qid, "label", "en") == real.text(c.qid, "label", "pt-br")]
        assert len(same) == 33

    def test_typographic_characters_kept(self, real: Snapshot) -> None:
        text = "".join(t.text for t in real.terms.values())
        assert "\u2019" in text and "\u2014" in text

    def test_codes_not_grouped_by_root(self, real: Snapshot) -> None:
        codes = self.by_code(real)
        tools = real.capacity(codes["124"])
        assert tools is not None and tools.parent == codes["50"] and tools.root == "learning"
        for child in range(125, 144):
            assert real.capacity(codes[str(child)]).parent == codes["124"]  # type: ignore[union-attr]
        assert real.capacity(codes["61"]).parent == codes["15"]  # type: ignore[union-attr]

    def test_wikibase_rules_hold(self, real: Snapshot) -> None:
        for lang in real.languages():
            pairs = [(real.text(c.qid, "label", lang), real.text(c.qid, "description", lang))
                     for c in real.capacities]
            full = [(normalize_text(a), normalize_text(b)) for a, b in pairs if a and b]
            assert len(set(full)) == len(full) and all(a != b for a, b in full)

    def test_round_trip(self, real: Snapshot) -> None:
        assert Snapshot.loads(real.dumps()) == real


class TestRealSampleBadInput:
    def write(self, tmp_path: Path, data: object) -> Path:
        path = tmp_path / "caps.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(DataError, match=r"nope\.json: real sample not found") as info:
            load_real_sample(tmp_path / "nope.json")
        assert info.value.hint

    def test_truncated_file_names_file_and_position(self, tmp_path: Path, real_sample_path: Path) -> None:
        text = real_sample_path.read_text(encoding="utf-8")
        path = tmp_path / "cut.json"
        path.write_text(text[:5000], encoding="utf-8")
        with pytest.raises(DataError) as info:
            load_real_sample(path)
        message = str(info.value)
        assert str(path) in message and "malformed JSON at line" in message and "column" in message
        assert "truncated" in message

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.json"
        path.write_bytes('{"capacities": ["é"]}'.encode("latin-1"))
        with pytest.raises(DataError, match="cannot read real sample"):
            load_real_sample(path)

    def cap(self, code: str, parent: str | None = None, qid: str | None = None,
            **kw: object) -> dict[str, object]:
        return {"code": code, "qid_wikidata": qid, "parent": parent, "root": "social",
                "labels": {"en": f"label {code}"}, "descriptions": {"en": f"description {code}"}, **kw}

    @pytest.mark.parametrize("data,needle", [
        ([], "expected an object with a 'capacities' list"),
        ({"capacities": {}}, "expected an object with a 'capacities' list"),
        ({"capacities": [5]}, r"capacities\[0\] is not an object"),
        ({"capacities": [{"code": 5}]}, r"capacities\[0\]: 'code' must be a non-empty string"),
        ({"capacities": [{"code": "1"}, {"code": "1"}]}, r"capacities\[1\]: duplicate code '1'"),
        ({"capacities": [{"code": "x"}]}, r"capacities\[0\]: capacity code 'x' is not a positive integer"),
        ({"capacities": [{"code": "1", "qid_wikidata": "P5"}]}, r"capacities\[0\]: not a Wikidata QID"),
        ({"capacities": [{"code": "1", "qid_wikidata": 5}]}, r"capacities\[0\]: 'qid_wikidata' must be"),
        ({"capacities": [{"code": "1", "parent": "9"}]}, r"capacities\[0\]: parent '9' is not the code"),
        ({"capacities": [{"code": "1", "labels": ["x"]}]}, r"capacities\[0\]: 'labels' must be an object"),
        ({"capacities": [{"code": "1", "labels": {"en": 3}}]}, r"labels\['en'\] must be a string, got int"),
    ])
    def test_bad_structure_names_position(self, tmp_path: Path, data: object, needle: str) -> None:
        path = self.write(tmp_path, data)
        with pytest.raises(DataError, match=needle) as info:
            load_real_sample(path)
        assert str(path) in str(info.value)

    def test_minimal_file(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, {"capacities": [self.cap("10", qid="Q5"), self.cap("11", "10"),
                                                    self.cap("12", "11", labels={"en": " "})]})
        snap = load_real_sample(path)
        assert [c.qid for c in snap.capacities] == ["Q5", "Q900000011", "Q900000012"]
        assert snap.path("Q900000012") == ("Q5", "Q900000011", "Q900000012")
        assert snap.text("Q900000012", "label", "en") is None  # blank text is no term
        assert snap.meta["placeholder_qids"] == {"Q900000011": "11", "Q900000012": "12"}


# --------------------------------------------------------------------------- writing and the CLI

class TestWrite:
    def test_atomic_write_replaces_and_leaves_no_temp(self, tmp_path: Path) -> None:
        target = tmp_path / "out" / "s.json"
        write_snapshot(generate(8, 2), target)
        write_snapshot(generate(9, 2), target)
        assert Snapshot.loads(target.read_text(encoding="utf-8")) == generate(9, 2)
        assert os.listdir(target.parent) == ["s.json"]

    def test_failed_write_keeps_old_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        target = tmp_path / "s.json"
        target.write_text("old", encoding="utf-8")

        def refuse(*_: object) -> None:
            raise OSError("disk full")
        monkeypatch.setattr(sample_mod.os, "replace", refuse)
        with pytest.raises(OSError, match="disk full"):
            write_snapshot(generate(8, 2), target)
        assert target.read_text(encoding="utf-8") == "old"
        assert os.listdir(tmp_path) == ["s.json"]


class TestCommand:
    @pytest.fixture(autouse=True)
    def _restore_logging(self) -> Iterator[None]:
        """The CLI's setup_logging() stops the capxl10n logger propagating: undo it for later tests."""
        logger = logging.getLogger("capxl10n")
        saved = (logger.handlers[:], logger.level, logger.propagate)
        yield
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]

    def run(self, *args: str) -> tuple[int, str, str]:
        try:  # click < 8.2 mixes stderr into output unless told not to
            runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
        except TypeError:
            runner = CliRunner()
        result = runner.invoke(main, list(args))
        return result.exit_code, result.stdout, result.stderr

    def test_writes_the_same_bytes_as_generate(self, tmp_path: Path) -> None:
        out = tmp_path / "s.json"
        code, stdout, _ = self.run("sample", "-o", str(out), "--capacities", "20", "--languages", "6",
                                   "--seed", "4")
        assert code == 0, stdout
        assert out.read_text(encoding="utf-8") == generate(20, 6, 4).dumps()
        assert "fingerprint" in stdout and generate(20, 6, 4).fingerprint() in stdout

    def test_json_summary(self, tmp_path: Path) -> None:
        code, stdout, _ = self.run("--format", "json", "sample", "-o", str(tmp_path / "s.json"), "-n", "9",
                                   "-l", "3")
        assert code == 0
        info = json.loads(stdout)
        assert info["capacities"] == 9 and info["languages"] == 3 and info["translation_languages"] == 2

    def test_stdout(self) -> None:
        code, stdout, _ = self.run("sample", "-o", "-", "-n", "8", "-l", "2", "--seed", "2")
        assert code == 0 and stdout == generate(8, 2, 2).dumps()

    def test_real(self, tmp_path: Path, real_sample_path: Path) -> None:
        out = tmp_path / "real.json"
        code, _, _ = self.run("sample", "-o", str(out), "--real", str(real_sample_path))
        assert code == 0
        assert len(Snapshot.loads(out.read_text(encoding="utf-8")).capacities) == 134

    def test_bad_count_is_a_usage_error(self, tmp_path: Path) -> None:
        code, _, stderr = self.run("sample", "-o", str(tmp_path / "s.json"), "-n", "3")
        assert code == 2 and "capacities must be between 7" in stderr
        assert not (tmp_path / "s.json").exists()

    def test_missing_real_file(self, tmp_path: Path) -> None:
        code, _, stderr = self.run("sample", "-o", str(tmp_path / "s.json"), "--real",
                                   str(tmp_path / "none.json"))
        assert code == 1 and "none.json: real sample not found" in stderr

    def test_truncated_real_file(self, tmp_path: Path) -> None:
        bad = tmp_path / "cut.json"
        bad.write_text('{"capacities": [{"code": "1"', encoding="utf-8")
        code, _, stderr = self.run("sample", "-o", str(tmp_path / "s.json"), "--real", str(bad))
        assert code == 1 and "cut.json: malformed JSON at line 1 column" in stderr

    def test_output_is_required(self) -> None:
        code, _, stderr = self.run("sample")
        assert code == 2 and "--output" in stderr
