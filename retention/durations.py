"""Durations as whole seconds in code, and as short strings ("14d", "5y") in config files.

Config files and the database hold policies as JSON. A lifetime written as ``1209600`` is
easy to get wrong by a factor of 60, so dicts accept (and dumps write) ``"14d"``. A year is
365 days and a month is not a unit at all: both keep every conversion exact, so a policy
dumped and loaded again is the same policy to the second.
"""

from __future__ import annotations

import re
from itertools import pairwise

from retention.errors import PolicyError

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
YEAR = 365 * DAY

# Largest first: format_duration picks the largest unit that divides exactly.
UNITS: dict[str, int] = {"y": YEAR, "w": WEEK, "d": DAY, "h": HOUR, "m": MINUTE, "s": 1}
_NAMES = {"y": "year", "w": "week", "d": "day", "h": "hour", "m": "minute", "s": "second"}
_PATTERN = re.compile(r"(\d{1,9})([ywdhms])")
ACCEPTED = 'a whole number of seconds, or a number and a unit like "90m", "12h", "14d", "2w", "5y"'


def parse_duration(field: str, value: object) -> int:
    """Seconds from an int or a string like ``"14d"``; PolicyError naming `field` otherwise."""
    # bool is an int subclass: `true` in a config file is a mistake, not one second.
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and (match := _PATTERN.fullmatch(value.strip())):
        seconds = int(match.group(1)) * UNITS[match.group(2)]
    else:
        raise PolicyError(field, f"must be {ACCEPTED} (got {value!r})")
    if seconds < 0:
        raise PolicyError(field, f"must not be negative (got {value!r})")
    return seconds


def format_duration(seconds: int) -> str:
    """The shortest exact config string for `seconds`: 1209600 → ``"14d"``, 0 → ``"0s"``.

    Weeks are read but never written: "14d" is how people say a fortnight's lifetime.
    """
    for unit, size in UNITS.items():
        if unit != "w" and seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def describe(seconds: int) -> str:
    """Plain words for reports and error messages: 1209600 → ``"14 days"``.

    Exact, like format_duration: 36 hours stays "36 hours" rather than becoming "1.5 days".
    """
    text = format_duration(seconds)
    return _words(int(text[:-1]), text[-1])


def describe_at_most(seconds: int) -> str:
    """An upper bound in plain words, rounded *up* to two units: 3620 → "1 hour 1 minute".

    For worst-case delays, where "at most 3620 seconds" is exact but unreadable and
    rounding down would promise more than the relay keeps.
    """
    sizes = [(unit, size) for unit, size in UNITS.items() if unit != "w"]
    for (unit, size), (small_unit, small) in pairwise(sizes):
        if seconds >= size:
            rounded = -(-seconds // small) * small  # ceiling: never promise less
            if rounded != seconds:  # 23:59:59 becomes 24 hours, said as "1 day"
                return describe_at_most(rounded)
            whole, part = divmod(seconds, size)
            return _words(whole, unit) + (f" {_words(part // small, small_unit)}" if part else "")
    return _words(max(seconds, 0), "s")


def _words(count: int, unit: str) -> str:
    return f"{count} {_NAMES[unit]}{'' if count == 1 else 's'}"
