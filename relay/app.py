"""`create_app(config)`: the one composition root. Builds storage, the commit queue, the
delivery router and the Socket.IO server, and wires them into an aiohttp application."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from functools import partial

import socketio
from aiohttp import web

from relay import __version__, fanout, housekeeping, notify
from relay.blobs.http import add_blob_routes
from relay.clock import Clock, SystemClock
from relay.commit_queue import CommitQueue
from relay.config import RelayConfig
from relay.context import RelayContext
from relay.delivery import Router
from relay.logs import quiet_client_faults, transport_logger
from relay.namespace import RelayNamespace
from relay.packets import RelayPacket
from relay.push import service as push_service
from relay.security_headers import install as install_security_headers
from relay.storage.factory import storage_for_config
from relay.webapp import add_web_routes

CONTEXT = web.AppKey("steuntje_context", RelayContext)


async def healthz(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    if not ctx.ready or ctx.closing:
        return web.json_response({"status": "unavailable", "version": __version__}, status=503)
    return web.json_response({"status": "ok", "version": __version__})


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (an optional dependency, on by default): the event loop
    and its socket calls were half of the relay's main-thread time per envelope
    (docs/performance.md). STEUNTJE_EVENT_LOOP=asyncio keeps the standard loop."""
    if os.environ.get("STEUNTJE_EVENT_LOOP", "uvloop") == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:  # a platform without a uvloop wheel: the standard loop works the same
        return None
    return uvloop.new_event_loop


def create_app(config: RelayConfig, clock: Clock | None = None) -> web.Application:
    config = config.validated()
    clock = clock or SystemClock()
    quiet_client_faults()
    limits = config.limits
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        transports=["websocket"],  # no long-polling: any node can serve any client
        cors_allowed_origins=list(config.allowed_origins) or None,  # None = same origin only
        # Frames up to twice the event limit are read and answered with payload_too_large;
        # larger ones close the connection (WebSocket 1009) without being buffered.
        max_http_buffer_size=2 * limits.max_event_bytes,
        logger=transport_logger(),
        engineio_logger=transport_logger(),
        # Several nodes: Socket.IO's own cross-node messages go through Redis (fanout.py).
        client_manager=fanout.client_manager(config.redis_url) if config.redis_url else None,
        # Hostile framing (reserved or non-string event names, broken binary
        # placeholders) becomes a `malformed`/`unknown_event` answer (packets.py).
        serializer=RelayPacket,
    )
    storage = storage_for_config(config)
    ctx = RelayContext(config=config, clock=clock, storage=storage, sio=sio, router=Router())
    sio.register_namespace(RelayNamespace(ctx))

    app = web.Application(client_max_size=64 * 1024)
    install_security_headers(app, config.effective_public_url)
    app[CONTEXT] = ctx
    sio.attach(app)
    app.router.add_get("/healthz", healthz)
    add_blob_routes(app, ctx)  # attachments: streamed, so client_max_size stays small
    add_web_routes(app)
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_on_shutdown)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CONTEXT]
    await ctx.storage.open()
    ctx.relay_id, ctx.org_id = await ctx.storage.installation(ctx.now())
    ctx.push = push_service.start(
        ctx.config.push,
        ctx.config.epoch_key_dir,
        ctx.storage,
        ctx.now,
        lambda device: device in ctx.by_device,
    )
    if ctx.config.push.enabled:
        ctx.router.committed = ctx.push.scheduler.committed
    ctx.commits = CommitQueue(
        ctx.storage, ctx.clock, ctx.config.limits.mailbox_max_envelopes, ctx.router.stored
    )
    ctx.commits.start()
    ctx.ready = True
    async with (
        fanout.running(ctx.config.redis_url, ctx.router, ctx.forget_here) as nodes,
        housekeeping.running(ctx, ctx.config.purge_interval_s),
    ):
        if nodes is not None:
            ctx.tell_others_to_forget = nodes.forget
            ctx.tell_other_nodes = nodes.tell
            nodes.on_note = partial(notify.heard_from_other_node, ctx)
            nodes.on_resubscribed = partial(notify.recheck_connections, ctx)
        yield
        ctx.tell_others_to_forget = ctx.tell_other_nodes = None
    ctx.ready = False
    await ctx.commits.stop()
    ctx.router.committed = None
    await ctx.push.scheduler.close()
    await ctx.storage.close()


async def _on_shutdown(app: web.Application) -> None:
    """Stop taking envelopes, commit (and acknowledge) what is in flight, then let clients go
    so they reconnect elsewhere."""
    ctx = app[CONTEXT]
    ctx.closing = True
    if ctx.commits is not None:
        await ctx.commits.stop()
    for sid in list(ctx.connections):
        await ctx.sio.disconnect(sid)
