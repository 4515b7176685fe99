"""Read built catalogs at run time: capacity names and descriptions per language.

For Python consumers such as the CapX Django back end, replacing live SPARQL
queries: everything is answered from ``<catalogs>/json/`` (built by
``capxl10n catalogs``), with the MediaWiki fallback chain already resolved at
build time, so there is no network access and no per-request work beyond a
dict look-up. Files are read lazily, once per language, and cached.

>>> # catalogs = Catalogs("catalogs")
>>> # catalogs.name("Q7397", "pt-br")  -> Message(text='…', lang='pt', requested='pt-br', …)

A language that was not built at all (say ``pt-br`` when only ``pt`` was)
is answered from the first built language of its fallback chain; the
``Message`` says which language the text is really in.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capxl10n.errors import CatalogError
from capxl10n.core.model import FIELDS, QID_RE, SOURCE_LANGUAGE

log = logging.getLogger(__name__)
#: A build refuses to overwrite a damaged file (it cannot tell it is ours), so the hint says to delete it first.
_REBUILD = ("delete {path} and rebuild the catalogs with `capxl10n catalogs --out DIR` (with no other source "
            "it rebuilds from DIR/directory.json); `capxl10n catalogs --check --out DIR` lists every damaged file")


@dataclass(frozen=True)
class Message:
    """One resolved string and where it came from."""

    text: str
    lang: str          # the language the text is in
    requested: str     # the language that was asked for
    side: str | None   # where the term was read from (metabase, metawiki…)
    fuzzy: bool        # a translation in a preferred language was outdated and skipped

    @property
    def is_fallback(self) -> bool:
        return self.lang != self.requested


@dataclass(frozen=True)
class CapacityText:
    qid: str
    name: Message | None
    description: Message | None


class Catalogs:
    """Built JSON catalogs under ``path`` (the catalogs directory or its ``json/`` folder)."""

    def __init__(self, path: str | Path) -> None:
        root = Path(path)
        self.json_dir = root if (root / "index.json").is_file() or root.name == "json" else root / "json"
        self._files: dict[str, dict[str, Any] | None] = {}
        self._index: dict[str, Any] | None = None
        self._lock = threading.Lock()

    # -- loading -----------------------------------------------------------------
    def _load_json(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CatalogError(f"{path}: cannot read catalog: {exc}", hint=_REBUILD.format(path=path)) from None

    def index(self) -> dict[str, Any]:
        """``index.json`` (languages, hashes, coverage); empty when the catalogs have none."""
        if self._index is None:
            data = self._load_json(self.json_dir / "index.json")
            self._index = data if isinstance(data, dict) else {}
        return self._index

    def languages(self) -> tuple[str, ...]:
        """The MediaWiki codes of the built language files."""
        listed = [entry.get("code") for entry in self.index().get("languages", []) if isinstance(entry, dict)]
        if listed:
            return tuple(str(code) for code in listed)
        return tuple(sorted(p.stem for p in self.json_dir.glob("*.json") if p.stem not in ("index", "qqq")))

    def _file(self, lang: str) -> dict[str, Any] | None:
        with self._lock:
            if lang not in self._files:
                data = self._load_json(self.json_dir / f"{lang}.json") if "/" not in lang else None
                if data is not None and not isinstance(data, dict):
                    path = self.json_dir / f"{lang}.json"
                    raise CatalogError(f"{path}: not a banana JSON object", hint=_REBUILD.format(path=path))
                self._files[lang] = data
            return self._files[lang]

    def chain(self, lang: str) -> tuple[str, ...]:
        """Where answers for ``lang`` are looked up: the language, its fallbacks, then English."""
        for entry in self.index().get("languages", []):
            if isinstance(entry, dict) and entry.get("code") == lang:
                return tuple(dict.fromkeys([lang, *entry.get("fallbacks", []), SOURCE_LANGUAGE]))
        try:
            from capxl10n.core import langs

            return tuple(langs.fallback_chain(lang))
        except Exception:  # an unknown or malformed code: still answer in English
            log.debug("no fallback chain for %r; using English", lang)
            return tuple(dict.fromkeys([lang, SOURCE_LANGUAGE]))

    # -- answers -----------------------------------------------------------------
    def message(self, qid: str, field: str, lang: str) -> Message | None:
        """The string for ``qid``'s ``field`` in ``lang`` (fallbacks resolved), or None."""
        if field not in FIELDS:
            raise ValueError(f"unknown field {field!r}; use 'label' or 'description'")
        if not QID_RE.match(qid):
            raise ValueError(f"not a Wikidata QID: {qid!r}")
        key = f"{qid}-{field}"
        for code in self.chain(lang):
            data = self._file(code)
            if data is None:
                continue  # not built: the next language of the chain answers
            text = data.get(key)
            if not isinstance(text, str):
                return None  # the file already holds the resolved chain: nothing further down has it
            record = ((data.get("@metadata") or {}).get("provenance") or {}).get(key) or {}
            return Message(text, str(record.get("lang", code)), lang, record.get("side"),
                           bool(record.get("fuzzy", False)))
        return None

    def name(self, qid: str, lang: str) -> Message | None:
        return self.message(qid, "label", lang)

    def description(self, qid: str, lang: str) -> Message | None:
        return self.message(qid, "description", lang)

    def capacity(self, qid: str, lang: str) -> CapacityText:
        return CapacityText(qid, self.name(qid, lang), self.description(qid, lang))
