"""Verifying an export bundle offline: the officer's check, line by line.

``verify_bundle`` reads the bundle once, in order, and stops at the first problem:

1. line 1 is the header; its verifier key must be the one the officer trusts;
2. entry lines carry indexes 0, 1, 2, … with no gap, repeat or swap; each body hashes
   (SHA-256 of 0x00 || body) to the leaf hash written next to it, so a changed entry is
   named by its index; an entry whose body was removed has only its leaf hash;
3. each checkpoint's signature verifies, sizes only grow, and two signed checkpoints
   of one size with different roots are reported as evidence of tampering;
4. each consistency proof links the previous checkpoint to the next;
5. the root recomputed from the leaf hashes equals each checkpoint's signed root, so a
   leaf hash changed together with its body is caught at the first checkpoint above it;
6. the last checkpoint covers every entry;
7. with ``last_known_checkpoint`` (a checkpoint the officer kept from before), the
   bundle must extend it: its root must be the root of the bundle's first entries.

Every line must be exactly as the writer makes it (canonical JSON, canonical base64),
so that no change to the file, however small, leaves the verdict unchanged.

Shares no code with the writing side: hashing and roots come from ``audit.verify``,
signatures from ``audit.note_verify``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from audit.errors import NoteError, ProofError
from audit.nesting import MAX_DEPTH, too_deep
from audit.note_verify import Checkpoint, VerifierKey, open_checkpoint, parse_verifier_key
from audit.verify import RootAccumulator, leaf_hash_of, root_from_leaf_hashes, verify_consistency

__all__ = ["PROBLEM_CODES", "Problem", "Report", "verify_bundle"]

FORMAT = "steuntje-audit-bundle/v1"
PROBLEM_CODES = (
    "malformed",  # a line that is not canonical JSON of a known kind
    "header",  # missing or wrong header, or a key other than the trusted one
    "order",  # lines of different kinds out of order
    "index",  # an entry missing, repeated, swapped or inserted
    "leaf-hash",  # an entry's body does not hash to its leaf hash
    "checkpoint",  # a checkpoint that is malformed or whose signature fails
    "checkpoint-size",  # checkpoint sizes not increasing, or beyond the entries
    "fork",  # two signed checkpoints of one size with different roots
    "consistency",  # a consistency proof missing, misplaced or failing
    "root",  # the entries' root differs from a signed root
    "unsigned",  # entries after the last checkpoint, or no checkpoint at all
    "last-known",  # the officer's kept checkpoint does not verify
    "rollback",  # the bundle is smaller than the officer's kept checkpoint
    "rewritten",  # the bundle does not extend the officer's kept checkpoint
)


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing wrong: a code from ``PROBLEM_CODES``, where, and why."""

    code: str
    line: int | None  # 1-based line of the bundle; None for the officer's own checkpoint
    index: int | None  # the entry concerned, when there is one
    reason: str
    tampering: bool = False  # signed evidence, not just a damaged file


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict on a bundle; ``ok`` is true only when nothing at all was wrong."""

    entries: int
    removed: int
    checkpoints: tuple[Checkpoint, ...]
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def latest(self) -> Checkpoint | None:
        """The largest verified checkpoint: the one to keep (and cosign) for next time."""
        return self.checkpoints[-1] if self.checkpoints else None

    def __str__(self) -> str:
        if self.problem is None:
            latest = self.latest
            size = latest.size if latest else 0
            return (
                f"OK: {self.entries} entries ({self.removed} without body), "
                f"{len(self.checkpoints)} checkpoint(s), latest size {size}"
            )
        where = [f"line {self.problem.line}"] if self.problem.line else []
        where += [f"entry {self.problem.index}"] if self.problem.index is not None else []
        flag = " [evidence of tampering]" if self.problem.tampering else ""
        place = ", ".join(where) or "your kept checkpoint"
        return f"FAILED ({self.problem.code}) at {place}: {self.problem.reason}{flag}"


def _refuse(text: str) -> None:
    raise ValueError("only integers")


# Built once: a bundle has a million lines, and building these per line costs 20 %.
_DECODER = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


def verify_bundle(
    lines: Iterable[str | bytes] | str,
    verifier_key: VerifierKey | str,
    last_known_checkpoint: str | None = None,
) -> Report:
    """Verify a bundle (its text, or its lines with their newlines) against the log key.

    Raises ``NoteError`` only if ``verifier_key`` itself is malformed; everything wrong
    with the bundle, or with ``last_known_checkpoint``, is reported in the ``Report``.
    """
    key = parse_verifier_key(verifier_key) if isinstance(verifier_key, str) else verifier_key
    reader = _Reader(key)
    try:
        kept = _kept_checkpoint(last_known_checkpoint, key)
        source = _split_text(lines) if isinstance(lines, str) else lines
        for number, line in enumerate(source, start=1):
            reader.read(number, line)
        reader.finish()
        if kept is not None:
            reader.check_extends(kept)
        problem = None
    except _Stop as stop:
        problem = stop.problem
    return Report(reader.entries, reader.removed, tuple(reader.checkpoints), problem)


def _kept_checkpoint(note: str | None, key: VerifierKey) -> Checkpoint | None:
    if note is None:
        return None
    try:
        return open_checkpoint(note, key)
    except NoteError as error:
        raise _Stop(Problem("last-known", None, None, f"your kept checkpoint: {error}")) from None


class _Reader:
    """The state of one pass over a bundle."""

    def __init__(self, key: VerifierKey) -> None:
        self.key = key
        self.entries = 0
        self.removed = 0
        self.checkpoints: list[Checkpoint] = []
        self.leaves = bytearray()  # 32 bytes per entry: 32 MB for a million
        self.accumulator = RootAccumulator()
        self.pending_proof: tuple[int, dict[str, Any]] | None = None
        self.last_line = 0

    def read(self, number: int, line: str | bytes) -> None:
        self.last_line = number
        data = _parse(number, line)
        kind = data.get("type")
        if number == 1:
            self._header(number, data)
        elif kind == "entry":
            self._entry(number, data)
        elif kind == "checkpoint":
            self._checkpoint(number, data)
        elif kind == "consistency":
            self._consistency(number, data)
        elif kind == "header":
            _stop("order", number, None, "a second header")
        else:
            _stop("malformed", number, None, "unknown line type")

    def _header(self, number: int, data: dict[str, Any]) -> None:
        if data.get("type") != "header":
            _stop("header", number, None, "the first line is not the header")
        _fields(number, data, {"type", "format", "origin", "verifier_key"})
        if data["format"] != FORMAT:
            _stop("header", number, None, f"unknown bundle format (this verifier reads {FORMAT})")
        try:
            named = parse_verifier_key(data["verifier_key"])
        except (NoteError, AttributeError):
            named = None
        if named != self.key or data["origin"] != self.key.name:
            _stop("header", number, None, "the bundle names another log or key than yours")

    def _entry(self, number: int, data: dict[str, Any]) -> None:
        if self.checkpoints or self.pending_proof:
            _stop("order", number, None, "an entry after the checkpoints")
        removed = "removed" in data
        _fields(number, data, {"type", "index", "leaf_hash", "removed" if removed else "body"})
        index = data["index"]
        if type(index) is not int or index != self.entries:
            _stop("index", number, self.entries, _index_reason(self.entries, index))
        leaf = _hash(number, data["leaf_hash"], f"entry {index} leaf_hash")
        if removed:
            if data["removed"] is not True:
                _stop("malformed", number, index, "removed is true or absent")
            self.removed += 1
        elif leaf_hash_of(_b64(number, data["body"], f"entry {index} body")) != leaf:
            reason = f"entry {index} was changed: its body does not hash to its leaf hash"
            _stop("leaf-hash", number, index, reason)
        self.leaves += leaf
        self.entries += 1

    def _checkpoint(self, number: int, data: dict[str, Any]) -> None:
        _fields(number, data, {"type", "note"})
        try:
            checkpoint = open_checkpoint(data["note"], self.key)
        except (NoteError, AttributeError) as error:
            _stop("checkpoint", number, None, f"checkpoint does not verify: {error}")
        previous = self.checkpoints[-1] if self.checkpoints else None
        if previous and checkpoint.size == previous.size and checkpoint.root != previous.root:
            reason = f"two signed checkpoints of size {checkpoint.size} with different roots"
            _stop("fork", number, None, reason + ": the log signed two histories", tampering=True)
        if previous and checkpoint.size <= previous.size:
            _stop("checkpoint-size", number, None, "checkpoint sizes must increase")
        if checkpoint.size > self.entries:
            reason = f"checkpoint of size {checkpoint.size}, but only {self.entries} entries"
            _stop("checkpoint-size", number, None, reason)
        self._check_link(number, previous, checkpoint)
        self._advance(checkpoint.size)
        if self.accumulator.root() != checkpoint.root:
            reason = (
                f"the root of entries 0..{checkpoint.size - 1} is not the signed root: an entry "
                "below that was changed, added, removed or reordered along with its leaf hash"
            )
            _stop("root", number, None, reason)
        self.checkpoints.append(checkpoint)

    def _check_link(self, number: int, previous: Checkpoint | None, current: Checkpoint) -> None:
        pending, self.pending_proof = self.pending_proof, None
        if previous is None or previous.size == 0:
            if pending is not None:
                _stop("consistency", pending[0], None, "a consistency proof with nothing to link")
            return
        if pending is None:
            _stop("consistency", number, None, "no consistency proof before this checkpoint")
        proof_line, proof = pending
        if proof["to"] != current.size:
            _stop("consistency", proof_line, None, "the proof is for another checkpoint size")
        try:
            sizes, roots = (previous.size, current.size), (previous.root, current.root)
            verify_consistency(*sizes, proof["proof"], *roots)
        except ProofError as error:
            _stop("consistency", proof_line, None, f"consistency proof fails: {error}")

    def _consistency(self, number: int, data: dict[str, Any]) -> None:
        _fields(number, data, {"type", "from", "to", "proof"})
        if not self.checkpoints or self.pending_proof is not None:
            _stop("order", number, None, "a consistency proof must follow a checkpoint")
        if type(data["from"]) is not int or type(data["to"]) is not int:
            _stop("malformed", number, None, "from and to are integers")
        if data["from"] != self.checkpoints[-1].size:
            _stop("consistency", number, None, "the proof starts from another checkpoint size")
        if not isinstance(data["proof"], list):
            _stop("malformed", number, None, "proof is a list of base64 hashes")
        hashes = [_hash(number, item, "proof hash") for item in data["proof"]]
        self.pending_proof = (number, {"to": data["to"], "proof": hashes})

    def _advance(self, size: int) -> None:
        while self.accumulator.size < size:
            start = self.accumulator.size * 32
            self.accumulator.add(bytes(self.leaves[start : start + 32]))

    def finish(self) -> None:
        if self.last_line == 0:
            _stop("header", 1, None, "the bundle is empty")
        if self.pending_proof is not None:
            reason = "the bundle ends after a proof, before its checkpoint: it was cut short"
            _stop("unsigned", self.pending_proof[0], None, reason)
        covered = self.checkpoints[-1].size if self.checkpoints else 0
        if not self.checkpoints or covered < self.entries:
            reason = (
                f"entries from {covered} on are not covered by any signed checkpoint "
                "(the bundle was cut short, or entries were added)"
            )
            if covered < self.entries:  # point at the first uncovered entry
                _stop("unsigned", covered + 2, covered, reason)
            _stop("unsigned", self.last_line + 1, None, reason)

    def check_extends(self, kept: Checkpoint) -> None:
        latest = self.checkpoints[-1]
        if kept.size > latest.size:
            reason = (
                f"you kept a checkpoint of size {kept.size}, but this bundle ends at "
                f"{latest.size}: it is older than your checkpoint, or the log was rolled back"
            )
            _stop("rollback", None, None, reason)
        leaves = self.leaves[: kept.size * 32]
        root = root_from_leaf_hashes(leaves[i : i + 32] for i in range(0, len(leaves), 32))
        if root != kept.root:
            reason = (
                f"the bundle's first {kept.size} entries do not give the root of the "
                "checkpoint you kept: the log was rewritten"
            )
            _stop("rewritten", None, None, reason, tampering=True)


def _stop(
    code: str, line: int | None, index: int | None, reason: str, tampering: bool = False
) -> NoReturn:
    raise _Stop(Problem(code, line, index, reason, tampering))


def _index_reason(expected: int, found: object) -> str:
    if type(found) is not int:
        return "index is not an integer"
    if found > expected:
        return f"expected entry {expected}, found {found}: entries are missing"
    return f"expected entry {expected}, found {found}: an entry is repeated or out of order"


def _parse(number: int, line: str | bytes) -> dict[str, Any]:
    if isinstance(line, bytes):  # a file opened in binary mode
        try:
            line = line.decode("ascii")
        except UnicodeDecodeError:
            _stop("malformed", number, None, "a bundle is ASCII")
    if not isinstance(line, str) or not line.endswith("\n"):
        _stop("malformed", number, None, "every line ends in a newline")
    text = line[:-1]
    if too_deep(text):  # the decoder would recurse into a RecursionError, not a verdict
        _stop("malformed", number, None, f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        data = _DECODER.decode(text)
    except ValueError:
        _stop("malformed", number, None, "not a JSON object")
    if not isinstance(data, dict):
        _stop("malformed", number, None, "not a JSON object")
    if _ENCODER.encode(data) != text:
        _stop("malformed", number, None, "not canonical JSON (order, spacing or escapes)")
    return data


def _fields(number: int, data: dict[str, Any], expected: set[str]) -> None:
    if set(data) != expected:
        reason = f"the fields of a {data.get('type')} line are {', '.join(sorted(expected))}"
        _stop("malformed", number, None, reason)


def _hash(number: int, text: object, label: str) -> bytes:
    raw = _b64(number, text, label)
    if len(raw) != 32:
        _stop("malformed", number, None, f"{label} is not a 32-byte hash")
    return raw


def _b64(number: int, text: object, label: str) -> bytes:
    try:
        if not isinstance(text, str):
            raise ValueError("not a string")
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        _stop("malformed", number, None, f"{label} is not base64")
    if base64.b64encode(raw).decode("ascii") != text:
        _stop("malformed", number, None, f"{label} is not canonical base64")
    return raw


def _split_text(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1
