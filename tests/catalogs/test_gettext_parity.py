"""Parity of our .po files with Translate's own export; translators credited; qqq.json.

The recorded exports (../shared/reference/translate-responses/export-*.po) are
real ``Special:ExportTranslations`` files of MediaWiki 1.39 + Translate: a
snapshot holding the same data (English, translations, fuzzy flags, qqq,
translators) must render to the same entries, order, texts, flags,
documentation and authors.
"""
from __future__ import annotations

import gettext
import json
import re
import subprocess
from pathlib import Path

import pytest

from capxl10n.core import langs
from capxl10n.catalogs import po as po_adapter
from capxl10n.catalogs import banana as jsonexport
from capxl10n.catalogs.credits import credited, user_key
from capxl10n.errors import DataError
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from capxl10n.catalogs.parity import compare, compare_texts
from plugins.common import REPO, need_tool

BUNDLE = "Module:CapacityExchange/capacities.json"
EXPORTS = {"pt-br": "export-pt-br.po", "ar": "export-ar.po"}


def export_text(reference_dir: Path, code: str) -> str:
    return (reference_dir / "translate-responses" / EXPORTS[code]).read_text(encoding="utf-8")


def snapshot_like(export: str, code: str, *, with_order: bool = True) -> Snapshot:
    """A snapshot holding what the export holds; capacities given in QID order, not the bundle's.

    The export credits translators per file, not per message: each translated
    message gets one of the credited names in turn (all of them used).
    """
    parsed = po_adapter.parse_po(export)
    authors = [line[len("Author: "):] for line in parsed.header_comments if line.startswith("Author: ")]
    terms: dict[TermKey, Term] = {}
    order = []
    translated = 0
    for entry in parsed.entries:
        assert entry.msgctxt is not None
        message_key = entry.msgctxt.rsplit("/", 1)[1]
        order.append(message_key)
        key = TermKey.from_message_key(message_key, "en")
        terms[key] = Term(entry.msgid, side="metawiki")
        if entry.msgstr:
            terms[TermKey(key.qid, key.field, code)] = Term(entry.msgstr, fuzzy=entry.fuzzy, side="metawiki",
                                                            author=authors[translated % len(authors)])
            translated += 1
        if entry.documentation:
            terms[TermKey(key.qid, key.field, "qqq")] = Term("\n".join(entry.documentation), author="Admin")
    assert translated >= len(authors)
    qids = sorted({k.qid for k in terms}, key=lambda q: int(q[1:]))
    meta = {po_adapter.MESSAGE_ORDER_META: order} if with_order else {}
    return Snapshot("metawiki", tuple(Capacity(q) for q in qids), terms, meta=meta)


def render(snapshot: Snapshot, code: str, **options: object) -> str:
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions(**options))  # type: ignore[arg-type]
    return po_adapter.render_po(prepared, langs.get(code))[0].decode("utf-8")


# -- the recorded real exports ------------------------------------------------------------------------
@pytest.mark.parametrize("code", sorted(EXPORTS))
def test_same_entries_order_texts_flags_documentation_and_authors(reference_dir: Path, code: str) -> None:
    export = export_text(reference_dir, code)
    ours = render(snapshot_like(export, code), code)
    result = compare_texts(export, ours)
    assert result.ok, result.summary()
    assert result.reference_entries == result.our_entries == 16
    parsed = po_adapter.parse_po(ours)
    assert any(e.fuzzy for e in parsed.entries) and any(e.documentation for e in parsed.entries)
    assert sum(1 for e in parsed.entries if e.msgstr) == sum(1 for e in po_adapter.parse_po(export).entries
                                                             if e.msgstr)


@pytest.mark.parametrize("code", sorted(EXPORTS))
def test_deliberate_differences_are_the_documented_ones(reference_dir: Path, code: str) -> None:
    """Every header or comment difference from Translate's export is named in docs/catalogs.md's table."""
    export = export_text(reference_dir, code)
    result = compare_texts(export, render(snapshot_like(export, code), code, generator="capxl10n 9.9"))
    kinds = {(d.kind, d.key) for d in result.deliberate}
    assert kinds == {("header-field", "PO-Revision-Date"), ("header-field", "POT-Creation-Date"),
                     ("header-field", "X-Generator"), ("header-field", "Project-Id-Version"),
                     ("header-field", "MIME-Version"), ("header-comment", "line 1"),
                     ("header-comment", "line 2"), ("extracted-comments", "entries"),
                     ("lone-comment", "entries")}
    table = (REPO / "docs" / "catalogs.md").read_text(encoding="utf-8").split(
        "### Differences from Translate's export", 1)[1].split("\n## ", 1)[0]
    for name in ("PO-Revision-Date", "POT-Creation-Date", "X-Generator", "Project-Id-Version", "MIME-Version",
                 "Translation of", "Exported from", "Path:", "Metabase:", "Description:", "lone `#`", "previous English",
                 "msgid \"\"", "Author:"):
        assert name in table, f"docs/catalogs.md does not list the difference {name!r}"


def test_without_the_bundle_order_only_the_order_differs(reference_dir: Path) -> None:
    export = export_text(reference_dir, "pt-br")
    result = compare_texts(export, render(snapshot_like(export, "pt-br", with_order=False), "pt-br"))
    assert not result.ok
    assert {d.kind for d in result.differences} == {"order"}
    moved = {d.key for d in result.differences}
    assert moved and moved < {e.msgctxt.rsplit("/", 1)[1] for e in po_adapter.parse_po(export).entries
                              if e.msgctxt}


def test_our_render_of_the_export_passes_msgfmt_and_loads(tmp_path: Path, reference_dir: Path) -> None:
    msgfmt = need_tool("msgfmt")
    export = export_text(reference_dir, "pt-br")
    prepared = po_adapter.prepare(snapshot_like(export, "pt-br"), po_adapter.PoOptions())
    po_data, mo_data = po_adapter.render_po(prepared, langs.get("pt-br"))
    (tmp_path / "c.po").write_bytes(po_data)
    checked = subprocess.run([msgfmt, "-c", "-o", str(tmp_path / "ref.mo"), str(tmp_path / "c.po")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    (tmp_path / "c.mo").write_bytes(mo_data)
    with open(tmp_path / "c.mo", "rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    assert catalog.pgettext(f"{BUNDLE}/Q759524-label", "organizational structure") == "estrutura da organização"
    assert catalog.pgettext(f"{BUNDLE}/Q11024-label", "communications") == "communications"  # fuzzy: left out
    assert catalog.info()["x-message-group"] == f"messagebundle-{BUNDLE}"


# -- header layout ------------------------------------------------------------------------------------
def test_header_fields_in_translates_order_and_a_lone_hash_line_without_authors(reference_dir: Path) -> None:
    export = export_text(reference_dir, "pt-br")
    snapshot = snapshot_like(export, "pt-br")
    translate_order = [name for name, _ in po_adapter.parse_po(export).metadata]
    ours = render(snapshot, "pt-br")
    our_order = [name for name, _ in po_adapter.parse_po(ours).metadata]
    assert [n for n in our_order if n in translate_order] == translate_order[2:]  # no dates in this snapshot
    assert our_order[0] == "Project-Id-Version" and our_order[-1] == "Plural-Forms"
    untranslated = render(snapshot, "de")
    assert untranslated.startswith("# Translation of Module:CapacityExchange/capacities.json to German (Deutsch)\n"
                                   "# Built by capxl10n\n#\nmsgid \"\"\n")


# -- the comparison finds every kind of difference ----------------------------------------------------
def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize("edit, kind, key", [
    (lambda t: _edit(t, '#\nmsgctxt "Module:CapacityExchange/capacities.json/Q5-label"\nmsgid "a new capacity"\n'
                        'msgstr ""\n\n', ""), "missing", "Q5-label"),
    (lambda t: t + '\n#\nmsgctxt "Module:CapacityExchange/capacities.json/Q7-label"\nmsgid "x"\nmsgstr ""\n',
     "extra", "Q7-label"),
    (lambda t: _edit(t, 'msgstr "saúde da comunidade"', 'msgstr "saúde"'), "msgstr", "Q28837578-label"),
    (lambda t: _edit(t, 'msgid "social skill"', 'msgid "social skills"'), "msgid", "Q1413287-label"),
    (lambda t: _edit(t, "#, fuzzy\n", ""), "fuzzy", "Q11024-label"),
    (lambda t: _edit(t, "#. [Wiki] Name of a capacity: a root of the capacity tree.\n",
                     "#. [Wiki] Name of a capacity.\n#. [Wiki] \n"), "documentation", "Q11024-label"),
    (lambda t: _edit(t, "# Author: Peer2\n", "# Author: Peer3\n"), "authors", "Author"),
    (lambda t: _edit(t, '"Language: pt-BR\\n"', '"Language: pt\\n"'), "header-value", "Language"),
    (lambda t: _edit(t, '"X-Language-Code: pt-br\\n"\n', '') .replace(
        '"Plural-Forms', '"X-Language-Code: pt-br\\n"\n"Plural-Forms'), "header-order", "fields"),
])
def test_compare_reports_each_kind_of_difference(reference_dir: Path, edit: object, kind: str, key: str) -> None:
    export = export_text(reference_dir, "pt-br")
    changed = edit(export)  # type: ignore[operator]
    result = compare_texts(export, changed)
    assert [(d.kind, d.key) for d in result.differences] == [(kind, key)], result.summary()
    assert compare_texts(export, export).ok and not compare_texts(export, export).deliberate


def test_compare_reports_moved_and_duplicate_entries(reference_dir: Path) -> None:
    export = export_text(reference_dir, "pt-br")
    block = ('#\nmsgctxt "Module:CapacityExchange/capacities.json/Q5-label"\nmsgid "a new capacity"\n'
             'msgstr ""\n\n')
    moved = _edit(export, block, "")
    moved = moved.replace('"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n',
                          '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n' + block, 1)
    result = compare_texts(export, moved)
    assert [(d.kind, d.key, d.reference, d.ours) for d in result.differences] == [
        ("order", "Q5-label", "position 14", "position 1")]
    doubled = export + "\n" + block
    assert [(d.kind, d.key) for d in compare_texts(export, doubled).differences] == [("duplicate", "Q5-label")]


@pytest.mark.parametrize("text", ["", "not a po file\n", 'msgid ""\nmsgstr ""\n\nmsgid "a\nmsgstr'])
def test_a_text_that_is_not_a_po_file_is_refused_naming_it(text: str) -> None:
    with pytest.raises(DataError, match="our catalog") as err:
        compare_texts('msgid ""\nmsgstr ""\n', text)
    assert err.value.hint


# -- the bundle's key order -------------------------------------------------------------------------------
def order_snapshot(order: object) -> Snapshot:
    caps = (Capacity("Q1"), Capacity("Q2", parent="Q1"), Capacity("Q3"), Capacity("Q4"))
    terms = {TermKey(q, f, "en"): Term(f"{q} {f}") for q in ("Q1", "Q2", "Q3", "Q4")
             for f in ("label", "description")}
    del terms[TermKey("Q4", "description", "en")]
    return Snapshot("base", caps, terms, meta={"message_order": order} if order is not None else {})


def test_bundle_order_first_then_the_rest_in_tree_order() -> None:
    snapshot = order_snapshot(["Q3-description", "Q2-label", "Q9-label", "not-a-key", "Q3-description",
                               "Q3-label", "Q4-description"])
    keys = [k.message_key for k in po_adapter.catalog_keys(snapshot)]
    assert keys == ["Q3-description", "Q2-label", "Q3-label", "Q4-description",   # bundle order, tree keys only
                    "Q1-label", "Q1-description", "Q2-description", "Q4-label"]   # then tree order
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions())
    assert list(prepared.message_keys) == keys
    assert [e.message_key for e in prepared.entries] == [k for k in keys if k != "Q4-description"]  # no English
    assert [k.message_key for k in po_adapter.catalog_keys(order_snapshot(None))] == [
        "Q1-label", "Q1-description", "Q2-label", "Q2-description", "Q3-label", "Q3-description", "Q4-label",
        "Q4-description"]


@pytest.mark.parametrize("bad", ["Q1-label", {"Q1-label": 1}, ["Q1-label", 7]])
def test_a_malformed_bundle_order_is_refused(bad: object) -> None:
    with pytest.raises(DataError, match="message_order") as err:
        po_adapter.prepare(order_snapshot(bad), po_adapter.PoOptions())
    assert err.value.hint


# -- translators credited -------------------------------------------------------------------------------
def credit_snapshot() -> Snapshot:
    k = TermKey
    caps = (Capacity("Q1"), Capacity("Q2"), Capacity("Q3"))
    terms = {k(q, f, "en"): Term(f"{q} {f}") for q in ("Q1", "Q2", "Q3") for f in ("label", "description")}
    terms.update({
        k("Q1", "label", "pt-br"): Term("um", author="Zé", side="metawiki"),
        k("Q1", "description", "pt-br"): Term("um d", author="Ana", side="metabase"),
        k("Q2", "label", "pt-br"): Term("dois", author="FuzzyBot", side="metawiki"),
        k("Q2", "description", "pt-br"): Term("dois d", author="CapxBot", side="metabase"),
        k("Q3", "label", "pt-br"): Term("três", author="Bia_Souza", fuzzy=True, side="metawiki"),
        k("Q3", "description", "pt-br"): Term("", author="Ghost", side="metawiki"),
        k("Q1", "label", "pt"): Term("um (pt)", author="Rui"),
        k("Q1", "label", "qqq"): Term("Documentation of Q1", author="Doc Writer"),
        k("Q2", "label", "qqq"): Term("  ", author="Blank"),
    })
    return Snapshot("base", caps, terms)


def test_po_credits_everyone_whose_text_it_holds_but_bots() -> None:
    ours = render(credit_snapshot(), "pt-br", exclude_authors=frozenset({"CapxBot@capxl10n"}))
    authors = [line for line in ours.splitlines() if line.startswith("# Author:")]
    # the fuzzy text is in the file (Translate credits it too); pt's, qqq's and the empty term's are not
    assert authors == ["# Author: Ana", "# Author: Bia Souza", "# Author: Zé"]
    assert "# Author: CapxBot" in render(credit_snapshot(), "pt-br")  # not excluded unless named


def test_json_credits_the_languages_own_current_text_only() -> None:
    snapshot = credit_snapshot()
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions())
    chain = tuple(langs.fallback_chain("pt-br"))
    resolved = jsonexport.resolve_indexed(prepared.message_keys, prepared.by_lang, chain)
    data, _ = jsonexport.banana_file(langs.get("pt-br"), chain, resolved, generator="capxl10n", message_group="g",
                                     exclude_authors=("CapxBot",))
    meta = json.loads(data)["@metadata"]
    assert meta["authors"] == ["Ana", "Zé"]  # fuzzy Bia skipped (not in the file), Rui's pt is a fallback


def test_credits_are_stable_so_bytes_change_only_with_the_people() -> None:
    snapshot = credit_snapshot()
    before = render(snapshot, "pt-br")
    more_by_ana = snapshot.with_terms({TermKey("Q3", "description", "pt-br"): Term("três d", author="Ana")})
    after = render(more_by_ana, "pt-br")
    authors = [[ln for ln in text.splitlines() if ln.startswith("# Author:")] for text in (before, after)]
    assert authors[0] == authors[1]
    assert render(Snapshot.loads(snapshot.dumps()), "pt-br") == before


def test_user_names_compare_as_mediawiki_does() -> None:
    assert user_key("capx_bot@capxl10n") == "Capx bot" == user_key("Capx bot")
    assert credited(["Ana", "ana", "Bia", "Capx_bot", None, "", "FuzzyBot"], ["capx bot@app"]) == ["Ana", "Bia"]
    assert credited(["Б", "A", "Ä", "a"]) == ["A", "Ä", "Б"]


# -- qqq.json ---------------------------------------------------------------------------------------------
def test_documentation_file_holds_each_documented_key_in_catalog_order() -> None:
    snapshot = credit_snapshot().with_terms({TermKey("Q3", "description", "qqq"): Term("Doc\nof Q3 d")},
                                            message_order=["Q3-description", "Q1-label"])
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions())
    data = jsonexport.documentation_file(prepared.message_keys, prepared.by_lang, generator="capxl10n 1",
                                         message_group="g", exclude_authors=["Doc_Writer"])
    assert data is not None
    text = data.decode("utf-8")
    parsed = json.loads(text)
    assert list(parsed) == ["@metadata", "Q3-description", "Q1-label"]  # blank Q2 documentation left out
    assert parsed["Q3-description"] == "Doc\nof Q3 d" and parsed["Q1-label"] == "Documentation of Q1"
    assert parsed["@metadata"]["authors"] == [] and parsed["@metadata"]["locale"] == "qqq"
    assert jsonexport.is_ours(parsed) and text.endswith("}\n") and re.search(r'\n\t"Q1-label": ', text)
    again = jsonexport.documentation_file(prepared.message_keys, prepared.by_lang, generator="capxl10n 1",
                                          message_group="g")
    assert again is not None and json.loads(again)["@metadata"]["authors"] == ["Doc Writer"]
    assert json.loads(again)["@metadata"]["hash"] == parsed["@metadata"]["hash"]  # credits are not content


def test_no_documentation_no_file() -> None:
    snapshot = Snapshot("base", (Capacity("Q1"),), {TermKey("Q1", "label", "en"): Term("x")})
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions())
    assert jsonexport.documentation_file(prepared.message_keys, prepared.by_lang, generator="capxl10n",
                                         message_group="g") is None


def test_comparison_to_json_names_both_sides(reference_dir: Path) -> None:
    export = export_text(reference_dir, "ar")
    parsed = po_adapter.parse_po(export)
    result = compare(parsed, po_adapter.parse_po(_edit(export, 'msgstr "التقنية"', 'msgstr ""')))
    assert result.to_json()["differences"] == [{"kind": "msgstr", "key": "Q11016-label", "translate": "التقنية",
                                                "ours": ""}]
    assert "1 difference" in result.summary() and "Q11016-label" in result.summary()
