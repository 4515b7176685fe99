"""``capxl10n export``: one language's .po for translating offline — its entries, comments, Wikidata
suggestions, headers and id; read back by polib, Babel and msgfmt; bad input; on the sandbox through the CLI."""
from __future__ import annotations

import gettext
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import polib
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from capxl10n.catalogs import translator
from capxl10n.catalogs.po import PoOptions
from capxl10n.catalogs.translator import EXPORT_HEADER, export_id, export_po, write_atomically
from capxl10n.cli.main import main
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.core.todo import Links
from capxl10n.errors import CatalogError, UnknownLanguage, UsageError
from plugins.common import need_tool
from plugins.world import set_wikidata_term

K = TermKey
BUNDLE = "Module:CapacityExchange/capacities.json"
LINKS = Links.from_apis("https://meta.wikimedia.org/w/api.php", "https://metabase.wikibase.cloud/w/api.php")


def directory() -> Snapshot:
    """Q10 › Q11 › Q12 and Q20; pt-br: Q10 label translated, Q11 and Q12 labels outdated, the rest missing."""
    caps = (Capacity("Q10", item="Q100"), Capacity("Q11", item="Q101", parent="Q10"),
            Capacity("Q12", item="Q102", parent="Q11"), Capacity("Q20", item="Q200"))
    terms = {
        K("Q10", "label", "en"): Term("Communication", timestamp="2026-01-01T10:20:30Z"),
        K("Q10", "description", "en"): Term("Sharing the work"),
        K("Q11", "label", "en"): Term("Writing"),
        K("Q11", "description", "en"): Term('Writing "articles"\nand\tmore'),
        K("Q11", "label", "qqq"): Term("Name of a capacity.\nKeep it short."),
        K("Q12", "label", "en"): Term("Newsletters"), K("Q12", "description", "en"): Term("Making newsletters"),
        K("Q20", "label", "en"): Term("Safety"), K("Q20", "description", "en"): Term("Staying safe"),
        K("Q10", "label", "pt-br"): Term("Comunicação", author="Ana", timestamp="2026-02-01T00:00:00Z"),
        K("Q11", "label", "pt-br"): Term("Escrita", fuzzy=True, author="Bruno", timestamp="2026-03-01T08:09:10Z"),
        K("Q12", "label", "pt-br"): Term("Boletins", fuzzy=True, author="CapxBot"),
    }
    meta = {"previous_source": {"pt-br": {"Q11-label": "Writing texts"}}}
    return Snapshot("directory", caps, terms, meta)


def wikidata() -> Snapshot:
    """What Wikidata's reader leaves in the state: terms keyed like ours, ``mul`` fill-ins marked by author."""
    w = "wikidata"
    return Snapshot(w, (), {
        K("Q10", "label", "pt-br"): Term("comunicação (conceito)", side=w),        # translated: never offered
        K("Q10", "description", "pt-br"): Term("troca de informações", side=w),    # missing: offered, pt-br
        K("Q11", "label", "pt-br"): Term("escrita (conceito)", side=w),            # outdated: never offered
        K("Q11", "description", "pt"): Term("acto de escrever", side=w),           # missing: the fallback, pt
        K("Q12", "description", "mul"): Term("NL", side=w),                          # missing: mul, the last resort
        K("Q12", "description", "pt-br"): Term("NL", side=w, author="mul"),         # the reader's mul fill-in
        K("Q20", "label", "pt-br"): Term("safety", side=w, author="mul"),           # only repeats the English
        K("Q20", "label", "mul"): Term("safety", side=w),
        K("Q20", "description", "en"): Term("state of being safe", side=w),        # English: never a suggestion
    })


def export(only: str = "all", **kw: Any) -> translator.Export:
    options = PoOptions(generator="capxl10n test", exclude_authors=frozenset({"CapxBot"}))
    kw.setdefault("wikidata", wikidata())
    return export_po(directory(), "pt-br", options=options, links=LINKS, only=only, **kw)


def entries(data: bytes, tmp: Path) -> dict[str, polib.POEntry]:
    path = tmp / "x.po"
    path.write_bytes(data)
    return {e.msgctxt.rsplit("/", 1)[1]: e for e in polib.pofile(str(path), wrapwidth=0)}


def test_entries_statuses_and_suggestions(tmp_path: Path) -> None:
    made = export()
    got = entries(made.data, tmp_path)
    assert list(got) == ["Q10-label", "Q10-description", "Q11-label", "Q11-description", "Q12-label",
                         "Q12-description", "Q20-label", "Q20-description"]  # the tree's order
    assert (got["Q10-label"].msgstr, got["Q10-label"].fuzzy, got["Q10-label"].tcomment) == ("Comunicação", False, "")
    suggested = {k: (e.msgstr, e.fuzzy) for k, e in got.items() if "Suggestion from Wikidata" in e.tcomment}
    assert suggested == {"Q10-description": ("troca de informações", True),
                         "Q11-description": ("acto de escrever", True), "Q12-description": ("NL", True)}
    assert "the description of Q10 in pt-br (Brazilian Portuguese)" in got["Q10-description"].tcomment
    assert "in pt (Portuguese)" in got["Q11-description"].tcomment
    assert "in mul (" in got["Q12-description"].tcomment
    for key in suggested:
        assert "may not fit the capacity" in got[key].tcomment
    # only missing terms get one; one that only repeats the English is no suggestion
    assert (got["Q20-label"].msgstr, got["Q20-label"].fuzzy) == ("", False)
    assert (got["Q20-description"].msgstr, got["Q20-description"].fuzzy) == ("", False)
    assert (got["Q11-label"].msgstr, got["Q11-label"].fuzzy, got["Q11-label"].previous_msgid) == (
        "Escrita", True, "Writing texts")
    assert (got["Q12-label"].fuzzy, got["Q12-label"].previous_msgid) == (True, None)  # unknown: no #| msgid
    assert made.counts() == {"missing": 5, "outdated": 2, "translated": 1, "suggestions": 3}


def test_comments_tell_the_translator_what_each_message_is(tmp_path: Path) -> None:
    got = entries(export().data, tmp_path)
    comments = got["Q11-label"].comment.split("\n")
    assert comments == [
        "[Wiki] Name of a capacity.", "[Wiki] Keep it short.", "Name: Writing",
        'Description: Writing "articles" and more', "Path: Communication › Writing",
        "Translate: https://meta.wikimedia.org/w/index.php?title=Special:Translate"
        f"&showMessage={BUNDLE}/Q11-label&group=messagebundle-{BUNDLE}&language=pt-br",
        "Metabase: https://metabase.wikibase.cloud/wiki/Item:Q101"]
    assert got["Q12-description"].comment.split("\n")[2] == "Path: Communication › Writing › Newsletters"
    assert got["Q11-description"].msgid == 'Writing "articles"\nand\tmore'  # the English whole in msgid


def test_only_filters() -> None:
    def keys(only: str) -> list[tuple[str, str]]:
        return [(e.item.message_key, e.item.status) for e in export(only).entries]

    everything = keys("all")
    assert keys("todo") == [k for k in everything if k[1] != "translated"]
    assert keys("missing") == [k for k in everything if k[1] == "missing"]
    assert keys("outdated") == [("Q11-label", "outdated"), ("Q12-label", "outdated")]
    with pytest.raises(UsageError, match="--only 'done'"):
        export("done")


def test_no_wikidata_read_no_suggestion(tmp_path: Path) -> None:
    got = entries(export(wikidata=None).data, tmp_path)
    assert not any(e.tcomment for e in got.values())
    assert all(e.msgstr == "" and not e.fuzzy for e in got.values() if e.msgctxt.endswith("-description"))


def test_headers_and_the_export_id(tmp_path: Path) -> None:
    made = export("todo")
    path = tmp_path / "pt-br.po"
    path.write_bytes(made.data)
    po = polib.pofile(str(path), wrapwidth=0)
    meta = po.metadata
    assert (meta["Language"], meta["X-Language-Code"], meta["X-Message-Group"]) == (
        "pt-BR", "pt-br", f"messagebundle-{BUNDLE}")
    assert meta["Plural-Forms"] == "nplurals=2; plural=(n > 1);" and meta["X-Generator"] == "capxl10n test"
    assert meta["PO-Revision-Date"] == "2026-03-01 08:09+0000"  # the newest text in the file (gettext's form)
    assert meta["POT-Creation-Date"] == "2026-01-01 10:20+0000"
    assert meta[EXPORT_HEADER] == made.export_id == export_id(
        "pt-br", f"messagebundle-{BUNDLE}", ((e.msgctxt, e.msgid, e.msgstr, e.fuzzy, e.previous_msgid) for e in po))
    assert "Author: Bruno" in po.header and "CapxBot" not in po.header and "Ana" not in po.header  # Ana's is not in
    assert made.data == export("todo").data  # the same inputs, the same bytes
    # another selection, or another text shown, is another export
    assert export("all").export_id != made.export_id
    base = directory()
    changed = Snapshot(base.side, base.capacities, {**base.terms, K("Q12", "label", "pt-br"): Term("Boletim",
                                                                                                   fuzzy=True)},
                       base.meta)
    assert export_po(changed, "pt-br", only="todo").export_id != export_po(base, "pt-br", only="todo").export_id
    assert export("all").shown() == {
        K("Q10", "label", "pt-br"): "Comunicação", **{e.item.key: None for e in export("all").entries
                                                      if e.item.status != "translated"}}


def test_read_back_identically_by_polib_and_babel(tmp_path: Path) -> None:
    made = export()
    by_polib = entries(made.data, tmp_path)
    catalog = read_po(io.BytesIO(made.data))
    assert str(catalog.locale) == "pt_BR"
    by_babel = {m.context.rsplit("/", 1)[1]: m for m in catalog if m.id}
    assert list(by_babel) == list(by_polib)
    for key, entry in by_polib.items():
        message = by_babel[key]
        assert (message.id, message.string, message.fuzzy) == (entry.msgid, entry.msgstr, entry.fuzzy), key
        assert list(message.auto_comments) == entry.comment.split("\n"), key
        # Babel 2.x keeps "#|" lines as translator comments ("| msgid ..."); polib reads the previous msgid
        user = [c for c in message.user_comments if not c.startswith("|")]
        assert user == (entry.tcomment.split("\n") if entry.tcomment else []), key
        previous = [c for c in message.user_comments if c.startswith("| msgid ")]
        assert previous == ([f'| msgid "{entry.previous_msgid}"'] if entry.previous_msgid else []), key


def test_msgfmt_checks_and_compiles_it(tmp_path: Path) -> None:
    msgfmt = need_tool("msgfmt")
    made = export()
    (tmp_path / "x.po").write_bytes(made.data)
    checked = subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "x.mo"), str(tmp_path / "x.po")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    with open(tmp_path / "x.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(tmp_path / "x.po")):
        expected = entry.msgstr if entry.msgstr and not entry.fuzzy else entry.msgid  # fuzzy: never used
        assert compiled.pgettext(entry.msgctxt, entry.msgid) == expected


def test_odd_text_stays_in_its_place(tmp_path: Path) -> None:
    """Line breaks and controls in names, descriptions and documentation cannot break a comment line."""
    base = directory()
    terms = dict(base.terms)
    terms[K("Q10", "label", "en")] = Term("Commu\u2028nication\r\x0b")
    terms[K("Q10", "description", "en")] = Term("Sharing\x1cthe\u0085work\x07")
    terms[K("Q11", "label", "qqq")] = Term("Doc\rwith\u2029breaks\x08")
    odd = Snapshot(base.side, base.capacities, terms, base.meta)
    made = export_po(odd, "pt-br", links=LINKS, wikidata=wikidata(), only="all")
    got = entries(made.data, tmp_path)
    assert list(got) == ["Q10-label", "Q10-description", "Q11-label", "Q11-description", "Q12-label",
                         "Q12-description", "Q20-label", "Q20-description"]
    assert got["Q10-label"].msgid == "Commu\u2028nication"  # normalised (trimmed) and escaped, whole
    assert got["Q11-label"].comment.split("\n")[:4] == ["[Wiki] Doc", "[Wiki] with", "[Wiki] breaks\ufffd",
                                                        "Name: Writing"]
    assert "Description: Sharing the work\ufffd" in got["Q10-label"].comment.split("\n")
    for entry in got.values():
        for line in entry.comment.split("\n"):
            assert line.isprintable() or "\ufffd" in line, repr(line)
    assert "Path: Commu nication › Writing" in got["Q11-label"].comment.split("\n")


def test_unknown_and_non_translation_languages() -> None:
    with pytest.raises(UnknownLanguage):
        export_po(directory(), "pt-BR")
    with pytest.raises(UsageError, match="not a translation language"):
        export_po(directory(), "en")


def test_write_atomically_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "pt-br.po"
    target.write_bytes(b"the translator's work")
    real_replace = os.replace

    def broken(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(translator.os, "replace", broken)
    with pytest.raises(CatalogError, match=r"cannot write .*pt-br\.po: No space left on device"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"the translator's work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pt-br.po"]
    monkeypatch.setattr(translator.os, "replace", real_replace)
    write_atomically(tmp_path / "new.po", b"data")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "new.po").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    with pytest.raises(CatalogError, match="is a directory"):
        write_atomically(tmp_path, b"data")


# -- through the CLI --------------------------------------------------------------------------------------
def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "dir.json").write_text(directory().dumps(), encoding="utf-8")
    (tmp_path / "wd.json").write_text(wikidata().dumps(), encoding="utf-8")
    return tmp_path / "dir.json", tmp_path / "wd.json"


def test_cli_export_from_files(files: tuple[Path, Path], tmp_path: Path) -> None:
    snap, wd = files
    out = tmp_path / "pt-br.po"
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap), "--wikidata", str(wd), "-o", str(out))
    assert result.exit_code == 0, result.output
    got = entries(out.read_bytes(), tmp_path)
    assert [k for k, e in got.items() if "Suggestion from Wikidata" in e.tcomment] == [
        "Q10-description", "Q11-description", "Q12-description"]
    assert "Q10-label" not in got  # --only todo by default
    assert "7 entries for pt-br: 5 missing (3 with a Wikidata suggestion), 2 outdated" in result.stderr
    assert "sha256:" in result.stdout
    result = run("-f", "json", "export", "--lang", "pt-br", "--snapshot", str(snap), "--only", "all",
                 "--no-suggestions", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"missing": 5, "outdated": 2, "translated": 1, "suggestions": 0}
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap), "--only", "outdated", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Translation of") and result.stdout.count("msgctxt") == 2


def test_cli_bad_input(files: tuple[Path, Path], tmp_path: Path) -> None:
    snap, wd = files
    out = tmp_path / "out.po"
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap), "--only", "done", "-o", str(out))
    assert result.exit_code == 2 and "--only" in result.stderr and "done" in result.stderr, result.output
    result = run("export", "--lang", "xx-nope", "--snapshot", str(snap), "-o", str(out))
    assert result.exit_code == 2 and "--lang" in result.stderr and "unknown language" in result.stderr
    result = run("export", "--lang", "en", "--snapshot", str(snap), "-o", str(out))
    assert result.exit_code == 2 and "not a translation language" in result.stderr
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap))
    assert result.exit_code == 2 and "-o" in result.stderr
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap), "--wikidata", str(snap), "-o", str(out))
    assert result.exit_code == 1 and "not a Wikidata read" in result.stderr
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap), "--wikidata", str(wd), "--no-suggestions",
                 "-o", str(out))
    assert result.exit_code == 2
    blocked = tmp_path / "a-file"
    blocked.write_text("x", encoding="utf-8")
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap), "-o", str(blocked / "pt-br.po"))
    assert result.exit_code == 1 and f"cannot write {blocked / 'pt-br.po'}" in result.stderr, result.output
    result = run("export", "--lang", "pt-br", "--snapshot", str(snap), "-o", str(tmp_path / "none" / "pt-br.po"))
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "dir.json", "wd.json"]


@pytest.mark.slow
def test_cli_on_the_synced_sandbox(sandbox_profile: Any, tmp_path: Path) -> None:
    """Sync, outdate a translation by an English change, give a missing term a Wikidata description, pull:
    the export holds the outdated text with #| msgid, the suggestion fuzzy with its comment, and writes no wiki."""
    from plugins.world import World

    world = World(sandbox_profile.sandbox, tmp_path, sandbox_profile.env)
    assert world.cli("sync").exit_code == 0
    out = tmp_path / "pt-br.po"
    result = world.cli("export", "--lang", "pt-br", "-o", str(out))
    assert result.exit_code == 0 and "no Wikidata read in the sync state" in result.stderr, result.output
    key = world.pick("pt-br")
    old = world.bundle()[key.message_key]
    world.peer.edit_bundle({key.message_key: "A new English text"})
    assert world.cli("sync").exit_code == 0
    todo = json.loads(world.cli("-f", "json", "todo", "--lang", "pt-br").stdout)
    missing = [i for b in todo["branches"] for i in b["items"] if i["status"] == "missing"]
    assert missing, "nothing missing in pt-br: this test would prove nothing"
    target = missing[0]
    set_wikidata_term(world.sb, target["qid"], target["field"], "pt-br", "Sugestão do Wikidata")
    assert world.cli("pull").exit_code == 0
    writes = world.bot_revisions()
    result = world.cli("export", "--lang", "pt-br", "--only", "all", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert world.bot_revisions() == writes  # export writes no wiki
    got = entries(out.read_bytes(), tmp_path)
    assert got[key.message_key].fuzzy and got[key.message_key].previous_msgid == old
    assert got[key.message_key].msgid == "A new English text"
    suggestion = got[target["key"]]
    assert (suggestion.msgstr, suggestion.fuzzy) == ("Sugestão do Wikidata", True)
    assert "Suggestion from Wikidata" in suggestion.tcomment and "may not fit the capacity" in suggestion.tcomment
    assert [k for k, e in got.items() if "Suggestion from Wikidata" in e.tcomment] == [target["key"]]
    assert any(not e.fuzzy and e.msgstr for e in got.values())  # --only all: the translated ones too
    po = polib.pofile(str(out))
    assert po.metadata["X-Message-Group"] == world.profile.metawiki.message_group
    # the state remembers what the file showed, under its id, for the importer
    from capxl10n.engine.state import open_state

    with open_state(world.state) as state:
        shown = state.exported(po.metadata[EXPORT_HEADER], "pt-br")
    assert shown == {TermKey.from_message_key(e.msgctxt.rsplit("/", 1)[1], "pt-br"):
                     e.msgstr if e.msgstr and not e.fuzzy else None for e in po}
    assert f"Translate: {world.sb.url}/metawiki/w/index.php?title=Special:Translate" in got[target["key"]].comment
    # nothing of Wikidata's reaches the wikis, the base or the catalogs, even after another sync
    assert world.cli("sync").exit_code == 0
    assert world.bot_revisions() == writes
    with_it = [p for p in (tmp_path / "catalogs").rglob("*") if p.is_file() and "Sugestão do Wikidata" in
               p.read_text(encoding="utf-8", errors="replace")]
    assert with_it == []
    assert "Sugestão do Wikidata" not in world.base().values()
