"""``report/weekly`` and ``report/daily``: the HTML report of each week and day, per bot, as assets.

Each follows its period's KPIs by declarative automation (the KPI assets' own condition: eager over
the recent partitions), reads the warehouse alone, and writes one file per bot and period under
``LIVE_REPORT_DIR`` (``<bot>/weekly/2025-W11_2025-03-10.html``). The materialization's metadata
carries the path and the headline figures. Built by a factory from what the code location has
(partitions, settings, targets, check keys), so nothing is read at import time.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import dagster as dg

from live_assets.client.windows import days_of_time_window
from live_assets.kpis.conditions import kpi_automation_condition
from live_assets.monitor.targets import Targets
from live_assets.report.build import WrittenReport, write_report
from live_assets.report.completeness import REPORT_RAW_TABLES, read_check_outcomes
from live_assets.report.delivery import Outcome, deliver_report
from live_assets.report.notices import report_version
from live_assets.report.period import Period, report_path
from live_assets.report.settings import ReportSettings
from live_assets.resources import DEFAULT_BOT, WarehouseResource

REPORT_GROUP = "live_reports"
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ReportScope:
    bot: str
    period: Period


def report_scopes(
    partitions_def: dg.PartitionsDefinition, partition_keys: Sequence[str], default_bot: str
) -> list[ReportScope]:
    """The bot and days of each partition key: a date key (one bot), or ``bot|date`` with a bots file.

    The report's own small reading of a key (it needs no bot settings, unlike ``scope.scope_of_keys``).
    """
    if isinstance(partitions_def, dg.MultiPartitionsDefinition):
        date_name, bot_name = _dimensions(partitions_def)
        dates = partitions_def.get_partitions_def_for_dimension(date_name)
        pairs = []
        for key in partition_keys:
            parts = partitions_def.get_partition_key_from_str(key).keys_by_dimension
            pairs.append((parts[bot_name], parts[date_name]))
    else:
        dates = partitions_def
        pairs = [(default_bot, key) for key in partition_keys]
    assert isinstance(dates, dg.TimeWindowPartitionsDefinition)
    scopes = []
    for bot, date_key in pairs:
        window = dates.time_window_for_partition_key(date_key)
        scopes.append(ReportScope(bot, Period(*days_of_time_window(window.start, window.end, dates.timezone))))
    return scopes


def _dimensions(partitions_def: dg.MultiPartitionsDefinition) -> tuple[str, str]:
    """The names of the date dimension and of the other one (the bot), whatever they are called."""
    (date_name,) = [
        d.name
        for d in partitions_def.partitions_defs
        if isinstance(d.partitions_def, dg.TimeWindowPartitionsDefinition)
    ]
    (bot_name,) = [d.name for d in partitions_def.partitions_defs if d.name != date_name]
    return date_name, bot_name


def _timezone(partitions_def: dg.PartitionsDefinition) -> str:
    if isinstance(partitions_def, dg.MultiPartitionsDefinition):
        partitions_def = partitions_def.get_partitions_def_for_dimension(_dimensions(partitions_def)[0])
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    return partitions_def.timezone


def delivery_metadata(outcomes: Sequence[Outcome]) -> dict[str, object]:
    """What the deliveries of one materialization did (sent, pending, why not sent), for its metadata."""
    if not outcomes:
        return {}
    metadata: dict[str, object] = {
        "delivery": outcomes[-1].reason,
        "deliveries_sent": sum(o.sent for o in outcomes),
        "deliveries_pending": outcomes[-1].pending,
    }
    failures = [failure for outcome in outcomes for failure in outcome.failures]
    if failures:
        metadata["delivery_failures"] = dg.MetadataValue.md("\n".join(f"- {failure}" for failure in failures))
    return metadata


def _metadata(written: list[WrittenReport]) -> dict[str, object]:
    last = written[-1]
    metadata: dict[str, object] = {
        "path": dg.MetadataValue.path(str(last.path)),
        "period": f"{last.data.period.first.isoformat()}..{last.data.period.last.isoformat()}",
        **{key: value for key, value in last.headline().items() if value is not None},
    }
    if len(written) > 1:
        lines = ["| bot | period | offered | SLA % | file |", "| --- | --- | --- | --- | --- |"]
        for item in written:
            headline = item.headline()
            lines.append(
                f"| {item.data.bot} | {item.data.period.first}..{item.data.period.last} | {headline['offered']} "
                f"| {headline.get('sla_pct', '')} | `{item.path}` |"
            )
        metadata["reports"] = dg.MetadataValue.md("\n".join(lines))
    return metadata


def _report_asset(
    name: str,
    partitions_def: dg.PartitionsDefinition,
    kpi_keys: Sequence[dg.AssetKey],
    *,
    settings: ReportSettings,
    targets: Targets,
    bot_timezones: Mapping[str, str],
    check_keys: Sequence[dg.AssetCheckKey],
    default_bot: str,
    raw_mapping: dg.PartitionMapping,
    clock: Clock,
) -> dg.AssetsDefinition:
    @dg.asset(
        key=["report", name],
        group_name=REPORT_GROUP,
        description=(
            f"The {name} contact-center report, one HTML file per bot and period under LIVE_REPORT_DIR "
            f"({settings.report_dir}), in {settings.lang}; read from the warehouse alone."
        ),
        partitions_def=partitions_def,
        # Its own period's KPIs (same partitions), and the raw days of the period it reads as well: while
        # those are being reloaded (a backfill in progress) the automation waits rather than write a
        # report it would write again.
        deps=[
            *(dg.AssetDep(key) for key in kpi_keys),
            *(dg.AssetDep(dg.AssetKey(["raw", table]), partition_mapping=raw_mapping) for table in REPORT_RAW_TABLES),
        ],
        backfill_policy=dg.BackfillPolicy.single_run(),
        automation_condition=kpi_automation_condition(),
        kinds={"html"},
        owners=["team:data-engineering"],
    )
    def report_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        written, outcomes = [], []
        zone = _timezone(partitions_def)
        for scope in report_scopes(partitions_def, list(context.partition_keys), default_bot):
            path = report_path(settings.report_dir, scope.bot, scope.period)
            report = write_report(
                warehouse.warehouse(),
                scope.period,
                scope.bot,
                path,
                targets=targets,
                timezone=bot_timezones.get(scope.bot, zone),
                lang=settings.lang,
                checks=read_check_outcomes(context.instance, check_keys, scope.bot, scope.period),
                generated_at=clock(),
            )
            written.append(report)
            context.log.info(f"report of {scope.bot} for {scope.period.first}..{scope.period.last}: {path}")
            if settings.report_urls:
                version = report_version(name, report, settings.report_dir)
                outcome = deliver_report(warehouse.warehouse(), version, urls=settings.report_urls, now=clock())
                for failure in outcome.failures:
                    context.log.warning(f"report not delivered, retried at the next evaluation: {failure}")
                outcomes.append(outcome)
        return dg.MaterializeResult(metadata=_metadata(written) | delivery_metadata(outcomes))

    return report_asset


def build_report_assets(
    daily_partitions: dg.PartitionsDefinition,
    weekly_partitions: dg.PartitionsDefinition,
    *,
    settings: ReportSettings,
    targets: Targets,
    bot_timezones: Mapping[str, str] | None = None,
    check_keys: Sequence[dg.AssetCheckKey] = (),
    default_bot: str = DEFAULT_BOT,
    raw_mapping: dg.PartitionMapping | None = None,
    clock: Clock = utc_now,
) -> list[dg.AssetsDefinition]:
    """``report/weekly`` (after ``kpi/sla_weekly`` and ``kpi/agent_weekly``) and ``report/daily`` (after
    ``kpi/sla_daily`` and ``kpi/agent_daily``). ``bot_timezones``: each bot's zone for the times shown
    (default: the partitions' zone); ``check_keys``: the checks whose results the report lists;
    ``raw_mapping``: how a report's period maps to the raw days it reads (the KPIs' mapping); ``clock``:
    the time written on the page and that decides whether a period is recent enough to be sent."""
    shared = {
        "settings": settings,
        "targets": targets,
        "bot_timezones": bot_timezones or {},
        "check_keys": check_keys,
        "default_bot": default_bot,
        "raw_mapping": raw_mapping or dg.TimeWindowPartitionMapping(),
        "clock": clock,
    }
    kpi = {name: dg.AssetKey(["kpi", name]) for name in ("sla_weekly", "agent_weekly", "sla_daily", "agent_daily")}
    return [
        _report_asset("weekly", weekly_partitions, [kpi["sla_weekly"], kpi["agent_weekly"]], **shared),  # type: ignore[arg-type]
        _report_asset("daily", daily_partitions, [kpi["sla_daily"], kpi["agent_daily"]], **shared),  # type: ignore[arg-type]
    ]
