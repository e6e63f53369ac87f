"""``make dev``: the simulator, the UI and the project's daemon come up on a persistent home, and go down together.

The runner (``python -m live_assets.devtools.dev``, what ``make dev`` calls) is started as a user starts it,
on free ports and a temporary home; the test waits for its banner, looks at what it serves, then stops
it the way a process manager does (SIGTERM) and checks that nothing it started is left running.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from live_assets import contract
from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.backfill.submit import fetch_assets
from live_assets.devtools.stack import free_port
from live_assets.settings import keep_start_date
from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD
from live_assets_tests.child import ChildProcess

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
READY_SECONDS = 240.0


class DevRunner(ChildProcess):
    """`make dev`'s runner as a child process, on free ports, with its data under the test's folder."""

    def __init__(
        self, home: Path, data: Path, api: dict[str, str] | None = None, *, home_from_env: bool = False
    ) -> None:
        """``home_from_env``: the instance's folder is given as ``DAGSTER_HOME``, not ``--dagster-home``."""
        self.home, self.port, self.sim_port = home, free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVE_", "DAGSTER_"))} | (api or {})
        env |= {
            "LIVE_DUCKDB_PATH": str(data / "live.duckdb"),
            "LIVE_LANDING_DIR": str(data / "landing"),
            "LIVE_TOKEN_CACHE_DIR": str(data / "token-cache"),
        }
        command = [sys.executable, "-m", "live_assets.devtools.dev", "--port", str(self.port), "--sim-port",
                   str(self.sim_port)]  # fmt: skip
        if home_from_env:
            env["DAGSTER_HOME"] = str(home)
        else:
            command += ["--dagster-home", str(home)]
        super().__init__(command, env=env, cwd=PROJECT)

    def wait_for_text(self, text: str, deadline: float) -> str:
        return self.wait_for(lambda line: text in line, f"with {text!r}", deadline)


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevRunner]:
    runner = DevRunner(tmp_path / "dagster_home", tmp_path / "data")
    try:
        yield runner
    finally:
        runner.kill_everything()


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_make_dev_serves_the_ui_and_the_simulator_and_stops_them_together(dev: DevRunner) -> None:
    deadline = time.monotonic() + READY_SECONDS
    assert dev.wait_for_text("Dagster UI:", deadline).split()[-1] == f"http://127.0.0.1:{dev.port}"
    assert f"simulator on http://127.0.0.1:{dev.sim_port}" in dev.wait_for_text("Live API:", deadline)

    # The UI's API serves the code location, on the instance in the given home with the shipped dagster.yaml.
    with DagsterGraphQL(f"http://127.0.0.1:{dev.port}") as client:
        groups = {asset.group for asset in fetch_assets(client)}
        instance = client.execute("{ instance { info } }")["instance"]["info"]
    assert {"live_raw", "live_kpis"} <= groups
    assert str(dev.home) in instance
    assert (dev.home / "dagster.yaml").read_text() == (PROJECT / "dagster.yaml").read_text()

    # The simulator answers with the demo account, on its own port.
    response = httpx.post(
        f"http://127.0.0.1:{dev.sim_port}{contract.LOGIN_PATH}", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200

    # The daemon is the project's (backfill iterations every second), not dagster dev's stock one.
    assert "live-assets daemon: backfill iterations" in (dev.home / "process-logs" / "daemon.log").read_text()

    # SIGTERM to the runner: the daemon, the webserver, then the simulator stop; nothing is left.
    started = dev.descendants()
    assert len(started) >= 3  # simulator, webserver, daemon (and their code servers)
    dev.process.send_signal(signal.SIGTERM)
    dev.process.wait(180)
    dev.wait_for_text("make dev: simulator stopped", time.monotonic() + 10)
    _, alive = psutil.wait_procs(started, timeout=30)
    assert alive == [], [p.cmdline() for p in alive]
    assert not listening(dev.port) and not listening(dev.sim_port)


def test_make_dev_talks_to_the_api_of_live_api_base_url_and_says_so(tmp_path: Path, sim: Any) -> None:
    """With LIVE_API_BASE_URL set no simulator starts; the processes get the user's settings (here a
    simulator of the test stands in for the vendor's API), and the banner says it is the real API."""
    api = {
        "LIVE_API_BASE_URL": sim.base_url,
        "LIVE_API_EMAIL": DEMO_EMAIL,
        "LIVE_API_PASSWORD": DEMO_PASSWORD,
        "LIVE_API_X_TOKEN": sim.config.x_token,
    }
    runner = DevRunner(tmp_path / "dagster_home", tmp_path / "data", api)
    try:
        deadline = time.monotonic() + READY_SECONDS
        assert sim.base_url in runner.wait_for_text("REAL Live API", deadline)
        assert f"REAL BOT at {sim.base_url}" in runner.wait_for_text("Live API:", deadline)
        assert not listening(runner.sim_port), "a simulator started although LIVE_API_BASE_URL is set"
        assert not (runner.home / "process-logs" / "simulator.log").exists()
    finally:
        runner.kill_everything()


def test_make_dev_on_a_dagster_home_names_the_cause_of_a_failed_load(tmp_path: Path) -> None:
    """Issue 23: a typo in the targets file beside dagster.yaml, in a DAGSTER_HOME of the user's. The runner
    uses that home (it finds the file there), and says what is wrong (file, line, key) and where the log is,
    instead of Dagster's bare "Error occurred during the loading of Dagster definitions"."""
    home = tmp_path / "my_home"
    home.mkdir()
    (home / "targets.yaml").write_text("defaults:\n  sla_pct_mn: 85\n", encoding="utf-8")
    runner = DevRunner(home, tmp_path / "data", home_from_env=True)
    try:
        deadline = time.monotonic() + READY_SECONDS
        assert f"DAGSTER_HOME={home} (DAGSTER_HOME)" in runner.wait_for_text("make dev: DAGSTER_HOME=", deadline)
        assert runner.finish(deadline) == 1, runner.output
        output = runner.output
        assert "make dev: the code location live_assets.definitions did not load:" in output, output
        assert (
            f"  {home / 'targets.yaml'}, line 2, column 3: defaults.sla_pct_mn: unknown key "
            "(expected one of sla_pct_min, abandonment_pct_max, wait_p90_s_max, min_offered)"
        ) in runner.lines, output
        log = home / "process-logs" / "webserver.log"
        assert f"make dev: the full error is in {log}" in output
        assert "sla_pct_mn" in log.read_text()
        assert "Dagster UI:" not in output  # no banner for a UI that shows nothing
        # The home's own folder got the project's dagster.yaml (it had none).
        assert (home / "dagster.yaml").read_text() == (PROJECT / "dagster.yaml").read_text()
    finally:
        runner.kill_everything()


def test_make_dev_after_the_demo_shows_the_demos_days(tmp_path: Path) -> None:
    """The demo keeps its first day with its instance; make dev on that instance, without LIVE_START_DATE,
    starts the partitions there (not on 2025-01-01: hundreds of empty days)."""
    home = tmp_path / "dagster_home"
    first = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)  # the partitions are cut in UTC here
    assert keep_start_date(home, first) == first  # what the demo does once it knows its days
    assert keep_start_date(home, first + dt.timedelta(days=1)) == first  # a shorter demo later keeps it
    runner = DevRunner(home, tmp_path / "data", home_from_env=True)
    try:
        deadline = time.monotonic() + READY_SECONDS
        runner.wait_for_text("Stop:", deadline)  # the banner's last line
        banner = runner.output
        assert f"DAGSTER_HOME:      {home} (from DAGSTER_HOME)" in banner
        assert f"First day:         {first} (kept by make demo in live_start_date)" in banner
        with DagsterGraphQL(f"http://127.0.0.1:{runner.port}") as client:
            conversations = next(a for a in fetch_assets(client) if a.path == "raw/conversations")
        assert conversations.partition_keys[0] == first.isoformat()
    finally:
        runner.kill_everything()
