"""Keyed pseudonyms: how a person appears in the audit log without being named there.

``pseudonym(subject_key, subject_id)`` is ``"ps_"`` followed by the first 16 bytes of
``HMAC-SHA256(subject_key, subject_id)`` in lower-case base32 without padding (26
characters). Every subject (an account) has its own random 32-byte ``subject_key``,
which the relay keeps in a table of its own, *not* in the audit log.

* While the key exists, the relay can find every entry about a person (compute the
  pseudonym, search for it) and show an officer who that pseudonym is.
* Erasure destroys the key. The entries stay exactly as they were, so every leaf hash,
  root and signed checkpoint still verifies, but nobody can compute the pseudonym from
  the account id any more: the entries are unlinked from the person. (They remain
  linked to *each other*, as the same pseudonym; that is the point of a pseudonym.)

Why HMAC with a per-subject key rather than one organisation-wide key: destroying one
shared key would unlink everybody at once, and keeping it would let whoever holds it
re-identify an erased person from any id they remember. Why 16 bytes: collisions among
even a billion pseudonyms are out of reach (birthday bound 2^64), and the strings stay
short in every entry. Why base32: its alphabet (a-z, 2-7) cannot be mistaken for the
base64url ids, tokens and keys the relay uses elsewhere, so a validator can refuse those.

A subject's devices are pseudonymised with the same subject key (``subject_id`` is then
the device id), so that erasing the account unlinks its devices too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable

from audit.errors import EntryError

__all__ = ["PSEUDONYM", "SUBJECT_KEY_BYTES", "is_pseudonym", "new_subject_key", "pseudonym"]

SUBJECT_KEY_BYTES = 32
PSEUDONYM_BYTES = 16
PSEUDONYM = re.compile(r"ps_[a-z2-7]{26}")


def new_subject_key(rng: Callable[[int], bytes] = os.urandom) -> bytes:
    """A fresh random key for one subject; ``rng`` is injectable for fixed vectors."""
    key = rng(SUBJECT_KEY_BYTES)
    if len(key) != SUBJECT_KEY_BYTES:
        raise ValueError("rng returned the wrong number of bytes")
    return key


def pseudonym(subject_key: bytes, subject_id: str) -> str:
    """The subject's pseudonym for ``subject_id`` (an account id, device id, ...)."""
    if len(subject_key) != SUBJECT_KEY_BYTES:
        raise EntryError(f"a subject key is {SUBJECT_KEY_BYTES} bytes")
    if not subject_id:
        raise EntryError("subject_id is empty")
    digest = hmac.new(subject_key, subject_id.encode("utf-8"), hashlib.sha256).digest()
    text = base64.b32encode(digest[:PSEUDONYM_BYTES]).decode("ascii").rstrip("=").lower()
    return "ps_" + text


def is_pseudonym(value: object) -> bool:
    """True when ``value`` has exactly the shape ``pseudonym`` produces."""
    return isinstance(value, str) and PSEUDONYM.fullmatch(value) is not None
