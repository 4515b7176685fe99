"""Two backends behind one interface: the real peer and the sandbox.

A contract test body takes a :class:`Backend`, does the same requests on it
whichever it is, and returns its answers by name; the tier then compares the
*normalised* answers of the sandbox with those of the real peer (see
:func:`normalise`): keys, value types, error codes, HTTP status, the headers
clients read and warnings — never ids, timestamps or tokens.

The sandbox serves Meta-Wiki and Metabase as two sites
(``/metawiki/w/api.php``, ``/metabase/w/api.php``); the peer is ONE wiki with
both extensions at ``/api.php``. :meth:`Backend.api` maps the site names.

Plain ``requests`` on purpose: these tests check the wikis, not our clients.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

SITES = ("metawiki", "metabase")
BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"
USER_AGENT = "capxl10n-contract-tests/0.1 (https://github.com/WikiMovimentoBrasil/capxl10n) requests"
RECORDINGS = Path(__file__).resolve().parents[1] / "recordings" / "realwiki"

#: Keys whose *values* are part of the contract (codes, results, flags, languages…).
KEEP_VALUES = frozenset({
    "code", "result", "status", "name", "tags", "language", "for-language", "missing", "nochange", "new",
    "fuzzy", "contentmodel", "targetLanguage", "primaryGroup", "type", "ns", "state",
    "removed", "success", "batchcomplete", "reason", "lag", "exists", "class",
    "sourcelanguage", "anon", "bot", "minor",
})
#: Of the kept keys, those whose *numbers* are contract too (other counts are data).
KEEP_NUMBERS = frozenset({"ns", "success", "lag"})
#: Object keys that are ids (page ids, entity ids): replaced by a placeholder.
_ID_KEY = re.compile(r"^(-?[0-9]+|[QPL][1-9][0-9]*)$")
#: Keys dropped entirely: host-specific, never read by clients. ``curtimestamp`` and ``requestid`` are kept (as
#: "str"): their presence is the contract (capxl10n asks for curtimestamp on every incremental pull).
DROP_KEYS = frozenset({"servedby", "*docref"})
#: Response headers clients read (compared by value, except X-Database-Lag by presence).
HEADERS = ("MediaWiki-API-Error", "Retry-After", "X-Database-Lag")


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, the headers clients read, and the JSON body (or None)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    request: str = ""

    @property
    def error(self) -> dict[str, Any] | None:
        if isinstance(self.body, dict):
            err = self.body.get("error")
            if isinstance(err, dict):
                return err
            errs = self.body.get("errors")
            if isinstance(errs, list) and errs:
                return errs[0]
        return None

    @property
    def code(self) -> str | None:
        err = self.error
        return None if err is None else err.get("code")

    def __getitem__(self, key: str) -> Any:
        return self.body[key]


class Client:
    """A cookie session on one site of a backend: GET/POST, login, tokens."""

    def __init__(self, api: str, *, session: requests.Session | None = None) -> None:
        self.api = api
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.user: str | None = None
        self._csrf: str | None = None

    def _answer(self, response: requests.Response, request: str) -> Answer:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        headers = {h: response.headers[h] for h in (*HEADERS, "Content-Type", "Cache-Control")
                   if h in response.headers}
        return Answer(response.status_code, headers, body, request)

    def get(self, **params: Any) -> Answer:
        params.setdefault("format", "json")
        response = self.http.get(self.api, params=_clean(params), timeout=60)
        return self._answer(response, f"GET {_describe(params)}")

    def post(self, **params: Any) -> Answer:
        params.setdefault("format", "json")
        response = self.http.post(self.api, data=_clean(params), timeout=60)
        return self._answer(response, f"POST {_describe(params)}")

    def login(self, login: str, password: str) -> Answer:
        token = self.get(action="query", meta="tokens", type="login").body["query"]["tokens"]["logintoken"]
        answer = self.post(action="login", lgname=login, lgpassword=password, lgtoken=token)
        if answer.body.get("login", {}).get("result") == "Success":
            self.user = answer.body["login"]["lgusername"]
            self._csrf = None
        return answer

    def csrf(self, *, refresh: bool = False) -> str:
        if self._csrf is None or refresh:
            self._csrf = self.get(action="query", meta="tokens").body["query"]["tokens"]["csrftoken"]
        return self._csrf

    def write(self, action: str, **params: Any) -> Answer:
        """POST a write with this session's csrf token (``token`` may be overridden)."""
        params.setdefault("token", self.csrf())
        return self.post(action=action, **params)

    # --- small helpers the bodies share ---------------------------------------------
    def page(self, title: str) -> dict[str, Any] | None:
        """Latest revision of a page (fv2), or None when missing."""
        body = self.get(action="query", prop="revisions", titles=title, rvprop="ids|timestamp|user|content",
                        rvslots="main", formatversion=2).body
        page = body["query"]["pages"][0]
        if page.get("missing"):
            return None
        rev = page["revisions"][0]
        return {"revid": rev["revid"], "timestamp": rev["timestamp"], "user": rev["user"],
                "text": rev["slots"]["main"]["content"], "pageid": page["pageid"]}


@dataclass
class Backend:
    """Where a contract body runs: the real peer or the sandbox."""

    name: str
    urls: Mapping[str, str]
    users: Mapping[str, tuple[str, str]]  # "bot"/"bot2" -> (lgname, password)
    set_maxlag: Callable[[int], None]
    clear_maxlag: Callable[[], None]
    facts: dict[str, Any] = field(default_factory=dict)
    _clients: dict[tuple[str, str | None], Client] = field(default_factory=dict, repr=False)

    def api(self, site: str) -> str:
        if site not in SITES:
            raise ValueError(f"unknown site {site!r}; use one of {SITES}")
        return self.urls[site]

    def anon(self, site: str = "metawiki") -> Client:
        return Client(self.api(site))

    def client(self, site: str = "metawiki", who: str = "bot") -> Client:
        """A logged-in session (cached per site and user): ``who`` is ``bot`` or ``bot2``."""
        key = (site, who)
        if key not in self._clients:
            client = Client(self.api(site))
            login, password = self.users[who]
            answer = client.login(login, password)
            if answer.body.get("login", {}).get("result") != "Success":
                raise AssertionError(f"{self.name}: login as {who} failed: {answer.body}")
            self._clients[key] = client
        return self._clients[key]

    def user_name(self, who: str) -> str:
        return self.users[who][0].split("@", 1)[0]


# ---------------------------------------------------------------------------- normalising
def shape(value: Any, key: str | None = None) -> Any:
    """Replace values by their type name, keeping the values of contract keys.

    Lists become the sorted list of their distinct element shapes, so order
    and length (data) do not matter but the kinds of entries do.

    >>> shape({"edit": {"result": "Success", "newrevid": 12, "title": "X"}, "servedby": "mw1"})
    {'edit': {'newrevid': 'int', 'result': 'Success', 'title': 'str'}}
    >>> shape({"a": [1, 2, "x"], "b": "", "c": True})
    {'a': ['int', 'str'], 'b': '', 'c': True}
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in sorted(value.items()):
            if k in DROP_KEYS:
                continue
            name = ("<negative-id>" if k.startswith("-") else "<id>") if _ID_KEY.match(k) else k
            shaped = shape(v, k)
            if name in out and out[name] != shaped:  # several ids: keep every distinct shape
                name = f"{name}#{sum(1 for n in out if n.startswith(name))}"
            out[name] = shaped
        return out
    if isinstance(value, list):
        if key in KEEP_VALUES:
            return value
        shapes = {json.dumps(shape(v), sort_keys=True): shape(v) for v in value}
        return [shapes[k] for k in sorted(shapes)]
    if isinstance(value, bool) or value is None or value == "":
        return value
    if key in KEEP_VALUES and (isinstance(value, str) or key in KEEP_NUMBERS):
        return value
    if isinstance(value, (int, float)):
        return "int" if isinstance(value, int) else "float"
    return "str"


def normalise(answer: Answer) -> dict[str, Any]:
    """What a client can rely on in an answer: status, read headers, body shape."""
    headers: dict[str, Any] = {}
    for name in HEADERS:
        if name in answer.headers:
            headers[name] = "present" if name == "X-Database-Lag" else answer.headers[name]
    content_type = answer.headers.get("Content-Type", "").split(";")[0].strip()
    return {"status": answer.status, "content-type": content_type, "headers": headers,
            "body": shape(answer.body)}


def differences(real: Any, fake: Any, path: str = "") -> list[str]:
    """Readable differences between two normalised values (empty when equal)."""
    out: list[str] = []
    if isinstance(real, dict) and isinstance(fake, dict):
        for k in sorted(set(real) | set(fake)):
            here = f"{path}.{k}" if path else k
            if k not in fake:
                out.append(f"{here}: missing in sandbox (real: {json.dumps(real[k], ensure_ascii=False)[:120]})")
            elif k not in real:
                out.append(f"{here}: extra in sandbox ({json.dumps(fake[k], ensure_ascii=False)[:120]})")
            else:
                out.extend(differences(real[k], fake[k], here))
    elif isinstance(real, list) and isinstance(fake, list) and real != fake:
        only_real = [x for x in real if x not in fake]
        only_fake = [x for x in fake if x not in real]
        if len(only_real) == len(only_fake) == 1:
            out.extend(differences(only_real[0], only_fake[0], f"{path}[]"))
        else:
            out.append(f"{path}: entry shapes only real {json.dumps(only_real, ensure_ascii=False)[:300]}; "
                       f"only sandbox {json.dumps(only_fake, ensure_ascii=False)[:300]}")
    elif real != fake:
        out.append(f"{path}: real {json.dumps(real, ensure_ascii=False)[:160]} "
                   f"!= sandbox {json.dumps(fake, ensure_ascii=False)[:160]}")
    return out


# ---------------------------------------------------------------------------- recording
_SECRET_KEYS = re.compile(r"token|password", re.I)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<redacted>" if _SECRET_KEYS.search(k) and isinstance(v, str) else _scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def record(case: str, answers: Mapping[str, Answer], directory: Path = RECORDINGS) -> list[Path]:
    """Write the peer's answers of one case, shaped like ../shared/reference/*-responses/*.json."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, answer in answers.items():
        path = directory / f"{case}--{name}.json"
        data = {"_case": answer.request, "_http_status": answer.status, "_headers": dict(answer.headers),
                "response": _scrub(answer.body)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


def recorded(case: str, directory: Path = RECORDINGS) -> dict[str, Answer] | None:
    """The recorded peer answers of a case (for comparing when no peer runs), or None."""
    files = sorted(directory.glob(f"{case}--*.json"))
    if not files:
        return None
    out = {}
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        out[path.stem.split("--", 1)[1]] = Answer(data["_http_status"], data["_headers"], data["response"],
                                                 data["_case"])
    return out


# ---------------------------------------------------------------------------- test data
def make_qid(*parts: str) -> str:
    """A deterministic Wikidata-looking QID for a test's own keys (the same on both backends)."""
    digest = int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16)
    return f"Q9{digest % 10**8:08d}"


def _clean(params: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in params.items():
        if v is None or v is False:
            continue
        out[k] = "1" if v is True else str(v)
    return out


def _describe(params: Mapping[str, Any]) -> str:
    shown = []
    for k, v in params.items():
        if k in ("format",) or v is None or v is False:
            continue
        text = "<redacted>" if _SECRET_KEYS.search(k) else str(v)
        shown.append(f"{k}={text[:80]}")
    return " ".join(shown)
