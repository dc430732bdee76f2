"""group_create, group_join_prepare, group_join, group_change, group_list, group_info,
group_close: peer-support groups (docs/groups.md).

Every membership change is a signed record; the relay checks it with the same pure code the
clients use (groups/log.py) before it appends it, and applies only its routing
effect. A caller who is not a member hears `not_a_member` whether or not the group exists.
"""

from __future__ import annotations

import json
from typing import Any

from groups.log import (
    GROUP_ID,
    GroupState,
    InvalidRecord,
    SignedRecord,
    Ticket,
    apply_record,
    verify_device_proof,
)
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by, reason_code
from relay.handlers.policies import describe
from relay.ids import DEVICE_ID
from relay.notify import device_room
from relay.policies import effective_for
from relay.storage.base import DeviceRecord
from relay.storage.sqlite_groups import GroupEffect, Membership
from relay.validate import int_field, require_object

CREATORS = ("worker", "admin")  # who may start a group (and so facilitate it)
JOINERS = ("caregiver", "worker")
_AUDIT_EVENTS = {
    "join": "group.member_joined",
    "device": "group.device_added",
    "leave": "group.member_left",
    "remove": "group.member_removed",
    "role": "group.role_changed",
    "mute": "group.member_muted",
}


def _device(conn: Connection, *roles: str) -> DeviceRecord:
    """The caller's device; with `roles`, refused unless it has one of them. Checked before
    the payload is parsed: a caller who may never do this hears `not_permitted`, not how
    its record or ticket would have been judged."""
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if roles and conn.device.role not in roles:
        raise RelayError(Code.NOT_PERMITTED)
    return conn.device


def _refused(reason: str) -> RelayError:
    return RelayError(Code.GROUP_RECORD_REFUSED, reason=reason)


def _record(data: dict[str, Any]) -> tuple[SignedRecord, dict[str, Any]]:
    """The record in the event and its (not yet verified) fields."""
    try:
        record = SignedRecord.from_wire(data.get("record"))
        fields = json.loads(record.body)
    except InvalidRecord as error:
        raise _refused(error.reason) from None
    except ValueError:
        raise _refused("malformed") from None
    group = fields.get("group") if isinstance(fields, dict) else None
    if not isinstance(group, str) or not GROUP_ID.fullmatch(group):
        raise _refused("malformed")
    return record, fields


def _group_field(data: dict[str, Any]) -> str:
    group = data.get("group")
    if not isinstance(group, str) or not GROUP_ID.fullmatch(group):
        raise RelayError(Code.MALFORMED, "Field 'group' must be a group id (grp_…).")
    return group


async def group_state(ctx: RelayContext, group_id: str) -> GroupState:
    """The group as its stored log says, checked record by record; cached, and brought up
    to date from the database (another node may have appended)."""
    cached = ctx.group_states.get(group_id)
    state = cached
    for record in await ctx.storage.group_records(group_id, cached.seq if cached else 0):
        state = apply_record(state, record)
    if state is None:
        raise RelayError(Code.NOT_A_MEMBER)
    ctx.group_states[group_id] = state
    return state


async def _member(ctx: RelayContext, device: DeviceRecord, group_id: str) -> Membership:
    membership = await ctx.storage.group_membership(device, group_id)
    if membership is None:
        raise RelayError(Code.NOT_A_MEMBER)
    return membership


async def notify_group(
    ctx: RelayContext, group_id: str, seq: int, devices: tuple[str, ...]
) -> None:
    """Tell the devices of everyone in the group (and of anyone who just left it) that it
    changed: they fetch `group_info` with `since`. Carries the group id and seq only."""
    for device_id in devices:
        await ctx.sio.emit(
            "group_changed", {"group": group_id, "seq": seq}, room=device_room(device_id)
        )


async def tell_groups(ctx: RelayContext, group_ids: list[str]) -> None:
    """Handles stopped being routable in these groups (an account erased, disabled or
    revoked, a device revoked): the log did not change, but `group_info`'s `active` did,
    so every member's app should look again."""
    for group_id in group_ids:
        devices = await ctx.storage.group_member_devices(group_id)
        seq = (await group_state(ctx, group_id)).seq
        await notify_group(ctx, group_id, seq, devices)


def _apply(state: GroupState | None, record: SignedRecord, now: int) -> GroupState:
    try:
        return apply_record(state, record, now)
    except InvalidRecord as error:
        raise _refused(error.reason) from None


async def on_group_create(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn, *CREATORS)
    record, fields = _record(require_object(data))
    if fields.get("op") != "create":
        raise _refused("malformed")
    state = _apply(None, record, ctx.now())
    group_id = state.group
    audit = [by(conn, "group.created", [("group", group_id)])]
    await ctx.storage.group_create(device, record, group_id, fields["by"], ctx.now(), audit)
    ctx.group_states[group_id] = state
    ctx.forget_permissions()
    return {"ok": True, "group": group_id, "seq": 1, "member": fields["by"]}


async def _check_ticket(
    ctx: RelayContext, device: DeviceRecord, ticket: Ticket
) -> tuple[str, GroupState]:
    """The group a ticket admits to, if it still does. An unknown group or one of another
    organisation looks exactly like a forged ticket. A ticket whose signer was in the
    group but can no longer issue tickets (left, removed, no longer a facilitator, device
    revoked, account disabled) is `invite_revoked`: it dies with its facilitator."""
    try:
        fields = ticket.fields()
    except InvalidRecord as error:
        raise _refused(error.reason) from None
    group_id = fields["group"]
    if await ctx.storage.group_org(group_id) != device.org_id:
        raise _refused("ticket_invalid")
    state = await group_state(ctx, group_id)
    issuer = state.owner(ticket.by)
    if issuer is None and ticket.by not in state.retired:
        raise _refused("ticket_invalid")  # never a handle in this group: forged
    if fields["nonce"] in state.used_tickets:
        raise _refused("ticket_used")
    if fields["expires"] < ctx.now():
        raise _refused("ticket_expired")
    if (
        issuer is None
        or issuer.role != "facilitator"
        or not await ctx.storage.group_ticket_issuer_active(group_id, ticket.by)
    ):
        raise RelayError(Code.INVITE_REVOKED)
    if await ctx.storage.group_membership(device, group_id) is not None:
        raise RelayError(Code.ALREADY_MEMBER)
    return group_id, state


async def on_group_join_prepare(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn, *JOINERS)
    try:
        ticket = Ticket.from_wire(require_object(data).get("ticket"))
    except InvalidRecord as error:
        raise _refused(error.reason) from None
    group_id, state = await _check_ticket(ctx, device, ticket)
    return {"ok": True, "group": group_id, "seq": state.seq + 1, "prev": state.head}


async def on_group_join(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn, *JOINERS)
    record, fields = _record(require_object(data))
    if fields.get("op") != "join":
        raise _refused("malformed")
    try:
        ticket = Ticket.from_wire(fields.get("ticket"))
    except InvalidRecord as error:
        raise _refused(error.reason) from None
    group_id, state = await _check_ticket(ctx, device, ticket)
    if group_id != fields["group"]:
        raise _refused("ticket_invalid")
    after = _apply(state, record, ctx.now())
    handle = fields["by"]
    effect = GroupEffect(
        "join",
        handle,
        handle=handle,
        device_id=device.id,
        account_id=device.account_id,
        ticket_by=ticket.by,
    )
    return await _append(ctx, conn, after, record, effect)


async def _append(
    ctx: RelayContext,
    conn: Connection,
    after: GroupState,
    record: SignedRecord,
    effect: GroupEffect,
) -> dict[str, Any]:
    audit = [by(conn, _AUDIT_EVENTS[effect.op], [("group", after.group)])]
    change = await ctx.storage.group_append(
        after.group, after.seq, record, effect, ctx.now(), audit
    )
    ctx.group_states[after.group] = after
    ctx.forget_permissions()
    await notify_group(ctx, after.group, after.seq, change.devices)
    return {"ok": True, "group": after.group, "seq": after.seq, "member": effect.member}


async def on_group_change(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """device, leave, remove, role, mute: signed by a handle of the calling device."""
    device = _device(conn)
    data = require_object(data)
    record, fields = _record(data)
    op = fields.get("op")
    if op not in ("device", "leave", "remove", "role", "mute"):
        raise _refused("malformed")
    membership = await _member(ctx, device, fields["group"])
    if fields.get("by") not in membership.handles:
        # A record signed elsewhere and replayed from this device: refuse it, so that
        # every change is made from the device that holds the signing key.
        raise RelayError(Code.NOT_PERMITTED)
    state = await group_state(ctx, fields["group"])
    after = _apply(state, record, ctx.now())
    member = fields["member"]
    if op == "device":
        new_device = data.get("device")
        if not isinstance(new_device, str) or not DEVICE_ID.fullmatch(new_device):
            raise RelayError(Code.MALFORMED, "Field 'device' must be a device id.")
        if not verify_device_proof(record, fields["handle"], data.get("proof")):
            raise _refused("bad_proof")
        target = await ctx.storage.device(new_device)
        if (
            target is None
            or target.account_id != device.account_id
            or target.device_status != "active"
        ):
            raise RelayError(Code.NOT_PERMITTED)
        effect = GroupEffect("device", member, handle=fields["handle"], device_id=new_device)
    elif op == "role":
        effect = GroupEffect("role", member, role=fields["role"])
    elif op == "mute":
        effect = GroupEffect("mute", member, muted_until=fields["until"])
    else:
        effect = GroupEffect(op, member)
    return await _append(ctx, conn, after, record, effect)


async def on_group_list(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn)
    return {
        "ok": True,
        "groups": [
            {
                "group": m.group_id,
                "member": m.member_id,
                "role": m.role,
                "handles": list(m.handles),
                "seq": m.seq,
                "closed_at": m.closed_at,
            }
            for m in await ctx.storage.group_memberships(device)
        ],
    }


async def on_group_info(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _device(conn)
    data = require_object(data)
    group_id = _group_field(data)
    since = int_field(data, "since", minimum=0) if "since" in data else 0
    membership = await _member(ctx, device, group_id)
    state = await group_state(ctx, group_id)
    now = ctx.now()
    return {
        "ok": True,
        "group": group_id,
        "seq": state.seq,
        "records": [r.to_wire() for r in await ctx.storage.group_records(group_id, since)],
        "active": await ctx.storage.group_active_handles(group_id),
        "muted": {m.id: m.muted_until for m in state.members.values() if m.muted_until > now},
        "policy": describe(await effective_for(ctx, group_id)),
        "closed_at": membership.closed_at,
    }


async def on_group_close(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """A facilitator who is a worker, or an admin, closes the group: nobody can send in it
    any more and its retention clock starts (closed_case_lifetime, as for cases)."""
    device = _device(conn, *CREATORS)  # a worker facilitating, or an admin; nobody else
    group_id = _group_field(require_object(data))
    if device.role == "admin":
        if await ctx.storage.group_org(group_id) != device.org_id:
            raise RelayError(Code.NOT_A_MEMBER)
    else:
        membership = await _member(ctx, device, group_id)
        if membership.role != "facilitator" or device.role != "worker":
            raise RelayError(Code.NOT_PERMITTED)
    reason = reason_code(require_object(data), "not_given")  # optional: never invented
    now = ctx.now()
    audit = [by(conn, "group.closed", [("group", group_id)], reason=reason)]
    devices = await ctx.storage.group_set_closed(group_id, now, now, audit)
    ctx.forget_permissions()
    state = await group_state(ctx, group_id)
    await notify_group(ctx, group_id, state.seq, devices)
    return {"ok": True, "group": group_id, "closed_at": now}
