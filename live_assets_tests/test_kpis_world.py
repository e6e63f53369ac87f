"""A small raw warehouse made by hand, and the KPI definitions of docs/kpis.md written again in Python.

The KPI and check tests write conversations straight into the raw tables (with the raw layer's own
DDL), together with the aggregates every other endpoint would give for them (docs/api-contract.md §6), and
compare the SQL's output with the plain-Python computation below. The pure functions are tested
here directly, on values small enough to check by eye.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest

from live_assets.raw import statements
from live_assets.raw.endpoints import ENDPOINTS, Partitioning
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import daily_partitions, weekly_partitions

SPECS = {spec.table: spec for spec in ENDPOINTS}
BOT = "default"

# (id, name, description, sla_threshold seconds)
GROUPS = ((1, "Ventas", "sales", 60), (2, "Soporte técnico", "support", 120), (3, "Facturación ✨", "billing", 30))
PROTOCOLS = ((1, "webchat"), (2, "whatsapp"))
AGENTS = ((11, "Ana"), (12, "Bruno"), (13, "Chloé"), (14, "Dmitri"))


@dataclass(frozen=True)
class Conversation:
    """The fields of a raw.conversations row the KPIs read (the rest stay NULL)."""

    conversation_id: int
    queued_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime
    wait_time: int
    session_time: int
    first_response_time: int | None
    status: str
    transfers: int
    group_id: int
    protocol_id: int
    agent_id: int | None
    feedback_value: int | None

    @property
    def day(self) -> dt.date:
        return self.queued_at.date()

    @property
    def attended(self) -> bool:
        return self.agent_id is not None

    @property
    def group_name(self) -> str:
        return {g[0]: g[1] for g in GROUPS}[self.group_id]

    @property
    def protocol_name(self) -> str:
        return dict(PROTOCOLS)[self.protocol_id]

    @property
    def agent_name(self) -> str | None:
        return dict(AGENTS).get(self.agent_id) if self.agent_id is not None else None


def make_day(day: dt.date, count: int, *, seed: int, first_id: int) -> list[Conversation]:
    """``count`` conversations queued on ``day``: some lost, some transferred, some rated, sessions that overlap."""
    rng = random.Random(seed)
    conversations = []
    for n in range(count):
        queued = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randrange(86_400 - 1))
        group_id, _, _, threshold = rng.choice(GROUPS)
        protocol_id = rng.choice(PROTOCOLS)[0]
        if rng.random() < 0.15:
            wait = rng.randrange(5, 900)
            conversations.append(
                Conversation(first_id + n, queued, None, queued + dt.timedelta(seconds=wait), wait, 0, None,
                             "lost", 0, group_id, protocol_id, None, None)
            )  # fmt: skip
            continue
        # Waits around the threshold, so that both sides of it occur; ties included.
        wait = rng.choice([threshold, rng.randrange(0, 2 * threshold + 1)])
        started = queued + dt.timedelta(seconds=wait)
        session = rng.choice([0, rng.randrange(30, 3_600)])
        conversations.append(
            Conversation(
                conversation_id=first_id + n,
                queued_at=queued,
                started_at=started,
                ended_at=started + dt.timedelta(seconds=session),
                wait_time=wait,
                session_time=session,
                first_response_time=None if rng.random() < 0.1 else rng.randrange(0, 180),
                status="closed",
                transfers=rng.choice([0, 0, 0, 0, 1, 2]),
                group_id=group_id,
                protocol_id=protocol_id,
                agent_id=rng.choice(AGENTS)[0],
                feedback_value=rng.choice([None, None, 1, 2, 3, 4, 5, 5]),
            )
        )
    return conversations


def make_days(
    first_day: dt.date, days: int, *, per_day: int = 60, seed: int = 1, first_id: int = 1
) -> list[Conversation]:
    conversations: list[Conversation] = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        conversations += make_day(day, per_day, seed=seed * 1000 + offset, first_id=first_id + len(conversations))
    return conversations


# --- the raw tables, as the API would fill them for these conversations -------------------------------------


def _round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return _round2(sum(items) / len(items)) if items else None


def _meta(day: dt.date | None, bot: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"_bot": bot, "_loaded_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)}
    if day is not None:
        meta["_partition_day"] = day
    return meta


def within_sla(conversation: Conversation, threshold: int) -> bool:
    return conversation.attended and conversation.wait_time <= threshold


def raw_tables(
    conversations: Sequence[Conversation], *, bot: str = BOT, thresholds: dict[int, int] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Rows for every raw table the KPIs and checks read, all consistent with ``conversations``."""
    thresholds = thresholds or {g[0]: g[3] for g in GROUPS}
    days = sorted({c.day for c in conversations})
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in conversations:
        row = asdict(c) | {"group_name": c.group_name, "protocol_name": c.protocol_name, "agent_name": c.agent_name}
        tables["conversations"].append(row | _meta(c.day, bot))
        tables["export_conversations"].append(
            {k: row[k] for k in ("conversation_id", "queued_at", "started_at", "ended_at", "wait_time",
                                 "session_time", "first_response_time", "status", "transfers", "group_name",
                                 "protocol_name", "agent_name")}
            | {"feedback": c.feedback_value} | _meta(c.day, bot)
        )  # fmt: skip
    for day in days:
        held = [c for c in conversations if c.day == day]
        lost = sum(c.status == "lost" for c in held)
        tables["conversation_stats"].append(
            {
                "total": len(held),
                "attended": sum(c.attended for c in held),
                "closed": len(held) - lost,
                "lost": lost,
                "transferred": sum(c.transfers > 0 for c in held),
                "avg_wait_time": _mean(c.wait_time for c in held),
            }
            | _meta(day, bot)
        )
        for slot in range(48):
            start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=30 * slot)
            bucket = [c for c in held if start <= c.queued_at < start + dt.timedelta(minutes=30)]
            tables["histogram"].append(
                {
                    "period": start,
                    "total": len(bucket),
                    "closed": sum(c.status == "closed" for c in bucket),
                    "lost": sum(c.status == "lost" for c in bucket),
                    "transfers": sum(c.transfers for c in bucket),
                    "active_agents": len({c.agent_id for c in bucket if c.agent_id is not None}),
                }
                | _meta(day, bot)
            )
        cells: defaultdict[tuple[dt.datetime, int, int], list[Conversation]] = defaultdict(list)
        for c in held:
            cells[(c.queued_at.replace(minute=0, second=0), c.group_id, c.protocol_id)].append(c)
        for (period, group_id, protocol_id), cell in sorted(cells.items()):
            tables["summary"].append(
                {
                    "period": period,
                    "group_id": group_id,
                    "protocol_id": protocol_id,
                    "total": len(cell),
                    "closed": sum(c.status == "closed" for c in cell),
                    "lost": sum(c.status == "lost" for c in cell),
                    "transferred": sum(c.transfers > 0 for c in cell),
                }
                | _meta(day, bot)
            )
        for group_id, name, _, _ in GROUPS:
            if group_id not in thresholds:
                continue  # the SLA endpoint forgot this group: the KPIs fall back to raw.groups
            in_group = [c for c in held if c.group_id == group_id]
            within = sum(within_sla(c, thresholds[group_id]) for c in in_group)
            attended = sum(c.attended for c in in_group)
            tables["sla_by_group"].append(
                {
                    "group_id": group_id,
                    "group_name": name,
                    "sla_threshold": thresholds[group_id],
                    "total": len(in_group),
                    "attended": attended,
                    "lost": sum(c.status == "lost" for c in in_group),
                    "within_sla": within,
                    "out_of_sla": attended - within,
                    "sla_percentage": _round2(100 * within / len(in_group)) if in_group else None,
                }
                | _meta(day, bot)
            )
    for group_id, name, description, threshold in GROUPS:
        tables["groups"].append(
            {"id": group_id, "name": name, "description": description, "sla_threshold": threshold} | _meta(None, bot)
        )
    return dict(tables)


def write_raw(warehouse: Warehouse, tables: dict[str, list[dict[str, Any]]]) -> None:
    """Create every raw table with the raw layer's DDL (so all exist, even empty) and insert the rows."""
    with warehouse.transaction() as connection:
        for spec in ENDPOINTS:
            for ddl in statements.create_table(spec):
                connection.execute(ddl)
        for table, rows in tables.items():
            if rows:
                batch = pa.Table.from_pylist(rows)  # noqa: F841 - read by name below
                connection.execute(f"INSERT INTO raw.{table} BY NAME SELECT * FROM batch")


def write_conversations(warehouse: Warehouse, conversations: Sequence[Conversation], **kwargs: Any) -> None:
    write_raw(warehouse, raw_tables(conversations, **kwargs))


# --- the KPI definitions of docs/kpis.md, in plain Python ----------------------------------------------------


def quantile_cont(values: Iterable[float], q: float) -> float | None:
    """DuckDB's ``quantile_cont``: linear interpolation between the closest ranks, at (n - 1) * q."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def concurrency(intervals: Iterable[tuple[dt.datetime, dt.datetime]]) -> tuple[int | None, float | None]:
    """(most chats held at one instant, session time / time holding >= 1 chat) over ``[start, end)`` sessions.

    A chat of no length still counts as one held; the average is None when no time was spent in a chat.
    """
    events: list[tuple[dt.datetime, int]] = []
    session_seconds = 0.0
    for start, end in intervals:
        end = max(end, start)
        events += [(start, 1), (end, -1)]
        session_seconds += (end - start).total_seconds()
    if not events:
        return None, None
    events.sort()  # ends (-1) before starts (+1) at the same instant
    held = best = 0
    busy = 0.0
    for (moment, delta), (following, _) in zip(events, [*events[1:], (events[-1][0], 0)], strict=True):
        held += delta
        best = max(best, held)
        if held >= 1:
            busy += (following - moment).total_seconds()
    return max(best, 1), (session_seconds / busy if busy else None)


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _avg(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def outcome_metrics(held: Sequence[Conversation], attended: Sequence[Conversation]) -> dict[str, Any]:
    """The metrics sla and agent tables share, over the conversations of one grain."""
    rated = [c.feedback_value for c in held if c.feedback_value is not None]
    transferred_attended = [c for c in attended if c.transfers > 0]
    resolved = [c for c in attended if c.status == "closed" and c.transfers == 0]
    responses = [c.first_response_time for c in attended if c.first_response_time is not None]
    return {
        "first_response_avg_s": _avg(responses),
        "first_response_p90_s": quantile_cont(responses, 0.9),
        "handle_time_avg_s": _avg([c.session_time for c in attended]),
        "transferred": sum(c.transfers > 0 for c in held),
        "transfer_rate": _pct(len(transferred_attended), len(attended)),
        "resolved": len(resolved),
        "resolution_rate": _pct(len(resolved), len(attended)),
        "feedback_count": len(rated),
        "csat_pct": _pct(sum(v >= 4 for v in rated), len(rated)),
        "feedback_score_avg": _avg(rated),
    }


def expected_sla(
    conversations: Sequence[Conversation],
    period: Callable[[dt.date], dt.date],
    *,
    by_protocol: bool,
    thresholds: dict[int, int] | None = None,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """SLA rows keyed like the table's grain: (period, group_id[, protocol_id])."""
    thresholds = thresholds or {g[0]: g[3] for g in GROUPS}
    cells: defaultdict[tuple[Any, ...], list[Conversation]] = defaultdict(list)
    for c in conversations:
        key = (period(c.day), c.group_id, c.protocol_id) if by_protocol else (period(c.day), c.group_id)
        cells[key].append(c)
    rows = {}
    for key, held in cells.items():
        attended = [c for c in held if c.attended]
        within = sum(within_sla(c, thresholds[c.group_id]) for c in held)
        waits = [c.wait_time for c in attended]
        rows[key] = {
            "offered": len(held),
            "attended": len(attended),
            "lost": sum(c.status == "lost" for c in held),
            "abandonment_rate": _pct(sum(c.status == "lost" for c in held), len(held)),
            "within_sla": within,
            "sla_pct": _pct(within, len(held)),
            "wait_avg_s": _avg(waits),
            "wait_p90_s": quantile_cont(waits, 0.9),
            **outcome_metrics(held, attended),
        }
    return rows


def expected_agents(
    conversations: Sequence[Conversation], period: Callable[[dt.date], dt.date]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Agent rows keyed (period, agent_id): each conversation counts for its final agent."""
    cells: defaultdict[tuple[Any, ...], list[Conversation]] = defaultdict(list)
    for c in conversations:
        if c.attended:
            cells[(period(c.day), c.agent_id)].append(c)
    rows = {}
    for key, held in cells.items():
        most, average = concurrency((c.started_at, c.ended_at) for c in held if c.started_at is not None)
        rows[key] = {
            "handled": len(held),
            "handled_hours": sum(c.session_time for c in held) / 3600,
            **outcome_metrics(held, held),
            "concurrency_max": most,
            "concurrency_avg": average,
        }
    return rows


def day_of(day: dt.date) -> dt.date:
    return day


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def table_rows(warehouse: Warehouse, table: str, keys: Sequence[str], bot: str = BOT) -> dict[tuple, dict[str, Any]]:
    """A KPI table's rows of ``bot``, keyed by its grain columns."""
    with warehouse.connect() as connection:
        cursor = connection.execute(f"SELECT * FROM kpi.{table} WHERE _bot = $bot", {"bot": bot})
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {tuple(row[k] for k in keys): row for row in rows}


def assert_rows_match(actual: dict[tuple, dict[str, Any]], expected: dict[tuple, dict[str, Any]]) -> None:
    """Same keys; every expected metric equal (floats to 1e-9)."""
    assert sorted(actual) == sorted(expected)
    for key, metrics in expected.items():
        for name, value in metrics.items():
            got = actual[key][name]
            if value is None or got is None:
                assert got == value, (key, name, got, value)
            else:
                assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (key, name, got, value)


# --- the pure functions, tested directly -------------------------------------------------------------------


def test_quantile_cont_interpolates_between_ranks() -> None:
    assert quantile_cont(range(1, 11), 0.9) == pytest.approx(9.1)  # position 8.1 between 9 and 10
    assert quantile_cont([5], 0.9) == 5
    assert quantile_cont([10, 0], 0.9) == pytest.approx(9.0)
    assert quantile_cont([], 0.9) is None


def test_quantile_cont_is_duckdbs(tmp_path: Any) -> None:
    rng = random.Random(3)
    samples = [[rng.randrange(0, 1_000) for _ in range(rng.randrange(1, 40))] for _ in range(30)]
    warehouse = Warehouse(tmp_path / "q.duckdb")
    for sample in samples:
        (duck,) = warehouse.query("SELECT quantile_cont(x, 0.9) FROM unnest($xs) AS t(x)", {"xs": sample})[0]
        assert quantile_cont(sample, 0.9) == pytest.approx(duck, abs=1e-9)


def at(minute: int) -> dt.datetime:
    return dt.datetime(2025, 3, 4, 10) + dt.timedelta(minutes=minute)


HAND_INTERVALS = [
    (at(0), at(30)),  # A
    (at(10), at(20)),  # B, inside A: 2 held over 10 minutes
    (at(15), at(25)),  # C: A, B and C held from :15 to :20 -> max 3
    (at(30), at(40)),  # D starts as A ends: not concurrent with A
    (at(60), at(60)),  # E: a chat of no length, no time held
    (at(90), at(100)),  # F: alone, after a gap
]
# session time 30 + 10 + 10 + 10 + 0 + 10 = 70 min; time with >= 1 chat: 0..40 and 90..100 = 50 min
HAND_MAX, HAND_AVG = 3, 70 / 50


def test_concurrency_of_hand_made_intervals() -> None:
    assert concurrency(HAND_INTERVALS) == (HAND_MAX, pytest.approx(HAND_AVG))
    assert concurrency([(at(0), at(10)), (at(10), at(20))]) == (1, pytest.approx(1.0))  # back to back
    assert concurrency([(at(5), at(5))]) == (1, None)  # an instant: one held, no time
    assert concurrency([]) == (None, None)


def test_the_hand_made_world_is_consistent() -> None:
    conversations = make_days(dt.date(2025, 3, 3), 2)
    tables = raw_tables(conversations)
    assert len(tables["conversations"]) == len(tables["export_conversations"]) == 120
    assert sum(r["total"] for r in tables["histogram"]) == sum(r["total"] for r in tables["summary"]) == 120
    assert sum(r["total"] for r in tables["sla_by_group"]) == sum(r["total"] for r in tables["conversation_stats"])
    kinds = {(c.status, c.transfers > 0, c.feedback_value is not None) for c in conversations}
    assert {("lost", False, False), ("closed", True, True), ("closed", False, True)} <= kinds
    assert any(c.wait_time == dict((g[0], g[3]) for g in GROUPS)[c.group_id] for c in conversations if c.attended)


def shifted(conversation: Conversation, **changes: Any) -> Conversation:
    return replace(conversation, **changes)


# --- running the real KPI assets and checks in Dagster, with stand-ins for the raw assets -------------------


def stand_in_raw_assets() -> list[dg.AssetsDefinition]:
    """The raw assets' keys and partitions without their API calls: the tests wrote the rows already.

    They let a run hold what a production run holds (raw assets, their blocking checks, the KPIs
    downstream), so that Dagster's blocking and partition mapping are exercised for real.
    """
    assets = []
    for spec in ENDPOINTS:
        partitions = {Partitioning.DAILY: daily_partitions, Partitioning.WEEKLY: weekly_partitions}.get(
            spec.partitioning
        )

        @dg.asset(
            key=spec.asset_key_path,
            group_name="live_raw",
            partitions_def=partitions,
            backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        )
        def stand_in() -> None:
            """Rows written by the test."""

        assets.append(stand_in)
    return assets


STAND_INS = stand_in_raw_assets()
DAILY_STAND_INS = [a for a in STAND_INS if a.partitions_def is daily_partitions]


def resources(path: Path, bot: str = BOT) -> dict[str, object]:
    return {
        "live_api": LiveApiResource(bot=bot),
        "warehouse": WarehouseResource(duckdb_path=str(path), landing_dir=str(path.parent / "landing")),
    }


def range_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a single-run backfill over ``first..last`` (partition keys)."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def run(
    path: Path,
    assets: Sequence[dg.AssetsDefinition | dg.AssetChecksDefinition],
    *,
    partition_key: str | None = None,
    first: str | None = None,
    last: str | None = None,
    bot: str = BOT,
    selection: Any = None,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """One Dagster run: one partition, or a range as one run (``first``..``last``), like a UI backfill."""
    tags = range_tags(first, last) if first and last else {}
    return dg.materialize(
        list(assets),
        partition_key=partition_key,
        tags=tags,
        resources=resources(path, bot),
        selection=selection,
        instance=instance,
        raise_on_error=raise_on_error,
    )
