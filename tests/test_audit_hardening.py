"""The audit log's read side, hardened (issue 13 items 9, 12 and 15) through the real relay:
reading never writes a pseudonym key, the officer's search refuses out-of-range arguments
with `malformed` naming the field, and `steuntje audit verify --data` checks that the
query columns copied next to each entry say what its signed body says."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest

from audit import decode, is_pseudonym
from helpers import WAIT
from relay.ids import new_id
from steuntje_client import RelayRefused


async def officer_setup(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    return admin, worker, caregiver, officer


def on_disk(relay) -> bytes:
    """Every byte SQLite has on disk for the relay's database: the file and its WAL."""
    path = relay.ctx.config.database_path
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def subject_keys(relay) -> set[str]:
    con = sqlite3.connect(relay.ctx.config.database_path)
    try:
        return {row[0] for row in con.execute("SELECT subject FROM audit_subject_keys")}
    finally:
        con.close()


def queries(relay) -> list[dict]:
    con = sqlite3.connect(relay.ctx.config.database_path)
    try:
        rows = con.execute("SELECT body FROM audit_entries WHERE event = 'audit.queried'")
        return [dict(decode(body).query) for (body,) in rows if body is not None]
    finally:
        con.close()


# -- item 9: reading never creates a pseudonym key --------------------------------------------


async def test_searching_for_an_erased_person_writes_no_key_and_leaves_no_trace(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    account, device = caregiver.account_id, caregiver.device_id
    await caregiver.erase_account()
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    assert account.encode() not in on_disk(relay)  # the erasure left nothing (test_gdpr)
    made_up = new_id("acc")
    for field in ("actor", "object"):
        for subject in (account, device, made_up):
            reply = await officer.request("audit_query", {field: subject})
            assert reply["entries"] == [] and reply["next"] is None
    keys = subject_keys(relay)
    assert not {account, device, made_up} & keys, "a search wrote a pseudonym key"
    raw = on_disk(relay)
    for subject in (account, device, made_up):
        assert subject.encode() not in raw, "a search put the id back on disk"
    # Each search is still recorded, with a pseudonym that leads nowhere: no stored key
    # computes it, so the entry cannot be tied to the id that was searched for.
    searched = [q for q in queries(relay) if "actor" in q or "object" in q]
    assert len(searched) == 6 and all(is_pseudonym(next(iter(q.values()))) for q in searched)


async def test_a_search_for_a_known_person_records_their_own_pseudonym(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    keys_before = subject_keys(relay)
    reply = await officer.request("audit_query", {"actor": caregiver.account_id})
    mine = {e["actor"]["pseudonym"] for e in reply["entries"]}
    assert len(mine) == 1  # every entry the caregiver made, under one pseudonym
    assert queries(relay)[-1] == {"actor": mine.pop()}
    assert subject_keys(relay) == keys_before  # a read adds no key


async def test_exports_write_no_key_for_their_one_off_export_ids(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    keys_before = subject_keys(relay)
    await caregiver.export()
    await officer.request("audit_export", {})
    await officer.request("officer_export", {"account": caregiver.account_id})
    assert subject_keys(relay) == keys_before


# -- item 15: the officer's arguments are checked at the edge ---------------------------------

OUT_OF_RANGE = [
    ("after", 10**30),
    ("after", -(10**30)),
    ("after", -2),
    ("after", 2**63),
    ("after", True),
    ("after", 1.5),
    ("since", -1),
    ("since", 2**63),
    ("since", -(2**63) - 1),
    ("until", 10**30),
    ("until", 2**53),  # beyond what the query's own entry (and JavaScript) can hold
    ("since", "1790000000"),
    ("until", [1]),
    ("limit", 0),
    ("limit", 501),
    ("limit", 10**30),
    ("limit", False),
    ("event", ["audit.queried"]),
    ("event", {"code": "audit.queried"}),
    ("event", "no.such_event"),
    ("actor", 12),
    ("actor", {"id": "acc_x"}),
    ("object", ["acc_x"]),
    ("reason", ["routine_review"]),
    ("reason", {"nested": {"deeper": [1, 2, 3]}}),
]


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE, ids=lambda v: repr(v)[:24])
async def test_a_query_argument_out_of_range_or_of_the_wrong_type_is_malformed(relay, field, value):
    admin, worker, caregiver, officer = await officer_setup(relay)
    before = len(queries(relay))
    with pytest.raises(RelayRefused) as refused:
        await officer.request("audit_query", {field: value})
    assert refused.value.code == "malformed" and repr(field) in refused.value.message
    assert len(queries(relay)) == before  # refused before anything was recorded
    # The relay keeps serving, the same connection included.
    reply = await officer.request("audit_query", {"since": 0, "limit": 1, "after": -1})
    assert reply["ok"] and len(reply["entries"]) == 1


async def test_query_arguments_at_the_edges_of_their_ranges_are_accepted(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    largest = 2**53 - 1
    for arguments in (
        {"since": 0, "until": largest, "after": -1, "limit": 500},
        {"since": largest, "after": largest, "limit": 1},
        {"since": None, "until": None, "after": None, "limit": None},  # null is absent
    ):
        reply = await officer.request("audit_query", arguments)
        assert reply["ok"], arguments
    assert queries(relay)[-3] == {"since": 0, "until": largest}


@pytest.mark.parametrize("data", [[0], "x", 10**30, [{"reason": "routine_review"}]])
async def test_export_and_key_take_an_object(relay, data):
    admin, worker, caregiver, officer = await officer_setup(relay)
    for event in ("audit_export", "audit_key"):
        with pytest.raises(RelayRefused) as refused:
            await officer.request(event, data)
        assert refused.value.code == "malformed", event
    with pytest.raises(RelayRefused) as refused:
        await officer.request("audit_export", {"reason": {"a": [[[]]]}})
    assert refused.value.code == "malformed" and "'reason'" in refused.value.message
    assert (await officer.request("audit_key", {}))["verifier_key"].startswith("steuntje/")


# -- item 12: the query columns are bound to the signed body ----------------------------------


def steuntje(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relay", "audit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_verify_data_names_an_entry_whose_event_or_time_column_was_changed(
    relay_process,
):
    from steuntje_client import DeviceKey, RelayClient

    admin = RelayClient(relay_process.url, DeviceKey.generate())
    await admin.register(relay_process.admin_invite)
    officer = RelayClient(relay_process.url, DeviceKey.generate())
    await officer.register((await admin.create_invite("officer"))["link"])
    await officer.request("audit_query", {"event": "invite.created"})
    await admin.close()
    await officer.close()
    assert await relay_process.terminate() == 0
    data = str(relay_process.data_dir)
    clean = await asyncio.to_thread(steuntje, "verify", "--data", data)
    assert clean.returncode == 0 and clean.stdout.startswith("OK"), clean.stdout + clean.stderr

    con = sqlite3.connect(relay_process.data_dir / "steuntje.sqlite3", isolation_level=None)
    index, time = con.execute(
        "SELECT idx, time FROM audit_entries WHERE event = 'audit.queried' ORDER BY idx LIMIT 1"
    ).fetchone()
    # Relabelled, the officer's read disappears from a search for audit.queried...
    con.execute("UPDATE audit_entries SET event = 'invite.created' WHERE idx = ?", (index,))
    relabelled = await asyncio.to_thread(steuntje, "verify", "--data", data)
    assert relabelled.returncode == 1, relabelled.stdout + relabelled.stderr
    assert relabelled.stdout.startswith(f"FAILED (stored) entry {index}: ")
    assert "event or time column" in relabelled.stdout
    # ... and moved in time, it falls outside a search by date.
    con.execute("UPDATE audit_entries SET event = 'audit.queried' WHERE idx = ?", (index,))
    con.execute("UPDATE audit_entries SET time = ? WHERE idx = ?", (time - 86_400, index))
    moved = await asyncio.to_thread(steuntje, "verify", "--data", data)
    assert moved.returncode == 1 and f"entry {index}: " in moved.stdout, moved.stdout
    con.execute("UPDATE audit_entries SET time = ? WHERE idx = ?", (time, index))
    con.close()
    restored = await asyncio.to_thread(steuntje, "verify", "--data", data)
    assert restored.returncode == 0, restored.stdout + restored.stderr
