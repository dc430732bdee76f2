"""Authentication and registration: challenges are fresh, bound to one connection and good
for one use; invites are one-time, expire, and cannot be guessed at speed."""

from __future__ import annotations

import asyncio

import pytest

from helpers import WAIT, error_code, raw_call, raw_socket
from relay.ids import b64url, unb64url
from steuntje_client import DeviceKey, RelayRefused


async def challenge(sio) -> tuple[bytes, bytes]:
    reply = await sio.call("challenge", {}, timeout=WAIT)
    assert reply["ok"] and reply["protocol"] == 1
    return unb64url(reply["relay"]), unb64url(reply["nonce"])


async def test_a_registered_device_authenticates_by_signing_the_challenge(relay):
    _, worker, _ = await relay.onboard()
    again = relay.client(worker.key)
    identity = await again.connect()
    assert identity["device"] == worker.key.device_id
    assert identity["role"] == "worker"


async def test_auth_without_a_challenge_is_refused(relay):
    _, worker, _ = await relay.onboard()
    sio = await raw_socket(relay.url)
    try:
        reply = await sio.call(
            "auth", {"device": worker.key.device_id, "signature": b64url(bytes(64))}, timeout=WAIT
        )
        assert error_code(reply) == "no_challenge"
    finally:
        await sio.disconnect()


async def test_a_signature_from_another_connection_is_useless(relay):
    _, worker, _ = await relay.onboard()
    first, second = await raw_socket(relay.url), await raw_socket(relay.url)
    try:
        relay_id, nonce = await challenge(first)
        signature = b64url(worker.key.sign_challenge(relay_id, nonce))
        await challenge(second)
        replayed = await second.call(
            "auth", {"device": worker.key.device_id, "signature": signature}, timeout=WAIT
        )
        assert error_code(replayed) == "bad_signature"
        # and a challenge, once tried, is spent: the right signature no longer works either
        spent = await second.call(
            "auth", {"device": worker.key.device_id, "signature": signature}, timeout=WAIT
        )
        assert error_code(spent) == "no_challenge"
        ok = await first.call(
            "auth", {"device": worker.key.device_id, "signature": signature}, timeout=WAIT
        )
        assert ok["ok"] is True
    finally:
        await first.disconnect()
        await second.disconnect()


async def test_a_wrong_key_or_relay_id_gives_bad_signature(relay):
    _, worker, _ = await relay.onboard()
    sio = await raw_socket(relay.url)
    try:
        relay_id, nonce = await challenge(sio)
        other = DeviceKey.generate().sign_challenge(relay_id, nonce)
        reply = await sio.call(
            "auth", {"device": worker.key.device_id, "signature": b64url(other)}, timeout=WAIT
        )
        assert error_code(reply) == "bad_signature"
        _, nonce = await challenge(sio)
        wrong_relay = worker.key.sign_challenge(bytes(16), nonce)
        reply = await sio.call(
            "auth", {"device": worker.key.device_id, "signature": b64url(wrong_relay)}, timeout=WAIT
        )
        assert error_code(reply) == "bad_signature"
    finally:
        await sio.disconnect()


async def test_an_unregistered_key_is_an_unknown_device(relay):
    stranger = relay.client()
    with pytest.raises(RelayRefused) as refused:
        await stranger.connect()
    assert refused.value.code == "unknown_device"


async def test_events_before_authentication_are_refused(relay):
    _, worker, caregiver = await relay.onboard()
    sio = await raw_socket(relay.url)
    try:
        reply = await sio.call("send", {"envelopes": [], "bodies": b""}, timeout=WAIT)
        assert error_code(reply) == "not_authenticated"
        assert error_code(await sio.call("case_list", {}, timeout=WAIT)) == "not_authenticated"
    finally:
        await sio.disconnect()
    assert error_code(await raw_call(worker, "auth", {})) == "already_authenticated"


async def test_an_unauthenticated_connection_is_closed_after_the_timeout(small_relay):
    relay = await small_relay(auth_timeout_s=0.2)
    sio = await raw_socket(relay.url)
    closed = asyncio.Event()
    sio.on("disconnect", lambda *args: closed.set())
    await asyncio.wait_for(closed.wait(), WAIT)
    assert not sio.connected


async def test_an_expired_invite_is_refused(relay):
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    link = (await admin.create_invite("worker"))["link"]
    relay.clock.advance(relay.ctx.config.invite_ttl_s + 1)
    with pytest.raises(RelayRefused) as refused:
        await relay.client().register(link)
    assert refused.value.code == "invite_expired"


async def test_an_invite_works_once(relay):
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    link = (await admin.create_invite("worker"))["link"]
    await relay.client().register(link)
    with pytest.raises(RelayRefused) as refused:
        await relay.client().register(link)
    assert refused.value.code == "invite_used"


@pytest.mark.parametrize("token", [b64url(bytes(32)), "not-a-token", "", "x" * 500])
async def test_an_unknown_or_malformed_invite_is_invalid(relay, token):
    with pytest.raises(RelayRefused) as refused:
        await relay.client().register(token)
    assert refused.value.code == "invite_invalid"


async def test_a_device_cannot_register_twice(relay):
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    key = DeviceKey.generate()
    await relay.client(key).register((await admin.create_invite("worker"))["link"])
    with pytest.raises(RelayRefused) as refused:
        await relay.client(key).register((await admin.create_invite("worker"))["link"])
    assert refused.value.code == "device_exists"


async def test_guessing_invites_is_slowed_down_and_recovers(small_relay):
    relay = await small_relay(invite_attempts_per_minute=3)
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    good = (await admin.create_invite("worker"))["link"]
    for _ in range(3):
        with pytest.raises(RelayRefused):
            await relay.client().register(b64url(DeviceKey.generate().device_id.encode()[:32]))
    with pytest.raises(RelayRefused) as refused:
        await relay.client().register(good)  # even a good invite waits: no oracle
    assert refused.value.code == "too_many_attempts"
    assert refused.value.details["retry_after_ms"] > 0
    relay.clock.advance(60)
    identity = await relay.client().register(good)
    assert identity["role"] == "worker"


async def test_a_linked_device_joins_the_same_account(relay):
    _, worker, caregiver = await relay.onboard()
    link = (await caregiver.link_device())["link"]
    tablet = relay.client()
    identity = await tablet.register(link)
    assert identity["account"] == caregiver.account_id and identity["role"] == "caregiver"
    assert sorted(await worker.devices_of(caregiver.account_id)) == sorted(
        [caregiver.device_id, tablet.device_id]
    )
    await worker.send(tablet.device_id, b"ook op de tablet")
    (envelope,) = [await asyncio.wait_for(tablet.envelopes.get(), WAIT)]
    assert envelope.body == b"ook op de tablet"


async def test_connections_per_account_are_limited(small_relay):
    relay = await small_relay(connections_per_account=1)
    _, worker, caregiver = await relay.onboard()
    link = (await caregiver.link_device())["link"]
    tablet_key = DeviceKey.generate()
    with pytest.raises(RelayRefused) as refused:
        await relay.client(tablet_key).register(link)
    assert refused.value.code == "too_many_connections"
    # The registration itself stood: once the phone disconnects, the tablet signs in.
    phone = relay.ctx.by_device[caregiver.device_id]
    await caregiver.close()
    await asyncio.wait_for(phone.closed.wait(), WAIT)
    identity = await relay.client(tablet_key).connect()
    assert identity["account"] == caregiver.account_id
