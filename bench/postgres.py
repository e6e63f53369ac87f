"""Databases of the benchmark's own on the local PostgreSQL server that ``make postgres`` (``.ci/postgres``) starts.

A variant on PostgreSQL (the Dagster instance of ``deploy/dagster.yaml``, a DuckLake catalog) gets a fresh
database per workload, owned by a role of the benchmark's with a random password made for this process,
and dropped when the workload ends. SQL goes to ``psql`` as the ``postgres`` superuser on its stdin, so
that no password ever shows in a process list or a log.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess

from live_assets.secret import Secret

# docs/deploy.md §3: Dagster writes a range step's materialization events (one per partition) to
# PostgreSQL in batches of this many instead of one round trip each.
EVENT_BATCH_SIZE = "1000"
HOST, PORT = "127.0.0.1", 5432
ROLE = "live_assets_bench"
NOT_RUNNING = "PostgreSQL is not running on 127.0.0.1:5432: run `make postgres` first (it installs and starts it)"


class PostgresUnavailableError(RuntimeError):
    """The local server is missing or refused the benchmark's SQL."""


def _superuser(sql: str) -> None:
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qtA", "-d", "postgres"],
        input=sql,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise PostgresUnavailableError(f"{NOT_RUNNING}; psql said: {done.stderr.strip()}")


class LocalPostgres:
    """The benchmark's role on the local server, and the databases it made (dropped by :meth:`drop`)."""

    def __init__(self) -> None:
        if shutil.which("pg_isready") is None or shutil.which("runuser") is None:
            raise PostgresUnavailableError(NOT_RUNNING)
        ready = subprocess.run(["pg_isready", "-q", "-h", HOST, "-p", str(PORT)], check=False, timeout=30)
        if ready.returncode != 0:
            raise PostgresUnavailableError(NOT_RUNNING)
        self.password = Secret(secrets.token_urlsafe(24))
        _superuser(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN "
            f"CREATE ROLE {ROLE} LOGIN; END IF; END$$;\n"
            f"ALTER ROLE {ROLE} PASSWORD '{self.password.reveal()}';\n"
        )

    def create_database(self, purpose: str) -> str:
        """A new, empty database owned by the role: ``live_bench_<purpose>_<random>``."""
        name = f"live_bench_{purpose}_{secrets.token_hex(4)}"
        _superuser(f"CREATE DATABASE {name} OWNER {ROLE};\n")
        return name

    def drop(self, database: str) -> None:
        _superuser(f"DROP DATABASE IF EXISTS {database} WITH (FORCE);\n")

    def dagster_env(self, database: str) -> dict[str, str]:
        """The variables ``deploy/dagster.yaml`` reads for its storage, and the event batching that
        ``docs/deploy.md`` sets for it."""
        return {
            "DAGSTER_PG_HOST": HOST,
            "DAGSTER_PG_PORT": str(PORT),
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USER": ROLE,
            "DAGSTER_PG_PASSWORD": self.password.reveal(),
            "DAGSTER_EVENT_BATCH_SIZE": EVENT_BATCH_SIZE,
        }

    def catalog(self, database: str) -> str:
        """A libpq connection string for a DuckLake catalog, without the password (LIVE_DUCKLAKE_PASSWORD)."""
        return f"host={HOST} port={PORT} dbname={database} user={ROLE}"
