"""The baseline of the benchmarks: the current CapX sync's request pattern, on the sandbox.

Not product code, and not a copy of CapX's code: a client that makes the requests the
current sync makes (``/work/shared/context.md`` §3, ``reference/apis.md`` §8), so that
``bench/run`` can put capxl10n's figures beside it in the same run:

- **read**: two SPARQL queries on Metabase (the capacities with their Wikidata QID through
  ``wdt:P67/wdt:P1``; every label and description with ``LANG()``), one
  ``list=messagecollection`` on Meta-Wiki without limit or continuation (so past 500
  messages the tail is never seen, as today), then one ``meta=messagetranslations`` per
  message it listed;
- **compare** by presence: a term one side lacks is copied to it; where both sides hold
  different texts the newest wins, dated with one ``prop=revisions`` of the unit and the
  item's history walked back 50 revisions a page (up to 400);
- **write** one term per edit: ``wbsetlabel``/``wbsetdescription`` on Metabase, ``action=edit``
  of the unit on Meta-Wiki (no base revision), each followed by the fixed 10-second sleep,
  which is **accounted, not slept** (:attr:`Baseline.paused`).

Where it is kinder than the original (so its figures are a lower bound): ``/en`` and
``/qqq`` subpages are not copied as translations (the original does, and the wiki
refuses them), and a failed write is not retried either way.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from capxl10n.profile import Profile

USER_AGENT = "CapacityExchange/bench (SyncTranslations)"
WRITE_PAUSE_SECONDS = 10.0
HISTORY_PAGE, HISTORY_PAGES = 50, 8

CAPACITIES_QUERY = """SELECT ?item ?qid WHERE {
  ?item wdt:P5 wd:Q34531 .
  OPTIONAL { ?item wdt:P67 ?index . ?index wdt:P1 ?qid . }
}"""
TERMS_QUERY = """SELECT ?item ?field ?text (LANG(?text) AS ?lang) WHERE {
  ?item wdt:P5 wd:Q34531 .
  { ?item rdfs:label ?text . BIND("label" AS ?field) }
  UNION
  { ?item schema:description ?text . BIND("description" AS ?field) }
}"""

Key = tuple[str, str, str]  # (qid, field, lang)


@dataclass
class Outcome:
    """What one run of the baseline did: requests per wiki, writes, and the pauses it would have slept."""

    requests: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    refused: int = 0
    conflicts: int = 0
    paused: float = 0.0
    listed_messages: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"requests": sum(self.requests.values()), "requests_by_site": dict(self.requests),
                "writes": self.writes, "refused": self.refused, "conflicts": self.conflicts,
                "paused_s": self.paused, "listed_messages": self.listed_messages}


class Baseline:
    """One run of the current CapX sync's request pattern against ``profile``'s wikis (read only: ``write=False``)."""

    def __init__(self, profile: Profile, *, user: str, password: str, session: requests.Session | None = None) -> None:
        self.profile = profile
        self.user, self.password = user, password
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.outcome = Outcome()
        self.tokens: dict[str, str] = {}
        self.entity_prefix = profile.metabase.entity_prefix
        self.group = f"messagebundle-{profile.metawiki.bundle_page}"
        self.listed: set[tuple[str, str]] = set()

    # -- transport ---------------------------------------------------------------------------
    def _api(self, site: str, method: str = "GET", **params: Any) -> dict[str, Any]:
        url = self.profile.metabase.api if site == "metabase" else self.profile.metawiki.api
        self.outcome.requests[site] += 1
        params = {"format": "json", **params}
        answer = self.session.post(url, data=params) if method == "POST" else self.session.get(url, params=params)
        answer.raise_for_status()
        return dict(answer.json())

    def _sparql(self, query: str) -> list[dict[str, Any]]:
        self.outcome.requests["metabase"] += 1
        answer = self.session.get(self.profile.metabase.sparql, params={"query": query, "format": "json"},
                                  headers={"Accept": "application/sparql-results+json"})
        answer.raise_for_status()
        return list(answer.json()["results"]["bindings"])

    # -- read ----------------------------------------------------------------------------------
    def read(self) -> tuple[dict[str, str], dict[Key, str], dict[Key, str]]:
        """(QID → Metabase item, Metabase terms, Meta-Wiki translations of the listed messages)."""
        items: dict[str, str] = {}
        for row in self._sparql(CAPACITIES_QUERY):
            if "qid" in row:
                items[row["qid"]["value"]] = row["item"]["value"].rsplit("/", 1)[-1]
        by_item = {item: qid for qid, item in items.items()}
        metabase: dict[Key, str] = {}
        for row in self._sparql(TERMS_QUERY):
            qid = by_item.get(row["item"]["value"].rsplit("/", 1)[-1])
            if qid is not None:
                metabase[(qid, row["field"]["value"], row["lang"]["value"])] = row["text"]["value"]
        listed = self._api("metawiki", action="query", list="messagecollection", mcgroup=self.group, mcprop="",
                           formatversion="2")
        keys = [str(m["key"]).rsplit("/", 1)[-1] for m in listed.get("query", {}).get("messagecollection", [])]
        self.outcome.listed_messages = len(keys)
        self.listed = {(key.partition("-")[0], key.partition("-")[2]) for key in keys}
        metawiki: dict[Key, str] = {}
        for key in keys:
            qid, _, fld = key.partition("-")
            answer = self._api("metawiki", action="query", meta="messagetranslations",
                               mttitle=f"Translations:{self.profile.metawiki.bundle_page}/{key}", formatversion="2")
            for unit in answer.get("query", {}).get("messagetranslations", []):
                lang = str(unit.get("language"))
                if lang in ("en", "qqq") or unit.get("translation") is None:
                    continue
                metawiki[(qid, fld, lang)] = str(unit["translation"])  # outdated or not: the flag is ignored
        return items, metabase, metawiki

    # -- dating a difference ---------------------------------------------------------------------
    def _unit_time(self, key: Key) -> str:
        title = self._unit_title(key)
        answer = self._api("metawiki", action="query", prop="revisions", titles=title, rvprop="timestamp",
                           formatversion="2")
        pages = answer.get("query", {}).get("pages", [])
        revisions = pages[0].get("revisions", []) if pages else []
        return str(revisions[0]["timestamp"]) if revisions else ""

    def _term_time(self, item: str, key: Key, text: str) -> str:
        """When the Metabase term got its current text: the item's history, newest first, 50 a page."""
        kind = "labels" if key[1] == "label" else "descriptions"
        since, params = "", {"action": "query", "prop": "revisions", "titles": f"Item:{item}", "rvslots": "main",
                             "rvprop": "ids|timestamp|content", "rvlimit": str(HISTORY_PAGE), "formatversion": "2"}
        for _ in range(HISTORY_PAGES):
            answer = self._api("metabase", **params)
            pages = answer.get("query", {}).get("pages", [])
            for rev in (pages[0].get("revisions", []) if pages else []):
                content = rev.get("slots", {}).get("main", {}).get("content") or rev.get("content") or "{}"
                value = (json.loads(content).get(kind) or {}).get(key[2], {})
                if (value.get("value") if isinstance(value, dict) else None) != text:
                    return since
                since = str(rev.get("timestamp", ""))
            more = answer.get("continue", {}).get("rvcontinue")
            if not more:
                break
            params["rvcontinue"] = more
        return since

    # -- write -----------------------------------------------------------------------------------
    def _token(self, site: str) -> str:
        if site not in self.tokens:
            login = self._api(site, action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
            self._api(site, "POST", action="login", lgname=self.user, lgpassword=self.password, lgtoken=login)
            self.tokens[site] = self._api(site, action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
        return self.tokens[site]

    def _write(self, site: str, **params: Any) -> None:
        answer = self._api(site, "POST", token=self._token(site), maxlag="5", **{"assert": "user"}, **params)
        if "error" in answer:  # logged and dropped, as today
            self.outcome.refused += 1
        else:
            self.outcome.writes += 1
        self.outcome.paused += WRITE_PAUSE_SECONDS  # time.sleep(10) after every write: accounted

    def _unit_title(self, key: Key) -> str:
        return f"Translations:{self.profile.metawiki.bundle_page}/{key[0]}-{key[1]}/{key[2]}"

    def _to_metabase(self, item: str, key: Key, text: str) -> None:
        action = "wbsetlabel" if key[1] == "label" else "wbsetdescription"
        self._write("metabase", action=action, id=item, language=key[2], value=text)

    def _to_metawiki(self, key: Key, text: str) -> None:
        self._write("metawiki", action="edit", title=self._unit_title(key), text=text,
                    summary="Sync from Metabase")

    def run(self, *, write: bool = True) -> Outcome:
        items, metabase, metawiki = self.read()
        if not write:
            return self.outcome
        for key in sorted(set(metabase) | set(metawiki)):
            if key[2] in ("en", "qqq") or key[0] not in items or (key[0], key[1]) not in self.listed:
                continue
            mb, mw = metabase.get(key), metawiki.get(key)
            if mb == mw:
                continue
            if mb is None and mw is not None:
                self._to_metabase(items[key[0]], key, mw)
            elif mw is None and mb is not None:
                self._to_metawiki(key, mb)
            elif mb is not None and mw is not None:
                self.outcome.conflicts += 1
                if self._unit_time(key) >= self._term_time(items[key[0]], key, mb):
                    self._to_metabase(items[key[0]], key, mw)
                else:
                    self._to_metawiki(key, mb)
        return self.outcome


def run_baseline(profile: Profile, user: str, password: str, *, write: bool = True) -> tuple[Outcome, float, float]:
    """One run: its outcome, wall seconds (the accounted pauses not included) and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = Baseline(profile, user=user, password=password).run(write=write)
    return outcome, time.perf_counter() - wall, time.process_time() - cpu
