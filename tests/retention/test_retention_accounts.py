"""Inactive caregiver accounts: flagged after a silence, removed after the notice period,
and any connection restarts the clock."""

from __future__ import annotations

from retention.accounts import AccountMeta, inactive_accounts
from retention.decisions import Policies
from retention.durations import DAY
from retention.holds import LegalHold

T0 = 1_700_000_000
FLAG, REMOVE = 180 * DAY, 30 * DAY


def decide(*accounts: AccountMeta, now: int, holds=()):
    return inactive_accounts(accounts, Policies(holds=tuple(holds)), now)


def test_a_silent_caregiver_is_flagged_after_flag_after():
    quiet = AccountMeta("a", "caregiver", last_active_at=T0)
    assert decide(quiet, now=T0 + FLAG - 1).flag == ()
    assert decide(quiet, now=T0 + FLAG - 1).next_change == T0 + FLAG
    assert decide(quiet, now=T0 + FLAG).flag == ("a",)


def test_a_flagged_account_is_removed_after_the_notice_period_counted_from_the_flag():
    late_flag = T0 + FLAG + 10 * DAY  # the purge flagged it late: the notice still runs in full
    flagged = AccountMeta("a", "caregiver", last_active_at=T0, flagged_at=late_flag)
    assert decide(flagged, now=late_flag + REMOVE - 1).remove == ()
    assert decide(flagged, now=late_flag + REMOVE).remove == ("a",)


def test_a_connection_after_the_flag_unflags_and_restarts_the_clock():
    back = AccountMeta("a", "caregiver", last_active_at=T0 + FLAG + DAY, flagged_at=T0 + FLAG)
    result = decide(back, now=T0 + FLAG + REMOVE)
    assert result.unflag == ("a",)
    assert result.remove == () and result.flag == ()
    assert result.next_change == T0 + FLAG + DAY + FLAG


def test_activity_before_the_flag_date_keeps_the_account_unflagged():
    active = AccountMeta("a", "caregiver", last_active_at=T0 + 100 * DAY)
    assert decide(active, now=T0 + FLAG).flag == ()


def test_an_account_silent_again_after_unflagging_is_flagged_anew():
    again = AccountMeta("a", "caregiver", last_active_at=T0 + DAY, flagged_at=T0)
    result = decide(again, now=T0 + DAY + FLAG)
    assert result.flag == ("a",) and result.unflag == ()


def test_only_caregiver_accounts_are_handled():
    worker = AccountMeta("w", "worker", last_active_at=T0, flagged_at=T0)
    result = decide(worker, now=T0 + 10 * FLAG)
    assert result.flag == result.remove == result.unflag == ()


def test_an_account_on_a_held_case_is_neither_flagged_nor_removed():
    hold = LegalHold(
        case_id="case-1",
        scope=frozenset({"accounts"}),
        reason="complaint procedure",
        reference="KL-2024-17",
        placed_at=T0,
        review_at=T0 + 300 * DAY,
        lifted_at=T0 + FLAG + REMOVE + DAY,
    )
    quiet = AccountMeta("a", "caregiver", T0, case_ids=frozenset({"case-1"}))
    flagged = AccountMeta("b", "caregiver", T0, T0 + FLAG, frozenset({"case-1", "case-2"}))
    during = decide(quiet, flagged, now=T0 + FLAG + REMOVE, holds=[hold])
    assert during.held == ("a", "b")
    assert during.flag == during.remove == ()
    after = decide(quiet, flagged, now=T0 + FLAG + REMOVE + DAY, holds=[hold])
    assert after.flag == ("a",) and after.remove == ("b",)
