"""Fixtures for the audit tests: seeded keys, a valid entry, a small signed log.

Randomness is seeded so that a failure reproduces; nothing here reads the clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from audit import (
    Actor,
    AuditEntry,
    AuditObject,
    Authorisation,
    Frontier,
    MemoryNodeStore,
    Source,
    bundle_lines,
    encode,
    leaf_hash,
    log_verifier_key,
    pseudonym,
    root_at,
    sign_checkpoint,
)

T0 = 1767225600  # 2026-01-01T00:00:00Z
ORIGIN = "audit.steuntje.test/org-1"
SOURCE = Source("org_AbCdEfGhIjKlMnOpQrStUv", "relay-1", "0.1.0")


def seeded(seed: int) -> Callable[[int], bytes]:
    """Deterministic bytes (tests only: never a source for real keys)."""
    return random.Random(seed).randbytes


def member_added(time: int = T0, **changes: object) -> AuditEntry:
    """A valid case.member_added entry; keyword arguments replace fields."""
    fields: dict[str, object] = {
        "event": "case.member_added",
        "action": "U",
        "time": time,
        "outcome": "success",
        "actor": Actor("worker", "user", pseudonym(b"w" * 32, "acc_worker")),
        "source": SOURCE,
        "access_point": pseudonym(b"w" * 32, "device-1"),
        "objects": (
            AuditObject("case", pseudonym(b"c" * 32, "case_1")),
            AuditObject("account", pseudonym(b"g" * 32, "acc_caregiver")),
        ),
        "authorisation": Authorisation("case-membership", 2),
        "checks": {"authentication": "pass", "membership": "pass"},
    }
    fields.update(changes)
    return AuditEntry(**fields)


@dataclass
class Log:
    """A small log held in memory, as the relay would hold it in tables."""

    bodies: list[bytes]
    store: MemoryNodeStore
    frontier: Frontier
    key: bytes
    vkey: str

    def checkpoint(self, size: int) -> str:
        return sign_checkpoint(ORIGIN, size, root_at(size, self.store), self.key)

    def bundle(self, sizes: tuple[int, ...], removed: int = 0) -> str:
        rows = [
            (i, None if i < removed else body, leaf_hash(body))
            for i, body in enumerate(self.bodies)
        ]
        notes = [(size, self.checkpoint(size)) for size in sizes]
        return "".join(bundle_lines(ORIGIN, self.vkey, rows, notes, self.store))


def make_log(count: int, seed: int = 7, history: int = 0) -> Log:
    """``count`` entries signed with key ``seed``; another ``history`` is another log."""
    store, frontier = MemoryNodeStore(), Frontier()
    bodies = [encode(member_added(T0 + 60 * i + history)) for i in range(count)]
    for body in bodies:
        frontier, nodes = frontier.appended(leaf_hash(body))
        store.add(nodes)
    key = seeded(seed)(32)
    return Log(bodies, store, frontier, key, log_verifier_key(ORIGIN, key))


@pytest.fixture(name="member_added")
def member_added_fixture() -> Callable[..., AuditEntry]:
    """The entry factory: ``member_added(time, **changes)``."""
    return member_added


@pytest.fixture(name="make_log")
def make_log_fixture() -> Callable[..., Log]:
    """The log factory: ``make_log(count, seed=7, history=0)``."""
    return make_log


@pytest.fixture
def log20() -> Log:
    return make_log(20)
