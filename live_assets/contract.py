"""The Live analytics API contract, as data.

Every rule that ``docs/api-contract.md`` tags **[chosen]** (and the vendor facts the code depends on) lives
here exactly once, so that when the real API turns out to differ, one edit fixes the client, the
simulator and the tests together. Nothing in this module does I/O.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Final

VENDOR_BASE_URL: Final = "https://live-public-api.agentbot.net"

# --- transport and authentication -------------------------------------------------------------
LOGIN_PATH: Final = "/user/login-simple"
AUTH_HEADER: Final = "Authorization"
X_TOKEN_HEADER: Final = "X-Token"
TOKEN_TTL_SECONDS: Final = 36_000  # [vendor] 10 hours; [chosen] reported as ``expires_in``
LOGIN_EXPIRES_IN_FIELD: Final = "expires_in"  # [chosen] login answer: token lifetime in seconds
RETRY_AFTER_HEADER: Final = "Retry-After"  # [chosen] whole seconds, may be 0 ("no hint")
EXPIRED_TOKEN_REASON: Final = "expired"  # [chosen] details.reason of a 401 on an expired token
DATA_LAG: Final = dt.timedelta(minutes=15)  # [chosen] a conversation is visible 15 min after its end
MAX_REQUESTS_IN_FLIGHT_PER_TOKEN: Final = 1  # [vendor] "1 thread per query"
JSON_CONTENT_TYPE: Final = "application/json"  # [vendor] every data endpoint but the export (CSV_CONTENT_TYPE)

# --- dates and ranges --------------------------------------------------------------------------
DATETIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"  # [vendor] yyyy-MM-dd HH:mm:ss, wall-clock, bot's zone
DEFAULT_TIMEZONE: Final = "UTC"  # [chosen]
RECOMMENDED_WINDOW: Final = dt.timedelta(days=7)  # [vendor] recommended size of one request


class Frequency(enum.StrEnum):
    HALF_HOUR = "HALF-HOUR"
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True)
class MaxRange:
    """The longest range one request may cover: ``to`` must be earlier than ``from`` + this span."""

    days: int = 0
    months: int = 0
    label: str = ""

    def limit_for(self, start: dt.datetime) -> dt.datetime:
        """First instant that a request starting at ``start`` may no longer reach (exclusive)."""
        if self.months:
            return add_months(start, self.months)
        return start + dt.timedelta(days=self.days)


SEVEN_DAYS: Final = MaxRange(days=7, label="7 days")
ONE_MONTH: Final = MaxRange(months=1, label="1 month")

MAX_RANGE_BY_FREQUENCY: Final[dict[Frequency, MaxRange]] = {
    Frequency.HALF_HOUR: SEVEN_DAYS,  # [vendor]
    Frequency.HOUR: SEVEN_DAYS,  # [vendor]
    Frequency.DAY: ONE_MONTH,  # [chosen]
    Frequency.WEEK: ONE_MONTH,  # [vendor]
    Frequency.MONTH: ONE_MONTH,  # [vendor]
}

WEEK_STARTS_ON: Final = 0  # [chosen] Monday (datetime.weekday()); MONTH buckets start on the 1st


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Same wall-clock time ``months`` calendar months later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    next_month_first = dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month_first - dt.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def format_datetime(moment: dt.datetime) -> str:
    return moment.strftime(DATETIME_FORMAT)


def parse_datetime(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, DATETIME_FORMAT)


# --- errors ------------------------------------------------------------------------------------
class ErrorCode(enum.StrEnum):
    MISSING_PARAMETER = "MISSING_PARAMETER"
    INVALID_PARAMETER = "INVALID_PARAMETER"
    INVALID_DATE_FORMAT = "INVALID_DATE_FORMAT"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"  # [vendor]
    INVALID_FREQUENCY = "INVALID_FREQUENCY"
    INVALID_LANG = "INVALID_LANG"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"


ERROR_STATUS: Final[dict[ErrorCode, int]] = {
    ErrorCode.MISSING_PARAMETER: 400,
    ErrorCode.INVALID_PARAMETER: 400,
    ErrorCode.INVALID_DATE_FORMAT: 400,
    ErrorCode.INVALID_DATE_RANGE: 400,
    ErrorCode.INVALID_FREQUENCY: 400,
    ErrorCode.INVALID_LANG: 400,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.TOO_MANY_REQUESTS: 429,
}

# --- endpoints ---------------------------------------------------------------------------------
FILTER_PARAMETERS: Final = ("group_id", "agent_id", "protocol_id")  # [chosen] comma-separated ids


class Path(enum.StrEnum):
    CONVERSATION_LIST = "/live/public/conversation/list"
    CONVERSATION_DETAIL = "/live/public/conversation/detail"  # [chosen]
    CONVERSATION_STATS = "/live/public/conversation/stats"
    CONVERSATION_SLA = "/live/public/conversation/sla"
    HISTOGRAM = "/live/public/histogram"
    SUMMARY = "/live/public/summary"
    AGENT_PERFORMANCE = "/live/public/agent/performance"
    FEEDBACK = "/live/public/feedback"  # [chosen]
    EXPORT_SIMPLE = "/live/public/export-simple"
    AGENTS = "/live/public/agents"  # [chosen]
    GROUPS = "/live/public/groups"  # [chosen]


CONVERSATION_STATUSES: Final = ("closed", "lost")  # [chosen]
# [chosen] §5: the Conversation fields that may be null (a real API may also leave them out).
NULLABLE_CONVERSATION_FIELDS: Final = (
    "startdatetime",
    "first_response_time",
    "agent",
    "reason",
    "feedback",
    "closed_by",
)
CLOSED_BY_NAMES: Final = ("agent", "user", "system")
MESSAGE_SENDERS: Final = ("user", "agent", "bot", "system")  # [chosen]
FEEDBACK_VALUES: Final = range(1, 6)
AVERAGE_DECIMALS: Final = 2  # [chosen] averages and percentages are rounded to 2 decimals

# --- the CSV export ----------------------------------------------------------------------------
CSV_CONTENT_TYPE: Final = "text/csv; charset=utf-8"
EXPORT_LANGUAGES: Final = ("es", "en", "pt")  # [vendor]
DEFAULT_EXPORT_LANGUAGE: Final = "es"  # [chosen]
CSV_DURATION_FORMAT: Final = "HH:MM:SS"  # [chosen] durations; empty cell for null

# One row per export column: the snake_case name we load it under, then its header per language.
EXPORT_COLUMNS: Final[tuple[tuple[str, dict[str, str]], ...]] = (
    ("conversation_id", {"en": "Conversation ID", "es": "ID de conversación", "pt": "ID da conversa"}),
    ("queued_at", {"en": "Queued at", "es": "Fecha de encolado", "pt": "Data de entrada na fila"}),
    ("started_at", {"en": "Started at", "es": "Fecha de inicio", "pt": "Data de início"}),
    ("ended_at", {"en": "Ended at", "es": "Fecha de fin", "pt": "Data de término"}),
    ("wait_time", {"en": "Wait time", "es": "Tiempo de espera", "pt": "Tempo de espera"}),
    ("session_time", {"en": "Session time", "es": "Tiempo de sesión", "pt": "Tempo de sessão"}),
    (
        "first_response_time",
        {"en": "First response time", "es": "Tiempo de primera respuesta", "pt": "Tempo da primeira resposta"},
    ),
    ("status", {"en": "Status", "es": "Estado", "pt": "Status"}),
    ("transfers", {"en": "Transfers", "es": "Transferencias", "pt": "Transferências"}),
    ("group", {"en": "Group", "es": "Grupo", "pt": "Grupo"}),
    ("protocol", {"en": "Protocol", "es": "Protocolo", "pt": "Protocolo"}),
    ("agent", {"en": "Agent", "es": "Agente", "pt": "Agente"}),
    ("agent_email", {"en": "Agent email", "es": "Email del agente", "pt": "Email do agente"}),
    ("user_name", {"en": "User name", "es": "Nombre de usuario", "pt": "Nome do usuário"}),
    ("closed_by", {"en": "Closed by", "es": "Cerrado por", "pt": "Encerrado por"}),
    ("close_reason", {"en": "Close reason", "es": "Motivo de cierre", "pt": "Motivo de encerramento"}),
    ("feedback", {"en": "Feedback", "es": "Valoración", "pt": "Avaliação"}),
    ("comment", {"en": "Comment", "es": "Comentario", "pt": "Comentário"}),
    ("city", {"en": "City", "es": "Ciudad", "pt": "Cidade"}),
    ("country", {"en": "Country", "es": "País", "pt": "País"}),
)
EXPORT_DURATION_COLUMNS: Final = ("wait_time", "session_time", "first_response_time")

# [chosen] translated status labels; English keeps the API's own values.
EXPORT_STATUS_LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {"closed": "closed", "lost": "lost"},
    "es": {"closed": "Cerrada", "lost": "Perdida"},
    "pt": {"closed": "Encerrada", "lost": "Perdida"},
}


def export_headers(lang: str) -> list[str]:
    """The export's header row in ``lang``, in column order."""
    return [headers[lang] for _, headers in EXPORT_COLUMNS]


def export_header_to_column() -> dict[str, str]:
    """Every known header, in any language, mapped to its snake_case column name."""
    return {header: name for name, headers in EXPORT_COLUMNS for header in headers.values()}
