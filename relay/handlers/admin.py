"""admin_accounts, admin_set_account_status, admin_revoke_device: an organisation's admin
manages accounts and devices (names and labels: relay/handlers/staff.py). Every change takes
effect on live connections at once, on every node (relay/notify.py)."""

from __future__ import annotations

from typing import Any

from relay.connection import Connection, State
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by, reason_code
from relay.handlers.groups import tell_groups
from relay.ids import DEVICE_ID, SERVER_ID
from relay.notify import drop_connection, drop_devices, notify_devices_changed
from relay.storage.base import DeviceRecord
from relay.validate import choice_field, require_object, text_field

ACCOUNT_STATUSES = ("active", "disabled", "revoked")


def _admin(conn: Connection) -> DeviceRecord:
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role != "admin":
        raise RelayError(Code.NOT_PERMITTED)
    return conn.device


async def on_admin_accounts(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    admin = _admin(conn)
    accounts = await ctx.storage.list_accounts(admin.org_id)
    names = await ctx.storage.staff_names(admin.org_id)
    devices = await ctx.storage.account_devices_view([a.id for a in accounts])
    return {
        "ok": True,
        "accounts": [
            {
                "id": a.id,
                "role": a.role,
                "status": a.status,
                "created_at": a.created_at,
                "name": names.get(a.id),
                "devices": [_device_view(ctx, d, names) for d in devices[a.id]],
            }
            for a in accounts
        ],
    }


def _device_view(ctx: RelayContext, device: Any, names: dict[str, str]) -> dict[str, Any]:
    """A device as the admin sees it: its own label, when it was added and last seen (a
    day), and for a revoked one when, by whom and why (the device history)."""
    view: dict[str, Any] = {
        "id": device.id,
        "status": device.status,
        "online": device.id in ctx.by_device,
        "label": device.label,
        "added_at": device.created_at,
        "seen_day": device.seen_day,
    }
    if device.status == "revoked":
        view["revoked_at"] = device.revoked_at
        view["revoked_by"] = device.revoked_by  # None: the relay itself (a recovery)
        view["revoked_by_name"] = names.get(device.revoked_by or "")
        view["revoke_reason"] = device.revoke_reason
    return view


async def on_admin_set_account_status(
    ctx: RelayContext,
    conn: Connection,
    data: Any,
) -> dict[str, Any]:
    admin = _admin(conn)
    data = require_object(data)
    account_id = text_field(data, "account", SERVER_ID)
    status = choice_field(data, "status", ACCOUNT_STATUSES)
    audit = [
        by(
            conn,
            "account.status_changed",
            [("account", account_id)],
            reason=reason_code(data),  # the admin's own choice: required
        )
    ]
    devices = await ctx.storage.set_account_status(
        admin.org_id, account_id, status, ctx.now(), audit
    )
    ctx.forget_permissions()
    await tell_groups(ctx, await ctx.storage.account_groups(account_id))  # `active` changed
    if status != "active":
        await drop_devices(ctx, [d for d in devices if d != admin.id], "account_" + status)
    if status == "revoked":
        await notify_devices_changed(ctx, account_id)
    if status != "active" and admin.id in devices:  # an admin closing their own account
        _drop_after_reply(ctx, conn, "account_" + status)
    return {"ok": True, "account": account_id, "status": status}


async def on_admin_revoke_device(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    admin = _admin(conn)
    data = require_object(data)
    device_id = text_field(data, "device", DEVICE_ID)
    audit = [by(conn, "device.revoked", [("device", device_id)], reason=reason_code(data))]
    account_id = await ctx.storage.revoke_device(admin.org_id, device_id, ctx.now(), audit)
    ctx.forget_permissions()
    await tell_groups(ctx, await ctx.storage.account_groups(account_id))  # its handles went
    if device_id != admin.id:
        await drop_devices(ctx, [device_id], "device_revoked")
    await notify_devices_changed(ctx, account_id)
    if device_id == admin.id:  # an admin revoking the device they are using
        _drop_after_reply(ctx, conn, "device_revoked")
    return {"ok": True, "device": device_id}


def _drop_after_reply(ctx: RelayContext, conn: Connection, reason: str) -> None:
    """The caller's own connection loses its rights: nothing more is accepted from it, and
    it is dropped on the next loop turn, after the reply is queued on its socket (so the
    caller must not await anything after this). Its device is connected here, so no other
    node needs telling."""
    conn.state = State.CLOSED
    ctx.in_background(drop_connection(ctx, conn, reason))
