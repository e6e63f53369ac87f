"""Client of the vendor's Live analytics API (CONTRACT.md): windows, typed errors, tokens, CSV export.

Import from here; the submodules are an implementation detail::

    from live_assets.client import LiveClient, Window, plan_windows
"""

from live_assets.client.auth import TokenCache, TokenManager, default_token_cache_dir, renewal_margin
from live_assets.client.errors import (
    LiveApiError,
    LiveAuthenticationError,
    LiveBadRequestError,
    LiveForbiddenError,
    LiveNotFoundError,
    LiveRateLimitedError,
    LiveResponseError,
    LiveServerError,
    LiveTlsError,
    LiveTokenExpiredError,
    LiveTransportError,
)
from live_assets.client.export_csv import (
    EXPORT_SCHEMA,
    ExportFormatError,
    export_column_names,
    iter_export_batches,
    parse_duration,
    parse_export,
    untranslate_status,
)
from live_assets.client.http import ApiResponse, ClientStats, LiveClient, body_problem, endpoint_name
from live_assets.client.windows import Window, days_of_time_window, max_range_for, plan_windows

__all__ = [
    "EXPORT_SCHEMA",
    "ApiResponse",
    "ClientStats",
    "ExportFormatError",
    "LiveApiError",
    "LiveAuthenticationError",
    "LiveBadRequestError",
    "LiveClient",
    "LiveForbiddenError",
    "LiveNotFoundError",
    "LiveRateLimitedError",
    "LiveResponseError",
    "LiveServerError",
    "LiveTlsError",
    "LiveTokenExpiredError",
    "LiveTransportError",
    "TokenCache",
    "TokenManager",
    "Window",
    "body_problem",
    "days_of_time_window",
    "default_token_cache_dir",
    "endpoint_name",
    "export_column_names",
    "iter_export_batches",
    "max_range_for",
    "parse_duration",
    "parse_export",
    "plan_windows",
    "renewal_margin",
    "untranslate_status",
]
