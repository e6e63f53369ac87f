"""One API step's work: every request of the selected endpoints, one at a time, loaded as they land.

The API serves one request at a time per token, so the fastest a step can go is the sum of the API's
own service times. One thread sends the step's requests in order (never two at once) and hands each
landed file over a bounded queue; the step's own thread loads them while the next requests are in flight.
Endpoints go in registry order (the KPIs' inputs first), bot after bot. An endpoint whose request or
load fails stops there (its later windows are not fetched, and so does every endpoint of the step that
reads it); the others go on, and the step fails at the end naming each failure.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from live_assets.client import ClientStats, LiveClient, Window, compressed_file_problem
from live_assets.privacy.masking import EndpointMasker, Masking
from live_assets.raw.changes import DayChanges
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE, EndpointSpec, Partitioning
from live_assets.raw.fetching import fetch_children, fetch_window, plan_requests, today_so_far
from live_assets.raw.loading import Landed, ensure_table, landing_path, load_landed
from live_assets.raw.statements import quote_identifier
from live_assets.scope import BotScope
from live_assets.warehouse import Warehouse


@dataclass(frozen=True)
class Task:
    """One request (or one day of conversation details) of one bot for one endpoint."""

    spec: EndpointSpec
    bot: str
    fetch: Callable[[], Landed]


@dataclass
class Progress:
    """What one endpoint of the step has done so far, over every bot of the run."""

    spec: EndpointSpec
    tasks: int = 0
    loaded: int = 0
    rows: int = 0
    windows: list[str] = field(default_factory=list)
    changes: list[tuple[str, DayChanges]] = field(default_factory=list)  # (bot, a day's changes)
    stats: ClientStats = field(default_factory=ClientStats)
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.error is None and self.loaded == self.tasks


@dataclass(frozen=True)
class _Fetched:
    task: Task
    landed: Landed | None
    error: BaseException | None
    stats: ClientStats


_END = object()
# How many landed files may wait for their load. Every landed file stays in the landing zone anyway and
# the queue holds only paths, so the bound is set past any step's request count (a 90-day daily step sends
# ~340): the fetching thread never waits for the loads, also not while another process holds the DuckDB
# file for tens of seconds (a KPI or report run, a BI reader), so the API stays busy and the loads catch up.
FETCHED_AHEAD = 4096


def missing_children(warehouse: Warehouse, spec: EndpointSpec, bot: str, day: dt.date) -> list[int]:
    """The ids of the day's parent rows (conversations) whose children (messages) are not held yet."""
    assert spec.children_of is not None, spec.table
    ensure_table(warehouse, spec)
    parent, key = ENDPOINTS_BY_TABLE[spec.children_of.parent], quote_identifier(spec.children_of.id_column)
    rows = warehouse.query(
        f"SELECT p.{key} FROM {parent.qualified_table} AS p WHERE p._bot = $bot AND p._partition_day = $day "
        f"AND NOT EXISTS (SELECT 1 FROM {spec.qualified_table} AS c WHERE c._bot = p._bot AND c.{key} = p.{key}) "
        f"ORDER BY p.{key}",
        {"bot": bot, "day": day},
    )
    return [int(row_id) for (row_id,) in rows]


class StepClients:
    """One client per bot of the step, opened on first use and closed with the step."""

    def __init__(self, scopes: Sequence[BotScope], *, first_in_line: bool = False) -> None:
        self._settings = {scope.bot: scope.settings for scope in scopes}
        self._clients: dict[str, LiveClient] = {}
        self._first_in_line = first_in_line  # today's refresh goes before a backfill at the token lock

    def __call__(self, bot: str) -> LiveClient:
        if bot not in self._clients:
            self._clients[bot] = LiveClient.from_settings(self._settings[bot], first_in_line=self._first_in_line)
        return self._clients[bot]

    def stats(self) -> ClientStats:
        total = ClientStats()
        for client in list(self._clients.values()):
            total = total + client.stats
        return total

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def landed_since(path: Path, since: float | None) -> bool:
    """Whether ``path`` is a whole landing file that this run wrote (at or after ``since``)."""
    if since is None or not path.is_file() or path.stat().st_mtime < since:
        return False
    return compressed_file_problem(path) is None


def plan_tasks(
    specs: Sequence[EndpointSpec],
    scopes: Sequence[BotScope],
    clients: StepClients,
    store: Warehouse,
    landing_dir: Path,
    loaded_at: dt.datetime,
    now: Callable[[str], dt.datetime],
    reuse_since: float | None = None,
    masking: Masking | None = None,
) -> list[Task]:
    """Every request of the step, endpoint after endpoint and, within one, bot after bot.

    ``reuse_since`` (a retry of the step): a window whose landing file this run already wrote whole is
    loaded from it rather than asked again, so a load that failed (a warehouse held by another process)
    costs no request on the retry. ``masking`` rewrites personal fields before each response lands
    (``LIVE_PII``).
    """
    tasks: list[Task] = []
    stamp = loaded_at.strftime("%Y%m%dT%H%M%S%f")
    for spec in specs:
        masker = masking.for_endpoint(spec) if masking is not None else None
        for scope in scopes:
            bot, settings = scope.bot, scope.settings
            if spec.children_of is not None:
                tasks += [
                    Task(
                        spec,
                        bot,
                        lambda spec=spec, bot=bot, day=day, masker=masker: fetch_children(  # type: ignore[misc]
                            clients(bot),
                            spec,
                            day,
                            missing_children(store, spec, bot, day),
                            landing_dir=landing_dir,
                            bot=bot,
                            stamp=stamp,
                            masker=masker,
                        ),
                    )
                    for span in scope.spans
                    for day in span.days()
                ]
                continue
            windows: list[Window | None]
            if spec.partitioning is Partitioning.TODAY:
                windows = [today_so_far(now(settings.timezone))]
            elif scope.first_day is not None and scope.last_day is not None:
                windows = list(plan_requests(spec, scope.first_day, scope.last_day))
            else:
                windows = [None]
            tasks += [
                Task(
                    spec,
                    bot,
                    lambda spec=spec, bot=bot, window=window, lang=settings.export_lang, masker=masker: reuse_or_fetch(  # type: ignore[misc]
                        clients,
                        spec,
                        window,
                        landing_dir=landing_dir,
                        bot=bot,
                        export_lang=lang,
                        since=reuse_since,
                        masker=masker,
                    ),
                )
                for window in windows
            ]
    return tasks


def reuse_or_fetch(
    clients: StepClients,
    spec: EndpointSpec,
    window: Window | None,
    *,
    landing_dir: Path,
    bot: str,
    export_lang: str,
    since: float | None,
    masker: EndpointMasker | None = None,
) -> Landed:
    path = landing_path(landing_dir, bot, spec, window)
    if landed_since(path, since):
        return Landed(spec, path, window, path.stat().st_size, 0)
    return fetch_window(
        clients(bot), spec, window, landing_dir=landing_dir, bot=bot, export_lang=export_lang, masker=masker
    )


def _blocked_by(spec: EndpointSpec, failed: set[str]) -> bool:
    return spec.table in failed or any(parent in failed for parent in spec.upstream)


def run_tasks(
    tasks: Sequence[Task],
    clients: StepClients,
    store: Warehouse,
    loaded_at: dt.datetime,
    log: Callable[[str], None],
) -> Iterator[Progress]:
    """Fetch on one thread and load here, one request in flight; yield each endpoint's progress once it
    is done or has failed, in the order the endpoints' last tasks come."""
    progress: dict[str, Progress] = {}
    for task in tasks:
        progress.setdefault(task.spec.table, Progress(task.spec)).tasks += 1
    failed: set[str] = set()
    failed_lock = threading.Lock()
    handed: queue.Queue[_Fetched | object] = queue.Queue(maxsize=FETCHED_AHEAD)
    stop = threading.Event()

    def fetch_all() -> None:
        try:
            for task in tasks:
                if stop.is_set():
                    return
                with failed_lock:
                    if _blocked_by(task.spec, failed):
                        continue
                before = clients.stats()
                landed: Landed | None = None
                error: BaseException | None = None
                try:
                    landed = task.fetch()
                except BaseException as raised:  # handed to the loading thread, which owns the endpoint
                    error = raised
                handed.put(_Fetched(task, landed, error, clients.stats() - before))
        finally:
            handed.put(_END)

    fetcher = threading.Thread(target=fetch_all, name="live-raw-fetch", daemon=True)
    fetcher.start()
    reported: set[str] = set()
    try:
        while (item := handed.get()) is not _END:
            assert isinstance(item, _Fetched)
            done = progress[item.task.spec.table]
            done.stats = done.stats + item.stats
            if item.error is None and done.error is None:
                try:
                    assert item.landed is not None
                    loaded = load_landed(store, item.landed, bot=item.task.bot, loaded_at=loaded_at)
                    done.loaded += 1
                    done.rows += loaded.rows
                    done.changes += [(item.task.bot, change) for change in loaded.changes]
                    done.windows.append(f"{item.task.bot} {item.landed.window or 'all'}")
                    log(f"{done.spec.table}: {loaded.rows} rows for {item.task.bot} {item.landed.window or 'all'}")
                except Exception as error:  # RawLoadError, or a warehouse that stayed locked
                    done.error = error
            elif item.error is not None and done.error is None:
                done.error = item.error
            if done.error is not None:
                with failed_lock:
                    failed.add(done.spec.table)
            if (done.done or done.error is not None) and done.spec.table not in reported:
                reported.add(done.spec.table)
                yield done
        with failed_lock:
            skipped = [p for table, p in progress.items() if table not in reported and _blocked_by(p.spec, failed)]
        for blocked in skipped:
            parents = ", ".join(parent for parent in blocked.spec.upstream if parent in failed)
            blocked.error = RuntimeError(f"{blocked.spec.table}: not fetched, its input {parents} failed")
            yield blocked
    finally:
        stop.set()
        while fetcher.is_alive():  # let a request in flight finish: no request outlives the step
            try:
                handed.get(timeout=0.1)
            except queue.Empty:
                continue
        fetcher.join()
