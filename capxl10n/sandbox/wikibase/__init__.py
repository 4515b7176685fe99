"""Wikibase (the REL1_39 repository extension) as Metabase runs it: entities, term rules, API modules.

Entities are pages of the site's :class:`~capxl10n.sandbox.store.wiki.Wiki` store (``Item:Q123``,
content model ``wikibase-item``, content = entity JSON in storage form), so every write is a
revision and a recentchanges row like any edit, and ``prop=revisions`` shows them. This
package adds what Wikibase adds on top: the term rules and the ``baserevid`` patching of
:mod:`.edit`, a label+description index for the uniqueness rule, page links for
``list=backlinks`` (a link extractor for the store), and change listeners (SPARQL).

Wiring (by :mod:`capxl10n.sandbox.seed`): ``repo = api.install_metabase(site)`` registers the modules
on a :class:`~capxl10n.sandbox.api.site.Site`; ``seed.seed_metabase(repo, snapshot, ...)`` fills it;
``repo.listeners`` receives ``(entity_id, entity, revid, timestamp)`` after every save.
Wikidata reuses the same repository class with its own layout (:mod:`capxl10n.sandbox.wikidata`).

The modules, pure ones first: :mod:`.languages` (the term codes REL1_39 accepts), :mod:`.entity`
(entity JSON: storage and output forms), :mod:`.validate` (term rules and refusals),
:mod:`.edit` (parse, apply, validate, patch), :mod:`.repo` (WikibaseRepo, RepoLayout: entities in
the page store, indexes, listeners), :mod:`.terms` (the term edit transaction), :mod:`.api` (the
API modules and ``install``), :mod:`.seed` (Metabase seeding, concurrent edits, entity dumps).
It sits on the API frame (:mod:`capxl10n.sandbox.api`) and the store, never on MediaWiki core's
modules. This package imports nothing here: import each name from the module that defines it.
"""
