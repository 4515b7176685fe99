"""``capxl10n coverage`` from the sync state, end to end on the sandbox: per side, and never contradicting
Translate's own statistics, Metabase's items, ``msgfmt --statistics`` and ``pocount`` on sync-built catalogs."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from capxl10n.catalogs.build import po_path
from capxl10n.cli.main import main
from capxl10n.core.coverage import Counts
from capxl10n.core.model import TermKey
from capxl10n.engine.state import open_state
from plugins.gettext_tools import agree_with_tools
from plugins.world import World

pytestmark = pytest.mark.slow


def report(world: World, *args: str) -> dict[str, Any]:
    result = world.cli("-f", "json", "coverage", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def rows(data: dict[str, Any], side: str) -> dict[str, dict[str, Any]]:
    return {r["lang"]: r for r in data["languages"] if r["side"] == side}


def translate_stats(world: World) -> dict[str, tuple[int, int, int]]:
    """Translate's own figures (meta=messagegroupstats): lang → (translated, fuzzy, total)."""
    answer = world.sb.session().get(world.sb.api_url("metawiki"), params={
        "action": "query", "meta": "messagegroupstats", "format": "json", "formatversion": "2",
        "mgsgroup": world.profile.metawiki.message_group}).json()
    assert "continue" not in answer, answer  # every language's stats computed
    return {s["code"]: (s["translated"], s["fuzzy"], s["total"]) for s in answer["query"]["messagegroupstats"]}


def metabase_terms(world: World) -> Counter[str]:
    """Labels and descriptions per language on the capacity items, read with wbgetentities."""
    with open_state(world.state) as state:
        items = [c.item for c in state.capacities() if c.item]
    answer = world.sb.session().get(world.sb.api_url("metabase"), params={
        "action": "wbgetentities", "ids": "|".join(items), "props": "labels|descriptions", "format": "json"}).json()
    counts: Counter[str] = Counter()
    for entity in answer["entities"].values():
        for kind in ("labels", "descriptions"):
            counts.update(lang for lang, term in entity.get(kind, {}).items() if term["value"].strip())
    return counts


def test_sides_from_the_state_tell_what_each_side_holds(world: World) -> None:
    data = report(world)
    assert data["sides"] == ["metabase", "metawiki", "catalogs"]
    total = data["messages"]["all"]
    stats = translate_stats(world)
    metawiki = rows(data, "metawiki")
    assert metawiki, data
    assert any(r["all"]["fuzzy"] for r in metawiki.values()), "no outdated unit: this test would prove nothing"
    for lang, row in metawiki.items():
        assert (row["all"]["translated"], row["all"]["fuzzy"], row["all"]["total"]) == stats[lang], lang
    on_metabase = metabase_terms(world)
    for lang, row in rows(data, "metabase").items():
        assert (row["all"]["translated"], row["all"]["fuzzy"], row["all"]["total"]) == (on_metabase[lang], 0,
                                                                                       total), lang
    assert {r["lang"] for r in data["languages"]} == set(metawiki) == set(rows(data, "catalogs"))

    only = report(world, "--side", "metawiki", "--lang", "pt-br", "--side", "metawiki")
    assert [(r["lang"], r["side"]) for r in only["languages"]] == [("pt-br", "metawiki")]
    assert only["languages"][0] == metawiki["pt-br"]

    table = world.cli("coverage", "--lang", "pt-br")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].startswith(f"translated / outdated / missing of {total} messages with English")
    assert [line.split()[:2] for line in lines[3:]] == [["pt-br", "metabase"], ["pt-br", "metawiki"],
                                                        ["pt-br", "catalogs"]]


def test_a_side_never_read_is_left_out_or_refused(world: World) -> None:
    with open_state(world.state) as state:
        state.forget_side("metawiki")
    result = world.cli("-f", "json", "coverage")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sides"] == ["metabase", "catalogs"]
    assert "no read of Meta-Wiki" in result.stderr and "capxl10n pull" in result.stderr
    result = world.cli("coverage", "--side", "metawiki")
    assert result.exit_code == 2 and "no read of Meta-Wiki" in result.stderr, result.output
    result = world.cli("coverage", "--lang", "pt-BR")
    assert result.exit_code == 2 and "--lang" in result.stderr and "pt-br" in result.stderr, result.output


def test_no_state_is_a_usage_error(tmp_path: Path) -> None:
    state = tmp_path / "none.sqlite"
    result = CliRunner().invoke(main, ["--state", str(state), "coverage"])
    assert result.exit_code == 2 and "no sync state" in result.stderr and "--snapshot" in result.stderr
    assert not state.exists()


def test_agrees_with_msgfmt_and_pocount_on_sync_built_catalogs(world: World) -> None:
    """After humans edit (a language Metabase refuses, an English change outdating every translation of a
    message), the catalogs the sync wrote say what coverage says of the catalogs side."""
    key = world.pick()
    world.peer.edit_unit(TermKey(key.qid, key.field, "sh-latn"), "Nešto")
    world.peer.edit_bundle({key.message_key: "A new English text"})
    result = world.cli("sync")
    assert result.exit_code == 0, result.output
    from capxl10n.core import langs

    data = report(world)
    catalogs = rows(data, "catalogs")
    assert rows(data, "metawiki")["sh-latn"]["all"]["fuzzy"] == 1
    out = world.tmp / "catalogs"
    files = {lang: out / po_path(langs.get(lang)) for lang in catalogs}
    built = [row for lang, row in catalogs.items() if files[lang].exists()]
    assert len(built) >= 5 and any(r["all"]["fuzzy"] for r in built), catalogs
    for lang, row in catalogs.items():  # no catalog: nothing of that language is in the catalogs
        if not files[lang].exists():
            assert row["all"]["translated"] == row["all"]["fuzzy"] == 0, lang

    agree_with_tools({r["lang"]: Counts(r["all"]["total"], r["all"]["translated"], r["all"]["fuzzy"])
                      for r in built}, files)
