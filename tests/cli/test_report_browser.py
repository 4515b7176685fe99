"""The report page as a person sees it (issue 20, "Tested as a person would"): headless Chromium.

Debian's ``chromium`` and ``chromium-driver`` with selenium (``.ci/run`` installs them when missing;
locally the test skips without them, in CI it never does). The page of the scripted translat-a-thon
(tests/plugins/event.py) is opened from disk: the numbers it shows equal ``report.json``, right-to-left
text has ``dir="rtl"`` and is laid out right to left, nothing is fetched from the network, nothing
overflows a phone's width; screenshots at 1280 px and at phone width are saved under
``test-artifacts/report/`` (``CAPXL10N_ARTIFACTS`` moves it) for a person to look at.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.event import Event, event, run_translatathon  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def artifacts() -> Path:
    path = Path(os.environ.get("CAPXL10N_ARTIFACTS", ROOT / "test-artifacts")) / "report"
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium_paths() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (Path("/usr/bin/chromedriver").is_file() and "/usr/bin/chromedriver")
    return (browser, str(driver)) if browser and driver else None


@pytest.fixture
def browser() -> Iterator[Any]:
    found = chromium_paths()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        found = None
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs chromium, chromium-driver and selenium (.ci/run installs them)")
        pytest.skip("no chromium/chromedriver/selenium here (apt-get install chromium chromium-driver; "
                    "pip install selenium)")
    options = Options()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--window-size=1280,900", "--force-device-scale-factor=1", "--lang=en-US",
                # every host name resolves nowhere: a page that fetched something would show it in the log
                "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def requested(driver: Any) -> list[str]:
    """Every URL the page asked for (Chromium's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def screenshot(driver: Any, path: Path, *, phone: bool = False) -> Path:
    """The whole page (not only the window), at 1280 px or at a phone's width."""
    if phone:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    else:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    width = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def test_the_page_shows_report_json_right_to_left_offline_and_on_a_phone(event: Event, browser: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from selenium.webdriver.common.by import By

    run_translatathon(event, monkeypatch)
    out = event.world.tmp / "report"
    result = event.cli("report", "--since", event.iso(0), "--until", event.iso(240), "--event",
                       "Language Diversity Hub translat-a-thon", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    browser.get((out / "index.html").as_uri())
    assert browser.title.startswith("Language Diversity Hub translat-a-thon")

    # the numbers shown are report.json's
    shown = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "#languages tr[data-lang]"):
        lang = row.get_attribute("data-lang")
        for cell in row.find_elements(By.CSS_SELECTOR, "[data-v]"):
            shown[(lang, cell.get_attribute("data-side") or "catalogs", cell.get_attribute("data-v"))] = cell.text
    assert len({lang for lang, _s, _v in shown}) == len(data["languages"])
    for lang in data["languages"]:
        for side, scopes in lang["sides"].items():
            row = scopes["all"]
            for field in ("gained", "outdated_fixed", "still_missing", "still_outdated", "percent", "percent_before"):
                text = shown.get((lang["lang"], side, field))
                if text is None:
                    continue  # not every side shows every field
                assert float(text.replace(",", "").replace("+", "").replace("%", "")) == row[field], \
                    (lang["lang"], side, field, text)
    cards = {c.get_attribute("data-v"): c.text for c in browser.find_elements(By.CSS_SELECTOR, ".cards [data-v]")}
    summary = data["summary"]
    assert int(cards["gained"].replace("+", "").replace(",", "")) == summary["gained"]
    assert int(cards["outdated_fixed"]) == summary["outdated_fixed"]
    assert int(cards["translators"]) == summary["translators"]
    assert float(cards["percent"]) == summary["percent"]
    people = {r.get_attribute("data-user"): {c.get_attribute("data-v"): int(c.text.replace(",", ""))
                                             for c in r.find_elements(By.CSS_SELECTOR, "[data-v]")}
              for r in browser.find_elements(By.CSS_SELECTOR, "#translators tr[data-user]")}
    assert people == {t["user"]: {"terms": t["terms"], "translated": t["translated"], "fixed": t["fixed"],
                                  "edited": t["edited"]} for t in data["translators"]}

    # right to left: Arabic carries dir="rtl", and the browser lays it out so
    arabic = browser.find_elements(By.CSS_SELECTOR, '[lang="ar"]')
    assert arabic and all(e.get_attribute("dir") == "rtl" for e in arabic)
    assert {browser.execute_script("return getComputedStyle(arguments[0]).direction", e) for e in arabic} == {"rtl"}
    for element in browser.find_elements(By.CSS_SELECTOR, "[lang]"):
        if element.tag_name != "html":
            assert element.get_attribute("dir") in ("ltr", "rtl"), element.get_attribute("outerHTML")[:120]

    # nothing fetched: only the page itself
    assert [u for u in requested(browser) if not u.startswith("file://")] == []

    # at 1280 px and on a phone: saved for a person to look at; nothing wider than the phone
    where = artifacts()
    wide = screenshot(browser, where / "report-1280.png")
    narrow = screenshot(browser, where / "report-phone.png", phone=True)
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone"
    shutil.copytree(out, where / "site", dirs_exist_ok=True)
    assert wide.stat().st_size > 20_000 and narrow.stat().st_size > 20_000
    print(f"\nscreenshots: {wide} {narrow}")
