"""Hostile delivery: shuffled, dropped and duplicated envelopes between in-memory peers.

Modelled on libsignal's session tests: whatever the network does, every envelope that
arrives decrypts exactly once to what was sent, copies are rejected, and afterwards the
two sides still talk. The Hypothesis state machine adds restarts (serialise, then
deserialise, both the session and the device keys) at random points.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from crypto import DecryptionError, DeviceKeys, Session, accept_session, start_session

T0 = 1767225600


class Peers:
    """Alice and Bob; Bob's session appears when an initial envelope reaches him."""

    def __init__(self, rng: Callable[[int], bytes]) -> None:
        self.rng = rng
        self.alice_keys = DeviceKeys.generate(T0, rng, one_time_prekeys=1)
        self.bob_keys = DeviceKeys.generate(T0, rng, one_time_prekeys=1)
        opk = next(iter(self.bob_keys.one_time_prekeys))
        self.sessions: dict[str, Session | None] = {"alice": None, "bob": None}
        self.sessions["alice"], first = start_session(
            self.alice_keys, self.bob_keys.bundle(opk), T0, rng, b"alice 0"
        )
        self.in_flight: list[tuple[str, bytes, bytes]] = [("bob", first, b"alice 0")]
        self.sent = {"alice": 1, "bob": 0}

    def send(self, sender: str) -> None:
        receiver = "bob" if sender == "alice" else "alice"
        plaintext = f"{sender} {self.sent[sender]}".encode()
        envelope = self.sessions[sender].encrypt(plaintext, T0, self.rng)
        self.sent[sender] += 1
        self.in_flight.append((receiver, envelope, plaintext))

    def deliver(self, receiver: str, envelope: bytes) -> bytes:
        session = self.sessions[receiver]
        if session is None:  # only Bob, before any initial envelope reached him
            self.sessions[receiver], plaintext = accept_session(
                self.bob_keys, envelope, T0, self.rng
            )
            return plaintext
        return session.decrypt(envelope, T0, self.rng)

    def restart(self, party: str) -> None:
        if self.sessions[party] is not None:
            self.sessions[party] = Session.from_bytes(self.sessions[party].to_bytes())
        self.bob_keys = DeviceKeys.from_bytes(self.bob_keys.to_bytes())

    def check_both_ways(self) -> None:
        for sender, receiver in (("alice", "bob"), ("bob", "alice")):
            envelope = self.sessions[sender].encrypt(b"final", T0, self.rng)
            assert self.deliver(receiver, envelope) == b"final"


@pytest.mark.parametrize("seed", range(8))
def test_shuffle_drop_duplicate(seed: int) -> None:
    chooser = random.Random(seed)
    peers = Peers(random.Random(seed + 1000).randbytes)
    delivered: set[bytes] = set()
    for _ in range(12):  # rounds: both send a burst, the network mangles it, then delivers
        for sender in ("alice", "bob") if peers.sessions["bob"] else ("alice",):
            for _ in range(chooser.randint(0, 6)):
                peers.send(sender)
        batch, peers.in_flight = peers.in_flight, []
        batch += chooser.sample(batch, k=len(batch) // 3)  # duplicates
        chooser.shuffle(batch)
        for receiver, envelope, plaintext in batch:
            if chooser.random() < 0.15:
                continue  # dropped (a duplicate may still arrive)
            if envelope in delivered:
                with pytest.raises(DecryptionError):
                    peers.deliver(receiver, envelope)
            else:
                assert peers.deliver(receiver, envelope) == plaintext
                delivered.add(envelope)
    if peers.sessions["bob"] is None:
        peers.send("alice")
        receiver, envelope, plaintext = peers.in_flight.pop()
        assert peers.deliver(receiver, envelope) == plaintext
    peers.check_both_ways()


class HostileNetwork(RuleBasedStateMachine):
    """Random sends, deliveries (in any order, repeated), drops and restarts."""

    def __init__(self) -> None:
        super().__init__()
        self.peers = Peers(random.Random(7).randbytes)
        self.delivered: set[bytes] = set()

    @rule(sender=st.sampled_from(["alice", "bob"]))
    def send(self, sender: str) -> None:
        if self.peers.sessions[sender] is not None:
            self.peers.send(sender)

    @precondition(lambda self: self.peers.in_flight)
    @rule(index=st.integers(min_value=0), keep_copy=st.booleans())
    def deliver(self, index: int, keep_copy: bool) -> None:
        in_flight = self.peers.in_flight
        receiver, envelope, plaintext = in_flight[index % len(in_flight)]
        if not keep_copy:  # keep_copy: the network will deliver it again later
            in_flight.remove((receiver, envelope, plaintext))
        if envelope in self.delivered:
            with pytest.raises(DecryptionError):
                self.peers.deliver(receiver, envelope)
        else:
            assert self.peers.deliver(receiver, envelope) == plaintext
            self.delivered.add(envelope)

    @precondition(lambda self: self.peers.in_flight)
    @rule(index=st.integers(min_value=0))
    def drop(self, index: int) -> None:
        self.peers.in_flight.pop(index % len(self.peers.in_flight))

    @rule(party=st.sampled_from(["alice", "bob"]))
    def restart(self, party: str) -> None:
        self.peers.restart(party)

    def teardown(self) -> None:
        """Deliver what is left, then both sides must still agree."""
        for receiver, envelope, plaintext in self.peers.in_flight:
            if envelope not in self.delivered:
                assert self.peers.deliver(receiver, envelope) == plaintext
                self.delivered.add(envelope)
        if self.peers.sessions["bob"] is None:  # every initial envelope was dropped
            self.peers.send("alice")  # Alice still sends initial envelopes: one gets through
            receiver, envelope, plaintext = self.peers.in_flight.pop()
            assert self.peers.deliver(receiver, envelope) == plaintext
        self.peers.check_both_ways()


HostileNetwork.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, database=None
)
test_hostile_network = HostileNetwork.TestCase
