"""Checking event data at the edge: each helper returns the value or raises `malformed`
with a message naming the field, so a client developer sees exactly what was wrong."""

from __future__ import annotations

import re
from typing import Any

from relay.errors import Code, RelayError


def require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise RelayError(Code.MALFORMED, "The event data must be a JSON object.")
    return data


def text_field(data: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> str:
    value = data.get(name)
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise RelayError(Code.MALFORMED, f"Field {name!r} is missing or not a valid string.")
    return value


# SQLite and PostgreSQL keep whole numbers in 64 bits: anything larger would fail in the
# database, after the edge, as an internal error.
MAX_WHOLE_NUMBER = 2**63 - 1
# Unix times the relay accepts: up to the last second of the year 9999.
MAX_INSTANT = 253_402_300_799


def int_field(
    data: dict[str, Any], name: str, minimum: int = 0, maximum: int = MAX_WHOLE_NUMBER
) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise RelayError(
            Code.MALFORMED,
            f"Field {name!r} must be a whole number from {minimum} to {maximum}.",
            field=name,
        )
    return value


def instant_field(data: dict[str, Any], name: str, required: bool = True) -> int | None:
    """A Unix time in whole seconds; None when the field is absent (or null) and optional."""
    if not required and data.get(name) is None:
        return None
    return int_field(data, name, 0, MAX_INSTANT)


def choice_field(data: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in choices:
        raise RelayError(Code.MALFORMED, f"Field {name!r} must be one of {', '.join(choices)}.")
    return value
