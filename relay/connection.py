"""One Socket.IO connection's state, and which events each state accepts (a table, so the
rules can be read in one place and PROTOCOL.md's state diagram follows from it)."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, field

from relay.delivery import DeviceStream
from relay.limits import TokenBucket
from relay.storage.base import DeviceRecord


class State(enum.Enum):
    AWAITING_AUTH = "awaiting_auth"
    AUTHENTICATED = "authenticated"
    CLOSED = "closed"


SESSION_EVENTS = frozenset({"challenge", "auth", "register"})
AUTHENTICATED_EVENTS = frozenset(
    {
        "send",
        "ack",
        "whoami",
        "devices_list",
        "case_list",
        "case_add_member",
        "case_handover",
        "case_close",
        "case_reopen",
        "colleagues_list",
        "invite_create",
        "device_link_create",
        "recovery_create",
        "recovery_approve",
        "prekeys_upload",
        "prekeys_fetch",
        "prekeys_status",
        "account_export",
        "account_erase",
        "officer_export",
        "officer_erase",
        "legal_hold_place",
        "legal_hold_lift",
        "legal_hold_list",
        "cases_all",
        "policy_get",
        "policy_set",
        "audit_query",
        "audit_export",
        "audit_key",
        "audit_proof",
        "admin_accounts",
        "admin_set_account_status",
        "admin_revoke_device",
        "admin_set_display_name",
        "device_label",
        "group_create",
        "group_join_prepare",
        "group_join",
        "group_change",
        "group_list",
        "group_info",
        "group_close",
        "reach_lists",
        "reach_lists_set",
        "case_set_area",
        "account_set_team",
        "reach_contribute",
        "reach_report",
        "push_key",
        "push_subscribe",
        "push_unsubscribe",
        "blob_create",
        "blob_fetch",
        "blob_done",
    }
)

# state -> events accepted in it. Anything else known gets not_authenticated or
# already_authenticated; anything unknown gets unknown_event.
ACCEPTS: dict[State, frozenset[str]] = {
    State.AWAITING_AUTH: SESSION_EVENTS,
    State.AUTHENTICATED: AUTHENTICATED_EVENTS,
    State.CLOSED: frozenset(),
}

# (state, event that succeeded) -> next state
TRANSITIONS: dict[tuple[State, str], State] = {
    (State.AWAITING_AUTH, "auth"): State.AUTHENTICATED,
    (State.AWAITING_AUTH, "register"): State.AUTHENTICATED,
}

# Events a client sends without waiting for a reply; their errors come as an `error` event.
FIRE_AND_FORGET = frozenset({"ack"})


@dataclass(eq=False)
class Connection:
    sid: str
    remote: str  # used only to limit invite attempts, in memory; never logged or stored
    # The scheme and host this client reached the relay at: invite links point there when
    # no public URL is configured (a relay on port 0 in tests, a LAN address at a desk).
    base_url: str = ""
    state: State = State.AWAITING_AUTH
    nonce: bytes | None = None
    device: DeviceRecord | None = None
    stream: DeviceStream | None = None
    send_bucket: TokenBucket | None = None
    fetch_bucket: TokenBucket | None = None
    group_fetch_bucket: TokenBucket | None = None  # prekeys of group handles (prekeys.py)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    auth_timer: asyncio.TimerHandle | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)  # set once fully torn down

    def __repr__(self) -> str:
        return f"Connection(state={self.state.value})"
