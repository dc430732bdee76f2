"""The audit log as a CSV a Dutch office opens with a double click (issue 19 item 5).

Excel with Dutch settings splits on `;` and reads a file as UTF-8 only with a byte order
mark, so both are used. Columns carry Dutch headers and the Dutch words the officer's
screen shows, with the codes in columns of their own (for filtering and for comparing with
the verifiable JSON Lines bundle, which stays in UTC and codes). Times are Amsterdam
times with their offset, and the UTC Unix time beside them, so the hour that happens twice
when the clocks go back is never ambiguous.

Every value is a code, a fixed-shape pseudonym, a number or one of our own Dutch words:
none starts with `=`, `+`, `-` or `@`, so a spreadsheet cannot read a formula in. The
writer quotes anything that would need it all the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from audit import AuditEntry
from relay.audit_words import (
    EVENTS_NL,
    OBJECT_TYPES_NL,
    OUTCOMES_NL,
    REASONS_NL,
    ROLES_NL,
    amsterdam_day,
    amsterdam_iso,
    change_text,
    word,
)

BOM = "\ufeff"
HEADERS = (
    "Nummer",
    "Tijd (Amsterdam)",
    "Wat er gebeurde",
    "Gebeurtenis (code)",
    "Actie (code)",
    "Uitkomst",
    "Uitkomst (code)",
    "Door (rol)",
    "Rol (code)",
    "Door (pseudoniem)",
    "Namens (pseudoniem)",
    "Apparaat (pseudoniem)",
    "Waarover",
    "Waarover (codes en pseudoniemen)",
    "Waarom",
    "Reden (code)",
    "Wat veranderde",
    "Wijziging (codes)",
    "Zoekopdracht",
    "Aantallen",
    "Controles",
    "Tijd (UTC, Unix-seconden)",
    "Organisatie",
    "Server",
    "Software",
)


class DutchDialect(csv.Dialect):
    """How Excel and LibreOffice with Dutch settings read a CSV: `;` between fields."""

    delimiter = ";"
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


def _pairs(mapping: object) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(dict(mapping).items()))  # type: ignore[call-overload]


def _row(index: int, entry: AuditEntry | None) -> list[str]:
    if entry is None:  # its body was removed after the audit retention: the index stays
        return [str(index), "", "inhoud verwijderd na de bewaartermijn"] + [""] * (len(HEADERS) - 3)
    return [
        str(index),
        amsterdam_iso(entry.time),
        word(EVENTS_NL, entry.event),
        entry.event,
        entry.action,
        word(OUTCOMES_NL, entry.outcome),
        entry.outcome,
        word(ROLES_NL, entry.actor.role),
        entry.actor.role,
        entry.actor.pseudonym or "",
        entry.on_behalf_of or "",
        entry.access_point or "",
        ", ".join(word(OBJECT_TYPES_NL, o.type) for o in entry.objects),
        ", ".join(f"{o.type}={o.pseudonym}" for o in entry.objects),
        word(REASONS_NL, entry.reason),
        entry.reason or "",
        "; ".join(change_text(c.field, c.before, c.after) for c in entry.change),
        ", ".join(f"{c.field}={c.before}>{c.after}" for c in entry.change),
        _pairs(entry.query),
        _pairs(entry.counts),
        _pairs(entry.checks),
        str(entry.time),
        entry.source.organisation,
        entry.source.node,
        entry.source.software,
    ]


def to_dutch_csv(rows: Iterable[tuple[int, AuditEntry | None]]) -> str:
    """`(index, entry)` rows as text starting with a BOM; write it encoded as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect=DutchDialect)
    writer.writerow(HEADERS)
    writer.writerows(_row(index, entry) for index, entry in rows)
    return BOM + out.getvalue()


def within_days(
    rows: Iterable[tuple[int, AuditEntry | None]], first: date | None, last: date | None
) -> list[tuple[int, AuditEntry | None]]:
    """The rows from Amsterdam day `first` through day `last` (both included), as an
    officer means "from 29 March to 30 March": midnight to midnight in Amsterdam, whatever
    the offset that day. Removed entries have no time and are left out of a filtered list."""
    since = amsterdam_day(first)[0] if first else None
    until = amsterdam_day(last)[1] if last else None
    return [
        (index, entry)
        for index, entry in rows
        if (since is None and until is None)
        or (
            entry is not None
            and (since is None or entry.time >= since)
            and (until is None or entry.time < until)
        )
    ]
