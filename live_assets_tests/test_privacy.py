"""Personal data (issue 17): ``LIVE_PII`` hashes or drops every personal column before anything is written.

Real runs against the simulator under ``keep``, ``hash`` and ``drop``: the raw daily assets (details and
CSV export included), the lists, the daily KPIs (published as Parquet) and a daily report, each with a
Dagster instance of its own on disk. Every byte each run wrote is then searched for the simulator's
customers' phones and last names and for what they typed; the ``keep`` run must contain them (so the
search can fail), the other two none. Row counts and KPI rows equal the ``keep`` run's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from live_assets.client.landing import compressed_reader, is_compressed
from live_assets.monitor.targets import Targets
from live_assets.privacy.classes import PersonalData, Treatment
from live_assets.privacy.masking import Masking, keyed_hash
from live_assets.privacy.settings import PrivacySettings
from live_assets.raw.endpoints import ENDPOINTS, ENDPOINTS_BY_TABLE
from live_assets.report.build import write_report
from live_assets.report.period import Period
from live_assets.settings import SettingsError
from live_assets.simulator import world
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS, raw_keys
from live_assets_tests.pipeline import PipelineEnv, simulator_env

DAY = dt.date(2025, 3, 5)
KEY = "a-test-key-that-is-long-enough"
DAILY_TABLES = ("conversations", "conversation_messages", "export_conversations", "feedback", "sla_by_group",
                "agent_performance", "conversation_stats", "histogram", "summary")  # fmt: skip
LISTS = ("groups", "agents")


# --- the settings ---------------------------------------------------------------------------------------------------


def test_the_default_keeps_everything_and_rewrites_no_response() -> None:
    settings = PrivacySettings.from_env({})
    assert settings.keeps_everything
    assert all(Masking(settings).for_endpoint(spec) is None for spec in ENDPOINTS)


def test_a_treatment_for_every_class_then_refinements() -> None:
    settings = PrivacySettings.from_env({"LIVE_PII": "hash, message_text=drop", "LIVE_PII_KEY": KEY})
    assert settings.treatment(PersonalData.PHONE) is Treatment.HASH
    assert settings.treatment(PersonalData.MESSAGE_TEXT) is Treatment.DROP
    assert settings.treatment(PersonalData.AGENT_NAME) is Treatment.KEEP  # staff: LIVE_PII_AGENTS
    agents = PrivacySettings.from_env({"LIVE_PII_AGENTS": "drop,agent_name=keep"})
    assert agents.treatment(PersonalData.AGENT_EMAIL) is Treatment.DROP
    assert agents.treatment(PersonalData.AGENT_NAME) is Treatment.KEEP
    assert agents.treatment(PersonalData.USER_NAME) is Treatment.KEEP


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LIVE_PII": "mask"}, "LIVE_PII: treatment 'mask' is not one of keep, hash, drop"),
        ({"LIVE_PII": "drop,phones=keep"}, "LIVE_PII: 'phones' is not a class of personal data here"),
        ({"LIVE_PII": "drop,agent_name=keep"}, "LIVE_PII: 'agent_name' is not a class"),
        ({"LIVE_PII": "keep,drop"}, "LIVE_PII: 'drop' must be class=treatment"),
        ({"LIVE_PII": "hash"}, "LIVE_PII_KEY is not set, but LIVE_PII/LIVE_PII_AGENTS hash"),
        ({"LIVE_PII": "keep,phone=hash", "LIVE_PII_KEY": "short"}, "LIVE_PII_KEY must be at least 16 characters"),
    ],
)
def test_a_bad_setting_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match="^" + message.replace("(", r"\(")) as raised:
        PrivacySettings.from_env(env)
    assert "short" not in str(raised.value) or "LIVE_PII_KEY" not in env


def test_the_key_never_shows() -> None:
    settings = PrivacySettings.from_env({"LIVE_PII": "hash", "LIVE_PII_KEY": KEY})
    assert KEY not in repr(settings) and KEY not in str(settings)


def test_the_export_keeps_its_headers_quoting_and_bom() -> None:
    settings = PrivacySettings.from_env({"LIVE_PII": "drop,user_name=hash", "LIVE_PII_KEY": KEY})
    masker = Masking(settings).for_endpoint(ENDPOINTS_BY_TABLE["export_conversations"])
    assert masker is not None
    body = '\ufeffID,Usuario,Comentario,Ciudad\r\n7,"Ana, la de Lugo","Bien, gracias",Madrid\r\n8,,,\r\n'.encode()
    with pytest.raises(Exception, match="unknown export header"):  # ID/Usuario are not the vendor's headers
        masker.body(body, "test")
    body = '\ufeffNombre de usuario,Comentario,Ciudad\r\n"Ana, la de Lugo","Bien, gracias",Madrid\r\n,,\r\n'.encode()
    masked = masker.body(body, "test").decode("utf-8")
    name = keyed_hash(KEY.encode(), "Ana, la de Lugo")
    assert masked == f"\ufeffNombre de usuario,Comentario,Ciudad\r\n{name},,\r\n,,\r\n"


# --- real runs --------------------------------------------------------------------------------------------------------


def run_everything(sim: Any, root: Path, **env: str) -> Path:
    """Lists, then the day's raw assets and daily KPIs, then the day's report, under ``env``; the DuckDB file."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in simulator_env(sim.base_url, root, **env).items():
            patch.setenv(name, value)
        pipeline = PipelineEnv(sim, root)
        daily_kpis = [asset for asset in KPI_ASSETS if asset.key.path[-1].endswith("_daily")]
        (root / "dagster").mkdir()
        with dg.instance_for_test(temp_dir=str(root / "dagster")) as instance:
            pipeline.materialize(RAW_ASSETS, selection=raw_keys(*LISTS), instance=instance)
            pipeline.materialize(
                [*RAW_ASSETS, *daily_kpis],
                selection=[*raw_keys(*DAILY_TABLES), *(asset.key for asset in daily_kpis)],
                partition_key=DAY.isoformat(),
                instance=instance,
            )
        write_report(
            pipeline.warehouse, Period(DAY, DAY), "default", root / "report.html",
            targets=Targets(), timezone="UTC", lang="en",
        )  # fmt: skip
    return root / "live.duckdb"


@pytest.fixture(scope="module")
def runs(sim_session: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        "keep": run_everything(sim_session, tmp_path_factory.mktemp("keep")),
        "hash": run_everything(sim_session, tmp_path_factory.mktemp("hash"), LIVE_PII="hash", LIVE_PII_KEY=KEY),
        "drop": run_everything(sim_session, tmp_path_factory.mktemp("drop"), LIVE_PII="drop"),
    }


def written_bytes(root: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file a run wrote under ``root``, landing files decompressed."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if is_compressed(path):
            with compressed_reader(path) as stream:
                yield path, stream.read()
        else:
            yield path, path.read_bytes()


def stored_text(database: Path) -> Iterator[tuple[str, str]]:
    """Every text value of every table of the DuckDB file and of the published Parquet files, by where it is."""
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = connection.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE data_type IN ('VARCHAR', 'JSON') AND NOT internal"
        ).fetchall()
        for schema, table, column in columns:
            values = connection.execute(f'SELECT DISTINCT "{column}"::VARCHAR FROM "{schema}"."{table}"').fetchall()
            for (value,) in values:
                if value is not None:
                    yield f"{schema}.{table}.{column}", value
        published = database.parent / "published"
        for path in published.rglob("*.parquet"):
            relation = connection.sql(f"SELECT * FROM read_parquet('{path}')")
            for row in relation.fetchall():
                for value in row:
                    if isinstance(value, str):
                        yield str(path), value


def needles(keep_database: Path) -> set[str]:
    """What must not be written: the customers' phones (as the simulator served them), their last names
    that no agent shares, and every query and survey comment the simulator's customers type."""
    with duckdb.connect(str(keep_database), read_only=True) as connection:
        rows = connection.execute("SELECT DISTINCT user_phone FROM raw.conversations").fetchall()
    phones = {phone for (phone,) in rows}
    staff = " ".join(world.AGENT_NAMES)
    names = {name for name in world.LAST_NAMES if len(name) >= 5 and name not in staff}
    # Texts JSON keeps as they are (a line break is written escaped, so the bytes would not match).
    typed = {text for text in (*world.USER_QUERIES, *world.COMMENTS) if len(text) >= 12 and text.isprintable()}
    return phones | names | typed


def found(root: Path, wanted: set[str]) -> dict[str, list[str]]:
    """Which of ``wanted`` appear where: in the bytes of each file, and in the stored text values."""
    where: dict[str, list[str]] = {}
    encoded = {needle: needle.encode("utf-8") for needle in wanted}
    for path, data in written_bytes(root):
        hits = [needle for needle, raw in encoded.items() if raw in data]
        if hits:
            where[str(path.relative_to(root))] = hits
    for place, value in stored_text(root / "live.duckdb"):
        hits = [needle for needle in wanted if needle in value]
        if hits:
            where.setdefault(place, []).extend(hits)
    return where


def test_no_customer_data_is_written_under_hash_or_drop(runs: dict[str, Path]) -> None:
    wanted = needles(runs["keep"])
    assert len(wanted) > 50
    kept = found(runs["keep"].parent, wanted)
    # The control: the same search finds them all in the keep run, in the landing files and the tables.
    assert set().union(*kept.values()) == wanted
    assert any(place.startswith("landing/") for place in kept) and any(place.startswith("raw.") for place in kept)
    for treatment in ("hash", "drop"):
        assert found(runs[treatment].parent, wanted) == {}, treatment


def table_counts(database: Path) -> dict[str, int]:
    warehouse = Warehouse(database)
    tables = [*DAILY_TABLES, *LISTS]
    return {table: warehouse.query(f"SELECT count(*) FROM raw.{table}")[0][0] for table in tables}


def kpi_rows(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'kpi'").fetchall()
        rows = {}
        for (table,) in tables:
            relation = connection.sql(f"SELECT * FROM kpi.{table}")
            typed = zip(relation.columns, relation.types, strict=True)
            kept = [name for name, kind in typed if "TIME ZONE" not in str(kind)]
            rows[table] = sorted(relation.select(*kept).fetchall(), key=repr)
    return rows


def test_rows_and_kpis_are_those_of_keep(runs: dict[str, Path]) -> None:
    counts, kpis = table_counts(runs["keep"]), kpi_rows(runs["keep"])
    assert counts["conversations"] > 100 and counts["conversation_messages"] > counts["conversations"]
    assert {"sla_daily", "agent_daily"} <= set(kpis) and all(kpis.values())
    for treatment in ("hash", "drop"):
        assert table_counts(runs[treatment]) == counts, treatment
        assert kpi_rows(runs[treatment]) == kpis, treatment


def test_the_same_person_hashes_to_the_same_value_across_tables(runs: dict[str, Path]) -> None:
    hashed = duckdb.connect(str(runs["hash"]), read_only=True)
    hashed.execute(f"ATTACH '{runs['keep']}' AS keep (READ_ONLY)")
    key = KEY.encode()
    pairs = hashed.execute(
        "SELECT h.user_phone, k.user_phone, h.location_city, k.location_city, h.agent_name, k.agent_name "
        "FROM raw.conversations AS h JOIN keep.raw.conversations AS k USING (conversation_id)"
    ).fetchall()
    assert pairs and all(
        h_phone == keyed_hash(key, k_phone) and h_city == keyed_hash(key, k_city) and h_agent == k_agent
        for h_phone, k_phone, h_city, k_city, h_agent, k_agent in pairs
    )
    # A returning customer keeps one hash: as many distinct hashed phones as phones.
    (distinct_hashed,), (distinct_kept,) = (
        hashed.execute("SELECT count(DISTINCT user_phone) FROM raw.conversations").fetchone(),
        hashed.execute("SELECT count(DISTINCT user_phone) FROM keep.raw.conversations").fetchone(),
    )
    assert distinct_hashed == distinct_kept < len(pairs)
    # A survey comment and a city join across the JSON endpoints and the CSV export.
    (mismatched, joined) = hashed.execute(
        "SELECT count(*) FILTER (WHERE f.comment IS DISTINCT FROM e.comment OR c.location_city <> e.city), count(*) "
        "FROM raw.feedback AS f JOIN raw.export_conversations AS e USING (conversation_id) "
        "JOIN raw.conversations AS c USING (conversation_id) WHERE f.comment IS NOT NULL"
    ).fetchone()
    assert joined > 10 and mismatched == 0
    dropped = duckdb.connect(str(runs["drop"]), read_only=True)
    assert dropped.execute(
        "SELECT count(user_phone) + count(user_first_name) + count(location_ip) FROM raw.conversations"
    ).fetchone() == (0,)
    assert dropped.execute("SELECT count(text), count(*) FROM raw.conversation_messages").fetchone()[0] == 0
    assert dropped.execute("SELECT count(*) FROM raw.conversations WHERE agent_name IS NOT NULL").fetchone()[0] > 0


def test_the_key_is_in_nothing_written(runs: dict[str, Path]) -> None:
    assert not [path for path, data in written_bytes(runs["hash"].parent) if KEY.encode() in data]
