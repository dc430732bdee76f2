"""The retention policy in force: the organisation's stored document (or the defaults, with
the configured envelope lifetime), a case's own settings, and the effective values, cached
until a policy changes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from relay.context import RelayContext
from retention import (
    CasePolicy,
    EffectivePolicy,
    EnvelopeLifetime,
    OrganisationPolicy,
    case_from_dict,
    effective,
    organisation_from_dict,
)


def default_organisation(envelope_ttl_s: int) -> OrganisationPolicy:
    """The defaults, with the lifetime the relay was configured with (--envelope-ttl)."""
    defaults = OrganisationPolicy()
    limits = defaults.envelope_lifetime
    lifetime = EnvelopeLifetime(
        envelope_ttl_s, min(limits.minimum, envelope_ttl_s), max(limits.maximum, envelope_ttl_s)
    )
    return replace(defaults, envelope_lifetime=lifetime)


async def load(
    ctx: RelayContext,
) -> tuple[OrganisationPolicy, dict[str, CasePolicy], dict[str, Any]]:
    documents = await ctx.storage.policy_documents(ctx.org_id)
    org_entry = documents.get(f"org:{ctx.org_id}")
    org = (
        organisation_from_dict(org_entry["document"])
        if org_entry
        else default_organisation(ctx.config.envelope_ttl_s)
    )
    cases = {
        scope[5:]: case_from_dict(entry["document"])
        for scope, entry in documents.items()
        if scope.startswith("case:")
    }
    return org, cases, documents


async def effective_for(ctx: RelayContext, case_id: str | None) -> EffectivePolicy:
    cached = ctx.policy_cache.get(case_id)
    if cached is not None:
        return cached
    org, cases, _ = await load(ctx)
    result = effective(org, cases.get(case_id) if case_id else None)
    ctx.policy_cache[case_id] = result
    return result
