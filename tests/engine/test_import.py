"""`capxl10n import`: translators' .po files back in, checked whole, recorded for plan and apply — never written."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polib
import pytest

from capxl10n.core.model import TermKey
from capxl10n.engine.state import open_state
from capxl10n.errors import EXIT_CONFLICTS, EXIT_ERROR, EXIT_OK, EXIT_USAGE
from plugins.world import BUNDLE, World

GROUP = f"messagebundle-{BUNDLE}"
LANG = "pt-br"


def directory(w: World) -> Any:
    with open_state(w.state) as state:
        return state.whole_directory()


def english(w: World, key: TermKey) -> str:
    return directory(w).terms[TermKey(key.qid, key.field, "en")].text


def missing(w: World, lang: str = LANG, count: int = 1) -> list[TermKey]:
    """Terms of ``lang`` the directory lacks (English present, no translation on either side)."""
    d = directory(w)
    found = [TermKey(k.qid, k.field, lang) for k in sorted(d.terms, key=TermKey.sort_key)
             if k.lang == "en" and TermKey(k.qid, k.field, lang) not in d.terms]
    assert len(found) >= count, f"the sandbox has fewer than {count} missing {lang} terms"
    return found[:count]


def translated(w: World, lang: str = LANG) -> TermKey:
    d = directory(w)
    return next(k for k in sorted(d.terms, key=TermKey.sort_key)
                if k.lang == lang and not d.terms[k].fuzzy and d.terms[k].side == "agreed")


def write_po(path: Path, entries: list[tuple[TermKey, str, str]], *, lang: str = LANG, fuzzy: set[TermKey] = frozenset(),
             headers: dict[str, str] | None = None) -> Path:
    """A .po as Translate exports one (and Poedit saves it): msgctxt = the full message key."""
    po = polib.POFile(wrapwidth=78)
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "pt_BR" if lang == "pt-br" else lang,
                   "X-Language-Code": lang, "X-Message-Group": GROUP, "X-Generator": "Poedit 3.4.2",
                   **(headers or {})}
    for key, msgid, msgstr in entries:
        po.append(polib.POEntry(msgctxt=f"{BUNDLE}/{key.message_key}", msgid=msgid, msgstr=msgstr,
                                flags=["fuzzy"] if key in fuzzy else []))
    po.save(str(path))
    return path


def run_import(w: World, *args: str) -> Any:
    return w.cli("--format", "json", "import", *args)


def plan_ops(w: World) -> list[dict[str, Any]]:
    out = w.tmp / "plan.json"
    result = w.cli("plan", "-o", str(out))
    assert result.exit_code in (0, 3, 4), result.output
    return json.loads(out.read_text(encoding="utf-8"))["operations"]


# -- the round trip -------------------------------------------------------------------------------
def test_imported_translations_are_planned_then_written_to_both_wikis(world: World) -> None:
    a, b = missing(world, count=2)
    path = write_po(world.tmp / "pt-br.po", [(a, english(world, a), "Tradução importada A"),
                                            (b, english(world, b), "Tradução importada B")])
    result = run_import(world, str(path))
    assert result.exit_code == EXIT_OK, result.output
    assert sorted(json.loads(result.output)["recorded"]) == sorted(f"{k.message_key}/{k.lang}" for k in (a, b))
    assert world.unit(a) is None, "import never writes to a wiki"

    ops = plan_ops(world)
    assert {(o["target"], o["qid"], o["field"], o["lang"]) for o in ops} == \
        {(t, k.qid, k.field, k.lang) for k in (a, b) for t in ("metabase", "metawiki")}
    assert all(o["reason"] == "translation imported from pt-br.po" for o in ops)

    assert world.cli("sync").exit_code == EXIT_OK
    for key, text in ((a, "Tradução importada A"), (b, "Tradução importada B")):
        assert world.unit(key).text == text
        assert world.metabase_text(key.qid, key.field, key.lang) == text
    with open_state(world.state) as state:
        assert state.conflicts(LANG) == [], "written on both sides: nothing waits in the inbox"


def test_outdated_and_fuzzy_entries(world: World) -> None:
    key, suggestion = missing(world, count=2)
    path = write_po(world.tmp / "pt-br.po", [(key, english(world, key), "Aceita"),
                                            (suggestion, english(world, suggestion), "Sugestão do Wikidata")],
                    fuzzy={suggestion})
    result = run_import(world, str(path))
    data = json.loads(result.output)
    assert result.exit_code == EXIT_OK and data["skipped_fuzzy"] == 1
    assert data["recorded"] == [f"{key.message_key}/{key.lang}"]
    again = run_import(world, "--include-fuzzy", str(path))
    data = json.loads(again.output)
    assert data["recorded"] == [f"{suggestion.message_key}/{suggestion.lang}"] and data["already_recorded"] == 1


def test_english_changed_since_the_file_was_made_is_a_conflict_not_a_write(world: World) -> None:
    key, other = missing(world, count=2)
    path = write_po(world.tmp / "pt-br.po", [(key, "Some older English", "Tradução"),
                                            (other, english(world, other), "Outra")])
    result = run_import(world, str(path))
    assert result.exit_code == EXIT_CONFLICTS
    data = json.loads(result.output)
    assert data["recorded"] == [f"{other.message_key}/{other.lang}"]
    assert [c["key"] for c in data["conflicts"]] == [f"{key.message_key}/{key.lang}"]
    assert "English changed" in data["conflicts"][0]["reason"]
    assert {o["qid"] for o in plan_ops(world)} == {other.qid}


def test_a_current_translation_the_file_does_not_show_was_seen_is_not_overwritten(world: World) -> None:
    key = translated(world)
    path = write_po(world.tmp / "pt-br.po", [(key, english(world, key), "Outro texto")])
    result = run_import(world, str(path))
    assert result.exit_code == EXIT_CONFLICTS
    assert "current translation" in json.loads(result.output)["conflicts"][0]["reason"]
    assert plan_ops(world) == []


def test_unchanged_entries_record_nothing(world: World) -> None:
    key = translated(world)
    text = directory(world).terms[key].text
    result = run_import(world, str(write_po(world.tmp / "pt-br.po", [(key, english(world, key), text)])))
    data = json.loads(result.output)
    assert result.exit_code == EXIT_OK and data["unchanged"] == 1 and data["recorded"] == []


def test_a_human_edit_after_the_import_makes_it_a_conflict_naming_the_imported_text(world: World) -> None:
    (key,) = missing(world)
    run_import(world, str(write_po(world.tmp / "pt-br.po", [(key, english(world, key), "Importada")])))
    world.peer.edit_unit(key, "Escrita no Meta-Wiki")
    result = world.cli("sync")
    assert result.exit_code == EXIT_CONFLICTS, result.output
    assert world.unit(key).text == "Escrita no Meta-Wiki"
    assert world.metabase_text(key.qid, key.field, key.lang) is None
    with open_state(world.state) as state:
        (entry,) = [c for c in state.conflicts(LANG) if c.key == key]
    assert entry.decision is None and "'Importada'" in entry.reason


# -- bad input: each refused whole, with file and line, non-zero exit, nothing recorded -------------------
def nothing_recorded(w: World) -> None:
    with open_state(w.state) as state:
        assert [c for c in state.conflicts() if c.decision is not None] == []


@pytest.mark.parametrize("name,body,code,match", [
    ("pt-br.po", b"this is not a po file\n", EXIT_ERROR, "not a .po line"),
    ("pt-br.po", 'msgid ""\nmsgstr "Language: pt_BR\\n"\n\nmsgid "a"\nmsgstr "Organiz'.encode(), EXIT_ERROR,
     "cut short"),
    ("pt-br.po", "msgid \"\"\nmsgstr \"\"\n\"Language: pt_BR\\n\"\n\nmsgid \"ação\"\nmsgstr \"\"\n".encode("latin-1"),
     EXIT_ERROR, "not UTF-8"),
])
def test_files_that_are_not_readable_po(world: World, name: str, body: bytes, code: int, match: str) -> None:
    path = world.tmp / name
    path.write_bytes(body)
    result = world.cli("import", str(path))
    assert result.exit_code == code and match in result.output and str(path) in result.output
    nothing_recorded(world)


def test_another_message_group_is_a_usage_error(world: World) -> None:
    (key,) = missing(world)
    path = write_po(world.tmp / "pt-br.po", [(key, english(world, key), "X")],
                    headers={"X-Message-Group": "messagebundle-Other"})
    result = world.cli("import", str(path))
    assert result.exit_code == EXIT_USAGE and "message group" in result.output
    nothing_recorded(world)


def test_headers_and_file_name_must_agree(world: World) -> None:
    (key,) = missing(world, "fr")
    path = write_po(world.tmp / "pt-br.po", [(key, english(world, key), "Traduction")], lang="fr")
    result = world.cli("import", str(path))
    assert result.exit_code == EXIT_ERROR and "the file name says pt-br, its headers say fr" in result.output
    nothing_recorded(world)


@pytest.mark.parametrize("defect,match", [
    ("unknown", "an unknown key"),
    ("duplicate", "the same key as line"),
    ("plural", "a plural entry"),
    ("not-ours", "is not a message key of"),
    ("bad-text", "msgstr contains"),
])
def test_bad_entries_refuse_the_whole_file(world: World, defect: str, match: str) -> None:
    good, other = missing(world, count=2)
    path = world.tmp / "pt-br.po"
    write_po(path, [(good, english(world, good), "Boa"), (other, english(world, other), "Outra")])
    po = polib.pofile(str(path))
    if defect == "unknown":
        po.append(polib.POEntry(msgctxt=f"{BUNDLE}/Q999999999-label", msgid="Nothing", msgstr="Nada"))
    elif defect == "duplicate":
        po.append(polib.POEntry(msgctxt=f"{BUNDLE}/{good.message_key}", msgid=english(world, good), msgstr="Dupla"))
    elif defect == "plural":
        po.append(polib.POEntry(msgctxt=f"{BUNDLE}/{other.message_key}", msgid="one", msgid_plural="many",
                                msgstr_plural={0: "um", 1: "muitos"}))
    elif defect == "not-ours":
        po.append(polib.POEntry(msgctxt="Other/page/Q1-label", msgid="x", msgstr="y"))
    else:
        po[1].msgstr = "Com \u0007 sino"
    po.save(str(path))
    result = world.cli("import", str(path))
    assert result.exit_code == EXIT_ERROR, result.output
    assert match in result.output and f"{path}:" in result.output
    nothing_recorded(world)


def test_obsolete_entries_poedit_keeps_are_ignored(world: World) -> None:
    (key,) = missing(world)
    path = write_po(world.tmp / "pt-br.po", [(key, english(world, key), "Viva")])
    with path.open("a", encoding="utf-8") as f:
        f.write('\n#~ msgctxt "Module:CapacityExchange/capacities.json/Q1-label"\n#~ msgid "Old"\n#~ msgstr "Velho"\n')
    data = json.loads(run_import(world, str(path)).output)
    assert data["obsolete"] == 1 and data["recorded"] == [f"{key.message_key}/{key.lang}"]


def test_one_refused_file_leaves_the_others_recorded(world: World) -> None:
    (key,) = missing(world)
    good = write_po(world.tmp / "pt-br.po", [(key, english(world, key), "Boa")])
    bad = world.tmp / "fr.po"
    bad.write_bytes(b"garbage\n")
    result = world.cli("import", str(bad), str(good))
    assert result.exit_code == EXIT_ERROR and "garbage" in result.output
    assert {o["qid"] for o in plan_ops(world)} == {key.qid}


def test_import_needs_a_synced_state(world: World, tmp_path: Path) -> None:
    result = world.cli("--state", str(tmp_path / "none.sqlite"), "import", str(tmp_path / "pt-br.po"))
    assert result.exit_code != 0 and "no state database" in result.output


def test_round_trip_through_our_export_takes_a_reviewed_translation_the_file_showed(world: World) -> None:
    """`export --only all` shows the current translations; a translator who changes one in Poedit
    changed what they saw: the import records it (the state remembers what the export showed)."""
    key = translated(world)
    out = world.tmp / "pt-br.po"
    assert world.cli("export", "--lang", LANG, "--only", "all", "-o", str(out)).exit_code == 0
    po = polib.pofile(str(out))
    entry = next(e for e in po if e.msgctxt == f"{BUNDLE}/{key.message_key}")
    entry.msgstr = "Revisada no Poedit"
    po.metadata["X-Generator"] = "Poedit 3.4.2"
    po.wrapwidth = 40  # Poedit rewraps
    po.save(str(out))
    data = json.loads(run_import(world, str(out)).output)
    assert data["recorded"] == [f"{key.message_key}/{key.lang}"] and data["conflicts"] == []
    assert world.cli("sync").exit_code == EXIT_OK
    assert world.unit(key).text == "Revisada no Poedit"
    assert world.metabase_text(key.qid, key.field, key.lang) == "Revisada no Poedit"


# -- the translation checks: an error refuses the file (with line and fix), a warning is reported ---------------
@pytest.mark.parametrize("text,rule", [
    ("Orçamento com $1", "message-syntax"),
    ("Logi\u0301stica de eventos", "not-nfc"),               # NFD, as some editors on macOS save it
    ("Assinado ~~~~", "pre-save-transform"),
    ("Com \u202e controle", "bidi-control"),
    ("Com {{PLURAL:$1|um|dois}}", "message-syntax"),
])
def test_a_translation_the_checks_refuse_refuses_the_file(world: World, text: str, rule: str) -> None:
    """Rules beyond what a wiki refuses outright (docs/checks.md): the merge would refuse them at plan time as a
    conflict far from the translator; the import names the line and the fix while Poedit is still open."""
    good, bad = missing(world, count=2)
    path = write_po(world.tmp / "pt-br.po", [(good, english(world, good), "Boa"), (bad, english(world, bad), text)])
    result = world.cli("import", str(path))
    assert result.exit_code == EXIT_ERROR, result.output
    assert f"{path}:" in result.output and f"{bad.message_key}: msgstr" in result.output
    assert f"({rule}); fix:" in result.output
    nothing_recorded(world)
    assert plan_ops(world) == []


def pt_label_of_a_missing_description(w: World) -> tuple[TermKey, str]:
    """A missing pt-br description whose capacity has a current pt-br label on Metabase, and that label."""
    for key in missing_all(w):
        if key.field != "description":
            continue
        label = w.metabase_text(key.qid, "label", LANG)
        if label:
            return key, label
    raise AssertionError("no missing pt-br description with a pt-br label on Metabase")


def missing_all(w: World) -> list[TermKey]:
    d = directory(w)
    return [TermKey(k.qid, k.field, LANG) for k in sorted(d.terms, key=TermKey.sort_key)
            if k.lang == "en" and TermKey(k.qid, k.field, LANG) not in d.terms]


def test_a_description_equal_to_its_label_refuses_the_file(world: World) -> None:
    key, label = pt_label_of_a_missing_description(world)
    path = write_po(world.tmp / "pt-br.po", [(key, english(world, key), label)])
    result = world.cli("import", str(path))
    assert result.exit_code == EXIT_ERROR and "(label-equals-description)" in result.output, result.output
    nothing_recorded(world)


def test_a_pair_another_capacity_holds_refuses_the_file(world: World) -> None:
    """Wikibase refuses a label + description pair another item has: checked on Metabase as the file's
    translations would leave it (here the file changes a label it showed and fills the description)."""
    key, _label = pt_label_of_a_missing_description(world)
    d = directory(world)
    other = next(k.qid for k in sorted(d.terms, key=TermKey.sort_key)
                 if k.lang == LANG and k.field == "label" and k.qid != key.qid
                 and world.metabase_text(k.qid, "label", LANG) and world.metabase_text(k.qid, "description", LANG))
    pair = (world.metabase_text(other, "label", LANG), world.metabase_text(other, "description", LANG))
    out = world.tmp / "pt-br.po"
    assert world.cli("export", "--lang", LANG, "--only", "all", "-o", str(out)).exit_code == EXIT_OK
    po = polib.pofile(str(out))
    entries = {e.msgctxt.rsplit("/", 1)[1]: e for e in po}
    entries[f"{key.qid}-label"].msgstr, entries[key.message_key].msgstr = pair
    po.save(str(out))
    result = world.cli("import", str(out))
    assert result.exit_code == EXIT_ERROR and "(label-description-conflict)" in result.output, result.output
    assert other in result.output
    nothing_recorded(world)


def test_warnings_are_reported_and_do_not_block(world: World) -> None:
    (key,) = missing(world)
    path = write_po(world.tmp / "pt-br.po", [(key, english(world, key), english(world, key) + "  ")])
    result = run_import(world, str(path))
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.output)
    assert data["recorded"] == [f"{key.message_key}/{key.lang}"]
    assert {w["rule"] for w in data["warnings"]} >= {"same-as-english", "outer-whitespace"}
    table = world.cli("import", str(path))  # the same text again: already recorded, no warning left to give
    assert table.exit_code == EXIT_OK and "already recorded" in table.output


def test_two_files_with_different_texts_for_one_term(world: World) -> None:
    """Two translators of one language at an event: the first file's text waits in the inbox; the second's
    is a conflict naming it and how to choose the other; the same text again is harmless."""
    (key,) = missing(world)
    ana = write_po(world.tmp / "ana-pt-br.po", [(key, english(world, key), "Texto da Ana")])
    bruno = write_po(world.tmp / "bruno-pt-br.po", [(key, english(world, key), "Texto do Bruno")])
    result = world.cli("import", str(ana), str(bruno))
    assert result.exit_code == EXIT_CONFLICTS, result.output
    assert "import ana-pt-br.po: 'Texto da Ana'" in result.output
    assert f"conflicts resolve {key.message_key} --lang {LANG} --text" in result.output
    assert world.cli("conflicts", "resolve", key.message_key, "--lang", LANG, "--text", "Texto do Bruno").exit_code == 0
    assert {o["new"] for o in plan_ops(world)} == {"Texto do Bruno"}
