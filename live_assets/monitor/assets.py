"""``kpi/sla_intraday`` (today so far, with its checks and the alert evaluation) and ``targets_met`` on
``kpi/sla_daily``: factories the code location calls with its partitions, targets and settings.

The alerts are evaluated inside the ``kpi/sla_intraday`` step, right after its table is written: they
judge exactly the figures just committed, once per refresh (a check re-run from the UI does not
evaluate them again), and without a second step to pick up every 15 minutes. A delivery failure is
caught there, logged as a warning and shown by the ``alerts_delivered`` check (severity warning): the
KPI materialization itself never fails for it. Then both tables are published as Parquet for BI tools
(``live_assets/monitor/publishing.py``), as every KPI partition is.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

import dagster as dg

from live_assets import clock as pipeline_clock
from live_assets.asset_checks.by_partition import PartitionSpan, evaluations
from live_assets.asset_checks.by_partition import Verdict as CheckVerdict
from live_assets.asset_checks.reading import Reading, verdicts_by_bot
from live_assets.kpis.assets import KINDS, KPI_GROUP, OWNERS
from live_assets.kpis.refresh import refresh_intraday
from live_assets.kpis.tables import SLA_DAILY, SLA_INTRADAY, group_day_figures_script
from live_assets.monitor import alerts, messages
from live_assets.monitor.judging import Judgement
from live_assets.monitor.publishing import publish_monitoring
from live_assets.monitor.settings import MonitorSettings
from live_assets.monitor.targets import Targets
from live_assets.monitor.verdict_table import VERDICTS_TABLE, Span, replace_verdicts
from live_assets.monitor.verdicts import judge_rows, targets_metadata
from live_assets.raw.metadata import markdown_preview
from live_assets.report import delivery as report_delivery
from live_assets.report.today import TodaySettings, write_today
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.secret import Secret
from live_assets.warehouse import Warehouse

CONVERSATIONS_TODAY_KEY: Final = dg.AssetKey(["raw", "conversations_today"])
TARGETS_MET: Final = "targets_met"
ALERTS_DELIVERED: Final = "alerts_delivered"
DAY_SO_FAR: Final = "day_so_far"
PREVIEW_COLUMNS: Final = (
    "group_name",
    "offered",
    "attended",
    "within_sla",
    "lost",
    "sla_pct",
    "abandonment_rate",
    "wait_p90_s",
)


def _preview(rows: list[dict[str, Any]]) -> str:
    return markdown_preview(
        PREVIEW_COLUMNS,
        [[round(v, 2) if isinstance(v, float) else v for v in (row[c] for c in PREVIEW_COLUMNS)] for row in rows],
    )


def _delivered_result(evaluation: alerts.Evaluation, urls_set: bool) -> dg.AssetCheckResult:
    metadata: dict[str, Any] = {"sent": evaluation.sent, "pending": evaluation.pending}
    if not urls_set:
        description = "LIVE_ALERT_URLS is not set: alerts are recorded in monitor.alerts, not sent"
    elif evaluation.failures:
        description = f"{evaluation.pending} notification(s) not delivered yet; retried at the next refresh"
        metadata["failures"] = dg.MetadataValue.md("\n".join(f"- {failure}" for failure in evaluation.failures))
    else:
        description = f"{evaluation.sent} notification(s) sent, none pending"
    return dg.AssetCheckResult(
        check_name=ALERTS_DELIVERED,
        passed=not evaluation.failures,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def build_intraday_assets(
    bot_partitions: dg.PartitionsDefinition | None,
    *,
    targets: Targets,
    settings: MonitorSettings,
    default_bot: str,
    today: TodaySettings | None = None,
    report_urls: Sequence[Secret] = (),
    clock: Callable[[], dt.datetime] = pipeline_clock.now,
) -> list[dg.AssetsDefinition]:
    """``kpi/sla_intraday``: one partition per bot with a bots file (``bot_partitions``, the bots' static
    partitions), unpartitioned otherwise (then for ``default_bot``); eager on ``raw/conversations_today``.
    With ``today``, each refresh also rewrites the bot's ``today.html``; with ``report_urls``, it sends
    again the report messages a URL refused (``live_assets/report/delivery.py``)."""

    @dg.asset(
        key=SLA_INTRADAY.asset_key_path,
        group_name=KPI_GROUP,
        description=(
            f"{SLA_INTRADAY.description}\n\nTable: `{SLA_INTRADAY.qualified_table}`, all bots keyed by `_bot`; the "
            "same SLA definitions as `kpi.sla_daily` (`docs/kpis.md`). Each materialization also evaluates the "
            "alerts (`monitor.alerts`, `docs/monitoring.md`)."
        ),
        partitions_def=bot_partitions,
        code_version=SLA_INTRADAY.code_version,
        owners=OWNERS,
        kinds=KINDS,
        deps=[CONVERSATIONS_TODAY_KEY],
        automation_condition=dg.AutomationCondition.eager(),
        check_specs=[
            dg.AssetCheckSpec(
                TARGETS_MET,
                asset=SLA_INTRADAY.asset_key_path,
                description="Every group's day so far on its targets (targets file; from min_offered offered).",
            ),
            dg.AssetCheckSpec(
                ALERTS_DELIVERED,
                asset=SLA_INTRADAY.asset_key_path,
                description="Every alert notification was accepted by every LIVE_ALERT_URLS URL.",
            ),
        ],
        metadata={
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(c.name, c.sql_type, description=c.description) for c in SLA_INTRADAY.columns]
            ),
            "dagster/table_name": SLA_INTRADAY.qualified_table,
            "grain": ", ".join(SLA_INTRADAY.key_columns),
        },
    )
    def sla_intraday(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[Any]:
        bot = context.partition_key if bot_partitions is not None else default_bot
        store = warehouse.warehouse()
        written = refresh_intraday(store, bot=bot)
        rows = [dict(zip(written.columns, row, strict=True)) for row in written.rows]
        day_so_far = [row for row in rows if row["span"] == DAY_SO_FAR]
        judgements = judge_rows(bot, day_so_far, targets)
        passed, description, check_metadata = targets_metadata(judgements)
        page = messages.page_url(settings.dagster_url, SLA_INTRADAY.asset_key_path)
        evaluation = alerts.evaluate(
            store,
            bot=bot,
            day=written.first_day,
            judgements=judgements,
            urls=settings.alert_urls,
            page=page,
            now=clock(),
        )
        for failure in evaluation.failures:
            context.log.warning(f"alert not delivered, retried at the next refresh: {failure}")
        reports = report_delivery.send_pending(store, bot=bot, urls=report_urls, now=clock())
        for failure in reports.failures:
            context.log.warning(f"report not delivered, retried at the next refresh: {failure}")
        today_file = None
        if today is not None:
            today_file = write_today(
                store, bot=bot, rows=rows, judgements=judgements, targets=targets, settings=today, now=clock()
            )
        # The lock-free copy BI tools read (docs/bi.md), once the rows and the alerts are committed.
        published = publish_monitoring(
            store, bot=bot, day=written.first_day, alert_days=evaluation.days, publish_dir=warehouse.publish_dir()
        )
        as_of = max((row["as_of"] for row in rows if row["as_of"] is not None), default=None)
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(rows),
                "day": written.first_day.isoformat(),
                "as_of": as_of.isoformat() if as_of else "no conversation yet today",
                "groups": len(day_so_far),
                "alerts_opened": len(evaluation.opened),
                "alerts_resolved": len(evaluation.resolved),
                "alerts_open": len(evaluation.still_open) + len(evaluation.opened),
                "notifications_sent": evaluation.sent,
                "notifications_pending": evaluation.pending,
                "parquet_files_published": len(published),
                **({"today_page": dg.MetadataValue.path(str(today_file))} if today_file else {}),
                **({"report_messages_retried": reports.sent} if report_urls else {}),
                "day_so_far": dg.MetadataValue.md(_preview(day_so_far)),
            }
        )
        yield dg.AssetCheckResult(
            check_name=TARGETS_MET,
            passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=description,
            metadata=check_metadata,
        )
        yield _delivered_result(evaluation, bool(settings.alert_urls))

    return [sla_intraday]


def build_daily_targets_check(
    daily_partitions: dg.PartitionsDefinition, *, targets: Targets
) -> dg.AssetChecksDefinition:
    """``targets_met`` on ``kpi/sla_daily``: each final day's groups against their targets (severity warning).

    It is also what judges a final day: its verdicts replace the day's rows of ``monitor.verdicts``
    (span ``day``), which the report and the demo read.
    """
    tables = [SLA_DAILY.qualified_table, "raw.conversations", "raw.sla_by_group", "raw.groups"]

    @dg.asset_check(
        asset=dg.AssetKey(SLA_DAILY.asset_key_path),
        name=TARGETS_MET,
        partitions_def=daily_partitions,
        description=(
            "Every group's figures of the day (over all its channels, by the definitions of kpi.sla_daily) on its "
            "targets from the targets file, from min_offered offered conversations; the verdicts are stored in "
            "monitor.verdicts (span 'day')."
        ),
    )
    def targets_met(
        context: dg.AssetCheckExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
        judged: list[tuple[str, dt.date, list[Judgement]]] = []

        def decide(spans: list[PartitionSpan], reading: Reading) -> dict[str, CheckVerdict]:
            records, verdicts = reading.records(), {}
            for span in spans:
                day_rows = [row for row in records if row["day"] == span.first_day]
                judgements = judge_rows(reading.bot, day_rows, targets)
                judged.append((reading.bot, span.first_day, judgements))
                verdicts[span.key] = CheckVerdict(*targets_metadata(judgements))
            return verdicts

        verdicts = verdicts_by_bot(context, live_api, warehouse, None, tables, decide, sql=group_day_figures_script())
        if judged:
            store_day_verdicts(warehouse.warehouse(), judged)
        yield from evaluations(context, verdicts, severity=dg.AssetCheckSeverity.WARN)

    return targets_met


def store_day_verdicts(store: Warehouse, judged: list[tuple[str, dt.date, list[Judgement]]]) -> None:
    """Replace the judged final days' rows of ``monitor.verdicts``, all in one transaction."""
    judged_at = pipeline_clock.now()

    def write(connection: Any) -> None:
        for bot, day, judgements in judged:
            replace_verdicts(connection, bot=bot, span=Span.DAY, day=day, judgements=judgements, judged_at=judged_at)

    store.atomically(write, what=f"{VERDICTS_TABLE} of {len(judged)} final day(s)")
