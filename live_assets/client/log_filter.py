"""Keep HTTP headers out of logs: httpcore logs every request's and response's headers at DEBUG.

The request headers hold the token and the X-token; a response's may hold a cookie. The filter keeps
the log line (that a request went out is useful when debugging) and drops its arguments.
"""

from __future__ import annotations

import logging
from typing import Final

_HTTPCORE_LOGGERS: Final = ("httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy")
_HEADER_EVENTS: Final = ("receive_response_headers.complete", "send_request_headers")


class HeaderLogFilter(logging.Filter):
    """Rewrites httpcore's header events to their name alone."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(_HEADER_EVENTS):
            record.msg = message.split(" ", 1)[0] + " (headers not logged)"
            record.args = ()
        return True


_HEADER_FILTER: Final = HeaderLogFilter()


def install_header_filter() -> None:
    """Attach the filter to httpcore's loggers, once (idempotent)."""
    for name in _HTTPCORE_LOGGERS:
        logger = logging.getLogger(name)
        if _HEADER_FILTER not in logger.filters:
            logger.addFilter(_HEADER_FILTER)
