"""docs/e2e.md §7.4 rule 6: a direction whose chain jumped more than MAX_SKIP messages is
dead for good in the Double Ratchet; the receiver repairs it by starting a new session, and
the messages after the repair arrive in both directions. Python to Python through the real
relay."""

from __future__ import annotations

import asyncio

from crypto import DeviceKeys
from crypto.ratchet import MAX_SKIP
from helpers import WAIT
from steuntje_client.messages import Message, encode
from steuntje_client.secure import SecureClient

NOW = 1_790_000_000


async def next_text(client: SecureClient) -> str:
    received = await asyncio.wait_for(client.messages.get(), WAIT)
    return received.message.fields["text"]


async def pair(relay) -> tuple[SecureClient, SecureClient]:
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    worker = SecureClient(relay.url, DeviceKeys.generate(NOW))
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver = SecureClient(relay.url, DeviceKeys.generate(NOW))
    await caregiver.register((await worker.relay.create_invite("caregiver"))["link"])
    return worker, caregiver


def dead_chain(sender: SecureClient, to_device: str) -> None:
    """Advance the sender's chain to `to_device` past MAX_SKIP with messages the relay never
    gets: the sender's next message there cannot be decrypted."""
    session = sender.session_with(to_device)
    assert session is not None
    for _ in range(MAX_SKIP + 1):
        session.encrypt(encode(Message("text", {"text": "kwijt"}, "acc_x", NOW)), NOW)
    sender.sessions.save(to_device)


class Watch:
    """What the repairing client sends and fetches, and when its sends were acknowledged
    by the recipient's device (`delivered`): then the recipient has taken over the new
    session, so the test can go on without guessing a delay."""

    def __init__(self, client: SecureClient) -> None:
        self.sent: list[str] = []
        self.fetched: list[str] = []
        self._client = client
        send, fetch = client.relay.send, client.relay.fetch_prekeys

        async def counting_send(to: str, body: bytes, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
            sent = await send(to, body, *args, **kwargs)
            self.sent.append(sent)
            return sent

        async def counting_fetch(device_id: str, *args, **kwargs) -> bytes:
            self.fetched.append(device_id)
            return await fetch(device_id, *args, **kwargs)

        client.relay.send = counting_send
        client.relay.fetch_prekeys = counting_fetch

    async def restart_taken_over(self) -> None:
        """Wait until the restart envelope (the first send after this watch began) has
        been acknowledged by its recipient's device."""

        async def until() -> None:
            while True:
                ids = await self._client.relay.delivered.get()
                if self.sent and self.sent[0] in ids:
                    return

        await asyncio.wait_for(until(), WAIT)


async def test_a_chain_that_jumped_past_max_skip_is_repaired_by_a_new_session(relay):
    worker, caregiver = await pair(relay)
    try:
        await worker.send_text(caregiver.account_id, "hallo")
        assert await next_text(caregiver) == "hallo"
        await caregiver.send_text(worker.account_id, "hoi")
        assert await next_text(worker) == "hoi"
        before = caregiver.session_with(worker.device_id)

        dead_chain(worker, caregiver.device_id)
        watch = Watch(caregiver)
        await worker.send_text(caregiver.account_id, "na het gat")  # cannot be read: lost
        notice = await asyncio.wait_for(caregiver.unreadable.get(), WAIT)
        assert notice.sender_device == worker.device_id and caregiver.dropped == 1
        await watch.restart_taken_over()
        assert watch.fetched == [worker.device_id]  # a new X3DH with the worker's bundle
        assert caregiver.session_with(worker.device_id) is not before
        # The restart envelope carries no message: nothing shows at the worker.
        assert worker.messages.empty() and worker.dropped == 0
        assert not worker.session_with(caregiver.device_id).is_initiator  # it took it over

        await worker.send_text(caregiver.account_id, "lukt het nu?")
        assert await next_text(caregiver) == "lukt het nu?"
        await caregiver.send_text(worker.account_id, "ja, weer te lezen")
        assert await next_text(worker) == "ja, weer te lezen"
        await worker.send_text(caregiver.account_id, "mooi")
        assert await next_text(caregiver) == "mooi"
        assert caregiver.unreadable.empty() and caregiver.dropped == 1
    finally:
        await worker.close()
        await caregiver.close()


async def test_the_rest_of_a_dead_chain_starts_no_second_session(relay):
    """Messages of the broken chain still in flight after the first failure are lost too,
    but start no further session and no further notice until the peer is heard again."""
    worker, caregiver = await pair(relay)
    try:
        await worker.send_text(caregiver.account_id, "hallo")
        assert await next_text(caregiver) == "hallo"
        dead_chain(worker, caregiver.device_id)
        dead = worker.session_with(caregiver.device_id)
        watch = Watch(caregiver)
        for text in ("een", "twee", "drie"):  # all on the dead chain, sent before any repair
            body = dead.encrypt(encode(Message("text", {"text": text}, "acc_x", NOW)), NOW)
            await worker.relay.send(caregiver.device_id, body)
        await asyncio.wait_for(caregiver.unreadable.get(), WAIT)
        await watch.restart_taken_over()
        await worker.send_text(caregiver.account_id, "nu wel")
        assert await next_text(caregiver) == "nu wel"  # after the three, in seq order
        assert caregiver.dropped == 3
        assert caregiver.unreadable.empty() and watch.fetched == [worker.device_id]
    finally:
        await worker.close()
        await caregiver.close()
