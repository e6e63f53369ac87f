"""``make dev`` (``python -m live_assets.devtools.dev``): the Dagster UI and daemon on persistent state.

Against the simulator, or against a real bot when ``LIVE_API_BASE_URL`` is set (in the environment or
``.env``). With no ``LIVE_API_BASE_URL`` the simulator runs on port 8765 with its demo account
(``demo@example.com``, password ``demo``, X-token ``demo-x-token``), whatever else the environment holds,
so a ``.env`` with real credentials is never used by accident; with it, no simulator starts, the
processes get your ``LIVE_*`` settings (and bots file) as they are, and the banner says loudly that every
request is the real API's. Either way ``dagster-webserver`` and the project's daemon
(``live_assets/devtools/daemon.py``: ``dagster-daemon`` with backfill iterations every second instead of
every 30 s) run on the project's ``workspace.yaml``, on the instance in ``--dagster-home``, else
``$DAGSTER_HOME``, else ``.dagster_home``. That folder's ``dagster.yaml`` is refreshed from the
project's at every start, unless the folder came from ``DAGSTER_HOME`` and has one of its own. Run
history, partition status and backfills live there and survive restarts; the DuckDB file is
``LIVE_DUCKDB_PATH`` (``data/live.duckdb``, the demo's), and without ``LIVE_START_DATE`` the partitions
start on the first day ``make demo`` kept in that instance, so ``make demo`` then ``make dev`` shows
the demo's days, runs and tables. Logs go to ``<DAGSTER_HOME>/process-logs``; when the code location
fails to load, the cause (the file, line and key of a bad setting) and the log's path are printed.
Ctrl-C (or SIGTERM) stops the daemon, the webserver, then the simulator.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from live_assets.backfill.graphql import (
    CodeLocationLoadError,
    DagsterGraphQL,
    DagsterGraphQLError,
    DagsterUnreachableError,
)
from live_assets.devtools.stack import (
    DEFAULT_DAGSTER_HOME,
    PROJECT_DIR,
    LocalDagster,
    ManagedProcess,
    ProcessDiedError,
    choose_dagster_home,
    prepare_dagster_home,
    restore_interrupts,
    simulator_settings_env,
    start_process,
)
from live_assets.report.settings import REPORT_DIR_ENV, ReportSettings
from live_assets.settings import (
    KEPT_START_DATE_FILE,
    START_DATE_ENV,
    LiveSettings,
    SettingsError,
    load_settings,
    problems_of,
    read_environment,
)

SIMULATOR_READY_SECONDS = 60.0
API_BASE_URL_ENV = "LIVE_API_BASE_URL"
DAGSTER_READY_SECONDS = 300.0
CAUSE_LINES = 12  # of a failed code location's error: a settings error is one line per problem


def load_failure(error: CodeLocationLoadError, log_dir: Path) -> str:
    """What to print when the code location did not load: the user's error first, then where the rest is."""
    # The chain's messages start with the exception's class (``live_assets.settings.SettingsErrors: ...``).
    lines = re.sub(r"^[\w.]+(Error|Errors|Exception): ", "", error.cause or error.message).splitlines()
    shown = [f"  {line}" for line in lines[:CAUSE_LINES]]
    if len(lines) > CAUSE_LINES:
        shown.append(f"  ... ({len(lines) - CAUSE_LINES} more lines)")
    return "\n".join(
        [
            f"make dev: the code location {error.location} did not load:",
            *shown,
            f"make dev: the full error is in {log_dir / 'webserver.log'}",
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m live_assets.devtools.dev",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address of the webserver and simulator (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=3000, help="Dagster webserver port (default: %(default)s)")
    parser.add_argument("--sim-port", type=int, default=8765, help="simulator port (default: %(default)s)")
    parser.add_argument(
        "--dagster-home", type=Path, help=f"the Dagster instance (default: $DAGSTER_HOME, else {DEFAULT_DAGSTER_HOME})"
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (the demo's default too)")
    return parser


def start_simulator(args: argparse.Namespace, settings: LiveSettings, log_dir: Path) -> tuple[ManagedProcess, str]:
    """``python -m live_assets.simulator`` in its own process group; returns once it answers HTTP."""
    command = [
        sys.executable,
        "-m",
        "live_assets.simulator",
        "--host",
        args.host,
        "--port",
        str(args.sim_port),
        "--seed",
        str(args.seed),
        "--timezone",
        settings.timezone,
    ]
    simulator = start_process(
        "simulator", command, env=dict(os.environ), cwd=Path.cwd(), log_path=log_dir / "simulator.log"
    )
    base_url = f"http://{args.host}:{args.sim_port}"
    deadline = time.monotonic() + SIMULATOR_READY_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while True:
            try:
                simulator.check_alive()
            except ProcessDiedError as error:
                message = f"the simulator did not start (is port {args.sim_port} in use?): {error}"
                raise ProcessDiedError(message) from None
            try:
                client.get(base_url + "/")
                return simulator, base_url
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    simulator.stop()
                    raise ProcessDiedError(f"the simulator did not answer on {base_url} within the deadline") from None
                time.sleep(0.1)


def real_api_requested() -> bool:
    """Whether the user pointed the project at an API (``LIVE_API_BASE_URL``, once ``.env`` is loaded)."""
    return bool(os.environ.get(API_BASE_URL_ENV, "").strip())


def real_api_env(settings: LiveSettings, token_cache: Path, report_dir: Path) -> dict[str, str]:
    """The user's own settings, with the paths made absolute (Dagster's processes run in DAGSTER_HOME)."""
    return {
        "LIVE_DUCKDB_PATH": str(settings.duckdb_path.resolve()),
        "LIVE_LANDING_DIR": str(settings.landing_dir.resolve()),
        "LIVE_TOKEN_CACHE_DIR": str(token_cache.resolve()),
        REPORT_DIR_ENV: str(report_dir.resolve()),
    }


class _Terminated(Exception):
    """SIGTERM reached the runner (a process manager stopping ``make dev``)."""


def _raise_terminated(_signum: int, _frame: object) -> None:
    raise _Terminated


def serve_until_stopped(dagster: LocalDagster, poll_seconds: float = 1.0) -> int:
    """Block until Ctrl-C or SIGTERM (0), or until the webserver or daemon dies (1, with its log's tail)."""
    try:
        while True:
            dagster.check_alive()
            time.sleep(poll_seconds)
    except (KeyboardInterrupt, _Terminated):
        return 0
    except ProcessDiedError as error:
        print(f"make dev: {error}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    restore_interrupts()
    signal.signal(signal.SIGTERM, _raise_terminated)
    read_environment()  # ./.env, as every command; DAGSTER_HOME may come from it too
    chosen = choose_dagster_home(args.dagster_home)
    keep_config, home_from = chosen.keeps_config, chosen.source
    home = chosen.path.resolve() if keep_config else prepare_dagster_home(chosen.path)
    try:
        # DAGSTER_HOME first: without LIVE_START_DATE, the first day kept there by ``make demo`` applies.
        settings = load_settings({**os.environ, "DAGSTER_HOME": str(home)})
    except SettingsError as error:
        for problem in problems_of(error):
            print(f"make dev: {problem}", file=sys.stderr)
        return 2
    # Not ``logs``: Dagster keeps its telemetry queue there and moves that folder's contents away.
    log_dir = home / "process-logs"
    start_from = (
        START_DATE_ENV
        if os.environ.get(START_DATE_ENV, "").strip()
        else f"kept by make demo in {KEPT_START_DATE_FILE}"
        if (home / KEPT_START_DATE_FILE).is_file()
        else f"the default: set {START_DATE_ENV}"
    )
    token_cache = settings.token_cache_dir or settings.duckdb_path.parent / "token-cache"
    report_dir = ReportSettings.from_env(os.environ).report_dir
    simulator: ManagedProcess | None = None
    if real_api_requested():
        api_env = real_api_env(settings, token_cache, report_dir)
        api_line = f"REAL BOT at {settings.base_url} (LIVE_API_BASE_URL)"
        print(
            f"make dev: talking to the REAL Live API at {settings.base_url}: requests count against your bot",
            flush=True,
        )
    else:
        try:
            simulator, base_url = start_simulator(args, settings, log_dir)
        except ProcessDiedError as error:
            print(f"make dev: {error}", file=sys.stderr)
            return 1
        api_env = simulator_settings_env(
            base_url,
            duckdb_path=settings.duckdb_path,
            landing_dir=settings.landing_dir,
            token_cache_dir=token_cache,
            settings=settings,
            report_dir=report_dir,
        )
        api_line = f"simulator on {base_url} (demo account; set LIVE_API_BASE_URL for a real bot)"
    env = {**dict(os.environ), **api_env, "DAGSTER_HOME": str(home)}
    print(f"make dev: DAGSTER_HOME={home} ({home_from}); logs in {log_dir}", flush=True)
    dagster = LocalDagster(
        dagster_home=home,
        env=env,
        log_dir=log_dir,
        project_dir=PROJECT_DIR,
        host=args.host,
        port=args.port,
        refresh_config=not keep_config,
    )
    try:
        dagster.start_webserver(timeout=DAGSTER_READY_SECONDS)
        dagster.start_daemon()
        with DagsterGraphQL(dagster.url) as client:
            client.wait_for_daemons(timeout=DAGSTER_READY_SECONDS, alive=dagster.check_alive)
        lines = [
            f"Dagster UI:        {dagster.url}",
            f"Live API:          {api_line}",
            f"DAGSTER_HOME:      {home}" + (" (from DAGSTER_HOME)" if home_from == "DAGSTER_HOME" else ""),
            f"First day:         {settings.start_date} ({start_from})",
            f"DuckDB:            {env['LIVE_DUCKDB_PATH']}",
            f"Reports:           {env[REPORT_DIR_ENV]}/<bot>/ (weekly/, daily/, custom/, today.html)",
            f"Logs:              {log_dir}/webserver.log, daemon.log" + (", simulator.log" if simulator else ""),
            f"Backfill by CLI:   python -m live_assets.backfill --url {dagster.url} --days 14 --wait",
            "Stop:              Ctrl-C",
        ]
        print("\n".join(["", "=" * 72, *lines, "=" * 72, ""]), flush=True)
        return serve_until_stopped(dagster)
    except (KeyboardInterrupt, _Terminated):
        return 0
    except CodeLocationLoadError as error:
        print(load_failure(error, log_dir), file=sys.stderr)
        return 1
    except (ProcessDiedError, DagsterUnreachableError, DagsterGraphQLError) as error:
        print(f"make dev: Dagster did not start: {error}", file=sys.stderr)
        return 1
    finally:
        dagster.stop()  # the daemon first (no new runs), then the webserver
        if simulator is not None:
            simulator.stop()
            print("make dev: simulator stopped", flush=True)
        else:
            print("make dev: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
