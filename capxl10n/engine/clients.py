"""The composition root: the three wiki clients of one run, built from a profile.

Pull reads through them, apply writes through them (``engine.sync.make_writers``); each
has its own session and :class:`~capxl10n.wikis.http.ApiClient` (pacing, retries, request
counts), and they share nothing but the profile. Tests pass a ``session_factory`` that
mounts the sandbox's transport, and a ``sleep`` that never sleeps.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import requests

from capxl10n.profile import Profile, SiteProfile
from capxl10n.wikis.http import ApiClient, make_session
from capxl10n.wikis.translate import MetawikiClient, PlainMetawikiClient
from capxl10n.wikis.wikibase import MetabaseClient
from capxl10n.wikis.wikidata import WikidataClient

SessionFactory = Callable[[Profile, SiteProfile], requests.Session]


class Clients:
    """The three site clients of one run, sharing nothing but the profile."""

    def __init__(self, profile: Profile, *, sleep: Callable[[float], None] = time.sleep,
                 session_factory: SessionFactory | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        factory = session_factory or make_session

        def api(site: SiteProfile) -> ApiClient:
            return ApiClient(site, profile, session=factory(profile, site), sleep=sleep, clock=clock)

        self.metabase = MetabaseClient(api(profile.metabase), profile.metabase)
        cls = MetawikiClient if profile.metawiki.translate_api else PlainMetawikiClient
        self.metawiki = cls(api(profile.metawiki), profile.metawiki)
        self.wikidata = WikidataClient(api(profile.wikidata), profile.wikidata) if profile.wikidata.enabled else None

    def requests(self) -> dict[str, int]:
        out = {"metabase": self.metabase.api.requests_made, "metawiki": self.metawiki.api.requests_made}
        if self.wikidata is not None:
            out["wikidata"] = self.wikidata.api.requests_made
        return out
