"""Sending one message to the alert (or report) URLs through Apprise (Slack, Teams, e-mail, JSON webhooks, ...).

Each URL is sent to on its own, so that a message one URL refused is retried there only, and so that a
failure can be named by the URL's position and scheme (``alert URL #2 (json://)``): a URL often holds a
webhook's token, so it is never written anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import apprise

from live_assets.monitor.messages import split
from live_assets.secret import Secret


def fingerprint(url: Secret) -> str:
    """A short, one-way name of a URL, to remember which URLs accepted a message."""
    return hashlib.sha256(url.reveal().encode("utf-8")).hexdigest()[:16]


def describe(position: int, url: Secret, what: str = "alert") -> str:
    scheme = url.reveal().split("://", 1)[0]
    return f"{what} URL #{position} ({scheme}://)"


@dataclass(frozen=True)
class Delivery:
    accepted_by: tuple[str, ...]  # fingerprints, those given as already done included
    failures: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.failures


def deliver(
    message: str,
    urls: Sequence[Secret],
    *,
    already: Sequence[str] = (),
    attachment: Path | None = None,
    what: str = "alert",
) -> Delivery:
    """Send ``message`` (first line the title) to every URL that has not accepted it yet, with
    ``attachment`` where the service takes files (Apprise sends the text alone to those that do not).
    ``what`` names the setting's URLs in a failure (``report URL #1 (mailto://)``)."""
    title, body = split(message)
    accepted = list(already)
    failures = []
    attach = None if attachment is None else str(attachment)
    for position, url in enumerate(urls, start=1):
        name = fingerprint(url)
        if name in accepted:
            continue
        sender = apprise.Apprise()
        if not sender.add(url.reveal()):
            failures.append(f"{describe(position, url, what)}: not a URL Apprise can send to")
        elif sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT, attach=attach):
            accepted.append(name)
        else:
            refused = "delivery failed (the receiver refused it or was unreachable)"
            failures.append(f"{describe(position, url, what)}: {refused}")
    return Delivery(accepted_by=tuple(accepted), failures=tuple(failures))
