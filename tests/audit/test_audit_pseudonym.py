"""Keyed pseudonyms: stable per key, unlinkable without it, and of one fixed shape."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from audit import EntryError, decode, encode, is_pseudonym, leaf_hash, new_subject_key, pseudonym


def test_the_construction_is_hmac_sha256_truncated_to_16_bytes_in_base32() -> None:
    key = bytes(range(32))
    digest = hmac.new(key, b"acc_0123456789abcdefghijkl", hashlib.sha256).digest()[:16]
    expected = "ps_" + base64.b32encode(digest).decode().rstrip("=").lower()
    assert pseudonym(key, "acc_0123456789abcdefghijkl") == expected
    assert is_pseudonym(expected) and len(expected) == 3 + 26


def test_same_key_same_pseudonym_other_key_other_pseudonym() -> None:
    first, second = new_subject_key(lambda n: b"\x01" * n), new_subject_key(lambda n: b"\x02" * n)
    assert pseudonym(first, "acc_x") == pseudonym(first, "acc_x")
    assert pseudonym(first, "acc_x") != pseudonym(second, "acc_x")
    assert pseudonym(first, "acc_x") != pseudonym(first, "acc_y")


def test_the_default_key_is_fresh_random() -> None:
    assert new_subject_key() != new_subject_key() and len(new_subject_key()) == 32
    with pytest.raises(ValueError):
        new_subject_key(lambda n: b"\x00" * (n - 1))


def test_bad_keys_and_ids_are_refused() -> None:
    for key, subject in ((b"short", "acc_x"), (b"k" * 32, "")):
        with pytest.raises(EntryError):
            pseudonym(key, subject)


def test_erasure_destroys_the_key_and_the_entry_still_verifies(member_added) -> None:
    """What erasure means for the log: the bytes stay, the link to the person goes."""
    key = new_subject_key(lambda n: b"\x05" * n)
    subject = "acc_caregiverAAAAAAAAAAAA"
    entry = member_added(on_behalf_of=pseudonym(key, subject))
    stored = encode(entry)
    leaf = leaf_hash(stored)
    # While the key exists, the relay finds the person's entries by recomputing.
    assert decode(stored).on_behalf_of == pseudonym(key, subject)
    del key  # erasure: the relay deletes the subject-key row
    # The entry is unchanged, so its leaf hash (and every root above it) still holds;
    # only someone holding the destroyed key could link the pseudonym to the subject.
    assert leaf_hash(stored) == leaf and subject.encode() not in stored


@pytest.mark.parametrize("value", ["ps_", "ps_" + "a" * 25, "ps_" + "1" * 26, 42, None])
def test_shape(value) -> None:
    assert not is_pseudonym(value)
