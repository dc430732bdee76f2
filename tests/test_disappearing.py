"""Disappearing messages on devices: the case's timer reaches both sides, and each device
deletes its local copies when it passes, while it runs and at its next start."""

from __future__ import annotations

import asyncio

from crypto import DeviceKeys
from helpers import WAIT
from steuntje_client.local_messages import LocalMessages
from steuntje_client.messages import Message
from steuntje_client.secure import SecureClient

HOUR = 3600
DAY = 24 * HOUR


async def pair(relay, tmp_path):
    admin = relay.client()
    await admin.register(await relay.invite("admin"))

    def device(name: str) -> SecureClient:
        now = int(relay.clock.now())
        return SecureClient(
            relay.url, DeviceKeys.generate(now), folder=tmp_path / name, clock=relay.clock.now
        )

    worker = device("worker")
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver = device("caregiver")
    await caregiver.register((await worker.relay.create_invite("caregiver"))["link"])
    (case,) = await worker.relay.cases()
    return admin, worker, caregiver, case["id"]


async def set_timer(client: SecureClient, case_id: str, timer: str) -> None:
    document = {"disappearing_timer": timer}
    await client.relay.request("policy_set", {"case": case_id, "document": document})


async def change(client: SecureClient) -> tuple[str, int | None]:
    return await asyncio.wait_for(client.disappearing.changes.get(), WAIT)


async def drain(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()


async def test_both_sides_see_the_timer_and_delete_their_copies_when_it_passes(relay, tmp_path):
    admin, worker, caregiver, case_id = await pair(relay, tmp_path)
    # The organisation's default (30 days) is known to both from the start: the caregiver's
    # app asks when it registers; the worker's when the relay tells it of the new case.
    assert caregiver.disappearing.timers[worker.account_id] == 30 * DAY
    assert await change(worker) == (caregiver.account_id, 30 * DAY)
    await drain(worker.disappearing.changes)
    await drain(caregiver.disappearing.changes)

    await set_timer(worker, case_id, "2h")
    assert await change(caregiver) == (worker.account_id, 2 * HOUR)
    assert await change(worker) == (caregiver.account_id, 2 * HOUR)

    await worker.send_text(caregiver.account_id, "Verdwijnt straks")
    await asyncio.wait_for(caregiver.messages.get(), WAIT)
    await caregiver.send_text(worker.account_id, "Dank je")
    await asyncio.wait_for(worker.messages.get(), WAIT)
    for client in (worker, caregiver):
        stored = client.disappearing.local.conversation(
            caregiver.account_id if client is worker else worker.account_id
        )
        assert [m.kind for m in stored] == ["text", "text"]
        assert all(m.expires_at == m.sent_at + 2 * HOUR for m in stored)

    before = (tmp_path / "caregiver" / "messages.sqlite3").read_bytes()
    assert b"Verdwijnt straks" in before  # the control for the scan below
    relay.clock.advance(2 * HOUR - 1)
    worker.disappearing.wake()
    assert worker.disappearing.prune() == 0  # not yet: one second to go
    relay.clock.advance(1)
    for client in (worker, caregiver):
        client.disappearing.wake()
        assert await asyncio.wait_for(client.disappearing.deleted.get(), WAIT) == 2
        assert len(client.disappearing.local) == 0
    # secure_delete: the words are gone from the file, not just unlinked from the table.
    raw = (tmp_path / "caregiver" / "messages.sqlite3").read_bytes()
    assert b"Verdwijnt straks" not in raw and b"Dank je" not in raw
    for client in (worker, caregiver, admin):
        await client.close()


async def test_shortening_reaches_stored_copies_and_a_restart_deletes_what_fell_due(
    relay, tmp_path
):
    admin, worker, caregiver, case_id = await pair(relay, tmp_path)
    await worker.send_text(caregiver.account_id, "Lang bewaard")
    await asyncio.wait_for(caregiver.messages.get(), WAIT)
    (stored,) = caregiver.disappearing.local.conversation(worker.account_id)
    assert stored.expires_at == stored.sent_at + 30 * DAY

    await drain(caregiver.disappearing.changes)
    await set_timer(worker, case_id, "1d")
    assert await change(caregiver) == (worker.account_id, DAY)
    (stored,) = caregiver.disappearing.local.conversation(worker.account_id)
    assert stored.expires_at == stored.sent_at + DAY

    # The caregiver's phone is off when the day passes; at its next start the copy goes.
    await caregiver.close()
    relay.clock.advance(DAY)
    again = SecureClient.open(relay.url, tmp_path / "caregiver", clock=relay.clock.now)
    await again.connect()
    assert again.disappearing.local.conversation(worker.account_id) == []
    for client in (worker, again, admin):
        await client.close()


def test_lengthening_never_postpones_a_deadline_and_off_keeps_new_messages():
    local = LocalMessages()
    first = Message("text", {"text": "a"}, "acc_peer", 1000)
    local.add(first, "acc_peer", outgoing=False, timer=HOUR, now=1000)
    assert local.apply_timer("acc_peer", DAY) == 0
    assert local.conversation("acc_peer")[0].expires_at == 1000 + HOUR
    assert local.apply_timer("acc_peer", None) == 0  # off: no new deadline, none removed
    later = Message("text", {"text": "b"}, "acc_peer", 2000)
    assert local.add(later, "acc_peer", outgoing=False, timer=None, now=2000).expires_at is None
    assert local.prune(10**10) == 1
    assert [m.id for m in local.conversation("acc_peer")] == [later.id]


def test_a_sender_s_fast_clock_cannot_stretch_a_deadline():
    local = LocalMessages()
    from_the_future = Message("text", {"text": "a"}, "acc_peer", 10**9 + DAY)
    stored = local.add(from_the_future, "acc_peer", outgoing=False, timer=HOUR, now=10**9)
    assert stored.expires_at == 10**9 + HOUR
