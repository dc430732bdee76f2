"""The Socket.IO edge: connection lifecycle and one dispatcher for every client event.

The dispatcher is the only place that turns exceptions into replies, so no handler can
leak a stack trace to a client: a `RelayError` becomes `{"ok": false, "error": {...}}`,
anything else is a bug, logged by type and location only (never its message, which could
hold user data), and answered with `internal_error`.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from relay.connection import (
    ACCEPTS,
    FIRE_AND_FORGET,
    SESSION_EVENTS,
    TRANSITIONS,
    Connection,
    State,
)
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers import (
    admin,
    audit_access,
    audit_proofs,
    blobs,
    cases,
    envelopes,
    gdpr,
    groups,
    holds,
    policies,
    prekeys,
    push,
    reach,
    recovery,
    session,
    staff,
)
from relay.ids import DEVICE_ID
from relay.packets import RefusedEvent

log = logging.getLogger("steuntje.relay")

SIGN_IN_EVENTS = frozenset({"auth", "register"})
# Failures worth summarising in the audit log (a refused attempt to get in), not slips
# like a missing challenge.
SIGN_IN_FAILURES = frozenset(
    {
        Code.BAD_SIGNATURE,
        Code.UNKNOWN_DEVICE,
        Code.DEVICE_REVOKED,
        Code.ACCOUNT_DISABLED,
        Code.INVITE_INVALID,
        Code.INVITE_EXPIRED,
        Code.INVITE_USED,
        Code.INVITE_REVOKED,
        Code.INVITE_WRONG_ACCOUNT,
        Code.TOO_MANY_ATTEMPTS,
    }
)

Handler = Callable[[RelayContext, Connection, Any], Awaitable[dict[str, Any]]]

HANDLERS: dict[str, Handler] = {
    "challenge": session.on_challenge,
    "auth": session.on_auth,
    "register": session.on_register,
    "send": envelopes.on_send,
    "ack": envelopes.on_ack,
    "whoami": cases.on_whoami,
    "devices_list": cases.on_devices_list,
    "case_list": cases.on_case_list,
    "colleagues_list": cases.on_colleagues_list,
    "case_add_member": cases.on_case_add_member,
    "case_handover": cases.on_case_handover,
    "case_close": cases.on_case_close,
    "case_reopen": cases.on_case_reopen,
    "invite_create": cases.on_invite_create,
    "device_link_create": cases.on_device_link_create,
    "recovery_create": recovery.on_recovery_create,
    "recovery_approve": recovery.on_recovery_approve,
    "prekeys_upload": prekeys.on_prekeys_upload,
    "prekeys_fetch": prekeys.on_prekeys_fetch,
    "prekeys_status": prekeys.on_prekeys_status,
    "account_export": gdpr.on_account_export,
    "account_erase": gdpr.on_account_erase,
    "officer_export": gdpr.on_officer_export,
    "officer_erase": gdpr.on_officer_erase,
    "legal_hold_place": holds.on_legal_hold_place,
    "legal_hold_lift": holds.on_legal_hold_lift,
    "legal_hold_list": holds.on_legal_hold_list,
    "cases_all": holds.on_cases_all,
    "policy_get": policies.on_policy_get,
    "policy_set": policies.on_policy_set,
    "audit_query": audit_access.on_audit_query,
    "audit_export": audit_access.on_audit_export,
    "audit_key": audit_access.on_audit_key,
    "audit_proof": audit_proofs.on_audit_proof,
    "admin_accounts": admin.on_admin_accounts,
    "admin_set_account_status": admin.on_admin_set_account_status,
    "admin_revoke_device": admin.on_admin_revoke_device,
    "admin_set_display_name": staff.on_admin_set_display_name,
    "device_label": staff.on_device_label,
    "group_create": groups.on_group_create,
    "group_join_prepare": groups.on_group_join_prepare,
    "group_join": groups.on_group_join,
    "group_change": groups.on_group_change,
    "group_list": groups.on_group_list,
    "group_info": groups.on_group_info,
    "group_close": groups.on_group_close,
    "reach_lists": reach.on_reach_lists,
    "reach_lists_set": reach.on_reach_lists_set,
    "case_set_area": reach.on_case_set_area,
    "account_set_team": reach.on_account_set_team,
    "reach_contribute": reach.on_reach_contribute,
    "reach_report": reach.on_reach_report,
    "push_key": push.on_push_key,
    "push_subscribe": push.on_push_subscribe,
    "push_unsubscribe": push.on_push_unsubscribe,
    "blob_create": blobs.on_blob_create,
    "blob_fetch": blobs.on_blob_fetch,
    "blob_done": blobs.on_blob_done,
}


class RelayNamespace(socketio.AsyncNamespace):
    def __init__(self, ctx: RelayContext) -> None:
        super().__init__("/")
        self.ctx = ctx
        self._background: set[asyncio.Future[None]] = set()

    async def trigger_event(self, event: object, *args: Any) -> Any:
        # Only python-socketio's own lifecycle calls arrive with these names: a client's
        # event called `connect` or `disconnect` is refused while decoding (packets.py).
        if event == "connect":
            return self._connect(args[0], args[1])
        if event == "disconnect":
            self._disconnect(args[0])
            return None
        sid, payload = args[0], args[1:]
        name = event if isinstance(event, str) else ""  # for the lookups below
        try:
            if isinstance(event, RefusedEvent):
                details = {"event": event.name[:64]} if event.name is not None else {}
                raise RelayError(event.code, event.message or None, **details)
            if not isinstance(event, str):  # packets.py refuses these first; never trust it
                raise RelayError(Code.MALFORMED, "An event name must be a string.")
            return await self._dispatch(name, sid, payload)
        except RelayError as error:
            reply = {"ok": False, "error": error.to_wire()}
            if name in SIGN_IN_EVENTS and error.code in SIGN_IN_FAILURES:
                data = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
                claimed = data.get("device")
                self.ctx.note_auth_failure(
                    claimed if isinstance(claimed, str) and DEVICE_ID.fullmatch(claimed) else None
                )
        except Exception as exc:  # a bug: say where, never what (the message may hold data)
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            log.error(
                "handler %s failed: %s at %s:%s",
                name if name in HANDLERS else "?",  # a name of ours, never the client's
                type(exc).__name__,
                frame.filename.rsplit("/", 1)[-1],
                frame.lineno,
            )
            reply = {"ok": False, "error": RelayError(Code.INTERNAL_ERROR).to_wire()}
        if name in FIRE_AND_FORGET:
            await self.ctx.sio.emit("relay_error", {"event": name, **reply}, to=sid)
        return reply

    async def _dispatch(self, event: str, sid: str, payload: tuple[Any, ...]) -> dict[str, Any]:
        conn = self.ctx.connections.get(sid)
        handler = HANDLERS.get(event)
        if handler is None:
            raise RelayError(Code.UNKNOWN_EVENT, event=event[:64])
        if conn is None:
            raise RelayError(Code.NOT_AUTHENTICATED)
        if event not in ACCEPTS[conn.state]:
            if event in SESSION_EVENTS:
                raise RelayError(Code.ALREADY_AUTHENTICATED)
            raise RelayError(Code.NOT_AUTHENTICATED)
        data = payload[0] if len(payload) == 1 else None
        if len(payload) > 1:
            raise RelayError(Code.MALFORMED, "Send one argument (an object) per event.")
        reply = await handler(self.ctx, conn, {} if data is None else data)
        next_state = TRANSITIONS.get((conn.state, event))
        if next_state is not None and conn.state is not State.CLOSED:
            conn.state = next_state
        return reply

    def _connect(self, sid: str, environ: dict[str, Any]) -> bool:
        if self.ctx.closing or not self.ctx.ready:
            raise socketio.exceptions.ConnectionRefusedError("unavailable")
        request = environ.get("aiohttp.request")
        remote = (request.remote if request is not None else None) or ""
        base_url = f"{request.scheme}://{request.host}" if request is not None else ""
        conn = Connection(sid, remote, base_url)
        self.ctx.connections[sid] = conn
        conn.auth_timer = asyncio.get_running_loop().call_later(
            self.ctx.config.limits.auth_timeout_s, self._auth_timeout, sid
        )
        return True

    def _auth_timeout(self, sid: str) -> None:
        conn = self.ctx.connections.get(sid)
        if conn is not None and conn.state is State.AWAITING_AUTH:
            task = asyncio.ensure_future(self.ctx.sio.disconnect(sid))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _disconnect(self, sid: str) -> None:
        ctx = self.ctx
        conn = ctx.connections.pop(sid, None)
        if conn is None:
            return
        conn.state = State.CLOSED
        if conn.auth_timer is not None:
            conn.auth_timer.cancel()
        if conn.stream is not None:
            ctx.router.detach(conn.stream)
        if conn.device is not None:
            if ctx.by_device.get(conn.device.id) is conn:
                del ctx.by_device[conn.device.id]
            sids = ctx.by_account.get(conn.device.account_id)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del ctx.by_account[conn.device.account_id]
        conn.closed.set()
