"""Who translated what in a window: the translators' revisions, read from both wikis in batches.

**Meta-Wiki**: the revisions of our bundle's unit pages (``Translations:<bundle>/<key>/<lang>``)
come from ``list=recentchanges`` on the Translations namespace between the window's ends
(``rcstart``/``rcend``, up to 500 rows a request, 5000 for a bot): one row per save, with its
user, its bot flag and whether it created the page. A created unit is a term **translated**; a
save over a unit that a history snapshot then saw go from outdated to current is a **fix**
(the last save before that snapshot); any other save is an **edit**.

**Metabase**: the item revisions come the same way (``list=recentchanges`` on the Item
namespace); which terms a revision changed is read from its content and its parent's,
``prop=revisions&revids=…`` with ``rvprop=content``, 50 revisions a request (the API's limit
with content): a label or description that appears is **translated**, one that changes is an
**edit**, one that goes is **removed**.

Never one request per term: a report costs one ``recentchanges`` request per 500 saves on
each wiki, plus one request per 25 human Metabase edits (each edit and its parent). Saves by
bots (the ``bot`` flag), by FuzzyBot and by our own accounts (the profile's bot passwords)
are left out: our bot copies a translator's text from one wiki to the other, and a ``.po``
import it writes is credited to the translator the state recorded at import time
(:meth:`State.contributions`).

Recent changes are kept for a while only (``$wgRCMaxAge``: 90 days on Wikimedia wikis): a
window older than that reads what is left and the report says so.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final

from capxl10n.catalogs.credits import ALWAYS_EXCLUDED, user_key
from capxl10n.core.model import DOC_LANGUAGE, FIELDS, MESSAGE_KEY_RE, SOURCE_LANGUAGE, TermKey
from capxl10n.core.report import Contribution, Kind, iso
from capxl10n.engine.clients import Clients
from capxl10n.wikis.wikibase import CONTENT_BATCH, entity_terms

log = logging.getLogger(__name__)

#: How long Wikimedia wikis keep recent changes ($wgRCMaxAge), in seconds.
RC_MAX_AGE: Final = 90 * 24 * 3600


def _seconds(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


@dataclass
class Revisions:
    """What the wikis' revisions say about a window: contributions, and what reading them cost."""

    contributions: list[Contribution] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    #: Saves left out, per reason (bot, our account, not a capacity, English or documentation).
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def _recent_changes(api: Any, namespace: int, since: int, until: int) -> Iterator[Mapping[str, Any]]:
    for page in api.query(list="recentchanges", rcnamespace=namespace, rcstart=iso(since), rcend=iso(until),
                          rcdir="newer", rctype="edit|new", rcprop="title|ids|timestamp|user|flags", rclimit="max"):
        yield from (page.get("query") or {}).get("recentchanges", []) or []


class _People:
    """Who counts as a translator: not a bot, not FuzzyBot, not one of our accounts."""

    def __init__(self, exclude: Iterable[str]) -> None:
        self.skip = {user_key(n) for n in (*ALWAYS_EXCLUDED, *exclude) if n and n.strip()}

    def why_not(self, row: Mapping[str, Any]) -> str | None:
        user = str(row.get("user") or "")
        if not user:
            return "hidden user"
        if row.get("bot"):
            return "bot"
        if user_key(user) in self.skip:
            return "our account"
        return None


def read_metawiki(clients: Clients, since: int, until: int, *, exclude: Iterable[str] = (),
                  fixes: Sequence[tuple[int, str, TermKey]] = (), languages: Iterable[str] | None = None,
                  into: Revisions | None = None) -> Revisions:
    """Translators' saves of unit pages on Meta-Wiki in ``[since, until]`` (see the module docstring)."""
    out = into or Revisions()
    client = clients.metawiki
    people = _People(exclude)
    wanted = set(languages) if languages is not None else None
    saves: list[tuple[int, str, TermKey, bool, int]] = []
    for row in _recent_changes(client.api, client.profile.translations_namespace, since, until):
        parsed = client.parse_unit_title(str(row.get("title", "")))
        if parsed is None or not MESSAGE_KEY_RE.match(parsed[0]):
            out.skip("not a unit of the bundle")
            continue
        if parsed[1] in (SOURCE_LANGUAGE, DOC_LANGUAGE):
            out.skip("English or documentation")
            continue
        why = people.why_not(row)
        if why:
            out.skip(why)
            continue
        key = TermKey.from_message_key(parsed[0], parsed[1])
        if wanted is not None and key.lang not in wanted:
            continue
        saves.append((_seconds(str(row["timestamp"])), user_key(str(row["user"])), key, row.get("type") == "new",
                      int(row.get("revid") or 0)))
    # A fix: the last human save of an outdated unit before the snapshot that saw it current.
    fixed_at: dict[TermKey, list[int]] = {}
    for taken, side, key in fixes:
        if side == "metawiki":
            fixed_at.setdefault(key, []).append(taken)
    fixing: set[int] = set()
    for key, times in fixed_at.items():
        mine = sorted((t, i) for i, (t, _u, k, _n, _r) in enumerate(saves) if k == key)
        for taken in times:
            before = [i for t, i in mine if t <= taken]
            if before:
                fixing.add(before[-1])
    for i, (stamp, user, key, created, revid) in enumerate(saves):
        kind: Kind = "translated" if created else "fixed" if i in fixing else "edited"
        out.contributions.append(Contribution(user, "metawiki", key, kind, stamp, revid))
    return out


def _entity_terms(content: str | None) -> dict[tuple[str, str], str]:
    if not content:
        return {}
    try:
        entity = json.loads(content)
    except ValueError:
        return {}
    if not isinstance(entity, Mapping):
        return {}
    return {key: text for key, text in entity_terms(entity).items() if text}


def read_metabase(clients: Clients, since: int, until: int, items: Mapping[str, str], *, exclude: Iterable[str] = (),
                  languages: Iterable[str] | None = None, into: Revisions | None = None) -> Revisions:
    """Translators' edits of capacity items on Metabase in ``[since, until]``; ``items`` maps item → QID."""
    out = into or Revisions()
    client = clients.metabase
    people = _People(exclude)
    wanted = set(languages) if languages is not None else None
    edits: list[tuple[int, str, str, int, int]] = []
    for row in _recent_changes(client.api, client.profile.item_namespace, since, until):
        item = str(row.get("title", "")).split(":", 1)[-1]
        if item not in items:
            out.skip("not a capacity")
            continue
        why = people.why_not(row)
        if why:
            out.skip(why)
            continue
        edits.append((_seconds(str(row["timestamp"])), user_key(str(row["user"])), item, int(row.get("revid") or 0),
                      int(row.get("old_revid") or 0)))
    contents = client.revision_contents([r for *_rest, rev, old in edits for r in (rev, old) if r])
    for stamp, user, item, revid, old_revid in edits:
        if revid not in contents:
            out.notes.append(f"Metabase revision {revid} of {item} could not be read (deleted or hidden)")
            continue
        new, old = _entity_terms(contents.get(revid)), _entity_terms(contents.get(old_revid))
        for fld, lang in sorted(set(new) | set(old)):
            if lang in (SOURCE_LANGUAGE, DOC_LANGUAGE) or fld not in FIELDS or new.get((fld, lang)) == old.get((fld, lang)):
                continue
            if wanted is not None and lang not in wanted:
                continue
            kind: Kind = "translated" if (fld, lang) not in old else "removed" if (fld, lang) not in new else "edited"
            out.contributions.append(Contribution(user, "metabase", TermKey(items[item], fld, lang), kind, stamp,
                                                  revid))
    return out


def read_revisions(clients: Clients, since: int, until: int, items: Mapping[str, str], *,
                   exclude: Iterable[str] = (), fixes: Sequence[tuple[int, str, TermKey]] = (),
                   languages: Iterable[str] | None = None, now: int | None = None) -> Revisions:
    """Both wikis' translators' work in ``[since, until]``, with the requests it cost per wiki."""
    out = Revisions()
    langs = list(languages) if languages is not None else None
    start = {"metabase": clients.metabase.api.requests_made, "metawiki": clients.metawiki.api.requests_made}
    read_metawiki(clients, since, until, exclude=exclude, fixes=fixes, languages=langs, into=out)
    read_metabase(clients, since, until, items, exclude=exclude, languages=langs, into=out)
    out.requests = {"metabase": clients.metabase.api.requests_made - start["metabase"],
                    "metawiki": clients.metawiki.api.requests_made - start["metawiki"]}
    if now is not None and since < now - RC_MAX_AGE:
        out.notes.append(f"the wikis keep recent changes for {RC_MAX_AGE // 86400} days: saves before "
                         f"{iso(now - RC_MAX_AGE)} may be missing from the translators' list")
    out.contributions.sort(key=lambda c: (c.timestamp, c.channel, c.key.sort_key()))
    return out


__all__ = ["CONTENT_BATCH", "RC_MAX_AGE", "Revisions", "read_metabase", "read_metawiki", "read_revisions"]
