"""When to push: the node that commits an envelope decides, once, for its recipient.

    committed --(delay_s)--> decide --+-- device connected here, or acknowledged -> nothing
                                      +-- no live subscription / device inactive   -> nothing
                                      +-- quiet hours          -> decide again later
                                      +-- conversation muted   -> nothing
                                      +-- pushed < interval ago -> decide again then
                                      +-- push; 404/410 from the push service -> forget it

Arrivals for a device that already waits for a decision fold into it (coalescing). A
device connected to another node acknowledges within the delay, so "still unacknowledged"
is the cross-node test for "no live connection"; the claim in the database keeps two
nodes from both pushing within one interval. Timers are in memory: a node that stops
forgets its pending decisions, and the next arrival starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from relay.push.payload import conversation_hint, push_payload, seconds_until_quiet_ends
from relay.push.sender import Outcome, PushSender
from relay.push.settings import PushSettings
from relay.storage.base import Storage, StoredEnvelope

log = logging.getLogger("steuntje.relay.push")

MAX_PENDING = 100_000  # devices waiting for a decision on one node; more are not pushed


class PushScheduler:
    def __init__(
        self,
        storage: Storage,
        sender: PushSender,
        settings: PushSettings,
        now: Callable[[], int],
        connected_here: Callable[[str], bool],
    ) -> None:
        self._storage = storage
        self._sender = sender
        self._settings = settings
        self._now = now
        self._connected_here = connected_here
        # device -> (newest seq, its sender) waiting for a decision
        self._pending: dict[str, tuple[int, str]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.decided = 0  # counters for tests and the benchmark; never per-user data

    def __repr__(self) -> str:
        return f"PushScheduler(pending={len(self._pending)})"

    def committed(self, envelopes: Iterable[StoredEnvelope]) -> None:
        """Envelopes this node just committed (the commit queue's callback, via Router)."""
        pending = self._pending
        for envelope in envelopes:
            device = envelope.to_device
            if device in pending:
                pending[device] = (envelope.seq, envelope.from_device)
            elif len(pending) < MAX_PENDING:
                pending[device] = (envelope.seq, envelope.from_device)
                self._schedule(device, self._settings.delay_s)

    def _schedule(self, device: str, delay_s: float) -> None:
        loop = asyncio.get_running_loop()
        self._timers[device] = loop.call_later(max(delay_s, 0.0), self._due, device)

    def _due(self, device: str) -> None:
        self._timers.pop(device, None)
        waiting = self._pending.pop(device, None)
        if waiting is None:
            return
        task = asyncio.get_running_loop().create_task(self._decide(device, *waiting))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _again(self, device: str, seq: int, sender: str, delay_s: float) -> None:
        """Decide later; an arrival meanwhile already waits with a newer seq and a timer."""
        if device in self._pending:
            return
        self._pending[device] = (seq, sender)
        self._schedule(device, delay_s)

    async def _decide(self, device: str, seq: int, sender: str) -> None:
        try:
            await self._decide_now(device, seq, sender)
        except Exception as exc:  # the database or the network is away: the next arrival retries
            log.warning("push decision failed: %s", type(exc).__name__)
        finally:
            self.decided += 1  # after any push went out, so tests can wait on it

    async def _decide_now(self, device: str, seq: int, sender: str) -> None:
        if self._connected_here(device):
            return
        settings = self._settings
        now = self._now()
        target = await self._storage.push_target(device, seq, sender, now)
        if target is None or target.conversation is None:
            return
        subscription = target.subscription
        quiet = seconds_until_quiet_ends(now, subscription.quiet_from, subscription.quiet_until)
        if quiet:
            self._again(device, seq, sender, min(quiet, settings.quiet_recheck_s))
            return
        kind = "group" if target.group else "message"
        hint = conversation_hint(subscription.hint_key, target.conversation)
        if hint in subscription.muted:
            return
        # Pushed recently (the read says so): no write needed to know the claim would fail.
        recent = target.pushed_at > now - settings.interval_s
        if recent or not await self._storage.push_claim(device, now, settings.interval_s):
            wait = target.pushed_at + settings.interval_s - now
            self._again(device, seq, sender, max(wait, settings.delay_s))
            return
        outcome = await self._sender.send(subscription, push_payload(kind, hint))
        if outcome is Outcome.GONE:
            await self._storage.push_unsubscribe(device, subscription.endpoint)

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._pending.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._sender.close()
