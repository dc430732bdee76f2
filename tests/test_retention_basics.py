"""Lifetimes: every stored column has a documented reason and lifetime, expired envelopes
are hidden at once, and the purge job really deletes them."""

from __future__ import annotations

import sqlite3

from helpers import receive
from relay.housekeeping import purge_once
from relay.storage.migrations import migrate_sqlite
from retention.lifetimes import INVITE_GRACE_S, by_table


def test_every_table_and_column_has_a_documented_lifetime(tmp_path):
    con = sqlite3.connect(tmp_path / "schema.sqlite3", isolation_level=None)
    migrate_sqlite(con)
    documented = by_table()
    tables = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in tables:
        assert table in documented, f"table {table} has no entry in retention/lifetimes.py"
        columns = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        assert columns == set(documented[table].columns), table
    assert set(documented) == set(tables)


async def test_an_expired_envelope_is_hidden_at_once_and_purged_later(relay):
    _, worker, caregiver = await relay.onboard()
    key = caregiver.key
    await caregiver.close()
    await worker.send(key.device_id, b"te laat")
    relay.clock.advance(relay.ctx.config.envelope_ttl_s + 1)
    await worker.send(key.device_id, b"op tijd")
    back = relay.client(key)
    await back.connect()
    (envelope,) = await receive(back, 1)
    assert envelope.body == b"op tijd"  # the expired one never arrives, purge or not

    counts = await purge_once(relay.ctx)
    assert counts["envelopes"] == 1 and counts["sent_ids"] == 1
    con = sqlite3.connect(relay.ctx.config.database_path)
    bodies = [r[0] for r in con.execute("SELECT body FROM envelopes")]
    assert b"te laat" not in bodies


async def test_spent_invites_are_kept_for_a_grace_period_then_deleted(relay):
    admin = relay.client()
    await admin.register(await relay.invite("admin", ttl_s=60))
    relay.clock.advance(60 + INVITE_GRACE_S - 1)
    assert (await purge_once(relay.ctx))["invites"] == 0
    relay.clock.advance(2)
    assert (await purge_once(relay.ctx))["invites"] == 1
