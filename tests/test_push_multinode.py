"""Two relay nodes on one PostgreSQL and one Redis, one push service stand-in
(web-push-testing): exactly one push per arrival, whichever node committed it; none for an
arrival the phone took live on the other node; both nodes sign with the one VAPID key.

Each step ends with a push whose place in the order is known (the same node, the same
delay, later), so "nothing more arrived" is checked after the decision it follows."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets

import test_multinode
from push_service import stand_in
from test_multinode import Inbox

WAIT_S = 30
cluster = test_multinode.cluster  # the fixtures, for the test below
push_service = stand_in.push_service


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def pushes(service, subscription, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Wait until `count` pushes arrived; return them decrypted and parsed."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while len(found := await service.messages(subscription)) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {count} pushes")
        await asyncio.sleep(0.05)  # polling step of a condition wait
    return [json.loads(text) for text in found]


async def test_two_nodes_push_once_per_arrival_and_never_to_a_live_phone(
    cluster, push_service, monkeypatch
):
    monkeypatch.setenv("STEUNTJE_PUSH_SERVICES", push_service.origin)
    monkeypatch.setenv("STEUNTJE_PUSH_DELAY", "0.5")
    monkeypatch.setenv("STEUNTJE_PUSH_INTERVAL", "0")  # every arrival may push
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(1, 1, 0)
    key = (await caregiver.request("push_key"))["key"]
    assert (await worker.request("push_key"))["key"] == key  # one key for the relay
    subscription = await push_service.subscribe(key)
    hint_key = secrets.token_bytes(32)
    await caregiver.request("push_subscribe", subscription.for_relay(b64url(hint_key)))
    from_admin = {"v": 1, "t": "message", "h": hint(hint_key, admin.account_id)}
    from_worker = {"v": 1, "t": "message", "h": hint(hint_key, worker.account_id)}

    # A second caregiver of the worker, subscribed and away: the sentinel below.
    other = cluster.client(0)
    await other.register((await worker.create_invite("caregiver"))["link"])
    other_subscription = await push_service.subscribe(key)
    await other.request("push_subscribe", other_subscription.for_relay(b64url(hint_key)))
    await other.close()

    # Connected to node 0, the phone takes node 1's envelope live: no push. The sentinel,
    # committed on node 1 after it, is decided after it; once its push is in, the live
    # arrival has been decided too.
    inbox = Inbox()
    await caregiver.close()
    live = cluster.client(0, caregiver.key, on_envelope=inbox)
    await live.connect()
    await worker.send(caregiver.device_id, b"live", envelope_id="live-0001")
    await inbox.wait_for("live-0001")
    await worker.send(other.device_id, b"sentinel", envelope_id="sentinel-0001")
    assert await pushes(push_service, other_subscription, 1) == [from_worker]
    assert await push_service.messages(subscription) == []
    await live.close()
    await admin.send(caregiver.device_id, b"closed", envelope_id="closed-0001")
    assert await pushes(push_service, subscription, 1) == [from_admin]

    # Committed on node 0: one push, from node 0 only; then one from node 1 again.
    await admin.close()
    admin_on_0 = cluster.client(0, admin.key)
    await admin_on_0.connect()
    await admin_on_0.send(caregiver.device_id, b"from node 0", envelope_id="node0-0001")
    assert await pushes(push_service, subscription, 2) == [from_admin, from_admin]
    await worker.send(caregiver.device_id, b"from node 1", envelope_id="node1-0002")
    assert await pushes(push_service, subscription, 3) == [from_admin, from_admin, from_worker]


def hint(hint_key: bytes, account: str) -> str:
    return b64url(hmac.new(hint_key, account.encode(), hashlib.sha256).digest()[:12])
