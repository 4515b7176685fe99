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

#: Parameters ApiMain and the json format module understand for every action (never "unrecognized");
#: ``callback`` (JSONP) is refused by dispatch, the rest are honoured. Query's own (``continue``,
#: ``redirects``, ``indexpageids``…) are read by action=query, so other actions warn about them as MediaWiki does.
MAIN_PARAMS = frozenset({
    "action", "format", "formatversion", "utf8", "ascii", "callback", "errorformat", "errorlang",
    "errorsuselocal", "maxlag", "assert", "assertuser", "curtimestamp", "servedby", "requestid", "origin",
    "uselang", "variant", "smaxage", "maxage", "responselanginfo",
})
ERROR_FORMATS = ("bc", "plaintext", "wikitext", "html", "raw", "none")
#: The one error code for what the real software does but the sandbox does not (docs/sandbox-differences.md).
UNSUPPORTED = "sandbox-unsupported"
#: ApiMain's Cache-Control when nothing may be cached (every error, every private answer without maxage).
NO_CACHE = "private, must-revalidate, max-age=0"
QUERY_KINDS = ("list", "meta", "prop", "generator")

#: Rights of an anonymous user on a default MediaWiki.
ANON_RIGHTS = frozenset({"read", "edit", "createpage", "createtalk", "writeapi"})


class ApiError(Exception):
    """An API error answered as MediaWiki does (HTTP 200 + ``MediaWiki-API-Error``).

    ``data`` is merged into the ``error`` object (bc) or put under ``data``
    (other error formats); ``messages`` (Wikibase) are ``{"name", "parameters", "html"}``
    dicts whose ``html`` string the core renders per formatversion. ``key`` and
    ``params`` are the message behind ``info`` (``errorformat=raw`` shows them;
    MediaWiki's own errors are ``apierror-<code>`` with no parameters unless told).
    """

    def __init__(self, code: str, info: str, *, data: Mapping[str, Any] | None = None,
                 messages: list[dict[str, Any]] | None = None, http_status: int = 200,
                 headers: Mapping[str, str] | None = None, module: str = "main",
                 key: str | None = None, params: list[Any] | None = None) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info
        self.key = key or f"apierror-{code}"
        self.params = list(params or [])
        self.data = dict(data or {})
        self.messages = messages
        self.http_status = http_status
        self.headers = dict(headers or {})
        self.module = module


def unsupported(what: str, module: str = "main") -> ApiError:
    """The refusal of something the real wiki does and the sandbox does not: never accepted and dropped."""
    return ApiError(UNSUPPORTED, f"The sandbox does not implement {what} (docs/sandbox-differences.md).",
                    module=module, key="sandbox-unsupported", params=[what])


def plain(*values: Any) -> list[dict[str, Any]]:
    """ParamValidator's message parameters as ``errorformat=raw`` shows them (``{"plaintext": …}``)."""
    return [{"plaintext": str(v)} for v in values]


class Raw:
    """A value rendered as is in both formatversions (a JSON boolean under fv1 too)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
