"""A reach report: protected figures for one period, as a C2SP signed note.

The note's text is three lines::

    steuntje-reach-report/v1
    <canonical JSON of the report: sorted keys, no spaces, ASCII only>
    <empty line, then the signature lines>

signed with the organisation's audit key under its audit origin (``steuntje/<org>/audit``),
so the verifier key string a privacy officer already keeps for the audit log checks a
report too. The first line keeps the two apart: a checkpoint's first line is its origin,
which ``audit.note_verify.open_checkpoint`` requires, and a report's first line is the
format name, which `verify_report` requires, so neither can pass for the other.

Signing uses ``audit.checkpoint.sign_note`` (libsodium); checking uses
``audit.note_verify.verify_note`` (OpenSSL), as the audit log does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audit.checkpoint import sign_note
from audit.errors import NoteError
from audit.note_verify import parse_verifier_key, verify_note
from reach.errors import ReachError
from reach.figures import BREAKDOWNS, MEASURES, Figures
from reach.periods import Period, parse_period
from reach.protect import BASE, K, describe, protect_breakdown, protect_count

FORMAT = "steuntje-reach-report/v1"
MAX_REPORT_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class VerifiedReport:
    """A report whose signature held: its fields, and the key that signed it."""

    report: dict[str, Any]
    signer: str
    note: str


def protected_rows(figures: Figures) -> list[dict[str, Any]]:
    """Every cell, protected: one row per (breakdown, name) with a value or None ("<5")
    per measure the breakdown reports. The total is protected like any other cell."""
    rows: list[dict[str, Any]] = []
    for breakdown, measures in BREAKDOWNS.items():
        cells = figures.cells.get(breakdown, {})
        published: dict[str, dict[str, int | None]] = {name: {} for name in cells}
        for measure in measures:
            counts = {name: cell[measure] for name, cell in cells.items()}
            if breakdown == "total":
                values = {name: protect_count(n) for name, n in counts.items()}
            else:
                values = protect_breakdown(counts)
            for name, value in values.items():
                published[name][measure] = value
        for name in sorted(published):
            rows.append({"breakdown": breakdown, "name": name, "values": published[name]})
    return rows


def report_document(
    org: str, period: Period, figures: Figures, made_at: int, verifier_key: str
) -> dict[str, Any]:
    """The report as signed: what it covers, how it is protected, and the cells."""
    return {
        "format": FORMAT,
        "organisation": org,
        "period": period.key,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "made_at": made_at,
        "protection": describe(),
        "measures": list(MEASURES),
        "rows": protected_rows(figures),
        "verifier_key": verifier_key,  # for convenience only: check against the key you keep
    }


def note_text(document: dict[str, Any]) -> str:
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"{FORMAT}\n{body}\n"


def sign_report(document: dict[str, Any], key_name: str, signing_key: bytes) -> str:
    """The signed note for `document`, by the organisation's key under `key_name`."""
    return sign_note(note_text(document), key_name, signing_key)


def verify_report(note: str | bytes, verifier_key: str | None = None) -> VerifiedReport:
    """Check a report's signature and shape; raise ReachError saying what is wrong.

    Without `verifier_key` the key written inside the report is used, which proves only
    that the report was not changed after signing: pass the organisation's key to prove
    who signed it (the CLI says so)."""
    if isinstance(note, bytes):
        if len(note) > MAX_REPORT_BYTES:
            raise ReachError("not a reach report: far too large")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise ReachError("not a reach report: not UTF-8 text") from None
    document = _document(note)
    key_text = verifier_key if verifier_key is not None else document.get("verifier_key")
    if not isinstance(key_text, str):
        raise ReachError("the report names no key; pass the organisation's key")
    try:
        key = parse_verifier_key(key_text)
        verified = verify_note(note, [key])
    except NoteError as error:
        raise ReachError(f"the signature does not hold: {error}") from None
    if verified.text != note_text(document):
        raise ReachError("the report is not in its one canonical spelling")
    if document.get("organisation") and key.name != f"steuntje/{document['organisation']}/audit":
        raise ReachError("the report was signed by another organisation's key")
    _check_shape(document)
    return VerifiedReport(document, key.name, note)


def _document(note: str) -> dict[str, Any]:
    lines = note.split("\n")
    if len(lines) < 4 or lines[0] != FORMAT:
        raise ReachError(f"not a reach report: the first line is not {FORMAT}")
    try:
        document = json.loads(lines[1])
    except ValueError:
        raise ReachError("not a reach report: the second line is not JSON") from None
    if not isinstance(document, dict):
        raise ReachError("not a reach report: the second line is not a JSON object")
    return document


def _check_shape(document: dict[str, Any]) -> None:
    if document.get("format") != FORMAT:
        raise ReachError("the report's format field is not " + FORMAT)
    try:
        parse_period(document.get("period"))
    except ReachError:
        raise ReachError("the report's period is not a month, quarter or year") from None
    rows = document.get("rows")
    if not isinstance(rows, list) or not all(
        isinstance(row, dict) and isinstance(row.get("values"), dict) for row in rows
    ):
        raise ReachError("the report's rows are not a list of cells")
    for row in rows:
        for value in row["values"].values():
            if value is not None and (type(value) is not int or value % BASE or value < K):
                raise ReachError(f"a published count is not protected (≥ {K}, a {BASE}-fold)")
