"""send and ack: the store-and-forward core.

`send` carries many envelopes in one event (one JSON list of descriptors plus one binary
attachment holding every body back to back), because python-socketio costs far more per
event than per byte. The reply comes only after the envelopes are committed.
"""

from __future__ import annotations

from typing import Any

from relay.blobs import BLOB_ID, MAX_BLOBS_PER_ENVELOPE
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.reach import note_took_part
from relay.ids import DEVICE_ID, ENVELOPE_ID
from relay.notify import note_delivered
from relay.policies import effective_for
from relay.storage.base import DeviceRecord, NewEnvelope, Route, StoreOutcome
from relay.validate import int_field, require_object

_OUTCOME_ERRORS = {
    StoreOutcome.MAILBOX_FULL: Code.MAILBOX_FULL,
    StoreOutcome.UNKNOWN_DEVICE: Code.UNKNOWN_DEVICE,
    StoreOutcome.ID_REUSED: Code.ID_REUSED,
}


def _parse_blobs(item: dict[str, Any], index: int) -> tuple[str, ...]:
    """The blobs an envelope names (PROTOCOL.md §4.17): none, or 1-4 blob ids."""
    names = item.get("blobs")
    if names is None:
        return ()
    if (
        not isinstance(names, list)
        or not 1 <= len(names) <= MAX_BLOBS_PER_ENVELOPE
        or not all(isinstance(name, str) and BLOB_ID.fullmatch(name) for name in names)
    ):
        raise RelayError(
            Code.MALFORMED,
            f"envelopes[{index}].blobs must be a list of 1-{MAX_BLOBS_PER_ENVELOPE} blob ids.",
        )
    return tuple(dict.fromkeys(names))


def _parse_send(data: Any, ctx: RelayContext) -> list[tuple[str, str, bytes, tuple[str, ...]]]:
    """(id, recipient, body, blobs named) for each envelope, or `malformed` / a size error
    for the event."""
    data = require_object(data)
    limits = ctx.config.limits
    descriptors, bodies = data.get("envelopes"), data.get("bodies")
    if not isinstance(descriptors, list) or not isinstance(bodies, bytes):
        raise RelayError(Code.MALFORMED, "send needs 'envelopes' (a list) and 'bodies' (binary).")
    if len(descriptors) > limits.max_envelopes_per_event:
        raise RelayError(Code.TOO_MANY_ENVELOPES, limit=limits.max_envelopes_per_event)
    if len(bodies) > limits.max_event_bytes:
        raise RelayError(Code.PAYLOAD_TOO_LARGE, limit=limits.max_event_bytes)
    parsed, offset = [], 0
    for index, item in enumerate(descriptors):
        if not isinstance(item, dict):
            raise RelayError(Code.MALFORMED, f"envelopes[{index}] must be an object.")
        envelope_id, to, size = item.get("id"), item.get("to"), item.get("size")
        if not isinstance(envelope_id, str) or not ENVELOPE_ID.fullmatch(envelope_id):
            raise RelayError(
                Code.MALFORMED, f"envelopes[{index}].id must be 8-64 base64url characters."
            )
        if not isinstance(to, str) or not DEVICE_ID.fullmatch(to):
            raise RelayError(Code.MALFORMED, f"envelopes[{index}].to must be a device id.")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise RelayError(Code.MALFORMED, f"envelopes[{index}].size must be a whole number ≥ 1.")
        parsed.append((envelope_id, to, bodies[offset : offset + size], _parse_blobs(item, index)))
        offset += size
    if offset != len(bodies):
        raise RelayError(Code.MALFORMED, "The sizes do not add up to the length of 'bodies'.")
    return parsed


async def _blob_refusals(
    ctx: RelayContext, sender: DeviceRecord, names: set[str], now: int
) -> dict[str, Code]:
    """Blob id -> why an envelope may not name it: unknown_blob (none, gone, expired, or
    another account's: the relay does not say it exists) or blob_incomplete."""
    refusals: dict[str, Code] = {}
    for blob_id in names:
        blob = await ctx.storage.blob(blob_id)
        if blob is None or blob.account_id != sender.account_id or blob.expires_at <= now:
            refusals[blob_id] = Code.UNKNOWN_BLOB
        elif not blob.complete:
            refusals[blob_id] = Code.BLOB_INCOMPLETE
    return refusals


def _refusal(route: Route | None, now: float) -> Code | None:
    """Why an envelope may not take this route (None: it may)."""
    if route is None:
        return Code.UNKNOWN_DEVICE
    if route.closed:
        return Code.GROUP_CLOSED if route.group else Code.CASE_CLOSED
    if not route.allowed:
        return Code(route.refusal) if route.refusal else Code.NOT_PERMITTED
    if route.muted_until > now:
        return Code.MUTED
    return None


async def on_send(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    parsed = _parse_send(data, ctx)
    sender = conn.device
    bucket = conn.send_bucket
    if sender is None or bucket is None:  # the dispatcher only calls us when authenticated
        raise RelayError(Code.NOT_AUTHENTICATED)
    now = ctx.clock.now()
    if not bucket.take(len(parsed), now):
        raise RelayError(
            Code.RATE_LIMITED, retry_after_ms=int(bucket.retry_after(len(parsed), now) * 1000) + 1
        )
    limits = ctx.config.limits
    lifetimes: dict[str | None, int] = {}  # case id -> lifetime, looked up once per event
    rejected: list[dict[str, Any]] = []
    accepted: list[NewEnvelope] = []
    named = {blob for *_, blobs in parsed for blob in blobs}
    blob_refusals = await _blob_refusals(ctx, sender, named, int(now)) if named else {}
    # (blob, reader device, expiry, case or group) for each accepted envelope naming blobs
    readers: list[tuple[str, str, int, str | None]] = []
    # The lock keeps one sender's envelopes in the order it sent them, even when a
    # permission lookup has to wait for the database.
    async with conn.send_lock:
        for envelope_id, to, body, blobs in parsed:
            if len(body) > limits.max_envelope_bytes:
                rejected.append({"id": envelope_id, "code": Code.ENVELOPE_TOO_LARGE})
                continue
            blob_code = next((blob_refusals[b] for b in blobs if b in blob_refusals), None)
            if blob_code is not None:
                rejected.append({"id": envelope_id, "code": blob_code})
                continue
            route = await ctx.may_send(sender, to)
            code = _refusal(route, now)
            if code is not None or route is None:
                refusal = {"id": envelope_id, "code": code or Code.UNKNOWN_DEVICE}
                if code == Code.CASE_CLOSED and route is not None and route.case_id:
                    # when and by whom, so the app explains itself (PROTOCOL.md §4.3)
                    refusal.update(await ctx.storage.case_closure(route.case_id))
                rejected.append(refusal)
                continue
            # The lifetime of the case (or group) it travels in, within the organisation's
            # limits.
            if route.case_id not in lifetimes:
                policy = await effective_for(ctx, route.case_id)
                lifetimes[route.case_id] = policy.envelope_lifetime
            expires_at = int(now) + lifetimes[route.case_id]
            reader = route.to_device or to  # a group envelope: the device behind the handle
            readers.extend((blob, reader, expires_at, route.case_id) for blob in blobs)
            if route.group:  # from the sender's handle to the device behind the recipient's
                assert route.from_handle is not None and route.to_device is not None
                accepted.append(
                    NewEnvelope(
                        route.from_handle,
                        envelope_id,
                        route.to_device,
                        body,
                        expires_at,
                        route.case_id,
                    )
                )
                continue
            accepted.append(
                NewEnvelope(sender.id, envelope_id, to, body, expires_at, route.case_id)
            )
        if ctx.closing or ctx.commits is None:
            raise RelayError(Code.UNAVAILABLE)
        if accepted:  # the sender takes part in a conversation (reach figures): marked
            # before the commit, so the reply does not wait once the recipient has it
            groups = {e.case_id for e in accepted if e.from_device != sender.id and e.case_id}
            await note_took_part(ctx, sender, groups)
        if readers:
            # Before the envelopes commit: a reader that receives one may fetch at once.
            await ctx.storage.name_blobs(readers)
        pending = ctx.commits.store(accepted) if accepted else None
    if pending is not None:
        try:
            results = await pending
        except Exception:
            raise RelayError(Code.UNAVAILABLE) from None
        not_stored: set[str] = set()
        for envelope, result in zip(accepted, results, strict=True):
            code = _OUTCOME_ERRORS.get(result.outcome)
            if code is not None:
                rejected.append({"id": envelope.envelope_id, "code": code})
                not_stored.add(envelope.to_device)
        if readers and not_stored:  # that device will not get the key: no reader after all
            await ctx.storage.unname_blobs([(b, d) for b, d, *_ in readers if d in not_stored])
    return {
        "ok": True,
        "accepted": len(parsed) - len(rejected),
        "rejected": [{**r, "code": str(r["code"])} for r in rejected],
    }


async def on_ack(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    upto = int_field(require_object(data), "upto", minimum=1)
    stream = conn.stream
    if stream is None or conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if upto > stream.cursor:
        raise RelayError(Code.BAD_ACK, delivered_upto=stream.cursor)
    if ctx.commits is not None and upto > stream.acked:
        ctx.commits.ack(conn.device.id, upto)
    acknowledged = stream.acknowledged(upto)
    if acknowledged:
        note_delivered(ctx, acknowledged)
        await note_took_part(ctx, conn.device)  # took delivery: took part (reach figures)
    return {"ok": True}
