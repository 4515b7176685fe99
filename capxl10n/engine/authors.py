"""Who wrote each side of a conflict, and when.

The reads do not say it all: Wikibase keeps no author per label or description (a Metabase term
carries its item's last revision and time, ``wbgetentities`` names no user), and Translate's
``messagecollection`` names a unit's last translator and revision but not its time. For the
inbox, the revision is enough to ask: one ``prop=revisions&revids=…`` request per wiki names the
user and time of up to 50 revisions. It is asked only for a side the inbox does not already hold
with the same revision or the same text, so a run that meets the same conflicts again costs no
request, and a Metabase author stays who they were when the conflict was first seen (the item's
last edit then; our own later edits of other languages of the item move its revision, not the
term's writer). Docs: docs/sync.md, "The conflict inbox".
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from capxl10n.core.merge import Conflict
from capxl10n.core.model import Term, TermKey
from capxl10n.errors import RemoteError

log = logging.getLogger(__name__)

#: revision ids → {revid: (user, timestamp)}
Lookup = Callable[[Sequence[int]], Mapping[int, tuple[str | None, str | None]]]
BATCH = 50
SIDES = ("metabase", "metawiki")


def api_lookup(api: Any) -> Lookup:
    """A :data:`Lookup` over an ``ApiClient`` (GET only: safe in a dry run)."""
    def lookup(revids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
        out: dict[int, tuple[str | None, str | None]] = {}
        for start in range(0, len(revids), BATCH):
            chunk = revids[start:start + BATCH]
            data = api.get(action="query", prop="revisions", revids="|".join(str(r) for r in chunk),
                           rvprop="ids|user|timestamp")
            pages = (data.get("query") or {}).get("pages") or []
            for page in (pages.values() if isinstance(pages, Mapping) else pages):
                for rev in page.get("revisions") or ():
                    if rev.get("revid"):
                        out[int(rev["revid"])] = (rev.get("user"), rev.get("timestamp"))
        return out
    return lookup


def _incomplete(term: Term | None) -> bool:
    return term is not None and term.revision is not None and not (term.author and term.timestamp)


def with_authors(conflicts: Iterable[Conflict], known: Mapping[TermKey, tuple[Term | None, Term | None]],
                 lookups: Mapping[str, Lookup | None]) -> list[Conflict]:
    """``conflicts`` with the author and time of each side's revision filled in where the read lacked them.

    ``known`` holds the (Metabase, Meta-Wiki) sides the inbox already shows per key: what it knows for
    the same revision is reused; the rest is asked through ``lookups[side]`` (None: left as it is). A
    lookup that fails leaves its side as it is, logged: an author is worth no failed run.
    """
    conflicts = list(conflicts)
    found: dict[str, Mapping[int, tuple[str | None, str | None]]] = {}
    for index, side in enumerate(SIDES):
        missing = set()
        for c in conflicts:
            term = getattr(c, side)
            if _incomplete(term) and not _reusable(term, known.get(c.key, (None, None))[index]):
                missing.add(int(term.revision))
        lookup = lookups.get(side)
        if missing and lookup is not None:
            try:
                found[side] = lookup(sorted(missing))
            except RemoteError as exc:
                log.warning("%s: who made %d revision(s) is not known: %s", side, len(missing), exc.message)
    out = []
    for c in conflicts:
        sides = {}
        for index, side in enumerate(SIDES):
            term = getattr(c, side)
            if not _incomplete(term):
                continue
            before = known.get(c.key, (None, None))[index]
            if _reusable(term, before):
                user, stamp = before.author, before.timestamp  # type: ignore[union-attr]
            else:
                user, stamp = found.get(side, {}).get(int(term.revision), (None, None))
            sides[side] = replace(term, author=term.author or user, timestamp=term.timestamp or stamp)
        out.append(replace(c, **sides) if sides else c)
    return out


def _reusable(term: Term, before: Term | None) -> bool:
    """Whether the inbox's side still stands for ``term``: the same revision, or the same text (an item's
    revision moves with any edit of it, ours included, while the term's writer stays who they were)."""
    return before is not None and bool(before.author or before.timestamp) and (
        before.revision == term.revision or (before.text == term.text and before.fuzzy == term.fuzzy))
