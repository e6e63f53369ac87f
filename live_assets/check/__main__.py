"""Command line of the connection check; see ``live_assets.check``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from live_assets.bots import load_bots
from live_assets.check.probes import run_check
from live_assets.check.start import start_date_finding
from live_assets.resources import DEFAULT_BOT
from live_assets.settings import (
    START_DATE_ENV,
    LiveSettings,
    SettingsError,
    _text,
    kept_start_date,
    load_settings,
    problems_of,
    read_environment,
)
from live_assets.validation import setting_problems


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


def start_date_unset(env: Mapping[str, str]) -> bool:
    """No ``LIVE_START_DATE``, no bots file (its bots have their own) and no first day kept by ``make demo``."""
    if _text(env, START_DATE_ENV) is not None or load_bots(env) is not None:
        return False
    home = _text(env, "DAGSTER_HOME")
    return home is None or kept_start_date(Path(home)) is None


def settings_problems(env: Mapping[str, str], bot: str | None) -> tuple[list[str], tuple[str, LiveSettings] | None]:
    """Every problem of every setting (``live_assets.validation``, as the code location checks them) and
    of the chosen bot's API access; the bot and its settings when there is none."""
    problems = setting_problems(env)
    try:
        chosen = bot_settings(bot)
        chosen[1].require_api_access()
    except SettingsError as error:
        return problems + [problem for problem in problems_of(error) if problem not in problems], None
    return problems, (None if problems else chosen)


def main(argv: Sequence[str] | None = None) -> int:
    import live_assets.check

    parser = argparse.ArgumentParser(
        prog="python -m live_assets.check",
        description=live_assets.check.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    env = read_environment()
    problems, chosen = settings_problems(env, options.bot)
    if chosen is None:  # nothing was sent: a wrong setting would make every answer meaningless
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(problems)} setting(s) to fix before any request is sent (exit 2)", file=sys.stderr)
        return 2
    bot, settings = chosen
    report = run_check(settings, bot, days=options.days, probe_concurrency=options.probe_concurrency, say=print)
    if report.exit_code < 2 and start_date_unset(env):
        report.add(start_date_finding(report))
    print(report.render())
    if options.json is not None:
        options.json.write_text(report.to_json() + "\n", encoding="utf-8")
        print(f"Report written to {options.json}")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
