"""The site registry: one wiki's store, its registered action and query modules, its fault hooks.

Why apart from dispatch: modules (mediawiki/, translate/, wikibase/,
wikidata/) only register handlers on a :class:`Site`; they never need the
request flow, and the flow only looks modules up here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from capxl10n.sandbox.api.errors import QUERY_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from capxl10n.sandbox.api.request import ApiRequest
    from capxl10n.sandbox.store.wiki import Page, Wiki


class FaultHooks(Protocol):
    """What the fault injector may change inside the API flow (faults.py implements it)."""

    def readonly_reason(self, site: Site) -> str | None: ...
    def lag(self, site: Site) -> float: ...
    def force_badtoken(self, req: ApiRequest) -> bool: ...
    def before_write(self, req: ApiRequest) -> None: ...


class NoFaults:
    """The default hooks: a healthy wiki."""

    def readonly_reason(self, site: Site) -> str | None:
        return None

    def lag(self, site: Site) -> float:
        return 0.0

    def force_badtoken(self, req: ApiRequest) -> bool:
        return False

    def before_write(self, req: ApiRequest) -> None:
        return None


ActionHandler = Callable[["ApiRequest"], dict[str, Any]]
QueryHandler = Callable[..., Any]


@dataclass
class ActionSpec:
    name: str
    handler: ActionHandler
    must_post: bool = False
    token: str | None = None
    write: bool = False


@dataclass
class PageOut:
    """One entry of ``query.pages``: the store's page (None when missing) and its rendered dict."""

    page: Page | None
    data: dict[str, Any]
    #: The revisions a ``revids=`` query asked for on this page (prop=revisions shows those, not the latest).
    revids: list[int] | None = None


@dataclass
class Site:
    """One wiki on the sandbox: its store, its modules and its public URLs."""

    name: str
    wiki: Wiki
    base_path: str = ""          # "/metawiki"
    server: str = "http://127.0.0.1"
    faults: Any = field(default_factory=NoFaults)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    queries: dict[str, dict[str, QueryHandler]] = field(
        default_factory=lambda: {kind: {} for kind in QUERY_KINDS})
    #: extra keys for meta=siteinfo general (Wikibase adds its own)
    siteinfo_extra: dict[str, Any] = field(default_factory=dict)
    #: $wgContentNamespaces (siteinfo ``content``): Metabase adds Item (120) but not Property (122)
    content_namespaces: set[int] = field(default_factory=lambda: {0})
    #: $wgNamespaceProtection shown by siteinfo (Translate protects 1198 with ``translate``)
    namespace_protection: dict[int, str] = field(default_factory=lambda: {8: "editinterface"})
    #: extensions' hooks into action=edit before the save (``filter(req, EditContext)``; Translate's bundle
    #: and unit pages); they may change the text, model or tags, or refuse
    edit_filters: list[Callable[..., None]] = field(default_factory=list)
    #: ApiCheckCanExecute hooks, run by dispatch before any module (Wikibase refuses action=edit on entities)
    can_execute: list[Callable[[ApiRequest], None]] = field(default_factory=list)
    #: change tags a user may add to an edit (``tags=``); none are defined on a fresh wiki
    change_tags: set[str] = field(default_factory=set)
    #: Special:Version's extensions (meta=siteinfo&siprop=extensions), as each installed part registers itself
    extensions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"{self.server}{self.base_path}/w/api.php"

    def register_action(self, name: str, handler: ActionHandler, *, must_post: bool = False,
                        token: str | None = None, write: bool = False) -> None:
        self.actions[name] = ActionSpec(name, handler, must_post, token, write)

    def register_query(self, kind: str, name: str, handler: QueryHandler) -> None:
        if kind not in QUERY_KINDS:
            raise ValueError(f"unknown query module kind {kind!r}; use one of {QUERY_KINDS}")
        self.queries[kind][name] = handler

    def module_names(self) -> list[str]:
        names = set(self.actions)
        for kind in QUERY_KINDS:
            names.update(self.queries[kind])
        return sorted(names)
