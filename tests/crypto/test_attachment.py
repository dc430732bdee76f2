"""crypto.attachment beyond the shared vectors: memory, streaming edges, misuse, secrecy.

The vectors (test_attachment_vectors.py) fix the bytes and the refusals; these tests pin
what a vector cannot express: memory stays flat on a 25 MB stream, chunk boundaries are
held back correctly, a failed decryptor stays failed, and no repr shows a key.
"""

from __future__ import annotations

import hashlib
import itertools
import tracemalloc

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto
from crypto import attachment
from crypto.attachment import (
    CHUNK_SIZE,
    HEADER_SIZE,
    KEY_SIZE,
    TAG_SIZE,
    Decryptor,
    Encryptor,
    ciphertext_size,
    commitment,
    decrypt_bytes,
    encrypt_bytes,
    new_key,
)
from crypto.errors import AttachmentError

ENCRYPTED = CHUNK_SIZE + TAG_SIZE
KEY = bytes(range(32))


def reason_of(action: object) -> str:
    with pytest.raises(AttachmentError) as refused:
        action()  # type: ignore[operator]
    return refused.value.reason


def test_memory_stays_flat_on_a_25_mb_stream() -> None:
    """Encrypting and decrypting 25 MB, piece by piece, never holds more than a few chunks."""
    piece = bytes(range(256)) * (CHUNK_SIZE // 256)  # allocated before the baseline
    pieces = 25 * 1_000_000 // len(piece) + 1
    sent, received = hashlib.sha256(), hashlib.sha256()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        encryptor, decryptor = Encryptor(KEY), Decryptor(KEY, commitment(KEY))
        for _ in range(pieces):
            sent.update(piece)
            received.update(decryptor.push(encryptor.push(piece)))
        received.update(decryptor.push(encryptor.finish()))
        received.update(decryptor.finish())
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert received.digest() == sent.digest()
    assert encryptor.size == ciphertext_size(pieces * len(piece)) > 25_000_000
    assert peak < 1_000_000, f"peak {peak} bytes above baseline"


def test_a_full_chunk_is_held_back_until_the_next_byte_or_finish() -> None:
    encryptor = Encryptor(KEY)
    header = encryptor.push(bytes(CHUNK_SIZE))  # the chunk might still be the last one
    assert header == commitment(KEY)
    first = encryptor.push(b"x")
    assert len(first) == ENCRYPTED  # now it is known not to be the last
    last = encryptor.finish()
    assert len(last) == 1 + TAG_SIZE
    blob = header + first + last
    assert (encryptor.size, encryptor.sha256) == (len(blob), hashlib.sha256(blob).hexdigest())
    decryptor = Decryptor(KEY, commitment(KEY))
    assert decryptor.push(header[:7]) == b""  # the header is checked once it is whole
    assert decryptor.push(header[7:] + first) == b""  # held back: it might be the last
    assert decryptor.push(last) == bytes(CHUNK_SIZE)
    assert decryptor.finish() == b"x"


def test_sha256_and_size_are_known_only_after_finish() -> None:
    encryptor = Encryptor(KEY)
    blob = encryptor.push(b"abc")
    assert encryptor.sha256 is None
    blob += encryptor.finish()
    assert encryptor.sha256 == hashlib.sha256(blob).hexdigest()
    assert encryptor.size == len(blob) == ciphertext_size(3)


def test_an_empty_last_chunk_after_data_is_refused() -> None:
    """age's rule: only an empty file ends in an empty chunk. Otherwise a key holder could
    make a blob that is accepted whether or not its real last chunk is there."""
    payload_key = attachment._payload_key(KEY)
    full = encrypt_bytes(KEY, bytes(CHUNK_SIZE + 1))[: HEADER_SIZE + ENCRYPTED]  # not last
    empty_last = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        b"", None, bytes(15) + (1).to_bytes(8, "big") + b"\x01", payload_key
    )
    assert reason_of(lambda: decrypt_bytes(KEY, commitment(KEY), full + empty_last)) == (
        "chunk_invalid"
    )


def test_a_failed_decryptor_stays_failed_and_releases_nothing_more() -> None:
    blob = bytearray(encrypt_bytes(KEY, bytes(3 * CHUNK_SIZE)))
    blob[HEADER_SIZE + ENCRYPTED + 10] ^= 1  # chunk 1
    decryptor = Decryptor(KEY, commitment(KEY))
    released = decryptor.push(bytes(blob[: HEADER_SIZE + 2 * ENCRYPTED]))
    assert released == bytes(CHUNK_SIZE)  # chunk 0 authenticated; chunk 1 still held back
    rest = bytes(blob[HEADER_SIZE + 2 * ENCRYPTED :])
    assert reason_of(lambda: decryptor.push(rest)) == "chunk_invalid"
    assert reason_of(lambda: decryptor.push(b"")) == "chunk_invalid"
    assert reason_of(decryptor.finish) == "chunk_invalid"


def test_a_chunk_moved_beyond_the_diagnosis_window_is_still_refused() -> None:
    """Naming a refusal "reordered" looks only 16 chunks either way; farther moves are
    refused all the same, as chunk_invalid."""
    chunks = attachment.REORDER_WINDOW + 3
    blob = encrypt_bytes(KEY, bytes(chunks * CHUNK_SIZE + 1))  # all `chunks` full, + 1 byte
    header = blob[:HEADER_SIZE]

    def chunk(index: int) -> bytes:
        start = HEADER_SIZE + index * ENCRYPTED
        return blob[start : start + ENCRYPTED]

    after_first = blob[HEADER_SIZE + ENCRYPTED :]
    commit = commitment(KEY)
    near = header + chunk(2) + after_first  # chunk 2 in chunk 0's place
    far = header + chunk(chunks - 1) + after_first
    assert reason_of(lambda: decrypt_bytes(KEY, commit, near)) == "reordered"
    assert reason_of(lambda: decrypt_bytes(KEY, commit, far)) == "chunk_invalid"


def test_the_commitment_is_checked_before_any_data() -> None:
    other = bytes(32)
    assert reason_of(lambda: Decryptor(KEY, commitment(other))) == "key_not_committed"
    assert reason_of(lambda: Decryptor(KEY, b"")) == "key_not_committed"
    assert reason_of(lambda: Decryptor(KEY[:31], commitment(KEY))) == "bad_key"
    # The hash and size of a whole blob are checked only after the commitment.
    assert reason_of(lambda: decrypt_bytes(KEY, commitment(other), b"", size=5)) == (
        "key_not_committed"
    )


def test_every_reader_who_accepts_a_blob_holds_the_same_key() -> None:
    """The blob's own first 32 bytes commit to one key, so a sender cannot hand two
    devices two keys (each with its matching commitment in its message) for one blob."""
    other = bytes(32)
    blob = encrypt_bytes(KEY, b"the picture the worker sees")
    assert decrypt_bytes(KEY, commitment(KEY), blob) == b"the picture the worker sees"
    decryptor = Decryptor(other, commitment(other))  # a consistent message, another key
    assert reason_of(lambda: decryptor.push(blob[:HEADER_SIZE])) == "key_not_committed"
    forged = commitment(other) + blob[HEADER_SIZE:]  # the header rewritten for that key
    assert reason_of(lambda: decrypt_bytes(other, commitment(other), forged)) == ("chunk_invalid")


def test_misuse_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        Encryptor(KEY[:31])
    encryptor = Encryptor(KEY)
    encryptor.finish()
    with pytest.raises(ValueError):
        encryptor.push(b"x")
    with pytest.raises(ValueError):
        encryptor.finish()
    decryptor = Decryptor(KEY, commitment(KEY))
    decryptor.push(encrypt_bytes(KEY, b""))
    assert decryptor.finish() == b""
    with pytest.raises(ValueError):
        decryptor.push(b"")
    with pytest.raises(ValueError):
        ciphertext_size(-1)
    with pytest.raises(ValueError):
        new_key(lambda size: bytes(size - 1))


def test_keys_are_fresh_and_never_shown() -> None:
    keys = {new_key() for _ in range(8)}
    assert len(keys) == 8 and all(len(key) == KEY_SIZE for key in keys)
    encryptor, decryptor = Encryptor(KEY), Decryptor(KEY, commitment(KEY))
    for shown in (repr(encryptor), repr(decryptor), str(AttachmentError("truncated"))):
        assert KEY.hex() not in shown and repr(KEY) not in shown
        assert attachment._payload_key(KEY).hex() not in shown


def test_attachment_error_is_a_crypto_error_with_every_reason_named() -> None:
    assert issubclass(AttachmentError, crypto.CryptoError)
    assert AttachmentError("hash_mismatch").reason == "hash_mismatch"
    assert len(set(attachment.REASONS)) == len(attachment.REASONS) == 8


# Two full chunks and a short last one, made once: the properties below cut and mutate it.
PLAIN = bytes(range(251)) * (2 * CHUNK_SIZE // 251 + 5)
BLOB = encrypt_bytes(KEY, PLAIN)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.integers(min_value=0), max_size=8))
def test_any_split_gives_the_same_blob_and_plaintext(cuts: list[int]) -> None:
    encryptor = Encryptor(KEY)
    blob = b"".join(encryptor.push(piece) for piece in split(PLAIN, cuts)) + encryptor.finish()
    assert blob == BLOB
    decryptor = Decryptor(KEY, commitment(KEY))
    plain = b"".join(decryptor.push(piece) for piece in split(BLOB, cuts)) + decryptor.finish()
    assert plain == PLAIN


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=len(BLOB) * 8 - 1))
def test_a_flipped_bit_anywhere_is_refused(position: int) -> None:
    mutated = bytearray(BLOB)
    mutated[position // 8] ^= 1 << (position % 8)
    with pytest.raises(AttachmentError) as refused:
        decrypt_bytes(KEY, commitment(KEY), bytes(mutated))
    in_header = position // 8 < HEADER_SIZE
    assert refused.value.reason == ("key_not_committed" if in_header else "chunk_invalid")
