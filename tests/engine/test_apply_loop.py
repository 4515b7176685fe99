"""The guarded write loop's edges (a refused Metabase batch retried term by term) and the typed write answer."""
from __future__ import annotations

import typing
from dataclasses import replace
from pathlib import Path

import pytest
from plugins.fake_clients import FakeMetabase, FakeMetawiki, FakeWikis, seeded
from plugins.fake_transport import EditRecorder, Sleeper, fake_session, recording, reply

from capxl10n.core.cursors import Bundle
from capxl10n.core.model import TermKey
from capxl10n.engine import sync as sync_mod
from capxl10n.engine.apply import MetabaseWriter, MetawikiWriter, Writers
from capxl10n.engine.journal import PENDING, JournalRow, JournalStatus
from capxl10n.engine.state import open_state
from capxl10n.errors import EXIT_OK, EXIT_PARTIAL, EditConflictError, NetworkError, ValidationError
from capxl10n.profile import Pacing, load_profile
from capxl10n.wikis.http import ApiClient
from capxl10n.wikis.results import WriteResult
from capxl10n.wikis.translate import MetawikiClient
from capxl10n.wikis.wikibase import MetabaseClient


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for site in ("METABASE", "METAWIKI"):
        monkeypatch.setenv(f"CAPXL10N_{site}_USER", "CapxBot@capxl10n")
        monkeypatch.setenv(f"CAPXL10N_{site}_PASSWORD", "sandbox-bot-password-0123456789abcdef")
    return load_profile("sandbox").with_paths(state=tmp_path / "state.sqlite", catalogs=tmp_path / "catalogs")


def writers(wikis: FakeWikis) -> Writers:
    return Writers(wikis.metabase, wikis.metawiki, lambda: wikis.requests)


@pytest.fixture
def synced(profile) -> FakeWikis:
    wikis = seeded()
    assert sync_mod.sync(profile, reader=lambda p, s: wikis.read(), writers=lambda p: writers(wikis)).exit_code == EXIT_OK
    return wikis


def two_terms_for_one_item(profile, wikis: FakeWikis):
    """A plan writing two translations onto Metabase item Q101 (one wbeditentity)."""
    wikis.human_unit("Q1", "label", "fr", "un")
    wikis.human_unit("Q1", "label", "es", "uno")
    plan = sync_mod.plan(profile, reader=lambda p, s: wikis.read()).plan
    assert [(op.target, op.page) for op in plan.operations] == [("metabase", "Q101")] * 2
    return plan


class RefusingMetabase:
    """Metabase refusing every batch; a single term gets ``single()``'s error (or is written)."""

    def __init__(self, wikis: FakeWikis, single) -> None:
        self.real = wikis.metabase
        self.wikis = wikis
        self.single = single
        self.edits: list[dict[str, str | None]] = []
        self.reads = 0

    def read_item(self, item: str):
        self.reads += 1
        return self.real.read_item(item)

    def page_history(self, item: str, since: str | None = None):
        return self.real.page_history(item, since)

    def edit_item(self, item: str, *, labels, descriptions, baserevid: int, summary: str) -> WriteResult:
        self.edits.append({**labels, **descriptions})
        if len(labels) + len(descriptions) > 1:
            self.wikis.requests += 1
            raise ValidationError("one of these terms is refused", code="modification-failed", site="metabase",
                                  term=item)
        error = self.single()
        if error is None:
            return self.real.edit_item(item, labels=labels, descriptions=descriptions, baserevid=baserevid,
                                       summary=summary)
        self.wikis.requests += 1
        raise error


def conflict() -> EditConflictError:
    return EditConflictError("Edit conflict. Could not patch the current revision.", code="editconflict",
                             site="metabase", term="Q101")


def test_a_single_term_that_keeps_conflicting_fails_after_max_attempts(profile, synced) -> None:
    """Retrying the terms of a refused batch one by one is bounded like every write: no RecursionError."""
    plan = two_terms_for_one_item(profile, synced)
    first, second = plan.operations
    metabase = RefusingMetabase(synced, conflict)  # edit conflicts forever
    outcome = sync_mod.apply(profile, plan, writers=Writers(metabase, synced.metawiki, lambda: synced.requests))
    assert outcome.exit_code == EXIT_PARTIAL
    why = "metabase: Q101 kept changing during 4 attempts"
    assert outcome.result.failed == {first.id: why, second.id: why}
    # the batch, then the first term alone four times (each conflict re-read); the second term never went out
    assert [sorted(e) for e in metabase.edits] == [["es", "fr"]] + [[first.key.lang]] * 4
    assert metabase.reads == 4
    assert synced.write_count() == 0
    with open_state(profile.state) as state:
        journal = state.journal(plan.id)
        # an edit conflict is an answer: nothing landed, so "failed", not "sent"
        assert journal[first.id] == ("failed", 1 + 4, None, why)
        assert journal[second.id] == ("failed", 1, None, why)
        assert state.plan_status(plan.id) == "partial"
    # the next run writes both: nothing was lost or written twice
    again = sync_mod.sync(profile, reader=lambda p, s: synced.read(), writers=lambda p: writers(synced))
    assert again.exit_code == EXIT_OK
    assert synced.items["Q101"].terms[("label", "fr")] == "un" and synced.items["Q101"].terms[("label", "es")] == "uno"


def test_a_single_term_whose_write_got_no_answer_stays_sent(profile, synced) -> None:
    """An unanswered single write may have landed: the journal keeps it ``sent``; the untried term ``failed``."""
    plan = two_terms_for_one_item(profile, synced)
    first, second = plan.operations
    answers = iter([conflict(), NetworkError("connection reset", site="metabase")])
    metabase = RefusingMetabase(synced, lambda: next(answers))
    outcome = sync_mod.apply(profile, plan, writers=Writers(metabase, synced.metawiki, lambda: synced.requests))
    assert outcome.exit_code == EXIT_PARTIAL
    assert len(metabase.edits) == 3 and metabase.reads == 1
    with open_state(profile.state) as state:
        journal = state.journal(plan.id)
        assert journal[first.id][:2] == ("sent", 1 + 2)
        assert journal[second.id] == ("failed", 1, None, "metabase: connection reset")


def test_a_single_term_conflicting_once_is_written_on_the_revision_read(profile, synced) -> None:
    """After a conflict the single term is retried on the re-read revision; the next term writes on ours."""
    plan = two_terms_for_one_item(profile, synced)
    answers = iter([conflict(), None, None])
    metabase = RefusingMetabase(synced, lambda: next(answers))
    bases: list[int] = []
    real_edit = synced.metabase.edit_item

    def edit_item(item, **kw):
        bases.append(kw["baserevid"])
        return real_edit(item, **kw)
    synced.metabase.edit_item = edit_item  # type: ignore[method-assign]
    outcome = sync_mod.apply(profile, plan, writers=Writers(metabase, synced.metawiki, lambda: synced.requests))
    assert outcome.exit_code == EXIT_OK
    assert len(metabase.edits) == 4 and metabase.reads == 1
    assert sorted(outcome.result.written) == sorted(op.id for op in plan.operations)
    first_write, second_write = (w.answer for w in outcome.result.writes)
    assert bases[1] == first_write.revision  # the second single edit's base is the first one's revision
    assert second_write.revision == synced.items["Q101"].revision


# ---------------------------------------------------------------------- the typed write answer
WRITER_METHODS = [(MetabaseClient, "edit_item"), (MetawikiClient, "save_unit"), (MetawikiClient, "delete_unit"),
                  (MetawikiClient, "save_bundle"), (FakeMetabase, "edit_item"), (FakeMetawiki, "save_unit"),
                  (FakeMetawiki, "delete_unit"), (FakeMetawiki, "save_bundle"), (MetabaseWriter, "edit_item"),
                  (MetawikiWriter, "save_unit"), (MetawikiWriter, "delete_unit"), (MetawikiWriter, "save_bundle")]


@pytest.mark.parametrize("cls, name", WRITER_METHODS, ids=[f"{c.__name__}.{n}" for c, n in WRITER_METHODS])
def test_every_writer_is_annotated_to_return_the_write_answer(cls, name) -> None:
    assert typing.get_type_hints(getattr(cls, name))["return"] is WriteResult


def client(cls, site: str, answer, rights=("edit",)):
    profile = load_profile("sandbox").rebase("http://wiki.test")
    profile = replace(profile, pacing=Pacing(max_attempts=2))
    session, _ = fake_session(EditRecorder(answer, rights))
    sleeper = Sleeper()
    site_profile = getattr(profile, site)
    return cls(ApiClient(site_profile, profile, session=session, sleep=sleeper, clock=sleeper.clock), site_profile)


def test_the_real_clients_answer_every_write_with_a_write_result(profile) -> None:
    key = TermKey("Q11024", "label", "pt-br")
    mb = client(MetabaseClient, "metabase", recording("wikibase-responses/wbeditentity-multi-terms"))
    answers = [mb.edit_item("Q34537", labels={"pt-br": "Olá"}, descriptions={}, baserevid=41, summary="s")]
    rights = ("edit", "translate", "delete")
    mw = client(MetawikiClient, "metawiki", recording("translate-responses/edit-unit-plain"), rights)
    answers.append(mw.save_unit(key, "comunicação", baserevid=21, basetimestamp=None, create=False, summary="s"))
    mw = client(MetawikiClient, "metawiki", recording("translate-responses/bundle-add-key"), rights)
    answers.append(mw.save_bundle(Bundle({}, exists=False), {"Q1-label": "One"}, summary="s"))
    mw = client(MetawikiClient, "metawiki", reply({"delete": {"title": "T", "reason": "s", "logid": 77}}), rights)
    answers.append(mw.delete_unit(key, summary="s"))
    assert [type(a) for a in answers] == [WriteResult] * 4
    assert all(a.revision for a in answers[:-1])
    assert (answers[-1].revision, answers[-1].logid) == (None, 77), "a deletion makes no revision"


def test_the_fakes_answer_every_write_with_a_write_result(profile, synced) -> None:
    synced.can_delete = True
    synced.human_unit("Q1", "label", "fr", "un")                       # → Metabase
    synced.human_metabase("Q2", "label", "it", "due")                  # → a unit created
    synced.human_metabase("Q3", "label", "de", None)                   # → a unit deleted
    synced.human_metabase("Q2", "description", "en", "About two, anew")  # → the bundle
    outcome = sync_mod.sync(profile, reader=lambda p, s: synced.read(), writers=lambda p: writers(synced))
    assert outcome.exit_code == EXIT_OK
    assert outcome.applied is not None
    writes = outcome.applied.result.writes
    assert sorted(w.target for w in writes) == ["bundle", "metabase", "metawiki", "metawiki"]
    assert all(type(w.answer) is WriteResult for w in writes)


def test_the_journal_row_has_one_default_and_statuses_match_the_stored_strings(profile, synced) -> None:
    assert PENDING == JournalRow("pending", 0, None, None) == ("pending", 0, None, None)
    assert [str(s) for s in JournalStatus] == ["pending", "sent", "done", "failed", "conflict", "stale"]
    plan = two_terms_for_one_item(profile, synced)
    outcome = sync_mod.apply(profile, plan, writers=writers(synced))
    assert outcome.exit_code == EXIT_OK
    with open_state(profile.state) as state:
        rows = state.journal(plan.id)
    assert {row[0] for row in rows.values()} == {JournalStatus.DONE}
    assert all(type(row[0]) is str for row in rows.values())  # SQLite gives the plain string back
