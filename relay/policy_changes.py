"""What a policy_set or a status change moved, as the audit entry's before/after values.

The audit log stores numbers and closed words only (audit/events.py CHANGE_FIELDS and
CHANGE_VALUES): durations in whole seconds, a timer that is off as "off", a case setting
that follows the organisation as "unset", yes/no for a switch. Settings that did not move
are left out, so a policy_set that changes nothing records no values at all.
"""

from __future__ import annotations

from typing import Any

from retention.policy import CasePolicy, OrganisationPolicy

Changed = tuple[str, int | str, int | str]

# Organisation settings by their document path, and how to read each off the policy.
_ORGANISATION = (
    ("envelope_lifetime.default", lambda p: p.envelope_lifetime.default),
    ("envelope_lifetime.minimum", lambda p: p.envelope_lifetime.minimum),
    ("envelope_lifetime.maximum", lambda p: p.envelope_lifetime.maximum),
    ("disappearing_timer.default", lambda p: p.disappearing_timer.default),
    ("disappearing_timer.minimum", lambda p: p.disappearing_timer.minimum),
    ("disappearing_timer.maximum", lambda p: p.disappearing_timer.maximum),
    (
        "disappearing_timer.off_allowed",
        lambda p: "yes" if p.disappearing_timer.off_allowed else "no",
    ),
    ("metadata_lifetime", lambda p: p.metadata_lifetime),
    ("inactive_accounts.flag_after", lambda p: p.inactive_accounts.flag_after),
    ("inactive_accounts.remove_after", lambda p: p.inactive_accounts.remove_after),
    ("closed_case_lifetime", lambda p: p.closed_case_lifetime),
    ("audit_retention", lambda p: p.audit_retention),
    ("invite_grace", lambda p: p.invite_grace),
    ("recovery_issuers", lambda p: p.recovery_issuers),
)


def _value(value: Any) -> int | str:
    return "unset" if value is None else value if isinstance(value, str) else int(value)


def organisation_changes(
    before: OrganisationPolicy, after: OrganisationPolicy
) -> tuple[Changed, ...]:
    """The organisation's settings that differ, in the document's order."""
    pairs = ((name, _value(read(before)), _value(read(after))) for name, read in _ORGANISATION)
    return tuple(pair for pair in pairs if pair[1] != pair[2])


def case_changes(before: CasePolicy | None, after: CasePolicy) -> tuple[Changed, ...]:
    """A case's (or group's) own settings that differ; "unset" follows the organisation."""
    changes = []
    for name in ("envelope_lifetime", "disappearing_timer"):
        old = _value(None if before is None else getattr(before, name))
        new = _value(getattr(after, name))
        if old != new:
            changes.append((f"case.{name}", old, new))
    return tuple(changes)
