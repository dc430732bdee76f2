"""The envelope: the exact bytes that become the relay's opaque ``ciphertext``.

Layout, version 1 (docs/e2e.md section 6)::

    offset  size  field
    0       1     version            0x01
    1       1     type               0x01 initial (X3DH + first ratchet messages), 0x02 message
    -- type 0x01 only: the initial header, 168 bytes --
    2       32    initiator Ed25519 identity key
    34      32    initiator X25519 identity key
    66      64    initiator identity signature (Ed25519 over label || X25519 key)
    130     32    initiator ephemeral key EK_A
    162     4     signed prekey id (u32, big-endian)
    166     4     one-time prekey id (u32; 0 = no one-time prekey was used)
    -- both types: the ratchet header, 40 bytes --
    +0      32    sender's current ratchet public key (DHs)
    +32     4     PN, length of the sender's previous sending chain (u32)
    +36     4     N, message number in the current sending chain (u32)
    -- then --
    +40     24    XChaCha20-Poly1305 nonce (random)
    +64     ...   ciphertext of the padded plaintext (a padding bucket) || 16-byte tag

Everything before the nonce (the *authenticated prefix*) is the ``header`` of the Double
Ratchet specification: it goes, after AD, into the AEAD's associated data, so no byte
of an envelope can be changed without the decryption failing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from crypto.errors import DecryptionError
from crypto.keys import PublicIdentity
from crypto.padding import BUCKETS
from crypto.primitives import KEY_SIZE, NONCE_SIZE, SIGNATURE_SIZE, TAG_SIZE

__all__ = [
    "ENVELOPE_VERSION",
    "MAX_ENVELOPE_SIZE",
    "TYPE_INITIAL",
    "TYPE_MESSAGE",
    "Envelope",
    "InitialHeader",
    "RatchetHeader",
    "decode_envelope",
    "encode_prefix",
]

ENVELOPE_VERSION = 0x01
TYPE_INITIAL = 0x01
TYPE_MESSAGE = 0x02
INITIAL_HEADER_SIZE = 2 * KEY_SIZE + SIGNATURE_SIZE + KEY_SIZE + 8  # 168
RATCHET_HEADER_SIZE = KEY_SIZE + 8  # 40
#: The relay's limit; the largest initial envelope (65280-byte bucket) is 65530 bytes.
MAX_ENVELOPE_SIZE = 65536

_COUNTERS = struct.Struct(">II")
_VALID_CIPHERTEXT_SIZES = frozenset(bucket + TAG_SIZE for bucket in BUCKETS)


@dataclass(frozen=True, slots=True)
class RatchetHeader:
    """Double Ratchet header: the sender's ratchet key, PN and N."""

    dh_public: bytes = field(repr=False)
    previous_chain_length: int
    message_number: int

    def encode(self) -> bytes:
        return self.dh_public + _COUNTERS.pack(self.previous_chain_length, self.message_number)


@dataclass(frozen=True, slots=True)
class InitialHeader:
    """The X3DH fields an initiator repeats in every message until it hears back."""

    identity: PublicIdentity
    ephemeral_key: bytes = field(repr=False)
    signed_prekey_id: int
    one_time_prekey_id: int

    def encode(self) -> bytes:
        identity = self.identity
        return b"".join(
            (
                identity.signing_key,
                identity.agreement_key,
                identity.signature,
                self.ephemeral_key,
                _COUNTERS.pack(self.signed_prekey_id, self.one_time_prekey_id),
            )
        )

    @classmethod
    def decode(cls, raw: bytes) -> InitialHeader:
        """Inverse of ``encode`` for exactly INITIAL_HEADER_SIZE bytes."""
        if len(raw) != INITIAL_HEADER_SIZE:
            raise DecryptionError()
        signature_end = 2 * KEY_SIZE + SIGNATURE_SIZE
        identity = PublicIdentity(
            raw[:KEY_SIZE], raw[KEY_SIZE : 2 * KEY_SIZE], raw[2 * KEY_SIZE : signature_end]
        )
        ephemeral_key = raw[signature_end : signature_end + KEY_SIZE]
        signed_prekey_id, one_time_prekey_id = _COUNTERS.unpack_from(raw, signature_end + KEY_SIZE)
        return cls(identity, ephemeral_key, signed_prekey_id, one_time_prekey_id)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded envelope; ``prefix`` is the authenticated prefix, byte for byte."""

    initial: InitialHeader | None
    header: RatchetHeader
    nonce: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)
    prefix: bytes = field(repr=False)


def encode_prefix(initial: InitialHeader | None, header: RatchetHeader) -> bytes:
    """Version, type, the initial header if any, and the ratchet header."""
    if initial is None:
        return bytes((ENVELOPE_VERSION, TYPE_MESSAGE)) + header.encode()
    return bytes((ENVELOPE_VERSION, TYPE_INITIAL)) + initial.encode() + header.encode()


def decode_envelope(data: bytes) -> Envelope:
    """Parse and length-check an envelope; anything malformed raises DecryptionError."""
    data = bytes(data)
    if len(data) < 2 or len(data) > MAX_ENVELOPE_SIZE or data[0] != ENVELOPE_VERSION:
        raise DecryptionError()
    if data[1] == TYPE_MESSAGE:
        offset = 2
    elif data[1] == TYPE_INITIAL:
        offset = 2 + INITIAL_HEADER_SIZE
    else:
        raise DecryptionError()
    header_end = offset + RATCHET_HEADER_SIZE
    nonce_end = header_end + NONCE_SIZE
    # The ciphertext must be exactly one padding bucket plus the tag: this also rejects
    # every truncated envelope before any field is read.
    if len(data) - nonce_end not in _VALID_CIPHERTEXT_SIZES:
        raise DecryptionError()
    initial = InitialHeader.decode(data[2:offset]) if offset > 2 else None
    previous_chain_length, message_number = _COUNTERS.unpack_from(data, offset + KEY_SIZE)
    header = RatchetHeader(data[offset : offset + KEY_SIZE], previous_chain_length, message_number)
    return Envelope(
        initial, header, data[header_end:nonce_end], data[nonce_end:], data[:header_end]
    )
