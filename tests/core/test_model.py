"""Behaviour of the core model: keys, validation, JSON round trip, order, fingerprints, bad input."""
from __future__ import annotations

import json
import random

import pytest

from capxl10n.errors import DataError
from capxl10n.core.model import (SNAPSHOT_FORMAT, Capacity, Snapshot, Term, TermKey, full_message_key,
                            normalize_text, qid_sort_key, tree_order)

BUNDLE = "Module:CapacityExchange/capacities.json"


def snap(terms: dict[TermKey, Term] | None = None, caps: tuple[Capacity, ...] | None = None,
         **meta: object) -> Snapshot:
    caps = caps if caps is not None else (
        Capacity("Q10", item="Q100010", root="organizational", code="10"),
        Capacity("Q11", item="Q100011", parent="Q10", root="organizational", code="11"),
        Capacity("Q9", item="Q100009", parent="Q10", root="organizational", code="12"),
    )
    if terms is None:
        terms = {
            TermKey("Q10", "label", "en"): Term("organizational structure", revision=5, side="metabase"),
            TermKey("Q10", "description", "en"): Term("how groups decide", revision=5),
            TermKey("Q10", "label", "pt-br"): Term("estrutura", fuzzy=True, side="metawiki", revision=77,
                                                   author="Ana", timestamp="2025-11-01T10:00:00Z"),
            TermKey("Q9", "label", "ar"): Term("هيكل"),
            TermKey("Q11", "label", "ja"): Term("財務 \U00020BB7"),
        }
    return Snapshot(side="metabase", capacities=caps, terms=terms, meta=meta)


# --------------------------------------------------------------------------- keys

class TestTermKey:
    def test_message_key_and_full_key(self) -> None:
        key = TermKey("Q7397", "description", "pt-br")
        assert key.message_key == "Q7397-description"
        assert full_message_key(BUNDLE, key.message_key) == f"{BUNDLE}/Q7397-description"

    @pytest.mark.parametrize("message_key,lang", [("Q7397-label", "ar"), ("Q1-description", "zh-hant")])
    def test_from_message_key_round_trip(self, message_key: str, lang: str) -> None:
        key = TermKey.from_message_key(message_key, lang)
        assert key.message_key == message_key and key.lang == lang

    @pytest.mark.parametrize("bad", ["Q7397", "Q7397-name", "P31-label", "q7397-label", "Q7397-label ",
                                     "Q07397-label", "Module:X/Q1-label", ""])
    def test_from_message_key_rejects_non_capacity_keys(self, bad: str) -> None:
        with pytest.raises(DataError, match="not a capacity message key") as info:
            TermKey.from_message_key(bad, "en")
        assert info.value.hint and "Q7397-label" in info.value.hint

    @pytest.mark.parametrize("qid", ["Q0", "Q012", "P31", "q5", "5", "Q", "Q1 ", "L12", "", "Q-1"])
    def test_qid_validation(self, qid: str) -> None:
        with pytest.raises(DataError, match="not a Wikidata QID"):
            TermKey(qid, "label", "en")
        with pytest.raises(DataError, match="not a Wikidata QID"):
            Capacity(qid)

    def test_field_and_language_validation(self) -> None:
        with pytest.raises(DataError, match="unknown field 'alias'"):
            TermKey("Q1", "alias", "en")  # type: ignore[arg-type]
        with pytest.raises(DataError, match="empty language"):
            TermKey("Q1", "label", "")

    def test_keys_are_hashable_values(self) -> None:
        assert TermKey("Q1", "label", "en") == TermKey("Q1", "label", "en")
        assert len({TermKey("Q1", "label", "en"), TermKey("Q1", "label", "en")}) == 1

    def test_sort_key_is_numeric_then_field_then_language(self) -> None:
        keys = [TermKey("Q10", "label", "en"), TermKey("Q9", "description", "ar"),
                TermKey("Q9", "label", "zh-hant"), TermKey("Q9", "label", "ar")]
        ordered = sorted(keys, key=TermKey.sort_key)
        assert ordered == [TermKey("Q9", "label", "ar"), TermKey("Q9", "label", "zh-hant"),
                           TermKey("Q9", "description", "ar"), TermKey("Q10", "label", "en")]

    def test_qid_sort_key_puts_non_qids_last(self) -> None:
        assert sorted(["x", "Q10", "Q9"], key=qid_sort_key) == ["Q9", "Q10", "x"]


class TestNormalize:
    @pytest.mark.parametrize("a,b", [("Cafe\u0301", "Caf\u00e9"), ("  edit-a-thon\n", "edit-a-thon"),
                                     ("\u212b", "\u00c5")])
    def test_same_after_nfc_and_trim(self, a: str, b: str) -> None:
        assert normalize_text(a) == normalize_text(b)
        assert Term(a).same_text(Term(b))

    @pytest.mark.parametrize("a,b", [("Edit", "edit"), ("a  b", "a b"), ("x", "x\u200b")])
    def test_nothing_else_is_the_same(self, a: str, b: str) -> None:
        assert not Term(a).same_text(Term(b))

    def test_same_text_with_none_is_false(self) -> None:
        assert not Term("x").same_text(None)


# --------------------------------------------------------------------------- JSON

class TestRoundTrip:
    def test_dumps_loads_is_identity(self) -> None:
        original = snap(source="test", count=3)
        again = Snapshot.loads(original.dumps())
        assert again == original
        assert again.dumps() == original.dumps()
        assert again.get(TermKey("Q10", "label", "pt-br")) == Term(
            "estrutura", fuzzy=True, side="metawiki", revision=77, author="Ana",
            timestamp="2025-11-01T10:00:00Z")

    def test_non_bmp_and_rtl_text_survive(self) -> None:
        again = Snapshot.loads(snap().dumps())
        assert again.text("Q11", "label", "ja") == "財務 \U00020BB7"
        assert again.text("Q9", "label", "ar") == "هيكل"
        assert "\\u" not in snap().dumps()  # written as UTF-8, not escapes

    def test_term_json_omits_defaults(self) -> None:
        assert Term("x", side="metawiki").to_json() == {"text": "x", "side": "metawiki"}
        full = Term("x", fuzzy=True, revision=3, author="A", side="metawiki", timestamp="t").to_json()
        assert full == {"text": "x", "side": "metawiki", "fuzzy": True, "revision": 3, "author": "A",
                        "timestamp": "t"}

    def test_capacity_json_omits_missing(self) -> None:
        assert Capacity("Q5").to_json() == {"qid": "Q5"}
        cap = Capacity("Q5", item="Q100005", parent="Q1", root="social", code="65")
        assert Capacity.from_json(cap.to_json()) == cap

    def test_code_is_kept_as_string(self) -> None:
        assert Capacity.from_json({"qid": "Q5", "code": 65}).code == "65"


class TestDeterminism:
    def test_insertion_order_does_not_matter(self) -> None:
        base = snap()
        items = list(base.terms.items())
        random.Random(3).shuffle(items)
        caps = list(base.capacities)
        caps.reverse()
        shuffled = snap(dict(items), tuple(caps))
        assert shuffled.dumps() == base.dumps()
        assert shuffled.fingerprint() == base.fingerprint()

    def test_terms_sorted_by_qid_number_field_language(self) -> None:
        order = [(k.qid, k.field, k.lang) for k in snap().terms]
        assert order == [("Q9", "label", "ar"), ("Q10", "label", "en"), ("Q10", "label", "pt-br"),
                         ("Q10", "description", "en"), ("Q11", "label", "ja")]

    def test_meta_keys_sorted_in_json(self) -> None:
        data = json.loads(snap(zeta=1, alpha=2).dumps())
        assert list(data["meta"]) == ["alpha", "zeta"]
        assert data["format"] == SNAPSHOT_FORMAT


class TestFingerprint:
    def test_stable_and_prefixed(self) -> None:
        assert snap().fingerprint() == snap().fingerprint()
        assert snap().fingerprint().startswith("sha256:")

    def test_ignores_meta(self) -> None:
        assert snap(run="a").fingerprint() == snap(run="b").fingerprint()

    @pytest.mark.parametrize("change", [
        lambda t: {**t, TermKey("Q9", "label", "ar"): Term("هيكل ")},
        lambda t: {**t, TermKey("Q9", "label", "ar"): Term("هيكل", fuzzy=True)},
        lambda t: {**t, TermKey("Q9", "label", "ar"): Term("هيكل", revision=2)},
        lambda t: {k: v for k, v in t.items() if k.lang != "ja"},
    ])
    def test_changes_with_any_term_change(self, change) -> None:  # type: ignore[no-untyped-def]
        base = snap()
        assert snap(change(dict(base.terms))).fingerprint() != base.fingerprint()

    def test_changes_with_tree(self) -> None:
        base = snap()
        moved = tuple(Capacity(c.qid, c.item, "Q11" if c.qid == "Q9" else c.parent, c.root, c.code)
                      for c in base.capacities)
        assert snap(dict(base.terms), moved).fingerprint() != base.fingerprint()


# --------------------------------------------------------------------------- tree

class TestTreeOrder:
    def test_depth_first_roots_first_seen_children_by_qid(self) -> None:
        caps = [Capacity("Q50"), Capacity("Q3", parent="Q50"), Capacity("Q10"), Capacity("Q12", parent="Q50"),
                Capacity("Q2", parent="Q12"), Capacity("Q11", parent="Q10"), Capacity("Q1", parent="Q12")]
        assert [c.qid for c in tree_order(caps)] == ["Q50", "Q3", "Q12", "Q1", "Q2", "Q10", "Q11"]

    def test_orphans_become_roots(self) -> None:
        caps = [Capacity("Q5"), Capacity("Q7", parent="Q999"), Capacity("Q6", parent="Q5")]
        assert [c.qid for c in tree_order(caps)] == ["Q5", "Q6", "Q7"]

    def test_cycles_are_kept_not_lost(self) -> None:
        caps = [Capacity("Q1"), Capacity("Q30", parent="Q20"), Capacity("Q20", parent="Q30"),
                Capacity("Q40", parent="Q40")]
        ordered = [c.qid for c in tree_order(caps)]
        assert sorted(ordered) == ["Q1", "Q20", "Q30", "Q40"]
        assert ordered[0] == "Q1"

    def test_cycle_order_independent_of_input_order(self) -> None:
        caps = [Capacity("Q30", parent="Q20"), Capacity("Q20", parent="Q30")]
        assert [c.qid for c in tree_order(caps)] == [c.qid for c in tree_order(list(reversed(caps)))]

    def test_path_and_cycle_safety(self) -> None:
        s = snap()
        assert s.path("Q11") == ("Q10", "Q11")
        assert s.path("Q404") == ()
        looped = Snapshot("base", (Capacity("Q1", parent="Q2"), Capacity("Q2", parent="Q1")))
        assert set(looped.path("Q1")) == {"Q1", "Q2"}

    def test_message_keys_follow_tree_order(self) -> None:
        keys = [k.message_key for k in snap().message_keys()]
        assert keys == ["Q10-label", "Q10-description", "Q9-label", "Q9-description",
                        "Q11-label", "Q11-description"]

    def test_duplicate_capacity_rejected(self) -> None:
        with pytest.raises(DataError, match="duplicate capacity Q1 in metabase snapshot"):
            snap({}, (Capacity("Q1"), Capacity("Q1", parent="Q2")))


class TestQueries:
    def test_languages_and_terms_in(self) -> None:
        s = snap()
        assert s.languages() == ("ar", "en", "ja", "pt-br")
        assert [k.qid for k, _ in s.terms_in("en")] == ["Q10", "Q10"]
        assert s.text("Q10", "label", "fr") is None
        assert s.capacity("Q9") == Capacity("Q9", item="Q100009", parent="Q10", root="organizational", code="12")
        assert s.capacity("Q404") is None

    def test_with_terms_returns_new_snapshot(self) -> None:
        s = snap()
        key = TermKey("Q9", "label", "fr")
        t = s.with_terms({key: Term("structure")}, step=2)
        assert t.text("Q9", "label", "fr") == "structure" and t.meta["step"] == 2
        assert s.get(key) is None and "step" not in s.meta


# --------------------------------------------------------------------------- bad input

def _doc() -> dict:  # type: ignore[type-arg]
    return json.loads(snap().dumps())


class TestBadInput:
    def test_truncated_json_names_position(self) -> None:
        text = snap().dumps()
        with pytest.raises(DataError) as info:
            Snapshot.loads(text[: len(text) // 2], origin="plan.json")
        message = str(info.value)
        assert message.startswith("plan.json: malformed JSON at line ")
        assert "column" in message and "truncated" in message

    def test_malformed_json_line_and_column(self) -> None:
        with pytest.raises(DataError, match=r"x\.json: malformed JSON at line 2 column 3"):
            Snapshot.loads('{\n  ,}', origin="x.json")

    @pytest.mark.parametrize("data,needle", [
        ([], "expected a JSON object"),
        ({"format": "other/9", "capacities": [], "terms": []}, "unknown snapshot format 'other/9'"),
        ({"format": SNAPSHOT_FORMAT, "capacities": {}, "terms": []}, "must be lists"),
        ({"format": SNAPSHOT_FORMAT, "capacities": [], "terms": None}, "must be lists"),
    ])
    def test_wrong_shapes(self, data: object, needle: str) -> None:
        with pytest.raises(DataError, match=needle):
            Snapshot.from_json(data, origin="f.json")

    def test_duplicate_term_names_position(self) -> None:
        doc = _doc()
        doc["terms"].append(dict(doc["terms"][1]))
        with pytest.raises(DataError, match=r"f\.json: duplicate term Q10-label/en at terms\[5\]"):
            Snapshot.from_json(doc, origin="f.json")

    def test_duplicate_capacity_names_file(self) -> None:
        doc = _doc()
        doc["capacities"].append({"qid": "Q9"})
        with pytest.raises(DataError, match=r"f\.json: duplicate capacity Q9"):
            Snapshot.from_json(doc, origin="f.json")

    @pytest.mark.parametrize("mutate,needle", [
        (lambda t: t.update(text=5), r"terms\[2\]: field 'text' must be a string, got int"),
        (lambda t: t.pop("text"), r"terms\[2\]: field 'text' must be a string, got NoneType"),
        (lambda t: t.update(qid="P31"), r"terms\[2\]: not a Wikidata QID: 'P31'"),
        (lambda t: t.update(field="name"), r"terms\[2\]: unknown field 'name'"),
        (lambda t: t.update(lang=None), r"terms\[2\]: field 'lang' must be a string"),
        (lambda t: t.update(revision="abc"), r"terms\[2\]: field 'revision' must be an integer"),
        (lambda t: t.update(revision=True), r"terms\[2\]: field 'revision' must be an integer"),
        (lambda t: t.update(author=["x"]), r"terms\[2\]: field 'author' must be a string"),
    ])
    def test_bad_term_names_index(self, mutate, needle: str) -> None:  # type: ignore[no-untyped-def]
        doc = _doc()
        mutate(doc["terms"][2])
        with pytest.raises(DataError, match=needle):
            Snapshot.from_json(doc, origin="f.json")

    @pytest.mark.parametrize("bad,needle", [
        ("nope", r"terms\[0\] is not an object"),
    ])
    def test_term_not_object(self, bad: object, needle: str) -> None:
        doc = _doc()
        doc["terms"][0] = bad
        with pytest.raises(DataError, match=needle):
            Snapshot.from_json(doc, origin="f.json")

    @pytest.mark.parametrize("bad,needle", [
        ("Q1", r"capacities\[1\] is not an object"),
        ({"qid": "Item1"}, r"capacities\[1\]: not a Wikidata QID"),
        ({"item": "Q1"}, r"capacities\[1\]: field 'qid' must be a string"),
        ({"qid": "Q1", "parent": 5}, r"capacities\[1\]: field 'parent' must be a string"),
    ])
    def test_bad_capacity_names_index(self, bad: object, needle: str) -> None:
        doc = _doc()
        doc["capacities"][1] = bad
        with pytest.raises(DataError, match=needle):
            Snapshot.from_json(doc, origin="f.json")

    @pytest.mark.parametrize("meta", [[1, 2], "x", 5])
    def test_meta_must_be_an_object(self, meta: object) -> None:
        doc = _doc()
        doc["meta"] = meta
        with pytest.raises(DataError, match=r"f\.json: 'meta' must be an object"):
            Snapshot.from_json(doc, origin="f.json")

    @pytest.mark.parametrize("value", ["no", 1, "false"])
    def test_fuzzy_must_be_boolean(self, value: object) -> None:
        doc = _doc()
        doc["terms"][2]["fuzzy"] = value
        with pytest.raises(DataError, match=r"terms\[2\]: field 'fuzzy' must be a boolean"):
            Snapshot.from_json(doc, origin="f.json")

    def test_errors_carry_hint_and_exit_code(self) -> None:
        with pytest.raises(DataError) as info:
            Snapshot.loads("{", origin="s.json")
        assert info.value.exit_code == 1 and info.value.hint
