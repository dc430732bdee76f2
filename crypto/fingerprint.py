"""Safety numbers and their QR payload, computed as libsignal's NumericFingerprint does.

For each party (docs/e2e.md section 9)::

    h = 0x0000 || Encode(identity) || stable_id
    repeat 5200 times: h = SHA-512(h || Encode(identity))
    fingerprint = h                       (64 bytes)

``Encode(identity)`` is the 65-byte identity encoding (``PublicIdentity.encode()``, which
is what every function here takes as ``local`` and ``remote``) and
``stable_id`` is the account's stable identifier as bytes (the client passes the
account id, UTF-8 encoded). The displayed safety number is 60 digits: for each party,
the first 30 bytes of its fingerprint as six 5-byte big-endian integers, each modulo
100000 and written as 5 digits; the two 30-digit halves are concatenated in ascending
order, so both devices show the same number.

The QR payload is ``0x01 || local[0:32] || remote[0:32]`` (65 bytes): the scanning device
checks that the scanned *local* half is its own *remote* half and vice versa.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = [
    "FINGERPRINT_ITERATIONS",
    "QR_VERSION",
    "format_safety_number",
    "identity_fingerprint",
    "qr_payload",
    "safety_number",
    "verify_qr_payload",
]

FINGERPRINT_ITERATIONS = 5200
FINGERPRINT_VERSION = b"\x00\x00"  # libsignal's NumericFingerprint hashes version 0 first
QR_VERSION = 0x01
_SCANNABLE_SIZE = 32
_DISPLAY_BYTES = 30


def identity_fingerprint(identity: bytes, stable_id: bytes) -> bytes:
    """The 64-byte iterated SHA-512 fingerprint of one party.

    ``identity`` is an identity encoding (``PublicIdentity.encode()``); any bytes work,
    which is how the tests check this function against libsignal's own test vector.
    """
    key = bytes(identity)
    digest = FINGERPRINT_VERSION + key + stable_id
    for _ in range(FINGERPRINT_ITERATIONS):
        digest = hashlib.sha512(digest + key).digest()
    return digest


def _display_digits(fingerprint: bytes) -> str:
    return "".join(
        f"{int.from_bytes(fingerprint[offset : offset + 5], 'big') % 100000:05d}"
        for offset in range(0, _DISPLAY_BYTES, 5)
    )


def safety_number(local: bytes, local_id: bytes, remote: bytes, remote_id: bytes) -> str:
    """The 60-digit safety number; identical on both devices."""
    halves = sorted(
        (
            _display_digits(identity_fingerprint(local, local_id)),
            _display_digits(identity_fingerprint(remote, remote_id)),
        )
    )
    return halves[0] + halves[1]


def format_safety_number(number: str) -> str:
    """Twelve groups of five digits, the way people read them out to each other."""
    return " ".join(number[offset : offset + 5] for offset in range(0, len(number), 5))


def qr_payload(local: bytes, local_id: bytes, remote: bytes, remote_id: bytes) -> bytes:
    """The bytes to show as a QR code: version, own half, then the peer's half."""
    return (
        bytes((QR_VERSION,))
        + identity_fingerprint(local, local_id)[:_SCANNABLE_SIZE]
        + identity_fingerprint(remote, remote_id)[:_SCANNABLE_SIZE]
    )


def verify_qr_payload(
    payload: bytes,
    local: bytes,
    local_id: bytes,
    remote: bytes,
    remote_id: bytes,
) -> bool:
    """True when a QR scanned from the peer's screen matches what this device computes."""
    expected = qr_payload(remote, remote_id, local, local_id)  # the peer's point of view
    return len(payload) == len(expected) and hmac.compare_digest(payload, expected)
