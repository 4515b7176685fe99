"""The history machine's world: the tiny sandbox, the humans who edit it, the test's own reader of
the wikis, and the library entry points wired to the sandbox (in-process, or killed over loopback).

Nothing here decides what is right; :mod:`plugins.history_oracle` does. Reading
goes to the sandbox's store, not through capxl10n and not through its read
cache: Translate's fuzzy flag of a unit whose key left the bundle is visible
nowhere else, and the oracle must not share a bug with the client it checks.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import traceback
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import requests

from capxl10n.errors import CapxError
from capxl10n.core.model import MESSAGE_KEY_RE, Capacity, Field, Snapshot, Term, TermKey, normalize_text
from capxl10n.sandbox.server import PEER_PASSWORD, Sandbox, credentials_env

BUNDLE = "Module:CapacityExchange/capacities.json"
UNIT_PREFIX = f"Translations:{BUNDLE}/"
FUZZY_MARKER = "!!FUZZY!!"
QIDS = ("Q11", "Q12", "Q13")
LANGS = ("de", "fr", "pt-br")
FIELDS: tuple[Field, ...] = ("label", "description")
BOT, FUZZYBOT = "CapxBot", "FuzzyBot"
ADMIN_PASSWORD = "sandbox-admin-password-0123456789abcdef"
#: Term names as the failing histories print them: ``Q11-label/de`` (a translation), ``Q11-label`` (English).
TRANSLATIONS = tuple(f"{q}-{f}/{lang}" for q in QIDS for f in FIELDS for lang in LANGS)
ENGLISH = tuple(f"{q}-{f}" for q in QIDS for f in FIELDS)
#: One spec per sandbox fault (docs/sandbox.md), on for one sync only; ``seed=`` is added per draw.
#: Rates high enough that six attempts sometimes run out (a partial apply), low enough that some succeed.
FAULTS = {"5xx": "5xx=0.5", "429": "429=0.5:retry_after=0", "maxlag": "maxlag=on:lag=9",
          "hang": "hang=0.4:seconds=0.05", "html": "html=0.4", "badtoken": "badtoken=0.3",
          "concurrent": "concurrent=0.5"}
#: The exit codes README.md documents for a run that is not a usage error (4: skipped copies, docs/sync.md).
EXIT_CODES = {0, 1, 3, 4, 5}


def key_of(name: str) -> TermKey:
    """``Q11-label/de`` → the translation; ``Q11-label`` → its English source."""
    message_key, _, lang = name.partition("/")
    return TermKey.from_message_key(message_key, lang or "en")


def name_of(key: TermKey) -> str:
    return key.message_key if key.lang == "en" else f"{key.message_key}/{key.lang}"


def norm(text: str | None) -> str | None:
    """Values compare as capxl10n promises (NFC, trimmed); an empty value is no value."""
    return (normalize_text(text) or None) if text is not None else None


def all_keys() -> tuple[TermKey, ...]:
    return tuple(key_of(n) for n in ENGLISH + TRANSLATIONS)


# -- the tiny sandbox ------------------------------------------------------------------------------

def tiny_snapshot() -> Snapshot:
    """3 capacities × (en + 3 languages); one term missing and one outdated before any drift.

    The seeder then deals the terms out with its drift (only on one side, different
    on both sides) per sandbox seed, so each seed starts a different first contact.
    """
    caps = tuple(Capacity(q, root="technology", code=str(n)) for n, q in enumerate(QIDS, 1))
    terms: dict[TermKey, Term] = {}
    for q in QIDS:
        for f in FIELDS:
            terms[TermKey(q, f, "en")] = Term(f"{q} {f} source", side="sample")
            for lang in LANGS:
                if (q, f, lang) == ("Q13", "description", "pt-br"):
                    continue
                fuzzy = (q, f, lang) == ("Q12", "label", "fr")
                terms[TermKey(q, f, lang)] = Term(f"{q} {f} {lang} seed", fuzzy=fuzzy, side="sample")
    return Snapshot("sample", caps, terms)


_SHARED: list[Sandbox] = []


def shared_sandbox() -> Sandbox:
    """One started sandbox per process, reseeded per history (a reset costs a few ms, a start does not)."""
    if not _SHARED:
        _SHARED.append(Sandbox(seed=1, capacities=len(QIDS), languages=len(LANGS),
                               snapshot=tiny_snapshot()).start())
    return _SHARED[0]


def stop_shared_sandbox() -> None:
    while _SHARED:
        _SHARED.pop().stop()


def fast_tmp() -> str | None:
    """State files on tmpfs when there is one: SQLite fsyncs are most of a tiny sync's cost otherwise."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


# -- the humans ------------------------------------------------------------------------------------

class Refused(Exception):
    """The wiki refused a human's edit (e.g. a unit of a key that is not in the bundle): nothing happened."""


#: API refusals a human meets in these histories; anything else is a bug of the test or the sandbox.
HUMAN_REFUSALS = {"tpt-unknown-page", "missingtitle", "modification-failed", "failed-save",
                  "translate-messagebundle-validation-error"}


class Human:
    """Peer2 (and Admin, for deletions) editing the sandbox through its API, in-process.

    Humans have no base revision: their saves are blind, last writer wins, as in
    a browser. Every new revision id is remembered so the oracle can tell the
    humans it drove from the sandbox's "concurrent editor".
    """

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.sessions: dict[tuple[str, str], tuple[requests.Session, str]] = {}
        self.revids: set[tuple[str, int]] = set()

    def _session(self, site: str, who: str) -> tuple[requests.Session, str]:
        if (site, who) not in self.sessions:
            password = ADMIN_PASSWORD if who == "Admin" else PEER_PASSWORD
            s = self.sb.session()
            url = self.sb.api_url(site)
            token = s.get(url, params={"action": "query", "meta": "tokens", "type": "login",
                                       "format": "json"}).json()["query"]["tokens"]["logintoken"]
            login = s.post(url, data={"action": "login", "lgname": f"{who}@capxl10n", "lgpassword": password,
                                      "lgtoken": token, "format": "json"}).json()
            assert login["login"]["result"] == "Success", login
            csrf = s.get(url, params={"action": "query", "meta": "tokens", "format": "json"}).json()
            self.sessions[(site, who)] = (s, csrf["query"]["tokens"]["csrftoken"])
        return self.sessions[(site, who)]

    def post(self, site: str, who: str = "Peer2", **params: Any) -> dict[str, Any]:
        s, token = self._session(site, who)
        answer: dict[str, Any] = s.post(self.sb.api_url(site), data={
            **params, "token": token, "format": "json", "formatversion": "2"}).json()
        error = answer.get("error")
        if error:
            if error.get("code") in HUMAN_REFUSALS:
                raise Refused(f"{error.get('code')}: {error.get('info')}")
            raise AssertionError(f"the sandbox refused a human edit unexpectedly: {answer}")
        revid = (answer.get("edit") or {}).get("newrevid") or (answer.get("entity") or {}).get("lastrevid")
        if revid:
            self.revids.add((site, int(revid)))
        return answer

    def set_item_term(self, item: str, key: TermKey, text: str | None) -> None:
        kind = "labels" if key.field == "label" else "descriptions"
        value = {"language": key.lang, "remove": ""} if text is None else {"language": key.lang, "value": text}
        self.post("metabase", action="wbeditentity", id=item, data=json.dumps({kind: {key.lang: value}}),
                  summary="human")

    def save_unit(self, key: TermKey, text: str) -> None:
        self.post("metawiki", action="edit", title=f"{UNIT_PREFIX}{key.message_key}/{key.lang}", text=text,
                  summary="human")

    def delete_unit(self, key: TermKey) -> None:
        self.post("metawiki", who="Admin", action="delete", title=f"{UNIT_PREFIX}{key.message_key}/{key.lang}",
                  reason="human")

    def save_bundle(self, messages: Mapping[str, str]) -> None:
        text = json.dumps({"@metadata": {"sourceLanguage": "en"}, **messages}, ensure_ascii=False, indent="\t")
        self.post("metawiki", action="edit", title=BUNDLE, text=text, summary="human")


def grant_admin_bot_password(sb: Sandbox) -> None:
    """The seeded sysop gets a bot password so a human can delete a unit through the API.

    The real Meta-Wiki lets administrators delete translation pages; the sandbox
    seeds ``Admin`` with the ``delete`` right but no way to log in as it.
    """
    admin = sb.site("metawiki").wiki.user("Admin")
    assert admin is not None and "delete" in admin.rights, "the sandbox no longer seeds a sysop on Meta-Wiki"
    admin.bot_passwords["capxl10n"] = ADMIN_PASSWORD


# -- reading the wikis (the oracle's own reader: the sandbox's store, not capxl10n) ------------------

@dataclass(frozen=True)
class Unit:
    text: str
    fuzzy: bool


@dataclass(frozen=True)
class Observed:
    """Both wikis as a human sees them now, values normalised."""

    metabase: Mapping[TermKey, str]
    units: Mapping[TermKey, Unit]
    bundle: Mapping[str, str]

    def mb(self, key: TermKey) -> str | None:
        return self.metabase.get(key)

    def current(self, key: TermKey) -> str | None:
        """Meta-Wiki's current value: the bundle source for English, else a unit that is not outdated."""
        if key.lang == "en":
            return self.bundle.get(key.message_key)
        unit = self.units.get(key)
        return unit.text if unit is not None and not unit.fuzzy else None

    def outdated(self, key: TermKey) -> str | None:
        unit = self.units.get(key) if key.lang != "en" else None
        return unit.text if unit is not None and unit.fuzzy else None

    def parked(self, key: TermKey) -> bool:
        """A translation whose message is not in the bundle: Translate refuses to save its unit."""
        return key.lang != "en" and key.message_key not in self.bundle

    def show(self, key: TermKey) -> str:
        unit = self.units.get(key)
        mw = (f"bundle={self.bundle.get(key.message_key)!r}" if key.lang == "en" else
              "unit=None" if unit is None else f"unit={unit.text!r}{' (outdated)' if unit.fuzzy else ''}")
        return f"{name_of(key)}: metabase={self.mb(key)!r} {mw}"


def observe(sb: Sandbox, items: Mapping[str, str]) -> Observed:
    """Read Metabase's items, every unit page of the bundle (orphans too) and the bundle, from the store."""
    from capxl10n.sandbox.wikibase import entity as wbentity

    repo = sb.extras["metabase_repo"]
    metabase: dict[TermKey, str] = {}
    for qid, item in items.items():
        found = repo.get(item)
        if found is None:
            continue
        for (kind, lang), text in wbentity.terms_of(found[0]).items():
            value = norm(text)
            if lang in ("en", *LANGS) and value:
                metabase[TermKey(qid, "label" if kind == "labels" else "description", lang)] = value
    wiki = sb.site("metawiki").wiki
    units: dict[TermKey, Unit] = {}
    for title, page in list(wiki.pages.items()):
        if not title.startswith(UNIT_PREFIX):
            continue
        message_key, _, lang = title[len(UNIT_PREFIX):].rpartition("/")
        match = MESSAGE_KEY_RE.match(message_key)
        if lang in LANGS and match and match.group(1) in QIDS:
            text = page.text
            units[TermKey.from_message_key(message_key, lang)] = Unit(
                norm(text.replace(FUZZY_MARKER, "")) or "", bool(page.props.get("fuzzy")) or FUZZY_MARKER in text)
    source = wiki.pages.get(BUNDLE)
    bundle: dict[str, str] = {}
    if source is not None:
        raw = json.loads(source.text)
        bundle = {k: norm(v) or "" for k, v in raw.items() if k != "@metadata"}
    return Observed(metabase, units, bundle)


def bot_activity(sb: Sandbox) -> int:
    """Every write the bot made (edits, creations, deletions), from recentchanges."""
    return sum(1 for name in ("metabase", "metawiki") for rc in sb.site(name).wiki.recentchanges if rc.user == BOT)


def repeated_bot_writes(sb: Sandbox) -> list[str]:
    """I6: two consecutive bot revisions of one page with identical content."""
    out: list[str] = []
    for name in ("metabase", "metawiki"):
        for page in sb.site(name).wiki.pages.values():
            revs = page.revisions
            out.extend(f"{name} {page.title} r{b.revid} repeats r{a.revid}" for a, b in zip(revs, revs[1:])
                       if a.user == b.user == BOT and a.content == b.content)
    return out


def revision_terms(sb: Sandbox, site: str, revid: int, items: Mapping[str, str], *,
                   outdated: bool = False) -> dict[TermKey, str | None]:
    """The terms one revision set (text, or None when removed); outdated saves of units are left out unless
    ``outdated`` (then their text comes with the marker)."""
    from capxl10n.sandbox.wikibase import entity as wbentity

    wiki = sb.site(site).wiki
    rev = wiki.revisions.get(revid)
    page = wiki.pages_by_id.get(rev.pageid) if rev is not None else None
    if rev is None or page is None:
        return {}
    if site == "metawiki":
        message_key, _, lang = page.title[len(UNIT_PREFIX):].rpartition("/")
        if not page.title.startswith(UNIT_PREFIX) or lang not in LANGS or not MESSAGE_KEY_RE.match(message_key):
            return {}
        if FUZZY_MARKER in rev.content and not outdated:
            return {}
        return {TermKey.from_message_key(message_key, lang): norm(rev.content)}
    qid = {item: q for q, item in items.items()}.get(page.title.rpartition(":")[2])
    index = next((i for i, r in enumerate(page.revisions) if r.revid == revid), 0)
    if qid is None or index == 0:
        return {}
    before = wbentity.terms_of(wbentity.from_storage_json(page.revisions[index - 1].content))
    after = wbentity.terms_of(wbentity.from_storage_json(rev.content))
    return {TermKey(qid, "label" if kind == "labels" else "description", lang): norm(after.get((kind, lang)))
            for (kind, lang) in set(before) | set(after)
            if lang in ("en", *LANGS) and before.get((kind, lang)) != after.get((kind, lang))}


def stale_copies(sb: Sandbox, saves: Iterable[tuple[str, int]], items: Mapping[str, str],
                 ours_from: int = 0, humans: Collection[tuple[str, int]] = (),
                 apply_began: Mapping[str, int] | None = None) -> list[str]:
    """I10: in the order the wikis saved them since the plan was read, a bot write of this run (from the
    ``ours_from``-th save on) of a term after a human changed it on the other side to something else.

    A racing edit (the sandbox's concurrent editor: not one of ``humans``, the test's own saves) saved
    once the apply began (``apply_began``: the newest revisions then; else after this run's first write)
    is past the source check an apply makes before writing; two wikis offer no transaction to close
    that window, and the next sync copies the newer value.
    """
    human: dict[TermKey, tuple[str, str | None]] = {}
    out: list[str] = []
    writing = False
    for n, (site, revid) in enumerate(saves):
        rev = sb.site(site).wiki.revisions.get(revid)
        if rev is None or rev.user == FUZZYBOT:
            continue
        if rev.user == BOT and n >= ours_from:
            writing = True
        elif (site, revid) not in humans and (writing or (apply_began is not None
                                                          and revid > apply_began.get(site, revid))):
            continue
        for key, text in revision_terms(sb, site, revid, items).items():
            if rev.user != BOT:
                human[key] = (site, text)
            elif n >= ours_from and key in human and human[key][0] != site and human[key][1] != text:
                out.append(f"{name_of(key)}: the bot wrote {text!r} on {site} after a human had set "
                           f"{human[key][1]!r} on {human[key][0]} since the plan was made")
    return out


def max_revids(sb: Sandbox) -> dict[str, int]:
    return {name: max(sb.site(name).wiki.revisions, default=0) for name in ("metabase", "metawiki")}


# -- running syncs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One sync's outcome: an exit code (None when killed), the plan's size, the error message."""

    code: int | None
    operations: int = 0
    message: str = ""

    def show(self) -> str:
        if self.code is None:
            return "killed"
        return f"exit {self.code}, {self.operations} operation(s)" + (f" — {self.message}" if self.message else "")


def _no_sleep(_seconds: float) -> None:
    return None


@dataclass(frozen=True)
class Wiring:
    """How the library entry points reach the sandbox: clients on ``session`` (None: real HTTP), no sleeps.

    ``on_apply`` runs when apply asks for its writers, after the plan is made:
    a fault switched on there hits the writes only (maxlag on every request
    would only ever stop the read).
    """

    session: Callable[[], requests.Session] | None
    incremental: bool = True
    on_apply: Callable[[], None] | None = None
    #: Read as `capxl10n sync` does (the product's own clients over loopback HTTP), so that a sync after one
    #: that ended quiet takes the quiet check's shortcut (engine/sync.py) instead of this reader.
    quiet: bool = False

    def reader(self, p: Any, state: Any) -> Any:
        from capxl10n.engine.pull import pull
        from capxl10n.engine.sync import Reading, sync_profile

        factory = None if self.session is None else (lambda _p, _s: self.session())  # type: ignore[misc]
        return Reading.from_pull(pull(sync_profile(p), incremental=self.incremental, cache=state,
                                      session_factory=factory, sleep=_no_sleep))

    def writers(self, p: Any) -> Any:
        from capxl10n.engine.apply import Writers
        from capxl10n.engine.clients import Clients
        from capxl10n.engine.sync import sync_profile

        if self.on_apply is not None:
            self.on_apply()
        factory = None if self.session is None else (lambda _p, _s: self.session())  # type: ignore[misc]
        clients = Clients(sync_profile(p), session_factory=factory, sleep=_no_sleep)
        return Writers(clients.metabase, clients.metawiki, lambda: sum(clients.requests().values()))


def documented(call: Callable[[], Any]) -> tuple[Any, Run | None]:
    """Run a library call with the bot credentials in the environment (only meanwhile).

    A :class:`CapxError` is a documented outcome (its exit code, as the CLI
    maps it); any other exception escapes: I7 says that is a failure (a traceback).
    """
    saved = {name: os.environ.get(name) for name in credentials_env()}
    os.environ.update(credentials_env())
    try:
        return call(), None
    except CapxError as exc:
        return None, Run(exc.exit_code, message=str(exc).splitlines()[0])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_sync(profile: Any, wiring: Wiring) -> Run:
    """:func:`capxl10n.engine.sync.sync` through ``wiring``."""
    from capxl10n.engine.sync import sync

    reader = None if wiring.quiet and wiring.incremental else wiring.reader
    outcome, failed = documented(lambda: sync(profile, incremental=wiring.incremental, reader=reader,
                                              writers=wiring.writers))
    return failed or Run(outcome.exit_code, len(outcome.planned.plan.operations))


def run_plan(profile: Any, wiring: Wiring) -> tuple[Any, Run]:
    """:func:`capxl10n.engine.sync.plan` (as `capxl10n plan -o`): the plan to apply later, and the outcome."""
    from capxl10n.engine.sync import plan

    outcome, failed = documented(lambda: plan(profile, incremental=wiring.incremental, reader=wiring.reader))
    if failed:
        return None, failed
    return outcome.plan, Run(outcome.exit_code, len(outcome.plan.operations))


def run_apply(profile: Any, the_plan: Any, wiring: Wiring) -> Run:
    """:func:`capxl10n.engine.sync.apply` of a plan made earlier (as `capxl10n apply plan.json`)."""
    from capxl10n.engine.sync import apply

    outcome, failed = documented(lambda: apply(profile, the_plan, writers=wiring.writers))
    return failed or Run(outcome.exit_code, len(the_plan.operations))


WRITE_ACTIONS = {"edit", "wbeditentity", "delete"}
#: The child's exit status when something other than a CapxError escaped (the traceback comes through a pipe).
CHILD_CRASHED = 70


def _is_write(request: requests.PreparedRequest) -> bool:
    if request.method != "POST" or not request.body:
        return False
    body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else str(request.body)
    return bool(WRITE_ACTIONS & set(parse_qs(body).get("action", [])))


def _arm_kill_switch(nth: int, when: str) -> None:
    """In the child only: SIGKILL ourselves right before, or right after the answer to, the N-th write."""
    from requests.adapters import HTTPAdapter

    original = HTTPAdapter.send
    seen = [0]

    def send(self: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if not _is_write(request):
            return original(self, request, *args, **kwargs)
        seen[0] += 1
        if seen[0] == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        response = original(self, request, *args, **kwargs)
        if seen[0] == nth:
            _ = response.content  # the wiki has answered: the write happened
            os.kill(os.getpid(), signal.SIGKILL)
        return response

    HTTPAdapter.send = send  # type: ignore[method-assign]


def run_killed_sync(profile: Any, nth: int, when: str) -> Run:
    """Fork; the child syncs over loopback HTTP and SIGKILLs itself around its ``nth`` write request.

    The parent's sandbox threads keep serving while it waits. The child never
    returns into pytest: it leaves through ``os._exit`` or the signal.
    """
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = CHILD_CRASHED
        try:
            os.close(rfd)
            logging.disable(logging.CRITICAL)
            _arm_kill_switch(nth, when)
            result = run_sync(profile, Wiring(None, quiet=True))
            code = result.code if result.code is not None else CHILD_CRASHED
        except BaseException:  # noqa: BLE001 - reported to the parent through the pipe
            os.write(wfd, traceback.format_exc().encode("utf-8", "replace"))
        finally:
            os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as pipe:
        report = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL, status
        return Run(None)
    code = os.WEXITSTATUS(status)
    return Run(code, message=report if code == CHILD_CRASHED else "")
