"""What expires now: pure decisions for each kind of thing the relay stores.

The storage adapter reads small metadata records (never ciphertext), asks one function per
kind what to do at `now`, and deletes in batches. Every function:

- recomputes the lifetime from the *current* policy, so shortening a policy applies to
  what is already stored, while lengthening applies only to what is written afterwards
  (an envelope never outlives the expires_at it was stored with);
- keeps whatever an active legal hold covers, and reports it as held;
- treats `expires_at <= now` as expired, the same test the mailbox read uses to hide
  expired envelopes at once (a held envelope stays hidden: a hold preserves, it does not
  deliver).

    Policies(organisation, cases, holds)    the inputs, loaded once per purge run
    what_expires_envelopes / _sent_ids / _invites / _metadata / _cases / _audit → Purge
    inactive_accounts (retention/accounts.py) → AccountDecisions
    batches(ids, size)                       chunks for short delete transactions
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from retention.errors import PolicyError
from retention.holds import ActiveHolds, LegalHold, active_holds
from retention.policy import CasePolicy, EffectivePolicy, OrganisationPolicy, effective

RecordId = Hashable  # whatever the store deletes by: a rowid, (to_device, seq), a token hash


class _Record(Protocol):
    @property
    def id(self) -> RecordId: ...


R = TypeVar("R", bound=_Record)


@dataclass(frozen=True, slots=True)
class Policies:
    """Everything a decision depends on besides the records and the time."""

    organisation: OrganisationPolicy = field(default_factory=OrganisationPolicy)
    cases: Mapping[str, CasePolicy] = field(default_factory=dict)  # by case id
    holds: tuple[LegalHold, ...] = ()

    def effective_for(self, case_id: str | None) -> EffectivePolicy:
        """The case's effective policy; the organisation's defaults for data of no case."""
        return effective(self.organisation, self.cases.get(case_id) if case_id else None)


@dataclass(frozen=True, slots=True)
class EnvelopeMeta:
    id: RecordId
    case_id: str | None  # None: not attributable to a case; organisation defaults apply
    created_at: int
    expires_at: int  # as stored when written


@dataclass(frozen=True, slots=True)
class SentIdMeta:
    id: RecordId
    expires_at: int  # the expires_at of the envelope it was sent with
    case_id: str | None = None
    created_at: int | None = None  # when known, shortening applies as to envelopes


@dataclass(frozen=True, slots=True)
class InviteMeta:
    id: RecordId
    expires_at: int  # used or not: a spent invite is kept to answer invite_used


@dataclass(frozen=True, slots=True)
class MetadataMeta:
    """Server metadata not needed for routing: a last-seen time, a counter."""

    id: RecordId
    recorded_at: int  # last written
    case_id: str | None = None


@dataclass(frozen=True, slots=True)
class CaseMeta:
    id: str  # the case id
    closed_at: int | None  # None while the case is open


@dataclass(frozen=True, slots=True)
class AuditEntryMeta:
    id: RecordId  # the leaf index
    created_at: int
    case_ids: frozenset[str] = frozenset()
    body_removed: bool = False  # only the leaf hash is left


@dataclass(frozen=True, slots=True)
class Purge:
    """What to do with one kind of record at one instant."""

    expired: tuple[RecordId, ...]  # delete these now (audit: remove their bodies)
    held: tuple[RecordId, ...]  # expired, but kept by a legal hold
    next_expiry: int | None  # the earliest expiry still to come, if any


def _decide(
    records: Iterable[R],
    expiry: Callable[[R], int | None],
    cases: Callable[[R], Iterable[str | None]],
    scope: str | None,
    holds: ActiveHolds,
    now: int,
) -> Purge:
    """The shared rule: expired unless a hold on one of the record's cases covers `scope`."""
    expired: list[RecordId] = []
    held: list[RecordId] = []
    upcoming: list[int] = []
    for record in records:
        at = expiry(record)
        if at is None:
            continue
        if at > now:
            upcoming.append(at)
        elif scope is not None and any(holds.covers(c, scope) for c in cases(record)):
            held.append(record.id)
        else:
            expired.append(record.id)
    return Purge(tuple(expired), tuple(held), min(upcoming, default=None))


def _lifetime_lookup(policies: Policies) -> Callable[[str | None], int]:
    """Each case's effective envelope lifetime, computed once per purge run, not per row."""
    cache: dict[str | None, int] = {}

    def lifetime(case_id: str | None) -> int:
        if case_id not in cache:
            cache[case_id] = policies.effective_for(case_id).envelope_lifetime
        return cache[case_id]

    return lifetime


def envelope_expires_at(policies: Policies, case_id: str | None, created_at: int) -> int:
    """The expires_at to store with a new envelope (and its sent id): the first check."""
    return created_at + policies.effective_for(case_id).envelope_lifetime


def envelope_expiry(envelope: EnvelopeMeta, policies: Policies) -> int:
    """When a stored envelope expires under the current policy: the second check.

    The stored expires_at caps it (lengthening a policy never extends what was stored);
    the current lifetime can bring it forward (shortening applies at once).
    """
    lifetime = policies.effective_for(envelope.case_id).envelope_lifetime
    return min(envelope.expires_at, envelope.created_at + lifetime)


def what_expires_envelopes(
    envelopes: Iterable[EnvelopeMeta], policies: Policies, now: int
) -> Purge:
    """Undelivered envelopes to delete now; the same rule as envelope_expiry, row by row."""
    lifetime = _lifetime_lookup(policies)
    holds = active_holds(policies.holds, now)
    return _decide(
        envelopes,
        lambda e: min(e.expires_at, e.created_at + lifetime(e.case_id)),
        lambda e: (e.case_id,),
        "envelopes",
        holds,
        now,
    )


def what_expires_sent_ids(sent_ids: Iterable[SentIdMeta], policies: Policies, now: int) -> Purge:
    """A sent id lives exactly as long as its envelope could have waited (the dedup window
    is the envelope lifetime); shortening applies when its created_at is known."""
    window = _lifetime_lookup(policies)

    def expiry(sent: SentIdMeta) -> int:
        if sent.created_at is None:
            return sent.expires_at
        return min(sent.expires_at, sent.created_at + window(sent.case_id))

    holds = active_holds(policies.holds, now)
    return _decide(
        sent_ids,
        expiry,
        lambda s: (s.case_id,),
        "envelopes",
        holds,
        now,
    )


def what_expires_invites(invites: Iterable[InviteMeta], policies: Policies, now: int) -> Purge:
    """Invites belong to no case, so no hold applies: gone invite_grace after expiry."""
    grace = policies.organisation.invite_grace
    return _decide(
        invites,
        lambda i: i.expires_at + grace,
        lambda i: (),
        None,
        ActiveHolds({}),
        now,
    )


def what_expires_metadata(records: Iterable[MetadataMeta], policies: Policies, now: int) -> Purge:
    """Last-seen times and counters, metadata_lifetime after they were last written."""
    lifetime = policies.organisation.metadata_lifetime
    holds = active_holds(policies.holds, now)
    return _decide(
        records,
        lambda m: m.recorded_at + lifetime,
        lambda m: (m.case_id,),
        "case",
        holds,
        now,
    )


def what_expires_cases(cases: Iterable[CaseMeta], policies: Policies, now: int) -> Purge:
    """Closed cases whose row and team list are due for removal. Closing starts the clock;
    reopening (closed_at back to None) stops it."""
    lifetime = policies.organisation.closed_case_lifetime
    holds = active_holds(policies.holds, now)
    return _decide(
        cases,
        lambda c: None if c.closed_at is None else c.closed_at + lifetime,
        lambda c: (c.id,),
        "case",
        holds,
        now,
    )


def what_expires_audit(entries: Iterable[AuditEntryMeta], policies: Policies, now: int) -> Purge:
    """Audit entries whose body is due for removal. The leaf hash stays, so the Merkle tree,
    its checkpoints and every proof about other entries remain valid."""
    retention = policies.organisation.audit_retention
    holds = active_holds(policies.holds, now)
    return _decide(
        (e for e in entries if not e.body_removed),
        lambda e: e.created_at + retention,
        lambda e: e.case_ids,
        "audit",
        holds,
        now,
    )


def batches(ids: Iterable[RecordId], size: int) -> Iterator[tuple[RecordId, ...]]:
    """`ids` in chunks of at most `size`: one short delete transaction each, so the purge
    never holds the database's write lock long enough to delay a `send`."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise PolicyError("batch_size", f"must be a whole number of at least 1 (got {size!r})")
    chunk: list[RecordId] = []
    for record_id in ids:
        chunk.append(record_id)
        if len(chunk) == size:
            yield tuple(chunk)
            chunk = []
    if chunk:
        yield tuple(chunk)
