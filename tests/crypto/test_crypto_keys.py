"""Device keys: generation, serialisation, prekey bookkeeping, bundles, reprs."""

from __future__ import annotations

import pytest

from crypto import (
    DecryptionError,
    DeviceKeys,
    IdentityKeyPair,
    PrekeyBundle,
    Session,
    StateError,
)
from crypto.keys import SIGNED_PREKEY_GRACE
from crypto.ratchet import RatchetState
from crypto.x3dh import initiate

T0 = 1767225600


def test_serialisation_round_trip(make_devices, rng) -> None:
    keys, _ = make_devices()
    keys.rotate_signed_prekey(T0 + 10, rng)
    restored = DeviceKeys.from_bytes(keys.to_bytes())
    assert restored.to_bytes() == keys.to_bytes()
    assert restored.public_identity == keys.public_identity
    assert restored.bundle(2) == keys.bundle(2)


@pytest.mark.parametrize(
    "mutate",
    [lambda d: d[:-1], lambda d: d + b"\x00", lambda d: d[:4] + b"\x09" + d[5:], lambda d: b""],
    ids=["truncated", "trailing", "version-9", "empty"],
)
def test_corrupt_device_keys_raise_state_error(make_devices, mutate) -> None:
    keys, _ = make_devices()
    with pytest.raises(StateError):
        DeviceKeys.from_bytes(mutate(keys.to_bytes()))


def test_prekey_ids_are_unique_and_never_zero(make_devices, rng) -> None:
    keys, _ = make_devices()
    added = keys.add_one_time_prekeys(5, rng)
    keys.rotate_signed_prekey(T0, rng)
    ids = [key_id for key_id, _ in added] + list(keys.one_time_prekeys)
    ids += [key.key_id for key in keys.signed_prekeys]
    assert 0 not in ids
    assert len(set(ids)) == len(set(keys.one_time_prekeys)) + len(keys.signed_prekeys)


def test_old_signed_prekeys_expire_after_grace(make_devices, rng) -> None:
    keys, _ = make_devices()
    first = keys.signed_prekey.key_id
    keys.rotate_signed_prekey(T0 + 100, rng)
    keys.expire_signed_prekeys(T0 + 100 + SIGNED_PREKEY_GRACE - 1)
    assert keys.find_signed_prekey(first) is not None
    keys.expire_signed_prekeys(T0 + 100 + SIGNED_PREKEY_GRACE)
    assert keys.find_signed_prekey(first) is None
    assert len(keys.signed_prekeys) == 1


def test_bundle_encoding_round_trip_and_signature_checks(make_devices) -> None:
    _, bob = make_devices()
    for opk in (0, 2):
        bundle = bob.bundle(opk)
        assert PrekeyBundle.from_bytes(bundle.to_bytes()) == bundle
        assert bundle.verify()
    with pytest.raises(DecryptionError):
        PrekeyBundle.from_bytes(bob.bundle().to_bytes()[:-1])


def test_identity_key_pair_is_deterministic_from_private_values() -> None:
    first = IdentityKeyPair.from_private(bytes(range(32)), bytes(range(32, 64)))
    second = IdentityKeyPair.from_private(bytes(range(32)), bytes(range(32, 64)))
    assert first.public == second.public
    assert first.public.verify()
    assert len(first.public.encode()) == 65 and first.public.encode()[0] == 0x01


def secrets_of(keys: DeviceKeys) -> list[bytes]:
    values = [keys.identity.signing_seed, keys.identity.agreement_private]
    values += [key.private_key for key in keys.signed_prekeys]
    values += [key.private_key for key in keys.one_time_prekeys.values()]
    return values


def test_no_secret_in_any_repr(make_devices, make_pair, rng) -> None:
    alice_keys, bob_keys = make_devices()
    alice, bob = make_pair()
    secrets = secrets_of(alice_keys) + secrets_of(bob_keys)
    state = Session.from_bytes(bob.to_bytes())._ratchet
    assert isinstance(state, RatchetState)
    secrets += [state.root_key, state.dh_private, state.sending_chain, state.receiving_chain]
    x3dh = initiate(alice_keys.identity, bob_keys.bundle(2), rng(32))
    secrets.append(x3dh.shared_secret)
    objects = [
        alice_keys, bob_keys, alice_keys.identity, alice_keys.signed_prekey,
        next(iter(alice_keys.one_time_prekeys.values())), bob_keys.bundle(2),
        alice_keys.public_identity, alice, bob, state, x3dh,
    ]  # fmt: skip
    for thing in objects:
        text = repr(thing) + str(thing)
        assert "b'" not in text and 'b"' not in text, text  # no raw bytes at all
        for secret in secrets:
            assert secret.hex()[:16] not in text, type(thing).__name__
