"""The Dagster UI path of issue 5, proven in headless Chromium against a real Dagster webserver and daemon.

A user of this project works in the Dagster UI: they look at the lineage, launch partition backfills
and watch the schedules. This test does the same, with Playwright driving Debian's Chromium, against
what ``make dev`` runs (``dagster-webserver`` and the project's daemon on the project's
``workspace.yaml`` and ``dagster.yaml``, started by ``live_assets.devtools.stack`` as ``make dev`` does)
and a simulator of the Live API, both started here with a throw-away ``DAGSTER_HOME``, DuckDB file
and landing folder:

1. the asset graph shows every asset of both groups and every lineage edge between them;
2. the daily raw assets and the KPIs built on them are selected, ten days chosen in the launch dialog
   and the backfill launched, then followed until the daemon completes it;
3. the UI shows those partitions materialized and the asset checks passed; DuckDB holds the days; the
   simulator saw no 429 and no more requests than the fewest the range allows;
4. the schedules appear on the automation page.

It is one test, not four: each step needs the state the previous one left (step 3 inspects step 2's
backfill), and starting Dagster is most of its cost. Each step leaves a screenshot in
``artifacts/ui/`` (ignored by git) so that a reviewer sees what the test saw; a failure leaves one of
the page as it was, and the logs of the webserver and the daemon.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect, sync_playwright

from live_assets import contract
from live_assets.backfill.check_outcomes import check_results
from live_assets.backfill.days import last_complete_days, zone_at_local_hour
from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.backfill.submit import AssetInfo, BackfillProgress, BackfillTimeoutError, wait_for_backfill
from live_assets.devtools.stack import PROJECT_DIR, LocalDagster, local_dagster
from live_assets.kpis.tables import KPI_TABLES
from live_assets.raw.endpoints import ENDPOINTS, BodyShape, EndpointSpec, Partitioning
from live_assets.raw.fetching import plan_requests
from live_assets.simulator import SimulatorConfig, SimulatorServer
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import daily_partitions, defs
from live_assets_tests.pipeline import simulator_env

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

# Debian's Chromium, installed by `make browser` (never a browser build downloaded by Playwright).
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which this
# machine's closed network refuses; --no-sandbox because CI runs the suite as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A common desktop screen: tall enough for the catalog's sixteen assets without scrolling.
VIEWPORT: ViewportSize = {"width": 1920, "height": 1200}
ARTIFACTS = PROJECT_DIR / "artifacts" / "ui"
UI_TIMEOUT_MS = 20_000
DAYS = 10
# Enough conversations for every endpoint and KPI to have rows each day; few enough that the
# per-conversation detail requests stay a small part of the backfill.
CONVERSATIONS_PER_DAY = 60
# The bot's day is at 14:00 whenever the test runs (a fixed-offset zone where it is that hour): today's
# conversations so far are many, and yesterday is final and past its freshness deadline (03:00).
LOCAL_HOUR = 14
# Dagster's backfill daemon sleeps this long between iterations (not configurable in dagster.yaml).
# The backfill needs three or four of those iterations plus its runs.
BACKFILL_TIMEOUT_SECONDS = 300.0
DAEMON_TIMEOUT_SECONDS = 120.0
POLL_SECONDS = 0.5
MAX_ZOOM_STEPS = 40
# How far (in graph units) an edge's end may be from the side of the node it touches.
EDGE_TOLERANCE = 12.0
# Tables whose rows exist only when a day's conversations produced them (a day may have no survey answer).
ROWS_MAY_SKIP_A_DAY = {"feedback"}


# --- what the definitions say the UI must show -----------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The code location as the definitions describe it: the truth the UI is compared with."""

    groups: dict[dg.AssetKey, str]
    edges: set[tuple[dg.AssetKey, dg.AssetKey]]
    # What a user backfills over a range of days: the daily assets and the unpartitioned lists they read.
    backfilled: list[dg.AssetKey]
    daily: list[dg.AssetKey]
    checks: dict[dg.AssetKey, list[str]]
    schedules: list[str]

    @property
    def group_names(self) -> set[str]:
        return set(self.groups.values())


def expected_from_definitions() -> Expected:
    # Imported here, not at collection: the definitions read the LIVE_* settings when imported.

    graph = defs.resolve_asset_graph()
    keys = sorted(graph.get_all_asset_keys())
    groups = {key: graph.get(key).group_name for key in keys}
    edges = {(parent, key) for key in keys for parent in graph.get(key).parent_keys if parent in groups}
    daily = [key for key in keys if graph.get(key).partitions_def == daily_partitions]
    unpartitioned = [key for key in keys if graph.get(key).partitions_def is None]
    backfilled = sorted([*daily, *unpartitioned])
    checks: dict[dg.AssetKey, list[str]] = defaultdict(list)
    for check_key in sorted(graph.asset_check_keys):
        if check_key.asset_key in backfilled:
            checks[check_key.asset_key].append(check_key.name)
    schedules = sorted(schedule.name for schedule in defs.schedules or [])
    return Expected(groups, edges, backfilled, daily, dict(checks), schedules)


def display_name(key: dg.AssetKey) -> str:
    """How the asset graph labels a node: the last part of its key."""
    return key.path[-1]


def backfill_days(now: dt.datetime, zone: str) -> tuple[dt.date, dt.date]:
    """The last ``DAYS`` days that are final in ``zone`` (docs/api-contract.md §1).

    Ending on the latest final day also makes the KPIs' freshness checks pass: they ask for yesterday.
    """
    days = last_complete_days(DAYS, now, zone)
    return days.first, days.last


# --- fixtures -----------------------------------------------------------------------------------------


@dataclass
class UiStack:
    sim: SimulatorServer
    dagster: LocalDagster
    client: DagsterGraphQL
    data_dir: Path
    first: dt.date
    last: dt.date

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@pytest.fixture
def artifacts() -> Path:
    """``artifacts/ui``, emptied: what it holds after a run is that run's screenshots and logs."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def stack(tmp_path: Path, artifacts: Path) -> Iterator[UiStack]:
    now = dt.datetime.now(dt.UTC)
    zone = zone_at_local_hour(LOCAL_HOUR, now)
    first, last = backfill_days(now, zone)
    config = SimulatorConfig(seed=7, conversations_per_day=CONVERSATIONS_PER_DAY, timezone=zone)
    data_dir = tmp_path / "data"
    with SimulatorServer(config) as sim:
        env = simulator_env(
            sim.base_url,
            data_dir,
            LIVE_TIMEZONE=zone,
            # Thirty daily partitions in all: the launch dialog and partition bars stay readable.
            LIVE_START_DATE=(first - dt.timedelta(days=20)).isoformat(),
            # A developer's .env must not slip a real token in.
            LIVE_API_TOKEN="",
        )
        # The logs go straight to the artefacts, next to the screenshots.
        with local_dagster(tmp_path / "dagster_home", env, artifacts) as dagster, DagsterGraphQL(dagster.url) as client:
            # A first visit shows a "Join the Dagster community" dialog; this instance has seen it.
            client.execute("mutation { setNuxSeen }")
            # The daemons a backfill needs report healthy, so that the UI does not warn they are missing.
            client.wait_for_daemons(timeout=DAEMON_TIMEOUT_SECONDS, poll=POLL_SECONDS, alive=dagster.check_alive)
            yield UiStack(sim, dagster, client, data_dir, first, last)


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(UI_TIMEOUT_MS)
            yield context.new_page()
        finally:
            browser.close()


@dataclass
class Shots:
    """Numbered screenshots, in the order the steps take them."""

    page: Page
    folder: Path
    taken: list[Path] = field(default_factory=list)

    def take(self, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=path)
        self.taken.append(path)
        return path


# --- step 1: the asset graph --------------------------------------------------------------------------

# The graph is an SVG of positioned boxes (one <foreignObject> per asset or group) and edges (<path>s
# with an arrowhead). Boxes outside the viewport are not rendered, so the test zooms out until the
# whole graph fits, as a user would to see it all, and then reads what is drawn.
READ_GRAPH_JS = """
() => {
  const svgs = [...document.querySelectorAll('svg')];
  const count = (svg) => svg.querySelectorAll(':scope > foreignObject').length;
  const svg = svgs.reduce((best, svg) => (best && count(best) >= count(svg) ? best : svg), null);
  if (!svg || count(svg) === 0) return null;
  let pane = svg;
  while (pane && getComputedStyle(pane).overflow !== 'hidden') pane = pane.parentElement;
  const boxes = [...svg.querySelectorAll(':scope > foreignObject')].map((fo) => {
    const named = fo.querySelector('[data-tooltip]');
    return {
      label: (named ? named.getAttribute('data-tooltip') : fo.textContent || '').trim(),
      x: +fo.getAttribute('x'), y: +fo.getAttribute('y'),
      w: +fo.getAttribute('width'), h: +fo.getAttribute('height'),
    };
  });
  const edges = [...svg.querySelectorAll('path[marker-end]')].map((path) => path.getAttribute('d'));
  const rect = (element) => element.getBoundingClientRect().toJSON();
  return {boxes, edges, graph: rect(svg), pane: rect(pane || svg)};
}
"""

# Resolves once the graph has stopped moving (three animation frames without a change): zooming is animated.
SETTLED_JS = """
async () => {
  const svgs = [...document.querySelectorAll('svg')];
  const svg = svgs.reduce((best, s) => (best && best.querySelectorAll(':scope > foreignObject').length
      >= s.querySelectorAll(':scope > foreignObject').length ? best : s), null);
  let last = '', same = 0;
  while (same < 3) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const r = svg.getBoundingClientRect();
    const now = [r.x, r.y, r.width, r.height].join();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return true;
}
"""


@dataclass(frozen=True)
class Box:
    label: str
    x: float
    y: float
    w: float
    h: float

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.w <= self.x + self.w
            and other.y + other.h <= self.y + self.h
        )


def shows(label: str, name: str) -> bool:
    """Whether a node label shows ``name``: in full, or shortened in the middle when zoomed out."""
    if label == name:
        return True
    head, ellipsis, tail = label.partition("…")
    return bool(ellipsis) and name.startswith(head) and name.endswith(tail) and len(head) + len(tail) < len(name)


def nav_link(page: Page, label: str) -> Locator:
    """An item of Dagster's left navigation (its accessible name starts with its icon's name)."""
    return page.get_by_role("link", name=re.compile(rf"\b{label}$")).first


def graph_button(page: Page, icon: str) -> Locator:
    """A button of the graph's toolbar, known by its icon (they have no text)."""
    return (
        page.get_by_role("button")
        .filter(has=page.get_by_role("img", name=icon, exact=True))
        .filter(has_not_text=re.compile(r"\w"))
    )


def fits(rect: Mapping[str, float], pane: Mapping[str, float], top: float) -> bool:
    """Whether the graph lies inside its pane, below the toolbar that floats over the pane's top."""
    return (
        rect["x"] >= pane["x"]
        and rect["y"] >= max(pane["y"], top)
        and rect["x"] + rect["width"] <= pane["x"] + pane["width"]
        and rect["y"] + rect["height"] <= pane["y"] + pane["height"]
    )


def read_graph(page: Page) -> dict[str, Any]:
    page.evaluate(SETTLED_JS)
    drawn = page.evaluate(READ_GRAPH_JS)
    assert drawn is not None, "no asset graph on the page"
    return drawn


def edge_ends(d: str) -> tuple[tuple[float, float], tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return (numbers[0], numbers[1]), (numbers[-2], numbers[-1])


def node_at(boxes: Sequence[tuple[dg.AssetKey, Box]], x: float, y: float, *, side: str) -> dg.AssetKey | None:
    """The node whose right (an edge's start) or left (its arrowhead) side passes through (x, y)."""
    found = [
        key
        for key, box in boxes
        if box.y <= y <= box.y + box.h and abs((box.x + box.w if side == "right" else box.x) - x) <= EDGE_TOLERANCE
    ]
    return found[0] if len(found) == 1 else None


def check_lineage(page: Page, url: str, expected: Expected, shots: Shots) -> None:
    page.goto(url)
    nav_link(page, "Lineage").click()
    expect(page).to_have_url(re.compile(r"/asset-groups"))
    # With two groups the graph opens with each group folded into one box: unfold them.
    graph_button(page, "settings").click()
    page.get_by_role("menuitem", name="Expand all groups").click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('svg > foreignObject')].length > {len(expected.group_names)}"
    )
    toolbar = page.get_by_role("button", name=re.compile(r"Materialize all")).bounding_box()
    assert toolbar is not None
    for _ in range(MAX_ZOOM_STEPS):
        drawn = read_graph(page)
        if fits(drawn["graph"], drawn["pane"], top=toolbar["y"] + toolbar["height"]):
            break
        graph_button(page, "zoom_out").click()
    else:
        pytest.fail(f"the asset graph did not fit its pane after {MAX_ZOOM_STEPS} zoom-outs: {drawn['graph']}")
    # Nodes scrolled into view render a moment after the zoom settles.
    page.wait_for_function(
        "n => [...document.querySelectorAll('svg > foreignObject')].filter(fo => fo.textContent.trim()).length >= n",
        arg=len(expected.groups) + len(expected.group_names),
    )
    drawn = read_graph(page)
    shots.take("lineage")

    boxes = [Box(**box) for box in drawn["boxes"] if box["label"]]
    group_boxes = {box.label: box for box in boxes if box.label in expected.group_names}
    assert set(group_boxes) == expected.group_names, f"groups drawn: {sorted(group_boxes)}"
    asset_boxes = [box for box in boxes if box.label not in expected.group_names]
    placed: list[tuple[dg.AssetKey, Box]] = []
    for key, group in expected.groups.items():
        matches = [box for box in asset_boxes if shows(box.label, display_name(key))]
        in_group = [box for box in matches if group_boxes[group].contains(box)]
        assert len(in_group) == 1, f"{key.to_user_string()} in group {group}: drawn as {matches}"
        placed.append((key, in_group[0]))
    unexpected = [box.label for box in asset_boxes if all(box is not placed_box for _, placed_box in placed)]
    assert not unexpected, f"the graph shows assets the definitions do not have: {unexpected}"

    drawn_edges: set[tuple[dg.AssetKey, dg.AssetKey]] = set()
    for d in drawn["edges"]:
        (sx, sy), (ex, ey) = edge_ends(d)
        source, target = node_at(placed, sx, sy, side="right"), node_at(placed, ex, ey, side="left")
        assert source is not None and target is not None, f"an edge that joins no two assets: {d}"
        drawn_edges.add((source, target))

    def named(edges: set[tuple[dg.AssetKey, dg.AssetKey]]) -> list[str]:
        return sorted(f"{a.to_user_string()} -> {b.to_user_string()}" for a, b in edges)

    assert drawn_edges == expected.edges, (
        f"missing: {named(expected.edges - drawn_edges)}; not in the definitions: {named(drawn_edges - expected.edges)}"
    )
    assert len(drawn["edges"]) == len(expected.edges), "an edge is drawn twice"


# --- step 2: a backfill launched from the UI ------------------------------------------------------------


NEXT_FRAME_JS = "() => new Promise((resolve) => requestAnimationFrame(() => resolve(null)))"
MAX_SCROLLS = 20


def asset_checkbox(page: Page, key: dg.AssetKey) -> Locator:
    """The catalog's checkbox for an asset, scrolled into the rendered rows (the table is virtualized)."""
    box = page.get_by_test_id(f"checkbox-{key.to_user_string()}")
    for _ in range(MAX_SCROLLS):
        if box.count():
            break
        page.mouse.move(VIEWPORT["width"] / 2, VIEWPORT["height"] / 2)
        page.mouse.wheel(0, 400)
        page.evaluate(NEXT_FRAME_JS)
    return box


def launch_backfill(page: Page, url: str, stack: UiStack, expected: Expected, shots: Shots) -> str:
    page.goto(url)
    nav_link(page, "Catalog").click()
    # Wait for the catalog's rows before scrolling them.
    expect(page.get_by_test_id(f"checkbox-{expected.backfilled[0].to_user_string()}")).to_be_attached()
    for key in expected.backfilled:
        box = asset_checkbox(page, key)
        box.locator("xpath=..").click()  # the label: the input itself is drawn over by a styled box
        expect(box).to_be_checked()
    selected = len(expected.backfilled)
    materialize = page.get_by_role("button", name=re.compile(rf"Materialize selected \({selected}\)"))
    expect(materialize).to_be_enabled()
    shots.take("catalog-selection")
    materialize.click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Launch runs to materialize {selected} assets")
    partitions = dialog.get_by_role("textbox").first
    partitions.fill(f"[{stack.first.isoformat()}...{stack.last.isoformat()}]")
    partitions.press("Enter")
    expect(dialog.get_by_text(f"{DAYS} partitions", exact=True)).to_be_visible()
    shots.take("launch-dialog")
    dialog.get_by_role("button", name="Launch backfill").click()

    toast = page.get_by_text(re.compile(r"Created backfill \w+"))
    expect(toast).to_be_visible()
    match = re.search(r"Created backfill (\w+)", toast.inner_text())
    assert match, toast.inner_text()
    backfill_id = match.group(1)
    page.get_by_role("link", name="View", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/runs/b/{backfill_id}"))
    expect(page.get_by_text("Partition selection", exact=True)).to_be_visible()
    shots.take("backfill-requested")
    return backfill_id


STEP_FAILURES_QUERY = """
query StepFailures($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events { __typename ... on ExecutionStepFailureEvent { stepKey error { message } } }
    }
  }
}
"""


def failure_report(client: DagsterGraphQL, progress: BackfillProgress) -> str:
    """The backfill's summary, its runs and the errors of its failed steps, for the assertion message."""
    lines = [progress.summary(), *(run.describe() for run in progress.runs)]
    for run in progress.failed_runs:
        events = client.execute(STEP_FAILURES_QUERY, {"runId": run.run_id})["logsForRun"].get("events", [])
        for event in events:
            if event["__typename"] == "ExecutionStepFailureEvent":
                lines.append(f"  {run.run_id[:8]} {event['stepKey']}: {(event.get('error') or {}).get('message')}")
    return "\n".join(lines)


def follow_backfill(page: Page, stack: UiStack, backfill_id: str, shots: Shots, steps: Steps) -> BackfillProgress:
    """Until the daemon completes the backfill (polled through GraphQL), then the backfill's page as a user sees it."""
    try:
        progress = wait_for_backfill(
            stack.client, backfill_id, timeout=BACKFILL_TIMEOUT_SECONDS, alive=stack.dagster.check_alive
        )
    except BackfillTimeoutError as error:
        pytest.fail(f"{error}\n{failure_report(stack.client, error.progress)}")
    steps.timings.update({f"  backfill {name}": seconds for name, seconds in progress.timings().items()})
    page.reload()
    expect(page.get_by_text("Partition selection", exact=True)).to_be_visible()
    if not progress.succeeded:
        shots.take("backfill-failed")
        pytest.fail(failure_report(stack.client, progress))
    expect(page.get_by_text("Succeeded", exact=True).first).to_be_visible()
    expect(page.get_by_text(re.compile(rf"{stack.first.isoformat()}\W+{stack.last.isoformat()}"))).to_be_visible()
    shots.take("backfill-succeeded")
    return progress


# --- step 3: what the backfill produced -------------------------------------------------------------------


def check_partitions_in_ui(page: Page, url: str, stack: UiStack, expected: Expected, shots: Shots) -> None:
    """Every daily asset shows the ten partitions materialized; two of them are also checked day by day."""
    in_detail = {dg.AssetKey(["raw", "conversations"]), dg.AssetKey(["kpi", "sla_daily"])} & set(expected.daily)
    days = [day.isoformat() for day in stack.days]
    outside = [(stack.first - dt.timedelta(days=1)).isoformat()]
    for key in expected.daily:
        page.goto(f"{url}/assets/{'/'.join(key.path)}?view=partitions")
        expect(page.get_by_text(f"Materialized ({DAYS})", exact=True)).to_be_visible()
        expect(page.get_by_text("Failed (0)", exact=True)).to_be_visible()
        if key in in_detail:
            # Hide the missing partitions: the list left is what is materialized.
            page.get_by_text(re.compile(r"^Missing \(\d+\)$")).click()
            expect(page.get_by_text(re.compile(rf"^{len(days)} Partitions? Selected$"))).to_be_visible()
            for day in days:
                expect(page.get_by_text(day, exact=True).first).to_be_visible()
            for day in outside:
                expect(page.get_by_text(day, exact=True)).to_have_count(0)
            shots.take(f"partitions-{'-'.join(key.path)}")
    # The catalog sums it up for a human looking at the screenshots.
    page.goto(f"{url}/assets")
    expect(page.get_by_text(re.compile(r"^\d+ partitions$")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^(- partitions|Loading…)$"))).to_have_count(0)
    shots.take("catalog-materialized")


def check_checks_in_ui(page: Page, url: str, expected: Expected, shots: Shots) -> None:
    """Every check of a backfilled asset shows as passed ("Succeeded") on the asset's checks tab."""
    for key, names in expected.checks.items():
        page.goto(f"{url}/assets/{'/'.join(key.path)}?view=checks")
        expect(page.get_by_text(f"Checks ({len(names)})", exact=True)).to_be_visible()
        for name in names:
            status = page.get_by_title(name, exact=True).first.locator("xpath=following-sibling::span[1]")
            expect(status).to_have_text("Succeeded")
        shots.take(f"checks-{'-'.join(key.path)}")


def check_every_partition_passed(stack: UiStack, expected: Expected, progress: BackfillProgress) -> None:
    """Behind the UI's latest status: each check passed for every one of the days (once, if unpartitioned)."""
    assets = [
        AssetInfo(key=tuple(key.path), group=expected.groups[key], check_names=tuple(names))
        for key, names in expected.checks.items()
    ]
    days = {day.isoformat() for day in stack.days}
    for summary in check_results(stack.client, assets, {run.run_id for run in progress.runs}):
        failures = [(e.partition, e.status, e.description) for e in summary.failures]
        assert summary.status == "passed", f"{summary.asset}:{summary.check} {summary.status} {failures}"
        partitions = {execution.partition for execution in summary.evaluated()}
        assert partitions in (days, {None}), (
            f"{summary.asset}:{summary.check} evaluated for {sorted(map(str, partitions))}"
        )


def check_warehouse(stack: UiStack, expected: Expected) -> None:
    """The DuckDB tables of the backfilled assets hold exactly the ten days (the lists: some rows)."""
    warehouse = Warehouse(stack.data_dir / "live.duckdb")
    days = set(stack.days)
    backfilled = set(expected.backfilled)
    for spec in ENDPOINTS:
        if dg.AssetKey(spec.asset_key_path) not in backfilled:
            continue
        if spec.partitioning in (Partitioning.NONE, Partitioning.TODAY):  # no dates: the lists, today so far
            assert warehouse.query(f"SELECT count(*) FROM {spec.qualified_table}")[0][0] > 0, spec.table
            continue
        held = {row[0] for row in warehouse.query(f"SELECT DISTINCT _partition_day FROM {spec.qualified_table}")}
        if spec.table in ROWS_MAY_SKIP_A_DAY:
            assert held and held <= days, f"{spec.qualified_table}: {sorted(held)}"
        else:
            assert held == days, f"{spec.qualified_table}: {sorted(held)}"
    for table in KPI_TABLES:
        if dg.AssetKey(table.asset_key_path) not in backfilled:
            continue
        sql = f"SELECT DISTINCT {table.period_column} FROM {table.qualified_table}"
        held = {row[0] for row in warehouse.query(sql)}
        assert held == days, f"{table.qualified_table}: {sorted(held)}"


def minimum_requests(specs: Sequence[EndpointSpec], first: dt.date, last: dt.date, conversations: int) -> Counter[str]:
    """The fewest data requests per path that can fetch ``specs`` over the days (docs/api-contract.md's limits)."""
    minimum: Counter[str] = Counter()
    for spec in specs:
        if spec.body is BodyShape.DETAIL_MESSAGES:
            minimum[spec.path.value] += conversations  # one detail request per conversation
        elif spec.partitioning is Partitioning.NONE:
            minimum[spec.path.value] += 1
        else:
            minimum[spec.path.value] += len(plan_requests(spec, first, last))
    return minimum


def check_api_usage(stack: UiStack, expected: Expected, artifacts: Path) -> None:
    """No 429, and no path asked more often than the fewest requests the range allows, plus the logins."""
    counters = stack.sim.counters()
    specs = [spec for spec in ENDPOINTS if dg.AssetKey(spec.asset_key_path) in set(expected.backfilled)]
    conversations = sum(len(stack.sim.conversations(day)) for day in stack.days)
    minimum = minimum_requests(specs, stack.first, stack.last, conversations)
    requests = Counter(counters["requests"])
    logins = requests.pop(contract.LOGIN_PATH, 0)
    usage = [f"{path}: {requests[path]} made, {minimum[path]} at least" for path in sorted(requests | minimum)]
    usage += [f"logins: {logins}", f"responses: {counters['responses']}"]
    (artifacts / "api-usage.txt").write_text("\n".join(usage) + "\n")

    assert counters["responses"].get("429", 0) == 0, counters["responses"]
    over = {path: (count, minimum[path]) for path, count in requests.items() if count > minimum[path]}
    assert not over, f"more requests than the minimum (made, minimum): {over}"
    assert logins == counters["logins"] >= 1
    assert counters["requests_total"] <= sum(minimum.values()) + logins
    # Every run and step shares the token through the cache: one login serves the whole backfill.
    assert logins == 1, f"{logins} logins"


# --- step 4: the schedules ----------------------------------------------------------------------------------


def check_automation_page(page: Page, url: str, expected: Expected, shots: Shots) -> None:
    page.goto(url)
    nav_link(page, "Automation").click()
    expect(page).to_have_url(re.compile(r"/automation"))
    assert expected.schedules, "the definitions have no schedule"
    for name in expected.schedules:
        # A row's link reads "<icon> <name> Scheduled <when it runs>" once the row has loaded.
        row = page.get_by_role("link", name=re.compile(rf"(^|\s){re.escape(name)}(\s|$)"))
        expect(row).to_be_visible()
        expect(row).to_contain_text("Scheduled")
    shots.take("automation")


# --- the test -------------------------------------------------------------------------------------------------


@dataclass
class Steps:
    """Names and times each step; on a failure, keeps a screenshot of the page as the step left it."""

    page: Page
    folder: Path
    timings: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        except BaseException:
            self.page.screenshot(path=self.folder / f"failed-at-{name}.png")
            raise
        finally:
            self.timings[name] = time.monotonic() - began
            lines = [f"{step}: {seconds:.1f}s\n" for step, seconds in self.timings.items()]
            (self.folder / "timings.txt").write_text("".join(lines))


def test_a_user_sees_the_lineage_backfills_ten_days_and_finds_them_materialized_and_checked(
    stack: UiStack, page: Page, artifacts: Path
) -> None:
    expected = expected_from_definitions()
    assert {"live_raw", "live_kpis"} <= expected.group_names, expected.group_names
    assert any(key.path[0] == "kpi" for key in expected.daily), "no daily KPI asset to backfill"
    url = stack.dagster.url
    shots = Shots(page, artifacts)
    step = Steps(page, artifacts)

    with step("1-lineage"):
        check_lineage(page, url, expected, shots)
    with step("2-launch-backfill"):
        backfill_id = launch_backfill(page, url, stack, expected, shots)
    with step("2-backfill-runs"):
        progress = follow_backfill(page, stack, backfill_id, shots, step)
    with step("3-partitions-in-ui"):
        check_partitions_in_ui(page, url, stack, expected, shots)
    with step("3-checks-in-ui"):
        check_checks_in_ui(page, url, expected, shots)
        check_every_partition_passed(stack, expected, progress)
    with step("3-warehouse"):
        check_warehouse(stack, expected)
    with step("3-api-usage"):
        check_api_usage(stack, expected, artifacts)
    with step("4-automation"):
        check_automation_page(page, url, expected, shots)
