"""The query service a Wikibase runs (the Wikidata Query Service, as wikibase.cloud gives Metabase one).

:mod:`.service`: a real SPARQL engine (pyoxigraph) over RDF munged as WDQS does, lagging
behind the edits, answering SPARQL 1.1 JSON on ``/metabase/query/sparql``. It reads
entities through :mod:`capxl10n.sandbox.wikibase` (the repository's listeners) and is a
separate service beside the wiki, not part of its Action API. This package imports
nothing here: import each name from its module.
"""
