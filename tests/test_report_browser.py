"""Headless Chromium opens the report from disk at 1,400 and 390 px: every chart has marks and
axis titles with units, every claim card shows its verdict, finding sentence and comparability
strip without sideways scrolling, the search box filters the claims, the explorer finds
"Maricopa County, AZ" and draws its series, no request leaves file://, no console errors.

Needs Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` (``make browser-deps`` or
``bash scripts/install_browser.sh``). Without them these tests fail, unless
``SANCTUARY_LAB_SKIP_BROWSER=1`` is set. Screenshots go to ``test-artifacts/report/``.
"""

from __future__ import annotations

import json
import os
import re
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
WIDTHS = {"desktop": 1400, "phone": 390}
HEIGHT = 900
#: an axis title states its unit: "(...)" or a percent sign
UNIT_RE = re.compile(r"\(.+\)|%")

_CHART_STATE_JS = """
return Array.from(document.querySelectorAll('.vega-chart')).map(function (el) {
  var marks = el.querySelectorAll('svg g[class*="mark-"] path, svg g[class*="mark-"] line, '
    + 'svg g[class*="mark-"] rect, svg g[class*="mark-"] text').length;
  var texts = function (sel) {
    return Array.from(el.querySelectorAll(sel)).map(function (t) { return t.textContent; })
      .filter(function (t) { return t.trim().length > 0; });
  };
  return {id: el.id, kind: el.getAttribute('data-kind'), state: el.getAttribute('data-rendered'),
          marks: marks, svg: !!el.querySelector('svg'),
          axisTitles: texts('g.role-axis-title text'),
          legendTitles: texts('g.role-legend-title text')};
});
"""

_CARDS_JS = """
return Array.from(document.querySelectorAll('.claim-card')).filter(function (c) {
  return !c.hidden;
}).map(function (c) {
  var finding = c.querySelector('.finding');
  var badge = c.querySelector('.badge');
  var strip = c.querySelector('.strip');
  var r = c.getBoundingClientRect();
  return {id: c.id, badge: badge ? badge.textContent.trim() : '',
          badgeVisible: !!badge && badge.getBoundingClientRect().width > 0,
          finding: finding ? finding.textContent.trim() : '',
          strip: strip ? strip.textContent.trim() : '',
          stripVisible: !!strip && strip.getBoundingClientRect().height > 0,
          overflow: c.scrollWidth - c.clientWidth, right: r.right};
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


def _wait_for_charts(drv, timeout: float = 90.0, at_least: int = 0) -> list[dict]:
    deadline = time.monotonic() + timeout
    states: list[dict] = []
    while time.monotonic() < deadline:
        states = drv.execute_script(_CHART_STATE_JS)
        if len(states) >= at_least and all(s["state"] in ("ok", "error") for s in states):
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


def _assert_charts(states: list[dict], where: str) -> None:
    not_ok = [s for s in states if s["state"] != "ok" or not s["svg"] or s["marks"] == 0]
    assert not not_ok, f"{where}: charts without rendered marks {not_ok}"
    for s in states:
        if s["kind"] == "map":
            assert s["legendTitles"], f"{where}: map {s['id']} has no legend title"
            continue
        assert s["axisTitles"], f"{where}: chart {s['id']} has no axis titles"
        assert any(UNIT_RE.search(t) for t in s["axisTitles"]), (
            f"{where}: chart {s['id']} has no axis title with a unit: {s['axisTitles']}"
        )


def _check_page(drv, page: Path, name: str, width: str) -> list[dict]:
    """Load ``page`` at ``width``: charts rendered with units, no console errors, no remote
    requests, no sideways scrolling; screenshot."""
    drv.set_window_size(WIDTHS[width], HEIGHT)
    drv.get_log("performance")  # drop the events of earlier pages
    drv.get_log("browser")
    drv.get(page.resolve().as_uri())
    states = _wait_for_charts(drv)
    logs = drv.get_log("browser")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(ARTIFACTS / f"{name}-{width}.png"))
    requests = _requested_urls(drv)
    remote = [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]
    assert not remote, f"{page.name}: requests outside the report folder {remote}"
    assert any(u.endswith("assets/vega.js") for u in requests), requests
    severe = [e for e in logs if e.get("level") == "SEVERE"]
    assert not severe, f"{page.name}: console errors {severe}"
    _assert_charts(states, f"{page.name} at {width}")
    inner = drv.execute_script("return window.innerWidth")
    scroll = drv.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= inner, f"{page.name}: page is {scroll}px wide in a {inner}px viewport"
    font = drv.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('main p, main td')).fontSize)"
    )
    assert font >= 12, f"{page.name}: body text is {font}px"
    return states


def _check_cards(drv, expected: int, where: str) -> None:
    cards = drv.execute_script(_CARDS_JS)
    assert len(cards) == expected, where
    inner = drv.execute_script("return window.innerWidth")
    for c in cards:
        assert c["badge"] and c["badgeVisible"], f"{where}: {c['id']} shows no verdict"
        assert len(c["finding"]) > len("Finding: "), f"{where}: {c['id']} has no finding"
        assert c["strip"] and c["stripVisible"], f"{where}: {c['id']} has no comparability strip"
        assert c["overflow"] <= 0, f"{where}: {c['id']} scrolls sideways by {c['overflow']}px"
        assert c["right"] <= inner + 0.5, f"{where}: {c['id']} runs past the viewport"


def _type(drv, element_id: str, text: str) -> None:
    drv.execute_script(
        "var el = document.getElementById(arguments[0]); el.value = arguments[1];"
        "el.dispatchEvent(new Event('input', {bubbles: true}));",
        element_id,
        text,
    )


def _check_search(drv, data) -> None:
    total = len(data.checks)
    who = "B. Official"
    _type(drv, "claim-search", who)
    shown = drv.execute_script(_CARDS_JS)
    want = sum(1 for c in data.checks if who in c.who)
    assert 0 < want < total and len(shown) == want
    _type(drv, "claim-search", "no claim says this xyzzy")
    assert drv.execute_script(_CARDS_JS) == []
    assert drv.execute_script("return document.getElementById('no-claims').hidden") is False
    _type(drv, "claim-search", "")
    assert len(drv.execute_script(_CARDS_JS)) == total


def _check_explorer(drv, site: Path, width: str, label: str = "Maricopa County, AZ") -> None:
    drv.set_window_size(WIDTHS[width], HEIGHT)
    drv.get_log("browser")
    drv.get((site / "explorer.html").resolve().as_uri())
    _type(drv, "place-search", label)
    states = _wait_for_charts(drv, at_least=1)
    title = drv.execute_script("return document.getElementById('place-title').textContent")
    assert title == label
    assert states, "the explorer drew no series"
    _assert_charts(states, f"explorer at {width}")
    severe = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, severe
    scroll = drv.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= drv.execute_script("return window.innerWidth")
    drv.save_screenshot(str(ARTIFACTS / f"explorer-maricopa-{width}.png"))


def _pages(site: Path) -> list[Path]:
    return [
        site / "index.html",
        site / "maps.html",
        site / "data.html",
        site / "methods.html",
        site / "sources.html",
        site / "explorer.html",
        site / "studies.html",
        *sorted((site / "studies").glob("*.html")),
        *sorted((site / "claims").glob("*.html")),
    ]


def test_synthetic_report_renders_in_chromium(driver, tmp_path: Path, raw_dir: Path) -> None:
    from sanctuary_lab.report.site import write_site

    data = report_data(raw_dir)
    site = tmp_path / "site"
    summary = write_site(data, site, figures=False)
    for width in WIDTHS:
        total_charts = 0
        for page in _pages(site):
            states = _check_page(driver, page, f"synthetic-{page.parent.name}-{page.stem}", width)
            total_charts += len(states)
            if page.name == "index.html" and page.parent == site:
                _check_cards(driver, len(data.checks), f"index at {width}")
                _check_search(driver, data)
            if page.parent.name == "claims":
                _check_cards(driver, 1, f"{page.name} at {width}")
        assert total_charts == len(summary.charts)
        _check_explorer(driver, site, width)


def test_real_report_renders_in_chromium(driver, warehouse: Path, tmp_path: Path) -> None:
    """The report for the real warehouse: every chart renders with units, one card per claim,
    the explorer finds Maricopa County, AZ."""
    from sanctuary_lab.pipeline import report_data
    from sanctuary_lab.report.site import write_site
    from sanctuary_lab.studies.claims import load_registry

    data = report_data(warehouse, None)
    site = tmp_path / "site"
    summary = write_site(data, site, figures=False)
    total_charts = 0
    for page in _pages(site):
        total_charts += len(
            _check_page(driver, page, f"real-{page.parent.name}-{page.stem}", "desktop")
        )
    assert total_charts == len(summary.charts)
    n_claims = len(load_registry())
    for width in WIDTHS:
        _check_page(driver, site / "index.html", "real-index", width)
        _check_cards(driver, n_claims, f"real index at {width}")
        _check_explorer(driver, site, width)
    for page in (site / "maps.html", sorted((site / "studies").glob("*.html"))[0]):
        _check_page(driver, page, f"real-{page.stem}", "phone")
