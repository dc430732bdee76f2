"""Making checkpoints: C2SP tlog-checkpoint bodies signed as C2SP signed notes.

A checkpoint says "the log named <origin> had <size> entries and this root"::

    <origin>\\n<size in decimal>\\n<base64 root hash>\\n

signed with the log's Ed25519 key as a signed note: the body, a blank line, then one
line per signature, ``— <key name> <base64(key ID || signature)>\\n``, where
``key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4]`` (c2sp.org/signed-note).
The key name is the origin. Verifiers are configured with the *verifier key* string
``<name>+<hex key ID>+<base64(0x01 || public key)>``.

``cosign`` is for the officer: after checking a checkpoint (``audit.note_verify``), their
CLI adds a C2SP tlog-cosignature, a timestamped Ed25519 signature (type byte 0x04) over
``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint body. A cosigned checkpoint
is the officer's own record of what the log looked like, which a later rewrite cannot
match.

Signing uses libsodium (pynacl); checking, in ``audit.note_verify``, uses OpenSSL (the
``cryptography`` package) and none of this code, so that one library's or one
module's mistake is not silently mirrored on both sides. Keys are 32-byte Ed25519 seeds;
the relay keeps the log key outside its database (docs/design.md).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable

from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from audit.errors import NoteError

__all__ = [
    "COSIGNATURE_TYPE",
    "ED25519_TYPE",
    "checkpoint_body",
    "cosign",
    "cosigner_verifier_key",
    "log_verifier_key",
    "new_signing_key",
    "sign_checkpoint",
    "sign_note",
]

ED25519_TYPE = 0x01
COSIGNATURE_TYPE = 0x04
SEED_BYTES = 32
# Key names and origins: printable, no spaces or '+' (signed-note), no control bytes.
_NAME = re.compile(r"[!-*,-~]{1,255}")
_MAX_TIMESTAMP = 2**63 - 1


def new_signing_key(rng: Callable[[int], bytes] = os.urandom) -> bytes:
    """A fresh Ed25519 seed (32 bytes); ``rng`` is injectable for fixed vectors."""
    seed = rng(SEED_BYTES)
    if len(seed) != SEED_BYTES:
        raise ValueError("rng returned the wrong number of bytes")
    return seed


def log_verifier_key(name: str, signing_key: bytes) -> str:
    """The verifier key string an officer configures to check the log's checkpoints."""
    return _vkey(name, ED25519_TYPE, _public_key(signing_key))


def cosigner_verifier_key(name: str, signing_key: bytes) -> str:
    """The verifier key string of an officer's cosigning key (type 0x04)."""
    return _vkey(name, COSIGNATURE_TYPE, _public_key(signing_key))


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The three-line C2SP checkpoint body (note text), newline-terminated."""
    _check_name("origin", origin)
    if type(size) is not int or size < 0:
        raise NoteError("a tree size is a non-negative integer")
    if len(root) != 32:
        raise NoteError("a root hash is 32 bytes")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


def sign_note(text: str, name: str, signing_key: bytes) -> str:
    """``text`` as a signed note with one Ed25519 signature by ``name``."""
    if not text.endswith("\n") or any(c < " " and c != "\n" for c in text):
        raise NoteError("note text ends in a newline and has no other control characters")
    public_key, secret_key = _keypair(signing_key)
    signature = crypto_sign(text.encode("utf-8"), secret_key)[:64]
    return text + "\n" + _signature_line(name, ED25519_TYPE, public_key, signature)


def sign_checkpoint(origin: str, size: int, root: bytes, signing_key: bytes) -> str:
    """A signed checkpoint for the tree (size, root); the key name is the origin."""
    return sign_note(checkpoint_body(origin, size, root), origin, signing_key)


def cosign(checkpoint_note: str, cosigner_key: bytes, name: str, now: int) -> str:
    """``checkpoint_note`` with a timestamped cosignature by ``name`` appended.

    The caller must have verified the checkpoint first; cosigning is a statement that
    it did. ``now`` is Unix seconds, passed in (STYLE.md rule 3).
    """
    if type(now) is not int or not 0 <= now <= _MAX_TIMESTAMP:
        raise NoteError("a cosignature time is an integer from 0 to 2^63-1")
    split = checkpoint_note.rfind("\n\n")
    if split < 0 or not checkpoint_note.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signatures")
    body = checkpoint_note[: split + 1]
    if body.count("\n") < 3:
        raise NoteError("not a checkpoint: fewer than three lines of text")
    public_key, secret_key = _keypair(cosigner_key)
    key_id = _key_id(name, COSIGNATURE_TYPE, public_key)
    for line in checkpoint_note[split + 2 : -1].split("\n"):
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == name and _blob(parts[2])[:4] == key_id:
            # A second time by the same witness would make the note unverifiable
            # (note_verify refuses two signatures by one key): say so here instead.
            raise NoteError(f"{name} has already cosigned this checkpoint")
    message = f"cosignature/v1\ntime {now}\n{body}".encode()
    signature = crypto_sign(message, secret_key)[:64]
    stamped = now.to_bytes(8, "big") + signature
    return checkpoint_note + _signature_line(name, COSIGNATURE_TYPE, public_key, stamped)


def _blob(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error is a ValueError; not ours to judge here
        return b""


def _signature_line(name: str, key_type: int, public_key: bytes, signature: bytes) -> str:
    _check_name("key name", name)
    blob = _key_id(name, key_type, public_key) + signature
    return f"\u2014 {name} {base64.b64encode(blob).decode('ascii')}\n"


def _vkey(name: str, key_type: int, public_key: bytes) -> str:
    _check_name("key name", name)
    key_id = _key_id(name, key_type, public_key).hex()
    return f"{name}+{key_id}+{base64.b64encode(bytes([key_type]) + public_key).decode('ascii')}"


def _key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key).digest()[
        :4
    ]


def _keypair(signing_key: bytes) -> tuple[bytes, bytes]:
    if not isinstance(signing_key, bytes) or len(signing_key) != SEED_BYTES:
        raise NoteError(f"a signing key is a {SEED_BYTES}-byte Ed25519 seed")
    return crypto_sign_seed_keypair(signing_key)


def _public_key(signing_key: bytes) -> bytes:
    return _keypair(signing_key)[0]


def _check_name(label: str, name: object) -> None:
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise NoteError(f"{label}: 1 to 255 printable ASCII characters, no spaces or '+'")
