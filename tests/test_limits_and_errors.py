"""Bad input gets a precise error and loses nothing: malformed events, oversized payloads,
floods, unknown events and recipients. After each, the relay keeps serving everyone else."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from helpers import WAIT, error_code, raw_call, receive
from steuntje_client import DeviceKey, RelayRefused


async def still_serving(relay, sender, recipient) -> None:
    """The check every test ends with: an ordinary exchange still works."""
    await sender.send(recipient.device_id, b"nog steeds in de lucht")
    envelopes = await receive(recipient, 1)
    assert envelopes[-1].body == b"nog steeds in de lucht"


def send_data(envelopes: list[tuple[str, str, bytes]]) -> dict:
    return {
        "envelopes": [{"id": i, "to": t, "size": len(b)} for i, t, b in envelopes],
        "bodies": b"".join(b for _, _, b in envelopes),
    }


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("not an object", "data is a string"),
        ({"envelopes": "x", "bodies": b""}, "envelopes not a list"),
        ({"envelopes": [], "bodies": "text"}, "bodies not binary"),
        (
            {"envelopes": [{"id": "short", "to": "A" * 43, "size": 1}], "bodies": b"x"},
            "id too short",
        ),
        ({"envelopes": [{"id": "good-id-123", "to": "nope", "size": 1}], "bodies": b"x"}, "bad to"),
        (
            {"envelopes": [{"id": "good-id-123", "to": "A" * 43, "size": 0}], "bodies": b""},
            "size 0",
        ),
        (
            {"envelopes": [{"id": "good-id-123", "to": "A" * 43, "size": True}], "bodies": b"x"},
            "size bool",
        ),
        (
            {"envelopes": [{"id": "good-id-123", "to": "A" * 43, "size": 5}], "bodies": b"xx"},
            "sizes do not add up",
        ),
        ({"envelopes": [7], "bodies": b""}, "descriptor not an object"),
    ],
)
async def test_malformed_send_is_refused_whole(relay, data, why):
    _, worker, caregiver = await relay.onboard()
    assert error_code(await raw_call(worker, "send", data)) == "malformed", why
    await still_serving(relay, worker, caregiver)
    stored = await relay.ctx.storage.read_mailbox("A" * 43, 0, 10, relay.ctx.now())
    assert stored == []


async def test_two_arguments_or_unknown_events_get_precise_errors(relay):
    _, worker, caregiver = await relay.onboard()
    assert error_code(await raw_call(worker, "whoami", {}, {})) == "malformed"
    reply = await raw_call(worker, "steal_everything", {})
    assert error_code(reply) == "unknown_event" and reply["error"]["event"] == "steal_everything"
    await still_serving(relay, worker, caregiver)


async def test_an_oversized_envelope_is_refused_and_its_batch_mates_stored(small_relay):
    relay = await small_relay(max_envelope_bytes=100)
    _, worker, caregiver = await relay.onboard()
    to = caregiver.device_id
    reply = await raw_call(
        worker,
        "send",
        send_data(
            [
                ("small-one-001", to, b"a" * 100),
                ("too-big-0001", to, b"b" * 101),
                ("small-two-002", to, b"c" * 10),
            ]
        ),
    )
    assert reply["accepted"] == 2
    assert reply["rejected"] == [{"id": "too-big-0001", "code": "envelope_too_large"}]
    assert [e.body for e in await receive(caregiver, 2)] == [b"a" * 100, b"c" * 10]


async def test_too_many_envelopes_or_bytes_in_one_event(small_relay):
    relay = await small_relay(
        max_envelopes_per_event=4, max_event_bytes=1000, max_envelope_bytes=1000
    )
    _, worker, caregiver = await relay.onboard()
    to = caregiver.device_id
    five = send_data([(f"envelope-{i:04}", to, b"x") for i in range(5)])
    reply = await raw_call(worker, "send", five)
    assert error_code(reply) == "too_many_envelopes" and reply["error"]["limit"] == 4
    big = send_data([("envelope-big1", to, b"x" * 600), ("envelope-big2", to, b"y" * 600)])
    assert error_code(await raw_call(worker, "send", big)) == "payload_too_large"
    await still_serving(relay, worker, caregiver)


async def test_a_frame_beyond_the_transport_limit_closes_only_that_connection(small_relay):
    relay = await small_relay(max_event_bytes=10_000, max_envelope_bytes=10_000)
    admin, worker, caregiver = await relay.onboard()
    closed = asyncio.Event()
    worker._sio.on("disconnect", lambda *args: closed.set())
    await worker._sio.emit(
        "send", send_data([("huge-frame-01", caregiver.device_id, b"z" * 50_000)])
    )
    await asyncio.wait_for(closed.wait(), WAIT)
    await still_serving(relay, admin, caregiver)
    stored = await relay.ctx.storage.read_mailbox(caregiver.device_id, 0, 10, relay.ctx.now())
    assert "huge-frame-01" not in {envelope.envelope_id for envelope in stored}


async def test_garbage_on_the_websocket_does_not_hurt_the_relay(relay):
    _, worker, caregiver = await relay.onboard()
    async with aiohttp.ClientSession() as session:
        for junk in ("garbage", "42[not json", "4", b"\x00\xff binary junk", '451-["send",{}]'):
            url = f"{relay.url}/socket.io/?EIO=4&transport=websocket"
            async with session.ws_connect(url) as ws:
                await ws.receive()  # the engine.io open packet
                await ws.send_str("40")  # join the default namespace
                await ws.receive()
                if isinstance(junk, bytes):
                    await ws.send_bytes(junk)
                else:
                    await ws.send_str(junk)
                await ws.close()
        async with session.get(f"{relay.url}/healthz") as response:
            assert response.status == 200
    await still_serving(relay, worker, caregiver)


async def test_sending_to_someone_outside_your_cases_is_not_permitted(relay):
    admin, worker, caregiver = await relay.onboard()
    other = relay.client()
    await other.register((await worker.create_invite("caregiver"))["link"])
    # Two caregivers of the same worker share no case with each other.
    with pytest.raises(RelayRefused) as refused:
        await other.send(caregiver.device_id, b"hoi")
    assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await other.send(DeviceKey.generate().device_id, b"hoi")
    assert refused.value.code == "unknown_device"
    await admin.send(other.device_id, b"de beheerder mag iedereen bereiken")
    assert (await receive(other, 1))[0].sender == admin.device_id
    await still_serving(relay, worker, caregiver)


async def test_roles_limit_who_may_invite_and_administer(relay):
    admin, worker, caregiver = await relay.onboard()
    for client, role in ((worker, "admin"), (worker, "worker"), (caregiver, "caregiver")):
        with pytest.raises(RelayRefused) as refused:
            await client.create_invite(role)
        assert refused.value.code == "not_permitted"
    for client in (worker, caregiver):
        with pytest.raises(RelayRefused) as refused:
            await client.accounts()
        assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await caregiver.colleagues()
    assert refused.value.code == "not_permitted"
    (case,) = await caregiver.cases()
    with pytest.raises(RelayRefused) as refused:
        await caregiver.hand_over_case(case["id"], caregiver.account_id)
    assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await worker.hand_over_case("case_" + "A" * 22, worker.account_id)
    assert refused.value.code == "unknown_case"


async def test_a_full_mailbox_refuses_new_envelopes_until_drained(small_relay):
    relay = await small_relay(mailbox_max_envelopes=3)
    _, worker, caregiver = await relay.onboard()
    key = caregiver.key
    await caregiver.close()
    for i in range(3):
        await worker.send(key.device_id, b"%d" % i)
    with pytest.raises(RelayRefused) as refused:
        await worker.send(key.device_id, b"te veel")
    assert refused.value.code == "mailbox_full"
    back = relay.client(key)
    await back.connect()
    await receive(back, 3)
    await back.request("ack", {"upto": 3})
    await relay.ctx.commits.barrier()
    await worker.send(key.device_id, b"past weer")
    assert (await receive(back, 1))[0].body == b"past weer"


async def test_a_flood_past_the_rate_limit_is_refused_and_recovers(small_relay):
    relay = await small_relay(send_rate_per_s=10, send_burst=20)
    admin, worker, caregiver = await relay.onboard()
    await asyncio.gather(*(worker.send(caregiver.device_id, b"ok") for _ in range(20)))
    await receive(caregiver, 20)
    with pytest.raises(RelayRefused) as refused:
        await worker.send(caregiver.device_id, b"een te veel")
    assert refused.value.code == "rate_limited"
    assert refused.value.details["retry_after_ms"] > 0
    await still_serving(relay, admin, caregiver)  # others are not slowed down
    relay.clock.advance(1.0)
    await worker.send(caregiver.device_id, b"weer toegestaan")


async def test_an_ack_beyond_what_was_delivered_is_refused(relay):
    _, worker, caregiver = await relay.onboard()
    reply = await raw_call(caregiver, "ack", {"upto": 99})
    assert error_code(reply) == "bad_ack" and reply["error"]["delivered_upto"] == 0
    assert error_code(await raw_call(caregiver, "ack", {"upto": "1"})) == "malformed"
    # An ack's error also comes as a relay_error event, for clients that send acks
    # without waiting for a reply.
    for expected in ("bad_ack", "malformed"):
        event = await asyncio.wait_for(caregiver.relay_errors.get(), WAIT)
        assert event["event"] == "ack" and event["error"]["code"] == expected
    await still_serving(relay, worker, caregiver)
