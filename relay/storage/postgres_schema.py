"""PostgreSQL's schema from the same versioned files as SQLite's (schema/0001_*.sql, ...).

There is one schema, written once. The files use a handful of SQLite type names that
`postgres_ddl` maps, and nothing else that differs between the two:

| in the files        | in PostgreSQL        | why                                         |
|---------------------|----------------------|---------------------------------------------|
| `INTEGER`           | `BIGINT`             | Unix seconds and sequence numbers need 64 bits |
| `BLOB`              | `BYTEA`              | bytes                                       |
| `) WITHOUT ROWID;`  | `);`                 | a SQLite storage hint only                  |

A new schema file must keep to that: plain `CREATE TABLE`/`INDEX`, `ALTER TABLE ... ADD
COLUMN`, standard types. The version lives in the table `steuntje_schema` (SQLite keeps it
in `PRAGMA user_version`). Each file runs in one transaction with its version bump, under
an advisory lock, so nodes starting together migrate once and never see half a schema.
"""

from __future__ import annotations

import re

from relay.storage.migrations import schema_files
from relay.storage.postgres_connection import MIGRATION_LOCK, PgConnection

_TYPES = ((re.compile(r"\bINTEGER\b"), "BIGINT"), (re.compile(r"\bBLOB\b"), "BYTEA"))
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT ROWID\s*;")


def postgres_ddl(sql: str) -> str:
    """One schema file in PostgreSQL's spelling (table above)."""
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return _WITHOUT_ROWID.sub(");", sql)


def schema_version(con: PgConnection) -> int:
    con.script("CREATE TABLE IF NOT EXISTS steuntje_schema (version BIGINT NOT NULL)")
    row = con.execute("SELECT max(version) FROM steuntje_schema").fetchone()
    return 0 if row is None or row[0] is None else row[0]


def migrate_postgres(con: PgConnection) -> int:
    """Bring the database up to the newest schema; returns the version it is at."""
    files = schema_files()
    while True:
        con.execute("BEGIN")
        try:
            con.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            current = schema_version(con)
            if current > len(files):
                raise RuntimeError(
                    f"database schema version {current} is newer than this relay"
                    f" ({len(files)}); upgrade Steuntje before opening it"
                )
            if current == len(files):
                con.execute("COMMIT")
                return current
            version, sql = files[current]
            con.script(postgres_ddl(sql))
            con.execute("DELETE FROM steuntje_schema")
            con.execute("INSERT INTO steuntje_schema (version) VALUES (?)", (version,))
        except BaseException:
            con.rollback()
            raise
        con.execute("COMMIT")
