"""Every setting the code location reads, checked at once: one line per problem, each naming its setting.

The connection check (``python -m live_assets.check``) runs :func:`validate_settings` before it sends a
request, and the code location (``live_assets.definitions.defs``) runs it when it loads, so a typo in the
targets file, a first day in the future or a hashing treatment without its key is said the same way in
both places, and all of them at once, before any run is spent on them.

Each validator reads the environment (and the files it names) and raises :class:`SettingsError`; a new
setting adds one line to :func:`validators`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from live_assets.bots import load_bots
from live_assets.monitor.settings import MonitorSettings
from live_assets.monitor.targets import load_targets, targets_file_path
from live_assets.privacy.settings import PrivacySettings
from live_assets.report.custom import custom_report_problems
from live_assets.report.settings import ReportSettings
from live_assets.settings import (
    START_DATE_ENV,
    TIMEZONE_ENV,
    SettingsError,
    SettingsErrors,
    load_settings,
    problems_of,
)
from live_assets.warehouse.settings import WarehouseSettings

Validator = Callable[[Mapping[str, str]], object]


def _known_bots(env: Mapping[str, str]) -> list[str] | None:
    """The bots file's names, for the targets file; None without a file, or when the file is itself wrong
    (its own validator says so)."""
    try:
        bots = load_bots(env)
    except SettingsError:
        return None
    return None if bots is None else [bot.name for bot in bots]


def _first_days_have_ended(env: Mapping[str, str], now: dt.datetime | None = None) -> None:
    """A first day after the last one that has ended leaves no partition at all: the UI shows
    "0 partitions" and gives no reason. Checked for ``LIVE_START_DATE`` and each bot of the bots file."""
    try:
        bots = load_bots(env)
        # Only the variables of the first day, so that another malformed one does not hide this problem.
        dates = load_settings({k: env[k] for k in (START_DATE_ENV, TIMEZONE_ENV, "DAGSTER_HOME") if k in env})
    except SettingsError:
        return  # malformed: said by the validators of the settings and of the bots file
    firsts = (
        [(START_DATE_ENV, dates.start_date, dates.timezone, TIMEZONE_ENV)]
        if bots is None
        else [(f"bots file: bot {bot.name!r}: start_date", bot.start_date, bot.timezone, "its zone") for bot in bots]
    )
    problems = []
    for name, first, zone, zone_name in firsts:
        today = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(zone)).date()
        if first >= today:
            problems.append(
                f"{name} is {first}, and no day from it has ended yet in {zone} ({zone_name}): there would be no "
                f"daily partition at all; set a day that has passed, such as {today - dt.timedelta(days=7)}"
            )
    if problems:
        raise SettingsErrors(problems)


def _custom_reports(env: Mapping[str, str]) -> None:
    """A bad pair of ``LIVE_CUSTOM_REPORTS_DIR`` fails the code location's load: say it here first."""
    try:
        folder = ReportSettings.from_env(env).custom_dir
    except SettingsError:
        return  # said by ReportSettings' own validator
    problems = custom_report_problems(folder)
    if problems:
        raise SettingsErrors([f"LIVE_CUSTOM_REPORTS_DIR: {problem}" for problem in problems])


def validators(now: dt.datetime | None = None) -> tuple[Validator, ...]:
    """Every setting's validator, in the order their lines are printed; ``now`` is the first day's clock."""
    return (
        lambda env: load_settings(env, dotenv=False),  # every LIVE_* variable of live_assets.settings
        load_bots,  # LIVE_BOTS_FILE or $DAGSTER_HOME/bots.yaml
        lambda env: _first_days_have_ended(env, now),  # LIVE_START_DATE (or the one kept), the bots' start_date
        lambda env: load_targets(targets_file_path(env), known_bots=_known_bots(env)),  # LIVE_TARGETS_FILE
        PrivacySettings.from_env,  # LIVE_PII, LIVE_PII_AGENTS, LIVE_PII_KEY
        WarehouseSettings.from_env,  # LIVE_WAREHOUSE, LIVE_DUCKLAKE_*, LIVE_WAREHOUSE_LOCK_TIMEOUT, LIVE_PUBLISH_DIR
        MonitorSettings.from_env,  # LIVE_ALERT_URLS, LIVE_DAGSTER_URL
        ReportSettings.from_env,  # LIVE_REPORT_DIR, LIVE_REPORT_LANG, LIVE_REPORT_URLS, LIVE_CUSTOM_REPORTS_DIR
        _custom_reports,  # the pairs of LIVE_CUSTOM_REPORTS_DIR, with file and line
    )


def setting_problems(env: Mapping[str, str], *, now: dt.datetime | None = None) -> list[str]:
    """Every problem of every validator, in order, without duplicates (two validators may read one variable)."""
    problems: list[str] = []
    for validate in validators(now):
        try:
            validate(env)
        except SettingsError as error:
            problems += [problem for problem in problems_of(error) if problem not in problems]
    return problems


def validate_settings(env: Mapping[str, str], *, now: dt.datetime | None = None) -> None:
    """Raise :class:`SettingsErrors` with one line per problem when any setting is wrong."""
    problems = setting_problems(env, now=now)
    if problems:
        raise SettingsErrors(problems)
