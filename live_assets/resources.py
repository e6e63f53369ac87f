"""Dagster resources: the authenticated Live API client and the DuckDB warehouse.

Neither resource takes a secret as Dagster config. Secrets are read from the environment inside
the run's process when the client is opened, so they never appear in run configuration, the
launchpad or the event log; the UI shows only the non-secret fields below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from live_assets.client import LiveClient
from live_assets.settings import LiveSettings, load_settings
from live_assets.warehouse import Warehouse

DEFAULT_BOT = "default"


class LiveApiResource(dg.ConfigurableResource):
    """The Live analytics API for one bot: one HTTP client per step, logins shared on the machine."""

    bot: str = DEFAULT_BOT

    def settings(self) -> LiveSettings:
        return load_settings()

    @contextlib.contextmanager
    def open_client(self) -> Iterator[LiveClient]:
        with self.client_for(self.settings()) as client:
            yield client

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
    """Where raw responses land (``LIVE_LANDING_DIR``) and where tables live (``LIVE_DUCKDB_PATH``)."""

    duckdb_path: str
    landing_dir: str

    def warehouse(self) -> Warehouse:
        """The warehouse, with DuckDB's memory capped by ``LIVE_DUCKDB_MEMORY_LIMIT`` when it is set."""
        return Warehouse(Path(self.duckdb_path), memory_limit=load_settings().duckdb_memory_limit)

    def landing(self) -> Path:
        return Path(self.landing_dir)
