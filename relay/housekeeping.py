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
from collections.abc import AsyncIterator

from relay.context import RelayContext
from relay.handlers.gdpr import erase_and_tell
from retention.lifetimes import HOLD_RECORD_S, INVITE_GRACE_S

log = logging.getLogger("steuntje.relay.housekeeping")


async def purge_once(ctx: RelayContext) -> dict[str, int]:
    for account_id in await ctx.storage.erasures_due(ctx.now()):
        await erase_and_tell(ctx, account_id)  # its legal hold has ended
        log.info("carried out an erasure that waited for a legal hold")
    counts = await ctx.storage.purge_expired(ctx.now(), INVITE_GRACE_S, HOLD_RECORD_S)
    if any(counts.values()):
        log.info("expiry purge removed %s", ", ".join(f"{n} {what}" for what, n in counts.items()))
    return counts


async def _every(ctx: RelayContext, interval_s: float) -> None:
    while True:
        try:
            await purge_once(ctx)
        except Exception as exc:  # the database may be busy or down: try again next time
            log.warning("expiry purge failed: %s", type(exc).__name__)
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def running(ctx: RelayContext, interval_s: float) -> AsyncIterator[None]:
    task = asyncio.get_running_loop().create_task(_every(ctx, interval_s), name="purge")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
