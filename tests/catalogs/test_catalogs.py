"""Catalogs: .pot/.po/.mo and banana JSON from a snapshot; atomic writes; --check; bad input."""
from __future__ import annotations

import gettext
import json
import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import polib
import pytest
from click.testing import CliRunner, Result

from capxl10n.catalogs.build import CatalogOptions, build_catalogs, check_catalogs
from capxl10n.cli.main import main
from capxl10n.errors import CatalogError, DataError
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from plugins.catalog_samples import small_snapshot, tree_bytes
from plugins.common import need_tool

BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"


@pytest.fixture()
def snap() -> Snapshot:
    return small_snapshot(previous_source={"*": {"Q11024-label": "communication"}})


@pytest.fixture()
def built(tmp_path: Path, snap: Snapshot) -> Path:
    out = tmp_path / "catalogs"
    build_catalogs(snap, out)
    return out


# -- layout and determinism ---------------------------------------------------------------------------
def test_layout(built: Path) -> None:
    files = set(tree_bytes(built))
    assert {"capacities.pot", "pt_BR/LC_MESSAGES/capacities.po", "pt_BR/LC_MESSAGES/capacities.mo",
            "ar/LC_MESSAGES/capacities.po", "zh_Hans/LC_MESSAGES/capacities.po", "pt/LC_MESSAGES/capacities.po",
            "json/en.json", "json/pt-br.json", "json/index.json", "directory.json"} <= files
    assert not any(name.startswith(("en/", "qqq/")) for name in files)
    assert "json/qqq.json" in files  # the sample documents its messages: banana's documentation file


def test_byte_identical_rebuild(tmp_path: Path, snap: Snapshot) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build_catalogs(snap, a)
    build_catalogs(Snapshot.loads(snap.dumps()), b)  # round trip through JSON: same input
    assert tree_bytes(a) == tree_bytes(b)
    first = tree_bytes(a)
    result = build_catalogs(snap, a)
    assert result.written == () and tree_bytes(a) == first


def test_no_run_timestamps_dates_come_from_the_snapshot(built: Path) -> None:
    header = polib.pofile(str(built / "pt_BR/LC_MESSAGES/capacities.po")).metadata
    assert header["POT-Creation-Date"] == "2025-11-02 10:00:00+0000"   # newest English term
    assert header["PO-Revision-Date"] == "2025-11-03 09:00:00+0000"    # newest pt-br term
    ar = polib.pofile(str(built / "ar/LC_MESSAGES/capacities.po")).metadata
    assert "PO-Revision-Date" not in ar                                # no timestamps known: left out


# -- .po content ---------------------------------------------------------------------------------------
def test_po_headers_like_translate_export(built: Path) -> None:
    meta = polib.pofile(str(built / "pt_BR/LC_MESSAGES/capacities.po")).metadata
    assert meta["Language"] == "pt-BR"
    assert meta["X-Language-Code"] == "pt-br"
    assert meta["X-Message-Group"] == GROUP
    assert meta["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Content-Transfer-Encoding"] == "8bit"
    assert re.fullmatch(r"capxl10n \S+", meta["X-Generator"])
    assert polib.pofile(str(built / "zh_Hans/LC_MESSAGES/capacities.po")).metadata["Language"] == "zh-Hans"


def test_po_entries_order_context_and_fuzzy(built: Path) -> None:
    po = polib.pofile(str(built / "pt_BR/LC_MESSAGES/capacities.po"))
    keys = [e.msgctxt.rsplit("/", 1)[1] for e in po]
    # tree order (roots as given, children after their root), label before description; Q4 has no English
    assert keys == ["Q759524-label", "Q759524-description", "Q3-label", "Q3-description",
                    "Q11024-label", "Q11024-description"]
    by_key = {e.msgctxt: e for e in po}
    label = by_key[f"{BUNDLE}/Q759524-label"]
    assert (label.msgid, label.msgstr, label.fuzzy) == ("organizational structure", "estrutura da organização",
                                                        False)
    fuzzy = by_key[f"{BUNDLE}/Q11024-label"]
    assert fuzzy.fuzzy and fuzzy.msgstr == "comunicação" and fuzzy.previous_msgid == "communication"
    assert by_key[f"{BUNDLE}/Q3-label"].msgstr == ""  # pt has it, but a .po holds only its own language


def test_extracted_comments(built: Path) -> None:
    po = polib.pofile(str(built / "pt_BR/LC_MESSAGES/capacities.po"))
    by_key = {e.msgctxt.rsplit("/", 1)[1]: e for e in po}
    root = by_key["Q759524-label"].comment.splitlines()
    assert root[:2] == ["[Wiki] Name of a capacity: a root.", "[Wiki] Second line."]
    assert "Path: organizational structure" in root and "Metabase: Q100" in root
    assert 'Description: How groups "organize" \\ themselves' in root
    child = by_key["Q3-description"].comment.splitlines()
    assert "Path: organizational structure › event planning" in child and "Metabase: Q102" in child
    assert not any(line.startswith("Description:") for line in child)


def test_structure_matches_real_translate_export(reference_dir: Path, built: Path) -> None:
    """Our pt-br file and Translate's real export parse to the same kinds of entries and headers."""
    real = polib.pofile(str(reference_dir / "translate-responses/export-pt-br.po"))
    ours = polib.pofile(str(built / "pt_BR/LC_MESSAGES/capacities.po"))
    for po in (real, ours):
        assert all(e.msgctxt and e.msgctxt.startswith(BUNDLE + "/") for e in po)
        assert all(re.fullmatch(r"Q\d+-(label|description)", e.msgctxt[len(BUNDLE) + 1:]) for e in po)
        assert any(e.fuzzy for e in po) and any(e.translated() for e in po)
    for name in ("Language", "X-Language-Code", "X-Message-Group", "Plural-Forms", "Content-Type",
                 "Content-Transfer-Encoding"):
        assert ours.metadata[name] == real.metadata[name], name
    doc_real = [c for e in real for c in e.comment.splitlines() if c.startswith("[Wiki] ")]
    doc_ours = [c for e in ours for c in e.comment.splitlines() if c.startswith("[Wiki] ")]
    assert doc_real and doc_ours


def test_pot_has_every_entry_untranslated(built: Path) -> None:
    pot = polib.pofile(str(built / "capacities.pot"))
    assert len(pot) == 6 and all(e.msgstr == "" for e in pot)
    assert "Language" not in pot.metadata and pot.metadata["X-Message-Group"] == GROUP


# -- .mo ----------------------------------------------------------------------------------------------
def test_mo_loads_with_gettext_and_excludes_fuzzy(built: Path) -> None:
    tr = gettext.translation("capacities", str(built), ["pt_BR"])
    assert tr.pgettext(f"{BUNDLE}/Q759524-label", "organizational structure") == "estrutura da organização"
    assert tr.pgettext(f"{BUNDLE}/Q11024-label", "communications") == "communications"  # fuzzy: not used
    assert tr.pgettext(f"{BUNDLE}/Q11024-description", "The exchange of information") == "A troca de informações"
    ar = gettext.translation("capacities", str(built), ["ar"])
    assert ar.ngettext("x", "y", 2) == "y"  # Arabic plural header compiles
    assert ar.pgettext(f"{BUNDLE}/Q3-description", "Planning events 🎉") == "Planning events 🎉"


def test_mo_same_catalog_as_msgfmt(tmp_path: Path, built: Path) -> None:
    msgfmt = need_tool("msgfmt")
    po = built / "pt_BR/LC_MESSAGES/capacities.po"
    subprocess.run([msgfmt, "-o", str(tmp_path / "ref.mo"), str(po)], check=True)
    ours = gettext.GNUTranslations(open(built / "pt_BR/LC_MESSAGES/capacities.mo", "rb"))._catalog  # type: ignore
    ref = gettext.GNUTranslations(open(tmp_path / "ref.mo", "rb"))._catalog  # type: ignore[attr-defined]
    assert {k: v for k, v in ours.items() if k != ""} == {k: v for k, v in ref.items() if k != ""}


# -- JSON ---------------------------------------------------------------------------------------------
def test_json_fallback_and_provenance(built: Path) -> None:
    text = (built / "json/pt-br.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data)[0] == "@metadata" and text.endswith("}\n") and "\n\t\"" in text
    meta = data["@metadata"]
    assert meta["fallbacks"] == ["pt", "en"] and meta["bcp47"] == "pt-BR" and meta["dir"] == "ltr"
    assert meta["authors"] == ["Ana"]
    prov = meta["provenance"]
    assert data["Q759524-label"] == "estrutura da organização" and prov["Q759524-label"] == {
        "lang": "pt-br", "side": "metawiki", "fuzzy": False}
    # fuzzy pt-br skipped -> English, flagged
    assert data["Q11024-label"] == "communications" and prov["Q11024-label"]["lang"] == "en"
    assert prov["Q11024-label"]["fuzzy"] is True
    # pt-br missing -> pt
    assert data["Q3-label"] == "planeamento de eventos" and prov["Q3-label"]["lang"] == "pt"
    # no English, but pt-br has it: the app still gets it
    assert data["Q4-label"] == "sem inglês" and "Q4-description" not in data
    assert set(prov) == set(data) - {"@metadata"}


def test_json_rtl_and_index(built: Path) -> None:
    ar = json.loads((built / "json/ar.json").read_text(encoding="utf-8"))
    assert ar["@metadata"]["dir"] == "rtl"
    assert ar["Q3-description"] == "Planning events 🎉"  # fuzzy Arabic skipped
    index = json.loads((built / "json/index.json").read_text(encoding="utf-8"))
    entries = {e["code"]: e for e in index["languages"]}
    assert set(entries) == {"en", "pt-br", "pt", "ar", "zh-hans"}
    for code, entry in entries.items():
        file_meta = json.loads((built / "json" / entry["file"]).read_text(encoding="utf-8"))["@metadata"]
        assert entry["hash"] == file_meta["hash"]
    assert entries["pt-br"]["coverage"]["all"] == {"total": 6, "translated": 2, "fuzzy": 1, "missing": 3,
                                                   "percent": 33.3}
    assert "coverage" not in entries["en"] and entries["ar"]["autonym"]


def test_json_hash_changes_with_content(tmp_path: Path, snap: Snapshot) -> None:
    build_catalogs(snap, tmp_path / "a")
    changed = snap.with_terms({TermKey("Q3", "label", "pt-br"): Term("planejamento de eventos")})
    build_catalogs(changed, tmp_path / "b")
    h = [json.loads((tmp_path / d / "json/pt-br.json").read_text())["@metadata"]["hash"] for d in "ab"]
    assert h[0] != h[1]
    same = [json.loads((tmp_path / d / "json/de.json").read_text())["@metadata"]["hash"]
            if (tmp_path / d / "json/de.json").exists() else None for d in "ab"]
    assert same[0] == same[1]


# -- check --------------------------------------------------------------------------------------------
def test_check_clean_stale_missing_extra(tmp_path: Path, snap: Snapshot, built: Path) -> None:
    assert check_catalogs(snap, built).ok
    (built / "json/ar.json").write_bytes((built / "json/ar.json").read_bytes().replace(b"rtl", b"ltr"))
    (built / "pt/LC_MESSAGES/capacities.mo").unlink()
    result = check_catalogs(snap, built)
    assert not result.ok
    assert result.differ == ("json/ar.json",) and result.missing == ("pt/LC_MESSAGES/capacities.mo",)
    fewer = Snapshot(snap.side, snap.capacities, {k: t for k, t in snap.terms.items() if k.lang != "zh-hans"})
    build_catalogs(snap, built)
    extra = check_catalogs(fewer, built)
    assert "zh_Hans/LC_MESSAGES/capacities.po" in extra.extra and "json/zh-hans.json" in extra.extra
    removed = build_catalogs(fewer, built).removed
    assert "json/zh-hans.json" in removed and not (built / "zh_Hans/LC_MESSAGES/capacities.po").exists()
    assert check_catalogs(fewer, built).ok


def test_check_writes_nothing(tmp_path: Path, snap: Snapshot) -> None:
    result = check_catalogs(snap, tmp_path / "none")
    assert not result.ok and "capacities.pot" in result.missing and not (tmp_path / "none").exists()


# -- bad input and faults ----------------------------------------------------------------------------
def test_foreign_po_is_refused_and_nothing_written(tmp_path: Path, snap: Snapshot, built: Path) -> None:
    before = tree_bytes(built)
    foreign = built / "pt_BR/LC_MESSAGES/capacities.po"
    foreign.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                       '"X-Generator: Poedit 3.4\\n"\n\nmsgid "a"\nmsgstr "b"\n', encoding="utf-8")
    before["pt_BR/LC_MESSAGES/capacities.po"] = foreign.read_bytes()
    changed = snap.with_terms({TermKey("Q3", "label", "ar"): Term("جديد")})
    with pytest.raises(CatalogError) as err:
        build_catalogs(changed, built)
    assert "pt_BR/LC_MESSAGES/capacities.po" in err.value.message and err.value.hint
    assert tree_bytes(built) == before  # the ar change was not written either
    assert not list(built.rglob("*.tmp"))


def test_po_of_another_message_group_is_refused(tmp_path: Path, snap: Snapshot, built: Path) -> None:
    other = CatalogOptions(message_group="messagebundle-Module:Other.json")
    with pytest.raises(CatalogError, match="Other.json|capacities.json"):
        build_catalogs(snap.with_terms({TermKey("Q3", "label", "ar"): Term("x")}), built, other)


def test_failure_midway_leaves_existing_catalogs_untouched(tmp_path: Path, snap: Snapshot, built: Path) -> None:
    before = tree_bytes(built)
    blocker = built / "zh_Hans"
    for path in sorted(blocker.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    blocker.rmdir()
    blocker.write_text("not a directory")  # zh-hans's .po cannot be written (after pt-br, ar… were)
    before = tree_bytes(built)
    changed = Snapshot(snap.side, snap.capacities,
                       {**snap.terms, TermKey("Q3", "label", "pt-br"): Term("novo"),
                        TermKey("Q3", "label", "zh-hans"): Term("新")})
    with pytest.raises(CatalogError) as err:
        build_catalogs(changed, built)
    assert err.value.hint and "writable" in err.value.hint
    assert tree_bytes(built) == before
    assert not [p for p in built.rglob("*") if p.name.endswith(".tmp")]


def test_out_is_a_file(tmp_path: Path, snap: Snapshot) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(CatalogError, match="is a file"):
        build_catalogs(snap, target)


def test_unwritable_directory(tmp_path: Path, snap: Snapshot) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; covered by the not-a-directory cases")
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(CatalogError, match="cannot write"):
            build_catalogs(snap, out)
    finally:
        out.chmod(0o700)


def test_unknown_language_in_snapshot(tmp_path: Path, snap: Snapshot) -> None:
    bad = snap.with_terms({TermKey("Q3", "label", "xx-nope"): Term("?")})
    with pytest.raises(DataError, match="xx-nope"):
        build_catalogs(bad, tmp_path / "c")
    assert not (tmp_path / "c").exists()


# -- CLI ----------------------------------------------------------------------------------------------
def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_build_and_check(tmp_path: Path, snap: Snapshot) -> None:
    path = tmp_path / "snap.json"
    path.write_text(snap.dumps(), encoding="utf-8")
    out = tmp_path / "cat"
    res = run("catalogs", "--snapshot", str(path), "--out", str(out))
    assert res.exit_code == 0, res.stderr
    assert run("catalogs", "--snapshot", str(path), "--out", str(out), "--check").exit_code == 0
    (out / "json/pt.json").unlink()
    res = run("-f", "json", "catalogs", "--snapshot", str(path), "--out", str(out), "--check")
    assert res.exit_code == 1 and json.loads(res.stdout)["missing"] == ["json/pt.json"]
    assert "out of date" in res.stderr


@pytest.mark.parametrize("content, where", [
    ('{"format": "capxl10n-snapshot/1", "capacities": [', "line 1 column"),
    ('{"format": "capxl10n-snapshot/1",\n "capacities": [],\n "terms": [}', "line 3"),
])
def test_cli_malformed_snapshot_names_file_and_position(tmp_path: Path, content: str, where: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    res = run("catalogs", "--snapshot", str(path), "--out", str(tmp_path / "c"))
    assert res.exit_code == 1 and str(path) in res.stderr and where in res.stderr
    assert not (tmp_path / "c").exists()


def test_cli_needs_a_source(tmp_path: Path) -> None:
    res = run("--state", str(tmp_path / "none.sqlite"), "catalogs", "--out", str(tmp_path / "c"))
    assert res.exit_code == 2 and "--snapshot FILE or --sample" in res.stderr


def test_cli_missing_snapshot_file(tmp_path: Path) -> None:
    res = run("catalogs", "--snapshot", str(tmp_path / "nope.json"), "--out", str(tmp_path / "c"))
    assert res.exit_code == 1 and "nope.json" in res.stderr


@pytest.mark.parametrize("rel, content", [
    ("json/pt.json", '{\n\t"@metadata": {"authors": ["someone"]},\n\t"Q3-label": "x"\n}\n'),
    ("json/pt.json", "not json at all"),
    ("capacities.pot", 'msgid ""\nmsgstr ""\n"X-Generator: capxl10n 0.1.0\\n"\n"X-Message-Group: other\\n"\n'),
    ("ar/LC_MESSAGES/capacities.po", "garbage without a header\n"),
])
def test_foreign_files_of_every_kind_are_refused(tmp_path: Path, snap: Snapshot, built: Path, rel: str,
                                                 content: str) -> None:
    (built / rel).write_text(content, encoding="utf-8")
    before = tree_bytes(built)
    with pytest.raises(CatalogError) as err:
        build_catalogs(snap.with_terms({TermKey("Q3", "label", "zh-hans"): Term("新")}), built)
    assert rel in err.value.message and err.value.hint
    assert tree_bytes(built) == before


def test_cli_lang_limits_the_build(tmp_path: Path, snap: Snapshot) -> None:
    path = tmp_path / "snap.json"
    path.write_text(snap.dumps(), encoding="utf-8")
    res = run("catalogs", "--snapshot", str(path), "--out", str(tmp_path / "c"), "--lang", "ar")
    assert res.exit_code == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "c/json").iterdir()) == ["ar.json", "en.json", "index.json", "qqq.json"]


def test_worker_pool_gives_the_same_bytes(tmp_path: Path, snap: Snapshot) -> None:
    build_catalogs(snap, tmp_path / "one", CatalogOptions(workers=1))
    build_catalogs(snap, tmp_path / "two", CatalogOptions(workers=2))
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")


def test_same_entries_as_real_translate_export(tmp_path: Path, reference_dir: Path) -> None:
    """Rebuild Translate's real pt-br export from the terms it holds: same entries, same flags."""
    real = polib.pofile(str(reference_dir / "translate-responses/export-pt-br.po"))
    caps, terms = [], {}
    for entry in real:
        key = TermKey.from_message_key(entry.msgctxt.rsplit("/", 1)[1], "en")
        if key.field == "label":
            caps.append(Capacity(key.qid))
        terms[key] = Term(entry.msgid)
        if entry.msgstr:
            terms[TermKey(key.qid, key.field, "pt-br")] = Term(entry.msgstr, fuzzy=entry.fuzzy)
        doc = [c[len("[Wiki] "):] for c in entry.comment.splitlines() if c.startswith("[Wiki] ")]
        if doc:
            terms[TermKey(key.qid, key.field, "qqq")] = Term("\n".join(doc))
    build_catalogs(Snapshot("metawiki", tuple(caps), terms), tmp_path / "c")
    ours = polib.pofile(str(tmp_path / "c/pt_BR/LC_MESSAGES/capacities.po"))

    def shape(po: polib.POFile) -> list[tuple[object, ...]]:
        return [(e.msgctxt, e.msgid, e.msgstr, e.fuzzy,
                 [c for c in e.comment.splitlines() if c.startswith("[Wiki] ")]) for e in po]
    assert shape(ours) == shape(real)
    assert len(ours) == len(real) > 5


def test_same_size_but_different_file_is_found_and_rewritten(tmp_path: Path, snap: Snapshot, built: Path) -> None:
    target = built / "pt_BR/LC_MESSAGES/capacities.mo"
    good = target.read_bytes()
    target.write_bytes(good[:-2] + bytes([good[-2] ^ 1]) + good[-1:])  # one bit flipped, same size
    assert check_catalogs(snap, built).differ == ("pt_BR/LC_MESSAGES/capacities.mo",)
    result = build_catalogs(snap, built)
    assert result.written == ("pt_BR/LC_MESSAGES/capacities.mo",) and target.read_bytes() == good


def test_our_bot_accounts_are_never_credited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile's bot accounts (from the environment) and FuzzyBot are no translators."""
    from capxl10n.profile import load_profile

    monkeypatch.setenv("CAPX_TEST_BOT_USER", "CapxBot@sync")
    profile = load_profile("sandbox")
    profile = replace(profile, metawiki=replace(profile.metawiki, user_env="CAPX_TEST_BOT_USER"))
    options = CatalogOptions.from_profile(profile)
    assert options.exclude_authors == ("CapxBot",)
    en, pt, de = (TermKey("Q1", "label", lang) for lang in ("en", "pt", "de"))
    snapshot = Snapshot("directory", (Capacity("Q1"),), {
        en: Term("One"), pt: Term("Um", author="CapxBot"), de: Term("Eins", author="Ana")})
    build_catalogs(snapshot, tmp_path, options)
    po = (tmp_path / "pt/LC_MESSAGES/capacities.po").read_text(encoding="utf-8")
    assert "CapxBot" not in po
    assert "# Author: Ana" in (tmp_path / "de/LC_MESSAGES/capacities.po").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "json/pt.json").read_text(encoding="utf-8"))["@metadata"]["authors"] == []


def test_a_build_of_some_languages_leaves_out_only_their_terms(tmp_path: Path) -> None:
    """A French value the app would not show as written leaves out that term, and fails a build of French
    only: building pt-br alone writes everything it was asked for."""
    snap = small_snapshot()
    bad = TermKey("Q11024", "label", "fr")
    snap = Snapshot(snap.side, snap.capacities, {**snap.terms, bad: Term("communication ~~~~")}, snap.meta)
    some = build_catalogs(snap, tmp_path / "some", CatalogOptions(languages=("pt-br",)))
    assert some.left_out == ()
    every = build_catalogs(snap, tmp_path / "every")
    assert [f.key for f in every.left_out] == [bad]
    assert not any(b"~~~~" in data for data in tree_bytes(tmp_path / "every").values())
