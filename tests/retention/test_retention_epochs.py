"""Epoch keys: destroyed only once the epoch is over, everything it could decrypt has
expired under the current policy, and no legal hold covers it."""

from __future__ import annotations

from dataclasses import replace

from retention.decisions import Policies
from retention.durations import DAY
from retention.epochs import EpochMeta, epoch_end, epoch_expiry, epoch_of, epochs_to_destroy
from retention.holds import LegalHold
from retention.policy import EnvelopeLifetime, OrganisationPolicy

T0 = 1_700_000_000 - 1_700_000_000 % DAY  # a UTC midnight
DAY0 = epoch_of(T0)


def hold_on(case_id: str, scope: str = "envelopes", **ends) -> LegalHold:
    return LegalHold(
        case_id=case_id,
        scope=frozenset({scope}),
        reason="complaint procedure",
        reference="KL-2024-17",
        placed_at=T0,
        review_at=T0 + 180 * DAY,
        **ends,
    )


def test_an_epoch_is_a_utc_day():
    assert epoch_of(T0) == epoch_of(T0 + DAY - 1) == DAY0
    assert epoch_of(T0 + DAY) == DAY0 + 1
    assert epoch_end(DAY0) == T0 + DAY


def test_a_key_goes_when_the_newest_envelope_it_encrypted_has_expired():
    meta = EpochMeta(DAY0, newest_expires_at=T0 + 20 * DAY, case_ids=frozenset({"c"}))
    policies = Policies()
    assert epochs_to_destroy([meta], policies, T0 + 20 * DAY - 1).destroy == ()
    assert epochs_to_destroy([meta], policies, T0 + 20 * DAY - 1).next_destruction == T0 + 20 * DAY
    assert epochs_to_destroy([meta], policies, T0 + 20 * DAY).destroy == (DAY0,)


def test_a_key_outlives_its_day_even_if_everything_in_it_expired_already():
    meta = EpochMeta(DAY0, newest_expires_at=T0 + 3600)  # today's key is still in use
    assert epochs_to_destroy([meta], Policies(), T0 + 7200).destroy == ()
    assert epochs_to_destroy([meta], Policies(), T0 + DAY).destroy == (DAY0,)


def test_shortening_the_organisation_maximum_brings_key_destruction_forward():
    meta = EpochMeta(DAY0, newest_expires_at=T0 + 90 * DAY)
    shorter = Policies(
        replace(OrganisationPolicy(), envelope_lifetime=EnvelopeLifetime(maximum=30 * DAY))
    )
    assert epoch_expiry(meta, shorter) == T0 + DAY + 30 * DAY
    assert epoch_expiry(meta, Policies()) == T0 + 90 * DAY  # never later than stored


def test_a_held_case_keeps_the_keys_of_its_days_until_the_hold_ends():
    meta = EpochMeta(DAY0, T0 + 14 * DAY, case_ids=frozenset({"held", "other"}))
    unrelated = EpochMeta(DAY0 + 1, T0 + 15 * DAY, case_ids=frozenset({"other"}))
    policies = Policies(holds=(hold_on("held", ends_at=T0 + 60 * DAY),))
    during = epochs_to_destroy([meta, unrelated], policies, T0 + 30 * DAY)
    assert during.held == (DAY0,) and during.destroy == (DAY0 + 1,)
    assert epochs_to_destroy([meta], policies, T0 + 60 * DAY).destroy == (DAY0,)


def test_a_hold_on_other_kinds_of_data_does_not_keep_keys():
    meta = EpochMeta(DAY0, T0 + 14 * DAY, case_ids=frozenset({"held"}))
    policies = Policies(holds=(hold_on("held", scope="audit"),))
    assert epochs_to_destroy([meta], policies, T0 + 30 * DAY).destroy == (DAY0,)


def test_with_unknown_cases_any_envelope_hold_keeps_the_key():
    meta = EpochMeta(DAY0, T0 + 14 * DAY, case_ids=None)
    policies = Policies(holds=(hold_on("anyone"),))
    assert epochs_to_destroy([meta], policies, T0 + 30 * DAY).held == (DAY0,)
    assert epochs_to_destroy([meta], Policies(), T0 + 30 * DAY).destroy == (DAY0,)
