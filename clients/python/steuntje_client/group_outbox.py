"""Sending to a group: encrypt a message once per recipient handle, then hand the relay
every envelope in as few `send` events as its limits allow (docs/groups.md §1).

Split in two so that a benchmark can time the sender's own CPU apart from the network:
`seal` (pure encryption over existing sessions, plus session setup for new handles) and
`submit` (the `send` events, retried when the relay says `rate_limited`).

A handle that has not published prekeys yet (someone who joined a moment ago: their app
uploads right after the join) cannot be encrypted to. Its messages wait here, in order,
and go out as soon as a session exists: when it writes to us (its first message is its
profile) or at our next send to the group. Each keeps the blobs its message names, so
the envelope that finally goes names them too and that device may fetch the attachment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from steuntje_client.client import (
    MAX_BYTES_PER_EVENT,
    MAX_ENVELOPES_PER_EVENT,
    RelayClient,
    new_envelope_id,
)
from steuntje_client.errors import ClientError, RelayRefused
from steuntje_client.group_identity import GroupIdentity, UntrustedHandleBundle

SEND_ATTEMPTS = 8  # rate_limited answers before giving up
MAX_WAITING = 200  # messages kept per handle that has no prekeys yet
Blobs = tuple[str, ...]  # the attachments' blobs a message names (PROTOCOL.md §4.17)
GONE = ("not_a_member", "unknown_device")  # the relay no longer routes to that handle


@dataclass
class Sealed:
    """Envelopes for one message (or a flush of waiting ones), ready for `submit`."""

    envelopes: list[tuple[str, bytes]] = field(default_factory=list)  # (handle, body)
    blobs: list[Blobs] = field(default_factory=list)  # what each envelope names, in step
    waiting: list[str] = field(default_factory=list)  # handles to retry (no prekeys yet, …)
    untrusted: list[str] = field(default_factory=list)  # handles whose bundle was a lie

    def add(self, handle: str, body: bytes, blobs: Blobs) -> None:
        self.envelopes.append((handle, body))
        self.blobs.append(blobs)


class Outbox:
    def __init__(self, relay: RelayClient) -> None:
        self._relay = relay
        # (group, handle) -> (plaintext, blobs it names), oldest first
        self._waiting: dict[tuple[str, str], list[tuple[bytes, Blobs]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, group: str) -> asyncio.Lock:
        """Held from encryption to the relay's acknowledgement, so one device's messages
        to a group reach every recipient in the order they were sent."""
        return self._locks.setdefault(group, asyncio.Lock())

    def has_waiting(self, group: str, handle: str) -> bool:
        return (group, handle) in self._waiting

    def forget(self, group: str, handle: str) -> None:
        self._waiting.pop((group, handle), None)

    async def seal(
        self,
        identity: GroupIdentity,
        handles: Sequence[str],
        plaintext: bytes | None,
        blobs: Blobs = (),
    ) -> Sealed:
        """Encrypt `plaintext` (None: only what waits) for each handle, waiting ones first.
        `blobs`: the attachments it names."""
        sealed = Sealed()
        group = identity.group
        plans: list[tuple[str, list[tuple[bytes, Blobs]]]] = []
        for handle in handles:
            queued = self._waiting.pop((group, handle), [])
            texts = queued + ([(plaintext, blobs)] if plaintext is not None else [])
            if not queued and plaintext is not None:
                # The common case, a session exists: encrypt here, no task, no await.
                ready = identity.encrypt_ready(handle, plaintext)
                if ready is not None:
                    sealed.add(handle, ready, blobs)
                    continue
            plans.append((handle, texts))
        if not plans:
            return sealed
        # New handles fetch their bundles (one at a time, see GroupIdentity) meanwhile.
        results = await asyncio.gather(
            *(self._seal_one(identity, handle, texts) for handle, texts in plans),
            return_exceptions=True,
        )
        for (handle, texts), result in zip(plans, results, strict=True):
            if isinstance(result, UntrustedHandleBundle):
                sealed.untrusted.append(handle)
            elif isinstance(result, RelayRefused) and result.code in GONE:
                continue  # the handle left meanwhile: nothing to deliver to it
            elif isinstance(result, ClientError):
                # No prekeys yet, or the relay could not answer now: kept, in order, for
                # the next send to the group or the handle's first message to us.
                self._waiting[(group, handle)] = texts[-MAX_WAITING:]
                sealed.waiting.append(handle)
            elif isinstance(result, BaseException):
                raise result
            else:
                for body, (_, named) in zip(result, texts, strict=True):
                    sealed.add(handle, body, named)
        return sealed

    async def _seal_one(
        self, identity: GroupIdentity, handle: str, texts: list[tuple[bytes, Blobs]]
    ) -> list[bytes]:
        bodies = []
        for text, _ in texts:
            ready = identity.encrypt_ready(handle, text)
            bodies.append(ready if ready is not None else await identity.encrypt_for(handle, text))
        return bodies

    async def submit(self, sealed: Sealed) -> dict[str, str]:
        """Store the envelopes on the relay, in order; returns {handle: code} of refusals.
        Each names the blobs its message names, so its recipient device may fetch them."""
        refused: dict[str, str] = {}
        for chunk in _chunks(list(zip(sealed.envelopes, sealed.blobs, strict=True))):
            items = [(new_envelope_id(), to, body, blobs) for (to, body), blobs in chunk]
            data = {
                "envelopes": [
                    {"id": i, "to": to, "size": len(body), **({"blobs": list(b)} if b else {})}
                    for i, to, body, b in items
                ],
                "bodies": b"".join(body for _, _, body, _ in items),
            }
            reply = await self._send_event(data)
            by_id = {i: to for i, to, _, _ in items}
            for rejection in reply.get("rejected", ()):
                refused[by_id.get(rejection.get("id"), "")] = str(rejection.get("code"))
        return refused

    async def _send_event(self, data: dict[str, object]) -> dict[str, object]:
        for _ in range(SEND_ATTEMPTS):
            try:
                return await self._relay.request("send", data)
            except RelayRefused as refused:
                if refused.code != "rate_limited":
                    raise
                # The same envelope ids again: the relay never stores one twice.
                await asyncio.sleep(int(refused.details.get("retry_after_ms", 100)) / 1000)
        raise RelayRefused("rate_limited", "the relay kept refusing this group message")


Outgoing = tuple[tuple[str, bytes], Blobs]  # ((handle, body), blobs named)


def _chunks(envelopes: Sequence[Outgoing]) -> list[list[Outgoing]]:
    """Split at the relay's envelopes-per-event and bytes-per-event limits (PROTOCOL §6)."""
    chunks: list[list[Outgoing]] = []
    current: list[Outgoing] = []
    size = 0
    for item in envelopes:
        body = item[0][1]
        if current and (
            len(current) == MAX_ENVELOPES_PER_EVENT or size + len(body) > MAX_BYTES_PER_EVENT
        ):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += len(body)
    if current:
        chunks.append(current)
    return chunks
