"""Events the relay pushes to clients: deliver, delivered, case_changed, devices_changed,
and the notice before a connection is dropped (revoked / replaced / disabled / erased).

A decision that ends or narrows a live connection's rights holds for the whole cluster:
`drop_devices` and `tell_accounts` act on this node's connections at once and send the
same note to every other node (relay/fanout.py), which acts on its own connections when
the note arrives (`heard_from_other_node`), a Redis round trip later. A node that may have
missed notes while Redis was away re-reads the status of every device connected to it
(`recheck_connections`). Notes carry routing ids and reason codes only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import RelayError
from relay.ids import DEVICE_ID, SERVER_ID
from relay.storage.base import DeviceRecord, StoredEnvelope

log = logging.getLogger("steuntje.relay.notify")

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


# Why a connection is dropped: the `reason` of `revoked` (PROTOCOL.md §4).
DROP_REASONS = frozenset(
    {"device_revoked", "account_disabled", "account_revoked", "account_erased", "replaced"}
)
# What one node may ask another to tell an account's connections; nothing else is emitted.
TOLD_EVENTS = {"case_changed": "case", "devices_changed": "account"}


async def drop_devices(ctx: RelayContext, device_ids: Iterable[str], reason: str) -> None:
    """Drop these devices' connections on every node: here at once, elsewhere as soon as
    the note arrives."""
    device_ids = list(device_ids)
    if device_ids:
        _tell_other_nodes(ctx, {"drop": device_ids, "reason": reason})
    await _drop_here(ctx, device_ids, reason)


def replace_elsewhere(ctx: RelayContext, device_id: str) -> None:
    """The device signed in on this node: its older connection on another node closes
    with `replaced` (one connection per device holds across the cluster, PROTOCOL.md §2).
    This node's own older connection is dropped by `establish`."""
    _tell_other_nodes(ctx, {"drop": [device_id], "reason": "replaced"})


async def tell_accounts(
    ctx: RelayContext, accounts: Iterable[str], event: str, subject: str
) -> None:
    """Emit `event` (case_changed or devices_changed, carrying only the subject's id) to
    every connected device of these accounts, on every node."""
    accounts = list(dict.fromkeys(accounts))
    if accounts:
        _tell_other_nodes(ctx, {"tell": event, "subject": subject, "accounts": accounts})
    await _tell_here(ctx, accounts, event, subject)


async def notify_devices_changed(ctx: RelayContext, account_id: str) -> None:
    """An account gained or lost a device: its correspondents must re-read its device list
    (and show a safety-number change), and so must its own other devices."""
    accounts = (*await ctx.storage.correspondents(account_id), account_id)
    await tell_accounts(ctx, accounts, "devices_changed", account_id)


async def notify_case_members(ctx: RelayContext, case_id: str, accounts: tuple[str, ...]) -> None:
    """Tell the connected devices of a case's members that its membership changed, so their
    apps refresh `case_list`. Carries only the case id."""
    await tell_accounts(ctx, accounts, "case_changed", case_id)


# -- this node's part ----------------------------------------------------------------------


def _tell_other_nodes(ctx: RelayContext, note: dict[str, Any]) -> None:
    if ctx.tell_other_nodes is not None:  # None: a single node, or Redis not configured
        ctx.tell_other_nodes(note)


async def _drop_here(ctx: RelayContext, device_ids: Iterable[str], reason: str) -> None:
    for device_id in device_ids:
        conn = ctx.by_device.get(device_id)
        if conn is not None:
            await drop_connection(ctx, conn, reason)


async def _tell_here(ctx: RelayContext, accounts: Iterable[str], event: str, subject: str) -> None:
    data = {TOLD_EVENTS[event]: subject}
    for account_id in accounts:
        for sid in list(ctx.by_account.get(account_id, ())):
            await ctx.sio.emit(event, data, to=sid)


def heard_from_other_node(ctx: RelayContext, note: dict[str, object]) -> None:
    """Act on another node's note (fanout.RedisFanout.on_note). Anything not exactly a
    drop or a tell of the known kinds, with well-formed ids, is ignored: Redis is inside
    the private network, but a note must not make this node emit what it would not."""
    drop, reason = note.get("drop"), note.get("reason")
    if _ids(drop, DEVICE_ID) and reason in DROP_REASONS:
        ctx.in_background(_drop_here(ctx, drop, str(reason)))  # type: ignore[arg-type]
        return
    event, subject, accounts = note.get("tell"), note.get("subject"), note.get("accounts")
    if event in TOLD_EVENTS and _ids([subject], SERVER_ID) and _ids(accounts, SERVER_ID):
        ctx.in_background(_tell_here(ctx, accounts, str(event), str(subject)))  # type: ignore[arg-type]
        return
    log.warning("ignored a malformed note from another node")


def _ids(value: object, pattern: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) and pattern.fullmatch(item) for item in value
    )


def recheck_connections(ctx: RelayContext) -> None:
    """After Redis was away (fanout.RedisFanout.on_resubscribed): notes published then were
    lost, so look up every device connected here and drop those no longer allowed."""
    if ctx.by_device:
        ctx.in_background(_recheck(ctx))


async def _recheck(ctx: RelayContext) -> None:
    for device_id, conn in list(ctx.by_device.items()):
        try:
            record = await ctx.storage.device(device_id)
        except (RelayError, OSError) as exc:  # the database is away too: next resubscribe
            log.warning("could not recheck connected devices: %s", type(exc).__name__)
            return
        reason = refusal(record)
        if reason is not None and ctx.by_device.get(device_id) is conn:
            await drop_connection(ctx, conn, reason)


def refusal(record: DeviceRecord | None) -> str | None:
    """Why a device may no longer be connected (the `revoked` reason), or None."""
    if record is None:
        return "account_erased"
    if record.device_status == "revoked":
        return "device_revoked"
    if record.account_status in ("revoked", "disabled"):
        return "account_" + record.account_status
    return None
