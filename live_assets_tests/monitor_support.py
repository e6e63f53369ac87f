"""Helpers of the monitoring tests: a real HTTP receiver for Apprise's ``json://``, and the day so far.

``raw.conversations_today`` is filled from ``raw.conversations`` (loaded from the simulator by the real
raw asset) with the conversations the API would list at a given time of that day: those that ended by
then. That is what the intraday raw asset holds after a refresh at that time.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dagster as dg

from live_assets.warehouse import Warehouse


@dataclass
class Receiver:
    """A local webhook: every POST body is queued; it answers ``status`` (500 to refuse)."""

    status: int = 200
    received: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    port: int = 0

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"

    def next(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message received, waiting for it (an event, not a sleep)."""
        return self.received.get(timeout=timeout)

    def drain(self) -> list[dict[str, Any]]:
        messages = []
        while not self.received.empty():
            messages.append(self.received.get_nowait())
        return messages


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.received.put(json.loads(body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fill_today(warehouse: Warehouse, day: dt.date, at: dt.time, *, bot: str = "default") -> int:
    """``raw.conversations_today`` as a refresh at ``at`` on ``day`` leaves it; its row count."""
    moment = dt.datetime.combine(day, at)
    with warehouse.transaction() as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS raw.conversations_today AS SELECT * FROM raw.conversations WITH NO DATA"
        )
        connection.execute("DELETE FROM raw.conversations_today WHERE _bot = $bot", {"bot": bot})
        connection.execute(
            "INSERT INTO raw.conversations_today SELECT * REPLACE (CAST($loaded AS TIMESTAMPTZ) AS _loaded_at) "
            "FROM raw.conversations WHERE _bot = $bot AND _partition_day = $day AND ended_at <= $moment",
            {"bot": bot, "day": day, "moment": moment, "loaded": moment.replace(tzinfo=dt.UTC)},
        )
        (count,) = connection.execute(
            "SELECT count(*) FROM raw.conversations_today WHERE _bot = $bot", {"bot": bot}
        ).fetchone()
    return count


@dg.asset(key=["raw", "conversations_today"], group_name="live_raw")
def conversations_today_stand_in() -> None:
    """Rows written by the test (``fill_today``), as the lead's intraday raw asset writes them."""
