"""The demo: the whole job, end to end, on the built-in sandbox.

It starts the sandbox (Metabase, Meta-Wiki and Wikidata on loopback), runs a
first sync against it, lets a volunteer translate on Meta-Wiki and an editor
change a term on Metabase, syncs again so each change lands on the other
side, shows that a third sync is a no-op, prints coverage, and stops the
sandbox. Nothing outside the sandbox is contacted; the state lives in a
temporary directory unless ``--state`` is given, the catalogs go where the
profile (or ``--catalogs``) says.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import mwclient
import mwclient.errors

from capxl10n.errors import EXIT_CONFLICTS, EXIT_OK
from capxl10n.core.model import TermKey
from capxl10n.profile import Profile, load_profile

Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    profile: str = "sandbox"
    seed: int = 1
    capacities: int = 250
    languages: int = 42
    latency_ms: float = 0.0
    state: Path | None = None
    catalogs: Path | None = None


@dataclass
class DemoResult:
    """What the demo did: one entry per sync with its exit code and request count."""

    syncs: list[dict[str, Any]] = field(default_factory=list)
    translated: TermKey | None = None
    edited: TermKey | None = None
    landed: dict[str, bool] = field(default_factory=dict)
    catalogs: Path | None = None

    @property
    def exit_code(self) -> int:
        ok = all(self.landed.values()) and self.syncs and self.syncs[-1]["exit_code"] in (EXIT_OK, EXIT_CONFLICTS)
        return EXIT_OK if ok else 1


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class Volunteer:
    """A human (the sandbox's second user) editing through the public API with mwclient, as a volunteer's
    own script would: mwclient logs in, fetches the tokens and reports refusals as errors."""

    def __init__(self, sandbox: Any) -> None:
        from capxl10n.sandbox.server import PEER_PASSWORD, PEER_USER

        self.sandbox, self.user, self.password = sandbox, f"{PEER_USER}@capxl10n", PEER_PASSWORD
        self.sites: dict[str, mwclient.Site] = {}

    def _site(self, name: str) -> mwclient.Site:
        if name not in self.sites:
            url = urlsplit(self.sandbox.api_url(name))
            site = mwclient.Site(url.netloc, path=url.path.removesuffix("api.php"), scheme=url.scheme,
                                 clients_useragent="capxl10n-demo-volunteer", max_retries=0)
            site.login(self.user, self.password)
            self.sites[name] = site
        return self.sites[name]

    def post(self, site: str, action: str, **params: Any) -> dict[str, Any]:
        wiki = self._site(site)
        try:
            answer: dict[str, Any] = wiki.post(action, token=wiki.get_token("csrf"), **params)
        except mwclient.errors.APIError as exc:
            raise RuntimeError(f"volunteer edit refused: {exc.code}: {exc.info}") from exc
        return answer


def _pick_untranslated(directory: Any, lang: str) -> TermKey | None:
    for cap in directory.capacities:
        key = TermKey(cap.qid, "description", lang)
        if directory.get(key) is None and directory.get(TermKey(cap.qid, "description", "en")) is not None:
            return key
    return None


def _pick_translated(directory: Any, lang: str) -> TermKey | None:
    return next((k for k, t in directory.terms_in(lang) if k.field == "label" and not t.fuzzy), None)


def run_demo(options: DemoOptions, echo: Echo) -> DemoResult:
    """Run the demo and narrate it through ``echo``."""
    from capxl10n.core import coverage
    from capxl10n.cli import render
    from capxl10n.core.plan import render_summary
    from capxl10n.sandbox import require as require_sandbox

    require_sandbox()
    from capxl10n.sandbox.server import Sandbox, credentials_env
    from capxl10n.engine.state import open_state
    from capxl10n.engine.sync import sync

    result = DemoResult()
    with tempfile.TemporaryDirectory(prefix="capxl10n-demo-") as tmp, \
            Sandbox(seed=options.seed, capacities=options.capacities, languages=options.languages,
                    latency_ms=options.latency_ms) as sandbox, _environment(credentials_env()):
        base: Profile = load_profile(options.profile).rebase(sandbox.url)
        profile = base.with_paths(state=options.state or Path(tmp) / "state.sqlite",
                                  catalogs=options.catalogs or base.catalogs)
        result.catalogs = profile.catalogs
        echo(f"sandbox up at {sandbox.url} ({options.capacities} capacities, {options.languages} languages)")
        for site, url in sandbox.urls.items():
            echo(f"  {site:9} {url}")

        def run(title: str) -> Any:
            sandbox.stats.reset()
            outcome = sync(profile)
            requests_made = sandbox.stats.total
            entry = {"step": title, "exit_code": outcome.exit_code, "requests": requests_made,
                     "operations": len(outcome.planned.plan.operations),
                     "conflicts": outcome.planned.open_conflicts}
            result.syncs.append(entry)
            echo(f"\n== {title}: exit {outcome.exit_code}, {requests_made} requests ==")
            echo(render_summary(outcome.planned.plan))
            return outcome

        run("first sync (no base yet: one-sided values are copied, the profile's side wins on first contact)")
        with open_state(profile.state) as state:
            directory = state.directory()
        volunteer = Volunteer(sandbox)
        bundle = profile.metawiki.bundle_page
        result.translated = _pick_untranslated(directory, "pt-br") or _pick_untranslated(directory, "es")
        if result.translated is not None:
            key = result.translated
            text = f"Tradução feita durante o translat-a-thon ({key.qid})"
            volunteer.post("metawiki", action="edit", title=f"Translations:{bundle}/{key.message_key}/{key.lang}",
                           text=text, summary="translat-a-thon")
            echo(f"\na volunteer translates {key.message_key} into {key.lang} on Meta-Wiki")
        result.edited = _pick_translated(directory, "fr")
        if result.edited is not None:
            key = result.edited
            cap = directory.capacity(key.qid)
            volunteer.post("metabase", action="wbsetlabel", id=cap.item if cap else "", language=key.lang,
                           value=f"{directory.get(key).text} (révisé)")  # type: ignore[union-attr]
            echo(f"an editor improves the {key.lang} label of {key.qid} on Metabase")
        run("second sync (each human edit lands on the other side)")
        with open_state(profile.state) as state:
            directory = state.directory()
        if result.translated is not None:
            result.landed["metawiki→metabase"] = directory.get(result.translated) is not None
        if result.edited is not None:
            term = directory.get(result.edited)
            result.landed["metabase→metawiki"] = term is not None and term.text.endswith("(révisé)")
        for way, ok in result.landed.items():
            echo(f"  {way}: {'landed' if ok else 'NOT landed'}")
        run("third sync (nothing changed: incremental no-op)")
        with open_state(profile.state) as state:
            whole = state.whole_directory()  # what the catalogs hold: outdated units and every language too
        echo("\n== coverage of the catalogs (first 12 languages) ==")
        report = coverage.coverage(whole)
        echo(render.render(replace(report, rows=report.rows[:12]), "table"))
        echo(f"\ncatalogs written under {profile.catalogs}/ (capacities.pot, <locale>/LC_MESSAGES/capacities.po "
             f"and .mo, json/<code>.json)")
    return result
