"""The raw assets, one per endpoint, generated from the registry in ``endpoints.py``.

Every asset that calls the API sits in the ``live_api`` pool (one slot in the shipped
``dagster.yaml``), so no two steps ever share the token's single request lane. A backfill runs as
one run per asset over the whole partition range (``BackfillPolicy.single_run``), and the asset cuts
that range into the fewest requests the API allows, fetching the next while loading the previous.
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
from live_assets.client.windows import Window, days_of_time_window
from live_assets.partitions import BOTS, daily_partitions, weekly_partitions
from live_assets.raw import statements
from live_assets.raw.endpoints import ENDPOINTS, BodyShape, EndpointSpec, Partitioning
from live_assets.raw.fetching import fetch_details, fetch_window, plan_requests, prefetched
from live_assets.raw.loading import Landed, Loaded, RawLoadError, ensure_table, load_landed, sweep_partials
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.scope import BotScope, run_scope
from live_assets.settings import SettingsError
from live_assets.warehouse import Warehouse

RAW_GROUP = "live_raw"
API_POOL = "live_api"
OWNERS = ["team:data-engineering"]
KINDS = {"duckdb", "live_api"}
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
    ) -> dg.MaterializeResult:
        with _settings_are_final():
            store = warehouse.warehouse()
            scopes = run_scope(context, live_api)
        for scope in scopes:
            if scope.last_day is not None:
                ensure_final(scope.last_day, scope.settings.timezone)
        loaded_at = dt.datetime.now(dt.UTC)
        loads: list[Loaded] = []
        requests = bytes_received = retries = 0
        # One bot after the other: a run never has two requests in flight on one bot's token.
        for scope in scopes:
            bot_loads, stats = _fetch_and_load(spec, scope, store, warehouse.landing(), loaded_at, context)
            loads += bot_loads
            requests, bytes_received = requests + stats.requests, bytes_received + stats.bytes_received
            retries += stats.retries
        first, last = scopes[0].first_day, scopes[-1].last_day

        rows = sum(item.rows for item in loads)
        metadata: dict[str, object] = {
            "dagster/row_count": rows,
            "rows_loaded": rows,
            "requests": requests,
            "bytes_received": bytes_received,
            "retries": retries,
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
        return dg.MaterializeResult(metadata=metadata)

    return raw_asset


def _fetch_and_load(
    spec: EndpointSpec,
    scope: BotScope,
    store: Warehouse,
    landing_dir: Path,
    loaded_at: dt.datetime,
    context: dg.AssetExecutionContext,
) -> tuple[list[Loaded], ClientStats]:
    """Fetch one bot's windows (the next one while the previous loads) and load them; its client's stats."""
    bot, first, last = scope.bot, scope.first_day, scope.last_day
    stamp = loaded_at.strftime("%Y%m%dT%H%M%S%f")
    for removed in sweep_partials(landing_dir / bot / spec.table):
        context.log.info(f"removed {removed.name}: a partial landing file left by a writer that died")
    with _settings_are_final(), LiveApiResource.client_for(scope.settings) as client:
        if spec.body is BodyShape.DETAIL_MESSAGES:
            assert first is not None and last is not None
            days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
            tasks = [
                (
                    lambda day=day: fetch_details(  # type: ignore[misc]
                        client,
                        spec,
                        day,
                        _missing_conversations(store, bot, day),
                        landing_dir=landing_dir,
                        bot=bot,
                        stamp=stamp,
                    )
                )
                for day in days
            ]
        else:
            windows: list[Window | None] = (
                list(plan_requests(spec, first, last)) if first is not None and last is not None else [None]
            )
            tasks = [
                (
                    lambda window=window: fetch_window(  # type: ignore[misc]
                        client,
                        spec,
                        window,
                        landing_dir=landing_dir,
                        bot=bot,
                        export_lang=scope.settings.export_lang,
                    )
                )
                for window in windows
            ]
        loads: list[Loaded] = []
        try:
            for landed in prefetched(tasks):
                loads.append(_load(store, landed, bot, loaded_at, context))
        except (LiveApiError, RawLoadError) as error:
            raise _as_failure(error) from error
        return loads, client.stats


def _load(
    store: Warehouse, landed: Landed, bot: str, loaded_at: dt.datetime, context: dg.AssetExecutionContext
) -> Loaded:
    loaded = load_landed(store, landed, bot=bot, loaded_at=loaded_at)
    context.log.info(f"{landed.spec.table}: {loaded.rows} rows for {landed.window or 'all'}")
    return loaded


RAW_ASSETS: list[dg.AssetsDefinition] = [build_raw_asset(spec) for spec in ENDPOINTS]
