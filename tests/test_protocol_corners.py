"""PROTOCOL.md says what the relay does in the corners a second client would trip over;
each test here checks one such sentence against the real relay, so the text and the
behaviour cannot drift apart. The section each test belongs to is in its docstring."""

from __future__ import annotations

import asyncio
from typing import Any

from wire import RawWire

from helpers import WAIT, error_code, raw_call, raw_socket, receive
from relay.notify import MAX_DELIVER_BYTES
from relay.storage.base import NewEnvelope, StoreOutcome
from steuntje_client import DeviceKey, RelayClient
from steuntje_client.keys import b64url, unb64url

NOWHERE = "A" * 43  # a well-formed device id no device has
NOW = 1_790_000_000


def send_data(envelopes: list[tuple[str, str, bytes]]) -> dict[str, Any]:
    return {
        "envelopes": [{"id": i, "to": t, "size": len(b)} for i, t, b in envelopes],
        "bodies": b"".join(b for _, _, b in envelopes),
    }


async def challenge(sio) -> tuple[bytes, bytes]:
    reply = await sio.call("challenge", {}, timeout=WAIT)
    return unb64url(reply["relay"]), unb64url(reply["nonce"])


async def sign_in(sio, key: DeviceKey, relay_id: bytes, nonce: bytes) -> dict[str, Any]:
    signature = b64url(key.sign_challenge(relay_id, nonce))
    return await sio.call("auth", {"device": key.device_id, "signature": signature}, timeout=WAIT)


# -- §1 transport ------------------------------------------------------------------------


async def test_no_argument_counts_as_an_empty_object_and_a_non_object_is_malformed(relay):
    """§1: an event sent with no argument, or with `null`, is handled as `{}`; a non-object
    is `malformed` for every event that reads fields, and ignored by events that take none."""
    _, worker, _ = await relay.onboard()
    async with RawWire.open(relay.url) as wire:  # python-socketio never sends a lone null
        await wire.call("challenge", {})
        reply = await wire.call("auth", None)
        assert error_code(reply) == "malformed" and "'device'" in reply["error"]["message"]
        await wire.call("challenge", {})
        reply = await wire.call("auth", "text")
        assert reply["error"]["message"] == "The event data must be a JSON object."
    assert (await raw_call(worker, "whoami"))["ok"] is True
    assert (await raw_call(worker, "case_list"))["ok"] is True
    assert error_code(await raw_call(worker, "ack")) == "malformed"  # `upto` is missing
    for not_an_object in ("text", 7, [1, 2], True):
        assert error_code(await raw_call(worker, "send", not_an_object)) == "malformed"
        assert error_code(await raw_call(worker, "devices_list", not_an_object)) == "malformed"
        assert (await raw_call(worker, "whoami", not_an_object))["ok"] is True


async def test_without_a_callback_send_is_stored_and_errors_are_dropped(relay):
    """§1: without a callback the event is handled all the same (a `send` is stored) but its
    reply is lost; only `ack` reports its errors as `relay_error`."""
    _, worker, caregiver = await relay.onboard()
    data = send_data([("no-callback-01", caregiver.device_id, b"zonder antwoord")])
    await worker._sio.emit("send", data)
    assert [e.body for e in await receive(caregiver, 1)] == [b"zonder antwoord"]
    await worker._sio.emit("steal_everything", {})
    await worker._sio.emit("devices_list", {"account": 7})
    await worker._sio.emit("ack", {"upto": 0})
    error = await asyncio.wait_for(worker.relay_errors.get(), WAIT)
    assert error["event"] == "ack" and error["error"]["code"] == "malformed"
    assert (await worker.whoami())["ok"] is True  # a round trip after all four
    assert worker.relay_errors.empty()


# -- §4.1 signing in ---------------------------------------------------------------------


async def test_before_sign_in_unknown_event_wins_over_not_authenticated(relay):
    """§3: an event name the relay does not know is `unknown_event` in any state."""
    sio = await raw_socket(relay.url)
    try:
        reply = await sio.call("steal_everything", {}, timeout=WAIT)
        assert (
            error_code(reply) == "unknown_event" and reply["error"]["event"] == "steal_everything"
        )
        assert error_code(await sio.call("whoami", {}, timeout=WAIT)) == "not_authenticated"
    finally:
        await sio.disconnect()


async def test_a_second_challenge_replaces_the_first_and_any_auth_spends_it(relay):
    """§4.1: only the newest challenge counts; an `auth` spends it whether or not it succeeds."""
    _, worker, _ = await relay.onboard()
    await worker.close()
    sio = await raw_socket(relay.url)
    try:
        relay_id, first = await challenge(sio)
        _, second = await challenge(sio)
        assert error_code(await sign_in(sio, worker.key, relay_id, first)) == "bad_signature"
        assert error_code(await sign_in(sio, worker.key, relay_id, second)) == "no_challenge"
        _, third = await challenge(sio)
        assert (await sign_in(sio, worker.key, relay_id, third))["ok"] is True
    finally:
        await sio.disconnect()


async def test_too_many_connections_on_auth_leaves_the_connection_open_unauthenticated(
    small_relay,
):
    """§4.1: `too_many_connections` from `auth` keeps the socket open, not signed in; once
    another connection of the account closes, a fresh challenge and `auth` succeed."""
    relay = await small_relay(connections_per_account=1)
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    link = (await admin.link_device())["link"]
    await admin.close()
    tablet = relay.client()
    await tablet.register(link)  # the account's one connection
    sio = await raw_socket(relay.url)
    try:
        relay_id, nonce = await challenge(sio)
        assert error_code(await sign_in(sio, admin.key, relay_id, nonce)) == "too_many_connections"
        assert sio.connected
        assert error_code(await sio.call("whoami", {}, timeout=WAIT)) == "not_authenticated"
        await tablet.close()
        _, nonce = await challenge(sio)
        assert (await sign_in(sio, admin.key, relay_id, nonce))["ok"] is True
    finally:
        await sio.disconnect()


# -- §4.3 send ---------------------------------------------------------------------------


async def test_devices_list_gives_device_ids_as_strings(relay):
    """§4.9: `devices` is a list of device id strings, not objects."""
    _, worker, caregiver = await relay.onboard()
    reply = await raw_call(worker, "devices_list", {"account": caregiver.account_id})
    assert reply == {"ok": True, "account": caregiver.account_id, "devices": [caregiver.device_id]}


async def test_which_faults_refuse_the_whole_send_and_which_one_envelope(relay):
    """§4.3: a bad descriptor refuses the event (nothing stored, not even the good ones);
    an unknown recipient refuses only its envelope."""
    _, worker, caregiver = await relay.onboard()
    good = {"id": "good-envelope-1", "to": caregiver.device_id, "size": 2}
    for bad in (
        {"id": "kort", "to": caregiver.device_id, "size": 1},  # id too short
        {"id": "bad-recipient-1", "to": "nobody", "size": 1},  # not a device id
        {"id": "size-zero-00001", "to": caregiver.device_id, "size": 0},
        {"id": "no-size-0000001", "to": caregiver.device_id},
    ):
        data = {"envelopes": [good, bad], "bodies": b"okx"}
        assert error_code(await raw_call(worker, "send", data)) == "malformed", bad
    uneven = {"envelopes": [good], "bodies": b"ok and more"}
    assert error_code(await raw_call(worker, "send", uneven)) == "malformed"
    reply = await raw_call(
        worker,
        "send",
        send_data(
            [("to-nowhere-0001", NOWHERE, b"weg"), ("good-envelope-1", caregiver.device_id, b"ok")]
        ),
    )
    assert reply == {
        "ok": True,
        "accepted": 1,
        "rejected": [{"id": "to-nowhere-0001", "code": "unknown_device"}],
    }
    assert [e.body for e in await receive(caregiver, 1)] == [b"ok"]  # the first of its id


async def test_the_same_id_twice_in_one_send(relay):
    """§4.3: a repeated id in one event is a resend of the first: the same body is accepted
    and delivered once; a different body is rejected with `id_reused`."""
    _, worker, caregiver = await relay.onboard()
    to = caregiver.device_id
    reply = await raw_call(
        worker,
        "send",
        send_data([("twice-in-one-01", to, b"een"), ("twice-in-one-01", to, b"een")]),
    )
    assert reply == {"ok": True, "accepted": 2, "rejected": []}
    reply = await raw_call(
        worker,
        "send",
        send_data([("twice-in-one-02", to, b"twee"), ("twice-in-one-02", to, b"anders")]),
    )
    assert reply["accepted"] == 1
    assert reply["rejected"] == [{"id": "twice-in-one-02", "code": "id_reused"}]
    await worker.send(to, b"daarna")
    assert [e.body for e in await receive(caregiver, 3)] == [b"een", b"twee", b"daarna"]


async def test_a_resent_id_with_another_body_is_refused_while_the_first_is_undelivered(relay):
    """§4.3: while the relay still holds the first copy for that recipient it compares:
    same body, accepted and not delivered again; another body, `id_reused`. Once the first
    copy was delivered and deleted the relay cannot compare: accepted, not delivered."""
    _, worker, caregiver = await relay.onboard()
    to = caregiver.device_id
    await caregiver.close()
    first = send_data([("resent-id-00001", to, b"eerste")])
    assert (await raw_call(worker, "send", first))["accepted"] == 1
    assert (await raw_call(worker, "send", first)) == {"ok": True, "accepted": 1, "rejected": []}
    other = send_data([("resent-id-00001", to, b"iets anders")])
    assert (await raw_call(worker, "send", other))["rejected"] == [
        {"id": "resent-id-00001", "code": "id_reused"}
    ]
    phone = relay.client(caregiver.key)
    await phone.connect()
    assert [e.body for e in await receive(phone, 1)] == [b"eerste"]
    await asyncio.wait_for(worker.delivered.get(), WAIT)  # acknowledged, so deleted
    assert (await raw_call(worker, "send", other)) == {"ok": True, "accepted": 1, "rejected": []}
    await worker.send(to, b"daarna")
    assert [e.body for e in await receive(phone, 1)] == [b"daarna"]


async def test_a_resent_id_to_an_unknown_device_is_unknown_device(relay):
    """§4.3: the recipient is checked before the id: a resend naming a device that is not
    there is `unknown_device`, even though the id was used before."""
    _, worker, caregiver = await relay.onboard()
    assert (
        await raw_call(worker, "send", send_data([("used-once-0001", caregiver.device_id, b"x")]))
    )["accepted"] == 1
    reply = await raw_call(worker, "send", send_data([("used-once-0001", NOWHERE, b"x")]))
    assert reply["rejected"] == [{"id": "used-once-0001", "code": "unknown_device"}]


async def test_the_rate_bucket_starts_full_and_counts_rejected_envelopes(small_relay):
    """§4.3/§6: a new connection may send a whole burst at once; refused envelopes use up
    the budget too; `retry_after_ms` is the wait until the whole event fits; a refused
    event uses none."""
    relay = await small_relay(send_rate_per_s=2, send_burst=4)
    _, worker, caregiver = await relay.onboard()
    to_nowhere = send_data([(f"nowhere-{i:06}", NOWHERE, b"x") for i in range(4)])
    reply = await raw_call(worker, "send", to_nowhere)
    assert reply["accepted"] == 0 and len(reply["rejected"]) == 4
    one = send_data([("after-burst-01", caregiver.device_id, b"x")])
    refused = await raw_call(worker, "send", one)
    assert error_code(refused) == "rate_limited"
    assert 500 <= refused["error"]["retry_after_ms"] <= 502  # one token at 2 per second
    relay.clock.advance(1.0)  # two tokens back
    assert (await raw_call(worker, "send", one))["accepted"] == 1
    assert (
        await raw_call(worker, "send", send_data([("after-burst-02", caregiver.device_id, b"y")]))
    )["accepted"] == 1
    third = send_data([("after-burst-03", NOWHERE, b"z")])
    assert error_code(await raw_call(worker, "send", third)) == "rate_limited"
    assert [e.body for e in await receive(caregiver, 2)] == [b"x", b"y"]


async def test_pipelined_sends_keep_their_order(relay):
    """§4.3: a client need not wait for one reply before the next `send`; the envelopes are
    stored, and delivered, in the order the events were sent."""
    _, worker, caregiver = await relay.onboard()
    replies: list[dict[str, Any]] = []
    done = asyncio.Event()

    def reply_arrived(reply: dict[str, Any]) -> None:
        replies.append(reply)
        if len(replies) == 40:
            done.set()

    for number in range(40):
        data = send_data([(f"pipelined-{number:04}", caregiver.device_id, str(number).encode())])
        await worker._sio.emit("send", data, callback=reply_arrived)
    await asyncio.wait_for(done.wait(), WAIT)
    assert all(reply["accepted"] == 1 for reply in replies)
    bodies = [e.body for e in await receive(caregiver, 40)]
    assert bodies == [str(number).encode() for number in range(40)]


# -- §4.4 deliver, §4.5 ack --------------------------------------------------------------


async def test_deliver_bodies_follow_the_descriptors_and_a_drain_is_cut_at_one_mib(relay):
    """§4.4: `bodies` holds the bodies back to back in descriptor order; every `deliver`,
    also one that drains a stored mailbox, carries at most 1 MiB of bodies (a single larger
    envelope goes alone)."""
    _, worker, caregiver = await relay.onboard()
    to = caregiver.device_id
    await caregiver.close()
    bodies = [bytes([number]) * 60_000 for number in range(40)]  # 2.4 MB in all
    for start in (0, 20):
        batch = [(f"drain-{n:08}", to, bodies[n]) for n in range(start, start + 20)]
        assert (await raw_call(worker, "send", send_data(batch)))["accepted"] == 20
    phone = relay.client(caregiver.key)
    events: list[dict[str, Any]] = []
    original = phone._on_deliver

    async def watch(data: dict[str, Any]) -> None:
        events.append(data)
        await original(data)

    phone._sio.on("deliver", watch)
    await phone.connect()
    received = await receive(phone, 40)
    assert [e.body for e in received] == bodies
    assert len(events) >= 3
    for event in events:
        sizes = [item["size"] for item in event["envelopes"]]
        assert len(event["bodies"]) == sum(sizes) <= MAX_DELIVER_BYTES
    laid_out = b"".join(event["bodies"] for event in events)
    assert laid_out == b"".join(bodies)


async def test_ack_replies_ok_refuses_zero_and_ignores_a_lower_upto(relay):
    """§4.5: the reply is `{"ok": true}`; `upto: 0` is `malformed`; an `upto` below an
    earlier one is accepted and changes nothing."""
    _, worker, caregiver = await relay.onboard()
    for number in range(3):
        await worker.send(caregiver.device_id, f"bericht {number}".encode())
    received = await receive(caregiver, 3)
    top = received[-1].seq
    assert await raw_call(caregiver, "ack", {"upto": top}) == {"ok": True}
    assert error_code(await raw_call(caregiver, "ack", {"upto": 0})) == "malformed"
    assert await raw_call(caregiver, "ack", {"upto": top - 2}) == {"ok": True}
    reply = await raw_call(caregiver, "ack", {"upto": top + 1})
    assert error_code(reply) == "bad_ack" and reply["error"]["delivered_upto"] == top
    await caregiver.close()
    phone = relay.client(caregiver.key)
    await phone.connect()
    await worker.send(caregiver.device_id, b"nieuw")
    assert [e.body for e in await receive(phone, 1)] == [b"nieuw"]  # nothing older came back


# -- §4.2 register, §6 limits --------------------------------------------------------------


async def test_too_many_attempts_is_a_bucket_refilling_one_try_every_six_seconds(relay):
    """§4.2: ten failed registrations, then one more try per 6 s (10 a minute);
    `retry_after_ms` says how long until the next."""
    key = DeviceKey.generate()
    sio = await raw_socket(relay.url)

    async def attempt() -> dict[str, Any]:
        relay_id, nonce = await challenge(sio)
        signature = b64url(key.sign_challenge(relay_id, nonce))
        data = {"invite": "A" * 43, "device": key.device_id, "signature": signature}
        return await sio.call("register", data, timeout=WAIT)

    try:
        for _ in range(10):
            assert error_code(await attempt()) == "invite_invalid"
        refused = await attempt()
        assert error_code(refused) == "too_many_attempts"
        assert 5_990 <= refused["error"]["retry_after_ms"] <= 6_001
        relay.clock.advance(6.0)
        assert error_code(await attempt()) == "invite_invalid"  # exactly one try came back
        assert error_code(await attempt()) == "too_many_attempts"
    finally:
        await sio.disconnect()


async def test_a_device_may_send_to_itself(relay):
    """§4.3: an envelope to the sending device itself is accepted and delivered to it, like
    one to the account's other devices."""
    admin: RelayClient = relay.client()
    await admin.register(await relay.invite("admin"))
    await admin.send(admin.device_id, b"notitie aan mezelf")
    [envelope] = await receive(admin, 1)
    assert (envelope.sender, envelope.body) == (admin.device_id, b"notitie aan mezelf")


async def test_every_backend_compares_a_resent_id_with_the_copy_it_holds(storage_backend):
    """§4.3 at the storage layer, on SQLite and PostgreSQL alike: the same (sender, id)
    with the same recipient and body is a duplicate; with another body, in the same batch
    or a later one, `id_reused`; once the first copy is acknowledged, a duplicate."""
    sender, recipient = "S" * 43, "R" * 43
    storage = await storage_backend.with_devices(sender, recipient, now=NOW)

    def envelope(envelope_id: str, body: bytes) -> NewEnvelope:
        return NewEnvelope(sender, envelope_id, recipient, body, NOW + 100)

    first = await storage.apply_batch(
        [envelope("same-id-1", b"een"), envelope("same-id-1", b"een"), envelope("same-id-1", b"x")],
        [],
        NOW,
        100,
    )
    assert [r.outcome for r in first] == [
        StoreOutcome.STORED,
        StoreOutcome.DUPLICATE,
        StoreOutcome.ID_REUSED,
    ]
    later = await storage.apply_batch(
        [envelope("same-id-1", b"een"), envelope("same-id-1", b"twee")], [], NOW, 100
    )
    assert [r.outcome for r in later] == [StoreOutcome.DUPLICATE, StoreOutcome.ID_REUSED]
    await storage.apply_batch([], [(recipient, first[0].envelope.seq)], NOW, 100)
    gone = await storage.apply_batch([envelope("same-id-1", b"twee")], [], NOW, 100)
    assert [r.outcome for r in gone] == [StoreOutcome.DUPLICATE]
    assert [e.body for e in await storage.read_mailbox(recipient, 0, 10, NOW)] == []


async def test_prekey_fetches_are_a_bucket_and_refused_fetches_count(small_relay):
    """§4.8: a connection's fetch budget starts full and refills one fetch per 60/N s; a fetch
    refused for another reason (here `unknown_device`) takes a token too."""
    relay = await small_relay(prekey_fetches_per_minute=3)
    _, worker, _ = await relay.onboard()
    for _ in range(3):
        assert error_code(await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})) == (
            "unknown_device"
        )
    refused = await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})
    assert error_code(refused) == "too_many_attempts"
    assert 19_990 <= refused["error"]["retry_after_ms"] <= 20_001  # one fetch per 20 s
    relay.clock.advance(20.0)
    assert error_code(await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})) == (
        "unknown_device"
    )
    assert error_code(await raw_call(worker, "prekeys_fetch", {"device": NOWHERE})) == (
        "too_many_attempts"
    )
