"""In-memory fakes of the Metabase and Meta-Wiki clients (the client API of docs/contracts.md).

They keep the edit semantics the sync engine relies on: item revisions with
Wikibase-style patching (another term changed since ``baserevid`` → patched;
the same term → ``editconflict``), unit pages with ``baserevid`` conflicts
(suppressed when the later edits were our own), the bundle with fuzzy marking
of translations after an English change, and request/write counting. Hooks let
tests act between requests (a concurrent editor) or inject faults.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from capxl10n.wikis.http import PageHistory, RevisionInfo
from capxl10n.wikis.results import WriteResult
from capxl10n.core.cursors import Bundle
from capxl10n.errors import EditConflictError, PermissionDeniedError, RemoteError, ValidationError
from capxl10n.core.model import Capacity, Snapshot, Term, TermKey, normalize_text

BOT = "CapxBot"
BUNDLE = "Module:CapacityExchange/capacities.json"


def unit_title(key: TermKey) -> str:
    return f"Translations:{BUNDLE}/{key.message_key}/{key.lang}"


@dataclass
class Unit:
    text: str
    fuzzy: bool
    revision: int
    timestamp: str
    author: str
    marked: bool = False  # saved with !!FUZZY!! (in the stored text), not only tagged by an English change


@dataclass
class Item:
    qid: str
    revision: int
    terms: dict[tuple[str, str], str]
    changed_at: dict[tuple[str, str], int] = field(default_factory=dict)


class FakeWikis:
    """Both wikis in memory; ``metabase``/``metawiki`` attributes are the client fakes."""

    def __init__(self) -> None:
        self.clock = 0
        self.items: dict[str, Item] = {}
        self.capacities: dict[str, Capacity] = {}
        self.bundle: dict[str, str] = {}
        self.bundle_revision: int | None = None
        self.bundle_author = BOT
        self.units: dict[TermKey, Unit] = {}
        self.requests = 0
        self.writes: list[tuple[str, str]] = []  # (kind, target) of every write that changed something
        self.can_delete = False
        self.unaccepted: set[str] = {"qqq"}
        #: Called before each write with (kind, target); may edit the wikis or raise a fault.
        self.before_write: Callable[[str, str], None] | None = None
        #: Page (item id, unit title, bundle title) → its revisions with their summaries, oldest first.
        self.history: dict[str, list[RevisionInfo]] = {}
        #: Page → when it was deleted (its deletion log), oldest first.
        self.deleted: dict[str, list[str]] = {}
        #: Item revision → the item's terms as that revision stored them.
        self.stored: dict[int, dict[tuple[str, str], str]] = {}
        self.metabase = FakeMetabase(self)
        self.metawiki = FakeMetawiki(self)

    # -- seeding and direct human edits ----------------------------------------------------
    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def stamp(self) -> str:
        return f"2025-12-06T00:{self.clock // 60:02d}:{self.clock % 60:02d}Z"

    def log(self, page: str, revision: int, user: str, summary: str) -> None:
        self.history.setdefault(page, []).append(RevisionInfo(revision, summary, user, self.stamp()))

    def add_capacity(self, qid: str, item: str, terms: Mapping[tuple[str, str], str] | None = None) -> None:
        rev = self.tick()
        self.capacities[qid] = Capacity(qid, item=item)
        self.items[item] = Item(qid, rev, dict(terms or {}), {k: rev for k in (terms or {})})
        self.stored[rev] = dict(terms or {})
        self.log(item, rev, "Alice", "created")

    def human_metabase(self, qid: str, fld: str, lang: str, text: str | None) -> None:
        item = self.items[self.capacities[qid].item or ""]
        rev = self.tick()
        if text is None:
            item.terms.pop((fld, lang), None)
        else:
            item.terms[(fld, lang)] = text
        item.revision = rev
        item.changed_at[(fld, lang)] = rev
        self.stored[rev] = dict(item.terms)
        self.log(self.capacities[qid].item or "", rev, "Alice", "human edit")

    def human_unit(self, qid: str, fld: str, lang: str, text: str | None, *, fuzzy: bool = False,
                   author: str = "Alice") -> None:
        key = TermKey(qid, fld, lang)  # type: ignore[arg-type]
        if text is None:
            if self.units.pop(key, None) is not None:
                self.deleted.setdefault(unit_title(key), []).append(self.stamp())
            self.history.pop(unit_title(key), None)
        else:
            self.units[key] = Unit(text, fuzzy, self.tick(), self.stamp(), author, marked=fuzzy)
            self.log(unit_title(key), self.units[key].revision, author, "human edit")

    def human_bundle(self, messages: Mapping[str, str]) -> None:
        self._store_bundle(dict(messages), author="Alice")

    def _store_bundle(self, messages: dict[str, str], author: str, summary: str = "human edit") -> int:
        old = self.bundle
        rev = self.tick()
        self.log(BUNDLE, rev, author, summary)
        for key, unit in self.units.items():
            if key.lang != "en" and old.get(key.message_key) != messages.get(key.message_key):
                unit.fuzzy = True  # Translate marks translations outdated, text untouched
        self.bundle = messages
        self.bundle_revision = rev
        self.bundle_author = author
        return rev

    # -- reading (what pull would return) --------------------------------------------------
    def read(self) -> Any:
        from capxl10n.engine.sync import Reading
        self.requests += 3
        mterms: dict[TermKey, Term] = {}
        for cap in self.capacities.values():
            item = self.items[cap.item or ""]
            for (fld, lang), text in item.terms.items():
                mterms[TermKey(cap.qid, fld, lang)] = Term(text, revision=item.revision, side="metabase")  # type: ignore[arg-type]
        wterms: dict[TermKey, Term] = {}
        for mkey, text in self.bundle.items():
            wterms[TermKey.from_message_key(mkey, "en")] = Term(text, revision=self.bundle_revision,
                                                                 side="metawiki", timestamp=self.stamp())
        for key, unit in self.units.items():
            if key.message_key in self.bundle and key.lang not in ("en", "qqq"):
                wterms[key] = Term(unit.text, fuzzy=unit.fuzzy, revision=unit.revision, author=unit.author,
                                   side="metawiki", timestamp=unit.timestamp)
        caps = tuple(self.capacities.values())
        unaccepted = tuple(sorted({k.lang for k in wterms} & self.unaccepted))
        return Reading(metabase=Snapshot("metabase", caps, mterms), metawiki=Snapshot("metawiki", caps, wterms),
                       unaccepted_languages=unaccepted, bundle_revision=self.bundle_revision,
                       bundle_timestamp=self.stamp(), requests={"metabase": 2, "metawiki": 1},
                       bundle_keys=frozenset(self.bundle))

    def write_count(self) -> int:
        return len(self.writes)

    def page_history(self, page: str, since: str | None = None) -> PageHistory:
        """``prop=revisions`` of one page, newest first (a missing page: ``exists=False``), with its
        deletions logged since ``since``."""
        self.requests += 1
        revisions = self.history.get(page)
        deletions = tuple(reversed([at for at in self.deleted.get(page, []) if since is None or at >= since]))
        if revisions is None:
            return PageHistory(page, exists=False, deletions=deletions)
        return PageHistory(page, True, tuple(reversed(revisions)), deletions)

    def hook(self, kind: str, target: str) -> None:
        self.requests += 1
        if self.before_write is not None:
            self.before_write(kind, target)


class FakeMetabase:
    def __init__(self, wikis: FakeWikis) -> None:
        self.w = wikis

    def read_item(self, item: str) -> tuple[int, dict[tuple[str, str], str]]:
        self.w.requests += 1
        it = self.w.items[item]
        return it.revision, dict(it.terms)

    def edit_item(self, item: str, *, labels: Mapping[str, str | None], descriptions: Mapping[str, str | None],
                  baserevid: int, summary: str) -> WriteResult:
        self.w.hook("wbeditentity", item)
        it = self.w.items[item]
        changes = {("label", lang): text for lang, text in labels.items()}
        changes.update({("description", lang): text for lang, text in descriptions.items()})
        for (fld, lang), text in changes.items():
            if lang in self.w.unaccepted:
                raise ValidationError("unknown language", code="not-recognized-language", site="metabase")
            if text is not None and len(text) > 250:
                raise ValidationError("Label must be no more than 250 characters long", code="modification-failed",
                                      site="metabase", term=item)
        if baserevid != it.revision:
            if any(it.changed_at.get(k, 0) > baserevid for k in changes):
                raise EditConflictError("Edit conflict. Could not patch the current revision.",
                                        code="editconflict", site="metabase", term=item)
        effective = {k: v for k, v in changes.items()
                     if (normalize_text(v) if v is not None else None) != it.terms.get(k)}
        if not effective:
            return WriteResult(it.revision, nochange=True)
        rev = self.w.tick()
        for k, v in effective.items():
            if v is None:
                it.terms.pop(k, None)
            else:
                it.terms[k] = normalize_text(v)
            it.changed_at[k] = rev
        it.revision = rev
        self.w.stored[rev] = dict(it.terms)
        self.w.writes.append(("wbeditentity", item))
        self.w.log(item, rev, BOT, summary)
        return WriteResult(rev, patched=baserevid != rev - 1)

    def terms_at(self, revision: int) -> dict[tuple[str, str], str]:
        self.w.requests += 1
        return dict(self.w.stored[revision])

    def page_history(self, item: str, since: str | None = None) -> PageHistory:
        return self.w.page_history(item, since)


class FakeMetawiki:
    def __init__(self, wikis: FakeWikis) -> None:
        self.w = wikis

    def read_bundle(self) -> Bundle:
        self.w.requests += 1
        return Bundle(dict(self.w.bundle), {}, self.w.bundle_revision, str(self.w.bundle_revision),
                      self.w.bundle_revision is not None)

    def read_unit(self, key: TermKey) -> tuple[Term | None, int | None, str | None]:
        self.w.requests += 1
        unit = self.w.units.get(key)
        if unit is None:
            return None, None, None
        return (Term(unit.text, fuzzy=unit.fuzzy, revision=unit.revision, author=unit.author, side="metawiki",
                     timestamp=unit.timestamp), unit.revision, unit.timestamp)

    def save_unit(self, key: TermKey, text: str, *, fuzzy: bool = False, baserevid: int | None,
                  basetimestamp: str | None, create: bool, summary: str) -> WriteResult:
        self.w.hook("edit", f"unit:{key.message_key}/{key.lang}")
        if key.message_key not in self.w.bundle:
            raise ValidationError("unknown message", code="tpt-unknown-page", site="metawiki", term=key)
        unit = self.w.units.get(key)
        if create and unit is not None:
            raise ValidationError("The page you tried to create has been created already.",
                                  code="articleexists", site="metawiki", term=key)
        if unit is not None and baserevid is not None and unit.revision != baserevid and unit.author != BOT:
            raise EditConflictError("Edit conflict.", code="editconflict", site="metawiki", term=key)
        if unit is not None and unit.text == text and unit.marked == fuzzy:
            unit.fuzzy = fuzzy  # identical stored text: nochange, and fuzzy follows the marker
            return WriteResult(None, nochange=True)
        new = Unit(text, fuzzy, self.w.tick(), self.w.stamp(), BOT, marked=fuzzy)
        self.w.units[key] = new
        self.w.writes.append(("edit", f"unit:{key.message_key}/{key.lang}"))
        self.w.log(unit_title(key), new.revision, BOT, summary)
        return WriteResult(new.revision, timestamp=new.timestamp)

    def page_history(self, title: str, since: str | None = None) -> PageHistory:
        return self.w.page_history(title, since)

    def delete_unit(self, key: TermKey, *, summary: str) -> WriteResult:
        self.w.hook("delete", f"unit:{key.message_key}/{key.lang}")
        if not self.w.can_delete:
            raise PermissionDeniedError("You do not have permission to delete pages.", code="permissiondenied",
                                        site="metawiki", term=key)
        if self.w.units.pop(key, None) is not None:
            self.w.writes.append(("delete", f"unit:{key.message_key}/{key.lang}"))
            self.w.history.pop(unit_title(key), None)
            self.w.deleted.setdefault(unit_title(key), []).append(self.w.stamp())
        return WriteResult(None)

    def save_bundle(self, bundle: Bundle, messages: Mapping[str, str], *, summary: str) -> WriteResult:
        self.w.hook("edit", "bundle")
        if bundle.revision != self.w.bundle_revision and self.w.bundle_author != BOT:
            raise EditConflictError("Edit conflict.", code="editconflict", site="metawiki")
        if dict(messages) == self.w.bundle:
            return WriteResult(None, nochange=True)
        rev = self.w._store_bundle(dict(messages), BOT, summary)
        self.w.writes.append(("edit", "bundle"))
        return WriteResult(rev)


def fail_n_times(wikis: FakeWikis, n: int, error: Callable[[], RemoteError]) -> None:
    """Make the next ``n`` writes fail with ``error()`` (a maxlag/429 storm that outlasts retries)."""
    remaining = [n]

    def hook(kind: str, target: str) -> None:
        if remaining[0] > 0:
            remaining[0] -= 1
            raise error()
    wikis.before_write = hook


def seeded(languages: Collection[str] = ("de", "pt-br"), capacities: int = 3) -> FakeWikis:
    """A small pair of wikis in step: English plus ``languages`` on both sides."""
    wikis = FakeWikis()
    for n in range(1, capacities + 1):
        qid = f"Q{n}"
        terms = {("label", "en"): f"Skill {n}", ("description", "en"): f"About skill {n}"}
        for lang in languages:
            terms[("label", lang)] = f"Skill {n} [{lang}]"
        wikis.add_capacity(qid, f"Q{100 + n}", terms)
    wikis.bundle = {}
    for cap in wikis.capacities.values():
        item = wikis.items[cap.item or ""]
        wikis.bundle[f"{cap.qid}-label"] = item.terms[("label", "en")]
        wikis.bundle[f"{cap.qid}-description"] = item.terms[("description", "en")]
    wikis.bundle_revision = wikis.tick()
    for cap in wikis.capacities.values():
        for lang in languages:
            wikis.human_unit(cap.qid, "label", lang, f"Skill {cap.qid[1:]} [{lang}]")
    return wikis
