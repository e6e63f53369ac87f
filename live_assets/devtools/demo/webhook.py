"""A local JSON webhook: the receiver behind an Apprise ``json://127.0.0.1:PORT/alerts`` URL.

The demo listens with it to show the alerts as an on-call channel gets them; the tests and the
benchmark use it as the real HTTP end of a delivery. Every POST body is queued as parsed JSON (Apprise's
``json://`` sends ``{"version", "title", "message", "type"}``); it answers ``status`` (500 to refuse).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
PATH = "/alerts"


@dataclass
class Receiver:
    """What the webhook received, in order; ``status`` is its answer to the next POSTs."""

    status: int = 200
    received: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    port: int = 0

    @property
    def url(self) -> str:
        """The Apprise URL that posts JSON here (``LIVE_ALERT_URLS``)."""
        return f"json://{HOST}:{self.port}{PATH}"

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
    """A receiver listening on a free port of 127.0.0.1 in a thread of this process, stopped on exit."""
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

    server = ThreadingHTTPServer((HOST, 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="live-demo-webhook", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
