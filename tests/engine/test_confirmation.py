"""Issue 16: a translator's confirmation of an outdated unit is never lost.

On the real Translate (REL1_39, measured on the peer): an English change tags
the units fuzzy without a revision; a translator confirming one saves the same
text again (``action=edit``, as Special:Translate's "Confirm translation"
button does). That save answers ``nochange``: no revision, no
``recentchanges`` row, no log entry, ``touched`` unchanged; only the fuzzy
tag goes, and the language's group stats are recomputed. The incremental pull
finds it from the stats and ``messagetranslations`` riding on its
``recentchanges`` request. The sandbox behaves the same (checked below).
"""
from __future__ import annotations

from typing import Any


from capxl10n.core.model import TermKey
from plugins.world import BUNDLE, World, cached_metawiki

GROUP = f"messagebundle-{BUNDLE}"


def _outdate(world: World, key: TermKey, english: str = "A brand new English source") -> None:
    """Our English change (from Metabase) outdates ``key``; the next run reads the outdated languages."""
    world.peer.set_term(world.item(key.qid), key.field, "en", english)
    assert world.cli("sync").exit_code == 0
    assert world.unit(key).fuzzy
    assert world.cli("sync").exit_code == 0
    assert cached_metawiki(world).terms[key].fuzzy


def _base_row(world: World, key: TermKey) -> Any:
    from capxl10n.engine.state import open_state
    with open_state(world.state) as state:
        return state.load_base().get(key)


def _mw_get(world: World, **params: Any) -> dict[str, Any]:
    s = world.sb.session()
    return s.get(world.sb.api_url("metawiki"), params={**params, "format": "json", "formatversion": "2"}).json()


def test_confirmation_is_a_nochange_save_invisible_in_recentchanges(world: World) -> None:
    """The sandbox answers as the real Translate does (recordings edit-unit-same-text-over-fuzzy-tag*)."""
    key = world.pick()
    _outdate(world, key)
    title = f"Translations:{BUNDLE}/{key.message_key}/{key.lang}"
    mark = _mw_get(world, action="query", curtimestamp=1)["curtimestamp"]
    before = _mw_get(world, action="query", prop="info|revisions", titles=title, rvprop="ids|user")["query"]["pages"][0]
    answer = world.peer.post("metawiki", action="edit", title=title, text=world.unit(key).text, summary="",
                             **{"assert": "user"})
    assert answer["edit"]["nochange"] is True and "newrevid" not in answer["edit"]
    after = _mw_get(world, action="query", prop="info|revisions", titles=title, rvprop="ids|user")["query"]["pages"][0]
    assert (after["lastrevid"], after["touched"], after["revisions"]) == \
        (before["lastrevid"], before["touched"], before["revisions"])
    rc = _mw_get(world, action="query", list="recentchanges", rcstart=mark, rcdir="newer", rcprop="title|ids",
                 rclimit="max")["query"]["recentchanges"]
    assert not [r for r in rc if r["title"] == title]
    mc = _mw_get(world, action="query", list="messagecollection", mcgroup=GROUP, mclanguage=key.lang,
                 mcprop="translation|tags|properties", mcfilter="fuzzy")["query"]["messagecollection"]
    assert not [r for r in mc if r["key"].endswith("/" + key.message_key)]
    mt = _mw_get(world, action="query", meta="messagetranslations",
                 mttitle=f"Translations:{BUNDLE}/{key.message_key}")["query"]["messagetranslations"]
    (row,) = [r for r in mt if r["language"] == key.lang]
    assert "fuzzy" not in row
    assert not world.unit(key).fuzzy


def test_confirmation_seen_by_the_next_incremental_sync(world: World) -> None:
    """English change → sync → translator confirms → the next incremental sync sees the unit current."""
    key = world.pick()
    _outdate(world, key)
    assert _base_row(world, key).fuzzy
    text = world.unit(key).text
    revisions = len(world.bot_revisions())
    world.sb.stats.reset()
    assert world.cli("sync").exit_code == 0  # nothing happened: still the no-op cost
    assert world.sb.stats.total <= 3, world.sb.stats.modules()
    world.peer.edit_unit(key, text)  # the confirmation
    world.sb.stats.reset()
    result = world.cli("--format", "json", "sync")
    assert result.exit_code == 0, result.output
    assert world.sb.stats.total <= 3, world.sb.stats.modules()  # found on the recentchanges request itself
    term = cached_metawiki(world).terms[key]
    assert not term.fuzzy and term.text == text
    base = _base_row(world, key)
    assert not base.fuzzy and base.text == text
    assert len(world.bot_revisions()) == revisions  # Metabase already held this text: nothing to write


def test_confirmation_after_metabase_deletion_is_copied_to_metabase(world: World) -> None:
    """The docs' promise (sync.md step 6): a unit re-confirmed after a Metabase deletion is copied back."""
    key = world.pick()
    _outdate(world, key)
    text = world.unit(key).text
    world.peer.set_term(world.item(key.qid), key.field, key.lang, None)
    assert world.cli("sync").exit_code == 0
    assert world.metabase_text(key.qid, key.field, key.lang) is None
    assert world.unit(key).fuzzy  # left alone
    assert world.cli("sync").exit_code == 0
    assert world.metabase_text(key.qid, key.field, key.lang) is None
    world.peer.edit_unit(key, text)
    assert world.cli("sync").exit_code == 0  # incremental
    assert world.metabase_text(key.qid, key.field, key.lang) == text
    assert world.cli("sync").exit_code == 0
    assert "0 change(s)" in world.cli("plan").output


def test_confirmations_of_several_keys_and_languages(world: World) -> None:
    """Outdated units of two keys in several languages: one confirmation outside the probed key is found
    with one extra request; the units left outdated stay outdated."""
    base = world.base()
    qid = next(k.qid for k in sorted(base, key=lambda k: k.sort_key())
               if k.lang not in ("en", "qqq") and base[k]
               and sum(1 for j in base if j.qid == k.qid and j.field == "label" and j.lang not in ("en", "qqq")
                       and base[j]) >= 2
               and sum(1 for j in base if j.qid == k.qid and j.field == "description"
                       and j.lang not in ("en", "qqq") and base[j]) >= 1)
    labels = sorted(k for k in base if k.qid == qid and k.field == "label" and k.lang not in ("en", "qqq") and base[k])
    descriptions = sorted(k for k in base if k.qid == qid and k.field == "description"
                          and k.lang not in ("en", "qqq") and base[k])
    item = world.item(qid)
    world.peer.set_term(item, "label", "en", "New English label")
    world.peer.set_term(item, "description", "en", "New English description")
    assert world.cli("sync").exit_code == 0
    assert world.cli("sync").exit_code == 0
    cached = cached_metawiki(world)
    assert all(cached.terms[k].fuzzy for k in labels + descriptions)
    # Confirm a unit of the key with fewer outdated units (not the one the probe asks about).
    fewer = descriptions if len(descriptions) < len(labels) else labels
    target = fewer[0]
    world.peer.edit_unit(target, world.unit(target).text)
    world.sb.stats.reset()
    assert world.cli("sync").exit_code == 0
    assert world.sb.stats.total <= 4, {k: v["count"] for k, v in world.sb.stats.modules().items()}
    cached = cached_metawiki(world)
    assert not cached.terms[target].fuzzy
    assert all(cached.terms[k].fuzzy for k in labels + descriptions if k != target)
    assert not _base_row(world, target).fuzzy


def test_marker_outdated_unit_saved_without_marker_is_a_new_revision(world: World) -> None:
    """``!!FUZZY!!`` in the text: re-saving without it is an ordinary edit (new revision, recentchanges)."""
    key = world.pick()
    text = world.unit(key).text
    world.peer.edit_unit(key, f"!!FUZZY!!{text}")
    assert world.unit(key).fuzzy
    assert world.cli("sync").exit_code == 0
    assert cached_metawiki(world).terms[key].fuzzy
    world.peer.edit_unit(key, text)
    world.sb.stats.reset()
    assert world.cli("sync").exit_code == 0
    assert not cached_metawiki(world).terms[key].fuzzy
    assert not _base_row(world, key).fuzzy


def test_noop_sync_with_outdated_units_keeps_its_cost(world: World) -> None:
    key = world.pick()
    _outdate(world, key)
    for _ in range(2):
        world.sb.stats.reset()
        assert world.cli("sync").exit_code == 0
        assert world.sb.stats.total <= 3, world.sb.stats.modules()
        assert cached_metawiki(world).terms[key].fuzzy
