"""Command line of the connection check; see ``live_assets.check``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from live_assets.bots import load_bots
from live_assets.check.probes import run_check
from live_assets.resources import DEFAULT_BOT
from live_assets.settings import LiveSettings, SettingsError, load_settings


def bot_settings(name: str | None) -> tuple[str, LiveSettings]:
    """The named bot's settings: its bots-file entry, or the ``LIVE_*`` variables when there is no file."""
    settings = load_settings()
    bots = load_bots()
    if bots is None:
        if name not in (None, DEFAULT_BOT):
            raise SettingsError(f"--bot {name}: there is no bots file (LIVE_BOTS_FILE), only the bot of LIVE_*")
        return DEFAULT_BOT, settings
    names = [bot.name for bot in bots]
    if name is None and len(bots) == 1:
        name = names[0]
    chosen = next((bot for bot in bots if bot.name == name), None)
    if chosen is None:
        raise SettingsError(f"--bot: choose one of the bots file's bots: {', '.join(names)}")
    return chosen.name, chosen.settings(base=settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m live_assets.check", description=__doc__)
    parser.add_argument("--bot", help="the bot of the bots file to check (default: the only one)")
    parser.add_argument("--days", type=int, default=30, help="days of the backfill to estimate (default 30)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON to FILE")
    parser.add_argument(
        "--probe-concurrency",
        action="store_true",
        help="also send a second request while one is in flight, to see whether the API refuses it (429): "
        "this breaks the vendor's one-request rule while it runs, past the bot's token lock",
    )
    options = parser.parse_args(argv)
    if options.days < 1:
        parser.error("--days must be at least 1")
    try:
        bot, settings = bot_settings(options.bot)
        settings.require_api_access()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = run_check(settings, bot, days=options.days, probe_concurrency=options.probe_concurrency, say=print)
    print(report.render())
    if options.json is not None:
        options.json.write_text(report.to_json() + "\n", encoding="utf-8")
        print(f"Report written to {options.json}")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
