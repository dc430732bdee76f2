"""Field checks for audit entries; each failure names the field, never the value.

The value is left out of every message on purpose: what was refused may be exactly the
IP address, token or name that must not be written anywhere, and error messages end up
in logs. For a value that was meant to be a pseudonym the message does say what it
*looks like* (an IP address, an encoded blob), because that tells the developer which
mistake they made without repeating the data.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from audit.errors import EntryError
from audit.pseudonym import PSEUDONYM

__all__ = [
    "MAX_INT",
    "check_code",
    "check_int",
    "check_pattern",
    "check_pseudonym",
    "closed_keys",
    "field_name",
    "plain_dict",
]

# JSON numbers above 2^53 - 1 lose precision in JavaScript; the officer's browser reads these.
MAX_INT = 2**53 - 1
_BLOB = re.compile(r"[A-Za-z0-9+/_=-]{16,}")
_HEX = re.compile(r"(0x)?[0-9a-fA-F]{16,}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")


def check_code(label: str, value: object, allowed: Iterable[str]) -> None:
    """``value`` must be one of the ``allowed`` codes."""
    if not isinstance(value, str) or value not in tuple(allowed):
        raise EntryError(f"{label}: not one of the allowed codes (docs/audit.md)")


def check_int(label: str, value: object, minimum: int) -> None:
    """A JSON-safe integer, not a bool, not a float."""
    if type(value) is not int or not minimum <= value <= MAX_INT:
        raise EntryError(f"{label}: an integer from {minimum} to 2^53-1")


def check_pattern(label: str, value: object, pattern: str) -> None:
    """``value`` must match ``pattern`` in full."""
    if not isinstance(value, str) or re.fullmatch(pattern, value) is None:
        raise EntryError(f"{label}: does not have the required shape {pattern}")


def check_pseudonym(label: str, value: object) -> None:
    """``value`` must be a pseudonym; the error says what it looked like instead."""
    if isinstance(value, str) and PSEUDONYM.fullmatch(value):
        return
    raise EntryError(f"{label}: {_what_it_looks_like(value)}; a pseudonym is expected")


def _what_it_looks_like(value: object) -> str:
    if not isinstance(value, str):
        return "not a string"
    if value.lower().startswith("ps_"):
        return "not a pseudonym (ps_ and 26 base32 characters)"
    candidate = value.strip("[]")
    try:
        ipaddress.ip_address(candidate.split("%")[0])
        return "looks like an IP address, which the audit log never stores"
    except ValueError:
        pass
    if re.fullmatch(r"[0-9.]+(:[0-9]+)?", value) or value.count(":") >= 2:
        return "looks like an IP address, which the audit log never stores"
    if "@" in value or " " in value:
        return "looks like a name or e-mail address, which the audit log never stores"
    if _HEX.fullmatch(value) or _BLOB.fullmatch(value):
        return "looks like an encoded key, token, id or ciphertext, never stored"
    return "not a pseudonym (ps_ and 26 base32 characters)"


def closed_keys(label: str, data: object, required: Iterable[str], optional: Iterable[str]) -> None:
    """``data`` is a mapping with every ``required`` key and nothing outside the lists."""
    if not isinstance(data, Mapping):
        raise EntryError(f"{label}: a JSON object is expected")
    required, optional = tuple(required), tuple(optional)
    for key in data:
        if key not in required and key not in optional:
            allowed = ", ".join(required + optional)
            raise EntryError(
                f"{label}: unknown field {field_name(key)}; the list is closed: {allowed}"
            )
    for key in required:
        if key not in data:
            raise EntryError(f"{label}: missing field {key}")


def field_name(key: object) -> str:
    """A key for an error message, quoted only when it is a harmless identifier."""
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return repr(key)
    return "(not shown)"


def plain_dict(label: str, value: object) -> dict[str, Any]:
    """A copy of a mapping field as a plain dict."""
    if not isinstance(value, Mapping):
        raise EntryError(f"{label}: a mapping is expected")
    return dict(value)
