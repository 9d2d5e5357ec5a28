"""Headless Chromium opens the report from disk: charts render, no console errors, phone layout.

Needs Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` (``make browser-deps`` or
``bash scripts/install_browser.sh``). Without them these tests fail, unless
``SANCTUARY_LAB_SKIP_BROWSER=1`` is set. Screenshots go to ``test-artifacts/report/``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from report_fixtures import report_data

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "report"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (375, 812)
DESKTOP = (1280, 900)

_CHART_STATE_JS = """
return Array.from(document.querySelectorAll('.vega-chart')).map(function (el) {
  var marks = el.querySelectorAll('svg g[class*="mark-"] path, svg g[class*="mark-"] line, '
    + 'svg g[class*="mark-"] rect, svg g[class*="mark-"] text').length;
  var canvas = el.querySelector('canvas');
  return {id: el.id, state: el.getAttribute('data-rendered'), marks: marks,
          svg: !!el.querySelector('svg'), canvas: !!canvas};
});
"""


def _browser_binaries() -> tuple[str, str]:
    chromium = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver = shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    if chromium and driver:
        return chromium, driver
    if os.environ.get("SANCTUARY_LAB_SKIP_BROWSER") == "1":
        pytest.skip("SANCTUARY_LAB_SKIP_BROWSER=1 and chromium/chromedriver are not installed")
    pytest.fail(
        "chromium and chromedriver are required for the browser tests; install them with "
        "`make browser-deps` (bash scripts/install_browser.sh) or set SANCTUARY_LAB_SKIP_BROWSER=1"
    )


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    chromium, chromedriver = _browser_binaries()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver), options=opts)
    drv.set_page_load_timeout(120)
    try:
        yield drv
    finally:
        drv.quit()


def _wait_for_charts(drv, timeout: float = 90.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    states: list[dict] = []
    while time.monotonic() < deadline:
        states = drv.execute_script(_CHART_STATE_JS)
        if all(s["state"] in ("ok", "error") for s in states):
            return states
        time.sleep(0.25)
    return states


def _requested_urls(drv) -> list[str]:
    """URLs the page asked for since the last call (DevTools Network events)."""
    urls = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _check_page(drv, page: Path, name: str) -> list[dict]:
    """Load ``page`` at desktop size, assert charts rendered without console errors; screenshot."""
    drv.set_window_size(*DESKTOP)
    drv.get_log("performance")  # drop the events of earlier pages
    drv.get(page.resolve().as_uri())
    states = _wait_for_charts(drv)
    logs = drv.get_log("browser")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(ARTIFACTS / f"{name}-desktop.png"))
    requests = _requested_urls(drv)
    remote = [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]
    assert not remote, f"{page.name}: requests outside the report folder {remote}"
    assert any(u.endswith("assets/vega.js") for u in requests), requests
    severe = [e for e in logs if e.get("level") == "SEVERE"]
    assert not severe, f"{page.name}: console errors {severe}"
    not_ok = [s for s in states if s["state"] != "ok" or not s["svg"] or s["marks"] == 0]
    assert not not_ok, f"{page.name}: charts without rendered marks {not_ok}"
    return states


def _check_phone(drv, page: Path, name: str) -> None:
    """At 375 px wide the page does not scroll sideways and body text stays readable."""
    drv.set_window_size(*PHONE)
    drv.get(page.resolve().as_uri())
    _wait_for_charts(drv)
    inner = drv.execute_script("return window.innerWidth")
    scroll = drv.execute_script("return document.documentElement.scrollWidth")
    font = drv.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('main p, main td')).fontSize)"
    )
    drv.save_screenshot(str(ARTIFACTS / f"{name}-phone.png"))
    assert scroll <= inner, f"{page.name}: page is {scroll}px wide in a {inner}px viewport"
    assert font >= 12, f"{page.name}: body text is {font}px on a phone"


def _pages(site: Path) -> list[Path]:
    return [
        site / "index.html",
        site / "maps.html",
        site / "data.html",
        site / "studies.html",
        *sorted((site / "studies").glob("*.html")),
    ]


def test_synthetic_report_renders_in_chromium(driver, tmp_path: Path, raw_dir: Path) -> None:
    from sanctuary_lab.report.site import write_site

    data = report_data(raw_dir)
    summary = write_site(data, tmp_path / "site", figures=False)
    total_charts = 0
    for page in _pages(tmp_path / "site"):
        states = _check_page(driver, page, f"synthetic-{page.stem}")
        total_charts += len(states)
    assert total_charts == len(summary.charts)
    driver.get((tmp_path / "site" / "index.html").resolve().as_uri())
    rows = driver.execute_script(
        "return document.querySelectorAll('table.claims tr.claim-row').length"
    )
    assert rows == len(data.checks)
    for page in (
        tmp_path / "site" / "index.html",
        tmp_path / "site" / "maps.html",
        tmp_path / "site" / "studies" / "synthetic_did.html",
    ):
        _check_phone(driver, page, f"synthetic-{page.stem}")


def test_real_report_renders_in_chromium(driver, warehouse: Path, tmp_path: Path) -> None:
    """The report for the real warehouse: every chart renders, one claims row per registered claim."""
    from rich.console import Console

    from sanctuary_lab.report.commands import collect
    from sanctuary_lab.report.site import write_site
    from sanctuary_lab.studies.claims import load_registry

    data = collect(warehouse, None, Console(quiet=True))
    site = tmp_path / "site"
    summary = write_site(data, site, figures=False)
    total_charts = 0
    for page in _pages(site):
        total_charts += len(_check_page(driver, page, f"real-{page.stem}"))
    assert total_charts == len(summary.charts)
    driver.get((site / "index.html").resolve().as_uri())
    rows = driver.execute_script(
        "return document.querySelectorAll('table.claims tr.claim-row').length"
    )
    assert rows == len(load_registry())
    first_study = sorted((site / "studies").glob("*.html"))[0]
    for page in (site / "index.html", site / "maps.html", site / "data.html", first_study):
        _check_phone(driver, page, f"real-{page.stem}")
