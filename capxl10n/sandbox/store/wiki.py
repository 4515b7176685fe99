"""The MediaWiki-core store every sandbox site has: users, sessions, pages, revisions, recent changes.

Why one store per site and in memory: the real wikis keep their own users and
sessions, and a test wants a fresh, fast wiki. Wikibase items live here too
(``Item:Q123`` in namespace 120, content model ``wikibase-item``, content =
the entity JSON) so ``prop=revisions`` and ``list=recentchanges`` work for
them like for any page.

Edit semantics follow MediaWiki 1.39's EditPage (checked on the real peer;
docs/sandbox-differences.md, D4 and the facts after the table): identical text is ``nochange`` (no revision); the edit conflicts
when ``base_timestamp`` is not the page's timestamp or ``base_revid`` is not
its latest revision; a conflict is suppressed only when ``base_timestamp`` is
given and every revision after it is by the same (registered) user — with
``base_revid`` alone own edits conflict too; otherwise the three-way text merge
of :mod:`capxl10n.sandbox.store.merge3` is tried (base revision, new text, current
text) and saved when clean, else ``editconflict``. Without a base the save is a
blind overwrite.

Every write takes the store's one lock; readers that walk several structures
take it too (``with wiki.lock:``). Timestamps come from an injectable clock and
strictly increase per store, so ``basetimestamp`` and ``rccontinue`` are exact.
"""
from __future__ import annotations

import bisect
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from capxl10n.sandbox.store.merge3 import merge3

#: Namespace id -> canonical name, per site family.
BASE_NAMESPACES: dict[int, str] = {
    -2: "Media", -1: "Special", 0: "", 1: "Talk", 2: "User", 3: "User talk", 4: "Project",
    5: "Project talk", 6: "File", 7: "File talk", 8: "MediaWiki", 9: "MediaWiki talk",
    10: "Template", 11: "Template talk", 12: "Help", 13: "Help talk", 14: "Category",
    15: "Category talk",
}
METAWIKI_NAMESPACES = {**BASE_NAMESPACES, 828: "Module", 829: "Module talk", 1198: "Translations",
                       1199: "Translations talk"}
METABASE_NAMESPACES = {**BASE_NAMESPACES, 120: "Item", 121: "Item talk", 122: "Property",
                       123: "Property talk"}
WIKIDATA_NAMESPACES = {**BASE_NAMESPACES, 120: "Property", 121: "Property talk"}

ILLEGAL_TITLE_CHARS = set("#<>[]|{}\x7f") | {chr(c) for c in range(32)}
MAX_TITLE_BYTES = 255

BOT_RIGHTS = frozenset({"read", "edit", "createpage", "createtalk", "writeapi", "bot", "apihighlimits",
                        "noratelimit", "translate", "autoconfirmed", "skipcaptcha", "item-term",
                        "property-term", "editsemiprotected"})
USER_RIGHTS = frozenset({"read", "edit", "createpage", "createtalk", "writeapi", "translate",
                         "autoconfirmed", "item-term", "property-term", "editsemiprotected"})


class WikiError(Exception):
    """A store-level refusal; the API modules turn it into the right ApiError."""

    code = "wikierror"


class EditConflict(WikiError):
    code = "editconflict"


class PageExists(WikiError):
    code = "articleexists"


class PageMissing(WikiError):
    code = "missingtitle"


class NoSuchRevision(WikiError):
    code = "nosuchrevid"


class InvalidTitle(ValueError):
    """Bad title (illegal characters, empty, too long)."""


@dataclass
class User:
    id: int
    name: str
    groups: tuple[str, ...] = ("*", "user")
    rights: frozenset[str] = USER_RIGHTS
    #: bot name -> password (``Owner@BotName`` logins)
    bot_passwords: dict[str, str] = field(default_factory=dict)
    system: bool = False


@dataclass
class Session:
    id: str
    user: User | None = None
    login_token: str = ""
    csrf_token: str = ""
    created: float = 0.0


@dataclass
class Revision:
    revid: int
    parentid: int
    pageid: int
    user: str
    userid: int
    timestamp: str
    comment: str
    content: str
    content_model: str
    sha1: str
    tags: list[str] = field(default_factory=list)
    minor: bool = False
    bot: bool = False

    @property
    def size(self) -> int:
        return len(self.content.encode("utf-8"))


@dataclass
class Page:
    pageid: int
    ns: int
    title: str
    content_model: str
    revisions: list[Revision] = field(default_factory=list)
    #: free-form per-extension data (Translate's fuzzy flag lives in revision tags instead)
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    @property
    def text(self) -> str:
        return self.revisions[-1].content

    @property
    def touched(self) -> str:
        return self.revisions[-1].timestamp


@dataclass
class RecentChange:
    rcid: int
    type: str            # new | edit | log
    ns: int
    title: str
    pageid: int
    revid: int
    old_revid: int
    user: str
    userid: int
    timestamp: str
    comment: str
    bot: bool = False
    minor: bool = False
    oldlen: int = 0
    newlen: int = 0
    tags: list[str] = field(default_factory=list)
    logtype: str | None = None
    logaction: str | None = None
    logid: int = 0
    logparams: dict[str, Any] = field(default_factory=dict)


@dataclass
class LogEntry:
    """One row of the logging table (``list=logevents``): page creations, content models, deletions."""

    logid: int
    type: str
    action: str
    ns: int
    title: str
    pageid: int
    user: str
    userid: int
    timestamp: str
    comment: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveResult:
    """What a save did: ``nochange`` (no revision), ``new`` page, or a new revision."""

    page: Page
    revision: Revision | None
    old_revid: int
    new: bool = False
    nochange: bool = False


def sha1_base36(text: str) -> str:
    """MediaWiki's rev_sha1 is base 36; the API shows hex, which is what we keep."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


_IP = re.compile(r"[0-9.]+|[0-9a-fA-F:]+")  # anonymous editors (user id 0 in MediaWiki)
_TEMPLATE = re.compile(r"\{\{\s*([^{}|#<>\[\]\n]+?)\s*(?:\|[^{}]*)?\}\}")
#: Magic words and parser functions that look like templates but are not (``{{PAGENAME}}``, ``{{DEFAULTSORT:x}}``)
_MAGIC = re.compile(r"^(?:[A-Z0-9_]+(?::.*)?|subst:.*|safesubst:.*|msgnw:.*|int:.*|#.*)$")
_REDIRECT = re.compile(r"^\s*#REDIRECT\s*:?\s*\[\[([^\[\]|#]+)", re.IGNORECASE)
_WIKILINK = re.compile(r"\[\[([^\[\]|#]+)(?:#[^\]|]*)?(?:\|[^\]]*)?\]\]")


def wikitext_links(text: str) -> list[str]:
    """Titles of ``[[Target|label]]`` links in wikitext."""
    return [m.group(1).strip() for m in _WIKILINK.finditer(text) if not m.group(1).startswith(":")]


@dataclass(frozen=True)
class WikitextParts:
    """What the parser records for a wikitext page: page links, transcluded templates, categories."""

    links: tuple[str, ...]
    templates: tuple[str, ...]
    categories: tuple[str, ...]


def wikitext_parts(text: str) -> WikitextParts:
    """``[[X]]`` (a page link; ``[[:Category:X]]`` too), ``[[Category:X]]`` (a category), ``{{X}}`` (the
    template ``Template:X``; ``{{:X}}`` the page X), as raw titles; magic words and parser functions skipped.

    >>> wikitext_parts("a [[Link one]] [[Category:Cat one]] {{Tmpl one|x}} {{PAGENAME}} [[:Category:C]]")
    WikitextParts(links=('Link one', 'Category:C'), templates=('Template:Tmpl one',), categories=('Category:Cat one',))
    """
    links: list[str] = []
    categories: list[str] = []
    for match in _WIKILINK.finditer(text):
        target = match.group(1).strip()
        if target.startswith(":"):
            links.append(target[1:].strip())
        elif target.lower().replace("_", " ").startswith("category:"):
            categories.append("Category:" + target.split(":", 1)[1].strip())
        else:
            links.append(target)
    templates = []
    for match in _TEMPLATE.finditer(text):
        name = match.group(1).strip()
        if _MAGIC.match(name):
            continue
        templates.append(name[1:] if name.startswith(":") else
                         (name if ":" in name and name.split(":", 1)[0].strip().lower() in ("template", "module")
                          else f"Template:{name}"))
    return WikitextParts(tuple(dict.fromkeys(links)), tuple(dict.fromkeys(templates)),
                         tuple(dict.fromkeys(categories)))


#: CommentStore::COMMENT_CHARACTER_LIMIT: longer summaries are cut to 497 characters and "...".
COMMENT_LIMIT = 500


def truncate_comment(text: str) -> str:
    """An edit summary or log reason as MediaWiki stores it (500 characters at most).

    >>> len(truncate_comment("é" * 600)), truncate_comment("é" * 600)[-4:]
    (500, 'é...')
    """
    return text if len(text) <= COMMENT_LIMIT else text[:COMMENT_LIMIT - 3] + "..."


def format_ts(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


def parse_ts(text: str) -> float:
    """ISO 8601 (``2025-11-20T12:34:56Z``) or MediaWiki ``20251120123456`` to epoch seconds."""
    import calendar

    text = text.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d"):
        try:
            return float(calendar.timegm(time.strptime(text, fmt)))
        except ValueError:
            continue
    raise ValueError(f"bad timestamp {text!r}")


class _TitleIndex:
    """One namespace's pages in title order, for prefix listings in O(log n + k): a sorted list of
    ``(unprefixed name, title)`` and the titles created since it was last sorted (at most
    :data:`_TitleIndex.PENDING`, scanned on each listing, then merged in). A deleted page's entry stays
    until the next merge: a listing skips titles the store no longer holds, and one created again is
    listed again."""

    PENDING = 2048

    def __init__(self) -> None:
        self.sorted: list[tuple[str, str]] = []
        self.pending: list[tuple[str, str]] = []
        self.titles: set[str] = set()
        self.gone = 0

    def add(self, name: str, title: str) -> None:
        if title not in self.titles:
            self.titles.add(title)
            self.pending.append((name, title))

    def listing(self, prefix: str, pages: Mapping[str, Any]) -> list[str]:
        """The titles held in ``pages`` whose name starts with ``prefix``, in name order."""
        if len(self.pending) > self.PENDING or self.gone > max(self.PENDING, len(self.sorted) // 4):
            self.merge(pages)
        found: list[tuple[str, str]] = []
        entries = self.sorted
        at = bisect.bisect_left(entries, (prefix,))
        while at < len(entries) and entries[at][0].startswith(prefix):
            found.append(entries[at])
            at += 1
        if self.pending:
            found.extend(e for e in self.pending if e[0].startswith(prefix))
            found.sort()
        return [title for _name, title in found if title in pages]

    def merge(self, pages: Mapping[str, Any]) -> None:
        """Sort what was created since into the list, and drop the entries of deleted pages."""
        merged = [e for e in self.sorted if e[1] in pages]
        merged.extend(e for e in self.pending if e[1] in pages)
        merged.sort()  # two sorted runs, when nothing was deleted: linear
        self.sorted, self.pending, self.gone = merged, [], 0
        self.titles = {title for _name, title in merged}


class Wiki:
    """One wiki's MediaWiki-core state, thread safe under :attr:`lock`."""

    def __init__(self, name: str, namespaces: Mapping[int, str] | None = None, *,
                 clock: Callable[[], float] = time.time, content_namespaces: Mapping[int, str] | None = None,
                 token_source: Callable[[], str] | None = None) -> None:
        self.name = name
        self.namespaces = dict(namespaces or BASE_NAMESPACES)
        self._ns_lookup = {v.lower().replace("_", " "): k for k, v in self.namespaces.items() if v}
        self._ns_lookup.update({"project": 4, "image": 6})
        #: namespace id -> default content model
        self.content_models: dict[int, str] = dict(content_namespaces or {})
        self.clock = clock
        self.lock = threading.RLock()
        self._token = token_source or (lambda: secrets.token_hex(20))
        self.users: dict[str, User] = {}
        self.sessions: dict[str, Session] = {}
        self.pages: dict[str, Page] = {}
        self.pages_by_id: dict[int, Page] = {}
        #: namespace -> its pages in title order (:meth:`pages_in`), kept as pages are created and deleted
        self._titles_in: dict[int, _TitleIndex] = {}
        self.revisions: dict[int, Revision] = {}
        self.recentchanges: list[RecentChange] = []
        self.log: list[LogEntry] = []
        #: title -> when it was last deleted (``starttimestamp`` guards against recreating it unawares)
        self.deleted: dict[str, str] = {}
        self._next_logid = 1
        self._next_pageid = 1
        self._next_revid = 1
        self._next_rcid = 1
        self._next_userid = 1
        self._last_ts = 0.0
        #: hooks run after each save inside the lock: ``hook(wiki, result, user)``
        self.save_hooks: list[Callable[[Wiki, SaveResult, User], None]] = []
        #: content model -> function giving the titles a page's text links to (for list=backlinks);
        #: Wikibase registers one for ``wikibase-item`` (claims pointing at items)
        self.link_extractors: dict[str, Callable[[str], Iterable[str]]] = {"wikitext": wikitext_links}
        self._links: dict[int, frozenset[str]] = {}
        self._backlinks: dict[str, set[int]] = {}
        #: templatelinks and categorylinks of each page (wikitext), and category -> member page ids
        self._templates: dict[int, tuple[str, ...]] = {}
        self._categories: dict[int, tuple[str, ...]] = {}
        self._members: dict[str, set[int]] = {}
        self.add_user("MediaWiki default", system=True)

    # -- users and sessions --------------------------------------------------
    def add_user(self, name: str, *, groups: tuple[str, ...] = ("*", "user"),
                 rights: frozenset[str] | None = None, bot_passwords: Mapping[str, str] | None = None,
                 system: bool = False) -> User:
        with self.lock:
            if name in self.users:
                return self.users[name]
            if rights is None:
                rights = BOT_RIGHTS if "bot" in groups else USER_RIGHTS
            user = User(self._next_userid, name, groups, frozenset(rights), dict(bot_passwords or {}), system)
            self._next_userid += 1
            self.users[name] = user
            return user

    def user(self, name: str) -> User | None:
        return self.users.get(name)

    def new_session(self) -> Session:
        with self.lock:
            session = Session(secrets.token_hex(16), None, self._token() + "+\\", "", self.clock())
            self.sessions[session.id] = session
            return session

    def session(self, sid: str | None) -> Session | None:
        return self.sessions.get(sid) if sid else None

    def check_bot_password(self, lgname: str, password: str) -> User | None:
        """``Owner@BotName`` with that bot's password, or a main account (we store none)."""
        owner, at, bot = lgname.partition("@")
        user = self.users.get(owner.replace("_", " "))
        if user is None or not at:
            return None
        expected = user.bot_passwords.get(bot)
        if expected is None or not secrets.compare_digest(expected, password):
            return None
        return user

    def log_out(self, session: Session) -> None:
        """End a session: its cookie and tokens are worth nothing from now on."""
        with self.lock:
            self.sessions.pop(session.id, None)
            session.user = None
            session.csrf_token = ""

    def log_in(self, session: Session, user: User) -> None:
        with self.lock:
            session.user = user
            session.csrf_token = self._token() + "+\\"

    # -- titles -------------------------------------------------------------
    def normalize_title(self, raw: str) -> tuple[int, str]:
        """(namespace, prefixed title) as MediaWiki's TitleParser; InvalidTitle when it refuses."""
        text = " ".join(raw.replace("_", " ").split())
        if not text or any(ch in ILLEGAL_TITLE_CHARS for ch in text):
            raise InvalidTitle(f'Bad title "{raw}".')
        ns = 0
        rest = text
        prefix, colon, tail = text.partition(":")
        if colon:
            found = self._ns_lookup.get(prefix.strip().lower())
            if found is not None:
                ns, rest = found, tail.strip()
        if not rest or len(rest.encode("utf-8")) > MAX_TITLE_BYTES:
            raise InvalidTitle(f'Bad title "{raw}".')
        rest = rest[0].upper() + rest[1:]
        name = self.namespaces.get(ns, "")
        return ns, f"{name}:{rest}" if name else rest

    def title_of(self, ns: int, name: str) -> str:
        prefix = self.namespaces.get(ns, "")
        return f"{prefix}:{name}" if prefix else name

    # -- pages --------------------------------------------------------------
    def page(self, title: str) -> Page | None:
        page = self.pages.get(title)
        if page is not None:
            return page
        try:
            _ns, norm = self.normalize_title(title)
        except InvalidTitle:
            return None
        return self.pages.get(norm)

    def redirect_target(self, page: Page) -> str | None:
        """The title a wikitext page redirects to (``#REDIRECT [[Target]]``), normalised; None otherwise."""
        if page.content_model != "wikitext":
            return None
        match = _REDIRECT.match(page.text)
        if match is None:
            return None
        try:
            return self.normalize_title(match.group(1))[1]
        except InvalidTitle:
            return None

    def page_by_id(self, pageid: int) -> Page | None:
        return self.pages_by_id.get(pageid)

    def revision(self, revid: int) -> Revision | None:
        return self.revisions.get(revid)

    def pages_in(self, ns: int, prefix: str = "") -> Iterator[Page]:
        """Pages of a namespace whose unprefixed title starts with ``prefix``, in title order (as they were
        when the listing began). O(log n + k) with the namespace's title index, not a sort of every page."""
        with self.lock:
            index = self._titles_in.get(ns)
            found = [self.pages[title] for title in index.listing(prefix, self.pages)] if index is not None else []
        yield from found

    def _unprefixed(self, page: Page) -> str:
        prefix = self.namespaces.get(page.ns, "")
        return page.title[len(prefix) + 1:] if prefix else page.title

    def unprefixed(self, page: Page) -> str:
        return self._unprefixed(page)

    def unprefixed_title(self, title: str) -> str:
        """A normalised title without its namespace prefix (``Template:X`` → ``X``)."""
        ns, norm = self.normalize_title(title)
        prefix = self.namespaces.get(ns, "")
        return norm[len(prefix) + 1:] if prefix else norm

    def current_timestamp(self) -> str:
        """The server clock for ``curtimestamp``: never before the last write; does not move it."""
        with self.lock:
            return format_ts(max(float(int(self.clock())), self._last_ts))

    def now(self) -> str:
        """The next write timestamp: the clock, but strictly after the previous write."""
        with self.lock:
            current = max(float(int(self.clock())), self._last_ts + 1)
            self._last_ts = current
            return format_ts(current)

    def save_page(self, title: str, text: str, *, user: User, summary: str = "",
                  content_model: str | None = None, base_revid: int | None = None,
                  base_timestamp: str | None = None, create_only: bool = False, no_create: bool = False,
                  bot: bool = False, minor: bool = False, tags: list[str] | tuple[str, ...] = (),
                  timestamp: str | None = None, log_model: bool = False) -> SaveResult:
        """Save a page with MediaWiki's edit semantics; raise WikiError subclasses on refusal.

        A new page is logged (``create``); with ``log_model`` its content model, chosen against the
        title's default, is logged too (``contentmodel/new``, shown in recentchanges)."""
        ns, norm = self.normalize_title(title)
        summary = truncate_comment(summary)
        with self.lock:
            page = self.pages.get(norm)
            if page is None:
                if no_create:
                    raise PageMissing("The page you specified doesn't exist.")
                model = content_model or self.content_models.get(ns, "wikitext")
                page = Page(self._next_pageid, ns, norm, model)
                rev = self._new_revision(page, text, user, summary, model, 0, bot, minor, tags, timestamp)
                self._next_pageid += 1
                self.pages[norm] = page
                self.pages_by_id[page.pageid] = page
                self._titles_in.setdefault(ns, _TitleIndex()).add(self._unprefixed(page), norm)
                result = SaveResult(page, rev, 0, new=True)
                self._record(page, rev, "new", user, bot, minor, 0)
                self.add_log("create", "create", page.ns, page.title, page.pageid, user, rev.timestamp, summary,
                             rc=False)
                if log_model:
                    self.add_log("contentmodel", "new", page.ns, page.title, page.pageid, user, rev.timestamp, "",
                                 {"oldmodel": False, "newmodel": model})
            else:
                if create_only:
                    raise PageExists("The article you tried to create has been created already.")
                latest = page.latest
                merged = self._check_conflict(page, user, text, base_revid, base_timestamp)
                if merged is not None:
                    text = merged
                if latest.content == text and (content_model is None or content_model == page.content_model):
                    result = SaveResult(page, None, latest.revid, nochange=True)
                else:
                    if content_model is not None:
                        page.content_model = content_model
                    rev = self._new_revision(page, text, user, summary, page.content_model, latest.revid, bot,
                                             minor, tags, timestamp)
                    result = SaveResult(page, rev, latest.revid)
                    self._record(page, rev, "edit", user, bot, minor, latest.size)
            if result.revision is not None:
                self._update_links(result.page)
            for hook in self.save_hooks:
                hook(self, result, user)
            return result

    def _titles(self, raw: Iterable[str]) -> list[str]:
        found = []
        for title in raw:
            try:
                found.append(self.normalize_title(title)[1])
            except InvalidTitle:
                continue
        return list(dict.fromkeys(found))

    def _update_links(self, page: Page) -> None:
        new: frozenset[str] = frozenset()
        if page.content_model == "wikitext":
            parts = wikitext_parts(page.text)
            templates = tuple(self._titles(parts.templates))
            # the parser records a link to a template that does not exist (its red link)
            new = frozenset(self._titles(parts.links)) | {t for t in templates if t not in self.pages}
            self._templates[page.pageid] = templates
            categories = tuple(self._titles(parts.categories))
            for old_cat in self._categories.get(page.pageid, ()):
                self._members.get(old_cat, set()).discard(page.pageid)
            for cat in categories:
                self._members.setdefault(cat, set()).add(page.pageid)
            self._categories[page.pageid] = categories
        else:
            extractor = self.link_extractors.get(page.content_model)
            if extractor is not None:
                new = frozenset(self._titles(extractor(page.text)))
        old = self._links.get(page.pageid, frozenset())
        for title in old - new:
            self._backlinks.get(title, set()).discard(page.pageid)
        for title in new - old:
            self._backlinks.setdefault(title, set()).add(page.pageid)
        self._links[page.pageid] = new

    def backlinks(self, title: str) -> list[Page]:
        """Pages whose latest revision links to ``title`` (MediaWiki's pagelinks table)."""
        with self.lock:
            ids = sorted(self._backlinks.get(title, ()))
            return [self.pages_by_id[i] for i in ids if i in self.pages_by_id]

    def links(self, page: Page) -> frozenset[str]:
        return self._links.get(page.pageid, frozenset())

    def templates(self, page: Page) -> tuple[str, ...]:
        return self._templates.get(page.pageid, ())

    def categories(self, page: Page) -> tuple[str, ...]:
        return self._categories.get(page.pageid, ())

    def category_members(self, category: str) -> list[Page]:
        with self.lock:
            return [self.pages_by_id[i] for i in sorted(self._members.get(category, ())) if i in self.pages_by_id]

    def _check_conflict(self, page: Page, user: User, text: str, base_revid: int | None,
                        base_timestamp: str | None) -> str | None:
        """EditPage's conflict check: None to save ``text`` as is, the merged text, or EditConflict."""
        latest = page.latest
        base_ts = parse_ts(base_timestamp) if base_timestamp else None
        conflict = (base_ts is not None and base_ts != parse_ts(latest.timestamp)) or (
            bool(base_revid) and base_revid != latest.revid)
        if not conflict:
            return None
        if base_ts is not None and not _IP.fullmatch(user.name) and all(
                r.userid == user.id for r in page.revisions if parse_ts(r.timestamp) > base_ts):
            return None  # own later edits only: suppressed, the save overwrites them
        base: Revision | None = None
        if base_revid:
            base = self.revisions.get(base_revid)
        elif base_ts is not None:
            base = next((r for r in page.revisions if parse_ts(r.timestamp) == base_ts), None)
        merged = merge3(base.content, text, latest.content) if base is not None else None
        if merged is None:
            raise EditConflict("Edit conflict.")
        return merged

    def _new_revision(self, page: Page, text: str, user: User, summary: str, model: str, parent: int,
                      bot: bool, minor: bool, tags: list[str] | tuple[str, ...],
                      timestamp: str | None) -> Revision:
        ts = timestamp or self.now()
        if timestamp:
            self._last_ts = max(self._last_ts, parse_ts(timestamp))
        rev = Revision(self._next_revid, parent, page.pageid, user.name, user.id, ts, summary, text, model,
                       sha1_base36(text), list(tags), minor, bot)
        self._next_revid += 1
        page.revisions.append(rev)
        self.revisions[rev.revid] = rev
        return rev

    def _record(self, page: Page, rev: Revision, kind: str, user: User, bot: bool, minor: bool,
                oldlen: int) -> None:
        self.recentchanges.append(RecentChange(
            self._next_rcid, kind, page.ns, page.title, page.pageid, rev.revid, rev.parentid, user.name,
            user.id, rev.timestamp, rev.comment, bot, minor, oldlen, rev.size, list(rev.tags)))
        self._next_rcid += 1

    def add_log(self, kind: str, action: str, ns: int, title: str, pageid: int, user: User, timestamp: str,
                comment: str, params: Mapping[str, Any] | None = None, *, rc: bool = True) -> LogEntry:
        """A logging row (and, unless ``rc`` is False as for page creations, its recentchanges row)."""
        with self.lock:
            entry = LogEntry(self._next_logid, kind, action, ns, title, pageid, user.name, user.id, timestamp,
                             truncate_comment(comment), dict(params or {}))
            self._next_logid += 1
            self.log.append(entry)
            if rc:
                self.recentchanges.append(RecentChange(
                    self._next_rcid, "log", ns, title, pageid, 0, 0, user.name, user.id, timestamp, entry.comment,
                    "bot" in user.rights, False, 0, 0, [], kind, action, entry.logid, dict(entry.params)))
                self._next_rcid += 1
            return entry

    def delete_page(self, title: str, *, user: User, reason: str = "") -> LogEntry:
        """Remove a page and log it (``type=log``, ``logtype=delete``)."""
        with self.lock:
            page = self.page(title)
            if page is None:
                raise PageMissing("The page you specified doesn't exist.")
            del self.pages[page.title]
            del self.pages_by_id[page.pageid]
            index = self._titles_in.get(page.ns)
            if index is not None:
                index.gone += 1
            for title in self._links.pop(page.pageid, frozenset()):
                self._backlinks.get(title, set()).discard(page.pageid)
            self._templates.pop(page.pageid, None)
            for cat in self._categories.pop(page.pageid, ()):
                self._members.get(cat, set()).discard(page.pageid)
            when = self.now()
            self.deleted[page.title] = when
            return self.add_log("delete", "delete", page.ns, page.title, page.pageid, user, when, reason)

    def dump(self) -> dict[str, Any]:
        """All state as JSON-able data (sessions and passwords left out)."""
        with self.lock:
            return {
                "users": [{"id": u.id, "name": u.name, "groups": list(u.groups)} for u in self.users.values()],
                "pages": [{"pageid": p.pageid, "ns": p.ns, "title": p.title, "contentmodel": p.content_model,
                           "revisions": [{"revid": r.revid, "parentid": r.parentid, "user": r.user,
                                          "timestamp": r.timestamp, "comment": r.comment, "tags": r.tags,
                                          "content": r.content} for r in p.revisions]}
                          for p in sorted(self.pages.values(), key=lambda p: p.pageid)],
                "recentchanges": len(self.recentchanges),
            }
