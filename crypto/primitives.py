"""Thin wrappers around the stock primitives, so every caller gets the same checks.

Every primitive here is a standard one available unchanged in libsodium (through pynacl),
pyca/cryptography and the browser's @noble libraries: X25519, Ed25519, HMAC-SHA256,
HKDF-SHA256 (RFC 5869) and XChaCha20-Poly1305-IETF. The wrappers exist to pin down the
edge cases the protocol depends on, and are tested against Wycheproof:

* ``x25519`` rejects an all-zero shared secret (a low-order or small-subgroup public
  key), as the X3DH specification allows and libsodium does;
* ``ed25519_verify`` has libsodium's strict rules (canonical S, no small-order R or A),
  which @noble/curves reproduces with ``zip215: false``;
* ``aead_decrypt`` turns every failure into the package's opaque ``DecryptionError``.

The HMAC-based functions call :func:`hmac.digest` directly rather than building objects:
they run several times per message, and the one-shot C path is the fastest there is.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

import nacl.bindings as sodium
import nacl.exceptions

from crypto.errors import DecryptionError

__all__ = [
    "KEY_SIZE",
    "NONCE_SIZE",
    "SIGNATURE_SIZE",
    "TAG_SIZE",
    "RandomBytes",
    "aead_decrypt",
    "aead_encrypt",
    "ed25519_public_key",
    "ed25519_sign",
    "ed25519_verify",
    "hkdf_sha256",
    "hmac_sha256",
    "x25519",
    "x25519_public_key",
]

#: Callable that returns ``n`` random bytes; ``os.urandom`` is the default everywhere.
RandomBytes = Callable[[int], bytes]

KEY_SIZE = 32  # X25519 and Ed25519 keys, Ed25519 seeds, XChaCha20 keys, HMAC-SHA256 output
SIGNATURE_SIZE = 64
NONCE_SIZE = 24  # XChaCha20-Poly1305-IETF: large enough to pick at random
TAG_SIZE = 16
_HASH_SIZE = 32
_ZERO_SHARED_SECRET = bytes(KEY_SIZE)


def x25519_public_key(private_key: bytes) -> bytes:
    """Public key for a 32-byte X25519 private key (clamped as RFC 7748 says)."""
    if len(private_key) != KEY_SIZE:
        raise ValueError("X25519 private key must be 32 bytes")
    return sodium.crypto_scalarmult_base(private_key)


def x25519(private_key: bytes, public_key: bytes) -> bytes:
    """X25519 Diffie-Hellman; raises DecryptionError for a wrong size or zero output.

    An all-zero result means the peer's public key has low order: the "shared" secret
    would then be known to anyone, so it is refused (X3DH section 4.7 permits this,
    libsodium's ``crypto_scalarmult`` does it).
    """
    if len(private_key) != KEY_SIZE or len(public_key) != KEY_SIZE:
        raise DecryptionError()
    try:
        shared = sodium.crypto_scalarmult(private_key, public_key)
    except nacl.exceptions.CryptoError:
        raise DecryptionError() from None
    # libsodium already refuses zero output; the explicit check documents the contract
    # and keeps it if the backend ever changes.
    if hmac.compare_digest(shared, _ZERO_SHARED_SECRET):
        raise DecryptionError()
    return shared


def ed25519_public_key(seed: bytes) -> bytes:
    """Ed25519 public key for a 32-byte seed (RFC 8032 private key)."""
    if len(seed) != KEY_SIZE:
        raise ValueError("Ed25519 seed must be 32 bytes")
    public_key, _ = sodium.crypto_sign_seed_keypair(seed)
    return public_key


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """Deterministic RFC 8032 Ed25519 signature (64 bytes) of ``message``."""
    if len(seed) != KEY_SIZE:
        raise ValueError("Ed25519 seed must be 32 bytes")
    _, secret_key = sodium.crypto_sign_seed_keypair(seed)
    return sodium.crypto_sign(message, secret_key)[:SIGNATURE_SIZE]


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature under libsodium's strict rules."""
    if len(public_key) != KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except nacl.exceptions.CryptoError:
        return False
    return True


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104), 32 bytes."""
    return hmac.digest(key, message, "sha256")


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869). An empty salt means 32 zero bytes, as the RFC says."""
    if not 0 < length <= 255 * _HASH_SIZE:
        raise ValueError("HKDF-SHA256 output must be 1 to 8160 bytes")
    prk = hmac.digest(salt or bytes(_HASH_SIZE), ikm, "sha256")
    block = b""
    output = b""
    counter = 1
    while len(output) < length:
        block = hmac.digest(prk, block + info + bytes((counter,)), "sha256")
        output += block
        counter += 1
    return output[:length]


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """XChaCha20-Poly1305-IETF encryption; returns ciphertext followed by the 16-byte tag."""
    if len(key) != KEY_SIZE or len(nonce) != NONCE_SIZE:
        raise ValueError("XChaCha20-Poly1305 needs a 32-byte key and a 24-byte nonce")
    return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associated_data, nonce, key)


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    """XChaCha20-Poly1305-IETF decryption; any failure raises the opaque DecryptionError."""
    if len(key) != KEY_SIZE or len(nonce) != NONCE_SIZE or len(ciphertext) < TAG_SIZE:
        raise DecryptionError()
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, associated_data, nonce, key
        )
    except nacl.exceptions.CryptoError:
        raise DecryptionError() from None
