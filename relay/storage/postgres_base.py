"""The PostgreSQL backend's plumbing: a writer connection and a pool of reader
connections, each on its own thread, running the same transaction functions as SQLite.

Why reuse rather than rewrite: every operation (registration, group commit, erasure,
legal holds, the audit log's appends) is one function over a `sqlite3`-shaped connection
(sqlite_*.py). Running those functions unchanged against PostgreSQL keeps one
implementation of the rules, tested by one contract suite against both databases;
postgres_connection.py gives them the connection they expect.

Concurrency between nodes, which SQLite never had to think about:

- Every write transaction takes the advisory lock WRITE_LOCK. The group commit of
  envelopes (`apply_batch`, the hot path, postgres_envelopes.py) takes it *shared* and
  then locks the rows of the devices it numbers envelopes for, in id order: nodes commit
  envelopes side by side, and two commits for one device take turns, so per-device
  sequence numbers stay gapless and unique.
- Every other write takes WRITE_LOCK *exclusive* and so runs alone in the cluster, as every
  write does on SQLite: invites cannot be redeemed twice, a one-time prekey goes to one
  fetcher, and the audit log is appended by one node at a time (the Merkle frontier is
  re-read from the table when another node appended since).
- Reads run in autocommit, each statement on a fresh snapshot, as SQLite's reader does.

Durability: a transaction commits with PostgreSQL's defaults (`synchronous_commit = on`,
`fsync = on` on the server), so what the relay acknowledges survives a crash of the node
and of the database server. A commit whose connection dies is reported as a failure; the
client resends under the same envelope id and the dedup table makes it exactly once.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from relay.errors import ConfigError
from relay.storage.epoch_keys import EpochKeyring
from relay.storage.postgres_connection import (
    CONNECTION_ERRORS,
    JOB_LOCK_BASE,
    MIGRATION_LOCK,
    PgConnection,
)
from relay.storage.postgres_schema import migrate_postgres
from relay.storage.sqlite_base import SQLiteBase

T = TypeVar("T")
log = logging.getLogger("steuntje.relay.storage")

READERS = 4  # reader connections (and threads) per node
# Set by apply_batch: the devices whose rows its transaction locks (shared WRITE_LOCK).
_SHARED_DEVICES: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "steuntje_shared_devices", default=None
)


def publish_file(path: Path, content: bytes) -> None:
    """Create `path` with `content` unless it exists, safely against other nodes doing the
    same at the same moment on a shared folder: written under a private name, then
    hard-linked into place, which fails if another node was first (its file wins). Nobody
    ever reads a half-written file."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another node was first
    finally:
        temporary.unlink()
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the new name survives a crash too
    finally:
        os.close(folder)


class SharedEpochKeyring(EpochKeyring):
    """Epoch keys in a folder that several nodes share (a volume, NFS): a new key is
    published with `publish_file`, so two nodes needing the same day's key at once both
    end up using the first one's."""

    def key(self, epoch: int, create: bool = False) -> bytes | None:
        with self._lock:
            cached = self._keys.get(epoch)
            if cached is not None:
                return cached
            path = self._path(epoch)
            if not path.exists():
                if not create:
                    return None
                publish_file(path, secrets.token_bytes(32))
            key = path.read_bytes()
            self._keys[epoch] = key
            return key


def publish_signing_key(path: Path) -> None:
    """The audit log's signing key, created by whichever node starts first."""
    if not path.exists():
        from audit import new_signing_key

        publish_file(path, new_signing_key())


_KEY_CHECK_LABEL = b"steuntje/v1/shared-key-check\x00"
FOLDER_ID = ".folder-id"  # beside the epoch keys: names this key folder


def check_shared_keys(con: PgConnection, key_dir: Path, audit_key: Path) -> None:
    """Refuse to start a node whose key folder or audit key is not the one the other nodes
    use: it would seal envelopes no other node can open, and sign checkpoints with a key
    officers do not know. The database remembers which folder (by a random id kept in it)
    and which audit key (by a one-way fingerprint) the first node had."""
    publish_file(key_dir / FOLDER_ID, secrets.token_hex(16).encode())
    folder = (key_dir / FOLDER_ID).read_text().strip()
    audit = hashlib.sha256(_KEY_CHECK_LABEL + audit_key.read_bytes()).hexdigest()
    con.execute("BEGIN")
    try:
        con.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        con.script(
            "CREATE TABLE IF NOT EXISTS steuntje_shared_keys"
            " (key_folder TEXT NOT NULL, audit_key TEXT NOT NULL)"
        )
        row = con.execute("SELECT key_folder, audit_key FROM steuntje_shared_keys").fetchone()
        if row is None:
            con.execute(
                "INSERT INTO steuntje_shared_keys (key_folder, audit_key) VALUES (?, ?)",
                (folder, audit),
            )
        elif row[0] != folder:
            raise ConfigError(  # one line at start, no traceback (cli.py)
                f"--key-dir {key_dir} is not the key folder the other relay nodes use: "
                "mount the same shared folder on every node (docs/scaling.md)"
            )
        elif row[1] != audit:
            raise ConfigError(
                f"--audit-key {audit_key} is not the audit key the other relay nodes use: "
                "give every node the same file (docs/scaling.md)"
            )
    except BaseException:
        con.rollback()
        raise
    con.execute("COMMIT")


def describe_dsn(dsn: str) -> str:
    """host:port/database, without user or password (for banners and logs)."""
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{host}{port}{parts.path}"


class PostgresBase(SQLiteBase):
    """`Storage` on a PostgreSQL database shared by any number of relay nodes."""

    def __init__(
        self,
        dsn: str,
        key_dir: Path,
        audit_key: Path,
        readers: int = READERS,
    ) -> None:
        # Not SQLiteBase.__init__: no file, no pragmas. The attributes the shared
        # transaction functions and audit plumbing use are set here.
        self.dsn = dsn
        self.keyring = SharedEpochKeyring(key_dir)
        self.audit_key_path = audit_key
        self._audit = None
        self._checkpoint_due = False
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="pg-writer")
        self._reader = ThreadPoolExecutor(readers, thread_name_prefix="pg-reader")
        self._jobs = ThreadPoolExecutor(1, thread_name_prefix="pg-jobs")
        self._local = threading.local()
        self._connections: list[PgConnection] = []
        self._connections_lock = threading.Lock()
        self._write_con: PgConnection | None = None  # type: ignore[assignment]
        self._jobs_held: set[int] = set()  # background jobs whose lock this node holds
        self._deferred_acks: dict[str, int] = {}  # device -> acked_seq still to write

    def __repr__(self) -> str:
        return f"{type(self).__name__}({describe_dsn(self.dsn)!r})"

    @property
    def location(self) -> str:
        return describe_dsn(self.dsn)

    # -- threads and connections ----------------------------------------------------------

    def _thread_connection(self) -> PgConnection:
        con = getattr(self._local, "connection", None)
        if con is None:
            con = PgConnection(self.dsn)
            self._local.connection = con
            with self._connections_lock:
                self._connections.append(con)
        return con

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        # The context travels with the call: apply_batch's device list reaches _transaction.
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._writer, call)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._reader, self._once_more_if_stale, fn, *args
        )

    @staticmethod
    def _once_more_if_stale(fn: Callable[..., T], *args: Any) -> T:
        """A read is idempotent: if the pooled connection turns out dead (the server
        restarted since it was last used), try once more on a new one."""
        try:
            return fn(*args)
        except CONNECTION_ERRORS:
            return fn(*args)

    def _reader_con(self) -> PgConnection:  # type: ignore[override]
        return self._thread_connection()

    def _transaction(self, body: Callable[[Any], T]) -> T:  # type: ignore[override]
        """Run `body` in one write transaction (locks: the module docstring)."""
        con = self._write_con
        if con is None:
            raise RuntimeError("storage used before open() or after close()")
        try:
            con.begin(_SHARED_DEVICES.get())
        except CONNECTION_ERRORS:  # nothing happened yet: a stale connection, once more
            con.begin(_SHARED_DEVICES.get())
        try:
            result = body(con)
        except BaseException:
            con.rollback()
            if self._audit is not None:
                self._audit.rolled_back()
            raise
        try:
            con.execute("COMMIT")
        except BaseException:
            if self._audit is not None:
                self._audit.rolled_back()  # re-read from the table on the next append
            raise
        if self._audit is not None:
            self._audit.committed()
            if self._checkpoint_due:
                self._checkpoint_due = False
                self._sign_checkpoint(con)
        return result

    def _open_sync(self) -> None:
        publish_signing_key(self.audit_key_path)
        con = self._thread_connection()
        migrate_postgres(con)
        check_shared_keys(con, self.keyring.folder, self.audit_key_path)
        self._write_con = con

    async def open(self) -> None:
        await self._write(self._open_sync)
        # Connect the jobs' connection now, so the first job starts without that delay.
        await asyncio.get_running_loop().run_in_executor(
            self._jobs, lambda: self._thread_connection().execute("SELECT 1")
        )

    async def close(self) -> None:
        self._write_con = None
        for pool in (self._reader, self._writer, self._jobs):
            pool.shutdown(wait=True)
        with self._connections_lock:
            connections, self._connections = self._connections, []
        # Each connection's loop must run on a thread without a running loop: not ours.
        await asyncio.to_thread(lambda: [con.close() for con in connections])

    # -- what SQLite needs and PostgreSQL does not ----------------------------------------

    async def truncate_wal(self, attempts: int = 50) -> bool:
        """Nothing to fold: PostgreSQL recycles its own WAL. Deleted rows linger in its
        WAL segments, dead tuples and backups until recycled; crypto-shredding (the epoch
        keys) is what makes them unreadable (docs/scaling.md)."""
        return True

    def _passive_checkpoint(self) -> None:
        pass

    # -- background jobs: one node at a time ----------------------------------------------

    async def try_job_lock(self, job: int) -> bool:
        """True if this node holds (or just took) the cluster-wide lock of background job
        `job`. It stays held on a dedicated connection until `release_job_lock` or until
        the node dies (PostgreSQL releases a dead session's locks): one node runs the job,
        and another takes over within one interval when it is gone."""
        held = await asyncio.get_running_loop().run_in_executor(
            self._jobs, lambda: self._thread_connection().hold_lock(JOB_LOCK_BASE + job)
        )
        if held != (job in self._jobs_held):
            (self._jobs_held.add if held else self._jobs_held.discard)(job)
            log.info("background job %d: %s", job, "runs on this node" if held else "elsewhere")
        return held

    async def release_job_lock(self, job: int) -> None:
        self._jobs_held.discard(job)
        await asyncio.get_running_loop().run_in_executor(
            self._jobs, lambda: self._thread_connection().release_lock(JOB_LOCK_BASE + job)
        )
