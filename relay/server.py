"""Running the relay as a process: bind, announce, serve until SIGTERM/SIGINT, shut down
cleanly (stop accepting, commit what is in flight, close the database)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import replace

from aiohttp import web

from relay import __version__
from relay.app import CONTEXT, create_app
from relay.config import RelayConfig
from relay.invites import invite_link, invite_subject, new_token, token_hash
from relay.public_url import record_public_url
from relay.storage.audit_store import AuditDraft
from relay.storage.base import Storage
from relay.storage.factory import storage_for_config

log = logging.getLogger("steuntje.relay")


async def create_invite(
    storage: Storage, org_id: str, role: str, now: int, ttl_s: int, public_url: str
) -> str:
    """A fresh one-time invite link; only the token's hash is stored."""
    token = new_token()
    hashed = token_hash(token)
    await storage.create_invite(
        hashed,
        org_id,
        role,
        None,
        now,
        now + ttl_s,
        audit=[AuditDraft("invite.created", objects=(("invite", invite_subject(hashed)),))],
    )
    return invite_link(public_url, token)


async def first_admin_invite(
    storage: Storage, org_id: str, now: int, config: RelayConfig, public_url: str
) -> str:
    """What the banner says about the first admin: a fresh invite link, or, when an earlier
    start or another node already made one that is still waiting, how to make a new one.
    The database decides (sqlite_first_admin.py): one invite, whichever node asks first."""
    token = new_token()
    hashed = token_hash(token)
    ttl_s = config.admin_invite_ttl_s
    audit = [AuditDraft("invite.created", objects=(("invite", invite_subject(hashed)),))]
    if await storage.first_admin_invite(hashed, org_id, now, now + ttl_s, audit):
        link = invite_link(public_url, token)
        return f"No accounts yet. Admin invite (valid {ttl_s // 3600} hours, works once):\n  {link}"
    return (
        "No accounts yet. An admin invite was already made (by another node, or when this\n"
        "  relay started before) and still works. Lost it? Make a new one with:\n"
        "  steuntje admin invite --role admin (and this node's --data or --database)"
    )


async def invite_offline(config: RelayConfig, role: str, ttl_s: int, now: int) -> str:
    """For `steuntje admin invite`: write an invite straight into the database (safe while
    the relay runs: the database serialises the writers)."""
    storage = storage_for_config(config)
    await storage.open()
    try:
        _, org_id = await storage.installation(now)
        return await create_invite(storage, org_id, role, now, ttl_s, config.effective_public_url)
    finally:
        await storage.close()


async def serve(config: RelayConfig, say: Callable[[str], None] = print) -> None:
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=10)
    await runner.setup()  # opens the database and migrates it
    site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else config.port
    if config.port == 0:
        config = replace(config, port=port)
    ctx = app[CONTEXT]
    ctx.config = config  # the real port is known only now (port 0 = pick a free one)
    # Signal handlers before the banner: a tool that stops the relay as soon as it has read
    # the banner must get a clean stop, not the default SIGTERM death.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # SIGUSR1: run the expiry purge now (operators; `steuntje retention bench`).
    loop.add_signal_handler(signal.SIGUSR1, lambda: ctx.in_background(_purge_now(ctx)))
    url = config.effective_public_url
    try:  # for `steuntje admin invite`: the links it prints must name this address
        record_public_url(config)
    except OSError as error:  # the relay serves fine without it; the CLI then says so
        log.warning("could not record the public URL in the data folder: %s", error.strerror)
    say(f"Steuntje relay {__version__} listening on http://{_host(config.host)}:{port}")
    say(f"  database: {ctx.storage.location}")
    if config.redis_url:
        say("  fan-out between nodes: Redis")
    if await ctx.storage.account_count() == 0:
        say(await first_admin_invite(ctx.storage, ctx.org_id, ctx.now(), config, url))
    say(f"Open the web app at {url}/")  # the last line of the banner: tools wait for it
    sys.stdout.flush()

    await stop.wait()
    log.info("stopping: refusing new work, committing what is in flight")
    await runner.cleanup()
    say("Steuntje relay stopped cleanly.")


async def _purge_now(ctx) -> None:  # type: ignore[no-untyped-def]
    from relay.housekeeping import purge_once

    await purge_once(ctx)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
