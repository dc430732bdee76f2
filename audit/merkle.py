"""The appending side of the RFC 6962 Merkle tree: leaf hashes, roots, proofs.

Hashing is RFC 6962 section 2.1, domain-separated so a leaf can never pass for a node::

    leaf hash = SHA-256(0x00 || entry bytes)
    node hash = SHA-256(0x01 || left || right)
    root of the empty tree = SHA-256("")

Nothing here holds the log in memory. The tree is addressed as perfect subtrees: node
``(level, index)`` is the hash of the ``2**level`` leaves starting at ``index << level``
(level 0 is the leaf hashes themselves). Appending a leaf completes at most one node
per level, and ``Frontier.appended`` returns exactly those, so the relay can write them
to a table (``audit_nodes(level, index, hash)``, about two rows per entry) in the same
transaction as the entry. Roots and proofs then need O(log n) node reads through a
``NodeReader``, a plain ``(level, index) -> hash`` callable over that table. The
``Frontier`` itself, the perfect subtrees that make up the whole tree, is O(log n) too:
appending and taking the current root never touch old leaves.

Proofs follow RFC 6962 sections 2.1.1 (audit path) and 2.1.2 (consistency), hash for
hash, so any RFC 6962 verifier accepts them. Verification is in ``audit.verify``, which
shares no code with this module (STYLE.md rule 15).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from audit.errors import TreeError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "MemoryNodeStore",
    "Node",
    "NodeReader",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_at",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
NodeReader = Callable[[int, int], bytes]


def leaf_hash(entry_bytes: bytes) -> bytes:
    """RFC 6962 leaf hash of one entry's canonical bytes."""
    return hashlib.sha256(b"\x00" + entry_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True, slots=True)
class Node:
    """A completed perfect subtree: ``2**level`` leaves from ``index << level``."""

    level: int
    index: int
    hash: bytes


@dataclass(frozen=True, slots=True)
class Frontier:
    """The roots of the perfect subtrees that make up a tree of ``size`` leaves.

    One hash per set bit of ``size``, largest subtree first (a "compact range" of
    ``[0, size)``). Immutable: ``appended`` returns a new frontier, so a transaction
    that rolls back simply keeps the old one.
    """

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.hashes) != self.size.bit_count():
            raise TreeError("a frontier holds one hash per set bit of its size")
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise TreeError(f"frontier hashes are {HASH_SIZE} bytes")

    @classmethod
    def from_store(cls, size: int, node: NodeReader) -> Frontier:
        """Rebuild the frontier of a stored tree from ``popcount(size)`` node reads."""
        hashes, start = [], 0
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                hashes.append(node(level, start >> level))
                start += 1 << level
        return cls(size, tuple(hashes))

    def appended(self, leaf: bytes) -> tuple[Frontier, list[Node]]:
        """Add one leaf hash; return the new frontier and every node it completed."""
        if len(leaf) != HASH_SIZE:
            raise TreeError(f"a leaf hash is {HASH_SIZE} bytes")
        completed = [Node(0, self.size, leaf)]
        stack, carry, level = list(self.hashes), leaf, 0
        # Each trailing 1-bit of the old size is a perfect subtree of the same height
        # as ``carry``: merge them, as binary addition carries.
        while self.size >> level & 1:
            carry = node_hash(stack.pop(), carry)
            level += 1
            completed.append(Node(level, self.size >> level, carry))
        stack.append(carry)
        return Frontier(self.size + 1, tuple(stack)), completed

    def root(self) -> bytes:
        """Root hash of the whole tree (RFC 6962 MTH), in O(log size)."""
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result


class MemoryNodeStore:
    """An in-memory ``NodeReader``: the reference for the relay's ``audit_nodes`` table.

    One ``bytearray`` per level, so a million leaves cost about 64 MB rather than the
    150 MB two million ``bytes`` objects would.
    """

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    def add(self, nodes: Iterable[Node]) -> None:
        """Store completed nodes; each level must grow in index order, as appends do."""
        for item in nodes:
            while len(self._levels) <= item.level:
                self._levels.append(bytearray())
            level = self._levels[item.level]
            if len(level) != item.index * HASH_SIZE:
                raise TreeError("nodes must be added in the order appends complete them")
            level += item.hash

    def __call__(self, level: int, index: int) -> bytes:
        """The hash of node ``(level, index)``; ``TreeError`` if it is not complete."""
        start = index * HASH_SIZE
        if not 0 <= level < len(self._levels) or not 0 <= start < len(self._levels[level]):
            raise TreeError(f"no node at level {level}, index {index}")
        return bytes(self._levels[level][start : start + HASH_SIZE])

    def size(self) -> int:
        """Number of leaves stored."""
        return len(self._levels[0]) // HASH_SIZE if self._levels else 0


def root_at(size: int, node: NodeReader) -> bytes:
    """Root of the first ``size`` leaves, from O(log size) node reads."""
    if size < 0:
        raise TreeError("a tree size is not negative")
    return EMPTY_ROOT if size == 0 else _range_hash(0, size, node)


def inclusion_proof(index: int, size: int, node: NodeReader) -> list[bytes]:
    """RFC 6962 audit path PATH(index, D[0:size]), lowest level first."""
    if not 0 <= index < size:
        raise TreeError(f"leaf {index} is not in a tree of {size} leaves")
    proof: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting the sibling of each subtree on the path;
    # the audit path lists them from the leaf upwards, hence the insert at 0.
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            proof.insert(0, _range_hash(split, end, node))
            end = split
        else:
            proof.insert(0, _range_hash(start, split, node))
            start = split
    return proof


def consistency_proof(size1: int, size2: int, node: NodeReader) -> list[bytes]:
    """RFC 6962 PROOF(size1, D[0:size2]): the tree of size1 is a prefix of size2."""
    if not 0 <= size1 <= size2:
        raise TreeError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        return []
    if size1 == 0:
        raise TreeError("a consistency proof from the empty tree proves nothing")
    proof: list[bytes] = []
    start, end, whole = 0, size2, True
    # SUBPROOF(m, D[start:end], b) of RFC 6962 section 2.1.2, unrolled; ``m`` is
    # ``size1 - start`` and ``whole`` is b (the subtree is the original size1 tree).
    while size1 - start != end - start:
        split = start + _largest_power_of_two_below(end - start)
        if size1 <= split:
            proof.insert(0, _range_hash(split, end, node))
            end = split
        else:
            proof.insert(0, _range_hash(start, split, node))
            start, whole = split, False
    if not whole:
        proof.insert(0, _range_hash(start, end, node))
    return proof


def _range_hash(start: int, end: int, node: NodeReader) -> bytes:
    """MTH of leaves [start, end); the left part of every split is a stored node."""
    width = end - start
    if width & (width - 1) == 0 and start % width == 0:
        level = width.bit_length() - 1
        return node(level, start >> level)
    split = start + _largest_power_of_two_below(width)
    return node_hash(_range_hash(start, split, node), _range_hash(split, end, node))


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly less than ``n`` (RFC 6962's k), for n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)
