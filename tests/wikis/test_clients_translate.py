"""Meta-Wiki client: bundle, messagecollection per language, stats as a hint only, unit writes, plain reader."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from plugins.fake_transport import Call, EditRecorder, Reply, Sleeper, fake_session, recording, reply

from capxl10n.wikis.http import ApiClient
from capxl10n.wikis.translate import MetawikiClient, PlainMetawikiClient, strip_marker
from capxl10n.errors import DataError, EditConflictError, PermissionDeniedError, ValidationError
from capxl10n.core.cursors import Bundle
from capxl10n.core.model import TermKey
from capxl10n.profile import Pacing, load_profile

BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"
#: The bot's rights on Meta-Wiki: Translate units need ``translate`` besides ``edit``.
TRANSLATOR = ("edit", "translate")


def make(handler, cls=MetawikiClient):
    profile = load_profile("sandbox").rebase("http://wiki.test")
    profile = replace(profile, pacing=Pacing(max_attempts=2))
    session, transport = fake_session(handler)
    sleeper = Sleeper()
    api = ApiClient(profile.metawiki, profile, session=session, sleep=sleeper, clock=sleeper.clock)
    return cls(api, profile.metawiki), api, transport


def unit(key: str, lang: str, text: str | None, *, fuzzy=False, rev="10", who="Alice") -> dict:
    props = {"status": "untranslated" if text is None else "fuzzy" if fuzzy else "translated",
             "revision": rev if text is not None else None,
             "last-translator-text": who if text is not None else None}
    return {"key": f"{BUNDLE}/{key}", "translation": text, "tags": ["fuzzy"] if fuzzy else [],
            "properties": props, "title": f"Translations:{BUNDLE}/{key}/{lang}", "targetLanguage": lang}


class FakeMeta:
    """A bundle of n capacities, translations per language, paged by mcoffset (page size 3)."""

    def __init__(self, translations: dict[str, list[dict]], stats: list[dict] | None = None,
                 stats_offset: str | None = None) -> None:
        self.translations = translations
        self.stats = stats
        self.stats_offset = stats_offset
        self.calls: list[Call] = []

    def __call__(self, call: Call) -> Reply:
        self.calls.append(call)
        out: dict = {"batchcomplete": True, "query": {}}
        if call.get("prop") == "revisions" and call.get("titles") == BUNDLE:
            out = recording("translate-responses/bundle-read").data
            out = json.loads(json.dumps(out))
            out["curtimestamp"] = "2026-03-03T00:00:00Z"
        if call.get("meta") == "messagegroupstats":
            out["query"]["messagegroupstats"] = self.stats or []
            if self.stats_offset:
                out["continue"] = {"mgsoffset": self.stats_offset, "continue": "-||"}
        if call.get("list") == "messagecollection":
            assert call.get("mcgroup") == GROUP
            lang = call.get("mclanguage")
            if lang in ("en", "qqq"):
                raise AssertionError(f"/{lang} must never be read as translations")
            rows = self.translations.get(lang, [])
            start = int(call.get("mcoffset") or 0)
            out["query"]["messagecollection"] = rows[start:start + 3]
            if start + 3 < len(rows):
                out["continue"] = {"mcoffset": str(start + 3), "continue": "-||"}
        if call.get("list") == "allpages":
            titles = [r["title"] for rows in self.translations.values() for r in rows]
            out["query"]["allpages"] = [{"ns": 1198, "title": t} for t in titles + [
                f"Translations:{BUNDLE}/Q759524-label/en", f"Translations:{BUNDLE}/Q759524-label/qqq"]]
        return reply(out)


def stats_row(code: str, translated: int, fuzzy: int = 0) -> dict:
    return {"total": 14, "translated": translated, "fuzzy": fuzzy, "proofread": 0, "code": code, "language": code}


def pt_rows() -> list[dict]:
    return [unit("Q759524-label", "pt-br", "estrutura organizacional", rev="17", who="Admin"),
            unit("Q759524-description", "pt-br", "Os frameworks", rev="18"),
            unit("Q11024-label", "pt-br", "comunicação", fuzzy=True, rev="21", who="Peer2"),
            unit("Q11024-description", "pt-br", None),
            unit("Q60231731-label", "pt-br", "!!FUZZY!!Aprendizagem", rev="30")]


def test_full_read_uses_stats_to_skip_empty_languages_and_follows_continuation():
    fake = FakeMeta({"pt-br": pt_rows(), "ar": [unit("Q11024-label", "ar", "تواصل", rev="5")]},
                    stats=[stats_row("ar", 1), stats_row("de", 0), stats_row("en", 14), stats_row("pt-br", 2, 1),
                           stats_row("qqq", 3)])
    client, api, _ = make(fake)
    snap, cursor = client.read_translations()
    # one query (bundle+stats), ar (1 page), pt-br (2 pages of 3); de skipped, en/qqq never read
    assert api.requests_made == 4
    read = [c.get("mclanguage") for c in fake.calls if c.get("list") == "messagecollection"]
    assert sorted(set(read)) == ["ar", "pt-br"]
    t = snap.get(TermKey("Q759524", "label", "pt-br"))
    assert t.text == "estrutura organizacional" and t.revision == 17 and t.author == "Admin" and not t.fuzzy
    fuzzy = snap.get(TermKey("Q11024", "label", "pt-br"))
    assert fuzzy.fuzzy and fuzzy.revision == 21 and fuzzy.author == "Peer2"
    marked = snap.get(TermKey("Q60231731", "label", "pt-br"))
    assert marked.fuzzy and marked.text == "Aprendizagem"
    assert snap.get(TermKey("Q11024", "description", "pt-br")) is None
    english = snap.get(TermKey("Q759524", "label", "en"))
    assert english.text == "organizational structure" and english.revision == 40
    assert cursor.high_water == "2026-03-03T00:00:00Z" and cursor.bundle.namespace == 828
    assert cursor.bundle.revision == 40 and not cursor.documentation and not snap.meta
    assert all(c.get("mcprop") == "translation|tags|properties" for c in fake.calls if c.get("mclanguage"))


def test_uncomputed_stats_mean_every_language_is_read():
    fake = FakeMeta({"pt-br": pt_rows()[:2], "de": [unit("Q11024-label", "de", "Kommunikation")]},
                    stats=[], stats_offset="aa")
    client, api, _ = make(fake)
    snap, _ = client.read_translations()
    assert set(snap.languages()) == {"de", "en", "pt-br"}
    assert not client.stats_complete
    assert any(c.get("list") == "allpages" for c in fake.calls)


def test_partial_stats_continue_with_mgsoffset():
    pages = [
        {"batchcomplete": True, "continue": {"mgsoffset": "de", "continue": "-||"},
         "query": {"messagegroupstats": [stats_row("ar", 1)]}},
        {"batchcomplete": True, "query": {"messagegroupstats": [stats_row("de", 2)]}},
    ]
    base = FakeMeta({"ar": [unit("Q11024-label", "ar", "x")], "de": [unit("Q11024-label", "de", "y")]})

    def handler(call: Call) -> Reply:
        if call.get("meta") == "messagegroupstats" and call.get("mgsoffset"):
            base.calls.append(call)
            return reply(pages[1])
        if call.get("meta") == "messagegroupstats":
            answer = base(call)
            answer.data.update({"continue": pages[0]["continue"]})
            answer.data["query"]["messagegroupstats"] = pages[0]["query"]["messagegroupstats"]
            return answer
        return base(call)

    client, _, _ = make(handler)
    snap, _ = client.read_translations()
    assert {"ar", "de"} <= set(snap.languages()) and client.stats_complete


def test_real_messagecollection_answers_parse():
    answer = recording("translate-responses/bundle-edit-english-change-mc-pt-br")
    answer.data.pop("continue", None)
    client, _, _ = make(lambda call: answer)
    terms = client.read_language("pt-br")
    assert terms and all(k.lang == "pt-br" for k in terms)
    assert any(t.fuzzy for t in terms.values())
    assert all(isinstance(t.revision, int) for t in terms.values())


def test_en_and_qqq_are_never_translations():
    client, api, _ = make(lambda call: pytest.fail("no request expected"))
    assert client.read_language("en") == {} and client.read_language("qqq") == {}
    assert api.requests_made == 0


def test_changed_units_from_recentchanges():
    rc = {"batchcomplete": True, "curtimestamp": "2026-04-04T00:00:00Z", "query": {"recentchanges": [
        {"type": "edit", "ns": 1198, "title": f"Translations:{BUNDLE}/Q1-label/pt-br", "revid": 7},
        {"type": "edit", "ns": 1198, "title": f"Translations:{BUNDLE}/Q1-label/en", "revid": 8},
        {"type": "edit", "ns": 1198, "title": f"Translations:{BUNDLE}/Q1-label/qqq", "revid": 9},
        {"type": "edit", "ns": 1198, "title": "Translations:Some other page/1/de", "revid": 10},
        {"type": "log", "ns": 1198, "title": f"Translations:{BUNDLE}/Q2-description/ar", "revid": 0},
    ]}}
    fake_calls = []

    def handler(call):
        fake_calls.append(call)
        return reply(rc)

    client, _, _ = make(handler)
    units, bundle_changed, mark = client.changed_units("2026-01-01T00:00:00Z")
    assert units == {TermKey("Q1", "label", "pt-br"), TermKey("Q2", "description", "ar")}
    assert mark == "2026-04-04T00:00:00Z"
    assert fake_calls[0].get("rcstart") == "2026-01-01T00:00:00Z" and fake_calls[0].get("rcdir") == "newer"


@pytest.fixture()
def creds(monkeypatch):
    monkeypatch.setenv("CAPXL10N_METAWIKI_USER", "CapxBot@capxl10n")
    monkeypatch.setenv("CAPXL10N_METAWIKI_PASSWORD", "sandbox-bot-password-0123456789abcdef")


def test_save_unit_guards_and_marks_fuzzy(creds):
    writer = EditRecorder(recording("translate-responses/edit-unit-plain"), TRANSLATOR)
    client, _, _ = make(writer)
    key = TermKey("Q11024", "label", "pt-br")
    result = client.save_unit(key, "comunicação", fuzzy=True, baserevid=21, basetimestamp="2026-01-01T00:00:00Z",
                              create=False, summary="capxl10n")
    (edit,) = writer.edits
    assert edit.get("title") == f"Translations:{BUNDLE}/Q11024-label/pt-br"
    assert edit.get("text") == "!!FUZZY!!comunicação" and edit.get("nocreate") == "1"
    assert edit.get("createonly") is None and edit.get("baserevid") == "21" and edit.get("assert") == "user"
    assert result.revision is not None
    client.save_unit(key, "x", baserevid=None, basetimestamp=None, create=True, summary="s")
    assert writer.edits[1].get("createonly") == "1" and writer.edits[1].get("text") == "x"


def test_save_unit_nochange(creds):
    client, _, _ = make(EditRecorder(recording("translate-responses/edit-unit-same-text-over-fuzzy-tag"),
                                      TRANSLATOR))
    result = client.save_unit(TermKey("Q1", "label", "de"), "x", baserevid=1, basetimestamp=None, create=False,
                              summary="s")
    assert result.nochange and result.revision is None


@pytest.mark.parametrize("name, cls", [
    ("translate-responses/edit-unit-unknown-key", ValidationError),
    ("translate-responses/edit-unit-anon", PermissionDeniedError),
    ("translate-responses/edit-unit-conflict-baserevid", EditConflictError),
])
def test_save_unit_refusals_carry_the_term(creds, name, cls):
    client, _, _ = make(EditRecorder(recording(name), TRANSLATOR))
    key = TermKey("Q999", "label", "pt-br")
    with pytest.raises(cls) as err:
        client.save_unit(key, "x", baserevid=1, basetimestamp=None, create=False, summary="s")
    assert err.value.term == key and err.value.hint


def test_writing_en_or_qqq_units_is_refused(creds):
    client, api, _ = make(EditRecorder(reply({}), TRANSLATOR))
    with pytest.raises(DataError):
        client.save_unit(TermKey("Q1", "label", "qqq"), "doc", baserevid=None, basetimestamp=None, create=True,
                         summary="s")
    assert api.requests_made == 0


def test_save_bundle_keeps_metadata_and_creates_with_the_content_model(creds):
    writer = EditRecorder(recording("translate-responses/bundle-add-key"), TRANSLATOR)
    client, _, _ = make(writer)
    client.save_bundle(Bundle({}, exists=False), {"Q1-label": "One", "Q1-description": "First"}, summary="s")
    edit = writer.edits[0]
    assert edit.get("contentmodel") == "translate-messagebundle" and edit.get("createonly") == "1"
    assert list(json.loads(edit.get("text"))) == ["Q1-label", "Q1-description"]
    # over a page as read: its @metadata kept, its revision the guard (the bundle written over is an argument)
    read = Bundle({"Q1-label": "One"}, metadata={"sourceLanguage": "en"}, revision=7, timestamp="2026-01-01T00:00:00Z")
    client.save_bundle(read, {"Q1-label": "One!"}, summary="s")
    edit = writer.edits[1]
    assert edit.get("nocreate") == "1" and edit.get("baserevid") == "7" and not edit.get("contentmodel")
    assert edit.get("basetimestamp") == "2026-01-01T00:00:00Z"
    assert json.loads(edit.get("text")) == {"@metadata": {"sourceLanguage": "en"}, "Q1-label": "One!"}


def test_plain_reader_interprets_the_fuzzy_marker():
    answer = recording("mediawiki-responses/allpages-revisions-page1").data
    answer.pop("continue")
    client, _, transport = make(lambda call: reply(answer), cls=PlainMetawikiClient)
    terms = client.read_pages(None)
    assert transport.calls[0].get("gapnamespace") == "1198" and transport.calls[0].get("gapprefix") == f"{BUNDLE}/"
    first = terms[TermKey("Q1", "label", "pt-br")]
    assert first.fuzzy and "!!FUZZY!!" not in first.text and first.revision == 4 and first.author == "Admin"
    assert not terms[TermKey("Q100", "label", "pt-br")].fuzzy
    assert len(terms) == len(answer["query"]["pages"])


def test_strip_marker():
    assert strip_marker("!!FUZZY!!Olá") == ("Olá", True)
    assert strip_marker("Olá") == ("Olá", False)
