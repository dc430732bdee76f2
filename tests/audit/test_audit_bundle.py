"""Export bundles: what verifies, and that every kind of tampering is caught and located.

The tamper tests take a 20-entry export with three checkpoints and apply, exhaustively,
every single-byte change, every line deletion, every swap of adjacent lines, every
truncation at a line boundary and every duplicated line: ``verify_bundle`` must fail
each time and say where (a line, and an entry index when there is one).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from audit import (
    BundleError,
    bundle_lines,
    decode,
    entries_past_retention,
    leaf_hash,
    to_csv,
    verify_bundle,
)

SIZES = (5, 12, 20)


@pytest.fixture
def bundle(log20) -> str:
    return log20.bundle(SIZES, removed=3)


def lines_of(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def assert_located(report, number_of_lines: int) -> None:
    assert not report.ok
    problem = report.problem
    assert problem.line is not None and 1 <= problem.line <= number_of_lines + 1, problem
    assert problem.reason


def test_a_good_bundle_verifies(log20, bundle) -> None:
    report = verify_bundle(bundle, log20.vkey)
    assert report.ok, str(report)
    assert (report.entries, report.removed) == (20, 3)
    assert [c.size for c in report.checkpoints] == list(SIZES)
    assert report.latest.root == log20.frontier.root()
    assert str(report).startswith("OK: 20 entries (3 without body)")
    # Lines from a file object (each with its newline) work the same as the text.
    assert verify_bundle(iter(lines_of(bundle)), log20.vkey).ok
    assert verify_bundle([line.encode() for line in lines_of(bundle)], log20.vkey).ok


def test_the_kept_checkpoint_is_checked_against_the_bundle(log20, make_log, bundle) -> None:
    assert verify_bundle(bundle, log20.vkey, log20.checkpoint(12)).ok
    assert verify_bundle(bundle, log20.vkey, log20.checkpoint(20)).ok
    # Another history signed with the same key is internally fine...
    rewritten = make_log(20, history=1).bundle(SIZES)
    assert verify_bundle(rewritten, log20.vkey).ok
    # ...but it does not extend what the officer kept.
    report = verify_bundle(rewritten, log20.vkey, log20.checkpoint(12))
    assert (report.problem.code, report.problem.tampering) == ("rewritten", True)
    assert "rewritten" in str(report)
    shorter = make_log(12).bundle((5, 12))
    report = verify_bundle(shorter, log20.vkey, log20.checkpoint(20))
    assert (report.problem.code, report.problem.line) == ("rollback", None)
    forged = log20.checkpoint(20).replace("\n20\n", "\n21\n", 1)
    assert verify_bundle(bundle, log20.vkey, forged).problem.code == "last-known"


@pytest.mark.parametrize("bit", [0, 1, 6])
def test_every_single_byte_change_is_caught_and_located(log20, bundle, bit) -> None:
    data = bundle.encode("ascii")
    count = len(lines_of(bundle))
    for offset in range(len(data)):
        changed = bytearray(data)
        changed[offset] ^= 1 << bit
        report = verify_bundle(changed.decode("latin-1"), log20.vkey)
        assert_located(report, count)
        line = data[:offset].count(b"\n") + 1
        # The problem is found on the changed line, or at a later one that depends on it
        # (a checkpoint whose root covers a changed removed-entry leaf hash).
        assert report.problem.line >= min(line, count), (offset, report.problem)


def test_every_deletion_swap_truncation_and_insertion_is_caught(log20, bundle) -> None:
    lines = lines_of(bundle)
    variants = []
    for i in range(len(lines)):
        variants.append(("deleted", i, lines[:i] + lines[i + 1 :]))
        variants.append(("duplicated", i, lines[: i + 1] + lines[i:]))
        variants.append(("truncated", i, lines[:i]))
        if i + 1 < len(lines):
            variants.append(("swapped", i, [*lines[:i], lines[i + 1], lines[i], *lines[i + 2 :]]))
    for what, i, changed in variants:
        report = verify_bundle("".join(changed), log20.vkey)
        assert not report.ok, (what, i)
        assert report.problem.line is not None, (what, i, report.problem)
    # A line cut short in the middle is caught too.
    for i in range(1, len(lines)):
        cut = "".join(lines[:i]) + lines[i][: len(lines[i]) // 2]
        assert_located(verify_bundle(cut, log20.vkey), len(lines))


def test_entry_problems_name_the_entry(log20, bundle) -> None:
    lines = lines_of(bundle)
    report = verify_bundle("".join(lines[:8] + lines[9:]), log20.vkey)  # entry 7 deleted
    assert (report.problem.code, report.problem.line, report.problem.index) == ("index", 9, 7)
    body_line = lines[10].replace('"body":"c3', '"body":"c2', 1)  # entry 9's first byte
    report = verify_bundle("".join([*lines[:10], body_line, *lines[11:]]), log20.vkey)
    assert (report.problem.code, report.problem.index) == ("leaf-hash", 9)
    assert "entry 9" in str(report)


def test_two_checkpoints_of_one_size_are_evidence(log20, make_log) -> None:
    forged = make_log(12, history=1).checkpoint(12)  # same key, another history
    lines = lines_of(log20.bundle(SIZES))
    at = next(i for i, line in enumerate(lines) if '"checkpoint"' in line and "\\n12\\n" in line)
    extra = json.dumps({"note": forged, "type": "checkpoint"}, separators=(",", ":")) + "\n"
    report = verify_bundle("".join([*lines[: at + 1], extra, *lines[at + 1 :]]), log20.vkey)
    assert (report.problem.code, report.problem.line) == ("fork", at + 2)
    assert report.problem.tampering and "evidence of tampering" in str(report)


def test_the_writer_refuses_inconsistent_parts(log20) -> None:
    rows = [(i, body, leaf_hash(body)) for i, body in enumerate(log20.bodies)]
    notes = [(20, log20.checkpoint(20))]

    def write(rows=rows, notes=notes) -> None:
        list(bundle_lines("o", log20.vkey, rows, notes, log20.store))

    bad_hash = [*rows[:3], (3, rows[3][1], rows[4][2]), *rows[4:]]
    for call in (
        lambda: write(rows=rows[:-1]),  # the checkpoint covers more than the entries
        lambda: write(rows=rows[1:]),  # does not start at 0
        lambda: write(rows=bad_hash),  # stored leaf hash does not match the body
        lambda: write(notes=[]),
        lambda: write(notes=[(20, "a"), (12, "b")]),
    ):
        with pytest.raises(BundleError):
            call()


def test_csv_for_spreadsheets(log20) -> None:
    rows = [(0, None)] + [(i, decode(body)) for i, body in enumerate(log20.bodies) if i]
    text = to_csv(rows)
    table = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(table) == 20 and text.endswith("\r\n")
    assert table[0]["index"] == "0" and table[0]["event"] == ""
    assert table[1]["time_utc"] == "2026-01-01T00:01:00Z" and table[1]["action"] == "U"
    assert table[1]["objects"].startswith("case=ps_")
    assert table[1]["authorisation"] == "case-membership@2"
    assert table[1]["checks"] == "authentication=pass;membership=pass"
    for row in table:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_retention_removes_bodies_and_the_log_still_verifies(log20) -> None:
    meta = [(i, decode(body).time) for i, body in enumerate(log20.bodies)]
    now = decode(log20.bodies[0]).time + 3600 + 5 * 60
    # Entry 5 is exactly one hour old at ``now``: kept, and gone a second later.
    assert entries_past_retention(meta, 3600, now) == [0, 1, 2, 3, 4]
    assert entries_past_retention(meta, 3600, now + 1) == [0, 1, 2, 3, 4, 5]
    assert entries_past_retention(reversed(meta), 10**9, now) == []
    with pytest.raises(ValueError):
        entries_past_retention(meta, 0, now)
    report = verify_bundle(log20.bundle(SIZES, removed=5), log20.vkey, log20.checkpoint(5))
    assert report.ok and report.removed == 5
