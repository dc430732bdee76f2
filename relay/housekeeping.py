"""The background job that enforces retention/lifetimes.py: hourly, delete what expired.

Expired envelopes are already hidden from delivery the moment they expire (the mailbox read
filters on expires_at); this job makes them gone from the database within
`purge_interval_s` (worst case: expiry + one interval). Issue 5 extends it to policies,
legal holds and secure deletion.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator

from relay.context import RelayContext
from relay.handlers.gdpr import erase_and_tell
from relay.lifecycle import (
    current_policies,
    handle_inactive_accounts,
    remove_closed_cases,
    remove_closed_groups,
)
from relay.storage.audit_store import AuditDraft
from retention.lifetimes import HOLD_RECORD_S

log = logging.getLogger("steuntje.relay.housekeeping")


def purge_entry(counts: dict[str, int]) -> AuditDraft:
    """purge.ran with counts only, in the audit log's own count names."""
    named = ("envelopes", "invites", "audit_bodies")
    records = sum(n for kind, n in counts.items() if kind not in named)
    return AuditDraft(
        "purge.ran",
        counts={
            "envelopes": counts.get("envelopes", 0),
            "invites": counts.get("invites", 0),
            "bodies": counts.get("audit_bodies", 0),
            "records": records,
        },
    )


async def purge_once(ctx: RelayContext) -> dict[str, int]:
    start = time.perf_counter()
    for account_id in await ctx.storage.erasures_due(ctx.now()):
        erasure = AuditDraft(
            "erasure.done", objects=(("account", account_id),), reason="data_subject_request"
        )  # the relay carries it out
        await erase_and_tell(ctx, account_id, erasure)  # its legal hold has ended
        log.info("carried out an erasure that waited for a legal hold")
    policies = await current_policies(ctx)
    cases_removed = await remove_closed_cases(ctx, policies)
    groups_removed = await remove_closed_groups(ctx, policies)
    _, accounts_removed = await handle_inactive_accounts(ctx, policies)
    organisation = policies.organisation  # what the admin set, not the built-in defaults
    # Before the purge below can remove them: an unused recovery invite's end is audited.
    await ctx.storage.note_expired_recoveries(ctx.now())
    counts = await ctx.storage.purge_expired(
        ctx.now(), organisation.invite_grace, HOLD_RECORD_S, organisation.audit_retention
    )
    counts["reach"] = await ctx.storage.purge_reach(ctx.now())  # activity months, releases
    # A device's last-seen day is a last-seen time: metadata_lifetime after it was written.
    counts["seen_days"] = await ctx.storage.forget_seen_days(
        ctx.now() - organisation.metadata_lifetime
    )
    counts["closed_cases"] = cases_removed
    counts["closed_groups"] = groups_removed
    counts["inactive_accounts"] = accounts_removed
    if any(counts.values()):  # a run that removed nothing leaves no entry: no hourly noise
        await ctx.storage.record([purge_entry(counts)], ctx.now())
        removed = ", ".join(f"{n} {what}" for what, n in counts.items())
        log.info("expiry purge removed %s in %.1f s", removed, time.perf_counter() - start)
    return counts


# Several nodes on one PostgreSQL database (docs/scaling.md): one node at a time holds a
# job's lock and runs it; the others ask again every LEADER_RETRY_S and take over when the
# holder is gone (PostgreSQL frees a dead session's locks). SQLite: one node, always.
PURGE_JOB, CHECKPOINT_JOB = 1, 2
LEADER_RETRY_S = 5.0


async def runs_here(ctx: RelayContext, job: int) -> bool:
    """Does this node run background job `job` now?"""
    take = getattr(ctx.storage, "try_job_lock", None)  # PostgresStorage only
    return True if take is None else await take(job)


async def _every(ctx: RelayContext, interval_s: float) -> None:
    while True:
        wait = interval_s
        try:
            if await runs_here(ctx, PURGE_JOB):
                await purge_once(ctx)
            else:
                wait = min(interval_s, LEADER_RETRY_S)
        except Exception as exc:  # the database may be busy or down: try again next time
            log.warning("expiry purge failed: %s", type(exc).__name__)
            if hasattr(ctx.storage, "try_job_lock"):  # several nodes: someone must lead soon
                wait = min(interval_s, LEADER_RETRY_S)
        await asyncio.sleep(wait)


CHECKPOINT_INTERVAL_S = 60  # a signed checkpoint every minute when the log has grown


async def summarise_auth_failures(ctx: RelayContext) -> int:
    """One auth.failed_summary entry per device that failed to sign in since the last call
    (attempts counted), and one for attempts that named no existing device. Returns entries."""
    failures, ctx.auth_failures = ctx.auth_failures, Counter()
    drafts, anonymous = [], 0
    for device_id, attempts in failures.items():
        record = await ctx.storage.device(device_id) if device_id else None
        if record is None:  # never create a pseudonym for a key someone made up
            anonymous += attempts
            continue
        drafts.append(
            AuditDraft(
                "auth.failed_summary",
                objects=(("device", device_id), ("account", record.account_id)),
                outcome="denied",
                counts={"attempts": attempts},
            )
        )
    if anonymous:
        drafts.append(
            AuditDraft("auth.failed_summary", outcome="denied", counts={"attempts": anonymous})
        )
    if drafts:
        await ctx.storage.record(drafts, ctx.now())
    return len(drafts)


async def _checkpoints(ctx: RelayContext) -> None:
    while True:
        await asyncio.sleep(CHECKPOINT_INTERVAL_S)
        try:
            await summarise_auth_failures(ctx)  # this node's own counts: on every node
            if await runs_here(ctx, CHECKPOINT_JOB):
                await ctx.storage.checkpoint()
        except Exception as exc:
            log.warning("audit checkpoint failed: %s", type(exc).__name__)


@contextlib.asynccontextmanager
async def running(ctx: RelayContext, interval_s: float) -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    tasks = [
        loop.create_task(_every(ctx, interval_s), name="purge"),
        loop.create_task(_checkpoints(ctx), name="audit-checkpoints"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
