"""What only PostgreSQL has to prove: several nodes on one database at once, a database
server that goes away and comes back, and the dialect the shared SQL is translated to.

Each "node" here is a `PostgresStorage` of its own on the same database: its own writer,
readers and locks, as in a separate relay process.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from servers import PostgresServer, StorageBackend, create_database, drop_database

from audit import verify_bundle
from relay.errors import ConfigError, RelayError
from relay.invites import new_token, token_hash
from relay.storage.audit_store import AuditDraft
from relay.storage.base import NewEnvelope, StoreOutcome
from relay.storage.postgres_base import SharedEpochKeyring
from relay.storage.postgres_connection import translate

NOW = 1_790_000_000
A, B, C = "A" * 43, "B" * 43, "C" * 43


@pytest.fixture
async def nodes(postgres_server: PostgresServer, tmp_path):  # type: ignore[no-untyped-def]
    """Two storages on one fresh database, sharing the key folder as nodes would."""
    if not postgres_server.running():
        postgres_server.start()
    dsn = await create_database(postgres_server)
    backend = StorageBackend("postgres", tmp_path, dsn)
    first = await backend.with_devices(A, B, C, now=NOW)
    second = await backend.open()
    yield first, second
    for storage in backend.opened:
        await storage.close()
    await drop_database(postgres_server, dsn)


async def test_two_nodes_number_one_mailbox_without_gaps_or_repeats(nodes):
    first, second = nodes

    async def send(storage, sender: str, count: int) -> None:
        for i in range(count):  # many small group commits, racing the other node's
            envelope = NewEnvelope(
                sender, f"{sender[0]}-{i:06d}", C, f"{sender[0]}{i}".encode(), NOW + 99
            )
            (result,) = await storage.apply_batch([envelope], [], NOW, 10_000)
            assert result.outcome is StoreOutcome.STORED

    await asyncio.gather(send(first, A, 60), send(second, B, 60))
    mailbox = await first.read_mailbox(C, 0, 1000, NOW)
    assert [e.seq for e in mailbox] == list(range(1, 121))
    for sender in (A, B):  # each sender's envelopes stay in the order they were sent
        bodies = [e.body for e in mailbox if e.from_device == sender]
        assert bodies == [f"{sender[0]}{i}".encode() for i in range(60)]


async def test_a_resend_through_another_node_is_a_duplicate(nodes):
    first, second = nodes
    envelope = NewEnvelope(A, "same-id-1", C, b"once", NOW + 99)
    results = await asyncio.gather(
        first.apply_batch([envelope], [], NOW, 100), second.apply_batch([envelope], [], NOW, 100)
    )
    outcomes = sorted(r[0].outcome.value for r in results)
    assert outcomes == ["duplicate", "stored"]
    assert len(await second.read_mailbox(C, 0, 10, NOW)) == 1


async def test_one_envelope_id_to_two_recipients_through_two_nodes_is_stored_once(nodes):
    """Different recipients: no shared row lock, so both nodes may plan to store it; the
    dedup insert decides, and the loser runs its batch again and sees a duplicate."""
    first, second = nodes
    results = await asyncio.gather(
        first.apply_batch([NewEnvelope(A, "same-id-2", B, b"b", NOW + 99)], [], NOW, 100),
        second.apply_batch([NewEnvelope(A, "same-id-2", C, b"c", NOW + 99)], [], NOW, 100),
    )
    assert sorted(r[0].outcome.value for r in results) == ["duplicate", "stored"]
    mailboxes = [await first.read_mailbox(d, 0, 10, NOW) for d in (B, C)]
    assert sum(len(m) for m in mailboxes) == 1


async def test_an_invite_is_redeemed_once_across_nodes(nodes):
    first, second = nodes
    _, org = await first.installation(NOW)
    token = token_hash(new_token())
    await first.create_invite(token, org, "worker", None, NOW, NOW + 60)
    outcomes = await asyncio.gather(
        first.redeem_invite(token, "D" * 43, NOW),
        second.redeem_invite(token, "E" * 43, NOW),
        return_exceptions=True,
    )
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    (refused,) = [o for o in outcomes if isinstance(o, Exception)]
    assert isinstance(refused, RelayError) and refused.code == "invite_used"


async def test_both_nodes_append_to_one_audit_log_that_verifies(nodes):
    first, second = nodes

    async def record(storage, count: int) -> None:
        for _ in range(count):
            await storage.record([AuditDraft("purge.ran", counts={"envelopes": 1})], NOW)

    await asyncio.gather(record(first, 25), record(second, 25), second.checkpoint())
    lines = await second.audit_bundle()
    report = verify_bundle(lines, await first.audit_verifier_key())
    assert report.ok, str(report)
    assert report.entries == await first.audit_size()


async def test_a_background_job_runs_on_one_node_and_moves_when_it_stops(nodes):
    first, second = nodes
    assert await first.try_job_lock(1)
    assert await first.try_job_lock(1)  # still ours on the next round
    assert not await second.try_job_lock(1)
    assert await second.try_job_lock(2)  # another job is another lock
    await first.release_job_lock(1)
    assert await second.try_job_lock(1)
    assert not await first.try_job_lock(1)


async def test_a_database_restart_fails_commits_then_recovers_by_itself(
    postgres_server: PostgresServer, tmp_path
):
    dsn = await create_database(postgres_server)
    backend = StorageBackend("postgres", tmp_path, dsn)
    storage = await backend.with_devices(A, B, now=NOW)
    try:
        first = NewEnvelope(A, "before-01", B, b"1", NOW + 99)
        assert (await storage.apply_batch([first], [], NOW, 100))[0].outcome is StoreOutcome.STORED
        await asyncio.to_thread(postgres_server.stop)
        down = NewEnvelope(A, "during-02", B, b"2", NOW + 99)
        with pytest.raises(Exception):  # noqa: B017 (any error: never a "stored")
            await storage.apply_batch([down], [], NOW, 100)
        with pytest.raises(Exception):  # noqa: B017
            await storage.read_mailbox(B, 0, 10, NOW)
        await asyncio.to_thread(postgres_server.start)
        # The same storage, not reopened: the next call reconnects.
        again = await storage.apply_batch([down], [], NOW, 100)
        assert again[0].outcome is StoreOutcome.STORED
        assert [e.body for e in await storage.read_mailbox(B, 0, 10, NOW)] == [b"1", b"2"]
        await storage.record([AuditDraft("purge.ran", counts={"envelopes": 0})], NOW)
        assert (verify_bundle(await storage.audit_bundle(), await storage.audit_verifier_key())).ok
    finally:
        if not postgres_server.running():
            await asyncio.to_thread(postgres_server.start)
        await storage.close()
        await drop_database(postgres_server, dsn)


def test_nodes_racing_for_a_new_epoch_key_all_use_the_first(tmp_path):
    rings = [SharedEpochKeyring(tmp_path / "keys") for _ in range(8)]
    start, keys = threading.Barrier(len(rings)), []

    def create(ring: SharedEpochKeyring) -> None:
        start.wait()
        keys.append(ring.key(20_000, create=True))

    threads = [threading.Thread(target=create, args=(ring,)) for ring in rings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["20000.key"]  # no leftovers


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT a FROM t WHERE b = ? AND c > ?", "SELECT a FROM t WHERE b = $1 AND c > $2"),
        (
            "DELETE FROM t WHERE x <= ?1 AND y > ?1 LIMIT ?2",
            "DELETE FROM t WHERE x <= $1 AND y > $1 LIMIT $2",
        ),
        (
            "INSERT OR IGNORE INTO t (a) VALUES (?)",
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING",
        ),
        (
            "INSERT OR REPLACE INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
            "INSERT INTO audit_nodes (level, idx, hash) VALUES ($1, $2, $3)"
            " ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash",
        ),
        (
            "DELETE FROM t WHERE rowid IN (SELECT rowid FROM t)",
            "DELETE FROM t WHERE ctid IN (SELECT ctid FROM t)",
        ),
        (
            "SET e = min(e, c + ?) WHERE k IS ?",
            "SET e = LEAST(e, c + $1) WHERE k IS NOT DISTINCT FROM $2",
        ),
        ("SELECT min(key_id) FROM k", "SELECT min(key_id) FROM k"),  # the aggregate stays
    ],
)
def test_the_dialect_translation(sqlite, postgres):
    assert translate(sqlite) == postgres


async def test_a_node_with_another_key_folder_or_audit_key_refuses_to_start(nodes, tmp_path):
    first, _ = nodes  # started with tmp_path/epoch-keys and tmp_path/audit-log.key
    from relay.storage.postgres import PostgresStorage

    elsewhere = PostgresStorage(first.dsn, tmp_path / "other-keys", tmp_path / "audit-log.key")
    with pytest.raises(
        ConfigError, match=r"^--key-dir .* not the key folder the other relay nodes use"
    ):
        await elsewhere.open()
    await elsewhere.close()
    other_audit = PostgresStorage(first.dsn, tmp_path / "epoch-keys", tmp_path / "other.key")
    with pytest.raises(
        ConfigError, match=r"^--audit-key .* not the audit key the other relay nodes use"
    ):
        await other_audit.open()
    await other_audit.close()


def test_several_nodes_need_postgresql_and_say_so():
    from relay.config import RelayConfig
    from relay.errors import ConfigError

    env = {
        "STEUNTJE_DATABASE": "postgresql://steuntje@db/steuntje",
        "STEUNTJE_REDIS": "redis://r:6379/0",
    }
    config = RelayConfig().with_env(env).validated()
    assert (config.database_url, config.redis_url) == (
        env["STEUNTJE_DATABASE"],
        env["STEUNTJE_REDIS"],
    )
    for bad in (
        {"database_url": "mysql://db/steuntje"},
        {"redis_url": "http://r:6379"},
        {"redis_url": "redis://r:6379/0"},  # Redis without a shared database: a mistake
    ):
        with pytest.raises(ConfigError):
            RelayConfig(**bad).validated()


async def test_an_acknowledgement_never_waits_for_a_row_another_node_holds(nodes):
    import asyncpg

    first, second = nodes
    await second.apply_batch([NewEnvelope(A, "held-0001", B, b"1", NOW + 99)], [], NOW, 100)
    holder = await asyncpg.connect(first.dsn)  # stands in for a node numbering for B
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM devices WHERE id = $1 FOR UPDATE", B)
            await asyncio.wait_for(first.apply_batch([], [(B, 1)], NOW, 100), 5)
            assert await second.read_mailbox(B, 0, 10, NOW) == []  # deleted at once
            assert (await second.device(B)).acked_seq == 0  # the counter waits its turn
        await first.apply_batch([], [], NOW, 100)  # this node's next batch writes it
        assert (await second.device(B)).acked_seq == 1
    finally:
        await holder.close()
