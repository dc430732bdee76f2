"""The closed vocabularies of an audit entry, and one table row per event code.

Everything an entry can say is listed here. A value outside these lists is refused by
``audit.entry`` rather than stored, so that no free text, and therefore no content,
name, token or address, can slip into the log by way of a "reason" or a "filter".
Adding a word means editing this file, which is a code review, not a runtime decision.

The action letters are NEN 7513's (the same five as HL7 FHIR ``AuditEvent.action``):
C create, R read (view, print, export), U update, D delete, E execute (a search, a
log-in attempt, a job). ``EVENTS`` is rendered as the event table in docs/audit.md and
a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACTIONS",
    "CHANGE_FIELDS",
    "CHANGE_VALUES",
    "CHECKS",
    "CHECK_RESULTS",
    "COUNTS",
    "EVENTS",
    "FORBIDDEN",
    "INITIATORS",
    "OBJECT_TYPES",
    "OPTIONAL",
    "OUTCOMES",
    "QUERY_FILTERS",
    "REASONS",
    "REQUIRED",
    "ROLES",
    "EventRule",
]

ACTIONS = {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "execute"}
# The relay's account roles (relay/storage/base.py ROLES) plus the relay itself.
ROLES = ("admin", "worker", "officer", "caregiver", "system")
# NEN 7513 asks whether a person started the action or the system did (a scheduled job).
INITIATORS = ("user", "system")
OUTCOMES = (
    "success",
    "denied",
    "invalid",
    "not_found",
    "conflict",
    "rate_limited",
    "expired",
    "error",
)
CHECKS = ("authentication", "authorisation", "membership", "consent", "legal_hold", "rate_limit")
CHECK_RESULTS = ("pass", "fail")
OBJECT_TYPES = (
    "account",
    "device",
    "invite",
    "case",
    "team",
    "policy",
    "legal_hold",
    "export",
    "group",
)
# Reasons are codes, never prose: a free-text reason is where a name would end up.
REASONS = (
    "care_handover",
    "staff_change",
    "client_request",
    "data_subject_request",
    "consent_withdrawn",
    "legal_obligation",
    "court_order",
    "incident_investigation",
    "security_incident",
    "suspected_misuse",
    "account_compromised",
    "left_organisation",
    "routine_review",
    "retention_policy",
    "policy_update",
    # Recorded when a person was free to give no reason (an audit search) and gave none:
    # the log says so rather than filling in a reason nobody chose (docs/audit.md).
    "not_given",
)
# The filters an officer's search may record, and the kind of value each one takes.
QUERY_FILTERS = {
    "event": "event",
    "action": "action",
    "outcome": "outcome",
    "actor": "pseudonym",
    "object": "pseudonym",
    "subject": "pseudonym",  # everything about one person: as actor or object, any device or case
    "object_type": "object_type",
    "since": "time",
    "until": "time",
}
# What a job or an export may count. Counts are numbers of things, never the things.
COUNTS = (
    "accounts",
    "devices",
    "invites",
    "cases",
    "envelopes",
    "prekeys",
    "attempts",
    "entries",
    "bodies",
    "records",
)

# What a change entry may name (issue 19 item 2): which setting moved, from what to what.
# Settings of the organisation's policy by their policy-document path, a case's or group's
# own setting under `case.`, an account's status. Values are whole seconds or one of
# CHANGE_VALUES: settings and states, never anything about a person.
CHANGE_FIELDS = (
    "envelope_lifetime.default",
    "envelope_lifetime.minimum",
    "envelope_lifetime.maximum",
    "disappearing_timer.default",
    "disappearing_timer.minimum",
    "disappearing_timer.maximum",
    "disappearing_timer.off_allowed",
    "metadata_lifetime",
    "inactive_accounts.flag_after",
    "inactive_accounts.remove_after",
    "closed_case_lifetime",
    "audit_retention",
    "invite_grace",
    "recovery_issuers",
    "case.envelope_lifetime",
    "case.disappearing_timer",
    "account.status",
)
CHANGE_VALUES = (
    "off",  # a disappearing timer that is off
    "unset",  # a case setting that follows the organisation's default
    "yes",
    "no",
    "case_workers",
    "case_workers_with_approval",
    "active",  # account statuses (relay/handlers/admin.py ACCOUNT_STATUSES)
    "disabled",
    "revoked",
)
MAX_CHANGES = len(CHANGE_FIELDS)

REQUIRED = "required"
OPTIONAL = "optional"
FORBIDDEN = "forbidden"


@dataclass(frozen=True, slots=True)
class EventRule:
    """What one event code means and which of the conditional fields it carries."""

    action: str
    meaning: str
    objects: tuple[str, ...]  # object types allowed; the first one is the main object
    object_required: bool = True
    reason: str = FORBIDDEN
    query: str = FORBIDDEN
    counts: str = FORBIDDEN
    change: str = FORBIDDEN  # before/after values (entries written before issue 19 lack them)


EVENTS: dict[str, EventRule] = {
    "account.registered": EventRule("C", "an account was created", ("account", "invite")),
    "account.status_changed": EventRule(
        "U",
        "an account was suspended, re-activated or closed",
        ("account",),
        reason=REQUIRED,
        change=OPTIONAL,
    ),
    "device.registered": EventRule(
        "C", "a further device was linked to an account", ("device", "account")
    ),
    # Optional: entries from before reasons were asked, and recovery's automatic revocations,
    # carry none; an admin's revocation always states one (relay/handlers/admin.py).
    "device.revoked": EventRule(
        "D", "a device was revoked", ("device", "account"), reason=OPTIONAL
    ),
    # Who is recognisable as whom (issue 19 item 7): that a name or label changed and by
    # whom, never the name or label itself (the log holds no free text).
    "account.display_name_set": EventRule(
        "U", "an admin set or cleared a staff member's display name", ("account",)
    ),
    "device.label_set": EventRule(
        "U", "a device set or cleared its own label", ("device", "account")
    ),
    "invite.created": EventRule("C", "an invite was issued", ("invite", "case", "team")),
    "invite.redeemed": EventRule("U", "an invite was used", ("invite", "account")),
    # Recovery (issue 20): a worker lets a caregiver whose phone lost its storage back into
    # the same account; redeeming adds a device and revokes the old ones (device.revoked).
    "recovery.created": EventRule(
        "C", "a recovery invite was issued for an account", ("invite", "account")
    ),
    "recovery.redeemed": EventRule(
        "U",
        "a recovery invite was used: a new device replaced the account's old ones",
        ("invite", "account", "device"),
    ),
    # Where the organisation asks for it (policy recovery_issuers), a second worker approves
    # before the invite can be redeemed; an unused invite's end is recorded by the relay.
    "recovery.approved": EventRule(
        "U", "a second worker approved a recovery invite", ("invite", "account")
    ),
    "recovery.expired": EventRule("U", "a recovery invite expired unused", ("invite", "account")),
    "recovery.voided": EventRule(
        "U", "an unused recovery invite was voided by a newer one", ("invite", "account")
    ),
    "auth.failed_summary": EventRule(
        "E",
        "failed log-in attempts in one window, summed",
        ("account", "device"),
        object_required=False,
        counts=REQUIRED,
    ),
    "case.created": EventRule("C", "a case was created", ("case", "account", "team")),
    "case.member_added": EventRule(
        "U", "someone was added to a case", ("case", "account"), reason=OPTIONAL
    ),
    "case.handed_over": EventRule(
        "U", "a case moved to another worker", ("case", "account"), reason=REQUIRED
    ),
    "case.closed": EventRule(
        "U", "a case was closed: its retention clock started", ("case",), reason=REQUIRED
    ),
    "case.reopened": EventRule("U", "a closed case was opened again", ("case",), reason=REQUIRED),
    "account.flagged_inactive": EventRule(
        "U", "an unused caregiver account was flagged for removal", ("account",)
    ),
    "audit.queried": EventRule(
        "E",
        "someone searched the audit log",
        ("account", "case", "device"),
        object_required=False,
        reason=REQUIRED,
        query=REQUIRED,
        counts=OPTIONAL,
    ),
    "audit.exported": EventRule(
        "R",
        "the audit log, or part of it, was exported",
        ("export",),
        object_required=False,
        reason=REQUIRED,
        query=OPTIONAL,
        counts=OPTIONAL,
    ),
    # Reach figures (docs/accountability.md): the period in query since/until; the event
    # names the one protection every report gets (cells under 5 suppressed, rounded to 5).
    "reach.reported": EventRule(
        "R",
        "reach figures for a fixed period were handed out (under 5 suppressed, rounded to 5)",
        ("export",),
        object_required=False,
        query=REQUIRED,
    ),
    "purge.ran": EventRule(
        "D",
        "a retention job deleted what had expired (counts only)",
        ("policy",),
        object_required=False,
        counts=REQUIRED,
    ),
    "export.made": EventRule(
        "R",
        "the data held about an account or case was exported (access, portability)",
        ("export", "case", "account"),
        reason=REQUIRED,
        counts=OPTIONAL,
    ),
    "erasure.done": EventRule(
        "D",
        "an account and everything held about it was erased",
        ("account",),
        reason=REQUIRED,
        counts=OPTIONAL,
    ),
    "legal_hold.placed": EventRule(
        "C", "purging was frozen for a case", ("legal_hold", "case", "group"), reason=REQUIRED
    ),
    "legal_hold.lifted": EventRule(
        "D", "a legal hold was lifted", ("legal_hold", "case", "group"), reason=REQUIRED
    ),
    "policy.changed": EventRule(
        "U",
        "a retention or access policy was changed",
        ("policy",),
        reason=REQUIRED,
        change=OPTIONAL,
    ),
    # Peer-support groups (docs/groups.md): the actor is the account that signed the change
    # with its group key; who else was involved is in the group's own signed log.
    "group.created": EventRule("C", "a peer-support group was started", ("group",)),
    "group.member_joined": EventRule("U", "someone joined a group with an invitation", ("group",)),
    "group.device_added": EventRule("U", "a member added another device to a group", ("group",)),
    "group.member_left": EventRule("U", "someone left a group", ("group",)),
    "group.member_removed": EventRule(
        "U", "a facilitator removed someone from a group", ("group",)
    ),
    "group.role_changed": EventRule("U", "a facilitator changed someone's role", ("group",)),
    "group.member_muted": EventRule(
        "U", "a facilitator muted or unmuted someone for a while", ("group",)
    ),
    "group.closed": EventRule(
        "U", "a group was closed: its retention clock started", ("group",), reason=REQUIRED
    ),
    "group.removed": EventRule(
        "D", "a closed group past its lifetime was removed", ("group",), reason=REQUIRED
    ),
}
