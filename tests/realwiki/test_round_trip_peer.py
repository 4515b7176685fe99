"""Issue 19's translators' round trip on the real software (MediaWiki 1.39 + Translate + Wikibase).

The sandbox's round trip (tests/catalogs/test_translator_round_trip.py), through the CLI, on the peer: two new
capacities created on Metabase by a human and an English change on an existing one give pt-br four
missing terms and one outdated one; ``todo`` lists them; ``export`` writes the file (the peer has no
Wikidata, so the suggestions come from a Wikidata read given with ``--wikidata``, as the docs say);
the file is edited with polib as Poedit saves it; ``import`` records, ``plan`` shows exactly the edited
terms on both sides, ``apply`` writes them, the real wiki holds them (Translate's units current, not
fuzzy; Wikibase's terms), ``coverage`` rises by exactly that many and ``todo`` no longer lists them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polib
import pytest

from capxl10n.catalogs.translator import EXPORT_HEADER, SUGGESTION_MARK
from capxl10n.core.model import Snapshot, Term, TermKey
from realwiki.test_e2e_peer import World

pytestmark = [pytest.mark.realwiki, pytest.mark.slow]

LANG = "pt-br"
SIDES = ("metabase", "metawiki", "catalogs")
#: Two capacities a human adds to Metabase (their concepts' QIDs are made up: the peer has no Wikidata).
NEW = {"Q9100000101": ("peer review", "Reviewing other volunteers' articles and giving useful feedback"),
       "Q9100000102": ("mentoring", "Guiding newcomers through their first months of editing")}
#: The seeded capacity whose English label a human changes: Translate outdates its pt-br translation.
CHANGED = "Q759524"


def item_value(item: str) -> dict[str, Any]:
    return {"value": {"entity-type": "item", "numeric-id": int(item[1:]), "id": item}, "type": "wikibase-entityid"}


def statement(prop: str, datavalue: dict[str, Any]) -> dict[str, Any]:
    return {"mainsnak": {"snaktype": "value", "property": prop, "datavalue": datavalue},
            "type": "statement", "rank": "normal"}


def create_capacity(world: World, qid: str, label: str, description: str) -> str:
    """A capacity item shaped like Metabase's (P5 = Q34531, P67 → an index term with P1 = the QID), by Peer2."""
    index = world.other.write("wbeditentity", new="item", bot=True, data=json.dumps({
        "labels": {"en": {"language": "en", "value": f"{label} (index term)"}},
        "claims": [statement("P1", {"value": qid, "type": "string"})]}))
    assert index.code is None, index.body
    index_id = index["entity"]["id"]
    made = world.other.write("wbeditentity", new="item", bot=True, data=json.dumps({
        "labels": {"en": {"language": "en", "value": label}},
        "descriptions": {"en": {"language": "en", "value": description}},
        "claims": [statement("P5", item_value(world.seed["class"])), statement("P67", item_value(index_id))]}))
    assert made.code is None, made.body
    item: str = made["entity"]["id"]
    world.items[qid] = item
    return item


def cli_json(world: World, *args: str, codes: tuple[int, ...] = (0,)) -> Any:
    result = world.cli("-f", "json", *args)
    assert result.returncode in codes, f"{args}: exit {result.returncode}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
    return json.loads(result.stdout)


def todo_items(world: World) -> dict[str, dict[str, Any]]:
    data = cli_json(world, "todo", "--lang", LANG)
    return {i["key"]: i for b in data["branches"] for i in b["items"]}


def coverage(world: World) -> dict[str, dict[str, int]]:
    rows = cli_json(world, "coverage", "--lang", LANG)["languages"]
    return {r["side"]: r["all"] for r in rows if r["lang"] == LANG}


def poedit_save(path: Path, edit: Any) -> None:
    """As in the sandbox's round trip: Poedit's headers, another width, another order."""
    po = polib.pofile(str(path))
    edit({e.msgctxt.rsplit("/", 1)[1]: e for e in po})
    po.metadata.update({"Language": "pt_BR", "X-Generator": "Poedit 3.4.2",
                        "Last-Translator": "Ana Tradutora <ana@example.org>",
                        "Language-Team": "Portuguese (Brazil)", "PO-Revision-Date": "2026-11-07 15:42-0300"})
    po[:] = sorted(po, key=lambda e: e.msgid.casefold(), reverse=True)
    po.wrapwidth = 40
    po.save(str(path))


@pytest.fixture(scope="module")
def world(peer: Any, tmp_path_factory: pytest.TempPathFactory) -> World:
    peer.reset()
    w = World(peer, tmp_path_factory.mktemp("round-trip-peer"))
    code, outcome, _ = w.sync()
    assert code == 0, outcome
    return w


def test_translators_round_trip_on_the_real_software(world: World) -> None:
    # pt-br has work to do: two new capacities (four missing terms) and one English change (outdated)
    for qid, (label, description) in NEW.items():
        create_capacity(world, qid, label, description)
    code, outcome, _ = world.sync()  # the new keys go into the bundle
    assert code == 0, outcome
    old_translation = world.wb_terms(CHANGED)[0][LANG]
    assert world.other.write("wbsetlabel", id=world.items[CHANGED], language="en",
                             value="organizational structure and governance").code is None
    code, outcome, _ = world.sync()
    assert code == 0, outcome
    assert "fuzzy" in (world.mc(LANG)[f"{CHANGED}-label"].get("tags") or []), "Translate outdated it"

    new_keys = [f"{qid}-{field}" for qid in NEW for field in ("label", "description")]
    before_todo = todo_items(world)
    assert {k: i["status"] for k, i in before_todo.items()} == {
        **dict.fromkeys(new_keys, "missing"), f"{CHANGED}-label": "outdated"}
    by_hand = [before_todo[k] for k in new_keys[:2]]
    accepted, left_fuzzy = before_todo[new_keys[2]], before_todo[new_keys[3]]
    fixed = before_todo[f"{CHANGED}-label"]
    assert fixed["outdated_text"] == old_translation and fixed["previous_english"] == "organizational structure"

    # the export, with suggestions from a Wikidata read (the peer has no Wikidata)
    second = list(NEW)[1]
    wikidata = world.tmp / "wikidata.json"
    wikidata.write_text(Snapshot("wikidata", (), {
        TermKey(second, "label", LANG): Term("mentoria", side="wikidata"),
        TermKey(second, "description", "pt"): Term("acompanhamento de novatos", side="wikidata"),
    }).dumps(), encoding="utf-8")
    out = world.tmp / "pt-br.po"
    summary = cli_json(world, "export", "--lang", LANG, "--wikidata", str(wikidata), "-o", str(out))
    assert summary["counts"] == {"missing": 4, "outdated": 1, "translated": 0, "suggestions": 2}
    got = {e.msgctxt.rsplit("/", 1)[1]: e for e in polib.pofile(str(out))}
    assert list(got) == list(before_todo)
    for item, text in ((accepted, "mentoria"), (left_fuzzy, "acompanhamento de novatos")):
        assert (got[item["key"]].msgstr, got[item["key"]].fuzzy) == (text, True)
        assert SUGGESTION_MARK in got[item["key"]].tcomment
    assert got[fixed["key"]].fuzzy and got[fixed["key"]].previous_msgid == "organizational structure"

    texts = {by_hand[0]["key"]: "revisão por pares",
             by_hand[1]["key"]: "Revisar artigos de outros voluntários e dar retornos úteis",
             accepted["key"]: "mentoria",
             fixed["key"]: "estrutura organizacional e governança"}

    def translate(entries: dict[str, polib.POEntry]) -> None:
        for item in by_hand:
            entries[item["key"]].msgstr = texts[item["key"]]
        entries[accepted["key"]].flags.remove("fuzzy")
        entry = entries[fixed["key"]]
        entry.msgstr, entry.previous_msgid = texts[fixed["key"]], None
        entry.flags.remove("fuzzy")

    poedit_save(out, translate)
    assert EXPORT_HEADER in polib.pofile(str(out)).metadata
    edited = [*by_hand, accepted, fixed]

    # import: recorded, nothing written to the wiki
    requests_before = world.peer.request_count()
    data = cli_json(world, "import", str(out))
    assert sorted(data["recorded"]) == sorted(f"{i['key']}/{LANG}" for i in edited)
    assert (data["skipped_fuzzy"], data["conflicts"]) == (1, [])
    assert world.peer.request_count() == requests_before, "import sends no request at all"

    # plan: exactly the edited terms, each on both sides
    plan = world.tmp / "plan.json"
    planned = world.cli("plan", "-o", str(plan))
    assert planned.returncode == 4, planned.stdout + planned.stderr
    ops = json.loads(plan.read_text(encoding="utf-8"))["operations"]
    assert sorted((o["target"], o["qid"], o["field"], o["lang"]) for o in ops) == sorted(
        (t, i["qid"], i["field"], LANG) for i in edited for t in ("metabase", "metawiki"))
    assert {(o["qid"], o["field"]): o["new"] for o in ops} == {(i["qid"], i["field"]): texts[i["key"]]
                                                               for i in edited}
    before = coverage(world)

    # apply: the real wiki holds them
    applied = world.cli("apply", str(plan))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    collection = world.mc(LANG)
    for item in edited:
        unit = collection[item["key"]]
        assert unit["translation"] == texts[item["key"]], item["key"]
        assert "fuzzy" not in (unit.get("tags") or []), item["key"]
        labels, descriptions = world.wb_terms(item["qid"])
        assert (labels if item["field"] == "label" else descriptions).get(LANG) == texts[item["key"]]
    assert collection[left_fuzzy["key"]].get("translation") is None, "a suggestion left fuzzy goes nowhere"
    assert LANG not in world.wb_terms(second)[1]

    # coverage: Meta-Wiki and the catalogs gain all four (the outdated one is current again); Metabase,
    # which has no outdated state and kept the old translation, gains the three that were missing
    after = coverage(world)
    for side in SIDES:
        b, a = before[side], after[side]
        gained = 3 if side == "metabase" else 4
        assert (a["total"], a["translated"]) == (b["total"], b["translated"] + gained), (side, b, a)
        assert a["missing"] == b["missing"] - 3, (side, b, a)
        assert a["fuzzy"] == (0 if side == "metabase" else b["fuzzy"] - 1), (side, b, a)
    print(f"\nreal-wiki round trip: {len(edited)} terms edited; coverage before {before}, after {after}")

    # the to-do list keeps only what was left; the next sync has nothing to write
    assert {k: i["status"] for k, i in todo_items(world).items()} == {left_fuzzy["key"]: "missing"}
    code, outcome, _ = world.sync()
    assert code == 0 and outcome["plan"]["summary"]["operations"] == 0, outcome


def test_previous_english_known_when_one_sync_adds_keys_and_changes_english(peer_reset: Any,
                                                                           tmp_path: Path) -> None:
    """Found by the round trip: a new capacity and an English change in one sync. The new keys made the
    sync read Meta-Wiki again in full, and the cached read it learns the replaced English from was dropped:
    the outdated pt-br translation had no "made from" English in todo and no ``#| msgid`` in the export."""
    world = World(peer_reset, tmp_path)
    assert world.sync()[0] == 0
    for qid, (label, description) in NEW.items():
        create_capacity(world, qid, label, description)
    assert world.other.write("wbsetlabel", id=world.items[CHANGED], language="en",
                             value="organizational structure and governance").code is None
    assert world.sync()[0] == 0
    fixed = todo_items(world)[f"{CHANGED}-label"]
    assert (fixed["status"], fixed["previous_english"]) == ("outdated", "organizational structure")
