"""Shared fixtures live in tests/plugins/, one module per concern."""
pytest_plugins = [
    "plugins.common",
    "plugins.sandbox_fixtures",
    "plugins.realwiki_fixtures",
]
