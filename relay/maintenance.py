"""Maintenance run from the command line against a relay's database, also while the relay
runs (SQLite serialises the writers): `steuntje retention purge`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

from relay.config import RelayConfig
from relay.storage.factory import storage_for_config
from relay.storage.sqlite import PURGE_BATCH
from retention import EnvelopeLifetime, OrganisationPolicy, PurgeSchedule, report
from retention.lifetimes import INVITE_GRACE_S
from retention.report import COLUMNS


def _progress(kind: str, count: int) -> None:
    print(f"  {kind}: {count:,} deleted so far", file=sys.stderr, flush=True)


async def purge(
    config: RelayConfig, now: int, dry_run: bool, say: Callable[[str], None] = print
) -> dict[str, int]:
    storage = storage_for_config(config)
    if not config.database_url and not config.database_path.exists():
        raise FileNotFoundError(f"no database at {config.database_path}")
    await storage.open()
    try:
        what = "would be deleted (dry run: nothing changed)" if dry_run else "deleted"
        say(f"Retention purge of {storage.location}")
        counts = await storage.purge_expired(
            now, INVITE_GRACE_S, dry_run=dry_run, progress=None if dry_run else _progress
        )
        width = max(len(kind) for kind in counts)
        say(f"  {'what':<{width}}  {what}")
        for kind, count in counts.items():
            say(f"  {kind:<{width}}  {count:>10,}")
        if not dry_run and any(counts.values()) and not config.database_url:
            say(
                "The write-ahead log was folded in and truncated: no copy of a deleted row "
                "is left in it."
            )
        return counts
    finally:
        await storage.close()


def live_policy(config: RelayConfig) -> tuple[OrganisationPolicy, PurgeSchedule]:
    """The policy and purge schedule this relay runs with today: the defaults, with the
    configured envelope lifetime (per-organisation settings in the database: issue 5)."""
    defaults = OrganisationPolicy()
    configured = config.envelope_ttl_s
    lifetime = EnvelopeLifetime(
        configured,
        defaults.envelope_lifetime.minimum,
        max(defaults.envelope_lifetime.maximum, configured),
    )
    schedule = PurgeSchedule(interval=int(config.purge_interval_s), batch_size=PURGE_BATCH)
    return replace(defaults, envelope_lifetime=lifetime), schedule


def retention_report(config: RelayConfig, form: str) -> str:
    """The GDPR Art. 30 table (erasure time limits) for this relay, as text, Markdown or
    JSON: ready to paste into the organisation's record of processing."""
    backend = "postgresql" if config.database_url else "sqlite"
    rows = [row.as_dict() for row in report(*live_policy(config), backend=backend)]
    if form == "json":
        import json

        return json.dumps(rows, indent=2, ensure_ascii=False)
    if form == "markdown":
        head = "| " + " | ".join(c.replace("_", " ") for c in COLUMNS) + " |"
        rule = "|" + "---|" * len(COLUMNS)
        body = ["| " + " | ".join(row[c].replace("|", "/") for c in COLUMNS) + " |" for row in rows]
        return "\n".join([head, rule, *body])
    blocks = []
    for row in rows:
        lines = [row["data"]] + [f"  {c.replace('_', ' ')}: {row[c]}" for c in COLUMNS[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
