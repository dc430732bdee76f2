"""Checking signed notes, checkpoints and cosignatures (the officer's side).

Formats: c2sp.org/signed-note (notes and verifier keys), c2sp.org/tlog-checkpoint
(the body) and c2sp.org/tlog-cosignature (timestamped Ed25519, type 0x04). The rules
applied, in the order applied:

* the note is UTF-8 with no control characters but newline, and ends in a newline;
* the text is everything up to and including the newline before the *last* blank line;
  after it come 1 to ``MAX_SIGNATURES`` lines ``— <name> <base64(key ID || sig)>``;
* a signature whose (name, key ID) matches no trusted key is ignored, as the spec says
  (that is how cosignatures and rotated keys coexist); one that matches is verified, and
  a failure rejects the whole note; if no trusted signature verified, the note is rejected;
* a second signature line by a trusted key (same name and key ID), identical or not, rejects
  the note. Go's ``note.Open`` keeps the first such line and skips the rest unchecked; here a
  note has one spelling, so a line appended to it cannot go unnoticed, and two cosignatures
  by one witness (two different times) are not left to mean whichever comes first;
* keys and signatures follow the strict Ed25519 rules of ``audit.ed25519_strict`` (no
  small-order or non-canonical key or R, S below the group order), the rules ``crypto/``
  gets from libsodium: a key file holding the identity point must not "verify" anything;
* base64 must be canonical (padding and unused bits zero), so that a note has exactly
  one spelling and a flipped bit in a signature line can never go unnoticed.

This module shares no code with ``audit.checkpoint`` (which signs with libsodium):
it verifies with OpenSSL through ``cryptography`` and parses everything itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.ed25519_strict import public_key_problem, signature_problem
from audit.errors import NoteError

__all__ = [
    "MAX_SIGNATURES",
    "Checkpoint",
    "Signer",
    "VerifiedNote",
    "VerifierKey",
    "open_checkpoint",
    "parse_verifier_key",
    "verify_cosignature",
    "verify_note",
]

MAX_SIGNATURES = 64  # the spec asks verifiers to accept at least 16
_ED25519, _COSIGNATURE = 0x01, 0x04
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_MAX_TIME = 2**63 - 1


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A trusted public key: name, 4-byte key ID, signature type byte, raw key."""

    name: str
    key_id: bytes
    type: int
    public_key: bytes

    def __post_init__(self) -> None:
        # Here, not only in parse_verifier_key: a VerifierKey built directly is trusted too.
        problem = public_key_problem(self.public_key)
        if problem is not None:
            raise NoteError(f"verifier key: {problem}; it could vouch for forged signatures")


@dataclass(frozen=True, slots=True)
class Signer:
    """A trusted signature that verified; ``time`` is set for cosignatures."""

    name: str
    type: int
    time: int | None


@dataclass(frozen=True, slots=True)
class VerifiedNote:
    """The text of a note and who, among the trusted keys, verifiably signed it."""

    text: str
    signers: tuple[Signer, ...]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A verified checkpoint: the log's origin, tree size, root hash, and its note."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    note: str


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse ``<name>+<hex key ID>+<base64(type || key)>`` and check the key ID."""
    parts = text.split("+", 2) if isinstance(text, str) else []
    if len(parts) != 3 or not _valid_name(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise NoteError("verifier key: expected <name>+<8 hex digits>+<base64 key>")
    name, key_id, material = parts[0], bytes.fromhex(parts[1]), _strict_b64(parts[2], "key")
    if len(material) != 33 or material[0] not in (_ED25519, _COSIGNATURE):
        raise NoteError("verifier key: only Ed25519 (0x01) and cosignature (0x04) keys")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + material).digest()
    if digest[:4] != key_id:
        raise NoteError("verifier key: the key ID does not match the name and key")
    return VerifierKey(name, key_id, material[0], material[1:])


def verify_note(note: str | bytes, keys: Sequence[VerifierKey | str]) -> VerifiedNote:
    """Check ``note`` against the trusted ``keys``; raise ``NoteError`` if it fails."""
    # dict.fromkeys: a key passed twice is one key, not a second signer of the same line.
    trusted = list(dict.fromkeys(parse_verifier_key(k) if isinstance(k, str) else k for k in keys))
    text, signatures = _split(note)
    signers, seen = [], set()
    for name, blob in signatures:
        for key in trusted:
            if key.name == name and key.key_id == blob[:4]:
                if (name, key.key_id) in seen:
                    raise NoteError(f"note: two signatures by {name}; one per key is allowed")
                seen.add((name, key.key_id))
                signers.append(_check_signature(key, text, blob[4:]))
    if not signers:
        raise NoteError("note: no signature by a trusted key")
    return VerifiedNote(text, tuple(signers))


def open_checkpoint(note: str | bytes, log_key: VerifierKey | str) -> Checkpoint:
    """Verify a checkpoint signed by the log, and parse its body."""
    key = parse_verifier_key(log_key) if isinstance(log_key, str) else log_key
    if key.type != _ED25519:
        raise NoteError("checkpoint: the log key is an Ed25519 (0x01) key")
    verified = verify_note(note, [key])
    lines = verified.text.split("\n")[:-1]
    if len(lines) < 3 or not all(lines):
        raise NoteError("checkpoint: origin, size and root lines, none of them empty")
    origin, size, root = lines[0], lines[1], lines[2]
    if origin != key.name:
        raise NoteError("checkpoint: the origin line is not the log key's name")
    if not _SIZE.fullmatch(size) or int(size) > _MAX_TIME:
        raise NoteError("checkpoint: the size line is not a decimal without leading zeros")
    digest = _strict_b64(root, "checkpoint root")
    if len(digest) != 32:
        raise NoteError("checkpoint: the root hash is not 32 bytes")
    full = note if isinstance(note, str) else note.decode("utf-8")
    return Checkpoint(origin, int(size), digest, tuple(lines[3:]), full)


def verify_cosignature(note: str | bytes, cosigner_key: VerifierKey | str) -> int:
    """Check a cosignature on ``note`` by ``cosigner_key``; return its Unix time."""
    key = parse_verifier_key(cosigner_key) if isinstance(cosigner_key, str) else cosigner_key
    if key.type != _COSIGNATURE:
        raise NoteError("cosignature: the cosigner key is a type 0x04 key")
    signer = verify_note(note, [key]).signers[0]
    if signer.time is None:  # unreachable: every 0x04 signature carries a time
        raise NoteError("cosignature: no time")
    return signer.time


def _split(note: str | bytes) -> tuple[str, list[tuple[str, bytes]]]:
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as error:
            raise NoteError("note: not UTF-8") from error
    if not isinstance(note, str) or not note.endswith("\n"):
        raise NoteError("note: must end in a newline")
    if any(c < " " and c != "\n" for c in note):
        raise NoteError("note: contains a control character")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note: no blank line before the signatures")
    text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note: more than {MAX_SIGNATURES} signatures")
    signatures = []
    for number, line in enumerate(lines, start=1):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or not _valid_name(parts[1]):
            raise NoteError(f"note: signature line {number} is not '— <name> <base64>'")
        blob = _strict_b64(parts[2], f"signature line {number}")
        if len(blob) < 5:
            raise NoteError(f"note: signature line {number} is too short")
        signatures.append((parts[1], blob))
    return text, signatures


def _check_signature(key: VerifierKey, text: str, signature: bytes) -> Signer:
    message, time = text.encode("utf-8"), None
    if key.type == _COSIGNATURE:
        if len(signature) != 8 + 64:
            raise NoteError(f"note: the cosignature by {key.name} has the wrong length")
        time, signature = int.from_bytes(signature[:8], "big"), signature[8:]
        if time > _MAX_TIME:
            raise NoteError(f"note: the cosignature by {key.name} has an impossible time")
        message = f"cosignature/v1\ntime {time}\n".encode() + message
    if len(signature) != 64:
        raise NoteError(f"note: the signature by {key.name} has the wrong length")
    problem = signature_problem(signature)
    if problem is not None:
        raise NoteError(f"note: the signature by {key.name} is not strict Ed25519: {problem}")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, message)
    except (InvalidSignature, ValueError) as error:
        raise NoteError(f"note: the signature by {key.name} does not verify") from error
    return Signer(key.name, key.type, time)


def _strict_b64(text: str, label: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise NoteError(f"{label}: not base64") from error
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{label}: not canonical base64")
    return raw


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)
