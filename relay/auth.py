"""Device authentication: the relay hands each connection a fresh challenge, the device
signs it with its Ed25519 key.

The signed bytes bind three things, so a signature is good for exactly one use:
  domain label  "steuntje/v1/sig/auth-challenge\\0"  (the label family of docs/e2e.md §12,
                so this signature is never valid as any other Steuntje signature)
  relay id      16 bytes, random per installation (a signature for relay A is useless at B,
                given the client checks the id it was registered with)
  nonce         32 fresh random bytes, held only by this connection and consumed on first use
The relay only ever verifies: it holds no private key of any device.
"""

from __future__ import annotations

import secrets

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

AUTH_DOMAIN = b"steuntje/v1/sig/auth-challenge\x00"
NONCE_BYTES = 32
RELAY_ID_BYTES = 16


def new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


def challenge_message(relay_id: bytes, nonce: bytes) -> bytes:
    """The exact bytes a device signs to answer a challenge."""
    return AUTH_DOMAIN + relay_id + nonce


def signature_valid(device_key: bytes, relay_id: bytes, nonce: bytes, signature: bytes) -> bool:
    """True only for a valid Ed25519 signature by `device_key` over this challenge."""
    if len(device_key) != 32 or len(signature) != 64:
        return False
    try:
        VerifyKey(device_key).verify(challenge_message(relay_id, nonce), signature)
    except (BadSignatureError, ValueError):
        return False
    return True
