"""One push over HTTP: encrypted by webpush/ (RFC 8291, RFC 8292), POSTed per RFC 8030."""

from __future__ import annotations

import enum
import time
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid02

from relay.push.payload import conversation_hint
from relay.storage.sqlite_push import PushSubscription
from webpush import encryption, vapid

REQUEST_TIMEOUT_S = 10.0
JWT_LIFETIME_S = 12 * 3600  # RFC 8292 §2: at most 24 hours
RESIGN_AFTER_S = 3600  # well inside the lifetime, so a token never expires in flight
MAX_ORIGINS = 64  # push services are few; anything more is not worth keeping


class Outcome(enum.Enum):
    SENT = "sent"
    GONE = "gone"  # 404/410: the subscription is dead, forget it
    FAILED = "failed"  # anything else: try again with the next arrival


def headers(authorization: dict[str, str], ttl_s: int, topic: str) -> dict[str, str]:
    """RFC 8030 §5.2-5.4 with the VAPID header (RFC 8292) of the endpoint's origin."""
    return {
        **authorization,
        "TTL": str(ttl_s),
        # high: a caregiver wants to know now; the push says nothing more than that.
        "Urgency": "high",
        # One topic per device: a newer push replaces one still waiting at the push service.
        "Topic": topic,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }


def topic_for(hint_key: bytes) -> str:
    """RFC 8030 §5.4: at most 32 base64url characters; the same for every push to one
    device, so the push service learns nothing it does not already know (the endpoint).
    Derived, never the hint key itself, which would let it name conversations."""
    return conversation_hint(hint_key, "topic")


class PushSender:
    def __init__(self, vapid: Vapid02, contact: str, ttl_s: int) -> None:
        self._vapid = vapid
        self._contact = contact
        self._ttl_s = ttl_s
        self._session: aiohttp.ClientSession | None = None
        # push service origin -> (Authorization header, when to sign anew): one ECDSA
        # signature per origin per hour instead of one per push.
        self._tokens: dict[str, tuple[dict[str, str], float]] = {}
        self.sent = 0  # counters for tests and the benchmark; never per-user data
        self.failed = 0

    def __repr__(self) -> str:
        return f"PushSender(sent={self.sent}, failed={self.failed})"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _authorization(self, endpoint: str, now: float) -> dict[str, str]:
        """The VAPID header for the endpoint's origin, signed at most once an hour. `now`
        is the real clock: the push service checks the JWT's expiry against its own."""
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._tokens.get(origin)
        if cached is not None and cached[1] > now:
            return cached[0]
        signed = vapid.sign(self._vapid, origin, self._contact, int(now) + JWT_LIFETIME_S)
        if len(self._tokens) >= MAX_ORIGINS:
            self._tokens.clear()
        self._tokens[origin] = (signed, now + RESIGN_AFTER_S)
        return signed

    async def send(self, subscription: PushSubscription, payload: bytes) -> Outcome:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            )
        body = encryption.encrypt(payload, subscription.p256dh, subscription.auth)
        authorization = self._authorization(subscription.endpoint, time.time())
        sent_headers = headers(authorization, self._ttl_s, topic_for(subscription.hint_key))
        try:
            async with self._session.post(
                subscription.endpoint, data=body, headers=sent_headers, allow_redirects=False
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            self.failed += 1
            return Outcome.FAILED
        if status in (404, 410):
            return Outcome.GONE
        if 200 <= status < 300:
            self.sent += 1
            return Outcome.SENT
        self.failed += 1
        return Outcome.FAILED
