"""The public surface of ``crypto`` is exactly ``__all__`` (as httpx enforces for itself)."""

from __future__ import annotations

import types

import crypto

EXPECTED = {
    "BUCKETS", "ENVELOPE_VERSION", "MAX_ENVELOPE_SIZE", "MAX_PLAINTEXT_SIZE",
    "CryptoError", "DecryptionError", "PayloadTooLargeError", "StateError",
    "DeviceKeys", "IdentityKeyPair", "OneTimePrekey", "PrekeyBundle", "PublicIdentity",
    "SignedPrekey", "Session", "accept_session", "start_session",
    "format_safety_number", "identity_fingerprint", "qr_payload", "safety_number",
    "verify_qr_payload", "pad", "unpad", "verify_auth_challenge",
}  # fmt: skip


def test_exported_members() -> None:
    assert set(crypto.__all__) == EXPECTED
    assert len(crypto.__all__) == len(EXPECTED)
    public = {
        name
        for name, value in vars(crypto).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == EXPECTED, "every public name is in __all__, and nothing else"
    for name in crypto.__all__:
        assert getattr(crypto, name) is not None


def test_one_root_error() -> None:
    for name in ("DecryptionError", "StateError", "PayloadTooLargeError"):
        assert issubclass(getattr(crypto, name), crypto.CryptoError)
