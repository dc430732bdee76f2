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


def int_field(data: dict[str, Any], name: str, minimum: int = 0) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RelayError(Code.MALFORMED, f"Field {name!r} must be a whole number ≥ {minimum}.")
    return value


def choice_field(data: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in choices:
        raise RelayError(Code.MALFORMED, f"Field {name!r} must be one of {', '.join(choices)}.")
    return value
