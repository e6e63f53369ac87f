"""The raw assets: one subsettable multi-asset per cadence, its one step doing all of its API work.

The registry (``endpoints.py``) describes each endpoint once; here the endpoints are grouped into the
steps that fetch them: the daily endpoints, the per-conversation details (a step of their own: they
read the conversations the daily step loaded), the weekly ones, the agent and group lists, and today's
conversations. Each step sends its requests one at a time (``engine.py``) and yields one result per
selected asset; selecting one asset materializes that one only. Every step is in the ``live_api`` pool,
a cap on how many API steps run at once. That no two requests share a bot's token, whatever runs or
processes overlap, is the client's token lock (``live_assets/client/token_lock.py``); today's refresh
asks it to go first.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from live_assets import clock, contract
from live_assets.client.errors import LiveApiError, LiveResponseError
from live_assets.deployment import Deployment
from live_assets.names import API_POOL, API_STEP_PREFIX
from live_assets.privacy.masking import Masking
from live_assets.privacy.settings import load_privacy
from live_assets.raw.endpoints import ENDPOINTS, EndpointSpec, Partitioning
from live_assets.raw.engine import Progress, StepClients, Task, plan_tasks, run_tasks
from live_assets.raw.loading import RawLoadError, sweep_partials
from live_assets.raw.metadata import column_schema, partition_metadata, result_metadata
from live_assets.raw.today_lists import TODAY_LISTS, ListState, list_spec, list_states
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.scope import BotScope, run_scope
from live_assets.settings import SettingsError
from live_assets.warehouse import Warehouse

RAW_GROUP = "live_raw"
OWNERS = ["team:data-engineering"]
KINDS = {"duckdb", "live_api"}

# Transient API failures are retried inside the client; what still fails after that (a gateway down
# for minutes) gets a few more tries at the step level, further apart.
RAW_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=20, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


class RawStep(enum.StrEnum):
    """The API steps, one multi-asset each; the value names its op (``live_raw_<value>``)."""

    DAILY = "daily"
    DETAILS = "details"
    WEEKLY = "weekly"
    LISTS = "lists"
    TODAY = "today"


# How many partitions one run of a step covers in a backfill (None: the whole range, in one run). The
# dated steps take the range in one run (its windows are cut by the API's limits, ``plan_windows``): the
# token lock, not the size of a run, keeps today's refresh from waiting behind a backfill. The lists and
# today's refresh: one bot per run.
PARTITIONS_PER_RUN: dict[RawStep, int | None] = {
    RawStep.DAILY: None,
    RawStep.WEEKLY: None,
    RawStep.DETAILS: None,
    RawStep.LISTS: 1,
    RawStep.TODAY: 1,
}


def step_of(spec: EndpointSpec) -> RawStep:
    if spec.own_step:
        return RawStep.DETAILS
    return {
        Partitioning.DAILY: RawStep.DAILY,
        Partitioning.WEEKLY: RawStep.WEEKLY,
        Partitioning.NONE: RawStep.LISTS,
        Partitioning.TODAY: RawStep.TODAY,
    }[spec.partitioning]


def partitions_of(step: RawStep, deployment: Deployment) -> dg.PartitionsDefinition | None:
    return {
        RawStep.DAILY: deployment.daily,
        RawStep.DETAILS: deployment.daily,
        RawStep.WEEKLY: deployment.weekly,
        RawStep.LISTS: deployment.per_bot,
        RawStep.TODAY: deployment.per_bot,
    }[step]


def backfill_policy(step: RawStep, partitions_def: dg.PartitionsDefinition | None) -> dg.BackfillPolicy | None:
    if partitions_def is None:
        return None
    per_run = PARTITIONS_PER_RUN[step]
    return dg.BackfillPolicy.single_run() if per_run is None else dg.BackfillPolicy.multi_run(per_run)


def ensure_final(last_day: dt.date, timezone: str, now: dt.datetime | None = None) -> None:
    """Refuse a day whose last conversations may still be arriving (docs/api-contract.md §1)."""
    zone = ZoneInfo(timezone)
    final_at = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone) + contract.DATA_LAG
    current = now or clock.now(zone)
    if current < final_at:
        raise dg.Failure(
            description=(
                f"{last_day} is not final yet: the API may still add conversations until "
                f"{final_at.isoformat(timespec='minutes')} ({timezone})"
            ),
            allow_retries=False,
        )


def is_permanent(error: BaseException) -> bool:
    """What another try cannot fix: 400, 401, 403, 404, a body that stayed malformed through every client
    attempt, a response the loader refused, a bad setting. Gateways and rate limits that outlast the
    client's own retries are not: Dagster's RetryPolicy tries the step again, minutes later."""
    if isinstance(error, RawLoadError | LiveResponseError | SettingsError):
        return True
    return isinstance(error, LiveApiError) and not error.is_retryable


def _failure(failures: Sequence[Progress]) -> dg.Failure:
    """One line per failed endpoint, each its cause (endpoint, window, status, code); retried by Dagster
    only if some failure may pass later."""
    errors = [progress.error for progress in failures if progress.error is not None]
    return dg.Failure(
        description="\n".join(" ".join(str(error).split("\n")) for error in errors),
        allow_retries=not all(is_permanent(error) for error in errors),
    )


def asset_spec(spec: EndpointSpec, partitions_def: dg.PartitionsDefinition | None) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=spec.asset_key_path,
        group_name=RAW_GROUP,
        description=spec.description + f"\n\nSource: `GET {spec.path.value}`. Table: `{spec.qualified_table}`.",
        deps=[dg.AssetKey(["raw", table]) for table in spec.upstream],
        code_version=spec.code_version,
        owners=OWNERS,
        kinds=KINDS,
        metadata={
            "dagster/column_schema": column_schema(spec),
            "dagster/table_name": spec.qualified_table,
            "endpoint": spec.path.value,
            "partitioning": spec.partitioning.value,
        },
        partitions_def=partitions_def,
        skippable=True,
    )


def build_raw_step(step: RawStep, specs: Sequence[EndpointSpec], deployment: Deployment) -> dg.AssetsDefinition:
    partitions_def = partitions_of(step, deployment)
    by_key = {dg.AssetKey(spec.asset_key_path): spec for spec in specs}

    @dg.multi_asset(
        name=f"{API_STEP_PREFIX}{step.value}",
        specs=[asset_spec(spec, partitions_def) for spec in specs],
        can_subset=True,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy(step, partitions_def),
        pool=API_POOL,
        retry_policy=RAW_RETRY_POLICY,
        description=f"The {step.value} raw endpoints of the Live API: one request at a time, loaded as they land.",
    )
    def raw_step(
        context: dg.AssetExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        selected = [spec for key, spec in by_key.items() if key in context.selected_asset_keys]
        try:
            store = warehouse.warehouse()
            scopes = run_scope(context, live_api)
            masking = Masking(load_privacy())
        except SettingsError as error:  # the same message at every retry until someone fixes it
            raise dg.Failure(description=str(error), allow_retries=False) from error
        if step is not RawStep.TODAY:
            for scope in scopes:
                if scope.last_day is not None:
                    ensure_final(scope.last_day, scope.settings.timezone)
        landing_dir = warehouse.landing()
        for scope in scopes:
            for spec in selected:
                for removed in sweep_partials(landing_dir / scope.bot / spec.table):
                    context.log.info(f"removed {removed.name}: a partial landing file left by a writer that died")
        yield from _materialize(
            context, selected, scopes, store, landing_dir, masking, first_in_line=step is RawStep.TODAY
        )

    return raw_step


def _materialize(
    context: dg.AssetExecutionContext,
    selected: Sequence[EndpointSpec],
    scopes: Sequence[BotScope],
    store: Warehouse,
    landing_dir: Path,
    masking: Masking,
    *,
    first_in_line: bool = False,
) -> Iterator[dg.MaterializeResult]:
    loaded_at = dt.datetime.now(dt.UTC)
    clients = StepClients(scopes, first_in_line=first_in_line)
    failures: list[Progress] = []
    # A result covers the run's whole range: its figures are the run's, named run_*, unless the run has
    # one partition; each partition's own go through add_asset_metadata(partition_key=...).
    single_partition = context.assets_def.partitions_def is None or len(context.partition_keys) == 1
    try:
        lists = _lists_to_judge_with(context, store, scopes, loaded_at) if _is_today(selected) else []
        tasks = _list_tasks(lists, scopes, clients, store, landing_dir, loaded_at, masking)
        tasks += plan_tasks(
            selected,
            scopes,
            clients,
            store,
            landing_dir,
            loaded_at,
            _now_in,
            reuse_since=_run_started_at(context) if context.retry_number else None,
            masking=masking,
        )
        reported: set[str] = set()
        for progress in run_tasks(tasks, clients, store, loaded_at, context.log.info):
            if progress.spec not in selected:  # a list today's step fetched to judge with (today_lists.py)
                _log_list(context, progress)
                continue
            reported.add(progress.spec.table)
            if progress.error is not None:
                context.log.error(f"{progress.spec.table}: {progress.error}")
                failures.append(progress)
                continue
            if not single_partition:
                for key, figures in partition_metadata(store, progress, scopes).items():
                    context.add_asset_metadata(figures, asset_key=progress.spec.asset_key_path, partition_key=key)
            metadata = result_metadata(store, progress, scopes, single_partition=single_partition)
            if lists and progress.spec.partitioning is Partitioning.TODAY:
                metadata["lists_used"] = dg.MetadataValue.md("\n".join(f"- {state.describe()}" for state in lists))
            yield dg.MaterializeResult(asset_key=progress.spec.asset_key_path, metadata=metadata)
        for spec in selected:  # an endpoint with nothing to ask for in this range
            if spec.table not in reported:
                empty = Progress(spec)
                yield dg.MaterializeResult(
                    asset_key=spec.asset_key_path,
                    metadata=result_metadata(store, empty, scopes, single_partition=single_partition),
                )
    finally:
        clients.close()
    if failures:
        raise _failure(failures) from failures[0].error


def _lists_to_judge_with(
    context: dg.AssetExecutionContext, store: Warehouse, scopes: Sequence[BotScope], now: dt.datetime
) -> list[ListState]:
    """The lists today's step checks (and fetches when missing or old), except those its own run
    materializes: their step sends that request already, and a second one would break the minimal plan."""
    in_run = {key for key in context.run.asset_selection or () if key.path[:1] == ["raw"]}
    return [state for state in list_states(store, scopes, now) if dg.AssetKey(["raw", state.table]) not in in_run]


def _is_today(selected: Sequence[EndpointSpec]) -> bool:
    return any(spec.partitioning is Partitioning.TODAY for spec in selected)


def _list_tasks(
    lists: Sequence[ListState],
    scopes: Sequence[BotScope],
    clients: StepClients,
    store: Warehouse,
    landing_dir: Path,
    loaded_at: dt.datetime,
    masking: Masking,
) -> list[Task]:
    """The requests of the lists today's step fetches first (missing or stale ones), bot by bot."""
    tasks: list[Task] = []
    for table in TODAY_LISTS:
        stale = {state.bot for state in lists if state.table == table and state.fetch}
        wanted = [scope for scope in scopes if scope.bot in stale]
        if wanted:
            tasks += plan_tasks(
                [list_spec(table)], wanted, clients, store, landing_dir, loaded_at, _now_in, masking=masking
            )
    return tasks


def _now_in(zone: str) -> dt.datetime:
    return clock.now(ZoneInfo(zone))


def _log_list(context: dg.AssetExecutionContext, progress: Progress) -> None:
    """A list fetched for today's judgement: a failure is a warning (today's figures still load; the
    verdicts then say unknown, with the reason)."""
    if progress.error is not None:
        context.log.warning(f"raw.{progress.spec.table} not fetched with today's refresh: {progress.error}")
    else:
        context.log.info(f"raw.{progress.spec.table}: {progress.rows} row(s) loaded for today's service level")


def _run_started_at(context: dg.AssetExecutionContext) -> float | None:
    record = context.instance.get_run_record_by_id(context.run_id)
    return record.start_time if record is not None else None


def build_raw_assets(deployment: Deployment) -> list[dg.AssetsDefinition]:
    """The raw layer: one multi-asset per step, over every endpoint of the registry."""
    steps: dict[RawStep, list[EndpointSpec]] = {}
    for spec in sorted(ENDPOINTS, key=lambda spec: not spec.feeds_kpis):
        steps.setdefault(step_of(spec), []).append(spec)
    return [build_raw_step(step, specs, deployment) for step, specs in steps.items()]
