"""docs/values.md against the real software: what Wikibase and Translate store for odd values.

Each row of :data:`ROWS` is one row of the table in docs/values.md: a value,
what the real Metabase (``wbeditentity`` on a new item, read back with
``wbgetentities``) stores, what the real Meta-Wiki stores for a translation
unit (``action=edit``, read back with ``list=messagecollection`` as capxl10n's
reader does) and, for some rows, for the English bundle source (Translate's
definition). The test sends the value, checks the table, and then checks
:func:`capxl10n.core.values.value_problem` against it: a value it accepts must be
kept by every side (after ``normalize_text``); a value it refuses must be
altered or refused by a side, unless the row is one of capxl10n's own
policies.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from capxl10n.core.model import normalize_text
from capxl10n.core.values import MAX_TERM_LENGTH, value_problem
from realwiki.backends import BUNDLE, GROUP, Client, make_qid

KEPT = "kept"  # stored as sent, after NFC and trimming (normalize_text)
REMOVED = "removed"  # Wikibase stores no term at all
KEY = make_qid("values-peer") + "-label"
LANG = "de"


@dataclass(frozen=True)
class Row:
    """One row of docs/values.md: a value and what each side stores (KEPT, REMOVED, ``refused:<message>``
    or the altered text)."""

    name: str
    value: str
    metabase: str
    metawiki: str
    bundle: str | None = None  # measured only where the English path differs
    policy: bool = False  # both wikis keep it, capxl10n refuses it anyway
    field: str = "label"


def refused(message: str) -> str:
    return f"refused:{message}"


ROWS = [
    Row("plain text", "Organizar editatonas", KEPT, KEPT, KEPT),
    Row("C0 control (BEL)", "Org\u0007anizar", "Org anizar", "Org\ufffdanizar", "Org\ufffdanizar"),
    Row("C0 control (ESC)", "Org\u001banizar", "Org anizar", "Org\ufffdanizar"),
    Row("C0 control (VT) in outer whitespace", "\u000bOrganizar", KEPT, "\ufffdOrganizar", "\ufffdOrganizar"),
    Row("U+001F first", "\u001fOrganizar", KEPT, refused("badvalue")),
    Row("TAB, LF, CR, NEL in outer whitespace", "\r\n\u0085Organizar\t\n", KEPT, KEPT, KEPT),
    Row("TAB inside", "Org\tanizar", "Org anizar", KEPT, KEPT),
    Row("LF inside", "Org\nanizar", "Org anizar", KEPT),
    Row("CR inside", "Org\ranizar", "Org anizar", "Org\nanizar", KEPT),
    Row("DEL", "Org\u007fanizar", "Org anizar", KEPT),
    Row("C1 control (CSI)", "Org\u009banizar", "Org anizar", KEPT),
    Row("line separator U+2028", "Org\u2028anizar", refused("wikibase-validator-malformed-value"), KEPT),
    Row("RLO override + PDF", "Org\u202eanizar\u202c", KEPT, KEPT, KEPT),
    Row("LRI isolate + PDI", "\u0645\u0631\u062d\u0628\u0627 \u2066CapX\u2069", KEPT, KEPT),
    Row("RLM mark", "\u0645\u0631\u062d\u0628\u0627\u200f 2", KEPT, KEPT),
    Row("ZWNJ (Persian)", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", KEPT, KEPT),
    Row("emoji ZWJ sequence", "Family \U0001F468\u200D\U0001F469\u200D\U0001F467", KEPT, KEPT, KEPT),
    Row("noncharacter U+FFFE", "Org\ufffeanizar", "Org\ufffdanizar", "Org\ufffdanizar", "Org\ufffdanizar"),
    Row("noncharacter U+FDD0", "Org\ufdd0anizar", KEPT, KEPT, policy=True),
    Row("private use U+E000", "Org\ue000anizar", KEPT, KEPT),
    Row("replacement character U+FFFD", "Org\ufffdanizar", KEPT, KEPT, policy=True),
    Row("outer spaces", "  Organizar  ", KEPT, KEPT, KEPT),
    Row("outer NBSP", "\u00a0Organizar\u00a0", KEPT, KEPT),
    Row("inner run of spaces", "Org  \u00a0 anizar", KEPT, KEPT),
    Row("whitespace only", "   ", REMOVED, KEPT, refused("translate-messagebundle-validation-error")),
    Row("zero-width space only", "\u200b", KEPT, KEPT, policy=True),
    Row("decomposed (NFD)", "Cafe\u0301", KEPT, KEPT),
    Row(f"{MAX_TERM_LENGTH} code points (astral)", "\U0001F600" * MAX_TERM_LENGTH, KEPT, KEPT),
    Row(f"{MAX_TERM_LENGTH + 1} code points", "a" * (MAX_TERM_LENGTH + 1),
        refused("wikibase-validator-label-too-long"), KEPT, KEPT),
    Row(f"{MAX_TERM_LENGTH + 1} code points, description", "d" * (MAX_TERM_LENGTH + 1),
        refused("wikibase-validator-description-too-long"), KEPT, field="description"),
    Row("Translate's fuzzy marker", "Org!!FUZZY!!anizar", KEPT, "fuzzy:Organizar"),
    Row("wikitext", "[[Foo]] {{bar}} <b>x</b> ~~~~ a &amp; b", KEPT, KEPT),
]


@pytest.fixture(scope="module")
def wiki(peer: Any) -> Iterator[Client]:
    """A logged-in session on the peer, with :data:`KEY` in the bundle for the unit saves (removed after)."""
    client = Client(peer.api)
    assert client.login(peer.bot.login, peer.bot.password).body["login"]["result"] == "Success"
    assert _set_english(client, "values probe").code is None
    yield client
    assert _set_english(client, None).code is None


def _set_english(client: Client, text: str | None) -> Any:
    """Put ``text`` as :data:`KEY`'s English into the bundle (None: take the key out again)."""
    page = client.page(BUNDLE)
    assert page is not None
    data = json.loads(page["text"])
    if text is None:
        data.pop(KEY, None)
    else:
        data[KEY] = text
    return client.write("edit", title=BUNDLE, text=json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                        baserevid=page["revid"])


def _error_name(answer: Any) -> str:
    messages = answer.error.get("messages") or []
    return refused(messages[0]["name"] if messages else answer.code)


def _outcome(value: str, stored: str | None, fuzzy: bool = False) -> str:
    if stored is None:
        return REMOVED
    if fuzzy:
        return f"fuzzy:{stored}"
    return KEPT if normalize_text(stored) == normalize_text(value) else stored


def metabase(client: Client, value: str, field: str) -> str:
    """What wbeditentity stores (the way capxl10n's client sends it: JSON with raw UTF-8)."""
    section = "labels" if field == "label" else "descriptions"
    data = {section: {LANG: {"language": LANG, "value": value}}}
    answer = client.write("wbeditentity", new="item", data=json.dumps(data, ensure_ascii=False))
    if answer.error:
        return _error_name(answer)
    qid = answer.body["entity"]["id"]
    read = client.get(action="wbgetentities", ids=qid, props=section, formatversion=2).body
    stored = (read["entities"][qid].get(section) or {}).get(LANG, {}).get("value")
    return _outcome(value, stored)


def _collection_row(client: Client, lang: str, prop: str) -> dict[str, Any]:
    answer = client.get(action="query", list="messagecollection", mcgroup=GROUP, mclanguage=lang,
                        mcprop=prop, formatversion=2).body
    (row,) = [r for r in answer["query"]["messagecollection"] if r["key"] == f"{BUNDLE}/{KEY}"]
    return row


def metawiki(client: Client, value: str) -> str:
    """What a translation unit holds, as Translate lists it (marker stripped, fuzzy tag)."""
    answer = client.write("edit", title=f"Translations:{BUNDLE}/{KEY}/{LANG}", text=value)
    if answer.error:
        return _error_name(answer)
    row = _collection_row(client, LANG, "translation|tags")
    return _outcome(value, row.get("translation"), "fuzzy" in (row.get("tags") or []))


def bundle(client: Client, value: str) -> str:
    """What Translate takes as the English definition when the bundle holds ``value``."""
    answer = _set_english(client, value)
    if answer.error:
        return _error_name(answer)
    return _outcome(value, _collection_row(client, "en", "definition").get("definition"))


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_table_row_holds_on_the_real_wikis(wiki: Client, row: Row) -> None:
    seen = {"metabase": metabase(wiki, row.value, row.field), "metawiki": metawiki(wiki, row.value)}
    expected = {"metabase": row.metabase, "metawiki": row.metawiki}
    if row.bundle is not None:
        seen["bundle"] = bundle(wiki, row.value)
        expected["bundle"] = row.bundle
    assert seen == expected, f"docs/values.md row {row.name!r} no longer matches the real wikis"

    problem = value_problem(row.value, field=row.field, lang=LANG)
    all_kept = all(outcome == KEPT for outcome in seen.values())
    if problem is None:
        assert all_kept, f"value_problem accepts {row.value!r} but a wiki changes it: {seen}"
    else:
        assert not all_kept or row.policy, f"value_problem refuses a value both wikis keep ({problem})"
        assert all_kept or not row.policy, f"row {row.name!r} is marked policy but a wiki changes it"
