"""Fan-out between relay nodes through Redis (`--redis redis://...`; docs/scaling.md).

Four things travel through Redis, and no envelope does:

1. python-socketio's own messages (`LocalFirstRedisManager`, the server's client manager):
   an emit to a connection of another node. The relay's emits go to its own connections,
   so they skip Redis entirely; only an emit for a connection elsewhere is published.
2. Mailbox pokes (`RedisFanout`): after a commit, the ids of its recipient devices, on
   the channel `steuntje:mailbox`. A node where such a device is connected reads its
   mailbox from the shared database, as a reconnecting device would; the others ignore
   the poke. (Usually a device is connected to one node only; for a moment after it
   moved, its old connection may still be open on another.) Ciphertext stays in the
   database; Redis sees routing ids only, never stores them (pub/sub), and losing a poke
   loses nothing.
3. "Forget" notes, on the same channel: a node changed who may send to whom (a case
   hand-over, a member removed from a group, a device revoked) or a retention policy; the
   others drop their permission and policy caches. Resubscribing drops them too, so a note
   lost while Redis was away costs nothing either.
4. Notes for live connections (`tell`, relay/notify.py says what each means): "drop these
   devices, for this reason" (revoked, disabled, erased, replaced by a sign-in elsewhere)
   and "tell these accounts' devices that a case or a device list changed". Every node
   acts on its own connections, within a Redis round trip of the decision.

Why our own channel for (4) and not emits to a device's room through (1), which would
cross nodes too: dropping a connection is more than an emit; the node that holds it must
tear it down (stop its stream, forget it in `by_device`), and only that node can. Our
notes arrive in the order they were published (one flush at a time), after the "forget"
note they go with, and a node that missed some while Redis was away repairs the gap when
it resubscribes: it re-reads the status of every device connected to it and drops those
no longer allowed (`on_resubscribed`). A lost Socket.IO emit would be lost for good.

Why that is enough: the database is the truth and Redis only says "look now". While
Redis is away, pokes are dropped; each node re-subscribes when it is back and then makes
every stream it serves read its mailbox, which covers everything committed in the gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Callable

import socketio
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from relay.delivery import Router

log = logging.getLogger("steuntje.relay.fanout")

CHANNEL = "steuntje:mailbox"
RETRY_FIRST_S = 0.2  # wait before resubscribing after Redis went away, doubling
RETRY_MAX_S = 2.0
HEALTH_CHECK_S = 5  # ping an idle subscription, so a dead Redis is noticed


class LocalFirstRedisManager(socketio.AsyncRedisManager):
    """`AsyncRedisManager` that publishes an emit only when its target is elsewhere: an
    emit to a connection of this node goes straight to it, Redis up or down."""

    async def emit(  # type: ignore[override]
        self,
        event: str,
        data: object,
        namespace: str | None = None,
        room: str | None = None,
        skip_sid: object = None,
        callback: object = None,
        to: str | None = None,
        **kwargs: object,
    ) -> None:
        target = to or room
        if target is not None and self.is_connected(target, namespace or "/"):
            kwargs["ignore_queue"] = True
        await super().emit(
            event,
            data,
            namespace=namespace,
            room=target,
            skip_sid=skip_sid,
            callback=callback,
            **kwargs,
        )


def client_manager(redis_url: str) -> socketio.AsyncRedisManager:
    return LocalFirstRedisManager(redis_url, channel="steuntje:socketio")


class RedisFanout:
    """Pokes other nodes about committed envelopes and hears theirs."""

    def __init__(
        self, redis_url: str, router: Router, on_forget: Callable[[], None] | None = None
    ) -> None:
        self._url = redis_url
        self._router = router
        self._on_forget = on_forget  # clears this node's permission and policy caches
        self.on_note: Callable[[dict[str, object]], None] | None = None  # notify.heard
        self.on_resubscribed: Callable[[], None] | None = None  # notify.recheck_connections
        self._forget = False
        self._notes: list[dict[str, object]] = []
        # device id -> how many of our own `replaced` notes for it Redis has not echoed back
        # yet. Redis delivers the channel in one order to every node: another node's
        # `replaced` heard before our own echo was published before ours, so that sign-in
        # is older than the connection we hold, and must not close it (_newer_here).
        self._awaiting_echo: Counter[str] = Counter()
        self._node = secrets.token_hex(8)  # tells our own pokes apart; not persistent
        self._pending: set[str] = set()
        self._flushing = False
        self._redis: aioredis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()
        self.published = 0  # counters for tests and the benchmark
        self.dropped = 0
        self.received = 0

    def __repr__(self) -> str:
        return f"RedisFanout(subscribed={self.subscribed.is_set()}, published={self.published})"

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(
            self._url, health_check_interval=HEALTH_CHECK_S, socket_connect_timeout=2
        )
        self._listener = asyncio.get_running_loop().create_task(self._listen(), name="fanout")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    # -- out: one PUBLISH per event-loop tick, however many commits it saw -------------------

    def publish(self, device_ids: set[str]) -> None:
        self._pending |= device_ids
        self._schedule()

    def forget(self) -> None:
        """Tell the other nodes that who-may-send-to-whom (or a policy) changed here, so
        they drop what they cached: a member removed on this node must not stay routable
        through another one."""
        self._forget = True
        self._schedule()

    def tell(self, note: dict[str, object]) -> None:
        """Carry a note about live connections to every other node (relay/notify.py)."""
        if note.get("reason") == "replaced":
            self._awaiting_echo.update(_device_ids(note))
        self._notes.append(note)
        self._schedule()

    def _schedule(self) -> None:
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while self._pending or self._forget or self._notes:
                devices, self._pending = sorted(self._pending), set()
                forget, self._forget = self._forget, False
                notes, self._notes = self._notes, []
                message = json.dumps(
                    {"node": self._node, "devices": devices, "forget": forget, "notes": notes}
                )
                try:
                    await self._redis.publish(CHANNEL, message)  # type: ignore[union-attr]
                    self.published += 1
                except (RedisError, OSError) as exc:
                    # Committed already; the other nodes drain when they re-subscribe.
                    self.dropped += 1
                    for note in notes:  # no echo will come for these
                        if note.get("reason") == "replaced":
                            self._awaiting_echo.subtract(_device_ids(note))
                    self._awaiting_echo = +self._awaiting_echo
                    log.warning("could not poke other nodes: %s", type(exc).__name__)
        finally:
            self._flushing = False

    # -- in ----------------------------------------------------------------------------------

    async def _listen(self) -> None:
        retry = RETRY_FIRST_S
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[union-attr]
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                self._awaiting_echo.clear()  # echoes of what we sent while away never come
                retry = RETRY_FIRST_S
                # Whatever was committed while we were not listening: read it now, and
                # forget what we cached: a permission may have changed meanwhile.
                self._router.poke()
                if self._on_forget is not None:
                    self._on_forget()
                if self.on_resubscribed is not None:  # notes may have been lost meanwhile
                    self.on_resubscribed()
                async for message in pubsub.listen():
                    self._heard(message)
            except (RedisError, OSError) as exc:
                if self.subscribed.is_set():
                    log.warning(
                        "lost Redis, delivering from this node only: %s", type(exc).__name__
                    )
                self.subscribed.clear()
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(retry)  # a retry timer: Redis is down
            retry = min(retry * 2, RETRY_MAX_S)

    def _heard(self, message: dict[str, object]) -> None:
        if message.get("type") != "message":
            return
        try:
            poke = json.loads(message["data"])  # type: ignore[arg-type]
            if poke["node"] == self._node:
                self._echoed(poke.get("notes", ()))
                return
            devices = [d for d in poke["devices"] if isinstance(d, str)]
            forget = poke.get("forget") is True
            notes = [n for n in poke.get("notes", ()) if isinstance(n, dict)]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed poke")
            return
        self.received += 1
        if forget and self._on_forget is not None:
            self._on_forget()  # first: a note may narrow what the caches allowed
        if self.on_note is not None:
            for note in notes:
                note = self._newer_here(note)
                if note is not None:
                    self.on_note(note)
        if devices:
            self._router.poke(devices)

    def _echoed(self, notes: object) -> None:
        """Our own message came back: our `replaced` notes in it are now ordered before
        whatever other nodes publish from here on."""
        for note in notes if isinstance(notes, list) else ():
            if isinstance(note, dict) and note.get("reason") == "replaced":
                self._awaiting_echo.subtract(_device_ids(note))
        self._awaiting_echo = +self._awaiting_echo  # drop counts at zero

    def _newer_here(self, note: dict[str, object]) -> dict[str, object] | None:
        """Another node's `replaced` without the devices that signed in here after it (our
        own note for them is still on its way): the newest sign-in wins, on either node."""
        if note.get("reason") != "replaced":
            return note
        kept = [d for d in _device_ids(note) if not self._awaiting_echo.get(d)]
        return {**note, "drop": kept} if kept else None


def _device_ids(note: dict[str, object]) -> list[str]:
    drop = note.get("drop")
    return [d for d in drop if isinstance(d, str)] if isinstance(drop, list) else []


@contextlib.asynccontextmanager
async def running(
    redis_url: str, router: Router, on_forget: Callable[[], None] | None = None
) -> AsyncIterator[RedisFanout | None]:
    """Fan-out for the relay's lifetime when Redis is configured; nothing otherwise."""
    if not redis_url:
        yield None
        return
    fanout = RedisFanout(redis_url, router, on_forget)
    await fanout.start()
    router.elsewhere = fanout.publish
    try:
        yield fanout
    finally:
        router.elsewhere = None
        await fanout.stop()
