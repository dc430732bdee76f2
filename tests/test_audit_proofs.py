"""audit_proof through the real relay (issue 19 item 3): the newest signed checkpoint, audit
paths for the entries an officer was shown and a consistency proof from a size the device
kept, all checked here with the offline verifier's own code (audit.verify, audit.note_verify)
from the entries `audit_query` returned, never from hashes the relay computed for them."""

from __future__ import annotations

import json
import sqlite3

from audit import ENTRY_PREFIX, ProofError
from audit.note_verify import open_checkpoint
from audit.verify import leaf_hash_of, verify_consistency, verify_inclusion
from helpers import error_code, raw_call


def canonical(entry: dict) -> bytes:
    """docs/audit.md §3, as the browser computes it from what it shows."""
    data = {k: v for k, v in entry.items() if k != "index"}
    return ENTRY_PREFIX + json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


async def officer_of(relay):
    admin, worker, ria = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    return admin, worker, ria, officer


def check(reply: dict, entries: list[dict], key: str) -> int:
    """Raise unless every shown entry is in the signed tree; returns the tree size."""
    checkpoint = open_checkpoint(reply["checkpoint"], key)
    assert checkpoint.size == reply["size"]
    for entry in entries:
        path = [bytes.fromhex(h) for h in reply["proofs"][str(entry["index"])]]
        leaf = leaf_hash_of(canonical(entry))
        verify_inclusion(leaf, entry["index"], checkpoint.size, path, checkpoint.root)
    return checkpoint.size


async def test_an_officer_can_check_what_a_search_showed(relay):
    admin, worker, ria, officer = await officer_of(relay)
    key = (await officer.request("audit_key", {}))["verifier_key"]
    first = await officer.request("audit_query", {"limit": 500})
    indices = [e["index"] for e in first["entries"]]
    reply = await officer.request("audit_proof", {"indices": indices})
    # the search's own entry is in the checkpoint signed at once after it
    kept_size = check(reply, first["entries"], key)
    assert kept_size == indices[-1] + 1 and reply["consistency"] is None
    kept_root = open_checkpoint(reply["checkpoint"], key).root

    await worker.create_invite("caregiver")  # the log grows
    later = await officer.request("audit_query", {"after": kept_size - 1})
    shown = later["entries"]
    reply = await officer.request(
        "audit_proof", {"indices": [e["index"] for e in shown], "from_size": kept_size}
    )
    size = check(reply, shown, key)
    assert size > kept_size
    root = open_checkpoint(reply["checkpoint"], key).root
    proof = [bytes.fromhex(h) for h in reply["consistency"]]
    verify_consistency(kept_size, size, proof, kept_root, root)

    # a changed entry's leaf is not the one the signed tree holds
    changed = dict(shown[0], outcome="denied")
    try:
        check(reply, [changed], key)
    except ProofError:
        pass
    else:
        raise AssertionError("a changed entry passed its inclusion proof")

    # a kept size past the newest checkpoint has no proof: the browser calls it a rollback;
    # an index past the checkpoint is left out; the same size needs none
    ahead = await officer.request("audit_proof", {"indices": [10**9], "from_size": size + 5})
    assert ahead["consistency"] is None and ahead["proofs"] == {}
    same = await officer.request("audit_proof", {"indices": [], "from_size": size})
    assert same["consistency"] == [] and same["size"] == size


async def test_a_tampered_body_fails_the_browsers_check(relay):
    """The relay decodes the changed body and shows it; its proof is for the signed leaf."""
    admin, worker, ria, officer = await officer_of(relay)
    key = (await officer.request("audit_key", {}))["verifier_key"]
    con = sqlite3.connect(relay.ctx.config.database_path)
    with con:
        body = con.execute("SELECT body FROM audit_entries WHERE idx = 1").fetchone()[0]
        # one second later: still a valid entry, so the relay shows it as it is now
        time = json.loads(bytes(body)[len(ENTRY_PREFIX) :])["time"]
        forged = bytes(body).replace(b'"time":%d' % time, b'"time":%d' % (time + 1))
        assert forged != bytes(body)
        con.execute("UPDATE audit_entries SET body = ? WHERE idx = 1", (forged,))
    con.close()
    shown = (await officer.request("audit_query", {"limit": 3}))["entries"]
    assert shown[1]["time"] == time + 1
    reply = await officer.request("audit_proof", {"indices": [0, 1, 2]})
    check(reply, [shown[0], shown[2]], key)
    try:
        check(reply, [shown[1]], key)
    except ProofError:
        pass
    else:
        raise AssertionError("a tampered entry passed")


async def test_only_officers_and_only_well_formed_requests(relay):
    admin, worker, ria, officer = await officer_of(relay)
    for someone in (admin, worker, ria):
        reply = await raw_call(someone, "audit_proof", {"indices": [0]})
        assert error_code(reply) == "not_permitted"
    wrong = [
        ({}, "indices"),
        ({"indices": 3}, "indices"),
        ({"indices": [True]}, "indices"),
        ({"indices": [-1]}, "indices"),
        ({"indices": [1.0]}, "indices"),
        ({"indices": [2**53]}, "indices"),
        ({"indices": list(range(501))}, "indices"),
        ({"indices": [0], "from_size": "3"}, "from_size"),
        ({"indices": [0], "from_size": -1}, "from_size"),
    ]
    for data, field in wrong:
        reply = await raw_call(officer, "audit_proof", data)
        assert error_code(reply) == "malformed", data
        assert reply["error"]["field"] == field, data
    assert error_code(await raw_call(officer, "audit_proof", [1])) == "malformed"
    # nothing above was written to the log: the proofs read no one's data
    con = sqlite3.connect(relay.ctx.config.database_path)
    events = [r[0] for r in con.execute("SELECT event FROM audit_entries")]
    con.close()
    assert "audit.queried" not in events


async def test_a_missing_tree_node_is_reported_as_damage(relay):
    admin, worker, ria, officer = await officer_of(relay)
    await officer.request("audit_query", {})
    con = sqlite3.connect(relay.ctx.config.database_path)
    with con:
        con.execute("DELETE FROM audit_nodes WHERE level = 0 AND idx = 0")
    con.close()
    reply = await raw_call(officer, "audit_proof", {"indices": [1]})
    assert error_code(reply) == "audit_log_damaged"
