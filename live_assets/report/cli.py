"""``python -m live_assets.report --from DAY --to DAY [--bot NAME] [--output FILE]``: the same report as
the assets write, for any range of days, from the warehouse (``LIVE_DUCKDB_PATH``) alone.

Exit codes: 0 written, 2 bad arguments or settings (the message names the option or variable).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from live_assets.bots import load_bots
from live_assets.monitor.targets import load_targets, targets_file_path
from live_assets.report.build import WrittenReport, write_report
from live_assets.report.data import ReportData
from live_assets.report.i18n import LANGUAGES, Words
from live_assets.report.period import Period, report_path
from live_assets.report.settings import ReportSettings
from live_assets.report.tables import Column, format_table
from live_assets.resources import DEFAULT_BOT
from live_assets.settings import SettingsError, load_settings
from live_assets.warehouse import Warehouse

EXIT_OK, EXIT_USAGE = 0, 2


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m live_assets.report",
        description="Write the contact-center report of a range of days from the warehouse (no API call).",
    )
    parser.add_argument("--from", dest="first", type=_day, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", type=_day, required=True, help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument(
        "--bot", default=None, help=f"the bot (default: {DEFAULT_BOT!r}, the one bot without a bots file)"
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="the HTML file (default: LIVE_REPORT_DIR/<bot>/<kind>/<period>.html)"
    )
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help="language (default: LIVE_REPORT_LANG)")
    return parser


def summary_text(data: ReportData, words: Words) -> str:
    """The group table as aligned text, for a terminal or a CI log."""
    numeric = ("col.offered", "col.lost", "col.sla", "col.abandonment", "col.wait_p90", "col.csat")
    columns = [Column(words("col.group")), *(Column(words(key), numeric=True) for key in numeric)]
    rows = [
        (
            g.name,
            words.count(g.offered),
            words.count(g.lost),
            words.pct(g.sla_pct),
            words.pct(g.abandonment_pct),
            words.seconds(g.wait_p90_s),
            words.pct(g.csat_pct),
        )
        for g in [*data.groups, *([data.total] if data.total else [])]
    ]
    return format_table(columns, rows, title=data.period.label(words), footer_rows=1 if data.total else 0)


def run(argv: Sequence[str] | None, out: TextIO) -> WrittenReport:
    args = build_parser().parse_args(argv)
    if args.last < args.first:
        raise SettingsError(f"--to {args.last} is before --from {args.first}")
    settings = load_settings()
    report_settings = ReportSettings.from_env(os.environ)
    bots = load_bots()
    bot = args.bot or (bots[0].name if bots else DEFAULT_BOT)
    timezone = settings.timezone
    if bots is not None:
        spec = next((b for b in bots if b.name == bot), None)
        if spec is None:
            raise SettingsError(f"--bot {bot!r} is not in the bots file (known: {', '.join(b.name for b in bots)})")
        timezone = spec.timezone
    if not settings.duckdb_path.is_file():
        raise SettingsError(f"LIVE_DUCKDB_PATH: no warehouse at {settings.duckdb_path}")
    period = Period(args.first, args.last)
    lang = args.lang or report_settings.lang
    path = args.output or report_path(report_settings.report_dir, bot, period)
    written = write_report(
        Warehouse(settings.duckdb_path, memory_limit=settings.duckdb_memory_limit),
        period,
        bot,
        path,
        targets=load_targets(targets_file_path()),
        timezone=timezone,
        lang=lang,
    )
    words = Words(lang)
    print(summary_text(written.data, words) if not written.data.empty else words("empty"), file=out)
    print(f"report: {written.path}", file=out)
    return written


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    try:
        run(argv, out or sys.stdout)
    except SettingsError as error:
        print(f"report: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
