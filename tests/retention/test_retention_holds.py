"""Legal holds: validated when placed, active from placement until their end or lifting,
never lapsing silently at the review date."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retention.durations import DAY, YEAR
from retention.errors import PolicyError
from retention.holds import LegalHold, active_holds, is_held, review_due

T0 = 1_700_000_000


def hold(**changes):
    base = LegalHold(
        case_id="case-1",
        scope=frozenset({"envelopes"}),
        reason="complaint procedure",
        reference="KL-2024-17",
        placed_at=T0,
        review_at=T0 + 90 * DAY,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"case_id": ""}, "case_id", "non-empty"),
        ({"scope": frozenset()}, "scope", "one or more of envelopes, case, accounts, audit"),
        ({"scope": frozenset({"messages"})}, "scope", "'messages'"),
        ({"scope": "envelopes"}, "scope", "must be a set"),
        ({"reason": ""}, "reason", "is required"),
        ({"reason": "x" * 501}, "reason", "at most 500 characters"),
        ({"reference": None}, "reference", "is required"),
        ({"placed_at": -1}, "placed_at", "Unix time"),
        ({"review_at": T0}, "review_at", "after placed_at"),
        ({"review_at": T0 - DAY}, "review_at", "after placed_at"),
        ({"review_at": T0 + 2 * YEAR}, "review_at", "at most 1 year later"),
        ({"ends_at": T0}, "ends_at", "after placed_at"),
        ({"lifted_at": T0 - 1}, "lifted_at", "not be before placed_at"),
    ],
)
def test_an_impossible_hold_is_refused_naming_the_field(changes, field, fragment):
    with pytest.raises(PolicyError) as raised:
        hold(**changes)
    assert raised.value.field == field
    assert fragment in str(raised.value)


def test_a_scope_given_as_a_list_is_kept_as_a_frozenset():
    assert hold(scope=["envelopes", "audit"]).scope == frozenset({"envelopes", "audit"})


def test_a_hold_is_active_from_placement_until_it_ends_or_is_lifted():
    open_ended = hold()
    assert not is_held(open_ended, T0 - 1)
    assert is_held(open_ended, T0)
    assert is_held(open_ended, T0 + 10 * YEAR)  # no end: it holds until lifted

    ending = hold(ends_at=T0 + 30 * DAY)
    assert is_held(ending, T0 + 30 * DAY - 1)
    assert not is_held(ending, T0 + 30 * DAY)

    lifted_early = hold(ends_at=T0 + 30 * DAY, lifted_at=T0 + 5 * DAY)
    assert not is_held(lifted_early, T0 + 5 * DAY)


def test_a_passed_review_date_is_reported_but_does_not_end_the_hold():
    overdue = hold()
    assert not review_due(overdue, T0 + 89 * DAY)
    assert review_due(overdue, T0 + 90 * DAY)
    assert is_held(overdue, T0 + 400 * DAY)
    assert not review_due(hold(lifted_at=T0 + DAY), T0 + 90 * DAY)


def test_holds_on_one_case_add_their_scopes_up_and_only_active_ones_count():
    holds = [
        hold(),
        hold(scope=frozenset({"audit"})),
        hold(case_id="case-2", ends_at=T0 + DAY),
    ]
    now = active_holds(holds, T0 + 2 * DAY)
    assert now.covers("case-1", "envelopes") and now.covers("case-1", "audit")
    assert not now.covers("case-1", "case")
    assert not now.covers("case-2", "envelopes")  # ended
    assert not now.covers(None, "envelopes")  # data of no case cannot be held
    assert not active_holds(holds, T0 - 1)
