"""Retention: what the relay keeps, how long, and what expires when — policy as data and
pure decisions (no I/O). The relay's purge job and `steuntje retention` apply them.

`lifetimes` lists every stored column with its reason and lifetime; `policy` holds the
organisation's and cases' settings; `decisions` says what expires; `report` prints the
GDPR Art. 30 table. docs/retention.md explains the model.
"""

from retention.accounts import AccountDecisions, AccountMeta, inactive_accounts
from retention.decisions import (
    AuditEntryMeta,
    CaseMeta,
    EnvelopeMeta,
    InviteMeta,
    MetadataMeta,
    Policies,
    Purge,
    SentIdMeta,
    batches,
    envelope_expires_at,
    envelope_expiry,
    what_expires_audit,
    what_expires_cases,
    what_expires_envelopes,
    what_expires_invites,
    what_expires_metadata,
    what_expires_sent_ids,
)
from retention.delays import PurgeSchedule, crypto_shred_delay, worst_case_delay
from retention.epochs import EpochMeta, epoch_of, epochs_to_destroy
from retention.errors import PolicyError
from retention.holds import LegalHold, active_holds, is_held, review_due
from retention.policy import (
    OFF,
    CasePolicy,
    Clamp,
    DisappearingTimer,
    EffectivePolicy,
    EnvelopeLifetime,
    InactiveAccounts,
    OrganisationPolicy,
    effective,
)
from retention.report import report
from retention.serialise import (
    case_from_dict,
    case_to_dict,
    hold_from_dict,
    hold_to_dict,
    organisation_from_dict,
    organisation_to_dict,
)

__all__ = [
    "OFF",
    "AccountDecisions",
    "AccountMeta",
    "AuditEntryMeta",
    "CaseMeta",
    "CasePolicy",
    "Clamp",
    "DisappearingTimer",
    "EffectivePolicy",
    "EnvelopeLifetime",
    "EnvelopeMeta",
    "EpochMeta",
    "InactiveAccounts",
    "InviteMeta",
    "LegalHold",
    "MetadataMeta",
    "OrganisationPolicy",
    "Policies",
    "PolicyError",
    "Purge",
    "PurgeSchedule",
    "SentIdMeta",
    "active_holds",
    "batches",
    "case_from_dict",
    "case_to_dict",
    "crypto_shred_delay",
    "effective",
    "envelope_expires_at",
    "envelope_expiry",
    "epoch_of",
    "epochs_to_destroy",
    "hold_from_dict",
    "hold_to_dict",
    "inactive_accounts",
    "is_held",
    "organisation_from_dict",
    "organisation_to_dict",
    "report",
    "review_due",
    "what_expires_audit",
    "what_expires_cases",
    "what_expires_envelopes",
    "what_expires_invites",
    "what_expires_metadata",
    "what_expires_sent_ids",
    "worst_case_delay",
]
