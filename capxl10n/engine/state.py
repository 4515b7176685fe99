"""The state database: one SQLite file holding everything a sync must remember.

* the **base** — per term the value both sides last agreed on (a NULL value is a
  tombstone), its fuzzy flag and the revisions each side had then;
* the **apply journal** — every operation of a plan, recorded *before* its request
  goes out and again after, so a killed apply resumes without writing twice;
* the **read cache** for incremental pulls (the :class:`~capxl10n.core.cursors.ReadCache` protocol): each
  side's last read, its snapshot and its cursor (:mod:`capxl10n.core.cursors`) in a column each;
* the **conflict inbox** with human decisions, **coverage history** and **run summaries**.

The file is ours only if its ``application_id`` says so; a corrupt or foreign
file, or one written by a newer capxl10n, is refused with a :class:`StateError`
and never overwritten. Older schemas are migrated in place.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

from capxl10n.core.cursors import (Cursor, MetabaseCursor, MetawikiCursor, cached_read, cursor_dumps,
                                   cursor_from_legacy_meta, cursor_loads)
from capxl10n.core.directory import known_languages_only, whole_directory
from capxl10n.core.history import (HISTORY_FIELDS, HISTORY_SIDES, HistorySnapshot, changed_counts,
                                   changed_totals)
from capxl10n.errors import DataError, StateError
from capxl10n.core.merge import NO_ENGLISH, BaseTerm, Conflict, Decision
from capxl10n.engine.journal import JOURNAL_STATUSES, UNFINISHED, JournalRow, PlanStatus
from capxl10n.core.model import (DOC_LANGUAGE, ROWS_FORMAT, SOURCE_LANGUAGE, Capacity, Snapshot, Term, TermKey,
                                 paused_gc, tree_order)
from capxl10n.profile import Profile

log = logging.getLogger(__name__)

APPLICATION_ID: Final = 0x43415058  # "CAPX"
SCHEMA_VERSION: Final = 5
SQLITE_MAGIC: Final = b"SQLite format 3\x00"

_SCHEMA_V1: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE base (
    qid TEXT NOT NULL, field TEXT NOT NULL, lang TEXT NOT NULL,
    value TEXT, fuzzy INTEGER NOT NULL DEFAULT 0,
    metabase_rev INTEGER, metawiki_rev INTEGER, updated TEXT NOT NULL,
    PRIMARY KEY (qid, field, lang));
CREATE TABLE capacities (qid TEXT PRIMARY KEY, item TEXT, parent TEXT, root TEXT, code TEXT);
CREATE TABLE plans (plan_id TEXT PRIMARY KEY, profile TEXT NOT NULL, created TEXT NOT NULL,
    status TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE journal (
    plan_id TEXT NOT NULL, op_id TEXT NOT NULL, status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, revision INTEGER, detail TEXT, updated TEXT NOT NULL,
    PRIMARY KEY (plan_id, op_id));
CREATE TABLE read_cache (side TEXT PRIMARY KEY, snapshot TEXT NOT NULL, high_water TEXT, updated TEXT NOT NULL);
CREATE TABLE conflicts (
    qid TEXT NOT NULL, field TEXT NOT NULL, lang TEXT NOT NULL,
    base TEXT, has_base INTEGER NOT NULL, metabase TEXT, metawiki TEXT, reason TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    decided INTEGER NOT NULL DEFAULT 0, decision TEXT, decision_source TEXT,
    PRIMARY KEY (qid, field, lang));
CREATE TABLE coverage (taken TEXT NOT NULL, lang TEXT NOT NULL, translated INTEGER NOT NULL,
    fuzzy INTEGER NOT NULL, total INTEGER NOT NULL, PRIMARY KEY (taken, lang));
CREATE TABLE runs (run_id TEXT PRIMARY KEY, command TEXT NOT NULL, started TEXT NOT NULL,
    finished TEXT, exit_code INTEGER, summary TEXT);
"""

#: Version 2: sticky conflicts, decisions bound to the values they were made on, and the
#: ``established`` mark (a first sync completed; existing bases count as established).
_SCHEMA_V2: Final = """
ALTER TABLE conflicts ADD COLUMN sticky INTEGER NOT NULL DEFAULT 1;
ALTER TABLE conflicts ADD COLUMN decided_on TEXT;
INSERT OR IGNORE INTO meta SELECT 'established', '1' WHERE EXISTS (SELECT 1 FROM base);
"""

#: Version 3: what each translator's export showed (``capxl10n export``), so that an import can tell a
#: translation its translator saw and changed from one somebody else wrote since.
_SCHEMA_V3: Final = """
CREATE TABLE exports (export_id TEXT NOT NULL, lang TEXT NOT NULL, qid TEXT NOT NULL, field TEXT NOT NULL,
    shown TEXT, created TEXT NOT NULL, PRIMARY KEY (export_id, lang, qid, field));
"""



def _schema_v4(conn: sqlite3.Connection) -> None:
    """Version 4: each read's cursor in a column of its own (``cursor``, :mod:`capxl10n.core.cursors`), no
    longer keys of its snapshot's meta beside a ``high_water`` column. A row whose snapshot is damaged is
    dropped (the next pull reads that side in full, as it would have)."""
    conn.execute("CREATE TABLE read_cache_v4 (side TEXT PRIMARY KEY, snapshot TEXT NOT NULL, cursor TEXT NOT NULL, "
                 "updated TEXT NOT NULL)")
    for side, text, high_water, updated in conn.execute(
            "SELECT side, snapshot, high_water, updated FROM read_cache").fetchall():
        try:
            snapshot = Snapshot.loads(text, origin=f"read cache '{side}'")
            cursor, meta = cursor_from_legacy_meta(side, snapshot.meta, high_water or None)
        except (DataError, ValueError, TypeError) as exc:  # only a cache: the next pull reads the side in full
            log.warning("state migration: dropping the damaged read cache of %s (%s)", side, exc)
            continue
        conn.execute("INSERT INTO read_cache_v4 VALUES (?, ?, ?, ?)",
                     (side, replace(snapshot, meta=meta).dumps(), cursor_dumps(cursor), updated))
    conn.execute("DROP TABLE read_cache")
    conn.execute("ALTER TABLE read_cache_v4 RENAME TO read_cache")


#: Version 5: coverage history (docs/reports.md): a step function per side, language and field (a row only
#: when the counts changed), totals per side and field, one line per run, the outdated terms as of the last
#: snapshot and the fixes of them each run saw; sides and fields as small numbers
#: (:data:`capxl10n.core.history.HISTORY_SIDES`, ``HISTORY_FIELDS``); times in seconds since the epoch (UTC).
#: ``contributions``: translators' work the wikis cannot name, a ``.po`` import's (our bot writes it).
_SCHEMA_V5: Final = """
CREATE TABLE history_runs (taken INTEGER PRIMARY KEY, command TEXT NOT NULL);
CREATE TABLE history_totals (side INTEGER NOT NULL, field INTEGER NOT NULL, taken INTEGER NOT NULL,
    total INTEGER NOT NULL, PRIMARY KEY (side, field, taken)) WITHOUT ROWID;
CREATE TABLE history (lang TEXT NOT NULL, side INTEGER NOT NULL, field INTEGER NOT NULL, taken INTEGER NOT NULL,
    translated INTEGER NOT NULL, fuzzy INTEGER NOT NULL, PRIMARY KEY (lang, side, field, taken)) WITHOUT ROWID;
CREATE TABLE history_outdated (side INTEGER NOT NULL, lang TEXT NOT NULL, field INTEGER NOT NULL, qid TEXT NOT NULL,
    PRIMARY KEY (side, lang, field, qid)) WITHOUT ROWID;
CREATE TABLE history_fixes (taken INTEGER NOT NULL, side INTEGER NOT NULL, lang TEXT NOT NULL, field INTEGER NOT NULL,
    qid TEXT NOT NULL, PRIMARY KEY (taken, side, lang, field, qid)) WITHOUT ROWID;
CREATE TABLE contributions (taken INTEGER NOT NULL, user TEXT NOT NULL, channel TEXT NOT NULL, qid TEXT NOT NULL,
    field TEXT NOT NULL, lang TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (taken, channel, qid, field, lang, user)) WITHOUT ROWID;
"""


#: Migrations from version N-1 to N (index N); version 1 is the initial schema. A step is an SQL script,
#: or a function run in the migration's transaction.
MIGRATIONS: Final[dict[int, str | Callable[[sqlite3.Connection], None]]] = {
    1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3, 4: _schema_v4, 5: _SCHEMA_V5}


#: How many runs the run history keeps (`capxl10n runs`): twelve weeks of hourly syncs.
RUNS_KEPT: Final = 2000


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class InboxEntry(Conflict):
    """A conflict as the inbox keeps it: when it was first and last seen, and the human's decision."""

    first_seen: str = ""
    last_seen: str = ""
    decision: Decision | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(), "message_key": self.key.message_key,
            "first_seen": self.first_seen, "last_seen": self.last_seen, "sticky": self.sticky,
            "decision": None if self.decision is None else
            {"text": self.decision.text, "source": self.decision.source,
             "made_on": None if self.decision.basis is None else
             {"metabase": self.decision.basis[0], "metawiki": self.decision.basis[1]}},
        }


#: The inbox's ``sticky`` column: kept open until decided; merged afresh each run; asked during a first
#: contact (merged afresh while it lasts, kept open once it ended).
STICKY: Final = 1
NOT_STICKY: Final = 0
FIRST_CONTACT_STICKY: Final = 2


def _stickiness(conflict: Conflict) -> int:
    if conflict.sticky:
        return STICKY
    return FIRST_CONTACT_STICKY if conflict.first_contact else NOT_STICKY


@dataclass(frozen=True)
class Submission:
    """A translator's text for a term from a file, and what the read cache showed for it when imported."""

    key: TermKey
    text: str
    metabase: Term | None
    metawiki: Term | None
    #: The English the translator translated (the file's msgid).
    english: str
    #: The file it came from (its name): the decision's source.
    source: str


class State:
    """An open state database. Use :func:`open_state`; close it (or use ``with``)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        #: Per side, what its read cache row holds as this process last read or wrote it (store_side).
        self._reads: dict[str, tuple[weakref.ref[Any], str, tuple[Capacity, ...], dict[str, Any], int]] = {}
        #: Per side, whether this State's last store of it changed the snapshot's bytes (False: the cursor only,
        #: or the same bytes again).
        self.rewritten: dict[str, bool] = {}
        #: Per side, the digest and length of the row bytes this State last decoded or wrote.
        self._loaded_digest: dict[str, tuple[str, int]] = {}
        #: Per side, :meth:`_head` as last read, and when (this connection's changes, the file's data version).
        self._heads: dict[str, tuple[tuple[int, int], tuple[int | None, str | None, str, str] | None]] = {}

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable unit: committed on success, rolled back on error."""
        try:
            with self.conn:
                yield self.conn
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: cannot write the state: {exc}",
                             hint="check free disk space and file permissions") from None

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def base_generation(self) -> int:
        """Bumped on every base change; a plan made at another generation is stale."""
        return int(self.get_meta("base_generation", "0") or 0)

    @property
    def base_writes(self) -> int:
        """Bumped by every write to the base or the capacity tree (:meth:`update_base`, and
        :meth:`outdate_translations`, which does not move :attr:`base_generation`): the base is the same
        a million rows as when this counter was read last if the counter is."""
        return int(self.get_meta(BASE_WRITES, "0") or 0)

    def merge_inputs(self) -> dict[str, Any]:
        """What the merge reads from the state besides the base's rows (named by :attr:`base_generation`
        and :attr:`base_writes`) and the read cache: the inbox (every column the merge or the plan's
        recording reads: all but the times seen), and the marks of :meth:`mark_established`,
        :meth:`first_contact_keys`, :meth:`english_changed_at` and :meth:`english_translations`. Small:
        compared whole by the sync's quiet check (engine/sync.py)."""
        inbox = hashlib.sha256()
        for row in self.conn.execute(
                "SELECT qid, field, lang, base, has_base, metabase, metawiki, reason, decided, decision, "
                "decision_source, sticky, decided_on FROM conflicts ORDER BY qid, field, lang"):
            inbox.update(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        return {"base_generation": self.base_generation, "base_writes": self.base_writes,
                "established": self.get_meta("established"), "first_contact_keys": self.get_meta("first_contact_keys"),
                "english_changed_at": self.get_meta("english_changed_at"),
                "english_translations": self.get_meta("english_translations"), "inbox": inbox.hexdigest()}

    @property
    def established(self) -> bool:
        """True once a sync has completed: from then on no term is a first contact."""
        return self.get_meta("established") == "1"

    def mark_established(self, unexamined: Iterable[str] = ()) -> None:
        """A run completed. The first one leaves its ``unexamined`` message keys (their units were hidden
        from it: keys missing from the bundle) a first contact; a later one ends the first contact of every
        pending key it examined, so only those it could not see either stay pending."""
        before = self.first_contact_keys()
        if self.established:
            pending = before & frozenset(unexamined)
        else:
            self.set_meta("established", "1")
            pending = frozenset(unexamined)
        if pending != before:
            self.set_meta("first_contact_keys", json.dumps(sorted(pending)))

    def first_contact_keys(self) -> frozenset[str]:
        """Message keys whose translations no completed run has examined yet (see :meth:`mark_established`)."""
        raw = self.get_meta("first_contact_keys")
        return frozenset(json.loads(raw)) if raw else frozenset()

    # -- base -------------------------------------------------------------------------------
    def load_base(self) -> dict[TermKey, BaseTerm]:
        out: dict[TermKey, BaseTerm] = {}
        with paused_gc():  # a million rows, no cycle among them
            for qid, fld, lang, value, fuzzy, mrev, wrev in self.conn.execute(
                    "SELECT qid, field, lang, value, fuzzy, metabase_rev, metawiki_rev FROM base"):
                out[TermKey(qid, fld, lang)] = BaseTerm(value, bool(fuzzy), mrev, wrev)
        return out

    def update_base(self, updates: Mapping[TermKey, BaseTerm | None],
                    capacities: Iterable[Capacity] = ()) -> None:
        """Write base rows (None drops the row) and the capacity tree; bumps the generation."""
        caps = list(capacities)
        if not updates and not caps:
            return
        now = utcnow()
        with self.transaction() as db:  # one statement per kind, not per row: a first sync stores a million
            db.executemany("DELETE FROM base WHERE qid = ? AND field = ? AND lang = ?",
                           (key for key, term in updates.items() if term is None))
            db.executemany("INSERT OR REPLACE INTO base VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           ((key[0], key[1], key[2], term.text, int(term.fuzzy), term.metabase_rev, term.metawiki_rev,
                             now) for key, term in updates.items() if term is not None))
            for cap in caps:
                db.execute("INSERT OR REPLACE INTO capacities VALUES (?, ?, ?, ?, ?)",
                           (cap.qid, cap.item, cap.parent, cap.root, cap.code))
            generation = self.base_generation + 1
            db.execute("INSERT OR REPLACE INTO meta VALUES ('base_generation', ?)", (str(generation),))
            _count_base_write(db)

    def outdate_translations(self, message_keys: Iterable[str], english_revisions: Mapping[str, int] = {},
                             keep: Collection[TermKey] = (),
                             translations: Mapping[str, Mapping[str, str]] = {}) -> None:
        """Our English change of these messages went out: Translate outdated every translation of them,
        so the agreed values are outdated ones, and so is the Meta-Wiki side of their conflicts and of the
        values decisions were made on (a translator confirming one has made a change). ``english_revisions``:
        the item revision at which each new English was on Metabase (:meth:`english_changed_at`). ``keep``:
        units written after the outdating, whose rows already say how they were saved. ``translations``:
        message → language → the Metabase translation left there when the English went out
        (:meth:`english_translations`)."""
        rows = [TermKey.from_message_key(k, SOURCE_LANGUAGE) for k in message_keys]
        kept_langs: dict[tuple[str, str], list[str]] = {}
        for key in keep:
            kept_langs.setdefault((key.qid, key.field), []).append(key.lang)
        if english_revisions:
            known = self.english_changed_at()
            for message, revision in english_revisions.items():
                known[message] = max(known.get(message, 0), revision)
            self.set_meta("english_changed_at", json.dumps(dict(sorted(known.items()))))
        if translations:
            remembered = self.english_translations()
            remembered.update({k: dict(sorted(v.items())) for k, v in translations.items()})
            self.set_meta("english_translations", json.dumps(dict(sorted(remembered.items())), ensure_ascii=False))
        if not rows:
            return
        with self.transaction() as db:
            _count_base_write(db)
            for k in rows:
                kept = kept_langs.get((k.qid, k.field), [])
                spared = (SOURCE_LANGUAGE, DOC_LANGUAGE, *kept)
                db.execute(f"UPDATE base SET fuzzy = 1 WHERE qid = ? AND field = ? AND lang NOT IN "
                           f"({', '.join('?' * len(spared))}) AND value IS NOT NULL", (k.qid, k.field, *spared))
                found = db.execute("SELECT lang, metawiki, decided_on FROM conflicts WHERE qid = ? AND field = ? "
                                   "AND lang NOT IN (?, ?)", (k.qid, k.field, SOURCE_LANGUAGE, DOC_LANGUAGE))
                for lang, metawiki, decided_on in found.fetchall():
                    if lang in kept:
                        continue
                    unit = _term_from(metawiki)
                    if unit is not None and not unit.fuzzy:
                        metawiki = _term_json(replace(unit, fuzzy=True))
                    if decided_on is not None:
                        made_on = json.loads(decided_on)
                        if made_on[1] is not None:
                            made_on[2:3] = [True]
                            decided_on = json.dumps(made_on, ensure_ascii=False)
                    db.execute("UPDATE conflicts SET metawiki = ?, decided_on = ? WHERE qid = ? AND field = ? "
                               "AND lang = ?", (metawiki, decided_on, k.qid, k.field, lang))

    def english_translations(self) -> dict[str, dict[str, str]]:
        """Message key → language → the (normalised) Metabase translation there when the English our latest
        change of it sent went out: a value still the same was written for the older English."""
        raw = self.get_meta("english_translations")
        return {str(k): {str(lang): str(text) for lang, text in v.items()} for k, v in json.loads(raw).items()} \
            if raw else {}

    def english_changed_at(self) -> dict[str, int]:
        """Message key → the Metabase item revision at which the English our latest change of it sent was on
        Metabase: a Metabase translation on an item not edited since was written before that English."""
        raw = self.get_meta("english_changed_at")
        return {str(k): int(v) for k, v in json.loads(raw).items()} if raw else {}

    def capacities(self) -> tuple[Capacity, ...]:
        return tuple(Capacity(qid, item, parent, root, code) for qid, item, parent, root, code in
                     self.conn.execute("SELECT qid, item, parent, root, code FROM capacities"))

    def directory(self) -> Snapshot:
        """The agreed directory: base values (tombstones left out) over the stored capacity tree."""
        caps = self.capacities()
        known = {c.qid for c in caps}
        terms = {key: Term(b.text, fuzzy=b.fuzzy, revision=b.metabase_rev, side="base")
                 for key, b in self.load_base().items() if b.text is not None and key.qid in known}
        return Snapshot("base", caps, terms, {"base_generation": self.base_generation})

    def whole_directory(self) -> Snapshot:
        """Everything both wikis know (:func:`capxl10n.core.directory.whole_directory`): the base and the read
        cache, no wiki read. This is what the catalogs and coverage are built from.

        A side whose read is not cached has the base stand in for it (logged); with neither
        cached (a state from before the read cache) this is the agreed :meth:`directory`.
        """
        with paused_gc():  # both reads and the base: millions of objects, no cycle among them
            return self._whole_directory()

    def _whole_directory(self) -> Snapshot:
        mb, mw = cached_read(self, "metabase", MetabaseCursor), cached_read(self, "metawiki", MetawikiCursor)
        reads = {"metabase": mb, "metawiki": mw}
        missing = [side for side, cached in reads.items() if cached is None]
        if len(missing) == len(reads):
            log.warning("%s holds no read of either wiki: the directory is the agreed values only (no outdated "
                        "translations, documentation or one-sided values); the next `capxl10n sync` reads them",
                        self.path)
            return self.directory()
        for side in missing:
            log.warning("%s holds no read of %s: its agreed values stand in for it until the next sync",
                        self.path, side)
        whole = whole_directory(self.load_base(), mb[0] if mb else None, mw[0] if mw else None, self.capacities(),
                                metabase_cursor=mb[1] if mb else None, metawiki_cursor=mw[1] if mw else None)
        whole, unknown = known_languages_only(whole)
        if unknown:
            log.warning("left out of the directory: terms in languages capxl10n does not know: %s",
                        ", ".join(unknown))
        return whole

    # -- read cache (the ReadCache protocol of capxl10n.core.cursors) -----------------------
    def load_side(self, side: str) -> tuple[Snapshot, Cursor] | None:
        """The last read of ``side``: its snapshot and its cursor (None when there is none, or it is damaged)."""
        head = self._head(side)
        row = self.conn.execute("SELECT snapshot FROM read_cache WHERE side = ?", (side,)).fetchone()
        if row is None or head is None:
            return None
        origin = f"{self.path} read cache '{side}'"
        try:
            snapshot = self._decoded(side, row[0], origin)
            read = snapshot, cursor_loads(side, head[2], origin=f"{origin} cursor")
        except Exception as exc:  # a damaged cache is only a cache: read everything again
            log.warning("ignoring damaged read cache for %s: %s", side, exc)
            return None
        self._remember_read(side, snapshot, row[0])
        return read

    def cached_capacities(self, side: str) -> tuple[Capacity, ...] | None:
        """The capacity tree of ``side``'s cached read, from its row's header line alone (the compact form,
        :meth:`Snapshot.dump_rows`: a million terms are not read, let alone decoded); an older row's by
        loading it. None when no read of ``side`` is cached, or it is damaged."""
        row = self.conn.execute("SELECT rowid, typeof(snapshot) FROM read_cache WHERE side = ?", (side,)).fetchone()
        if row is None or row[1] != "blob":
            loaded = self.load_side(side) if row is not None else None
            return loaded[0].capacities if loaded is not None else None
        head = b""
        try:
            with self.conn.blobopen("read_cache", "snapshot", row[0], readonly=True) as blob:
                while b"\n" not in head:
                    chunk = blob.read(1 << 16)
                    if not chunk:
                        break
                    head += chunk
            header = json.loads(head.split(b"\n", 1)[0])
            if not isinstance(header, dict) or header.get("format") != ROWS_FORMAT:
                raise DataError("not a compact read cache row")
            return tree_order(Capacity.from_json(c) for c in header["capacities"])
        except Exception as exc:  # only a cache
            log.warning("ignoring damaged read cache for %s: %s", side, exc)
            return None

    def load_cursor(self, side: str) -> Cursor | None:
        """The cursor of ``side``'s last read, its snapshot left undecoded (None when there is none, or it is
        damaged)."""
        head = self._head(side)
        if head is None:
            return None
        try:
            return cursor_loads(side, head[2], origin=f"{self.path} read cache '{side}' cursor")
        except Exception as exc:  # only a cache: the read that needs it reads everything again
            log.warning("ignoring damaged read cache cursor for %s: %s", side, exc)
            return None

    def store_side(self, side: str, snapshot: Snapshot, cursor: Cursor) -> None:
        """Store a side's read; when its snapshot is the one the row holds (an incremental read that found
        nothing new), only the cursor is written: a million terms are not encoded and written again."""
        text = cursor_dumps(cursor)
        noted = self.row_digest(side)
        head = self._head(side)
        with self.transaction() as db:
            held = self._unchanged_read(side, snapshot)
            rewritten = held is None or head is None or head[0] != held or head[1] != "blob"
            if head is not None and not rewritten:
                self._move_cursor(db, side, text, self._known_row(side, held, noted), head)
            else:
                rows = snapshot.dump_rows()
                held = len(rows)
                digest = _blob_digest(rows).hex()
                db.execute("INSERT OR REPLACE INTO read_cache (side, snapshot, cursor, updated) VALUES (?, ?, ?, ?)",
                           (side, rows, _noted(text, (digest, held)), utcnow()))
                db.execute("DELETE FROM read_cache WHERE side = ?", (side + MARK,))
                _DECODED[(str(self.path.resolve()), side)] = _Decoded(bytes.fromhex(digest), snapshot)
                self._loaded_digest[side] = (digest, held)
                rewritten = noted is None or noted[0] != digest  # the same bytes again: nothing new
        self.rewritten[side] = rewritten
        self._remember_read(side, snapshot, held or 0)  # held: the row's length, known either way

    def store_cursor(self, side: str, cursor: Cursor) -> None:
        """Store a new cursor for ``side``'s cached read, its snapshot as it is (what :meth:`store_side` does
        for a read that found nothing new, without the snapshot at hand: the sync's quiet check)."""
        noted = self.row_digest(side)
        head = self._head(side)
        if head is None:
            raise StateError(f"{self.path}: no read cache of {side} to move on")
        with self.transaction() as db:
            self._move_cursor(db, side, cursor_dumps(cursor), self._known_row(side, head[0], noted), head)
        self.rewritten[side] = False

    def _move_cursor(self, db: sqlite3.Connection, side: str, text: str, row: tuple[str, int] | None,
                     head: tuple[int | None, str | None, str, str]) -> None:
        """Store the cursor ``text`` for ``side``'s row, its snapshot kept. SQLite rewrites a whole row to
        change one column: the row's cursor column is changed only when more than the time mark moved;
        a cursor that differs from the row's only in its mark (a read that found nothing new: every quiet
        cron run) goes into a small row of its own (``<side>+mark``) naming the row cursor it stands for
        (:meth:`_head`), instead of a rewrite of a snapshot of hundreds of megabytes."""
        main = head[3]
        if _without_mark(text) == _without_mark(main):
            marked = _noted(text, row)
            marked = f'{marked[:-1]},"{OVER}":"{_text_digest(main)}"}}' if marked.endswith("}") else marked
            db.execute("INSERT OR REPLACE INTO read_cache (side, snapshot, cursor, updated) VALUES (?, x'', ?, ?)",
                       (side + MARK, marked, utcnow()))
        else:
            db.execute("UPDATE read_cache SET cursor = ?, updated = ? WHERE side = ?", (_noted(text, row), utcnow(), side))
            db.execute("DELETE FROM read_cache WHERE side = ?", (side + MARK,))

    def _head(self, side: str) -> tuple[int | None, str | None, str, str] | None:
        """``side``'s row without its snapshot: the snapshot's length and type, the cursor in effect (the
        ``<side>+mark`` row's when it stands for the row's cursor, :meth:`_move_cursor`) and the row's own
        cursor text. Reading a column stored after a snapshot of hundreds of megabytes walks its pages: what
        was read is kept while neither this connection nor another one changed the state."""
        stamp = (self.conn.total_changes, self.conn.execute("PRAGMA data_version").fetchone()[0])
        known = self._heads.get(side)
        if known is not None and known[0] == stamp:
            return known[1]
        row = self.conn.execute("SELECT length(snapshot), typeof(snapshot), cursor FROM read_cache WHERE side = ?",
                                (side,)).fetchone()
        head = None
        if row is not None:
            cursor = main = str(row[2])
            mark = self.conn.execute("SELECT cursor FROM read_cache WHERE side = ?", (side + MARK,)).fetchone()
            if mark is not None:
                try:
                    over = json.loads(mark[0]).get(OVER)
                except (ValueError, AttributeError):
                    over = None
                if over == _text_digest(main):
                    cursor = str(mark[0])
            head = (row[0], row[1], cursor, main)
        self._heads[side] = (stamp, head)
        return head

    def _known_row(self, side: str, length: int | None, noted: tuple[str, int] | None) -> tuple[str, int] | None:
        """The digest of ``side``'s row bytes if it keeps them (of ``length``): from the bytes this State decoded
        or wrote, else from the row's note (a row an earlier version wrote and this State did not decode
        stays without one)."""
        for known in (self._loaded_digest.get(side), noted):
            if known is not None and known[1] == length:
                return known
        return None

    def read_identity(self, side: str) -> dict[str, Any] | None:
        """What names ``side``'s cached read but for its time mark: the row's digest (:meth:`row_digest`) and
        its cursor's content without ``high_water``. ``{}`` when no read of ``side`` is cached; None when the
        row's digest is not known (a row this version did not write nor decode)."""
        head = self._head(side)
        if head is None:
            return {}
        known = self.row_digest(side)
        if known is None:
            return None
        try:
            cursor = json.loads(head[2])
        except ValueError:
            return None
        if isinstance(cursor, dict):
            cursor.pop("high_water", None)
            cursor.pop(OVER, None)
        return {"row": known[0], "length": known[1],
                "cursor": _text_digest(json.dumps(cursor, ensure_ascii=False))}  # in its order: the bundle's

    def directory_identity(self) -> dict[str, Any] | None:
        """What :meth:`whole_directory` is made of, named without reading it: each side's cached read
        (:meth:`read_identity`), the base (its generation and write counter, the capacity tree included) and
        this code (:func:`code_digest`). None when a row's digest is not known."""
        reads = {side: self.read_identity(side) for side in ("metabase", "metawiki")}
        if any(identity is None for identity in reads.values()):
            return None
        return {"reads": reads, "base": [self.base_generation, self.base_writes], "code": code_digest()}

    def drop_meta(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def row_digest(self, side: str) -> tuple[str, int] | None:
        """The digest of ``side``'s read cache row (its snapshot's bytes) and their length, as this version
        noted them in the row's cursor when it wrote the row (:meth:`store_side`): None when it did not (an
        earlier version rewrites the cursor without the note), or the length differs."""
        row = self._head(side)
        if row is None or row[1] != "blob":
            return None
        try:
            digest, length = json.loads(row[2])[ROW_NOTE]
        except (ValueError, TypeError, KeyError, IndexError):
            return None
        if not isinstance(digest, str) or length != row[0]:
            return None
        return digest, int(length)

    def _decoded(self, side: str, stored: str | bytes, origin: str) -> Snapshot:
        """The snapshot a read cache row holds; the very object this process decoded or stored for the same
        bytes while it is still in use (a sync reads the cache again for the catalogs: a million terms are
        not decoded twice). The bytes decide, by their digest: a row another process rewrote is decoded."""
        if not isinstance(stored, bytes):
            return _cached_snapshot(stored, origin)
        where, digest = (str(self.path.resolve()), side), _blob_digest(stored)
        self._loaded_digest[side] = (digest.hex(), len(stored))
        known = _DECODED.get(where)
        snapshot = known.snapshot() if known is not None and known.digest == digest else None
        if snapshot is None:
            snapshot = _cached_snapshot(stored, origin)
            _DECODED[where] = _Decoded(digest, snapshot)
        return snapshot

    def _remember_read(self, side: str, snapshot: Snapshot, stored: str | bytes | int) -> None:
        """What the read cache's row of ``side`` holds now (its terms, weakly; its size when in the compact
        form), so that storing the same read again can skip rewriting it."""
        size = stored if isinstance(stored, int) else len(stored) if isinstance(stored, bytes) else None
        if size is None:
            self._reads.pop(side, None)
        else:
            self._reads[side] = (weakref.ref(snapshot.terms), snapshot.side, snapshot.capacities,
                                 dict(snapshot.meta), size)

    def _unchanged_read(self, side: str, snapshot: Snapshot) -> int | None:
        """The stored size of ``side``'s row when ``snapshot`` is what it holds (the same terms object, tree
        and meta), else None."""
        held = self._reads.get(side)
        if held is None or held[0]() is not snapshot.terms:
            return None
        same = held[1] == snapshot.side and held[2] == snapshot.capacities and held[3] == snapshot.meta
        return held[4] if same else None

    def expire_side(self, side: str) -> None:
        """Make the next pull read this side in full, keeping its last read as "the read before": the full
        read learns from it what changed in between (the English outdated units were made from)."""
        head = self._head(side)
        with self.transaction() as db:
            if head is not None:  # the cursor in effect, its mark gone
                db.execute("UPDATE read_cache SET cursor = json_remove(json_set(?, '$.high_water', NULL), ?) "
                           "WHERE side = ?", (head[2], f"$.{OVER}", side))
            db.execute("DELETE FROM read_cache WHERE side = ?", (side + MARK,))

    def forget_side(self, side: str) -> None:
        """Drop one side's cached read: the next pull reads it in full."""
        with self.transaction() as db:
            db.execute("DELETE FROM read_cache WHERE side IN (?, ?)", (side, side + MARK))
        self._reads.pop(side, None)
        self._loaded_digest.pop(side, None)

    # -- journal ----------------------------------------------------------------------------
    def register_plan(self, plan_id: str, profile: str, body: str | bytes, op_ids: Iterable[str]) -> bool:
        """Record a plan and its operations as pending; False when it is already known (a resume).
        ``body`` is the plan file (:func:`capxl10n.core.plan.dump_bytes`; stored as given)."""
        if self.conn.execute("SELECT 1 FROM plans WHERE plan_id = ?", (plan_id,)).fetchone():
            return False
        now = utcnow()
        with self.transaction() as db:
            db.execute("INSERT INTO plans VALUES (?, ?, ?, ?, ?)", (plan_id, profile, now, PlanStatus.RUNNING, body))
            db.executemany("INSERT INTO journal (plan_id, op_id, status, updated) VALUES (?, ?, 'pending', ?)",
                           [(plan_id, op, now) for op in op_ids])
        return True

    def prune_plans(self, keep: int = 20) -> None:
        """Forget all but the ``keep`` newest plans: an older one is stale anyway (its base moved)."""
        with self.transaction() as db:
            old = [r[0] for r in db.execute(
                "SELECT plan_id FROM plans ORDER BY created DESC, rowid DESC "
                "LIMIT -1 OFFSET ?", (keep,)).fetchall()]
            db.executemany("DELETE FROM journal WHERE plan_id = ?", [(p,) for p in old])
            db.executemany("DELETE FROM plans WHERE plan_id = ?", [(p,) for p in old])

    def plan_status(self, plan_id: str) -> str | None:
        row = self.conn.execute("SELECT status FROM plans WHERE plan_id = ?", (plan_id,)).fetchone()
        return row[0] if row else None

    def set_plan_status(self, plan_id: str, status: PlanStatus) -> None:
        with self.transaction() as db:
            db.execute("UPDATE plans SET status = ? WHERE plan_id = ?", (status, plan_id))

    def journal(self, plan_id: str) -> dict[str, JournalRow]:
        """op_id → the operation's journal row."""
        return {op: JournalRow(status, attempts, rev, detail) for op, status, attempts, rev, detail in self.conn.execute(
            "SELECT op_id, status, attempts, revision, detail FROM journal WHERE plan_id = ?", (plan_id,))}

    def mark(self, plan_id: str, op_ids: Iterable[str], status: str, *, revision: int | None = None,
             detail: str | None = None) -> None:
        """Move operations to ``status``; committed (durably) before this returns."""
        if status not in JOURNAL_STATUSES:
            raise ValueError(f"not a journal status: {status!r}")
        now = utcnow()
        bump = 1 if status == "sent" else 0
        with self.transaction() as db:
            db.executemany(
                "UPDATE journal SET status = ?, attempts = attempts + ?, revision = COALESCE(?, revision), "
                "detail = ?, updated = ? WHERE plan_id = ? AND op_id = ?",
                [(status, bump, revision, detail, now, plan_id, op) for op in op_ids])

    def sent_count(self, plan_id: str | None = None) -> int:
        """How many operations are sent or done (tests kill an apply when this reaches N)."""
        sql = "SELECT COUNT(*) FROM journal WHERE status IN ('sent', 'done')"
        args: tuple[Any, ...] = ()
        if plan_id:
            sql += " AND plan_id = ?"
            args = (plan_id,)
        return int(self.conn.execute(sql, args).fetchone()[0])

    # -- conflict inbox ---------------------------------------------------------------------
    def record_conflicts(self, conflicts: Iterable[Conflict], *, replace_all: bool = True,
                         unexamined: Iterable[str] = ()) -> None:
        """Upsert the conflicts seen now; with ``replace_all`` undecided ones no longer seen are dropped.

        ``unexamined`` names message keys the merge did not look at (their units were hidden): their
        conflicts that wait for a human stay as they are. One that is merged afresh each run (an apply's
        guard meeting a unit it could not see) leaves: no merge can take it up while the units are hidden,
        both values stay on the wikis, and the merge meets them again when the key comes back.
        """
        keep = set(unexamined)
        now = utcnow()
        seen = []
        with self.transaction() as db:
            for c in conflicts:
                k = c.key
                seen.append((k.qid, k.field, k.lang))
                db.execute(
                    "INSERT INTO conflicts (qid, field, lang, base, has_base, metabase, metawiki, reason, "
                    "first_seen, last_seen, sticky) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (qid, field, lang) DO UPDATE SET base = excluded.base, "
                    "has_base = excluded.has_base, metabase = excluded.metabase, metawiki = excluded.metawiki, "
                    "reason = excluded.reason, last_seen = excluded.last_seen, sticky = excluded.sticky",
                    (k.qid, k.field, k.lang, c.base, int(c.has_base), _term_json(c.metabase),
                     _term_json(c.metawiki), c.reason, now, now, _stickiness(c)))
            if replace_all:
                current = set(seen)
                for *row, sticky in db.execute(
                        "SELECT qid, field, lang, sticky FROM conflicts WHERE decided = 0").fetchall():
                    hidden = f"{row[0]}-{row[1]}" in keep and row[2] != SOURCE_LANGUAGE  # English was merged
                    if tuple(row) not in current and not (hidden and sticky != NOT_STICKY):
                        db.execute("DELETE FROM conflicts WHERE qid = ? AND field = ? AND lang = ?", row)

    def conflicts(self, lang: str | None = None) -> list[InboxEntry]:
        sql = ("SELECT qid, field, lang, base, has_base, metabase, metawiki, reason, first_seen, last_seen, "
               "decided, decision, decision_source, sticky, decided_on FROM conflicts")
        rows = self.conn.execute(sql + (" WHERE lang = ?" if lang else ""), (lang,) if lang else ()).fetchall()
        out = [InboxEntry(TermKey(q, f, lg), base, bool(hb), _term_from(mj), _term_from(wj), reason, sticky == STICKY,
                          sticky == FIRST_CONTACT_STICKY,
                          first, last, _decision(dtext, dsrc, basis) if decided else None)
               for q, f, lg, base, hb, mj, wj, reason, first, last, decided, dtext, dsrc, sticky, basis in rows]
        return sorted(out, key=lambda c: c.key.sort_key())

    def decide(self, key: TermKey, decision: Decision) -> None:
        """Record a decision, bound to the two values the inbox showed for the term when it was made."""
        self.decide_many([(key, decision)])

    def decide_many(self, decisions: Iterable[tuple[TermKey, Decision]]) -> None:
        """Record several decisions in one transaction: all of them, or none (an import is one act)."""
        with self.transaction() as db:
            for key, decision in decisions:
                row = db.execute("SELECT metabase, metawiki FROM conflicts WHERE qid = ? AND field = ? AND lang = ?",
                                 (key.qid, key.field, key.lang)).fetchone()
                if row is None:
                    raise StateError(f"no conflict for {key.message_key} in {key.lang} in the inbox",
                                     hint="run `capxl10n conflicts` to list open conflicts")
                terms = [_term_from(raw) for raw in row]
                made_on = decision.basis or tuple(t.text if t is not None else None for t in terms)
                outdated = decision.basis_outdated or bool(terms[1] is not None and terms[1].fuzzy)
                english = decision.english
                if english is None:  # the English of the last sync: what the conflict's translations translate
                    seen = db.execute("SELECT value FROM base WHERE qid = ? AND field = ? AND lang = ?",
                                      (key.qid, key.field, SOURCE_LANGUAGE)).fetchone()
                    english = (NO_ENGLISH if seen[0] is None else seen[0]) if seen is not None else None
                db.execute("UPDATE conflicts SET decided = 1, decision = ?, decision_source = ?, decided_on = ? "
                           "WHERE qid = ? AND field = ? AND lang = ?",
                           (decision.text, decision.source,
                            json.dumps([*made_on, outdated, english], ensure_ascii=False),
                            key.qid, key.field, key.lang))

    def rebind_decisions(self, decisions: Mapping[TermKey, Decision]) -> None:
        """Store what each decision is now bound to (:meth:`Decision.written_on`), where it is still open."""
        with self.transaction() as db:
            db.executemany("UPDATE conflicts SET decided_on = ? WHERE qid = ? AND field = ? AND lang = ? "
                           "AND decided = 1",
                           [(json.dumps([*d.basis, d.basis_outdated, d.english], ensure_ascii=False),
                             k.qid, k.field, k.lang) for k, d in decisions.items() if d.basis is not None])

    def submit(self, translations: Iterable[Submission]) -> None:
        """Record translations brought in from files as decided inbox entries, all in one transaction.

        A submission is a human's text for a term, made on the values the
        read cache showed (its ``basis``) and on an English: the merge writes it
        to both sides as it writes a decision, and a side edited since makes it
        stale, a conflict again (the text is named in its reason). An entry the
        inbox already holds for the term (a conflict, a decision) is never
        replaced: the importer refuses those terms first.
        """
        now = utcnow()
        with self.transaction() as db:
            for sub in translations:
                k = sub.key
                made_on = [sub.metabase.text if sub.metabase else None, sub.metawiki.text if sub.metawiki else None,
                           bool(sub.metawiki and sub.metawiki.fuzzy), sub.english]
                db.execute(
                    "INSERT INTO conflicts (qid, field, lang, base, has_base, metabase, metawiki, reason, first_seen, "
                    "last_seen, sticky, decided, decision, decision_source, decided_on) "
                    "VALUES (?, ?, ?, NULL, 0, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?)",
                    (k.qid, k.field, k.lang, _term_json(sub.metabase), _term_json(sub.metawiki),
                     f"translation imported from {sub.source}", now, now, sub.text, f"import {sub.source}",
                     json.dumps(made_on, ensure_ascii=False)))

    def record_export(self, export_id: str, lang: str, shown: Mapping[TermKey, str | None]) -> None:
        """Remember what an export showed per term (the current translation, None for none or outdated)."""
        now = utcnow()
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO exports VALUES (?, ?, ?, ?, ?, ?)",
                           [(export_id, lang, k.qid, k.field, text, now) for k, text in shown.items()])

    def exported(self, export_id: str, lang: str) -> dict[TermKey, str | None]:
        """What the export ``export_id`` showed in ``lang`` (empty when unknown: made elsewhere, or never)."""
        if not export_id:
            return {}
        rows = self.conn.execute("SELECT qid, field, shown FROM exports WHERE export_id = ? AND lang = ?",
                                 (export_id, lang)).fetchall()
        return {TermKey(q, f, lang): shown for q, f, shown in rows}

    def export_languages(self, export_id: str) -> list[str]:
        """The languages the export ``export_id`` was recorded in (none when it is unknown here)."""
        return [str(r[0]) for r in self.conn.execute("SELECT DISTINCT lang FROM exports WHERE export_id = ?",
                                                     (export_id,))]

    def undecide(self, keys: Iterable[TermKey]) -> None:
        """Forget decisions that a later human edit overtook: the terms are open conflicts again."""
        with self.transaction() as db:
            db.executemany("UPDATE conflicts SET decided = 0, decision = NULL, decision_source = NULL, "
                           "decided_on = NULL WHERE qid = ? AND field = ? AND lang = ?",
                           [(k.qid, k.field, k.lang) for k in keys])

    def decisions(self) -> dict[TermKey, Decision]:
        return {c.key: c.decision for c in self.conflicts() if c.decision is not None}

    def undecided_count(self) -> int:
        """Conflicts that need a human (exit 3); a decided one waits for the sync to write it."""
        return int(self.conn.execute("SELECT COUNT(*) FROM conflicts WHERE decided = 0").fetchone()[0])

    def open_conflicts(self) -> dict[TermKey, str]:
        """Undecided sticky conflicts, key → reason: the merge keeps them open until a human acts. A conflict
        asked during a first contact is one too once the first contact of its key has ended."""
        pending = self.first_contact_keys() if self.established else None
        return {c.key: c.reason for c in self.conflicts() if c.decision is None and (
            c.sticky or (c.first_contact and pending is not None and c.key.message_key not in pending))}

    def clear_conflicts(self, keys: Iterable[TermKey]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM conflicts WHERE qid = ? AND field = ? AND lang = ?",
                           [(k.qid, k.field, k.lang) for k in keys])

    # -- coverage and runs ------------------------------------------------------------------
    def record_coverage(self, rows: Mapping[str, tuple[int, int, int]], taken: str | None = None) -> str:
        """Store one coverage snapshot: lang → (translated, fuzzy, total)."""
        stamp = taken or utcnow()
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO coverage VALUES (?, ?, ?, ?, ?)",
                           [(stamp, lang, *counts) for lang, counts in sorted(rows.items())])
        return stamp

    def coverage_history(self, lang: str | None = None) -> list[tuple[str, str, int, int, int]]:
        sql = "SELECT taken, lang, translated, fuzzy, total FROM coverage"
        args: tuple[Any, ...] = ()
        if lang:
            sql, args = sql + " WHERE lang = ?", (lang,)
        return [(str(t), str(lg), int(tr), int(fz), int(tot))
                for t, lg, tr, fz, tot in self.conn.execute(sql + " ORDER BY taken, lang", args)]

    # -- coverage history (capxl10n.core.history; docs/reports.md) --------------------------------
    def record_history(self, snapshot: HistorySnapshot, fixed: Mapping[str, Iterable[TermKey]], command: str,
                       taken: int | None = None) -> int:
        """Store one history snapshot as changes against the last one, in one transaction; its time (seconds)."""
        stamp = int(taken if taken is not None else datetime.now(timezone.utc).timestamp())
        sides, fields = HISTORY_SIDES, HISTORY_FIELDS
        previous, totals = self.history_at(None)
        rows = changed_counts(previous, snapshot.counts)
        new_totals = changed_totals(totals, snapshot.totals)
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO history_runs VALUES (?, ?)", (stamp, command))
            db.executemany("INSERT OR REPLACE INTO history VALUES (?, ?, ?, ?, ?, ?)",
                           [(lang, sides.index(side), fields.index(fld), stamp, tr, fz)
                            for (side, lang, fld), (tr, fz) in sorted(rows.items())])
            db.executemany("INSERT OR REPLACE INTO history_totals VALUES (?, ?, ?, ?)",
                           [(sides.index(side), fields.index(fld), stamp, total)
                            for (side, fld), total in sorted(new_totals.items())])
            db.executemany("INSERT OR IGNORE INTO history_fixes VALUES (?, ?, ?, ?, ?)",
                           [(stamp, sides.index(side), k.lang, fields.index(k.field), k.qid)
                            for side, keys in sorted(fixed.items()) for k in keys])
            held = self.history_outdated()
            for side, keys in snapshot.outdated.items():
                code, before = sides.index(side), held.get(side, frozenset())
                db.executemany("DELETE FROM history_outdated WHERE side = ? AND lang = ? AND field = ? AND qid = ?",
                               [(code, k.lang, fields.index(k.field), k.qid) for k in before - keys])
                db.executemany("INSERT OR IGNORE INTO history_outdated VALUES (?, ?, ?, ?)",
                               [(code, k.lang, fields.index(k.field), k.qid) for k in keys - before])
        return stamp

    def history_outdated(self) -> dict[str, frozenset[TermKey]]:
        """The outdated terms per side as of the last history snapshot."""
        out: dict[str, set[TermKey]] = {}
        for side, lang, fld, qid in self.conn.execute("SELECT side, lang, field, qid FROM history_outdated"):
            out.setdefault(HISTORY_SIDES[side], set()).add(TermKey(qid, HISTORY_FIELDS[fld], lang))
        return {side: frozenset(keys) for side, keys in out.items()}

    def history_at(self, when: int | None) -> tuple[dict[tuple[str, str, str], tuple[int, int]],
                                                    dict[tuple[str, str], int]]:
        """The counts ((side, lang, field) → (translated, outdated)) and totals ((side, field) → messages)
        as the last snapshot at or before ``when`` (seconds; None: the latest) left them."""
        limit = " WHERE taken <= ?" if when is not None else ""
        args: tuple[Any, ...] = (when,) if when is not None else ()
        counts = {(HISTORY_SIDES[side], lang, HISTORY_FIELDS[fld]): (int(tr), int(fz))
                  for lang, side, fld, tr, fz, _taken in self.conn.execute(
                      "SELECT lang, side, field, translated, fuzzy, MAX(taken) FROM history" + limit
                      + " GROUP BY lang, side, field", args)}
        totals = {(HISTORY_SIDES[side], HISTORY_FIELDS[fld]): int(total)
                  for side, fld, total, _taken in self.conn.execute(
                      "SELECT side, field, total, MAX(taken) FROM history_totals" + limit + " GROUP BY side, field",
                      args)}
        return counts, totals

    def history_changes(self, since: int, until: int) -> list[tuple[int, str, str, str, int, int]]:
        """Stored changes with ``since < taken <= until``: (taken, side, lang, field, translated, outdated)."""
        return [(int(t), HISTORY_SIDES[side], lang, HISTORY_FIELDS[fld], int(tr), int(fz))
                for t, side, lang, fld, tr, fz in self.conn.execute(
                    "SELECT taken, side, lang, field, translated, fuzzy FROM history WHERE taken > ? AND taken <= ? "
                    "ORDER BY taken", (since, until))]

    def history_total_changes(self, since: int, until: int) -> list[tuple[int, str, str, int]]:
        """Stored total changes with ``since < taken <= until``: (taken, side, field, total)."""
        return [(int(t), HISTORY_SIDES[side], HISTORY_FIELDS[fld], int(total))
                for t, side, fld, total in self.conn.execute(
                    "SELECT taken, side, field, total FROM history_totals WHERE taken > ? AND taken <= ? "
                    "ORDER BY taken", (since, until))]

    def history_runs(self) -> list[tuple[int, str]]:
        """Every snapshot's time (seconds) and command, oldest first."""
        return [(int(t), str(c)) for t, c in self.conn.execute("SELECT taken, command FROM history_runs ORDER BY taken")]

    def history_fixes(self, since: int, until: int) -> list[tuple[int, str, TermKey]]:
        """Fixes of outdated translations seen by snapshots with ``since < taken <= until``: (taken, side, term)."""
        return [(int(t), HISTORY_SIDES[side], TermKey(qid, HISTORY_FIELDS[fld], lang))
                for t, side, lang, fld, qid in self.conn.execute(
                    "SELECT taken, side, lang, field, qid FROM history_fixes WHERE taken > ? AND taken <= ? "
                    "ORDER BY taken, side, lang, field, qid", (since, until))]

    def record_contributions(self, rows: Iterable[tuple[int, str, str, TermKey, str, str]]) -> None:
        """Remember translators' work no wiki revision names: (taken, user, channel, term, kind, source)."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO contributions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(t, user, channel, k.qid, k.field, k.lang, kind, source)
                            for t, user, channel, k, kind, source in rows])

    def contributions(self, since: int, until: int) -> list[tuple[int, str, str, TermKey, str, str]]:
        """Recorded contributions with ``since <= taken <= until``, oldest first."""
        return [(int(t), str(user), str(channel), TermKey(qid, fld, lang), str(kind), str(source))
                for t, user, channel, qid, fld, lang, kind, source in self.conn.execute(
                    "SELECT taken, user, channel, qid, field, lang, kind, source FROM contributions "
                    "WHERE taken >= ? AND taken <= ? ORDER BY taken, lang, qid, field", (since, until))]

    def start_run(self, run_id: str, command: str) -> None:
        """Record a run as started; the history keeps the newest :data:`RUNS_KEPT` runs, so that a state
        in cron for years does not grow by a row an hour."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO runs (run_id, command, started) VALUES (?, ?, ?)",
                       (run_id, command, utcnow()))
            db.execute("DELETE FROM runs WHERE rowid NOT IN (SELECT rowid FROM runs ORDER BY started DESC, rowid DESC "
                       "LIMIT ?)", (RUNS_KEPT,))

    def finish_run(self, run_id: str, exit_code: int, summary: Mapping[str, Any]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished = ?, exit_code = ?, summary = ? WHERE run_id = ?",
                       (utcnow(), exit_code, json.dumps(summary, ensure_ascii=False, sort_keys=True), run_id))

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT run_id, command, started, finished, exit_code, summary FROM runs "
                                 "ORDER BY started DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
        return [{"run_id": r[0], "command": r[1], "started": r[2], "finished": r[3], "exit_code": r[4],
                 "summary": json.loads(r[5]) if r[5] else None} for r in rows]

    def note_run(self, run_id: str, progress: Mapping[str, Any]) -> None:
        """Where an unfinished run stands (phase, plan, process): what `capxl10n runs` shows if it is killed.
        A finished run's summary is never replaced."""
        with self.transaction() as db:
            db.execute("UPDATE runs SET summary = ? WHERE run_id = ? AND finished IS NULL",
                       (json.dumps(progress, ensure_ascii=False, sort_keys=True), run_id))

    def run_history(self, since: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs started at or after ``since`` (``YYYY-MM-DDTHH:MM:SSZ``), newest first, at most ``limit``;
        rows as :meth:`runs` gives them."""
        rows = self.conn.execute(
            "SELECT run_id, command, started, finished, exit_code, summary FROM runs WHERE started >= ? "
            "ORDER BY started DESC, rowid DESC LIMIT ?", (since or "", -1 if limit is None else limit)).fetchall()
        return [{"run_id": r[0], "command": r[1], "started": r[2], "finished": r[3], "exit_code": r[4],
                 "summary": json.loads(r[5]) if r[5] else None} for r in rows]

    # -- recovery of interrupted applies (capxl10n.engine.recover) ---------------------------------
    def latest_plan(self) -> tuple[str, str, str] | None:
        """The newest plan's id, status and body: only it can hold writes no later run took into account.
        The body (a first contact's plan can be hundreds of megabytes) is read only while its apply is
        unfinished, the only time it is needed; otherwise it is ``""``."""
        row = self.conn.execute("SELECT plan_id, status FROM plans ORDER BY rowid DESC LIMIT 1").fetchone()
        if row is None:
            return None
        body: Any = ""
        if row[1] in UNFINISHED:
            body = self.conn.execute("SELECT body FROM plans WHERE plan_id = ?", (row[0],)).fetchone()[0]
        return str(row[0]), str(row[1]), body.decode("utf-8") if isinstance(body, bytes) else str(body)


class _Decoded:
    """A read cache row's bytes (their digest) and the snapshot they hold: its terms weakly (alive while a
    snapshot made of them is in use: a pull that found nothing new returns a new snapshot of the same
    terms), its side, tree and meta as they are (small)."""

    def __init__(self, digest: bytes, snapshot: Snapshot) -> None:
        self.digest = digest
        self.terms = weakref.ref(snapshot.terms)
        self.made = (snapshot.side, snapshot.capacities, snapshot.meta)

    def snapshot(self) -> Snapshot | None:
        terms = self.terms()
        if terms is None:
            return None
        side, capacities, meta = self.made
        return Snapshot(side, capacities, terms, meta)


#: (state file, side) → what this process decoded from (or stored as) a read cache row's bytes.
_DECODED: dict[tuple[str, str], _Decoded] = {}


#: State meta: the counter of :attr:`State.base_writes`.
BASE_WRITES: Final = "base_writes"
#: The key of a read cache row's cursor column that notes the digest and length of the row's snapshot bytes
#: (:meth:`State.row_digest`): readers of the cursor ignore it; a version that does not know it rewrites the
#: cursor without it, so a row it rewrote is not taken for the one noted.
ROW_NOTE: Final = "row"


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of this capxl10n's code (every module of the package): another version may merge, plan or
    count otherwise, so nothing one version kept to skip work (the sync's quiet record, what the catalogs
    and the coverage report were made from) is taken by another."""
    import capxl10n
    root = Path(capxl10n.__file__).resolve().parent
    digest = hashlib.sha256(getattr(capxl10n, "__version__", "").encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _count_base_write(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO meta VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
               (BASE_WRITES,))


def _text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


#: The read cache row of ``<side>+mark``: ``side``'s cursor when it moved only its time mark
#: (:meth:`State._move_cursor`); ``"over"`` in it names (by digest) the row cursor it stands for.
MARK: Final = "+mark"
OVER: Final = "over"


def _without_mark(cursor: str) -> Any:
    """A cursor's JSON without its time mark and the notes beside it (what must match for a mark row)."""
    try:
        data = json.loads(cursor)
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("high_water", ROW_NOTE, OVER):
            data.pop(key, None)
    return data


def _noted(cursor: str, row: tuple[str, int] | None) -> str:
    """The cursor's JSON text with the note of its row's bytes (none when they are not known)."""
    if row is None or not cursor.endswith("}"):
        return cursor
    return f'{cursor[:-1]},"{ROW_NOTE}":{json.dumps([row[0], row[1]])}}}'


def _blob_digest(stored: bytes) -> bytes:
    return hashlib.blake2b(stored, digest_size=16).digest()


def _cached_snapshot(stored: str | bytes, origin: str) -> Snapshot:
    """A read cache row's snapshot: the compact form (:meth:`Snapshot.dump_rows`, stored as bytes) or, as
    older versions stored it, a snapshot file's JSON text."""
    if isinstance(stored, bytes):
        return Snapshot.load_rows(stored, origin=origin)
    return Snapshot.loads(stored, origin=origin)


def _term_json(term: Term | None) -> str | None:
    return None if term is None else json.dumps(term.to_json(), ensure_ascii=False, sort_keys=True)


def _term_from(raw: str | None) -> Term | None:
    return None if raw is None else Term.from_json(json.loads(raw))


def _decision(text: str | None, source: str | None, made_on: str | None) -> Decision:
    """A stored decision with the values it was made on (and whether the Meta-Wiki one was outdated)."""
    if made_on is None:
        return Decision(text, source or "manual")
    values = json.loads(made_on)
    return Decision(text, source or "manual", (values[0], values[1]), bool(values[2]) if len(values) > 2 else False,
                    values[3] if len(values) > 3 else None)


def open_state(path: Path | str, *, create: bool = True) -> State:
    """Open (and create or migrate) the state at ``path``; refuse anything that is not ours."""
    path = Path(path)
    if path.exists():
        _check_header(path)
    elif not create:
        raise StateError(f"no state database at {path}", hint="run `capxl10n sync` (or plan/apply) first")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StateError(f"{path} is not a readable capxl10n state database ({exc})",
                         hint="move it aside; it is never overwritten") from None
    if app_id == 0 and version == 0 and tables == 0:
        pass  # empty or new file: ours to initialise
    elif app_id != APPLICATION_ID:
        conn.close()
        raise StateError(f"{path} is an SQLite file of another application (application_id {app_id:#x})",
                         hint="point --state (or the profile's state) at a capxl10n state file")
    elif version > SCHEMA_VERSION:
        conn.close()
        raise StateError(f"{path} was written by a newer capxl10n (schema {version}, this one knows "
                         f"{SCHEMA_VERSION})", hint="upgrade capxl10n; the file is left untouched")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL survives a killed process
        _migrate(conn, version)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StateError(f"{path}: cannot initialise or migrate the state: {exc}") from None
    return State(path, conn)


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StateError(f"cannot read the state file {path}: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise StateError(f"{path} is not an SQLite database (corrupt or a foreign file)",
                         hint="move it aside or choose another --state; it is never overwritten")


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for target in range(version + 1, SCHEMA_VERSION + 1):
        log.info("migrating state schema to version %d", target)
        step = MIGRATIONS[target]
        if isinstance(step, str):
            conn.executescript("BEGIN;" + step + f"PRAGMA user_version = {target};"
                               f"PRAGMA application_id = {APPLICATION_ID};COMMIT;")
            continue
        conn.execute("BEGIN")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def load_directory(profile: Profile) -> Snapshot:
    """The whole directory of ``profile.state`` (base and read cache; for the catalogs command)."""
    with open_state(profile.state, create=False) as state:
        return state.whole_directory()
