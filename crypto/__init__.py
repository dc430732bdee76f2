"""End-to-end encryption for Steuntje clients: pure functions, no I/O, no asyncio.

X3DH and the Double Ratchet exactly as Signal's specifications, XChaCha20-Poly1305 as the
AEAD, padded plaintexts, a versioned envelope, Signal-style safety numbers. The protocol,
byte for byte, is in docs/e2e.md; the shared test vectors are in tests/vectors/.

Time (``now``, integer Unix seconds) and randomness (``rng``, a callable returning
``n`` bytes, ``os.urandom`` by default) are parameters wherever they are used, so the
same inputs always give the same bytes.

Modules: ``keys`` (device keys, bundles), ``x3dh``, ``ratchet``, ``session``,
``padding``, ``envelope``, ``fingerprint``, ``primitives``, ``errors``.
"""

from crypto.envelope import ENVELOPE_VERSION, MAX_ENVELOPE_SIZE
from crypto.errors import CryptoError, DecryptionError, PayloadTooLargeError, StateError
from crypto.fingerprint import (
    format_safety_number,
    identity_fingerprint,
    qr_payload,
    safety_number,
    verify_qr_payload,
)
from crypto.keys import (
    DeviceKeys,
    IdentityKeyPair,
    OneTimePrekey,
    PrekeyBundle,
    PublicIdentity,
    SignedPrekey,
    verify_auth_challenge,
)
from crypto.padding import BUCKETS, MAX_PLAINTEXT_SIZE, pad, unpad
from crypto.session import Session, accept_session, start_session

__all__ = [
    "BUCKETS",
    "ENVELOPE_VERSION",
    "MAX_ENVELOPE_SIZE",
    "MAX_PLAINTEXT_SIZE",
    "CryptoError",
    "DecryptionError",
    "DeviceKeys",
    "IdentityKeyPair",
    "OneTimePrekey",
    "PayloadTooLargeError",
    "PrekeyBundle",
    "PublicIdentity",
    "Session",
    "SignedPrekey",
    "StateError",
    "accept_session",
    "format_safety_number",
    "identity_fingerprint",
    "pad",
    "qr_payload",
    "safety_number",
    "start_session",
    "unpad",
    "verify_auth_challenge",
    "verify_qr_payload",
]
