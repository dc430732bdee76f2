"""challenge, auth, register: turning a fresh connection into an authenticated device."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from relay.auth import new_nonce, signature_valid
from relay.connection import Connection, State
from relay.context import RelayContext
from relay.delivery import DeviceStream
from relay.errors import Code, RelayError
from relay.handlers.prekeys import GROUP_FETCH_BURST, LOW_WATER, tell_prekeys_low
from relay.handlers.recovery import after_recovery
from relay.ids import DEVICE_ID, SERVER_ID, b64url, unb64url
from relay.invites import token_hash
from relay.limits import DeviceBudgets, TokenBucket
from relay.notify import (
    device_room,
    drop_connection,
    emit_deliver,
    notify_case_members,
    notify_devices_changed,
    replace_elsewhere,
)
from relay.storage.base import KEEP_ALL, KEEP_ALL_DEVICES, DeviceRecord, StoredEnvelope
from relay.validate import require_object, text_field

log = logging.getLogger("steuntje.relay.session")

PROTOCOL_VERSION = 1
INVITE_BUCKETS_MAX = 10_000  # addresses remembered for invite-attempt limits
MAX_KEPT_DEVICES = 16  # more than any account has


def forget_idle_buckets(ctx: RelayContext) -> None:
    """Drop the buckets of addresses that are back to a full budget: they hold nothing worth
    remembering, and keeping every address ever seen would grow without bound."""
    now = ctx.clock.now()
    full = [
        address
        for address, bucket in ctx.invite_buckets.items()
        if bucket.retry_after(bucket.burst, now) == 0
    ]
    for address in full:
        del ctx.invite_buckets[address]
    if len(ctx.invite_buckets) >= INVITE_BUCKETS_MAX:  # a flood from many addresses
        ctx.invite_buckets.clear()


INVITE_PROBLEMS = frozenset(
    {
        Code.INVITE_INVALID,
        Code.INVITE_EXPIRED,
        Code.INVITE_USED,
        Code.INVITE_REVOKED,
        Code.INVITE_WRONG_ACCOUNT,
        Code.BAD_SIGNATURE,
        Code.MALFORMED,
    }
)


async def on_challenge(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    conn.nonce = new_nonce()
    return {
        "ok": True,
        "nonce": b64url(conn.nonce),
        "relay": b64url(ctx.relay_id),
        "protocol": PROTOCOL_VERSION,
    }


def _verified_device(conn: Connection, data: dict[str, Any], relay_id: bytes) -> str:
    """The device id whose key signed this connection's challenge; consumes the challenge."""
    nonce, conn.nonce = conn.nonce, None  # one use, whatever the outcome: no replay
    if nonce is None:
        raise RelayError(Code.NO_CHALLENGE)
    device_id = text_field(data, "device", DEVICE_ID)
    try:
        signature = unb64url(text_field(data, "signature"))
    except ValueError:
        raise RelayError(Code.MALFORMED, "Field 'signature' must be base64url.") from None
    if not signature_valid(unb64url(device_id), relay_id, nonce, signature):
        raise RelayError(Code.BAD_SIGNATURE)
    return device_id


async def on_auth(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    data = require_object(data)
    device_id = _verified_device(conn, data, ctx.relay_id)
    record = await ctx.storage.device(device_id)
    if record is None:
        raise RelayError(Code.UNKNOWN_DEVICE)
    if record.device_status == "revoked" or record.account_status == "revoked":
        raise RelayError(Code.DEVICE_REVOKED)
    if record.account_status == "disabled":
        raise RelayError(Code.ACCOUNT_DISABLED)
    await establish(ctx, conn, record)
    has_signed, one_time = await ctx.storage.prekey_status(record.id)
    if has_signed and one_time <= LOW_WATER:
        await tell_prekeys_low(ctx, record.id, one_time)
    return {"ok": True, **whoami(record)}


async def on_register(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    data = require_object(data)
    limits = ctx.config.limits
    if len(ctx.invite_buckets) >= INVITE_BUCKETS_MAX:
        forget_idle_buckets(ctx)
    bucket = ctx.invite_buckets.setdefault(
        conn.remote,
        TokenBucket(
            rate=limits.invite_attempts_per_minute / 60, burst=limits.invite_attempts_per_minute
        ),
    )
    now = ctx.clock.now()
    if bucket.retry_after(1, now) > 0:
        raise RelayError(
            Code.TOO_MANY_ATTEMPTS, retry_after_ms=int(bucket.retry_after(1, now) * 1000) + 1
        )
    try:
        device_id = _verified_device(conn, data, ctx.relay_id)
        try:
            hashed = token_hash(text_field(data, "invite"))
        except ValueError:
            raise RelayError(Code.INVITE_INVALID) from None
        expect_account, keep = _recovery_fields(data)
        registration = await ctx.storage.redeem_invite(
            hashed, device_id, ctx.now(), expect_account, keep
        )
    except RelayError as error:
        if error.code in INVITE_PROBLEMS:
            bucket.take(1, now)  # only failures count: a guesser fails, a real person does not
        raise
    ctx.forget_permissions()
    record = DeviceRecord(
        device_id,
        registration.account_id,
        registration.org_id,
        registration.role,
        "active",
        "active",
    )
    await establish(ctx, conn, record)
    if registration.case_id is not None:
        await notify_case_members(ctx, registration.case_id, registration.case_members)
    await after_recovery(ctx, registration)  # nothing unless it revoked old devices
    if registration.linked:
        await notify_devices_changed(ctx, registration.account_id)
    return {"ok": True, **whoami(record), "case": registration.case_id}


def _recovery_fields(data: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """`account` (the account a recovery link names) and `keep_devices` (old devices the
    caregiver keeps), both optional; only a recovery invite reads them (§4.2)."""
    account = text_field(data, "account", SERVER_ID) if "account" in data else None
    keep = data.get("keep_devices", [])
    # "all": the caregiver's old phone still works and they keep it, without the new
    # device having to know the old devices' ids (it learns them only once registered).
    if keep == KEEP_ALL:
        return account, KEEP_ALL_DEVICES
    if not isinstance(keep, list) or len(keep) > MAX_KEPT_DEVICES:
        raise RelayError(Code.MALFORMED, "Field 'keep_devices' must be a short list.")
    if not all(isinstance(d, str) and DEVICE_ID.fullmatch(d) for d in keep):
        raise RelayError(Code.MALFORMED, "Field 'keep_devices' must hold device ids.")
    return account, tuple(keep)


def whoami(record: DeviceRecord) -> dict[str, Any]:
    return {
        "account": record.account_id,
        "device": record.id,
        "role": record.role,
        "org": record.org_id,
    }


def device_budgets(ctx: RelayContext, device_id: str) -> DeviceBudgets:
    """The device's buckets, made full on its first sign-in since the relay started and
    handed to every later connection of it (PROTOCOL.md §4.3, §4.8)."""
    budgets = ctx.device_budgets.get(device_id)
    if budgets is None:
        limits = ctx.config.limits
        per_minute = limits.prekey_fetches_per_minute
        budgets = DeviceBudgets(
            send=TokenBucket(rate=limits.send_rate_per_s, burst=limits.send_burst),
            fetch=TokenBucket(rate=per_minute / 60, burst=per_minute),
            group_fetch=TokenBucket(rate=per_minute / 60, burst=GROUP_FETCH_BURST),
        )
        ctx.device_budgets[device_id] = budgets
    return budgets


async def establish(ctx: RelayContext, conn: Connection, record: DeviceRecord) -> None:
    """Bind the connection to the device and start delivering its mailbox."""
    previous = ctx.by_device.get(record.id)
    if previous is not None and previous is not conn:
        # One connection per device: the newest wins (the old one is usually a dead socket).
        await drop_connection(ctx, previous, "replaced")
    replace_elsewhere(ctx, record.id)  # and its older connection on another node, if any
    if len(ctx.by_account[record.account_id]) >= ctx.config.limits.connections_per_account:
        raise RelayError(Code.TOO_MANY_CONNECTIONS)
    if conn.auth_timer is not None:
        conn.auth_timer.cancel()
        conn.auth_timer = None
    limits = ctx.config.limits
    conn.device = record
    budgets = device_budgets(ctx, record.id)
    conn.send_bucket = budgets.send
    conn.fetch_bucket = budgets.fetch
    conn.group_fetch_bucket = budgets.group_fetch
    ctx.by_device[record.id] = conn
    ctx.by_account[record.account_id].add(conn.sid)
    await ctx.sio.enter_room(conn.sid, device_room(record.id))  # for `delivered`
    if await ctx.note_active(record.account_id, record.id):
        # Back before the account was removed for inactivity: its workers see the flag go.
        for case in await ctx.storage.list_cases(record.account_id):
            await notify_case_members(ctx, case.id, tuple(m.account_id for m in case.members))

    async def read(device_id: str, after: int, limit: int) -> list[StoredEnvelope]:
        return await ctx.storage.read_mailbox(device_id, after, limit, ctx.now())

    conn.stream = DeviceStream(
        record.id,
        partial(emit_deliver, ctx, conn.sid),
        read,
        window=limits.delivery_window,
        batch=limits.drain_batch,
        acked=record.acked_seq,
        window_bytes=limits.delivery_window_bytes,
    )
    ctx.router.attach(conn.stream)
    # Authenticated from here on, not only once the reply is sent: the stream may deliver
    # before the reply, and a client that acknowledges at once must not be refused.
    conn.state = State.AUTHENTICATED
    conn.stream.start()
