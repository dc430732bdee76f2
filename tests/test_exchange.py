"""Store-and-forward through the real relay: both directions, offline mailboxes, order,
idempotent resends, acknowledgement deletes, and flow control."""

from __future__ import annotations

import asyncio

from steuntje_client import DeviceKey, RelayClient

WAIT = 10


async def receive(client: RelayClient, count: int) -> list:
    return [await asyncio.wait_for(client.envelopes.get(), WAIT) for _ in range(count)]


async def test_worker_and_caregiver_exchange_in_both_directions(relay):
    _, worker, caregiver = await relay.onboard()
    to_caregiver = [f"hallo {i}".encode() for i in range(30)]
    to_worker = [f"dank je {i}".encode() for i in range(30)]
    await asyncio.gather(
        *(worker.send(caregiver.device_id, body) for body in to_caregiver),
        *(caregiver.send(worker.device_id, body) for body in to_worker),
    )
    got_caregiver = await receive(caregiver, 30)
    got_worker = await receive(worker, 30)
    assert [e.body for e in got_caregiver] == to_caregiver
    assert [e.body for e in got_worker] == to_worker
    assert {e.sender for e in got_caregiver} == {worker.device_id}
    assert [e.seq for e in got_caregiver] == list(range(1, 31))


async def test_offline_recipient_gets_everything_in_order_on_reconnect(relay):
    _, worker, caregiver = await relay.onboard()
    key = caregiver.key
    await caregiver.close()
    bodies = [f"bericht {i}".encode() * 3 for i in range(700)]  # more than one drain batch
    for start in range(0, len(bodies), 100):
        await asyncio.gather(*(worker.send(key.device_id, b) for b in bodies[start : start + 100]))
    back = relay.client(key)
    await back.connect()
    got = await receive(back, len(bodies))
    assert [e.body for e in got] == bodies
    assert back.envelopes.empty()


async def test_acknowledged_envelopes_are_deleted_and_not_redelivered(relay):
    _, worker, caregiver = await relay.onboard()
    await asyncio.gather(*(worker.send(caregiver.device_id, b"eenmalig") for _ in range(5)))
    await receive(caregiver, 5)
    await caregiver.request("ack", {"upto": 5})  # answered once the relay has queued it
    await relay.ctx.commits.barrier()
    await caregiver.close()
    stored = await relay.ctx.storage.read_mailbox(caregiver.device_id, 0, 100, relay.ctx.now())
    assert stored == [], "acknowledged envelopes must be gone from the database"
    # A fresh client object (last_seq 0, so no client-side dedup) sees nothing again.
    again = relay.client(caregiver.key)
    await again.connect()
    await worker.send(caregiver.device_id, b"nieuw")
    (envelope,) = await receive(again, 1)
    assert envelope.body == b"nieuw" and envelope.seq == 6


async def test_unacknowledged_envelopes_are_redelivered_after_reconnect(relay):
    _, worker, caregiver = await relay.onboard()
    never_acks = relay.client(caregiver.key)
    await caregiver.close()
    never_acks._flush_acks = lambda: None  # simulate a phone that dies before acknowledging
    await never_acks.connect()
    await worker.send(caregiver.device_id, b"nog niet bevestigd")
    (first,) = await receive(never_acks, 1)
    await never_acks.close()
    fresh = relay.client(caregiver.key)
    await fresh.connect()
    (second,) = await receive(fresh, 1)
    assert (second.seq, second.body) == (first.seq, first.body)


async def test_resending_the_same_id_is_acknowledged_and_delivered_once(relay):
    _, worker, caregiver = await relay.onboard()
    first = await worker.send(caregiver.device_id, b"een keer", envelope_id="retry-id-0001")
    second = await worker.send(caregiver.device_id, b"een keer", envelope_id="retry-id-0001")
    assert first == second == "retry-id-0001"
    (envelope,) = await receive(caregiver, 1)
    # Even after delivery and deletion, a late resend is not delivered again.
    third = await worker.send(caregiver.device_id, b"een keer", envelope_id="retry-id-0001")
    await worker.send(caregiver.device_id, b"volgende")
    (following,) = await receive(caregiver, 1)
    assert third == "retry-id-0001"
    assert envelope.id == "retry-id-0001" and following.body == b"volgende"
    assert following.seq == envelope.seq + 1


async def test_two_devices_may_reuse_an_id_without_colliding(relay):
    admin, worker, caregiver = await relay.onboard()
    await worker.send(caregiver.device_id, b"van werker", envelope_id="shared-id-001")
    await admin.send(caregiver.device_id, b"van admin", envelope_id="shared-id-001")
    got = await receive(caregiver, 2)
    assert sorted(e.body for e in got) == [b"van admin", b"van werker"]


async def test_sends_in_one_tick_share_one_commit(relay):
    _, worker, caregiver = await relay.onboard()
    commits_before = relay.ctx.commits.commits
    await asyncio.gather(*(worker.send(caregiver.device_id, b"x" * 200) for _ in range(200)))
    await receive(caregiver, 200)
    # 200 envelopes sent in one tick: one `send` event, far fewer commits than envelopes
    # (plus the acknowledgements, which ride along in later commits).
    assert relay.ctx.commits.commits - commits_before < 20


async def test_a_device_that_does_not_acknowledge_gets_at_most_a_window(small_relay):
    relay = await small_relay(delivery_window=4, drain_batch=2)
    _, worker, caregiver = await relay.onboard()
    key = caregiver.key
    await caregiver.close()
    await asyncio.gather(*(worker.send(key.device_id, bytes([i]) * 10) for i in range(10)))
    slow = relay.client(key)
    slow._flush_acks = lambda: None  # receives but never acknowledges
    await slow.connect()
    first = await receive(slow, 4)
    stream = relay.ctx.by_device[key.device_id].stream
    assert stream.in_flight == 4 and slow.envelopes.empty()
    await slow.request("ack", {"upto": first[-1].seq})
    rest = await receive(slow, 4)
    assert [e.seq for e in first + rest] == list(range(1, 9))


async def test_the_delivery_window_also_counts_bytes(small_relay):
    relay = await small_relay(delivery_window_bytes=1000, max_envelope_bytes=2000)
    _, worker, caregiver = await relay.onboard()
    key = caregiver.key
    await caregiver.close()
    await asyncio.gather(*(worker.send(key.device_id, bytes([i]) * 400) for i in range(6)))
    await worker.send(key.device_id, b"L" * 1500)  # larger than the whole window
    slow = relay.client(key)
    slow._flush_acks = lambda: None
    await slow.connect()
    first = await receive(slow, 3)  # 0 + 400 + 800 bytes were under 1000 before each
    assert relay.ctx.by_device[key.device_id].stream.in_flight == 3
    assert slow.envelopes.empty()
    await slow.request("ack", {"upto": first[-1].seq})
    second = await receive(slow, 3)
    await slow.request("ack", {"upto": second[-1].seq})
    (large,) = await receive(slow, 1)
    assert large.body == b"L" * 1500 and [e.seq for e in first + second] == list(range(1, 7))


async def test_live_delivery_while_mailbox_drains_keeps_order(small_relay):
    relay = await small_relay(drain_batch=16)
    _, worker, caregiver = await relay.onboard()
    key = caregiver.key
    await caregiver.close()
    await asyncio.gather(*(worker.send(key.device_id, b"oud %d" % i) for i in range(200)))
    back = relay.client(key)
    connecting = asyncio.ensure_future(back.connect())
    new = [b"nieuw %d" % i for i in range(100)]
    await asyncio.gather(*(worker.send(key.device_id, body) for body in new))
    await connecting
    got = await receive(back, 300)
    assert [e.seq for e in got] == list(range(1, 301))
    assert [e.body for e in got[200:]] == new


async def test_the_caregiver_sees_who_is_on_their_case(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await caregiver.cases()
    roles = {m["account"]: m["role"] for m in case["members"]}
    assert roles == {worker.account_id: "worker", caregiver.account_id: "caregiver"}
    assert case["caregiver"] == caregiver.account_id
    members = {m["account"]: m["devices"] for m in case["members"]}
    assert members[worker.account_id] == [worker.device_id]


async def test_adding_a_colleague_lets_them_send_and_tells_the_members(relay):
    admin, worker, caregiver = await relay.onboard()
    colleague = relay.client()
    await colleague.register((await admin.create_invite("worker"))["link"])
    assert colleague.account_id in await worker.colleagues()
    (case,) = await worker.cases()
    await worker.add_case_member(case["id"], colleague.account_id)
    assert await asyncio.wait_for(caregiver.case_changes.get(), WAIT) == case["id"]
    await colleague.send(caregiver.device_id, b"ik ben er ook")
    (envelope,) = await receive(caregiver, 1)
    assert envelope.sender == colleague.device_id


async def test_handing_a_case_over_moves_who_may_send(relay):
    admin, worker, caregiver = await relay.onboard()
    colleague = relay.client()
    await colleague.register((await admin.create_invite("worker"))["link"])
    (case,) = await worker.cases()
    await worker.hand_over_case(case["id"], colleague.account_id)
    (after,) = await caregiver.cases()
    assert {m["account"] for m in after["members"]} == {caregiver.account_id, colleague.account_id}
    assert await worker.cases() == []
    await colleague.send(caregiver.device_id, b"ik neem het over")
    (envelope,) = await receive(caregiver, 1)
    assert envelope.sender == colleague.device_id


async def test_a_second_device_of_an_account_is_listed_for_its_correspondents(relay):
    admin, worker, caregiver = await relay.onboard()
    assert await worker.devices_of(caregiver.account_id) == [caregiver.device_id]
    assert await caregiver.devices_of(worker.account_id) == [worker.device_id]


async def test_a_new_connection_for_the_same_device_replaces_the_old_one(relay):
    _, worker, caregiver = await relay.onboard()
    replacement = RelayClient(relay.url, caregiver.key)
    relay.clients.append(replacement)
    await replacement.connect()
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    assert caregiver.revoked == "replaced"
    await worker.send(caregiver.device_id, b"naar het nieuwe apparaat")
    (envelope,) = await receive(replacement, 1)
    assert envelope.body == b"naar het nieuwe apparaat"


async def test_a_device_key_is_its_identity(relay):
    key = DeviceKey.from_seed(bytes(range(32)))
    assert key.device_id == DeviceKey.from_seed(bytes(range(32))).device_id
    assert "device_id" in repr(key) and bytes(range(32)).hex() not in repr(key)


async def test_the_sender_is_told_when_a_recipient_device_acknowledges(relay):
    admin, worker, caregiver = await relay.onboard()
    await caregiver.close()  # offline: the envelope waits
    first = await worker.send(caregiver.device_id, b"een")
    assert worker.delivered.empty()  # stored is not delivered
    back = relay.client(caregiver.key)
    await back.connect()
    (got,) = await receive(back, 1)  # the client acknowledges what it received
    assert got.id == first
    assert await asyncio.wait_for(worker.delivered.get(), WAIT) == [first]
    second = await worker.send(back.device_id, b"twee")  # live this time
    assert await asyncio.wait_for(worker.delivered.get(), WAIT) == [second]
