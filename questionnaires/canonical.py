"""The one byte spelling of a questionnaire, a statement or an answer: canonical JSON.

Everything that is hashed or signed in this package is JSON written with keys sorted, no
whitespace and no escapes but the ones JSON requires (RFC 8785 for a restricted value
space, the same rule as the audit log's entries, docs/audit.md §3). The value space:

* objects whose keys are ASCII (so code-point order and UTF-16 order agree: the web app's
  port sorts the same way),
* arrays, strings and integers of at most 2^53 − 1 in size (JavaScript reads them exactly),
* no floats, no true/false/null,
* strings without control characters other than a newline, and without lone surrogates.

`parse` is strict: re-encoding what it read must give back exactly the input bytes, so a
signed object has one spelling and one hash. No I/O here.
"""

from __future__ import annotations

import json
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 8


class CanonicalError(ValueError):
    """The value is outside the canonical value space, or the bytes are not its spelling."""


def encode(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value``; raises CanonicalError outside the space."""
    _check(value, 0)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def parse(data: bytes | str) -> Any:
    """Read canonical JSON; anything but the one canonical spelling is refused."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CanonicalError("not JSON") from None
    if encode(value) != raw:
        raise CanonicalError("not the canonical spelling")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise CanonicalError("duplicate key")
    return result


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CanonicalError("nested too deeply")
    if isinstance(value, bool) or value is None or isinstance(value, float):
        raise CanonicalError("only objects, arrays, strings and integers")
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalError("integer too large")
    elif isinstance(value, str):
        _check_string(value)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise CanonicalError("object keys are ASCII strings")
            _check_string(key)
            _check(item, depth + 1)
    else:
        raise CanonicalError("only objects, arrays, strings and integers")


def _check_string(text: str) -> None:
    for char in text:
        code = ord(char)
        if (code < 0x20 and char != "\n") or 0xD800 <= code <= 0xDFFF:
            raise CanonicalError("a string holds a control character or a lone surrogate")
