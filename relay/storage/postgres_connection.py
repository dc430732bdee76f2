"""A blocking, `sqlite3`-shaped face on one asyncpg connection, so the PostgreSQL backend
runs the very same transaction functions as the SQLite backend (sqlite_*.py).

Each connection belongs to one thread of the backend's pools and owns a private event
loop on it: a statement is `loop.run_until_complete(...)` on that thread, never on the
relay's own loop. The shared SQL is written in the common subset of SQLite and PostgreSQL
plus a few SQLite spellings that `translate` rewrites; the contract tests run every query
against both databases, so a construct outside that list fails a test, not production:

| SQLite                               | PostgreSQL                                      |
|--------------------------------------|-------------------------------------------------|
| `?` / `?1`                           | `$1`, `$2`, ... / `$1`                          |
| `INSERT OR IGNORE INTO ...`          | `INSERT INTO ... ON CONFLICT DO NOTHING`        |
| `INSERT OR REPLACE INTO t`           | `... ON CONFLICT (t's key) DO UPDATE`           |
| `rowid`                              | `ctid` (batched deletes)                        |
| `min(a, b)` (two arguments)          | `LEAST(a, b)`                                   |
| `x IS ?`                             | `x IS NOT DISTINCT FROM $n`                     |
| `BEGIN IMMEDIATE`                    | `BEGIN` + the exclusive write lock (see below)  |
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import asyncpg

CONNECT_TIMEOUT_S = 5.0
# A statement that has not finished after this is abandoned with its connection: a safety
# net for a server that vanished without closing the socket (a partition), not a budget.
COMMAND_TIMEOUT_S = 60.0
STATEMENT_CACHE = 512  # prepared statements kept per connection

# Advisory lock keys (one 64-bit space per database). WRITE_LOCK is taken shared by the
# group commit of envelopes (nodes commit side by side, serialised per device by row
# locks) and exclusive by every other write, which therefore runs alone, exactly as on
# SQLite: registrations, case changes, purges and the audit log's appends.
WRITE_LOCK = 0x5374_6575_6E74_0001
MIGRATION_LOCK = 0x5374_6575_6E74_0002
JOB_LOCK_BASE = 0x5374_6575_6E74_0100  # + a job number: housekeeping runs on one node

# The server went away (restart, failover, network): the connection is dead, not the query.
CONNECTION_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)

_NUMBERED = re.compile(r"\?(\d+)")
_PLAIN = re.compile(r"\?")
# INSERT OR REPLACE needs the conflict target spelled out: table -> (key, update).
_OR_REPLACE_KEYS = {
    "audit_nodes": ("(level, idx)", "hash = excluded.hash"),
    "one_time_prekeys": ("(device_id, key_id)", "public_key = excluded.public_key"),
    "group_one_time_prekeys": ("(handle, key_id)", "public_key = excluded.public_key"),
}


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """The PostgreSQL spelling of one statement of the shared SQL (table above)."""
    text = sql
    if "INSERT OR IGNORE INTO" in text:
        text = text.replace("INSERT OR IGNORE INTO", "INSERT INTO") + " ON CONFLICT DO NOTHING"
    if "INSERT OR REPLACE INTO" in text:
        table = text.split("INSERT OR REPLACE INTO", 1)[1].split()[0]
        target, update = _OR_REPLACE_KEYS[table]
        text = text.replace("INSERT OR REPLACE INTO", "INSERT INTO")
        text += f" ON CONFLICT {target} DO UPDATE SET {update}"
    text = re.sub(r"\browid\b", "ctid", text)
    text = re.sub(r"\bmin\(([^(),]+),", r"LEAST(\1,", text)
    text = re.sub(r"\bIS \?", "IS NOT DISTINCT FROM ?", text)
    if _NUMBERED.search(text):
        return _NUMBERED.sub(r"$\1", text)
    counter = iter(range(1, 10_000))
    return _PLAIN.sub(lambda _: f"${next(counter)}", text)


class Result:
    """What `sqlite3.Cursor` offers that the shared code uses, over fetched rows."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def close(self) -> None:
        pass


def _rowcount(status: str | None) -> int:
    """'INSERT 0 1' -> 1, 'DELETE 3' -> 3, anything else -> -1 (as sqlite3)."""
    if not status:
        return -1
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgConnection:
    """One database connection for one thread. Reconnects on the next call after the
    server went away; the call that saw it go raises (and its transaction is lost)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.loop = asyncio.new_event_loop()
        self._connection: asyncpg.Connection | None = None
        self._statements: dict[str, asyncpg.prepared_stmt.PreparedStatement] = {}
        self._held: dict[int, asyncpg.Connection] = {}  # advisory lock -> the session holding it

    def __repr__(self) -> str:  # never the DSN: it may hold a password
        state = "open" if self._connection is not None else "closed"
        return f"PgConnection({state}, statements={len(self._statements)})"

    def _run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def _live(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            self._statements.clear()
            self._connection = None
            self._connection = self._run(
                asyncpg.connect(
                    self.dsn,
                    timeout=CONNECT_TIMEOUT_S,
                    command_timeout=COMMAND_TIMEOUT_S,
                    statement_cache_size=0,
                )
            )
        return self._connection

    def _call(self, make: Any) -> Any:
        """Run `make(connection)`; forget the connection if the server is gone."""
        connection = self._live()
        try:
            return self._run(make(connection))
        except (
            TimeoutError,
            OSError,
            asyncpg.exceptions.ConnectionDoesNotExistError,
            asyncpg.exceptions.InterfaceError,
            asyncpg.exceptions.PostgresConnectionError,
            asyncpg.exceptions.OperatorInterventionError,
        ):
            self.drop()
            raise

    def drop(self) -> None:
        """Abandon the connection without a goodbye (it is broken or we are closing)."""
        if self._connection is not None:
            self._connection.terminate()
        self._connection = None
        self._statements.clear()

    def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            try:
                self._run(asyncio.wait_for(self._connection.close(), CONNECT_TIMEOUT_S))
            except (TimeoutError, OSError, asyncpg.exceptions.InterfaceError):
                self._connection.terminate()
        self._connection = None
        self._statements.clear()
        self.loop.close()

    # -- the sqlite3 subset ---------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        if sql in ("BEGIN IMMEDIATE", "BEGIN", "COMMIT", "ROLLBACK"):
            self.control(sql)
            return Result([], -1)
        text = translate(sql)

        async def run(connection: asyncpg.Connection) -> Result:
            statement = self._statements.get(text)
            if statement is None:
                if len(self._statements) >= STATEMENT_CACHE:
                    self._statements.clear()
                statement = await connection.prepare(text)
                self._statements[text] = statement
            rows = await statement.fetch(*params)
            return Result([tuple(row) for row in rows], _rowcount(statement.get_statusmsg()))

        return self._call(run)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Result:
        batch = [tuple(row) for row in rows]
        if batch:
            text = translate(sql)
            self._call(lambda connection: connection.executemany(text, batch))
        return Result([], len(batch))

    def script(self, sql: str) -> None:
        """Several statements, no parameters (schema files)."""
        self._call(lambda connection: connection.execute(sql))

    def control(self, command: str, shared_devices: Sequence[str] | None = None) -> None:
        """BEGIN (IMMEDIATE: with the exclusive write lock), COMMIT or ROLLBACK."""
        if command == "BEGIN IMMEDIATE":
            self.begin()
        elif command == "ROLLBACK":
            self.rollback()
        else:
            self._call(lambda connection: connection.execute(command))

    def begin(self, shared_devices: Sequence[str] | None = None) -> None:
        """Open a write transaction. `shared_devices` None: the exclusive write lock; a
        sequence: the shared one, then those devices' rows locked in id order (so two
        nodes never wait for each other in a circle)."""

        async def run(connection: asyncpg.Connection) -> None:
            await connection.execute("BEGIN")
            if shared_devices is None:
                await connection.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
                return
            await connection.execute("SELECT pg_advisory_xact_lock_shared($1)", WRITE_LOCK)
            if shared_devices:
                await connection.execute(
                    "SELECT 1 FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
                    sorted(shared_devices),
                )

        self._call(run)

    def rollback(self) -> None:
        """Roll back if the connection still lives; a dead one rolled back by itself."""
        if self._connection is None or self._connection.is_closed():
            self.drop()
            return
        try:
            self._call(lambda connection: connection.execute("ROLLBACK"))
        except (OSError, asyncpg.PostgresError, asyncpg.exceptions.InterfaceError):
            self.drop()

    def hold_lock(self, key: int) -> bool:
        """Hold the session-level advisory lock `key` on this connection (background jobs):
        True while this session has it. A session that died lost it; the next call then
        tries again on a new one, and another node may have taken it meanwhile."""
        live = self._live()
        if self._held.get(key) is live:
            self._call(lambda connection: connection.fetchval("SELECT 1"))  # still alive?
            if self._connection is live:
                return True
        got = bool(
            self._call(
                lambda connection: connection.fetchval("SELECT pg_try_advisory_lock($1)", key)
            )
        )
        if got:
            self._held[key] = self._connection
        return got

    def release_lock(self, key: int) -> None:
        if self._held.pop(key, None) is self._connection and self._connection is not None:
            self._call(lambda connection: connection.execute("SELECT pg_advisory_unlock($1)", key))
