"""send and ack: the store-and-forward core.

`send` carries many envelopes in one event (one JSON list of descriptors plus one binary
attachment holding every body back to back), because python-socketio costs far more per
event than per byte. The reply comes only after the envelopes are committed.
"""

from __future__ import annotations

from typing import Any

from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.ids import DEVICE_ID, ENVELOPE_ID
from relay.notify import note_delivered
from relay.policies import effective_for
from relay.storage.base import NewEnvelope, Route, StoreOutcome
from relay.validate import int_field, require_object

_OUTCOME_ERRORS = {
    StoreOutcome.MAILBOX_FULL: Code.MAILBOX_FULL,
    StoreOutcome.UNKNOWN_DEVICE: Code.UNKNOWN_DEVICE,
    StoreOutcome.ID_REUSED: Code.ID_REUSED,
}


def _parse_send(data: Any, ctx: RelayContext) -> list[tuple[str, str, bytes]]:
    """(id, recipient, body) for each envelope, or `malformed` / a size error for the event."""
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
        parsed.append((envelope_id, to, bodies[offset : offset + size]))
        offset += size
    if offset != len(bodies):
        raise RelayError(Code.MALFORMED, "The sizes do not add up to the length of 'bodies'.")
    return parsed


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
    rejected: list[dict[str, str]] = []
    accepted: list[NewEnvelope] = []
    # The lock keeps one sender's envelopes in the order it sent them, even when a
    # permission lookup has to wait for the database.
    async with conn.send_lock:
        for envelope_id, to, body in parsed:
            if len(body) > limits.max_envelope_bytes:
                rejected.append({"id": envelope_id, "code": Code.ENVELOPE_TOO_LARGE})
                continue
            route = await ctx.may_send(sender, to)
            code = _refusal(route, now)
            if code is not None or route is None:
                rejected.append({"id": envelope_id, "code": code or Code.UNKNOWN_DEVICE})
                continue
            # The lifetime of the case (or group) it travels in, within the organisation's
            # limits.
            if route.case_id not in lifetimes:
                policy = await effective_for(ctx, route.case_id)
                lifetimes[route.case_id] = policy.envelope_lifetime
            expires_at = int(now) + lifetimes[route.case_id]
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
        pending = ctx.commits.store(accepted) if accepted else None
    if pending is not None:
        try:
            results = await pending
        except Exception:
            raise RelayError(Code.UNAVAILABLE) from None
        for envelope, result in zip(accepted, results, strict=True):
            code = _OUTCOME_ERRORS.get(result.outcome)
            if code is not None:
                rejected.append({"id": envelope.envelope_id, "code": code})
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
    return {"ok": True}
