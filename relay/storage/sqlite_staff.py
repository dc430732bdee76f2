"""Staff names, device labels, last-seen days and the device history (issue 19 item 7).

A staff name is the organisation's own data about its workers, officers and admins; a
caregiver account never gets one, so the relay keeps knowing nothing about who a caregiver
is. A device label is what the device called itself. Both are shown to the organisation's
admin (and staff names to officers beside the audit log's pseudonyms), never logged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from relay.errors import Code, RelayError
from relay.storage.audit_store import AuditDraft
from relay.storage.sqlite_base import SQLiteBase

DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class DeviceView:
    """One device as the admin's list shows it."""

    id: str
    status: str
    label: str | None
    created_at: int
    seen_day: int | None
    revoked_at: int | None
    revoked_by: str | None
    revoke_reason: str | None


class StaffSQL(SQLiteBase):
    async def set_display_name(
        self,
        org_id: str,
        account_id: str,
        name: str | None,
        now: int = 0,
        audit: Sequence[AuditDraft] = (),
    ) -> str:
        """Name a staff account (None clears it); returns its role. A caregiver is refused.
        The audit entries are written in the same transaction: no unlogged change."""

        def update(con: sqlite3.Connection) -> str:
            row = con.execute(
                "SELECT role FROM accounts WHERE id = ? AND org_id = ?", (account_id, org_id)
            ).fetchone()
            if row is None:
                raise RelayError(Code.UNKNOWN_ACCOUNT)
            if row[0] == "caregiver":
                raise RelayError(Code.CAREGIVER_NAMELESS)
            con.execute("UPDATE accounts SET display_name = ? WHERE id = ?", (name, account_id))
            self._log(con, audit, now)
            return row[0]

        return await self._write(self._transaction, update)

    async def set_device_label(
        self, device_id: str, label: str | None, now: int = 0, audit: Sequence[AuditDraft] = ()
    ) -> None:
        def update(con: sqlite3.Connection) -> None:
            con.execute("UPDATE devices SET label = ? WHERE id = ?", (label, device_id))
            self._log(con, audit, now)  # in the same transaction as the change

        await self._write(self._transaction, update)

    async def staff_names(self, org_id: str) -> dict[str, str]:
        """account id → display name, for the staff accounts that have one."""

        def read() -> dict[str, str]:
            rows = self._reader_con().execute(
                "SELECT id, display_name FROM accounts WHERE org_id = ?"
                " AND role != 'caregiver' AND display_name IS NOT NULL",
                (org_id,),
            )
            return dict(rows.fetchall())

        return await self._read(read)

    async def audit_staff_names(self, org_id: str) -> dict[str, dict[str, str]]:
        """pseudonym → {name, role} of every named staff account that is in the audit log,
        so an officer's timeline can put the name beside it (reads keys, never makes one)."""
        names = await self.staff_names(org_id)

        def read() -> dict[str, dict[str, str]]:
            con = self._write_con
            store = self._audit_store(con)  # type: ignore[arg-type]
            found = {}
            for account_id, name in names.items():
                pseudonym = store.known_pseudonym(con, account_id)
                if pseudonym is not None:
                    found[pseudonym] = {"name": name}
            return found

        return await self._write(read)

    async def account_devices_view(self, account_ids: list[str]) -> dict[str, list[DeviceView]]:
        """Every device of these accounts, the revoked ones too (the history), oldest first."""

        def read() -> dict[str, list[DeviceView]]:
            con = self._reader_con()
            views: dict[str, list[DeviceView]] = {account: [] for account in account_ids}
            for account_id in account_ids:
                rows = con.execute(
                    "SELECT id, status, label, created_at, seen_day, revoked_at, revoked_by,"
                    " revoke_reason FROM devices WHERE account_id = ? ORDER BY created_at, id",
                    (account_id,),
                ).fetchall()
                views[account_id] = [DeviceView(*row) for row in rows]
            return views

        return await self._read(read)

    async def forget_seen_days(self, before: int) -> int:
        """Clear last-seen days written before `before` (metadata_lifetime); returns how many."""

        def clear(con: sqlite3.Connection) -> int:
            cursor = con.execute(
                "UPDATE devices SET seen_day = NULL WHERE seen_day IS NOT NULL AND seen_day < ?",
                (before - before % DAY_S,),
            )
            return cursor.rowcount

        return await self._write(self._transaction, clear)

    @staticmethod
    def note_revocation(
        con: sqlite3.Connection, device_id: str, now: int, by: str | None, reason: str | None
    ) -> None:
        """When, by whom and why a device was revoked: the admin's device history keeps it."""
        con.execute(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, ?), revoked_by = ?,"
            " revoke_reason = ?, seen_day = NULL WHERE id = ?",
            (now, by, reason, device_id),
        )

    async def case_closure(self, case_id: str) -> dict[str, object]:
        """A closed case's `case`, `closed_at` and who closed it (`closed_by_role`, and
        `closed_by_name` if the organisation named them): staff data, nothing about the
        caregiver. Empty for a case that is open, or closed before schema version 14 says
        only when."""

        def read() -> dict[str, object]:
            row = (
                self._reader_con()
                .execute(
                    "SELECT c.closed_at, a.role, a.display_name FROM cases c"
                    " LEFT JOIN accounts a ON a.id = c.closed_by WHERE c.id = ?",
                    (case_id,),
                )
                .fetchone()
            )
            if row is None or row[0] is None:
                return {}
            found: dict[str, object] = {"case": case_id, "closed_at": row[0]}
            if row[1] is not None:
                found["closed_by_role"] = row[1]
            if row[2] is not None:
                found["closed_by_name"] = row[2]
            return found

        return await self._read(read)

    async def device_label(self, device_id: str) -> str | None:
        def read() -> str | None:
            row = (
                self._reader_con()
                .execute("SELECT label FROM devices WHERE id = ?", (device_id,))
                .fetchone()
            )
            return None if row is None else row[0]

        return await self._read(read)

    async def case_workers(self, org_id: str) -> dict[str, list[dict[str, str | None]]]:
        """case id → its workers ({account, name}), so the admin's case list says whose
        case it is (issue 19 item 8); the caregiver stays a number."""

        def read() -> dict[str, list[dict[str, str | None]]]:
            rows = (
                self._reader_con()
                .execute(
                    "SELECT m.case_id, a.id, a.display_name FROM case_members m"
                    " JOIN cases c ON c.id = m.case_id JOIN accounts a ON a.id = m.account_id"
                    " WHERE c.org_id = ? AND a.role = 'worker' ORDER BY m.added_at, a.id",
                    (org_id,),
                )
                .fetchall()
            )
            found: dict[str, list[dict[str, str | None]]] = {}
            for case_id, account_id, name in rows:
                found.setdefault(case_id, []).append({"account": account_id, "name": name})
            return found

        return await self._read(read)
