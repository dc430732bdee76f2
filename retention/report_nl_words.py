"""Dutch words for the Art. 30 table (retention/report_nl.py): durations as the screens say
them ("7 dagen", "2 jaar") and the phrases many rows share."""

from __future__ import annotations

import re

from retention.durations import describe

_UNITS = {
    "year": ("jaar", "jaar"),
    "week": ("week", "weken"),
    "day": ("dag", "dagen"),
    "hour": ("uur", "uur"),
    "minute": ("minuut", "minuten"),
    "second": ("seconde", "seconden"),
}
_AMOUNT = re.compile(r"(\d+) (year|week|day|hour|minute|second)s?")


def dutch(text: str) -> str:
    """durations.describe's words in Dutch: "7 days" → "7 dagen", "1 hour" → "1 uur"."""

    def word(match: re.Match[str]) -> str:
        count = int(match.group(1))
        one, many = _UNITS[match.group(2)]
        return f"{count} {one if count == 1 else many}"

    return _AMOUNT.sub(word, text)


def said(seconds: int) -> str:
    """A duration in seconds as the Dutch screens say it: 604800 → "7 dagen"."""
    return dutch(describe(seconds))


SERVICE = (
    "Art. 6 lid 1 sub b of e AVG: de ondersteuning leveren"
    " (de verwerkingsverantwoordelijke bevestigt)"
)
SECURITY = "Art. 32 AVG (beveiliging)"
NONE = "geen persoonsgegevens"
HOURLY = "de taak die elk uur opruimt"
