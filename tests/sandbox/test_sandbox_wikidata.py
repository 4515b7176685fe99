"""Wikidata on the sandbox: read-only Wikibase in the main namespace, with mul."""
from __future__ import annotations

import json
import random

import pytest

from capxl10n.sandbox.wikidata.site import seed_wikidata
from plugins.wiki_harness import Harness


@pytest.fixture
def wd() -> Harness:
    h = Harness("wikidata", wikidata=True)
    seed_wikidata(h.repo, ["Q7397", "Q42", "Q7397", "bogus"], english={"Q7397": "Organizing edit-a-thons"},
                  rng=random.Random(1))
    return h


def test_items_live_in_the_main_namespace(wd: Harness) -> None:
    entity = wd.api(action="wbgetentities", ids="Q7397", props="info|labels").body["entities"]["Q7397"]
    assert (entity["ns"], entity["title"]) == (0, "Q7397")
    assert entity["labels"]["en"]["value"] == "organizing edit-a-thons"
    assert wd.api(action="wbgetentities", ids="Q42").body["entities"]["Q42"]["labels"]["en"]["value"] == "concept Q42"


def test_mul_is_a_term_language_and_a_fallback(wd: Harness) -> None:
    seed_wikidata(wd.repo, ["Q100"], terms={("Q100", "label", "mul"): "CapX", ("Q100", "label", "de"): "CapX-de"})
    labels = wd.api(action="wbgetentities", ids="Q100", props="labels", languages="fr|de|mul",
                    languagefallback=1).body["entities"]["Q100"]["labels"]
    assert labels["fr"] == {"value": "CapX", "language": "mul", "for-language": "fr"}
    assert labels["de"]["value"] == "CapX-de" and labels["mul"]["value"] == "CapX"
    codes = wd.api(action="query", meta="wbcontentlanguages").body["query"]["wbcontentlanguages"]
    assert "mul" in codes


def test_seeding_is_deterministic(wd: Harness) -> None:
    other = Harness("wikidata", wikidata=True)
    seed_wikidata(other.repo, ["Q7397", "Q42"], english={"Q7397": "Organizing edit-a-thons"}, rng=random.Random(1))
    assert wd.terms("Q7397") == other.terms("Q7397") and wd.repo.get("Q5") is None


@pytest.mark.parametrize("action, extra", [
    ("wbsetlabel", {"id": "Q42", "language": "en", "value": "x"}),
    ("wbsetdescription", {"id": "Q42", "language": "en", "value": "x"}),
    ("wbeditentity", {"id": "Q42", "data": json.dumps({"labels": {"en": {"language": "en", "value": "x"}}})}),
])
def test_writes_are_refused(wd: Harness, action: str, extra: dict[str, str]) -> None:
    before = wd.terms("Q42")
    answer = wd.post(action=action, **extra)
    assert answer.error == "permissiondenied" and answer.headers["MediaWiki-API-Error"] == "permissiondenied"
    assert wd.terms("Q42") == before
    assert wd.post(action=action, token="bad+\\", **extra).error == "badtoken"   # token checked first
