"""Identifiers on the wire: base64url without padding, and the shapes the relay accepts."""

from __future__ import annotations

import base64
import re
import secrets

# Client-chosen envelope ids: 16 random bytes as base64url (22 chars) is the recommendation.
ENVELOPE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Device ids are Ed25519 public keys: 32 bytes, 43 base64url characters.
DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{43}")
# Server-made ids: a prefix saying what it is, then 16 random bytes.
SERVER_ID = re.compile(r"(acc|case|org|hold|export)_[A-Za-z0-9_-]{22}")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode base64url without padding; raises ValueError on anything else."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_id(prefix: str) -> str:
    """A fresh random server id such as `acc_…`: unguessable, carries no meaning."""
    return f"{prefix}_{b64url(secrets.token_bytes(16))}"
