"""The catalog writers are our own: no private API of polib or json, the same bytes as their public output.

The ``.po`` text comes from :mod:`capxl10n.catalogs.po` alone
(``po_escape``/``po_field``/``po_entry``/``po_head``). Here it is compared
byte for byte with polib's public output (``str(POFile)`` with
``wrapwidth=0``, ``POFile.to_binary`` for the ``.mo``) for every entry shape
and for random text, and read back by polib, Babel's ``read_po`` and GNU
``msgfmt -c``. The banana JSON's strings are compared with
``json.dumps(..., ensure_ascii=False)``.
"""
from __future__ import annotations

import ast
import gettext
import io
import json
import subprocess
from pathlib import Path

import polib
import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from capxl10n.core import langs
from capxl10n.catalogs import po as po_adapter
from capxl10n.catalogs import banana as jsonexport
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey
from plugins.common import REPO, need_tool

#: Any text but lone surrogates (not encodable as UTF-8, never in a wiki's text).
ANY_TEXT = st.characters(blacklist_categories=("Cs",))
#: What msgfmt compiles: EOT (U+0004) separates msgctxt from msgid in a .mo, so msgfmt refuses it in any
#: string; no catalog holds one (control characters are refused before a value is written: docs/values.md).
MSGFMT_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x04")
#: Texts of every shape the .po writer meets: escapes, line breaks splitlines() knows, non-BMP, RTL, combining marks.
TRICKY = ['plain', 'quote " and \\ backslash', "tab\tinside", "line one\nline two", "cr\rinside",
          "crlf\r\nand\vvt\fff", "sep\u2028line\u2029para\x85nel\x1cfs\x1dgs\x1ers", "emoji 🎉 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
          "عربي \u200f‏ RTL", "e\u0301 combining", "\x07bell\x00nul\x1bescape\bbackspace", "trailing\n\n",
          "{{PLURAL:$1|a|b}} <b>html</b> %s", "#, fuzzy\nmsgid \"x\"", "\\n not a newline"]


# -- the reference: polib's public API --------------------------------------------------------------------
class TranslateOrderFile(polib.POFile):
    """A polib file writing its header fields in the order given (Translate's), not polib's own order.

    ``ordered_metadata`` is a public method of polib's POFile; the reference
    relies on ``str(POFile)`` using it. If a polib release stops doing so,
    this reference fails here, in the tests: the writer itself calls nothing
    of polib.
    """

    def ordered_metadata(self) -> list[tuple[str, str]]:
        return list(self.metadata.items())


def polib_entry(entry: po_adapter.SourceEntry, msgstr: str = "", fuzzy: bool = False,
                previous_msgid: str | None = None) -> polib.POEntry:
    return polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, msgstr=msgstr, comment=entry.comment,
                         flags=["fuzzy"] if fuzzy else [], previous_msgid=previous_msgid)


def polib_po(prepared: po_adapter.Prepared, language: langs.Language) -> polib.POFile:
    """The catalog of one language as polib builds it from the same data as ``render_po``."""
    authors: set[str] = set()
    stamps: list[str | None] = []
    states = po_adapter._translations(prepared, language, authors, stamps)
    header, metadata = po_adapter._po_header(prepared, language, authors, stamps)
    po = TranslateOrderFile(wrapwidth=0, check_for_duplicates=False)
    po.header, po.metadata = header, metadata
    for entry, state in zip(prepared.entries, states):
        po.append(polib_entry(entry) if state is None else polib_entry(entry, *state))
    return po


def polib_pot(prepared: po_adapter.Prepared) -> polib.POFile:
    options = prepared.options
    pot = TranslateOrderFile(wrapwidth=0, check_for_duplicates=False)
    pot.header = f"Template of {options.bundle_page}\nBuilt by {options.generator}"
    pot.metadata = po_adapter._metadata(options, None, {"POT-Creation-Date": prepared.english_date})
    for entry in prepared.entries:
        pot.append(polib_entry(entry))
    return pot


def polib_bytes(po: polib.POFile) -> bytes:
    text = str(po)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def polib_entry_text(entry: polib.POEntry) -> str:
    """One entry as ``str(POFile(wrapwidth=0))`` writes it (``str(POEntry)`` alone wraps at 78 columns)."""
    po = polib.POFile(wrapwidth=0)
    po.append(entry)
    text = str(po)
    start = '#\nmsgid ""\nmsgstr ""\n\n'  # the empty header comment and header entry
    assert text.startswith(start)
    return text[len(start):]


def tricky_snapshot(texts: list[str]) -> Snapshot:
    """One capacity per text: English, pt-br translated/fuzzy (with previous English)/empty, ar untouched."""
    caps, terms, previous = [], {}, {}
    for i, text in enumerate(texts):
        qid = f"Q{i + 1}"
        caps.append(Capacity(qid, item=f"Q{1000 + i}"))
        terms[TermKey(qid, "label", "en")] = Term(f"{text} {i}", timestamp="2025-01-01T00:00:00Z")
        terms[TermKey(qid, "description", "en")] = Term(text or "x")
        terms[TermKey(qid, "label", "qqq")] = Term(text or "doc")
        state = i % 3
        terms[TermKey(qid, "label", "pt-br")] = Term(text, fuzzy=state == 1, author=f"A{i % 2}")
        terms[TermKey(qid, "description", "pt-br")] = Term(text if state == 2 else f"«{text}»", fuzzy=state == 0)
        terms[TermKey(qid, "description", "ar")] = Term(text[::-1] or "ن")
        previous[f"{qid}-description"] = f"old {text}"
    return Snapshot("metawiki", tuple(caps), terms, meta={"previous_source": {"pt-br": previous}})


def assert_same_as_polib(snapshot: Snapshot, options: po_adapter.PoOptions = po_adapter.PoOptions(),
                         codes: tuple[str, ...] = ("pt-br", "ar", "zh-hans")) -> None:
    prepared = po_adapter.prepare(snapshot, options)
    assert po_adapter.pot_bytes(prepared) == polib_bytes(polib_pot(prepared))
    for code in codes:
        language = langs.get(code)
        po_data, mo_data = po_adapter.render_po(prepared, language)
        reference = polib_po(prepared, language)
        assert po_data == polib_bytes(reference), code
        assert mo_data == reference.to_binary(), code


# -- byte for byte with polib ----------------------------------------------------------------------------
def test_files_are_byte_identical_to_polib_for_every_entry_shape() -> None:
    snapshot = tricky_snapshot(TRICKY)
    pt = [t for k, t in snapshot.terms.items() if k.lang == "pt-br"]
    assert any(t.fuzzy for t in pt) and any(not t.fuzzy for t in pt)
    assert_same_as_polib(snapshot)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(ANY_TEXT, max_size=12), min_size=1, max_size=4))
def test_files_match_polib_on_any_text(texts: list[str]) -> None:
    assert_same_as_polib(tricky_snapshot(texts))


def test_bundle_order_authors_and_excluded_bots_match_polib() -> None:
    caps = (Capacity("Q1"), Capacity("Q2", parent="Q1"), Capacity("Q3"))
    terms = {TermKey(q, f, "en"): Term(f"{q} {f}") for q in ("Q1", "Q2", "Q3") for f in ("label", "description")}
    terms.update({TermKey("Q3", "label", "pt-br"): Term("três", author="Bia"),
                  TermKey("Q1", "description", "pt-br"): Term("um\nlinha", fuzzy=True, author="CapxBot"),
                  TermKey("Q2", "label", "pt-br"): Term("dois", author=":colon"),
                  TermKey("Q1", "label", "qqq"): Term("doc\n\nmore")})
    snapshot = Snapshot("base", caps, terms, meta={"message_order": ["Q3-label", "Q1-description"]})
    options = po_adapter.PoOptions(exclude_authors=frozenset({"CapxBot@capxl10n"}))
    assert_same_as_polib(snapshot, options, ("pt-br", "ar"))
    po_data = po_adapter.render_po(po_adapter.prepare(snapshot, options), langs.get("pt-br"))[0].decode("utf-8")
    assert [line for line in po_data.splitlines() if "Author:" in line] == ["# Author: :colon", "# Author: Bia"]


@settings(max_examples=200, deadline=None)
@given(msgctxt=st.none() | st.text(ANY_TEXT, max_size=20), msgid=st.text(ANY_TEXT, max_size=20),
       msgstr=st.text(ANY_TEXT, max_size=20), comment=st.text(ANY_TEXT, max_size=20), fuzzy=st.booleans(),
       previous_msgid=st.none() | st.text(ANY_TEXT, max_size=20))
def test_entry_matches_polib_on_any_field(msgctxt: str | None, msgid: str, msgstr: str, comment: str,
                                          fuzzy: bool, previous_msgid: str | None) -> None:
    ours = po_adapter.po_entry(msgctxt, msgid, msgstr, comment=comment, fuzzy=fuzzy, previous_msgid=previous_msgid)
    reference = polib.POEntry(msgctxt=msgctxt, msgid=msgid, msgstr=msgstr, comment=comment,
                              flags=["fuzzy"] if fuzzy else [], previous_msgid=previous_msgid)
    assert ours == polib_entry_text(reference)
    assert po_adapter.po_escape(msgstr) == polib.escape(msgstr)


def test_the_escape_is_exactly_the_eight_c_escapes() -> None:
    assert [char for char, _ in po_adapter.PO_ESCAPES] == ["\\", "\t", "\r", "\n", "\v", "\b", "\f", '"']
    assert po_adapter.po_escape('\\n"\t\x07\x00\u2028') == '\\\\n\\"\\t\x07\x00\u2028'  # others as is
    assert po_adapter.po_field("msgstr", "a\u2028b") == 'msgstr ""\n"a\u2028"\n"b"'  # split, not escaped
    assert po_adapter.po_field("msgid", "old\nline", "#| ") == '#| msgid ""\n#| "old\\n"\n#| "line"'
    assert po_adapter.po_field("msgstr", "") == 'msgstr ""' and po_adapter.po_field("msgstr", "a\n") == 'msgstr "a\\n"'


@pytest.mark.parametrize("header", ["", "one line", "Title\nBuilt by x\n\nAuthor: Ana", ", comma\n: colon\n#hash"])
def test_head_matches_polib(header: str) -> None:
    metadata = {"Project-Id-Version": "p", "Content-Type": "text/plain; charset=UTF-8", "X-Z": "quote \" \\ é",
                "Language": "pt-BR"}
    reference = TranslateOrderFile(wrapwidth=0)
    reference.header, reference.metadata = header, metadata
    assert po_adapter.po_head(header, metadata) == str(reference)


# -- read back by polib, Babel and msgfmt ------------------------------------------------------------------
def read_back_snapshot(texts: list[str]) -> tuple[Snapshot, dict[str, tuple[str, str, bool]]]:
    """The texts as English descriptions and pt-br translations (fuzzy every third); the expected entries by msgctxt.

    English labels stay plain: they go into the ``#. Path:`` comment as they
    are, where a CR would end the comment line for polib's reader.
    """
    caps, terms = [], {}
    for i, text in enumerate(texts):
        qid = f"Q{i + 1}"
        caps.append(Capacity(qid))
        terms[TermKey(qid, "label", "en")] = Term(f"label {i}")
        terms[TermKey(qid, "description", "en")] = Term(f"{text} {i}")
        terms[TermKey(qid, "description", "qqq")] = Term(text or "doc")
        terms[TermKey(qid, "label", "pt-br")] = Term(text, fuzzy=i % 3 == 1)
        terms[TermKey(qid, "description", "pt-br")] = Term(f"«{text}»", fuzzy=i % 3 == 2)
    snapshot = Snapshot("metawiki", tuple(caps), terms)
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions())
    table = prepared.by_lang["pt-br"]
    expected = {}
    for entry in prepared.entries:
        term = table.get(entry.message_key)
        text = term.text if term else ""  # an empty term is untranslated: msgstr "", never fuzzy
        expected[entry.msgctxt] = (entry.msgid, text, bool(text and term and term.fuzzy))
    return snapshot, expected


def _pt_br_po(snapshot: Snapshot) -> bytes:
    return po_adapter.render_po(po_adapter.prepare(snapshot, po_adapter.PoOptions()), langs.get("pt-br"))[0]


def assert_polib_and_babel_read_it_back(texts: list[str], tmp: Path) -> None:
    snapshot, expected = read_back_snapshot(texts)
    data = _pt_br_po(snapshot)
    # from a file, as load_translations reads: given a string, polib splits it with str.splitlines and
    # misreads U+2028, U+0085, U+001C… inside a quoted line, its own writer's output included
    (tmp / "c.po").write_bytes(data)
    by_polib = {e.msgctxt: (e.msgid, e.msgstr, e.fuzzy) for e in polib.pofile(str(tmp / "c.po"))}
    assert by_polib == expected
    assert po_adapter.load_translations(tmp / "c.po") == {
        ctx: {"msgid": msgid, "msgstr": msgstr, "fuzzy": fuzzy} for ctx, (msgid, msgstr, fuzzy) in expected.items()}
    # Babel 2.14's reader knows only the \\ \" \n \t \r escapes (later ones all of C's): \b \v \f are
    # left to polib and msgfmt
    if not any(char in text for text in texts for char in "\b\v\f"):
        catalog = read_po(io.BytesIO(data))
        by_babel = {m.context: (m.id, m.string, m.fuzzy) for m in catalog if m.id}
        assert by_babel == expected
        assert str(catalog.locale) == "pt_BR"  # the header entry read too (Language: pt-BR)


def test_polib_and_babel_read_every_entry_shape_back(tmp_path: Path) -> None:
    assert_polib_and_babel_read_it_back(TRICKY, tmp_path)
    assert_polib_and_babel_read_it_back([t for t in TRICKY if not any(c in t for c in "\b\v\f")], tmp_path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(ANY_TEXT, max_size=12), min_size=1, max_size=4))
def test_polib_and_babel_read_any_text_back(tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> None:
    assert_polib_and_babel_read_it_back(texts, tmp_path_factory.mktemp("read"))


def assert_msgfmt_accepts_and_compiles_the_same(texts: list[str], tmp: Path) -> None:
    msgfmt = need_tool("msgfmt")
    snapshot, expected = read_back_snapshot(texts)
    (tmp / "c.po").write_bytes(_pt_br_po(snapshot))
    checked = subprocess.run([msgfmt, "-c", "-o", str(tmp / "c.mo"), str(tmp / "c.po")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    with open(tmp / "c.mo", "rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    for msgctxt, (msgid, msgstr, fuzzy) in expected.items():
        if "\x00" in msgid + msgstr:  # a .mo string ends at NUL
            continue
        assert catalog.pgettext(msgctxt, msgid) == (msgstr if msgstr and not fuzzy else msgid)


def test_msgfmt_accepts_every_entry_shape(tmp_path: Path) -> None:
    assert_msgfmt_accepts_and_compiles_the_same(TRICKY, tmp_path)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(MSGFMT_TEXT, max_size=12), min_size=1, max_size=4))
def test_msgfmt_accepts_any_text(tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> None:
    assert_msgfmt_accepts_and_compiles_the_same(texts, tmp_path_factory.mktemp("msgfmt"))


# -- JSON ----------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.text(ANY_TEXT, max_size=30))
def test_json_strings_are_json_dumps(text: str) -> None:
    assert jsonexport._encode_string(text) == json.dumps(text, ensure_ascii=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(ANY_TEXT, max_size=12), min_size=1, max_size=4))
def test_banana_messages_are_json_dumps_of_the_messages(texts: list[str]) -> None:
    snapshot = tricky_snapshot(texts)
    prepared = po_adapter.prepare(snapshot, po_adapter.PoOptions())
    chain = tuple(langs.fallback_chain("pt-br"))
    resolved = jsonexport.resolve_indexed(prepared.message_keys, prepared.by_lang, chain)
    data, digest = jsonexport.banana_file(langs.get("pt-br"), chain, resolved, generator="capxl10n",
                                         message_group="g")
    text = data.decode("utf-8")
    messages = {key: r.text for key, r in resolved.items()}
    assert text.endswith(",\n\t" + json.dumps(messages, ensure_ascii=False, separators=(",\n\t", ": "))[1:-1]
                         + "\n}\n")
    parsed = json.loads(text)
    assert {k: v for k, v in parsed.items() if k != "@metadata"} == messages
    assert parsed["@metadata"]["hash"] == digest
    assert list(parsed["@metadata"]["provenance"]) == list(messages)


# -- no private API of a dependency ------------------------------------------------------------------------
#: The documented names the writers use from each module they import.
PUBLIC: dict[str, set[str]] = {"polib": {"pofile", "POFile", "POEntry"},
                               "json": {"dumps", "loads", "JSONEncoder", "JSONDecodeError"}}


@pytest.mark.parametrize("module", ["capxl10n/catalogs/po.py", "capxl10n/catalogs/banana.py"])
def test_writers_use_only_documented_names_of_polib_and_json(module: str) -> None:
    tree = ast.parse((REPO / module).read_text(encoding="utf-8"))
    used = {(node.value.id, node.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in PUBLIC}
    assert used and all(attr in PUBLIC[name] for name, attr in used), used
    private = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr.startswith("_")}
    assert private <= {"__new__", "__setattr__", "__name__"}, private  # the data model's own, on builtins
