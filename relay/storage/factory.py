"""Which backend a configuration asks for: PostgreSQL when `database_url` is set (several
nodes, docs/scaling.md), else the embedded SQLite file. asyncpg is imported only then."""

from __future__ import annotations

from typing import TYPE_CHECKING

from relay.storage.sqlite import SQLiteStorage

if TYPE_CHECKING:
    from relay.config import RelayConfig
    from relay.storage.postgres import PostgresStorage


def storage_for_config(config: RelayConfig) -> SQLiteStorage | PostgresStorage:
    if config.database_url:
        from relay.storage.postgres import PostgresStorage

        return PostgresStorage.for_config(config)
    return SQLiteStorage.for_config(config)
