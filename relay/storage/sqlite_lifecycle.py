"""Closing cases and noticing unused caregiver accounts: the two clocks that end a care
relationship's data on the relay (docs/retention.md).

* A worker on the case, or an admin, closes a case when the care ends. From then on its
  members can no longer send each other envelopes through it, and `closed_case_lifetime`
  later the hourly job erases its caregiver's account, which removes the case. Reopening
  within that time stops the clock.
* Each account keeps the day of its last sign-in (a day, not a time). The hourly job flags
  caregiver accounts unused for `inactive_accounts.flag_after`, and erases them
  `remove_after` later unless they sign in again (retention/accounts.py decides).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from relay.errors import Code, RelayError
from relay.storage.audit_store import AuditDraft
from relay.storage.base import DeviceRecord
from relay.storage.sqlite_base import SQLiteBase
from retention.accounts import AccountMeta

DAY_S = 86_400


class LifecycleSQL(SQLiteBase):
    async def set_case_closed(
        self,
        actor: DeviceRecord,
        case_id: str,
        closed: bool,
        now: int,
        audit: Sequence[AuditDraft] = (),
    ) -> tuple[str, ...]:
        """Close (or reopen) a case: a worker on it or an admin of its organisation.
        Returns the case's members, to be told. Closing a closed case keeps its first
        closing time, so the retention clock cannot be pushed back by closing again."""

        def change(con: sqlite3.Connection) -> tuple[str, ...]:
            row = con.execute(
                "SELECT closed_at FROM cases WHERE id = ? AND org_id = ?",
                (case_id, actor.org_id),
            ).fetchone()
            on_case = row is not None and (
                actor.role == "admin"
                or con.execute(
                    "SELECT 1 FROM case_members WHERE case_id = ? AND account_id = ?",
                    (case_id, actor.account_id),
                ).fetchone()
                is not None
            )
            if not on_case:
                raise RelayError(Code.UNKNOWN_CASE)
            if actor.role not in ("worker", "admin"):
                raise RelayError(Code.NOT_PERMITTED)
            if closed and row[0] is None:  # who closed it: a send to it says so (issue 19)
                con.execute(
                    "UPDATE cases SET closed_at = ?, closed_by = ? WHERE id = ?",
                    (now, actor.account_id, case_id),
                )
            elif not closed:
                con.execute(
                    "UPDATE cases SET closed_at = NULL, closed_by = NULL WHERE id = ?", (case_id,)
                )
            self._log(con, audit, now)
            return tuple(
                r[0]
                for r in con.execute(
                    "SELECT account_id FROM case_members WHERE case_id = ?", (case_id,)
                )
            )

        return await self._write(self._transaction, change)

    async def closed_cases_due(self, before: int) -> list[tuple[str, str, int]]:
        """(case id, caregiver account id, closed at) of every case closed at or before
        `before`; retention.what_expires_cases decides which are past their lifetime."""

        def read() -> list[tuple[str, str, int]]:
            return [
                (r[0], r[1], r[2])
                for r in self._reader_con().execute(
                    "SELECT id, caregiver_id, closed_at FROM cases"
                    " WHERE closed_at IS NOT NULL AND closed_at <= ? ORDER BY closed_at",
                    (before,),
                )
            ]

        return await self._read(read)

    async def mark_active(self, account_id: str, now: int, device_id: str | None = None) -> bool:
        """Record that the account (and `device_id`: its last-seen day for the admin's device
        list) signed in today, and clear an inactivity flag. Writes at most once a day per
        device. Returns True if the account had been flagged."""
        day = now - now % DAY_S

        def mark(con: sqlite3.Connection) -> bool:
            if device_id is not None:
                con.execute("UPDATE devices SET seen_day = ? WHERE id = ?", (day, device_id))
            row = con.execute(
                "SELECT active_day, flagged_at FROM accounts WHERE id = ?", (account_id,)
            ).fetchone()
            if row is None or (row[0] == day and row[1] is None):
                return False
            con.execute(
                "UPDATE accounts SET active_day = ?, flagged_at = NULL WHERE id = ?",
                (day, account_id),
            )
            return row[1] is not None

        return await self._write(self._transaction, mark)

    async def inactivity_candidates(self) -> list[AccountMeta]:
        """Every active caregiver account with its last active day (or its creation) and
        the cases it is on, for retention.inactive_accounts to judge."""

        def read() -> list[AccountMeta]:
            con = self._reader_con()
            rows = con.execute(
                "SELECT id, role, coalesce(active_day, created_at), flagged_at FROM accounts"
                " WHERE role = 'caregiver' AND status = 'active'"
            ).fetchall()
            metas = []
            for account_id, role, active, flagged_at in rows:
                cases = frozenset(
                    r[0]
                    for r in con.execute(
                        "SELECT case_id FROM case_members WHERE account_id = ?", (account_id,)
                    )
                )
                metas.append(AccountMeta(account_id, role, active, flagged_at, cases))
            return metas

        return await self._read(read)

    async def flag_inactive(
        self, account_ids: Sequence[str], now: int, audit: Sequence[AuditDraft] = ()
    ) -> None:
        def flag(con: sqlite3.Connection) -> None:
            con.executemany(
                "UPDATE accounts SET flagged_at = ? WHERE id = ?",
                [(now, account_id) for account_id in account_ids],
            )
            self._log(con, audit, now)

        await self._write(self._transaction, flag)
