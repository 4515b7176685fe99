"""The values every part of the sandbox's API frame shares: ApiError, Raw and ApiMain's constants.

Why a module of its own: parameter parsing, rendering, the site registry and
dispatch all raise or inspect these, so they live below all of them and none
of those modules has to import another just for an exception class.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCREF = ("See {api} for API usage. Subscribe to the mediawiki-api-announce mailing list at "
          "&lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; "
          "for notice of API deprecations and breaking changes.")

#: Parameters ApiMain itself understands (never "unrecognized").
MAIN_PARAMS = frozenset({
    "action", "format", "formatversion", "errorformat", "errorlang", "errorsuselocal", "maxlag",
    "assert", "assertuser", "curtimestamp", "utf8", "ascii", "servedby", "requestid", "origin",
    "uselang", "variant", "smaxage", "maxage", "callback", "responselanginfo", "centralauthtoken",
    "crossorigin", "continue", "rawcontinue", "indexpageids", "export", "exportnowrap", "iwurl",
    "redirects", "converttitles",
})
ERROR_FORMATS = ("bc", "plaintext", "wikitext", "html", "raw", "none")
QUERY_KINDS = ("list", "meta", "prop", "generator")

#: Rights of an anonymous user on a default MediaWiki.
ANON_RIGHTS = frozenset({"read", "edit", "createpage", "createtalk", "writeapi"})


class ApiError(Exception):
    """An API error answered as MediaWiki does (HTTP 200 + ``MediaWiki-API-Error``).

    ``data`` is merged into the ``error`` object (bc) or put under ``data``
    (plaintext); ``messages`` (Wikibase) are ``{"name", "parameters", "html"}``
    dicts whose ``html`` string the core renders per formatversion.
    """

    def __init__(self, code: str, info: str, *, data: Mapping[str, Any] | None = None,
                 messages: list[dict[str, Any]] | None = None, http_status: int = 200,
                 headers: Mapping[str, str] | None = None, module: str = "main") -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info
        self.data = dict(data or {})
        self.messages = messages
        self.http_status = http_status
        self.headers = dict(headers or {})
        self.module = module


class Raw:
    """A value rendered as is in both formatversions (a JSON boolean under fv1 too)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
