"""Session behaviour through the public API: the properties docs/e2e.md promises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    MAX_ENVELOPE_SIZE,
    MAX_PLAINTEXT_SIZE,
    DecryptionError,
    DeviceKeys,
    PayloadTooLargeError,
    PrekeyBundle,
    Session,
    StateError,
    accept_session,
    start_session,
)
from crypto.envelope import TYPE_INITIAL, TYPE_MESSAGE
from crypto.ratchet import MAX_SKIPPED_KEYS, SKIPPED_KEY_MAX_AGE

T0 = 1767225600


def test_round_trip_both_ways(make_pair, rng) -> None:
    alice, bob = make_pair()
    for index in range(5):
        assert bob.decrypt(alice.encrypt(b"a%d" % index, T0, rng), T0, rng) == b"a%d" % index
        assert alice.decrypt(bob.encrypt(b"b%d" % index, T0, rng), T0, rng) == b"b%d" % index


def test_initiator_repeats_x3dh_fields_until_answered(make_devices, rng) -> None:
    alice_keys, bob_keys = make_devices()
    alice, first = start_session(alice_keys, bob_keys.bundle(), T0, rng)
    second = alice.encrypt(b"nog een", T0, rng)
    assert first[1] == second[1] == TYPE_INITIAL
    bob, _ = accept_session(bob_keys, first, T0, rng)
    assert bob.decrypt(second, T0, rng) == b"nog een"
    alice.decrypt(bob.encrypt(b"antwoord", T0, rng), T0, rng)
    assert alice.encrypt(b"daarna", T0, rng)[1] == TYPE_MESSAGE


def test_largest_plaintext_fits_the_relay_limit(make_devices, rng) -> None:
    alice_keys, bob_keys = make_devices()
    plaintext = bytes(MAX_PLAINTEXT_SIZE)
    alice, first = start_session(alice_keys, bob_keys.bundle(2), T0, rng, plaintext)
    assert len(first) <= MAX_ENVELOPE_SIZE
    _, received = accept_session(bob_keys, first, T0, rng)
    assert received == plaintext
    before = alice.to_bytes()
    with pytest.raises(PayloadTooLargeError):
        alice.encrypt(bytes(MAX_PLAINTEXT_SIZE + 1), T0, rng)
    assert alice.to_bytes() == before


def test_every_single_bit_flip_is_rejected_without_state_change(make_pair, rng) -> None:
    alice, bob = make_pair()
    envelope = alice.encrypt(b"origineel", T0, rng)
    before = bob.to_bytes()
    for offset in range(len(envelope)):
        for bit in (0, 7):
            mutated = bytearray(envelope)
            mutated[offset] ^= 1 << bit
            with pytest.raises(DecryptionError):
                bob.decrypt(bytes(mutated), T0, rng)
            assert bob.to_bytes() == before
    assert bob.decrypt(envelope, T0, rng) == b"origineel"


def test_failed_accept_keeps_the_one_time_prekey(make_devices, rng) -> None:
    alice_keys, bob_keys = make_devices()
    opk = next(iter(bob_keys.one_time_prekeys))
    _, first = start_session(alice_keys, bob_keys.bundle(opk), T0, rng)
    tampered = first[:-1] + bytes((first[-1] ^ 1,))
    with pytest.raises(DecryptionError):
        accept_session(bob_keys, tampered, T0, rng)
    assert opk in bob_keys.one_time_prekeys
    accept_session(bob_keys, first, T0, rng)
    assert opk not in bob_keys.one_time_prekeys  # deleted once used (forward secrecy)
    with pytest.raises(DecryptionError):
        accept_session(bob_keys, first, T0, rng)


def test_bad_bundle_is_refused(make_devices, rng) -> None:
    alice_keys, bob_keys = make_devices()
    good = bob_keys.bundle()
    forged = PrekeyBundle(
        good.identity, good.signed_prekey_id, alice_keys.signed_prekey.public_key,
        good.signed_prekey_signature,
    )  # fmt: skip
    with pytest.raises(DecryptionError):
        start_session(alice_keys, forged, T0, rng)


def test_serialisation_round_trip_mid_conversation(make_pair, rng) -> None:
    alice, bob = make_pair()
    late = alice.encrypt(b"laat", T0, rng)
    bob.decrypt(alice.encrypt(b"vroeg", T0, rng), T0, rng)  # late's key is now stored
    restored = Session.from_bytes(bob.to_bytes())
    assert restored.to_bytes() == bob.to_bytes()
    assert restored.decrypt(late, T0, rng) == b"laat"
    assert Session.from_bytes(alice.to_bytes()).encrypt(b"x", T0, rng)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda data: data[:-1],
        lambda data: data + b"\x00",
        lambda data: data[:4] + b"\x02" + data[5:],
        lambda data: b"xxxx" + data[4:],
        lambda data: b"",
    ],
    ids=["truncated", "trailing", "version-2", "magic", "empty"],
)
def test_corrupt_session_state_raises_state_error(make_pair, mutate) -> None:
    alice, _ = make_pair()
    with pytest.raises(StateError):
        Session.from_bytes(mutate(alice.to_bytes()))


def test_skipped_keys_expire_and_are_capped(make_pair, rng) -> None:
    alice, bob = make_pair()
    early = alice.encrypt(b"early", T0, rng)
    bob.decrypt(alice.encrypt(b"late", T0, rng), T0, rng)
    assert "skipped=1" in repr(bob)
    bob.expire(T0 + SKIPPED_KEY_MAX_AGE + 1)
    assert "skipped=0" in repr(bob)
    with pytest.raises(DecryptionError):
        bob.decrypt(early, T0 + SKIPPED_KEY_MAX_AGE + 1, rng)
    for chain in range(3):  # 3 x 999 skipped > MAX_SKIPPED_KEYS
        for _ in range(999):
            alice.encrypt(b"", T0, rng)
        bob.decrypt(alice.encrypt(b"last", T0, rng), T0, rng)
        alice.decrypt(bob.encrypt(b"reply %d" % chain, T0, rng), T0, rng)
    assert f"skipped={MAX_SKIPPED_KEYS}" in repr(bob)


def test_decryption_error_is_opaque(make_pair, rng) -> None:
    alice, bob = make_pair()
    messages = []
    for envelope in (b"", b"\x01\x02" + bytes(100), alice.encrypt(b"x", T0, rng)[:-1]):
        with pytest.raises(DecryptionError) as caught:
            bob.decrypt(envelope, T0, rng)
        messages.append(str(caught.value))
        assert caught.value.__cause__ is None
    assert len(set(messages)) == 1


@settings(max_examples=60, deadline=None, database=None)
@given(
    garbage=st.one_of(
        st.binary(max_size=600),
        st.binary(min_size=336, max_size=336),  # the exact size of a 256-byte-bucket message
        st.binary(min_size=504, max_size=504),  # and of an initial one
    ),
    header=st.sampled_from([b"", b"\x01\x01", b"\x01\x02"]),
)
def test_garbage_only_ever_raises_decryption_error(garbage: bytes, header: bytes) -> None:
    alice_keys = DeviceKeys.generate(T0, one_time_prekeys=1)
    bob_keys = DeviceKeys.generate(T0, one_time_prekeys=1)
    alice, first = start_session(alice_keys, bob_keys.bundle(), T0)
    bob, _ = accept_session(bob_keys, first, T0)
    for target in (
        bob.decrypt,
        alice.decrypt,
        lambda data, now: accept_session(bob_keys, data, now),
    ):
        with pytest.raises(DecryptionError):
            target(header + garbage, T0)


def test_signed_prekey_rotation_and_grace(make_devices, rng) -> None:
    alice_keys, bob_keys = make_devices()
    old_bundle = bob_keys.bundle()
    assert not bob_keys.needs_rotation(T0 + 86400)
    assert bob_keys.needs_rotation(T0 + 7 * 86400)
    bob_keys.rotate_signed_prekey(T0 + 7 * 86400, rng)
    _, in_grace = start_session(alice_keys, old_bundle, T0, rng)
    accept_session(bob_keys, in_grace, T0 + 8 * 86400, rng)  # old prekey still kept
    bob_keys.rotate_signed_prekey(T0 + 60 * 86400, rng)  # first one now past its grace
    assert old_bundle.signed_prekey_id not in [key.key_id for key in bob_keys.signed_prekeys]
    _, too_late = start_session(alice_keys, old_bundle, T0, rng)
    with pytest.raises(DecryptionError):
        accept_session(bob_keys, too_late, T0 + 60 * 86400, rng)


def test_matches_routes_initial_envelopes(make_devices, rng) -> None:
    alice_keys, bob_keys = make_devices()
    alice, first = start_session(alice_keys, bob_keys.bundle(), T0, rng)  # no one-time prekey
    bob, _ = accept_session(bob_keys, first, T0, rng)
    assert bob.matches(first) and not alice.matches(first)
    assert not bob.matches(b"junk")
    assert not bob.matches(bob.encrypt(b"type 2", T0, rng))
    _, other = start_session(alice_keys, bob_keys.bundle(), T0, rng)
    assert not bob.matches(other)
    # Without a one-time prekey, a replayed initial envelope would be accepted again
    # (X3DH section 4.2): matches() is how a client recognises it and drops it instead.
    with pytest.raises(DecryptionError):
        bob.decrypt(first, T0, rng)


class SessionStore:
    """The client-side routing of docs/e2e.md section 7.4, minimal, for one peer."""

    def __init__(self) -> None:
        self.current: Session | None = None
        self.archived: list[Session] = []

    def receive(self, keys: DeviceKeys, envelope: bytes, rng) -> bytes:
        candidates = [self.current, *reversed(self.archived)] if self.current else []
        if envelope[1] == TYPE_INITIAL:
            matching = [session for session in candidates if session.matches(envelope)]
            if matching:
                return matching[0].decrypt(envelope, T0, rng)
            session, plaintext = accept_session(keys, envelope, T0, rng)
            self.archived += [self.current] if self.current else []
            self.current = session
            return plaintext
        for session in candidates:
            try:
                plaintext = session.decrypt(envelope, T0, rng)
            except DecryptionError:
                continue
            if session is not self.current:
                self.archived.remove(session)
                self.archived.append(self.current)
                self.current = session
            return plaintext
        raise DecryptionError()


def test_simultaneous_initiation_stays_decryptable(make_devices, rng) -> None:
    alice_keys, bob_keys = make_devices()
    alice, bob = SessionStore(), SessionStore()
    alice.current, from_alice = start_session(alice_keys, bob_keys.bundle(2), T0, rng, b"A")
    bob.current, from_bob = start_session(bob_keys, alice_keys.bundle(2), T0, rng, b"B")
    assert bob.receive(bob_keys, from_alice, rng) == b"A"
    assert alice.receive(alice_keys, from_bob, rng) == b"B"
    for round_number in range(3):  # both send before reading: the worst case
        to_bob = alice.current.encrypt(b"a%d" % round_number, T0, rng)
        to_alice = bob.current.encrypt(b"b%d" % round_number, T0, rng)
        assert bob.receive(bob_keys, to_bob, rng) == b"a%d" % round_number
        assert alice.receive(alice_keys, to_alice, rng) == b"b%d" % round_number
    for _ in range(2):  # then a normal exchange settles on one pair
        assert bob.receive(bob_keys, alice.current.encrypt(b"x", T0, rng), rng) == b"x"
        assert alice.receive(alice_keys, bob.current.encrypt(b"y", T0, rng), rng) == b"y"
    replay = from_alice  # a replayed initial envelope never creates another session
    with pytest.raises(DecryptionError):
        bob.receive(bob_keys, replay, rng)
