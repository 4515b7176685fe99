"""Issue 19's "Done when", on the sandbox: the translators' round trip end to end, through the CLI.

``todo`` → ``pull`` (Wikidata) → ``export`` → the file edited with polib as Poedit saves it (rewrapped,
reordered, headers rewritten; two missing terms translated, an outdated one fixed, one Wikidata
suggestion accepted, another left fuzzy) → ``import`` (writes nothing) → ``plan`` shows exactly the
edited terms, each on both wikis → ``apply`` → both wikis hold them → ``coverage`` rises by exactly
that many on Metabase, on Meta-Wiki and in the catalogs → ``todo`` no longer lists them.
The same round trip on the real software: tests/realwiki/test_round_trip_peer.py.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polib
import pytest

from capxl10n.catalogs.translator import EXPORT_HEADER, SUGGESTION_MARK
from capxl10n.core.model import TermKey
from capxl10n.errors import EXIT_PENDING, EXIT_OK
from plugins.world import World, set_wikidata_term

pytestmark = pytest.mark.slow

LANG = "pt-br"
SIDES = ("metabase", "metawiki", "catalogs")


def todo_items(w: World) -> dict[str, dict[str, Any]]:
    """``todo --lang pt-br`` as JSON: its items by message key (checked against its counts)."""
    result = w.cli("-f", "json", "todo", "--lang", LANG)
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    items = {i["key"]: i for b in data["branches"] for i in b["items"]}
    assert data["counts"]["all"] == {s: sum(1 for i in items.values() if i["status"] == s)
                                     for s in ("missing", "outdated")}
    return items


def coverage(w: World) -> dict[str, dict[str, int]]:
    """``coverage --lang pt-br`` as JSON: per side, both fields together."""
    result = w.cli("-f", "json", "coverage", "--lang", LANG)
    assert result.exit_code == EXIT_OK, result.output
    rows = json.loads(result.stdout)["languages"]
    return {r["side"]: r["all"] for r in rows if r["lang"] == LANG}


def key_of(item: dict[str, Any]) -> TermKey:
    return TermKey(item["qid"], item["field"], LANG)


def poedit_save(path: Path, edit: Any) -> None:
    """Read ``path``, let ``edit`` change the entries, then save as Poedit 3.4 does: its own headers,
    another line width, entries in another order (Poedit keeps what it does not know, X- headers too)."""
    po = polib.pofile(str(path))
    edit({e.msgctxt.rsplit("/", 1)[1]: e for e in po})
    po.metadata.update({"Language": "pt_BR", "X-Generator": "Poedit 3.4.2",
                        "Last-Translator": "Ana Tradutora <ana@example.org>",
                        "Language-Team": "Portuguese (Brazil)", "PO-Revision-Date": "2026-11-07 15:42-0300"})
    entries = sorted(po, key=lambda e: e.msgid.casefold(), reverse=True)
    assert [e.msgctxt for e in entries] != [e.msgctxt for e in po], "the reordering changed nothing"
    po[:] = entries
    po.wrapwidth = 40  # Poedit wraps at 79 by default, our writer does not: either way the lines change
    po.save(str(path))


def test_translators_round_trip(world: World) -> None:
    # 1. what is left in pt-br
    before_todo = todo_items(world)
    missing = [i for i in before_todo.values() if i["status"] == "missing" and i["metabase_url"]]
    outdated = [i for i in before_todo.values() if i["status"] == "outdated" and i["metabase_url"]]
    assert len(missing) >= 4 and outdated, f"the sandbox's pt-br has too little to do: {before_todo}"
    by_hand, accepted, left_fuzzy, fixed = missing[:2], missing[2], missing[3], outdated[0]
    # the outdated translation is on Meta-Wiki only: outdated text is never copied to Metabase
    assert world.metabase_text(fixed["qid"], fixed["field"], LANG) is None
    assert world.unit(key_of(fixed)).fuzzy

    # 2. Wikidata: the seeded concepts have nothing for these terms in pt-br (nor in its fallbacks):
    #    give two concepts a pt-br text, as Wikidata's editors would, and read Wikidata
    for item, text in ((accepted, "Sugestão aceita do Wikidata"), (left_fuzzy, "Sugestão deixada como está")):
        set_wikidata_term(world.sb, item["qid"], item["field"], LANG, text)
    pulled = world.cli("pull")
    assert pulled.exit_code == EXIT_OK, pulled.output

    # 3. the file to translate
    out = world.tmp / "pt-br.po"
    exported = world.cli("-f", "json", "export", "--lang", LANG, "-o", str(out))
    assert exported.exit_code == EXIT_OK, exported.output
    summary = json.loads(exported.stdout)
    assert summary["counts"] == {"missing": len([i for i in before_todo.values() if i["status"] == "missing"]),
                                 "outdated": len([i for i in before_todo.values() if i["status"] == "outdated"]),
                                 "translated": 0, "suggestions": 2}
    po = polib.pofile(str(out))
    got = {e.msgctxt.rsplit("/", 1)[1]: e for e in po}
    assert list(got) == list(before_todo), "the export holds what todo lists, in its order"
    for item, text in ((accepted, "Sugestão aceita do Wikidata"), (left_fuzzy, "Sugestão deixada como está")):
        entry = got[item["key"]]
        assert (entry.msgstr, entry.fuzzy) == (text, True) and SUGGESTION_MARK in entry.tcomment
    assert got[fixed["key"]].fuzzy and got[fixed["key"]].msgstr == fixed["outdated_text"]
    export_id = po.metadata[EXPORT_HEADER]

    # 4. translated offline, saved by Poedit
    texts = {by_hand[0]["key"]: "Planejamento de orçamentos anuais em escolas e universidades",
             by_hand[1]["key"]: "Como documentar a logística de eventos para que outras pessoas aprendam",
             accepted["key"]: "Sugestão aceita do Wikidata",
             fixed["key"]: "Aprendizagem e avaliação (revisada)"}

    def translate(entries: dict[str, polib.POEntry]) -> None:
        for item in by_hand:
            entries[item["key"]].msgstr = texts[item["key"]]
        entries[accepted["key"]].flags.remove("fuzzy")      # the suggestion, read and accepted as it is
        entry = entries[fixed["key"]]
        entry.msgstr, entry.previous_msgid = texts[fixed["key"]], None
        entry.flags.remove("fuzzy")                          # Poedit drops #| msgid with the fuzzy mark

    poedit_save(out, translate)
    saved = out.read_text(encoding="utf-8")
    assert "X-Generator: Poedit 3.4.2" in saved and f"{EXPORT_HEADER}: {export_id}" in saved
    edited = [by_hand[0], by_hand[1], accepted, fixed]
    keys = {key_of(i) for i in edited}

    # 5. import: recorded, nothing written
    writes = world.bot_revisions()
    imported = world.cli("-f", "json", "import", str(out))
    assert imported.exit_code == EXIT_OK, imported.output
    data = json.loads(imported.stdout)
    assert sorted(data["recorded"]) == sorted(f"{i['key']}/{LANG}" for i in edited)
    left_alone = len(before_todo) - len(edited)  # the suggestion left fuzzy and the other outdated texts
    assert (data["skipped_fuzzy"], data["conflicts"], data["unchanged"]) == (left_alone, [], 0)
    assert world.bot_revisions() == writes, "import never writes to a wiki"

    # 6. plan: exactly the edited terms, each on both wikis, with the translators' texts
    plan = world.tmp / "plan.json"
    planned = world.cli("plan", "-o", str(plan))
    assert planned.exit_code == EXIT_PENDING, planned.output
    ops = json.loads(plan.read_text(encoding="utf-8"))["operations"]
    assert sorted((o["target"], o["qid"], o["field"], o["lang"]) for o in ops) == sorted(
        (t, k.qid, k.field, k.lang) for k in keys for t in ("metabase", "metawiki"))
    assert {(o["qid"], o["field"]): o["new"] for o in ops} == {(i["qid"], i["field"]): texts[i["key"]]
                                                               for i in edited}
    assert all(o["action"] == "set" and o["reason"] == "translation imported from pt-br.po" for o in ops)
    before = coverage(world)

    # 7. apply: both wikis hold them, current (not outdated)
    applied = world.cli("apply", str(plan))
    assert applied.exit_code == EXIT_OK, applied.output
    for item in edited:
        key = key_of(item)
        unit = world.unit(key)
        assert (unit.text, unit.fuzzy) == (texts[item["key"]], False), item["key"]
        assert world.metabase_text(key.qid, key.field, LANG) == texts[item["key"]], item["key"]
    assert world.metabase_text(left_fuzzy["qid"], left_fuzzy["field"], LANG) is None
    assert world.unit(key_of(left_fuzzy)) is None, "a suggestion left fuzzy goes nowhere"

    # 8. coverage rises by exactly the edited terms on every side; the fixed one is no longer outdated
    after = coverage(world)
    edited_missing = len(edited) - 1
    for side in SIDES:
        b, a = before[side], after[side]
        assert a["total"] == b["total"] and a["translated"] == b["translated"] + len(edited), (side, b, a)
        if side == "metabase":  # no outdated state; the outdated term was absent there
            assert (a["fuzzy"], a["missing"]) == (0, b["missing"] - len(edited)), (side, b, a)
        else:
            assert (a["fuzzy"], a["missing"]) == (b["fuzzy"] - 1, b["missing"] - edited_missing), (side, b, a)

    # 9. the to-do list no longer has them; what was left is still there
    after_todo = todo_items(world)
    assert set(after_todo) == set(before_todo) - {i["key"] for i in edited}
    assert after_todo[left_fuzzy["key"]]["status"] == "missing"
    # and a new plan has nothing to write: the round trip left both wikis in step
    again = world.cli("plan", "-o", str(world.tmp / "plan-again.json"))
    assert again.exit_code == EXIT_OK and "0 change(s)" in again.output, again.output
    print(f"\nround trip: {len(edited)} terms edited; coverage before {before}, after {after}")
