"""The organisation's first admin invite: exactly one, however many nodes start at once.

Before anyone has registered, the relay prints an admin invite at start. Several nodes on
one PostgreSQL database start together, and a node may restart before the invite is used;
each asks this one write transaction, which runs alone in the cluster (PostgreSQL: the
exclusive write lock, relay/storage/postgres_base.py; SQLite: its one writer). Only the
first finds nothing and stores an invite; the others learn that one is waiting.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from relay.storage.audit_store import AuditDraft
from relay.storage.sqlite_base import SQLiteBase


class FirstAdminSQL(SQLiteBase):
    async def first_admin_invite(
        self,
        token_hash: bytes,
        org_id: str,
        now: int,
        expires_at: int,
        audit: Sequence[AuditDraft] = (),
    ) -> bool:
        """Store an admin invite made by nobody (the relay itself) unless the organisation
        needs none: it has an account, or such an invite (from an earlier start, another
        node or `steuntje admin invite`) is still unused and valid. True if stored."""

        def insert(con: sqlite3.Connection) -> bool:
            if con.execute("SELECT 1 FROM accounts WHERE org_id = ? LIMIT 1", (org_id,)).fetchone():
                return False
            waiting = con.execute(
                "SELECT 1 FROM invites WHERE org_id = ? AND role = 'admin'"
                " AND created_by IS NULL AND for_account IS NULL"
                " AND used_at IS NULL AND expires_at > ? LIMIT 1",
                (org_id, now),
            ).fetchone()
            if waiting:
                return False
            con.execute(
                "INSERT INTO invites (token_hash, org_id, role, created_by, for_account,"
                " created_at, expires_at) VALUES (?, ?, 'admin', NULL, NULL, ?, ?)",
                (token_hash, org_id, now, expires_at),
            )
            self._log(con, audit, now)
            return True

        return await self._write(self._transaction, insert)
