"""``python -m live_assets.backfill``: submit a partition backfill to a running Dagster, as the UI does.

    python -m live_assets.backfill --url http://127.0.0.1:3000 --from 2026-11-01 --to 2026-11-14 \\
        --select group:live_raw,group:live_kpis --wait
    python -m live_assets.backfill --days 7 --select group:live_raw --exclude raw/conversation_messages --wait

The backfill goes through the webserver's GraphQL API (``launchPartitionBackfill``) and is run by the
daemon, exactly like one launched from the UI: it is listed on the UI's backfill page, its runs wait
in the run queue and respect the pools of ``dagster.yaml``. Nothing runs in this process. Daily
assets get every day of the range, weekly assets the weeks wholly inside it, unpartitioned assets
(the agent and group lists) are refreshed once. ``--days N`` instead of ``--from/--to`` picks the
last N complete days in the bot's zone (``LIVE_TIMEZONE``).

With a bots file the assets are partitioned by bot x date: ``--bot NAME`` (repeatable) chooses the bots,
all of them by default, and the keys submitted are ``<bot>|<date>``. Runs of one bot may overlap: their
requests share the bot's token through the API client's token lock.

Exit codes: 0 submitted (or, with ``--wait``, completed successfully); 1 the backfill or a run failed;
2 bad arguments or the webserver refused the backfill; 3 Dagster unreachable or timed out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from live_assets import clock
from live_assets.backfill.days import DayRange, last_complete_days
from live_assets.backfill.graphql import DagsterGraphQL, DagsterGraphQLError, DagsterUnreachableError
from live_assets.backfill.submit import (
    BackfillError,
    BackfillProgress,
    BackfillTimeoutError,
    bots_of,
    fetch_assets,
    launch_backfill,
    launcher_tags,
    plan_backfill,
    select_assets,
    wait_for_backfill,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


def backfill_url(base_url: str, backfill_id: str) -> str:
    """The backfill's page in the Dagster UI."""
    return f"{base_url.rstrip('/')}/runs/b/{backfill_id}?tab=partitions"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected a tag as KEY=VALUE, got {text!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m live_assets.backfill",
        description="Submit a partition backfill to a running Dagster webserver (the daemon runs it).",
    )
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the Dagster webserver (default: %(default)s)")
    parser.add_argument("--from", dest="first", type=_date, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", type=_date, help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--days", type=int, help="instead of --from/--to: the last N complete days in LIVE_TIMEZONE")
    parser.add_argument(
        "--select",
        action="append",
        help="assets: group:NAME, key:PATH, kind:NAME or a key (raw/agents), comma-separated; default: every asset",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        help="assets to leave out of the selection, same forms as --select, e.g. raw/conversation_messages",
    )
    parser.add_argument("--tag", action="append", type=_tag, default=[], help="extra run tag KEY=VALUE (repeatable)")
    parser.add_argument(
        "--bot",
        action="append",
        help="with a bots file: a bot to backfill (repeatable; default: every bot of the file)",
    )
    parser.add_argument("--title", help="the backfill's title in the UI")
    parser.add_argument("--wait", action="store_true", help="follow the backfill until it ends; exit 1 if it failed")
    parser.add_argument("--timeout", type=float, default=3600.0, help="with --wait: give up after this many seconds")
    parser.add_argument("--dry-run", action="store_true", help="print what would be backfilled, submit nothing")
    return parser


def resolve_days(args: argparse.Namespace, parser: argparse.ArgumentParser) -> DayRange:
    if args.days is not None:
        if args.first or args.last:
            parser.error("use either --days or --from/--to")
        from live_assets.settings import SettingsError, load_settings

        try:
            settings = load_settings()
            return last_complete_days(args.days, clock.now(), settings.timezone, start_date=settings.start_date)
        except (SettingsError, ValueError) as error:
            parser.error(str(error))
    if args.first is None or args.last is None:
        parser.error("give --from and --to (or --days)")
    try:
        return DayRange(args.first, args.last)
    except ValueError as error:
        parser.error(str(error))
    raise AssertionError("unreachable")  # parser.error exits


def print_progress(out: TextIO) -> Callable[[BackfillProgress], None]:
    """A progress callback writing one line per change, prefixed with the seconds since submission."""

    def show(progress: BackfillProgress) -> None:
        elapsed = max(0.0, time.time() - progress.submitted_at)
        print(f"  [{elapsed:5.0f} s] {progress.summary()}", file=out, flush=True)

    return show


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    days = resolve_days(args, parser)
    try:
        with DagsterGraphQL(args.url) as client:
            everything = fetch_assets(client)
            tags = {**launcher_tags(everything, args.bot, "cli"), **dict(args.tag)}
            bots = args.bot if bots_of(everything) is not None else None
            plan = plan_backfill(select_assets(everything, args.select, args.exclude), days, bots)
            print(f"Backfill of {days} ({days.days} day(s)), {plan.num_partitions} asset partition(s):", file=out)
            if plan.bots is not None:
                print(f"  bots: {', '.join(plan.bots)}", file=out)
            for line in plan.describe():
                print(f"  {line}", file=out)
            if args.dry_run:
                return EXIT_OK
            backfill_id = launch_backfill(client, plan, tags=tags, title=args.title or f"live-assets {days}")
            print(f"Submitted backfill {backfill_id}: {backfill_url(args.url, backfill_id)}", file=out, flush=True)
            if not args.wait:
                return EXIT_OK
            final = wait_for_backfill(client, backfill_id, timeout=args.timeout, on_progress=print_progress(out))
    except BackfillTimeoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except DagsterUnreachableError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except (BackfillError, DagsterGraphQLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in final.timings().items())
    print(f"Backfill {backfill_id} ended: {final.summary()} ({timings})", file=out)
    for run in final.failed_runs:
        print(f"  failed run {run.run_id}: {args.url.rstrip('/')}/runs/{run.run_id}", file=out)
    return EXIT_OK if final.succeeded else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
