"""Device keys: identity, signed prekeys, one-time prekeys, and their encodings.

Each device has two long-term keys (docs/e2e.md section 2):

* an **Ed25519 signing key**, the device's identity proper: it signs the X25519 identity
  key, every signed prekey and the relay's authentication challenges;
* an **X25519 identity key** for X3DH, bound to the signing key by a signature.

Two keys instead of one XEdDSA key keep every primitive a stock one in libsodium,
pyca/cryptography and @noble/curves. Every signature covers a NUL-terminated label
first, so a signature made for one purpose is never valid for another.

Private keys never appear in a ``repr``: reprs show key ids and counts only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from crypto._codec import Reader, Writer
from crypto.errors import DecryptionError, StateError
from crypto.primitives import (
    KEY_SIZE,
    SIGNATURE_SIZE,
    RandomBytes,
    ed25519_public_key,
    ed25519_sign,
    ed25519_verify,
    x25519_public_key,
)

__all__ = [
    "IDENTITY_LABEL",
    "PREKEY_LABEL",
    "SIGNED_PREKEY_GRACE",
    "SIGNED_PREKEY_ROTATION",
    "DeviceKeys",
    "IdentityKeyPair",
    "OneTimePrekey",
    "PrekeyBundle",
    "PublicIdentity",
    "SignedPrekey",
    "verify_auth_challenge",
]

IDENTITY_LABEL = b"steuntje/v1/sig/identity-key\x00"
PREKEY_LABEL = b"steuntje/v1/sig/signed-prekey\x00"
AUTH_CHALLENGE_LABEL = b"steuntje/v1/sig/auth-challenge\x00"
IDENTITY_ENCODING_VERSION = 0x01
BUNDLE_VERSION = 0x01
DEVICE_KEYS_MAGIC = b"stdk"
DEVICE_KEYS_VERSION = 1

#: A signed prekey older than this should be replaced (Signal rotates every 2-7 days).
SIGNED_PREKEY_ROTATION = 7 * 86400
#: A replaced signed prekey is kept this long, so initial messages that sat in the relay
#: (up to its longest retention) can still be accepted; then it is deleted for forward secrecy.
SIGNED_PREKEY_GRACE = 31 * 86400
_MAX_KEY_ID = 0xFFFFFFFF  # ids are u32 on the wire; 0 means "none"


def _key_id(data: bytes) -> str:
    """Short non-secret label for reprs: the first 4 bytes of SHA-256 of a public value."""
    return hashlib.sha256(data).hexdigest()[:8]


@dataclass(frozen=True)
class PublicIdentity:
    """A device's public identity: Ed25519 key, X25519 key, and the binding signature."""

    signing_key: bytes
    agreement_key: bytes
    signature: bytes = field(repr=False)

    def encode(self) -> bytes:
        """The 65-byte identity-key encoding used in AD and safety numbers."""
        return bytes((IDENTITY_ENCODING_VERSION,)) + self.signing_key + self.agreement_key

    def verify(self) -> bool:
        """True when the X25519 key is signed by the Ed25519 key."""
        return len(self.agreement_key) == KEY_SIZE and ed25519_verify(
            self.signing_key, IDENTITY_LABEL + self.agreement_key, self.signature
        )

    @property
    def key_id(self) -> str:
        return _key_id(self.encode())

    def __repr__(self) -> str:
        return f"PublicIdentity(key_id={self.key_id!r})"


@dataclass(frozen=True, repr=False)
class IdentityKeyPair:
    """The two long-term private keys of a device, with the derived public identity."""

    signing_seed: bytes
    agreement_private: bytes
    public: PublicIdentity

    @classmethod
    def from_private(cls, signing_seed: bytes, agreement_private: bytes) -> IdentityKeyPair:
        """Rebuild from the two 32-byte private values (signatures are deterministic)."""
        agreement_public = x25519_public_key(agreement_private)
        public = PublicIdentity(
            signing_key=ed25519_public_key(signing_seed),
            agreement_key=agreement_public,
            signature=ed25519_sign(signing_seed, IDENTITY_LABEL + agreement_public),
        )
        return cls(bytes(signing_seed), bytes(agreement_private), public)

    @classmethod
    def generate(cls, rng: RandomBytes = os.urandom) -> IdentityKeyPair:
        return cls.from_private(rng(KEY_SIZE), rng(KEY_SIZE))

    def sign(self, label: bytes, message: bytes) -> bytes:
        """Sign ``label || message``; only this module's fixed labels are passed in."""
        return ed25519_sign(self.signing_seed, label + message)

    def __repr__(self) -> str:
        return f"IdentityKeyPair(key_id={self.public.key_id!r})"


@dataclass(frozen=True, repr=False)
class SignedPrekey:
    """A medium-term X25519 prekey signed by the identity's Ed25519 key."""

    key_id: int
    private_key: bytes
    public_key: bytes
    signature: bytes
    created_at: int

    @classmethod
    def create(
        cls, identity: IdentityKeyPair, key_id: int, private_key: bytes, created_at: int
    ) -> SignedPrekey:
        public_key = x25519_public_key(private_key)
        signature = identity.sign(PREKEY_LABEL, _prekey_message(key_id, public_key))
        return cls(key_id, bytes(private_key), public_key, signature, created_at)

    def __repr__(self) -> str:
        return f"SignedPrekey(key_id={self.key_id}, created_at={self.created_at})"


@dataclass(frozen=True, repr=False)
class OneTimePrekey:
    """A single-use X25519 prekey; deleted as soon as an initial message used it."""

    key_id: int
    private_key: bytes
    public_key: bytes

    @classmethod
    def create(cls, key_id: int, private_key: bytes) -> OneTimePrekey:
        return cls(key_id, bytes(private_key), x25519_public_key(private_key))

    def __repr__(self) -> str:
        return f"OneTimePrekey(key_id={self.key_id})"


def _prekey_message(key_id: int, public_key: bytes) -> bytes:
    """What a signed-prekey signature covers after its label: u32 id, then the key."""
    return key_id.to_bytes(4, "big") + public_key


@dataclass(frozen=True)
class PrekeyBundle:
    """What an initiator fetches from the relay to start a session; all public."""

    identity: PublicIdentity
    signed_prekey_id: int
    signed_prekey: bytes = field(repr=False)
    signed_prekey_signature: bytes = field(repr=False)
    one_time_prekey_id: int = 0
    one_time_prekey: bytes | None = field(default=None, repr=False)

    def verify(self) -> bool:
        """Both signatures valid: the identity binding and the signed prekey."""
        return (
            self.identity.verify()
            and len(self.signed_prekey) == KEY_SIZE
            and ed25519_verify(
                self.identity.signing_key,
                PREKEY_LABEL + _prekey_message(self.signed_prekey_id, self.signed_prekey),
                self.signed_prekey_signature,
            )
        )

    def to_bytes(self) -> bytes:
        """Versioned encoding (docs/e2e.md section 2.5)."""
        writer = Writer().u8(BUNDLE_VERSION)
        writer.raw(self.identity.signing_key).raw(self.identity.agreement_key)
        writer.raw(self.identity.signature)
        writer.u32(self.signed_prekey_id).raw(self.signed_prekey)
        writer.raw(self.signed_prekey_signature).u32(self.one_time_prekey_id)
        if self.one_time_prekey_id:
            writer.raw(self.one_time_prekey or b"")
        return bytes(writer)

    @classmethod
    def from_bytes(cls, data: bytes) -> PrekeyBundle:
        """Decode a bundle; malformed input raises DecryptionError (it came off the network)."""
        reader = Reader(data, DecryptionError)
        if reader.u8() != BUNDLE_VERSION:
            raise DecryptionError()
        identity = PublicIdentity(
            reader.raw(KEY_SIZE), reader.raw(KEY_SIZE), reader.raw(SIGNATURE_SIZE)
        )
        spk_id, spk, spk_signature = reader.u32(), reader.raw(KEY_SIZE), reader.raw(SIGNATURE_SIZE)
        opk_id = reader.u32()
        opk = reader.raw(KEY_SIZE) if opk_id else None
        reader.finish()
        return cls(identity, spk_id, spk, spk_signature, opk_id, opk)


class DeviceKeys:
    """All private key material of one device; mutable, serialisable with a version.

    Mutations are explicit and few: rotating the signed prekey, adding one-time prekeys,
    and (done by ``accept_session`` on success) consuming a one-time prekey.
    """

    def __init__(
        self,
        identity: IdentityKeyPair,
        signed_prekeys: Iterable[SignedPrekey],
        one_time_prekeys: Iterable[OneTimePrekey],
        next_prekey_id: int,
    ) -> None:
        self.identity = identity
        # Oldest first; the last one is current. Older ones are kept for a grace period.
        self.signed_prekeys = list(signed_prekeys)
        self.one_time_prekeys = {key.key_id: key for key in one_time_prekeys}
        self.next_prekey_id = next_prekey_id
        if not self.signed_prekeys:
            raise ValueError("a device needs a signed prekey")

    @classmethod
    def generate(
        cls, now: int, rng: RandomBytes = os.urandom, one_time_prekeys: int = 100
    ) -> DeviceKeys:
        """Fresh identity, one signed prekey and ``one_time_prekeys`` one-time prekeys."""
        identity = IdentityKeyPair.generate(rng)
        keys = cls(identity, [SignedPrekey.create(identity, 1, rng(KEY_SIZE), now)], [], 2)
        keys.add_one_time_prekeys(one_time_prekeys, rng)
        return keys

    @property
    def public_identity(self) -> PublicIdentity:
        return self.identity.public

    @property
    def signed_prekey(self) -> SignedPrekey:
        """The current signed prekey, the one to publish."""
        return self.signed_prekeys[-1]

    def _take_id(self) -> int:
        key_id = self.next_prekey_id
        if key_id >= _MAX_KEY_ID:
            raise StateError("prekey ids exhausted; create new device keys")
        self.next_prekey_id += 1
        return key_id

    def add_one_time_prekeys(
        self, count: int, rng: RandomBytes = os.urandom
    ) -> list[tuple[int, bytes]]:
        """Create ``count`` one-time prekeys; returns (id, public key) pairs to upload."""
        created = [OneTimePrekey.create(self._take_id(), rng(KEY_SIZE)) for _ in range(count)]
        self.one_time_prekeys.update((key.key_id, key) for key in created)
        return [(key.key_id, key.public_key) for key in created]

    def needs_rotation(self, now: int) -> bool:
        return now - self.signed_prekey.created_at >= SIGNED_PREKEY_ROTATION

    def rotate_signed_prekey(self, now: int, rng: RandomBytes = os.urandom) -> SignedPrekey:
        """Make a new current signed prekey and drop replaced ones past their grace period."""
        new = SignedPrekey.create(self.identity, self._take_id(), rng(KEY_SIZE), now)
        self.signed_prekeys.append(new)
        self.expire_signed_prekeys(now)
        return new

    def expire_signed_prekeys(self, now: int) -> None:
        """Delete each old signed prekey whose successor is older than the grace period."""
        keep = [
            old
            for old, successor in zip(self.signed_prekeys, self.signed_prekeys[1:], strict=False)
            if now - successor.created_at < SIGNED_PREKEY_GRACE
        ]
        self.signed_prekeys = [*keep, self.signed_prekey]

    def find_signed_prekey(self, key_id: int) -> SignedPrekey | None:
        for key in self.signed_prekeys:
            if key.key_id == key_id:
                return key
        return None

    def bundle(self, one_time_prekey_id: int = 0) -> PrekeyBundle:
        """The public bundle with the current signed prekey and optionally one one-time key."""
        spk = self.signed_prekey
        opk = self.one_time_prekeys[one_time_prekey_id] if one_time_prekey_id else None
        return PrekeyBundle(
            self.identity.public,
            spk.key_id,
            spk.public_key,
            spk.signature,
            one_time_prekey_id,
            opk.public_key if opk else None,
        )

    def sign_auth_challenge(self, challenge: bytes) -> bytes:
        """Ed25519 signature over ``AUTH_CHALLENGE_LABEL || challenge`` for the relay."""
        return self.identity.sign(AUTH_CHALLENGE_LABEL, challenge)

    def to_bytes(self) -> bytes:
        """Versioned private serialisation (docs/e2e.md section 8.2); store it encrypted."""
        writer = Writer().raw(DEVICE_KEYS_MAGIC).u8(DEVICE_KEYS_VERSION)
        writer.raw(self.identity.signing_seed).raw(self.identity.agreement_private)
        writer.u32(self.next_prekey_id).u16(len(self.signed_prekeys))
        for spk in self.signed_prekeys:
            writer.u32(spk.key_id).raw(spk.private_key).u64(spk.created_at)
        writer.u32(len(self.one_time_prekeys))
        for opk in self.one_time_prekeys.values():
            writer.u32(opk.key_id).raw(opk.private_key)
        return bytes(writer)

    @classmethod
    def from_bytes(cls, data: bytes) -> DeviceKeys:
        """Inverse of ``to_bytes``; raises StateError for corrupt or unknown-version data."""
        reader = Reader(data, StateError)
        if reader.raw(4) != DEVICE_KEYS_MAGIC or reader.u8() != DEVICE_KEYS_VERSION:
            raise StateError("not device keys of a known version")
        identity = IdentityKeyPair.from_private(reader.raw(KEY_SIZE), reader.raw(KEY_SIZE))
        next_prekey_id = reader.u32()
        signed = [
            SignedPrekey.create(identity, reader.u32(), reader.raw(KEY_SIZE), reader.u64())
            for _ in range(reader.u16())
        ]
        one_time = [
            OneTimePrekey.create(reader.u32(), reader.raw(KEY_SIZE)) for _ in range(reader.u32())
        ]
        reader.finish()
        if not signed:
            raise StateError("device keys without a signed prekey")
        return cls(identity, signed, one_time, next_prekey_id)

    def __repr__(self) -> str:
        return (
            f"DeviceKeys(key_id={self.identity.public.key_id!r}, "
            f"signed_prekey_id={self.signed_prekey.key_id}, "
            f"one_time_prekeys={len(self.one_time_prekeys)})"
        )


def verify_auth_challenge(signing_key: bytes, challenge: bytes, signature: bytes) -> bool:
    """Check a device's signature over a relay challenge (pure; no secret involved)."""
    return ed25519_verify(signing_key, AUTH_CHALLENGE_LABEL + challenge, signature)
