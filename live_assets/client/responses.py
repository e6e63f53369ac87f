"""What a call returns (:class:`ApiResponse`) and what a client counts (:class:`ClientStats`)."""

from __future__ import annotations

import io
import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from live_assets.client.export_csv import iter_export_batches, parse_export
from live_assets.client.landing import compressed_reader, is_compressed
from live_assets.client.sniffing import CSV_MEDIA_TYPE, media_type
from live_assets.client.windows import Window


@dataclass(frozen=True)
class ApiResponse:
    """One successful response plus how it was obtained; holds no secret.

    The body is in memory (``body``), or, when the call was given a ``destination``, in that file
    (``file``; compressed when its name ends in ``LANDING_SUFFIX``) and ``body`` is empty. ``size``
    is the body's length as received, either way.
    """

    endpoint: str
    path: str
    window: Window | None
    params: Mapping[str, str]
    status: int
    content_type: str
    body: bytes = field(repr=False)
    attempts: int
    elapsed_seconds: float
    file: Path | None = None
    size: int = 0

    def open(self) -> IO[bytes] | pa.NativeFile:
        """The body as a binary stream, wherever it is (from a compressed file, decompressed as it is read)."""
        if self.file is None:
            return io.BytesIO(self.body)
        if is_compressed(self.file):
            return compressed_reader(self.file)
        return self.file.open("rb")

    def json(self) -> Any:
        if self.file is None:
            return json.loads(self.body)
        with self.open() as stream:
            return json.load(stream)

    def records(self) -> list[dict[str, Any]]:
        """Rows: a JSON array as is, a JSON object as one row, the CSV export parsed (small bodies)."""
        if media_type(self.content_type) == CSV_MEDIA_TYPE:
            if self.file is None:
                return parse_export(self.body)
            with self.open() as stream:
                return [row for batch in iter_export_batches(stream) for row in batch.to_pylist()]
        payload = self.json()
        if isinstance(payload, list):
            return payload
        return [payload]


@dataclass(frozen=True)
class ClientStats:
    """Counters for Dagster metadata; subtract two snapshots to get one task's share, add shares up."""

    requests: int = 0
    retries: int = 0
    logins: int = 0
    bytes_received: int = 0
    seconds_waiting: float = 0.0
    seconds_locked_out: float = 0.0  # waiting for the bot's token lock (another request in flight)

    def __sub__(self, other: ClientStats) -> ClientStats:
        return self._combined(other, operator.sub)

    def __add__(self, other: ClientStats) -> ClientStats:
        return self._combined(other, operator.add)

    def _combined(self, other: ClientStats, op: Callable[[Any, Any], Any]) -> ClientStats:
        return ClientStats(*(op(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)))

    def as_dict(self) -> dict[str, int | float]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "logins": self.logins,
            "bytes_received": self.bytes_received,
            "seconds_waiting": round(self.seconds_waiting, 3),
            "seconds_locked_out": round(self.seconds_locked_out, 3),
        }
