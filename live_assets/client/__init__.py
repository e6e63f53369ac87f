"""Client of the vendor's Live analytics API (docs/api-contract.md): windows, typed errors, tokens,
CSV export, landing files.

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
    LiveUnreachableError,
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
from live_assets.client.http import LiveClient, endpoint_name
from live_assets.client.landing import (
    LANDING_CODEC,
    LANDING_SUFFIX,
    compressed_file_problem,
    compressed_reader,
    compressed_writer,
)
from live_assets.client.responses import ApiResponse, ClientStats
from live_assets.client.sniffing import body_problem
from live_assets.client.windows import Window, days_of_time_window, max_range_for, plan_windows

__all__ = [
    "EXPORT_SCHEMA",
    "LANDING_CODEC",
    "LANDING_SUFFIX",
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
    "LiveUnreachableError",
    "TokenCache",
    "TokenManager",
    "Window",
    "body_problem",
    "compressed_file_problem",
    "compressed_reader",
    "compressed_writer",
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
