"""``make demo`` in the suite, with a two-day window: its exit code, its terminal output and its report.

The demo runs as a user runs it, in a child process (``python -m live_assets.devtools.demo``, which is what
``make demo`` calls), with everything it writes (DuckDB, the Dagster instance, the report) under the
test's temporary folder. It starts its own simulator, webserver and daemon; the test only watches.
Two days hold no whole week, so the weekly assets are left out and the tables come from the daily
KPIs (the unit tests cover the weekly plan and tables).

The bot's zone is one where it is early afternoon now (``LIVE_TIMEZONE``), so that today already holds
the degraded stretch the demo asks of the simulator whatever the hour of the run; a targets file
judges groups from 5 offered chats, so that the test's small volume is enough on a Sunday too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from live_assets.backfill.days import DayRange, last_complete_days, zone_at_local_hour
from live_assets.warehouse import Warehouse

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
DEMO_DEADLINE_SECONDS = 540.0  # under pytest-timeout's 600, so a stuck demo fails here, with its output


class Demo:
    """The demo as a child process, stopped (with everything it started) when the test ends."""

    def __init__(self, root: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.root = root
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}, **(env or {})}
        self.log = root / "demo.out"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "live_assets.devtools.demo", *args],
                cwd=PROJECT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log.read_text()

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the demo did not end within {timeout:.0f} s:\n{self.output}") from None

    def stop(self) -> None:
        """SIGTERM first (the demo then stops its Dagster and simulator), then kill what is left."""
        if self.process.poll() is not None:
            return
        try:
            descendants = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            descendants = []
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        for child in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


ZONE = zone_at_local_hour(14, dt.datetime.now(dt.UTC))


@contextlib.contextmanager
def running_demo(root: Path, days: int, **env: str) -> Iterator[Demo]:
    """The demo over ``days`` in ``root``, in a zone where it is 14:00, judging groups from 5 offered chats,
    at a third of the default volume (the path through Dagster is the same, the runs shorter)."""
    targets = root / "targets.yaml"
    targets.write_text("defaults: {min_offered: 5}\n")
    runner = Demo(
        root,
        "--days", str(days),
        "--data-dir", str(root / "data"),
        "--dagster-home", str(root / "dagster_home"),
        "--output", str(root / "reports"),
        "--timeout", str(DEMO_DEADLINE_SECONDS - 60),
        "--conversations-per-day", "100",
        env={"LIVE_TIMEZONE": ZONE, "LIVE_TARGETS_FILE": str(targets), **env},
    )  # fmt: skip
    try:
        yield runner
    finally:
        runner.stop()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    with running_demo(tmp_path, 2) as runner:
        yield runner


def test_make_demo_runs_the_demo_module() -> None:
    dry = subprocess.run(["make", "-n", "demo"], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert "python -m live_assets.devtools.demo" in dry.stdout


def test_the_demo_over_two_days_succeeds_and_writes_its_report(demo: Demo) -> None:
    started = time.monotonic()
    code = demo.wait(DEMO_DEADLINE_SECONDS)
    elapsed = time.monotonic() - started
    output = demo.output
    print(f"\ndemo --days 2: exit {code} after {elapsed:.1f} s")
    assert code == 0, output
    window = re.search(rf"the last 2 complete day\(s\) (\S+)\.\.(\S+) \({re.escape(ZONE)}\)", output)
    assert window, output
    days = DayRange(dt.date.fromisoformat(window[1]), dt.date.fromisoformat(window[2]))
    assert days == last_complete_days(2, dt.datetime.now(dt.UTC), ZONE)

    # Progress while it ran, the backfill's end, the checks, and the way to the UI.
    assert re.search(r"submitted backfill (\w+)", output)
    assert "started the Dagster daemon" in output
    assert re.search(r"backfill \w+: REQUESTED · \d+ runs? launched", output)
    assert "backfill ended: COMPLETED_SUCCESS" in output
    assert "kpi/sla_weekly: skipped (no whole partition inside" in output
    assert "check raw/conversations:conversation_id_unique: passed" in output
    assert "check kpi/sla_daily:targets_met: " in output  # passed, or a warning: the degraded group's days
    assert ": failed" not in output
    assert re.search(r"^Data: all runs succeeded, (\d+) of \1 checks passed for ", output, re.MULTILINE), output
    assert re.search(r"^Service level \S+ to \S+: ", output, re.MULTILINE), output
    assert "make dev" in output

    # The report's group table in the terminal (the report speaks Spanish by default), with its total.
    assert re.search(r"│ Todos los grupos +│ +[\d.]+ │", output)

    # The report (python -m live_assets.report's, for the two days): one file, nothing to fetch, the
    # manager's sections in order, the checks of the demo's runs at the end.
    report = demo.root / "reports" / "live-report.html"
    page = report.read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page
    assert "(2 días)" in page and "Todos los grupos" in page
    sections = re.findall(r"<section id='([a-z-]+)'>", page)
    assert sections == ["headline", "sla-groups", "sla-channels", "time-of-day", "agents", "alerts", "data"]
    for chart in re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL):
        ET.fromstring(chart)
    assert "conversation_id_unique" in page

    # Today, refreshed as the intraday schedule does: the day so far per group, the degraded group's alert
    # open in monitor.alerts, and the webhook the demo listened on got its message (Apprise's json://).
    assert re.search(r"today's refresh: run \w+ SUCCESS", output), output
    assert re.search(r"today so far \(\d\d:\d\d–\d\d:\d\d, as of", output), output
    assert re.search(r"open alerts of the bot: [1-9]", output), output
    received = re.search(r"the demo's webhook received (\d+) message\(s\)", output)
    assert received and int(received[1]) >= 1, output
    assert re.search(r"^ +\[\w+\] \[live-assets\] ALERT default · .+: SLA", output, re.MULTILINE), output
    assert re.search(r"^ +Page: http://127\.0\.0\.1:\d+/assets/kpi/sla_intraday$", output, re.MULTILINE), output
    # The demo names its pages: the week's report, and today's page that the refresh wrote beside it.
    today_page = demo.root / "reports" / "default" / "today.html"
    assert (
        f"Report of the week: {report}" in output
        and f"Today's page (rewritten at every refresh): {today_page}" in output
    )
    assert "Atendimento" in today_page.read_text(encoding="utf-8")

    # The same numbers are in DuckDB, where make dev will find them.
    warehouse = Warehouse(demo.root / "data" / "live.duckdb")
    kpi_days = warehouse.query("SELECT DISTINCT day FROM kpi.sla_daily ORDER BY 1")
    assert [day for (day,) in kpi_days] == list(days)
    offered = warehouse.query("SELECT sum(offered) FROM kpi.sla_daily")[0][0]
    conversations = warehouse.query("SELECT count(*) FROM raw.conversations")[0][0]
    assert offered == conversations > 0
    assert (demo.root / "dagster_home" / "dagster.yaml").read_text() == (PROJECT / "dagster.yaml").read_text()
    # Its first day is kept with its instance: make dev on it shows these days as the partitions.
    assert (demo.root / "dagster_home" / "live_start_date").read_text() == f"{days.first}\n"
    alerts = warehouse.query(
        "SELECT group_id, metric, notified_at IS NOT NULL FROM monitor.alerts WHERE resolved_at IS NULL"
    )
    assert (1, "sla_pct", True) in alerts, alerts
