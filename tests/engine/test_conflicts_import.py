"""``conflicts import`` checks everything before recording anything (issue 16, class 8).

Each bad variant starts from a real export of a real state and changes one
thing; the import must refuse the whole file naming file, line and key, and
record nothing. The incident behind it: a pt-br export relabelled
``X-Language-Code: fr`` wrote Portuguese over two humans' French labels.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import polib
import pytest
from click.testing import CliRunner, Result

from capxl10n.cli.main import main
from capxl10n.engine.conflicts import (EXPORT_GENERATOR, ImportResult, conflict_id, english_sources, export_po, import_po,
                                resolve)
from capxl10n.engine.po_files import po_syntax_problems
from capxl10n.errors import CapxError, DataError, UsageError
from capxl10n.core.merge import BaseTerm, Conflict
from capxl10n.core.model import Capacity, Term, TermKey
from capxl10n.engine.state import State, InboxEntry, open_state

REPO = Path(__file__).resolve().parents[2]
BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"
ENGLISH = {"Q7397-label": "Organizing edit-a-thons", "Q8-label": "Community engagement",
           "Q8-description": "Working with volunteers"}
PT_LABEL, PT_OTHER = TermKey("Q7397", "label", "pt-br"), TermKey("Q8", "label", "pt-br")
FR_LABEL, FR_OTHER = TermKey("Q7397", "label", "fr"), TermKey("Q8", "label", "fr")
DE_DESC = TermKey("Q8", "description", "de")


def conflict(key: TermKey, metabase: str, metawiki: str) -> Conflict:
    return Conflict(key, None, False, Term(metabase, author="Ana"), Term(metawiki, side="metawiki", author="Bo"),
                    "both changed")


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    """pt-br and fr in conflict on the same two labels (the incident), and one de description."""
    with open_state(tmp_path / "state.sqlite") as st:
        st.update_base({TermKey.from_message_key(k, "en"): BaseTerm(v) for k, v in ENGLISH.items()},
                       [Capacity("Q7397", "Q101"), Capacity("Q8", "Q102")])
        st.record_conflicts([
            conflict(PT_LABEL, "Organizar editatonas", "Organização de editatonas"),
            conflict(PT_OTHER, "Engajamento", "Envolvimento comunitário"),
            conflict(FR_LABEL, "Organiser des éditathons", "Organisation d'éditathons"),
            conflict(FR_OTHER, "Engagement", "Engagement communautaire"),
            conflict(DE_DESC, "Arbeit mit Freiwilligen", "Mit Ehrenamtlichen arbeiten"),
        ])
        yield st


def export(state: State, lang: str, path: Path) -> Path:
    assert export_po(state.conflicts(), lang, path, bundle_page=BUNDLE, message_group=GROUP,
                     english=english_sources(state)) > 0
    return path


PT_TEXTS = {"Q7397-label": "Organizar maratonas de edição", "Q8-label": "Engajamento da comunidade"}


def decided_export(state: State, tmp_path: Path, texts: dict[str, str] | None = None) -> Path:
    """A pt-br export with every entry decided (msgstr by message key), as a translator saves it.

    Entries come in key order: Q8-label first, Q7397-label second (``po[1]``), last in the file.
    """
    path = export(state, "pt-br", tmp_path / "pt-br.po")
    catalog = polib.pofile(str(path))
    for entry in catalog:
        entry.msgstr = (texts or PT_TEXTS)[entry.msgctxt.rsplit("/", 1)[-1]]
    catalog.save(str(path))
    return path


def do_import(state: State, path: Path) -> ImportResult:
    return import_po(state, path, bundle_page=BUNDLE, message_group=GROUP)


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def entry_line(path: Path, key: str) -> int:
    """The line polib reports for the entry of ``key``: its first line (the comments above msgctxt)."""
    return next(e.linenum or 0 for e in polib.pofile(str(path)) if e.msgctxt == f"{BUNDLE}/{key}")


def refused(state: State, path: Path, *, error: type[CapxError] = DataError, line: int | None = None,
            key: str | None = None, match: str = "") -> str:
    """Import must fail with ``error``, name the file, the line and the key, and record nothing."""
    before = state.decisions()
    with pytest.raises(error) as caught:
        do_import(state, path)
    message = str(caught.value)
    assert str(path) in message
    if line is not None:
        assert f"{path}:{line}:" in message, message
    if key is not None:
        assert key in message, message
    assert re.search(match, message), message
    assert state.decisions() == before
    return message


# --------------------------------------------------------------------------- the good path
def test_good_file_records_every_decision(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    result = do_import(state, path)
    assert result.decided == (PT_OTHER, PT_LABEL)
    decisions = state.decisions()
    assert decisions[PT_LABEL].text == "Organizar maratonas de edição"
    assert decisions[PT_LABEL].source == "po pt-br.po"
    assert decisions[PT_OTHER].text == "Engajamento da comunidade"
    assert FR_LABEL not in decisions and FR_OTHER not in decisions


def test_default_english_and_group_come_from_the_state_and_bundle(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    assert import_po(state, path, bundle_page=BUNDLE).decided == (PT_OTHER, PT_LABEL)


def test_empty_and_fuzzy_entries_stay_undecided(state: State, tmp_path: Path) -> None:
    path = export(state, "pt-br", tmp_path / "pt-br.po")
    catalog = polib.pofile(str(path))
    catalog[0].msgstr = "Rascunho"
    catalog[0].flags.append("fuzzy")
    catalog.save(str(path))
    result = do_import(state, path)
    assert result.decided == () and result.skipped_empty == 2
    assert state.decisions() == {}


def test_importing_the_same_file_twice_is_harmless(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    do_import(state, path)
    again = do_import(state, path)
    assert again.decided == () and set(again.already) == {PT_LABEL, PT_OTHER}


def test_a_poedit_save_still_imports(state: State, tmp_path: Path) -> None:
    """Poedit rewrites X-Generator and Language (pt_BR) and wraps long lines; the marker header survives."""
    path = decided_export(state, tmp_path, {"Q7397-label": "Organizar " * 12 + "fim", "Q8-label": "Engajamento"})
    catalog = polib.pofile(str(path), wrapwidth=30)
    catalog.metadata["X-Generator"] = "Poedit 3.4.2"
    catalog.metadata["Language"] = "pt_BR"
    catalog.save(str(path))
    assert '"Organizar Organizar' in path.read_text(encoding="utf-8")  # wrapped over several lines
    assert len(do_import(state, path).decided) == 2


def test_crlf_line_endings_are_fine(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert len(do_import(state, path).decided) == 2


# --------------------------------------------------------------------------- headers
def test_relabelled_language_is_refused(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("X-Language-Code: pt-br", "X-Language-Code: fr"),
                    encoding="utf-8")
    refused(state, path, line=line_of(path, 'msgid ""'), match="headers disagree.*fr.*pt-BR")


def test_relabelled_language_with_consistent_headers_is_refused_by_entry(state: State, tmp_path: Path) -> None:
    """Both headers say fr, and fr has conflicts on the same keys: the entries' conflict ids still say pt-br."""
    exported = decided_export(state, tmp_path)
    text = exported.read_text(encoding="utf-8").replace("X-Language-Code: pt-br", "X-Language-Code: fr")
    path = tmp_path / "decisions.po"  # a name that states no language: the entries still tell
    path.write_text(text.replace("Language: pt-BR", "Language: fr"), encoding="utf-8")
    message = refused(state, path, line=entry_line(path, "Q7397-label"), key="Q7397-label",
                      match="exported for pt-br, but the file says fr")
    assert "Q8-label" in message


def test_a_file_named_for_another_language_than_its_headers_is_refused(state: State, tmp_path: Path) -> None:
    exported = decided_export(state, tmp_path)
    text = exported.read_text(encoding="utf-8").replace("X-Language-Code: pt-br", "X-Language-Code: fr")
    exported.write_text(text.replace("Language: pt-BR", "Language: fr"), encoding="utf-8")
    refused(state, exported, match="the file name says pt-br, its headers say fr")


@pytest.mark.parametrize("header,value,match", [
    ("X-Language-Code: pt-br", "X-Language-Code: xx-nope", "xx-nope is not a known language"),
    ("Language: pt-BR", "Language: ", "Language is \\(none\\)"),
])
def test_language_headers_must_name_one_known_language(state: State, tmp_path: Path, header: str, value: str,
                                                       match: str) -> None:
    path = decided_export(state, tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(header, value), encoding="utf-8")
    refused(state, path, line=line_of(path, 'msgid ""'), match=match)


def test_other_message_group_is_a_usage_error(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(GROUP, "messagebundle-Module:Other/x.json"),
                    encoding="utf-8")
    refused(state, path, error=UsageError, line=line_of(path, 'msgid ""'), match="message group")


def test_a_catalog_po_is_refused_with_a_hint(state: State, tmp_path: Path) -> None:
    """A catalogs/ .po has the same msgctxt and msgid, and translations as msgstr: never decisions."""
    path = tmp_path / "capacities.po"
    catalog = polib.POFile(wrapwidth=0)
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "pt-BR",
                        "X-Language-Code": "pt-br", "X-Message-Group": GROUP, "X-Generator": "capxl10n 0.1.0"}
    catalog.append(polib.POEntry(msgctxt=f"{BUNDLE}/Q7397-label", msgid=ENGLISH["Q7397-label"],
                                 msgstr="Organizar editatonas"))
    catalog.save(str(path))
    with pytest.raises(DataError) as caught:
        do_import(state, path)
    assert "not a capxl10n conflicts export" in str(caught.value) and "capxl10n import" in str(caught.value)
    assert state.decisions() == {}


def test_export_headers(state: State, tmp_path: Path) -> None:
    meta = polib.pofile(str(export(state, "pt-br", tmp_path / "pt-br.po"))).metadata
    assert meta["X-Generator"] == EXPORT_GENERATOR and meta["X-Capxl10n-File"] == "conflicts"
    assert (meta["Language"], meta["X-Language-Code"], meta["X-Message-Group"]) == ("pt-BR", "pt-br", GROUP)


# --------------------------------------------------------------------------- entries
Edit = Callable[[polib.POFile], None]


def _unknown_key(po: polib.POFile) -> None:
    po[1].msgctxt = f"{BUNDLE}/Q99-label"


def _short_key(po: polib.POFile) -> None:
    po[1].msgctxt = "Q7397-label"


def _other_bundle(po: polib.POFile) -> None:
    po[1].msgctxt = "Module:Other/x.json/Q7397-label"


def _de_key(po: polib.POFile) -> None:
    po[1].msgctxt = f"{BUNDLE}/Q8-description"  # a conflict, but in de


def _plural(po: polib.POFile) -> None:
    po[1].msgid_plural = "Organizing many edit-a-thons"
    po[1].msgstr_plural = {0: "Organizar", 1: "Organizar muitas"}
    po[1].msgstr = ""


def _duplicate(po: polib.POFile) -> None:
    twin = polib.POEntry(msgctxt=po[1].msgctxt, msgid=po[1].msgid, msgstr="Outra decisão", comment=po[1].comment)
    po.append(twin)


def _changed_msgid(po: polib.POFile) -> None:
    po[1].msgid = "Organising edit-a-thons"


def _control_char(po: polib.POFile) -> None:
    po[1].msgstr = "Organizar\u0007editatonas"


def _too_long(po: polib.POFile) -> None:
    po[1].msgstr = "x" * 251


def _fuzzy_marker(po: polib.POFile) -> None:
    po[1].msgstr = "!!FUZZY!!Organizar"


def _no_conflict_id(po: polib.POFile) -> None:
    po[1].comment = ""


def _obsolete(po: polib.POFile) -> None:
    po[1].obsolete = True


@pytest.mark.parametrize("edit,match", [
    (_unknown_key, "no conflict on this key in pt-br"),
    (_short_key, "not a message key of"),
    (_other_bundle, "not a message key of"),
    (_de_key, "no conflict on this key in pt-br"),
    (_plural, "plural"),
    (_duplicate, "the same key as line"),
    (_changed_msgid, "msgid is not the English source"),
    (_control_char, "control character U\\+0007 at 10"),
    (_too_long, "251 characters long"),
    (_fuzzy_marker, "fuzzy marker"),
    (_no_conflict_id, "conflict id"),
    (_obsolete, "obsolete"),
], ids=lambda v: getattr(v, "__name__", "")[1:] if callable(v) else "")
def test_bad_entry_refuses_the_whole_file(state: State, tmp_path: Path, edit: Edit, match: str) -> None:
    path = decided_export(state, tmp_path)
    catalog = polib.pofile(str(path), wrapwidth=0)
    edit(catalog)
    catalog.save(str(path))
    bad = polib.pofile(str(path))[-1 if edit is _duplicate else 1]
    key = (bad.msgctxt or "").rsplit("/", 1)[-1]
    refused(state, path, line=bad.linenum, key=key, match=match)  # the good entry (Q8-label) is not recorded


def test_english_changed_since_the_export(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    state.update_base({TermKey("Q7397", "label", "en"): BaseTerm("Running edit-a-thons")})
    refused(state, path, line=entry_line(path, "Q7397-label"), key="Q7397-label",
            match="English changed since the export")


def test_conflict_changed_since_the_export(state: State, tmp_path: Path) -> None:
    """A side edited after the export: the translator never saw the new value, so it is not overwritten."""
    path = decided_export(state, tmp_path)
    state.record_conflicts([conflict(PT_LABEL, "Organizar editatonas", "Um valor novo de Meta-Wiki")],
                           replace_all=False)
    refused(state, path, line=entry_line(path, "Q7397-label"), key="Q7397-label", match="changed since the export")


def test_a_decision_made_since_the_export_is_not_overwritten(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    resolve(state, PT_LABEL, take="metabase")
    message = refused(state, path, line=entry_line(path, "Q7397-label"), key="Q7397-label", match="already decided")
    assert "take metabase" in message


def test_every_problem_is_listed(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    catalog = polib.pofile(str(path), wrapwidth=0)
    _control_char(catalog)
    catalog[0].msgctxt = f"{BUNDLE}/Q99-label"
    catalog.save(str(path))
    message = refused(state, path, match="2 problem")
    assert "Q99-label" in message and "Q7397-label" in message


# --------------------------------------------------------------------------- truncated or garbled files
def _cut(path: Path, needle: str, keep: int) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index(needle) + keep], encoding="utf-8")


@pytest.mark.parametrize("needle,keep,match", [
    ('msgstr "Organizar maratonas', 20, "unterminated string"),  # cut inside the msgstr
    ('msgstr "Organizar maratonas', len('msgstr "Organizar maratonas de edição"'), "ends in the middle of a line"),
    ('msgid "Organizing', len('msgid "Organizing edit-a-thons"\n'), "msgid without msgstr"),
])
def test_truncated_file_is_refused_naming_the_line(state: State, tmp_path: Path, needle: str, keep: int,
                                                    match: str) -> None:
    path = decided_export(state, tmp_path)
    number = line_of(path, needle)
    _cut(path, needle, keep)
    refused(state, path, line=number, match=match)


@pytest.mark.parametrize("garbage,match", [
    ("msgstr Organizar\n", "without its quoted string"),
    ("Organizar maratonas\n", "not a .po line"),
    ('msgstr "a\\qb"\n', "unknown escape"),
])
def test_garbled_line_is_refused(state: State, tmp_path: Path, garbage: str, match: str) -> None:
    path = decided_export(state, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = line_of(path, 'msgstr "Organizar maratonas')
    lines[number - 1] = garbage
    path.write_text("".join(lines), encoding="utf-8")
    refused(state, path, line=number, match=match)


def test_not_utf8_names_the_line(state: State, tmp_path: Path) -> None:
    path = decided_export(state, tmp_path)
    number = line_of(path, 'msgstr "Organizar maratonas')
    path.write_bytes(path.read_bytes().replace("edição".encode(), "edição".encode("latin-1")))
    refused(state, path, line=number, match="not UTF-8")


def test_syntax_checker_accepts_what_polib_and_poedit_write() -> None:
    text = ('# comment\n#. extracted\n#, fuzzy\n#| msgid "old"\nmsgctxt "k"\nmsgid ""\n"a \\"quoted\\" "\n'
            '"line\\n"\nmsgstr "x\\ty\\\\"\n\n#~ msgid "gone"\n#~ msgstr "foi"\n')
    assert po_syntax_problems(text) == []


# --------------------------------------------------------------------------- conflicts resolve --text
def test_resolve_text_refuses_what_a_wiki_would_alter(state: State) -> None:
    with pytest.raises(UsageError, match="control character U\\+001B at 4"):
        resolve(state, PT_LABEL, text="Org\u001banizar")
    with pytest.raises(UsageError, match="251 characters"):
        resolve(state, PT_LABEL, text="x" * 251)
    assert state.decisions() == {}
    assert resolve(state, PT_LABEL, text="  Organizar\u200d editatonas ").text is not None


def test_conflict_id_ignores_authors_but_not_texts() -> None:
    def stored(metawiki: Term) -> InboxEntry:
        return InboxEntry(PT_LABEL, None, False, Term("a"), metawiki, "r", first_seen="t0", last_seen="t1")

    assert conflict_id(stored(Term("b", author="X"))) == conflict_id(stored(Term("b", author="Y")))
    assert conflict_id(stored(Term("b"))) != conflict_id(stored(Term("c")))
    assert conflict_id(stored(Term("b"))).startswith("pt-br/")


# --------------------------------------------------------------------------- through the CLI
def cli(state_path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--profile", str(REPO / "capxl10n" / "profiles" / "sandbox.toml"), "--state", str(state_path),
                                     *args])


def test_cli_exit_codes(state: State, tmp_path: Path) -> None:
    good = decided_export(state, tmp_path)
    relabelled = tmp_path / "fr.po"
    relabelled.write_text(good.read_text(encoding="utf-8").replace("X-Language-Code: pt-br", "X-Language-Code: fr"),
                          encoding="utf-8")
    other_group = tmp_path / "other.po"
    other_group.write_text(good.read_text(encoding="utf-8").replace(GROUP, "messagebundle-Module:Other/x.json"),
                           encoding="utf-8")
    state.close()
    path = tmp_path / "state.sqlite"

    result = cli(path, "conflicts", "import", str(relabelled))
    assert result.exit_code == 1 and "headers disagree" in result.output and str(relabelled) in result.output
    result = cli(path, "conflicts", "import", str(other_group))
    assert result.exit_code == 2 and "message group" in result.output
    result = cli(path, "conflicts", "resolve", "Q7397-label", "--lang", "pt-br", "--text", "Org\u0007x")
    assert result.exit_code == 2 and "control character U+0007" in result.output
    with open_state(path) as st:
        assert st.decisions() == {}

    result = cli(path, "conflicts", "import", str(good))
    assert result.exit_code == 0 and "2 decision(s) recorded" in result.output, result.output
    result = cli(path, "conflicts", "import", str(good))
    assert result.exit_code == 0 and "2 already recorded" in result.output, result.output
    with open_state(path) as st:
        assert {k: d.text for k, d in st.decisions().items()} == {
            PT_LABEL: "Organizar maratonas de edição", PT_OTHER: "Engajamento da comunidade"}


def test_cli_export_then_import_round_trip(state: State, tmp_path: Path) -> None:
    state.close()
    path, po = tmp_path / "state.sqlite", tmp_path / "fr.po"
    assert cli(path, "conflicts", "export", "--lang", "fr", "-o", str(po)).exit_code == 0
    catalog = polib.pofile(str(po))
    assert [e.msgid for e in catalog] == [ENGLISH["Q8-label"], ENGLISH["Q7397-label"]]
    catalog[0].msgstr = "Engagement communautaire"
    catalog.save(str(po))
    result = cli(path, "conflicts", "import", str(po))
    assert result.exit_code == 0, result.output
    with open_state(path) as st:
        (decision,) = st.decisions().values()
        assert (decision.text, decision.source) == ("Engagement communautaire", "po fr.po")
