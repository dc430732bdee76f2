"""Micro-benchmark of the audit core: the one module here that reads a clock.

``run(n)`` appends ``n`` leaves, makes proofs at that size and verifies an ``n``-entry
bundle, and returns the figures as a dict. The clock is a parameter too
(``time.perf_counter`` by default), so a test can run it with a fake one.

    python -c "from audit.bench import run; print(run(1_000_000))"

(No ``__main__`` here: the package prints nothing; the CLI can present the dict.)
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable

from audit.bundle import bundle_lines
from audit.bundle_verify import verify_bundle
from audit.checkpoint import log_verifier_key, sign_checkpoint
from audit.entry import Actor, AuditEntry, AuditObject, Authorisation, Source, decode, encode
from audit.merkle import (
    Frontier,
    MemoryNodeStore,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
)
from audit.pseudonym import pseudonym

__all__ = ["run", "typical_entry"]

ORIGIN = "bench.steuntje.invalid/audit"
DISTINCT_BODIES = 1000  # encoded once and cycled: the tree figures are about hashing


def typical_entry(time_s: int, seed: int) -> AuditEntry:
    """A representative entry: a worker adds a caregiver to a case, every field used."""
    key = random.Random(seed).randbytes(32)
    return AuditEntry(
        event="case.member_added",
        action="U",
        time=time_s,
        outcome="success",
        actor=Actor("worker", "user", pseudonym(key, "acc_worker")),
        source=Source("org_" + "Q" * 22, "relay-1", "0.1.0"),
        access_point=pseudonym(key, "device"),
        objects=(
            AuditObject("case", pseudonym(key, "case")),
            AuditObject("account", pseudonym(key, "acc_caregiver")),
        ),
        authorisation=Authorisation("case-membership", 2),
        checks={"authentication": "pass", "authorisation": "pass", "membership": "pass"},
    )


def run(n: int = 1_000_000, clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Measure appending, proving and bundle verification at ``n`` leaves."""
    if n < 2:
        raise ValueError("n must be at least 2")
    figures: dict[str, float] = {"n": n}
    entries = [typical_entry(1767225600 + i, i) for i in range(DISTINCT_BODIES)]
    started = clock()
    for entry in entries:
        dataclasses.replace(entry, time=entry.time + 1)  # runs every field check again
    figures["validate_entries_per_s"] = DISTINCT_BODIES / _since(clock, started)
    started = clock()
    bodies = [encode(entry) for entry in entries]
    figures["encode_entries_per_s"] = DISTINCT_BODIES / _since(clock, started)
    started = clock()
    for body in bodies:
        decode(body)  # parse, validate every field, re-encode to check canonical form
    figures["decode_entries_per_s"] = DISTINCT_BODIES / _since(clock, started)

    store, frontier, started = MemoryNodeStore(), Frontier(), clock()
    for i in range(n):
        frontier, nodes = frontier.appended(leaf_hash(bodies[i % DISTINCT_BODIES]))
        store.add(nodes)
    figures["append_leaves_per_s"] = n / _since(clock, started)
    body_bytes = sum(map(len, bodies)) / len(bodies)
    node_bytes = 32 * (2 * n - n.bit_count()) / n  # every completed node, leaves included
    figures["entry_bytes"] = body_bytes
    figures["stored_bytes_per_entry"] = body_bytes + node_bytes

    picks = random.Random(n).sample(range(n), min(n, 200))
    started = clock()
    for index in picks:
        inclusion_proof(index, n, store)
    figures["inclusion_proof_ms"] = 1000 * _since(clock, started) / len(picks)
    started = clock()
    for index in picks:
        consistency_proof(max(index, 1), n, store)
    figures["consistency_proof_ms"] = 1000 * _since(clock, started) / len(picks)

    key = random.Random(0).randbytes(32)
    half = n // 2
    checkpoints = [
        (half, sign_checkpoint(ORIGIN, half, root_at(half, store), key)),
        (n, sign_checkpoint(ORIGIN, n, frontier.root(), key)),
    ]
    vkey = log_verifier_key(ORIGIN, key)

    def lines():  # regenerated on demand: a million lines are never held at once
        rows = ((i, bodies[i % DISTINCT_BODIES], store(0, i)) for i in range(n))
        return bundle_lines(ORIGIN, vkey, rows, checkpoints, store)

    started = clock()
    size = sum(len(line) for line in lines())
    write_s = _since(clock, started)
    started = clock()
    report = verify_bundle(lines(), vkey)
    figures["bundle_write_s"] = write_s
    figures["bundle_verify_s"] = _since(clock, started) - write_s
    figures["bundle_bytes"] = size
    figures["bundle_ok"] = float(report.ok)
    return figures


def _since(clock: Callable[[], float], started: float) -> float:
    return max(clock() - started, 1e-9)
