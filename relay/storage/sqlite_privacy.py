"""GDPR access and erasure, and legal holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from relay.errors import Code, RelayError
from relay.ids import new_id
from relay.storage.audit_store import AuditDraft
from relay.storage.sqlite_base import SQLiteBase
from relay.storage.sqlite_blobs import forget_reader
from relay.storage.sqlite_groups import leave_all_groups


class PrivacySQL(SQLiteBase):
    # -- GDPR: access and erasure ----------------------------------------------------------

    async def account_export(self, account_id: str) -> dict[str, Any]:
        """Everything stored about one account, and nothing about anyone else: other
        people's ids and ciphertext addressed to others appear only as counts."""

        def read() -> dict[str, Any]:
            con = self._reader_con()
            account = con.execute(
                "SELECT id, org_id, role, status, created_at FROM accounts WHERE id = ?",
                (account_id,),
            ).fetchone()
            if account is None:
                raise RelayError(Code.UNKNOWN_ACCOUNT)
            devices = con.execute(
                "SELECT id, status, mailbox_seq, acked_seq, created_at, revoked_at FROM devices"
                " WHERE account_id = ? ORDER BY created_at, id",
                (account_id,),
            ).fetchall()
            device_ids = [d[0] for d in devices]
            marks = ",".join("?" * len(device_ids)) or "NULL"
            waiting = con.execute(
                f"SELECT to_device, seq, length(body), created_at, expires_at FROM envelopes"  # noqa: S608 (placeholders only)
                f" WHERE to_device IN ({marks}) ORDER BY to_device, seq",
                device_ids,
            ).fetchall()
            sent_waiting = con.execute(
                f"SELECT count(*) FROM envelopes WHERE from_device IN ({marks})",  # noqa: S608
                device_ids,
            ).fetchone()[0]
            sent_ids = con.execute(
                f"SELECT count(*) FROM sent_ids WHERE from_device IN ({marks})",  # noqa: S608
                device_ids,
            ).fetchone()[0]
            prekeys = con.execute(
                f"SELECT device_id, count(*) FROM one_time_prekeys"  # noqa: S608
                f" WHERE device_id IN ({marks}) GROUP BY device_id",
                device_ids,
            ).fetchall()
            signed = con.execute(
                f"SELECT device_id, updated_at FROM signed_prekeys"  # noqa: S608
                f" WHERE device_id IN ({marks})",
                device_ids,
            ).fetchall()
            cases = con.execute(
                "SELECT c.id, c.created_at, m.added_at, c.caregiver_id = ?,"
                " (SELECT count(*) FROM case_members x WHERE x.case_id = c.id)"
                " FROM cases c JOIN case_members m ON m.case_id = c.id AND m.account_id = ?"
                " ORDER BY c.created_at",
                (account_id, account_id),
            ).fetchall()
            groups = con.execute(
                "SELECT m.group_id, m.member_id, m.role, m.joined_at, m.muted_until,"
                " (SELECT count(*) FROM group_members x WHERE x.group_id = m.group_id)"
                " FROM group_members m WHERE m.account_id = ? ORDER BY m.joined_at",
                (account_id,),
            ).fetchall()
            handles = {
                (r[0], r[1]): r[2]
                for r in con.execute(
                    "SELECT h.group_id, h.handle, h.device_id FROM group_handles h"
                    " JOIN group_members m ON m.group_id = h.group_id AND m.member_id = h.member_id"
                    " WHERE m.account_id = ?",
                    (account_id,),
                )
            }
            invites = con.execute(
                "SELECT role, created_at, expires_at, used_at, for_account IS NOT NULL"
                " FROM invites WHERE created_by = ? ORDER BY created_at",
                (account_id,),
            ).fetchall()
            return {
                "account": dict(
                    zip(
                        ("id", "organisation", "role", "status", "created_at"), account, strict=True
                    )
                ),
                "devices": [
                    dict(
                        zip(
                            # Every device the account ever had: a recovery's old
                            # phones stay listed, revoked, with the date (issue 20).
                            (
                                "id",
                                "status",
                                "mailbox_seq",
                                "acked_seq",
                                "created_at",
                                "revoked_at",
                            ),
                            d,
                            strict=True,
                        )
                    )
                    for d in devices
                ],
                "envelopes_waiting_for_you": [
                    dict(
                        zip(("device", "seq", "bytes", "created_at", "expires_at"), e, strict=True)
                    )
                    for e in waiting
                ],
                "envelopes_you_sent_still_waiting": sent_waiting,
                "sent_envelope_ids_remembered": sent_ids,
                "prekeys": {
                    "signed_updated_at": dict(signed),
                    "one_time_count": dict(prekeys),
                },
                "cases": [
                    {
                        "id": c[0],
                        "created_at": c[1],
                        "you_joined_at": c[2],
                        "you_are_the_caregiver": bool(c[3]),
                        "members": c[4],
                    }
                    for c in cases
                ],
                # The relay cannot read a group's name or anyone's display name: it has ids.
                "groups": [
                    {
                        "id": g[0],
                        "your_member_id": g[1],
                        "role": g[2],
                        "you_joined_at": g[3],
                        "muted_until": g[4],
                        "members": g[5],
                        "your_handles": {
                            handle: device
                            for (group_id, handle), device in sorted(handles.items())
                            if group_id == g[0]
                        },
                    }
                    for g in groups
                ],
                "invites_you_created": [
                    {
                        "role": i[0],
                        "created_at": i[1],
                        "expires_at": i[2],
                        "used_at": i[3],
                        "adds_a_device_to_your_account": bool(i[4]),
                    }
                    for i in invites
                ],
            }

        return await self._read(read)

    async def erase_account(
        self, account_id: str, now: int = 0, audit: Sequence[AuditDraft] = ()
    ) -> tuple[list[str], list[str], list[str]]:
        """Art. 17: delete the account and everything held about it, in one transaction.
        Envelopes it already sent to others stay until their normal expiry: they are part
        of the recipients' conversations. Returns (its device ids, accounts it shared a case
        with, its own cases that closed: who and what to tell)."""

        def erase(con: sqlite3.Connection) -> tuple[list[str], list[str], list[str]]:
            if con.execute("SELECT 1 FROM accounts WHERE id = ?", (account_id,)).fetchone() is None:
                raise RelayError(Code.UNKNOWN_ACCOUNT)
            devices = [
                r[0]
                for r in con.execute("SELECT id FROM devices WHERE account_id = ?", (account_id,))
            ]
            others = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT m2.account_id FROM case_members m1"
                    " JOIN case_members m2 ON m1.case_id = m2.case_id"
                    " WHERE m1.account_id = ? AND m2.account_id != ?",
                    (account_id, account_id),
                )
            ]
            for device_id in devices:
                forget_reader(con, device_id, drop_orphans=True)  # blobs only it awaited
                for table, column in (
                    ("envelopes", "to_device"),
                    ("sent_ids", "from_device"),
                    ("signed_prekeys", "device_id"),
                    ("one_time_prekeys", "device_id"),
                ):
                    con.execute(f"DELETE FROM {table} WHERE {column} = ?", (device_id,))  # noqa: S608
            # A caregiver's own case closes with them; on other cases they just leave.
            own_cases = [
                r[0]
                for r in con.execute("SELECT id FROM cases WHERE caregiver_id = ?", (account_id,))
            ]
            for case_id in own_cases:
                con.execute("DELETE FROM policies WHERE scope = ?", (f"case:{case_id}",))
                con.execute("DELETE FROM case_members WHERE case_id = ?", (case_id,))
                con.execute("DELETE FROM cases WHERE id = ?", (case_id,))
            con.execute("DELETE FROM case_members WHERE account_id = ?", (account_id,))
            leave_all_groups(con, account_id)  # before its devices go: handles point at them
            con.execute(
                "DELETE FROM invites WHERE created_by = ? OR for_account = ?",
                (account_id, account_id),
            )
            con.execute("DELETE FROM devices WHERE account_id = ?", (account_id,))
            con.execute("DELETE FROM pending_erasures WHERE account_id = ?", (account_id,))
            con.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
            # Recorded under the person's pseudonym, then the keys that link it to them go:
            # the entry stays verifiable and can no longer be tied to the person.
            self._log(con, audit, now)
            self._audit_store(con).forget_subjects(con, [account_id, *devices, *own_cases])
            return devices, others, own_cases

        result = await self._write(self._transaction, erase)
        await self.truncate_wal()  # leave no copy of the erased rows in the log
        return result

    # -- legal holds -----------------------------------------------------------------------

    async def place_hold(
        self, org_id: str, hold: dict[str, Any], audit: AuditDraft | None = None
    ) -> str:
        """Store a validated hold (retention.LegalHold fields) on a case of `org_id`."""

        def place(con: sqlite3.Connection) -> str:
            # A hold names a case, or a peer-support group (its id is its retention scope).
            if not con.execute(
                "SELECT 1 FROM cases WHERE id = ?1 AND org_id = ?2"
                " UNION ALL SELECT 1 FROM groups WHERE id = ?1 AND org_id = ?2",
                (hold["case_id"], org_id),
            ).fetchone():
                raise RelayError(Code.UNKNOWN_CASE)
            hold_id = new_id("hold")
            con.execute(
                "INSERT INTO legal_holds (id, org_id, case_id, scope, reason, reference,"
                " placed_by, placed_at, review_at, ends_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    hold_id,
                    org_id,
                    hold["case_id"],
                    ",".join(sorted(hold["scope"])),
                    hold["reason"],
                    hold["reference"],
                    hold["placed_by"],
                    hold["placed_at"],
                    hold["review_at"],
                    hold["ends_at"],
                ),
            )
            if audit is not None:
                kind = "group" if hold["case_id"].startswith("grp_") else "case"
                objects = (("legal_hold", hold_id), (kind, hold["case_id"]))
                self._log(con, [replace(audit, objects=objects)], hold["placed_at"])
            return hold_id

        return await self._write(self._transaction, place)

    async def lift_hold(
        self, org_id: str, hold_id: str, now: int, audit: AuditDraft | None = None
    ) -> str:
        """Lift an active hold; returns its case id."""

        def lift(con: sqlite3.Connection) -> str:
            row = con.execute(
                "SELECT case_id FROM legal_holds WHERE id = ? AND org_id = ? AND lifted_at IS NULL",
                (hold_id, org_id),
            ).fetchone()
            if row is None:
                raise RelayError(Code.UNKNOWN_HOLD)
            con.execute("UPDATE legal_holds SET lifted_at = ? WHERE id = ?", (now, hold_id))
            if audit is not None:
                kind = "group" if row[0].startswith("grp_") else "case"
                objects = (("legal_hold", hold_id), (kind, row[0]))
                self._log(con, [replace(audit, objects=objects)], now)
            return row[0]

        return await self._write(self._transaction, lift)

    async def list_holds(self, org_id: str) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            columns = (
                "id",
                "case_id",
                "scope",
                "reason",
                "reference",
                "placed_by",
                "placed_at",
                "review_at",
                "ends_at",
                "lifted_at",
            )
            rows = (
                self._reader_con()
                .execute(
                    f"SELECT {', '.join(columns)} FROM legal_holds WHERE org_id = ?"  # noqa: S608
                    " ORDER BY placed_at, id",
                    (org_id,),
                )
                .fetchall()
            )
            return [
                {**dict(zip(columns, row, strict=True)), "scope": row[2].split(",")} for row in rows
            ]

        return await self._read(read)

    async def org_cases(self, org_id: str) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            return [
                {
                    "id": case_id,
                    "caregiver": caregiver,
                    "created_at": created,
                    "closed_at": closed,
                    "members": count,
                }
                for case_id, caregiver, created, closed, count in self._reader_con().execute(
                    "SELECT c.id, c.caregiver_id, c.created_at, c.closed_at, count(m.account_id)"
                    " FROM cases c LEFT JOIN case_members m ON m.case_id = c.id"
                    " WHERE c.org_id = ? GROUP BY c.id ORDER BY c.created_at, c.id",
                    (org_id,),
                )
            ]

        return await self._read(read)

    @staticmethod
    def _held(con: sqlite3.Connection, account_id: str, now: int) -> bool:
        """Does an active hold cover one of this account's cases?"""
        return (
            con.execute(
                "SELECT 1 FROM legal_holds h JOIN case_members m ON m.case_id = h.case_id"
                " WHERE m.account_id = ? AND h.lifted_at IS NULL"
                " AND (h.ends_at IS NULL OR h.ends_at > ?) LIMIT 1",
                (account_id, now),
            ).fetchone()
            is not None
        )

    async def defer_erasure_if_held(self, account_id: str, now: int) -> bool:
        """If a hold covers the account, record the erasure as pending and return True."""

        def check(con: sqlite3.Connection) -> bool:
            if not self._held(con, account_id, now):
                return False
            con.execute(
                "INSERT OR IGNORE INTO pending_erasures (account_id, requested_at) VALUES (?, ?)",
                (account_id, now),
            )
            return True

        return await self._write(self._transaction, check)

    async def erasures_due(self, now: int) -> list[str]:
        """Pending erasures no hold stands in the way of any more."""

        def read() -> list[str]:
            con = self._reader_con()
            pending = [
                r[0]
                for r in con.execute(
                    "SELECT account_id FROM pending_erasures ORDER BY requested_at"
                )
            ]
            return [account for account in pending if not self._held(con, account, now)]

        return await self._read(read)
