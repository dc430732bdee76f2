"""The public surface of ``audit`` is exactly ``__all__`` (as httpx enforces for itself)."""

from __future__ import annotations

import types

import audit

EXPECTED = {
    "BUNDLE_FORMAT", "EMPTY_ROOT", "ENTRY_PREFIX", "EVENTS",
    "AuditError", "BundleError", "EntryError", "NoteError", "ProofError", "TreeError",
    "Actor", "AuditEntry", "AuditObject", "Authorisation", "Change", "Source", "decode", "encode",
    "is_pseudonym", "new_subject_key", "pseudonym",
    "Frontier", "MemoryNodeStore", "Node", "consistency_proof", "inclusion_proof",
    "leaf_hash", "root_at",
    "root_from_leaf_hashes", "verify_consistency", "verify_inclusion",
    "checkpoint_body", "cosign", "cosigner_verifier_key", "log_verifier_key",
    "new_signing_key", "sign_checkpoint",
    "Checkpoint", "VerifierKey", "open_checkpoint", "parse_verifier_key",
    "verify_cosignature", "verify_note",
    "bundle_lines", "to_csv", "Problem", "Report", "verify_bundle",
    "entries_past_retention",
}  # fmt: skip


def test_exported_members() -> None:
    assert set(audit.__all__) == EXPECTED
    assert len(audit.__all__) == len(EXPECTED)
    public = {
        name
        for name, value in vars(audit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == EXPECTED, "every public name is in __all__, and nothing else"
    for name in audit.__all__:
        assert getattr(audit, name) is not None


def test_one_root_error() -> None:
    for name in ("EntryError", "TreeError", "ProofError", "NoteError", "BundleError"):
        assert issubclass(getattr(audit, name), audit.AuditError)


def test_public_api_is_documented() -> None:
    for name in audit.__all__:
        value = getattr(audit, name)
        if callable(value):
            assert value.__doc__, f"{name} has no docstring"
