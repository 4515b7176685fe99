"""Wikidata on the sandbox: read-only Wikibase for the linked concepts (``mul`` included).

The tool only reads Wikidata (suggestions and last-resort fallbacks), so this site answers
``wbgetentities`` (and ``meta=wbcontentlanguages``) exactly like Metabase, with Wikidata's
layout — items ``Q7397`` in the main namespace, properties in ``Property:`` (120) — and the
``mul`` term code enabled, as on wikidata.org. Writes (``wbeditentity``, ``wbsetlabel``,
``wbsetdescription``) are refused with ``permissiondenied`` after the usual token check, as
on a wiki where the bot account has no editing rights.

Seeding gives each linked concept plausible text: a lowercase English concept label, a
``mul`` label for some (Wikidata's language-independent labels), a concept-level description
(deliberately not the capacity's description: it must never be copied as one), and labels in
a few more languages taken from the sample, so fallback and ``mul`` handling can be tested.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from capxl10n.core.model import qid_sort_key
from capxl10n.sandbox.api.site import Site
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.api import install
from capxl10n.sandbox.wikibase.repo import RepoLayout, WikibaseRepo
from capxl10n.sandbox.wikibase.seed import seed_user

log = logging.getLogger(__name__)

WIKIDATA_LAYOUT = RepoLayout(item_ns=0, property_ns=120, mul=True, writable=False,
                             article_path="/wiki/$1", first_item=1, concept_base="http://www.wikidata.org/entity/")

_DESCRIPTIONS = (
    "skill or practice in the Wikimedia movement",
    "activity of organising and sharing free knowledge",
    "area of expertise",
    "human ability",
    "type of community work",
)


def install_wikidata(site: Site) -> WikibaseRepo:
    """Register the read-only Wikibase modules on the Wikidata site."""
    return install(site, WIKIDATA_LAYOUT, concept_base_uri="http://www.wikidata.org/entity/")


def seed_wikidata(repo: WikibaseRepo, qids: Iterable[str], *, english: Mapping[str, str] | None = None,
                  terms: Mapping[tuple[str, str, str], str] | None = None,
                  rng: random.Random | None = None) -> list[str]:
    """Create an item for each Wikidata QID (ids kept as given); returns the ids created.

    ``terms`` (``{(qid, "label"|"description", lang): text}``) are used as given; otherwise
    text is derived from ``english`` (the capacity's English label per QID) with ``rng``
    deciding, deterministically, which concepts get a ``mul`` label and which description.
    """
    rng = rng or random.Random(0)
    user = seed_user(repo, "WikidataImporter")
    created: list[str] = []
    with repo.wiki.lock:
        for qid in sorted(dict.fromkeys(qids), key=qid_sort_key):
            entity_id = wbe.normalize_id(qid)
            if entity_id is None or not entity_id.startswith("Q") or repo.get(entity_id) is not None:
                continue
            entity = wbe.new_entity(entity_id)
            if terms is not None:
                for (tq, fld, lang), text in sorted(terms.items()):
                    if tq == entity_id and lang in repo.languages and text.strip():
                        wbe.set_term(entity, "labels" if fld == "label" else "descriptions", lang,
                                     text.strip()[:250])
            else:
                name = (english or {}).get(entity_id) or f"concept {entity_id}"
                label = name[:1].lower() + name[1:]
                wbe.set_term(entity, "labels", "en", label)
                if rng.random() < 0.5:
                    wbe.set_term(entity, "labels", "mul", label)
                description = rng.choice(_DESCRIPTIONS)
                if description != label:
                    wbe.set_term(entity, "descriptions", "en", description)
            repo.save(entity, user=user, summary="/* wbeditentity-create-item:0| */", bot=True, create=True)
            created.append(entity_id)
    return created


def seed_from_snapshot(repo: WikibaseRepo, snapshot: Any, rng: random.Random | None = None,
                       languages: Sequence[str] = ("de", "es", "fr", "pt")) -> list[str]:
    """Seed from a :class:`capxl10n.core.model.Snapshot`: its QIDs, English labels and, for a few
    languages, its labels (Wikidata often has a concept label where the capacity has none)."""
    rng = rng or random.Random(0)
    english = {cap.qid: snapshot.text(cap.qid, "label", "en") or "" for cap in snapshot.capacities}
    created = seed_wikidata(repo, english, english={k: v for k, v in english.items() if v}, rng=rng)
    with repo.wiki.lock:
        for qid in created:
            found = repo.get(qid)
            if found is None:
                continue
            entity = wbe.from_storage_json(wbe.to_storage_json(found[0]))
            changed = False
            for lang in languages:
                text = snapshot.text(qid, "label", lang)
                if text and lang in repo.languages and rng.random() < 0.6:
                    wbe.set_term(entity, "labels", lang, text[:1].lower() + text[1:250])
                    changed = True
            if changed:
                repo.save(entity, user=seed_user(repo, "WikidataImporter"),
                          summary="/* wbeditentity-update-languages-short:0|| */", bot=True)
    return created
