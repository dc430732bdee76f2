"""Maintenance run from the command line against a relay's database, also while the relay
runs (SQLite serialises the writers): `steuntje retention purge`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from relay.config import RelayConfig
from relay.errors import ConfigError
from relay.storage.factory import storage_for_config
from relay.storage.sqlite import PURGE_BATCH
from retention import EnvelopeLifetime, OrganisationPolicy, PurgeSchedule, report
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
        _, org_id = await storage.installation(now)
        org = await _organisation(storage, org_id, config)  # the relay's job uses the same
        if not dry_run:  # as the relay's job: an unused recovery invite's end is audited first
            await storage.note_expired_recoveries(now)
        counts = await storage.purge_expired(
            now,
            org.invite_grace,
            audit_retention_s=org.audit_retention,
            dry_run=dry_run,
            progress=None if dry_run else _progress,
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
    """The built-in defaults with the configured envelope lifetime, and this relay's purge
    schedule. The organisation's own policy is in its database: `stored_policy`."""
    defaults = OrganisationPolicy()
    configured = config.envelope_ttl_s
    lifetime = EnvelopeLifetime(
        configured,
        defaults.envelope_lifetime.minimum,
        max(defaults.envelope_lifetime.maximum, configured),
    )
    schedule = PurgeSchedule(interval=int(config.purge_interval_s), batch_size=PURGE_BATCH)
    return replace(defaults, envelope_lifetime=lifetime), schedule


async def _organisation(storage: Any, org_id: str, config: RelayConfig) -> OrganisationPolicy:
    """The organisation's stored policy, or the defaults if none was set."""
    from relay.policies import default_organisation
    from retention import organisation_from_dict

    entry = (await storage.policy_documents(org_id)).get(f"org:{org_id}")
    if entry is None:
        return default_organisation(config.envelope_ttl_s)
    return organisation_from_dict(entry["document"])


async def stored_policy(config: RelayConfig, now: int) -> tuple[OrganisationPolicy, str]:
    """The organisation's policy as the relay's database holds it (what the running relay
    enforces), and a sentence saying where the figures come from. Without a database, or
    one that cannot be read, the built-in defaults, and the sentence says so."""
    from relay.policies import default_organisation

    defaults = default_organisation(config.envelope_ttl_s)
    if not config.database_url and not config.database_path.exists():
        return defaults, f"the built-in defaults: there is no database at {config.database_path}"
    storage = storage_for_config(config)
    try:
        await storage.open()
    except (OSError, ConfigError, RuntimeError) as error:  # e.g. PostgreSQL not reachable
        return defaults, f"the built-in defaults: the database could not be read ({error})"
    try:
        _, org_id = await storage.installation(now)
        version = (await storage.policy_documents(org_id)).get(f"org:{org_id}", {}).get("version")
        org = await _organisation(storage, org_id, config)
        location = storage.location
    finally:
        await storage.close()
    if version is None:
        return org, f"the built-in defaults: no policy has been set in {location}"
    return org, f"the organisation's policy (version {version}) in {location}"


def retention_report(config: RelayConfig, form: str, now: int) -> str:
    """The GDPR Art. 30 table (erasure time limits) for this relay, as text, Markdown or
    JSON: ready to paste into the organisation's record of processing. The figures are the
    organisation's own policy from the relay's database; where they come from is said (for
    JSON on stderr, so the rows stay a plain list)."""
    import asyncio

    backend = "postgresql" if config.database_url else "sqlite"
    org, source = asyncio.run(stored_policy(config, now))
    _, schedule = live_policy(config)
    rows = [row.as_dict() for row in report(org, schedule, backend=backend)]
    said = f"Figures from {source}."
    if form == "json":
        import json

        print(said, file=sys.stderr)
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if form == "markdown":
        head = "| " + " | ".join(c.replace("_", " ") for c in COLUMNS) + " |"
        rule = "|" + "---|" * len(COLUMNS)
        body = ["| " + " | ".join(row[c].replace("|", "/") for c in COLUMNS) + " |" for row in rows]
        return "\n".join([head, rule, *body, "", said])
    blocks = [said]
    for row in rows:
        lines = [row["data"]] + [f"  {c.replace('_', ' ')}: {row[c]}" for c in COLUMNS[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
