"""Today's page (``<LIVE_REPORT_DIR>/<bot>/today.html``) after two intraday refreshes of a day of the
simulator with one group degraded from 08:00 to 11:00: ``kpi/sla_intraday`` materialized by Dagster
rewrites it; in headless Chromium the tiles, the open alerts and the chart are visible and nothing
overflows on a wall screen (1920×1080) nor on a phone (390×844). Screenshots go to
``artifacts/today/`` (ignored by git), for a reviewer to see what the test saw."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from live_assets.devtools.stack import PROJECT_DIR
from live_assets.monitor.judging import Verdict
from live_assets.monitor.settings import MonitorSettings
from live_assets.monitor.targets import parse_targets
from live_assets.report.today import TodaySettings, next_refresh, today_path
from live_assets.resources import WarehouseResource
from live_assets.warehouse import Warehouse
from live_assets_tests.monitor_support import conversations_today_stand_in, fill_today
from live_assets_tests.test_monitor_alerts import DAY, SLA_INTRADAY_KEY, loaded_day  # noqa: F401 (a fixture)
from live_assets_tests.test_report_browser import FIND_OVERFLOW
from live_assets_tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ARTIFACTS = PROJECT_DIR / "artifacts" / "today"
# Every group judged on its service level; the degraded group (1) falls far below its own target.
TARGETS = parse_targets("defaults: {sla_pct_min: 60, wait_p90_s_max: 900}\ngroups:\n  1: {sla_pct_min: 80}\n")
VIEWPORTS = {"wall": {"width": 1920, "height": 1080}, "phone": {"width": 390, "height": 844}}


def refresh(path: Path, at: str, lang: str) -> dg.ExecuteInProcessResult:
    """The intraday refresh at ``at`` of DAY: raw/conversations_today as it would hold, then kpi/sla_intraday."""
    fill_today(Warehouse(path), DAY, dt.time.fromisoformat(at))
    from live_assets.monitor.assets import build_intraday_assets

    now = dt.datetime.combine(DAY, dt.time.fromisoformat(at), tzinfo=dt.UTC) + dt.timedelta(minutes=2)
    today = TodaySettings(report_dir=path.parent / "reports", lang=lang, refresh_minutes=15, timezone="UTC")
    assets = build_intraday_assets(
        None, targets=TARGETS, settings=MonitorSettings(), default_bot="default", today=today, clock=lambda: now
    )
    return dg.materialize(
        [conversations_today_stand_in, *assets],
        selection=[SLA_INTRADAY_KEY],
        resources={"warehouse": WarehouseResource(duckdb_path=str(path), landing_dir=str(path.parent / "landing"))},
    )


@pytest.fixture(scope="module")
def pages(loaded_day: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:  # noqa: F811
    """The page in Spanish and in Portuguese, each after refreshes at 10:30 and 11:30."""
    written = {}
    for lang in ("es", "pt"):
        folder = tmp_path_factory.mktemp(f"today-{lang}")
        path = folder / "live.duckdb"
        shutil.copy(loaded_day, path)
        refresh(path, "10:30", lang)
        result = refresh(path, "11:30", lang)
        (materialization,) = result.asset_materializations_for_node("kpi__sla_intraday")
        written[lang] = Path(str(materialization.metadata["today_page"].value))
        assert written[lang] == today_path(folder / "reports", "default")
    return written


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True)  # the page must need nothing from the network
        yield context.new_page()
        browser.close()


def test_the_page_holds_the_latest_refresh_and_reloads_itself(pages: dict[str, Path]) -> None:
    html = pages["es"].read_text(encoding="utf-8")
    assert "<meta http-equiv='refresh' content='900'>" in html
    assert "datos de las 11:30" in html and "próxima actualización 11:45" in html  # refreshed at 11:32
    assert "Atendimento Brasil" in html and "Alertas abiertas" in html
    assert all(fetch not in html for fetch in ("src=", "href=", "url(", "@import", "<script"))
    assert "dados das 11:30" in pages["pt"].read_text(encoding="utf-8")


def test_the_next_refresh_follows_the_schedule_in_the_bots_zone() -> None:
    zone = TodaySettings(Path("."), "en", 15, "America/Sao_Paulo").zone("default")
    assert next_refresh(dt.datetime(2025, 3, 14, 14, 44, 59, tzinfo=dt.UTC), 15, zone).strftime("%H:%M") == "11:45"
    assert next_refresh(dt.datetime(2025, 3, 14, 14, 45, tzinfo=dt.UTC), 15, zone).strftime("%H:%M") == "12:00"


@pytest.mark.parametrize("lang", ["es", "pt"])
@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_tiles_alerts_and_chart_fit_a_wall_screen_and_a_phone(
    browser_page: Page, pages: dict[str, Path], screen: str, lang: str
) -> None:
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_viewport_size(VIEWPORTS[screen])
    page.goto(pages[lang].as_uri())
    degraded = page.locator("article.tile[data-group='1']")
    expect(degraded).to_be_visible()
    expect(degraded).to_have_class("tile off")  # 11:30: far below its 80 % target, as the alert says
    assert page.locator("article.tile").count() == 4
    expect(degraded.locator(".verdict")).to_have_text("fuera de objetivo" if lang == "es" else "fora da meta")
    alerts = page.locator("ul.alerts li")
    expect(alerts.first).to_be_visible()
    expect(alerts.first).to_contain_text("Atendimento Brasil")
    chart = page.locator("figure.chart .wide svg" if screen == "wall" else "figure.chart .narrow svg")
    expect(chart).to_be_visible()
    expect(page.locator("figure.chart .narrow svg" if screen == "wall" else "figure.chart .wide svg")).to_be_hidden()
    expect(page.locator("figure.chart ul.legend")).to_be_visible()
    assert chart.locator("rect").count() > 10  # a column per half hour so far
    problems = page.evaluate(FIND_OVERFLOW)
    assert problems == [], "\n".join(problems)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[screen]["width"]
    if screen == "wall":  # a wall screen shows everything without scrolling
        assert page.evaluate("document.documentElement.scrollHeight") <= VIEWPORTS[screen]["height"]
    page.screenshot(path=ARTIFACTS / f"today-{lang}-{screen}.png", full_page=True)
    assert [url for url in requests if not url.startswith("file://")] == []


def test_a_tile_has_the_colour_of_the_monitorings_verdict(pages: dict[str, Path], loaded_day: Path) -> None:  # noqa: F811
    """The tiles' verdicts are the judging module's, so the page and the alerts never disagree."""
    from live_assets.report.today import CSS_CLASS

    html = pages["es"].read_text(encoding="utf-8")
    assert f"class='tile {CSS_CLASS[Verdict.OFF_TARGET]}' data-group='1'" in html
