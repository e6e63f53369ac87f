"""``python -m live_assets.simulator``: serve the simulated Live API until interrupted."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
from collections.abc import Sequence

from live_assets import contract
from live_assets.simulator.config import DEMO_EMAIL, DEMO_PASSWORD, DEMO_X_TOKEN, Degradation, LateData, SimulatorConfig
from live_assets.simulator.server import SimulatorServer


def parse_degradation(text: str) -> Degradation:
    """``GROUP_ID@HH:MM-HH:MM``: the group and the stretch of the day it is served badly."""
    try:
        group, stretch = text.split("@", 1)
        start, end = stretch.split("-", 1)
        return Degradation(int(group), dt.time.fromisoformat(start), dt.time.fromisoformat(end))
    except ValueError:
        raise ValueError(f"--degrade must be GROUP_ID@HH:MM-HH:MM (e.g. 2@09:00-11:00), got {text!r}") from None


def parse_args(argv: Sequence[str] | None = None) -> SimulatorConfig:
    parser = argparse.ArgumentParser(prog="python -m live_assets.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated data (default: %(default)s)")
    parser.add_argument("--conversations-per-day", type=int, default=300, help="weekday average")
    parser.add_argument("--timezone", default=contract.DEFAULT_TIMEZONE, help="IANA zone of every bot")
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=contract.TOKEN_TTL_SECONDS,
        help="seconds a token lives (default: %(default)s)",
    )
    parser.add_argument("--email", default=DEMO_EMAIL, help="the account's e-mail (default: %(default)s)")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="its password (default: %(default)s)")
    parser.add_argument("--x-token", default=DEMO_X_TOKEN, help="the first bot's X-token (default: %(default)s)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="base latency of every data request")
    parser.add_argument("--latency-per-row-us", type=float, default=0.0, help="extra latency per row returned")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of data requests given a fault (0..1)")
    parser.add_argument("--bots", type=int, default=1, help="bots 2.. get X-tokens <x-token>-2, <x-token>-3, ...")
    parser.add_argument("--bot-timezones", default="", help="comma-separated zones of bots 1, 2, ... (else --timezone)")
    parser.add_argument(
        "--degrade",
        default="",
        metavar="GROUP_ID@HH:MM-HH:MM",
        help="serve one group badly for a stretch of every day (600 s more wait), e.g. 2@09:00-11:00",
    )
    parser.add_argument(
        "--late-data",
        action="store_true",
        help="serve every day as it is once late conversations came and some surveys changed (a re-read sees them)",
    )
    parser.add_argument("--log-level", default="warning", help="the server's log level (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        return SimulatorConfig(
            host=args.host,
            port=args.port,
            seed=args.seed,
            conversations_per_day=args.conversations_per_day,
            timezone=args.timezone,
            token_ttl=args.token_ttl,
            email=args.email,
            password=args.password,
            x_token=args.x_token,
            latency_ms=args.latency_ms,
            latency_per_row_us=args.latency_per_row_us,
            fault_rate=args.fault_rate,
            bots=args.bots,
            bot_timezones=tuple(zone.strip() for zone in args.bot_timezones.split(",") if zone.strip()),
            log_level=args.log_level,
            degraded=parse_degradation(args.degrade) if args.degrade else None,
            late=LateData() if args.late_data else None,
        )
    except (ValueError, LookupError) as error:  # an unknown zone raises ZoneInfoNotFoundError (a KeyError)
        parser.error(str(error))
        raise  # unreachable: parser.error exits


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly on SIGTERM as on Ctrl-C
    logging.basicConfig(level=config.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    server = SimulatorServer(config)
    server.start()
    tokens = ", ".join(server.x_tokens())
    print(f"Live API simulator on {server.base_url} (X-tokens: {tokens}); Ctrl-C stops it", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
