"""Pull past the sizes of the sample: more than 1,000 capacities (backlinks continue past their second page,
Translate's messagecollection past 5,000 messages), at exactly the requests the APIs allow, and an
incremental no-op that stays within five. Request counts only: times live in bench/ (bench/scale.py)."""
from __future__ import annotations

import math
from collections import Counter

import pytest

from capxl10n.core.model import SOURCE_LANGUAGE
from capxl10n.engine.pull import pull
from capxl10n.profile import load_profile
from capxl10n.wikis.http import make_session

#: Anonymous API limits on the sandbox as on Wikimedia: backlinks 500 per page, wbgetentities 50 ids, and
#: messagecollection 5,000 messages (``mclimit=5000``).
BACKLINKS, ENTITIES, MESSAGES = 500, 50, 5000


class MemoryCache:
    def __init__(self) -> None:
        self.sides: dict[str, tuple] = {}

    def load_side(self, side):
        return self.sides.get(side)

    def store_side(self, side, snapshot, cursor):
        self.sides[side] = (snapshot, cursor)


def pull_in_process(sandbox, cache, sent):
    """A pull through the sandbox's in-process transport, recording each request sent."""
    def factory(profile, site):
        session = make_session(profile, site)
        session.mount(sandbox.url, sandbox.transport())
        session.hooks["response"].append(lambda response, *a, **k: sent.append(
            (response.request.method, response.request.url, response.request.body)))
        return session

    return pull(load_profile("sandbox").rebase(sandbox.url), cache=cache, sleep=lambda s: None,
                session_factory=factory)


def floor(result, items: int | None = None) -> dict[str, int]:
    """The fewest requests a full anonymous read can make of what the sandbox holds (``items``: the capacity
    items discovered, when ``result`` does not say)."""
    items = len(result.discovery.capacities) if items is None else items
    per_language = Counter(k.lang for k in result.metawiki.terms if k.lang != SOURCE_LANGUAGE)
    return {
        # the discovery query (its first backlinks page) + the further backlinks pages + SPARQL + the items
        "metabase": 1 + (math.ceil(items / BACKLINKS) - 1) + 1 + math.ceil(items / ENTITIES),
        # every language's units (documentation included) page by page; the first page of the first language
        # rides with the bundle and its statistics in one request
        "metawiki": sum(math.ceil(n / MESSAGES) for n in per_language.values()),
        "wikidata": math.ceil(len({c.qid for c in result.metabase.capacities}) / ENTITIES),
    }


@pytest.mark.parametrize("capacities, languages", [
    pytest.param(1001, 8, id="1001-capacities"),
    pytest.param(5000, 3, id="5000-capacities", marks=pytest.mark.slow),
])
def test_a_full_pull_past_a_thousand_capacities_makes_exactly_the_api_floor(sandbox_factory, capacities, languages):
    sandbox = sandbox_factory(capacities=capacities, languages=languages, start=False)
    cache, sent = MemoryCache(), []
    sandbox.stats.reset()
    result = pull_in_process(sandbox, cache, sent)

    assert len(result.discovery.capacities) == capacities
    assert {c.qid for c in result.metabase.capacities} == set(sandbox.seeded.metabase_items)
    expected = floor(result)
    assert dict(result.requests) == expected
    assert sandbox.stats.total == sum(expected.values()) == len(sent)
    assert [req for req, n in Counter(sent).items() if n > 1] == []  # no page read twice
    assert sandbox.stats.count("metabase", "query+backlinks") == math.ceil(capacities / BACKLINKS) - 1 >= 2
    paged = [lang for lang, n in Counter(k.lang for k in result.metawiki.terms).items()
             if n > MESSAGES and lang != SOURCE_LANGUAGE]
    assert bool(paged) == (capacities == 5000)  # a language past one page of messagecollection

    sandbox.stats.reset()
    again = pull_in_process(sandbox, cache, sent)
    assert sandbox.stats.total <= 5
    assert again.incremental == {"metabase": True, "metawiki": True, "wikidata": True}
    assert again.metabase.fingerprint() == result.metabase.fingerprint()
    assert again.metawiki.fingerprint() == result.metawiki.fingerprint()


# ---------------------------------------------------------------------- the read cache at any size
def test_a_read_that_found_nothing_new_rewrites_only_the_cursors(sandbox_factory, tmp_path):
    """Not even the rows: SQLite rewrites a whole row (its snapshot's hundreds of megabytes) to change its
    cursor, so a cursor that moved only its time mark goes into the side's small mark row."""
    from capxl10n.engine.state import MARK, open_state

    sandbox = sandbox_factory(capacities=30, languages=6, start=False)
    with open_state(tmp_path / "state.sqlite") as state:
        first = pull_in_process(sandbox, state, [])
        rows = "SELECT side, length(snapshot), cursor FROM read_cache WHERE side NOT LIKE '%' || ?"
        before = state.conn.execute(rows, (MARK,)).fetchall()
        statements: list[str] = []
        state.conn.set_trace_callback(statements.append)
        again = pull_in_process(sandbox, state, [])
        state.conn.set_trace_callback(None)
        assert again.incremental == {"metabase": True, "metawiki": True, "wikidata": True}
        writes = [s for s in statements if "read_cache" in s and not s.lstrip().upper().startswith("SELECT")]
        assert len(writes) == 3 and all(s.upper().startswith("INSERT OR REPLACE INTO READ_CACHE") and
                                        f"{MARK}'" in s and "x''" in s for s in writes), writes
        assert state.conn.execute(rows, (MARK,)).fetchall() == before  # no row rewritten
        for side in ("metabase", "metawiki"):  # what a later run reads back is the same read, at the new mark
            snapshot, cursor = state.load_side(side)
            assert snapshot == getattr(first, side)
            assert cursor == getattr(again, f"{side}_cursor")


def test_a_read_cache_stored_by_an_older_version_still_loads_and_is_stored_compact(sandbox_factory, tmp_path):
    from capxl10n.core.cursors import cursor_dumps
    from capxl10n.engine.state import open_state

    sandbox = sandbox_factory(capacities=20, languages=4, start=False)
    with open_state(tmp_path / "state.sqlite") as state:
        first = pull_in_process(sandbox, state, [])
        old_text = first.metawiki.dumps()  # the snapshot file's JSON text, as older versions stored it
        state.conn.execute("UPDATE read_cache SET snapshot = ? WHERE side = 'metawiki'", (old_text,))
        state.conn.commit()
    with open_state(tmp_path / "state.sqlite") as state:
        snapshot, cursor = state.load_side("metawiki")
        assert snapshot == first.metawiki and cursor_dumps(cursor) == cursor_dumps(first.metawiki_cursor)
        again = pull_in_process(sandbox, state, [])
        assert again.incremental["metawiki"] and again.metawiki == first.metawiki
        assert state.conn.execute("SELECT typeof(snapshot) FROM read_cache WHERE side = 'metawiki'").fetchone() == \
            ("blob",)


def test_a_read_cache_row_is_decoded_once_while_its_terms_are_in_use_and_again_when_rewritten(sandbox_factory, tmp_path):
    from capxl10n.core.model import Term, TermKey
    from capxl10n.engine.state import open_state

    sandbox = sandbox_factory(capacities=20, languages=4, start=False)
    with open_state(tmp_path / "state.sqlite") as state:
        first = pull_in_process(sandbox, state, [])
    with open_state(tmp_path / "state.sqlite") as one, open_state(tmp_path / "state.sqlite") as two:
        held, _ = one.load_side("metawiki")
        again, _ = two.load_side("metawiki")
        assert again.terms is held.terms and again == held == first.metawiki  # the same bytes: not decoded again
        key = next(k for k in held.terms if k.lang != "en")
        changed = held.with_terms({key: Term("changed elsewhere", side="metawiki")})
        two.conn.execute("UPDATE read_cache SET snapshot = ? WHERE side = 'metawiki'", (changed.dump_rows(),))
        two.conn.commit()
        reread, _ = one.load_side("metawiki")
        assert reread.terms is not held.terms and reread.terms[key].text == "changed elsewhere" and reread == changed
        del held, again, reread
        import gc
        gc.collect()  # nothing holds the terms any more: the next read decodes the row again
        assert one.load_side("metawiki")[0].terms[TermKey(key.qid, key.field, key.lang)].text == "changed elsewhere"


# ---------------------------------------------------------------------- the catalogs' quick pass
def test_the_catalogs_quick_pass_lets_through_only_what_no_check_refuses():
    """app_safe skips the value checks for a plain text (catalogs/build.py's _plain): never one a check flags."""
    from capxl10n.catalogs.build import _plain
    from capxl10n.core.checks import value_errors
    from capxl10n.core.model import TermKey

    key = TermKey("Q1", "label", "de")
    code_points = [*range(0x3100), *range(0x3100, 0x110000, 7), *range(0xD800, 0xE000, 64), *range(0xFDD0, 0xFDF0),
                   *(plane << 16 | low for plane in range(17) for low in (0xFFFE, 0xFFFF)), 0x1F30D, 0x20BB7]
    texts = [t for cp in code_points for t in (chr(cp), f"ab{chr(cp)}cd", f" {chr(cp)}x")]
    texts += ["~~~~", "{{subst:X}}", "[[a|]]", "$1", "a !!FUZZY!! b", "x" * 251, " ", "\u200d", "Cafe\u0301", "ok"]
    passed = [t for t in texts if _plain(t)]
    assert len(passed) > len(texts) // 2  # the quick pass does take most text
    assert [t for t in passed if value_errors(key, t)] == []


# ---------------------------------------------------------------------- the first sync's requests
def test_a_first_sync_stays_within_one_percent_of_the_api_floor(sandbox_factory, tmp_path, monkeypatch):
    """Reads at their floor, one write per page it changes (an item's terms in one wbeditentity, a unit, the
    bundle at most twice), each wiki's login and the source guard's look at what changed since the read:
    within 1 % of that."""
    from capxl10n.engine.sync import sync
    from capxl10n.sandbox.server import credentials_env

    for name, value in credentials_env().items():
        monkeypatch.setenv(name, value)
    sandbox = sandbox_factory(capacities=120, languages=12)
    profile = load_profile("sandbox").rebase(sandbox.url).with_paths(state=tmp_path / "state.sqlite",
                                                                     catalogs=tmp_path / "catalogs")
    sandbox.stats.reset()
    outcome = sync(profile)
    assert outcome.exit_code in (0, 3), outcome.to_json()
    ops = outcome.planned.plan.operations
    assert len(ops) > 100  # the sample's drift: plenty to write
    reading = outcome.planned.reading  # Wikidata is not read by a sync
    reads = floor(reading, items=len(reading.metabase.capacities) + sum(len(i) for i in reading.duplicates.values()))
    pages = {(op.target, op.page) for op in ops}
    bundle_stages = len({op.stage for op in ops if op.target == "bundle"})
    written_wikis = {("metabase" if op.target == "metabase" else "metawiki") for op in ops}
    logins = 4 * len(written_wikis)  # login token, login, the rights (site_init), the csrf token
    guards = len(written_wikis)  # the source guard: one recentchanges per wiki the copies came from
    least = (reads["metabase"] + reads["metawiki"] + len({p for p in pages if p[0] != "bundle"}) + bundle_stages
             + logins + guards)
    made = sandbox.stats.total
    assert least <= made <= least * 1.01, (made, least, sandbox.stats.modules())
