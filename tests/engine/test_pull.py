"""Pull against the sandbox: request budgets, incremental reads, every fault mode, bad input, the CLI."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from plugins.fake_transport import Sleeper

from capxl10n.wikis.http import ApiClient, make_session
from capxl10n.wikis.translate import MetawikiClient
from capxl10n.wikis.wikibase import MetabaseClient
from capxl10n.errors import (
    BadTokenError,
    EditConflictError,
    MaxlagError,
    NetworkError,
    NotJSONError,
    ReadOnlyError,
)
from capxl10n.core.cursors import cursor_dumps
from capxl10n.core.model import TermKey
from capxl10n.profile import load_profile
from capxl10n.engine.clients import Clients
from capxl10n.engine.pull import pull
from capxl10n.sandbox.server import credentials_env

CANARY = "sandbox-bot-password-0123456789abcdef"


class MemoryCache:
    def __init__(self) -> None:
        self.sides: dict[str, tuple] = {}

    def load_side(self, side):
        return self.sides.get(side)

    def store_side(self, side, snapshot, cursor):
        self.sides[side] = (snapshot, cursor)


class Wiring:
    """Sessions through the sandbox's in-process transport, recording every request sent."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        self.sent: list[tuple[str, str, str]] = []

    def __call__(self, profile, site):
        session = make_session(profile, site)
        session.mount(self.sandbox.url, self.sandbox.transport())

        def record(response, *args, **kwargs):
            request = response.request
            body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
            self.sent.append((request.method, request.url, body))
            return response

        session.hooks["response"].append(record)
        return session

    def repeats(self) -> list:
        return [req for req, n in Counter(self.sent).items() if n > 1]


def sandbox_profile_for(sandbox, **pacing):
    profile = load_profile("sandbox").rebase(sandbox.url)
    if pacing:
        profile = replace(profile, pacing=replace(profile.pacing, **pacing))
    return profile


def run_pull(sandbox, profile=None, cache=None, sleeper=None, **kw):
    wiring = Wiring(sandbox)
    sleeper = sleeper or Sleeper()
    result = pull(profile or sandbox_profile_for(sandbox), cache=cache, sleep=sleeper, session_factory=wiring, **kw)
    return result, wiring, sleeper


@pytest.fixture()
def creds(monkeypatch):
    for name, value in credentials_env().items():
        monkeypatch.setenv(name, value)


def writer_clients(sandbox, profile):
    wiring = Wiring(sandbox)
    sleeper = Sleeper()
    mb = MetabaseClient(ApiClient(profile.metabase, profile, session=wiring(profile, profile.metabase),
                                  sleep=sleeper, clock=sleeper.clock), profile.metabase)
    mw = MetawikiClient(ApiClient(profile.metawiki, profile, session=wiring(profile, profile.metawiki),
                                  sleep=sleeper, clock=sleeper.clock), profile.metawiki)
    return mb, mw


# ---------------------------------------------------------------------- budgets
def test_full_pull_of_the_sample_within_budget_and_noop_within_five(sandbox_factory):
    sandbox = sandbox_factory(capacities=250, languages=42)
    cache = MemoryCache()
    sandbox.stats.reset()
    result, wiring, _ = run_pull(sandbox, cache=cache)
    items, languages = len(result.discovery.capacities), 42
    assert items == 250
    budget = languages + math.ceil(items / 50) + 5 + 1  # + 1: the qqq documentation
    assert sandbox.stats.total == sum(result.requests.values()) <= budget
    assert sandbox.stats.count("metawiki", "query+messagecollection") == 40  # 40 languages + qqq, one rides along
    assert wiring.repeats() == []
    assert result.metawiki.get(TermKey(result.discovery.capacities[0].qid, "label", "en")) is not None
    docs = [t for k, t in result.metawiki.terms.items() if k.lang == "qqq"]
    assert docs and not any(t.fuzzy for t in docs)  # documentation is read, never outdated

    sandbox.stats.reset()
    again, wiring, _ = run_pull(sandbox, cache=cache)
    assert sandbox.stats.total <= 5
    assert again.incremental == {"metabase": True, "metawiki": True, "wikidata": True}
    assert again.metabase.fingerprint() == result.metabase.fingerprint()
    assert again.metawiki.fingerprint() == result.metawiki.fingerprint()
    assert again.wikidata.fingerprint() == result.wikidata.fingerprint()


def test_wikidata_is_read_in_the_fallback_chains_of_the_directory_languages(sandbox_factory):
    """An export suggests a concept's pt label for a missing pt-br term: pull reads the chains, not only the
    directory's own languages (never the documentation; English is never a suggestion)."""
    from capxl10n.core.langs import fallback_chain

    sandbox = sandbox_factory(capacities=10, languages=6)
    cache = MemoryCache()
    result, _wiring, _ = run_pull(sandbox, cache=cache)
    own = {k.lang for k in (*result.metabase.terms, *result.metawiki.terms)} - {"qqq"}
    read = set(cache.sides["wikidata"][1].languages)
    chains = {lang for code in own for lang in fallback_chain(code)[1:-1]}
    assert chains - own, "the sample has a language with a fallback (pt-br → pt)"
    assert read == own | chains and "qqq" not in read


def test_incremental_pull_reads_only_what_changed_and_equals_a_full_read(sandbox_factory, creds):
    sandbox = sandbox_factory()
    profile = sandbox_profile_for(sandbox)
    cache = MemoryCache()
    first, _, _ = run_pull(sandbox, cache=cache)
    mb, mw = writer_clients(sandbox, profile)
    cap = first.discovery.capacities[0]
    rev, terms = mb.read_item(cap.item)
    mb.edit_item(cap.item, labels={"de": "Neuer Name"}, descriptions={}, baserevid=rev, summary="test")
    lang = next(k.lang for k in first.metawiki.terms if k.lang not in ("en", "qqq"))
    key = TermKey(first.discovery.capacities[1].qid, "label", lang)
    current, unit_rev, stamp = mw.read_unit(key)
    mw.save_unit(key, "texto novo", baserevid=unit_rev, basetimestamp=stamp, create=current is None,
                 summary="test")
    sandbox.stats.reset()
    inc, wiring, _ = run_pull(sandbox, cache=cache)
    assert inc.incremental["metabase"] and inc.incremental["metawiki"]
    assert sandbox.stats.count("metabase", "wbgetentities") == 1
    assert sandbox.stats.count("metawiki") == 2  # recentchanges + one language
    assert inc.metabase.get(TermKey(cap.qid, "label", "de")).text == "Neuer Name"
    assert inc.metawiki.get(key).text == "texto novo"
    full, _, _ = run_pull(sandbox, incremental=False)
    assert inc.metabase.terms == full.metabase.terms
    assert inc.metawiki.terms == full.metawiki.terms


def test_a_bundle_change_rereads_metawiki_and_shows_outdated_translations(sandbox_factory, creds):
    sandbox = sandbox_factory()
    profile = sandbox_profile_for(sandbox)
    cache = MemoryCache()
    first, _, _ = run_pull(sandbox, cache=cache)
    _, mw = writer_clients(sandbox, profile)
    bundle = mw.read_bundle()
    translated = next(k for k, t in first.metawiki.terms.items() if k.lang not in ("en", "qqq") and not t.fuzzy)
    messages = dict(bundle.messages)
    messages[translated.message_key] += " (changed)"
    mw.save_bundle(bundle, messages, summary="test")
    again, _, _ = run_pull(sandbox, cache=cache)
    assert not again.incremental["metawiki"]
    assert again.metawiki.get(translated).fuzzy
    assert again.bundle.revision > bundle.revision


# ---------------------------------------------------------------------- faults
@pytest.mark.parametrize("spec", ["5xx=0.3", "429=0.3:retry_after=1", "html=0.3", "hang=0.2:seconds=5",
                                  "latency=5,jitter=5"])
def test_pull_survives_transient_faults_with_the_same_result(sandbox_factory, spec):
    sandbox = sandbox_factory()
    clean, _, _ = run_pull(sandbox)
    sandbox.faults.configure(spec)
    sandbox.stats.reset()
    profile = sandbox_profile_for(sandbox, max_attempts=8)
    faulty, _, sleeper = run_pull(sandbox, profile=profile)
    assert faulty.metabase.terms == clean.metabase.terms
    assert faulty.metawiki.terms == clean.metawiki.terms
    if not spec.startswith("latency"):
        assert sum(sandbox.stats.faults().values()) > 0 and sleeper.sleeps
    if spec.startswith("429"):
        assert 1.0 in sleeper.sleeps  # Retry-After honoured


def test_maxlag_window_is_waited_out(sandbox_factory):
    sleeper = Sleeper()
    sandbox = sandbox_factory(monotonic=sleeper.clock)
    sandbox.faults.configure("maxlag=12s:lag=7")
    result, _, _ = run_pull(sandbox, sleeper=sleeper)
    assert result.discovery.capacities
    assert sleeper.sleeps and all(s >= 5 for s in sleeper.sleeps[:1])


@pytest.mark.parametrize("spec, error", [("5xx=1", NetworkError), ("html=1", NotJSONError),
                                         ("maxlag=on:lag=9", MaxlagError)])
def test_a_permanently_failing_wiki_is_an_error_and_nothing_is_cached(sandbox_factory, spec, error):
    sandbox = sandbox_factory()
    sandbox.faults.configure(spec + ",sites=metawiki")
    cache = MemoryCache()
    with pytest.raises(error) as err:
        run_pull(sandbox, cache=cache, profile=sandbox_profile_for(sandbox, max_attempts=3))
    assert cache.sides == {} and err.value.site == "metawiki" and err.value.hint


def test_writes_survive_badtoken_and_report_readonly_and_conflicts(sandbox_factory, creds):
    sandbox = sandbox_factory()
    profile = sandbox_profile_for(sandbox, max_attempts=2)
    first, _, _ = run_pull(sandbox)
    mb, mw = writer_clients(sandbox, profile)
    cap = first.discovery.capacities[0]
    sandbox.faults.configure("badtoken=0.4,seed=1")
    for n in range(4):
        rev, _ = mb.read_item(cap.item)
        mb.edit_item(cap.item, labels={"de": f"Name {n}"}, descriptions={}, baserevid=rev, summary="t")
    assert mb.read_item(cap.item)[1][("label", "de")] == "Name 3"
    assert mb.api.token_refreshes >= 1  # refused tokens were refreshed, writes went through
    sandbox.faults.configure("badtoken=1")
    with pytest.raises(BadTokenError):
        mb.edit_item(cap.item, labels={"de": "x"}, descriptions={}, baserevid=rev, summary="t")
    sandbox.faults.configure("readonly=on")
    with pytest.raises(ReadOnlyError) as err:
        mb.edit_item(cap.item, labels={"de": "x"}, descriptions={}, baserevid=rev, summary="t")
    assert err.value.term == cap.item
    sandbox.faults.configure("concurrent=1")
    key = next(k for k in first.metawiki.terms if k.lang not in ("en", "qqq"))
    current, unit_rev, stamp = mw.read_unit(key)
    with pytest.raises(EditConflictError) as err:
        mw.save_unit(key, "mine", baserevid=unit_rev, basetimestamp=stamp, create=False, summary="t")
    assert err.value.term == key


def test_secrets_never_appear_in_results_or_logs(sandbox_factory, creds, logs):
    sandbox = sandbox_factory()
    profile = sandbox_profile_for(sandbox)
    cache = MemoryCache()
    result, _, _ = run_pull(sandbox, cache=cache)
    mb, _ = writer_clients(sandbox, profile)
    cap = result.discovery.capacities[0]
    rev, _ = mb.read_item(cap.item)
    mb.edit_item(cap.item, labels={"de": "Geheim?"}, descriptions={}, baserevid=rev, summary="t")
    assert "logged in as CapxBot" in logs.text  # the logs were captured, so the check below means something
    blobs = [logs.text, str(result.summary())] + [snap.dumps() + cursor_dumps(cursor) for snap, cursor in cache.sides.values()]
    assert all(CANARY not in blob for blob in blobs)


# ---------------------------------------------------------------------- duplicates and unknown keys
def test_duplicate_qids_and_unknown_bundle_keys_are_reported(sandbox_factory, creds):
    sandbox = sandbox_factory()
    profile = sandbox_profile_for(sandbox)
    _, mw = writer_clients(sandbox, profile)
    bundle = mw.read_bundle()
    messages = {**bundle.messages, "Q999999-label": "Not in the directory", "notes": "free text"}
    mw.save_bundle(bundle, messages, summary="t")
    result, _, _ = run_pull(sandbox)
    assert "Q999999-label" in result.unknown_bundle_keys and "notes" in result.unknown_bundle_keys
    assert result.summary()["unknown_bundle_keys"] == list(result.unknown_bundle_keys)


# ---------------------------------------------------------------------- bad input and the CLI
def write_profile(tmp_path: Path, sandbox_url: str, **replace_text: str) -> Path:
    text = (Path(__file__).resolve().parents[2] / "capxl10n" / "profiles" / "sandbox.toml").read_text()
    text = text.replace("http://127.0.0.1:8765", sandbox_url)
    for old, new in replace_text.items():
        text = text.replace(old, new)
    path = tmp_path / "p.toml"
    path.write_text(text)
    return path


def test_cli_pull_prints_a_summary_and_uses_the_cache(sandbox, tmp_path, creds):
    from capxl10n.cli.main import main

    path = write_profile(tmp_path, sandbox.url, **{"backoff_base_seconds = 0.05": "backoff_base_seconds = 0.01"})
    runner = CliRunner()
    args = ["--profile", str(path), "--state", str(tmp_path / "s.sqlite"), "pull"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "items:" in first.output and "requests:" in first.output
    second = runner.invoke(main, [*args[:-1], "--format", "json", "pull"])
    assert second.exit_code == 0, second.output
    import json

    summary = json.loads(second.output)
    assert (tmp_path / "s.sqlite").exists()
    assert sum(summary["requests"].values()) <= 5 and summary["incremental"]["metabase"]
    assert summary["items"] == 20


def test_cli_pull_unreachable_host_exits_1(tmp_path):
    from capxl10n.cli.main import main

    path = write_profile(tmp_path, "http://127.0.0.1:9", **{"max_attempts = 6": "max_attempts = 1"})
    result = CliRunner().invoke(main, ["--profile", str(path), "--state", str(tmp_path / "s.sqlite"), "pull",
                                       "--no-cache"])
    assert result.exit_code == 1
    assert "cannot reach 127.0.0.1:9" in result.output


def test_cli_pull_unknown_profile_key_exits_1(tmp_path):
    from capxl10n.cli.main import main

    path = write_profile(tmp_path, "http://127.0.0.1:9", **{"[wikidata]": "[wikidata]\nmaxlagg = 5"})
    result = CliRunner().invoke(main, ["--profile", str(path), "pull"])
    assert result.exit_code == 1
    assert "wikidata.maxlagg" in result.output and str(path) in result.output


def test_clients_share_nothing_but_the_profile(sandbox):
    profile = sandbox_profile_for(sandbox)
    clients = Clients(profile, session_factory=Wiring(sandbox))
    assert clients.metabase.api.session is not clients.metawiki.api.session
    assert set(clients.requests()) == {"metabase", "metawiki", "wikidata"}


def test_a_hanging_server_times_out_over_real_sockets(sandbox):
    sandbox.faults.configure("hang=1:seconds=3,sites=metabase")
    profile = sandbox_profile_for(sandbox, timeout_seconds=0.2, max_attempts=2)
    sleeper = Sleeper()
    api = ApiClient(profile.metabase, profile, sleep=sleeper, clock=sleeper.clock)  # real sockets, no transport
    with pytest.raises(NetworkError) as err:
        api.get(action="query", meta="siteinfo")
    assert "no answer within 0.2s" in err.value.message and api.requests_made == 2
    sandbox.faults.configure("off")


def test_wrong_credentials_are_an_auth_error_and_nothing_is_written(sandbox_factory, monkeypatch):
    from capxl10n.errors import AuthError

    sandbox = sandbox_factory()
    monkeypatch.setenv("CAPXL10N_METABASE_USER", "CapxBot@capxl10n")
    monkeypatch.setenv("CAPXL10N_METABASE_PASSWORD", "wrong-password-000000000000000000")
    profile = sandbox_profile_for(sandbox)
    first, _, _ = run_pull(sandbox)
    mb, _ = writer_clients(sandbox, profile)
    cap = first.discovery.capacities[0]
    before = mb.read_item(cap.item)
    with pytest.raises(AuthError) as err:
        mb.edit_item(cap.item, labels={"de": "x"}, descriptions={}, baserevid=before[0], summary="t")
    assert err.value.code == "Failed" and "CAPXL10N_METABASE_PASSWORD" in err.value.hint
    assert "wrong-password" not in str(err.value)
    assert mb.read_item(cap.item) == before


def test_incremental_pull_sees_new_duplicate_and_deleted_items(sandbox_factory):
    import json

    sandbox = sandbox_factory()
    wiki = sandbox.site("metabase").wiki
    peer = wiki.user("Peer2")
    cache = MemoryCache()
    first, _, _ = run_pull(sandbox, cache=cache)
    original, victim = first.discovery.capacities[0], first.discovery.capacities[1]
    entity = json.loads(wiki.page(f"Item:{original.item}").latest.content)
    clone = "Q999001"
    entity["id"] = clone
    entity["labels"] = {"en": {"language": "en", "value": "a copy"}}
    entity["descriptions"] = {}
    wiki.save_page(f"Item:{clone}", json.dumps(entity), user=peer, summary="copy", content_model="wikibase-item")

    dup, _, _ = run_pull(sandbox, cache=cache)
    assert dup.discovery.duplicates == {original.qid: tuple(sorted((original.item, clone),
                                                                   key=lambda i: int(i[1:])))}
    assert original.qid not in {c.qid for c in dup.discovery.capacities}
    assert not any(k.qid == original.qid for k in dup.metabase.terms)

    wiki.delete_page(f"Item:{victim.item}", user=peer, reason="gone")
    gone, _, _ = run_pull(sandbox, cache=cache)
    assert victim.qid not in {c.qid for c in gone.discovery.capacities} and gone.discovery.duplicates
    assert not any(k.qid == victim.qid for k in gone.metabase.terms)
    wiki.delete_page(f"Item:{clone}", user=peer, reason="dup")
    after, _, _ = run_pull(sandbox, cache=cache)
    qids = {c.qid for c in after.discovery.capacities}
    assert after.discovery.duplicates == {} and original.qid in qids and victim.qid not in qids
    full, _, _ = run_pull(sandbox, incremental=False)
    assert after.metabase.terms == full.metabase.terms


# ---------------------------------------------------------------------- the real software
@pytest.mark.realwiki
@pytest.mark.slow
def test_pull_incremental_and_writes_against_the_real_peer(peer, monkeypatch):
    """The same client code against real MediaWiki + Translate + Wikibase (no SPARQL there)."""
    profile = load_profile("sandbox")
    profile = replace(profile, metabase=replace(profile.metabase, api=peer.api, sparql=None),
                      metawiki=replace(profile.metawiki, api=peer.api),
                      wikidata=replace(profile.wikidata, enabled=False))
    for site in ("METABASE", "METAWIKI"):
        monkeypatch.setenv(f"CAPXL10N_{site}_USER", peer.bot.login)
        monkeypatch.setenv(f"CAPXL10N_{site}_PASSWORD", peer.bot.password)
    cache = MemoryCache()
    try:
        mark = peer.request_count()
        first = pull(profile, cache=cache, sleep=Sleeper())
        assert len(peer.requests_since(mark)) == sum(first.requests.values())
        assert first.discovery.source == "backlinks" and len(first.discovery.capacities) >= 5
        assert any(t.fuzzy for t in first.metawiki.terms.values())  # outdated by an English change (a tag)
        assert not any(k.lang in ("en", "qqq") and t.side != "metawiki" for k, t in first.metawiki.terms.items())

        mark = peer.request_count()
        again = pull(profile, cache=cache, sleep=Sleeper())
        assert len(peer.requests_since(mark)) <= 5 and again.metawiki.terms == first.metawiki.terms

        mb, mw = (Clients(profile, sleep=Sleeper()).metabase, Clients(profile, sleep=Sleeper()).metawiki)
        cap = first.discovery.capacities[0]
        rev, _ = mb.read_item(cap.item)
        mb.edit_item(cap.item, labels={"de": "Peer-Test"}, descriptions={}, baserevid=rev, summary="capxl10n test")
        key = TermKey(cap.qid, "description", "de")
        current, unit_rev, stamp = mw.read_unit(key)
        mw.save_unit(key, "Beschreibung", baserevid=unit_rev, basetimestamp=stamp, create=current is None,
                     summary="capxl10n test")
        inc = pull(profile, cache=cache, sleep=Sleeper())
        assert inc.incremental["metabase"] and inc.incremental["metawiki"]
        assert inc.metabase.get(TermKey(cap.qid, "label", "de")).text == "Peer-Test"
        assert inc.metawiki.get(key).text == "Beschreibung"
        full = pull(profile, incremental=False, sleep=Sleeper())
        assert inc.metabase.terms == full.metabase.terms and inc.metawiki.terms == full.metawiki.terms
    finally:
        peer.reset()


def test_a_lagging_query_service_does_not_hide_a_new_capacity(sandbox_factory):
    import json

    sandbox = sandbox_factory(sparql_lag=3600)
    wiki = sandbox.site("metabase").wiki
    peer = wiki.user("Peer2")
    first, _, _ = run_pull(sandbox)
    template = json.loads(wiki.page(f"Item:{first.discovery.capacities[0].item}").latest.content)
    index_item = template["claims"]["P67"][0]["mainsnak"]["datavalue"]["value"]["id"]
    index = json.loads(wiki.page(f"Item:{index_item}").latest.content)
    index["id"] = "Q999002"
    index["claims"]["P1"][0]["mainsnak"]["datavalue"]["value"] = "Q424242"
    wiki.save_page("Item:Q999002", json.dumps(index), user=peer, summary="new index term",
                   content_model="wikibase-item")
    capacity = json.loads(json.dumps(template))
    capacity["id"] = "Q999001"
    capacity["labels"] = {"en": {"language": "en", "value": "brand new capacity"}}
    capacity["descriptions"] = {}
    p67 = capacity["claims"]["P67"][0]["mainsnak"]["datavalue"]["value"]
    p67.update({"id": "Q999002", "numeric-id": 999002})
    wiki.save_page("Item:Q999001", json.dumps(capacity), user=peer, summary="new capacity",
                   content_model="wikibase-item")

    result, _, _ = run_pull(sandbox)
    assert result.discovery.source == "sparql"
    assert "Q999001" in result.discovery.sparql_missing  # the query service has not seen it yet
    new = next(c for c in result.discovery.capacities if c.item == "Q999001")
    assert new.qid == "Q424242"
    assert result.metabase.get(TermKey("Q424242", "label", "en")).text == "brand new capacity"


# ---------------------------------------------------------------------- our own writes in the read cache
class _DictCache:
    def __init__(self, **sides):
        self.sides = dict(sides)

    def load_side(self, side):
        return self.sides.get(side)

    def store_side(self, side, snapshot, cursor):
        self.sides[side] = (snapshot, cursor)


class _RecentChanges:
    """A Metabase client stand-in answering recentchanges with fixed rows ({item: [revids]})."""

    def __init__(self, rows, entities):
        self.rows, self.entities, self.read = rows, entities, []
        self.profile = load_profile("sandbox").metabase

    def changed_item_revisions(self, since, ignore=()):
        out = {i: max(r for r in revs if r not in ignore) for i, revs in self.rows.items()
               if any(r not in ignore for r in revs)}
        return out, "2024-01-02T00:00:00Z"

    def remember_accepted(self, langs):
        pass

    def get_entities(self, ids, props=None):
        self.read.extend(ids)
        return {i: self.entities[i] for i in ids}


def _own_write_world(patched):
    from capxl10n.engine.apply import Written
    from capxl10n.wikis.results import WriteResult
    from capxl10n.core.model import Capacity, Snapshot, Term
    from capxl10n.core.cursors import DiscoveryCursor, MetabaseCursor
    from capxl10n.core.plan import Operation
    from capxl10n.engine.absorb import absorb_writes
    key = TermKey("Q7397", "label", "pt-br")
    cap = Capacity(qid="Q7397", item="Q1")
    snap = Snapshot("metabase", (cap,), {key: Term("velho", revision=10)})
    cursor = MetabaseCursor(high_water="2024-01-01T00:00:00Z", item_revisions={"Q1": 10},
                            discovery=DiscoveryCursor(index_terms={"Q1": "Q99"}))
    cache = _DictCache(metabase=(snap, cursor))
    op = Operation("op1", "metabase", "Q1", key, "update", "novo", "velho", False, 10, None, "test")
    absorb_writes(cache, [op], [Written("metabase", "Q1", ("op1",), WriteResult(12, patched=patched))], "B")
    return cache, key


def _entity(text, rev):
    prof = load_profile("sandbox").metabase
    return {"lastrevid": rev, "labels": {"pt-br": {"language": "pt-br", "value": text}},
            "claims": {prof.instance_of: [{"mainsnak": {"datavalue": {"value": {"id": prof.capacity_class}}}}],
                       prof.index_term: [{"mainsnak": {"datavalue": {"value": {"id": "Q99"}}}}]}}


@pytest.mark.parametrize("rows, patched, reread", [
    ({"Q1": [12]}, False, False),       # only our revision: cached, not read back
    ({"Q1": [11, 12]}, False, True),    # a human between our read and our write
    ({"Q1": [12, 13]}, False, True),    # a human after our write
    ({"Q1": [12]}, True, True),         # wikibase-conflict-patched: content is not only ours
])
def test_incremental_skips_exactly_our_revisions(rows, patched, reread):
    from capxl10n.engine.pull import _metabase_incremental
    cache, key = _own_write_world(patched)
    snap, cursor = cache.load_side("metabase")
    if not patched:
        assert snap.terms[key].text == "novo" and snap.terms[key].revision == 12
    assert cursor.own_writes["Q1"].read_revision == 10 and cursor.own_writes["Q1"].revisions == (() if patched else (12,))
    client = _RecentChanges(rows, {"Q1": _entity("humano", 13)})
    result, after, _disc = _metabase_incremental(client, snap, cursor, None)
    assert (client.read == ["Q1"]) is reread
    assert result.terms[key].text == ("humano" if reread else "novo")
    assert not after.own_writes  # consumed: the next pull starts from the new mark
    assert after.high_water == "2024-01-02T00:00:00Z"
    if not reread:
        assert after.item_revisions["Q1"] == 12
