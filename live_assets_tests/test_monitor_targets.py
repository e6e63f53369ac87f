"""The targets file: defaults, overrides by group name or id and by bot, and each mistake named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from live_assets.monitor.targets import (
    GroupTargets,
    TargetsError,
    load_targets,
    parse_targets,
    targets_file_path,
)
from live_assets.settings import SettingsError

EXAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "targets.example.yaml"


def test_without_a_file_the_defaults_apply() -> None:
    targets = load_targets(None)
    assert targets.for_group("default", 1, "Sales") == GroupTargets(
        sla_pct_min=80.0, abandonment_pct_max=None, wait_p90_s_max=None, min_offered=20
    )


def test_the_most_specific_setting_wins_metric_by_metric() -> None:
    targets = load_targets(EXAMPLE, known_bots=("support", "sales"))
    assert targets.for_group("sales", 7, "Ventas") == GroupTargets(80.0, 15.0, 180.0, 20)
    # By name, case-insensitive; the other metrics keep the defaults.
    assert targets.for_group("sales", 7, "billing") == GroupTargets(85.0, 15.0, 180.0, 20)
    # By id, whatever the name.
    assert targets.for_group("sales", 42, "Renamed") == GroupTargets(80.0, 15.0, 60.0, 20)
    # The bot's defaults beat the file's; a group entry beats the bot's defaults; null clears a target.
    assert targets.for_group("support", 7, "Ventas").sla_pct_min == 70.0
    assert targets.for_group("support", 7, "Billing").sla_pct_min == 85.0
    assert targets.for_group("support", 9, "VIP") == GroupTargets(95.0, None, 180.0, 20)


def test_an_empty_file_means_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("# nothing yet\n")
    assert load_targets(path).for_group("default", None, None) == GroupTargets()


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("defaults:\n  sla_pct_min: 80\n  sla_pct: 90\n", 3, "defaults.sla_pct: unknown key"),
        ("defaults:\n  sla_pct_min: high\n", 2, "defaults.sla_pct_min: expected a number"),
        ("defaults:\n  abandonment_pct_max: 120\n", 2, "defaults.abandonment_pct_max: a percentage is at most 100"),
        ("groups:\n  Billing:\n    min_offered: 2.5\n", 3, "groups.Billing.min_offered: expected a whole number"),
        ("groups:\n  Billing: 85\n", 2, "groups.Billing: expected a mapping"),
        ("bots:\n  support:\n    group: {}\n", 3, "bots.support.group: unknown key"),
        ("bots:\n  suport:\n    defaults: {sla_pct_min: 70}\n", 2, "bots.suport: no such bot"),
        ("targets:\n  sla: 1\n", 1, "targets: unknown key"),
        ("defaults:\n  sla_pct_min: 80\n  sla_pct_min: 90\n", 3, "defaults.sla_pct_min: given twice"),
        ("defaults: [\n", 2, "not valid YAML"),
    ],
)
def test_a_malformed_file_is_refused_with_its_file_line_and_key(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    with pytest.raises(TargetsError) as caught:
        load_targets(path, known_bots=("support",))
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}") and expected in message, message


def test_parse_names_its_source() -> None:
    with pytest.raises(TargetsError, match=r"^mine\.yaml, line 1, column 25: defaults\.min_offered"):
        parse_targets("defaults: {min_offered: -1}", source="mine.yaml")


def test_the_file_is_found_by_setting_or_beside_dagster_yaml(tmp_path: Path) -> None:
    assert targets_file_path({}) is None
    assert targets_file_path({"DAGSTER_HOME": str(tmp_path)}) is None
    (tmp_path / "targets.yaml").write_text("defaults: {}\n")
    assert targets_file_path({"DAGSTER_HOME": str(tmp_path)}) == tmp_path / "targets.yaml"
    with pytest.raises(SettingsError, match="LIVE_TARGETS_FILE points at"):
        targets_file_path({"LIVE_TARGETS_FILE": str(tmp_path / "missing.yaml")})
