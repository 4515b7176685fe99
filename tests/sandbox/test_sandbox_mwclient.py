"""Unmodified mwclient against the sandbox over real HTTP: login, page text and edit, continuation, wbgetentities."""
from __future__ import annotations

from urllib.parse import urlsplit

import mwclient
import pytest

from capxl10n.sandbox.server import BOT_PASSWORD, Sandbox

BUNDLE = "Module:CapacityExchange/capacities.json"


def site_of(sb: Sandbox, name: str) -> mwclient.Site:
    host = urlsplit(sb.url).netloc
    return mwclient.Site(host, path=f"/{name}/w/", scheme="http", clients_useragent="capxl10n-tests")


def test_login_read_and_edit_a_unit(sandbox: Sandbox) -> None:
    site = site_of(sandbox, "metawiki")
    site.login("CapxBot@capxl10n", BOT_PASSWORD)
    assert site.logged_in and site.username == "CapxBot"
    bundle = site.pages[BUNDLE]
    assert '"@metadata"' in bundle.text()
    key = next(k for k in sandbox.site("metawiki").translate.groups[BUNDLE].messages)  # type: ignore[attr-defined]
    page = site.pages[f"Translations:{BUNDLE}/{key}/pt-br"]
    page.text()
    result = page.edit("Texto novo do bot", summary="test")
    assert result["result"] == "Success"
    assert site.pages[f"Translations:{BUNDLE}/{key}/pt-br"].text() == "Texto novo do bot"


def test_bad_password_raises_login_error(sandbox: Sandbox) -> None:
    site = site_of(sandbox, "metawiki")
    with pytest.raises(mwclient.errors.LoginError):
        site.login("CapxBot@capxl10n", "wrong")


def test_query_continuation_reaches_every_unit(sandbox: Sandbox) -> None:
    site = site_of(sandbox, "metawiki")
    titles = [p.name for p in site.allpages(namespace=1198, prefix=f"{BUNDLE}/", limit=7)]
    expected = [p.title for p in sandbox.site("metawiki").wiki.pages_in(1198, f"{BUNDLE}/")]
    assert titles == expected and len(titles) > 7
    seen = 0
    for answer in _raw_continue(site, list="messagecollection",
                                mcgroup=f"messagebundle-{BUNDLE}", mclanguage="pt-br", mclimit=5):
        seen += len(answer["query"]["messagecollection"])
    assert seen == len(sandbox.site("metawiki").translate.groups[BUNDLE].messages)  # type: ignore[attr-defined]


def _raw_continue(site: mwclient.Site, **params: object) -> list[dict]:
    out, cont = [], {}
    while True:
        answer = site.api("query", **params, **cont)
        out.append(answer)
        if "continue" not in answer:
            return out
        cont = answer["continue"]


def test_wbgetentities_batches_on_metabase(sandbox: Sandbox) -> None:
    site = site_of(sandbox, "metabase")
    site.login("CapxBot@capxl10n", BOT_PASSWORD)
    items = sorted(sandbox.seeded.metabase_items.values())  # type: ignore[union-attr]
    found = {}
    for start in range(0, len(items), 5):
        answer = site.api("wbgetentities", ids="|".join(items[start:start + 5]), props="labels|info")
        found.update(answer["entities"])
    assert set(found) == set(items)
    assert all("lastrevid" in entity for entity in found.values())
