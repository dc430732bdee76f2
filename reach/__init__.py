"""Reach figures for the municipality: fixed periods, pure counting, protection, and the
signed report (docs/accountability.md, "Reach figures").

No I/O here: relay/storage/sqlite_reach.py gathers the routing data into a `Population`,
relay/handlers/reach.py and relay/reach_cli.py hand the signed note out.
"""

from reach.errors import ReachError
from reach.figures import (
    BREAKDOWNS,
    MEASURES,
    NO_AREA,
    Caregiver,
    Contribution,
    Figures,
    Population,
    count,
)
from reach.periods import Period, month_end, month_of, parse_period
from reach.protect import BASE, K, protect_breakdown, protect_count
from reach.render import to_csv, to_html
from reach.report import FORMAT, VerifiedReport, report_document, sign_report, verify_report

__all__ = [
    "BASE",
    "BREAKDOWNS",
    "FORMAT",
    "MEASURES",
    "NO_AREA",
    "Caregiver",
    "Contribution",
    "Figures",
    "K",
    "Period",
    "Population",
    "ReachError",
    "VerifiedReport",
    "count",
    "month_end",
    "month_of",
    "parse_period",
    "protect_breakdown",
    "protect_count",
    "report_document",
    "sign_report",
    "to_csv",
    "to_html",
    "verify_report",
]
