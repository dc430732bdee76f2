"""Sessions: X3DH, then the Double Ratchet, padding and the envelope, behind four calls.

::

    session, envelope = start_session(own_keys, bundle, now)     # initiator
    session, plaintext = accept_session(own_keys, envelope, now) # responder
    envelope = session.encrypt(plaintext, now)
    plaintext = session.decrypt(envelope, now)                   # or DecryptionError

The initiator sends *initial* envelopes (with the X3DH fields) until it has decrypted
something from the responder, exactly like Signal's PreKeySignalMessage, so losing or
reordering the first messages never strands a session. The responder's session keeps
recognising those initial envelopes for its whole life, so late copies still decrypt.

Every failure of ``decrypt`` and ``accept_session`` raises the opaque DecryptionError
and changes nothing: not the session, not the one-time prekeys.

Routing rule for clients (docs/e2e.md section 7.4): an initial envelope that
``matches`` a session the client holds goes to that session; only one that matches
none goes to ``accept_session``.
"""

from __future__ import annotations

import os

from crypto._codec import Reader, Writer
from crypto.envelope import (
    ENVELOPE_VERSION,
    INITIAL_HEADER_SIZE,
    TYPE_INITIAL,
    TYPE_MESSAGE,
    Envelope,
    InitialHeader,
    decode_envelope,
)
from crypto.errors import DecryptionError, StateError
from crypto.keys import DeviceKeys, IdentityKeyPair, PrekeyBundle, PublicIdentity
from crypto.padding import pad, unpad
from crypto.primitives import KEY_SIZE, NONCE_SIZE, SIGNATURE_SIZE, RandomBytes
from crypto.ratchet import RatchetState, open_sealed, seal
from crypto.x3dh import initiate, respond

__all__ = ["SESSION_VERSION", "Session", "accept_session", "start_session"]

SESSION_MAGIC = b"stss"
SESSION_VERSION = 1
_ROLE_INITIATOR = 1
_ROLE_RESPONDER = 2
_MESSAGE_PREFIX = bytes((ENVELOPE_VERSION, TYPE_MESSAGE))


class Session:
    """One pairwise session with one peer device. Not thread-safe; persist with to_bytes."""

    __slots__ = (
        "_associated_data",
        "_initial",
        "_initial_prefix",
        "_is_initiator",
        "_peer",
        "_ratchet",
    )

    def __init__(
        self,
        ratchet: RatchetState,
        associated_data: bytes,
        peer: PublicIdentity,
        initial: InitialHeader | None,
        is_initiator: bool,
    ) -> None:
        self._ratchet = ratchet
        self._associated_data = associated_data
        self._peer = peer
        self._is_initiator = is_initiator
        self._set_initial(initial)

    def _set_initial(self, initial: InitialHeader | None) -> None:
        self._initial = initial
        self._initial_prefix = (
            bytes((ENVELOPE_VERSION, TYPE_INITIAL)) + initial.encode() if initial else None
        )

    @property
    def peer_identity(self) -> PublicIdentity:
        """The peer device's identity, for safety numbers and key pinning."""
        return self._peer

    @property
    def is_initiator(self) -> bool:
        return self._is_initiator

    def encrypt(self, plaintext: bytes, now: int, rng: RandomBytes = os.urandom) -> bytes:
        """Pad, encrypt and frame ``plaintext``; returns the envelope bytes for the relay."""
        return self._encrypt_padded(pad(plaintext), now, rng)  # pad() raises before changes

    def _encrypt_padded(self, padded: bytes, now: int, rng: RandomBytes) -> bytes:
        nonce = rng(NONCE_SIZE)
        if len(nonce) != NONCE_SIZE:
            raise ValueError("rng returned the wrong number of bytes")
        ratchet = self._ratchet
        ratchet.expire(now)
        header, message_key = ratchet.encrypt_step()
        # The initiator repeats the X3DH fields until the responder has answered.
        start = self._initial_prefix if self._is_initiator and self._initial_prefix else None
        prefix = (start or _MESSAGE_PREFIX) + header.encode()
        return prefix + nonce + seal(message_key, nonce, padded, self._associated_data + prefix)

    def matches(self, envelope: bytes) -> bool:
        """True if ``envelope`` is an initial envelope of this very session.

        Clients use it to route initial envelopes (docs/e2e.md section 7.4): one that
        matches a session they hold is decrypted by that session, and never passed to
        ``accept_session``, so a replayed initial envelope cannot create a second session.
        """
        try:
            initial = decode_envelope(envelope).initial
        except DecryptionError:
            return False
        return initial is not None and not self._is_initiator and initial == self._initial

    def decrypt(self, envelope: bytes, now: int, rng: RandomBytes = os.urandom) -> bytes:
        """Authenticate and decrypt; on any failure raise DecryptionError, state untouched.

        ``rng`` supplies the new ratchet key when the message starts a new DH ratchet step.
        """
        return self._decrypt(decode_envelope(envelope), now, rng)

    def _decrypt(self, envelope: Envelope, now: int, rng: RandomBytes) -> bytes:
        if envelope.initial is not None and (
            self._is_initiator or envelope.initial != self._initial
        ):
            raise DecryptionError()
        plan = self._ratchet.plan_decrypt(envelope.header, now, rng)
        padded = open_sealed(
            plan.message_key,
            envelope.nonce,
            envelope.ciphertext,
            self._associated_data + envelope.prefix,
        )
        plaintext = unpad(padded)
        # Authenticated: only now does anything change.
        self._ratchet.commit(plan, now)
        if self._is_initiator and self._initial is not None:
            self._set_initial(None)  # the responder has the session; stop sending X3DH fields
        return plaintext

    def expire(self, now: int) -> None:
        """Delete skipped message keys older than SKIPPED_KEY_MAX_AGE."""
        self._ratchet.expire(now)

    def to_bytes(self) -> bytes:
        """Versioned serialisation of the whole state (secret: store it encrypted)."""
        peer = self._peer
        writer = Writer().raw(SESSION_MAGIC).u8(SESSION_VERSION)
        writer.u8(_ROLE_INITIATOR if self._is_initiator else _ROLE_RESPONDER)
        writer.raw(peer.signing_key).raw(peer.agreement_key).raw(peer.signature)
        writer.var16(self._associated_data)
        writer.u8(self._initial is not None)
        if self._initial is not None:
            writer.raw(self._initial.encode())
        self._ratchet.write(writer)
        return bytes(writer)

    @classmethod
    def from_bytes(cls, data: bytes) -> Session:
        """Inverse of ``to_bytes``; raises StateError for corrupt or unknown-version data."""
        reader = Reader(data, StateError)
        if reader.raw(4) != SESSION_MAGIC or reader.u8() != SESSION_VERSION:
            raise StateError("not a session of a known version")
        role = reader.u8()
        if role not in (_ROLE_INITIATOR, _ROLE_RESPONDER):
            raise StateError("unknown session role")
        peer = PublicIdentity(
            reader.raw(KEY_SIZE), reader.raw(KEY_SIZE), reader.raw(SIGNATURE_SIZE)
        )
        associated_data = reader.var16()
        initial = InitialHeader.decode(reader.raw(INITIAL_HEADER_SIZE)) if reader.u8() else None
        ratchet = RatchetState.read(reader)
        reader.finish()
        return cls(ratchet, associated_data, peer, initial, role == _ROLE_INITIATOR)

    def __repr__(self) -> str:
        ratchet = self._ratchet
        return (
            f"Session(peer={self._peer.key_id!r}, initiator={self._is_initiator}, "
            f"sent={ratchet.sent}, received={ratchet.received}, "
            f"skipped={len(ratchet.skipped)})"
        )


def start_session(
    own_keys: DeviceKeys | IdentityKeyPair,
    bundle: PrekeyBundle,
    now: int,
    rng: RandomBytes = os.urandom,
    plaintext: bytes = b"",
) -> tuple[Session, bytes]:
    """Initiator: X3DH with ``bundle`` (signatures always checked), then the first envelope.

    Only the identity of ``own_keys`` is used. Draws from ``rng`` in this order: EK_A (32),
    the first ratchet key (32), the nonce (24).
    A bad bundle raises DecryptionError.
    """
    identity = own_keys if isinstance(own_keys, IdentityKeyPair) else own_keys.identity
    x3dh = initiate(identity, bundle, rng(KEY_SIZE))
    ratchet = RatchetState.initiator(x3dh.shared_secret, bundle.signed_prekey, rng(KEY_SIZE))
    initial = InitialHeader(
        identity.public,
        x3dh.ephemeral_key,
        x3dh.signed_prekey_id,
        x3dh.one_time_prekey_id,
    )
    session = Session(ratchet, x3dh.associated_data, bundle.identity, initial, True)
    return session, session.encrypt(plaintext, now, rng)


def accept_session(
    own_keys: DeviceKeys, envelope: bytes, now: int, rng: RandomBytes = os.urandom
) -> tuple[Session, bytes]:
    """Responder: build a session from an initial envelope; returns (session, plaintext).

    On success the one-time prekey the envelope used is deleted from ``own_keys``;
    on failure nothing changes.
    """
    decoded = decode_envelope(envelope)
    initial = decoded.initial
    if initial is None:
        raise DecryptionError()
    shared_secret, associated_data = respond(
        own_keys,
        initial.identity,
        initial.ephemeral_key,
        initial.signed_prekey_id,
        initial.one_time_prekey_id,
    )
    signed_prekey = own_keys.find_signed_prekey(initial.signed_prekey_id)
    if signed_prekey is None:  # respond() checked this already; kept for clarity
        raise DecryptionError()
    ratchet = RatchetState.responder(shared_secret, signed_prekey.private_key)
    session = Session(ratchet, associated_data, initial.identity, initial, False)
    plaintext = session._decrypt(decoded, now, rng)
    own_keys.one_time_prekeys.pop(initial.one_time_prekey_id, None)
    return session, plaintext
