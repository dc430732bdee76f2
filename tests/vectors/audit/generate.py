"""Generate the audit log's test vectors: tests/vectors/audit/*.json.

    python tests/vectors/audit/generate.py           # rewrite the JSON files
    python tests/vectors/audit/generate.py --check   # exit 1 if a committed file differs

Deterministic: no clock, no os.urandom. Every key comes from ``Stream(name)``, whose
block ``i`` is ``SHA-256(SEED || 0x00 || name || 0x00 || u64be(i))``; Ed25519 is
deterministic (RFC 8032), so two runs give identical files, which
tests/audit/test_audit_vectors.py asserts. The keys here are test keys, printed in
the files on purpose; never use them for anything else.

Provenance: outputs are computed by this repository's ``audit`` package. They are
checked independently: the Merkle code against transparency-dev/merkle's published
vectors, the note code against the C2SP signed-note example, and the expected *error
location* of every bundle negative is computed here from the bundle's layout (header
on line 1, entry i on line i + 2, then checkpoints and proofs), not by running the
verifier. Formats: docs/audit.md, section "Test vectors".
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # run as a script from anywhere in the checkout

from audit import (  # noqa: E402
    Actor,
    AuditEntry,
    AuditObject,
    Authorisation,
    Change,
    Frontier,
    MemoryNodeStore,
    Source,
    bundle_lines,
    consistency_proof,
    cosign,
    cosigner_verifier_key,
    encode,
    inclusion_proof,
    leaf_hash,
    log_verifier_key,
    pseudonym,
    root_at,
    sign_checkpoint,
)
from audit.checkpoint import sign_note  # noqa: E402

SEED = b"steuntje audit test vectors v1"
T0 = 1767225600  # 2026-01-01T00:00:00Z
SOURCE = "steuntje tests/vectors/audit/generate.py (seeded), checked by tests/audit"
ORIGIN = "audit.steuntje.test/org-1"
OFFICER = "officer.steuntje.test/anna"
TREE_SIZES = 16
BUNDLE_ENTRIES = 12
BUNDLE_CHECKPOINTS = (4, 8, 12)


class Stream:
    """Seeded byte stream (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self._name, self._counter, self._buffer = name.encode(), 0, b""

    def __call__(self, size: int) -> bytes:
        while len(self._buffer) < size:
            block = SEED + b"\x00" + self._name + b"\x00" + self._counter.to_bytes(8, "big")
            self._buffer += hashlib.sha256(block).digest()
            self._counter += 1
        value, self._buffer = self._buffer[:size], self._buffer[size:]
        return value


def flip(data: bytes, bit: int) -> bytes:
    """Flip bit ``bit`` of ``data``, counting from bit 0 of byte 0 (value 1 << bit % 8)."""
    mutable = bytearray(data)
    mutable[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutable)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def case(name: str, desc: str, want_err: object = None, **fields: object) -> dict:
    return {"name": name, "desc": desc, "source": SOURCE, "want_err": want_err, **fields}


def vector_file(name: str, description: str, tests: list[dict], **extra: object) -> dict:
    return {
        "schema": f"steuntje-audit/{name}/v1",
        "description": description,
        "generator": "tests/vectors/audit/generate.py",
        **extra,
        "tests": tests,
    }


# --- entries ---------------------------------------------------------------------------

ORG_ID = "org_" + base64.urlsafe_b64encode(Stream("organisation")(16)).decode().rstrip("=")
ORG = Source(ORG_ID, "relay-1", "0.1.0")


def person(name: str) -> str:
    """The pseudonym of a made-up subject, from its own seeded subject key."""
    return pseudonym(Stream(f"subject/{name}")(32), f"acc_{name}")


def sample_entry(number: int) -> AuditEntry:
    """Entry ``number`` of the sample log: a cycle through representative events."""
    worker, caregiver, officer = person("worker"), person("caregiver"), person("officer")
    device = pseudonym(Stream("subject/worker")(32), "device-1")
    case_ps = pseudonym(Stream("subject/case")(32), f"case_{number % 3}")
    user = Actor("worker", "user", worker)
    common = {"time": T0 + 60 * number, "source": ORG, "access_point": device}
    kinds = [
        dict(event="account.registered", action="C", outcome="success", actor=user,
             objects=(AuditObject("account", caregiver),),
             authorisation=Authorisation("onboarding", 1)),
        dict(event="case.member_added", action="U", outcome="success", actor=user,
             objects=(AuditObject("case", case_ps), AuditObject("account", caregiver)),
             authorisation=Authorisation("case-membership", 2),
             checks={"authentication": "pass", "membership": "pass"}),
        dict(event="audit.queried", action="E", outcome="success",
             actor=Actor("officer", "user", officer), reason="routine_review",
             query={"object": caregiver, "since": T0 - 86400}, counts={"entries": 7}),
        dict(event="device.revoked", action="D", outcome="denied", actor=user,
             objects=(AuditObject("device", device),),
             checks={"authorisation": "fail"}),
        dict(event="case.handed_over", action="U", outcome="success", actor=user,
             on_behalf_of=caregiver, reason="staff_change",
             objects=(AuditObject("case", case_ps), AuditObject("account", worker))),
        dict(event="purge.ran", action="D", outcome="success",
             actor=Actor("system", "system"), access_point=None,
             counts={"envelopes": 1200 + number, "prekeys": 3}),
    ]  # fmt: skip
    fields = {**common, **kinds[number % len(kinds)]}
    return AuditEntry(**fields)


def change_entries() -> list[tuple[str, str, AuditEntry]]:
    """Entries with before/after values (issue 19 item 2); not in the sample log, so the
    tree and bundle vectors stay as they were."""
    admin = Actor("admin", "user", person("admin"))
    common = {"source": ORG, "access_point": pseudonym(Stream("subject/admin")(32), "device-a")}
    policy = dict(
        event="policy.changed",
        action="U",
        time=T0 + 3600,
        outcome="success",
        actor=admin,
        objects=(AuditObject("policy", pseudonym(Stream("subject/policy")(32), "org:x")),),
        reason="policy_update",
        change=(
            Change("envelope_lifetime.default", 14 * 86400, 7 * 86400),
            Change("recovery_issuers", "case_workers", "case_workers_with_approval"),
        ),
    )
    status = dict(
        event="account.status_changed",
        action="U",
        time=T0 + 7200,
        outcome="success",
        actor=admin,
        objects=(AuditObject("account", person("worker")),),
        reason="left_organisation",
        change=(Change("account.status", "active", "disabled"),),
    )
    return [
        ("policy.changed-with-change",
         "A policy change naming two settings with their values before and after.",
         AuditEntry(**common, **policy)),
        ("account.status_changed-with-change",
         "An account disabled: its status before and after.", AuditEntry(**common, **status)),
    ]  # fmt: skip


def entries_vectors() -> dict:
    tests = []
    samples = [(None, None, sample_entry(number)) for number in range(6)]
    for number, (name, desc, entry) in enumerate(samples + change_entries()):
        tests.append(
            case(
                name or f"{entry.event}-{number}",
                desc or f"A valid {entry.event} entry: its canonical bytes and leaf hash.",
                entry=entry.to_dict(),
                encoding=encode(entry).hex(),
                leaf_hash=leaf_hash(encode(entry)).hex(),
            )
        )
    good = encode(sample_entry(1))
    body = json.loads(good.split(b"\n", 1)[1])
    prefix = b"steuntje-audit-entry-v1\n"

    def spelled(data: object, **options: object) -> bytes:
        settings = {"sort_keys": True, "separators": (",", ":"), **options}
        return prefix + json.dumps(data, **settings).encode()

    def changed(**fields: object) -> bytes:
        return spelled({**body, **fields})

    policy_body = change_entries()[0][2].to_dict()

    ipv6 = "2001:db8::1"
    token = b64(Stream("token")(32))
    negatives = [
        ("prefix-v2", "Domain prefix says v2.", b"steuntje-audit-entry-v2\n" + good[len(prefix) :]),
        ("prefix-missing", "No domain prefix.", good[len(prefix) :]),
        ("keys-unsorted", "Same entry, keys in reverse order.",
         spelled(dict(reversed(body.items())), sort_keys=False)),
        ("space-after-colon", "Insignificant whitespace.", spelled(body, separators=(",", ": "))),
        ("trailing-newline", "A newline after the JSON.", good + b"\n"),
        ("unicode-escape-in-key", "The key event spelled with a \\u escape.",
         good.replace(b'"event"', b'"\\u0065vent"')),
        ("time-float", "time written as 1767225660.0.", changed(time=float(body["time"]))),
        ("time-exponent", "time written with an exponent.",
         good.replace(str(body["time"]).encode(), b"1.76722566e9")),
        ("time-string", "time as a string.", changed(time=str(body["time"]))),
        ("time-negative", "time before 1970.", changed(time=-1)),
        ("duplicate-key-outcome", "outcome appears twice.",
         good.replace(b'"outcome":"success"', b'"outcome":"denied","outcome":"success"')),
        ("extra-field-ip", "An extra field ip with an address.", changed(ip="192.0.2.7")),
        ("extra-field-content", "An extra field with message text.", changed(content="hoi")),
        ("access-point-ipv4", "access_point is an IPv4 address.",
         changed(access_point="192.0.2.7")),
        ("access-point-ipv6", "access_point is an IPv6 address.", changed(access_point=ipv6)),
        ("actor-pseudonym-base64-token", "actor.pseudonym is a base64 token.",
         changed(actor={**body["actor"], "pseudonym": token})),
        ("object-pseudonym-device-id", "An object's pseudonym is a raw device id.",
         changed(objects=[{"type": "case", "pseudonym": token.rstrip("=")[:43]}])),
        ("actor-pseudonym-upper-case", "Pseudonym in upper case.",
         changed(actor={**body["actor"], "pseudonym": body["actor"]["pseudonym"].upper()})),
        ("event-unknown", "An event code not on the list.", changed(event="prekeys.fetched")),
        ("action-mismatch", "case.member_added with action D.", changed(action="D")),
        ("reason-free-text", "A reason in prose.", changed(reason="asked by Jan")),
        ("null-optional-field", "on_behalf_of written as null.", changed(on_behalf_of=None)),
        ("objects-empty", "An empty objects list.", changed(objects=[])),
        ("version-bool", "authorisation.version is true.",
         changed(authorisation={"policy": "case-membership", "version": True})),
        ("not-utf8", "A byte that is not UTF-8.", good.replace(b"relay-1", b"relay-\xff")),
        ("change-on-member-added", "A change on an event that takes none.",
         changed(change=[{"field": "account.status", "before": "active", "after": "revoked"}])),
        ("change-value-free-text", "A change whose value is prose (a name).",
         spelled({**policy_body, "change": [
             {"field": "recovery_issuers", "before": "case_workers", "after": "Jan Jansen"}]})),
        ("change-field-unknown", "A change naming a field not on the list.",
         spelled({**policy_body, "change": [
             {"field": "display_name", "before": 1, "after": 2}]})),
        ("change-value-float", "A change whose value is a fraction.",
         spelled({**policy_body, "change": [
             {"field": "invite_grace", "before": 1.5, "after": 2}]})),
        ("change-extra-key", "A change item with an extra key.",
         spelled({**policy_body, "change": [
             {"field": "invite_grace", "before": 1, "after": 2, "name": "x"}]})),
        ("change-same-values", "A change whose before and after are equal.",
         spelled({**policy_body, "change": [
             {"field": "invite_grace", "before": 2, "after": 2}]})),
        ("change-empty", "change written as an empty list.",
         spelled({**policy_body, "change": []})),
    ]  # fmt: skip
    for name, desc, data in negatives:
        tests.append(case(name, desc, "EntryError", encoding=data.hex()))
    return vector_file("entries", "Canonical entry bytes, and bytes decode() refuses.", tests)


# --- tree ------------------------------------------------------------------------------


def build_tree(bodies: list[bytes]) -> tuple[MemoryNodeStore, Frontier]:
    store, frontier = MemoryNodeStore(), Frontier()
    for body in bodies:
        frontier, nodes = frontier.appended(leaf_hash(body))
        store.add(nodes)
    return store, frontier


def tree_vectors() -> dict:
    bodies = [encode(sample_entry(number)) for number in range(TREE_SIZES)]
    store, _ = build_tree(bodies)
    roots = [root_at(size, store) for size in range(TREE_SIZES + 1)]
    tests = [
        case(f"root-{size}", f"Root of the first {size} leaves.", size=size, root=roots[size].hex())
        for size in range(TREE_SIZES + 1)
    ]
    for size in range(1, TREE_SIZES + 1):
        for index in range(size):
            proof = [h.hex() for h in inclusion_proof(index, size, store)]
            tests.append(case(f"inclusion-{index}-of-{size}", "Audit path.", index=index,
                              size=size, leaf_hash=leaf_hash(bodies[index]).hex(),
                              root=roots[size].hex(), proof=proof))  # fmt: skip
    for size2 in range(1, TREE_SIZES + 1):
        for size1 in range(1, size2):
            proof = [h.hex() for h in consistency_proof(size1, size2, store)]
            tests.append(case(f"consistency-{size1}-to-{size2}", "Consistency proof.",
                              size1=size1, size2=size2, root1=roots[size1].hex(),
                              root2=roots[size2].hex(), proof=proof))  # fmt: skip
    inclusion = inclusion_proof(5, 13, store)
    consistency = consistency_proof(3, 7, store)
    bad_inclusion = [
        ("inclusion-5-of-13-proof-0-bit-0", "Bit 0 of proof[0] flipped.", 5, 13,
         [flip(inclusion[0], 0), *inclusion[1:]], roots[13]),
        ("inclusion-5-of-13-index-plus-1", "Proof for 5 checked as 6.", 6, 13, inclusion,
         roots[13]),
        ("inclusion-5-of-13-size-times-2", "Tree size 26.", 5, 26, inclusion, roots[13]),
        ("inclusion-5-of-13-root-bit-255", "Root's last bit flipped.", 5, 13, inclusion,
         flip(roots[13], 255)),
        ("inclusion-5-of-13-proof-truncated", "Last hash dropped.", 5, 13, inclusion[:-1],
         roots[13]),
    ]  # fmt: skip
    for name, desc, index, size, proof, root in bad_inclusion:
        tests.append(case(name, desc, "ProofError", index=index, size=size,
                          leaf_hash=leaf_hash(bodies[5]).hex(), root=root.hex(),
                          proof=[h.hex() for h in proof]))  # fmt: skip
    bad_consistency = [
        ("consistency-3-to-7-proof-1-bit-7", "Bit 7 of proof[1].", 3, 7,
         [consistency[0], flip(consistency[1], 7), *consistency[2:]], roots[3], roots[7]),
        ("consistency-3-to-7-root1-bit-0", "Old root bit 0.", 3, 7, consistency,
         flip(roots[3], 0), roots[7]),
        ("consistency-3-to-7-swapped-roots", "Roots swapped.", 3, 7, consistency, roots[7],
         roots[3]),
        ("consistency-3-to-7-trailing-hash", "An extra hash appended.", 3, 7,
         [*consistency, roots[7]], roots[3], roots[7]),
        ("consistency-0-to-7-empty", "From the empty tree.", 0, 7, [], roots[0], roots[7]),
    ]  # fmt: skip
    for name, desc, size1, size2, proof, root1, root2 in bad_consistency:
        tests.append(case(name, desc, "ProofError", size1=size1, size2=size2, root1=root1.hex(),
                          root2=root2.hex(), proof=[h.hex() for h in proof]))  # fmt: skip
    return vector_file(
        "tree",
        "RFC 6962 roots and proofs over the sample log's entries.",
        tests,
        leaves=[body.hex() for body in bodies],
        leaf_hashes=[leaf_hash(body).hex() for body in bodies],
    )


# --- checkpoints -----------------------------------------------------------------------


def log_key() -> bytes:
    return Stream("log key")(32)


def officer_key() -> bytes:
    return Stream("officer key")(32)


def signature_line_blob(note: str) -> bytes:
    return base64.b64decode(note.rstrip("\n").rsplit("\n", 1)[1].split(" ")[2])


def non_canonical_b64(raw: bytes) -> str:
    """``raw`` in base64 with the lowest unused bit of the last character set: lenient
    decoders return the same bytes, a canonical check must refuse it."""
    text = b64(raw)
    if not text.endswith("=") or text.endswith("=="):
        raise ValueError("needs exactly one padding character")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return text[:-2] + alphabet[alphabet.index(text[-2]) ^ 1] + "="


def with_blob(note: str, blob: bytes) -> str:
    head, line = note.rstrip("\n").rsplit("\n", 1)
    parts = line.split(" ")
    return f"{head}\n{parts[0]} {parts[1]} {b64(blob)}\n"


def checkpoint_vectors() -> dict:
    bodies = [encode(sample_entry(number)) for number in range(TREE_SIZES)]
    store, _ = build_tree(bodies)
    key, vkey = log_key(), log_verifier_key(ORIGIN, log_key())
    tests = []
    for size in (0, 1, 7, 16):
        root = root_at(size, store)
        note = sign_checkpoint(ORIGIN, size, root, key)
        expected = {"origin": ORIGIN, "size": size, "root": root.hex()}
        tests.append(case(f"checkpoint-{size}", f"Signed checkpoint of size {size}.", note=note,
                          expected=expected))  # fmt: skip
    note7 = tests[2]["note"]
    cosigned = cosign(note7, officer_key(), OFFICER, T0 + 3600)
    tests.append(case("cosigned-7", "The size-7 checkpoint cosigned by an officer.",
                      note=cosigned, cosigner_time=T0 + 3600,
                      expected=tests[2]["expected"]))  # fmt: skip
    blob = signature_line_blob(note7)
    body7 = note7.split("\n\n")[0] + "\n"
    other = Stream("another key")(32)
    root7 = base64.b64decode(body7.split("\n")[2])
    cosig_blob = signature_line_blob(cosigned)
    negatives = [
        ("checkpoint-signature-bit-9", "Bit 9 of the Ed25519 signature.",
         with_blob(note7, blob[:4] + flip(blob[4:], 9))),
        ("key-id-bit-0", "Bit 0 of the key ID: no trusted signature left.",
         with_blob(note7, flip(blob, 0))),
        ("signature-base64-not-canonical", "An unused bit of the last base64 character set.",
         note7.replace(b64(blob), non_canonical_b64(blob))),
        ("signed-by-another-key", "Same name, different key.",
         sign_checkpoint(ORIGIN, 7, root7, other)),
        ("origin-not-key-name", "Origin line differs from the key name.",
         sign_note(body7.replace(ORIGIN, ORIGIN + "-x", 1), ORIGIN, key)),
        ("size-leading-zero", "Size written as 07.",
         sign_note(body7.replace("\n7\n", "\n07\n"), ORIGIN, key)),
        ("root-31-bytes", "Root hash one byte short.",
         sign_note(body7.replace(b64(root7), b64(root7[:31])), ORIGIN, key)),
        ("empty-extension-line", "An empty fourth line.",
         sign_note(body7 + "\n", ORIGIN, key)),
        ("no-blank-line", "Signature line directly after the text.", note7.replace("\n\n", "\n")),
        ("tab-in-text", "A tab character in the text.", note7.replace(ORIGIN, ORIGIN + "\t", 1)),
        ("hyphen-not-em-dash", "Signature line starts with '-'.", note7.replace("\u2014", "-")),
        ("cosignature-time-plus-1", "The cosignature's time changed.",
         with_blob(cosigned, cosig_blob[:4] + (T0 + 3601).to_bytes(8, "big") + cosig_blob[12:])),
    ]  # fmt: skip
    for name, desc, note in negatives:
        kind = "cosignature" if name.startswith("cosignature") else "checkpoint"
        tests.append(case(name, desc, "NoteError", note=note, kind=kind))
    return vector_file(
        "checkpoints",
        "C2SP checkpoints signed with a test key; cosignatures; notes that must fail.",
        tests,
        origin=ORIGIN,
        log_signing_key=key.hex(),
        verifier_key=vkey,
        cosigner=OFFICER,
        cosigner_signing_key=officer_key().hex(),
        cosigner_verifier_key=cosigner_verifier_key(OFFICER, officer_key()),
    )


# --- bundles ---------------------------------------------------------------------------


def make_bundle(bodies: list[bytes], sizes: tuple[int, ...], removed: int = 0) -> list[str]:
    """Bundle lines for ``bodies`` with checkpoints at ``sizes``; the first ``removed``
    entries have their body removed."""
    store, _ = build_tree(bodies)
    notes = [(size, sign_checkpoint(ORIGIN, size, root_at(size, store), log_key()))
             for size in sizes]  # fmt: skip
    rows = [(i, None if i < removed else body, leaf_hash(body)) for i, body in enumerate(bodies)]
    return list(bundle_lines(ORIGIN, log_verifier_key(ORIGIN, log_key()), rows, notes, store))


def entry_line(index: int, body: bytes) -> str:
    data = {"type": "entry", "index": index, "leaf_hash": b64(leaf_hash(body)), "body": b64(body)}
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def renumbered(bodies: list[bytes]) -> list[str]:
    """Entry lines for ``bodies`` as if they had always had these indexes."""
    return [entry_line(i, body) for i, body in enumerate(bodies)]


def bundle_vectors() -> dict:
    bodies = [encode(sample_entry(number)) for number in range(BUNDLE_ENTRIES)]
    n, sizes = BUNDLE_ENTRIES, BUNDLE_CHECKPOINTS
    full = make_bundle(bodies, sizes)
    entry_at = {i: i + 2 for i in range(n)}  # line number of entry i
    checkpoint_line = {4: n + 2, 8: n + 4, 12: n + 6}  # proofs sit on the lines between
    vkey = log_verifier_key(ORIGIN, log_key())
    rewritten_bodies = [*bodies[:2], encode(sample_entry(40)), *bodies[3:]]
    rewritten = make_bundle(rewritten_bodies, sizes)
    kept4 = json.loads(full[checkpoint_line[4] - 1])["note"]
    kept12 = json.loads(full[checkpoint_line[12] - 1])["note"]
    fork_note = json.loads(rewritten[checkpoint_line[8] - 1])["note"]
    fork_line = json.dumps({"note": fork_note, "type": "checkpoint"}, separators=(",", ":"))

    def err(code: str, line: int | None, index: int | None = None) -> dict:
        return {"code": code, "line": line, "index": index}

    def replaced(lines: list[str], index: int, body: bytes, rehash: bool) -> list[str]:
        line = json.loads(lines[entry_at[index] - 1])
        line["body"] = b64(body)
        if rehash:
            line["leaf_hash"] = b64(leaf_hash(body))
        text = json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n"
        return [*lines[: entry_at[index] - 1], text, *lines[entry_at[index] :]]

    flipped = flip(bodies[3], 17 * 8)
    swapped = [*full[:3], full[4], full[3], *full[5:]]
    swap_renumbered = [
        *full[:1],
        *renumbered([*bodies[:2], bodies[3], bodies[2], *bodies[4:]]),
        *full[n + 1 :],
    ]
    deleted_renumbered = full[:1] + renumbered(bodies[:5] + bodies[6:]) + full[n + 1 :]
    inserted = encode(sample_entry(50))
    insert_renumbered = [
        *full[:1],
        *renumbered([*bodies[:2], inserted, *bodies[2:]]),
        *full[n + 1 :],
    ]
    cp8 = json.loads(full[checkpoint_line[8] - 1])
    blob = signature_line_blob(cp8["note"])
    cp8["note"] = with_blob(cp8["note"], blob[:4] + flip(blob[4:], 9))
    bad_signature = json.dumps(cp8, sort_keys=True, separators=(",", ":")) + "\n"
    proof48 = json.loads(full[checkpoint_line[4]])
    proof48["proof"][0] = b64(flip(base64.b64decode(proof48["proof"][0]), 0))
    bad_proof = json.dumps(proof48, sort_keys=True, separators=(",", ":")) + "\n"
    removed1 = json.loads(make_bundle(bodies, sizes, removed=2)[entry_at[1] - 1])
    removed1["leaf_hash"] = b64(flip(base64.b64decode(removed1["leaf_hash"]), 0))
    removed_line = json.dumps(removed1, sort_keys=True, separators=(",", ":")) + "\n"
    with_removed = make_bundle(bodies, sizes, removed=2)
    cases = [
        ("full", "12 entries, checkpoints at 4, 8, 12 and the proofs between.", full, None, None),
        ("bodies-0-4-removed", "Entries 0-4 past retention: leaf hashes only.",
         make_bundle(bodies, sizes, removed=5), None, None),
        ("kept-checkpoint-4", "The officer kept the size-4 checkpoint.", full, kept4, None),
        ("empty-log", "No entries, one checkpoint of size 0.", make_bundle([], (0,)), None, None),
        ("entry-3-byte-17-flipped", "Bit 0 of byte 17 of entry 3's bytes.",
         replaced(full, 3, flipped, rehash=False), None, err("leaf-hash", entry_at[3], 3)),
        ("entry-3-byte-17-flipped-rehashed", "The same, with its leaf hash recomputed.",
         replaced(full, 3, flipped, rehash=True), None, err("root", checkpoint_line[4])),
        ("entry-5-deleted", "The line of entry 5 removed.",
         full[: entry_at[5] - 1] + full[entry_at[5] :], None, err("index", entry_at[5], 5)),
        ("entry-5-deleted-renumbered", "Entry 5 removed and the rest renumbered.",
         deleted_renumbered, None, err("root", checkpoint_line[8] - 1)),
        ("entries-2-3-swapped", "The lines of entries 2 and 3 swapped.", swapped, None,
         err("index", entry_at[2], 2)),
        ("entries-2-3-swapped-renumbered", "Entries 2 and 3 swapped, indexes kept in order.",
         swap_renumbered, None, err("root", checkpoint_line[4])),
        ("truncated-after-4", "Cut after entry 4: no checkpoint left.", full[: entry_at[4]],
         None, err("unsigned", entry_at[0], 0)),
        ("truncated-after-checkpoint-4", "Cut after the first checkpoint.",
         full[: checkpoint_line[4]], None, err("unsigned", entry_at[4], 4)),
        ("truncated-after-proof-4-8", "Cut after the proof that leads to checkpoint 8.",
         full[: checkpoint_line[4] + 1], None, err("unsigned", checkpoint_line[4] + 1)),
        ("inserted-at-2", "A copy of entry 0's line inserted before entry 2.",
         [*full[:3], full[1], *full[3:]], None, err("index", entry_at[2], 2)),
        ("inserted-at-2-renumbered", "A new entry inserted at 2, the rest renumbered.",
         insert_renumbered, None, err("root", checkpoint_line[4] + 1)),
        ("checkpoint-signature-bit-9", "Bit 9 of checkpoint 8's signature.",
         [*full[:checkpoint_line[8] - 1], bad_signature, *full[checkpoint_line[8]:]], None,
         err("checkpoint", checkpoint_line[8])),
        ("consistency-4-8-proof-0-bit-0", "Bit 0 of the first hash of the 4-to-8 proof.",
         [*full[:checkpoint_line[4]], bad_proof, *full[checkpoint_line[4] + 1:]], None,
         err("consistency", checkpoint_line[4] + 1)),
        ("consistency-4-8-deleted", "The 4-to-8 proof line removed.",
         full[: checkpoint_line[4]] + full[checkpoint_line[4] + 1 :], None,
         err("consistency", checkpoint_line[8] - 1)),
        ("removed-entry-1-leaf-hash-bit-0", "Body removed, then its leaf hash altered.",
         [*with_removed[:entry_at[1] - 1], removed_line, *with_removed[entry_at[1]:]], None,
         err("root", checkpoint_line[4])),
        ("line-1-space-added", "A space after a colon in the header.",
         [full[0].replace('":"', '": "', 1), *full[1:]], None, err("malformed", 1)),
        ("rewritten-log-new-root", "Entry 2 rewritten, all re-signed; the officer kept 4.",
         rewritten, kept4, err("rewritten", None)),
        ("rolled-back-to-8", "The log cut back to 8 entries; the officer kept 12.",
         make_bundle(bodies[:8], (4, 8)), kept12, err("rollback", None)),
        ("same-size-different-root", "A second signed checkpoint of size 8, another root.",
         [*full[:checkpoint_line[8]], fork_line + "\n", *full[checkpoint_line[8]:]], None,
         err("fork", checkpoint_line[8] + 1)),
    ]  # fmt: skip
    tests = [
        case(name, desc, want, verifier_key=vkey, last_known_checkpoint=kept, bundle=lines)
        for name, desc, lines, kept, want in cases
    ]
    other = log_verifier_key(ORIGIN, Stream("another key")(32))
    tests.append(case("wrong-verifier-key", "Checked with another key of the same name.",
                      err("header", 1), verifier_key=other, last_known_checkpoint=None,
                      bundle=full))  # fmt: skip
    return vector_file("bundles", "Export bundles, and tampered copies of them.", tests)


GENERATORS = {
    "entries.json": entries_vectors,
    "tree.json": tree_vectors,
    "checkpoints.json": checkpoint_vectors,
    "bundles.json": bundle_vectors,
}


def generate() -> dict[str, str]:
    """File name -> exact file text."""
    return {
        name: json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
        for name, build in GENERATORS.items()
    }


def main(argv: list[str]) -> int:
    files = generate()
    if "--check" in argv:
        stale = [
            name
            for name, text in files.items()
            if not (HERE / name).exists() or (HERE / name).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            sys.stderr.write(f"{name} differs from the generator's output\n")
        return 1 if stale else 0
    for name, text in files.items():
        (HERE / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
