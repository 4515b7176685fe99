"""``MetawikiClient._mc_terms``: a ``messagecollection`` answer's units as terms, each key parsed once per
client (a full read lists every key in every language). Every way a row can say its text, its outdated
state and its revision, and keys that name no capacity message, give what the row says, in any language."""
from __future__ import annotations

from capxl10n.core.model import Term, TermKey
from capxl10n.profile import MetawikiProfile
from capxl10n.wikis.translate import FUZZY_MARKER, MetawikiClient

PROFILE = MetawikiProfile(name="metawiki", api="http://127.0.0.1:1/w/api.php")
PREFIX = f"{PROFILE.bundle_page}/"


def answer(*rows: dict) -> dict:
    return {"query": {"messagecollection": list(rows)}}


def test_rows_become_the_terms_they_describe_in_each_language():
    client = MetawikiClient(None, PROFILE)  # type: ignore[arg-type]  # no request is made
    rows = (
        {"key": PREFIX + "Q1-label", "translation": "Nome", "properties": {"revision": "12", "status": "translated",
                                                                            "last-translator-text": "Ana"}},
        {"key": PREFIX + "Q1-description", "translation": f"{FUZZY_MARKER} Velha ", "properties": {"revision": "13"}},
        {"key": PREFIX + "Q2-label", "translation": "Marcada", "tags": ["fuzzy"], "properties": {}},
        {"key": PREFIX + "Q2-description", "translation": "Estado", "properties": {"status": "fuzzy", "revision": ""}},
        {"key": PREFIX + "Q3-label", "*": "fv1 text", "revision": 7},
        {"key": PREFIX + "Q3-description", "translation": None},
        {"key": PREFIX + "notes", "translation": "not a capacity message"},
        {"key": "Q4-label", "translation": "no prefix"},
    )
    for lang in ("pt-br", "de", "pt-br"):
        terms = client._mc_terms(answer(*rows), lang)
        assert terms == {
            TermKey("Q1", "label", lang): Term("Nome", False, 12, "Ana", "metawiki"),
            TermKey("Q1", "description", lang): Term("Velha", True, 13, None, "metawiki"),
            TermKey("Q2", "label", lang): Term("Marcada", True, None, None, "metawiki"),
            TermKey("Q2", "description", lang): Term("Estado", True, None, None, "metawiki"),
            TermKey("Q3", "label", lang): Term("fv1 text", False, 7, None, "metawiki"),
            TermKey("Q4", "label", lang): Term("no prefix", False, None, None, "metawiki"),
        }
        assert all(type(k) is TermKey and k.lang == lang for k in terms)
    assert client.unknown_units == ["notes/pt-br", "notes/de", "notes/pt-br"]
    assert client._mc_terms(answer(), "fr") == {} and client._mc_terms({}, "fr") == {}
