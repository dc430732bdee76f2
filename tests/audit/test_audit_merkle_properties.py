"""Property tests over random trees: what the appending side makes, the verifier accepts,
and a single flipped bit anywhere is refused. Plus the O(log n) storage model."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import (
    EMPTY_ROOT,
    Frontier,
    MemoryNodeStore,
    ProofError,
    TreeError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

SETTINGS = settings(max_examples=60, deadline=None)


def naive_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH straight from its recursive definition: the oracle."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


def build(size: int, salt: int = 0) -> tuple[list[bytes], MemoryNodeStore, Frontier]:
    leaves = [leaf_hash(f"{salt}/{i}".encode()) for i in range(size)]
    store, frontier = MemoryNodeStore(), Frontier()
    for leaf in leaves:
        frontier, nodes = frontier.appended(leaf)
        store.add(nodes)
    return leaves, store, frontier


def flip(data: bytes, bit: int) -> bytes:
    mutable = bytearray(data)
    mutable[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutable)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int, int]:
    size = draw(st.integers(1, 300))
    return size, draw(st.integers(0, size - 1)), draw(st.integers(0, 3))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int, int]:
    size2 = draw(st.integers(1, 300))
    return draw(st.integers(1, size2)), size2, draw(st.integers(0, 3))


@SETTINGS
@given(st.integers(0, 300), st.integers(0, 3))
def test_every_way_of_computing_the_root_agrees(size: int, salt: int) -> None:
    leaves, store, frontier = build(size, salt)
    expected = naive_root(leaves)
    assert frontier.root() == root_at(size, store) == root_from_leaf_hashes(leaves) == expected
    assert Frontier.from_store(size, store) == frontier


@SETTINGS
@given(tree_and_index(), st.data())
def test_every_inclusion_proof_verifies_and_any_flipped_bit_fails(args, data) -> None:
    size, index, salt = args
    leaves, store, frontier = build(size, salt)
    proof = inclusion_proof(index, size, store)
    verify_inclusion(leaves[index], index, size, proof, frontier.root())
    # One flipped bit in the leaf, the root or any proof hash must be refused.
    parts = [leaves[index], frontier.root(), *proof]
    part = data.draw(st.integers(0, len(parts) - 1))
    parts[part] = flip(parts[part], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_inclusion(parts[0], index, size, parts[2:], parts[1])


@SETTINGS
@given(two_sizes(), st.data())
def test_every_consistency_proof_verifies_and_any_flipped_bit_fails(args, data) -> None:
    size1, size2, salt = args
    _, store, _ = build(size2, salt)
    root1, root2 = root_at(size1, store), root_at(size2, store)
    proof = consistency_proof(size1, size2, store)
    verify_consistency(size1, size2, proof, root1, root2)
    parts = [root1, root2, *proof]
    part = data.draw(st.integers(0, len(parts) - 1))
    parts[part] = flip(parts[part], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, parts[2:], parts[0], parts[1])


@SETTINGS
@given(two_sizes())
def test_a_different_history_is_never_consistent(args) -> None:
    size1, size2, salt = args
    _, old, _ = build(size1, salt)
    _, new, _ = build(size2, salt + 10)  # another log entirely
    proof = consistency_proof(size1, size2, new)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, root_at(size1, old), root_at(size2, new))


def test_appending_completes_one_node_per_carry() -> None:
    frontier, stored = Frontier(), []
    for i in range(8):
        frontier, nodes = frontier.appended(leaf_hash(bytes([i])))
        stored.append([(n.level, n.index) for n in nodes])
    assert stored[6] == [(0, 6)]
    assert stored[7] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert len(frontier.hashes) == 1 and frontier.size == 8


def test_a_frontier_is_immutable_so_a_rollback_keeps_the_old_one() -> None:
    _, _, frontier = build(5)
    newer, _ = frontier.appended(leaf_hash(b"x"))
    assert frontier.size == 5 and newer.size == 6 and frontier.root() != newer.root()


def test_requests_beyond_the_tree_are_refused() -> None:
    _, store, _ = build(5)
    for call in (
        lambda: inclusion_proof(5, 5, store),
        lambda: inclusion_proof(0, 6, store),
        lambda: consistency_proof(4, 3, store),
        lambda: consistency_proof(0, 3, store),
        lambda: root_at(-1, store),
        lambda: store(3, 0),
        lambda: Frontier(3, ()),
        lambda: Frontier().appended(b"short"),
        lambda: store.add([Frontier().appended(leaf_hash(b""))[1][0]]),  # index 0 again
    ):
        with pytest.raises(TreeError):
            call()
    assert consistency_proof(3, 3, store) == [] and root_at(0, store) == EMPTY_ROOT


def test_proofs_read_only_a_logarithmic_number_of_nodes() -> None:
    _, store, _ = build(1000)
    reads = []

    def counting(level: int, index: int) -> bytes:
        reads.append((level, index))
        return store(level, index)

    inclusion_proof(617, 1000, counting)
    assert len(reads) <= 2 * 10
    reads.clear()
    consistency_proof(333, 1000, counting)
    assert len(reads) <= 2 * 10
    reads.clear()
    Frontier.from_store(1000, counting)
    assert len(reads) == (1000).bit_count()
