"""blob_create, blob_fetch, blob_done: the socket side of attachments (PROTOCOL.md §4.17).
The bytes themselves travel over HTTP (relay/blobs/http.py) with the tokens made here."""

from __future__ import annotations

import secrets
from typing import Any

from relay.blobs import BLOB_ID, TOKEN_TTL_S, UNNAMED_TTL_S
from relay.blobs.tokens import DOWNLOAD, UPLOAD, Grant, make_token
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.session import device_budgets
from relay.ids import b64url
from relay.limits import TokenBucket
from relay.storage.base import BlobRecord, DeviceRecord
from relay.validate import int_field, require_object, text_field


def _device(conn: Connection) -> DeviceRecord:
    if conn.device is None:  # the dispatcher only calls us when authenticated
        raise RelayError(Code.NOT_AUTHENTICATED)
    return conn.device


async def _token(ctx: RelayContext, direction: str, blob: str, device: str) -> tuple[str, int]:
    expires_at = ctx.now() + TOKEN_TTL_S
    secret = await ctx.storage.blob_secret()
    return make_token(secret, Grant(direction, blob, device, expires_at)), expires_at


def _take_create_budget(ctx: RelayContext, device: DeviceRecord) -> None:
    """One token of the device's blob_create bucket, kept across reconnects (limits.py)."""
    budgets = device_budgets(ctx, device.id)
    if budgets.blob_create is None:
        per_minute = ctx.config.limits.blob_creates_per_minute
        budgets.blob_create = TokenBucket(rate=per_minute / 60, burst=per_minute)
    now = ctx.clock.now()
    if not budgets.blob_create.take(1, now):
        wait_ms = int(budgets.blob_create.retry_after(1, now) * 1000) + 1
        raise RelayError(Code.RATE_LIMITED, retry_after_ms=wait_ms)


async def _resume(ctx: RelayContext, device: DeviceRecord, blob_id: str) -> dict[str, Any]:
    """A fresh upload token for this device's own unfinished blob."""
    blob = await ctx.storage.blob(blob_id)
    if blob is None:
        raise RelayError(Code.UNKNOWN_BLOB)
    if blob.device_id != device.id or blob.complete:
        raise RelayError(Code.NOT_PERMITTED)
    token, expires_at = await _token(ctx, UPLOAD, blob.id, device.id)
    return {
        "ok": True,
        "blob": blob.id,
        "upload_token": token,
        "expires_at": expires_at,
        "size": blob.size,
        "offset": blob.received,
    }


async def on_blob_create(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    data = require_object(data)
    device = _device(conn)
    if "blob" in data:
        return await _resume(ctx, device, text_field(data, "blob", BLOB_ID))
    limits = ctx.config.limits
    size = data.get("size")
    if isinstance(size, int) and not isinstance(size, bool) and size > limits.max_blob_bytes:
        raise RelayError(Code.BLOB_TOO_LARGE, limit=limits.max_blob_bytes)
    size = int_field(data, "size", minimum=1, maximum=limits.max_blob_bytes)
    _take_create_budget(ctx, device)
    blob_id = b64url(secrets.token_bytes(16))
    now = ctx.now()
    await ctx.storage.create_blob(
        blob_id, device, size, now, now + UNNAMED_TTL_S, limits.blob_quota_bytes
    )
    token, expires_at = await _token(ctx, UPLOAD, blob_id, device.id)
    return {"ok": True, "blob": blob_id, "upload_token": token, "expires_at": expires_at}


async def may_fetch(ctx: RelayContext, device: DeviceRecord, blob: BlobRecord) -> bool:
    """A reader (a recipient of an envelope naming it), or a device of its uploader."""
    if blob.account_id == device.account_id:
        return True
    return await ctx.storage.is_blob_reader(blob.id, device.id)


async def on_blob_fetch(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    blob_id = text_field(require_object(data), "blob", BLOB_ID)
    device = _device(conn)
    blob = await ctx.storage.blob(blob_id)
    if blob is None or blob.expires_at <= ctx.now():  # expired: hidden before it is purged
        raise RelayError(Code.UNKNOWN_BLOB)
    if not await may_fetch(ctx, device, blob):
        raise RelayError(Code.NOT_PERMITTED)
    if not blob.complete:
        raise RelayError(Code.BLOB_INCOMPLETE)
    token, expires_at = await _token(ctx, DOWNLOAD, blob.id, device.id)
    return {
        "ok": True,
        "blob": blob.id,
        "download_token": token,
        "size": blob.size,
        "expires_at": expires_at,
    }


async def on_blob_done(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    blob_id = text_field(require_object(data), "blob", BLOB_ID)
    device = _device(conn)
    blob = await ctx.storage.blob(blob_id)
    if blob is None:
        raise RelayError(Code.UNKNOWN_BLOB)
    finished = await ctx.storage.blob_done(blob_id, device.id)
    if finished is None and blob.account_id != device.account_id:
        raise RelayError(Code.NOT_PERMITTED)
    return {"ok": True}
