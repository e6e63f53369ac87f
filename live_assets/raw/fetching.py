"""Turning a span of partition days into requests, and one request into a landing file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from live_assets.client import LiveClient
from live_assets.client.windows import Window, day_start, plan_windows
from live_assets.privacy.masking import EndpointMasker
from live_assets.raw.endpoints import EndpointSpec
from live_assets.raw.loading import Landed, landing_path, write_landing


def plan_requests(spec: EndpointSpec, first_day: dt.date, last_day: dt.date) -> list[Window]:
    """The fewest request windows for ``spec`` over the days, per its registry window rule."""
    if spec.window is None:
        raise ValueError(f"{spec.table} is not fetched by date windows")
    rule = spec.window
    return plan_windows(first_day, last_day, max_range=rule.max_range, unit_days=rule.unit_days, per_unit=rule.per_unit)


def today_so_far(now: dt.datetime) -> Window:
    """Today from 00:00 to ``now`` (whole seconds, wall clock in the bot's zone): one intraday request."""
    wall = now.replace(tzinfo=None, microsecond=0)
    return Window(day_start(wall.date()), wall)


def fetch_window(
    client: LiveClient,
    spec: EndpointSpec,
    window: Window | None,
    *,
    landing_dir: Path,
    bot: str,
    export_lang: str,
    masker: EndpointMasker | None = None,
) -> Landed:
    """One request for ``window`` (or the whole dimension list), streamed to its landing file.

    The body goes straight to disk, compressed, as it arrives: a response of any size costs a few
    megabytes of memory, and the file only appears once the body is complete. With a ``masker``
    (personal fields to hash or drop) the body is held in memory instead, rewritten, then landed:
    what the API sent never reaches the disk.
    """
    path = landing_path(landing_dir, bot, spec, window)
    params = spec.request_params(export_lang)
    if masker is None:
        response = client.get(spec.table, spec.path, params=params, window=window, destination=path)
    else:
        response = client.get(spec.table, spec.path, params=params, window=window)
        write_landing(path, masker.body(response.body, str(window) if window else "all"))
    return Landed(spec, path, window, response.size, response.attempts)


def fetch_children(
    client: LiveClient,
    spec: EndpointSpec,
    day: dt.date,
    parent_ids: list[int],
    *,
    landing_dir: Path,
    bot: str,
    stamp: str,
    masker: EndpointMasker | None = None,
) -> Landed:
    """Every listed parent's child response (a conversation's detail), landed together as one JSON array
    for the day.

    Each body is compressed into the landing file as it arrives, so a day of 100,000 conversations holds
    one detail in memory at a time, not the day's; a failed request leaves no file (``write_landing``).
    A ``masker`` rewrites each detail's personal fields (the message text) before it is compressed.
    """
    assert spec.children_of is not None, spec.table
    parameter = spec.children_of.parameter
    window = Window.for_days(day, day)
    path = landing_path(landing_dir, bot, spec, window, stamp)
    received = 0

    def chunks() -> Iterator[bytes]:
        nonlocal received
        yield b"["
        for index, parent_id in enumerate(parent_ids):
            body = client.get(spec.table, spec.path, {parameter: str(int(parent_id))}).body
            received += len(body)
            if masker is not None:
                body = masker.body(body, f"{window} conversation {parent_id}")
            yield b"," + body if index else body
        yield b"]"

    write_landing(path, chunks())
    return Landed(spec, path, window, received, len(parent_ids))
