"""The report's alerts section from the stored verdicts: a week with a group off target never says "no
alert", a group without an SLA threshold is unknown (with the reason) in the report as in the check, and
every sentence is in the report's language, with no date said twice.

The verdicts are written by the real ``targets_met`` check of ``kpi/sla_daily``, in one Dagster run over
the week, on a warehouse built by real runs against the simulator.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from live_assets.monitor.assets import TARGETS_MET, build_daily_targets_check
from live_assets.monitor.judging import Verdict
from live_assets.monitor.verdict_table import Span, read_verdicts
from live_assets.report.build import write_report
from live_assets.report.completeness import CheckOutcome
from live_assets.report.i18n import LANGUAGES, TEXT
from live_assets.report.period import Period
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS, daily_partitions
from live_assets_tests.pipeline import range_tags
from live_assets_tests.report_world import ALERTS_DDL, WEEK, PageReader, copy_world, resources, targets, variant

SLA_DAILY = dg.AssetKey(["kpi", "sla_daily"])
# The simulator's group 2 without any SLA threshold: neither the day's SLA rows nor the group list have one.
NO_THRESHOLD = """
UPDATE raw.sla_by_group SET sla_threshold = NULL WHERE group_id = 2;
UPDATE raw.groups SET sla_threshold = NULL WHERE id = 2
"""


@pytest.fixture(scope="module")
def world(report_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_world(report_world, tmp_path_factory.mktemp("report-verdicts"))


def judge_week(path: Path) -> list[dg.AssetCheckEvaluation]:
    """kpi/sla_daily of the week again and its targets_met check, in one run as a single-run backfill."""
    check = build_daily_targets_check(daily_partitions, targets=targets())
    result = dg.materialize(
        [*RAW_ASSETS, *KPI_ASSETS, check],
        selection=dg.AssetSelection.assets(SLA_DAILY) | dg.AssetSelection.checks(check),
        tags=range_tags(*WEEK),
        resources=resources(path.parent),
    )
    assert result.success
    return [e for e in result.get_asset_check_evaluations() if e.check_name == TARGETS_MET]


def render(path: Path, lang: str, out: Path, checks: list[CheckOutcome] | None = None) -> str:
    week = Period(*WEEK)
    written = write_report(
        Warehouse(path), week, "default", out, targets=targets(), timezone="UTC", lang=lang, checks=checks or []
    )
    return written.path.read_text(encoding="utf-8")


def test_a_week_with_a_group_off_target_lists_it_in_the_alerts_section(world: Path, tmp_path: Path) -> None:
    path = variant(world, tmp_path / "off", "SELECT 1")
    evaluations = judge_week(path)
    assert len(evaluations) == 7 and not all(e.passed for e in evaluations)
    with Warehouse(path).connect() as connection:
        stored = read_verdicts(connection, bot="default", span=Span.DAY, first_day=WEEK[0], last_day=WEEK[1])
    off = {(v.group_label, v.day) for v in stored if v.verdict is Verdict.OFF_TARGET}
    assert off and {v.day for v in stored} == set(Period(*WEEK).dates())

    html = render(path, "en", tmp_path / "en.html")
    page = PageReader(html)
    assert "No alert was open during the period." not in html
    listed = {(row[1], row[0]) for row in page.tables["verdicts"].rows}
    assert {group for group, _ in listed} == {group for group, _ in off}
    assert len(page.tables["verdicts"].rows) == sum(v.verdict is Verdict.OFF_TARGET for v in stored)


def test_a_group_without_a_threshold_is_unknown_in_the_check_and_the_report(world: Path, tmp_path: Path) -> None:
    path = variant(world, tmp_path / "unknown", NO_THRESHOLD)
    evaluations = judge_week(path)
    assert not any(e.passed for e in evaluations)
    said = "SLA % of 1 group unknown: no SLA threshold (load raw/groups)"
    assert all(said in (e.description or "") for e in evaluations)
    with Warehouse(path).connect() as connection:
        stored = read_verdicts(connection, bot="default", span=Span.DAY, first_day=WEEK[0], last_day=WEEK[1])
    unknown = [v for v in stored if v.verdict is Verdict.UNKNOWN]
    assert {v.group_id for v in unknown} == {"2"} and {v.metric for v in unknown} == {"sla_pct"}
    assert all(v.reason == "no SLA threshold (load raw/groups)" for v in unknown)

    html = render(path, "en", tmp_path / "en.html")
    assert "service level of 1 group(s) unknown: no SLA threshold (load raw/groups)." in html
    groups = PageReader(html).tables["groups"]
    assert "unknown" in [cell for row in groups.rows for cell in row]  # kpi.sla_daily's SLA % of group 2
    es = render(path, "es", tmp_path / "es.html")
    assert "nivel de servicio de 1 grupo(s) desconocido: sin umbral de SLA (cargue raw/groups)." in es


def _static_sentences(lang: str) -> set[str]:
    """The report's fixed texts of ``lang`` that no other language shares (names, numbers left out)."""
    return {
        words[lang]
        for words in TEXT.values()
        if "{" not in words[lang]
        and len(words[lang].split()) >= 3
        and all(words[lang] != words[other] for other in LANGUAGES if other != lang)
    }


def test_every_sentence_is_in_the_reports_language_and_no_date_is_said_twice(world: Path, tmp_path: Path) -> None:
    path = variant(world, tmp_path / "words", NO_THRESHOLD + ";\n" + ALERTS_DDL)
    evaluations = judge_week(path)
    failing = next(e for e in evaluations if not e.passed)
    detail = failing.description or ""
    checks = [CheckOutcome("kpi/sla_daily", TARGETS_MET, 0, 7, detail=detail, partition="2025-03-10")]
    pages = {lang: render(path, lang, tmp_path / f"{lang}.html", checks) for lang in LANGUAGES}
    for lang, html in pages.items():
        text = re.sub(r"<[^>]+>", "\n", html)
        for other in LANGUAGES:
            if other == lang:
                continue
            found = sorted(sentence for sentence in _static_sentences(other) if sentence in text)
            assert not found, f"{lang} report holds {other} text: {found}"
        assert not re.search(r"(\d{4}-\d{2}-\d{2}): \1", text), lang
        if lang != "en":  # the English words of the checks and monitoring stay out of the other languages
            for english in ("off target", "on target", "unknown", "today "):
                assert english not in text, (lang, english)
