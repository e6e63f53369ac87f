"""The raw assets, one per endpoint, generated from the registry in ``endpoints.py``.

Every asset that calls the API sits in the ``live_api`` pool (one slot in the shipped
``dagster.yaml``), so no two steps ever share the token's single request lane. A backfill runs as
one run per asset over the whole partition range (``BackfillPolicy.single_run``), and the asset cuts
that range into the fewest requests the API allows. The run's request lane
(``live_assets.client.run_lane``) fetches the next window while the previous one loads, and the next
raw step's first windows while a step finishes.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from live_assets import contract
from live_assets.client.errors import LiveApiError, LiveResponseError
from live_assets.client.http import ClientStats
from live_assets.client.run_lane import RunLane, Task
from live_assets.client.windows import Window, days_of_time_window
from live_assets.partitions import BOTS, daily_partitions, weekly_partitions
from live_assets.raw import statements
from live_assets.raw.endpoints import ENDPOINTS, BodyShape, EndpointSpec, Partitioning, endpoint_of_asset
from live_assets.raw.fetching import fetch_details, fetch_window, plan_requests
from live_assets.raw.loading import Landed, Loaded, RawLoadError, ensure_table, load_landed, sweep_partials
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.scope import BotScope, run_scope
from live_assets.settings import SettingsError
from live_assets.warehouse import Warehouse

RAW_GROUP = "live_raw"
API_POOL = "live_api"
OWNERS = ["team:data-engineering"]
KINDS = {"duckdb", "live_api"}
# Dagster's step priority (higher first among a run's ready steps). The raw checks go as soon as
# they are ready, while the run's request lane fetches the next raw step (``fetching_ahead``), rather
# than at the run's end, where nothing overlaps them; then the KPIs' raw inputs, then the other raw assets.
STEP_PRIORITY_TAG = "dagster/priority"
RAW_CHECK_PRIORITY = "2"
KPI_INPUT_PRIORITY = "1"
RAW_CHECK_OP_TAGS = {STEP_PRIORITY_TAG: RAW_CHECK_PRIORITY}
# Executors that run every step of a run in one process (the run's lane is shared by its steps): the
# shipped one, and the one Dagster uses for ``materialize`` and ``execute_in_process``.
IN_PROCESS_EXECUTORS = frozenset({dg.in_process_executor.name, "execute_in_process_executor"})
PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 8

# Transient API failures are retried inside the client; what still fails after that (a gateway down
# for minutes) gets a few more tries at the step level, further apart.
RAW_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=20, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def _partitions_for(spec: EndpointSpec) -> dg.PartitionsDefinition | None:
    return {
        Partitioning.DAILY: daily_partitions,
        Partitioning.WEEKLY: weekly_partitions,
        Partitioning.NONE: None,
    }[spec.partitioning]


def column_schema(spec: EndpointSpec) -> dg.TableSchema:
    columns = [dg.TableColumn(c.name, c.sql_type, description=c.description or None) for c in spec.columns]
    columns += [dg.TableColumn(n, t, description=d) for n, t, d in statements.metadata_columns(spec)]
    return dg.TableSchema(columns=columns)


def requested_days(context: dg.AssetExecutionContext, timezone: str) -> tuple[dt.date, dt.date]:
    """The local days of the run's partition range (one partition, or a whole backfill range)."""
    window = context.partition_time_window
    return days_of_time_window(window.start, window.end, timezone)


def ensure_final(last_day: dt.date, timezone: str, now: dt.datetime | None = None) -> None:
    """Refuse a day whose last conversations may still be arriving (CONTRACT.md §1)."""
    zone = ZoneInfo(timezone)
    final_at = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone) + contract.DATA_LAG
    current = now or dt.datetime.now(zone)
    if current < final_at:
        raise dg.Failure(
            description=(
                f"{last_day} is not final yet: the API may still add conversations until "
                f"{final_at.isoformat(timespec='minutes')} ({timezone})"
            ),
            allow_retries=False,
        )


def markdown_preview(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A small markdown table of the first rows, for the materialization's metadata."""

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("|", "\\|").replace("\n", " ")
        return text if len(text) <= 40 else text[:39] + "…"

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _preview(warehouse: Warehouse, spec: EndpointSpec, bot: str, first: dt.date | None, last: dt.date | None) -> str:
    names = [c.name for c in spec.columns[:PREVIEW_COLUMNS]]
    selected = ", ".join(statements.quote_identifier(n) for n in names)
    where = f"{statements.BOT_COLUMN} = $bot"
    parameters: dict[str, object] = {"bot": bot}
    if first is not None and spec.partitioning is not Partitioning.NONE:
        where += f" AND {statements.DAY_COLUMN} BETWEEN $first AND $last"
        parameters |= {"first": first, "last": last}
    sql = f"SELECT {selected} FROM {spec.qualified_table} WHERE {where} LIMIT {PREVIEW_ROWS}"
    return markdown_preview(names, warehouse.query(sql, parameters))


def _missing_conversations(warehouse: Warehouse, bot: str, day: dt.date) -> list[int]:
    """Conversations of the day that ``raw.conversation_messages`` does not hold yet."""
    ensure_table(warehouse, _MESSAGES)
    rows = warehouse.query(
        "SELECT c.conversation_id FROM raw.conversations AS c WHERE c._bot = $bot AND c._partition_day = $day "
        "AND NOT EXISTS (SELECT 1 FROM raw.conversation_messages AS m "
        "WHERE m._bot = c._bot AND m.conversation_id = c.conversation_id) ORDER BY c.conversation_id",
        {"bot": bot, "day": day},
    )
    return [int(conversation_id) for (conversation_id,) in rows]


_MESSAGES = next(spec for spec in ENDPOINTS if spec.body is BodyShape.DETAIL_MESSAGES)


def _as_failure(error: Exception) -> Exception:
    """Decide whether Dagster's RetryPolicy may try the step again.

    Gateways and rate limits that outlast the client's own retries get the step-level retries. What
    another try cannot fix (400, 401, 403, 404), a body that stayed malformed through every client
    attempt, and a response the loader refused stop the step for good, saying what was wrong.
    """
    permanent = isinstance(error, RawLoadError | LiveResponseError) or (
        isinstance(error, LiveApiError) and not error.is_retryable
    )
    return dg.Failure(description=str(error), allow_retries=False) if permanent else error


@contextlib.contextmanager
def _settings_are_final() -> Iterator[None]:
    """A missing or malformed LIVE_* setting fails the step at once: Dagster's retries, minutes apart,
    would only repeat the same message (and hold a slot of the API pool) until someone fixes it."""
    try:
        yield
    except SettingsError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error


def build_raw_asset(spec: EndpointSpec) -> dg.AssetsDefinition:
    partitions_def = _partitions_for(spec)

    @dg.asset(
        key=spec.asset_key_path,
        group_name=RAW_GROUP,
        description=spec.description + f"\n\nSource: `GET {spec.path.value}`. Table: `{spec.qualified_table}`.",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        pool=API_POOL,
        op_tags={STEP_PRIORITY_TAG: KPI_INPUT_PRIORITY} if spec.feeds_kpis else None,
        retry_policy=RAW_RETRY_POLICY,
        code_version=spec.code_version,
        owners=OWNERS,
        kinds=KINDS,
        deps=[dg.AssetKey(["raw", table]) for table in spec.upstream],
        metadata={
            "dagster/column_schema": column_schema(spec),
            "dagster/table_name": spec.qualified_table,
            "endpoint": spec.path.value,
            "partitioning": spec.partitioning.value,
        },
    )
    def raw_asset(
        context: dg.AssetExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        with _settings_are_final():
            store = warehouse.warehouse()
            scopes = run_scope(context, live_api)
        for scope in scopes:
            if scope.last_day is not None:
                ensure_final(scope.last_day, scope.settings.timezone)
        loaded_at = dt.datetime.now(dt.UTC)
        landing_dir = warehouse.landing()
        for scope in scopes:
            for removed in sweep_partials(landing_dir / scope.bot / spec.table):
                context.log.info(f"removed {removed.name}: a partial landing file left by a writer that died")
        lane = live_api.run_lane(context.run_id)
        # One bot after the other: a run never has two requests in flight on one bot's token.
        tasks = [task for scope in scopes for task in fetch_tasks(lane, spec, scope, store, landing_dir, loaded_at)]
        ahead = _ahead_tasks(context, spec, lane, scopes, store, landing_dir, loaded_at)
        loads: list[Loaded] = []
        stats = ClientStats()
        sent_ahead = 0  # this step's windows the lane fetched while the previous step finished
        with lane.step(spec.table, tasks, ahead) as outcomes:
            with _settings_are_final():
                try:
                    for task, outcome in zip(tasks, outcomes, strict=True):
                        stats = stats + outcome.stats
                        sent_ahead += outcome.ahead
                        bot = task.key[0]
                        loads.append(_load(store, outcome.get(), bot, loaded_at, context))
                except (LiveApiError, RawLoadError) as error:
                    raise _as_failure(error) from error
            first, last = scopes[0].first_day, scopes[-1].last_day
            rows = sum(item.rows for item in loads)
            metadata: dict[str, object] = {
                "dagster/row_count": rows,
                "rows_loaded": rows,
                "requests": stats.requests,
                "bytes_received": stats.bytes_received,
                "retries": stats.retries,
                "windows_fetched_ahead": sent_ahead,
                "windows": dg.MetadataValue.md("\n".join(f"- `{item.landed.window}`" for item in loads) or "-"),
                "preview": dg.MetadataValue.md(
                    _preview(store, spec, scopes[0].bot, scopes[0].first_day, scopes[0].last_day)
                ),
            }
            if len(scopes) > 1 or BOTS is not None:
                metadata["bots"] = ", ".join(scope.bot for scope in scopes)
            if first is not None:
                metadata["first_day"] = first.isoformat()
                metadata["last_day"] = last.isoformat() if last else ""
            # Yielded inside the lane's step: Dagster writes this result's materialization events (one
            # per partition) before the generator resumes, and the lane goes on fetching meanwhile.
            yield dg.MaterializeResult(metadata=metadata)

    return raw_asset


def _fetches_ahead(spec: EndpointSpec) -> bool:
    """Whether ``spec``'s requests may be sent before its own step starts.

    Not conversation details: which ones to ask for depends on what ``raw.conversations`` holds when
    their step starts. An asset downstream of another (``raw/feedback``) may be: its requests do not
    depend on the parent's rows. Should the parent fail a blocking check, its step is skipped and what
    was fetched ahead for it stays in the landing folder, unloaded (at most one step's windows).
    """
    return spec.body is not BodyShape.DETAIL_MESSAGES


def _next_raw_step(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, spec: EndpointSpec, lane: RunLane[Landed]
) -> list[EndpointSpec]:
    """The raw asset this run will most likely execute next, if its windows may be fetched ahead.

    Only with the in-process executor, where every step of the run shares the run's lane (with a process
    per step, what one step fetched ahead would be lost). Dagster's in-process executor takes the ready
    steps by priority (the KPIs' inputs first), then in step-key order; if it picks another one, that
    step's own windows go first and what was fetched ahead waits for its step.
    """
    execution = context.op_execution_context if isinstance(context, dg.AssetCheckExecutionContext) else context
    if execution.job_def.executor_def.name not in IN_PROCESS_EXECUTORS:
        return []
    # A run of part of a job names its assets; a run of a whole job (a schedule's) runs the job's selection.
    selected = execution.dagster_run.asset_selection or execution.job_def.asset_layer.selected_asset_keys
    candidates = [
        other
        for other in ENDPOINTS
        if dg.AssetKey(other.asset_key_path) in selected
        and other.partitioning is spec.partitioning
        and other.table != spec.table
        and other.table not in lane.started_steps
        and _fetches_ahead(other)
    ]
    candidates.sort(key=lambda other: (not other.feeds_kpis, "__".join(other.asset_key_path)))
    return candidates[:1]


def _ahead_tasks(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
    spec: EndpointSpec,
    lane: RunLane[Landed],
    scopes: Sequence[BotScope],
    store: Warehouse,
    landing_dir: Path,
    loaded_at: dt.datetime,
) -> list[Task[Landed]]:
    """The requests of the run's next raw step, for the lane to send once the current step's are done."""
    return [
        task
        for following in _next_raw_step(context, spec, lane)
        for scope in scopes
        for task in fetch_tasks(lane, following, scope, store, landing_dir, loaded_at)
    ]


@contextlib.contextmanager
def fetching_ahead(
    context: dg.AssetCheckExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
) -> Iterator[None]:
    """Keep the run's lane busy with the next raw step's windows while a raw asset's check runs.

    The raw checks sit in the ``live_api`` pool (``API_POOL``) for this: a check holds the slot like a
    raw step, so the lane may send requests during it, and the checks that Dagster runs between two raw
    steps (those of ``raw/conversations``, before ``raw/feedback``) no longer leave the API idle.
    """
    spec = endpoint_of_asset(context.check_specs[0].asset_key.path)
    assert spec is not None, "fetching_ahead is for the checks of raw assets"
    with _settings_are_final():
        scopes = run_scope(context, live_api)
    lane = live_api.run_lane(context.op_execution_context.run_id)
    loaded_at = dt.datetime.now(dt.UTC)
    ahead = _ahead_tasks(context, spec, lane, scopes, warehouse.warehouse(), warehouse.landing(), loaded_at)
    with lane.step(f"checks of {spec.table}", [], ahead):
        yield


def fetch_tasks(
    lane: RunLane[Landed],
    spec: EndpointSpec,
    scope: BotScope,
    store: Warehouse,
    landing_dir: Path,
    loaded_at: dt.datetime,
) -> list[Task[Landed]]:
    """One bot's requests for ``spec`` over its days, each a task of the run's lane keyed by (bot, table, window)."""
    bot, first, last, settings = scope.bot, scope.first_day, scope.last_day, scope.settings
    if spec.body is BodyShape.DETAIL_MESSAGES:
        assert first is not None and last is not None
        stamp = loaded_at.strftime("%Y%m%dT%H%M%S%f")
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        return [
            Task(
                (bot, spec.table, day),
                lambda day=day: fetch_details(  # type: ignore[misc]
                    lane.client(bot, settings),
                    spec,
                    day,
                    _missing_conversations(store, bot, day),
                    landing_dir=landing_dir,
                    bot=bot,
                    stamp=stamp,
                ),
            )
            for day in days
        ]
    windows: list[Window | None] = (
        list(plan_requests(spec, first, last)) if first is not None and last is not None else [None]
    )
    return [
        Task(
            (bot, spec.table, window),
            lambda window=window: fetch_window(  # type: ignore[misc]
                lane.client(bot, settings),
                spec,
                window,
                landing_dir=landing_dir,
                bot=bot,
                export_lang=settings.export_lang,
            ),
        )
        for window in windows
    ]


def _load(
    store: Warehouse, landed: Landed, bot: str, loaded_at: dt.datetime, context: dg.AssetExecutionContext
) -> Loaded:
    loaded = load_landed(store, landed, bot=bot, loaded_at=loaded_at)
    context.log.info(f"{landed.spec.table}: {loaded.rows} rows for {landed.window or 'all'}")
    return loaded


RAW_ASSETS: list[dg.AssetsDefinition] = [build_raw_asset(spec) for spec in ENDPOINTS]
