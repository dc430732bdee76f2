"""Retention policies as stored documents, and applying a shortened lifetime to what is
already stored (lengthening applies only to what comes after)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from relay.storage.audit_store import AuditDraft
from relay.storage.sqlite_base import SQLiteBase


class PoliciesSQL(SQLiteBase):
    async def policy_documents(self, org_id: str) -> dict[str, dict[str, Any]]:
        """scope -> {"version", "document"} for the organisation and its cases."""

        def read() -> dict[str, dict[str, Any]]:
            rows = self._reader_con().execute(
                "SELECT scope, version, document FROM policies WHERE org_id = ?", (org_id,)
            )
            return {
                scope: {"version": version, "document": json.loads(document)}
                for scope, version, document in rows
            }

        return await self._read(read)

    async def set_policy(
        self,
        scope: str,
        org_id: str,
        document: dict[str, Any],
        now: int,
        lifetimes: Sequence[tuple[str | None, int]],
        audit: Sequence[AuditDraft] = (),
    ) -> int:
        """Store the document (version + 1) and cap stored envelopes of each (case id,
        effective lifetime) pair at created_at + lifetime, in one transaction. Returns the
        new version."""

        def store(con: sqlite3.Connection) -> int:
            row = con.execute("SELECT version FROM policies WHERE scope = ?", (scope,)).fetchone()
            version = 1 if row is None else row[0] + 1
            con.execute(
                "INSERT INTO policies (scope, org_id, version, document, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE SET"
                " version = excluded.version, document = excluded.document,"
                " updated_at = excluded.updated_at",
                (scope, org_id, version, json.dumps(document, sort_keys=True), now),
            )
            for case_id, lifetime in lifetimes:
                # Shortening applies to what is stored (min keeps longer ones as they were).
                con.execute(
                    "UPDATE envelopes SET expires_at = min(expires_at, created_at + ?)"
                    " WHERE case_id IS ?",
                    (lifetime, case_id),
                )
            self._log(con, audit, now)
            return version

        return await self._write(self._transaction, store)

    async def envelope_cases(self) -> list[str | None]:
        """The cases that have envelopes waiting (None: envelopes outside any case)."""

        def read() -> list[str | None]:
            return [
                row[0]
                for row in self._reader_con().execute("SELECT DISTINCT case_id FROM envelopes")
            ]

        return await self._read(read)
