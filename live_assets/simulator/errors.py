"""API errors and the vendor's error envelope ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import json
from typing import Any

from live_assets import contract
from live_assets.contract import ErrorCode

DEFAULT_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.MISSING_PARAMETER: "A required parameter is missing",
    ErrorCode.INVALID_PARAMETER: "A parameter has an invalid value",
    ErrorCode.INVALID_DATE_FORMAT: "Dates must be formatted as yyyy-MM-dd HH:mm:ss",
    ErrorCode.INVALID_DATE_RANGE: "The date range is invalid",
    ErrorCode.INVALID_FREQUENCY: "The frequency is not one of " + ", ".join(f.value for f in contract.Frequency),
    ErrorCode.INVALID_LANG: "The language is not one of " + ", ".join(contract.EXPORT_LANGUAGES),
    ErrorCode.INVALID_CREDENTIALS: "Invalid e-mail or password",
    ErrorCode.UNAUTHORIZED: "Missing, invalid or expired authentication token",
    ErrorCode.FORBIDDEN: "You do not have access to this resource",
    ErrorCode.NOT_FOUND: "Resource not found",
    ErrorCode.TOO_MANY_REQUESTS: "Only one request at a time is allowed per token",
}
RANGE_TOO_LONG_MESSAGE = "The date range exceeds the maximum limit allowed for the selected frequency"  # [vendor]


class ApiError(Exception):
    """An error the API answers with its envelope; ``headers`` carries e.g. ``Retry-After``."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGES[code]
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(f"{code}: {self.message}")

    @property
    def status(self) -> int:
        return contract.ERROR_STATUS[self.code]

    def body(self) -> bytes:
        envelope = {"error": {"code": self.code.value, "message": self.message, "details": self.details}}
        return json.dumps(envelope, ensure_ascii=False).encode("utf-8")
