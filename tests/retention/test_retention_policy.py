"""Organisation policies: the defaults are valid, every impossible combination is refused
with a message naming the field, and case overrides are clamped (and say so)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retention.durations import DAY, HOUR, MINUTE, YEAR
from retention.errors import PolicyError
from retention.policy import (
    OFF,
    CasePolicy,
    Clamp,
    DisappearingTimer,
    EnvelopeLifetime,
    InactiveAccounts,
    OrganisationPolicy,
    effective,
)


def test_the_defaults_are_the_documented_ones():
    org = OrganisationPolicy()
    assert (org.envelope_lifetime.default, org.envelope_lifetime.minimum) == (14 * DAY, DAY)
    assert org.envelope_lifetime.maximum == 90 * DAY
    assert org.disappearing_timer.default == 30 * DAY
    assert (org.disappearing_timer.minimum, org.disappearing_timer.maximum) == (HOUR, YEAR)
    assert org.disappearing_timer.off_allowed is False
    assert org.metadata_lifetime == 30 * DAY
    assert (org.inactive_accounts.flag_after, org.inactive_accounts.remove_after) == (
        180 * DAY,
        30 * DAY,
    )
    assert org.audit_retention == 5 * YEAR
    assert org.invite_grace == 7 * DAY


BAD_POLICIES = [
    # (build, field named, fragment of what would be accepted)
    (lambda: EnvelopeLifetime(maximum=120 * DAY), "envelope_lifetime.maximum", "90 days"),
    (lambda: EnvelopeLifetime(minimum=MINUTE), "envelope_lifetime.minimum", "1 hour"),
    (lambda: EnvelopeLifetime(default=0), "envelope_lifetime.default", "between"),
    (lambda: EnvelopeLifetime(default=-5), "envelope_lifetime.default", "got -5"),
    (lambda: EnvelopeLifetime(default=2.5), "envelope_lifetime.default", "whole number"),
    (lambda: EnvelopeLifetime(default=True), "envelope_lifetime.default", "whole number"),
    (
        lambda: EnvelopeLifetime(minimum=30 * DAY, default=30 * DAY, maximum=10 * DAY),
        "envelope_lifetime.minimum",
        "must not exceed envelope_lifetime.maximum",
    ),
    (
        lambda: EnvelopeLifetime(default=60 * DAY, maximum=30 * DAY),
        "envelope_lifetime.default",
        "between envelope_lifetime.minimum and envelope_lifetime.maximum",
    ),
    (
        lambda: EnvelopeLifetime(default=2 * HOUR),
        "envelope_lifetime.default",
        "1 day .. 90 days",
    ),
    (
        lambda: DisappearingTimer(default=OFF),
        "disappearing_timer.default",
        "off_allowed = true",
    ),
    (lambda: DisappearingTimer(default="never"), "disappearing_timer.default", "whole number"),
    (lambda: DisappearingTimer(minimum=MINUTE), "disappearing_timer.minimum", "5 minutes"),
    (lambda: DisappearingTimer(maximum=10 * YEAR), "disappearing_timer.maximum", "5 years"),
    (
        lambda: DisappearingTimer(default=2 * YEAR),
        "disappearing_timer.default",
        "1 hour .. 1 year",
    ),
    (
        lambda: DisappearingTimer(minimum=2 * DAY, maximum=DAY, default=DAY),
        "disappearing_timer.minimum",
        "must not exceed",
    ),
    (lambda: DisappearingTimer(off_allowed="yes"), "disappearing_timer.off_allowed", "true"),
    (
        lambda: InactiveAccounts(flag_after=7 * DAY),
        "inactive_accounts.flag_after",
        "between 30 days and 3 years",
    ),
    (
        lambda: InactiveAccounts(remove_after=DAY),
        "inactive_accounts.remove_after",
        "between 7 days and 1 year",
    ),
    (
        lambda: InactiveAccounts(flag_after=40 * DAY, remove_after=60 * DAY),
        "inactive_accounts.remove_after",
        "must not exceed inactive_accounts.flag_after",
    ),
    (lambda: OrganisationPolicy(metadata_lifetime=HOUR), "metadata_lifetime", "1 day"),
    (lambda: OrganisationPolicy(metadata_lifetime=YEAR), "metadata_lifetime", "90 days"),
    (lambda: OrganisationPolicy(audit_retention=30 * DAY), "audit_retention", "1 year"),
    (lambda: OrganisationPolicy(audit_retention=25 * YEAR), "audit_retention", "20 years"),
    (lambda: OrganisationPolicy(closed_case_lifetime=-1), "closed_case_lifetime", "between"),
    (lambda: OrganisationPolicy(closed_case_lifetime=2 * YEAR), "closed_case_lifetime", "1 year"),
    (lambda: OrganisationPolicy(invite_grace=60 * DAY), "invite_grace", "30 days"),
    (lambda: OrganisationPolicy(envelope_lifetime=14 * DAY), "envelope_lifetime", "Envelope"),
    (lambda: CasePolicy(""), "case_id", "non-empty"),
    (lambda: CasePolicy("c1", envelope_lifetime=0), "envelope_lifetime", "positive"),
    (lambda: CasePolicy("c1", disappearing_timer=-1), "disappearing_timer", "positive"),
    (lambda: CasePolicy("c1", disappearing_timer="never"), "disappearing_timer", "whole"),
]


@pytest.mark.parametrize(("build", "field", "fragment"), BAD_POLICIES)
def test_an_impossible_policy_is_refused_naming_the_field(build, field, fragment):
    with pytest.raises(PolicyError) as raised:
        build()
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")
    assert fragment in str(raised.value)


def test_off_is_a_valid_default_when_allowed():
    timer = DisappearingTimer(default=OFF, off_allowed=True)
    assert effective(OrganisationPolicy(disappearing_timer=timer)).disappearing_timer == OFF


def test_the_organisation_defaults_apply_without_a_case_and_clamp_nothing():
    result = effective(OrganisationPolicy())
    assert (result.envelope_lifetime, result.disappearing_timer) == (14 * DAY, 30 * DAY)
    assert result.clamped == ()
    assert result.sent_id_window == result.envelope_lifetime


@pytest.mark.parametrize(
    ("case", "lifetime", "timer", "clamps"),
    [
        (CasePolicy("c", envelope_lifetime=7 * DAY), 7 * DAY, 30 * DAY, []),
        (
            CasePolicy("c", envelope_lifetime=HOUR),
            DAY,
            30 * DAY,
            [Clamp("envelope_lifetime", HOUR, DAY, "below the minimum 1 day")],
        ),
        (
            CasePolicy("c", envelope_lifetime=365 * DAY),
            90 * DAY,
            30 * DAY,
            [Clamp("envelope_lifetime", 365 * DAY, 90 * DAY, "above the maximum 90 days")],
        ),
        (
            CasePolicy("c", disappearing_timer=MINUTE),
            14 * DAY,
            HOUR,
            [Clamp("disappearing_timer", MINUTE, HOUR, "below the minimum 1 hour")],
        ),
        (
            CasePolicy("c", disappearing_timer=3 * YEAR),
            14 * DAY,
            YEAR,
            [Clamp("disappearing_timer", 3 * YEAR, YEAR, "above the maximum 1 year")],
        ),
        (
            CasePolicy("c", disappearing_timer=OFF),
            14 * DAY,
            YEAR,
            [Clamp("disappearing_timer", OFF, YEAR, '"off" is not allowed')],
        ),
    ],
)
def test_case_overrides_are_clamped_to_the_organisation_limits_and_reported(
    case, lifetime, timer, clamps
):
    result = effective(OrganisationPolicy(), case)
    assert (result.envelope_lifetime, result.disappearing_timer) == (lifetime, timer)
    assert list(result.clamped) == clamps


def test_a_case_asking_for_off_gets_off_where_the_organisation_allows_it():
    org = OrganisationPolicy(disappearing_timer=DisappearingTimer(off_allowed=True))
    result = effective(org, CasePolicy("c", disappearing_timer=OFF))
    assert result.disappearing_timer == OFF and result.clamped == ()


def test_narrowing_the_organisation_limits_clamps_an_existing_case_setting():
    case = CasePolicy("c", envelope_lifetime=60 * DAY)  # valid when it was set
    assert effective(OrganisationPolicy(), case).envelope_lifetime == 60 * DAY
    narrower = replace(OrganisationPolicy(), envelope_lifetime=EnvelopeLifetime(maximum=30 * DAY))
    assert effective(narrower, case).envelope_lifetime == 30 * DAY
    assert effective(narrower, case).clamped[0].field == "envelope_lifetime"
