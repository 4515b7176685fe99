"""Wikidata: labels and descriptions of the linked concepts, read only, as suggestions.

Wikidata stores language-independent labels under ``mul`` and expects
readers to fall back to it; a language without its own label gets the ``mul``
value here, listed in the read's cursor (``WikidataCursor.from_mul``) so no one mistakes
it for a translation. A concept's description is not the capacity's
description: these terms are never pushed anywhere without a human.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Any, Final

from capxl10n.wikis.http import ApiClient
from capxl10n.wikis.wikibase import batched, entity_terms
from capxl10n.core.cursors import WikidataCursor
from capxl10n.core.model import QID_RE, Capacity, Snapshot, Term, TermKey, qid_sort_key
from capxl10n.profile import WikidataProfile

log = logging.getLogger(__name__)

MUL: Final = "mul"


class WikidataClient:
    def __init__(self, api: ApiClient, profile: WikidataProfile | None = None) -> None:
        self.api = api
        self.profile = profile

    def read_terms(self, qids: Sequence[str], languages: Collection[str] | None = None
                   ) -> tuple[Snapshot, WikidataCursor]:
        """Terms of ``qids`` (side ``wikidata``), 50 ids per request; ``mul`` fills languages without a label.
        The cursor names the languages read and the terms ``mul`` filled."""
        wanted = sorted({q for q in qids if QID_RE.match(q)}, key=qid_sort_key)
        terms: dict[TermKey, Term] = {}
        from_mul: list[str] = []
        lang_filter = None
        if languages is not None and len(set(languages) | {MUL}) <= 50:
            lang_filter = sorted(set(languages) | {MUL})
        size = 500 if self.api.has_high_limits else 50
        for batch in batched(wanted, size):
            params: dict[str, Any] = {"action": "wbgetentities", "ids": batch,
                                      "props": "info|labels|descriptions"}
            if lang_filter:
                params["languages"] = lang_filter
            data = self.api.get(**params)
            for qid, entity in (data.get("entities") or {}).items():
                if not isinstance(entity, dict) or "missing" in entity or not QID_RE.match(str(qid)):
                    continue
                revision = entity.get("lastrevid")
                found = entity_terms(entity)
                for (fld, lang), text in found.items():
                    if languages is not None and lang not in languages and lang != MUL:
                        continue
                    terms[TermKey(str(qid), fld, lang)] = Term(  # type: ignore[arg-type]
                        text=text, revision=int(revision) if revision else None, side="wikidata",
                        timestamp=entity.get("modified"))
                if languages is None:
                    continue
                for fld in ("label", "description"):
                    mul = found.get((fld, MUL))
                    if mul is None:
                        continue
                    for lang in sorted(languages):
                        if lang != MUL and (fld, lang) not in found:
                            terms[TermKey(str(qid), fld, lang)] = Term(  # type: ignore[arg-type]
                                text=mul, revision=int(revision) if revision else None, author=MUL,
                                side="wikidata", timestamp=entity.get("modified"))
                            from_mul.append(f"{qid}/{fld}/{lang}")
        capacities = tuple(Capacity(qid=q) for q in wanted)
        cursor = WikidataCursor(languages=None if languages is None else tuple(languages),
                                from_mul=tuple(sorted(from_mul)))
        return Snapshot(side="wikidata", capacities=capacities, terms=terms), cursor
