"""Two sign-ins of one device on two nodes within one Redis round trip: the newest wins.

Each node tells the others `replaced` when a device signs in there. If a device signs in
on node A and then on node B before A's note reached B, A's late note must not close the
newer connection on B. Redis delivers the channel in one order to every node, so B knows:
another node's note that arrives before the echo of B's own note was published earlier.

The race needs two sign-ins inside one round trip, which a real pair of nodes hits only by
chance, so this test drives one node's `RedisFanout` with the messages in the order Redis
would deliver them; publishing goes to a recorder instead of a server (the fault cannot be
produced on demand otherwise).
"""

from __future__ import annotations

import json

from redis.exceptions import ConnectionError as RedisConnectionError

from relay.delivery import Router
from relay.fanout import RedisFanout

DEVICE = "D" * 43


class RecordingRedis:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    async def publish(self, channel: str, message: str) -> int:
        if self.fail:
            raise RedisConnectionError("away")
        self.sent.append(message)
        return 1


def node(redis: RecordingRedis) -> tuple[RedisFanout, list[dict[str, object]]]:
    fanout = RedisFanout("redis://unused", Router())
    fanout._redis = redis  # type: ignore[assignment]
    heard: list[dict[str, object]] = []
    fanout.on_note = heard.append
    return fanout, heard


def from_node(name: str, *notes: dict[str, object]) -> dict[str, object]:
    return {
        "type": "message",
        "data": json.dumps({"node": name, "devices": [], "forget": False, "notes": list(notes)}),
    }


async def flushed(fanout: RedisFanout) -> None:
    await fanout._flush()  # what the task `tell` scheduled would do, done here and now


async def test_an_older_sign_in_elsewhere_does_not_close_the_newer_one_here():
    redis = RecordingRedis()
    b, heard = node(redis)
    replaced = {"drop": [DEVICE], "reason": "replaced"}
    b.tell(replaced)  # the device signed in on B
    await flushed(b)
    b._heard(from_node("A", replaced))  # A's note, published before B's: older
    assert heard == []
    b._heard({"type": "message", "data": redis.sent[0]})  # B's own echo
    b._heard(from_node("A", replaced))  # A's note after it: the device moved on again
    assert heard == [replaced]


async def test_other_drops_and_other_devices_pass_while_an_echo_is_awaited():
    b, heard = node(RecordingRedis())
    b.tell({"drop": [DEVICE], "reason": "replaced"})
    await flushed(b)
    other = "E" * 43
    b._heard(from_node("A", {"drop": [DEVICE, other], "reason": "replaced"}))
    b._heard(from_node("A", {"drop": [DEVICE], "reason": "device_revoked"}))
    assert heard == [
        {"drop": [other], "reason": "replaced"},
        {"drop": [DEVICE], "reason": "device_revoked"},  # a revocation always wins
    ]


async def test_a_note_that_never_left_waits_for_no_echo():
    b, heard = node(RecordingRedis(fail=True))
    b.tell({"drop": [DEVICE], "reason": "replaced"})
    await flushed(b)
    assert b.dropped == 1
    b._heard(from_node("A", {"drop": [DEVICE], "reason": "replaced"}))
    assert heard == [{"drop": [DEVICE], "reason": "replaced"}]
