"""The storage contract at the lowest level, for every backend (the `storage_backend`
fixture runs each test on SQLite and on PostgreSQL): schema migration, group-commit
semantics, and that a database is the same after reopening."""

from __future__ import annotations

import asyncio
import sqlite3

from relay.storage.base import NewEnvelope, StoreOutcome
from relay.storage.migrations import latest_version, migrate_sqlite

NOW = 1_790_000_000


def _migrate_twice_sqlite(folder) -> tuple[int, int, int, set[str]]:
    con = sqlite3.connect(folder / "db.sqlite3", isolation_level=None)
    first, second = migrate_sqlite(con), migrate_sqlite(con)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return first, second, version, tables


def _migrate_twice_postgres(dsn: str) -> tuple[int, int, int, set[str]]:
    from relay.storage.postgres_connection import PgConnection
    from relay.storage.postgres_schema import migrate_postgres, schema_version

    con = PgConnection(dsn)
    try:
        first, second = migrate_postgres(con), migrate_postgres(con)
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
        return first, second, schema_version(con), tables
    finally:
        con.close()


async def test_migrations_run_once_and_record_the_version(storage_backend):
    if storage_backend.kind == "sqlite":
        result = _migrate_twice_sqlite(storage_backend.folder)
    else:  # a blocking connection with its own event loop: off this test's loop
        result = await asyncio.to_thread(_migrate_twice_postgres, storage_backend.dsn)
    first, second, version, tables = result
    assert first == second == version == latest_version()  # idempotent
    assert {"accounts", "devices", "envelopes", "invites", "sent_ids"} <= tables


def _refuses_newer_sqlite(folder) -> str:
    con = sqlite3.connect(folder / "db.sqlite3", isolation_level=None)
    con.execute(f"PRAGMA user_version = {latest_version() + 1}")
    try:
        migrate_sqlite(con)
    except RuntimeError as error:
        return str(error)
    raise AssertionError("a database from a newer relay must not be opened")


def _refuses_newer_postgres(dsn: str) -> str:
    from relay.storage.postgres_connection import PgConnection
    from relay.storage.postgres_schema import migrate_postgres, schema_version

    con = PgConnection(dsn)
    try:
        schema_version(con)  # creates the version table
        con.execute("INSERT INTO steuntje_schema (version) VALUES (?)", (latest_version() + 1,))
        try:
            migrate_postgres(con)
        except RuntimeError as error:
            return str(error)
        raise AssertionError("a database from a newer relay must not be opened")
    finally:
        con.close()


async def test_a_newer_database_is_refused(storage_backend):
    if storage_backend.kind == "sqlite":
        message = _refuses_newer_sqlite(storage_backend.folder)
    else:
        message = await asyncio.to_thread(_refuses_newer_postgres, storage_backend.dsn)
    assert "newer than this relay" in message


async def test_apply_batch_numbers_dedups_limits_and_survives_reopening(storage_backend):
    a, b = "A" * 43, "B" * 43
    storage = await storage_backend.with_devices(a, b, now=NOW)

    def env(eid: str, to: str = b) -> NewEnvelope:
        return NewEnvelope(a, eid, to, eid.encode(), NOW + 100)

    results = await storage.apply_batch(
        [env("one-0001"), env("two-0002"), env("one-0001"), env("x-000001", "C" * 43)],
        [],
        NOW,
        mailbox_limit=3,
    )
    assert [r.outcome for r in results] == [
        StoreOutcome.STORED,
        StoreOutcome.STORED,
        StoreOutcome.DUPLICATE,
        StoreOutcome.UNKNOWN_DEVICE,
    ]
    assert [r.envelope.seq for r in results[:2]] == [1, 2]
    full = await storage.apply_batch([env("three-03"), env("four-004")], [], NOW, 3)
    assert [r.outcome for r in full] == [StoreOutcome.STORED, StoreOutcome.MAILBOX_FULL]
    await storage.apply_batch([], [(b, 2)], NOW, 3)
    await storage.close()

    reopened = await storage_backend.open()
    left = await reopened.read_mailbox(b, 0, 10, NOW)
    assert [(e.seq, e.body) for e in left] == [(3, b"three-03")]
    assert await reopened.read_mailbox(b, 0, 10, NOW + 100) == []  # expired: hidden at once
    again = await reopened.apply_batch([env("two-0002"), env("five-005")], [], NOW, 3)
    assert [r.outcome for r in again] == [StoreOutcome.DUPLICATE, StoreOutcome.STORED]
    assert again[1].envelope.seq == 4  # numbers never go back, even after deletes
    await reopened.close()


async def _connections_to(dsn: str) -> int:
    import asyncpg

    database = dsn.rsplit("/", 1)[1]
    connection = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await connection.close()


async def test_closing_leaves_nothing_open(storage_backend):
    """SQLite: the database is in WAL mode and closing folds the WAL into the file.
    PostgreSQL: closing ends every connection the storage opened."""
    storage = await storage_backend.open()
    await storage.installation(NOW)
    await storage.read_mailbox("A" * 43, 0, 10, NOW)  # a reader connection too
    await storage.close()
    if storage_backend.kind == "postgres":
        assert await _connections_to(storage_backend.dsn) == 0
        return
    path = storage_backend.folder / "steuntje.sqlite3"
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


async def test_a_failing_delivery_callback_does_not_stop_the_commit_queue(storage_backend):
    from relay.clock import FakeClock
    from relay.commit_queue import CommitQueue

    a, b = "A" * 43, "B" * 43
    storage = await storage_backend.with_devices(a, b, now=NOW)

    def broken_delivery(envelopes):  # stands in for a bug in delivery code
        raise RuntimeError("boom")

    queue = CommitQueue(storage, FakeClock(NOW), 10, broken_delivery)
    queue.start()
    first = await queue.store([NewEnvelope(a, "first-01", b, b"1", NOW + 100)])
    second = await queue.store([NewEnvelope(a, "second-2", b, b"2", NOW + 100)])
    assert [r.outcome for r in first + second] == [StoreOutcome.STORED, StoreOutcome.STORED]
    await queue.stop()
    await storage.close()


def test_idle_invite_buckets_are_forgotten_busy_ones_kept():
    from types import SimpleNamespace

    from relay.clock import FakeClock
    from relay.handlers.session import forget_idle_buckets
    from relay.limits import TokenBucket

    clock = FakeClock(NOW)
    busy, idle = TokenBucket(rate=1, burst=10), TokenBucket(rate=1, burst=10)
    busy.take(5, NOW)
    idle.take(0, NOW)
    ctx = SimpleNamespace(clock=clock, invite_buckets={"busy": busy, "idle": idle})
    forget_idle_buckets(ctx)
    assert set(ctx.invite_buckets) == {"busy"}
