"""A wrapper that keeps passwords and tokens out of logs, tracebacks and reprs.

The value is only handed out by :meth:`Secret.reveal`, which the HTTP layer calls at the moment it
builds a request. ``str``/``repr``/f-strings show a fixed mask, so an accidental ``log.info(settings)``
or an exception that formats its arguments never prints the secret.
"""

from __future__ import annotations

from typing import Final

MASK: Final = "********"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the value to disk (multiprocess executors pickle step inputs).
        raise TypeError("a Secret cannot be pickled")
