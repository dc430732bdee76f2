"""The workload of `steuntje bench`: devices registered through real invites, senders
that keep a window of envelopes in flight, and receivers that time and count them."""

from __future__ import annotations

import argparse
import asyncio
import os
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bench import report
from bench.e2e import Decrypting, establish, new_device
from steuntje_client.client import Envelope, RelayClient
from steuntje_client.errors import ClientError
from steuntje_client.keys import DeviceKey

if TYPE_CHECKING:  # only for annotations: bench.py imports this module
    from bench.envelope_bench import ServerMeter

T = TypeVar("T")

HEADER = struct.Struct("<QII")  # send time (ns), pair index, sequence number
FENCE_SEQ = 0xFFFF_FFFF  # a sequence number no data envelope uses
REGISTER_CONCURRENCY = 50  # registrations in flight: enough to overlap, few enough to finish
CLOSE_CONCURRENCY = 200
QUIET_TIMEOUT_S = 30.0  # nothing delivered for this long: stop waiting, the rest is lost
RELAY_START_TIMEOUT_S = 30.0
RELAY_STOP_TIMEOUT_S = 20.0
SEND_BURST = 2_000  # the relay's default per-device burst; more per sender gets rate_limited


def now_ns() -> int:
    """The benchmark's one clock: monotonic, and valid for latency because the same
    process stamps an envelope when sending and reads the stamp when receiving."""
    return time.perf_counter_ns()


# -- devices -------------------------------------------------------------------------------


class ClientPool:
    """Every client the benchmark creates, so that all of them are closed at the end.

    `url` may name several relay nodes, comma-separated (one PostgreSQL + Redis cluster,
    docs/scaling.md): clients are spread over them in turn, so a pair's two devices, made
    one after the other, always sit on different nodes and every envelope crosses."""

    def __init__(self, url: str) -> None:
        self.urls = [part.strip() for part in url.split(",") if part.strip()]
        self.clients: list[RelayClient] = []
        self._next = 0

    @property
    def url(self) -> str:
        return self.urls[0]

    def next_url(self) -> str:
        url = self.urls[self._next % len(self.urls)]
        self._next += 1
        return url

    async def register(
        self, invite: str, on_envelope: Any = None, key: DeviceKey | None = None
    ) -> RelayClient:
        client = RelayClient(self.next_url(), key or DeviceKey.generate(), on_envelope=on_envelope)
        self.clients.append(client)
        await client.register(invite)
        return client

    async def close(self) -> None:
        clients, self.clients = self.clients, []
        await bounded((client.close for client in clients), CLOSE_CONCURRENCY, ignore=(Exception,))


@asynccontextmanager
async def client_pool(url: str) -> AsyncIterator[ClientPool]:
    pool = ClientPool(url)
    try:
        yield pool
    finally:
        await pool.close()


async def bounded(
    factories: Iterable[Callable[[], Awaitable[T]]],
    limit: int,
    progress: report.Progress | None = None,
    ignore: tuple[type[BaseException], ...] = (),
) -> list[T | None]:
    """Run the coroutines `factories` make, at most `limit` at a time, in order of results."""
    semaphore = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Awaitable[T]]) -> T | None:
        async with semaphore:
            try:
                result = await factory()
            except ignore:
                return None
        if progress is not None:
            progress.advance()
        return result

    return await asyncio.gather(*(one(factory) for factory in factories))


def plain(body: bytes) -> bytes:
    return body


@dataclass(frozen=True)
class Pair:
    index: int
    sender: RelayClient  # a worker
    recipient: RelayClient  # the caregiver of the worker's case
    seal: Callable[[bytes], bytes] = plain  # the sender's end-to-end encryption, or none


async def register_pair(
    pool: ClientPool,
    admin: RelayClient,
    index: int,
    on_envelope: Callable[[Envelope], None],
    decrypting: Decrypting | None,
) -> Pair:
    if decrypting is None:
        worker = await pool.register((await admin.create_invite("worker"))["token"])
        caregiver_invite = (await worker.create_invite("caregiver"))["token"]
        caregiver = await pool.register(caregiver_invite, on_envelope)
        return Pair(index, worker, caregiver)
    worker_keys, worker_key = new_device()
    caregiver_keys, caregiver_key = new_device()
    worker_invite = (await admin.create_invite("worker"))["token"]
    worker = await pool.register(worker_invite, key=worker_key)
    caregiver_invite = (await worker.create_invite("caregiver"))["token"]
    caregiver = await pool.register(caregiver_invite, decrypting, key=caregiver_key)
    seal = await establish(worker, worker_keys, caregiver, caregiver_keys, decrypting)
    return Pair(index, worker, caregiver, seal)


async def register_pairs(
    pool: ClientPool,
    admin: RelayClient,
    count: int,
    on_envelope: Callable[[Envelope], None],
    decrypting: Decrypting | None = None,
) -> list[Pair]:
    progress = report.Progress("pairs registered", count, now_ns)
    pairs = await bounded(
        (lambda i=i: register_pair(pool, admin, i, on_envelope, decrypting) for i in range(count)),
        REGISTER_CONCURRENCY,
        progress,
    )
    return [pair for pair in pairs if pair is not None]  # all of them: failures raise


async def hold_idle_connections(
    pool: ClientPool, admin: RelayClient, count: int, meter: ServerMeter
) -> dict[str, Any]:
    """Register `count` accounts, one device each, and keep their connections open (one
    account per connection: the relay allows 10 connections per account)."""
    before = meter.rss_bytes()

    async def one() -> RelayClient:
        return await pool.register((await admin.create_invite("worker"))["token"])

    progress = report.Progress("idle connections", count, now_ns)
    await bounded((one for _ in range(count)), REGISTER_CONCURRENCY, progress)
    after = meter.rss_bytes()
    per_connection = None
    if before is not None and after is not None:
        per_connection = round((after - before) / count / 1024, 2)
    return {"connections": count, "rss_per_connection_kib": per_connection}


# -- sending and receiving ------------------------------------------------------------------


class Receipts:
    """What the recipients saw: first arrivals with their latency, duplicates, fences."""

    def __init__(self, fences_expected: int) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.latencies_ns: list[int] = []
        self.duplicated = 0
        self.malformed = 0
        self.last_ns = 0
        self.fences_expected = fences_expected
        self.fences = 0
        self.fenced = asyncio.Event()
        self.progress: report.Progress | None = None

    def on_envelope(self, envelope: Envelope) -> None:
        received_ns = now_ns()
        if len(envelope.body) < HEADER.size:
            self.malformed += 1
            return
        sent_ns, pair, seq = HEADER.unpack_from(envelope.body)
        if seq == FENCE_SEQ:
            self.fences += 1
            self._check_fenced()
            return
        if (pair, seq) in self.seen:
            self.duplicated += 1
            return
        self.seen.add((pair, seq))
        self.latencies_ns.append(received_ns - sent_ns)
        self.last_ns = received_ns
        if self.progress is not None:
            self.progress.advance()

    def fence_not_sent(self) -> None:
        self.fences_expected -= 1
        self._check_fenced()

    def _check_fenced(self) -> None:
        if self.fences >= self.fences_expected:
            self.fenced.set()

    async def wait_fenced(self) -> None:
        """Until every fence arrived, or nothing arrived for QUIET_TIMEOUT_S."""
        while not self.fenced.is_set():
            count = len(self.seen) + self.fences
            with suppress(TimeoutError):
                async with asyncio.timeout(QUIET_TIMEOUT_S):
                    await self.fenced.wait()
            if not self.fenced.is_set() and len(self.seen) + self.fences == count:
                report.say(f"no delivery for {QUIET_TIMEOUT_S:g} s: counting the rest as lost")
                return


@dataclass
class Tally:
    """What the senders got acknowledged."""

    accepted: set[tuple[int, int]] = field(default_factory=set)
    refused: int = 0
    first_error: str | None = None
    last_accept_ns: int = 0


class Pacer:
    """Spreads `rate` envelopes/s evenly over all senders; rate 0 = as fast as possible.

    A paced envelope is stamped with the time it was *due*, not when it left: if the load
    generator or a full window delays it, that delay counts as latency (no coordinated
    omission)."""

    def __init__(self, rate: float, senders: int, start_ns: int) -> None:
        self._interval_ns = 1e9 / rate if rate > 0 else 0.0
        self._senders = senders
        self._start_ns = start_ns

    async def stamp(self, sender: int, seq: int) -> int:
        if not self._interval_ns:
            return now_ns()
        due_ns = self._start_ns + int((seq * self._senders + sender) * self._interval_ns)
        delay_ns = due_ns - now_ns()
        if delay_ns > 0:
            await asyncio.sleep(delay_ns / 1e9)  # pacing to a schedule, not synchronisation
        return due_ns


async def send_pair(
    pair: Pair,
    args: argparse.Namespace,
    pacer: Pacer,
    tally: Tally,
    receipts: Receipts,
    progress: report.Progress,
) -> None:
    """`args.messages` envelopes from the pair's worker to its caregiver, at most
    `args.inflight` unacknowledged, then the fence."""
    padding = os.urandom(args.size - HEADER.size)
    to = pair.recipient.device_id
    sequence = iter(range(args.messages))

    async def lane() -> None:
        for seq in sequence:
            stamp = await pacer.stamp(pair.index, seq)
            body = pair.seal(HEADER.pack(stamp, pair.index, seq) + padding)
            try:
                await pair.sender.send(to, body)
            except ClientError as error:
                tally.refused += 1
                tally.first_error = tally.first_error or str(error)
                continue
            tally.accepted.add((pair.index, seq))
            tally.last_accept_ns = now_ns()
            progress.advance()

    await asyncio.gather(*(lane() for _ in range(args.inflight)))
    try:
        fence = pair.seal(HEADER.pack(now_ns(), pair.index, FENCE_SEQ) + padding)
        await pair.sender.send(to, fence)
    except ClientError:
        receipts.fence_not_sent()


async def send_all(
    pairs: list[Pair], args: argparse.Namespace, receipts: Receipts, start_ns: int
) -> Tally:
    tally = Tally()
    pacer = Pacer(args.rate, len(pairs), start_ns)
    progress = report.Progress("envelopes accepted", len(pairs) * args.messages, now_ns)
    await asyncio.gather(*(send_pair(p, args, pacer, tally, receipts, progress) for p in pairs))
    if tally.refused:
        report.say(f"{tally.refused} sends refused, first: {tally.first_error}")
    return tally
