"""Recovery invites (issue 20, PROTOCOL.md §4.2 "Recovery"): a worker on a caregiver's case
gets the caregiver back into the same account after their phone lost its storage.

A recovery invite is an invite row with `kind = 'recovery'` and `for_account` set to the
caregiver's account, made by a worker (not by the account itself, as a device link is).
It can only add a device to that account: no account, role, case or group comes of it.
Redeeming it revokes the account's other devices through the ordinary revoke path
(`CasesSQL._revoke_device_rows`, `void_device_invites`), except those the caregiver asked
to keep.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from relay.errors import Code, RelayError
from relay.invites import invite_subject
from relay.storage.audit_store import AuditDraft
from relay.storage.base import KEEP_ALL_DEVICES, DeviceRecord, Registration
from relay.storage.sqlite_accounts import void_device_invites
from relay.storage.sqlite_base import SQLiteBase

RECOVERY = "recovery"


def caregiver_case(con: sqlite3.Connection, account_id: str, worker_id: str) -> str | None:
    """The oldest case of caregiver `account_id` that worker `worker_id` is on, or None.
    Only workers on the caregiver's own case may bring the caregiver back (the default
    and, for now, only "who may issue" rule)."""
    row = con.execute(
        "SELECT c.id FROM cases c JOIN case_members m ON m.case_id = c.id"
        " JOIN accounts w ON w.id = m.account_id"
        " WHERE c.caregiver_id = ? AND m.account_id = ? AND w.role = 'worker'"
        " ORDER BY c.closed_at IS NOT NULL, c.created_at LIMIT 1",
        (account_id, worker_id),
    ).fetchone()
    return None if row is None else row[0]


def issuer_may_still_recover(
    con: sqlite3.Connection, account_id: str, created_by: str | None, by_device: str | None
) -> bool:
    """Whether the recovery invite's maker could make it now: an active worker, on an
    active device, still on the caregiver's case (credentials die with their issuer's
    rights, §4.2)."""
    if created_by is None or by_device is None:
        return False
    issuer = con.execute(
        "SELECT a.status, d.status FROM accounts a JOIN devices d ON d.account_id = a.id"
        " WHERE a.id = ? AND d.id = ?",
        (created_by, by_device),
    ).fetchone()
    if issuer is None or tuple(issuer) != ("active", "active"):
        return False
    return caregiver_case(con, account_id, created_by) is not None


def void_recovery_invites(con: sqlite3.Connection, account_id: str, now: int) -> list[bytes]:
    """An unused recovery invite dies when a newer one is made for the same account.
    Returns the token hashes voided, for recovery.voided."""
    voided = [
        r[0]
        for r in con.execute(
            "SELECT token_hash FROM invites WHERE for_account = ? AND kind = 'recovery'"
            " AND used_at IS NULL AND voided_at IS NULL AND expires_at > ?",
            (account_id, now),
        )
    ]
    con.execute(
        "UPDATE invites SET voided_at = ? WHERE for_account = ? AND kind = 'recovery'"
        " AND used_at IS NULL AND voided_at IS NULL",
        (now, account_id),
    )
    return voided


def recovery_ended(event: str, token_hash: bytes, account_id: str) -> AuditDraft:
    """recovery.voided or recovery.expired: the relay ended an unused recovery invite."""
    return AuditDraft(
        event, objects=(("invite", invite_subject(token_hash)), ("account", account_id))
    )


class RecoverySQL(SQLiteBase):
    """Mixed into SQLiteStorage beside CasesSQL, whose `_revoke_device_rows` it uses;
    AccountsSQL.redeem_invite hands recovery invites to `_redeem_recovery`."""

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
        """Store a recovery invite for caregiver `account_id`, made by worker `issuer`;
        void the account's older unused ones (recovery.voided). Returns the case that
        links the two. With `needs_approval` it cannot be redeemed until a second worker
        approves it by `recovery_id` (approve_recovery)."""

        def create(con: sqlite3.Connection) -> str:
            account = con.execute(
                "SELECT role, status FROM accounts WHERE id = ? AND org_id = ?",
                (account_id, issuer.org_id),
            ).fetchone()
            if account is None:
                raise RelayError(Code.UNKNOWN_ACCOUNT)
            case_id = caregiver_case(con, account_id, issuer.account_id)
            # Only a caregiver, only by a worker on their case; a disabled or revoked
            # account is not brought back this way (an admin decides about those).
            if case_id is None or tuple(account) != ("caregiver", "active"):
                raise RelayError(Code.NOT_PERMITTED)
            voided = void_recovery_invites(con, account_id, now)
            con.execute(
                "INSERT INTO invites (token_hash, org_id, role, created_by, created_by_device,"
                " for_account, kind, created_at, expires_at, recovery_id, needs_approval)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    token_hash,
                    issuer.org_id,
                    "caregiver",
                    issuer.account_id,
                    issuer.id,
                    account_id,
                    RECOVERY,
                    now,
                    expires_at,
                    recovery_id,
                    int(needs_approval),
                ),
            )
            ended = [recovery_ended("recovery.voided", h, account_id) for h in voided]
            self._log(con, [*ended, *audit], now)
            return case_id

        return await self._write(self._transaction, create)

    async def approve_recovery(
        self, recovery_id: str, approver: DeviceRecord, now: int, audit: AuditDraft
    ) -> tuple[str, str]:
        """A second worker of the organisation approves a pending recovery invite. Returns
        (account, case). Raises RelayError(unknown_recovery | not_permitted | invite_used |
        invite_expired | invite_revoked)."""

        def approve(con: sqlite3.Connection) -> tuple[str, str]:
            row = con.execute(
                "SELECT token_hash, for_account, created_by, created_by_device, expires_at,"
                " used_at, voided_at, needs_approval, approved_at FROM invites"
                " WHERE recovery_id = ? AND org_id = ? AND kind = 'recovery'",
                (recovery_id, approver.org_id),
            ).fetchone()
            if row is None:
                raise RelayError(Code.UNKNOWN_RECOVERY)
            hashed, account_id, created_by, by_device, expires_at, used_at, voided = row[:7]
            needs, approved_at = row[7:]
            # The four-eyes rule: the issuer cannot be the second pair of eyes.
            if created_by == approver.account_id or approver.role != "worker":
                raise RelayError(Code.NOT_PERMITTED)
            if used_at is not None:
                raise RelayError(Code.INVITE_USED)
            if expires_at <= now:
                raise RelayError(Code.INVITE_EXPIRED)
            if voided is not None or not issuer_may_still_recover(
                con, account_id, created_by, by_device
            ):
                raise RelayError(Code.INVITE_REVOKED)
            if needs and approved_at is None:  # a second approval changes nothing
                con.execute(
                    "UPDATE invites SET approved_by = ?, approved_at = ? WHERE token_hash = ?",
                    (approver.account_id, now, hashed),
                )
                draft = replace(
                    audit,
                    objects=(("invite", invite_subject(hashed)), ("account", account_id)),
                )
                self._log(con, [draft], now)
            return account_id, caregiver_case(con, account_id, created_by) or ""

        return await self._write(self._transaction, approve)

    async def note_expired_recoveries(self, now: int) -> int:
        """recovery.expired, once, for every recovery invite that expired unused (the hourly
        job calls it before the purge removes expired invites). Returns how many."""

        def note(con: sqlite3.Connection) -> int:
            ended = con.execute(
                "SELECT token_hash, for_account FROM invites WHERE kind = 'recovery'"
                " AND used_at IS NULL AND voided_at IS NULL AND end_logged IS NULL"
                " AND expires_at <= ?",
                (now,),
            ).fetchall()
            for hashed, _ in ended:
                con.execute("UPDATE invites SET end_logged = ? WHERE token_hash = ?", (now, hashed))
            self._log(con, [recovery_ended("recovery.expired", h, a) for h, a in ended], now)
            return len(ended)

        return await self._write(self._transaction, note)

    def _redeem_recovery(
        self,
        con: sqlite3.Connection,
        token_hash: bytes,
        device_id: str,
        account_id: str,
        issuer: tuple[str | None, str | None],
        keep: Sequence[str],
        now: int,
    ) -> Registration:
        """Inside redeem_invite's transaction, after the used/expired/void checks: add the
        device to the account and revoke the account's other devices (but `keep`)."""
        if not issuer_may_still_recover(con, account_id, *issuer):
            raise RelayError(Code.INVITE_REVOKED)
        needs, approved_at = con.execute(
            "SELECT needs_approval, approved_at FROM invites WHERE token_hash = ?",
            (token_hash,),
        ).fetchone()
        if needs and approved_at is None:
            raise RelayError(Code.RECOVERY_NOT_APPROVED)
        account = con.execute(
            "SELECT org_id, role, status FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        if account is None or account[2] != "active":
            raise RelayError(Code.INVITE_REVOKED)
        org_id, role, _ = account
        old = [
            r[0]
            for r in con.execute(
                "SELECT id FROM devices WHERE account_id = ? AND status = 'active'"
                " ORDER BY created_at, id",
                (account_id,),
            )
            if tuple(keep) != KEEP_ALL_DEVICES and r[0] not in keep
        ]
        marks = ",".join("?" * len(old)) or "NULL"
        # Read before the revoke path deletes them: their senders are told (§4.2).
        undeliverable = tuple(
            (r[0], r[1])
            for r in con.execute(
                f"SELECT from_device, envelope_id FROM envelopes"  # noqa: S608 (placeholders only)
                f" WHERE to_device IN ({marks}) ORDER BY to_device, seq",
                old,
            )
        )
        con.execute("UPDATE invites SET used_at = ? WHERE token_hash = ?", (now, token_hash))
        con.execute(
            "INSERT INTO devices (id, account_id, created_at) VALUES (?, ?, ?)",
            (device_id, account_id, now),
        )
        for old_device in old:
            self._revoke_device_rows(con, old_device)  # type: ignore[attr-defined]  # CasesSQL
            void_device_invites(con, old_device, now)
            con.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (now, old_device))
        case_id = caregiver_case(con, account_id, issuer[0] or "")
        members = tuple(
            r[0]
            for r in con.execute(
                "SELECT account_id FROM case_members WHERE case_id = ?", (case_id,)
            )
        )
        invite = invite_subject(token_hash)
        drafts = [
            AuditDraft(
                "recovery.redeemed",
                role,
                account_id,
                device_id,
                (("invite", invite), ("account", account_id), ("device", device_id)),
            ),
            AuditDraft(
                "device.registered",
                role,
                account_id,
                device_id,
                (("device", device_id), ("account", account_id)),
            ),
            *(
                AuditDraft(
                    "device.revoked",
                    role,
                    account_id,
                    device_id,
                    (("device", old_device), ("account", account_id)),
                )
                for old_device in old
            ),
        ]
        self._log(con, drafts, now)
        return Registration(
            account_id,
            device_id,
            org_id,
            role,
            case_id,
            members,
            linked=True,
            revoked=tuple(old),
            undeliverable=undeliverable,
        )
