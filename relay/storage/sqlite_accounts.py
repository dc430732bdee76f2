"""Organisation, invites, registration, devices and who may send to whom."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence

from relay.errors import Code, RelayError
from relay.ids import new_id
from relay.invites import invite_subject, may_invite
from relay.storage.audit_store import AuditDraft
from relay.storage.base import (
    DeviceRecord,
    Registration,
    Route,
)
from relay.storage.sqlite_base import SQLiteBase
from relay.storage.sqlite_groups import GroupsSQL


def void_device_invites(con: sqlite3.Connection, device_id: str, now: int) -> None:
    """A revoked device's outstanding invites and device links die with it (a lost phone's
    unused link must not add a device afterwards)."""
    con.execute(
        "UPDATE invites SET voided_at = ?"
        " WHERE created_by_device = ? AND used_at IS NULL AND voided_at IS NULL",
        (now, device_id),
    )


def void_account_invites(con: sqlite3.Connection, account_id: str, now: int) -> None:
    """A disabled or revoked account's outstanding invites and device links die with it, and
    stay dead if it is enabled again: whoever held them meanwhile may not be who they were
    for. (A device link's issuer is the account it links to.)"""
    con.execute(
        "UPDATE invites SET voided_at = ?"
        " WHERE created_by = ? AND used_at IS NULL AND voided_at IS NULL",
        (now, account_id),
    )


def _issuer_may_still_issue(
    con: sqlite3.Connection,
    role: str,
    created_by: str | None,
    created_by_device: str | None,
    for_account: str | None,
) -> bool:
    """Whether an invite's maker could make it now: its device is active, its account is
    active and has a role that may issue it (a device link: the linked account itself).
    The operator's invites (no maker) always could; those from before schema version 9
    name no device and are judged by their account alone."""
    if created_by is None:
        return True
    account = con.execute(
        "SELECT role, status FROM accounts WHERE id = ?", (created_by,)
    ).fetchone()
    if account is None or account[1] != "active":
        return False
    # A device link adds a device to its maker's own account; an invite a new account.
    linking_itself = for_account == created_by
    if not (linking_itself if for_account is not None else may_invite(account[0], role)):
        return False
    if created_by_device is None:
        return True
    device = con.execute(
        "SELECT status FROM devices WHERE id = ? AND account_id = ?",
        (created_by_device, created_by),
    ).fetchone()
    return device is not None and device[0] == "active"


class AccountsSQL(SQLiteBase):
    # -- organisation and invites ---------------------------------------------------------

    async def installation(self, now: int) -> tuple[bytes, str]:
        def get_or_create(con: sqlite3.Connection) -> tuple[bytes, str]:
            row = con.execute("SELECT relay_id FROM installation").fetchone()
            if row:
                relay_id = row[0]
            else:
                relay_id = secrets.token_bytes(16)
                con.execute(
                    "INSERT INTO installation (relay_id, created_at) VALUES (?, ?)", (relay_id, now)
                )
            row = con.execute("SELECT id FROM organisations ORDER BY created_at LIMIT 1").fetchone()
            if row:
                return relay_id, row[0]
            org_id = new_id("org")
            con.execute("INSERT INTO organisations (id, created_at) VALUES (?, ?)", (org_id, now))
            return relay_id, org_id

        return await self._write(self._transaction, get_or_create)

    async def account_count(self) -> int:
        def count() -> int:
            return self._reader_con().execute("SELECT count(*) FROM accounts").fetchone()[0]

        return await self._read(count)

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
        audit: Sequence[AuditDraft] = (),
    ) -> None:
        def insert(con: sqlite3.Connection) -> None:
            con.execute(
                "INSERT INTO invites (token_hash, org_id, role, created_by, created_by_device,"
                " for_account, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token_hash,
                    org_id,
                    role,
                    created_by,
                    created_by_device,
                    for_account,
                    now,
                    expires_at,
                ),
            )
            self._log(con, audit, now)

        await self._write(self._transaction, insert)

    async def redeem_invite(
        self,
        token_hash: bytes,
        device_id: str,
        now: int,
        expect_account: str | None = None,
        keep_devices: Sequence[str] = (),
    ) -> Registration:
        """Use an invite. A recovery invite (sqlite_recovery.py) is refused with
        invite_wrong_account unless `expect_account` names the account it is for, and
        revokes that account's devices but `keep_devices`."""

        def redeem(con: sqlite3.Connection) -> Registration:
            row = con.execute(
                "SELECT org_id, role, created_by, created_by_device, for_account, expires_at,"
                " used_at, voided_at, kind FROM invites WHERE token_hash = ?",
                (token_hash,),
            ).fetchone()
            if row is None:
                raise RelayError(Code.INVITE_INVALID)
            org_id, role, created_by, by_device, for_account, expires_at, used_at, voided = row[:8]
            if used_at is not None:
                raise RelayError(Code.INVITE_USED)
            if expires_at <= now:
                raise RelayError(Code.INVITE_EXPIRED)
            if row[8] == "recovery":
                if voided is not None:
                    raise RelayError(Code.INVITE_REVOKED)
                if expect_account != for_account:
                    raise RelayError(Code.INVITE_WRONG_ACCOUNT)
                if con.execute("SELECT 1 FROM devices WHERE id = ?", (device_id,)).fetchone():
                    raise RelayError(Code.DEVICE_EXISTS)
                return self._redeem_recovery(  # type: ignore[attr-defined]  # RecoverySQL
                    con,
                    token_hash,
                    device_id,
                    for_account,
                    (created_by, by_device),
                    keep_devices,
                    now,
                )
            # Checked here, in the redeeming transaction, whether or not the revocation
            # voided it eagerly: nothing can slip in between the check and the new account.
            if voided is not None or not _issuer_may_still_issue(
                con, role, created_by, by_device, for_account
            ):
                raise RelayError(Code.INVITE_REVOKED)
            if con.execute("SELECT 1 FROM devices WHERE id = ?", (device_id,)).fetchone():
                raise RelayError(Code.DEVICE_EXISTS)
            con.execute("UPDATE invites SET used_at = ? WHERE token_hash = ?", (now, token_hash))
            invite = invite_subject(token_hash)
            if for_account is not None:
                linked = self._link_device(con, for_account, device_id, now)
                self._log(
                    con,
                    [
                        AuditDraft(
                            "invite.redeemed",
                            linked.role,
                            linked.account_id,
                            device_id,
                            (("invite", invite), ("account", linked.account_id)),
                        ),
                        AuditDraft(
                            "device.registered",
                            linked.role,
                            linked.account_id,
                            device_id,
                            (("device", device_id), ("account", linked.account_id)),
                        ),
                    ],
                    now,
                )
                return linked
            account_id = new_id("acc")
            con.execute(
                "INSERT INTO accounts (id, org_id, role, created_at) VALUES (?, ?, ?, ?)",
                (account_id, org_id, role, now),
            )
            con.execute(
                "INSERT INTO devices (id, account_id, created_at) VALUES (?, ?, ?)",
                (device_id, account_id, now),
            )
            case_id, members = None, ()
            if role == "caregiver" and created_by is not None:
                # A caregiver invite made by a worker opens the case linking the two.
                case_id = new_id("case")
                con.execute(
                    "INSERT INTO cases (id, org_id, caregiver_id, created_at) VALUES (?, ?, ?, ?)",
                    (case_id, org_id, account_id, now),
                )
                con.executemany(
                    "INSERT INTO case_members (case_id, account_id, added_at) VALUES (?, ?, ?)",
                    [(case_id, account_id, now), (case_id, created_by, now)],
                )
                members = (account_id, created_by)
            drafts = [
                AuditDraft(
                    "invite.redeemed",
                    role,
                    account_id,
                    device_id,
                    (("invite", invite), ("account", account_id)),
                ),
                AuditDraft(
                    "account.registered",
                    role,
                    account_id,
                    device_id,
                    (("account", account_id), ("invite", invite)),
                ),
            ]
            if case_id is not None:
                drafts.append(
                    AuditDraft(
                        "case.created",
                        role,
                        account_id,
                        device_id,
                        (("case", case_id), ("account", account_id)),
                        on_behalf_of=created_by,
                    )
                )
            self._log(con, drafts, now)
            return Registration(account_id, device_id, org_id, role, case_id, members)

        return await self._write(self._transaction, redeem)

    @staticmethod
    def _link_device(
        con: sqlite3.Connection, account_id: str, device_id: str, now: int
    ) -> Registration:
        row = con.execute(
            "SELECT org_id, role, status FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        if row is None or row[2] != "active":
            raise RelayError(Code.INVITE_INVALID)
        con.execute(
            "INSERT INTO devices (id, account_id, created_at) VALUES (?, ?, ?)",
            (device_id, account_id, now),
        )
        return Registration(account_id, device_id, row[0], row[1], None, linked=True)

    async def account_role(self, org_id: str, account_id: str) -> str | None:
        """The role of an account of this organisation (None: no such account)."""

        def read() -> str | None:
            row = (
                self._reader_con()
                .execute(
                    "SELECT role FROM accounts WHERE id = ? AND org_id = ?", (account_id, org_id)
                )
                .fetchone()
            )
            return None if row is None else row[0]

        return await self._read(read)

    # -- devices and permissions ----------------------------------------------------------

    _DEVICE_SQL = (
        "SELECT d.id, d.account_id, a.org_id, a.role, d.status, a.status, d.acked_seq"
        " FROM devices d JOIN accounts a ON a.id = d.account_id WHERE d.id = ?"
    )

    async def device(self, device_id: str) -> DeviceRecord | None:
        def lookup() -> DeviceRecord | None:
            row = self._reader_con().execute(self._DEVICE_SQL, (device_id,)).fetchone()
            return DeviceRecord(*row) if row else None

        return await self._read(lookup)

    async def may_send(self, sender: DeviceRecord, to_device: str) -> Route | None:
        def check() -> Route | None:
            con = self._reader_con()
            row = con.execute(self._DEVICE_SQL, (to_device,)).fetchone()
            if row is None:  # not a device: perhaps a group handle (docs/groups.md)
                return GroupsSQL.group_route(con, sender, to_device)
            recipient = DeviceRecord(*row)
            if recipient.device_status != "active" or recipient.account_status == "revoked":
                return None
            if recipient.org_id != sender.org_id:
                return Route(False)
            shared = con.execute(  # the oldest open shared case, so the choice is stable
                "SELECT m1.case_id, c.closed_at FROM case_members m1 JOIN case_members m2"
                " ON m1.case_id = m2.case_id JOIN cases c ON c.id = m1.case_id"
                " WHERE m1.account_id = ? AND m2.account_id = ?"
                " ORDER BY c.closed_at IS NOT NULL, c.created_at LIMIT 1",
                (sender.account_id, recipient.account_id),
            ).fetchone()
            own = recipient.account_id == sender.account_id
            if shared is not None and shared[1] is None and not own:
                return Route(True, shared[0])
            if own or sender.role == "admin":
                return Route(True)
            if shared is not None:  # they share only closed cases
                return Route(False, shared[0], closed=True)
            return Route(False)

        return await self._read(check)
