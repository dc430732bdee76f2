"""Epoch keys for crypto-shredding: the pure part.

Envelope bodies at rest are to be encrypted with a key per day (an epoch). Deleting a row
does not reach backups or freed database pages; destroying the key does: every copy of
that day's ciphertext, wherever it is, becomes unreadable. A key can be destroyed once
nothing it could decrypt may still be needed:

- the epoch has ended (no new envelope will be written with its key);
- the last envelope it could decrypt has expired under the current policy; and
- no active legal hold covers the envelopes of a case written in it.

The relay keeps, per epoch, the newest expires_at it stored (acknowledged envelopes
included: they live on in backups) and, ideally, which cases wrote in it.
Status: planned; the relay does not encrypt at rest with epoch keys yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from retention.decisions import Policies
from retention.durations import DAY
from retention.holds import active_holds

EPOCH_LENGTH = DAY


def epoch_of(instant: int) -> int:
    """The epoch (UTC day number) of an instant: the key a new envelope is encrypted with."""
    return instant // EPOCH_LENGTH


def epoch_end(epoch: int) -> int:
    """The first second after the epoch."""
    return (epoch + 1) * EPOCH_LENGTH


@dataclass(frozen=True, slots=True)
class EpochMeta:
    epoch: int
    newest_expires_at: int  # the latest expires_at stored for any envelope of the epoch
    case_ids: frozenset[str] | None = None  # None: unknown, so any envelope hold keeps it


@dataclass(frozen=True, slots=True)
class EpochDecisions:
    destroy: tuple[int, ...]  # destroy these keys now
    held: tuple[int, ...]  # due, but a legal hold covers data encrypted with them
    next_destruction: int | None  # the earliest destruction still to come, if any


def epoch_expiry(meta: EpochMeta, policies: Policies) -> int:
    """When the epoch's key has nothing left to decrypt.

    Every envelope of the epoch was created before its end and expires at most the
    organisation's current maximum lifetime later (shortening applies to stored data), and
    never after the newest expires_at stored (lengthening does not).
    """
    end = epoch_end(meta.epoch)
    ceiling = end + policies.organisation.envelope_lifetime.maximum
    return max(end, min(meta.newest_expires_at, ceiling))


def epochs_to_destroy(epochs: Iterable[EpochMeta], policies: Policies, now: int) -> EpochDecisions:
    """Which epoch keys to destroy at `now`, and which a legal hold keeps."""
    holds = active_holds(policies.holds, now)
    destroy: list[int] = []
    held: list[int] = []
    upcoming: list[int] = []
    for meta in epochs:
        due = epoch_expiry(meta, policies)
        if due > now:
            upcoming.append(due)
            continue
        # Unknown cases: keep the key while any hold on envelopes is active. Losing held
        # evidence cannot be undone; keeping a key a little longer can.
        cases = meta.case_ids if meta.case_ids is not None else holds.scopes_by_case.keys()
        if any(holds.covers(case_id, "envelopes") for case_id in cases):
            held.append(meta.epoch)
        else:
            destroy.append(meta.epoch)
    return EpochDecisions(tuple(destroy), tuple(held), min(upcoming, default=None))
