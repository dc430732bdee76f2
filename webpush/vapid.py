"""The relay's VAPID key (RFC 8292): made on first start, kept beside the other keys.

It lives next to the epoch-key folder (DATA/push-vapid.key by default; with --key-dir
shared/epoch-keys it is shared/push-vapid.key), not in the database: every node of one
relay must sign with the same key, because each browser subscription is bound to it.
Several nodes starting together all try to create it; exactly one file wins (a hard link
cannot replace an existing file) and everyone reads that one.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

KEY_FILE = "push-vapid.key"


def key_path(epoch_key_dir: Path) -> Path:
    return epoch_key_dir.parent / KEY_FILE


def load_or_create(path: Path) -> Vapid02:
    """The key at `path`, made (mode 0600) if there is none yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".push-vapid-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another node was first: use theirs
                os.link(temp, path)
        finally:
            os.unlink(temp)
    return Vapid02.from_pem(path.read_bytes())


def application_server_key(vapid: Vapid02) -> str:
    """The public key as browsers want it for PushManager.subscribe (65 bytes, base64url)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign(key: Vapid02, endpoint_origin: str, contact: str, expires_at: int) -> dict[str, str]:
    """The Authorization header for one push service origin (RFC 8292 §2-3)."""
    claims = {"aud": endpoint_origin, "exp": expires_at, "sub": contact}
    return dict(key.sign(claims))
