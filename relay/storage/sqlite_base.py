"""The embedded SQLite backend's core: connections on two dedicated threads, one
transaction per call on the writer, and the audit log's plumbing. The operations
live in the mixins beside it (sqlite_*.py); `SQLiteStorage` in sqlite.py joins them.

Why plain `sqlite3` on two dedicated threads rather than aiosqlite: aiosqlite already runs
every statement on one background thread, but makes each statement its own round trip to
it. A group commit here is dozens of statements; running the whole transaction as one
function on the writer thread costs one hop instead of one per statement. Reads (mailbox
drains, permission checks) use a second connection on a second thread, which WAL lets
run beside the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from relay.storage.audit_store import (
    CHECKPOINT_AT_ONCE,
    AuditDraft,
    AuditProofs,
    AuditStore,
    load_signing_key,
    read_proofs,
)
from relay.storage.epoch_keys import EpochKeyring
from relay.storage.migrations import migrate_sqlite

T = TypeVar("T")

SYNC_MODES = ("full", "normal")


def _software() -> str:
    from relay import __version__

    return __version__.replace("+unknown", "")


class SQLiteBase:
    """`Storage` on one SQLite file. `synchronous='full'` survives power loss, 'normal' only
    a process crash (see docs/performance.md for what each costs)."""

    def __init__(
        self,
        path: Path,
        synchronous: str = "full",
        secure_delete: bool = True,
        key_dir: Path | None = None,
        audit_key: Path | None = None,
    ) -> None:
        if synchronous not in SYNC_MODES:
            raise ValueError(f"synchronous must be one of {SYNC_MODES}")
        self.path = path
        self.synchronous = synchronous
        # Deleted rows are overwritten with zeros, not just unlinked (per connection, so it
        # is set on every one). Off only in the test that proves why it must be on.
        self.secure_delete = secure_delete
        # Envelope bodies at rest are sealed under per-day keys kept apart from the database
        # (crypto-shredding, epoch_keys.py); by default in a folder beside it.
        self.keyring = EpochKeyring(key_dir or path.parent / "epoch-keys")
        # The audit log's signing key, kept outside the database (audit_store.py).
        self.audit_key_path = audit_key or path.parent / "audit-log.key"
        self._audit: AuditStore | None = None
        self._checkpoint_due = False
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="sqlite-reader")
        self._write_con: sqlite3.Connection | None = None
        self._read_con: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r})"

    @property
    def location(self) -> str:
        """Where the data is, for banners and CLI output (PostgreSQL: host and database)."""
        return str(self.path.resolve())

    # -- plumbing -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA busy_timeout = 10000")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
        con.execute(f"PRAGMA secure_delete = {'ON' if self.secure_delete else 'OFF'}")
        return con

    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect()
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"could not switch {self.path} to WAL mode (got {mode})")
        migrate_sqlite(con)
        self._write_con = con

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader, fn, *args)

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run `body` in one IMMEDIATE transaction on the writer connection."""
        con = self._write_con
        if con is None:
            raise RuntimeError("storage used before open() or after close()")
        con.execute("BEGIN IMMEDIATE")
        try:
            result = body(con)
        except BaseException:
            con.execute("ROLLBACK")
            if self._audit is not None:
                self._audit.rolled_back()
            raise
        con.execute("COMMIT")
        if self._audit is not None:
            self._audit.committed()
            if self._checkpoint_due:  # an officer, admin, purge, erasure or hold event
                self._checkpoint_due = False
                self._sign_checkpoint(con)
        return result

    # -- the audit log (entries are written inside the action's own transaction) -----------

    def _audit_store(self, con: sqlite3.Connection) -> AuditStore:
        if self._audit is None:
            row = con.execute("SELECT id FROM organisations ORDER BY created_at LIMIT 1").fetchone()
            if row is None:
                raise RuntimeError("the audit log needs the organisation to exist first")
            store = AuditStore(load_signing_key(self.audit_key_path), "relay", _software())
            store.load(con, row[0])
            self._audit = store
        return self._audit

    def _log(self, con: sqlite3.Connection, drafts: Sequence[AuditDraft], now: int) -> None:
        store = self._audit_store(con)
        for draft in drafts:
            store.append(con, draft, now)
            if draft.event in CHECKPOINT_AT_ONCE:
                self._checkpoint_due = True

    def _sign_checkpoint(self, con: sqlite3.Connection) -> str | None:
        con.execute("BEGIN IMMEDIATE")
        try:
            note = self._audit_store(con).checkpoint(con, int(time.time()))
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        return note

    async def record(self, drafts: Sequence[AuditDraft], now: int) -> None:
        """Audit entries on their own: a read (recorded before its data is returned), a
        refused attempt, a job's counts."""
        await self._write(self._transaction, lambda con: self._log(con, drafts, now))

    async def checkpoint(self) -> str | None:
        """Sign a checkpoint if the log grew since the last one (the minute job)."""

        def sign() -> str | None:
            con = self._write_con
            if con is None:
                raise RuntimeError("storage not open")
            self._audit_store(con)
            return self._sign_checkpoint(con)

        return await self._write(sign)

    async def audit_verifier_key(self) -> str:
        return await self._write(lambda: self._audit_store(self._write_con).verifier_key)  # type: ignore[arg-type]

    async def audit_entries(
        self, since: int | None, until: int | None, event: str | None, after: int, limit: int
    ) -> list[tuple[int, Any]]:
        def read() -> list[tuple[int, Any]]:
            return AuditStore.entries(self._reader_con(), since, until, event, after, limit)

        return await self._read(read)

    async def audit_pseudonym(self, subject: str) -> str | None:
        return await self._write(
            lambda: self._audit_store(self._write_con).known_pseudonym(self._write_con, subject)  # type: ignore[arg-type]
        )

    async def audit_pseudonyms_about(self, subject: str) -> frozenset[str]:
        """Pseudonyms of a person's account, devices and cases (reads keys, never makes one)."""
        return await self._write(
            lambda: self._audit_store(self._write_con).pseudonyms_about(self._write_con, subject)  # type: ignore[arg-type]
        )

    async def audit_proofs(self, indices: list[int], from_size: int | None) -> AuditProofs:
        """The newest checkpoint with inclusion and consistency proofs (audit_store.py)."""
        return await self._read(lambda: read_proofs(self._reader_con(), indices, from_size))

    async def audit_size(self) -> int:
        def read() -> int:
            last = self._reader_con().execute("SELECT max(idx) FROM audit_entries").fetchone()[0]
            return 0 if last is None else last + 1

        return await self._read(read)

    async def audit_bundle(self) -> list[str]:
        """The whole log as bundle lines, up to the newest checkpoint (signing one first)."""

        def export() -> list[str]:
            con = self._write_con
            store = self._audit_store(con)  # type: ignore[arg-type]
            self._sign_checkpoint(con)  # type: ignore[arg-type]
            return list(store.bundle(con))  # type: ignore[arg-type]

        return await self._write(export)

    def _reader_con(self) -> sqlite3.Connection:
        if self._read_con is None:
            self._read_con = self._connect()
        return self._read_con

    async def open(self) -> None:
        await self._write(self._open_sync)

    async def close(self) -> None:
        def close_writer() -> None:
            if self._write_con is not None:
                # Fold the WAL back into the main file so a stopped relay leaves one file;
                # if something still blocks it, SQLite folds it in at the next open.
                with contextlib.suppress(sqlite3.OperationalError):
                    self._write_con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._write_con.close()
                self._write_con = None

        def close_reader() -> None:
            if self._read_con is not None:
                self._read_con.close()
                self._read_con = None

        await self._read(close_reader)
        await self._write(close_writer)
        self._reader.shutdown(wait=True)
        self._writer.shutdown(wait=True)
