"""Metabase's Wikibase API on the sandbox: wbgetentities, wbeditentity, wbsetlabel/description.

Entities are pages of the site's :class:`~capxl10n.sandbox.wiki.Wiki` store (``Item:Q123``,
content model ``wikibase-item``, content = entity JSON in storage form), so every write is a
revision and a recentchanges row like any edit, and ``prop=revisions`` shows them. This
module adds what Wikibase adds on top: the term rules and the ``baserevid`` patching of
:mod:`capxl10n.sandbox.wbedit`, a label+description index for the uniqueness rule, page links
for ``list=backlinks`` (a link extractor for the store), and change listeners (SPARQL).

Wiring (by :mod:`capxl10n.sandbox.seed`): ``repo = install_metabase(site)`` registers the modules on a
:class:`~capxl10n.sandbox.core.Site`; ``seed_metabase(repo, snapshot, ...)`` fills it;
``repo.listeners`` receives ``(entity_id, entity, revid, timestamp)`` after every save.
Wikidata reuses the same repository class with its own layout (see :mod:`.wikidata`).

Where it lives (this module only re-exports, so ``from capxl10n.sandbox.wikibase import …``
keeps working): :mod:`.wbrepo` (WikibaseRepo, RepoLayout: entities in the page store, indexes,
listeners), :mod:`.wbterms` (the term edit transaction), :mod:`.wbapi` (the API modules and
``install``), :mod:`.wbseed` (Metabase seeding, concurrent edits, entity dumps).
"""
from __future__ import annotations

from capxl10n.sandbox.wbapi import (
    PATCHED_TEXT,
    api_error,
    handle_wbcontentlanguages,
    handle_wbeditentity,
    handle_wbgetentities,
    install,
    install_metabase,
)
from capxl10n.sandbox.wbrepo import METABASE_LAYOUT, Listener, RepoLayout, WikibaseRepo
from capxl10n.sandbox.wbseed import (
    CAPACITY_CLASS,
    SCHEMA_PROPERTIES,
    MetabaseSeed,
    concurrent_edit,
    entity_json,
    seed_metabase,
    seed_user,
)
from capxl10n.sandbox.wbterms import EditOutcome, edit_terms

__all__ = [
    "CAPACITY_CLASS", "METABASE_LAYOUT", "PATCHED_TEXT", "SCHEMA_PROPERTIES", "EditOutcome", "Listener",
    "MetabaseSeed", "RepoLayout", "WikibaseRepo", "api_error", "concurrent_edit", "edit_terms",
    "entity_json", "handle_wbcontentlanguages", "handle_wbeditentity", "handle_wbgetentities",
    "install", "install_metabase", "seed_metabase", "seed_user",
]
