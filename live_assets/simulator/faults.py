"""Fault injection: what a real API and the gateways in front of it do on a bad day.

Two sources, one vocabulary of kinds:

- random faults: a share (``fault_rate``) of data requests, decided by a stable hash of the seed and
  the request's rank, so a run with the same seed and the same requests meets the same faults;
- scheduled faults (``POST /_sim/faults``): "the next ``times`` requests to ``path`` get ``kind``",
  for deterministic tests.

"Entry" kinds answer instead of the API (gateway errors, a 429, a dropped connection); "response"
kinds alter the API's own 200 answer (cut it, replace it by HTML, add or remove fields...).
The body transforms are pure functions of the body.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from live_assets import contract
from live_assets.simulator.stablehash import stable_fraction, stable_int

ENTRY_KINDS = ("429", "502", "503", "504", "drop")
GATEWAY_ERROR_KINDS = ("502", "503", "504")
JSON_KINDS = ("truncated_json_200", "extra_fields", "missing_optional", "null_objects")
CSV_KINDS = ("csv_unknown_header", "csv_ragged_row")
RESPONSE_KINDS = ("truncate", "html_200", *JSON_KINDS, *CSV_KINDS)
KINDS = (*ENTRY_KINDS, *RESPONSE_KINDS)
RANDOM_KINDS = ("429", "502", "503", "504", "drop", "truncate")  # what ``fault_rate`` draws from

DATA_PATHS = frozenset(path.value for path in contract.Path)
# Aggregate figures that are null when there is nothing to average (docs/api-contract.md §6), and the feedback comment.
NULLABLE_AGGREGATE_FIELDS = (
    "avg_wait_time",
    "avg_first_response_time",
    "avg_session_time",
    "feedback_avg",
    "sla_percentage",
    "average",
    "comment",
)
EXTRA_FIELD = "x_sim_extra"
EXTRA_OBJECT_FIELD = "x_sim_extra_object"
UNKNOWN_CSV_HEADER = "Columna misteriosa"
GATEWAY_HTML = (
    "<html><head><title>{status} Gateway error</title></head>"
    "<body><center><h1>{status} Gateway error</h1></center><hr><center>nginx</center></body></html>"
)
HTML_200_PAGE = (
    "<!DOCTYPE html><html><head><title>Mantenimiento</title></head>"
    "<body><h1>Estamos en mantenimiento</h1><p>Vuelva a intentarlo más tarde.</p></body></html>"
)


class FaultError(ValueError):
    """A fault that cannot be scheduled (unknown kind, or a kind that does not fit the path)."""


def check_schedulable(path: str, kind: str) -> None:
    if kind not in KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
    if path not in DATA_PATHS:
        raise FaultError(f"faults apply to data paths only, not {path!r}")
    is_csv = path == contract.Path.EXPORT_SIMPLE
    if kind in CSV_KINDS and not is_csv:
        raise FaultError(f"{kind} applies to the CSV export only")
    if kind in JSON_KINDS and is_csv:
        raise FaultError(f"{kind} applies to JSON endpoints only")


@dataclass
class Scheduled:
    path: str
    kind: str
    remaining: int


class FaultPlan:
    """Scheduled faults (FIFO per path) and the seeded random draw; thread-safe."""

    def __init__(self, seed: int, rate: float) -> None:
        self._seed = seed
        self._rate = rate
        self._lock = threading.Lock()
        self._scheduled: deque[Scheduled] = deque()
        self._draws = 0

    def schedule(self, path: str, kind: str, times: int = 1) -> None:
        check_schedulable(path, kind)
        if times < 1:
            raise FaultError("times must be at least 1")
        with self._lock:
            self._scheduled.append(Scheduled(path, kind, times))

    def clear(self) -> None:
        with self._lock:
            self._scheduled.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"path": s.path, "kind": s.kind, "times": s.remaining} for s in self._scheduled]

    def _take(self, path: str, kinds: tuple[str, ...]) -> str | None:
        with self._lock:
            for entry in self._scheduled:
                if entry.path == path and entry.kind in kinds:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._scheduled.remove(entry)
                    return entry.kind
        return None

    def take_entry(self, path: str) -> tuple[str | None, int]:
        """The fault to answer this data request with before the API sees it, and a draw for its details.

        Scheduled entry faults come first; otherwise the random draw (which may also pick
        ``truncate``, a response fault). Every data request advances the random sequence.
        """
        with self._lock:
            rank = self._draws
            self._draws += 1
        detail = stable_int(self._seed, "fault-detail", rank)
        scheduled = self._take(path, ENTRY_KINDS)
        if scheduled is not None:
            return scheduled, detail
        if self._rate > 0 and stable_fraction(self._seed, "fault", rank) < self._rate:
            return RANDOM_KINDS[stable_int(self._seed, "fault-kind", rank) % len(RANDOM_KINDS)], detail
        return None, detail

    def take_response(self, path: str) -> str | None:
        """A scheduled fault that alters this path's 200 answer, consumed only when there is one."""
        return self._take(path, RESPONSE_KINDS)


# --- pure body transforms ----------------------------------------------------------------------
def _is_conversation(value: dict[str, Any]) -> bool:
    return "conversation_id" in value and "queueddatetime" in value


def add_extra_fields(value: Any, depth: int = 0) -> Any:
    """Unknown fields everywhere: a scalar in every object, a nested object in top-level records."""
    if isinstance(value, list):
        return [add_extra_fields(item, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: add_extra_fields(item, depth + 1) for key, item in value.items()}
    out[EXTRA_FIELD] = 'campo nuevo, "sin documentar" ✨'
    if depth <= 1:
        out[EXTRA_OBJECT_FIELD] = {"nested": [1, {"deep": True}], "nota": "añadido por la API"}
    return out


def drop_optional_fields(value: Any) -> Any:
    """Optional fields left out: the nullable conversation fields and the nullable aggregate figures."""
    if isinstance(value, list):
        return [drop_optional_fields(item) for item in value]
    if not isinstance(value, dict):
        return value
    dropped = set(NULLABLE_AGGREGATE_FIELDS)
    if _is_conversation(value):
        dropped.update(contract.NULLABLE_CONVERSATION_FIELDS)
    return {key: drop_optional_fields(item) for key, item in value.items() if key not in dropped}


def null_objects(value: Any) -> Any:
    """Every nullable object of a conversation (agent, reason, feedback, closed_by) set to null."""
    if isinstance(value, list):
        return [null_objects(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: null_objects(item) for key, item in value.items()}
    if _is_conversation(value):
        for key in contract.NULLABLE_CONVERSATION_FIELDS:
            if isinstance(out.get(key), dict):
                out[key] = None
    return out


JSON_TRANSFORMS = {
    "extra_fields": add_extra_fields,
    "missing_optional": drop_optional_fields,
    "null_objects": null_objects,
}


def transform_json(kind: str, body: bytes) -> bytes:
    if kind == "truncated_json_200":
        return body[: len(body) // 2]
    transformed = JSON_TRANSFORMS[kind](json.loads(body))
    return json.dumps(transformed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def transform_csv(kind: str, lines: list[bytes]) -> list[bytes]:
    """CSV faults on the export's records (header first; each record without its CRLF)."""
    if kind == "csv_unknown_header":
        header = lines[0].split(b",")
        header[-1] = UNKNOWN_CSV_HEADER.encode("utf-8")
        return [b",".join(header), *lines[1:]]
    if kind == "csv_ragged_row":
        if len(lines) > 1:
            return [lines[0], lines[1] + b",sobrante", *lines[2:]]
        return [*lines, b"1,2"]
    raise ValueError(kind)


def gateway_body(kind: str, detail: int) -> tuple[bytes, str | None]:
    """A gateway's error page or an empty body (alternating by the draw)."""
    if detail % 2:
        return b"", None
    return GATEWAY_HTML.format(status=kind).encode("utf-8"), "text/html; charset=utf-8"
