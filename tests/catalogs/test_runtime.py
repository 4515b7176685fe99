"""The runtime helper answers from built catalogs, with the fallback chain, without network."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from capxl10n.catalogs.build import CatalogOptions, build_catalogs
from capxl10n.errors import CatalogError
from capxl10n.catalogs.runtime import Catalogs
from plugins.catalog_samples import small_snapshot


@pytest.fixture()
def catalogs(tmp_path: Path) -> Catalogs:
    out = tmp_path / "catalogs"
    build_catalogs(small_snapshot(), out)
    return Catalogs(out)


def test_own_language(catalogs: Catalogs) -> None:
    msg = catalogs.name("Q759524", "pt-br")
    assert msg is not None and msg.text == "estrutura da organização"
    assert (msg.lang, msg.requested, msg.side, msg.fuzzy, msg.is_fallback) == ("pt-br", "pt-br", "metawiki",
                                                                               False, False)


def test_fallback_chain_and_fuzzy(catalogs: Catalogs) -> None:
    pt = catalogs.name("Q3", "pt-br")
    assert pt is not None and (pt.text, pt.lang, pt.is_fallback) == ("planeamento de eventos", "pt", True)
    outdated = catalogs.name("Q11024", "pt-br")
    assert outdated is not None and (outdated.text, outdated.lang, outdated.fuzzy) == ("communications", "en", True)


def test_capacity_and_missing(catalogs: Catalogs) -> None:
    cap = catalogs.capacity("Q11024", "ar")
    assert cap.name is not None and cap.name.lang == "en"
    assert cap.description is not None and cap.description.text == "The exchange of information"
    assert catalogs.description("Q4", "pt-br") is None       # nobody has it
    assert catalogs.name("Q999", "ar") is None               # unknown capacity


def test_language_not_built_uses_its_chain(catalogs: Catalogs) -> None:
    # de was never built: its chain (de, en) answers from en.json
    msg = catalogs.name("Q3", "de")
    assert msg is not None and (msg.text, msg.lang, msg.requested) == ("event planning", "en", "de")
    assert catalogs.name("Q3", "not a code!") is not None    # unknown codes still get English


def test_languages_and_index(catalogs: Catalogs) -> None:
    assert set(catalogs.languages()) == {"en", "pt-br", "pt", "ar", "zh-hans"}
    assert catalogs.chain("pt-br") == ("pt-br", "pt", "en")


def test_files_are_read_once(catalogs: Catalogs) -> None:
    assert catalogs.name("Q759524", "ar") is not None
    (catalogs.json_dir / "ar.json").unlink()
    msg = catalogs.name("Q759524", "ar")  # cached: no disk access
    assert msg is not None and msg.lang == "ar"


def test_bad_arguments_and_corrupt_file(catalogs: Catalogs, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        catalogs.message("Q1", "title", "ar")
    with pytest.raises(ValueError):
        catalogs.name("7397", "ar")
    (catalogs.json_dir / "zh-hans.json").write_text("{ truncated", encoding="utf-8")
    with pytest.raises(CatalogError, match="zh-hans.json"):
        catalogs.name("Q759524", "zh-hans")


def test_reads_json_dir_directly_and_partial_builds(tmp_path: Path) -> None:
    out = tmp_path / "c"
    build_catalogs(small_snapshot(), out, CatalogOptions(languages=("pt",)))
    cats = Catalogs(out / "json")
    msg = cats.name("Q3", "pt-br")  # pt-br not built: pt answers
    assert msg is not None and msg.lang == "pt"
    assert json.loads((out / "json/index.json").read_text())["languages"][1]["code"] == "pt"
