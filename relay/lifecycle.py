"""The hourly job's part for the end of a care relationship: closed cases past their
retention, and caregiver accounts nobody uses. The decisions are retention/'s pure
functions; this module feeds them the relay's records and carries them out.

Both end in the same erasure a caregiver can ask for (relay/handlers/gdpr.py), recorded as
`erasure.done` by the system with reason `retention_policy`: removing a caregiver's
account removes their own case, their devices, prekeys and undelivered envelopes.
"""

from __future__ import annotations

import logging

from relay.context import RelayContext
from relay.handlers.gdpr import erase_and_tell
from relay.notify import notify_case_members
from relay.policies import load
from relay.storage.audit_store import AuditDraft
from retention import inactive_accounts
from retention.decisions import CaseMeta, Policies, what_expires_cases
from retention.holds import HOLD_SCOPES, LegalHold, active_holds

log = logging.getLogger("steuntje.relay.lifecycle")


async def current_policies(ctx: RelayContext) -> Policies:
    """The organisation's policy, the cases' settings and every legal hold, as retention/
    wants them."""
    org, cases, _ = await load(ctx)
    holds = tuple(
        LegalHold(
            case_id=h["case_id"],
            scope=frozenset(h["scope"]),
            reason=h["reason"],
            reference=h["reference"],
            placed_at=h["placed_at"],
            review_at=h["review_at"],
            ends_at=h["ends_at"],
            lifted_at=h["lifted_at"],
        )
        for h in await ctx.storage.list_holds(ctx.org_id)
    )
    return Policies(org, cases, holds)


def _held(policies: Policies, case_ids: frozenset[str] | set[str], now: int) -> bool:
    """Erasing a caregiver removes their case, envelopes and account at once: a hold of any
    scope on one of their cases keeps all of it."""
    holds = active_holds(policies.holds, now)
    return any(holds.covers(c, scope) for c in case_ids for scope in HOLD_SCOPES)


def _removal(account_id: str) -> AuditDraft:
    return AuditDraft("erasure.done", objects=(("account", account_id),), reason="retention_policy")


async def remove_closed_cases(ctx: RelayContext, policies: Policies) -> int:
    """Erase the caregiver of every closed case past `closed_case_lifetime` that no hold
    with scope `case` keeps. Returns how many cases went."""
    now = ctx.now()
    closed = await ctx.storage.closed_cases_due(now)  # closed before now: candidates
    decision = what_expires_cases(
        (CaseMeta(case_id, closed_at) for case_id, _, closed_at in closed), policies, now
    )
    due = set(decision.expired)
    removed = 0
    for case_id, caregiver_id, _ in closed:
        if case_id in due and not _held(policies, {case_id}, now):
            await erase_and_tell(ctx, caregiver_id, _removal(caregiver_id))
            removed += 1
    if removed:
        log.info("removed %d closed cases past their retention", removed)
    return removed


async def remove_closed_groups(ctx: RelayContext, policies: Policies) -> int:
    """Remove every closed group past `closed_case_lifetime` (the same clock as a case's)
    unless a hold with scope `case` names it: its membership, handles, prekeys, log and
    policy go. Envelopes already queued expire on their own. Returns how many went."""
    from relay.handlers.groups import notify_group

    now = ctx.now()
    closed = await ctx.storage.groups_closed_before(now)
    decision = what_expires_cases(
        (CaseMeta(group_id, closed_at) for group_id, closed_at in closed), policies, now
    )
    removed = 0
    for group_id in decision.expired:
        if _held(policies, {group_id}, now):
            continue
        audit = [
            AuditDraft("group.removed", objects=(("group", group_id),), reason="retention_policy")
        ]
        devices = await ctx.storage.remove_group(group_id, now, audit)
        ctx.group_states.pop(group_id, None)
        ctx.forget_permissions()
        await notify_group(ctx, group_id, 0, devices)
        removed += 1
    if removed:
        log.info("removed %d closed groups past their retention", removed)
    return removed


async def handle_inactive_accounts(ctx: RelayContext, policies: Policies) -> tuple[int, int]:
    """Flag caregiver accounts unused for `flag_after` (their case team is told through
    `case_list`), erase those flagged `remove_after` ago. Returns (flagged, removed)."""
    now = ctx.now()
    candidates = await ctx.storage.inactivity_candidates()
    decisions = inactive_accounts(candidates, policies, now)
    if decisions.flag:
        audit = [
            AuditDraft("account.flagged_inactive", objects=(("account", account_id),))
            for account_id in decisions.flag
        ]
        await ctx.storage.flag_inactive(decisions.flag, now, audit)
        for account_id in decisions.flag:
            for case in await ctx.storage.list_cases(account_id):
                await notify_case_members(ctx, case.id, tuple(m.account_id for m in case.members))
    cases_of = {meta.id: meta.case_ids for meta in candidates}
    removed = [a for a in decisions.remove if not _held(policies, cases_of[a], now)]
    for account_id in removed:
        await erase_and_tell(ctx, account_id, _removal(account_id))
    if decisions.flag or removed:
        log.info(
            "inactive caregiver accounts: %d flagged, %d removed", len(decisions.flag), len(removed)
        )
    return len(decisions.flag), len(removed)
