"""What an httpx connection failure was, in words fit for an error message (nothing of the request).

httpx chains its ``ConnectError`` to httpcore's, and that one to the operating system's or the SSL
module's error: the reason is read from the end of that chain. An httpx message itself is never
quoted, since an exception raised while sending may describe the request, which carries secrets.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator


def _chain(error: BaseException) -> Iterator[BaseException]:
    cause: BaseException | None = error
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def certificate_problem(error: BaseException) -> str | None:
    """``"TLS certificate of the API not trusted (self-signed certificate)"`` when a connection failed on
    certificate verification, else None."""
    for cause in _chain(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate of the API not trusted ({cause.verify_message or cause.reason})"
    return None


def unreachable_reason(error: BaseException) -> str:
    """Why no connection could be made: ``connection refused``, ``host name not found (...)``, ..."""
    for cause in _chain(error):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return f"host name not found ({cause.strerror or cause})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({cause.reason or cause.strerror or type(cause).__name__})"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return f"could not connect ({type(error).__name__})"
