"""Everything a handler may use, built once by `create_app` (the one composition root)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import socketio

from relay.clock import Clock
from relay.commit_queue import CommitQueue
from relay.config import RelayConfig
from relay.connection import Connection
from relay.delivery import Router
from relay.limits import DeviceBudgets, TokenBucket
from relay.storage.base import DeviceRecord, Route, Storage

PERMISSION_CACHE_MAX = 100_000


@dataclass(eq=False)
class RelayContext:
    config: RelayConfig
    clock: Clock
    storage: Storage
    sio: socketio.AsyncServer
    router: Router
    commits: CommitQueue | None = None
    relay_id: bytes = b""
    org_id: str = ""
    ready: bool = False
    closing: bool = False
    connections: dict[str, Connection] = field(default_factory=dict)  # sid -> connection
    by_device: dict[str, Connection] = field(default_factory=dict)
    by_account: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    invite_buckets: dict[str, TokenBucket] = field(default_factory=dict)
    # (sender device, recipient device or group handle) -> the route, or None (no such
    # device). Per device, not per account: in a group each device sends as its own
    # handle. Cleared whenever membership, accounts or devices change.
    permissions: dict[tuple[str, str], Route | None] = field(default_factory=dict)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    # case id (None: no case) -> the effective retention policy; cleared when one changes
    policy_cache: dict[str | None, Any] = field(default_factory=dict)
    # Failed sign-ins since the last audit summary: claimed device id (None: none) -> count.
    auth_failures: Counter[str | None] = field(default_factory=Counter)
    # Accounts whose sign-in today is already recorded (the day, the accounts): a device
    # reconnecting all day long costs one database write a day, not one per connection.
    active_today: tuple[int, set[str]] = (0, set())
    # Reach figures: month -> the accounts and groups whose taking part this month is
    # recorded already (relay/handlers/reach.py), so a month costs one write per account.
    reach_noted: dict[str, set[str]] = field(default_factory=dict)
    # `delivered` notices waiting to be sent, by sender device (relay/notify.py).
    delivered_pending: dict[str, list[str]] = field(default_factory=dict)
    # Several nodes: tells the others to drop their caches (fanout.RedisFanout.forget).
    tell_others_to_forget: Callable[[], None] | None = None
    # Several nodes: carries a note about live connections to the others (relay/notify.py).
    tell_other_nodes: Callable[[dict[str, Any]], None] | None = None
    # group id -> its membership log, checked and folded (relay/handlers/groups.py)
    group_states: dict[str, Any] = field(default_factory=dict)
    # device id -> its send and prekey-fetch buckets, kept across reconnects (limits.py).
    # Only signed-in devices get one, so the organisation's size bounds it.
    device_budgets: dict[str, DeviceBudgets] = field(default_factory=dict)
    # Web Push (relay/push/): set by app.py's lifecycle before the relay is ready.
    push: Any = None

    async def note_active(self, account_id: str, device_id: str | None = None) -> bool:
        """Record the account's sign-in day (retention: inactive accounts) and the device's
        (the admin's device list). True when this cleared an inactivity flag, so its case
        team can be told."""
        now = self.now()
        day, seen = self.active_today
        if day != now // 86_400:
            day, seen = now // 86_400, set()
            self.active_today = (day, seen)
        if (device_id or account_id) in seen:
            return False
        seen.add(device_id or account_id)
        return await self.storage.mark_active(account_id, now, device_id)

    def note_auth_failure(self, claimed_device: str | None) -> None:
        """Count it; the minute job writes one audit entry per device, not one per try."""
        if claimed_device not in self.auth_failures and len(self.auth_failures) >= 10_000:
            claimed_device = None  # a flood of made-up keys: count them together
        self.auth_failures[claimed_device] += 1

    def __repr__(self) -> str:
        return f"RelayContext(connections={len(self.connections)})"

    async def may_send(self, sender: DeviceRecord, to_device: str) -> Route | None:
        key = (sender.id, to_device)
        try:
            return self.permissions[key]
        except KeyError:
            pass
        route = await self.storage.may_send(sender, to_device)
        if len(self.permissions) >= PERMISSION_CACHE_MAX:
            self.permissions.clear()
        self.permissions[key] = route
        return route

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task the context keeps a reference to until it is done."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def link_base(self, conn: Connection) -> str:
        """Where invite links point: the configured public URL, else where this client
        reached the relay, else the listening address."""
        if self.config.public_url:
            return self.config.effective_public_url
        return conn.base_url or self.config.effective_public_url

    def forget_permissions(self) -> None:
        """Who may send to whom changed: drop the cached routes here and on every other
        node (fanout.py), where a removed group member would otherwise stay routable."""
        self.forget_here()
        if self.tell_others_to_forget is not None:
            self.tell_others_to_forget()

    def forget_here(self) -> None:
        self.permissions.clear()
        self.policy_cache.clear()

    def now(self) -> int:
        return int(self.clock.now())
