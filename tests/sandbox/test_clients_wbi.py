"""WikibaseIntegrator, unmodified, against the sandbox's Meta-Wiki and Metabase over real HTTP (a scripted session).

The same session runs on the real MediaWiki + Translate + Wikibase in tests/realwiki/test_clients_peer.py
and must end the same (tests/plugins/client_sessions.py, EXPECTED).
"""
from __future__ import annotations

import importlib.util

import pytest

from capxl10n.sandbox.server import Sandbox
from plugins.client_sessions import EXPECTED, wbi_session
from plugins.sandbox_fixtures import client_env

pytestmark = pytest.mark.skipif(importlib.util.find_spec("wikibaseintegrator") is None,
                                reason="WikibaseIntegrator is not installed")


def test_a_wbi_session_ends_as_on_the_real_wikis(sandbox: Sandbox) -> None:
    assert wbi_session(client_env(sandbox), "sandbox") == EXPECTED["wikibaseintegrator"]
