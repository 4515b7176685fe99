"""pywikibot, unmodified, against the sandbox's Meta-Wiki and Metabase over real HTTP (a scripted session).

The same session runs on the real MediaWiki + Translate + Wikibase in tests/realwiki/test_clients_peer.py
and must end the same (tests/plugins/client_sessions.py, EXPECTED).
"""
from __future__ import annotations

import importlib.util

import pytest

from capxl10n.sandbox.server import Sandbox
from plugins.client_sessions import EXPECTED, pywikibot_session, without_hosts
from plugins.sandbox_fixtures import client_env

# found, not imported: pywikibot reads its PYWIKIBOT_DIR when first imported (client_sessions sets it)
pytestmark = pytest.mark.skipif(importlib.util.find_spec("pywikibot") is None, reason="pywikibot is not installed")


def test_a_pywikibot_session_ends_as_on_the_real_wikis(sandbox: Sandbox) -> None:
    outcome = pywikibot_session(client_env(sandbox), "sandbox")
    assert outcome["hosts"] == ["127.0.0.1"], "pywikibot asked nothing but the loopback sandbox"
    assert without_hosts(outcome) == EXPECTED["pywikibot"]
