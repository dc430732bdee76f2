"""RFC 8291 message encryption: `aes128gcm` (RFC 8188) to a browser's subscription keys."""

from __future__ import annotations

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec


def encrypt(payload: bytes, p256dh: bytes, auth: bytes) -> bytes:
    """The body of one push: a fresh sender key and salt every time (RFC 8291 §3.4)."""
    return http_ece.encrypt(
        payload,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=p256dh,
        auth_secret=auth,
        version="aes128gcm",
    )
