"""A device's Ed25519 key, which is also its id on the relay."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import urlsplit

from nacl.signing import SigningKey

AUTH_DOMAIN = b"steuntje/v1/sig/auth-challenge\x00"  # docs/e2e.md §2.6, PROTOCOL.md §4.1


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DeviceKey:
    """Signs the relay's challenges. `repr` shows the public device id only."""

    def __init__(self, signing_key: SigningKey) -> None:
        self._signing_key = signing_key
        self.device_id = b64url(bytes(signing_key.verify_key))

    @classmethod
    def generate(cls) -> DeviceKey:
        return cls(SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> DeviceKey:
        return cls(SigningKey(seed))

    @classmethod
    def load(cls, path: Path) -> DeviceKey:
        return cls(SigningKey(unb64url(path.read_text().strip())))

    def save(self, path: Path) -> None:
        """Write the private seed to a file only its owner can read."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(b64url(bytes(self._signing_key)) + "\n")

    def key_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key (the device id, undecoded)."""
        return bytes(self._signing_key.verify_key)

    def sign_challenge(self, relay_id: bytes, nonce: bytes) -> bytes:
        return self._signing_key.sign(AUTH_DOMAIN + relay_id + nonce).signature

    def __repr__(self) -> str:
        return f"DeviceKey(device_id={self.device_id!r})"


def parse_invite(invite: str) -> tuple[str | None, str]:
    """(relay URL or None, token) from an invite link `https://…/#invite=TOKEN` or a bare token."""
    if "#" not in invite:
        return None, invite.strip()
    parts = urlsplit(invite.strip())
    fields = dict(p.split("=", 1) for p in parts.fragment.split("&") if "=" in p)
    token = fields.get("invite")
    if not token:
        raise ValueError("the link holds no invite")
    return f"{parts.scheme}://{parts.netloc}", token
