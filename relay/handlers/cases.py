"""whoami, devices_list, case_list, colleagues_list, case_add_member, case_handover,
case_close, case_reopen, invite_create: what workers and caregivers do besides sending
envelopes."""

from __future__ import annotations

from typing import Any

from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by, reason_code
from relay.ids import SERVER_ID
from relay.invites import (
    INVITABLE_ROLES,
    invite_link,
    invite_subject,
    may_invite,
    new_token,
    token_hash,
)
from relay.notify import notify_case_members
from relay.storage.base import ROLES, DeviceRecord
from relay.validate import choice_field, require_object, text_field

CASE_KEEPERS = ("worker",)  # who adds to a case team or hands a case over
CASE_CLOSERS = ("worker", "admin")


def _device(conn: Connection, *roles: str) -> DeviceRecord:
    """The caller's device; with `roles`, refused unless it has one of them. The role is
    checked before the payload is read, so a caller without it learns nothing from how
    its payload would have been judged."""
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if roles and conn.device.role not in roles:
        raise RelayError(Code.NOT_PERMITTED)
    return conn.device


async def on_whoami(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn)
    return {
        "ok": True,
        "account": device.account_id,
        "device": device.id,
        "role": device.role,
        "org": device.org_id,
        "label": await ctx.storage.device_label(device.id),  # what this device calls itself
    }


async def on_devices_list(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """The active devices of an account the caller may send to (or of the caller itself)."""
    device = _device(conn)
    account_id = text_field(require_object(data), "account", SERVER_ID)
    devices = await ctx.storage.account_devices(device.org_id, account_id)
    if not devices:
        raise RelayError(Code.UNKNOWN_ACCOUNT)
    route = await ctx.may_send(device, devices[0])
    if route is not None and route.closed and not route.group:
        # Said as it is, so an app explains it instead of a bare "not sent" (issue 19 item 9).
        raise RelayError(Code.CASE_CLOSED)
    if route is None or not route.allowed:
        raise RelayError(Code.NOT_PERMITTED)
    return {"ok": True, "account": account_id, "devices": devices}


async def on_case_list(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn)
    cases = await ctx.storage.list_cases(device.account_id)
    # A closed case says by whom (a staff role and name), so the apps can explain it.
    closures = {c.id: await ctx.storage.case_closure(c.id) for c in cases if c.closed_at}
    return {
        "ok": True,
        "cases": [
            {
                **{k: v for k, v in closures.get(case.id, {}).items() if k.startswith("closed_by")},
                "id": case.id,
                "caregiver": case.caregiver_id,
                "members": [
                    {"account": m.account_id, "role": m.role, "devices": list(m.devices)}
                    for m in case.members
                ],
                "closed_at": case.closed_at,
                "caregiver_inactive_since": case.caregiver_flagged_at,
                "caregiver_last_active_day": case.caregiver_active_day,
            }
            for case in cases
        ],
    }


async def on_colleagues_list(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn, "worker", "admin")
    workers = await ctx.storage.colleagues(device.org_id)
    names = await ctx.storage.staff_names(device.org_id)  # staff names: organisation data
    return {"ok": True, "workers": workers, "names": {w: names[w] for w in workers if w in names}}


async def on_case_add_member(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn, *CASE_KEEPERS)
    data = require_object(data)
    case_id = text_field(data, "case", SERVER_ID)
    account_id = text_field(data, "account", SERVER_ID)
    audit = [by(conn, "case.member_added", [("case", case_id), ("account", account_id)])]
    change = await ctx.storage.add_case_member(device, case_id, account_id, ctx.now(), audit)
    ctx.forget_permissions()
    await notify_case_members(ctx, change.case_id, change.members)
    return {"ok": True, "case": change.case_id}


async def on_case_handover(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn, *CASE_KEEPERS)
    data = require_object(data)
    case_id = text_field(data, "case", SERVER_ID)
    to_account = text_field(data, "to", SERVER_ID)
    reason = reason_code(data)  # the worker's own choice: required
    audit = [
        by(conn, "case.handed_over", [("case", case_id), ("account", to_account)], reason=reason)
    ]
    change = await ctx.storage.handover_case(device, case_id, to_account, ctx.now(), audit)
    ctx.forget_permissions()
    await notify_case_members(ctx, change.case_id, change.members)
    return {"ok": True, "case": change.case_id}


async def _set_closed(ctx: RelayContext, conn: Connection, data: Any, closed: bool) -> dict:
    device = _device(conn, *CASE_CLOSERS)
    data = require_object(data)
    case_id = text_field(data, "case", SERVER_ID)
    reason = reason_code(data, "not_given")  # may be left out; the log then says so
    event = "case.closed" if closed else "case.reopened"
    audit = [by(conn, event, [("case", case_id)], reason=reason)]
    members = await ctx.storage.set_case_closed(device, case_id, closed, ctx.now(), audit)
    ctx.forget_permissions()
    await notify_case_members(ctx, case_id, members)
    (view,) = [c for c in await ctx.storage.org_cases(device.org_id) if c["id"] == case_id]
    return {"ok": True, "case": case_id, "closed_at": view.get("closed_at")}


async def on_case_close(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    return await _set_closed(ctx, conn, data, closed=True)


async def on_case_reopen(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    return await _set_closed(ctx, conn, data, closed=False)


async def on_invite_create(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn, *INVITABLE_ROLES)
    role = choice_field(require_object(data), "role", ROLES)
    if not may_invite(device.role, role):
        raise RelayError(Code.NOT_PERMITTED)
    token = new_token()
    now = ctx.now()
    expires_at = now + ctx.config.invite_ttl_s
    hashed = token_hash(token)
    await ctx.storage.create_invite(
        hashed,
        device.org_id,
        role,
        device.account_id,
        now,
        expires_at,
        created_by_device=device.id,  # the invite dies with this device (PROTOCOL §4.2)
        audit=[by(conn, "invite.created", [("invite", invite_subject(hashed))])],
    )
    return {
        "ok": True,
        "role": role,
        "token": token,
        "expires_at": expires_at,
        "link": invite_link(ctx.link_base(conn), token),
    }


DEVICE_LINK_TTL_S = 15 * 60  # linking a new phone happens on the spot: keep the window short


async def on_device_link_create(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """An invite that adds one more device to the caller's own account (same role)."""
    device = _device(conn)
    token = new_token()
    now = ctx.now()
    expires_at = now + DEVICE_LINK_TTL_S
    hashed = token_hash(token)
    await ctx.storage.create_invite(
        hashed,
        device.org_id,
        device.role,
        device.account_id,
        now,
        expires_at,
        for_account=device.account_id,
        created_by_device=device.id,  # a lost phone's unused link dies with it
        audit=[by(conn, "invite.created", [("invite", invite_subject(hashed))])],
    )
    return {
        "ok": True,
        "token": token,
        "expires_at": expires_at,
        "link": invite_link(ctx.link_base(conn), token),
    }
