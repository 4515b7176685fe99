"""What a wiki answers to one write: the one record every writer method returns.

``MetabaseClient.edit_item``, ``MetawikiClient.save_unit``, ``delete_unit`` and
``save_bundle`` (and the test fakes standing in for them) all return a
:class:`WriteResult`; apply keeps it per write (``engine.apply.Written``) and the
read cache absorbs it (``engine.absorb.absorb_writes``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WriteResult:
    """One write's answer.

    ``revision`` is the new revision (None for ``nochange``, and for a deletion, which makes none: its
    log id, ``logid``, counts in another sequence, and taken for a revision it could equal a later human
    revision of the page and hide it);
    ``nochange`` means the wiki already held exactly this (no revision was made);
    ``patched`` means Wikibase merged our edit with someone else's
    (``wikibase-conflict-patched``): the revision is ours but the content is not
    only ours, so it must be re-read; ``timestamp`` is the new revision's;
    ``based_on`` is the revision the new one was saved on, when the answer says so
    (a Wikibase edit sent with a base revision and not patched), else None.
    """

    revision: int | None
    nochange: bool = False
    patched: bool = False
    timestamp: str | None = None
    logid: int | None = None
    based_on: int | None = None


__all__ = ["WriteResult"]
