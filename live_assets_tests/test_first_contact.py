"""Issue 23, a newcomer's first contact: every bad setting at once and in the same words wherever it is
caught, the first day ``make demo`` keeps with its instance, schedules only of the backend in use, and
``--help`` texts that are whole. The commands' own processes are tested in test_connection_check.py,
test_demo_dev.py and test_backfill_cli.py; here the pieces they share, and each command's ``--help``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_assets.bots import BotSpec
from live_assets.definitions import build_definitions, defs
from live_assets.settings import (
    KEPT_START_DATE_FILE,
    LiveSettings,
    SettingsError,
    SettingsErrors,
    keep_start_date,
    load_settings,
)
from live_assets.validation import setting_problems, validate_settings
from live_assets.warehouse.settings import Backend, WarehouseSettings

PROJECT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A clean environment (no LIVE_*, no DAGSTER_HOME) in a folder without ``.env``."""
    for name in list(os.environ):
        if name.startswith(("LIVE_", "DAGSTER_HOME")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield {"LIVE_API_X_TOKEN": "x", "LIVE_API_EMAIL": "ops@example.com", "LIVE_API_PASSWORD": "p"}


def broken(tmp_path: Path) -> dict[str, str]:
    targets = tmp_path / "targets.yaml"
    targets.write_text("defaults:\n  sla_pct_mn: 85\n", encoding="utf-8")
    return {
        "LIVE_TARGETS_FILE": str(targets),
        "LIVE_START_DATE": "2999-01-01",
        "LIVE_PII": "hash",
        "LIVE_API_MAX_ATTEMPTS": "many",
        "LIVE_INTRADAY_MINUTES": "7",
    }


def test_every_problem_is_found_at_once_one_line_each(env: dict[str, str], tmp_path: Path) -> None:
    problems = setting_problems(env | broken(tmp_path))
    assert [problem.split(" ")[0].rstrip(":,") for problem in problems] == [
        "LIVE_API_MAX_ATTEMPTS",
        "LIVE_INTRADAY_MINUTES",
        "LIVE_START_DATE",
        str(tmp_path / "targets.yaml"),
        "LIVE_PII_KEY",
    ]
    assert "line 2, column 3: defaults.sla_pct_mn: unknown key" in problems[3]
    assert setting_problems(env) == []


def test_the_code_location_fails_to_load_with_the_checks_words(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = env | broken(tmp_path)
    for name, value in bad.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsErrors) as raised:
        defs.load_fn()
    assert list(raised.value.problems) == setting_problems(bad)
    assert str(raised.value).splitlines() == setting_problems(bad)


def test_a_first_day_that_has_not_ended_leaves_no_partition_and_is_refused(env: dict[str, str]) -> None:
    """Today in the bot's zone has not ended: its partition does not exist yet (``end_offset=0``)."""
    tokyo = env | {"LIVE_TIMEZONE": "Asia/Tokyo"}
    with pytest.raises(SettingsError, match=r"LIVE_START_DATE is 2026-03-10, and no day from it has ended yet in"):
        validate_settings(tokyo | {"LIVE_START_DATE": "2026-03-10"}, now=NOW)
    validate_settings(tokyo | {"LIVE_START_DATE": "2026-03-09"}, now=NOW)
    # 23:30 on the 9th in Honolulu: the 9th has not ended there, whatever the date in UTC.
    honolulu = env | {"LIVE_TIMEZONE": "Pacific/Honolulu", "LIVE_START_DATE": "2026-03-09"}
    with pytest.raises(SettingsError, match="LIVE_START_DATE is 2026-03-09"):
        validate_settings(honolulu, now=dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC))


def test_a_bots_first_day_in_the_future_names_the_bot(env: dict[str, str], tmp_path: Path) -> None:
    bots = tmp_path / "bots.yaml"
    bots.write_text(
        "bots:\n"
        "  - {name: alpha, x_token_env: A_X, token_env: A_T, timezone: UTC, start_date: 2026-01-01}\n"
        "  - {name: bravo, x_token_env: B_X, token_env: B_T, timezone: UTC, start_date: 2026-04-01}\n",
        encoding="utf-8",
    )
    assert setting_problems(env | {"LIVE_BOTS_FILE": str(bots)}, now=NOW) == [
        "bots file: bot 'bravo': start_date is 2026-04-01, and no day from it has ended yet in UTC (its zone): "
        "there would be no daily partition at all; set a day that has passed, such as 2026-03-03"
    ]


def test_the_first_day_the_demo_kept_applies_without_live_start_date(env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert keep_start_date(home, dt.date(2026, 3, 2)) == dt.date(2026, 3, 2)
    assert keep_start_date(home, dt.date(2026, 3, 5)) == dt.date(2026, 3, 2)  # the earliest loaded stays
    with_home = env | {"DAGSTER_HOME": str(home)}
    assert load_settings(with_home).start_date == dt.date(2026, 3, 2)
    assert load_settings(with_home | {"LIVE_START_DATE": "2026-01-05"}).start_date == dt.date(2026, 1, 5)
    assert load_settings(env).start_date == LiveSettings().start_date
    (home / KEPT_START_DATE_FILE).write_text("March\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=rf"{home / KEPT_START_DATE_FILE} .*must be a date as YYYY-MM-DD"):
        load_settings(with_home)


def test_the_ducklake_maintenance_is_defined_only_on_a_ducklake() -> None:
    def schedules(warehouse: WarehouseSettings | None) -> set[str]:
        return {s.name for s in build_definitions(LiveSettings(), warehouse=warehouse).schedules or []}

    lake = WarehouseSettings(backend=Backend.DUCKLAKE, ducklake_catalog="dbname=lake", ducklake_data_path="/tmp/l/")
    assert "ducklake_maintenance_weekly" not in schedules(None)
    assert "ducklake_maintenance_weekly" not in schedules(WarehouseSettings())
    assert "ducklake_maintenance_weekly" in schedules(lake)
    bots = (BotSpec("alpha", "A_X", "Europe/Madrid", dt.date(2026, 1, 1), token_env="A_T"),)
    many = build_definitions(LiveSettings(), bots, Path("bots.yaml"), warehouse=lake)
    assert many.resolve_schedule_def("ducklake_maintenance_weekly").execution_timezone == "Europe/Madrid"


COMMANDS = [
    ["live_assets.check"],
    ["live_assets.backfill"],
    ["live_assets.devtools.dev"],
    ["live_assets.devtools.demo"],
    ["live_assets.simulator"],
    ["live_assets.report"],
    ["live_assets.warehouse"],
    ["live_assets.warehouse", "copy"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_help_is_whole(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each option says what it is, and the description ends a sentence (``dev --help`` stopped mid-way)."""
    shown = subprocess.run(
        [sys.executable, "-m", *command, "--help"], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and shown.stdout.startswith("usage: python -m "), shown.stderr

    parsers: list[argparse.ArgumentParser] = []

    def capture(parser: argparse.ArgumentParser, file: object = None) -> None:
        parsers.append(parser)

    monkeypatch.setattr(argparse.ArgumentParser, "print_help", capture)
    monkeypatch.setattr(sys, "argv", [command[0], *command[1:], "--help"])
    with pytest.raises(SystemExit):
        runpy.run_module(command[0], run_name="__main__", alter_sys=True)
    (parser,) = parsers
    assert parser.description and parser.description.strip().endswith((".", ")")), parser.description
    for action in parser._actions:  # argparse has no public way to list them
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            assert action.help, f"{' '.join(command)}: {action.option_strings} has no help"
