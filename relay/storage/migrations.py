"""Schema versions as numbered SQL files (schema/0001_*.sql, …), applied in order.

SQLite keeps the applied version in `PRAGMA user_version`. Each file runs inside one
transaction together with the version bump, so a database is never half-created.
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


def schema_files() -> list[tuple[int, str]]:
    """(version, sql) for every schema file, in version order."""
    folder = resources.files("relay.storage") / "schema"
    found = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"schema files must be numbered 1..n without gaps, found {versions}")
    return found


def latest_version() -> int:
    return len(schema_files())


def migrate_sqlite(connection: sqlite3.Connection) -> int:
    """Bring the database up to the newest schema; returns the version it is at."""
    current = connection.execute("PRAGMA user_version").fetchone()[0]
    files = schema_files()
    if current > len(files):
        raise RuntimeError(
            f"database schema version {current} is newer than this relay ({len(files)}); "
            "upgrade Steuntje before opening it"
        )
    for version, sql in files[current:]:
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
        )
    return len(files)
