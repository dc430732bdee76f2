"""Crypto-shredding: envelope bodies at rest are encrypted under one key per epoch (the UTC
day an envelope expires), kept in files apart from the database.

Why: deleting a row removes it from the live database (secure_delete, WAL truncation),
but not from a backup taken before. Destroying the epoch key once nothing of that day is
left makes every copy of those rows unreadable, wherever it is.

The relay's own at-rest layer, below the end-to-end encryption: what it protects is
already ciphertext the relay cannot read; this only makes purged ciphertext unrecoverable.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)

DAY = 86_400
NONCE_BYTES = 24
KEY_BYTES = 32
LABEL = b"steuntje/v1/at-rest\x00"  # domain separation for the associated data


def epoch_of(expires_at: int) -> int:
    return expires_at // DAY


class EpochKeyring:
    """Epoch keys as files `<folder>/<epoch>.key` (mode 0600). Thread-safe: the SQLite writer
    and reader threads both use it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EpochKeyring(folder={str(self.folder)!r}, cached={len(self._keys)})"

    def _path(self, epoch: int) -> Path:
        return self.folder / f"{epoch}.key"

    def key(self, epoch: int, create: bool = False) -> bytes | None:
        with self._lock:
            cached = self._keys.get(epoch)
            if cached is not None:
                return cached
            path = self._path(epoch)
            if path.exists():
                key = path.read_bytes()
            elif create:
                key = secrets.token_bytes(KEY_BYTES)
                self._write(path, key)
            else:
                return None
            self._keys[epoch] = key
            return key

    def _write(self, path: Path, key: bytes) -> None:
        """Durably, before any row encrypted under it commits."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, key)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)  # the new name survives a crash too
        finally:
            os.close(folder)

    def epochs(self) -> list[int]:
        if not self.folder.exists():
            return []
        return sorted(int(p.stem) for p in self.folder.glob("*.key") if p.stem.isdigit())

    def destroy(self, epoch: int) -> None:
        """Overwrite the key file, then remove it."""
        with self._lock:
            self._keys.pop(epoch, None)
            path = self._path(epoch)
            if not path.exists():
                return
            descriptor = os.open(path, os.O_WRONLY)
            try:
                os.write(descriptor, bytes(KEY_BYTES))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            path.unlink()


def _associated(to_device: str, from_device: str, envelope_id: str) -> bytes:
    """Binds a stored body to its row, so bodies cannot be swapped between rows."""
    return b"\x00".join((LABEL, to_device.encode(), from_device.encode(), envelope_id.encode()))


def seal(key: bytes, body: bytes, to_device: str, from_device: str, envelope_id: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _associated(to_device, from_device, envelope_id)
    return nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(body, aad, nonce, key)


def open_sealed(
    key: bytes, stored: bytes, to_device: str, from_device: str, envelope_id: str
) -> bytes:
    """Raises nacl.exceptions.CryptoError if the key or the row is not the right one."""
    aad = _associated(to_device, from_device, envelope_id)
    return crypto_aead_xchacha20poly1305_ietf_decrypt(
        stored[NONCE_BYTES:], aad, stored[:NONCE_BYTES], key
    )
