"""The report in headless Chromium (Debian's, driven by Playwright): on screen and emulating A4 print,
no element overflows its box or the page and no chart text leaves its chart, for the weekly and daily
reports, an empty period, one group and forty groups. Screenshots and A4 PDFs go to
``artifacts/report/`` (ignored by git), for a reviewer to see what the test saw."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from live_assets.devtools.stack import PROJECT_DIR
from live_assets.report.build import write_report
from live_assets.report.period import Period
from live_assets.warehouse import Warehouse
from live_assets_tests.report_world import ALERTS_DDL, DAY, FORTY_GROUPS, ONE_GROUP, WEEK, copy_world, targets, variant
from live_assets_tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ARTIFACTS = PROJECT_DIR / "artifacts" / "report"
# A4 at 96 px per inch is 794 px wide; less the print margins (11 mm each side) the page is ~711 px.
A4_CONTENT_WIDTH = 711

# Every element whose content is wider than its box (a clipped or scrolling table, a word run out of
# a tile), every element reaching past the page's right edge, and every SVG text outside its chart.
FIND_OVERFLOW = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  for (const element of document.body.querySelectorAll('*')) {
    if (element.closest('svg')) continue;
    const box = element.getBoundingClientRect();
    const name = `${element.tagName}.${element.className} '${element.textContent.slice(0, 40)}'`;
    if (element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).display !== 'inline')
      problems.push(`${name}: content ${element.scrollWidth} > box ${element.clientWidth}`);
    if (box.right > width + 1) problems.push(`${name}: right ${box.right} > page ${width}`);
  }
  for (const svg of document.querySelectorAll('svg')) {
    const frame = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll('text')) {
      const box = text.getBoundingClientRect();
      const inside = box.left >= frame.left - 1 && box.right <= frame.right + 1
        && box.top >= frame.top - 1 && box.bottom <= frame.bottom + 1;
      if (!inside)
        problems.push(`svg text '${text.textContent}' outside its chart`);
    }
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def pages(report_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The reports to look at, written from the real-runs warehouse and its edge-case copies."""
    root = tmp_path_factory.mktemp("report-pages")
    world = copy_world(report_world, root / "world")
    cases = {
        "weekly-es": (world, Period(*WEEK), "es"),
        "daily-pt-alerts": (variant(world, root / "alerts", ALERTS_DDL), Period(DAY, DAY), "pt"),
        "empty-en": (world, Period(dt.date(2025, 1, 6), dt.date(2025, 1, 12)), "en"),
        "one-group-en": (variant(world, root / "one", ONE_GROUP), Period(*WEEK), "en"),
        "forty-groups-es": (variant(world, root / "forty", FORTY_GROUPS), Period(*WEEK), "es"),
    }
    written = {}
    for name, (path, period, lang) in cases.items():
        report = write_report(
            Warehouse(path), period, "default", root / f"{name}.html", targets=targets(), timezone="UTC", lang=lang
        )
        written[name] = report.path
    return written


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True)  # the page must need nothing from the network
        page = context.new_page()
        yield page
        browser.close()


@pytest.mark.parametrize("name", ["weekly-es", "daily-pt-alerts", "empty-en", "one-group-en", "forty-groups-es"])
def test_the_report_fits_the_screen_and_a4(browser_page: Page, pages: dict[str, Path], name: str) -> None:
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="screen")
    page.goto(pages[name].as_uri())
    problems = page.evaluate(FIND_OVERFLOW)
    assert problems == [], "\n".join(problems)
    page.screenshot(path=ARTIFACTS / f"{name}-screen.png", full_page=True)

    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1123})
    page.emulate_media(media="print")
    problems = page.evaluate(FIND_OVERFLOW)
    assert problems == [], "\n".join(problems)
    page.screenshot(path=ARTIFACTS / f"{name}-print.png", full_page=True)
    page.pdf(path=ARTIFACTS / f"{name}-a4.pdf", format="A4", print_background=True)
    assert (ARTIFACTS / f"{name}-a4.pdf").stat().st_size > 10_000
    assert [url for url in requests if not url.startswith("file://")] == []
