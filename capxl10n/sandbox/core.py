"""The MediaWiki Action API frame every sandbox site shares: parameters, errors, rendering.

Why a frame of our own: the sandbox's value is fidelity. Parameter validation,
error shapes, formatversion 1/2, warnings, continuation and the order of the
checks (ApiMain 1.39: docs/sandbox.md, "What is imitated") are the same for Metabase, Meta-Wiki and Wikidata, so
they live here once and the modules only say what they answer.

Handler interface (for mediawiki.py, translate.py, wikibase.py, wikidata.py)
---------------------------------------------------------------------------
A :class:`Site` is one wiki (``site.name`` in {"metabase", "metawiki",
"wikidata"}; ``site.wiki`` is its :class:`capxl10n.sandbox.wiki.Wiki` store).

``site.register_action(name, handler, *, must_post=False, token=None, write=False)``
    ``handler(req: ApiRequest) -> dict`` for ``action=name``. The dict is merged
    into the top level of the answer (``{"edit": {...}}``). ``must_post`` gives
    ``mustbeposted`` on GET; ``token="csrf"`` (or "login") makes the core check
    the token (``missingparam`` / ``mustpostparams`` / ``badtoken``); ``write``
    makes the action subject to read-only mode.

``site.register_query(kind, name, handler)`` with kind in list|meta|prop|generator:
    * list/meta: ``handler(req) -> dict`` merged into ``query`` (``{"allpages": [...]}``).
    * generator: ``handler(req) -> list[Page]`` (pages of the store; the handler
      reads its own parameters with the ``g`` prefix, e.g. ``gapnamespace``).
    * prop: ``handler(req, pages: list[PageOut]) -> None``: adds keys to each
      ``PageOut.data`` (the dict rendered for that page) for existing pages.
    To continue, any query handler calls ``req.continue_with({"apcontinue": "X"})``;
    the core builds ``continue``/``batchcomplete`` as ApiContinuationManager does
    and skips modules the client reports done. A generator passes ``generator=True``.

Handlers raise :class:`ApiError` for errors (never anything else for bad input;
an unexpected exception becomes ``internal_api_error_<Class>`` with HTTP 200,
as MediaWiki does). Handlers write fv2-style data: Python ``True``/``False``
become ``""``/absent under formatversion 1 (MediaWiki's BC booleans); wrap a
value in :class:`Raw` to keep it a JSON boolean in both versions. Text goes
under ``req.text_key("content")`` ("*" under fv1). ``query.pages`` is rendered
by the core (object keyed by page id under fv1, list under fv2).

Parameter helpers on :class:`ApiRequest` mirror MediaWiki's ParamValidator:
``get``, ``require`` (``missingparam``), ``flag``, ``int`` (``badinteger``,
clamping warning), ``limit`` ("max" and apihighlimits), ``multi``
(``toomanyvalues``, unknown values dropped with a warning), ``enum``
(``badvalue``). Parameters never read by anyone are reported as
"Unrecognized parameter" warnings, as MediaWiki does.

Where the frame lives (this module only re-exports, so ``from
capxl10n.sandbox.core import …`` keeps working): ``apierrors`` (ApiError, Raw,
ApiMain's constants), ``apirequest`` (ApiRequest and its parameter helpers),
``apisite`` (Site registry, fault hooks, PageOut), ``apirender`` (fv1/fv2,
warnings, errors, JSON body), ``apiquery`` (action=query and continuation),
``apidispatch`` (check order and the request flow).
"""
from __future__ import annotations

from capxl10n.sandbox.apidispatch import check_asserts, check_maxlag, dispatch, parse_format
from capxl10n.sandbox.apierrors import (
    ANON_RIGHTS, DOCREF, ERROR_FORMATS, MAIN_PARAMS, QUERY_KINDS, ApiError, Raw,
)
from capxl10n.sandbox.apiquery import run_query
from capxl10n.sandbox.apirender import (
    encode, now_ts, render_error, render_warnings, to_fv1, to_fv2,
)
from capxl10n.sandbox.apirequest import ApiRequest
from capxl10n.sandbox.apisite import (
    ActionHandler, ActionSpec, FaultHooks, NoFaults, PageOut, QueryHandler, Site,
)

__all__ = [
    "ANON_RIGHTS", "DOCREF", "ERROR_FORMATS", "MAIN_PARAMS", "QUERY_KINDS",
    "ActionHandler", "ActionSpec", "ApiError", "ApiRequest", "FaultHooks", "NoFaults", "PageOut",
    "QueryHandler", "Raw", "Site", "check_asserts", "check_maxlag", "dispatch", "encode", "now_ts",
    "parse_format", "render_error", "render_warnings", "run_query", "to_fv1", "to_fv2",
]
