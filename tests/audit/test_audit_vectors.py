"""Our own vectors (tests/vectors/audit/*.json) through the public API: the contract.

The first test checks that the committed files are exactly what the seeded generator
produces, so a format change cannot slip in without regenerating them. File formats:
docs/audit.md, section "Test vectors".
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from audit import (
    EntryError,
    NoteError,
    ProofError,
    decode,
    encode,
    leaf_hash,
    open_checkpoint,
    root_from_leaf_hashes,
    verify_bundle,
    verify_consistency,
    verify_cosignature,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "audit"
FILES = ("entries.json", "tree.json", "checkpoints.json", "bundles.json")


def load(name: str) -> dict:
    path = VECTORS / name
    assert path.is_file(), f"missing vector file {path}: a missing file is a failure"
    return json.loads(path.read_text(encoding="utf-8"))


def cases(name: str, prefix: str = "") -> object:
    tests = [t for t in load(name)["tests"] if t["name"].startswith(prefix)]
    return pytest.mark.parametrize("case", tests, ids=[test["name"] for test in tests])


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def test_committed_vectors_are_the_generators_output() -> None:
    spec = importlib.util.spec_from_file_location("audit_vectors_generate", VECTORS / "generate.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    files = generator.generate()
    assert files == generator.generate(), "the generator is not deterministic"
    assert set(files) == {path.name for path in VECTORS.glob("*.json")} == set(FILES)
    for name, text in files.items():
        assert (VECTORS / name).read_text(encoding="utf-8") == text, f"regenerate {name}"


def test_every_file_has_negatives_named_after_their_mutation() -> None:
    for name in FILES:
        tests = load(name)["tests"]
        assert len({t["name"] for t in tests}) == len(tests), f"{name}: names are unique"
        assert any(t["want_err"] for t in tests), f"{name} has no negative case"
        assert all(t["desc"] and t["source"] for t in tests)


@cases("entries.json")
def test_entries(case: dict) -> None:
    data = h(case["encoding"])
    if case["want_err"]:
        with pytest.raises(EntryError):
            decode(data)
        return
    entry = decode(data)
    assert entry.to_dict() == case["entry"]
    assert encode(entry) == data
    assert leaf_hash(data).hex() == case["leaf_hash"]


def test_tree_roots_from_the_leaves() -> None:
    tree = load("tree.json")
    hashes = [h(x) for x in tree["leaf_hashes"]]
    assert [leaf_hash(h(x)) for x in tree["leaves"]] == hashes
    for case in tree["tests"]:
        if case["name"].startswith("root-"):
            assert root_from_leaf_hashes(hashes[: case["size"]]).hex() == case["root"]


@cases("tree.json", "inclusion-")
def test_tree_inclusion(case: dict) -> None:
    def check() -> None:
        proof = [h(x) for x in case["proof"]]
        verify_inclusion(h(case["leaf_hash"]), case["index"], case["size"], proof, h(case["root"]))

    if case["want_err"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@cases("tree.json", "consistency-")
def test_tree_consistency(case: dict) -> None:
    def check() -> None:
        proof = [h(x) for x in case["proof"]]
        verify_consistency(case["size1"], case["size2"], proof, h(case["root1"]), h(case["root2"]))

    if case["want_err"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@cases("checkpoints.json")
def test_checkpoints(case: dict) -> None:
    meta = load("checkpoints.json")
    if case["want_err"]:
        with pytest.raises(NoteError):
            if case["kind"] == "cosignature":
                verify_cosignature(case["note"], meta["cosigner_verifier_key"])
            else:
                open_checkpoint(case["note"], meta["verifier_key"])
        return
    checkpoint = open_checkpoint(case["note"], meta["verifier_key"])
    expected = case["expected"]
    assert (checkpoint.origin, checkpoint.size, checkpoint.root.hex()) == (
        expected["origin"],
        expected["size"],
        expected["root"],
    )
    if "cosigner_time" in case:
        assert (
            verify_cosignature(case["note"], meta["cosigner_verifier_key"])
            == (case["cosigner_time"])
        )


@cases("bundles.json")
def test_bundles(case: dict) -> None:
    report = verify_bundle(case["bundle"], case["verifier_key"], case["last_known_checkpoint"])
    want = case["want_err"]
    if want is None:
        assert report.ok, str(report)
        return
    assert not report.ok
    problem = report.problem
    found = (problem.code, problem.line, problem.index)
    assert found == (want["code"], want["line"], want["index"]), str(report)
    assert problem.tampering == (want["code"] in ("fork", "rewritten"))
