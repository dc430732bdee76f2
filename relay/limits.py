"""Rate limiting as pure arithmetic: a token bucket that is told the time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    """`rate` tokens per second refill up to `burst`. `take(n, now)` spends n tokens or none.

    A bucket starts full, so a client that was quiet may send a burst at once (a check-in to
    a whole caseload); a flood then settles to `rate`.
    """

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = 0.0

    def _refill(self, now: float) -> None:
        if self.tokens < 0:
            self.tokens, self.updated = self.burst, now
            return
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now

    def take(self, n: float, now: float) -> bool:
        self._refill(now)
        if n > self.tokens:
            return False
        self.tokens -= n
        return True

    def retry_after(self, n: float, now: float) -> float:
        """Seconds until `n` tokens will be there (0 if they are now)."""
        self._refill(now)
        missing = n - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate


@dataclass(slots=True)
class DeviceBudgets:
    """One device's buckets. They live as long as the relay process, not one connection:
    a client that reconnects gets the budget it left with, so reconnecting in a loop cannot
    drain another device's one-time prekeys or flood a mailbox past the limits."""

    send: TokenBucket
    fetch: TokenBucket  # prekeys of devices (case contacts)
    group_fetch: TokenBucket  # prekeys of group handles (a newcomer fetches many at once)
    blob_create: TokenBucket | None = None  # made on first use (relay/handlers/blobs.py)
