"""Settings, read once from environment variables (and a ``.env`` file, as ``dagster dev`` does).

Every setting is named after its environment variable so that an error message can point at the
exact variable to fix. Nothing here opens a connection: loading settings is cheap and safe at
definition time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from live_assets import contract
from live_assets.secret import Secret

DEFAULT_START_DATE = dt.date(2025, 1, 1)
DEFAULT_DUCKDB_PATH = Path("data/live.duckdb")
DEFAULT_LANDING_DIR = Path("data/landing")
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_TIMEOUT_SECONDS = 120.0
# First retry waits up to this long (full jitter), doubling per failure up to the client's cap. Tests
# and the fault suite shorten it; in production half a second spaces retries without slowing a backfill.
DEFAULT_BACKOFF_BASE_SECONDS = 0.5
DEFAULT_INTRADAY_MINUTES = 15
DEFAULT_LOOKBACK_DAYS = 2
# The token lock (live_assets/client/token_lock.py): which kind, and where the PostgreSQL one lives.
TOKEN_LOCK_VARIABLE = "LIVE_TOKEN_LOCK"
TOKEN_LOCK_POSTGRES_VARIABLE = "LIVE_TOKEN_LOCK_POSTGRES"
TOKEN_LOCK_PASSWORD_VARIABLE = "LIVE_TOKEN_LOCK_PASSWORD"
TOKEN_LOCK_FILE = "file"
TOKEN_LOCK_POSTGRES = "postgres"
TOKEN_LOCKS = (TOKEN_LOCK_FILE, TOKEN_LOCK_POSTGRES)

# A password inside a libpq connection string (keyword form or URI): such strings are repeated in errors.
_KEYWORD_PASSWORD = re.compile(r"(^|\s)password\s*=", re.IGNORECASE)
_URI_PASSWORD = re.compile(r"^postgres(ql)?://[^/@]*:[^/@]*@", re.IGNORECASE)


def holds_password(connection_string: str) -> bool:
    """Whether a libpq connection string carries a password (``password=...`` or ``user:pw@`` in a URI)."""
    return bool(_KEYWORD_PASSWORD.search(connection_string) or _URI_PASSWORD.match(connection_string))


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


class SettingsErrors(SettingsError):
    """Several settings are wrong at once: one line per problem, each naming its setting."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def problems_of(error: SettingsError) -> list[str]:
    """The lines of ``error``: each of a :class:`SettingsErrors`, or its one message."""
    return list(error.problems) if isinstance(error, SettingsErrors) else [str(error)]


# Where ``make demo`` keeps the first day it loaded, in its DAGSTER_HOME: the code location on that instance
# starts its partitions there when LIVE_START_DATE is unset, so the UI shows the demo's days, not 2025's.
KEPT_START_DATE_FILE = "live_start_date"
START_DATE_ENV = "LIVE_START_DATE"
TIMEZONE_ENV = "LIVE_TIMEZONE"


def kept_start_date(home: Path) -> dt.date | None:
    """The first day kept in ``home`` (a Dagster instance's folder) by ``keep_start_date``, if any."""
    path = home / KEPT_START_DATE_FILE
    if not path.is_file():
        return None
    return _parse_date(
        f"{path} (the first day kept with the instance; delete it or set {START_DATE_ENV})",
        path.read_text(encoding="utf-8").strip(),
    )


def keep_start_date(home: Path, day: dt.date) -> dt.date:
    """Keep ``day`` as the instance's first day, or the one kept already if earlier; returns the one kept."""
    kept = kept_start_date(home)
    first = day if kept is None else min(kept, day)
    home.mkdir(parents=True, exist_ok=True)
    (home / KEPT_START_DATE_FILE).write_text(first.isoformat() + "\n", encoding="utf-8")
    return first


@dataclass(frozen=True)
class LiveSettings:
    base_url: str = contract.VENDOR_BASE_URL
    email: str | None = None
    password: Secret | None = field(default=None, repr=False)
    token: Secret | None = field(default=None, repr=False)
    x_token: Secret | None = field(default=None, repr=False)
    timezone: str = contract.DEFAULT_TIMEZONE
    start_date: dt.date = DEFAULT_START_DATE
    duckdb_path: Path = DEFAULT_DUCKDB_PATH
    landing_dir: Path = DEFAULT_LANDING_DIR
    export_lang: str = contract.DEFAULT_EXPORT_LANGUAGE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS
    token_cache_dir: Path | None = None
    duckdb_memory_limit: str | None = None  # None: DuckDB's own default (80 % of RAM)
    intraday_minutes: int = DEFAULT_INTRADAY_MINUTES
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    schedules_stopped: bool = False  # True: the schedules start stopped (turn them on in the UI)
    token_lock: str = TOKEN_LOCK_FILE  # LIVE_TOKEN_LOCK: "file" (one machine) or "postgres" (several)
    token_lock_postgres: str | None = None  # a libpq connection string without the password
    token_lock_password: Secret | None = field(default=None, repr=False)  # None: PGPASSWORD or ~/.pgpass

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_api_access(self) -> None:
        """Fail with one clear message when the settings cannot authenticate a data call."""
        if self.x_token is None:
            raise SettingsError("LIVE_API_X_TOKEN is not set: every data call needs the bot's X-token")
        if self.email and self.password is None:
            raise SettingsError("LIVE_API_PASSWORD is not set, but LIVE_API_EMAIL is")
        if self.password is not None and not self.email:
            raise SettingsError("LIVE_API_EMAIL is not set, but LIVE_API_PASSWORD is")
        if not self.email and self.token is None:
            raise SettingsError(
                "no credentials: set LIVE_API_EMAIL and LIVE_API_PASSWORD (renewable), "
                "or LIVE_API_TOKEN (a token issued by the vendor)"
            )


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = _text(env, name)
    return Secret(value) if value else None


def config_file_path(env: Mapping[str, str], variable: str, file_name: str) -> Path | None:
    """The file ``variable`` names (it must exist), else ``$DAGSTER_HOME/<file_name>`` if present, else None."""
    explicit = _text(env, variable)
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"{variable} points at {path}, which is not a file")
        return path
    home = _text(env, "DAGSTER_HOME")
    if home is not None and (Path(home) / file_name).is_file():
        return Path(home) / file_name
    return None


def _parse_url(name: str, value: str) -> str:
    """An http(s) URL without credentials: URLs are shown in logs, errors, the ``make dev`` banner and
    alert links, so a ``user:password@`` in one is refused without echoing it."""
    parsed = urlparse(value)
    if "@" in (parsed.netloc if parsed.scheme in ("http", "https") else value):
        raise SettingsError(
            f"{name} must not hold credentials (user:password@host); the value is not shown. The API's "
            "credentials go in LIVE_API_EMAIL/LIVE_API_PASSWORD, LIVE_API_TOKEN and LIVE_API_X_TOKEN"
        )
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name} must be an http(s) URL such as {contract.VENDOR_BASE_URL}, got {value!r}")
    return value.rstrip("/")


def _parse_zone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name} must be an IANA time zone such as Europe/Madrid, got {value!r}") from None
    return value


def _parse_date(name: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from None


def _parse_positive_int(name: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)


def _parse_positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds, got {value!r}")
    return number


_SIZE = re.compile(r"^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)


def _parse_size(name: str, value: str) -> str:
    if not _SIZE.match(value):
        raise SettingsError(f"{name} must be a size such as 512MB or 2GB, got {value!r}")
    return value


def _parse_intraday_minutes(name: str, value: str) -> int:
    minutes = _parse_positive_int(name, value)
    if 60 % minutes:
        raise SettingsError(f"{name} must divide an hour (5, 10, 15, 20, 30, 60), got {value!r}")
    return minutes


def _parse_days(name: str, value: str) -> int:
    if not value.isdigit():
        raise SettingsError(f"{name} must be a whole number of days (0 or more), got {value!r}")
    return int(value)


def _parse_flag(name: str, value: str) -> bool:
    if value.lower() not in ("1", "true", "yes", "0", "false", "no"):
        raise SettingsError(f"{name} must be true or false, got {value!r}")
    return value.lower() in ("1", "true", "yes")


def _parse_lang(name: str, value: str) -> str:
    if value not in contract.EXPORT_LANGUAGES:
        raise SettingsError(f"{name} must be one of {', '.join(contract.EXPORT_LANGUAGES)}, got {value!r}")
    return value


def _parse_token_lock(name: str, value: str) -> str:
    if value.lower() not in TOKEN_LOCKS:
        raise SettingsError(f"{name} must be one of {', '.join(TOKEN_LOCKS)}, got {value!r}")
    return value.lower()


def _parse_lock_postgres(name: str, value: str) -> str:
    if holds_password(value):  # the value itself is never repeated: it holds a password
        raise SettingsError(
            f"{name} must not hold the password (a connection string is repeated in errors): "
            f"set {TOKEN_LOCK_PASSWORD_VARIABLE}, PGPASSWORD or a ~/.pgpass line instead"
        )
    return value


def read_environment() -> Mapping[str, str]:
    """``os.environ`` after loading ``./.env`` into it (variables already set win), as ``dagster dev`` does."""
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)
    return os.environ


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> LiveSettings:
    """Read every ``LIVE_*`` variable, validating each; :class:`SettingsErrors` lists every bad one.

    Without ``LIVE_START_DATE``, the first day kept in ``$DAGSTER_HOME`` by ``make demo`` (if any) is the
    start date. With ``env`` left out, ``os.environ`` is read after loading ``./.env`` (existing variables win).
    """
    if env is None:
        env = read_environment() if dotenv else os.environ
    optional = {
        "LIVE_API_BASE_URL": ("base_url", _parse_url),
        TIMEZONE_ENV: ("timezone", _parse_zone),
        START_DATE_ENV: ("start_date", _parse_date),
        "LIVE_DUCKDB_PATH": ("duckdb_path", lambda _n, v: Path(v)),
        "LIVE_LANDING_DIR": ("landing_dir", lambda _n, v: Path(v)),
        "LIVE_EXPORT_LANG": ("export_lang", _parse_lang),
        "LIVE_API_MAX_ATTEMPTS": ("max_attempts", _parse_positive_int),
        "LIVE_API_TIMEOUT": ("timeout_seconds", _parse_positive_float),
        "LIVE_API_BACKOFF_BASE": ("backoff_base_seconds", _parse_positive_float),
        "LIVE_TOKEN_CACHE_DIR": ("token_cache_dir", lambda _n, v: Path(v)),
        "LIVE_DUCKDB_MEMORY_LIMIT": ("duckdb_memory_limit", _parse_size),
        "LIVE_INTRADAY_MINUTES": ("intraday_minutes", _parse_intraday_minutes),
        "LIVE_LOOKBACK_DAYS": ("lookback_days", _parse_days),
        "LIVE_SCHEDULES_STOPPED": ("schedules_stopped", _parse_flag),
        TOKEN_LOCK_VARIABLE: ("token_lock", _parse_token_lock),
        TOKEN_LOCK_POSTGRES_VARIABLE: ("token_lock_postgres", _parse_lock_postgres),
    }
    values: dict[str, object] = {}
    problems: list[str] = []
    for variable, (attribute, parse) in optional.items():
        raw = _text(env, variable)
        if raw is not None:
            try:
                values[attribute] = parse(variable, raw)
            except SettingsError as error:
                problems.append(str(error))
    home = _text(env, "DAGSTER_HOME")
    if "start_date" not in values and home is not None and _text(env, START_DATE_ENV) is None:
        try:
            kept = kept_start_date(Path(home))
        except SettingsError as error:
            problems.append(str(error))
        else:
            if kept is not None:
                values["start_date"] = kept
    if values.get("token_lock") == TOKEN_LOCK_POSTGRES and "token_lock_postgres" not in values:
        problems.append(
            f"{TOKEN_LOCK_POSTGRES_VARIABLE} is not set, but {TOKEN_LOCK_VARIABLE}=postgres needs it "
            "(e.g. host=127.0.0.1 dbname=dagster user=live_assets)"
        )
    if problems:
        raise SettingsErrors(problems)
    return dataclasses.replace(
        LiveSettings(),
        email=_text(env, "LIVE_API_EMAIL"),
        password=_secret(env, "LIVE_API_PASSWORD"),
        token=_secret(env, "LIVE_API_TOKEN"),
        x_token=_secret(env, "LIVE_API_X_TOKEN"),
        token_lock_password=_secret(env, TOKEN_LOCK_PASSWORD_VARIABLE),
        **values,  # type: ignore[arg-type]
    )
