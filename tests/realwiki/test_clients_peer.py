"""pywikibot, WikibaseIntegrator and mwclient, unmodified, on the real MediaWiki 1.39 + Translate + Wikibase.

The very sessions tests/sandbox/test_clients_*.py run on the sandbox (tests/plugins/client_sessions.py),
with the same expected outcome: what the sandbox answers these clients is what the real software answers.
"""
from __future__ import annotations

import importlib.util

import pytest

from plugins.client_sessions import EXPECTED, peer_env, sessions, without_hosts


@pytest.mark.parametrize("client, session", list(sessions()), ids=[name for name, _ in sessions()])
def test_a_client_session_ends_as_on_the_sandbox(peer, client, session):
    module = {"wikibaseintegrator": "wikibaseintegrator"}.get(client, client)
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{client} is not installed")
    outcome = session(peer_env(peer), "peer")
    if client == "pywikibot":
        assert outcome["hosts"] == ["127.0.0.1"], "pywikibot asked nothing but the loopback peer"
    assert without_hosts(outcome) == EXPECTED[client]
