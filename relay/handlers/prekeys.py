"""prekeys_upload, prekeys_fetch, prekeys_status: the directory that lets a device start an
end-to-end encrypted session with another device that is offline (X3DH, docs/e2e.md §3).

The relay stores public keys as opaque bytes and checks nothing about them: the fetching
client verifies every signature against the identity it expects, so a lying relay can
withhold keys but never substitute them unnoticed.
"""

from __future__ import annotations

import struct
from typing import Any

from groups.log import MAX_FACILITATORS, MAX_HANDLES_PER_MEMBER, MAX_MEMBERS
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.ids import DEVICE_ID
from relay.limits import TokenBucket
from relay.notify import device_room
from relay.validate import require_object, text_field

MAX_SIGNED_BYTES = 512  # the v1 signed part is 229 bytes; room for a later version
MAX_UPLOAD = 100  # one-time prekeys per upload
MAX_STORED = 500  # one-time prekeys per device
LOW_WATER = 10  # at or below this, the device is told to upload more
KEY_BYTES = 32
MAX_KEY_ID = 2**32 - 2
# Every handle a group can hold: a newcomer fetches them all in one go.
GROUP_FETCH_BURST = (MAX_MEMBERS + MAX_FACILITATORS) * MAX_HANDLES_PER_MEMBER


def _parse_one_time(data: dict[str, Any]) -> list[tuple[int, bytes]]:
    ids, keys = data.get("one_time_ids", []), data.get("one_time_keys", b"")
    if not isinstance(ids, list) or not isinstance(keys, bytes):
        raise RelayError(Code.MALFORMED, "one_time_ids must be a list, one_time_keys binary.")
    if len(ids) > MAX_UPLOAD:
        raise RelayError(Code.TOO_MANY_PREKEYS, limit=MAX_UPLOAD)
    if len(keys) != KEY_BYTES * len(ids):
        raise RelayError(Code.MALFORMED, "one_time_keys must hold 32 bytes per id.")
    for key_id in ids:
        if isinstance(key_id, bool) or not isinstance(key_id, int) or not 1 <= key_id <= MAX_KEY_ID:
            raise RelayError(Code.MALFORMED, "one-time prekey ids are whole numbers 1..2^32-2.")
    if len(set(ids)) != len(ids):
        raise RelayError(Code.MALFORMED, "one-time prekey ids must be distinct.")
    return [(key_id, keys[i * KEY_BYTES : (i + 1) * KEY_BYTES]) for i, key_id in enumerate(ids)]


async def _owner_key(ctx: RelayContext, conn: Connection, data: dict[str, Any]) -> tuple[str, bool]:
    """Whose prekeys: the device's own, or (`as`) one of its group handles (docs/groups.md)."""
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if data.get("as") is None:
        return device.id, False
    handle = text_field(data, "as", DEVICE_ID)
    if await ctx.storage.handle_device(handle) != device.id:
        raise RelayError(Code.NOT_A_MEMBER)
    return handle, True


async def on_prekeys_upload(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    data = require_object(data)
    owner, group = await _owner_key(ctx, conn, data)
    signed = data.get("signed")
    if signed is not None and (
        not isinstance(signed, bytes) or not 0 < len(signed) <= MAX_SIGNED_BYTES
    ):
        raise RelayError(Code.MALFORMED, "signed must be binary, at most 512 bytes.")
    one_time = _parse_one_time(data)
    # A device's first signed prekey makes it reachable: its account's other devices (only
    # they) hear `devices_changed` again, so what they hand a new device (names, group
    # handles) can be encrypted for it now rather than failing for want of prekeys.
    first = signed is not None and not group and not (await ctx.storage.prekey_status(owner))[0]
    count = await ctx.storage.upload_prekeys(owner, signed, one_time, ctx.now(), MAX_STORED, group)
    if first and conn.device is not None:
        await _tell_own_devices(ctx, conn.device)
    return {"ok": True, "one_time": count}


async def _tell_own_devices(ctx: RelayContext, device: Any) -> None:
    """`devices_changed` to the account's other devices (issue 19 item 11), through their
    rooms so a device connected to another node hears it too."""
    for other in await ctx.storage.account_devices(device.org_id, device.account_id):
        if other != device.id:
            await ctx.sio.emit(
                "devices_changed", {"account": device.account_id}, room=device_room(other)
            )


async def on_prekeys_fetch(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """One bundle for a device the caller may send to, with one one-time prekey if any are
    left (taken for good: no two fetchers ever get the same one)."""
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    target = text_field(require_object(data), "device", DEVICE_ID)
    route = await ctx.may_send(device, target)
    # Group handles have a budget of their own: someone joining a full group fetches one
    # bundle per handle at once (59 for 30 people with 2 devices each).
    bucket = conn.fetch_bucket
    if route is not None and route.group:
        if conn.group_fetch_bucket is None:
            per_minute = ctx.config.limits.prekey_fetches_per_minute
            conn.group_fetch_bucket = TokenBucket(rate=per_minute / 60, burst=GROUP_FETCH_BURST)
        bucket = conn.group_fetch_bucket
    now = ctx.clock.now()
    if bucket is not None and not bucket.take(1, now):
        raise RelayError(
            Code.TOO_MANY_ATTEMPTS, retry_after_ms=int(bucket.retry_after(1, now) * 1000) + 1
        )
    if route is None:
        raise RelayError(Code.UNKNOWN_DEVICE)
    if not route.allowed:
        raise RelayError(Code(route.refusal) if route.refusal else Code.NOT_PERMITTED)
    signed, one_time, remaining = await ctx.storage.fetch_prekeys(target, route.group)
    # The v1 bundle (docs/e2e.md §2.5) ends with u32 one-time id (0 = none) and the key.
    tail = struct.pack(">I", one_time[0]) + one_time[1] if one_time else struct.pack(">I", 0)
    if one_time is not None and remaining <= LOW_WATER:
        if route.to_device is not None:  # a group handle: tell the device behind it
            await ctx.sio.emit(
                "prekeys_low",
                {"one_time": remaining, "as": target},
                room=device_room(route.to_device),
            )
        else:
            await tell_prekeys_low(ctx, target, remaining)
    return {"ok": True, "device": target, "bundle": signed + tail}


async def on_prekeys_status(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    owner, group = await _owner_key(ctx, conn, data if isinstance(data, dict) else {})
    signed, count = await ctx.storage.prekey_status(owner, group)
    return {"ok": True, "signed": signed, "one_time": count, "low_water": LOW_WATER}


async def tell_prekeys_low(ctx: RelayContext, device_id: str, remaining: int) -> None:
    """To the device's room, not a connection of this node: the fetcher may be on another
    node than the device whose prekeys it took (python-socketio's Redis manager carries
    a room emit across)."""
    await ctx.sio.emit("prekeys_low", {"one_time": remaining}, room=device_room(device_id))
