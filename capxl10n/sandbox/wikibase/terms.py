"""The whole Wikibase entity edit as one transaction: resolve, base revision, validate, patch, save.

Why apart: wbeditentity, wbsetlabel/description, wbsetaliases, the claim modules, seeding and
the "concurrent editor" fault all change entities the same way (the ``baserevid`` patching of
:mod:`.edit` included), so the rules live once, below both the API glue and the seeding.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from capxl10n.sandbox.store.wiki import User
from capxl10n.sandbox.wikibase import entity as wbe
from capxl10n.sandbox.wikibase.edit import Change, apply_changes, patch, validate, with_guids
from capxl10n.sandbox.wikibase.repo import WikibaseRepo
from capxl10n.sandbox.wikibase.validate import (
    edit_conflict,
    invalid_entity_id,
    no_such_entity_on_write,
    no_such_revision,
)

#: ``summary(base, wanted)``: the edit comment, from the entity before and after the user's change
Summary = Callable[[wbe.Entity, wbe.Entity], str]


def resolve(repo: WikibaseRepo, raw_id: str | None) -> tuple[str, wbe.Entity, wbe.PageInfo]:
    """The entity an edit names, or the real refusal (``invalid-entity-id``, ``no-such-entity``)."""
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
    """What an entity write did: the entity shown in the answer and the revision it made."""

    shown: wbe.Entity
    lastrevid: int
    nochange: bool = False
    patched: bool = False
    created: bool = False


def edit_entity(repo: WikibaseRepo, entity_id: str | None, changes: Sequence[Change], *,
                user: User, baserevid: int | None = None, summary: Summary, bot: bool = False,
                clear: bool = False, new_kind: str | None = None, datatype: str | None = None) -> EditOutcome:
    """The whole Wikibase edit, under the store's lock (also used by seeding and hooks)."""
    wiki, layout = repo.wiki, repo.layout

    def check(before: wbe.Entity, after: wbe.Entity) -> None:
        validate(before, after, pairs=repo.holders_of, title_of=repo.title, article_path=layout.article_path,
                 property_labels=repo.properties_labelled)

    with wiki.lock:
        if new_kind is not None:
            entity_id = repo.next_id(new_kind)
            base = wbe.new_entity(entity_id, datatype=datatype)
            wanted = with_guids(apply_changes(base, changes), entity_id)
            check(base, wanted)
            result = repo.save(wanted, user=user, summary=summary(base, wanted), bot=bot, create=True)
            assert result.revision is not None
            return EditOutcome(wanted, result.revision.revid, created=True)
        entity_id, latest, info = resolve(repo, entity_id)
        base = _base_entity(repo, info, latest, baserevid)
        if clear:
            if base is not latest:
                raise edit_conflict()
            cleared = wbe.new_entity(entity_id, datatype=latest.get("datatype"))
            wanted = apply_changes(cleared, changes)
        else:
            wanted = apply_changes(base, changes)
        check(base, wanted)
        unchanged = (wanted == base) if clear else not wbe.changed_aspects(base, wanted)
        if unchanged:
            return EditOutcome(wanted, info.lastrevid, nochange=True)
        to_save = wanted if base is latest else patch(base, latest, wanted)
        result = repo.save(to_save, user=user, summary=summary(base, wanted), bot=bot)
        if result.nochange or result.revision is None:
            return EditOutcome(wanted, info.lastrevid, nochange=True)
        return EditOutcome(wanted, result.revision.revid, patched=base is not latest)
