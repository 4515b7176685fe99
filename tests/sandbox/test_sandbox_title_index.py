"""The store's prefix listing (``Wiki.pages_in``) keeps a per-namespace title index instead of sorting every
page on each call: it must list exactly what a sort of every page would, in the same order, through creates,
deletes, re-creates and the index's merges."""
from __future__ import annotations

import random

import pytest

from capxl10n.sandbox.store import wiki as store
from capxl10n.sandbox.store.wiki import METAWIKI_NAMESPACES, Wiki


def sorted_listing(wiki: Wiki, ns: int, prefix: str) -> list[str]:
    """What pages_in gave before the index: every page of the namespace sorted, filtered by prefix."""
    names = sorted((wiki.unprefixed(p), p.title) for p in wiki.pages.values() if p.ns == ns)
    return [title for name, title in names if name.startswith(prefix)]


@pytest.mark.parametrize("pending", [1, 3, store._TitleIndex.PENDING])
def test_prefix_listings_are_those_of_a_full_sort_through_creates_and_deletes(monkeypatch, pending):
    monkeypatch.setattr(store._TitleIndex, "PENDING", pending)
    rng = random.Random(pending)
    wiki = Wiki("metawiki", METAWIKI_NAMESPACES)
    user = wiki.add_user("Tester")
    keys = [f"Q{n}-{field}" for n in rng.sample(range(1, 400), 40) for field in ("label", "description")]
    langs = ["de", "en", "pt", "pt-br", "qqq", "zh-hant"]
    prefixes = ["", "Bundle/", "Bundle/Q1", "Bundle/Q12-label/", "Bundle/Q3", "Other", "Bundle/Q99-description/pt"]
    live: list[str] = []
    for step in range(1500):
        roll = rng.random()
        if roll < 0.6 or not live:
            title = f"Translations:Bundle/{rng.choice(keys)}/{rng.choice(langs)}"
            wiki.save_page(title, f"text {step}", user=user)
            if title not in live:
                live.append(title)
        elif roll < 0.75:
            title = live.pop(rng.randrange(len(live)))
            wiki.delete_page(title, user=user)
        elif roll < 0.8:
            wiki.save_page(f"Other page {rng.randrange(50)}", "main namespace", user=user)
        else:
            prefix = rng.choice(prefixes)
            listed = [p.title for p in wiki.pages_in(1198, prefix)]
            assert listed == sorted_listing(wiki, 1198, prefix), (step, prefix)
            assert [p.title for p in wiki.pages_in(0, "Other")] == sorted_listing(wiki, 0, "Other")
    for prefix in prefixes:
        assert [p.title for p in wiki.pages_in(1198, prefix)] == sorted_listing(wiki, 1198, prefix)
    assert list(wiki.pages_in(1199)) == []


def test_a_listing_is_the_namespace_as_it_was_when_it_began():
    """Callers delete while they walk a listing (the Wikibase repo's index): the listing does not move."""
    wiki = Wiki("metawiki", METAWIKI_NAMESPACES)
    user = wiki.add_user("Tester")
    for n in range(5):
        wiki.save_page(f"Translations:B/Q{n}-label/de", "x", user=user)
    walked = []
    for page in wiki.pages_in(1198, "B/"):
        walked.append(page.title)
        if len(walked) == 1:
            wiki.delete_page("Translations:B/Q3-label/de", user=user)
            wiki.save_page("Translations:B/Q0-label/fr", "y", user=user)
    assert walked == [f"Translations:B/Q{n}-label/de" for n in range(5)]
    assert [p.title for p in wiki.pages_in(1198, "B/")] == [
        "Translations:B/Q0-label/de", "Translations:B/Q0-label/fr", "Translations:B/Q1-label/de",
        "Translations:B/Q2-label/de", "Translations:B/Q4-label/de"]
