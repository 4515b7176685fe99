"""The sandbox: a faithful local Metabase, Meta-Wiki and Wikidata over real HTTP (docs/sandbox.md).

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
