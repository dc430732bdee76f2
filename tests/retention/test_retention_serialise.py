"""Policies, case settings and legal holds survive a trip through plain JSON, and a dict
is validated exactly like a value built in code."""

from __future__ import annotations

import json

import pytest

from retention.durations import DAY, HOUR, YEAR, describe, format_duration, parse_duration
from retention.errors import PolicyError
from retention.holds import HOLD_SCOPES, LegalHold
from retention.policy import (
    OFF,
    CasePolicy,
    DisappearingTimer,
    EnvelopeLifetime,
    InactiveAccounts,
    OrganisationPolicy,
)
from retention.serialise import (
    FORMAT_VERSION,
    case_from_dict,
    case_to_dict,
    hold_from_dict,
    hold_to_dict,
    organisation_from_dict,
    organisation_to_dict,
)

CUSTOM = OrganisationPolicy(
    envelope_lifetime=EnvelopeLifetime(default=7 * DAY, minimum=HOUR, maximum=30 * DAY),
    disappearing_timer=DisappearingTimer(
        default=OFF, minimum=6 * HOUR, maximum=2 * YEAR, off_allowed=True
    ),
    metadata_lifetime=7 * DAY,
    inactive_accounts=InactiveAccounts(flag_after=365 * DAY, remove_after=60 * DAY),
    closed_case_lifetime=0,
    audit_retention=7 * YEAR,
    invite_grace=DAY + 1,
)


def through_json(data):
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("policy", [OrganisationPolicy(), CUSTOM])
def test_an_organisation_policy_round_trips_through_json(policy):
    data = through_json(organisation_to_dict(policy))
    assert data["version"] == FORMAT_VERSION
    assert organisation_from_dict(data) == policy


def test_the_dump_is_readable():
    data = organisation_to_dict(OrganisationPolicy())
    assert data["envelope_lifetime"] == {"default": "14d", "minimum": "1d", "maximum": "90d"}
    assert data["audit_retention"] == "5y"
    assert data["disappearing_timer"]["off_allowed"] is False


def test_missing_keys_take_the_defaults_and_seconds_are_accepted():
    policy = organisation_from_dict({"version": 1, "envelope_lifetime": {"default": 604800}})
    assert policy.envelope_lifetime == EnvelopeLifetime(default=7 * DAY)
    assert policy.audit_retention == OrganisationPolicy().audit_retention


@pytest.mark.parametrize(
    "case",
    [
        CasePolicy("case-1"),
        CasePolicy("case-2", envelope_lifetime=3 * DAY),
        CasePolicy("case-3", disappearing_timer=OFF),
        CasePolicy("case-4", envelope_lifetime=90 * DAY + 1, disappearing_timer=HOUR),
    ],
)
def test_a_case_policy_round_trips_through_json(case):
    assert case_from_dict(through_json(case_to_dict(case))) == case


HOLD = LegalHold(
    case_id="case-1",
    scope=frozenset({"envelopes", "audit"}),
    reason="claim about the care plan",
    reference="C/13/123456",
    placed_at=1_700_000_000,
    review_at=1_700_000_000 + 90 * DAY,
    ends_at=None,
    lifted_at=1_700_000_000 + 10 * DAY,
)


def test_a_legal_hold_round_trips_through_json():
    data = through_json(hold_to_dict(HOLD))
    assert data["scope"] == ["audit", "envelopes"]
    assert hold_from_dict(data) == HOLD


def test_a_hold_scope_of_all_means_every_scope():
    data = {**hold_to_dict(HOLD), "scope": "all"}
    assert hold_from_dict(data).scope == frozenset(HOLD_SCOPES)


BAD_DICTS = [
    (organisation_from_dict, {}, "version", "must be 1"),
    (organisation_from_dict, {"version": 2}, "version", "must be 1"),
    (organisation_from_dict, {"version": True}, "version", "must be 1"),
    (
        organisation_from_dict,
        {"version": 1, "disappearing_timer": {"default": "never"}},
        "disappearing_timer.default",
        'or "off"',
    ),
    (
        organisation_from_dict,
        {"version": 1, "envelope_lifetme": "3d"},
        "envelope_lifetme",
        "is not a setting",
    ),
    (
        organisation_from_dict,
        {"version": 1, "envelope_lifetime": {"max": "30d"}},
        "envelope_lifetime.max",
        "accepted: default, minimum, maximum",
    ),
    (
        organisation_from_dict,
        {"version": 1, "envelope_lifetime": "14d"},
        "envelope_lifetime",
        "must be an object",
    ),
    (
        organisation_from_dict,
        {"version": 1, "envelope_lifetime": {"maximum": "3 months"}},
        "envelope_lifetime.maximum",
        '"14d"',
    ),
    (
        organisation_from_dict,
        {"version": 1, "envelope_lifetime": {"maximum": "120d"}},
        "envelope_lifetime.maximum",
        "between 1 hour and 90 days",
    ),
    (
        organisation_from_dict,
        {"version": 1, "disappearing_timer": {"default": "off"}},
        "disappearing_timer.default",
        "off_allowed",
    ),
    (organisation_from_dict, {"version": 1, "audit_retention": True}, "audit_retention", "unit"),
    (organisation_from_dict, [], "(policy)", "must be an object"),
    (case_from_dict, {"envelope_lifetime": "2d"}, "case_id", "non-empty"),
    (case_from_dict, {"case_id": "c", "timer": "2d"}, "timer", "is not a setting"),
    (case_from_dict, {"case_id": "c", "envelope_lifetime": "0s"}, "envelope_lifetime", "positive"),
    (hold_from_dict, {"case_id": "c"}, "scope", "is required"),
    (hold_from_dict, {**hold_to_dict(HOLD), "scope": ["everything"]}, "scope", "one or more of"),
    (hold_from_dict, {**hold_to_dict(HOLD), "reason": " "}, "reason", "is required"),
]


@pytest.mark.parametrize(("load", "data", "field", "fragment"), BAD_DICTS)
def test_a_bad_dict_is_refused_naming_the_field(load, data, field, fragment):
    with pytest.raises(PolicyError) as raised:
        load(data)
    assert raised.value.field == field
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 90 * 60), ("12h", 12 * HOUR), ("14d", 14 * DAY), ("2w", 14 * DAY), ("5y", 5 * YEAR)],
)
def test_durations_read_every_unit_and_write_the_largest_exact_one(text, seconds):
    assert parse_duration("x", text) == seconds
    assert parse_duration("x", format_duration(seconds)) == seconds


def test_durations_are_described_exactly():
    assert [describe(s) for s in (1, DAY, 14 * DAY, 36 * HOUR, YEAR)] == [
        "1 second",
        "1 day",
        "14 days",
        "36 hours",
        "1 year",
    ]
