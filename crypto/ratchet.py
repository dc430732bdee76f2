"""The Double Ratchet, as in Signal's specification revision 1 (2016-11-20), section 3.

Configuration (docs/e2e.md section 4):

* ``GENERATE_DH``: 32 random bytes as an X25519 private key; ``DH``: X25519;
* ``KDF_RK(rk, dh_out)``: HKDF-SHA256(salt = rk, ikm = dh_out, info =
  "steuntje/v1/ratchet-root") -> 64 bytes: new root key, then chain key;
* ``KDF_CK(ck)``: message key = HMAC-SHA256(ck, 0x01), next chain key = HMAC-SHA256(ck, 0x02);
* ``ENCRYPT(mk, pt, ad)``: XChaCha20-Poly1305 with key HKDF-SHA256(salt = 32 zero bytes,
  ikm = mk, info = "steuntje/v1/message-key") -> 32 bytes, a random nonce carried in the
  envelope, and ``AD || header`` as associated data (the session builds those bytes);
* ``MAX_SKIP`` = 1000 per chain; at most 2000 skipped message keys per session, oldest
  evicted first, each deleted 31 days after it was stored.

Decryption is split in two so that a failure cannot change anything: ``plan_decrypt``
computes every new value *without touching the state*, the caller authenticates the
ciphertext with the planned message key, and only then ``commit`` writes the plan.
"""

from __future__ import annotations

from crypto._codec import Reader, Writer
from crypto.envelope import RatchetHeader
from crypto.errors import CryptoError, DecryptionError
from crypto.primitives import (
    KEY_SIZE,
    RandomBytes,
    aead_decrypt,
    aead_encrypt,
    hkdf_sha256,
    hmac_sha256,
    x25519,
    x25519_public_key,
)

__all__ = [
    "MAX_SKIP",
    "MAX_SKIPPED_KEYS",
    "MESSAGE_KEY_INFO",
    "ROOT_INFO",
    "SKIPPED_KEY_MAX_AGE",
    "RatchetState",
    "kdf_ck",
    "kdf_rk",
    "message_encryption_key",
    "open_sealed",
    "seal",
]

ROOT_INFO = b"steuntje/v1/ratchet-root"
MESSAGE_KEY_INFO = b"steuntje/v1/message-key"
MAX_SKIP = 1000
MAX_SKIPPED_KEYS = 2000
#: Long enough for any envelope the relay still holds (its retention is shorter).
SKIPPED_KEY_MAX_AGE = 31 * 86400
_ZERO_SALT = bytes(KEY_SIZE)
_MAX_COUNTER = 0xFFFFFFFF  # PN and N are u32 on the wire; N never reaches this value


def kdf_rk(root_key: bytes, dh_output: bytes) -> tuple[bytes, bytes]:
    """KDF_RK: (new root key, new chain key)."""
    output = hkdf_sha256(dh_output, root_key, ROOT_INFO, 2 * KEY_SIZE)
    return output[:KEY_SIZE], output[KEY_SIZE:]


def kdf_ck(chain_key: bytes) -> tuple[bytes, bytes]:
    """KDF_CK: (next chain key, message key), with Signal's constants 0x02 and 0x01."""
    return hmac_sha256(chain_key, b"\x02"), hmac_sha256(chain_key, b"\x01")


def message_encryption_key(message_key: bytes) -> bytes:
    """The XChaCha20-Poly1305 key for one message, derived from its message key."""
    return hkdf_sha256(message_key, _ZERO_SALT, MESSAGE_KEY_INFO, KEY_SIZE)


def seal(message_key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """ENCRYPT of the specification, with the nonce chosen by the caller."""
    return aead_encrypt(message_encryption_key(message_key), nonce, plaintext, associated_data)


def open_sealed(
    message_key: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes
) -> bytes:
    """DECRYPT of the specification; raises DecryptionError."""
    return aead_decrypt(message_encryption_key(message_key), nonce, ciphertext, associated_data)


class RatchetState:
    """The specification's state variables; ``skipped`` maps (DHr, N) to (key, stored_at)."""

    __slots__ = (
        "dh_private",
        "dh_public",
        "previous_sent",
        "received",
        "receiving_chain",
        "remote_dh",
        "root_key",
        "sending_chain",
        "sent",
        "skipped",
    )

    def __init__(self, dh_private: bytes, root_key: bytes) -> None:
        self.dh_private = dh_private  # DHs
        self.dh_public = x25519_public_key(dh_private)
        self.remote_dh: bytes | None = None  # DHr
        self.root_key = root_key  # RK
        self.sending_chain: bytes | None = None  # CKs
        self.receiving_chain: bytes | None = None  # CKr
        self.sent = 0  # Ns
        self.received = 0  # Nr
        self.previous_sent = 0  # PN
        # Insertion order is age order: eviction and expiry remove from the front.
        self.skipped: dict[tuple[bytes, int], tuple[bytes, int]] = {}

    @classmethod
    def initiator(
        cls, shared_secret: bytes, remote_public: bytes, dh_private: bytes
    ) -> RatchetState:
        """RatchetInitAlice: the responder's signed prekey is the first remote ratchet key."""
        state = cls(dh_private, shared_secret)
        state.remote_dh = remote_public
        state.root_key, state.sending_chain = kdf_rk(
            shared_secret, x25519(dh_private, remote_public)
        )
        return state

    @classmethod
    def responder(cls, shared_secret: bytes, signed_prekey_private: bytes) -> RatchetState:
        """RatchetInitBob: SK is the root key, the signed prekey pair the first DHs."""
        return cls(signed_prekey_private, shared_secret)

    def encrypt_step(self) -> tuple[RatchetHeader, bytes]:
        """RatchetEncrypt without the AEAD: advance CKs, return (header, message key)."""
        if self.sending_chain is None or self.sent >= _MAX_COUNTER:
            raise CryptoError("this session cannot send")
        self.sending_chain, message_key = kdf_ck(self.sending_chain)
        header = RatchetHeader(self.dh_public, self.previous_sent, self.sent)
        self.sent += 1
        return header, message_key

    def plan_decrypt(self, header: RatchetHeader, now: int, rng: RandomBytes) -> DecryptPlan:
        """RatchetDecrypt up to (not including) DECRYPT; the state is not modified."""
        if header.message_number >= _MAX_COUNTER:
            raise DecryptionError()  # Nr would no longer fit the u32 a sender can use
        key = (header.dh_public, header.message_number)
        entry = self.skipped.get(key)
        if entry is not None:  # TrySkippedMessageKeys
            message_key, stored_at = entry
            if now - stored_at > SKIPPED_KEY_MAX_AGE:
                raise DecryptionError()
            return DecryptPlan(message_key, key, [], None, None)
        new_skipped: list[tuple[tuple[bytes, int], bytes]] = []
        ratchet = None
        chain, received = self.receiving_chain, self.received
        if header.dh_public != self.remote_dh:
            _skip(chain, received, self.remote_dh, header.previous_chain_length, new_skipped)
            # DHRatchet: new receiving chain from the old DHs, then a new DHs.
            root_key, chain = kdf_rk(self.root_key, x25519(self.dh_private, header.dh_public))
            dh_private = rng(KEY_SIZE)
            root_key, sending_chain = kdf_rk(root_key, x25519(dh_private, header.dh_public))
            dh_public = x25519_public_key(dh_private)
            ratchet = (header.dh_public, root_key, dh_private, dh_public, sending_chain)
            received = 0
        elif chain is None or header.message_number < received:
            # No receiving chain for this key yet (a forged header naming our peer's
            # signed prekey), or a replay or duplicate whose key was used or evicted.
            raise DecryptionError()
        chain = _skip(chain, received, header.dh_public, header.message_number, new_skipped)
        next_chain, message_key = kdf_ck(chain)
        return DecryptPlan(
            message_key, None, new_skipped, ratchet, (next_chain, header.message_number + 1)
        )

    def commit(self, plan: DecryptPlan, now: int) -> None:
        """Write a plan whose message authenticated; stamps new skipped keys with ``now``."""
        if plan.used_skipped is not None:
            del self.skipped[plan.used_skipped]
            return
        if plan.ratchet is not None:
            (self.remote_dh, self.root_key, self.dh_private, self.dh_public, self.sending_chain) = (
                plan.ratchet
            )
            self.previous_sent, self.sent = self.sent, 0
        self.receiving_chain, self.received = plan.chain
        if plan.new_skipped:
            skipped = self.skipped
            for key, message_key in plan.new_skipped:
                skipped[key] = (message_key, now)
            overflow = len(skipped) - MAX_SKIPPED_KEYS
            if overflow > 0:  # rebuild once rather than pop the front many times
                self.skipped = dict(list(skipped.items())[overflow:])
        self.expire(now)

    def expire(self, now: int) -> None:
        """Delete skipped keys older than SKIPPED_KEY_MAX_AGE (lookups check age as well)."""
        if self.skipped:
            _, oldest = next(iter(self.skipped.values()))
            if now - oldest > SKIPPED_KEY_MAX_AGE:
                self.skipped = {
                    key: entry
                    for key, entry in self.skipped.items()
                    if now - entry[1] <= SKIPPED_KEY_MAX_AGE
                }

    def write(self, writer: Writer) -> None:
        """Append this state to a session serialisation (docs/e2e.md section 8.1)."""
        writer.raw(self.dh_private).raw(self.root_key)
        for optional in (self.remote_dh, self.sending_chain, self.receiving_chain):
            writer.u8(optional is not None).raw(optional or b"")
        writer.u32(self.sent).u32(self.received).u32(self.previous_sent)
        writer.u16(len(self.skipped))
        for (dh_public, number), (message_key, stored_at) in self.skipped.items():
            writer.raw(dh_public).u32(number).raw(message_key).u64(stored_at)

    @classmethod
    def read(cls, reader: Reader) -> RatchetState:
        state = cls(reader.raw(KEY_SIZE), reader.raw(KEY_SIZE))
        optional = [reader.raw(KEY_SIZE) if reader.u8() else None for _ in range(3)]
        state.remote_dh, state.sending_chain, state.receiving_chain = optional
        state.sent, state.received, state.previous_sent = reader.u32(), reader.u32(), reader.u32()
        for _ in range(reader.u16()):
            key = (reader.raw(KEY_SIZE), reader.u32())
            state.skipped[key] = (reader.raw(KEY_SIZE), reader.u64())
        return state

    def __repr__(self) -> str:
        return (
            f"RatchetState(sent={self.sent}, received={self.received}, "
            f"previous_sent={self.previous_sent}, skipped={len(self.skipped)})"
        )


class DecryptPlan:
    """Everything a successful decryption will change, computed before it is known to be."""

    __slots__ = ("chain", "message_key", "new_skipped", "ratchet", "used_skipped")

    def __init__(
        self,
        message_key: bytes,
        used_skipped: tuple[bytes, int] | None,
        new_skipped: list[tuple[tuple[bytes, int], bytes]],
        ratchet: tuple[bytes, bytes, bytes, bytes, bytes] | None,
        chain: tuple[bytes, int] | None,
    ) -> None:
        self.message_key = message_key
        self.used_skipped = used_skipped  # the skipped key this message uses, if any
        self.new_skipped = new_skipped  # keys skipped over on the way to this message
        self.ratchet = ratchet  # (DHr, RK, DHs private, DHs public, CKs) after a DH step
        self.chain = chain  # (CKr, Nr) after this message

    def __repr__(self) -> str:
        return f"DecryptPlan(new_skipped={len(self.new_skipped)})"


def _skip(
    chain: bytes | None,
    received: int,
    dh_public: bytes | None,
    until: int,
    out: list[tuple[tuple[bytes, int], bytes]],
) -> bytes | None:
    """SkipMessageKeys: derive the keys from ``received`` up to ``until`` into ``out``."""
    if received + MAX_SKIP < until:
        raise DecryptionError()
    if chain is not None:
        while received < until:
            chain, message_key = kdf_ck(chain)
            out.append(((dh_public, received), message_key))
            received += 1
    return chain
