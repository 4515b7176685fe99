"""The clients people actually use, run unmodified against a backend: pywikibot, WikibaseIntegrator, mwclient.

Each ``*_session(env)`` runs one scripted session — login, reads, a page edit, a Translate
unit edit, an item edit with labels, descriptions, aliases and a statement, a listing with
continuation, a maxlag back-off — and returns its **outcome**: a dict of named facts that do
not depend on ids, users or timestamps. tests/sandbox/test_clients_*.py run them on the
sandbox and tests/realwiki/test_clients_peer.py on the real MediaWiki + Translate + Wikibase
peer; both compare with the same expected outcome (:data:`EXPECTED`), so "the sandbox serves
these clients" means "they end the same on both".

Back-off without waiting: each client's own sleep is replaced by a recorder that clears the
backend's lag (the sandbox's maxlag fault, the peer's ``fake-maxlag`` file), so the retry that
follows succeeds; the outcome records that the client did back off.

pywikibot reads its configuration once per process: :func:`pywikibot_dir` makes one
``PYWIKIBOT_DIR`` (user-config.py, user-password.py) for the session and each backend gets a
family file of its own, registered at run time, naming only loopback hosts — pywikibot is
checked never to ask anything but 127.0.0.1.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"
USER_AGENT = "capxl10n-client-tests/0.1 (https://github.com/WikiMovimentoBrasil/capxl10n)"


@dataclass
class ClientEnv:
    """One backend as the client sessions see it: the two wikis' API URLs (one wiki on the peer), the bot
    password login, and the maxlag switch."""

    name: str
    metawiki_api: str
    metabase_api: str
    login: str
    password: str = field(repr=False)
    set_maxlag: Callable[[int], None]
    clear_maxlag: Callable[[], None]
    capacity_class: str = "Q34531"
    instance_of: str = "P5"

    @property
    def user(self) -> str:
        return self.login.split("@", 1)[0]


#: What every session ends with, on the sandbox and on the real wikis alike.
EXPECTED: dict[str, dict[str, Any]] = {
    "pywikibot": {
        "logged in": True, "Translate installed": True, "Wikibase installed": True, "bundle keys read": True,
        "page saved and read back": True, "section added": True, "preloaded": 2, "unit saved": True,
        "unit in messagecollection": True, "item created": True, "labels": {"en"}, "aliases": ["pywikibot alias"],
        "claim": "Q34531", "item found by search": True, "listing complete across continuations": True,
        "backed off on maxlag": True, "saved after maxlag": True, "API warnings": [],
    },
    "wikibaseintegrator": {
        "logged in": True, "item created": True, "labels": {"en"}, "aliases": ["wbi alias 1", "wbi alias 2"],
        "claims": {"P5"}, "second write kept both": True, "description added": True, "page saved": True,
        "unit saved": True, "listing complete across continuations": True, "backed off on maxlag": True,
        "saved after maxlag": True,
    },
    "mwclient": {
        "logged in": True, "bundle keys read": True, "page saved and read back": True, "unit saved": True,
        "item created": True, "aliases": ["mwclient alias"], "claim": "Q34531",
        "listing complete across continuations": True, "backed off on maxlag": True, "saved after maxlag": True,
        "unrecognized-parameter warnings": [],
    },
}


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _script_path(api: str) -> str:
    return urlsplit(api).path.rsplit("/", 1)[0]


def _unit_key(keys: list[str]) -> str:
    """A bundle key to translate in the sessions (the first label key)."""
    return next(k for k in keys if k.endswith("-label"))


# ---------------------------------------------------------------------------- pywikibot
_PYWIKIBOT_DIR: Path | None = None


def pywikibot_dir() -> Path:
    """This process's PYWIKIBOT_DIR (made once, before pywikibot is first imported)."""
    global _PYWIKIBOT_DIR
    if _PYWIKIBOT_DIR is None:
        base = Path(tempfile.mkdtemp(prefix="capxl10n-pywikibot-"))
        (base / "families").mkdir()
        password_file = base / "user-password.py"
        password_file.write_text("", encoding="utf-8")
        config = base / "user-config.py"
        config.write_text(
            "# written by tests/plugins/client_sessions.py: loopback families only, added at run time\n"
            "family = 'none'\nmylang = 'none'\n"
            f"password_file = {str(password_file)!r}\n"
            "put_throttle = 0\nminthrottle = 0\nmaxthrottle = 1\n"
            "max_retries = 3\nretry_wait = 1\nretry_max = 1\n"
            "write_maxlag = 5\nread_maxlag = 30\n"
            f"user_agent_format = {USER_AGENT!r}\n", encoding="utf-8")
        for path in (config, password_file):
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        os.environ["PYWIKIBOT_DIR"] = str(base)
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        _PYWIKIBOT_DIR = base
    return _PYWIKIBOT_DIR


def _pywikibot_family(env: ClientEnv) -> str:
    """A family file for this backend (codes metawiki and metabase, on loopback), registered with pywikibot."""
    import pywikibot

    name = "capx" + re.sub(r"[^a-z0-9]", "", f"{env.name}{_host(env.metawiki_api)}".lower())
    base = pywikibot_dir()
    path = base / "families" / f"{name}_family.py"
    hosts = {"metawiki": _host(env.metawiki_api), "metabase": _host(env.metabase_api)}
    paths = {"metawiki": _script_path(env.metawiki_api), "metabase": _script_path(env.metabase_api)}
    path.write_text(
        "from pywikibot import family\n\n\n"
        "class Family(family.Family):\n"
        f"    name = {name!r}\n"
        f"    langs = {hosts!r}\n\n"
        "    def scriptpath(self, code):\n"
        f"        return {paths!r}[code]\n\n"
        "    def protocol(self, code):\n"
        "        return 'http'\n\n"
        "    def interface(self, code):\n"
        "        return 'DataSite' if code == 'metabase' else 'APISite'\n\n"
        "    def entity_sources(self, code):\n"
        "        return {}\n", encoding="utf-8")
    pywikibot.config.family_files[name] = str(path)
    pywikibot.config.usernames[name]["*"] = env.user
    owner, _, bot = env.login.partition("@")
    with open(pywikibot.config.password_file, "a", encoding="utf-8") as fh:
        fh.write(f"({owner!r}, BotPassword({bot!r}, {env.password!r}))\n")
    return name


class _Backoff:
    """A client's sleep replaced: records the wait and clears the backend's lag, so the retry succeeds."""

    def __init__(self, env: ClientEnv) -> None:
        self.env = env
        self.waits: list[float] = []

    def sleep(self, seconds: float = 0) -> None:
        self.waits.append(float(seconds))
        self.env.clear_maxlag()


class _TimeWithBackoff:
    """``time`` for one module, whose ``sleep`` is a :class:`_Backoff`."""

    def __init__(self, backoff: _Backoff) -> None:
        self._backoff = backoff

    def sleep(self, seconds: float) -> None:
        self._backoff.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def pywikibot_session(env: ClientEnv, tag: str) -> dict[str, Any]:
    """pywikibot 11, unmodified, on both wikis of ``env``; ``tag`` makes titles and terms unique."""
    pywikibot_dir()
    import pywikibot
    from pywikibot import throttle
    from pywikibot.comms import http
    from pywikibot.data import api

    family = _pywikibot_family(env)
    asked: list[str] = []
    fetch = http.fetch

    def loopback_only(uri: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(uri)
        if urlsplit(uri).hostname != "127.0.0.1":
            raise AssertionError(f"pywikibot asked {uri}: only loopback is allowed")
        return fetch(uri, *args, **kwargs)

    warnings_seen: list[str] = []
    handler = _ListHandler(warnings_seen, "API warning")
    logger = logging.getLogger("pywiki")
    logger.addHandler(handler)
    backoff = _Backoff(env)
    saved_time = throttle.time
    http.fetch = loopback_only
    throttle.time = _TimeWithBackoff(backoff)  # type: ignore[assignment]
    out: dict[str, Any] = {}
    try:
        wiki = pywikibot.Site("metawiki", family)
        wiki.login()
        out["logged in"] = wiki.user() == env.user
        out["Translate installed"] = wiki.has_extension("Translate")
        repo = pywikibot.Site("metabase", family)
        repo.login()
        out["Wikibase installed"] = repo.has_extension("WikibaseRepository")
        bundle = json.loads(pywikibot.Page(wiki, BUNDLE).text)
        keys = [k for k in bundle if not k.startswith("@")]
        out["bundle keys read"] = len(keys) > 0
        title = f"Capxl10n clients/{tag}/pywikibot"
        page = pywikibot.Page(wiki, title)
        page.text = "Saved by pywikibot [[Capxl10n clients/elsewhere]] {{Capxl10n no such template}}"
        page.save(summary="pywikibot session")
        out["page saved and read back"] = pywikibot.Page(wiki, title).get(force=True) == page.text
        before = page.text
        wiki.editpage(page, summary="pywikibot section", section="new", text="A new section.")
        after = pywikibot.Page(wiki, title).get(force=True)
        out["section added"] = after == f"{before}\n\n== pywikibot section ==\n\nA new section."
        page = pywikibot.Page(wiki, title)
        other = pywikibot.Page(wiki, f"Capxl10n clients/{tag}/pywikibot 2")
        other.text = "Second page."
        other.save(summary="pywikibot session")
        out["preloaded"] = sum(1 for p in wiki.preloadpages([pywikibot.Page(wiki, title), other]) if p.text)
        key = _unit_key(keys)
        unit = pywikibot.Page(wiki, f"Translations:{BUNDLE}/{key}/de")
        unit.text = f"pywikibot {tag}"
        unit.save(summary="pywikibot unit")
        out["unit saved"] = pywikibot.Page(wiki, unit.title()).get(force=True) == unit.text
        rows = api.Request(site=wiki, parameters={"action": "query", "list": "messagecollection",
                                                  "mcgroup": GROUP, "mclanguage": "de",
                                                  "mcprop": "translation", "mclimit": "max"}).submit()
        found = {r["key"].rsplit("/", 1)[-1]: r.get("translation") for r in rows["query"]["messagecollection"]}
        out["unit in messagecollection"] = found.get(key) == unit.text
        item = pywikibot.ItemPage(repo)
        item.editEntity({"labels": {"en": f"pywikibot item {tag}"}, "descriptions": {"en": "made by pywikibot"},
                         "aliases": {"en": ["pywikibot alias"]}}, summary="pywikibot item")
        out["item created"] = bool(item.getID())
        claim = pywikibot.Claim(repo, env.instance_of)
        claim.setTarget(pywikibot.ItemPage(repo, env.capacity_class))
        item.addClaim(claim, summary="pywikibot claim")
        again = pywikibot.ItemPage(repo, item.getID())
        again.get(force=True)
        out["labels"] = set(again.labels)
        out["aliases"] = list(again.aliases.get("en", []))
        out["claim"] = again.claims[env.instance_of][0].getTarget().getID()
        hits = list(repo.search_entities(f"pywikibot item {tag}", "en", total=5))
        out["item found by search"] = any(h["id"] == item.getID() for h in hits)
        prefix = f"{BUNDLE}/"
        small = wiki.allpages(prefix=prefix, namespace=1198)
        small.set_query_increment(3)
        listed = [p.title() for p in small]
        whole = [p.title() for p in wiki.allpages(prefix=prefix, namespace=1198)]
        out["listing complete across continuations"] = listed == whole and len(listed) > 3
        env.set_maxlag(10)
        page.text = "Saved by pywikibot after a maxlag back-off."
        page.save(summary="pywikibot after maxlag")
        out["backed off on maxlag"] = bool(backoff.waits)
        out["saved after maxlag"] = pywikibot.Page(wiki, title).get(force=True) == page.text
    finally:
        env.clear_maxlag()
        http.fetch = fetch
        throttle.time = saved_time  # type: ignore[assignment]
        logger.removeHandler(handler)
    out["API warnings"] = sorted(set(warnings_seen))
    out["hosts"] = sorted({urlsplit(u).hostname or "" for u in asked})
    return out


class _ListHandler(logging.Handler):
    """Collects the messages of log records containing ``needle``."""

    def __init__(self, sink: list[str], needle: str) -> None:
        super().__init__(logging.DEBUG)
        self.sink, self.needle = sink, needle

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.needle in message:
            self.sink.append(message)


# ---------------------------------------------------------------------------- WikibaseIntegrator
def wbi_session(env: ClientEnv, tag: str) -> dict[str, Any]:
    """WikibaseIntegrator 0.12, unmodified: an item with claims and aliases round-trips; pages and units through
    its generic API helper; a listing with continuation; a maxlag back-off."""
    from wikibaseintegrator import WikibaseIntegrator, datatypes, wbi_helpers, wbi_login
    from wikibaseintegrator.wbi_config import config as wbi_config

    wbi_config["MEDIAWIKI_API_URL"] = env.metabase_api
    wbi_config["USER_AGENT"] = USER_AGENT
    backoff = _Backoff(env)
    saved_sleep = wbi_helpers.sleep
    wbi_helpers.sleep = backoff.sleep  # type: ignore[assignment]
    out: dict[str, Any] = {}
    try:
        login = wbi_login.Login(user=env.login, password=env.password, mediawiki_api_url=env.metabase_api)
        out["logged in"] = True
        wbi = WikibaseIntegrator(login=login)
        item = wbi.item.new()
        item.labels.set("en", f"wbi item {tag}")
        item.descriptions.set("en", "made by WikibaseIntegrator")
        item.aliases.set("en", ["wbi alias 1", "wbi alias 2"])
        item.claims.add(datatypes.Item(prop_nr=env.instance_of, value=env.capacity_class))
        written = item.write(summary="wbi item")
        out["item created"] = bool(written.id)
        got = wbi.item.get(written.id)
        out["labels"] = set(got.labels.get_json())
        out["aliases"] = [a.value for a in got.aliases.get("en")]
        out["claims"] = set(got.claims.get_json())
        got.descriptions.set("pt-br", "feito pelo WikibaseIntegrator")
        got.claims.add(datatypes.Item(prop_nr=env.instance_of, value=written.id),  # a second value: itself
                       action_if_exists=wbi_enums_append())
        env.set_maxlag(10)
        got.write(summary="wbi second write")
        out["backed off on maxlag"] = bool(backoff.waits)
        final = wbi.item.get(written.id)
        out["saved after maxlag"] = "pt-br" in final.descriptions.get_json()
        out["second write kept both"] = len(final.claims.get(env.instance_of)) == 2
        out["description added"] = final.descriptions.get("pt-br").value == "feito pelo WikibaseIntegrator"

        def call(api: str, **params: Any) -> dict[str, Any]:
            return wbi_helpers.mediawiki_api_call_helper(data={**params, "format": "json"}, login=login_meta,
                                                         mediawiki_api_url=api, allow_anonymous=False)

        login_meta = wbi_login.Login(user=env.login, password=env.password, mediawiki_api_url=env.metawiki_api)
        title = f"Capxl10n clients/{tag}/wbi"
        saved = call(env.metawiki_api, action="edit", title=title, text="Saved through WikibaseIntegrator.",
                     summary="wbi page", token=login_meta.get_edit_token())
        out["page saved"] = saved["edit"]["result"] == "Success"
        rows = call(env.metawiki_api, action="query", list="messagecollection", mcgroup=GROUP, mclanguage="fr",
                    mclimit="max")["query"]["messagecollection"]
        key = _unit_key([r["key"].rsplit("/", 1)[-1] for r in rows])
        unit = call(env.metawiki_api, action="edit", title=f"Translations:{BUNDLE}/{key}/fr", text=f"wbi {tag}",
                    summary="wbi unit", token=login_meta.get_edit_token())
        out["unit saved"] = unit["edit"]["result"] == "Success"
        titles, cont = [], {}
        while True:
            answer = call(env.metawiki_api, action="query", list="allpages", apnamespace=1198, apprefix=f"{BUNDLE}/",
                          aplimit=3, **cont)
            titles.extend(p["title"] for p in answer["query"]["allpages"])
            if "continue" not in answer:
                break
            cont = answer["continue"]
        whole = call(env.metawiki_api, action="query", list="allpages", apnamespace=1198, apprefix=f"{BUNDLE}/",
                     aplimit="max")["query"]["allpages"]
        out["listing complete across continuations"] = titles == [p["title"] for p in whole] and len(titles) > 3
    finally:
        env.clear_maxlag()
        wbi_helpers.sleep = saved_sleep  # type: ignore[assignment]
    return out


def wbi_enums_append() -> Any:
    from wikibaseintegrator.wbi_enums import ActionIfExists

    return ActionIfExists.APPEND_OR_REPLACE


# ---------------------------------------------------------------------------- mwclient
def mwclient_session(env: ClientEnv, tag: str) -> dict[str, Any]:
    """mwclient 0.11, unmodified: login, page text, edits, a unit, an item through raw API calls, a listing,
    a maxlag back-off; and no "Unrecognized parameter" warning for what mwclient always sends."""
    import mwclient
    from mwclient import sleep as mw_sleep

    backoff = _Backoff(env)
    saved_time = mw_sleep.time
    mw_sleep.time = _TimeWithBackoff(backoff)  # type: ignore[assignment]
    warnings_seen: list[str] = []
    handler = _ListHandler(warnings_seen, "nrecognized")
    logging.getLogger("mwclient").addHandler(handler)
    out: dict[str, Any] = {}

    def site(api: str) -> Any:
        return mwclient.Site(_host(api), path=_script_path(api) + "/", scheme="http", clients_useragent=USER_AGENT,
                             max_lag=5)

    try:
        wiki = site(env.metawiki_api)
        wiki.login(env.login, env.password)
        out["logged in"] = wiki.logged_in and wiki.username == env.user
        keys = [k for k in json.loads(wiki.pages[BUNDLE].text()) if not k.startswith("@")]
        out["bundle keys read"] = len(keys) > 0
        title = f"Capxl10n clients/{tag}/mwclient"
        wiki.pages[title].edit("Saved by mwclient.", summary="mwclient session")
        out["page saved and read back"] = wiki.pages[title].text() == "Saved by mwclient."
        unit = wiki.pages[f"Translations:{BUNDLE}/{_unit_key(keys)}/es"]
        unit.edit(f"mwclient {tag}", summary="mwclient unit")
        out["unit saved"] = wiki.pages[unit.name].text() == f"mwclient {tag}"
        listed = [p.name for p in wiki.allpages(prefix=f"{BUNDLE}/", namespace=1198, api_chunk_size=3)]
        whole = [p["title"] for p in wiki.api("query", list="allpages", apprefix=f"{BUNDLE}/", apnamespace=1198,
                                               aplimit="max")["query"]["allpages"]]
        out["listing complete across continuations"] = listed == whole and len(listed) > 3
        repo = site(env.metabase_api)
        repo.login(env.login, env.password)
        data = {"labels": {"en": {"language": "en", "value": f"mwclient item {tag}"}},
                "descriptions": {"en": {"language": "en", "value": "made by mwclient"}},
                "aliases": {"en": [{"language": "en", "value": "mwclient alias"}]},
                "claims": [{"mainsnak": {"snaktype": "value", "property": env.instance_of,
                                         "datavalue": {"value": {"entity-type": "item",
                                                                 "numeric-id": int(env.capacity_class[1:])},
                                                       "type": "wikibase-entityid"}},
                            "type": "statement", "rank": "normal"}]}
        created = repo.post("wbeditentity", new="item", data=json.dumps(data), summary="mwclient item",
                            token=repo.get_token("csrf"))
        item = created["entity"]["id"]
        out["item created"] = bool(item)
        entity = repo.get("wbgetentities", ids=item)["entities"][item]
        out["aliases"] = [a["value"] for a in entity["aliases"].get("en", [])]
        out["claim"] = entity["claims"][env.instance_of][0]["mainsnak"]["datavalue"]["value"]["id"]
        env.set_maxlag(10)
        # mwclient adds maxlag only to index.php calls: an API client asks for it itself
        wiki.pages[title].edit("Saved by mwclient after a maxlag back-off.", summary="mwclient after maxlag",
                               maxlag=5)
        out["backed off on maxlag"] = bool(backoff.waits)
        out["saved after maxlag"] = wiki.pages[title].text() == "Saved by mwclient after a maxlag back-off."
    finally:
        env.clear_maxlag()
        mw_sleep.time = saved_time  # type: ignore[assignment]
        logging.getLogger("mwclient").removeHandler(handler)
    out["unrecognized-parameter warnings"] = sorted(set(warnings_seen))
    return out


def peer_env(peer: Any) -> ClientEnv:
    """The real peer (tests/plugins/realwiki_fixtures.py) as the sessions see it: one wiki for both sites."""
    return ClientEnv("peer", peer.api, peer.api, peer.bot.login, peer.bot.password, set_maxlag=peer.set_maxlag,
                     clear_maxlag=peer.clear_maxlag)


def sessions() -> Iterator[tuple[str, Callable[[ClientEnv, str], dict[str, Any]]]]:
    yield "pywikibot", pywikibot_session
    yield "wikibaseintegrator", wbi_session
    yield "mwclient", mwclient_session


def without_hosts(outcome: dict[str, Any]) -> dict[str, Any]:
    """The outcome without the hosts pywikibot asked (checked apart: loopback only)."""
    return {k: v for k, v in outcome.items() if k != "hosts"}
