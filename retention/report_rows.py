"""The Art. 30 table in the language a screen asks for: English as the CLI prints it
(retention/report.py), or Dutch for the officer's and admin's desk (retention/report_nl.py,
the same rows with the same figures)."""

from __future__ import annotations

from retention.delays import PurgeSchedule
from retention.policy import OrganisationPolicy
from retention.report import report
from retention.report_nl import report_nl

LANGUAGES = ("en", "nl")


def rows(
    org: OrganisationPolicy, schedule: PurgeSchedule, backend: str, lang: str = "en"
) -> list[dict[str, str]]:
    """The table as dicts, in English (as the CLI prints it) or in Dutch for the desk
    screens (retention/report_nl.py words the same rows with the same figures)."""
    if lang == "nl":
        return report_nl(org, schedule, backend)
    return [row.as_dict() for row in report(org, schedule, backend=backend)]
