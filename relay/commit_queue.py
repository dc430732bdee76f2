"""Group commit: stores and acknowledgements from every connection share one transaction.

While one commit is on disk, new work piles up; the next commit takes all of it. A lone
envelope therefore commits at once, and under load one fsync covers hundreds of
envelopes. Nobody is told "stored" before the transaction holding their envelope has
committed: that is the durability promise in PROTOCOL.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from relay.clock import Clock
from relay.storage.base import NewEnvelope, Storage, StoredEnvelope, StoreOutcome, StoreResult

log = logging.getLogger("steuntje.relay.commit")

MAX_STORES_PER_COMMIT = 4_096  # bounds one transaction's latency under a flood


class CommitQueue:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        mailbox_limit: int,
        on_stored: Callable[[list[StoredEnvelope]], None],
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._mailbox_limit = mailbox_limit
        self._on_stored = on_stored
        self._stores: list[tuple[list[NewEnvelope], asyncio.Future[list[StoreResult]]]] = []
        self._acks: dict[str, int] = {}  # device -> highest cumulative ack not yet applied
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.commits = 0  # counters for the benchmark and tests; never per-user data
        self.stored = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="commit-queue")

    def store(self, envelopes: list[NewEnvelope]) -> asyncio.Future[list[StoreResult]]:
        """Queue envelopes for the next commit; the future resolves once they are durable."""
        future: asyncio.Future[list[StoreResult]] = asyncio.get_running_loop().create_future()
        if self._stopping:
            future.set_exception(RuntimeError("commit queue stopped"))
            return future
        self._stores.append((envelopes, future))
        self._wakeup.set()
        return future

    def ack(self, device_id: str, upto: int) -> None:
        """Queue a cumulative acknowledgement. Not awaited: losing one in a crash only means
        the device gets those envelopes again and drops them as already seen."""
        if upto > self._acks.get(device_id, 0):
            self._acks[device_id] = upto
            self._wakeup.set()

    async def barrier(self) -> None:
        """Return once everything queued before this call is committed (tests, shutdown)."""
        if self._stopping:
            if self._task is not None:
                await self._task
            return
        await self.store([])

    async def stop(self) -> None:
        """Commit everything already queued, then stop."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    def _take(
        self,
    ) -> tuple[list[tuple[list[NewEnvelope], asyncio.Future[list[StoreResult]]]], dict[str, int]]:
        taken_count, envelope_count = 0, 0
        while taken_count < len(self._stores) and envelope_count < MAX_STORES_PER_COMMIT:
            envelope_count += len(self._stores[taken_count][0])
            taken_count += 1
        taken = self._stores[:taken_count]
        del self._stores[:taken_count]
        acks, self._acks = self._acks, {}
        return taken, acks

    async def _run(self) -> None:
        while True:
            if not self._stores and not self._acks:
                if self._stopping:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            taken, acks = self._take()
            envelopes = [env for batch, _ in taken for env in batch]
            try:
                results = await self._storage.apply_batch(
                    envelopes, list(acks.items()), int(self._clock.now()), self._mailbox_limit
                )
            except Exception as exc:  # storage down or full: fail these, keep serving
                log.warning(
                    "commit failed, %d envelopes refused: %s", len(envelopes), type(exc).__name__
                )
                for _, future in taken:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.commits += 1
            stored = [r.envelope for r in results if r.outcome is StoreOutcome.STORED]
            self.stored += len(stored)
            if stored:
                try:
                    self._on_stored(stored)  # type: ignore[arg-type]
                except Exception as exc:  # a bug in delivery must not stop the commits
                    log.error("delivery after commit failed: %s", type(exc).__name__)
            offset = 0
            for batch, future in taken:
                if not future.done():
                    future.set_result(results[offset : offset + len(batch)])
                offset += len(batch)
