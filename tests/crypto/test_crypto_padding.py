"""Padding: libsodium's sodium_pad to our buckets, and strict unpadding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import sodium_pad, sodium_unpad

from crypto import BUCKETS, MAX_PLAINTEXT_SIZE, DecryptionError, PayloadTooLargeError, pad, unpad
from crypto.padding import bucket_size


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=3000))
def test_pad_matches_sodium_pad_and_round_trips(plaintext: bytes) -> None:
    padded = pad(plaintext)
    assert len(padded) in BUCKETS
    assert padded == sodium_pad(plaintext, len(padded))
    assert sodium_unpad(padded, len(padded)) == plaintext
    assert unpad(padded) == plaintext


def test_bucket_edges() -> None:
    assert BUCKETS[-1] <= 65536 - 256
    for previous, bucket in zip((0, *BUCKETS), BUCKETS, strict=False):
        assert bucket_size(previous) == bucket  # previous + 1 byte marker fits
        assert bucket_size(bucket - 1) == bucket
    assert len(pad(bytes(MAX_PLAINTEXT_SIZE))) == BUCKETS[-1]
    with pytest.raises(PayloadTooLargeError):
        pad(bytes(MAX_PLAINTEXT_SIZE + 1))


@pytest.mark.parametrize(
    "padded",
    [b"", bytes(256), b"\x80" + bytes(256), b"a\x80\x01" + bytes(253), b"a\x81" + bytes(254)],
    ids=["empty", "zeros", "257-bytes", "junk-after-marker", "wrong-marker"],
)
def test_unpad_rejects(padded: bytes) -> None:
    with pytest.raises(DecryptionError):
        unpad(padded)
