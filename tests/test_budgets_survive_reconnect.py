"""A device's send and prekey-fetch budgets belong to the device, not to one connection:
reconnecting must not refill them. Otherwise a member could drain another device's
one-time prekeys (or flood a mailbox) faster than the limit by reconnecting in a loop."""

from __future__ import annotations

import pytest

from steuntje_client import RelayRefused
from tests.helpers import error_code, raw_call, receive

NOWHERE = "A" * 43  # a well-formed device id nobody has


async def test_a_reconnect_does_not_refill_the_prekey_fetch_budget(small_relay):
    relay = await small_relay(prekey_fetches_per_minute=2)
    _, worker, _ = await relay.onboard()
    for _ in range(2):
        assert error_code(await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})) == (
            "unknown_device"
        )
    assert error_code(await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})) == (
        "too_many_attempts"
    )
    await worker.close()
    await worker.connect()
    assert error_code(await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})) == (
        "too_many_attempts"
    )
    relay.clock.advance(30.0)  # one fetch per 30 s refills, as on one connection
    assert error_code(await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})) == (
        "unknown_device"
    )


async def test_a_reconnect_does_not_refill_the_send_budget(small_relay):
    relay = await small_relay(send_rate_per_s=1, send_burst=3)
    _, worker, caregiver = await relay.onboard()
    for n in range(3):
        await worker.send(caregiver.device_id, b"ok %d" % n)
    await receive(caregiver, 3)
    with pytest.raises(RelayRefused) as refused:
        await worker.send(caregiver.device_id, b"een te veel")
    assert refused.value.code == "rate_limited"
    await worker.close()
    await worker.connect()
    with pytest.raises(RelayRefused) as refused:
        await worker.send(caregiver.device_id, b"nog steeds te veel")
    assert refused.value.code == "rate_limited"
    relay.clock.advance(1.0)
    await worker.send(caregiver.device_id, b"weer toegestaan")
