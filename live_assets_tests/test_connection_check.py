"""``python -m live_assets.check`` against the simulator over real HTTP: it passes with no warning, a
registry or API difference is a mismatch with its evidence (exit 2), and its report holds no secret
and no end-user data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from live_assets import contract
from live_assets.check import Status, recent_complete_day, run_check
from live_assets.raw import endpoints
from live_assets.raw.endpoints import Column
from live_assets.secret import Secret
from live_assets.settings import LiveSettings
from live_assets.simulator import FOREIGN_X_TOKEN, VIEWER_EMAIL, VIEWER_PASSWORD, SimulatorServer

PROJECT = Path(__file__).resolve().parents[1]
SECRET_PASSWORD = "Pw-check-3b1f-never-written"
SECRET_X_TOKEN = "xt-check-9c2e-never-written"


def settings_for(server: SimulatorServer, tmp_path: Path) -> LiveSettings:
    config = server.config
    return LiveSettings(
        base_url=server.base_url,
        email=config.email,
        password=Secret(config.password),
        x_token=Secret(config.x_token),
        token_cache_dir=tmp_path / "tokens",
    )


def test_the_check_passes_against_the_simulator_with_no_warning(sim: SimulatorServer, tmp_path: Path) -> None:
    started = time.monotonic()
    report = run_check(settings_for(sim, tmp_path), "default", days=30)
    assert time.monotonic() - started < 20
    assert report.exit_code == 0, report.render()
    names = [finding.name for finding in report.findings]
    assert names[:4] == ["login", "token renewal", "X-token", "permission"]
    assert {spec.table for spec in endpoints.ENDPOINTS} <= set(names)
    assert all(finding.status is Status.OK and not finding.evidence for finding in report.findings), report.render()
    renewal = report.findings[1]
    assert renewal.measured["renewable"] is True and "renewal will work" in renewal.summary
    hour = next(finding for finding in report.findings if finding.name == "probe: HOUR range limit")
    assert hour.measured["refusal"] == {
        "code": "INVALID_DATE_RANGE",
        "details": {"max_range": "7 days", "provided_range": "8 days", "frequency": "HOUR"},  # days touched
    }
    probe = next(finding for finding in report.findings if finding.name == "probe: one request in flight")
    assert probe.summary.startswith("not probed")  # without --probe-concurrency
    counters = sim.counters()
    assert counters["max_in_flight_per_token"] == 1 and counters["responses"].get("429", 0) == 0
    assert counters["requests"][str(contract.Path.CONVERSATION_DETAIL)] == 3  # three details, no more
    assert counters["logins"] == 1  # a real login, with a token cache of its own
    estimate = report.estimate
    assert estimate["days"] == 30 and estimate["requests"] > 30 and estimate["detail_requests"] > 1000
    by_endpoint = {row["endpoint"]: row["requests"] for row in estimate["per_endpoint"]}
    assert by_endpoint["conversation_stats"] == 30 and by_endpoint["conversations"] == 5  # 7-day windows


def check_command(
    server: SimulatorServer, tmp_path: Path, *args: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    """``python -m live_assets.check`` as a user runs it, with the simulator's account and ``settings`` over it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LIVE_", "DAGSTER_"))}
    env |= {
        "LIVE_API_BASE_URL": server.base_url,
        "LIVE_API_EMAIL": server.config.email,
        "LIVE_API_PASSWORD": server.config.password,
        "LIVE_API_X_TOKEN": server.config.x_token,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        **settings,
    }
    return subprocess.run(
        [sys.executable, "-m", "live_assets.check", *args],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def lines_of(output: str) -> dict[str, str]:
    """The report's lines by their first word(s): ``{"login": "OK ... logged in ...", ...}``."""
    names = ("login", "token renewal", "X-token", "permission", "start date")
    return {name: line[len(name) :].strip() for line in output.splitlines() for name in names if line.startswith(name)}


def test_the_command_line_reports_refusals_and_writes_no_secret_or_personal_data(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    # A latency lets the probe hold one request while it sends the second: the simulator refuses it.
    server = make_simulator(latency_ms=40, password=SECRET_PASSWORD, x_token=SECRET_X_TOKEN)
    report_file = tmp_path / "report.json"
    result = check_command(server, tmp_path, "--days", "7", "--json", str(report_file), "--probe-concurrency")
    assert result.returncode == 0, result.stdout + result.stderr
    # LIVE_START_DATE is unset: the check suggests a first week from the day it sampled.
    day = recent_complete_day("UTC")
    start = lines_of(result.stdout)["start date"]
    conversations = len(server.conversations(day))
    assert f"the API had {conversations} conversations on {day}" in start
    assert f"set LIVE_START_DATE={day - dt.timedelta(days=6)} for a first week" in start
    assert "a second request was refused: 429 TOO_MANY_REQUESTS" in result.stdout
    assert "this breaks the vendor's rule while the probe runs" in result.stdout
    assert server.counters()["max_in_flight_per_token"] == 2  # the probe's, and only with the flag
    assert "A 7-day backfill" in result.stdout and "Result: OK (exit 0)" in result.stdout
    written = report_file.read_text(encoding="utf-8")
    report = json.loads(written)
    assert report["exit_code"] == 0 and report["estimate"]["days"] == 7
    everything = written + result.stdout + result.stderr
    for secret in (SECRET_PASSWORD, SECRET_X_TOKEN, "Bearer", server.config.email):
        assert secret not in everything
    people = [conversation["user"] for conversation in server.conversations(day)]
    personal = {user[field] for user in people for field in ("first_name", "last_name", "phone") if user[field]}
    assert len(personal) > 100
    assert not [value for value in personal if value in everything]


def with_column(table: str, column: Column) -> tuple[endpoints.EndpointSpec, ...]:
    return tuple(
        dataclasses.replace(spec, columns=(*spec.columns, column)) if spec.table == table else spec
        for spec in endpoints.ENDPOINTS
    )


def test_a_field_the_registry_reads_and_the_api_never_sends_is_a_mismatch(
    sim: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = with_column("conversations", Column("agent_team", "VARCHAR", "$.agent.team"))
    for module in ("probes", "estimate"):
        monkeypatch.setattr(f"live_assets.check.{module}.ENDPOINTS", registry)
    report = run_check(settings_for(sim, tmp_path), "default", days=3)
    assert report.exit_code == 2
    (conversations,) = [finding for finding in report.findings if finding.name == "conversations"]
    assert conversations.status is Status.MISMATCH
    assert any("field 'agent.team' absent from all" in line for line in conversations.evidence)
    assert "MISMATCH" in report.render() and "Result: mismatches (exit 2)" in report.render()


@pytest.mark.parametrize(
    ("path", "fault", "endpoint", "status", "evidence"),
    [
        (contract.Path.EXPORT_SIMPLE, "csv_unknown_header", "export_conversations", Status.MISMATCH, "does not know"),
        (contract.Path.CONVERSATION_LIST, "extra_fields", "conversations", Status.WARNING, "unknown field"),
    ],
)
def test_an_api_that_differs_is_reported_with_its_evidence(
    sim: SimulatorServer, tmp_path: Path, path: str, fault: str, endpoint: str, status: Status, evidence: str
) -> None:
    sim.schedule_fault(path, fault)
    report = run_check(settings_for(sim, tmp_path), "default", days=3)
    (finding,) = [finding for finding in report.findings if finding.name == endpoint]
    assert finding.status is status and any(evidence in line for line in finding.evidence), finding.evidence
    assert report.exit_code == int(status)


def test_an_unreachable_api_is_one_clear_mismatch(tmp_path: Path) -> None:
    with socket.socket() as held:  # bound, never listening
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}"
        settings = LiveSettings(base_url=url, email="ops@example.com", password=Secret("p"), x_token=Secret("x"))
        started = time.monotonic()
        report = run_check(settings, "default", now=dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC))
    assert time.monotonic() - started < 5 and report.exit_code == 2
    (login,) = report.findings
    assert login.status is Status.MISMATCH and "check LIVE_API_BASE_URL" in login.evidence[0]
    assert report.day == "2026-03-04"


def test_every_bad_setting_is_one_line_and_exit_2_before_any_request(sim: SimulatorServer, tmp_path: Path) -> None:
    """Issue 23: a typo in the targets file, a first day in the future and hashing without a key, all at
    once, each naming its setting (and the file's line and key), and not one request sent."""
    targets = tmp_path / "targets.yaml"
    targets.write_text("defaults:\n  sla_pct_mn: 85\n", encoding="utf-8")
    started = time.monotonic()
    result = check_command(
        sim, tmp_path, LIVE_TARGETS_FILE=str(targets), LIVE_START_DATE="2999-01-01", LIVE_PII="hash",
        LIVE_ALERT_URLS="nosuchscheme://hook", LIVE_WAREHOUSE="ducklake",
    )  # fmt: skip
    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    errors = [line.removeprefix("error: ") for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith("LIVE_START_DATE is 2999-01-01, and no day from it has ended yet in UTC")
    assert errors[1] == (
        f"{targets}, line 2, column 3: defaults.sla_pct_mn: unknown key "
        "(expected one of sla_pct_min, abandonment_pct_max, wait_p90_s_max, min_offered)"
    )
    assert errors[2].startswith("LIVE_PII_KEY is not set, but LIVE_PII/LIVE_PII_AGENTS hash")
    assert errors[3].startswith("LIVE_DUCKLAKE_CATALOG is not set, but LIVE_WAREHOUSE=ducklake needs it")
    assert errors[4].startswith("LIVE_ALERT_URLS: URL #1 (nosuchscheme://) is not an Apprise URL")
    assert len(errors) == 5 and "5 setting(s) to fix before any request is sent (exit 2)" in result.stderr
    counters = sim.counters()
    assert counters["requests_total"] == 0 and counters["logins"] == 0


@pytest.mark.parametrize(
    ("settings", "failed", "evidence"),
    [
        ({"LIVE_API_X_TOKEN": "not-the-bots-x-token"}, "X-token", "unknown X-token"),
        ({"LIVE_API_X_TOKEN": FOREIGN_X_TOKEN}, "X-token", "not linked to the user"),
        ({"LIVE_API_EMAIL": VIEWER_EMAIL, "LIVE_API_PASSWORD": VIEWER_PASSWORD}, "permission", "Reports permission"),
        ({"LIVE_API_PASSWORD": "not-the-password"}, "login", "INVALID_CREDENTIALS"),
    ],
)
def test_the_line_that_fails_is_the_one_at_fault(
    sim: SimulatorServer, tmp_path: Path, settings: dict[str, str], failed: str, evidence: str
) -> None:
    """A wrong X-token is the X-token's line, after a login that worked (issue 23: it was "login: cannot log in")."""
    result = check_command(sim, tmp_path, LIVE_START_DATE="2026-01-01", **settings)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = lines_of(result.stdout)
    order = ["login", "token renewal", "X-token", "permission"]
    for name in order[: order.index(failed)]:
        assert lines[name].startswith("OK"), result.stdout
    assert lines[failed].startswith("MISMATCH") and evidence in result.stdout, result.stdout
    assert [name for name in lines if name in order][-1] == failed  # nothing is said of what was not reached
    for secret in settings.values():
        assert secret not in result.stdout + result.stderr
    assert sim.counters()["logins"] == 1


def test_a_token_refused_right_after_its_login_is_the_renewals_line(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """The login works, the API refuses the token it issued (here: dead at once), and a second login's too."""
    server = make_simulator(token_ttl=0.001)
    result = check_command(server, tmp_path, LIVE_START_DATE="2026-01-01")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = lines_of(result.stdout)
    assert lines["login"].startswith("OK") and list(lines) == ["login", "token renewal"], result.stdout
    assert lines["token renewal"].startswith("MISMATCH") and "its token is refused" in lines["token renewal"]
    assert "the API refused the token its own login had just issued" in result.stdout
    assert server.counters()["logins"] == 2  # the first, and one renewal: no more


def test_a_refused_static_token_is_the_logins_line(sim: SimulatorServer, tmp_path: Path) -> None:
    token = sim.issue_token(sim.config.email, ttl=0.001)  # issued by "the vendor", already dead
    result = check_command(
        sim, tmp_path, LIVE_START_DATE="2026-01-01", LIVE_API_EMAIL="", LIVE_API_PASSWORD="", LIVE_API_TOKEN=token
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = lines_of(result.stdout)
    assert list(lines) == ["login"] and lines["login"].startswith("MISMATCH"), result.stdout
    assert "the token from LIVE_API_TOKEN was refused" in result.stdout and token not in result.stdout
