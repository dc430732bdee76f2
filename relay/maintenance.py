"""Maintenance run from the command line against a relay's database, also while the relay
runs (SQLite serialises the writers): `steuntje retention purge`."""

from __future__ import annotations

import sys
from collections.abc import Callable

from relay.config import RelayConfig
from relay.storage.sqlite import SQLiteStorage
from retention.lifetimes import INVITE_GRACE_S


def _progress(kind: str, count: int) -> None:
    print(f"  {kind}: {count:,} deleted so far", file=sys.stderr, flush=True)


async def purge(
    config: RelayConfig, now: int, dry_run: bool, say: Callable[[str], None] = print
) -> dict[str, int]:
    storage = SQLiteStorage(config.database_path, config.sqlite_synchronous)
    if not config.database_path.exists():
        raise FileNotFoundError(f"no database at {config.database_path}")
    await storage.open()
    try:
        what = "would be deleted (dry run: nothing changed)" if dry_run else "deleted"
        say(f"Retention purge of {config.database_path.resolve()}")
        counts = await storage.purge_expired(
            now, INVITE_GRACE_S, dry_run=dry_run, progress=None if dry_run else _progress
        )
        width = max(len(kind) for kind in counts)
        say(f"  {'what':<{width}}  {what}")
        for kind, count in counts.items():
            say(f"  {kind:<{width}}  {count:>10,}")
        if not dry_run and any(counts.values()):
            say(
                "The write-ahead log was folded in and truncated: no copy of a deleted row "
                "is left in it."
            )
        return counts
    finally:
        await storage.close()
