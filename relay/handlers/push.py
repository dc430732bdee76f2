"""push_key, push_subscribe, push_unsubscribe: a device asks to be woken by Web Push
(docs/notifications.md, PROTOCOL.md §"Notifications").

The relay keeps the browser's subscription, the device's hint key, its quiet hours and
muted conversations; it never puts anything about a message into a push.
"""

from __future__ import annotations

import re
from typing import Any

from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.ids import unb64url
from relay.push.payload import DAY_MINUTES
from relay.storage.sqlite_push import PushSubscription
from relay.validate import require_object, text_field

MAX_ENDPOINT = 1024  # real endpoints are 150-500 characters
MAX_MUTED = 200
HINT = re.compile(r"[A-Za-z0-9_-]{16}")  # base64url of payload.HINT_BYTES (12)


def _key(data: dict[str, Any], name: str, size: int) -> bytes:
    try:
        raw = unb64url(text_field(data, name))
    except ValueError:
        raw = b""
    if len(raw) != size or (name == "p256dh" and raw[0] != 4):
        raise RelayError(Code.MALFORMED, f"Field {name!r} must be {size} bytes in base64url.")
    return raw


def _quiet(data: dict[str, Any]) -> tuple[int | None, int | None]:
    quiet_from, quiet_until = data.get("quiet_from"), data.get("quiet_until")
    if quiet_from is None and quiet_until is None:
        return None, None
    for value in (quiet_from, quiet_until):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < DAY_MINUTES:
            raise RelayError(
                Code.MALFORMED,
                "quiet_from and quiet_until are both minutes after 00:00 UTC (0..1439), or"
                " both absent.",
            )
    return quiet_from, quiet_until


def _muted(data: dict[str, Any]) -> tuple[str, ...]:
    muted = data.get("muted", [])
    if (
        not isinstance(muted, list)
        or len(muted) > MAX_MUTED
        or not all(isinstance(h, str) and HINT.fullmatch(h) for h in muted)
    ):
        raise RelayError(
            Code.MALFORMED, f"muted is a list of at most {MAX_MUTED} conversation hints."
        )
    return tuple(sorted(set(muted)))


def _device_id(conn: Connection) -> str:
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    return conn.device.id


async def on_push_key(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """The relay's VAPID public key, for PushManager.subscribe's applicationServerKey."""
    _device_id(conn)
    return {"ok": True, "key": ctx.push.application_server_key}


async def on_push_subscribe(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device_id = _device_id(conn)
    data = require_object(data)
    endpoint = text_field(data, "endpoint")
    if len(endpoint) > MAX_ENDPOINT:
        raise RelayError(Code.MALFORMED, f"endpoint is at most {MAX_ENDPOINT} characters.")
    if not ctx.push.settings.allows(endpoint):
        raise RelayError(Code.PUSH_SERVICE_REFUSED)
    quiet_from, quiet_until = _quiet(data)
    subscription = PushSubscription(
        endpoint=endpoint,
        p256dh=_key(data, "p256dh", 65),
        auth=_key(data, "auth", 16),
        hint_key=_key(data, "hint_key", 32),
        quiet_from=quiet_from,
        quiet_until=quiet_until,
        muted=_muted(data),
    )
    now = ctx.now()
    expires_at = now + ctx.push.settings.subscription_ttl_s
    await ctx.storage.push_subscribe(device_id, subscription, now, expires_at)
    return {"ok": True, "expires_at": expires_at}


async def on_push_unsubscribe(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device_id = _device_id(conn)
    require_object(data)
    return {"ok": True, "removed": await ctx.storage.push_unsubscribe(device_id)}
