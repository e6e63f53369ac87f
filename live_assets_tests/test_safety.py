"""Secrets and safety (issue 6): nothing leaks, TLS stays on, values never become SQL.

- A backfill with unique, known secrets (password, X-token, every token the API issued, a vendor's
  static token), through faults, token renewals and failing runs (wrong password, wrong X-token, an
  expired static token), on a real Dagster instance (temporary ``DAGSTER_HOME`` with the project's
  ``dagster.yaml``): then every byte Dagster stored (run and event storage, compute logs), the run
  records and events read back through the instance, the landing files, the DuckDB file (its bytes
  and the text of every column), the token cache directory, the command's output and every exception
  text are searched. Only the 0600 token cache may hold a token; passwords and X-tokens appear nowhere.
- TLS: there is no setting or argument to turn verification off, and a server whose certificate does
  not verify never receives the login (the client-level secret tests are in ``test_client_http.py``).
- Hostile values (quotes, semicolons, SQL) in group names, comments, the bot name and the file paths
  go through raw tables and KPIs intact: every value is bound as a parameter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import inspect
import os
import shutil
import ssl
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._serdes import serialize_value

from live_assets import contract
from live_assets.client import LANDING_SUFFIX, LiveClient, LiveTlsError, compressed_reader
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.secret import Secret
from live_assets.settings import LiveSettings, load_settings
from live_assets.simulator import SimulatorServer
from live_assets.simulator import world as simulator_world
from live_assets.warehouse import Warehouse
from live_assets_tests.endpoint_calls import fetch
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS, raw_keys
from live_assets_tests.pipeline import range_tags, simulator_env

PROJECT = Path(__file__).resolve().parents[1]
FIRST, LAST = dt.date(2026, 3, 2), dt.date(2026, 3, 4)
P = contract.Path
BACKFILLED = ("conversations", "conversation_stats", "export_conversations", "conversation_messages")


def raw(*tables: str) -> list[dg.AssetKey]:
    return raw_keys(*tables)


def texts_under(root: Path, *, decompress: bool = False) -> dict[Path, bytes]:
    """Every file's bytes; landing files (``decompress``) as the JSON/CSV they hold, not their zstd frames."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            if decompress and path.name.endswith(LANDING_SUFFIX):
                with compressed_reader(path) as stream:
                    files[path] = stream.read()
            else:
                files[path] = path.read_bytes()
    return files


def duckdb_texts(path: Path) -> list[str]:
    """The text of every VARCHAR and JSON value of every table."""
    warehouse = Warehouse(path)
    columns = warehouse.query(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema IN ('raw', 'kpi')"
    )
    assert len(columns) > 40
    texts = []
    for schema, table, column in columns:
        rows = warehouse.query(f'SELECT DISTINCT "{column}"::VARCHAR FROM {schema}.{table}')
        texts += [value for (value,) in rows if value is not None]
    return texts


def failure_texts(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        event.event_specific_data.error.to_string()  # type: ignore[union-attr]
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
    ]


def test_no_secret_reaches_dagster_landing_duckdb_or_errors(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password, x_token = f"pw-{uuid.uuid4().hex}", f"xt-{uuid.uuid4().hex}"
    sim = make_simulator(
        email="ops@example.com", password=password, x_token=x_token, conversations_per_day=20, token_ttl=2
    )
    home, landing, cache = tmp_path / "dagster-home", tmp_path / "landing", tmp_path / "token-cache"
    home.mkdir()
    shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    env = simulator_env(
        sim.base_url, tmp_path, LIVE_API_EMAIL="ops@example.com", LIVE_API_PASSWORD=password, LIVE_API_X_TOKEN=x_token
    )
    for name, value in {**env, "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)

    # A backfill through faults and 2-second tokens, by the command line: a real instance, a process per step.
    faults = [(P.CONVERSATION_LIST, "html_200"), (P.CONVERSATION_STATS, "502"), (P.CONVERSATION_DETAIL, "drop"),
              (P.EXPORT_SIMPLE, "truncate"), (P.CONVERSATION_STATS, "truncated_json_200")]  # fmt: skip
    for path, kind in faults:
        sim.schedule_fault(path, kind)
    # Every raw asset of the range in one command, the details too (a range like the rest).
    select = ",".join(f"raw/{table}" for table in BACKFILLED)
    command = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m", "live_assets.definitions",
         "--select", select, "--partition-range", f"{FIRST}...{LAST}"],
        env=dict(os.environ), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert command.returncode == 0, command.stdout[-3000:] + command.stderr[-3000:]
    assert sim.counters()["faults_injected"] and sim.counters()["logins"] >= 1

    # Failing runs on the same instance: a wrong password (the real one as its prefix), a wrong X-token
    # (idem), a vendor's static token that expired.
    static_token = sim.issue_token("ops@example.com", ttl=0.001)
    errors: list[str] = []
    failing = [
        {"LIVE_API_PASSWORD": password + "-wrong"},
        {"LIVE_API_X_TOKEN": x_token + "-wrong"},
        {"LIVE_API_EMAIL": "", "LIVE_API_PASSWORD": "", "LIVE_API_TOKEN": static_token},
    ]
    resources = {
        "live_api": LiveApiResource(),
        "warehouse": WarehouseResource(duckdb_path=env["LIVE_DUCKDB_PATH"], landing_dir=str(landing)),
    }
    with dg.DagsterInstance.get() as instance:
        for overrides in failing:
            with monkeypatch.context() as patched:
                for name, value in overrides.items():
                    patched.setenv(name, value)
                result = dg.materialize(
                    RAW_ASSETS, selection=raw("conversation_stats"), partition_key=str(LAST), resources=resources,
                    instance=instance, raise_on_error=False,
                )  # fmt: skip
            assert not result.success
            errors += failure_texts(result)
        assert len(errors) == 3
        runs = instance.get_runs()
        assert len(runs) == 4  # the command-line run of the range, three failing ones
        records = [serialize_value(run) for run in runs]
        records += [serialize_value(entry) for run in runs for entry in instance.all_logs(run.run_id)]
    tokens = {token for token in sim.app.auth._tokens} | {static_token}
    assert len(tokens) >= 3  # logins renewed along the run, and the vendor's token

    stored = texts_under(home)
    compute_logs = [path for path in stored if "compute_logs" in path.parts and stored[path]]
    assert compute_logs, "no compute log was captured"
    landed = texts_under(landing, decompress=True)
    assert len(landed) >= len(BACKFILLED)
    assert all(data.lstrip()[:1] in (b"[", b"{") for p, data in landed.items() if ".json" in p.name), "not JSON"
    duckdb_file = Path(env["LIVE_DUCKDB_PATH"])
    database = {path: path.read_bytes() for path in duckdb_file.parent.glob(duckdb_file.name + "*") if path.is_file()}
    cached = texts_under(cache)
    assert [p.name for p in cached if p.suffix == ".json"] and all(
        stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cached
    )
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700

    everywhere: dict[str, bytes] = {
        **{f"dagster: {p.relative_to(home)}": data for p, data in stored.items()},
        **{f"landing: {p.relative_to(landing)}": data for p, data in landed.items()},
        **{f"duckdb: {p.name}": data for p, data in database.items()},
        **{f"token cache: {p.name}": data for p, data in cached.items() if p.suffix != ".json"},
        "duckdb columns": "\n".join(duckdb_texts(duckdb_file)).encode(),
        "run records and events": "\n".join(records).encode(),
        "command output": (command.stdout + command.stderr).encode(),
        "step failures": "\n".join(errors).encode(),
    }
    secrets = {password, x_token, *tokens, *(token.removeprefix("Bearer ") for token in tokens)}
    leaks = [(where, secret[:6]) for secret in secrets for where, data in everywhere.items() if secret.encode() in data]
    assert leaks == []
    cache_files = b"\n".join(data for path, data in cached.items() if path.suffix == ".json")
    # Positive controls: the search does find what is there (the cached token, the e-mail in the logs).
    assert any(token.encode() in cache_files for token in tokens)
    assert any(b"ops@example.com" in data for where, data in everywhere.items() if where.startswith("dagster"))
    assert password.encode() not in cache_files and x_token.encode() not in cache_files
    # The errors did say what was wrong, without the secrets.
    assert "INVALID_CREDENTIALS" in errors[0] and "HTTP 403 FORBIDDEN" in errors[1] and "LIVE_API_TOKEN" in errors[2]


# --- TLS --------------------------------------------------------------------------------------------------------


def test_tls_verification_has_no_setting_and_no_argument() -> None:
    words = ("verify", "tls", "ssl", "insecure", "cert")
    assert not [f.name for f in dataclasses.fields(LiveSettings) if any(w in f.name.lower() for w in words)]
    for function in (LiveClient.__init__, LiveClient.from_settings):
        assert not [name for name in inspect.signature(function).parameters if any(w in name.lower() for w in words)]
    settings = load_settings(
        {"LIVE_API_X_TOKEN": "x", "LIVE_API_TOKEN": "t", "LIVE_API_VERIFY": "false", "LIVE_API_INSECURE": "1",
         "LIVE_TLS_VERIFY": "0", "PYTHONHTTPSVERIFY": "0"},
        dotenv=False,
    )  # fmt: skip
    assert settings == load_settings({"LIVE_API_X_TOKEN": "x", "LIVE_API_TOKEN": "t"}, dotenv=False)
    with pytest.raises(TypeError):
        LiveClient.from_settings(settings, verify=False)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - one server per test, reset there

    def do_POST(self) -> None:
        self.requests.append(self.path)
        self.send_response(500)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def untrusted_https(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate: correct name, untrusted issuer."""
    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(certificate),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(untrusted_https: str, tmp_path: Path) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    sleeps: list[float] = []
    client = LiveClient(
        untrusted_https, Secret("x"), credentials=("ops@example.com", Secret(password)), token_cache_dir=tmp_path,
        max_attempts=3, sleep=sleeps.append,
    )  # fmt: skip
    with client, pytest.raises(LiveTlsError) as caught:
        fetch(client, "agents")
    assert _Recorder.requests == []  # the handshake failed: no request, no password, ever reached the server
    text = str(caught.value)
    assert "agents (login)" in text and "TLS certificate of the API not trusted (self-signed certificate)" in text
    assert "verification is always on" in text and password not in text
    assert not caught.value.is_retryable and sleeps == []  # a certificate does not fix itself: no retries
    assert caught.value.__context__ is None and caught.value.__cause__ is None


# --- hostile values -----------------------------------------------------------------------------------------------

HOSTILE_GROUPS = tuple(
    (f"G{n}'); DROP TABLE raw.conversations; --", f"\"; DELETE FROM kpi.sla_daily WHERE '1'='1 $bot ? :x {n}")
    for n in range(6)
)
HOSTILE_COMMENTS = (
    "'||(SELECT 42)||' ; DROP SCHEMA raw CASCADE; --",
    "Robert'); DROP TABLE raw.feedback;--\n$1 ? :name \\' \"",
    "'; UPDATE raw.conversations SET status = 'lost'; --",
)
HOSTILE_BOT = "o'brien\"; DROP TABLE raw.agents; --"


def test_hostile_values_from_the_api_and_settings_go_through_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_simulator: Callable[..., SimulatorServer]
) -> None:
    monkeypatch.setattr(simulator_world, "GROUP_POOL", HOSTILE_GROUPS)
    monkeypatch.setattr(simulator_world, "COMMENTS", HOSTILE_COMMENTS)
    sim = make_simulator(conversations_per_day=60)
    root = tmp_path / 'it\'s "here"; DROP TABLE x; --'
    for name, value in simulator_env(sim.base_url, root).items():
        monkeypatch.setenv(name, value)
    resources = {
        "live_api": LiveApiResource(bot=HOSTILE_BOT),
        "warehouse": WarehouseResource(duckdb_path=str(root / "live.duckdb"), landing_dir=str(root / "landing")),
    }
    tables = ("conversations", "export_conversations", "feedback", "sla_by_group")
    kpi = [dg.AssetKey(["kpi", "sla_daily"])]
    dg.materialize(RAW_ASSETS, selection=raw("groups"), resources=resources)
    dg.materialize(
        [*RAW_ASSETS, *KPI_ASSETS], selection=[*raw(*tables), *kpi], tags=range_tags(FIRST, LAST), resources=resources
    )

    warehouse = Warehouse(root / "live.duckdb")
    names = {name for name, _ in HOSTILE_GROUPS}
    descriptions = {description for _, description in HOSTILE_GROUPS}

    def distinct(sql: str) -> set[object]:
        return {value for (value,) in warehouse.query(sql)}

    assert distinct("SELECT name FROM raw.groups") <= names and len(distinct("SELECT name FROM raw.groups")) == 4
    assert distinct("SELECT description FROM raw.groups") <= descriptions
    for sql in ("SELECT group_name FROM raw.conversations", "SELECT group_name FROM raw.export_conversations",
                "SELECT group_name FROM raw.sla_by_group", "SELECT group_name FROM kpi.sla_daily"):  # fmt: skip
        assert distinct(sql) == distinct("SELECT name FROM raw.groups"), sql
    comments = distinct("SELECT comment FROM raw.feedback WHERE comment IS NOT NULL")
    assert comments == set(HOSTILE_COMMENTS)
    assert distinct("SELECT comment FROM raw.export_conversations WHERE comment IS NOT NULL") == comments
    for table in (*tables, "groups"):
        assert distinct(f"SELECT _bot FROM raw.{table}") == {HOSTILE_BOT}, table
    assert distinct("SELECT _bot FROM kpi.sla_daily") == {HOSTILE_BOT}
    assert distinct("SELECT DISTINCT status FROM raw.conversations") == {"closed", "lost"}
    assert warehouse.query("SELECT count(*) FROM raw.conversations")[0][0] == sum(
        len(sim.conversations(FIRST + dt.timedelta(days=n))) for n in range(3)
    )
