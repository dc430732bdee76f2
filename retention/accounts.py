"""Inactive caregiver accounts: flagged after a long silence, removed after a notice period.

    last connection ──flag_after──▶ flagged (the person and their workers are told)
                                      │ ──remove_after──▶ removed (erasure, as on request)
                                      └─ any connection ──▶ not flagged; the clock restarts

Removal is always counted from the flag, never from the last connection: if the purge was
late (the relay was down), the person still gets the whole notice period. Only caregiver
accounts are handled here; workers, officers and admins are employees whose accounts the
organisation's admin manages when they leave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from retention.decisions import Policies, RecordId
from retention.holds import active_holds

INACTIVITY_ROLES = frozenset({"caregiver"})


@dataclass(frozen=True, slots=True)
class AccountMeta:
    id: RecordId
    role: str
    last_active_at: int  # the last connection of any of its devices, or the creation
    flagged_at: int | None = None  # when it was flagged as inactive, if it is
    case_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AccountDecisions:
    flag: tuple[RecordId, ...]  # set flagged_at = now, and tell the person
    unflag: tuple[RecordId, ...]  # active again since the flag: clear flagged_at
    remove: tuple[RecordId, ...]  # erase the account and what the relay holds about it
    held: tuple[RecordId, ...]  # would be flagged or removed; a legal hold keeps it
    next_change: int | None  # the earliest future flag or removal, if any


def inactive_accounts(
    accounts: Iterable[AccountMeta], policies: Policies, now: int
) -> AccountDecisions:
    """Which caregiver accounts to flag, unflag or remove at `now`.

    The relay should also clear flagged_at itself when a flagged account connects (the
    first enforcement); `unflag` is the second, for a connection it did not clear.
    """
    rules = policies.organisation.inactive_accounts
    holds = active_holds(policies.holds, now)
    flag: list[RecordId] = []
    unflag: list[RecordId] = []
    remove: list[RecordId] = []
    held: list[RecordId] = []
    upcoming: list[int] = []
    for account in accounts:
        if account.role not in INACTIVITY_ROLES:
            continue
        flagged = account.flagged_at
        active_since_flag = flagged is not None and account.last_active_at > flagged
        if active_since_flag:
            flagged = None  # the clock restarts from the last connection
        if flagged is None:
            due, removing = account.last_active_at + rules.flag_after, False
        else:
            due, removing = flagged + rules.remove_after, True
        if due > now:
            upcoming.append(due)
        elif any(holds.covers(case_id, "accounts") for case_id in account.case_ids):
            held.append(account.id)
        elif removing:
            remove.append(account.id)
        else:
            flag.append(account.id)
            continue  # a new flag replaces flagged_at: no separate "unflag" needed
        if active_since_flag:
            unflag.append(account.id)
    return AccountDecisions(
        tuple(flag), tuple(unflag), tuple(remove), tuple(held), min(upcoming, default=None)
    )
