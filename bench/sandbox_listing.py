"""How long the sandbox store takes to list one message's unit pages (``Wiki.pages_in``) at scale.

Usage: python bench/sandbox_listing.py [--capacities 2000] [--languages 300] [--lookups 200]

Translate's ``messagetranslations`` and the bundle's outdating list the unit pages of one message key
(``Translations:<bundle>/<key>/``): a prefix listing of the Translations namespace. This fills a store with
every capacity's label and description unit in every language (1.2 M pages at 2,000 x 300), then times
``--lookups`` listings of random keys through the store's title index, and the same listings as the store
made them before it had one (a sort of every page of the namespace on each call; timed over a few, it takes
seconds each). The first listing after the seeding sorts the pages it created into the index (once, timed
apart); a page is created and one deleted between listings (the index's upkeep). Prints one JSON line.
Figures, not tests.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.sandbox.store.wiki import METAWIKI_NAMESPACES, Wiki  # noqa: E402

BUNDLE = "Module:CapacityExchange/capacities.json"
NS = 1198


def full_sort_listing(wiki: Wiki, prefix: str) -> list[str]:
    """``pages_in`` as it was: every page of the namespace sorted, then filtered by the prefix."""
    names = sorted((wiki.unprefixed(p), p.title) for p in wiki.pages.values() if p.ns == NS)
    return [title for name, title in names if name.startswith(prefix)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacities", type=int, default=2000)
    parser.add_argument("--languages", type=int, default=300)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--before", type=int, default=3, help="listings timed the way it was before")
    args = parser.parse_args()
    wiki = Wiki("metawiki", METAWIKI_NAMESPACES)
    user = wiki.add_user("Seeder")
    langs = [f"l{n:03d}" for n in range(args.languages)]
    keys = [f"Q{q}-{fld}" for q in range(1, args.capacities + 1) for fld in ("label", "description")]
    started = time.process_time()
    for key in keys:
        for lang in langs:
            wiki.save_page(f"Translations:{BUNDLE}/{key}/{lang}", "x", user=user)
    filled = time.process_time() - started
    rng = random.Random(1)
    prefixes = [f"{BUNDLE}/{rng.choice(keys)}/" for _ in range(args.lookups)]
    started = time.process_time()  # the first listing sorts what the seeding created into the index, once
    assert len(list(wiki.pages_in(NS, prefixes[0]))) == len(langs)
    first = time.process_time() - started
    started = time.process_time()
    for n, prefix in enumerate(prefixes):
        listed = [p.title for p in wiki.pages_in(NS, prefix)]
        assert len(listed) == len(langs), (prefix, len(listed))
        if n % 50 == 0:  # the index's upkeep between listings: a page created, one deleted
            wiki.save_page(f"Translations:{BUNDLE}/{keys[n]}/new{n}", "x", user=user)
            wiki.delete_page(f"Translations:{BUNDLE}/{keys[n]}/new{n}", user=user)
    indexed = (time.process_time() - started) / len(prefixes)
    started = time.process_time()
    for prefix in prefixes[:args.before]:
        assert full_sort_listing(wiki, prefix) == [p.title for p in wiki.pages_in(NS, prefix)]
    before = (time.process_time() - started) / max(1, min(args.before, len(prefixes)))
    print(json.dumps({"pages": len(wiki.pages), "fill_cpu_s": round(filled, 1),
                      "first_listing_ms": round(first * 1000, 1), "listing_ms_indexed": round(indexed * 1000, 3),
                      "listing_ms_full_sort": round(before * 1000, 1)}))


if __name__ == "__main__":
    main()
