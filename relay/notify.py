"""Events the relay pushes to clients: deliver, delivered, case_changed, and the notice
before a connection is dropped (revoked / replaced / disabled)."""

from __future__ import annotations

import asyncio

from relay.connection import Connection
from relay.context import RelayContext
from relay.storage.base import StoredEnvelope

MAX_DELIVER_BYTES = 1024 * 1024  # keep each deliver frame well under clients' frame limits


async def emit_deliver(ctx: RelayContext, sid: str, envelopes: list[StoredEnvelope]) -> None:
    start = 0
    while start < len(envelopes):
        end, size = start, 0
        while end < len(envelopes) and (
            end == start or size + len(envelopes[end].body) <= MAX_DELIVER_BYTES
        ):
            size += len(envelopes[end].body)
            end += 1
        chunk = envelopes[start:end]
        await ctx.sio.emit(
            "deliver",
            {
                "envelopes": [
                    {"seq": e.seq, "id": e.envelope_id, "from": e.from_device, "size": len(e.body)}
                    for e in chunk
                ],
                "bodies": b"".join(e.body for e in chunk),
            },
            to=sid,
        )
        start = end


def device_room(device_id: str) -> str:
    """Every connection of a device is in this room, on whichever node it is (several
    nodes: python-socketio's Redis manager carries an emit to a room across)."""
    return f"device:{device_id}"


DELIVERED_COALESCE_S = 0.1  # people cannot see 100 ms; the relay saves one emit per ack


def note_delivered(ctx: RelayContext, acknowledged: list[tuple[str, str]]) -> None:
    """Tell each sender which of its envelopes a recipient device has acknowledged, so its
    app can show "afgeleverd". The relay learns nothing new by it (it deletes the envelope
    at the same moment); the sender learns that the recipient's device was online then.
    Notices are gathered for DELIVERED_COALESCE_S and sent as one event per sender: under
    load a device acknowledges every few milliseconds. Best effort: a sender that is not
    connected then is not told later."""
    first = not ctx.delivered_pending
    for sender, envelope_id in acknowledged:
        ctx.delivered_pending.setdefault(sender, []).append(envelope_id)
    if first and ctx.delivered_pending:
        loop = asyncio.get_running_loop()
        loop.call_later(DELIVERED_COALESCE_S, lambda: ctx.in_background(_flush_delivered(ctx)))


async def _flush_delivered(ctx: RelayContext) -> None:
    pending, ctx.delivered_pending = ctx.delivered_pending, {}
    # A group envelope's sender is a handle: the notice goes to the device behind it.
    # Senders connected here are devices; only the others need a look-up.
    elsewhere = [sender for sender in pending if sender not in ctx.by_device]
    behind = await ctx.storage.handle_devices(elsewhere) if elsewhere else {}
    for sender, ids in pending.items():
        await ctx.sio.emit("delivered", {"ids": ids}, room=device_room(behind.get(sender, sender)))


async def drop_connection(ctx: RelayContext, conn: Connection, reason: str) -> None:
    """Tell the client why, then disconnect it at once."""
    await ctx.sio.emit("revoked", {"reason": reason}, to=conn.sid)
    await ctx.sio.disconnect(conn.sid)


async def drop_devices(ctx: RelayContext, device_ids: list[str], reason: str) -> None:
    for device_id in device_ids:
        conn = ctx.by_device.get(device_id)
        if conn is not None:
            await drop_connection(ctx, conn, reason)


async def notify_devices_changed(ctx: RelayContext, account_id: str) -> None:
    """An account gained or lost a device: its correspondents must re-read its device list
    (and show a safety-number change), and so must its own other devices."""
    accounts = (*await ctx.storage.correspondents(account_id), account_id)
    for other in accounts:
        for sid in list(ctx.by_account.get(other, ())):
            await ctx.sio.emit("devices_changed", {"account": account_id}, to=sid)


async def notify_case_members(ctx: RelayContext, case_id: str, accounts: tuple[str, ...]) -> None:
    """Tell the connected devices of a case's members that its membership changed, so their
    apps refresh `case_list`. Carries only the case id."""
    for account_id in accounts:
        for sid in list(ctx.by_account.get(account_id, ())):
            await ctx.sio.emit("case_changed", {"case": case_id}, to=sid)
