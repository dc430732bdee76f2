"""Encrypted attachments: a streaming, key-committing AEAD (docs/e2e.md §15).

A picture, voice note or file is encrypted on the device under a fresh random 32-byte
attachment key and stored on the relay as one opaque blob. The key travels inside the
ratchet message (kind ``attachment``), together with a commitment to it and the blob's
SHA-256 and length, so the relay learns only the blob's length.

The blob starts with the commitment. One key is sent to several devices, each in its own
message, and ChaCha20-Poly1305 is not key-committing: without the commitment in the blob
a sender could craft one blob that opens to a different picture under each of two keys
(an "invisible salamander"). Since every reader of a blob checks its key against the
blob's own first 32 bytes, all readers who accept one blob hold the same key and see the
same file (docs/e2e.md §15.4).

The format is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) exactly
as the age file format uses it, over XChaCha20-Poly1305-IETF::

    payload_key = HKDF-SHA256(salt="", ikm=key, info="steuntje attachment v1 payload", 32)
    commitment  = HKDF-SHA256(salt="", ikm=key, info="steuntje attachment v1 commit", 32)
    blob        = commitment ‖ chunk_0 ‖ chunk_1 ‖ … ‖ chunk_n
    chunk_i     = SEAL(payload_key, nonce_i, plaintext[i*64 KiB : (i+1)*64 KiB], "")
    nonce_i     = 15 zero bytes ‖ u64 i ‖ (0x01 if i == n else 0x00)

Every chunk but the last holds exactly 64 KiB of plaintext; the last holds 1 to 64 KiB,
or nothing when the whole file is empty. The counter in the nonce detects reordering
and swapping, the last-chunk flag detects truncation and trailing data.

Failures raise :class:`~crypto.errors.AttachmentError` with a ``reason`` (the codes are
in ``REASONS``). Unlike ``DecryptionError`` the reason is not hidden: an attachment is
decrypted once, locally, and nothing about the failure goes back to the sender or the
relay, so naming it helps a user or a test without giving anyone an oracle.

Pure: no I/O, no clock; memory stays O(CHUNK_SIZE) however the data is fed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

import nacl.bindings as sodium
import nacl.exceptions

from crypto.errors import AttachmentError
from crypto.primitives import RandomBytes, hkdf_sha256

__all__ = [
    "CHUNK_SIZE",
    "HEADER_SIZE",
    "KEY_SIZE",
    "REASONS",
    "TAG_SIZE",
    "Decryptor",
    "Encryptor",
    "ciphertext_size",
    "commitment",
    "decrypt_bytes",
    "encrypt_bytes",
    "new_key",
]

CHUNK_SIZE = 65_536  # plaintext bytes per chunk, as age
TAG_SIZE = 16  # Poly1305 tag appended to every chunk
KEY_SIZE = 32
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
COMMITMENT_SIZE = 32
HEADER_SIZE = COMMITMENT_SIZE  # the blob starts with the commitment

PAYLOAD_LABEL = b"steuntje attachment v1 payload"
COMMIT_LABEL = b"steuntje attachment v1 commit"
LAST_CHUNK = 0x01
# How far from the expected position the diagnosis of a failed chunk looks for the
# counter it was sealed under (only after a failure, to name it "reordered").
REORDER_WINDOW = 16

REASONS = (
    "bad_key",  # the key is not 32 bytes
    "key_not_committed",  # the key does not match the commitment (message or blob)
    "chunk_invalid",  # a chunk does not authenticate: altered, foreign, or the wrong key
    "reordered",  # a chunk authenticates, but at another position
    "truncated",  # the blob ends before its last chunk
    "trailing_data",  # bytes follow the last chunk
    "size_mismatch",  # the blob's length differs from the message's `size`
    "hash_mismatch",  # the blob's SHA-256 differs from the message's `sha256`
)


def new_key(rng: RandomBytes = os.urandom) -> bytes:
    """A fresh random attachment key: one per attachment, never reused."""
    key = rng(KEY_SIZE)
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise ValueError("rng must return 32 bytes")
    return key


def commitment(key: bytes) -> bytes:
    """The 32-byte commitment to ``key`` that travels beside it in the message."""
    _check_key_size(key)
    return hkdf_sha256(key, b"", COMMIT_LABEL, COMMITMENT_SIZE)


def ciphertext_size(plain_size: int) -> int:
    """Length of the blob for ``plain_size`` plaintext bytes: the commitment, then one
    tag per chunk (an empty file is one empty chunk)."""
    if plain_size < 0:
        raise ValueError("plain_size must be ≥ 0")
    chunks = max(1, -(-plain_size // CHUNK_SIZE))
    return HEADER_SIZE + plain_size + chunks * TAG_SIZE


def _check_key_size(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise AttachmentError("bad_key")


def _payload_key(key: bytes) -> bytes:
    return hkdf_sha256(key, b"", PAYLOAD_LABEL, KEY_SIZE)


def _nonce(counter: int, last: bool) -> bytes:
    return bytes(15) + struct.pack(">QB", counter, LAST_CHUNK if last else 0)


def _open(key: bytes, counter: int, last: bool, chunk: bytes) -> bytes | None:
    """The chunk's plaintext, or None when it does not authenticate at this position."""
    if len(chunk) < TAG_SIZE:
        return None
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            chunk, None, _nonce(counter, last), key
        )
    except nacl.exceptions.CryptoError:
        return None


class Encryptor:
    """Encrypts one attachment, fed in pieces of any size.

    ``push`` returns the blob's bytes completed so far (the first call starts with the
    commitment); a full 64 KiB of plaintext is held back until more arrives, because only
    ``finish`` knows which chunk is the last. After ``finish``, ``sha256`` (hex) and
    ``size`` describe the whole blob.
    """

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_SIZE:
            raise ValueError("an attachment key is 32 bytes")
        self._key = _payload_key(key)
        self._header: bytes | None = commitment(key)  # None once it is out
        self._buffer = bytearray()
        self._counter = 0
        self._hash = hashlib.sha256()
        self._finished = False
        self.size = 0
        self.sha256: str | None = None

    def __repr__(self) -> str:  # never the key
        return f"Encryptor(chunks={self._counter}, finished={self._finished})"

    def push(self, data: bytes) -> bytes:
        if self._finished:
            raise ValueError("push after finish")
        self._buffer += data
        out = [self._take_header()]
        start = 0
        # Strictly more than one chunk buffered: the first one is certainly not the last.
        while len(self._buffer) - start > CHUNK_SIZE:
            out.append(self._seal(self._buffer[start : start + CHUNK_SIZE], last=False))
            start += CHUNK_SIZE
        del self._buffer[:start]
        return b"".join(out)

    def finish(self) -> bytes:
        if self._finished:
            raise ValueError("finish called twice")
        self._finished = True
        last = self._take_header() + self._seal(self._buffer, last=True)
        self._buffer = bytearray()
        self.sha256 = self._hash.hexdigest()
        return last

    def _take_header(self) -> bytes:
        header, self._header = self._header or b"", None
        self._hash.update(header)
        self.size += len(header)
        return header

    def _seal(self, plaintext: bytes | bytearray, *, last: bool) -> bytes:
        chunk = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            bytes(plaintext), None, _nonce(self._counter, last), self._key
        )
        self._counter += 1
        self._hash.update(chunk)
        self.size += len(chunk)
        return chunk


class Decryptor:
    """Decrypts one attachment, fed in pieces of any size; every chunk is authenticated
    before any of its plaintext is released.

    The key must match ``commitment`` (from the message: checked here, before any data)
    and the blob's first 32 bytes (checked before any chunk). One full encrypted chunk is
    held back until more data or ``finish`` shows whether it is the last. After the first
    failure every call raises again.
    """

    def __init__(self, key: bytes, commitment: bytes) -> None:
        _check_key_size(key)
        expected = hkdf_sha256(key, b"", COMMIT_LABEL, COMMITMENT_SIZE)
        if not isinstance(commitment, bytes) or not hmac.compare_digest(expected, commitment):
            raise AttachmentError("key_not_committed")
        self._key = _payload_key(key)
        self._commitment: bytes | None = expected  # None once the blob's header matched it
        self._buffer = bytearray()
        self._counter = 0
        self._failed: str | None = None
        self._finished = False

    def __repr__(self) -> str:  # never the key
        return f"Decryptor(chunks={self._counter}, failed={self._failed!r})"

    def push(self, data: bytes) -> bytes:
        self._check_usable()
        self._buffer += data
        if self._commitment is not None and not self._check_header(self._commitment):
            return b""
        out = []
        start = 0
        # More than one encrypted chunk buffered: the first is not the last one.
        while len(self._buffer) - start > ENCRYPTED_CHUNK_SIZE:
            chunk = bytes(self._buffer[start : start + ENCRYPTED_CHUNK_SIZE])
            out.append(self._decrypt(chunk, last=False))
            start += ENCRYPTED_CHUNK_SIZE
        del self._buffer[:start]
        return b"".join(out)

    def finish(self) -> bytes:
        self._check_usable()
        self._finished = True
        if self._commitment is not None or len(self._buffer) < TAG_SIZE:
            self._fail("truncated")  # no whole header, or not even an empty last chunk
        return self._decrypt(bytes(self._buffer), last=True)

    def _check_header(self, expected: bytes) -> bool:
        """Compares the blob's first 32 bytes with the key's commitment once they are in;
        False while they are still incomplete."""
        if len(self._buffer) < HEADER_SIZE:
            return False
        if not hmac.compare_digest(bytes(self._buffer[:HEADER_SIZE]), expected):
            self._fail("key_not_committed")
        del self._buffer[:HEADER_SIZE]
        self._commitment = None
        return True

    def _check_usable(self) -> None:
        if self._failed is not None:
            raise AttachmentError(self._failed)
        if self._finished:
            raise ValueError("the decryptor has finished")

    def _decrypt(self, chunk: bytes, *, last: bool) -> bytes:
        plaintext = _open(self._key, self._counter, last, chunk)
        if plaintext is None:
            self._fail(self._diagnose(chunk, last))
        if last and not plaintext and self._counter > 0:
            # Only an empty file has an empty last chunk (age's rule), so every file has
            # exactly one encoding and a full last chunk needs no empty one after it.
            self._fail("chunk_invalid")
        self._counter += 1
        return plaintext  # type: ignore[return-value]

    def _diagnose(self, chunk: bytes, last: bool) -> str:
        """Why ``chunk`` failed at its position; runs only once, after a failure."""
        if _open(self._key, self._counter, not last, chunk) is not None:
            # Sealed for this position with the other flag: a last chunk followed by more
            # data, or the stream ended on a chunk that was not the last.
            return "trailing_data" if not last else "truncated"
        low = max(0, self._counter - REORDER_WINDOW)
        for counter in range(low, self._counter + REORDER_WINDOW + 1):
            if counter == self._counter:
                continue
            if any(_open(self._key, counter, flag, chunk) is not None for flag in (False, True)):
                return "reordered"
        return "chunk_invalid"

    def _fail(self, reason: str) -> None:
        self._failed = reason
        self._buffer = bytearray()
        raise AttachmentError(reason)


def encrypt_bytes(key: bytes, data: bytes) -> bytes:
    """The whole blob for ``data`` (small files and tests; stream large ones)."""
    encryptor = Encryptor(key)
    return encryptor.push(data) + encryptor.finish()


def decrypt_bytes(
    key: bytes,
    commitment: bytes,
    blob: bytes,
    *,
    sha256: str | None = None,
    size: int | None = None,
) -> bytes:
    """The plaintext of a whole blob, checked against the message's commitment and, when
    given, its ``size`` and ``sha256`` (hex) before anything is decrypted."""
    decryptor = Decryptor(key, commitment)
    if size is not None and len(blob) != size:
        raise AttachmentError("size_mismatch")
    # The hash is public (the relay could compute it), so a plain comparison is fine.
    if sha256 is not None and hashlib.sha256(blob).hexdigest() != sha256.lower():
        raise AttachmentError("hash_mismatch")
    return decryptor.push(blob) + decryptor.finish()
