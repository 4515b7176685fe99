"""The whole Wikibase term edit as one transaction: resolve, base revision, validate, patch, save.

Why apart: wbeditentity, wbsetlabel/description, seeding and the "concurrent editor" fault
all change terms the same way (the ``baserevid`` patching of :mod:`.edit` included), so
the rules live once, below both the API glue and the seeding.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from capxl10n.sandbox.store.wiki import User
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.edit import TermChange, apply_changes, patch, validate
from capxl10n.sandbox.wikibase.repo import WikibaseRepo
from capxl10n.sandbox.wikibase.validate import (
    edit_conflict,
    invalid_entity_id,
    no_such_entity_on_write,
    no_such_revision,
)


def _resolve(repo: WikibaseRepo, raw_id: str | None) -> tuple[str, wbe.Entity, wbe.PageInfo]:
    entity_id = wbe.normalize_id(raw_id or "")
    if entity_id is None:
        raise invalid_entity_id()
    found = repo.get(entity_id)
    if found is None:
        raise no_such_entity_on_write(entity_id)
    return entity_id, found[0], found[1]


def _base_entity(repo: WikibaseRepo, info: wbe.PageInfo, latest: wbe.Entity,
                 baserevid: int | None) -> wbe.Entity:
    if baserevid is None or baserevid == info.lastrevid:
        return latest
    rev = repo.wiki.revision(baserevid)
    if rev is None or rev.pageid != info.pageid:
        raise no_such_revision()
    return repo.parsed(rev.revid, rev.content)


@dataclass
class EditOutcome:
    """What a term write did: the entity shown in the answer and the revision it made."""

    shown: wbe.Entity
    lastrevid: int
    nochange: bool = False
    patched: bool = False
    created: bool = False


def edit_terms(repo: WikibaseRepo, entity_id: str | None, changes: Sequence[TermChange], *,
               user: User, baserevid: int | None = None, summary: Callable[[wbe.Entity], str],
               bot: bool = False, clear: bool = False, new_kind: str | None = None) -> EditOutcome:
    """The whole Wikibase term edit, under the store's lock (also used by seeding and hooks).

    ``summary`` builds the edit comment from the base entity (wbsetlabel names the old value).
    """
    wiki, layout = repo.wiki, repo.layout
    with wiki.lock:
        if new_kind is not None:
            entity_id = repo.next_id(new_kind)
            base = wbe.new_entity(entity_id)
            wanted = apply_changes(base, changes)
            validate(base, wanted, pairs=repo.holders_of, title_of=repo.title, article_path=layout.article_path)
            result = repo.save(wanted, user=user, summary=summary(base), bot=bot, create=True)
            assert result.revision is not None
            return EditOutcome(wanted, result.revision.revid, created=True)
        entity_id, latest, info = _resolve(repo, entity_id)
        base = _base_entity(repo, info, latest, baserevid)
        if clear:
            if base is not latest:
                raise edit_conflict()
            cleared = wbe.new_entity(entity_id, datatype=latest.get("datatype"))
            wanted = apply_changes(cleared, changes)
        else:
            wanted = apply_changes(base, changes)
        validate(base, wanted, pairs=repo.holders_of, title_of=repo.title, article_path=layout.article_path)
        unchanged = (wanted == base) if clear else not wbe.changed_terms(base, wanted)
        if unchanged:
            return EditOutcome(wanted, info.lastrevid, nochange=True)
        to_save = wanted if base is latest else patch(base, latest, wanted)
        result = repo.save(to_save, user=user, summary=summary(base), bot=bot)
        if result.nochange or result.revision is None:
            return EditOutcome(wanted, info.lastrevid, nochange=True)
        return EditOutcome(wanted, result.revision.revid, patched=base is not latest)
