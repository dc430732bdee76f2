"""Fixtures for the crypto tests: seeded randomness and ready-made session pairs.

Randomness is seeded so that a failure reproduces; nothing here reads the clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from crypto import DeviceKeys, Session, accept_session, start_session

T0 = 1767225600  # 2026-01-01T00:00:00Z


@pytest.fixture
def now() -> int:
    return T0


@pytest.fixture
def rng() -> Callable[[int], bytes]:
    """Deterministic bytes (tests only: never a source for real keys)."""
    return random.Random(20260101).randbytes


@pytest.fixture
def make_devices(rng: Callable[[int], bytes]) -> Callable[..., tuple[DeviceKeys, DeviceKeys]]:
    def make(one_time_prekeys: int = 3) -> tuple[DeviceKeys, DeviceKeys]:
        alice = DeviceKeys.generate(T0, rng, one_time_prekeys=one_time_prekeys)
        bob = DeviceKeys.generate(T0, rng, one_time_prekeys=one_time_prekeys)
        return alice, bob

    return make


@pytest.fixture
def make_pair(
    rng: Callable[[int], bytes], make_devices: Callable[..., tuple[DeviceKeys, DeviceKeys]]
) -> Callable[..., tuple[Session, Session]]:
    """Alice and Bob with an established session; ``answered`` also completes b0 -> Alice."""

    def make(answered: bool = True) -> tuple[Session, Session]:
        alice_keys, bob_keys = make_devices()
        opk = next(iter(bob_keys.one_time_prekeys))
        alice, first = start_session(alice_keys, bob_keys.bundle(opk), T0, rng, b"a0")
        bob, plaintext = accept_session(bob_keys, first, T0, rng)
        assert plaintext == b"a0"
        if answered:
            assert alice.decrypt(bob.encrypt(b"b0", T0, rng), T0, rng) == b"b0"
        return alice, bob

    return make
