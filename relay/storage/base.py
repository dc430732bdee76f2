"""The narrow storage interface every backend implements, and the records it speaks in.

The relay never hands a backend anything but routing data and opaque ciphertext bytes.
Time is always a parameter (`now`, Unix seconds): backends never read the clock.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from relay.storage.audit_store import AuditDraft

ROLES = ("admin", "worker", "officer", "caregiver")


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    id: str
    account_id: str
    org_id: str
    role: str
    device_status: str  # active | revoked
    account_status: str  # active | disabled | revoked
    acked_seq: int = 0  # how far this device has acknowledged its mailbox


@dataclass(frozen=True, slots=True)
class Route:
    """Whether a sender may reach a device, and the case they share (for legal holds;
    None when allowed without one: an admin, or the sender's own other device)."""

    allowed: bool
    case_id: str | None = None  # for a group envelope: the group id (its retention scope)
    closed: bool = False  # refused because the only case they share (or the group) is closed
    # Group routes (docs/groups.md): the envelope travels from the sender's handle to the
    # real device behind the recipient's handle.
    from_handle: str | None = None
    to_device: str | None = None
    muted_until: int = 0  # the sender is muted in the group until then
    refusal: str | None = None  # a more precise code than not_permitted (not_a_member)

    @property
    def group(self) -> bool:
        return self.to_device is not None


@dataclass(frozen=True, slots=True)
class NewEnvelope:
    from_device: str
    envelope_id: str
    to_device: str
    body: bytes
    expires_at: int
    case_id: str | None = None

    def __repr__(self) -> str:  # never show the ciphertext, even in a traceback
        return f"NewEnvelope(id={self.envelope_id!r}, bytes={len(self.body)})"


@dataclass(frozen=True, slots=True)
class StoredEnvelope:
    to_device: str
    seq: int
    from_device: str
    envelope_id: str
    body: bytes

    def __repr__(self) -> str:
        return f"StoredEnvelope(seq={self.seq}, bytes={len(self.body)})"


class StoreOutcome(enum.Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # this sender already sent this id: same acknowledgement, no delivery
    ID_REUSED = "id_reused"  # this id, still held, was sent with another body or recipient
    MAILBOX_FULL = "mailbox_full"
    UNKNOWN_DEVICE = "unknown_device"  # recipient gone (revoked) between check and commit


@dataclass(frozen=True, slots=True)
class StoreResult:
    outcome: StoreOutcome
    envelope: StoredEnvelope | None = None


@dataclass(frozen=True, slots=True)
class BlobRecord:
    """A blob's bookkeeping (PROTOCOL.md §4.17); its bytes are read piece by piece."""

    id: str
    account_id: str  # who uploaded it
    device_id: str
    size: int
    received: int  # bytes uploaded so far
    epoch: int  # the epoch key its pieces are sealed under
    named: bool  # an envelope names it (its lifetime is theirs)
    expires_at: int

    @property
    def complete(self) -> bool:
        return self.received == self.size


# `register` with a recovery invite and `"keep_devices": "all"` (PROTOCOL.md §4.2): the
# caregiver keeps every old device. "all" is no device id (relay.ids.DEVICE_ID), so the
# one-element tuple cannot be mistaken for a list of devices to keep.
KEEP_ALL = "all"
KEEP_ALL_DEVICES: tuple[str, ...] = (KEEP_ALL,)


@dataclass(frozen=True, slots=True)
class Registration:
    account_id: str
    device_id: str
    org_id: str
    role: str
    case_id: str | None
    case_members: tuple[str, ...] = ()
    linked: bool = False  # True: a further device of an existing account
    # A recovery (PROTOCOL.md §4.2): the account's devices it revoked, and the envelopes
    # that were waiting for them, as (sender, envelope id), so the senders can be told.
    revoked: tuple[str, ...] = ()
    undeliverable: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CaseMember:
    account_id: str
    role: str
    devices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CaseView:
    id: str
    caregiver_id: str
    members: tuple[CaseMember, ...]
    closed_at: int | None = None  # when a worker or admin closed it (retention runs from then)
    caregiver_flagged_at: int | None = None  # the caregiver's account was flagged as unused
    # The (UTC) day the caregiver last signed in: "laatst gebruikt", so a worker sees who may
    # have lost access to their phone's Steuntje (issue 20).
    caregiver_active_day: int | None = None


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: str
    role: str
    status: str
    created_at: int
    devices: tuple[tuple[str, str], ...] = field(default=())  # (device id, status)


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """What a case change did, so the relay can tell every member's connections."""

    case_id: str
    members: tuple[str, ...]  # account ids on the case after the change, plus anyone removed


class Storage(Protocol):
    """What the relay needs from a database. One transaction per method unless stated."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...

    async def installation(self, now: int) -> tuple[bytes, str]:
        """(relay id, organisation id) of this installation, both created on first use."""
        ...

    async def account_count(self) -> int: ...

    async def create_invite(
        self,
        token_hash: bytes,
        org_id: str,
        role: str,
        created_by: str | None,
        now: int,
        expires_at: int,
        for_account: str | None = None,
        created_by_device: str | None = None,
    ) -> None:
        """Store an invite (or, with `for_account`, a device link). `created_by` and
        `created_by_device` name its issuer (None for the operator's own invites): it is
        void once that device is revoked or that account disabled or revoked."""
        ...

    async def redeem_invite(
        self,
        token_hash: bytes,
        device_id: str,
        now: int,
        expect_account: str | None = None,
        keep_devices: Sequence[str] = (),
    ) -> Registration:
        """Atomically: check the invite and that its issuer may still issue it, mark it
        used, create account + device (+ case). Raises RelayError(invite_invalid |
        invite_expired | invite_used | invite_revoked | device_exists). A recovery invite
        needs `expect_account` to be its account (else invite_wrong_account) and revokes
        the account's other devices but `keep_devices` (Registration.revoked)."""
        ...

    async def create_recovery(
        self,
        token_hash: bytes,
        issuer: DeviceRecord,
        account_id: str,
        now: int,
        expires_at: int,
        audit: Sequence[AuditDraft] = (),
        *,
        recovery_id: str | None = None,
        needs_approval: bool = False,
    ) -> str:
        """Store a recovery invite for a caregiver made by a worker on their case, voiding
        older unused ones; returns that case. Raises RelayError(unknown_account |
        not_permitted). (relay/storage/sqlite_recovery.py)"""
        ...

    async def approve_recovery(
        self, recovery_id: str, approver: DeviceRecord, now: int, audit: AuditDraft
    ) -> tuple[str, str]:
        """A second worker approves a pending recovery invite; returns (account, case)."""
        ...

    async def note_expired_recoveries(self, now: int) -> int:
        """recovery.expired, once, for each recovery invite that expired unused."""
        ...

    async def device(self, device_id: str) -> DeviceRecord | None: ...
    async def account_role(self, org_id: str, account_id: str) -> str | None: ...

    async def may_send(self, sender: DeviceRecord, to_device: str) -> Route | None:
        """How the sender may reach the device, or None if no active device has that id."""
        ...

    async def apply_batch(
        self,
        stores: list[NewEnvelope],
        acks: list[tuple[str, int]],
        now: int,
        mailbox_limit: int,
    ) -> list[StoreResult]:
        """One transaction: apply cumulative acks (delete), then store envelopes (with
        dedup and mailbox limits). Durable when it returns. One result per store."""
        ...

    async def purge_expired(
        self,
        now: int,
        invite_grace_s: int,
        hold_record_s: int = 365 * 86_400,
        audit_retention_s: int = 5 * 365 * 86_400,
        *,
        dry_run: bool = False,
        batch: int = 1_000,
        progress: Callable[[str, int], None] | None = None,
    ) -> dict[str, int]:
        """Delete expired envelopes, sent ids, and invites past their grace period, in
        batches; leave no copy in a write-ahead log. Counts only, if dry_run."""
        ...

    async def read_mailbox(
        self,
        device_id: str,
        after_seq: int,
        limit: int,
        now: int,
    ) -> list[StoredEnvelope]: ...

    async def upload_prekeys(
        self,
        device_id: str,
        signed: bytes | None,
        one_time: list[tuple[int, bytes]],
        now: int,
        max_one_time: int,
        group: bool = False,
    ) -> int:
        """Store a device's (group: a group handle's) signed prekey part and add one-time
        prekeys; returns how many one-time prekeys it now has. Raises
        RelayError(too_many_prekeys) over the cap."""
        ...

    async def fetch_prekeys(
        self, device_id: str, group: bool = False
    ) -> tuple[bytes, tuple[int, bytes] | None, int]:
        """Atomically take one one-time prekey. Raises RelayError(no_prekeys)."""
        ...

    async def prekey_status(self, device_id: str, group: bool = False) -> tuple[bool, int]: ...
    async def correspondents(self, account_id: str) -> list[str]: ...

    async def account_export(self, account_id: str) -> dict[str, Any]:
        """Everything stored about the account; others appear only as counts."""
        ...

    async def erase_account(self, account_id: str) -> tuple[list[str], list[str], list[str]]:
        """Delete the account and all held about it; (devices, correspondents, closed cases)."""
        ...

    async def place_hold(self, org_id: str, hold: dict[str, Any]) -> str: ...
    async def lift_hold(self, org_id: str, hold_id: str, now: int) -> str: ...
    async def list_holds(self, org_id: str) -> list[dict[str, Any]]: ...
    async def org_cases(self, org_id: str) -> list[dict[str, Any]]: ...

    async def defer_erasure_if_held(self, account_id: str, now: int) -> bool:
        """Record the erasure as pending (True) when a legal hold covers the account."""
        ...

    async def erasures_due(self, now: int) -> list[str]: ...

    async def list_cases(self, account_id: str) -> list[CaseView]: ...
    async def colleagues(self, org_id: str) -> list[str]: ...
    async def account_devices(self, org_id: str, account_id: str) -> list[str]: ...

    async def add_case_member(
        self,
        actor: DeviceRecord,
        case_id: str,
        account_id: str,
        now: int,
    ) -> MembershipChange: ...

    async def handover_case(
        self,
        actor: DeviceRecord,
        case_id: str,
        to_account: str,
        now: int,
    ) -> MembershipChange: ...

    async def list_accounts(self, org_id: str) -> list[AccountSummary]: ...

    async def set_account_status(self, org_id: str, account_id: str, status: str) -> list[str]:
        """Disable, enable or revoke an account; returns its device ids (revoking an account
        revokes its devices and empties their mailboxes). Disabling or revoking voids the
        account's outstanding invites and device links for good."""
        ...

    async def revoke_device(self, org_id: str, device_id: str) -> str:
        """Revoke a device for good, delete its mailbox and void the invites and device
        links it made; returns its account id."""
        ...

    # Attachments (relay/storage/sqlite_blobs.py, PROTOCOL.md §4.17)
    async def blob_secret(self) -> bytes: ...
    async def create_blob(
        self, blob_id: str, device: DeviceRecord, size: int, now: int, expires_at: int, quota: int
    ) -> None: ...
    async def blob(self, blob_id: str) -> BlobRecord | None: ...
    async def append_blob(self, blob_id: str, start: int, piece: bytes) -> tuple[bool, int]: ...
    async def read_blob_piece(self, blob: BlobRecord, position: int) -> bytes: ...
    async def name_blobs(self, names: Sequence[tuple[str, str, int, str | None]]) -> None: ...
    async def unname_blobs(self, pairs: Sequence[tuple[str, str]]) -> None: ...
    async def is_blob_reader(self, blob_id: str, device_id: str) -> bool: ...
    async def blob_done(self, blob_id: str, device_id: str) -> bool | None: ...

    # Web Push (relay/storage/sqlite_push.py, docs/notifications.md)
    async def push_subscribe(
        self, device_id: str, subscription: Any, now: int, expires_at: int
    ) -> None:
        """Store or replace the device's one push subscription."""
        ...

    async def push_unsubscribe(self, device_id: str, endpoint: str | None = None) -> bool:
        """Delete it (only with this endpoint, if given); True if there was one."""
        ...

    async def push_target(self, device_id: str, seq: int, from_device: str, now: int) -> Any:
        """The subscription if envelope `seq` is unacknowledged and the device active."""
        ...

    async def push_claim(self, device_id: str, now: int, interval_s: int) -> bool:
        """True for exactly one caller per interval: that caller pushes."""
        ...

    # Reach figures (relay/storage/sqlite_reach.py, docs/accountability.md)
    async def reach_lists(self, org_id: str) -> dict[str, list[str]]: ...
    async def set_reach_lists(
        self, org_id: str, areas: Sequence[str], teams: Sequence[str], now: int, audit: Any
    ) -> None: ...
    async def set_case_area(
        self, org_id: str, case_id: str, area: str | None, now: int, audit: Any
    ) -> bool: ...
    async def set_account_team(
        self, org_id: str, account_id: str, team: str | None, now: int, audit: Any
    ) -> bool: ...
    async def case_areas(self, org_id: str) -> dict[str, str]: ...
    async def account_teams(self, org_id: str) -> dict[str, str]: ...
    async def note_reach_activity(
        self, account_id: str, month: str, groups: Sequence[str] = ()
    ) -> None: ...
    async def reach_contribute(
        self, device_id: str, period: Any, checkins: int, questionnaires: int, now: int
    ) -> None: ...
    async def reach_population(self, org_id: str, period: Any) -> Any: ...
    async def reach_release(
        self, org_id: str, period: Any, make: Callable[..., str], now: int, audit: Any
    ) -> tuple[str, bool]:
        """The period's signed note, frozen at its first release, and whether it is new."""
        ...

    async def purge_reach(self, now: int) -> int: ...
