"""Seeding: the sample directory spread over Metabase, Meta-Wiki and Wikidata, drifting like reality.

Why drift: a sandbox where both sides agree exactly would never exercise the
merge. From ``capxl10n.sample.generate.generate(capacities, languages, seed)`` (side
"sample") the terms are dealt out deterministically (``random.Random(seed)``
drawn once per term, in the snapshot's sorted order):

- English (``en``): on Metabase, and the bundle source = Metabase English for
  every capacity (FuzzyBot's ``/en`` units follow). A capacity without an
  English label has no bundle key for it (Translate refuses empty values).
- ``qqq``: only on Meta-Wiki (``/qqq`` documentation units).
- fuzzy sample terms: only on Meta-Wiki, as outdated units (fuzzy tag, text
  untouched, as after an English change).
- other terms, drawn u ∈ [0, 1): u < 0.06 only on Metabase; u < 0.12 only on
  Meta-Wiki; u < 0.15 on both with different values (Meta-Wiki gets the text
  with " (rev.)" appended); else identical on both.
- Wikidata: the linked concepts' labels/descriptions
  (:func:`capxl10n.sandbox.wikidata.site.seed_from_snapshot`).

Seed edits are back-dated (one second apart, ending before "now") and made by
the users ``Admin`` (Metabase import), ``FuzzyBot`` and a few translators.
Users every site has: ``CapxBot`` (bot password ``CapxBot@capxl10n``, bot
group, apihighlimits) and ``Peer2`` (``Peer2@capxl10n``, a plain user).
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capxl10n.core.model import Snapshot, Term, TermKey
from capxl10n.sample.generate import generate
from capxl10n.sandbox.sparql import service as sparql
from capxl10n.sandbox.store.wiki import BOT_RIGHTS, Wiki
from capxl10n.sandbox.translate import extension as translate
from capxl10n.sandbox.wikibase.api import install_metabase
from capxl10n.sandbox.wikibase.seed import concurrent_edit, seed_metabase
from capxl10n.sandbox.wikidata import site as wikidata

if TYPE_CHECKING:  # pragma: no cover
    from capxl10n.sandbox.api.site import Site
    from capxl10n.sandbox.server import Sandbox


BUNDLE_PAGE = "Module:CapacityExchange/capacities.json"
TRANSLATORS = ("Alice", "Bruno", "Chen", "Dalia", "Peer2")
ONLY_METABASE, ONLY_METAWIKI, DIFFERENT = 0.06, 0.12, 0.15
SEED_AGE_SECONDS = 30 * 24 * 3600


@dataclass
class SeedReport:
    """What was seeded where (counts; the per-term lists are for tests)."""

    capacities: int = 0
    metabase_terms: int = 0
    metawiki_units: int = 0
    only_metabase: list[TermKey] = field(default_factory=list)
    only_metawiki: list[TermKey] = field(default_factory=list)
    different: list[TermKey] = field(default_factory=list)
    fuzzy: list[TermKey] = field(default_factory=list)
    metabase_items: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"capacities": self.capacities, "metabase_terms": self.metabase_terms,
                "metawiki_units": self.metawiki_units, "only_metabase": len(self.only_metabase),
                "only_metawiki": len(self.only_metawiki), "different": len(self.different),
                "fuzzy": len(self.fuzzy)}


def add_users(wiki: Wiki) -> None:
    """The sandbox's accounts on one wiki (see sandbox_common: CapxBot and Peer2)."""
    from capxl10n.sandbox.server import BOT_NAME, BOT_PASSWORD, BOT_USER, PEER_PASSWORD, PEER_USER

    wiki.add_user(BOT_USER, groups=("*", "user", "autoconfirmed", "bot"), rights=BOT_RIGHTS,
                  bot_passwords={BOT_NAME: BOT_PASSWORD})
    wiki.add_user(PEER_USER, groups=("*", "user", "autoconfirmed"), bot_passwords={BOT_NAME: PEER_PASSWORD})


def sample_snapshot(capacities: int, languages: int, seed: int) -> Snapshot:
    """The sample generator's directory."""
    return generate(capacities=capacities, languages=languages, seed=seed)


class _BackDated:
    """Make a wiki's writes back-dated while seeding (then restore its clock)."""

    def __init__(self, wiki: Wiki, start: float) -> None:
        self.wiki, self.start = wiki, start

    def __enter__(self) -> None:
        self.saved: Callable[[], float] = self.wiki.clock
        start = self.start
        self.wiki.clock = lambda: start

    def __exit__(self, *exc: Any) -> None:
        self.wiki.clock = self.saved


def deal(snapshot: Snapshot, seed: int) -> tuple[dict[TermKey, Term], dict[TermKey, Term], SeedReport]:
    """Split the sample into (Metabase terms, Meta-Wiki terms) with the documented drift."""
    rng = random.Random(f"capxl10n-sandbox-drift-{seed}")
    metabase: dict[TermKey, Term] = {}
    metawiki: dict[TermKey, Term] = {}
    report = SeedReport(capacities=len(snapshot.capacities))
    for key, term in snapshot.terms.items():
        if key.lang == "en":
            metabase[key] = term
            metawiki[key] = term
            continue
        if key.lang == "qqq":
            metawiki[key] = term
            continue
        if term.fuzzy:
            metawiki[key] = term
            report.fuzzy.append(key)
            continue
        u = rng.random()
        if u < ONLY_METABASE:
            metabase[key] = term
            report.only_metabase.append(key)
        elif u < ONLY_METAWIKI:
            metawiki[key] = term
            report.only_metawiki.append(key)
        elif u < DIFFERENT:
            metabase[key] = term
            metawiki[key] = Term(term.text[:240] + " (rev.)", side="sample")
            report.different.append(key)
        else:
            metabase[key] = term
            metawiki[key] = term
    return metabase, metawiki, report


def seed_all(sandbox: Sandbox, sites: dict[str, Site]) -> SeedReport:
    """Build every site's modules and data; returns what was seeded."""
    snapshot = sandbox.snapshot or sample_snapshot(sandbox.capacities, sandbox.languages, sandbox.seed)
    metabase_terms, metawiki_terms, report = deal(snapshot, sandbox.seed)
    start = sandbox.clock() - SEED_AGE_SECONDS
    _seed_metawiki(sandbox, sites["metawiki"], snapshot, metawiki_terms, report, start)
    _seed_metabase(sandbox, sites["metabase"], snapshot, metabase_terms, report, start)
    _seed_wikidata(sandbox, sites["wikidata"], snapshot, start)
    return report


def _seed_metawiki(sandbox: Sandbox, site: Site, snapshot: Snapshot, terms: dict[TermKey, Term],
                   report: SeedReport, start: float) -> None:
    tr = translate.install(site)
    wiki = site.wiki
    if "concurrent" not in sandbox.faults.concurrent_hooks:
        sandbox.faults.concurrent_hooks["metawiki"] = concurrent_unit_edit
    rng = random.Random(f"capxl10n-sandbox-authors-{sandbox.seed}")
    users = [wiki.add_user(name) for name in TRANSLATORS]
    admin = wiki.add_user("Admin", groups=("*", "user", "sysop", "bot"), rights=BOT_RIGHTS | {"delete"})
    messages: dict[str, str] = {}
    for cap in snapshot.capacities:
        for fld in ("label", "description"):
            term = terms.get(TermKey(cap.qid, fld, "en"))
            if term is not None and term.text.strip():
                messages[f"{cap.qid}-{fld}"] = term.text
    with _BackDated(wiki, start):
        group = translate.seed_bundle(tr, BUNDLE_PAGE, messages, user=admin)
        for key, term in terms.items():
            if key.lang == "en" or key.message_key not in group.messages:
                continue
            translate.seed_unit(tr, group, key.message_key, key.lang, term.text, user=rng.choice(users),
                                fuzzy=term.fuzzy)
            report.metawiki_units += 1
        tr.refresh_stats(group)


def _seed_metabase(sandbox: Sandbox, site: Site, snapshot: Snapshot, terms: dict[TermKey, Term],
                   report: SeedReport, start: float) -> None:
    repo = install_metabase(site, concept_base_uri=sandbox.concept_uri)
    sandbox.extras["metabase_repo"] = repo
    flat: dict[tuple[str, str, str], str] = {(k.qid, k.field, k.lang): t.text for k, t in terms.items()}
    with _BackDated(site.wiki, start):
        seeded = seed_metabase(repo, snapshot.capacities, flat)
    report.metabase_items = dict(seeded.capacity_items)
    report.metabase_terms = len(flat)
    items = set(seeded.capacity_items.values())

    def concurrent(req: Any, rng: random.Random) -> Any:
        target = req.params.get("id")
        pool = [target] if target in items else sorted(items)
        return concurrent_edit(repo, rng, items=pool)

    sandbox.faults.concurrent_hooks["metabase"] = concurrent
    _install_sparql(sandbox, site, repo)


def _install_sparql(sandbox: Sandbox, site: Site, repo: Any) -> None:
    service = sparql.install_sparql(sandbox.app, site, repo, lag_seconds=sandbox.sparql_lag, clock=sandbox.faults.clock)
    sandbox.extras["sparql"] = service


def _seed_wikidata(sandbox: Sandbox, site: Site, snapshot: Snapshot, start: float) -> None:
    repo = wikidata.install_wikidata(site)
    sandbox.extras["wikidata_repo"] = repo
    with _BackDated(site.wiki, start):
        wikidata.seed_from_snapshot(repo, snapshot, random.Random(f"capxl10n-sandbox-wikidata-{sandbox.seed}"))


def concurrent_unit_edit(req: Any, rng: random.Random) -> bool:
    """The concurrent editor on Meta-Wiki: Peer2 changes the very unit the client is about to save."""
    title = req.params.get("title")
    wiki: Wiki = req.site.wiki
    if not title:
        return False
    page = wiki.page(title)
    if page is None or page.ns != 1198:
        return False
    peer = wiki.user("Peer2")
    if peer is None:
        return False
    text = page.text.replace("!!FUZZY!!", "")
    wiki.save_page(page.title, f"{text} ({rng.randrange(1000)})", user=peer, summary="concurrent edit")
    page.props["fuzzy"] = False
    return True
