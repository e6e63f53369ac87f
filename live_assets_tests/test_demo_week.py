"""``make demo`` over 7 days: the terminal, the UI and the report name the same groups off target.

The demo runs as a user runs it (a child process, its own simulator, webserver and daemon). Then the
test starts a webserver on the demo's Dagster instance and reads the ``targets_met`` check of
``kpi/sla_daily`` through GraphQL, as the UI shows it, and reads the report's alerts section. The
groups off target over the report's period must be the same three times; the closing lines say the
data and the service level apart. The bot's zone is one where it is early afternoon now, and a targets
file judges groups from 5 offered chats, as in ``test_demo.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_assets.backfill.check_outcomes import EXECUTIONS_QUERY, parse_executions
from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.devtools.stack import LocalDagster
from live_assets_tests.report_world import PageReader
from live_assets_tests.test_demo import DEMO_DEADLINE_SECONDS, ZONE, Demo, running_demo

pytestmark = pytest.mark.slow

METRIC_LABELS = ("SLA %", "abandonment %", "wait p90")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    with running_demo(tmp_path, 7, LIVE_REPORT_LANG="en") as runner:
        yield runner


def groups_in_closing_line(output: str) -> tuple[dt.date, dt.date, set[str]]:
    line = re.search(r"^Service level (\S+) to (\S+): (.+)\.$", output, re.MULTILINE)
    assert line, output
    first, last = dt.date.fromisoformat(line[1]), dt.date.fromisoformat(line[2])
    said = line[3]
    off = re.match(r"(\d+) of (\d+) groups off target: (.+?)(?:; \d+ group\(s\) unknown: .*)?$", said)
    if off is None:
        assert said.startswith("no group off target"), said
        return first, last, set()
    labels = "|".join(re.escape(label) for label in METRIC_LABELS)
    names = set(re.findall(rf"(?:^|, )(.+?) (?:{labels}) \(\d+ days?\)", off[3]))
    assert len(names) == int(off[1]), said
    return first, last, names


def groups_in_the_ui(dagster_home: Path, env: dict[str, str], days: set[str]) -> set[str]:
    """The groups the failing ``targets_met`` partitions of ``days`` name, through the webserver's GraphQL."""
    stack = LocalDagster(dagster_home=dagster_home, env=env, log_dir=dagster_home / "process-logs-test")
    with stack:
        stack.start_webserver()
        with DagsterGraphQL(stack.url) as client:
            rows = client.execute(
                EXECUTIONS_QUERY,
                {"assetKey": {"path": ["kpi", "sla_daily"]}, "checkName": "targets_met", "limit": 200},
            )["assetCheckExecutions"]
    latest: dict[str, object] = {}
    for execution in sorted(parse_executions("kpi/sla_daily", "targets_met", rows), key=lambda e: e.timestamp):
        if execution.partition in days:
            latest[execution.partition] = execution
    assert set(latest) == days, sorted(latest)
    names: set[str] = set()
    for execution in latest.values():
        if execution.failed and "off target" in (execution.description or ""):  # type: ignore[attr-defined]
            off_part = (execution.description or "").split("; ")[0]  # type: ignore[attr-defined]
            names |= set(re.findall(r"(?:: |, )(.+?) \(id \d+\)", off_part))
    return names


def test_the_demo_over_seven_days_names_the_same_groups_off_target_everywhere(demo: Demo) -> None:
    code = demo.wait(DEMO_DEADLINE_SECONDS)
    output = demo.output
    assert code == 0, output
    assert re.search(r"^Data: all runs succeeded, (\d+) of \1 checks passed for ", output, re.MULTILINE), output
    first, last, in_terminal = groups_in_closing_line(output)
    assert in_terminal, output  # the degraded group at least, every day of its stretch

    report = (demo.root / "reports" / "live-report.html").read_text(encoding="utf-8")
    page = PageReader(report)
    in_report = {row[1] for row in page.tables["verdicts"].rows}
    assert "No alert was open during the period." not in report

    days = {(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)}
    env = {
        "LIVE_TIMEZONE": ZONE,
        "LIVE_TARGETS_FILE": str(demo.root / "targets.yaml"),
        "LIVE_DUCKDB_PATH": str(demo.root / "data" / "live.duckdb"),
        "LIVE_LANDING_DIR": str(demo.root / "data" / "landing"),
    }
    in_the_ui = groups_in_the_ui(demo.root / "dagster_home", env, days)
    assert in_terminal == in_report == in_the_ui, (in_terminal, in_report, in_the_ui)
