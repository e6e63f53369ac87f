"""Dagster resources: the authenticated Live API client and the DuckDB warehouse.

Neither resource takes a secret as Dagster config. Secrets are read from the environment inside
the run's process when the client is opened, so they never appear in run configuration, the
launchpad or the event log; the UI shows only the non-secret fields below.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from live_assets.client import LiveClient
from live_assets.client.run_lane import RunLane
from live_assets.settings import LiveSettings, load_settings
from live_assets.warehouse import WarehouseBase
from live_assets.warehouse.settings import WarehouseSettings, open_warehouse

DEFAULT_BOT = "default"


_RUN_LANES: dict[str, RunLane[Any]] = {}
_RUN_LANES_LOCK = threading.Lock()


class LiveApiResource(dg.ConfigurableResource):
    """The Live analytics API: one request lane (thread and clients) per run, logins shared on the machine."""

    bot: str = DEFAULT_BOT

    def settings(self) -> LiveSettings:
        return load_settings()

    @contextlib.contextmanager
    def open_client(self) -> Iterator[LiveClient]:
        with self.client_for(self.settings()) as client:
            yield client

    @staticmethod
    def run_lane(run_id: str) -> RunLane[Any]:
        """Run ``run_id``'s request lane in this process, created by the run's first raw step.

        One per run, not per step: with the in-process executor (the shipped one) every step of a run
        shares it, which is what lets it fetch the next step's windows while a step finishes.
        """
        with _RUN_LANES_LOCK:
            if run_id not in _RUN_LANES:
                _RUN_LANES[run_id] = RunLane()
            return _RUN_LANES[run_id]

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Close the run's request lane (its thread and clients) when the run, or a step's process, ends."""
        with _RUN_LANES_LOCK:
            lane = _RUN_LANES.pop(context.run_id, None) if context.run_id else None
        if lane is not None:
            lane.close()

    @staticmethod
    @contextlib.contextmanager
    def client_for(settings: LiveSettings) -> Iterator[LiveClient]:
        """A client for any bot's settings (many bots: ``live_assets.scope.bot_settings``), closed on exit."""
        client = LiveClient.from_settings(settings)
        try:
            yield client
        finally:
            client.close()


class WarehouseResource(dg.ConfigurableResource):
    """Where raw responses land (``LIVE_LANDING_DIR``) and where tables live: the DuckDB file
    (``LIVE_DUCKDB_PATH``) or, with ``LIVE_WAREHOUSE=ducklake``, a DuckLake (``live_assets/warehouse``)."""

    duckdb_path: str
    landing_dir: str

    def warehouse_settings(self) -> WarehouseSettings:
        """``LIVE_WAREHOUSE`` and the DuckLake's settings, read in the run's process (the password too)."""
        load_settings()  # loads ./.env into the environment, as every setting does
        return WarehouseSettings.from_env(os.environ)

    def warehouse(self) -> WarehouseBase:
        """The warehouse ``LIVE_WAREHOUSE`` chooses, with DuckDB's memory capped by ``LIVE_DUCKDB_MEMORY_LIMIT``
        when it is set; waits for the file and retried conflicts are logged to the step's log."""
        live = dataclasses.replace(load_settings(), duckdb_path=Path(self.duckdb_path))
        return open_warehouse(live, self.warehouse_settings(), logger=dg.get_dagster_logger("live_assets.warehouse"))

    def publish_dir(self) -> Path:
        """Where the Parquet copies for BI tools go (``LIVE_PUBLISH_DIR``)."""
        return self.warehouse_settings().publish_dir

    def landing(self) -> Path:
        return Path(self.landing_dir)
