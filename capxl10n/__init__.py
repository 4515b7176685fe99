"""capxl10n: keep the CapX capacity directory's translations in step.

Metabase (Wikibase) and Meta-Wiki (Translate message bundle) both hold the
names and descriptions of capacities; capxl10n reads both, merges them
three-way against the last agreed base, writes what is missing or changed
to each side, and builds gettext and JSON catalogs for the app.
"""
from __future__ import annotations

__version__ = "0.1.0"
TOOL_NAME = "capxl10n"
