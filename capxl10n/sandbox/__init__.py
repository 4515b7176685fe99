"""The sandbox: a faithful local Metabase, Meta-Wiki and Wikidata over real HTTP (docs/sandbox.md).

One sub-package per piece of software it imitates, each importing only those below it
(tests/test_layers.py keeps this true):

- :mod:`.store`: MediaWiki core's storage (users, sessions, pages, revisions, recent changes, 3-way merge)
- :mod:`.api`: MediaWiki's Action API frame (ApiMain: parameters, errors, rendering, query, dispatch)
- :mod:`.mediawiki`: MediaWiki core's API modules (login, tokens, siteinfo, edit, delete, page readers)
- :mod:`.translate`: the Translate extension (Meta-Wiki's message bundle)
- :mod:`.wikibase`: the Wikibase repository (Metabase's items and terms)
- :mod:`.sparql`: a Wikibase's query service (WDQS, for Metabase)
- :mod:`.wikidata`: wikidata.org (a read-only Wikibase)

The modules at this level are the sandbox itself, imitating nothing: :mod:`.server` (the
``Sandbox`` object, the entry point), :mod:`.seed`, :mod:`.app` (WSGI routing and control),
:mod:`.httpd`, :mod:`.faults` and :mod:`.stats`.

Its web stack (werkzeug) and SPARQL store (pyoxigraph) come with the ``sandbox``
extra; a production install needs neither.
"""
from __future__ import annotations

import importlib.util

from capxl10n.errors import ConfigError

#: What the sandbox runs on, beyond the product's own dependencies.
DEPENDENCIES = ("werkzeug", "pyoxigraph")


def require() -> None:
    """Refuse, with the command that fixes it, when the sandbox's dependencies are not installed."""
    missing = [name for name in DEPENDENCIES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"the sandbox needs {' and '.join(missing)}, which are not installed",
                          hint="pip install 'capxl10n[sandbox]'")
