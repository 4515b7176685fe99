"""One sandbox wiki with the Wikibase modules, over WSGI (werkzeug's test client), one cookie jar per user.

Requests go through the same routing, parameter checks and rendering as over HTTP; the sandbox's
Wikibase, SPARQL and Wikidata tests share it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from werkzeug.test import Client

from capxl10n.core.model import Capacity
from capxl10n.sandbox.api.site import NoFaults, Site
from capxl10n.sandbox.app import SandboxApp
from capxl10n.sandbox.store.wiki import METABASE_NAMESPACES, WIKIDATA_NAMESPACES, Wiki
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.api import install_metabase
from capxl10n.sandbox.wikibase.repo import WikibaseRepo
from capxl10n.sandbox.wikibase.seed import seed_metabase


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error(self) -> str | None:
        if isinstance(self.body, dict) and "error" in self.body:
            return self.body["error"]["code"]
        if isinstance(self.body, dict) and "errors" in self.body:
            return self.body["errors"][0]["code"]
        return None


class LagFaults(NoFaults):
    """Replica lag for maxlag tests."""

    def __init__(self, lag: float) -> None:
        self._lag = lag

    def lag(self, site: Site) -> float:
        return self._lag


class Harness:
    """One sandbox wiki with the Wikibase modules, users CapxBot (bot) and Peer2 (plain)."""

    def __init__(self, name: str = "metabase", *, wikidata: bool = False) -> None:
        namespaces = WIKIDATA_NAMESPACES if wikidata else METABASE_NAMESPACES
        models = {0: "wikibase-item", 120: "wikibase-property"} if wikidata else {
            120: "wikibase-item", 122: "wikibase-property"}
        self.name = name
        self.wiki = Wiki(name, namespaces, content_namespaces=models)
        self.site = Site(name, self.wiki, base_path=f"/{name}", server="http://sandbox.invalid")
        if wikidata:
            from capxl10n.sandbox.wikidata.site import install_wikidata
            self.repo: WikibaseRepo = install_wikidata(self.site)
        else:
            self.repo = install_metabase(self.site)
        self.app = SandboxApp({name: self.site})
        self.users = {
            "CapxBot": self.wiki.add_user("CapxBot", groups=("*", "user", "bot")),
            "Peer2": self.wiki.add_user("Peer2"),
        }
        self.clients: dict[str | None, Client] = {None: Client(self.app)}
        self.tokens: dict[str | None, str] = {None: "+\\"}
        for user_name, user in self.users.items():
            session = self.wiki.new_session()
            self.wiki.log_in(session, user)
            client = Client(self.app)
            client.set_cookie(f"{name}_session", session.id, domain="localhost", path=f"/{name}/")
            self.clients[user_name] = client
            self.tokens[user_name] = session.csrf_token

    def api(self, method: str = "GET", *, user: str | None = "CapxBot", token: bool | str = True,
            **params: Any) -> Answer:
        params = {k: str(v) for k, v in params.items()}
        params.setdefault("format", "json")
        client = self.clients[user]
        path = f"/{self.name}/w/api.php"
        if method == "GET":
            response = client.get(path, query_string=params)
        else:
            if token is True:
                params["token"] = self.tokens[user]
            elif isinstance(token, str):
                params["token"] = token
            response = client.post(path, data=params)
        return Answer(response.status_code, dict(response.headers), json.loads(response.get_data(as_text=True)))

    def post(self, **params: Any) -> Answer:
        return self.api("POST", **params)

    def lastrevid(self, entity_id: str) -> int:
        found = self.repo.get(entity_id)
        assert found is not None
        return found[1].lastrevid

    def terms(self, entity_id: str) -> dict[tuple[str, str], str]:
        found = self.repo.get(entity_id)
        assert found is not None
        return wbe.terms_of(found[0])


def small_seed(h: Harness) -> dict[str, str]:
    caps = [Capacity("Q7397", code="10"), Capacity("Q42", code="11"), Capacity("Q5", code="12")]
    terms = {("Q7397", "label", "en"): "Organizing edit-a-thons",
             ("Q7397", "description", "en"): "Planning events",
             ("Q7397", "label", "pt-br"): "Organizar editatonas",
             ("Q42", "label", "en"): "Writing", ("Q42", "description", "en"): "Writing articles",
             ("Q5", "label", "en"): "Teaching", ("Q5", "label", "qqq"): "not a term language",
             ("Q5", "description", "en"): "Teaching"}
    return seed_metabase(h.repo, caps, terms).capacity_items
