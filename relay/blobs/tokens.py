"""Upload and download tokens: HMAC-SHA256 under the relay's blob secret, bound to a
direction, a blob, a device and an expiry. Pure: time and the secret are parameters.

Stateless so that any node can check a token another node made (the secret is in the shared
database). A token is opaque to clients; it is never logged (it is a credential for 10
minutes), and its `__repr__` would not show it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

UPLOAD = "up"
DOWNLOAD = "down"
_LABEL = b"steuntje/v1/blob-token\x00"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token allows."""

    direction: str
    blob: str
    device: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _LABEL + payload, hashlib.sha256).digest()


def make_token(secret: bytes, grant: Grant) -> str:
    payload = f"{grant.direction}|{grant.blob}|{grant.device}|{grant.expires_at}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def read_token(secret: bytes, token: str, now: int) -> Grant | None:
    """The grant of a genuine, unexpired token; None for anything else (one answer for
    forged, malformed and expired alike: `bad_token`)."""
    if len(token) > 512 or token.count(".") != 1:
        return None
    encoded, mac = token.split(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except ValueError:
        return None
    if not hmac.compare_digest(given, _mac(secret, payload)):
        return None
    try:
        direction, blob, device, expires = payload.decode().split("|")
        expires_at = int(expires)
    except ValueError:
        return None
    if expires_at <= now:
        return None
    return Grant(direction, blob, device, expires_at)
