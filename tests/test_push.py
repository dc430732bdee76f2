"""Content-free Web Push, checked by an independent push service (web-push-testing on
loopback, tests/push_service/): the relay's VAPID JWT must verify and its RFC 8291 body
decrypt there, or the stand-in refuses the push and the test sees nothing arrive.

Each test waits on the scheduler's `decided` counter (bumped after any push went out),
never on a sleep; "no push" is asserted after the decision was made.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from push_service import stand_in
from push_service.stand_in import StandInSubscription

from relay.push.payload import PAYLOAD_BYTES
from relay.push.settings import PushSettings
from steuntje_client import RelayRefused

WAIT_S = 15
push_service = stand_in.push_service  # the fixture, for the tests below
# aes128gcm: 16 salt + 4 record size + 1 key id length + 65 key id, then the padded
# payload, its 1-byte delimiter and the 16-byte tag.
WIRE_BYTES = 86 + PAYLOAD_BYTES + 1 + 16


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def expected_hint(hint_key: bytes, address: str) -> str:
    return b64url(hmac.new(hint_key, address.encode(), hashlib.sha256).digest()[:12])


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)  # polling step of a condition wait, not a synchronisation


@pytest.fixture
def push_relay(make_relay, push_service):  # type: ignore[no-untyped-def]
    """A relay that may push to the stand-in, with a short delay (tests wait on events)."""

    async def start(**push: object):  # type: ignore[no-untyped-def]
        settings = PushSettings(
            delay_s=0.1, extra_origins=(push_service.origin,), quiet_recheck_s=0.1
        )
        for name, value in push.items():
            settings = settings.__class__(**{**_fields(settings), name: value})
        return await make_relay(push=settings)

    return start


def _fields(settings: PushSettings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in settings.__slots__}  # type: ignore[attr-defined]


@pytest.fixture
async def stop_relays(make_relay) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    yield
    for server in make_relay.servers:
        await server.close()


class Phone:
    """A caregiver's device that allowed notifications, then closed the app."""

    def __init__(self, relay, client, subscription: StandInSubscription, hint_key: bytes):  # type: ignore[no-untyped-def]
        self.relay, self.client = relay, client
        self.subscription, self.hint_key = subscription, hint_key


async def subscribed_phone(relay, push_service, client, **extra: object) -> Phone:  # type: ignore[no-untyped-def]
    key = (await client.request("push_key"))["key"]
    assert key == relay.ctx.push.application_server_key
    subscription = await push_service.subscribe(key)
    hint_key = secrets.token_bytes(32)
    reply = await client.request(
        "push_subscribe", subscription.for_relay(b64url(hint_key), **extra)
    )
    assert reply["expires_at"] == relay.ctx.now() + 60 * 86_400
    return Phone(relay, client, subscription, hint_key)


async def close_app(relay, client) -> None:  # type: ignore[no-untyped-def]
    await client.close()

    async def gone() -> bool:
        return client.device_id not in relay.ctx.by_device

    await until(gone, "the relay to see the app close")


async def decided(relay, count: int) -> None:  # type: ignore[no-untyped-def]
    async def done() -> bool:
        return relay.ctx.push.scheduler.decided >= count

    await until(done, f"{count} push decisions")


async def test_an_offline_phone_gets_one_fixed_size_push_that_says_only_something_arrived(
    push_relay, push_service, stop_relays
):
    relay = await push_relay()
    _, worker, caregiver = await relay.onboard()
    phone = await subscribed_phone(relay, push_service, caregiver)
    await close_app(relay, caregiver)

    secret = b"Hoe gaat het met je moeder? SECRET-7391"
    for _ in range(3):  # three arrivals in quick succession: one push
        await worker.send(caregiver.device_id, secret)
    await decided(relay, 1)

    messages = await push_service.messages(phone.subscription)
    assert len(messages) == 1
    assert len(messages[0].encode()) == PAYLOAD_BYTES
    assert json.loads(messages[0]) == {
        "v": 1,
        "t": "message",
        "h": expected_hint(phone.hint_key, worker.account_id),
    }
    for leak in ("SECRET", worker.device_id, worker.account_id, caregiver.device_id, "Hoe gaat"):
        assert leak not in messages[0]
    (wire,) = await push_service.wire(phone.subscription)
    assert wire["size"] == WIRE_BYTES
    assert wire["ttl"] == "14400" and wire["urgency"] == "high"
    assert wire["topic"] and len(wire["topic"]) <= 32

    # Within the interval another arrival is decided on but not pushed.
    await worker.send(caregiver.device_id, b"nog een")
    await decided(relay, 2)
    assert len(await push_service.messages(phone.subscription)) == 1


async def test_every_push_has_the_same_size_whoever_sends(push_relay, push_service, stop_relays):
    relay = await push_relay(interval_s=0)
    admin, worker, caregiver = await relay.onboard()
    phone = await subscribed_phone(relay, push_service, caregiver)
    await close_app(relay, caregiver)
    await worker.send(caregiver.device_id, b"x")
    await decided(relay, 1)
    await worker.send(caregiver.device_id, b"y" * 60_000)
    await decided(relay, 2)
    sizes = [push["size"] for push in await push_service.wire(phone.subscription)]
    assert sizes == [WIRE_BYTES, WIRE_BYTES]


async def test_no_push_while_the_app_is_connected(push_relay, push_service, stop_relays):
    relay = await push_relay()
    _, worker, caregiver = await relay.onboard()
    phone = await subscribed_phone(relay, push_service, caregiver)
    await worker.send(caregiver.device_id, b"hallo")
    await decided(relay, 1)
    assert await push_service.messages(phone.subscription) == []


async def test_none_in_quiet_hours_then_one_when_they_end(push_relay, push_service, stop_relays):
    relay = await push_relay()
    _, worker, caregiver = await relay.onboard()
    minute = (relay.ctx.now() // 60) % 1440
    quiet_from, quiet_until = (minute - 60) % 1440, (minute + 30) % 1440
    phone = await subscribed_phone(
        relay, push_service, caregiver, quiet_from=quiet_from, quiet_until=quiet_until
    )
    await close_app(relay, caregiver)
    await worker.send(caregiver.device_id, b"laat op de avond")
    await decided(relay, 2)  # decided, held back, reconsidered: still quiet
    assert await push_service.messages(phone.subscription) == []

    relay.clock.advance(31 * 60)  # the quiet hours are over

    async def arrived() -> bool:
        return len(await push_service.messages(phone.subscription)) == 1

    await until(arrived, "the held-back push")


async def test_a_muted_conversation_is_not_pushed(push_relay, push_service, stop_relays):
    relay = await push_relay()
    _, worker, caregiver = await relay.onboard()
    hint_key = secrets.token_bytes(32)
    key = (await caregiver.request("push_key"))["key"]
    subscription = await push_service.subscribe(key)
    muted = [expected_hint(hint_key, worker.account_id)]
    await caregiver.request("push_subscribe", subscription.for_relay(b64url(hint_key), muted=muted))
    await close_app(relay, caregiver)
    await worker.send(caregiver.device_id, b"stil")
    await decided(relay, 1)
    assert await push_service.messages(subscription) == []


async def test_gone_at_the_push_service_removes_the_subscription(
    push_relay, push_service, stop_relays
):
    relay = await push_relay()
    _, worker, caregiver = await relay.onboard()
    phone = await subscribed_phone(relay, push_service, caregiver)
    await close_app(relay, caregiver)
    await push_service.expire(phone.subscription)
    assert await relay.ctx.storage.push_subscription_count() == 1
    await worker.send(caregiver.device_id, b"weg")
    await decided(relay, 1)
    assert await relay.ctx.storage.push_subscription_count() == 0


async def test_unsubscribe_revocation_and_erasure_delete_the_subscription(
    push_relay, push_service, stop_relays
):
    relay = await push_relay()
    admin, worker, caregiver = await relay.onboard()
    storage = relay.ctx.storage
    await subscribed_phone(relay, push_service, caregiver)
    assert (await caregiver.request("push_unsubscribe"))["removed"] is True
    assert await storage.push_subscription_count() == 0
    assert (await caregiver.request("push_unsubscribe"))["removed"] is False

    await subscribed_phone(relay, push_service, caregiver)
    await subscribed_phone(relay, push_service, worker)
    assert await storage.push_subscription_count() == 2
    await admin.revoke_device(worker.device_id)
    assert await storage.push_subscription_count() == 1
    await caregiver.erase_account()
    assert await storage.push_subscription_count() == 0


async def test_subscriptions_expire_unless_renewed(push_relay, push_service, stop_relays):
    relay = await push_relay()
    _, _, caregiver = await relay.onboard()
    await subscribed_phone(relay, push_service, caregiver)
    counts = await relay.ctx.storage.purge_expired(relay.ctx.now(), 0)
    assert counts["push_subscriptions"] == 0
    relay.clock.advance(60 * 86_400)
    counts = await relay.ctx.storage.purge_expired(relay.ctx.now(), 0)
    assert counts["push_subscriptions"] == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"endpoint": "https://intranet.example.nl/admin"}, "push_service_refused"),
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "push_service_refused"),
        ({"endpoint": "https://fcm.googleapis.com.evil.nl/x"}, "push_service_refused"),
        ({"p256dh": b64url(b"\x04" + bytes(63))}, "malformed"),
        ({"p256dh": b64url(b"\x02" + bytes(64))}, "malformed"),
        ({"auth": b64url(bytes(15))}, "malformed"),
        ({"hint_key": "not base64!"}, "malformed"),
        ({"quiet_from": 1320}, "malformed"),  # without quiet_until
        ({"quiet_from": 1440, "quiet_until": 0}, "malformed"),
        ({"quiet_from": True, "quiet_until": 0}, "malformed"),
        ({"muted": ["x" * 16] * 201}, "malformed"),
        ({"muted": "abc"}, "malformed"),
    ],
)
async def test_push_subscribe_refuses_what_it_cannot_use(
    push_relay, push_service, stop_relays, change, code
):
    relay = await push_relay()
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    good = {
        "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
        "p256dh": b64url(b"\x04" + bytes(64)),
        "auth": b64url(bytes(16)),
        "hint_key": b64url(bytes(32)),
    }
    await admin.request("push_subscribe", good)  # the baseline is accepted
    with pytest.raises(RelayRefused) as refused:
        await admin.request("push_subscribe", {**good, **change})
    assert refused.value.code == code
    await admin.close()


async def test_the_vapid_key_is_made_once_beside_the_epoch_keys(push_relay, stop_relays):
    first = await push_relay()
    key_file = first.ctx.config.epoch_key_dir.parent / "push-vapid.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert b"PRIVATE KEY" in key_file.read_bytes()
    assert not any(b"PRIVATE KEY" in p.read_bytes() for p in key_file.parent.glob("*.sqlite3"))
