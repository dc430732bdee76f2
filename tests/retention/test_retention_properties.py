"""Properties over generated policies and records: an effective lifetime is always within
the organisation's limits, and no decision ever lets data outlive its stored expiry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from retention.decisions import EnvelopeMeta, Policies, envelope_expiry, what_expires_envelopes
from retention.durations import DAY, HOUR, MINUTE, YEAR
from retention.epochs import EpochMeta, epoch_expiry, epoch_of
from retention.policy import (
    OFF,
    CasePolicy,
    DisappearingTimer,
    EnvelopeLifetime,
    OrganisationPolicy,
    effective,
)
from retention.serialise import organisation_from_dict, organisation_to_dict


@st.composite
def organisations(draw):
    low, high = sorted(draw(st.lists(st.integers(HOUR, 90 * DAY), min_size=2, max_size=2)))
    default = draw(st.integers(low, high))
    t_low, t_high = sorted(
        draw(st.lists(st.integers(5 * MINUTE, 5 * YEAR), min_size=2, max_size=2))
    )
    off_allowed = draw(st.booleans())
    t_default = draw(st.integers(t_low, t_high) | (st.just(OFF) if off_allowed else st.nothing()))
    return OrganisationPolicy(
        envelope_lifetime=EnvelopeLifetime(default, low, high),
        disappearing_timer=DisappearingTimer(t_default, t_low, t_high, off_allowed),
    )


case_policies = st.builds(
    CasePolicy,
    case_id=st.just("case-1"),
    envelope_lifetime=st.none() | st.integers(1, 10 * YEAR),
    disappearing_timer=st.none() | st.just(OFF) | st.integers(1, 10 * YEAR),
)


@settings(max_examples=300)
@given(organisations(), st.none() | case_policies)
def test_the_effective_policy_is_always_within_the_organisation_limits(org, case):
    result = effective(org, case)
    limits, timers = org.envelope_lifetime, org.disappearing_timer
    assert limits.minimum <= result.envelope_lifetime <= limits.maximum
    if result.disappearing_timer == OFF:
        assert timers.off_allowed
    else:
        assert timers.minimum <= result.disappearing_timer <= timers.maximum
    # Reported as clamped exactly when the case asked for something else.
    asked = case.envelope_lifetime if case and case.envelope_lifetime is not None else None
    lifetime_clamped = any(c.field == "envelope_lifetime" for c in result.clamped)
    assert lifetime_clamped == (asked is not None and asked != result.envelope_lifetime)


@settings(max_examples=300)
@given(
    organisations(),
    case_policies,
    st.integers(0, 2**40),
    st.integers(0, 200 * DAY),
    st.integers(0, 400 * DAY),
)
def test_an_envelope_never_outlives_its_stored_expiry(org, case, created_at, stored_for, later):
    envelope = EnvelopeMeta("e", "case-1", created_at, created_at + stored_for)
    policies = Policies(org, {"case-1": case})
    expiry = envelope_expiry(envelope, policies)
    assert expiry <= envelope.expires_at
    assert expiry <= created_at + org.envelope_lifetime.maximum
    now = created_at + later
    purge = what_expires_envelopes([envelope], policies, now)
    assert (purge.expired == ("e",)) == (now >= expiry)
    # The key of its day is never destroyed before the envelope expired.
    epoch = EpochMeta(epoch_of(created_at), newest_expires_at=envelope.expires_at)
    assert epoch_expiry(epoch, policies) >= expiry


@settings(max_examples=200)
@given(organisations())
def test_every_valid_policy_round_trips_through_a_dict(org):
    assert organisation_from_dict(organisation_to_dict(org)) == org
