"""Tamper-evident audit log (issue 6): the pure core, no I/O, no asyncio, no clock.

NEN 7513-style entries with a closed field list (``entry``, ``events``), keyed
pseudonyms that erasure can unlink (``pseudonym``), an RFC 6962 Merkle tree that the
relay appends to in O(log n) and stores as ``(level, index) -> hash`` rows (``merkle``),
checkpoints as C2SP signed notes and officer cosignatures (``checkpoint``), JSON Lines
export bundles and CSV (``bundle``), and the audit log's own retention (``retention``).

Verification is written separately and shares no code with appending (STYLE.md rule
15): proofs and roots in ``verify``, notes and checkpoints in ``note_verify``, bundles
in ``bundle_verify``. The formats, byte by byte, are in docs/audit.md.

Time (``now``, integer Unix seconds) and randomness (``rng``, a callable returning
``n`` bytes, ``os.urandom`` by default) are parameters; only ``bench`` reads a clock.
"""

from audit.bundle import BUNDLE_FORMAT, bundle_lines, to_csv
from audit.bundle_verify import Problem, Report, verify_bundle
from audit.checkpoint import (
    checkpoint_body,
    cosign,
    cosigner_verifier_key,
    log_verifier_key,
    new_signing_key,
    sign_checkpoint,
)
from audit.entry import (
    ENTRY_PREFIX,
    Actor,
    AuditEntry,
    AuditObject,
    Authorisation,
    Change,
    Source,
    decode,
    encode,
)
from audit.errors import AuditError, BundleError, EntryError, NoteError, ProofError, TreeError
from audit.events import EVENTS
from audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryNodeStore,
    Node,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
)
from audit.note_verify import (
    Checkpoint,
    VerifierKey,
    open_checkpoint,
    parse_verifier_key,
    verify_cosignature,
    verify_note,
)
from audit.pseudonym import is_pseudonym, new_subject_key, pseudonym
from audit.retention import entries_past_retention
from audit.verify import root_from_leaf_hashes, verify_consistency, verify_inclusion

__all__ = [
    "BUNDLE_FORMAT",
    "EMPTY_ROOT",
    "ENTRY_PREFIX",
    "EVENTS",
    "Actor",
    "AuditEntry",
    "AuditError",
    "AuditObject",
    "Authorisation",
    "BundleError",
    "Change",
    "Checkpoint",
    "EntryError",
    "Frontier",
    "MemoryNodeStore",
    "Node",
    "NoteError",
    "Problem",
    "ProofError",
    "Report",
    "Source",
    "TreeError",
    "VerifierKey",
    "bundle_lines",
    "checkpoint_body",
    "consistency_proof",
    "cosign",
    "cosigner_verifier_key",
    "decode",
    "encode",
    "entries_past_retention",
    "inclusion_proof",
    "is_pseudonym",
    "leaf_hash",
    "log_verifier_key",
    "new_signing_key",
    "new_subject_key",
    "open_checkpoint",
    "parse_verifier_key",
    "pseudonym",
    "root_at",
    "root_from_leaf_hashes",
    "sign_checkpoint",
    "to_csv",
    "verify_bundle",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
    "verify_note",
]
