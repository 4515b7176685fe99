"""The catalogs carry the directory they were built from (directory.json), so an app repository holding only
its catalogs can check them in CI; bad input (repeated JSON keys, damaged files, unknown --lang) is refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from capxl10n import __version__
from capxl10n.catalogs.build import (DIRECTORY_NAME, NOT_RECORDED, CatalogOptions, build_catalogs, check_catalogs,
                               directory_bytes, read_directory)
from capxl10n.cli.main import main
from capxl10n.errors import CatalogError, DataError, UnknownLanguage
from capxl10n.core.model import Snapshot, Term, TermKey
from capxl10n.catalogs.runtime import Catalogs
from capxl10n.sample.generate import generate
from plugins.catalog_samples import small_snapshot, tree_bytes

CURRENT = f"capxl10n {__version__}"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def tree_state(root: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file: 'nothing written' means both unchanged."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def snap() -> Snapshot:
    return small_snapshot(previous_source={"*": {"Q11024-label": "communication"}})


@pytest.fixture()
def built(tmp_path: Path, snap: Snapshot) -> Path:
    out = tmp_path / "catalogs"
    build_catalogs(snap, out)
    return out


@pytest.fixture()
def app_repo(tmp_path: Path, snap: Snapshot, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory of an app repository: only catalogs/, no profile, no state, no environment."""
    repo = tmp_path / "app"
    build_catalogs(snap, repo / "catalogs")
    monkeypatch.chdir(repo)
    for name in ("CAPXL10N_PROFILE", "CAPXL10N_STATE", "CAPXL10N_CATALOGS"):
        monkeypatch.delenv(name, raising=False)
    return repo


# -- directory.json ---------------------------------------------------------------------------------------------
def test_directory_is_a_snapshot_with_the_build_settings(built: Path, snap: Snapshot) -> None:
    recorded = Snapshot.loads((built / DIRECTORY_NAME).read_text(encoding="utf-8"))
    assert recorded.terms == snap.terms and recorded.capacities == snap.capacities
    assert recorded.meta["previous_source"] == snap.meta["previous_source"]
    assert recorded.meta["catalogs"] == {"bundle_page": "Module:CapacityExchange/capacities.json",
                                         "generator": CURRENT, "languages": None, "exclude_authors": [],
                                         "message_group": "messagebundle-Module:CapacityExchange/capacities.json"}
    again = read_directory(built)
    assert again is not None and directory_bytes(*again) == (built / DIRECTORY_NAME).read_bytes()


def test_directory_is_one_record_per_line_so_a_change_is_a_one_line_diff(tmp_path: Path, snap: Snapshot) -> None:
    build_catalogs(snap, tmp_path / "a")
    build_catalogs(snap.with_terms({TermKey("Q3", "label", "pt"): Term("planeamento")}), tmp_path / "b")
    old = (tmp_path / "a" / DIRECTORY_NAME).read_text(encoding="utf-8").splitlines()
    new = (tmp_path / "b" / DIRECTORY_NAME).read_text(encoding="utf-8").splitlines()
    assert len(old) == len(new) == 1 + len(snap.terms) + len(snap.capacities) + 21
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert changed == [(
        '  {"qid": "Q3", "field": "label", "lang": "pt", "text": "planeamento de eventos", "side": "metabase"},',
        '  {"qid": "Q3", "field": "label", "lang": "pt", "text": "planeamento", "side": "metabase"},')]
    assert "Planning events 🎉" in "\n".join(old)  # raw UTF-8, as the other catalog files


def test_building_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    sample = generate(capacities=60, languages=12, seed=3)
    build_catalogs(sample, tmp_path / "one")
    build_catalogs(Snapshot.loads(sample.dumps()), tmp_path / "two", CatalogOptions(workers=2))
    first = tree_bytes(tmp_path / "one")
    assert first == tree_bytes(tmp_path / "two") and DIRECTORY_NAME in first
    recorded = read_directory(tmp_path / "one")
    assert recorded is not None
    build_catalogs(*recorded[:1], tmp_path / "three", recorded[1])  # from the directory alone
    assert tree_bytes(tmp_path / "three") == first
    assert build_catalogs(sample, tmp_path / "one").written == () and tree_bytes(tmp_path / "one") == first


def test_every_option_that_shapes_the_bytes_is_recorded() -> None:
    options = CatalogOptions(bundle_page="Module:X.json", message_group="messagebundle-Module:X.json",
                             languages=("ar", "pt-br"), generator="capxl10n 0.0.9", prune=False, workers=3)
    settings = options.settings()
    assert set(settings) == {f for f in CatalogOptions.__dataclass_fields__} - NOT_RECORDED
    assert json.loads(json.dumps(settings)) == settings
    back = CatalogOptions.from_settings(settings)
    assert back.settings() == settings and (back.prune, back.workers) == (True, 0)
    assert CatalogOptions.from_settings({}) == CatalogOptions()  # an older file: defaults


@pytest.mark.parametrize("settings, problem", [
    ({"generator": "capxl10n 9.0", "exclude_bots": True}, "'exclude_bots'"),
    ({"languages": "ar"}, "'languages' must be a list"),
    ({"languages": [["ar"]]}, "'languages' must be a list of strings"),
    ({"bundle_page": 7}, "'bundle_page' must be str"),
])
def test_settings_of_another_version_or_damaged_are_refused(settings: dict, problem: str) -> None:
    with pytest.raises(DataError, match=problem):
        CatalogOptions.from_settings(settings, origin="directory.json")


# -- check from the directory alone ---------------------------------------------------------------------------
def test_fresh_clone_holding_only_catalogs_passes_the_check(tmp_path: Path, snap: Snapshot) -> None:
    """The app's CI, for real: a git clone, the installed command, no profile, state or environment."""
    origin = tmp_path / "origin"
    build_catalogs(snap, origin / "catalogs")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(origin)], check=True)
    subprocess.run([*git, "-C", str(origin), "add", "catalogs"], check=True)
    subprocess.run([*git, "-C", str(origin), "commit", "-qm", "catalogs"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPXL10N_")}
    for args in (["catalogs", "--check", "--out", "catalogs"], ["catalogs", "--check"]):
        proc = subprocess.run([sys.executable, "-m", "capxl10n", *args], cwd=clone, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        assert "up to date" in proc.stderr and "catalogs/directory.json" in proc.stderr
    (clone / "catalogs/json/pt.json").unlink()
    proc = subprocess.run([sys.executable, "-m", "capxl10n", "catalogs", "--check"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1 and "json/pt.json" in proc.stdout
    assert "capxl10n catalogs --out catalogs" in proc.stderr  # the hint names the command that fixes it


def test_check_needs_no_profile(app_repo: Path) -> None:
    res = run("catalogs", "--check")
    assert res.exit_code == 0, res.stderr
    res = run("--profile", "nowhere", "catalogs", "--check")  # a profile asked for must exist
    assert res.exit_code == 1 and "nowhere" in res.stderr


def test_without_profile_or_directory_the_error_says_what_to_give(app_repo: Path) -> None:
    res = run("catalogs", "--check", "--out", "elsewhere")
    assert res.exit_code == 2
    assert "elsewhere/directory.json" in res.stderr and "--snapshot FILE" in res.stderr
    assert not Path("elsewhere").exists()


def test_check_uses_the_recorded_settings(tmp_path: Path, snap: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Languages and message group of the build, and its generator: a newer capxl10n that renders the same
    bytes passes the check; a rebuild is stamped with the running version."""
    monkeypatch.chdir(tmp_path)
    options = CatalogOptions(message_group="messagebundle-Module:Other.json", bundle_page="Module:Other.json",
                             languages=("ar",), generator="capxl10n 0.0.9")
    build_catalogs(snap, tmp_path / "catalogs", options)
    assert sorted(p.name for p in (tmp_path / "catalogs/json").iterdir()) == ["ar.json", "en.json", "index.json", "qqq.json"]
    res = run("--state", str(tmp_path / "none.sqlite"), "catalogs", "--check")
    assert res.exit_code == 2  # a --state given must exist with its profile: it is not silently replaced
    res = run("catalogs", "--check")
    assert res.exit_code == 0, res.stderr
    assert run("catalogs").exit_code == 0  # rebuild from directory.json
    header = (tmp_path / "catalogs/ar/LC_MESSAGES/capacities.po").read_text(encoding="utf-8")
    assert f"X-Generator: {CURRENT}" in header and "X-Message-Group: messagebundle-Module:Other.json" in header
    assert not (tmp_path / "catalogs/pt_BR").exists()
    assert run("catalogs", "--check").exit_code == 0


def test_check_compares_directory_json_too(tmp_path: Path, snap: Snapshot, built: Path) -> None:
    noted = Snapshot(snap.side, snap.capacities, snap.terms, {**snap.meta, "note": "only the directory differs"})
    result = check_catalogs(noted, built)
    assert result.differ == (DIRECTORY_NAME,) and not result.missing and not result.ok
    (built / DIRECTORY_NAME).unlink()
    assert check_catalogs(snap, built).missing == (DIRECTORY_NAME,)


def test_hand_edited_directory_fails_the_check(app_repo: Path) -> None:
    path = app_repo / "catalogs" / DIRECTORY_NAME
    path.write_text(path.read_text(encoding="utf-8").replace("estrutura da organização", "estrutura"), encoding="utf-8")
    res = run("-f", "json", "catalogs", "--check")
    assert res.exit_code == 1
    differ = set(json.loads(res.stdout)["differ"])
    assert differ == {"pt_BR/LC_MESSAGES/capacities.po", "pt_BR/LC_MESSAGES/capacities.mo", "json/pt-br.json",
                      "json/pt.json", "json/index.json"}  # pt falls back to pt-br; the file itself is canonical
    reformatted = Snapshot.loads(path.read_text(encoding="utf-8")).dumps()  # same content, another layout
    path.write_text(reformatted, encoding="utf-8")
    res = run("-f", "json", "catalogs", "--check")
    assert res.exit_code == 1 and DIRECTORY_NAME in json.loads(res.stdout)["differ"]


def test_damaged_directory_json_hint_says_how_to_restore(app_repo: Path) -> None:
    path = app_repo / "catalogs" / DIRECTORY_NAME
    path.write_bytes(path.read_bytes()[:200])
    before = tree_state(app_repo / "catalogs")
    for args in (("catalogs", "--check"), ("catalogs",)):
        res = run(*args)
        assert res.exit_code == 1
        assert "directory.json: malformed JSON at line" in res.stderr and "version control" in res.stderr
    assert tree_state(app_repo / "catalogs") == before


# -- directory.json is guarded like the other files ----------------------------------------------------------
def test_someone_elses_snapshot_named_directory_json_is_not_overwritten(tmp_path: Path, snap: Snapshot) -> None:
    out = tmp_path / "catalogs"
    out.mkdir()
    theirs = generate(capacities=10, languages=2).dumps()  # a snapshot with a capxl10n generator in its meta
    (out / DIRECTORY_NAME).write_text(theirs, encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        build_catalogs(snap, out)
    assert DIRECTORY_NAME in err.value.message and "move" in (err.value.hint or "")
    assert [p.name for p in out.iterdir()] == [DIRECTORY_NAME]
    assert (out / DIRECTORY_NAME).read_text(encoding="utf-8") == theirs
    with pytest.raises(CatalogError, match="not the one capxl10n wrote"):
        read_directory(out)  # nor taken as the catalogs' directory


def test_directory_json_with_settings_late_in_a_big_meta_is_still_ours(tmp_path: Path, snap: Snapshot) -> None:
    """The quick look reads the first bytes only; a meta that pushes the settings further is parsed in full."""
    big = Snapshot(snap.side, snap.capacities, snap.terms, {**snap.meta, "a_long_note": ["x" * 100] * 400})
    build_catalogs(big, tmp_path / "c")
    assert (tmp_path / "c" / DIRECTORY_NAME).stat().st_size > 16384
    assert build_catalogs(snap, tmp_path / "c").written == (DIRECTORY_NAME,)


# -- bad input -----------------------------------------------------------------------------------------------
DUPLICATES = {  # old text, new text, the repeated key, the start of the object that repeats it
    "in a term": ('"lang": "pt", "text": "planeamento de eventos"', '"lang": "pt", "text": "x", '
                  '"text": "planeamento de eventos"', "'text'", '"text": "x"'),
    "in meta, nested": ('  "previous_source": {', '  "previous_source": {"*": {}},\n  "previous_source": {',
                        "'previous_source'", ' "meta": {'),
    "at the top level": ('\n "side": "metawiki",\n', '\n "side": "metawiki",\n "terms": [],\n', "'terms'", "{"),
}


@pytest.mark.parametrize("where", DUPLICATES)
def test_snapshot_with_a_repeated_key_is_refused(tmp_path: Path, built: Path, where: str) -> None:
    old, new, key, opening = DUPLICATES[where]
    text = (built / DIRECTORY_NAME).read_text(encoding="utf-8")
    assert text.count(old) == 1
    repeated = text.replace(old, new)
    line = next(n for n, row in enumerate(repeated.splitlines(), 1) if opening in row)
    path = tmp_path / "dup.json"
    path.write_text(repeated, encoding="utf-8")
    before = tree_state(built)
    res = run("catalogs", "--snapshot", str(path), "--out", str(built))
    assert res.exit_code == 1
    assert f"{path}: duplicate key {key} in the JSON object at line {line} column" in res.stderr
    assert "hint:" in res.stderr
    assert tree_state(built) == before
    (built / DIRECTORY_NAME).write_text(repeated, encoding="utf-8")  # the check's own source
    res = run("catalogs", "--check", "--out", str(built))
    assert res.exit_code == 1 and f"duplicate key {key}" in res.stderr


def test_repeated_key_position_is_the_object_that_repeats_it() -> None:
    text = '{"format": "capxl10n-snapshot/1",\n "capacities": [],\n "terms": [\n  {"qid": "Q1", "qid": "Q2"}]}'
    with pytest.raises(DataError, match=r"x.json: duplicate key 'qid' in the JSON object at line 4 column 3"):
        Snapshot.loads(text, origin="x.json")
    top = '{"format": "capxl10n-snapshot/1", "capacities": [], "terms": [], "capacities": []}'
    with pytest.raises(DataError, match="'capacities' in the JSON object at line 1 column 1"):
        Snapshot.loads(top)


def test_truncated_index_json_is_rewritten_by_the_build_the_hint_names(app_repo: Path) -> None:
    index = app_repo / "catalogs/json/index.json"
    whole = index.read_bytes()
    index.write_bytes(whole[:100])  # still recognisably ours: its header names capxl10n
    res = run("catalogs", "--check")
    assert res.exit_code == 1 and "json/index.json  differs" in res.stdout
    assert "run `capxl10n catalogs --out catalogs`" in res.stderr
    assert run("catalogs", "--out", "catalogs").exit_code == 0  # follow the hint
    assert index.read_bytes() == whole and run("catalogs", "--check").exit_code == 0


def test_unrecognisable_index_json_gets_a_hint_that_leads_to_a_passing_check(app_repo: Path) -> None:
    index = app_repo / "catalogs/json/index.json"
    index.write_bytes(b'{\n\t"format": "capxl10n-cat\x00\x00')  # cut before it says who wrote it
    before = tree_state(app_repo / "catalogs")
    res = run("catalogs", "--check")
    assert res.exit_code == 1
    assert "json/index.json" in res.stdout and "damaged: not valid JSON (line" in res.stdout
    assert f"will not overwrite {Path('catalogs/json/index.json')}" in res.stderr and "delete" in res.stderr
    res = run("catalogs")  # the build refuses too, and says the same way out
    assert res.exit_code == 1 and "damaged" in res.stderr and "rm catalogs/json/index.json" in res.stderr
    assert tree_state(app_repo / "catalogs") == before
    index.unlink()  # follow the hint
    assert run("catalogs").exit_code == 0
    assert run("catalogs", "--check").exit_code == 0


def test_runtime_hint_for_a_damaged_file_does_not_send_to_a_refusing_build(built: Path) -> None:
    (built / "json/index.json").write_text("{", encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        Catalogs(built).name("Q3", "pt-br")
    assert "delete" in (err.value.hint or "") and "--check" in (err.value.hint or "")


@pytest.mark.parametrize("check", [False, True])
def test_unknown_lang_is_a_usage_error_naming_the_option(tmp_path: Path, snap: Snapshot, check: bool) -> None:
    path = tmp_path / "snap.json"
    path.write_text(snap.dumps(), encoding="utf-8")
    out = tmp_path / "c"
    res = run("catalogs", "--snapshot", str(path), "--out", str(out), "--lang", "ar", "--lang", "pt-BR",
              *(["--check"] if check else []))
    assert res.exit_code == 2
    assert "--lang: unknown language code 'pt-BR'" in res.stderr and "pt-br" in res.stderr
    assert not out.exists()


def test_unknown_language_asked_of_the_library_is_a_usage_error(tmp_path: Path, snap: Snapshot) -> None:
    with pytest.raises(UnknownLanguage, match="'xx-nope'"):
        build_catalogs(snap, tmp_path / "c", CatalogOptions(languages=("ar", "xx-nope")))
    assert not (tmp_path / "c").exists()
