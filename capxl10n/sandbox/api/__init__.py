"""MediaWiki's Action API frame (ApiMain of MediaWiki 1.39) that every sandbox site shares.

Why a frame of our own: the sandbox's value is fidelity. Parameter validation,
error shapes, formatversion 1/2, warnings, continuation and the order of the
checks (ApiMain 1.39: docs/sandbox.md, "What is imitated") are the same for Metabase, Meta-Wiki and Wikidata, so
they live here once and the modules only say what they answer.

Handler interface (for the sandbox's mediawiki, translate, wikibase and wikidata packages)
------------------------------------------------------------------------------------------
A :class:`~.site.Site` is one wiki (``site.name`` in {"metabase", "metawiki",
"wikidata"}; ``site.wiki`` is its :class:`capxl10n.sandbox.store.wiki.Wiki` store).

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

Handlers raise :class:`~.errors.ApiError` for errors (never anything else for bad input;
an unexpected exception becomes ``internal_api_error_<Class>`` with HTTP 200,
as MediaWiki does). Handlers write fv2-style data: Python ``True``/``False``
become ``""``/absent under formatversion 1 (MediaWiki's BC booleans); wrap a
value in :class:`~.errors.Raw` to keep it a JSON boolean in both versions. Text goes
under ``req.text_key("content")`` ("*" under fv1). ``query.pages`` is rendered
by the core (object keyed by page id under fv1, list under fv2).

Parameter helpers on :class:`~.request.ApiRequest` mirror MediaWiki's ParamValidator:
``get``, ``require`` (``missingparam``), ``flag``, ``int`` (``badinteger``,
clamping warning), ``limit`` ("max" and apihighlimits), ``multi``
(``toomanyvalues``, unknown values dropped with a warning), ``enum``
(``badvalue``). Parameters never read by anyone are reported as
"Unrecognized parameter" warnings, as MediaWiki does.

The modules:
``errors`` (ApiError, Raw, ApiMain's constants), ``request`` (ApiRequest and its
parameter helpers), ``site`` (the Site registry, fault hooks, PageOut), ``render``
(fv1/fv2, warnings, errors, JSON body), ``query`` (action=query and continuation),
``dispatch`` (the check order and the request flow). The frame sits on the
MediaWiki-core store (:mod:`capxl10n.sandbox.store`): a request's session and user
and a site's pages are the store's. This package imports nothing here: import each
name from the module that defines it.
"""
