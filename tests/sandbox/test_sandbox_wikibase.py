"""Metabase's Wikibase API on the sandbox: term rules, baserevid patching, reads, seeding.

The harness builds one Metabase site (store + API core + our modules) and talks to it over
WSGI with werkzeug's test client, one cookie jar per user, so requests go through the same
routing, parameter checks and rendering as over HTTP. The harness is tests/plugins/wiki_harness.py's.
"""
from __future__ import annotations

import json
import random

import pytest

from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.edit import TermChange, apply_changes, parse_data, patch, validate
from capxl10n.sandbox.wikibase.seed import CAPACITY_CLASS, concurrent_edit
from capxl10n.sandbox.wikibase.validate import WikibaseError, normalize_value
from plugins.wiki_harness import Harness, small_seed


@pytest.fixture
def h() -> Harness:
    return Harness()


@pytest.fixture
def items(h: Harness) -> dict[str, str]:
    return small_seed(h)


# -- pure rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, stored, warned", [
    ("  spazi   interni  ", "spazi   interni", False),
    ("a\t\tb", "a b", False),
    ("a \n b", "a   b", False),
    ("a\rb", "a b", False),
    ("\u00a0x y\u00a0", "x y", False),
    ("a\x00b", "a\ufffdb", True),
    ("Cafe\u0301", "Caf\u00e9", True),
    ("   ", "", False),
])
def test_values_are_normalised_as_rel1_39_does(raw: str, stored: str, warned: bool) -> None:
    assert normalize_value(raw) == (stored, warned)


@pytest.mark.parametrize("data, code", [
    ("{bad", "invalid-json"),
    ('"text"', "invalid-json"),
    ('{"labels": {"de": "str"}}', "not-recognized-array"),
    ('{"labels": {"es": {"language": "fr", "value": "abc"}}}', "inconsistent-language"),
    ('{"labels": {"xx-fake": {"language": "xx-fake", "value": "abc"}}}', "not-recognized-language"),
    ('{"labels": {"mul": {"language": "mul", "value": "abc"}}}', "not-recognized-language"),
    ('{"descriptions": [{"language": "qqq", "value": "abc"}]}', "not-recognized-language"),
])
def test_bad_entity_data_is_refused_with_the_real_code(data: str, code: str) -> None:
    with pytest.raises(WikibaseError) as caught:
        parse_data(data, frozenset({"en", "de", "es", "fr"}))
    assert caught.value.code == code


def test_entity_data_accepts_both_shapes_and_removals() -> None:
    changes = parse_data(json.dumps({"labels": [{"language": "de", "value": "x"}],
                                     "descriptions": {"fr": {"language": "fr", "remove": ""},
                                                      "es": {"language": "es", "value": " "}}}),
                         {"de", "fr", "es"}).changes
    assert changes == [TermChange("labels", "de", "x"), TermChange("descriptions", "fr", None),
                       TermChange("descriptions", "es", None)]


def _item(**labels: str) -> wbe.Entity:
    entity = wbe.new_entity("Q1")
    for lang, value in labels.items():
        wbe.set_term(entity, "labels", lang, value)
    return entity


def test_patch_applies_only_the_users_diff_onto_latest() -> None:
    base = _item(en="a", de="b")
    latest = _item(en="a", de="B by someone")
    wanted = apply_changes(base, [TermChange("labels", "en", "A")])
    patched = patch(base, latest, wanted)
    assert wbe.terms_of(patched) == {("labels", "en"): "A", ("labels", "de"): "B by someone"}


def test_patch_refuses_when_the_same_term_moved() -> None:
    base, latest = _item(en="a"), _item(en="moved")
    with pytest.raises(WikibaseError) as caught:
        patch(base, latest, apply_changes(base, [TermChange("labels", "en", "mine")]))
    assert caught.value.code == "editconflict"
    assert [m.name for m in caught.value.messages] == ["wikibase-api-editconflict", "edit-conflict"]


def test_validate_names_the_other_item_holding_the_pair() -> None:
    before = _item()
    after = apply_changes(before, [TermChange("labels", "en", "x"), TermChange("descriptions", "en", "y")])
    with pytest.raises(WikibaseError) as caught:
        validate(before, after, pairs=lambda lang, l, d: {"Q9"} if (lang, l, d) == ("en", "x", "y") else set(),
                 title_of=lambda i: f"Item:{i}", article_path="/wiki/$1")
    assert caught.value.messages[0].parameters == ("x", "en", "[[Item:Q9|Q9]]")
    validate(before, apply_changes(before, [TermChange("labels", "en", "x")]), pairs=lambda *a: {"Q9"},
             title_of=str, article_path="/wiki/$1")  # no description: no pair to clash


# -- reads --------------------------------------------------------------------------------------

def test_wbgetentities_reads_terms_info_and_missing(h: Harness, items: dict[str, str]) -> None:
    item = items["Q7397"]
    answer = h.api(action="wbgetentities", ids=f"{item}|Q999999|{item.lower()}", props="labels|info",
                   languages="en")
    entities = answer.body["entities"]
    assert list(entities) == [item, "Q999999"]
    assert entities[item]["labels"] == {"en": {"language": "en", "value": "Organizing edit-a-thons"}}
    assert entities[item]["lastrevid"] == h.lastrevid(item)
    assert entities[item]["title"] == f"Item:{item}"
    assert entities["Q999999"] == {"id": "Q999999", "missing": ""}
    assert answer.body["success"] == 1


def test_wbgetentities_without_info_has_no_revision(h: Harness, items: dict[str, str]) -> None:
    entity = h.api(action="wbgetentities", ids=items["Q42"], props="labels").body["entities"][items["Q42"]]
    assert "lastrevid" not in entity and "modified" not in entity and set(entity) == {"type", "id", "labels"}


def test_wbgetentities_malformed_id_is_no_such_entity(h: Harness, items: dict[str, str]) -> None:
    answer = h.api(action="wbgetentities", ids=f"{items['Q42']}|X1")
    assert answer.error == "no-such-entity" and answer.body["error"]["id"] == "X1"
    assert answer.headers["MediaWiki-API-Error"] == "no-such-entity"


def test_wbgetentities_limits_ids_by_right(h: Harness) -> None:
    ids = "|".join(f"Q{n}" for n in range(1, 52))
    assert h.api(action="wbgetentities", ids=ids, props="info", user="Peer2").error == "toomanyvalues"
    assert len(h.api(action="wbgetentities", ids=ids, props="info").body["entities"]) == 51
    many = "|".join(f"Q{n}" for n in range(1, 502))
    assert h.api(action="wbgetentities", ids=many, user="CapxBot").body["error"]["limit"] == 500


def test_language_fallback_marks_for_language(h: Harness, items: dict[str, str]) -> None:
    item = items["Q7397"]
    labels = h.api(action="wbgetentities", ids=item, props="labels", languages="pt|es|en",
                   languagefallback=1).body["entities"][item]["labels"]
    assert labels["pt"] == {"value": "Organizar editatonas", "language": "pt-br", "for-language": "pt"}
    assert labels["es"]["language"] == "en" and labels["es"]["for-language"] == "es"
    plain = h.api(action="wbgetentities", ids=item, props="labels", languages="pt|es").body
    assert plain["entities"][item]["labels"] == {}


def test_unknown_props_and_languages_warn_and_are_dropped(h: Harness, items: dict[str, str]) -> None:
    answer = h.api(action="wbgetentities", ids=items["Q42"], props="labels|bogus", languages="en|xx-fake")
    assert "bogus" in json.dumps(answer.body["warnings"]) and "xx-fake" in json.dumps(answer.body["warnings"])
    assert answer.body["entities"][items["Q42"]]["labels"]["en"]["value"] == "Writing"


def test_claims_are_shown_with_datatypes_and_link_the_class(h: Harness, items: dict[str, str]) -> None:
    item = items["Q7397"]
    claims = h.api(action="wbgetentities", ids=item, props="claims").body["entities"][item]["claims"]
    assert claims["P5"][0]["mainsnak"]["datavalue"]["value"]["id"] == CAPACITY_CLASS
    assert claims["P5"][0]["mainsnak"]["datatype"] == "wikibase-item"
    assert claims["P91"][0]["mainsnak"]["datavalue"] == {"value": "10", "type": "string"}
    index = claims["P67"][0]["mainsnak"]["datavalue"]["value"]["id"]
    index_claims = h.api(action="wbgetentities", ids=index, props="claims").body["entities"][index]["claims"]
    assert index_claims["P1"][0]["mainsnak"]["datavalue"]["value"] == "Q7397"
    if hasattr(h.wiki, "backlinks"):
        linking = {p.title for p in h.wiki.backlinks(f"Item:{CAPACITY_CLASS}")}
        assert linking == {f"Item:{i}" for i in items.values()}


def test_seed_skips_what_metabase_would_refuse(h: Harness, items: dict[str, str]) -> None:
    terms = h.terms(items["Q5"])
    assert ("labels", "qqq") not in terms                 # not a term language
    assert ("descriptions", "en") not in terms            # equal to the label


def test_wbcontentlanguages_lists_real_codes_without_mul(h: Harness) -> None:
    langs = h.api(action="query", meta="wbcontentlanguages", wbclprop="code|name",
                  formatversion=2).body["query"]["wbcontentlanguages"]
    assert len(langs) == 545 and "pt-br" in langs and "mul" not in langs and "qqq" not in langs
    assert langs["pt-br"] == {"code": "pt-br", "name": "português do Brasil"}


# -- writes -------------------------------------------------------------------------------------

def test_wbsetlabel_sets_removes_and_reports_nochange(h: Harness, items: dict[str, str]) -> None:
    item = items["Q42"]
    first = h.post(action="wbsetlabel", id=item, language="fr", value="Écrire")
    assert first.body["entity"]["labels"] == {"fr": {"language": "fr", "value": "Écrire"}}
    again = h.post(action="wbsetlabel", id=item, language="fr", value=" Écrire ")
    assert again.body["entity"]["nochange"] == "" and again.body["entity"]["lastrevid"] == first.body["entity"]["lastrevid"]
    removed = h.post(action="wbsetlabel", id=item, language="fr", value="")
    assert removed.body["entity"]["labels"] == {"fr": {"language": "fr", "removed": ""}}
    assert ("labels", "fr") not in h.terms(item)


def test_every_write_is_a_revision_and_a_recent_change(h: Harness, items: dict[str, str]) -> None:
    item = items["Q42"]
    before = len(h.wiki.recentchanges)
    rev = h.post(action="wbsetdescription", id=item, language="de", value="Artikel schreiben", bot=1,
                 summary="sync").body["entity"]["lastrevid"]
    row = h.wiki.recentchanges[-1]
    assert len(h.wiki.recentchanges) == before + 1
    assert (row.revid, row.title, row.user, row.bot) == (rev, f"Item:{item}", "CapxBot", True)
    assert row.comment == "/* wbsetdescription-add:1|de */ Artikel schreiben, sync"
    h.post(action="wbsetlabel", id=item, language="de", value="Schreiben", bot=1, user="Peer2")
    assert h.wiki.recentchanges[-1].bot is False         # bot=1 needs the bot right


@pytest.mark.parametrize("params, code", [
    ({"language": "en", "value": "x" * 251}, "modification-failed"),
    ({"language": "en", "value": "Writing articles"}, "modification-failed"),       # = description
    ({"language": "xx-fake", "value": "abc"}, "badvalue"),
    ({"language": "pt-BR", "value": "abc"}, "badvalue"),
    ({"value": "abc"}, "missingparam"),
    ({"language": "en", "value": "abc", "baserevid": "abc"}, "badinteger"),
    ({"language": "en", "value": "abc", "baserevid": "999999"}, "nosuchrevid"),
])
def test_wbsetlabel_refusals(h: Harness, items: dict[str, str], params: dict[str, str], code: str) -> None:
    answer = h.post(action="wbsetlabel", id=items["Q42"], **params)
    assert answer.error == code and answer.headers["MediaWiki-API-Error"] == code
    assert h.terms(items["Q42"])[("labels", "en")] == "Writing"


def test_exactly_250_code_points_are_fine(h: Harness, items: dict[str, str]) -> None:
    answer = h.post(action="wbsetlabel", id=items["Q42"], language="nl", value="é" * 250)
    assert answer.error is None and h.terms(items["Q42"])[("labels", "nl")] == "é" * 250


def test_duplicate_label_description_pair_names_the_other_item(h: Harness, items: dict[str, str]) -> None:
    h.post(action="wbsetdescription", id=items["Q42"], language="en", value="Planning events")
    answer = h.post(action="wbsetlabel", id=items["Q42"], language="en", value="Organizing edit-a-thons")
    assert answer.error == "modification-failed"
    message = answer.body["error"]["messages"][0]
    assert message["name"] == "wikibase-validator-label-with-description-conflict"
    assert message["parameters"][2] == f"[[Item:{items['Q7397']}|{items['Q7397']}]]"


def test_write_errors_for_ids(h: Harness) -> None:
    assert h.post(action="wbsetlabel", id="Q999999", language="en", value="x").error == "no-such-entity"
    assert h.post(action="wbsetlabel", id="X1", language="en", value="x").error == "invalid-entity-id"
    assert h.post(action="wbeditentity", data="{}").error == "param-illegal"
    assert h.post(action="wbeditentity", id="Q1").error == "missingparam"


def test_writes_need_post_and_a_token(h: Harness, items: dict[str, str]) -> None:
    # as the real REL1_39: the token is checked before POST (missing → missingparam, in the URL → mustpostparams)
    assert h.api("GET", action="wbsetlabel", id=items["Q42"], language="en", value="x").error == "missingparam"
    assert h.post(action="wbsetlabel", id=items["Q42"], language="en", value="x", token="bad+\\").error == "badtoken"


def test_wbeditentity_sets_many_terms_in_one_revision(h: Harness, items: dict[str, str]) -> None:
    item = items["Q42"]
    base = h.lastrevid(item)
    data = {"labels": {"es": {"language": "es", "value": "Escribir"}, "fr": {"language": "fr", "value": "Écrire"}},
            "descriptions": {"es": {"language": "es", "value": "Escribir artículos"}}}
    answer = h.post(action="wbeditentity", id=item, data=json.dumps(data), baserevid=base, bot=1)
    entity = answer.body["entity"]
    assert entity["lastrevid"] == base + 1 or entity["lastrevid"] > base
    assert entity["labels"]["es"]["value"] == "Escribir" and "claims" in entity and entity["aliases"] == {}
    assert h.wiki.recentchanges[-1].comment == "/* wbeditentity-update-languages-short:0||es, fr */"
    again = h.post(action="wbeditentity", id=item, data=json.dumps(data), baserevid=entity["lastrevid"])
    assert again.body["entity"]["nochange"] == "" and again.body["entity"]["lastrevid"] == entity["lastrevid"]


def test_wbeditentity_new_item_and_clear(h: Harness, items: dict[str, str]) -> None:
    data = {"labels": {"en": {"language": "en", "value": "brand new"}}}
    created = h.post(action="wbeditentity", new="item", data=json.dumps(data)).body["entity"]
    assert int(created["id"][1:]) > max(int(i[1:]) for i in items.values())
    cleared = h.post(action="wbeditentity", id=items["Q42"], clear=1,
                     data=json.dumps({"labels": {"de": {"language": "de", "value": "nur das"}}})).body["entity"]
    assert cleared["labels"] == {"de": {"language": "de", "value": "nur das"}} and cleared["claims"] == {}


def test_stale_base_other_language_is_patched_with_warning(h: Harness, items: dict[str, str]) -> None:
    item = items["Q42"]
    base = h.lastrevid(item)
    h.post(action="wbsetlabel", id=item, language="de", value="Peer2 war hier", user="Peer2")
    answer = h.post(action="wbsetlabel", id=item, language="fr", value="Écrire", baserevid=base)
    assert answer.body["warnings"]["wbsetlabel"]["messages"][0]["name"] == "wikibase-conflict-patched"
    assert h.terms(item)[("labels", "de")] == "Peer2 war hier" and h.terms(item)[("labels", "fr")] == "Écrire"


def test_stale_base_same_term_refuses_the_whole_call_even_for_own_edits(h: Harness, items: dict[str, str]) -> None:
    item = items["Q42"]
    base = h.lastrevid(item)
    h.post(action="wbsetlabel", id=item, language="en", value="Writing 2")      # own edit
    data = {"labels": {"en": {"language": "en", "value": "Writing 3"}, "it": {"language": "it", "value": "Scrivere"}}}
    answer = h.post(action="wbeditentity", id=item, data=json.dumps(data), baserevid=base)
    assert answer.error == "editconflict"
    assert h.terms(item)[("labels", "en")] == "Writing 2" and ("labels", "it") not in h.terms(item)


def test_stale_base_with_the_value_already_saved_names_the_item_itself(h: Harness, items: dict[str, str]) -> None:
    item = items["Q42"]
    base = h.lastrevid(item)
    h.post(action="wbsetlabel", id=item, language="en", value="same final value", user="Peer2")
    answer = h.post(action="wbsetlabel", id=item, language="en", value="same final value", baserevid=base)
    assert answer.error == "modification-failed"
    assert answer.body["error"]["messages"][0]["parameters"][2] == f"[[Item:{item}|{item}]]"


def test_no_baserevid_is_last_writer_wins(h: Harness, items: dict[str, str]) -> None:
    item = items["Q42"]
    h.post(action="wbsetlabel", id=item, language="en", value="by Peer2", user="Peer2")
    answer = h.post(action="wbsetlabel", id=item, language="en", value="by bot")
    assert "warnings" not in answer.body and h.terms(item)[("labels", "en")] == "by bot"


def test_concurrent_edit_changes_one_term_as_peer2(h: Harness, items: dict[str, str]) -> None:
    before = {i: h.terms(i) for i in items.values()}
    changed = concurrent_edit(h.repo, random.Random(3))
    assert changed is not None
    item, field, lang = changed
    key = ("labels" if field == "label" else "descriptions", lang)
    assert h.terms(item)[key] != before[item][key]
    assert h.wiki.recentchanges[-1].user == "Peer2"
    assert sum(h.terms(i) != before[i] for i in items.values()) == 1
    assert concurrent_edit(h.repo, random.Random(3), items=()) is None


def test_anonymous_writes_are_recorded_under_an_ip(h: Harness, items: dict[str, str]) -> None:
    answer = h.post(action="wbsetlabel", id=items["Q42"], language="sv", value="Skriva", user=None)
    assert answer.error is None and h.wiki.recentchanges[-1].user == "127.0.0.1"


def test_bad_input_never_gives_a_traceback(h: Harness, items: dict[str, str]) -> None:
    for params in ({"action": "wbeditentity", "id": items["Q42"], "data": "[" * 5000},
                   {"action": "wbeditentity", "id": items["Q42"], "data": '{"labels": 5}'},
                   {"action": "wbeditentity", "id": items["Q42"], "data": '{"labels": {"en": {"language": "en"}}}'},
                   {"action": "wbgetentities", "ids": "|||"},
                   {"action": "wbgetentities", "ids": items["Q42"], "languages": "", "props": ""}):
        answer = h.post(**params)
        assert answer.status == 200
        assert not (answer.error or "").startswith("internal_api_error"), answer.body
