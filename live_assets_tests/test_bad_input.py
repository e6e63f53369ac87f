"""Each bad input of issue 6 in a real Dagster run: a clear error, no retry storm, nothing lost.

The client-level behaviour of these cases is covered in ``test_client_http.py`` (wrong password: one
login; 403 naming the setting; every 400 code with the vendor's envelope; expired static token; CSV
faults as parse errors; extra fields in the records). Here the same inputs go through the raw assets:
what the step's failure says (the operator reads it in the UI), that Dagster does not retry what
another try cannot fix (``RAW_RETRY_POLICY`` is bypassed by ``dg.Failure(allow_retries=False)``), how
many requests and logins the API saw, and that the table still holds the previous rows.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import dagster as dg
import pytest

from live_assets import contract
from live_assets.client import Window
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE
from live_assets.simulator import DEMO_EMAIL
from live_assets.simulator.faults import EXTRA_FIELD, EXTRA_OBJECT_FIELD
from live_assets_tests.pipeline import PipelineEnv, range_tags

DAY = dt.date(2026, 3, 4)
P = contract.Path
RETRY_EVENTS = {"STEP_UP_FOR_RETRY", "STEP_RESTARTED"}


def run(pipeline: PipelineEnv, *tables: str, **options: object) -> dg.ExecuteInProcessResult:
    options.setdefault("partition_key", DAY.isoformat())
    return pipeline.materialize_raw(*tables, raise_on_error=False, **options)


def failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Each failed endpoint's error as the UI shows it: one line of the step's failure per endpoint."""
    texts = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error  # type: ignore[union-attr]
            texts += error.message.removeprefix("dagster._core.definitions.events.Failure: ").strip().splitlines()
    return texts


def retries(result: dg.ExecuteInProcessResult) -> int:
    return sum(1 for event in result.all_events if event.event_type_value in RETRY_EVENTS)


def requests(pipeline: PipelineEnv, path: str) -> int:
    return pipeline.sim.counters()["requests"].get(str(path), 0)


def table(pipeline: PipelineEnv, name: str, *, exclude: str = "") -> list[tuple]:
    excluded = f" EXCLUDE ({exclude})" if exclude else ""
    return pipeline.warehouse.query(f"SELECT *{excluded} FROM raw.{name} ORDER BY ALL")


# --- credentials, X-token, settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"), [("LIVE_API_PASSWORD", "not-the-password"), ("LIVE_API_EMAIL", "nobody@example.com")]
)
def test_wrong_credentials_fail_every_step_with_one_login_in_all(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = run(pipeline, "conversation_stats", "histogram", "sla_by_group")
    texts = failures(result)
    assert not result.success and len(texts) == 3 and retries(result) == 0
    for text in texts:
        assert "login" in text and "INVALID_CREDENTIALS" in text
        assert "check LIVE_API_EMAIL and LIVE_API_PASSWORD" in text
    assert "not tried again" in texts[1] and "not tried again" in texts[2]  # the refusal, remembered
    counters = pipeline.sim.counters()
    # One login in all: no retry of a refused login (client, Dagster), nor a new one per step.
    assert counters["logins"] == 1
    assert counters["requests_total"] == 1


def test_an_unreachable_api_fails_every_step_at_once_naming_url_and_setting(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong LIVE_API_BASE_URL (here a port nothing listens on): no six-attempt chain, no step retry,
    and each step's first line is the cause, naming the URL and the variable (issue 17)."""
    with socket.socket() as held:  # bound, never listening: connections to it are refused
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}"
        monkeypatch.setenv("LIVE_API_BASE_URL", url)
        started = time.monotonic()
        result = run(pipeline, "conversation_stats", "histogram", "sla_by_group")
        elapsed = time.monotonic() - started
    texts = failures(result)
    assert not result.success and len(texts) == 3 and retries(result) == 0
    for text in texts:
        first_line = text.splitlines()[0]
        assert "(login)" in first_line and str(Window.for_days(DAY, DAY)) in first_line
        assert f"cannot reach the API at {url}: connection refused; check LIVE_API_BASE_URL" in first_line
        assert "Traceback" not in first_line and "attempts" not in first_line
    assert elapsed < 30, f"{elapsed:.1f} s to report a refused connection"


def test_an_expired_static_token_says_how_to_enable_renewal(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = pipeline.sim.issue_token(DEMO_EMAIL, ttl=0.001)  # issued by "the vendor", already dead
    monkeypatch.delenv("LIVE_API_EMAIL")
    monkeypatch.delenv("LIVE_API_PASSWORD")
    monkeypatch.setenv("LIVE_API_TOKEN", token)
    result = run(pipeline, "conversation_stats")
    (text,) = failures(result)
    assert retries(result) == 0
    assert "conversation_stats" in text and "HTTP 401" in text and str(Window.for_days(DAY, DAY)) in text
    assert "set LIVE_API_EMAIL and LIVE_API_PASSWORD so the token can be renewed automatically" in text
    assert token not in text and token.removeprefix("Bearer ") not in text
    assert pipeline.sim.counters()["logins"] == 0 and requests(pipeline, P.CONVERSATION_STATS) == 1


def test_a_wrong_x_token_fails_fast_naming_endpoint_and_code(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVE_API_X_TOKEN", "no-such-x-token")
    result = run(pipeline, "conversation_stats")
    (text,) = failures(result)
    assert retries(result) == 0
    assert "conversation_stats" in text and "HTTP 403 FORBIDDEN" in text and "unknown_x_token" in text
    assert "LIVE_API_X_TOKEN" in text and "no-such-x-token" not in text
    assert requests(pipeline, P.CONVERSATION_STATS) == 1


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LIVE_API_X_TOKEN", "", "LIVE_API_X_TOKEN is not set"),
        ("LIVE_API_MAX_ATTEMPTS", "many", "LIVE_API_MAX_ATTEMPTS must be a whole number"),
    ],
)
def test_a_missing_or_malformed_setting_fails_once_naming_it(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = run(pipeline, "conversation_stats")
    (text,) = failures(result)
    assert message in text and retries(result) == 0
    assert pipeline.sim.counters()["requests_total"] == 0


def test_a_400_fails_fast_with_the_vendors_details(pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # The vendor shortens a range limit (or a planner bug): one request asks 15 days of hourly buckets.
    monkeypatch.setattr(
        "live_assets.raw.engine.plan_requests", lambda spec, first, last: [Window.for_days(first, last)]
    )
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 16)
    result = run(pipeline, "summary", partition_key=None, tags=range_tags(first, last))
    (text,) = failures(result)
    assert retries(result) == 0
    assert "summary" in text and "HTTP 400 INVALID_DATE_RANGE" in text and str(Window.for_days(first, last)) in text
    assert '"max_range": "7 days"' in text and '"provided_range": "15 days"' in text
    assert requests(pipeline, P.SUMMARY) == 1


# --- bodies that are not what was asked ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "kind", "what"),
    [
        ("conversations", P.CONVERSATION_LIST, "html_200", "content type 'text/html', expected 'application/json'"),
        ("conversation_stats", P.CONVERSATION_STATS, "truncated_json_200", "JSON body truncated"),
        ("export_conversations", P.EXPORT_SIMPLE, "csv_unknown_header", "unknown export header 'Columna misteriosa'"),
        ("export_conversations", P.EXPORT_SIMPLE, "csv_ragged_row", "ragged row: 21 fields where the header has 20"),
    ],
)
def test_a_bad_body_fails_the_step_saying_what_and_keeps_the_previous_rows(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch, name: str, path: str, kind: str, what: str
) -> None:
    assert run(pipeline, name).success
    before = table(pipeline, name)  # with _loaded_at: the very same rows, not a reload of them
    assert before

    monkeypatch.setenv("LIVE_API_MAX_ATTEMPTS", "2")
    pipeline.sim.reset_counters()
    pipeline.sim.schedule_fault(path, kind, times=10)
    result = run(pipeline, name)
    (text,) = failures(result)
    assert what in text and name in text and str(Window.for_days(DAY, DAY)) in text
    assert retries(result) == 0
    assert table(pipeline, name) == before
    # A body retried as malformed is asked twice (the attempts); one that parses as CSV but breaks the
    # table's shape is final at once.
    assert requests(pipeline, path) == (1 if kind.startswith("csv") else 2)
    landing = pipeline.root / "landing"
    assert not [p.name for p in landing.rglob("*") if p.name.startswith(".")], "a partial file was left behind"


# --- bodies with more, fewer or null fields: loaded --------------------------------------------------------------

TOLERATED = ("conversations", "conversation_stats", "sla_by_group", "agent_performance", "feedback")
NULLABLE = {
    "missing_optional": ("started_at", "first_response_time", "agent_id", "reason_id", "feedback_id", "closed_by_id"),
    "null_objects": ("agent_id", "agent_name", "reason_id", "feedback_id", "feedback_value", "closed_by_name"),
}


@pytest.mark.parametrize("kind", ["extra_fields", "missing_optional", "null_objects"])
def test_extra_missing_and_null_fields_are_loaded_and_extras_kept(pipeline: PipelineEnv, kind: str) -> None:
    assert run(pipeline, *TOLERATED).success
    # JSON columns hold their object as sent: an extra field inside it stays there (checked below).
    known = {
        name: "_loaded_at, _extra" + (", user_extra_information" if name == "conversations" else "")
        for name in TOLERATED
    }
    clean = {name: table(pipeline, name, exclude=known[name]) for name in TOLERATED}
    assert pipeline.warehouse.query("SELECT count(_extra) FROM raw.conversations") == [(0,)]  # nothing unknown yet
    for name in TOLERATED:
        pipeline.sim.schedule_fault(ENDPOINTS_BY_TABLE[name].path, kind)
    result = run(pipeline, *TOLERATED)
    assert result.success, failures(result)
    assert sum(pipeline.sim.counters()["faults_injected"].values()) == len(TOLERATED)
    loaded = {name: table(pipeline, name, exclude=known[name]) for name in TOLERATED}
    assert {name: len(rows) for name, rows in loaded.items()} == {name: len(rows) for name, rows in clean.items()}

    extras = {
        name: [
            json.loads(text) if text else None for (text,) in pipeline.warehouse.query(f"SELECT _extra FROM raw.{name}")
        ]
        for name in TOLERATED
    }
    if kind == "extra_fields":
        assert loaded == clean  # every known column as before ...
        for name, values in extras.items():  # ... and every unknown field kept, nested ones dotted
            for extra in values:
                assert extra[EXTRA_FIELD] == 'campo nuevo, "sin documentar" ✨', name
                if name != "feedback":  # the simulator adds the object to records of the body's first level only
                    assert extra[EXTRA_OBJECT_FIELD] == {"nested": [1, {"deep": True}], "nota": "añadido por la API"}
        conversation = extras["conversations"][0]
        [(inside,)] = pipeline.warehouse.query("SELECT user_extra_information FROM raw.conversations LIMIT 1")
        assert json.loads(inside)[EXTRA_FIELD] == conversation[EXTRA_FIELD]
        assert conversation["group.x_sim_extra"] == conversation["agent.x_sim_extra"] == conversation[EXTRA_FIELD]
        return
    assert all(value is None for values in extras.values() for value in values)
    conversations = pipeline.warehouse.query(
        f"SELECT {', '.join(NULLABLE[kind])} FROM raw.conversations WHERE _partition_day = $day", {"day": DAY}
    )
    assert conversations and all(value is None for row in conversations for value in row)
    # What the fault leaves alone is loaded as before.
    assert [row[0] for row in loaded["conversations"]] == [row[0] for row in clean["conversations"]]
    assert pipeline.warehouse.query("SELECT count(*) FROM raw.conversations WHERE queued_at IS NULL") == [(0,)]


def test_unknown_fields_of_messages_are_kept(pipeline: PipelineEnv) -> None:
    assert run(pipeline, "conversations").success
    conversations = len(pipeline.sim.conversations(DAY))
    pipeline.sim.schedule_fault(P.CONVERSATION_DETAIL, "extra_fields", times=conversations)
    result = run(pipeline, "conversation_messages")
    assert result.success, failures(result)
    rows = pipeline.warehouse.query("SELECT count(*), count(_extra) FROM raw.conversation_messages")
    assert rows[0][0] > conversations and rows[0][0] == rows[0][1]
    [(extra,)] = pipeline.warehouse.query("SELECT _extra FROM raw.conversation_messages LIMIT 1")
    assert json.loads(extra)[EXTRA_FIELD] == 'campo nuevo, "sin documentar" ✨'
