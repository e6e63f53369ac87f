"""``make dev`` (``python -m live_assets.ops.dev``): the simulator and ``dagster dev``, on persistent state.

The simulator runs in the background on port 8765; ``dagster dev`` (webserver, daemon, code server)
runs in the foreground on the project's ``workspace.yaml`` with ``DAGSTER_HOME=.dagster_home``, whose
``dagster.yaml`` is refreshed from the project's at every start. Run history, partition status and
backfills live in ``.dagster_home`` and survive restarts; the DuckDB file is the demo's
(``LIVE_DUCKDB_PATH``, ``data/live.duckdb`` by default), so ``make demo`` then ``make dev`` shows the
demo's runs and tables. Ctrl-C stops ``dagster dev``; the simulator is stopped when it exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from live_assets.ops.graphql import DagsterGraphQL, DagsterGraphQLError, DagsterUnreachableError
from live_assets.ops.stack import (
    ManagedProcess,
    ProcessDiedError,
    dagster_executable,
    prepare_dagster_home,
    restore_interrupts,
    simulator_settings_env,
    start_process,
)
from live_assets.settings import LiveSettings, SettingsError, load_settings

SIMULATOR_READY_SECONDS = 60.0
DAGSTER_READY_SECONDS = 300.0
# dagster dev waits up to 60 s for each of its webserver and daemon before killing them.
DAGSTER_STOP_SECONDS = 150.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m live_assets.ops.dev", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="Dagster webserver port (default: %(default)s)")
    parser.add_argument("--sim-port", type=int, default=8765, help="simulator port (default: %(default)s)")
    parser.add_argument("--dagster-home", type=Path, default=Path(".dagster_home"))
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


def announce_when_ready(url: str, dagster: subprocess.Popen[bytes], lines: Sequence[str]) -> None:
    """Print the URL once the webserver serves the code location (dagster dev's own logs come first)."""
    with DagsterGraphQL(url) as client:
        try:
            client.wait_until_loaded(timeout=DAGSTER_READY_SECONDS, alive=lambda: _raise_if_exited(dagster))
        except (DagsterUnreachableError, DagsterGraphQLError, ProcessDiedError) as error:
            print(f"\nmake dev: Dagster is not ready: {error}", flush=True)
            return
    banner = "\n".join(["", "=" * 72, *lines, "=" * 72, ""])
    print(banner, flush=True)


def _raise_if_exited(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        raise ProcessDiedError(f"dagster dev exited with code {process.returncode}")


class _Terminated(Exception):
    """SIGTERM reached this wrapper (not the terminal's Ctrl-C, which dagster dev receives itself)."""


def _raise_terminated(_signum: int, _frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    restore_interrupts()
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"make dev: {error}", file=sys.stderr)
        return 2
    home = prepare_dagster_home(args.dagster_home)
    log_dir = home / "logs"
    try:
        simulator, base_url = start_simulator(args, settings, log_dir)
    except ProcessDiedError as error:
        print(f"make dev: {error}", file=sys.stderr)
        return 1
    token_cache = settings.token_cache_dir or settings.duckdb_path.parent / "token-cache"
    env = {
        **dict(os.environ),
        **simulator_settings_env(
            base_url,
            duckdb_path=settings.duckdb_path,
            landing_dir=settings.landing_dir,
            token_cache_dir=token_cache,
            settings=settings,
        ),
        "DAGSTER_HOME": str(home),
    }
    url = f"http://{args.host}:{args.port}"
    command = [
        dagster_executable("dagster"),
        "dev",
        "-w",
        str(Path(__file__).resolve().parents[2] / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    try:
        # Foreground, same process group: the terminal's Ctrl-C reaches dagster dev, which shuts down
        # its webserver, daemon and code server itself. Its working directory is DAGSTER_HOME so that
        # a project ``.env`` (which Dagster would load over our environment) cannot redirect the API.
        dagster = subprocess.Popen(command, cwd=home, env=env)  # noqa: S603 - our interpreter's dagster
        lines = [
            f"Dagster UI:        {url}",
            f"Live API:          simulator on {base_url} (demo account; log {log_dir / 'simulator.log'})",
            f"DAGSTER_HOME:      {home}",
            f"DuckDB:            {env['LIVE_DUCKDB_PATH']}",
            f"Backfill by CLI:   python -m live_assets.backfill --url {url} --days 14 --wait",
            "Stop:              Ctrl-C",
        ]
        threading.Thread(target=announce_when_ready, args=(url, dagster, lines), daemon=True).start()
        try:
            return dagster.wait()
        except (KeyboardInterrupt, _Terminated) as stop:
            if isinstance(stop, _Terminated):
                dagster.send_signal(signal.SIGINT)  # dagster dev's own graceful shutdown
            try:
                return dagster.wait(timeout=DAGSTER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                dagster.kill()
                return dagster.wait()
    finally:
        simulator.stop()
        print("make dev: simulator stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
