"""Prekeys, cases, and administration of accounts and devices."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from relay.errors import Code, RelayError
from relay.storage.audit_store import AuditDraft
from relay.storage.base import (
    AccountSummary,
    CaseMember,
    CaseView,
    DeviceRecord,
    MembershipChange,
)
from relay.storage.sqlite_accounts import void_account_invites, void_device_invites
from relay.storage.sqlite_base import SQLiteBase
from relay.storage.sqlite_blobs import forget_reader
from relay.storage.sqlite_groups import drop_device_handles
from relay.storage.sqlite_staff import StaffSQL


class CasesSQL(SQLiteBase):
    # -- prekeys -------------------------------------------------------------------------

    @staticmethod
    def _prekey_tables(group: bool) -> tuple[str, str, str]:
        """(signed table, one-time table, key column): a device's, or a group handle's."""
        if group:
            return "group_signed_prekeys", "group_one_time_prekeys", "handle"
        return "signed_prekeys", "one_time_prekeys", "device_id"

    async def upload_prekeys(
        self,
        device_id: str,
        signed: bytes | None,
        one_time: list[tuple[int, bytes]],
        now: int,
        max_one_time: int,
        group: bool = False,
    ) -> int:
        signed_table, one_time_table, column = self._prekey_tables(group)

        def upload(con: sqlite3.Connection) -> int:
            if signed is not None:
                con.execute(
                    f"INSERT INTO {signed_table} ({column}, bundle, updated_at) VALUES (?, ?, ?)"  # noqa: S608 (fixed names)
                    f" ON CONFLICT ({column}) DO UPDATE SET bundle = excluded.bundle,"
                    " updated_at = excluded.updated_at",
                    (device_id, signed, now),
                )
            con.executemany(
                f"INSERT OR REPLACE INTO {one_time_table} ({column}, key_id, public_key)"  # noqa: S608
                " VALUES (?, ?, ?)",
                [(device_id, key_id, key) for key_id, key in one_time],
            )
            count = self._one_time_count(con, device_id, group)
            if count > max_one_time:
                raise RelayError(Code.TOO_MANY_PREKEYS, limit=max_one_time)
            return count

        return await self._write(self._transaction, upload)

    @classmethod
    def _one_time_count(cls, con: sqlite3.Connection, device_id: str, group: bool = False) -> int:
        _, table, column = cls._prekey_tables(group)
        return con.execute(
            f"SELECT count(*) FROM {table} WHERE {column} = ?",  # noqa: S608 (fixed names)
            (device_id,),
        ).fetchone()[0]

    async def fetch_prekeys(
        self, device_id: str, group: bool = False
    ) -> tuple[bytes, tuple[int, bytes] | None, int]:
        """(signed part, one one-time prekey or None, one-time prekeys left). The one-time
        prekey is deleted in the same transaction: two fetchers never get the same one."""
        signed_table, one_time_table, column = self._prekey_tables(group)

        def fetch(con: sqlite3.Connection) -> tuple[bytes, tuple[int, bytes] | None, int]:
            row = con.execute(
                f"SELECT bundle FROM {signed_table} WHERE {column} = ?",  # noqa: S608
                (device_id,),
            ).fetchone()
            if row is None:
                raise RelayError(Code.NO_PREKEYS)
            one_time = con.execute(
                f"DELETE FROM {one_time_table} WHERE {column} = ? AND key_id ="  # noqa: S608
                f" (SELECT min(key_id) FROM {one_time_table} WHERE {column} = ?)"
                " RETURNING key_id, public_key",
                (device_id, device_id),
            ).fetchone()
            remaining = self._one_time_count(con, device_id, group)
            return row[0], (tuple(one_time) if one_time else None), remaining

        return await self._write(self._transaction, fetch)

    async def prekey_status(self, device_id: str, group: bool = False) -> tuple[bool, int]:
        """(has a signed prekey, one-time prekeys left)."""
        signed_table, _, column = self._prekey_tables(group)

        def read() -> tuple[bool, int]:
            con = self._reader_con()
            signed = con.execute(
                f"SELECT 1 FROM {signed_table} WHERE {column} = ?",  # noqa: S608
                (device_id,),
            ).fetchone()
            return signed is not None, self._one_time_count(con, device_id, group)

        return await self._read(read)

    async def correspondents(self, account_id: str) -> list[str]:
        """Accounts that share a case with this one (who must hear of its device changes)."""

        def read() -> list[str]:
            return [
                r[0]
                for r in self._reader_con().execute(
                    "SELECT DISTINCT m2.account_id FROM case_members m1"
                    " JOIN case_members m2 ON m1.case_id = m2.case_id"
                    " WHERE m1.account_id = ? AND m2.account_id != ?",
                    (account_id, account_id),
                )
            ]

        return await self._read(read)

    # -- cases ----------------------------------------------------------------------------

    async def list_cases(self, account_id: str) -> list[CaseView]:
        def read() -> list[CaseView]:
            con = self._reader_con()
            cases = con.execute(
                "SELECT c.id, c.caregiver_id, c.closed_at, a.flagged_at,"
                " coalesce(a.active_day, a.created_at - a.created_at % 86400) FROM cases c"
                " JOIN case_members m ON m.case_id = c.id JOIN accounts a ON a.id = c.caregiver_id"
                " WHERE m.account_id = ? ORDER BY c.created_at, c.id",
                (account_id,),
            ).fetchall()
            views = []
            for case_id, caregiver_id, closed_at, flagged_at, active_day in cases:
                members = []
                for member_id, role in con.execute(
                    "SELECT a.id, a.role FROM case_members m JOIN accounts a ON a.id = m.account_id"
                    " WHERE m.case_id = ? AND a.status != 'revoked' ORDER BY m.added_at, a.id",
                    (case_id,),
                ):
                    devices = tuple(
                        r[0]
                        for r in con.execute(
                            "SELECT id FROM devices WHERE account_id = ? AND status = 'active'"
                            " ORDER BY created_at, id",
                            (member_id,),
                        )
                    )
                    members.append(CaseMember(member_id, role, devices))
                views.append(
                    CaseView(
                        case_id, caregiver_id, tuple(members), closed_at, flagged_at, active_day
                    )
                )
            return views

        return await self._read(read)

    async def colleagues(self, org_id: str) -> list[str]:
        def read() -> list[str]:
            return [
                r[0]
                for r in self._reader_con().execute(
                    "SELECT id FROM accounts"
                    " WHERE org_id = ? AND role = 'worker' AND status = 'active'"
                    " ORDER BY created_at, id",
                    (org_id,),
                )
            ]

        return await self._read(read)

    async def account_devices(self, org_id: str, account_id: str) -> list[str]:
        def read() -> list[str]:
            return [
                r[0]
                for r in self._reader_con().execute(
                    "SELECT d.id FROM devices d JOIN accounts a ON a.id = d.account_id"
                    " WHERE a.id = ? AND a.org_id = ? AND d.status = 'active'"
                    " ORDER BY d.created_at",
                    (account_id, org_id),
                )
            ]

        return await self._read(read)

    @staticmethod
    def _worker_case_check(con: sqlite3.Connection, actor: DeviceRecord, case_id: str) -> None:
        """The actor must be a worker on this case in their own organisation."""
        on_case = con.execute(
            "SELECT 1 FROM cases c JOIN case_members m ON m.case_id = c.id"
            " WHERE c.id = ? AND c.org_id = ? AND m.account_id = ?",
            (case_id, actor.org_id, actor.account_id),
        ).fetchone()
        if not on_case:
            raise RelayError(Code.UNKNOWN_CASE)
        if actor.role != "worker":
            raise RelayError(Code.NOT_PERMITTED)

    @staticmethod
    def _active_worker(con: sqlite3.Connection, org_id: str, account_id: str) -> None:
        row = con.execute(
            "SELECT role FROM accounts WHERE id = ? AND org_id = ? AND status = 'active'",
            (account_id, org_id),
        ).fetchone()
        if row is None:
            raise RelayError(Code.UNKNOWN_ACCOUNT)
        if row[0] != "worker":
            raise RelayError(Code.NOT_PERMITTED, "Only a support worker can join a case team.")

    @staticmethod
    def _members(con: sqlite3.Connection, case_id: str) -> tuple[str, ...]:
        return tuple(
            r[0]
            for r in con.execute(
                "SELECT account_id FROM case_members WHERE case_id = ?", (case_id,)
            )
        )

    async def add_case_member(
        self,
        actor: DeviceRecord,
        case_id: str,
        account_id: str,
        now: int,
        audit: Sequence[AuditDraft] = (),
    ) -> MembershipChange:
        def add(con: sqlite3.Connection) -> MembershipChange:
            self._worker_case_check(con, actor, case_id)
            self._active_worker(con, actor.org_id, account_id)
            con.execute(
                "INSERT OR IGNORE INTO case_members (case_id, account_id, added_at)"
                " VALUES (?, ?, ?)",
                (case_id, account_id, now),
            )
            self._log(con, audit, now)
            return MembershipChange(case_id, self._members(con, case_id))

        return await self._write(self._transaction, add)

    async def handover_case(
        self,
        actor: DeviceRecord,
        case_id: str,
        to_account: str,
        now: int,
        audit: Sequence[AuditDraft] = (),
    ) -> MembershipChange:
        def handover(con: sqlite3.Connection) -> MembershipChange:
            self._worker_case_check(con, actor, case_id)
            if to_account == actor.account_id:
                raise RelayError(Code.MALFORMED, "A case cannot be handed over to yourself.")
            self._active_worker(con, actor.org_id, to_account)
            con.execute(
                "INSERT OR IGNORE INTO case_members (case_id, account_id, added_at)"
                " VALUES (?, ?, ?)",
                (case_id, to_account, now),
            )
            con.execute(
                "DELETE FROM case_members WHERE case_id = ? AND account_id = ?",
                (case_id, actor.account_id),
            )
            self._log(con, audit, now)
            return MembershipChange(case_id, (*self._members(con, case_id), actor.account_id))

        return await self._write(self._transaction, handover)

    # -- administration -------------------------------------------------------------------

    async def list_accounts(self, org_id: str) -> list[AccountSummary]:
        def read() -> list[AccountSummary]:
            con = self._reader_con()
            accounts = con.execute(
                "SELECT id, role, status, created_at FROM accounts WHERE org_id = ?"
                " ORDER BY created_at, id",
                (org_id,),
            ).fetchall()
            summaries = []
            for account_id, role, status, created_at in accounts:
                devices = tuple(
                    con.execute(
                        "SELECT id, status FROM devices WHERE account_id = ?"
                        " ORDER BY created_at, id",
                        (account_id,),
                    ).fetchall()
                )
                summaries.append(AccountSummary(account_id, role, status, created_at, devices))
            return summaries

        return await self._read(read)

    async def set_account_status(
        self,
        org_id: str,
        account_id: str,
        status: str,
        now: int = 0,
        audit: Sequence[AuditDraft] = (),
    ) -> list[str]:
        def update(con: sqlite3.Connection) -> list[str]:
            row = con.execute(
                "SELECT role, status FROM accounts WHERE id = ? AND org_id = ?",
                (account_id, org_id),
            ).fetchone()
            if row is None:
                raise RelayError(Code.UNKNOWN_ACCOUNT)
            role, current = row
            if current == "revoked":
                raise RelayError(Code.UNKNOWN_ACCOUNT, "This account was revoked for good.")
            if role == "admin" and status != "active":
                others = con.execute(
                    "SELECT count(*) FROM accounts WHERE org_id = ? AND role = 'admin'"
                    " AND status = 'active' AND id != ?",
                    (org_id, account_id),
                ).fetchone()[0]
                if others == 0:
                    raise RelayError(Code.LAST_ADMIN)
            con.execute("UPDATE accounts SET status = ? WHERE id = ?", (status, account_id))
            if status != "active":
                void_account_invites(con, account_id, now)
            devices = [
                r[0]
                for r in con.execute("SELECT id FROM devices WHERE account_id = ?", (account_id,))
            ]
            if status == "revoked":
                by, why = (audit[0].actor, audit[0].reason) if audit else (None, None)
                for device_id in devices:
                    self._revoke_device_rows(con, device_id)
                    StaffSQL.note_revocation(con, device_id, now, by, why)
            # The entry records the status before and after (issue 19 item 2), read here in
            # the same transaction, so two admins at once cannot make it tell a wrong story.
            moved = (("account.status", current, status),) if current != status else ()
            self._log(con, [replace(d, change=moved) for d in audit], now)
            return devices

        return await self._write(self._transaction, update)

    @staticmethod
    def _revoke_device_rows(con: sqlite3.Connection, device_id: str) -> None:
        con.execute("UPDATE devices SET status = 'revoked' WHERE id = ?", (device_id,))
        # Nobody can ever fetch these again: keeping them would only keep ciphertext around,
        # and nobody may start a session with a revoked device.
        con.execute("DELETE FROM envelopes WHERE to_device = ?", (device_id,))
        forget_reader(con, device_id, drop_orphans=False)  # a resend may name the blob again
        con.execute("DELETE FROM signed_prekeys WHERE device_id = ?", (device_id,))
        con.execute("DELETE FROM one_time_prekeys WHERE device_id = ?", (device_id,))
        drop_device_handles(con, device_id)
        con.execute("DELETE FROM push_subscriptions WHERE device_id = ?", (device_id,))

    async def revoke_device(
        self, org_id: str, device_id: str, now: int = 0, audit: Sequence[AuditDraft] = ()
    ) -> str:
        def revoke(con: sqlite3.Connection) -> str:
            row = con.execute(
                "SELECT d.account_id FROM devices d JOIN accounts a ON a.id = d.account_id"
                " WHERE d.id = ? AND a.org_id = ?",
                (device_id, org_id),
            ).fetchone()
            if row is None:
                raise RelayError(Code.UNKNOWN_DEVICE)
            self._revoke_device_rows(con, device_id)
            # The admin and the reason they chose (the audit draft's), for the device history.
            by, why = (audit[0].actor, audit[0].reason) if audit else (None, None)
            StaffSQL.note_revocation(con, device_id, now, by, why)
            void_device_invites(con, device_id, now)
            self._log(
                con, [replace(d, objects=(*d.objects, ("account", row[0]))) for d in audit], now
            )
            return row[0]

        return await self._write(self._transaction, revoke)
