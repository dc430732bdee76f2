"""The Art. 30 report covers every stored table and the things outside the database, with
worst-case delays computed from the purge schedule; a schedule that cannot keep up is
refused rather than given a false bound."""

from __future__ import annotations

import pytest

from retention.delays import PurgeSchedule, crypto_shred_delay, worst_case_delay
from retention.durations import DAY, HOUR, describe_at_most
from retention.errors import PolicyError
from retention.lifetimes import LIFETIMES
from retention.policy import EnvelopeLifetime, OrganisationPolicy
from retention.report import COLUMNS, report


def test_every_table_in_lifetimes_has_a_row_with_every_column_filled():
    rows = report(OrganisationPolicy())
    tables = {row.data.split(":")[0] for row in rows}
    assert {entry.table for entry in LIFETIMES} <= tables
    for row in rows:
        assert tuple(row.as_dict()) == COLUMNS
        assert all(value.strip() for value in row.as_dict().values()), row


def test_the_report_shows_the_policy_numbers_not_the_fixed_ones():
    org = OrganisationPolicy(
        envelope_lifetime=EnvelopeLifetime(default=3 * DAY, minimum=DAY, maximum=10 * DAY),
        invite_grace=2 * DAY,
    )
    rows = {row.data.split(":")[0]: row for row in report(org)}
    assert "3 days" in rows["envelopes"].kept_for
    assert "1 day to 10 days" in rows["envelopes"].kept_for
    assert "2 days after it expires" in rows["invites"].kept_for
    assert "30 days after it is closed" in rows["cases"].kept_for


def test_things_outside_the_database_are_listed_with_what_enforces_them():
    rows = report(OrganisationPolicy())
    by_data = {row.data: row for row in rows}
    (row,) = [r for d, r in by_data.items() if d.startswith("messages on people's devices")]
    assert "client" in row.status  # devices enforce the timer, not the relay
    starts = ("epoch keys", "database backups", "audit log", "inactive caregiver accounts")
    for start in starts:  # these the relay enforces
        (row,) = [r for d, r in by_data.items() if d.startswith(start)]
        assert row.status.startswith("enforced"), start


def test_the_worst_case_delay_is_one_interval_plus_two_runs():
    schedule = PurgeSchedule(interval=HOUR, batch_size=500, batch_seconds=2, due_per_interval=1000)
    assert worst_case_delay(schedule) == HOUR + 2 * (2 * 2)
    assert describe_at_most(worst_case_delay(PurgeSchedule())) == "1 hour 1 minute"


def test_a_capped_run_that_cannot_keep_up_is_refused():
    slow = PurgeSchedule(batch_size=100, batches_per_run=5, due_per_interval=501)
    with pytest.raises(PolicyError, match="batches_per_run: a run deletes at most 500"):
        worst_case_delay(slow)
    assert worst_case_delay(PurgeSchedule(batch_size=100, batches_per_run=5, due_per_interval=500))


@pytest.mark.parametrize("field", ["interval", "batch_size", "batch_seconds", "due_per_interval"])
def test_a_schedule_needs_positive_numbers(field):
    with pytest.raises(PolicyError, match=f"^{field}: must be a whole number"):
        PurgeSchedule(**{field: 0})


def test_backups_stay_readable_until_the_key_of_the_expiry_day_goes():
    org = OrganisationPolicy()
    schedule = PurgeSchedule()
    # Epochs are expiry days: every envelope under a key expires that day, whatever its
    # lifetime, so the spread of lifetimes does not delay the shredding.
    assert crypto_shred_delay(org, schedule) == DAY + worst_case_delay(schedule)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 seconds"),
        (59, "59 seconds"),
        (3600, "1 hour"),
        (3601, "1 hour 1 minute"),
        (DAY - 1, "1 day"),
        (90 * DAY + 7200, "90 days 2 hours"),
    ],
)
def test_bounds_are_described_rounded_up(seconds, words):
    assert describe_at_most(seconds) == words
