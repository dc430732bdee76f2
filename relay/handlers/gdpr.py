"""account_export, account_erase: a person's GDPR rights of access (Art. 15/20) and
erasure (Art. 17), from their own device."""

from __future__ import annotations

from typing import Any

from relay.connection import Connection, State
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.export_page import render
from relay.handlers.audit_access import access_view, entries_about
from relay.handlers.auditing import by, reason_code
from relay.handlers.groups import tell_groups
from relay.ids import SERVER_ID, new_id
from relay.notify import drop_connection, drop_devices, tell_accounts
from relay.policies import effective_for
from relay.storage.audit_store import AuditDraft
from relay.validate import require_object, text_field

# Workers, officers and admins are employees: their accounts are the organisation's to close.
SELF_ERASABLE_ROLES = ("caregiver",)


async def on_account_export(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    # Recorded before the data is read and returned.
    await ctx.storage.record(
        [
            by(
                conn,
                "export.made",
                [("export", new_id("export")), ("account", device.account_id)],
                reason="data_subject_request",
            )
        ],
        ctx.now(),
    )
    export = await _with_log(ctx, await ctx.storage.account_export(device.account_id))
    return {"ok": True, "export": export, "html": render(export, ctx.now())}


async def _with_log(ctx: RelayContext, export: dict[str, Any]) -> dict[str, Any]:
    """The export with the audit entries about the person (Art. 15: who did what with
    their data, when and why), this download's own entry included, and the lifetime of
    messages waiting for them."""
    names, rows = await entries_about(ctx, export["account"]["id"])
    # How long a message waits for them at most: their cases' lifetimes under the policy
    # the organisation set (the longest, if their cases differ), never a built-in figure.
    cases = [c["id"] for c in export["cases"]] or [None]
    lifetime = max([(await effective_for(ctx, c)).envelope_lifetime for c in cases])
    return {**export, "audit": access_view(names, rows), "envelope_lifetime_s": lifetime}


async def on_account_erase(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if device.role not in SELF_ERASABLE_ROLES:
        raise RelayError(Code.NOT_PERMITTED, "Ask your organisation's administrator.")
    confirm = text_field(require_object(data), "confirm")
    if confirm != device.account_id:
        raise RelayError(Code.MALFORMED, "Field 'confirm' must repeat your account id.")
    if await ctx.storage.defer_erasure_if_held(device.account_id, ctx.now()):
        # Art. 17(3): kept while a legal hold covers it; carried out when the hold ends.
        return {"ok": True, "erased": None, "pending": True}
    erasure = by(
        conn, "erasure.done", [("account", device.account_id)], reason="data_subject_request"
    )
    await erase_and_tell(ctx, device.account_id, erasure, spare=device.id)
    conn.state = State.CLOSED  # nothing more from this connection: its account is gone
    # Dropped on the next loop turn: the reply below is queued on the socket first.
    ctx.in_background(drop_connection(ctx, conn, "account_erased"))
    return {"ok": True, "erased": device.account_id, "pending": False}


async def erase_and_tell(
    ctx: RelayContext, account_id: str, audit: AuditDraft, spare: str | None = None
) -> None:
    """Erase the account (recording `audit` in the same transaction), disconnect its
    devices (but `spare`, whose caller does that after replying), and tell the people it
    shared cases with or was in a group with."""
    groups = await ctx.storage.account_groups(account_id)
    devices, others, closed_cases = await ctx.storage.erase_account(account_id, ctx.now(), [audit])
    ctx.forget_permissions()
    await tell_groups(ctx, groups)  # the person's handles are gone from each group
    # On every node: their apps drop the conversation and the device list.
    for case_id in closed_cases:
        await tell_accounts(ctx, others, "case_changed", case_id)
    await tell_accounts(ctx, others, "devices_changed", account_id)
    await drop_devices(ctx, [d for d in devices if d != spare], "account_erased")


# -- on a data subject's request, by the privacy officer ------------------------------------


async def _subject(ctx: RelayContext, conn: Connection, data: Any) -> str:
    """The account an officer acts for: an account of the officer's own organisation. The
    role is checked before the data is read: anyone else hears `not_permitted`, whatever
    they sent."""
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role != "officer":
        raise RelayError(Code.NOT_PERMITTED)
    account_id = text_field(require_object(data), "account", SERVER_ID)
    if await ctx.storage.account_role(conn.device.org_id, account_id) is None:
        raise RelayError(Code.UNKNOWN_ACCOUNT)
    return account_id


async def on_officer_export(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """Art. 15/20 on request (a person who cannot use the app, or a formal request)."""
    account_id = await _subject(ctx, conn, data)
    data = require_object(data)
    reason = reason_code(data, "data_subject_request")
    await ctx.storage.record(
        [
            by(
                conn,
                "export.made",
                [("export", new_id("export")), ("account", account_id)],
                reason=reason,
                on_behalf_of=account_id,
            )
        ],
        ctx.now(),
    )
    export = await _with_log(ctx, await ctx.storage.account_export(account_id))
    return {"ok": True, "export": export, "html": render(export, ctx.now())}


async def on_officer_erase(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """Art. 17 on request, for a caregiver's account; waits for a legal hold like any other."""
    account_id = await _subject(ctx, conn, data)
    data = require_object(data)
    if text_field(data, "confirm") != account_id:
        raise RelayError(Code.MALFORMED, "Field 'confirm' must repeat the account id.")
    role = await ctx.storage.account_role(conn.device.org_id, account_id)  # type: ignore[union-attr]
    if role not in SELF_ERASABLE_ROLES:
        raise RelayError(Code.NOT_PERMITTED, "Staff accounts are closed by an administrator.")
    if await ctx.storage.defer_erasure_if_held(account_id, ctx.now()):
        return {"ok": True, "erased": None, "pending": True}
    erasure = by(
        conn,
        "erasure.done",
        [("account", account_id)],
        reason=reason_code(data, "data_subject_request"),
        on_behalf_of=account_id,
    )
    await erase_and_tell(ctx, account_id, erasure)
    return {"ok": True, "erased": account_id, "pending": False}
