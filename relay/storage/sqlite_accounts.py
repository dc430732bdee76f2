"""Organisation, invites, registration, devices and who may send to whom."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence

from relay.errors import Code, RelayError
from relay.ids import new_id
from relay.invites import invite_subject
from relay.storage.audit_store import AuditDraft
from relay.storage.base import (
    DeviceRecord,
    Registration,
    Route,
)
from relay.storage.sqlite_base import SQLiteBase
from relay.storage.sqlite_groups import GroupsSQL


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
        audit: Sequence[AuditDraft] = (),
    ) -> None:
        def insert(con: sqlite3.Connection) -> None:
            con.execute(
                "INSERT INTO invites (token_hash, org_id, role, created_by, for_account,"
                " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token_hash, org_id, role, created_by, for_account, now, expires_at),
            )
            self._log(con, audit, now)

        await self._write(self._transaction, insert)

    async def redeem_invite(self, token_hash: bytes, device_id: str, now: int) -> Registration:
        def redeem(con: sqlite3.Connection) -> Registration:
            row = con.execute(
                "SELECT org_id, role, created_by, for_account, expires_at, used_at FROM invites"
                " WHERE token_hash = ?",
                (token_hash,),
            ).fetchone()
            if row is None:
                raise RelayError(Code.INVITE_INVALID)
            org_id, role, created_by, for_account, expires_at, used_at = row
            if used_at is not None:
                raise RelayError(Code.INVITE_USED)
            if expires_at <= now:
                raise RelayError(Code.INVITE_EXPIRED)
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
