"""Translators read from the wikis' revisions (issue 20, point 3): in batches, bots and our account left out."""
from __future__ import annotations

from datetime import datetime, timezone

from capxl10n.core.model import TermKey
from capxl10n.engine.contributions import CONTENT_BATCH, read_revisions
from capxl10n.engine.state import open_state
from plugins.world import World


def wiki_time(w: World, pick=max) -> int:  # type: ignore[no-untyped-def]
    """The sandbox wikis' clock (each write takes a second of its own, so it runs ahead of ours)."""
    stamps = [w.sb.site(name).wiki.current_timestamp() for name in ("metabase", "metawiki")]
    return pick(int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
                for s in stamps)


def items_of(w: World) -> dict[str, str]:
    with open_state(w.state) as state:
        return {c.item: c.qid for c in state.capacities() if c.item}


def untranslated(w: World, lang: str, n: int) -> list[TermKey]:
    base = w.base()
    out = []
    for key in sorted(base, key=lambda k: k.sort_key()):
        other = TermKey(key.qid, key.field, lang)
        if key.lang == "en" and base[key] and other not in base and other not in out:
            out.append(other)
    return out[:n]


def test_translators_saves_on_both_wikis_in_a_few_requests(world: World) -> None:
    since = wiki_time(world, min)
    new_mw, new_mb = untranslated(world, "de", 2)
    translated = next(k for k, v in sorted(world.base().items(), key=lambda kv: kv[0].sort_key())
                      if k.lang == "de" and v)
    world.peer.edit_unit(new_mw, "Neu auf Meta-Wiki")                      # a new unit: translated
    world.peer.edit_unit(translated, "Verbessert")                          # over a current one: edited
    world.peer.set_term(world.item(new_mb.qid), new_mb.field, "de", "Neu auf Metabase")   # appears: translated
    other = next(k for k, v in sorted(world.base().items(), key=lambda kv: kv[0].sort_key())
                 if k.lang == "ja" and v and k.qid != new_mb.qid)
    world.peer.set_term(world.item(other.qid), other.field, "ja", None)   # goes: removed
    synced = world.cli("sync")  # our bot copies them to the other wiki: never credited
    assert synced.exit_code == 0, synced.output
    clients = world.clients()
    found = read_revisions(clients, since, wiki_time(world) + 1, items_of(world), exclude=["CapxBot@capxl10n"])
    got = sorted((c.user, c.channel, c.key, c.kind) for c in found.contributions)
    assert got == sorted([("Peer2", "metawiki", new_mw, "translated"), ("Peer2", "metawiki", translated, "edited"),
                          ("Peer2", "metabase", new_mb, "translated"), ("Peer2", "metabase", other, "removed")])
    assert found.skipped.get("bot", 0) + found.skipped.get("our account", 0) > 0, "the bot's copies were seen"
    # one recentchanges request per wiki, one content request for the two Metabase edits and their parents
    assert found.requests == {"metawiki": 1, "metabase": 2}


def test_only_the_window_and_languages_asked(world: World) -> None:
    key = untranslated(world, "de", 1)[0]
    world.peer.edit_unit(key, "Vor dem Fenster")
    since = wiki_time(world) + 1
    later = untranslated(world, "it", 1)[0]
    world.peer.edit_unit(later, "Nella finestra")
    until = wiki_time(world) + 1
    found = read_revisions(world.clients(), since, until, items_of(world))
    assert [(c.key, c.kind) for c in found.contributions] == [(later, "translated")]
    assert read_revisions(world.clients(), since, until, items_of(world), languages=["de"]).contributions == []


def test_many_metabase_edits_are_read_fifty_revisions_a_request(world: World) -> None:
    since = wiki_time(world, min)
    keys = untranslated(world, "nl", 30)
    assert len(keys) == 30
    for i, key in enumerate(keys):
        world.peer.set_term(world.item(key.qid), key.field, "nl", f"Vertaling {i}")
    found = read_revisions(world.clients(), since, wiki_time(world) + 1, items_of(world))
    assert len([c for c in found.contributions if c.kind == "translated"]) == 30
    contents = -(-60 // CONTENT_BATCH)  # each edit and its parent
    assert found.requests["metabase"] <= 1 + contents


def test_the_sandbox_answers_revids_with_exactly_those_revisions(world: World) -> None:
    """As MediaWiki's prop=revisions in revids mode: the asked revisions, not each page's latest."""
    key = untranslated(world, "de", 1)[0]
    world.peer.edit_unit(key, "eins")
    world.peer.edit_unit(key, "zwei")
    s = world.sb.session()
    url = world.sb.api_url("metawiki")
    title = f"Translations:Module:CapacityExchange/capacities.json/{key.message_key}/de"
    history = s.get(url, params={"action": "query", "prop": "revisions", "titles": title, "rvlimit": "max",
                                 "rvprop": "ids", "format": "json", "formatversion": "2"}).json()
    first, second = sorted(r["revid"] for r in history["query"]["pages"][0]["revisions"])
    data = s.get(url, params={"action": "query", "prop": "revisions", "revids": f"{first}|{second}",
                              "rvprop": "ids|content", "rvslots": "main", "format": "json",
                              "formatversion": "2"}).json()
    revs = data["query"]["pages"][0]["revisions"]
    assert [(r["revid"], r["slots"]["main"]["content"]) for r in revs] == [(first, "eins"), (second, "zwei")]
