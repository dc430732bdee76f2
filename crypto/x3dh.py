"""X3DH key agreement, as in Signal's specification revision 1 (2016-11-04).

Configuration (docs/e2e.md section 3): curve X25519, hash SHA-256,
``info = "steuntje/v1/x3dh"``, ``F = 0xFF * 32``, HKDF salt 32 zero bytes, 32-byte SK.
``Encode(PK)`` of an identity is our 65-byte identity encoding (version byte, Ed25519
key, X25519 key), and ``AD = u16 len || Encode(IK_A) || u16 len || Encode(IK_B)``.

The identity signature and the prekey signature are *always* checked, on both sides;
a bad signature, a missing prekey or a low-order public key raises the opaque
``DecryptionError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto._codec import Writer
from crypto.errors import DecryptionError
from crypto.keys import DeviceKeys, IdentityKeyPair, PrekeyBundle, PublicIdentity
from crypto.primitives import KEY_SIZE, hkdf_sha256, x25519, x25519_public_key

__all__ = [
    "X3DH_INFO",
    "X3DHInitiation",
    "associated_data",
    "derive_shared_secret",
    "initiate",
    "respond",
]

X3DH_INFO = b"steuntje/v1/x3dh"
_F = b"\xff" * KEY_SIZE  # X3DH section 2.2: domain-separates X25519 from XEdDSA uses
_SALT = bytes(KEY_SIZE)


def associated_data(initiator: PublicIdentity, responder: PublicIdentity) -> bytes:
    """AD = both identity encodings, initiator first, each with a u16 length prefix."""
    return bytes(Writer().var16(initiator.encode()).var16(responder.encode()))


def derive_shared_secret(dh_outputs: list[bytes]) -> bytes:
    """SK = HKDF-SHA256(ikm = F || DH1 || DH2 || DH3 [|| DH4], zero salt, info) -> 32 bytes."""
    return hkdf_sha256(_F + b"".join(dh_outputs), _SALT, X3DH_INFO, KEY_SIZE)


@dataclass(frozen=True, repr=False)
class X3DHInitiation:
    """The initiator's result: secret values plus the public fields of the initial message."""

    shared_secret: bytes
    associated_data: bytes
    ephemeral_key: bytes  # EK_A public, sent in the initial message
    signed_prekey_id: int
    one_time_prekey_id: int  # 0 when the bundle had no one-time prekey

    def __repr__(self) -> str:
        return (
            f"X3DHInitiation(signed_prekey_id={self.signed_prekey_id}, "
            f"one_time_prekey_id={self.one_time_prekey_id})"
        )


def initiate(
    identity: IdentityKeyPair, bundle: PrekeyBundle, ephemeral_private: bytes
) -> X3DHInitiation:
    """Alice's side: verify Bob's bundle, then DH1..DH4 with a fresh ephemeral key."""
    if not bundle.verify():
        raise DecryptionError()
    responder = bundle.identity
    dh_outputs = [
        x25519(identity.agreement_private, bundle.signed_prekey),  # DH1 = DH(IK_A, SPK_B)
        x25519(ephemeral_private, responder.agreement_key),  # DH2 = DH(EK_A, IK_B)
        x25519(ephemeral_private, bundle.signed_prekey),  # DH3 = DH(EK_A, SPK_B)
    ]
    if bundle.one_time_prekey_id:
        if bundle.one_time_prekey is None:
            raise DecryptionError()
        dh_outputs.append(x25519(ephemeral_private, bundle.one_time_prekey))  # DH4
    return X3DHInitiation(
        shared_secret=derive_shared_secret(dh_outputs),
        associated_data=associated_data(identity.public, responder),
        ephemeral_key=x25519_public_key(ephemeral_private),
        signed_prekey_id=bundle.signed_prekey_id,
        one_time_prekey_id=bundle.one_time_prekey_id,
    )


def respond(
    device_keys: DeviceKeys,
    initiator: PublicIdentity,
    ephemeral_key: bytes,
    signed_prekey_id: int,
    one_time_prekey_id: int,
) -> tuple[bytes, bytes]:
    """Bob's side: returns (SK, AD). Does not consume the one-time prekey; the caller
    deletes it once the first message has decrypted, so a forged message cannot burn it."""
    if not initiator.verify():
        raise DecryptionError()
    signed_prekey = device_keys.find_signed_prekey(signed_prekey_id)
    if signed_prekey is None:
        raise DecryptionError()
    own = device_keys.identity
    dh_outputs = [
        x25519(signed_prekey.private_key, initiator.agreement_key),
        x25519(own.agreement_private, ephemeral_key),
        x25519(signed_prekey.private_key, ephemeral_key),
    ]
    if one_time_prekey_id:
        one_time_prekey = device_keys.one_time_prekeys.get(one_time_prekey_id)
        if one_time_prekey is None:
            raise DecryptionError()
        dh_outputs.append(x25519(one_time_prekey.private_key, ephemeral_key))
    return derive_shared_secret(dh_outputs), associated_data(initiator, own.public)
