"""A real SMTP server in the test process (``aiosmtpd``): the end of Apprise's ``mailto://``.

Every message it accepts is queued as a parsed ``email.message.EmailMessage``; a test awaits it with
``next()`` (an event, not a sleep).
"""

from __future__ import annotations

import email
import email.policy
import queue
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
SENDER, RECIPIENT = "reports@example.com", "team-lead@example.com"


@dataclass
class Mailbox:
    port: int = 0
    received: queue.Queue[EmailMessage] = field(default_factory=queue.Queue)

    @property
    def url(self) -> str:
        """The Apprise URL that mails this server (``LIVE_REPORT_URLS``): plain SMTP, no login."""
        return f"mailto://{HOST}:{self.port}?from={SENDER}&to={RECIPIENT}&mode=insecure"

    def next(self, timeout: float = 20.0) -> EmailMessage:
        return self.received.get(timeout=timeout)

    def empty(self) -> bool:
        return self.received.empty()


def _free_port() -> int:
    # aiosmtpd's controller checks its server by connecting to the given port, so it needs a real one.
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=_free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            mailbox.received.put(message)  # type: ignore[arg-type]
            return "250 OK"

    controller = Controller(Handler(), hostname=HOST, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
