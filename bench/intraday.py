"""Today's refresh on its own: one request for the day so far, its load, ``kpi/sla_intraday``, the alert
evaluation and the delivery to a webhook, at the benchmark's volume and latency (issue 14).

An alert is only as late as the refresh that finds it, so this is the figure that bounds how soon a
breach reaches the on-call. The refresh is the ``live_intraday`` job's two steps materialized in a fresh
interpreter (its peak RSS is the run's, imports included) against a simulator process, delivering to a
local JSON webhook (``live_assets/devtools/demo/webhook.py``) through Apprise; one group is served badly for four
hours of the day (the simulator's ``--degrade``), so that alerts open and are sent. The bot's zone is one where it is
22:00 or later now, so that the day so far holds nearly the whole day's conversations whatever the
hour of the run (``Etc/GMT-5`` is UTC+5)::

    .venv/bin/python -m bench.intraday ROOT VOLUME LATENCY_MS LATENCY_PER_ROW_US SEED   # writes ROOT/intraday.json
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.processes import SimulatorOptions, SimulatorProcess, peak_rss_mb
from bench.steps import environment
from live_assets.backfill.days import zone_at_local_hour
from live_assets.devtools.stack import simulator_settings_env
from live_assets.settings import LiveSettings

LATE_HOUR = 22
DEGRADED = "1@12:00-16:00"  # the busiest group, so that alerts open and their delivery is part of the figure


@dataclass(frozen=True)
class Intraday:
    """One refresh: the conversations of the day so far, its requests, its run time, its peak memory."""

    zone: str
    conversations: int
    requests: int
    run_seconds: float
    serving_seconds: float
    peak_rss_mb: float
    alerts_open: int
    messages_received: int


def measure_intraday(root: Path, options: SimulatorOptions) -> Intraday:
    """:func:`intraday_in_process` in a fresh interpreter: the project's code as it is now, its own memory."""
    root.mkdir(parents=True, exist_ok=True)
    o = options
    command = [sys.executable, "-m", "bench.intraday", str(root), str(o.conversations_per_day), str(o.latency_ms),
               str(o.latency_per_row_us), str(o.seed)]  # fmt: skip
    with (root / "intraday.log").open("wb") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1])
    return Intraday(**json.loads((root / "intraday.json").read_text()))


def _run_seconds(instance: object, run_id: str) -> float:
    import dagster as dg

    assert isinstance(instance, dg.DagsterInstance)
    marks = ("PIPELINE_START", "PIPELINE_SUCCESS")  # the run's start and success events
    times = {
        entry.dagster_event.event_type_value: entry.timestamp
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is not None and entry.dagster_event.event_type_value in marks
    }
    return times["PIPELINE_SUCCESS"] - times["PIPELINE_START"]


def intraday_in_process(root: Path, options: SimulatorOptions) -> Intraday:
    import dagster as dg

    from live_assets.definitions import build_definitions
    from live_assets.devtools.demo.webhook import running_receiver
    from live_assets.monitor.settings import MonitorSettings
    from live_assets.resources import LiveApiResource, WarehouseResource
    from live_assets.secret import Secret
    from live_assets.warehouse import Warehouse

    zone = zone_at_local_hour(LATE_HOUR, dt.datetime.now(dt.UTC))
    late = dataclasses.replace(options, timezone=zone, degrade=DEGRADED)
    with SimulatorProcess(late, root / "simulator.log") as sim, running_receiver() as receiver:
        settings = LiveSettings(timezone=zone, start_date=dt.date(2020, 1, 1))
        env = simulator_settings_env(sim.base_url, duckdb_path=root / "live.duckdb", landing_dir=root / "landing",
                                     token_cache_dir=root / "token-cache", settings=settings)  # fmt: skip
        monitor = MonitorSettings(alert_urls=(Secret(receiver.url),))
        defs = build_definitions(settings, monitor=monitor)
        lists, job = defs.resolve_job_def("live_dimensions"), defs.resolve_job_def("live_intraday")
        resources = {
            "live_api": LiveApiResource(),
            "warehouse": WarehouseResource(duckdb_path=env["LIVE_DUCKDB_PATH"], landing_dir=env["LIVE_LANDING_DIR"]),
        }
        with environment(env, root), dg.DagsterInstance.ephemeral() as instance:
            # The groups' SLA thresholds come from the lists, loaded once a day: set-up, not measured.
            dg.materialize(list(defs.assets or []), selection=list(lists.asset_layer.selected_asset_keys),
                           resources=resources, instance=instance)  # fmt: skip
            sim.reset_counters()
            result = dg.materialize(list(defs.assets or []), selection=list(job.asset_layer.selected_asset_keys),
                                    resources=resources, instance=instance)  # fmt: skip
            counters = sim.counters()
            seconds = _run_seconds(instance, result.run_id)
        received = receiver.drain()
    warehouse = Warehouse(root / "live.duckdb")
    (conversations,) = warehouse.query("SELECT count(*) FROM raw.conversations_today")[0]
    (open_alerts,) = warehouse.query("SELECT count(*) FROM monitor.alerts WHERE resolved_at IS NULL")[0]
    return Intraday(
        zone=zone,
        conversations=int(conversations),
        requests=int(sum(counters["requests"].values())),
        run_seconds=seconds,
        serving_seconds=float(counters["serving_seconds"]),
        peak_rss_mb=peak_rss_mb(),
        alerts_open=int(open_alerts),
        messages_received=len(received),
    )


def main(argv: list[str]) -> int:
    root, volume, latency, per_row, seed = argv
    options = SimulatorOptions(int(volume), float(latency), float(per_row), int(seed))
    measured = intraday_in_process(Path(root), options)
    (Path(root) / "intraday.json").write_text(json.dumps(measured.__dict__))
    print(json.dumps(measured.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
