"""``capxl10n coverage`` from the state takes the report the last sync or pull kept (engine/history.py) while
the state holds what it was counted from, and counts the sides otherwise: either way the report is the one
counting them gives (asked for with every ``--side``, which always counts)."""
from __future__ import annotations

import json

import pytest

from capxl10n.cli.commands import coverage as coverage_command

EVERY_SIDE = ("--side", "metabase", "--side", "metawiki", "--side", "catalogs")


def report(world, *args: str) -> dict:
    result = world.cli("--format", "json", "coverage", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def counted(world, *args: str) -> dict:
    return report(world, *EVERY_SIDE, *args)


def refuse_counting(patch: pytest.MonkeyPatch) -> None:
    """Counting the sides fails: the command must take the kept report."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("counted the sides although a kept report was valid")

    patch.setattr(coverage_command, "coverage_by_side", refuse)
    patch.setattr(coverage_command, "state_sides", refuse)


def test_the_kept_report_is_the_counted_one_and_counts_nothing(world, monkeypatch):
    expected = {args: counted(world, *args) for args in ((), ("--lang", "de"), ("--lang", "eo", "--lang", "de"))}
    with monkeypatch.context() as patch:
        refuse_counting(patch)
        for args, wanted in expected.items():
            assert report(world, *args) == wanted
        table = world.cli("coverage")
        assert table.exit_code == 0 and "translated / outdated / missing" in table.output


def test_a_state_changed_since_counts_again(world):
    key = world.pick("de")
    world.peer.edit_unit(key, "Ein neuer Text")
    dry = world.cli("sync", "--dry-run")  # stores the new read, records no history: the kept report is behind
    assert dry.exit_code == 4, dry.output
    assert report(world) == counted(world)
    assert report(world, "--lang", "de") == counted(world, "--lang", "de")
    synced = world.cli("sync")
    assert synced.exit_code == 0, synced.output
    assert report(world) == counted(world)
    wanted = counted(world, "--lang", "de")
    with pytest.MonkeyPatch.context() as patch:
        refuse_counting(patch)
        assert report(world, "--lang", "de") == wanted


def test_a_kept_report_of_another_code_or_damaged_is_not_taken(world, monkeypatch):
    from capxl10n.engine import history
    from capxl10n.engine.state import open_state

    wanted = counted(world)
    monkeypatch.setattr(history.State, "directory_identity",
                        lambda self: {"reads": {}, "base": [0, 0], "code": "another capxl10n"})
    assert report(world) == wanted
    monkeypatch.undo()
    with open_state(world.state) as state:
        state.set_meta(history.COVERAGE_REPORT, '{"made_of": 1}')
    assert report(world) == wanted
