"""Getting committed envelopes to a connected device, in order, with flow control.

Each authenticated connection has one `DeviceStream`, a two-state machine:

    DRAINING --(a read returns less than asked, and nothing new arrived meanwhile)--> LIVE
    LIVE     --(window full: too much unacknowledged)------------------------------> DRAINING

DRAINING reads the mailbox from the database after `cursor` in batches; LIVE receives
envelopes straight from the commit queue, never touching the database. Either way the
device sees every envelope once per connection, in sequence order, with at most `window`
envelopes and about `window_bytes` bytes unacknowledged (so a client that never
acknowledges pins a bounded amount of relay memory). A single pump task does all
sending, so deliveries cannot overtake each other. Envelopes offered in the same
event-loop tick go out as one `deliver` event.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from relay.storage.base import StoredEnvelope

Emit = Callable[[list[StoredEnvelope]], Awaitable[None]]
ReadMailbox = Callable[[str, int, int], Awaitable[list[StoredEnvelope]]]


READ_RETRY_S = 1.0  # a mailbox read that failed (database away) is retried after this


class Mode(enum.Enum):
    DRAINING = "draining"
    LIVE = "live"


class DeviceStream:
    def __init__(
        self,
        device_id: str,
        emit: Emit,
        read: ReadMailbox,
        window: int,
        batch: int,
        acked: int = 0,
        window_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.device_id = device_id
        self._emit = emit
        self._read = read
        self._window = window
        self._window_bytes = window_bytes
        self._batch = batch
        # (seq, body size, sender device, envelope id) sent, not yet acknowledged
        self._unacked: deque[tuple[int, int, str, str]] = deque()
        self._unacked_bytes = 0
        self.cursor = acked  # highest seq sent (or known acknowledged) on this connection
        self.acked = acked
        self.mode = Mode.DRAINING
        self._dirty = False  # something was committed while a drain read was under way
        self._outbox: list[StoredEnvelope] = []
        self._pump: asyncio.Task[None] | None = None
        self.closed = False

    def __repr__(self) -> str:
        return f"DeviceStream(mode={self.mode.value}, cursor={self.cursor}, acked={self.acked})"

    @property
    def in_flight(self) -> int:
        return len(self._unacked)

    def _window_open(self) -> bool:
        return len(self._unacked) < self._window and self._unacked_bytes < self._window_bytes

    def _sent(self, envelopes: list[StoredEnvelope]) -> None:
        for envelope in envelopes:
            self._unacked.append(
                (envelope.seq, len(envelope.body), envelope.from_device, envelope.envelope_id)
            )
            self._unacked_bytes += len(envelope.body)

    def start(self) -> None:
        self._ensure_pump()

    def close(self) -> None:
        self.closed = True
        if self._pump is not None:
            self._pump.cancel()

    def offer(self, envelope: StoredEnvelope) -> None:
        """A newly committed envelope for this device (called in sequence order)."""
        if self.closed or envelope.seq <= self.cursor:
            return  # already sent by a drain read that saw the commit first
        # Live only if it is the very next number: with several relay nodes, numbers in
        # between may have been committed elsewhere; pushing past them would let the
        # device's cumulative acknowledgement delete them unseen. Read the mailbox instead.
        if self.mode is Mode.LIVE and envelope.seq == self.cursor + 1 and self._window_open():
            self._outbox.append(envelope)
            self._sent([envelope])
            self.cursor = envelope.seq
        else:
            self.mode = Mode.DRAINING
            self._dirty = True
        self._ensure_pump()

    def poke(self) -> None:
        """Another relay node committed something for this device: read the mailbox."""
        if self.closed:
            return
        self.mode = Mode.DRAINING
        self._dirty = True
        self._ensure_pump()

    def acknowledged(self, upto: int) -> list[tuple[str, str]]:
        """The device has everything up to `upto`. Returns (sender device, envelope id) of
        each envelope this connection delivered and that is now acknowledged."""
        done = []
        while self._unacked and self._unacked[0][0] <= upto:
            _, size, sender, envelope_id = self._unacked.popleft()
            self._unacked_bytes -= size
            done.append((sender, envelope_id))
        if upto > self.acked:
            self.acked = upto
            if self.mode is Mode.DRAINING:
                self._ensure_pump()
        return done

    def _ensure_pump(self) -> None:
        if self._pump is None and not self.closed:
            self._pump = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while not self.closed:
                if self._outbox:
                    batch, self._outbox = self._outbox, []
                    await self._emit(batch)
                elif self.mode is Mode.DRAINING:
                    room = min(self._batch, self._window - self.in_flight)
                    if room <= 0 or not self._window_open():
                        return  # the next acknowledgement restarts the pump
                    self._dirty = False
                    try:
                        read = await self._read(self.device_id, self.cursor, room)
                    except Exception:  # the database is unreachable: read again shortly
                        self._dirty = True
                        loop = asyncio.get_running_loop()
                        loop.call_later(READ_RETRY_S, self._ensure_pump)
                        return
                    fresh = [row for row in read if row.seq > self.cursor]
                    rows = self._within_byte_budget(fresh)
                    if rows:
                        self.cursor = rows[-1].seq
                        self._sent(rows)
                        await self._emit(rows)
                    caught_up = len(read) < room and len(rows) == len(fresh)
                    if caught_up and not self._dirty:
                        self.mode = Mode.LIVE
                else:
                    return
        finally:
            self._pump = None

    def _within_byte_budget(self, rows: list[StoredEnvelope]) -> list[StoredEnvelope]:
        """The prefix to send now: like a live push, each envelope goes while the bytes
        unacknowledged before it are under the window (so one large envelope always fits)."""
        budget = self._window_bytes - self._unacked_bytes
        for index, row in enumerate(rows):
            if budget <= 0:
                return rows[:index]
            budget -= len(row.body)
        return rows


class Router:
    """Which device is connected here, so committed envelopes find their stream. With
    several nodes, `elsewhere` (fanout.py) hears of every device that got envelopes here
    (it may be connected to another node too, or only there), and `poke` is how other
    nodes' commits arrive."""

    def __init__(self) -> None:
        self._streams: dict[str, DeviceStream] = {}
        self.elsewhere: Callable[[set[str]], None] | None = None
        # Web Push (relay/push/scheduler.py): only the node that committed decides.
        self.committed: Callable[[list[StoredEnvelope]], None] | None = None

    def poke(self, device_ids: Iterable[str] | None = None) -> None:
        """Make these devices' streams (None: every stream here) read their mailbox."""
        streams = (
            list(self._streams.values())
            if device_ids is None
            else [s for d in device_ids if (s := self._streams.get(d)) is not None]
        )
        for stream in streams:
            stream.poke()

    def attach(self, stream: DeviceStream) -> None:
        self._streams[stream.device_id] = stream

    def detach(self, stream: DeviceStream) -> None:
        if self._streams.get(stream.device_id) is stream:
            del self._streams[stream.device_id]
        stream.close()

    def stored(self, envelopes: list[StoredEnvelope]) -> None:
        streams = self._streams
        for envelope in envelopes:
            stream = streams.get(envelope.to_device)
            if stream is not None:
                stream.offer(envelope)
        if self.elsewhere is not None:
            self.elsewhere({envelope.to_device for envelope in envelopes})
        if self.committed is not None:
            self.committed(envelopes)
