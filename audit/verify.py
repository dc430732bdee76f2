"""Checking Merkle proofs and roots, written apart from the code that makes them.

This module deliberately imports nothing from ``audit.merkle``, not even its two hash
functions: a bug in the appending side (a wrong prefix byte, a mis-ordered sibling)
would otherwise be repeated here and cancel out, and every proof the relay made would
"verify". The two hash lines below are therefore duplicates on purpose, as
transparency-dev/merkle keeps ``proof/verify.go`` apart from ``rfc6962/rfc6962.go``.
The algorithms are also written differently: proofs are checked with the bit-walking
procedures of RFC 9162 sections 2.1.3.2 and 2.1.4.2, where ``audit.merkle`` builds
them with the recursive definitions of RFC 6962.

Every failure raises ``ProofError`` saying which check failed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from audit.errors import ProofError

__all__ = [
    "EMPTY_TREE_ROOT",
    "RootAccumulator",
    "leaf_hash_of",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

SIZE = 32
EMPTY_TREE_ROOT = hashlib.sha256(b"").digest()


def _hash_leaf(data: bytes) -> bytes:
    # Duplicated from audit.merkle on purpose; see the module docstring.
    return hashlib.sha256(b"\x00" + data).digest()


def _hash_children(left: bytes, right: bytes) -> bytes:
    # Duplicated from audit.merkle on purpose; see the module docstring.
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_hash_of(entry_bytes: bytes) -> bytes:
    """The RFC 6962 leaf hash of ``entry_bytes``, computed on the verifying side."""
    return _hash_leaf(entry_bytes)


class RootAccumulator:
    """Leaf hashes in, running root out: one pending hash per level, never the leaves.

    ``add`` takes the next leaf hash; ``root()`` is the root of all leaves so far, so a
    verifier streaming a million entries can check a checkpoint at any size it passes.
    """

    def __init__(self) -> None:
        self.size = 0
        self._pending: list[tuple[int, bytes]] = []  # (height, hash), heights decreasing

    def add(self, leaf_hash: bytes) -> None:
        """Append the next leaf hash."""
        _check_size(f"leaf hash {self.size}", leaf_hash)
        height, value = 0, bytes(leaf_hash)
        while self._pending and self._pending[-1][0] == height:
            value = _hash_children(self._pending.pop()[1], value)
            height += 1
        self._pending.append((height, value))
        self.size += 1

    def root(self) -> bytes:
        """The RFC 6962 root of the leaves added so far."""
        if not self._pending:
            return EMPTY_TREE_ROOT
        value = self._pending[-1][1]
        for _, left in reversed(self._pending[:-1]):
            value = _hash_children(left, value)
        return value


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """The root of the tree with these leaf hashes, in order (RFC 6962 MTH)."""
    accumulator = RootAccumulator()
    for leaf in leaf_hashes:
        accumulator.add(leaf)
    return accumulator.root()


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` implies for leaf ``index`` of a ``size``-leaf tree."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_size("leaf hash", leaf_hash)
    fn, sn, result = index, size - 1, bytes(leaf_hash)
    for position, sibling in enumerate(proof):
        _check_size(f"proof[{position}]", sibling)
        if sn == 0:
            raise ProofError(f"proof is too long: {len(proof)} hashes, only {position} used")
        if fn & 1 or fn == sn:
            result = _hash_children(sibling, result)
            # On the right edge of the tree a node can have no right sibling: climb
            # past those levels until this node is a right child again.
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = _hash_children(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"proof is too short: {len(proof)} hashes")
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf ``index`` is in the tree ``root``."""
    _check_size("root", root)
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(computed, root):
        raise ProofError(f"inclusion proof for leaf {index} of {size} gives a different root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise ``ProofError`` unless the tree (size1, root1) is a prefix of (size2, root2)."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"size1 ({size1}) must be between 0 and size2 ({size2})")
    if size1 == size2:
        _same_tree(size1, proof, root1, root2)
        return
    if size1 == 0:
        # Every tree extends the empty one; a "proof" of that is meaningless, and
        # accepting one would let a forged root2 through unchecked.
        raise ProofError("a consistency proof from the empty tree proves nothing")
    _check_size("root1", root1)
    _check_size("root2", root2)
    if not proof:
        raise ProofError("consistency proof is empty")
    for position, node in enumerate(proof):
        _check_size(f"proof[{position}]", node)
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        # The old tree is a perfect subtree of the new one: its root is the seed.
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old, new = path[0], path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            old = _hash_children(node, old)
            new = _hash_children(node, new)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            new = _hash_children(new, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if not hmac.compare_digest(old, root1):
        raise ProofError(f"consistency proof does not reproduce the root of size {size1}")
    if not hmac.compare_digest(new, root2):
        raise ProofError(f"consistency proof does not reproduce the root of size {size2}")


def _same_tree(size: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    if proof:
        raise ProofError("sizes are equal, so the consistency proof must be empty")
    if size == 0 and not (root1 == EMPTY_TREE_ROOT == root2):
        # Unlike transparency-dev/merkle, which compares the two roots only: the empty
        # tree has exactly one root, SHA-256(""), and anything else claimed for it is false.
        raise ProofError("the root of the empty tree is SHA-256 of the empty string")
    if not hmac.compare_digest(bytes(root1), bytes(root2)):
        raise ProofError(f"two different roots for the same size {size}")


def _check_size(label: str, value: object) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != SIZE:
        raise ProofError(f"{label} is not a {SIZE}-byte SHA-256 hash")
