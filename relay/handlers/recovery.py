"""recovery_create, and what a redeemed recovery invite sets off (issue 20, PROTOCOL.md
§4.2 "Recovery").

A caregiver's keys live only in their phone's browser storage. When it is gone, a worker
on their case makes a recovery invite; redeeming it (`register` with `account`) adds the
new device to the same account and revokes the old devices, so the case, its policy and
its history continue. Peers see it as a device change (`devices_changed`) and show a new
safety number; senders of envelopes still waiting for the revoked devices are told
(`undeliverable`) so they can send them again to the new device.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from typing import Any

from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by
from relay.handlers.groups import tell_groups
from relay.ids import SERVER_ID
from relay.invites import invite_link, invite_subject, new_token, token_hash
from relay.notify import device_room, drop_devices
from relay.policies import load
from relay.storage.base import Registration
from relay.validate import require_object, text_field

RECOVERY_TTL_S = 24 * 60 * 60  # long enough to arrange a video call, short for a bearer token
RECOVERY_ISSUERS = ("worker",)  # on the caregiver's case; checked in the storage transaction
# A recovery id a worker reads out to a colleague: 8 letters and digits without look-alikes
# (no 0/O, 1/I/L), shown as ABCD-EFGH. It names the invite, it cannot redeem it.
ID_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECOVERY_ID = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")


def new_recovery_id() -> str:
    letters = "".join(secrets.choice(ID_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def recovery_link(base: str, token: str, account_id: str) -> str:
    """The invite link with the account it is for: the redeeming client repeats it, and
    the relay refuses a recovery link redeemed as if it were for someone else."""
    return f"{invite_link(base, token)}&account={account_id}"


async def on_recovery_create(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role not in RECOVERY_ISSUERS:
        raise RelayError(Code.NOT_PERMITTED)
    account_id = text_field(require_object(data), "account", SERVER_ID)
    token = new_token()
    now = ctx.now()
    expires_at = now + RECOVERY_TTL_S
    hashed = token_hash(token)
    invite = invite_subject(hashed)
    audit = [by(conn, "recovery.created", [("invite", invite), ("account", account_id)])]
    organisation, _, _ = await load(ctx)
    needs_approval = organisation.recovery_needs_approval
    recovery_id = new_recovery_id()
    case_id = await ctx.storage.create_recovery(
        hashed,
        conn.device,
        account_id,
        now,
        expires_at,
        audit,
        recovery_id=recovery_id,
        needs_approval=needs_approval,
    )
    return {
        "ok": True,
        "account": account_id,
        "case": case_id,
        "token": token,
        "expires_at": expires_at,
        "link": recovery_link(ctx.link_base(conn), token, account_id),
        "recovery_id": recovery_id,
        "approval": "pending" if needs_approval else "not_needed",
    }


async def on_recovery_approve(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """The second pair of eyes (policy recovery_issuers = case_workers_with_approval): an
    active worker of the organisation, not the issuer, approves a pending recovery invite
    by the recovery id its issuer told them."""
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role != "worker":
        raise RelayError(Code.NOT_PERMITTED)
    recovery_id = text_field(require_object(data), "recovery_id", RECOVERY_ID)
    audit = by(conn, "recovery.approved", [])
    account_id, case_id = await ctx.storage.approve_recovery(
        recovery_id, conn.device, ctx.now(), audit
    )
    return {"ok": True, "account": account_id, "case": case_id, "recovery_id": recovery_id}


async def after_recovery(ctx: RelayContext, registration: Registration) -> None:
    """The old devices lose their connections everywhere, their groups look again (their
    handles went), and senders hear which envelopes will never reach them. The caller
    (session.on_register) sends devices_changed and case_changed."""
    if not registration.revoked:
        return
    ctx.forget_permissions()
    await drop_devices(ctx, registration.revoked, "device_revoked")
    await tell_groups(ctx, await ctx.storage.account_groups(registration.account_id))
    await tell_undeliverable(ctx, registration.undeliverable)


async def tell_undeliverable(ctx: RelayContext, dropped: tuple[tuple[str, str], ...]) -> None:
    """Best effort, like `delivered`: a sender connected now re-sends to the new device at
    once; one that is not never sees those envelopes marked delivered (PROTOCOL.md §4.2)."""
    by_sender: dict[str, list[str]] = defaultdict(list)
    for sender, envelope_id in dropped:
        by_sender[sender].append(envelope_id)
    # A group envelope's sender is a handle: the notice goes to the device behind it.
    behind = await ctx.storage.handle_devices(list(by_sender)) if by_sender else {}
    for sender, ids in by_sender.items():
        room = device_room(behind.get(sender, sender))
        await ctx.sio.emit("undeliverable", {"ids": ids}, room=room)
