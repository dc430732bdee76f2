"""The exceptions of the ``crypto`` package, one hierarchy with a single root.

::

    CryptoError                  root: ``except CryptoError`` catches everything below
    ├── DecryptionError          anything received (envelope, prekey bundle) was rejected
    ├── StateError               a serialised session or key store cannot be read back
    ├── PayloadTooLargeError     a plaintext does not fit in the largest padding bucket
    └── AttachmentError          an attachment was refused; ``.reason`` names the check

``DecryptionError`` is deliberately opaque. A bad tag, a replay, a malformed header, too
many skipped messages, an expired skipped key, a bad prekey signature and a low-order
public key all raise the same class with the same message, so that a peer probing a
client learns nothing from *which* check failed (the same reasoning as Fernet's
``InvalidToken``). The only safe reaction is to drop the message; nothing about the
session has changed.
"""

from __future__ import annotations

__all__ = [
    "AttachmentError",
    "CryptoError",
    "DecryptionError",
    "PayloadTooLargeError",
    "StateError",
]


class CryptoError(Exception):
    """Root of every error raised by the ``crypto`` package."""


class DecryptionError(CryptoError):
    """An envelope or prekey bundle was rejected; the reason is not disclosed."""

    def __init__(self) -> None:
        # One fixed message: callers must not be able to tell failures apart.
        super().__init__("message could not be decrypted")


class StateError(CryptoError):
    """Serialised session or device-key state is corrupt or of an unknown version."""


class PayloadTooLargeError(CryptoError):
    """The plaintext is larger than the largest padding bucket allows."""


class AttachmentError(CryptoError):
    """An attachment blob or its key was refused; ``reason`` says which check failed.

    The reasons are ``crypto.attachment.REASONS``. They are named, unlike
    ``DecryptionError``'s, because an attachment is decrypted once and locally: nothing
    about the failure goes back to anyone who could use it as an oracle.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"attachment refused: {reason}")
        self.reason = reason
