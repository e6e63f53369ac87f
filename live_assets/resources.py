"""Dagster resources: the authenticated Live API client and the DuckDB warehouse.

Neither resource takes a secret as Dagster config. Secrets are read from the environment inside
the run's process when the client is opened, so they never appear in run configuration, the
launchpad or the event log; the UI shows only the non-secret fields below.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from live_assets.bots import load_bots_file
from live_assets.client import LiveClient
from live_assets.names import DEFAULT_BOT
from live_assets.settings import LiveSettings, SettingsError, load_settings
from live_assets.warehouse import WarehouseBase
from live_assets.warehouse.settings import WarehouseSettings, open_warehouse


class LiveApiResource(dg.ConfigurableResource):
    """The Live analytics API: each bot's settings and an authenticated client, read in the run's process.

    ``bots_file`` is the bots file the code location was built from (None: one bot, ``bot``, from the
    ``LIVE_*`` variables); each bot's secrets are read from the variables its entry names.
    """

    bot: str = DEFAULT_BOT
    bots_file: str | None = None

    def settings(self) -> LiveSettings:
        return load_settings()

    def settings_for(self, bot: str) -> LiveSettings:
        """The settings of ``bot``: its bots-file entry, or the ``LIVE_*`` variables with no file."""
        if self.bots_file is None:
            if bot != self.bot:
                raise SettingsError(f"bot {bot!r} is not this deployment's bot ({self.bot!r}); is a bots file missing?")
            return self.settings()
        for spec in load_bots_file(Path(self.bots_file)):
            if spec.name == bot:
                return spec.settings()
        raise SettingsError(f"bot {bot!r} is not in {self.bots_file} (reload the code location?)")

    @contextlib.contextmanager
    def open_client(self, bot: str | None = None) -> Iterator[LiveClient]:
        with self.client_for(self.settings_for(bot or self.bot)) as client:
            yield client

    @staticmethod
    @contextlib.contextmanager
    def client_for(settings: LiveSettings) -> Iterator[LiveClient]:
        """A client for any bot's settings, closed on exit."""
        client = LiveClient.from_settings(settings)
        try:
            yield client
        finally:
            client.close()


PUBLISHED_FOLDER = "published"


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
        """Where the Parquet copies for BI tools go: ``LIVE_PUBLISH_DIR``, else ``published/`` beside the file."""
        return self.warehouse_settings().publish_dir or Path(self.duckdb_path).parent / PUBLISHED_FOLDER

    def landing(self) -> Path:
        return Path(self.landing_dir)
