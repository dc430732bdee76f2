"""The audit log's read side, hardened (issue 13 items 9, 12 and 15) through the real relay:
reading never writes a pseudonym key, the officer's search refuses out-of-range arguments
with `malformed` naming the field, and `steuntje audit verify --data` checks that the
query columns copied next to each entry say what its signed body says."""

from __future__ import annotations

import asyncio
import sqlite3

from audit import decode, is_pseudonym
from helpers import WAIT
from relay.ids import new_id


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
