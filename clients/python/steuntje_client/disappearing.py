"""Disappearing messages on a device: each case's timer, applied to the local copies.

The timer is part of the case's retention policy (PROTOCOL.md §4.11): a worker on the case
or an admin sets it, the relay clamps it to the organisation's limits, records who changed
it in the audit log and tells every member's devices (`case_changed`). A device asks for the
effective value over its authenticated connection (`policy_get`), files every message under
the other account of its conversation, and deletes its copy when the deadline passes, while
it runs and at its next start. Changing the timer is visible on both sides: each device
reports the new value in `changes`.

What this does not protect against is in SECURITY.md: a relay that lies about the timer can
make devices keep copies longer (or shorter) than the organisation decided; the relay is
trusted with retention, never with content.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from steuntje_client.client import RelayClient
from steuntje_client.local_messages import LocalMessages, StoredMessage
from steuntje_client.messages import Message

_UNSET = object()
MAX_NAP_S = 3600  # wake at least hourly: the clock may have jumped, a timer may be new


def shorter(a: int | None, b: int | None) -> int | None:
    """The stricter of two timers (None: off, which keeps everything)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class Disappearing:
    def __init__(self, relay: RelayClient, folder: Path | None, now: Callable[[], int]) -> None:
        self._relay = relay
        self._now = now
        self.local = LocalMessages(folder / "messages.sqlite3" if folder else None)
        self.timers: dict[str, int | None] = {}  # other account -> its conversation's timer
        self.changes: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue()
        self.deleted: asyncio.Queue[int] = asyncio.Queue()  # counts, as copies are deleted
        self._accounts: dict[str, str] = {}  # device id -> account id, from case_list
        self._wake = asyncio.Event()

    async def refresh(self) -> dict[str, int | None]:
        """Fetch every case's effective timer; apply shortened ones and delete what is due."""
        timers: dict[str, int | object | None] = {}
        for case in await self._relay.cases():
            reply = await self._relay.request("policy_get", {"case": case["id"]})
            timer = reply["effective"]["disappearing_timer_s"]
            for member in case["members"]:
                for device in member["devices"]:
                    self._accounts[device] = member["account"]
                peer = member["account"]
                if peer != self._relay.account_id:
                    known = timers.get(peer, _UNSET)
                    timers[peer] = timer if known is _UNSET else shorter(known, timer)  # type: ignore[arg-type]
        for peer, timer in timers.items():
            if peer not in self.timers or self.timers[peer] != timer:
                self.timers[peer] = timer  # type: ignore[assignment]
                self.changes.put_nowait((peer, timer))  # type: ignore[arg-type]
            self.local.apply_timer(peer, timer)  # type: ignore[arg-type]
        self.prune()
        self._wake.set()
        return dict(self.timers)

    def peer_of(self, message: Message, sender_device: str) -> str | None:
        """The other account of a received message's conversation, or None if unknown yet."""
        if message.conversation != self._relay.account_id:
            return message.conversation  # sent by one of our own other devices
        return self._accounts.get(sender_device)

    def keep(self, message: Message, peer: str, *, outgoing: bool) -> StoredMessage:
        """Store a copy with its deadline. An unknown conversation keeps no deadline until
        the next refresh gives it one (refresh only ever shortens)."""
        stored = self.local.add(
            message, peer, outgoing=outgoing, timer=self.timers.get(peer), now=self._now()
        )
        self._wake.set()
        return stored

    def prune(self) -> int:
        count = self.local.prune(self._now())
        if count:
            self.deleted.put_nowait(count)
        return count

    async def run(self) -> None:
        """Delete copies as their deadlines pass, and follow timer changes."""
        watcher = asyncio.get_running_loop().create_task(self._follow_changes())
        try:
            while True:
                self.prune()
                due = self.local.next_expiry()
                nap = MAX_NAP_S if due is None else max(0, min(due - self._now(), MAX_NAP_S))
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=nap or 0.01)
        finally:
            watcher.cancel()

    async def _follow_changes(self) -> None:
        while True:
            await self._relay.case_changes.get()
            await self.refresh()

    def wake(self) -> None:
        """Check deadlines now (after the clock moved, say)."""
        self._wake.set()

    def close(self) -> None:
        self.local.close()
