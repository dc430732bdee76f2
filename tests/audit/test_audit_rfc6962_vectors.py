"""RFC 6962 hashing and proofs against transparency-dev/merkle's published vectors.

Every file under tests/vectors/third_party/transparency-dev-merkle/testdata/ (inclusion/
and consistency/; SOURCE.txt there names the upstream commit) is run: the happy paths
must verify, every mutated copy (``modified-proof@0-bit-@4``, ``wrong-root1``,
``trailing-garbage``, ...) must fail. A missing directory or file is a test failure,
never a skip. Proof *generation* must reproduce the happy-path proofs from the canonical
8-leaf RFC 6962 test tree.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from audit import (
    EMPTY_ROOT,
    Frontier,
    MemoryNodeStore,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "third_party"
TESTDATA = VECTORS / "transparency-dev-merkle" / "testdata"
# The leaves of the RFC 6962 test tree the vectors were generated from (SOURCE.txt).
LEAVES = [
    b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70)),
]  # fmt: skip
# The file counts of the copied snapshot: a vector that disappears is a failure.
EXPECTED_FILES = {"inclusion": 98, "consistency": 98}


def vector_files(kind: str) -> list[Path]:
    """The files of one kind. None is an error at collection, which pytest reports as a
    failure: an empty parameter list would otherwise be a quiet skip."""
    files = sorted((TESTDATA / kind).rglob("*.json"))
    assert files, f"no {kind} vectors in {TESTDATA} (see tests/vectors/third_party/README.md)"
    return files


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def b64(text: str) -> bytes:
    return base64.b64decode(text) if text else b""


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(TESTDATA)) for path in paths]


def test_the_vector_files_are_all_there() -> None:
    assert TESTDATA.is_dir(), f"missing {TESTDATA}: the published vectors are required"
    assert (TESTDATA.parent / "SOURCE.txt").is_file(), "the vectors' provenance is required"
    for kind, count in EXPECTED_FILES.items():
        files = vector_files(kind)
        assert len(files) == count, f"{kind}: {len(files)} files, expected {count}"
        assert any(load(p)["wantErr"] for p in files) and any(not load(p)["wantErr"] for p in files)


@pytest.mark.parametrize("path", vector_files("inclusion"), ids=ids(vector_files("inclusion")))
def test_inclusion_vector(path: Path) -> None:
    case = load(path)
    proof = [b64(p) for p in case["proof"] or []]

    def check() -> None:
        verify_inclusion(
            b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, b64(case["root"])
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", vector_files("consistency"), ids=ids(vector_files("consistency")))
def test_consistency_vector(path: Path) -> None:
    case = load(path)
    proof = [b64(p) for p in case["proof"] or []]

    def check() -> None:
        verify_consistency(
            case["size1"], case["size2"], proof, b64(case["root1"]), b64(case["root2"])
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


def rfc_tree() -> MemoryNodeStore:
    store, frontier = MemoryNodeStore(), Frontier()
    for leaf in LEAVES:
        frontier, nodes = frontier.appended(leaf_hash(leaf))
        store.add(nodes)
    return store


def happy_paths(kind: str) -> list[Path]:
    paths = sorted((TESTDATA / kind).glob("[0-9]/happy-path.json"))
    assert paths, f"no happy-path files under {TESTDATA / kind}"
    return paths


@pytest.mark.parametrize("path", happy_paths("inclusion"), ids=ids(happy_paths("inclusion")))
def test_generation_reproduces_inclusion_happy_path(path: Path) -> None:
    case, store = load(path), rfc_tree()
    index, size = case["leafIdx"], case["treeSize"]
    assert leaf_hash(LEAVES[index]) == b64(case["leafHash"])
    assert root_at(size, store) == b64(case["root"])
    assert inclusion_proof(index, size, store) == [b64(p) for p in case["proof"] or []]


@pytest.mark.parametrize("path", happy_paths("consistency"), ids=ids(happy_paths("consistency")))
def test_generation_reproduces_consistency_happy_path(path: Path) -> None:
    case, store = load(path), rfc_tree()
    size1, size2 = case["size1"], case["size2"]
    assert root_at(size1, store) == b64(case["root1"])
    assert root_at(size2, store) == b64(case["root2"])
    assert consistency_proof(size1, size2, store) == [b64(p) for p in case["proof"] or []]


def test_rfc6962_root_of_the_test_tree_and_the_empty_tree() -> None:
    # The 8-leaf root from RFC 6962's reference test data (also in the vectors above).
    expected = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert root_at(8, rfc_tree()).hex() == expected
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
