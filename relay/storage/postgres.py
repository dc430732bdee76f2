"""The PostgreSQL backend: several relay nodes share one database.

`PostgresStorage` implements `Storage` (base.py) with the same operation mixins as
`SQLiteStorage` (taken from its bases, so a mixin added there is used here too) on
PostgreSQL plumbing:

- postgres_connection.py: a blocking connection per thread over asyncpg, and the few
  SQLite spellings it rewrites for PostgreSQL (a table in its docstring);
- postgres_schema.py: the schema from the same versioned files, with a type mapping;
- postgres_base.py: the writer and reader pools, the write locks that make concurrent
  nodes safe, the background-job lock and the shared key folder;
- postgres_envelopes.py: the group commit (the hot path) in a few array statements
  instead of one statement per envelope.

Selected with `steuntje serve --database postgresql://user@host/db` (or
STEUNTJE_DATABASE); without it the relay keeps to its embedded SQLite file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relay.storage.postgres_envelopes import EnvelopesPG
from relay.storage.sqlite import SQLiteStorage

if TYPE_CHECKING:
    from relay.config import RelayConfig

__all__ = ["PostgresStorage"]


class PostgresStorage(EnvelopesPG, *SQLiteStorage.__bases__):  # type: ignore[misc]
    """`Storage` on PostgreSQL; safe for any number of nodes on one database."""

    @classmethod
    def for_config(cls, config: RelayConfig) -> PostgresStorage:
        return cls(config.database_url, config.epoch_key_dir, config.audit_key_path)
