"""The exceptions of the ``audit`` package, one hierarchy with a single root.

::

    AuditError           root: ``except AuditError`` catches everything below
    ├── EntryError       an entry, or the bytes of one, is refused: unknown event or
    │                    field, a value of the wrong shape (an IP address or a token
    │                    where a pseudonym belongs), or bytes that are not canonical
    ├── TreeError        the appending side was asked the impossible: a leaf beyond the
    │                    tree, a proof from a larger tree to a smaller one, a node the
    │                    store does not hold
    ├── ProofError       an inclusion or consistency proof does not verify
    ├── NoteError        a signed note, checkpoint or verifier key is malformed, or no
    │                    trusted signature on it verifies
    └── BundleError      an export bundle cannot be written from the parts given

Unlike ``crypto.DecryptionError`` these errors are precise on purpose: the person who
reads them is a privacy officer checking evidence, not an attacker probing an oracle,
and "which check failed" is the whole point. They never quote the offending *value*,
though, only the field or line it was in: an error message can end up in a log, and the
value that was refused may be exactly the personal data the audit log must not hold.

``verify_bundle`` does not raise for a bad bundle: it returns a ``Report`` naming the
first problem, because a verdict with a line number is what the officer needs.
"""

from __future__ import annotations

__all__ = ["AuditError", "BundleError", "EntryError", "NoteError", "ProofError", "TreeError"]


class AuditError(Exception):
    """Root of every error raised by the ``audit`` package."""


class EntryError(AuditError):
    """An audit entry or its canonical bytes is refused; the message names the field."""


class TreeError(AuditError):
    """A request to the Merkle tree (appending side) that cannot be answered."""


class ProofError(AuditError):
    """An inclusion or consistency proof does not verify; the message says which step."""


class NoteError(AuditError):
    """A signed note, checkpoint or verifier key is malformed or its signature fails."""


class BundleError(AuditError):
    """An export bundle cannot be written from the entries and checkpoints given."""
