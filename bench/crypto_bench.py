"""Micro-benchmark of the end-to-end crypto, on one core (one Python thread).

    python -m bench.crypto_bench [seconds]     # prints JSON

Figures, each in operations per second:

* ``ratchet_encrypt_decrypt_per_s``: one side encrypts a 200-byte message, the other
  decrypts it, within one sending chain (the common case: several messages in a row);
* ``ratchet_ping_pong_per_s``: the same, but the sides alternate, so every message
  carries a new ratchet key and costs a Diffie-Hellman ratchet step (three X25519);
* ``x3dh_setups_per_s``: ``start_session`` + ``accept_session`` with a one-time prekey:
  bundle signatures checked, four DH on each side, the first message both ways done.

``run(seconds)`` is what ``steuntje bench`` calls; the time is split evenly.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable

from crypto import DeviceKeys, accept_session, start_session

MESSAGE = bytes(200)
_BATCH = 50


def _rate(operation: Callable[[], None], seconds: float) -> float:
    """Calls per second of ``operation``, measured for about ``seconds``."""
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(_BATCH):
            operation()
        calls += _BATCH
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


def _session_pair() -> tuple:
    now = int(time.time())
    alice = DeviceKeys.generate(now, one_time_prekeys=0)
    bob = DeviceKeys.generate(now, one_time_prekeys=0)
    sender, first = start_session(alice, bob.bundle(), now)
    receiver, _ = accept_session(bob, first, now)
    sender.decrypt(receiver.encrypt(b"", now), now)  # past the initial-message phase
    return sender, receiver, now


def ratchet_one_way(seconds: float) -> float:
    sender, receiver, now = _session_pair()

    def once() -> None:
        receiver.decrypt(sender.encrypt(MESSAGE, now), now)

    return _rate(once, seconds)


def ratchet_ping_pong(seconds: float) -> float:
    sides = list(_session_pair()[:2])
    now = int(time.time())

    def once() -> None:
        sides[1].decrypt(sides[0].encrypt(MESSAGE, now), now)
        sides.reverse()

    return _rate(once, seconds)


def x3dh_setups(seconds: float) -> float:
    now = int(time.time())
    alice = DeviceKeys.generate(now, one_time_prekeys=0)
    bob = DeviceKeys.generate(now, one_time_prekeys=1)
    (prekey,) = bob.one_time_prekeys.values()
    bundle = bob.bundle(prekey.key_id)

    def once() -> None:
        _, first = start_session(alice, bundle, now)
        accept_session(bob, first, now)
        bob.one_time_prekeys[prekey.key_id] = prekey  # reuse it: a benchmark, not a protocol

    return _rate(once, seconds)


def run(seconds: float = 3.0) -> dict:
    """Measure for about ``seconds`` in total; returns the figures as a JSON-able dict."""
    share = seconds / 3
    return {
        "ratchet_encrypt_decrypt_per_s": round(ratchet_one_way(share)),
        "ratchet_ping_pong_per_s": round(ratchet_ping_pong(share)),
        "x3dh_setups_per_s": round(x3dh_setups(share)),
        "message_bytes": len(MESSAGE),
        "seconds": seconds,
        "python": platform.python_version(),
    }


if __name__ == "__main__":
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0), indent=2))
