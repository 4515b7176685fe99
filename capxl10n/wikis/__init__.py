"""One client per external system: the HTTP/API seam, Metabase (Wikibase), Meta-Wiki (Translate), Wikidata."""
