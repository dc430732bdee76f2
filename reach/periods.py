"""Fixed calendar periods: a month, a quarter or a year, in Amsterdam time.

Reach figures are only ever made for one of these, never for a period of the caller's
choosing: two reports whose periods differ by a day would differ by the people active on
that day (docs/accountability.md, "Reach figures"). A period is written the way a
municipality writes it: ``2026-11``, ``2026-Q4``, ``2026``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from reach.errors import ReachError

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_MONTH = re.compile(r"(20[0-9]{2})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(20[0-9]{2})-Q([1-4])")
_YEAR = re.compile(r"(20[0-9]{2})")


@dataclass(frozen=True, slots=True)
class Period:
    """One fixed period: its key, its kind, its months and [start, end) in Unix seconds."""

    key: str
    kind: str  # month | quarter | year
    year: int
    first_month: int
    month_count: int

    @property
    def months(self) -> tuple[str, ...]:
        """The months it covers, as the activity record names them (``2026-11``)."""
        return tuple(
            f"{self.year}-{month:02d}"
            for month in range(self.first_month, self.first_month + self.month_count)
        )

    @property
    def start(self) -> int:
        return _month_start(self.year, self.first_month)

    @property
    def end(self) -> int:
        return _month_start(self.year, self.first_month + self.month_count)

    @property
    def first_day(self) -> str:
        return f"{self.year}-{self.first_month:02d}-01"

    @property
    def last_day(self) -> str:
        end = datetime.fromtimestamp(self.end - 1, AMSTERDAM)
        return end.date().isoformat()


def parse_period(text: object) -> Period:
    """``2026-11``, ``2026-Q4`` or ``2026``; anything else raises ReachError."""
    if isinstance(text, str):
        if match := _MONTH.fullmatch(text):
            return Period(text, "month", int(match[1]), int(match[2]), 1)
        if match := _QUARTER.fullmatch(text):
            return Period(text, "quarter", int(match[1]), 3 * int(match[2]) - 2, 3)
        if match := _YEAR.fullmatch(text):
            return Period(text, "year", int(match[1]), 1, 12)
    raise ReachError("a period is a month (2026-11), a quarter (2026-Q4) or a year (2026)")


def month_of(now: int) -> str:
    """The Amsterdam month an instant falls in, as the activity record names it."""
    moment = datetime.fromtimestamp(now, AMSTERDAM)
    return f"{moment.year}-{moment.month:02d}"


def month_end(month: str) -> int:
    """When the month named ``2026-11`` ended (Unix seconds)."""
    return parse_period(month).end


def _month_start(year: int, month: int) -> int:
    if month > 12:
        year, month = year + 1, month - 12
    return int(datetime(year, month, 1, tzinfo=AMSTERDAM).timestamp())
