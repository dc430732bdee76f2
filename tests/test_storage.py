"""The SQLite backend on its own: schema migration, group-commit semantics, and that a
database is the same after reopening."""

from __future__ import annotations

import sqlite3

from helpers import storage_with_devices
from relay.storage.base import NewEnvelope, StoreOutcome
from relay.storage.migrations import latest_version, migrate_sqlite
from relay.storage.sqlite import SQLiteStorage

NOW = 1_790_000_000


def test_migrations_run_once_and_record_the_version(tmp_path):
    con = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    assert migrate_sqlite(con) == latest_version()
    assert migrate_sqlite(con) == latest_version()  # idempotent
    assert con.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"accounts", "devices", "envelopes", "invites", "sent_ids"} <= tables


def test_a_newer_database_is_refused(tmp_path):
    con = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    con.execute(f"PRAGMA user_version = {latest_version() + 1}")
    try:
        migrate_sqlite(con)
    except RuntimeError as error:
        assert "newer than this relay" in str(error)
    else:
        raise AssertionError("a database from a newer relay must not be opened")


async def test_apply_batch_numbers_dedups_limits_and_survives_reopening(tmp_path):
    a, b = "A" * 43, "B" * 43
    storage = await storage_with_devices(tmp_path / "db.sqlite3", a, b, now=NOW)

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

    reopened = SQLiteStorage(tmp_path / "db.sqlite3")
    await reopened.open()
    left = await reopened.read_mailbox(b, 0, 10, NOW)
    assert [(e.seq, e.body) for e in left] == [(3, b"three-03")]
    assert await reopened.read_mailbox(b, 0, 10, NOW + 100) == []  # expired: hidden at once
    again = await reopened.apply_batch([env("two-0002"), env("five-005")], [], NOW, 3)
    assert [r.outcome for r in again] == [StoreOutcome.DUPLICATE, StoreOutcome.STORED]
    assert again[1].envelope.seq == 4  # numbers never go back, even after deletes
    await reopened.close()


async def test_the_database_is_in_wal_mode_and_closing_folds_the_wal(tmp_path):
    path = tmp_path / "db.sqlite3"
    storage = SQLiteStorage(path)
    await storage.open()
    await storage.installation(NOW)
    await storage.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


async def test_a_failing_delivery_callback_does_not_stop_the_commit_queue(tmp_path):
    from relay.clock import FakeClock
    from relay.commit_queue import CommitQueue

    a, b = "A" * 43, "B" * 43
    storage = await storage_with_devices(tmp_path / "db.sqlite3", a, b, now=NOW)

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
