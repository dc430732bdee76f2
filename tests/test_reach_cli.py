"""`steuntje report reach` and `steuntje report verify`, in process on a real database: the
files it writes verify offline, the second run returns the frozen note, and a one-byte
change anywhere fails with a reason."""

from __future__ import annotations

import time

from reach import parse_period
from reach.periods import month_of
from relay.cli import main


def _last_month() -> str:
    """The month before this one (the CLI reads the wall clock: only ended periods)."""
    year, month = (int(part) for part in month_of(int(time.time())).split("-"))
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year}-{month:02d}"


def test_a_report_is_written_verified_frozen_and_a_changed_byte_fails(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "out"
    assert main(["admin", "invite", "--role", "admin", "--data", str(data)]) == 0
    capsys.readouterr()
    period = _last_month()
    make = ["report", "reach", "--period", period, "--data", str(data), "--out", str(out)]
    assert main(make) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"made and frozen {period}")
    key = printed.rsplit("--key ", 1)[1].strip()
    note = (out / f"reach-{period}.note").read_text(encoding="utf-8")
    csv = (out / f"reach-{period}.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbfPeriode;Indeling;Naam;") and b"<5" in csv

    for name in (f"reach-{period}.note", f"reach-{period}.html"):
        assert main(["report", "verify", str(out / name), "--key", key]) == 0, name
        assert f"verified: reach report {period}" in capsys.readouterr().out

    # Again: the same note (frozen), not a new count.
    assert main(make) == 0
    assert capsys.readouterr().out.startswith(f"the frozen release of {period}")
    assert (out / f"reach-{period}.note").read_text(encoding="utf-8") == note

    changed = tmp_path / "changed.note"
    for position, reason in (
        (note.index('"k":5') + 4, "signature does not hold"),  # the protection, 5 -> 6
        (len(note) - 10, "signature"),  # a byte of the signature itself
        (0, "first line"),  # the format line
    ):
        byte = note[position]
        changed.write_text(
            note[:position] + ("6" if byte != "6" else "7") + note[position + 1 :], "utf-8"
        )
        assert main(["report", "verify", str(changed), "--key", key]) == 1
        assert reason in capsys.readouterr().err

    # A period that has not ended, or is not a fixed period, is refused before anything.
    this_month = month_of(int(time.time()))
    assert parse_period(this_month).end > time.time()
    assert main(["report", "reach", "--period", this_month, "--data", str(data)]) == 2
    assert "has not ended" in capsys.readouterr().err
    assert main(["report", "reach", "--period", "2026-11-01", "--data", str(data)]) == 2
