"""Contract: replay the request behind each recorded real Wikibase answer against the sandbox.

``shared/reference/wikibase-responses/*.json`` hold what REL1_39 Wikibase answered (``_case``
says what was sent). Each scenario below rebuilds the peer's state (its real seed: P1/P5/
P67/P91, Q34531, index terms Q34532–Q34536, capacities Q34537–Q34541, test item Q34542),
sends the same request and compares normalised shapes: keys, value types, error codes,
message names, HTTP status and the headers clients rely on — not ids or timestamps. For
the conflict cases the stored terms afterwards are compared with the recording's ``_after``.
Recordings of MediaWiki-core modules (login, revisions, recentchanges, siteinfo, userinfo)
belong to the core's contract tests and are listed in ``CORE_CASES``.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from capxl10n.sandbox.wikibase import entity as wbe
from plugins.wiki_harness import Answer, Harness, LagFaults

CORE_CASES = {"login-success", "recentchanges-ns120", "revisions-by-revid", "revisions-item", "siteinfo",
              "userinfo-admin", "userinfo-peer2"}
HEADERS = ("MediaWiki-API-Error", "Retry-After", "X-Database-Lag")

PEER_CAPACITIES = [  # item, index term, Wikidata QID, code, en label, pt-br label, en description
    ("Q34537", "Q34532", "Q759524", "10", "organizational structure", "estrutura organizacional",
     "The frameworks that define governance, decision-making, and operational roles within Wikimedia "
     "organizations and initiatives",
     "Os frameworks que definem governança, tomada de decisão e papéis operacionais dentro das organizações "
     "e iniciativas Wikimedia"),
    ("Q34538", "Q34533", "Q11024", "36", "communication", "comunicação",
     "The exchange of information within and about the Wikimedia movement to coordinate activities, share "
     "knowledge, and engage communities across different projects and languages",
     "A troca de informações dentro e sobre o movimento Wikimedia para coordenar atividades, compartilhar "
     "conhecimento e engajar comunidades em diferentes projetos e idiomas"),
    ("Q34539", "Q34534", "Q11016", "106", "technology", "tecnologia", "Tools and technical knowledge",
     "Ferramentas e conhecimento técnico"),
    ("Q34540", "Q34535", "Q9000000028", "28", "assessment", "avaliação", "The evaluation of projects",
     "A avaliação de projetos"),
    ("Q34541", "Q34536", "Q9000000029", "29", "evaluation", "avaliação", "The process of assessing impact",
     "O processo de avaliar o impacto"),
]
TEST_ITEM = {"labels": {"en": {"language": "en", "value": "peer test item"},
                        "pt-br": {"language": "pt-br", "value": "item de teste do peer"}},
             "descriptions": {"en": {"language": "en", "value": "an item for edit tests"},
                              "pt-br": {"language": "pt-br", "value": "um item para testes de edição"}}}


def peer_state() -> Harness:
    """The peer wiki's Wikibase seed, with the same ids."""
    from capxl10n.sandbox.wikibase.seed import seed_metabase, seed_user
    h = Harness()
    seed_metabase(h.repo, [], {})
    user = seed_user(h.repo)
    for item, index, qid, code, en, pt, desc_en, desc_pt in PEER_CAPACITIES:
        term_item = wbe.new_entity(index)
        wbe.add_statement(term_item, "P1", qid, "string")
        h.repo.save(term_item, user=user, summary="seed", create=True)
    for item, index, qid, code, en, pt, desc_en, desc_pt in PEER_CAPACITIES:
        entity = wbe.new_entity(item)
        for lang, label, desc in (("en", en, desc_en), ("pt-br", pt, desc_pt)):
            wbe.set_term(entity, "labels", lang, label)
            wbe.set_term(entity, "descriptions", lang, desc)
        for prop, value, datatype in (("P5", "Q34531", "wikibase-item"), ("P67", index, "wikibase-item"),
                                      ("P91", code, "string")):
            wbe.add_statement(entity, prop, value, datatype)
        h.repo.save(entity, user=user, summary="seed", create=True)
    return h


def with_test_item(h: Harness) -> str:
    answer = h.post(action="wbeditentity", new="item", data=json.dumps(TEST_ITEM), bot=1)
    return answer.body["entity"]["id"]


def shape(value: Any) -> Any:
    """Keys and JSON types; lists by the shape of their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else "string"


def message_names(body: dict[str, Any]) -> list[str]:
    error = body.get("error") or (body.get("errors") or [{}])[0].get("data", {})
    return [m["name"] for m in error.get("messages", [])]


# -- scenarios: recording name -> (harness) -> the sandbox's answer to the recorded request ---------

#: Labels the real test item had from earlier cases when conflict-b (wbeditentity) was recorded.
_EARLIER_LABELS = {"es": "elemento de prueba 2", "it": "spazi   interni", "nl": "é" * 250, "de": "Testobjekt"}


def _stale(h: Harness, peer_change: dict[str, Any], mine: dict[str, Any], *, peer_user: str = "Peer2",
           base: bool = True, before: dict[str, str] | None = None) -> Answer:
    item = with_test_item(h)
    for lang, value in (before or {}).items():
        h.post(action="wbsetlabel", id=item, language=lang, value=value)
    rev = h.lastrevid(item)
    h.post(user=peer_user, id=item, **peer_change)
    return h.post(id=item, **({"baserevid": rev} if base else {}), **mine)


def _labels(**values: str) -> str:
    return json.dumps({"labels": {k.replace("_", "-"): {"language": k.replace("_", "-"), "value": v}
                                  for k, v in values.items()}})


SCENARIOS: dict[str, Callable[[Harness], Answer]] = {
    "wbgetentities-several": lambda h: h.api(action="wbgetentities", ids="Q34531|P1|Q34537|Q34538",
                                             props="labels|descriptions|info", languages="en|pt-br"),
    "wbgetentities-missing": lambda h: h.api(action="wbgetentities", ids="Q34531|Q999999|P999",
                                             props="labels|info", languages="en"),
    "wbgetentities-formatversion2": lambda h: h.api(action="wbgetentities", ids="Q34537|Q999999",
                                                    props="labels|descriptions|info", languages="en|pt-br",
                                                    formatversion=2),
    "wbgetentities-invalid-id": lambda h: h.api(action="wbgetentities", ids="Q34531|X1"),
    "wbgetentities-languagefallback": lambda h: h.api(action="wbgetentities", ids="Q34537",
                                                      props="labels|descriptions", languages="pt|de-at|es|en",
                                                      languagefallback=1),
    "wbgetentities-claims": lambda h: h.api(action="wbgetentities", ids="Q34537|Q34532", props="claims|datatype"),
    "wbgetentities-51-ids-bot": lambda h: h.api(action="wbgetentities", props="info", ids="|".join(
        ["Q34531"] + [f"Q{n}" for n in range(34631, 34681)])),
    "wbgetentities-51-ids-user": lambda h: h.api(action="wbgetentities", props="info", user="Peer2",
                                                 ids="|".join(f"Q{n}" for n in range(34631, 34682))),
    "wbgetentities-501-ids-bot": lambda h: h.api(action="wbgetentities", props="info",
                                                 ids="|".join(f"Q{n}" for n in range(34631, 35132))),
    "wbgetentities-maxlag": lambda h: (setattr(h.site, "faults", LagFaults(10)),
                                       h.api(action="wbgetentities", ids="Q34531", maxlag=5))[1],
    "wbeditentity-maxlag": lambda h: (setattr(h.site, "faults", LagFaults(10)),
                                      h.post(action="wbeditentity", id="Q34537", data="{}", maxlag=5))[1],
    "wbcontentlanguages-term": lambda h: h.api(action="query", meta="wbcontentlanguages", wbclcontext="term",
                                               wbclprop="code|autonym|name", uselang="en", formatversion=2),
    "wbsetlabel": lambda h: h.post(action="wbsetlabel", id="Q34539", language="es", value="tecnología",
                                   baserevid=h.lastrevid("Q34539"), user="Peer2"),
    "wbsetlabel-nochange": lambda h: (h.post(action="wbsetlabel", id="Q34539", language="es", value="tecnología"),
                                      h.post(action="wbsetlabel", id="Q34539", language="es",
                                             value="tecnología"))[1],
    "wbsetdescription": lambda h: h.post(action="wbsetdescription", id="Q34539", language="es", user="Peer2",
                                         value="Las herramientas y habilidades técnicas"),
    "wbsetlabel-formatversion2": lambda h: h.post(action="wbsetlabel", id="Q34539", language="de",
                                                  value="Technologie", formatversion=2),
    "wbsetlabel-empty-removes": lambda h: (h.post(action="wbsetlabel", id="Q34539", language="de", value="T"),
                                           h.post(action="wbsetlabel", id="Q34539", language="de", value=""))[1],
    "wbsetlabel-250-ok": lambda h: h.post(action="wbsetlabel", id=with_test_item(h), language="nl", value="é" * 250),
    "wbsetlabel-whitespace-trimmed": lambda h: h.post(action="wbsetlabel", id=with_test_item(h), language="it",
                                                      value="  spazi   interni  "),
    "wbsetlabel-too-long": lambda h: h.post(action="wbsetlabel", id=with_test_item(h), language="en", value="x" * 251),
    "wbsetlabel-errorformat-plaintext": lambda h: h.post(action="wbsetlabel", id=with_test_item(h), language="en",
                                                         value="x" * 251, errorformat="plaintext", formatversion=2),
    "wbsetlabel-equals-description": lambda h: h.post(action="wbsetlabel", id=with_test_item(h), language="en",
                                                      value="an item for edit tests"),
    "wbsetlabel-label-description-conflict": lambda h: (
        item := with_test_item(h),
        h.post(action="wbsetdescription", id=item, language="en", value=PEER_CAPACITIES[0][6]),
        h.post(action="wbsetlabel", id=item, language="en", value="organizational structure"))[2],
    "wbsetlabel-missing-entity": lambda h: h.post(action="wbsetlabel", id="Q999999", language="en", value="abc"),
    "wbsetlabel-unknown-language": lambda h: h.post(action="wbsetlabel", id=with_test_item(h), language="xx-fake",
                                                    value="abc"),
    "wbsetlabel-badtoken": lambda h: h.post(action="wbsetlabel", id="Q34537", language="en", value="abc",
                                            token="0123456789abcdef+\\"),
    "wbsetlabel-same-label-different-description": lambda h: (
        h.post(action="wbsetlabel", id="Q34541", language="pt-br", value="temporário"),
        h.post(action="wbsetlabel", id="Q34541", language="pt-br", value="avaliação"))[1],
    "wbeditentity-create": lambda h: h.post(action="wbeditentity", new="item", data=json.dumps(TEST_ITEM), bot=1),
    "wbeditentity-bad-baserevid": lambda h: h.post(action="wbeditentity", id=with_test_item(h), baserevid=999999,
                                                   data=_labels(en="x")),
    "wbeditentity-badtoken": lambda h: h.post(action="wbeditentity", id="Q34537", data="{}", token="bad+\\"),
    "wbeditentity-description-too-long": lambda h: h.post(
        action="wbeditentity", id=with_test_item(h),
        data=json.dumps({"descriptions": {"en": {"language": "en", "value": "y" * 251}}})),
    "wbeditentity-label-description-conflict": lambda h: h.post(
        action="wbeditentity", id=with_test_item(h),
        data=json.dumps({"labels": {"en": {"language": "en", "value": "organizational structure"}},
                         "descriptions": {"en": {"language": "en", "value": PEER_CAPACITIES[0][6]}}})),
    "wbeditentity-label-equals-description": lambda h: h.post(
        action="wbeditentity", id=with_test_item(h),
        data=json.dumps({"labels": {"de": {"language": "de", "value": "gleich"}},
                         "descriptions": {"de": {"language": "de", "value": "gleich"}}})),
    "wbeditentity-language-mismatch": lambda h: h.post(
        action="wbeditentity", id=with_test_item(h),
        data=json.dumps({"labels": {"es": {"language": "fr", "value": "abc"}}})),
    "wbeditentity-missing-entity": lambda h: h.post(action="wbeditentity", id="Q999999", data=_labels(en="abc")),
    "wbeditentity-unknown-language": lambda h: h.post(action="wbeditentity", id=with_test_item(h),
                                                      data=_labels(xx_fake="abc")),
    "wbeditentity-multi-terms": lambda h: h.post(
        action="wbeditentity", id="Q34538", baserevid=h.lastrevid("Q34538"), bot=1, data=MULTI),
    "wbeditentity-nochange": lambda h: (
        h.post(action="wbeditentity", id="Q34538", bot=1, data=MULTI),
        h.post(action="wbeditentity", id="Q34538", baserevid=h.lastrevid("Q34538"), bot=1, data=MULTI))[1],
    "wbeditentity-remove-term": lambda h: (
        h.post(action="wbeditentity", id="Q34538", bot=1, data=MULTI),
        h.post(action="wbeditentity", id="Q34538", bot=1, data=json.dumps(
            {"labels": {"fr": {"language": "fr", "remove": ""}},
             "descriptions": {"fr": {"language": "fr", "value": ""}}})))[1],
    "conflict-a-same-user-stale-wbsetlabel": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "es", "value": "elemento de prueba"},
        {"action": "wbsetlabel", "language": "en", "value": "peer test item A"}, peer_user="CapxBot"),
    "conflict-a2-same-user-stale-same-label": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "es", "value": "elemento de prueba 2"},
        {"action": "wbsetlabel", "language": "es", "value": "elemento de prueba 3"}, peer_user="CapxBot"),
    "conflict-b-other-user-other-language-wbsetlabel": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "de", "value": "Testobjekt"},
        {"action": "wbsetlabel", "language": "en", "value": "peer test item B"}),
    "conflict-b-other-user-other-language-wbeditentity": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "de", "value": "Testobjekt 2"},
        {"action": "wbeditentity", "data": json.dumps(
            {"labels": {"en": {"language": "en", "value": "peer test item C"},
                        "fr": {"language": "fr", "value": "objet de test"}},
             "descriptions": {"fr": {"language": "fr", "value": "un objet pour les tests"}}})},
        before=_EARLIER_LABELS),
    "conflict-c-other-user-same-label-wbsetlabel": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "en", "value": "changed by Peer2"},
        {"action": "wbsetlabel", "language": "en", "value": "changed by Admin"}),
    "conflict-c-other-user-same-label-wbeditentity": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "en", "value": "changed by Peer2 again"},
        {"action": "wbeditentity", "data": _labels(en="changed by Admin", it="oggetto")}),
    "conflict-c2-other-user-same-label-same-value": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "en", "value": "same final value"},
        {"action": "wbsetlabel", "language": "en", "value": "same final value"}),
    "conflict-d-other-user-description-vs-label": lambda h: _stale(
        h, {"action": "wbsetdescription", "language": "en", "value": "description changed by Peer2"},
        {"action": "wbsetlabel", "language": "en", "value": "label by Admin"}),
    "conflict-e-other-user-same-label-no-baserevid": lambda h: _stale(
        h, {"action": "wbsetlabel", "language": "en", "value": "label by Peer2 (e)"},
        {"action": "wbsetlabel", "language": "en", "value": "label by Admin (e)"}, base=False),
}
MULTI = json.dumps({"labels": {"es": {"language": "es", "value": "comunicación"},
                               "fr": {"language": "fr", "value": "communication"},
                               "pt-br": {"language": "pt-br", "value": "comunicação"}},
                    "descriptions": {"es": {"language": "es", "value": "El intercambio de información"},
                                     "fr": {"language": "fr", "value": "L'échange d'informations"}}})
#: Terms a conflict case must leave as the real wiki left them: (field, lang) taken from ``_after``.
AFTER_KEYS = {
    "conflict-a-same-user-stale-wbsetlabel": [("labels", "en"), ("labels", "es")],
    "conflict-a2-same-user-stale-same-label": [("labels", "es")],
    "conflict-b-other-user-other-language-wbsetlabel": [("labels", "de"), ("labels", "en")],
    "conflict-b-other-user-other-language-wbeditentity": [("labels", "de"), ("labels", "en"), ("labels", "fr"),
                                                          ("descriptions", "fr")],
    "conflict-c-other-user-same-label-wbsetlabel": [("labels", "en")],
    "conflict-c-other-user-same-label-wbeditentity": [("labels", "en")],
    "conflict-c2-other-user-same-label-same-value": [("labels", "en")],
    "conflict-d-other-user-description-vs-label": [("labels", "en"), ("descriptions", "en")],
    "conflict-e-other-user-same-label-no-baserevid": [("labels", "en")],
}


def _recording_dir(reference_dir: Path) -> Path:
    return reference_dir / "wikibase-responses"


def test_every_recording_is_replayed_or_owned_by_the_core(reference_dir: Path) -> None:
    names = {p.stem for p in _recording_dir(reference_dir).glob("*.json")}
    assert names, "no recordings found"
    assert names - CORE_CASES - set(SCENARIOS) == set()
    assert set(SCENARIOS) <= names


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_sandbox_answers_like_the_real_wikibase(name: str, reference_dir: Path) -> None:
    recorded = json.loads((_recording_dir(reference_dir) / f"{name}.json").read_text(encoding="utf-8"))
    h = peer_state()
    answer = SCENARIOS[name](h)
    assert answer.status == recorded["_http_status"]
    for header in HEADERS:
        assert answer.headers.get(header) == recorded["_headers"].get(header), header
    expected = recorded["response"]
    assert answer.error == (expected.get("error") or (expected.get("errors") or [{}])[0]).get("code")
    assert message_names(answer.body) == message_names(expected)
    if name == "wbcontentlanguages-term":
        assert answer.body == expected                      # the real list, byte for byte
    else:
        assert shape(answer.body) == shape(expected)
    for field, lang in AFTER_KEYS.get(name, []):
        item = max(h.repo.entity_ids("item"), key=lambda i: int(i[1:]))
        real = recorded["_after"][field].get(lang)
        assert h.terms(item).get((field, lang)) == real, (field, lang)
