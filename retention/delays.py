"""Worst-case delays between expiry and physical deletion, for docs and the Art. 30 report.

An expired item is hidden at once (the read path filters on its expiry). It is physically
deleted by the next purge run. The run's deletes are batched: `batches` per run, each a
short transaction, so a purge never stalls `send`. The delay is bounded only if a run can
delete everything that falls due between two runs; `worst_case_delay` refuses a schedule
that cannot keep up, rather than print a bound that is false.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from retention.durations import HOUR
from retention.epochs import EPOCH_LENGTH
from retention.errors import PolicyError
from retention.policy import OrganisationPolicy


@dataclass(frozen=True, slots=True)
class PurgeSchedule:
    """How the purge job runs. The relay's housekeeping must match these numbers."""

    interval: int = 1 * HOUR  # seconds the job waits after a run before the next one
    batch_size: int = 500  # records per delete transaction (the SQLite adapter's batch)
    batches_per_run: int | None = None  # None: a run continues until nothing is due
    batch_seconds: int = 1  # the longest one delete batch takes (measured, rounded up)
    due_per_interval: int = 10_000  # the most records that can fall due between two runs

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "batches_per_run" and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise PolicyError(
                    item.name, f"must be a whole number of at least 1 (got {value!r})"
                )


def worst_case_delay(schedule: PurgeSchedule) -> int:
    """Seconds from expiry to deletion from the live database, at most.

    Worst case: an item expires just after a run read the clock. That run may still take
    `run` seconds, then the job waits `interval`, then the next run may delete the item in
    its last batch, another `run` seconds later.
    """
    needed = -(-schedule.due_per_interval // schedule.batch_size)  # ceiling division
    if schedule.batches_per_run is not None and needed > schedule.batches_per_run:
        capacity = schedule.batches_per_run * schedule.batch_size
        raise PolicyError(
            "batches_per_run",
            f"a run deletes at most {capacity} records but {schedule.due_per_interval} can fall"
            " due between runs, so deletion would fall further behind every run: raise"
            " batch_size or batches_per_run, or shorten interval",
        )
    run = needed * schedule.batch_seconds
    return run + schedule.interval + run


def crypto_shred_delay(org: OrganisationPolicy, schedule: PurgeSchedule) -> int:
    """Seconds from an envelope's expiry until its epoch key is destroyed, at most: how long
    a copy in a backup stays readable.

    The relay keys epochs by the day an envelope *expires* (relay/storage/epoch_keys.py), so
    every envelope under one key expires within the same day, whatever its lifetime: the
    key goes with the first purge after that day ends. (Keyed by creation day, it would
    have to wait for the longest lifetime the organisation allows.) A legal hold keeps the
    key as long as it keeps any of the day's envelopes.
    """
    del org  # the lifetime spread no longer matters with expiry-day epochs
    return EPOCH_LENGTH + worst_case_delay(schedule)
