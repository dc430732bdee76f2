"""What expires when: envelopes, sent ids, invites, metadata, closed cases and audit
bodies, under the current policy, with legal holds respected. A fake clock only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retention.decisions import (
    AuditEntryMeta,
    CaseMeta,
    EnvelopeMeta,
    InviteMeta,
    MetadataMeta,
    Policies,
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
from retention.durations import DAY, YEAR
from retention.errors import PolicyError
from retention.holds import LegalHold
from retention.policy import CasePolicy, EnvelopeLifetime, OrganisationPolicy

T0 = 1_700_000_000
ORG = OrganisationPolicy()


def with_case(lifetime: int) -> Policies:
    return Policies(ORG, {"case-1": CasePolicy("case-1", envelope_lifetime=lifetime)})


def hold_on(case_id: str, *scope: str, placed_at: int = T0, **ends) -> LegalHold:
    return LegalHold(
        case_id=case_id,
        scope=frozenset(scope),
        reason="complaint procedure",
        reference="KL-2024-17",
        placed_at=placed_at,
        review_at=placed_at + 180 * DAY,
        **ends,
    )


def stored(policies: Policies, case_id: str | None, created_at: int, id_: object = 1):
    """An envelope as the relay writes it: expires_at from the policy at write time."""
    return EnvelopeMeta(
        id_, case_id, created_at, envelope_expires_at(policies, case_id, created_at)
    )


def test_the_expiry_stored_at_write_time_is_the_case_lifetime_clamped():
    assert envelope_expires_at(Policies(ORG), "case-1", T0) == T0 + 14 * DAY
    assert envelope_expires_at(with_case(3 * DAY), "case-1", T0) == T0 + 3 * DAY
    assert envelope_expires_at(with_case(400 * DAY), "case-1", T0) == T0 + 90 * DAY
    assert envelope_expires_at(with_case(3 * DAY), None, T0) == T0 + 14 * DAY


def test_an_envelope_expires_at_its_expiry_not_a_second_later():
    envelope = stored(Policies(ORG), "case-1", T0)
    assert what_expires_envelopes([envelope], Policies(ORG), T0 + 14 * DAY - 1).expired == ()
    assert what_expires_envelopes([envelope], Policies(ORG), T0 + 14 * DAY).expired == (1,)


def test_shortening_a_case_lifetime_applies_to_what_is_already_stored():
    envelope = stored(with_case(30 * DAY), "case-1", T0)
    shorter = with_case(7 * DAY)
    assert envelope_expiry(envelope, shorter) == T0 + 7 * DAY
    purge = what_expires_envelopes([envelope], shorter, T0 + 7 * DAY)
    assert purge.expired == (envelope.id,)


def test_lengthening_a_case_lifetime_applies_only_to_what_is_written_afterwards():
    old = stored(with_case(7 * DAY), "case-1", T0, id_="old")
    longer = with_case(30 * DAY)
    new = stored(longer, "case-1", T0 + DAY, id_="new")
    assert envelope_expiry(old, longer) == T0 + 7 * DAY  # its stored expires_at caps it
    assert envelope_expiry(new, longer) == T0 + DAY + 30 * DAY
    purge = what_expires_envelopes([old, new], longer, T0 + 7 * DAY)
    assert purge.expired == ("old",)
    assert purge.next_expiry == T0 + 31 * DAY


def test_narrowing_the_organisation_maximum_shortens_stored_envelopes_of_every_case():
    envelope = stored(with_case(90 * DAY), "case-1", T0)
    narrower = Policies(
        replace(ORG, envelope_lifetime=EnvelopeLifetime(maximum=20 * DAY)),
        with_case(90 * DAY).cases,
    )
    assert envelope_expiry(envelope, narrower) == T0 + 20 * DAY


def test_nothing_of_a_held_case_expires_and_it_is_reported_as_held():
    policies = Policies(ORG, holds=(hold_on("case-1", "envelopes", ends_at=T0 + 60 * DAY),))
    held = stored(policies, "case-1", T0, id_="held")
    other = stored(policies, "case-2", T0, id_="other")
    purge = what_expires_envelopes([held, other], policies, T0 + 30 * DAY)
    assert purge.expired == ("other",)
    assert purge.held == ("held",)


def test_a_held_envelope_expires_once_the_hold_ends_or_is_lifted():
    ending = Policies(ORG, holds=(hold_on("case-1", "envelopes", ends_at=T0 + 60 * DAY),))
    envelope = stored(ending, "case-1", T0)
    assert what_expires_envelopes([envelope], ending, T0 + 60 * DAY - 1).held == (1,)
    assert what_expires_envelopes([envelope], ending, T0 + 60 * DAY).expired == (1,)

    lifted = Policies(ORG, holds=(hold_on("case-1", "envelopes", lifted_at=T0 + 20 * DAY),))
    assert what_expires_envelopes([envelope], lifted, T0 + 20 * DAY).expired == (1,)


def test_a_hold_freezes_only_the_kinds_in_its_scope():
    policies = Policies(ORG, holds=(hold_on("case-1", "audit"),))
    envelope = stored(policies, "case-1", T0)
    assert what_expires_envelopes([envelope], policies, T0 + 15 * DAY).expired == (1,)


def test_sent_ids_live_as_long_as_their_envelope_could_have_waited():
    policies = with_case(30 * DAY)
    sent = SentIdMeta("s", T0 + 30 * DAY, case_id="case-1", created_at=T0)
    legacy = SentIdMeta("legacy", T0 + 14 * DAY)  # no created_at: the stored expiry only
    assert what_expires_sent_ids([sent, legacy], policies, T0 + 14 * DAY).expired == ("legacy",)
    assert what_expires_sent_ids([sent], with_case(7 * DAY), T0 + 7 * DAY).expired == ("s",)
    held = Policies(ORG, policies.cases, (hold_on("case-1", "envelopes"),))
    assert what_expires_sent_ids([sent], held, T0 + 40 * DAY).held == ("s",)


def test_invites_are_kept_for_the_grace_period_after_expiry():
    invite = InviteMeta("token-hash", T0)
    assert what_expires_invites([invite], Policies(ORG), T0 + 7 * DAY - 1).expired == ()
    assert what_expires_invites([invite], Policies(ORG), T0 + 7 * DAY).expired == ("token-hash",)
    quick = Policies(replace(ORG, invite_grace=0))
    assert what_expires_invites([invite], quick, T0).expired == ("token-hash",)


def test_server_metadata_expires_after_its_own_short_lifetime():
    seen = MetadataMeta("last-seen:device-1", recorded_at=T0)
    assert what_expires_metadata([seen], Policies(ORG), T0 + 30 * DAY - 1).expired == ()
    assert what_expires_metadata([seen], Policies(ORG), T0 + 30 * DAY).expired == (seen.id,)


def test_closing_a_case_starts_its_clock():
    open_case = CaseMeta("case-1", closed_at=None)
    closed = CaseMeta("case-2", closed_at=T0)
    purge = what_expires_cases([open_case, closed], Policies(ORG), T0 + 30 * DAY)
    assert purge.expired == ("case-2",)
    assert what_expires_cases([open_case], Policies(ORG), T0 + 100 * YEAR).expired == ()
    early = what_expires_cases([closed], Policies(ORG), T0 + 30 * DAY - 1)
    assert early.expired == () and early.next_expiry == T0 + 30 * DAY


def test_a_closed_case_under_hold_is_kept():
    policies = Policies(ORG, holds=(hold_on("case-2", "case"),))
    purge = what_expires_cases([CaseMeta("case-2", closed_at=T0)], policies, T0 + YEAR)
    assert purge.held == ("case-2",) and purge.expired == ()


def test_audit_bodies_go_after_the_audit_retention_unless_held_or_already_gone():
    entries = [
        AuditEntryMeta(0, T0, frozenset({"case-1"})),
        AuditEntryMeta(1, T0, frozenset({"case-2"})),
        AuditEntryMeta(2, T0, body_removed=True),
        AuditEntryMeta(3, T0 + DAY),
    ]
    policies = Policies(ORG, holds=(hold_on("case-1", "audit", placed_at=T0 + 4 * YEAR),))
    purge = what_expires_audit(entries, policies, T0 + 5 * YEAR)
    assert purge.expired == (1,)
    assert purge.held == (0,)
    assert purge.next_expiry == T0 + DAY + 5 * YEAR


@pytest.mark.parametrize(
    ("count", "size", "sizes"),
    [(0, 3, []), (3, 3, [3]), (7, 3, [3, 3, 1]), (5, 1, [1] * 5)],
)
def test_batches_cut_ids_into_short_transactions(count, size, sizes):
    chunks = list(batches(iter(range(count)), size))
    assert [len(c) for c in chunks] == sizes
    assert [i for c in chunks for i in c] == list(range(count))


@pytest.mark.parametrize("size", [0, -1, 2.5, True])
def test_a_batch_size_below_one_is_refused(size):
    with pytest.raises(PolicyError, match="batch_size"):
        list(batches([1, 2], size))
