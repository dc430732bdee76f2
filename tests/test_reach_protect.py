"""The pure reach package: fixed periods, counting, the protection, and the signed note's
domain separation from the audit log's checkpoints."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime

import pytest

from audit import new_signing_key, open_checkpoint, sign_checkpoint
from audit.checkpoint import log_verifier_key
from audit.errors import NoteError
from reach import (
    Caregiver,
    Contribution,
    Population,
    ReachError,
    count,
    parse_period,
    protect_breakdown,
    protect_count,
    report_document,
    sign_report,
    verify_report,
)
from reach.periods import AMSTERDAM, month_of


def test_only_fixed_calendar_periods_in_amsterdam_time():
    quarter = parse_period("2026-Q4")
    assert quarter.months == ("2026-10", "2026-11", "2026-12")
    assert (
        datetime.fromtimestamp(quarter.start, AMSTERDAM).isoformat() == "2026-10-01T00:00:00+02:00"
    )
    assert datetime.fromtimestamp(quarter.end, AMSTERDAM).isoformat() == "2027-01-01T00:00:00+01:00"
    assert (
        parse_period("2026").months[-1] == "2026-12"
        and parse_period("2026").last_day == "2026-12-31"
    )
    march = parse_period("2026-03")  # the clocks change on 29 March: 31 days less one hour
    assert march.end - march.start == 31 * 86_400 - 3600
    assert month_of(march.end - 1) == "2026-03" and month_of(march.end) == "2026-04"
    for text in ("2026-13", "2026-Q0", "2026-W40", "2026-10-01", " 2026", "1999", 2026, None):
        with pytest.raises(ReachError):
            parse_period(text)


def test_counts_below_five_are_hidden_and_the_rest_rounded_to_five():
    assert [protect_count(n) for n in range(0, 14)] == [
        None, None, None, None, None, 5, 5, 5, 10, 10, 10, 10, 10, 15,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        protect_count(-1)


def test_a_lone_suppressed_cell_hides_its_whole_breakdown():
    assert protect_breakdown({"Noord": 1, "Zuid": 20, "West": 30}) == {
        "Noord": None,  # else total - Zuid - West would come close to Noord
        "Zuid": None,
        "West": None,
    }
    assert protect_breakdown({"Noord": 1, "Zuid": 2, "West": 30}) == {
        "Noord": None,
        "Zuid": None,
        "West": 30,
    }
    assert protect_breakdown({"Noord": 9, "Zuid": 20}) == {"Noord": 10, "Zuid": 20}


def _published(cells: tuple[int, ...]) -> tuple:
    names = [f"w{i}" for i in range(len(cells))]
    shown = protect_breakdown(dict(zip(names, cells, strict=True)))
    return tuple(shown[name] for name in names), protect_count(sum(cells))


@pytest.mark.parametrize(("wijken", "largest"), [(3, 14), (4, 9)])
def test_the_cells_and_the_total_together_never_pin_a_hidden_cell(wijken, largest):
    """Nested selections: the wijken and the whole organisation in one report. For every
    population of `wijken` wijken with 0 to `largest` caregivers each, whatever is
    published leaves each hidden wijk's count open between at least two values, so no
    difference of published figures singles out the people in it."""
    possible: defaultdict[tuple, list[set[int]]] = defaultdict(
        lambda: [set() for _ in range(wijken)]
    )
    for cells in itertools.product(range(largest + 1), repeat=wijken):
        for index, value in enumerate(cells):
            possible[_published(cells)][index].add(value)
    for (shown, total), values in possible.items():
        if any(value is not None and value + 2 > largest for value in shown):
            continue  # this shown count may stand for more than the loop above tried
        for index, options in enumerate(values):
            if shown[index] is None:
                assert len(options) >= 2, (shown, total, index, options)


def test_counting_puts_each_caregiver_in_its_listed_wijk_and_teams():
    start, end = parse_period("2026-09").start, parse_period("2026-09").end
    population = Population(
        caregivers=(
            Caregiver("a", start - 1, frozenset({"Noord"}), frozenset({"A"})),
            Caregiver("b", start + 1, frozenset({"Noord"}), frozenset({"A", "B"})),
            Caregiver("c", start + 2, frozenset({"Oud"}), frozenset()),  # a wijk no longer listed
            Caregiver("d", end, frozenset({"Zuid"}), frozenset({"B"})),  # made after the period
        ),
        active=frozenset({"a", "b", "c"}),
        group_members=(4, 7),
        contributions=(Contribution("A", 3, 1), Contribution(None, 2, 0)),
        areas=("Noord", "Zuid"),
        teams=("A", "B"),
    )
    cells = count(population, start, end).cells
    assert cells["total"][""] == {
        "reached": 3,
        "new": 2,
        "checkins_answered": 5,
        "questionnaires_signed": 1,
        "groups_active": 2,
        "group_members": 11,
    }
    assert cells["area"] == {
        "Noord": {"reached": 2, "new": 1},
        "Zuid": {"reached": 0, "new": 0},  # listed: present even when empty
        "": {"reached": 1, "new": 1},  # "Oud" is not on the list: counted as no wijk
    }
    assert cells["team"]["A"] == {
        "reached": 2,
        "new": 1,
        "checkins_answered": 3,
        "questionnaires_signed": 1,
    }
    assert cells["team"]["B"]["reached"] == 1 and cells["team"][""]["checkins_answered"] == 2


def test_a_report_and_a_checkpoint_signed_by_the_same_key_never_pass_for_each_other():
    key = new_signing_key(lambda n: bytes(range(n)))
    origin = "steuntje/org_AAAAAAAAAAAAAAAAAAAAAA/audit"
    verifier = log_verifier_key(origin, key)
    period = parse_period("2026-09")
    empty = Population((), frozenset(), ())
    document = report_document(
        "org_AAAAAAAAAAAAAAAAAAAAAA", period, count(empty, period.start, period.end), 0, verifier
    )
    note = sign_report(document, origin, key)
    assert verify_report(note, verifier).report["period"] == "2026-09"
    with pytest.raises(NoteError):
        open_checkpoint(note, verifier)
    checkpoint = sign_checkpoint(origin, 3, bytes(32), key)
    with pytest.raises(ReachError, match="first line"):
        verify_report(checkpoint, verifier)
    other = log_verifier_key(origin, new_signing_key(lambda n: bytes([7]) * n))
    with pytest.raises(ReachError, match="signature does not hold"):
        verify_report(note, other)
    # Another organisation's key, even a valid signature by it, is not this report's signer.
    stranger = "steuntje/org_BBBBBBBBBBBBBBBBBBBBBB/audit"
    forged = sign_report(document, stranger, key)
    with pytest.raises(ReachError, match="another organisation"):
        verify_report(forged, log_verifier_key(stranger, key))
