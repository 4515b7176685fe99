"""End to end on the real peer, through the CLI: Metabase and Meta-Wiki are the same real wiki.

The tests of this module are ONE scenario, in file order (each builds on the
state the previous one left): the module starts from the peer's seeded state
(``peer.reset()``), with its own state database and catalogs directory.
The profile names no query service, so discovery goes through backlinks.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plugins.common import REPO
from realwiki.backends import BUNDLE, GROUP, Client

pytestmark = pytest.mark.slow


class World:
    """The peer, a profile on it, the CLI, and plain clients to act as other users."""

    def __init__(self, peer: Any, tmp: Path) -> None:
        self.peer = peer
        self.tmp = tmp
        self.state = tmp / "state.sqlite"
        self.catalogs = tmp / "catalogs"
        self.profile = tmp / "peer.toml"
        self.profile.write_text(f"""
name = "peer"
state = "{self.state}"
catalogs = "{self.catalogs}"
contact = "https://github.com/WikiMovimentoBrasil/capxl10n (real-wiki tests)"
[metabase]
api = "{peer.api}"
entity_prefix = "{peer.base}/entity/"
user_env = "PEER_USER"
password_env = "PEER_PASSWORD"
maxlag = 5
[metawiki]
api = "{peer.api}"
bundle_page = "{BUNDLE}"
user_env = "PEER_USER"
password_env = "PEER_PASSWORD"
maxlag = 5
[wikidata]
api = "{peer.api}"
enabled = false
[policy]
first_contact = "metabase"
deletions = "propagate"
[pacing]
edits_per_minute = 6000
max_attempts = 6
max_wait_seconds = 30
timeout_seconds = 30
backoff_base_seconds = 0.1
""", encoding="utf-8")
        self.seed = peer.wikibase_seed()
        self.items = {c["wikidata_qid"]: c["item"] for c in self.seed["capacities"]}
        self.other = Client(peer.api)
        self.other.login(peer.bot2.login, peer.bot2.password)
        self.anon = Client(peer.api)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PEER_USER": self.peer.bot.login, "PEER_PASSWORD": self.peer.bot.password,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        return subprocess.run([sys.executable, "-m", "capxl10n", "--profile", str(self.profile), *args],
                              capture_output=True, text=True, env=env, timeout=300, check=False,
                              cwd=self.tmp)

    def sync(self, *args: str) -> tuple[int, Any, int]:
        """Run ``sync -f json``; return exit code, JSON outcome and the peer requests it made."""
        before = self.peer.request_count()
        result = self.cli("sync", "-f", "json", *args)
        made = self.peer.request_count() - before
        assert result.returncode != 1, f"sync failed: {result.stderr[-2000:]}"
        try:
            outcome = json.loads(result.stdout) if result.stdout.strip() else None
        except json.JSONDecodeError:
            outcome = result.stdout
        return result.returncode, outcome, made

    # --- reading the real wiki directly ----------------------------------------------------
    def wb_terms(self, qid: str) -> tuple[dict[str, str], dict[str, str]]:
        item = self.items[qid]
        entity = self.anon.get(action="wbgetentities", ids=item, props="labels|descriptions")["entities"][item]
        return ({k: v["value"] for k, v in (entity.get("labels") or {}).items()},
                {k: v["value"] for k, v in (entity.get("descriptions") or {}).items()})

    def bundle(self) -> dict[str, str]:
        page = self.anon.page(BUNDLE)
        return json.loads(page["text"])

    def mc(self, lang: str) -> dict[str, dict[str, Any]]:
        answer = self.anon.get(action="query", list="messagecollection", mcgroup=GROUP, mclanguage=lang,
                               mcprop="definition|translation|tags|properties", mclimit=5000, formatversion=2)
        return {m["key"].rsplit("/", 1)[1]: m for m in answer["query"]["messagecollection"]}

    def unit(self, key: str, lang: str) -> str:
        return f"Translations:{BUNDLE}/{key}/{lang}"


@pytest.fixture(scope="module")
def world(peer: Any, tmp_path_factory: pytest.TempPathFactory) -> World:
    peer.reset()
    return World(peer, tmp_path_factory.mktemp("e2e-peer"))


FIGURES: dict[str, int] = {}


def test_first_sync(world: World) -> None:
    code, outcome, made = world.sync()
    FIGURES["first sync requests"] = made
    assert code in (0, 3), outcome
    labels, _ = world.wb_terms("Q759524")
    meta_ar = world.mc("ar")["Q759524-label"]["translation"]
    assert labels.get("ar") == meta_ar, "a Meta-Wiki translation lands on Wikibase"
    bundle = world.bundle()
    assert "Q9000000028-label" in bundle, "a capacity only on Metabase is added to the bundle"
    _, descriptions = world.wb_terms("Q11016")
    assert descriptions["pt-br"].startswith("Ferramentas, plataformas e conhecimento técnico que permitem a criação, "
                                            "melhoria"), "the fuzzy (outdated) Meta-Wiki text is never copied"


def test_incremental_noop(world: World) -> None:
    code, outcome, made = world.sync()
    FIGURES["no-op sync requests"] = made
    code2, _, made2 = world.sync()
    assert code2 in (0, 3)
    assert made2 <= max(FIGURES["first sync requests"] // 2, 10), f"a no-op run made {made2} requests"
    sent = world.peer.requests_since(world.peer.request_count() - made2)
    assert not any(line.split(": ", 1)[-1].startswith("POST") for line in sent), f"a no-op run wrote: {sent}"


def test_metawiki_translation_lands_on_wikibase(world: World) -> None:
    answer = world.other.write("edit", title=world.unit("Q11024-label", "de"), text="Kommunikation")
    assert answer.code is None
    code, outcome, _ = world.sync()
    assert code in (0, 3), outcome
    assert world.wb_terms("Q11024")[0].get("de") == "Kommunikation"


def test_wikibase_edit_lands_on_metawiki(world: World) -> None:
    answer = world.other.write("wbsetlabel", id=world.items["Q11016"], language="es", value="tecnología")
    assert answer.code is None
    code, outcome, _ = world.sync()
    assert code in (0, 3), outcome
    page = world.anon.page(world.unit("Q11016-label", "es"))
    assert page is not None and page["text"] == "tecnología"


def test_english_change_outdates_and_is_not_copied_back(world: World) -> None:
    item = world.items["Q11024"]
    assert world.other.write("wbsetlabel", id=item, language="en", value="communication (changed)").code is None
    pt_before = world.wb_terms("Q11024")[0]["pt-br"]
    code, outcome, _ = world.sync()
    assert code in (0, 3), outcome
    assert world.bundle()["Q11024-label"] == "communication (changed)", "English on Wikibase edits the bundle"
    entry = world.mc("pt-br")["Q11024-label"]
    assert "fuzzy" in (entry.get("tags") or []), "the real Translate outdates the translation"
    code, outcome, _ = world.sync()
    assert world.wb_terms("Q11024")[0]["pt-br"] == pt_before, "fuzzy text is not copied back"


def test_edit_between_plan_and_apply_is_a_conflict(world: World) -> None:
    assert world.other.write("wbsetlabel", id=world.items["Q759524"], language="it",
                             value="struttura organizzativa").code is None
    plan_file = world.tmp / "plan.json"
    planned = world.cli("plan", "-o", str(plan_file))
    assert planned.returncode == 4, planned.stderr
    assert world.other.write("edit", title=world.unit("Q759524-label", "it"),
                             text="struttura (Peer2)").code is None
    applied = world.cli("apply", str(plan_file))
    assert applied.returncode == 3, applied.stdout + applied.stderr
    page = world.anon.page(world.unit("Q759524-label", "it"))
    assert page["text"] == "struttura (Peer2)", "never overwrite a concurrent edit"


def test_signature_and_marker_in_values(world: World) -> None:
    item = world.items["Q11016"]
    assert world.other.write("wbsetlabel", id=item, language="fr", value="technologie ~~~~").code is None
    assert world.other.write("wbsetdescription", id=item, language="fr",
                             value="!!FUZZY!! une description").code is None
    before = world.anon.page(world.unit("Q11016-label", "fr"))
    code, outcome, _ = world.sync()
    assert code == 3, "neither value is written: each is a conflict saying why (docs/checks.md)"
    page = world.anon.page(world.unit("Q11016-label", "fr"))
    assert page == before, "a signature is never copied: any wikitext page would expand it (pre-save-transform)"
    labels, descriptions = world.wb_terms("Q11016")
    assert labels["fr"] == "technologie ~~~~", "the Wikibase value is never altered"
    assert descriptions["fr"] == "!!FUZZY!! une description", "the Wikibase value is never altered"
    entry = world.mc("fr").get("Q11016-description") or {}
    assert entry.get("properties", {}).get("status") != "translated", \
        "a value with the marker must not become a 'translated' unit"


def test_deletion_on_wikibase_propagates(world: World) -> None:
    item = world.items["Q11016"]
    assert world.other.write("wbsetlabel", id=item, language="es", value="").code is None
    code, outcome, _ = world.sync()
    # the bot password has no delete right (docs/architecture.md, "Decisions worth knowing"): the
    # deletion cannot be carried out on Meta-Wiki; the run must say so (not exit 0) and must not
    # copy the unit back to Wikibase
    code2, _, _ = world.sync()
    assert "es" not in world.wb_terms("Q11016")[0], "a deletion is never undone by the next run"


KILL_AFTER_EDIT = """
import os, signal, sys
from capxl10n.wikis import wikibase
original = wikibase.MetabaseClient.edit_item
def edit_item(self, item, **kw):
    answer = original(self, item, **kw)
    if item == os.environ["KILL_AFTER_ITEM"]:
        os.kill(os.getpid(), signal.SIGKILL)  # the edit is stored; its answer is never journaled
    return answer
wikibase.MetabaseClient.edit_item = edit_item
from capxl10n.cli.main import main
main(sys.argv[1:])
"""


def test_a_killed_runs_write_is_recognised_by_its_tag(world: World) -> None:
    """Issue 16 class 12 on the real software: the write found by its plan tag moves the base."""
    item = world.items["Q759524"]
    assert world.other.write("edit", title=world.unit("Q759524-description", "nl"),
                             text="organisatiestructuur").code is None
    env = {**os.environ, "PEER_USER": world.peer.bot.login, "PEER_PASSWORD": world.peer.bot.password,
           "KILL_AFTER_ITEM": item, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                                                os.environ.get("PYTHONPATH")]))}
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_EDIT, "--profile", str(world.profile), "sync"],
                            capture_output=True, text=True, env=env, timeout=300, check=False, cwd=world.tmp)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert world.wb_terms("Q759524")[1].get("nl") == "organisatiestructuur"
    assert world.other.write("wbsetdescription", id=item, language="nl",
                             value="organisatiestructuur (door een mens)").code is None
    code, outcome, _ = world.sync()
    assert code in (0, 3), outcome
    assert "nl" not in outcome["plan"]["summary"]["conflicts_per_language"], outcome["plan"]["summary"]
    page = world.anon.page(world.unit("Q759524-description", "nl"))
    assert page["text"] == "organisatiestructuur (door een mens)", "copied, not a conflict"


def test_a_copy_whose_source_changed_after_the_plan_is_skipped(world: World) -> None:
    """Issue 16 class 13 on the real software: the source guard sees the translator's newer edit."""
    assert world.other.write("edit", title=world.unit("Q11024-description", "nl"), text="communicatie").code is None
    plan_file = world.tmp / "plan-stale.json"
    assert world.cli("plan", "-o", str(plan_file)).returncode in (3, 4)
    assert world.other.write("edit", title=world.unit("Q11024-description", "nl"),
                             text="communicatie (nieuwer)").code is None
    applied = world.cli("apply", "-f", "json", str(plan_file))
    assert applied.returncode in (3, 4), applied.stdout + applied.stderr
    assert "metabase:Q11024-description/nl" in json.loads(applied.stdout)["apply"]["stale"]
    assert world.wb_terms("Q11024")[1].get("nl") is None, "the stale value is not written"
    code, outcome, _ = world.sync()
    assert code in (0, 3), outcome
    assert world.wb_terms("Q11024")[1].get("nl") == "communicatie (nieuwer)"


def test_maxlag_backoff(world: World) -> None:
    world.peer.set_maxlag(10)
    import threading
    timer = threading.Timer(2.0, world.peer.clear_maxlag)
    timer.start()
    try:
        code, outcome, made = world.sync()
    finally:
        timer.cancel()
        world.peer.clear_maxlag()
    assert code in (0, 3), outcome


def test_po_agrees_with_special_exporttranslations(world: World) -> None:
    polib = pytest.importorskip("polib")
    built = world.cli("catalogs", "--lang", "pt-br")
    assert built.returncode == 0, built.stderr
    po_files = list(world.catalogs.rglob("pt_BR/LC_MESSAGES/*.po"))
    assert po_files, f"no pt_BR catalog under {world.catalogs}"
    ours = {e.msgctxt: e for e in polib.pofile(str(po_files[0]))}
    import requests
    text = requests.get(world.peer.index, params={"title": "Special:ExportTranslations", "group": GROUP,
                                                   "language": "pt-br", "format": "export-as-po"}, timeout=60).text
    real = {e.msgctxt: e for e in polib.pofile(text)}
    common = set(ours) & set(real)
    assert common, "the catalog and the export share no message"
    for ctxt in sorted(common):
        a, b = ours[ctxt], real[ctxt]
        assert (a.msgid, a.msgstr, "fuzzy" in a.flags) == (b.msgid, b.msgstr, "fuzzy" in b.flags), ctxt


def test_report_figures(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\nreal-wiki figures: {FIGURES}")
