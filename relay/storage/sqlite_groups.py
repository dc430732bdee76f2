"""Peer-support groups: membership as routing data, the signed log, handle routes.

The relay stores which account is behind which handle only to deliver to a real device
and to decide who may send; the log's records are stored as signed and checked by the
handler (relay/handlers/groups.py) before they get here. docs/groups.md is the design.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from groups.log import SignedRecord
from relay.errors import Code, RelayError
from relay.storage.audit_store import AuditDraft
from relay.storage.base import DeviceRecord, Route
from relay.storage.sqlite_base import SQLiteBase


@dataclass(frozen=True, slots=True)
class GroupEffect:
    """What an accepted record changes in the routing tables (besides the log row)."""

    op: str
    member: str  # the member the record is about (the joiner, for a join)
    role: str | None = None
    muted_until: int | None = None
    handle: str | None = None  # join: the joiner's handle; device: the new handle
    device_id: str | None = None  # the real device the new handle is delivered to
    account_id: str | None = None  # join: the joining account
    ticket_by: str | None = None  # join: the handle that signed the ticket


@dataclass(frozen=True, slots=True)
class GroupChange:
    """An appended record, and whose devices must hear of it (members before and after)."""

    group_id: str
    seq: int
    devices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Membership:
    group_id: str
    member_id: str
    role: str
    muted_until: int
    closed_at: int | None
    seq: int
    handles: tuple[str, ...]  # the asking device's handles in the group


def leave_all_groups(con: sqlite3.Connection, account_id: str) -> list[str]:
    """Remove an account from every group (erasure): membership, handles and their prekeys.
    Returns the groups it was in, whose members must be told."""
    groups = [
        r[0]
        for r in con.execute(
            "SELECT group_id FROM group_members WHERE account_id = ?", (account_id,)
        )
    ]
    for group_id in groups:
        member = con.execute(
            "SELECT member_id FROM group_members WHERE group_id = ? AND account_id = ?",
            (group_id, account_id),
        ).fetchone()[0]
        _drop_member(con, group_id, member)
    return groups


def drop_device_handles(con: sqlite3.Connection, device_id: str) -> list[str]:
    """A revoked device stops being reachable in every group. Returns the groups."""
    rows = con.execute(
        "SELECT handle, group_id FROM group_handles WHERE device_id = ?", (device_id,)
    ).fetchall()
    for handle, _ in rows:
        _drop_handle(con, handle)
    return sorted({group_id for _, group_id in rows})


def _drop_handle(con: sqlite3.Connection, handle: str) -> None:
    con.execute("DELETE FROM group_signed_prekeys WHERE handle = ?", (handle,))
    con.execute("DELETE FROM group_one_time_prekeys WHERE handle = ?", (handle,))
    con.execute("DELETE FROM group_handles WHERE handle = ?", (handle,))


def _drop_member(con: sqlite3.Connection, group_id: str, member_id: str) -> None:
    for (handle,) in con.execute(
        "SELECT handle FROM group_handles WHERE group_id = ? AND member_id = ?",
        (group_id, member_id),
    ).fetchall():
        _drop_handle(con, handle)
    con.execute(
        "DELETE FROM group_members WHERE group_id = ? AND member_id = ?", (group_id, member_id)
    )


def ticket_issuer_active(con: sqlite3.Connection, group_id: str, handle: str) -> bool:
    """Whether `handle` may still issue this group's tickets: a facilitator's handle, on an
    active device of an active account. A ticket dies with its facilitator (PROTOCOL.md
    §4.15): left or removed (the handle is gone), no longer a facilitator, device revoked
    (its handles are dropped), account disabled or revoked."""
    row = con.execute(
        "SELECT m.role, d.status, a.status FROM group_handles h"
        " JOIN group_members m ON m.group_id = h.group_id AND m.member_id = h.member_id"
        " JOIN devices d ON d.id = h.device_id JOIN accounts a ON a.id = d.account_id"
        " WHERE h.handle = ? AND h.group_id = ?",
        (handle, group_id),
    ).fetchone()
    return row is not None and tuple(row) == ("facilitator", "active", "active")


def _member_devices(con: sqlite3.Connection, group_id: str) -> set[str]:
    """Every active device of every member's account (not only those with a handle: a
    member's new device must hear of changes too)."""
    return {
        r[0]
        for r in con.execute(
            "SELECT d.id FROM group_members m JOIN devices d ON d.account_id = m.account_id"
            " WHERE m.group_id = ? AND d.status = 'active'",
            (group_id,),
        )
    }


class GroupsSQL(SQLiteBase):
    # -- reading ---------------------------------------------------------------------------

    async def group_records(self, group_id: str, since: int = 0) -> list[SignedRecord]:
        def read() -> list[SignedRecord]:
            return [
                SignedRecord(body, sig)
                for body, sig in self._reader_con().execute(
                    "SELECT body, sig FROM group_log WHERE group_id = ? AND seq > ? ORDER BY seq",
                    (group_id, since),
                )
            ]

        return await self._read(read)

    async def group_membership(self, device: DeviceRecord, group_id: str) -> Membership | None:
        """The caller's membership of one group (None: not a member, or no such group)."""
        found = [m for m in await self.group_memberships(device) if m.group_id == group_id]
        return found[0] if found else None

    async def group_memberships(self, device: DeviceRecord) -> list[Membership]:
        def read() -> list[Membership]:
            con = self._reader_con()
            rows = con.execute(
                "SELECT m.group_id, m.member_id, m.role, m.muted_until, g.closed_at,"
                " (SELECT max(seq) FROM group_log l WHERE l.group_id = g.id)"
                " FROM group_members m JOIN groups g ON g.id = m.group_id"
                " WHERE m.account_id = ? AND g.org_id = ? ORDER BY m.joined_at, m.group_id",
                (device.account_id, device.org_id),
            ).fetchall()
            result = []
            for group_id, member_id, role, muted, closed_at, seq in rows:
                handles = tuple(
                    r[0]
                    for r in con.execute(
                        "SELECT handle FROM group_handles"
                        " WHERE group_id = ? AND member_id = ? AND device_id = ? ORDER BY handle",
                        (group_id, member_id, device.id),
                    )
                )
                result.append(
                    Membership(group_id, member_id, role, muted, closed_at, seq or 0, handles)
                )
            return result

        return await self._read(read)

    async def group_active_handles(self, group_id: str) -> list[str]:
        """Handles the relay delivers to now: their device is active, their account not
        disabled or revoked."""

        def read() -> list[str]:
            return [
                r[0]
                for r in self._reader_con().execute(
                    "SELECT h.handle FROM group_handles h JOIN devices d ON d.id = h.device_id"
                    " JOIN accounts a ON a.id = d.account_id"
                    " WHERE h.group_id = ? AND d.status = 'active' AND a.status = 'active'"
                    " ORDER BY h.handle",
                    (group_id,),
                )
            ]

        return await self._read(read)

    async def handle_device(self, handle: str) -> str | None:
        def read() -> str | None:
            row = (
                self._reader_con()
                .execute("SELECT device_id FROM group_handles WHERE handle = ?", (handle,))
                .fetchone()
            )
            return None if row is None else row[0]

        return await self._read(read)

    async def handle_devices(self, handles: Sequence[str]) -> dict[str, str]:
        """handle -> its real device, for those of `handles` that are handles."""

        def read() -> dict[str, str]:
            con = self._reader_con()
            found = {}
            for handle in handles:
                row = con.execute(
                    "SELECT device_id FROM group_handles WHERE handle = ?", (handle,)
                ).fetchone()
                if row is not None:
                    found[handle] = row[0]
            return found

        return await self._read(read)

    async def account_groups(self, account_id: str) -> list[str]:
        """The groups an account is a member of (whose members hear when it goes)."""

        def read() -> list[str]:
            return [
                r[0]
                for r in self._reader_con().execute(
                    "SELECT group_id FROM group_members WHERE account_id = ? ORDER BY group_id",
                    (account_id,),
                )
            ]

        return await self._read(read)

    async def group_member_devices(self, group_id: str) -> tuple[str, ...]:
        def read() -> tuple[str, ...]:
            return tuple(sorted(_member_devices(self._reader_con(), group_id)))

        return await self._read(read)

    async def group_ticket_issuer_active(self, group_id: str, handle: str) -> bool:
        return await self._read(lambda: ticket_issuer_active(self._reader_con(), group_id, handle))

    async def group_org(self, group_id: str) -> str | None:
        def read() -> str | None:
            row = (
                self._reader_con()
                .execute("SELECT org_id FROM groups WHERE id = ?", (group_id,))
                .fetchone()
            )
            return None if row is None else row[0]

        return await self._read(read)

    async def org_groups(self, org_id: str) -> list[dict[str, object]]:
        """Every group of the organisation, for admins and officers: ids, counts, dates."""

        def read() -> list[dict[str, object]]:
            return [
                {"id": gid, "created_at": created, "closed_at": closed, "members": count}
                for gid, created, closed, count in self._reader_con().execute(
                    "SELECT g.id, g.created_at, g.closed_at,"
                    " (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)"
                    " FROM groups g WHERE g.org_id = ? ORDER BY g.created_at, g.id",
                    (org_id,),
                )
            ]

        return await self._read(read)

    @staticmethod
    def group_route(con: sqlite3.Connection, sender: DeviceRecord, handle: str) -> Route | None:
        """May `sender` (a real device) send to the group handle? Used by may_send when
        `handle` is no device id. None: no such handle, or its device is gone."""
        row = con.execute(
            "SELECT h.group_id, h.device_id, g.org_id, g.closed_at, d.status, a.status"
            " FROM group_handles h JOIN groups g ON g.id = h.group_id"
            " JOIN devices d ON d.id = h.device_id JOIN accounts a ON a.id = d.account_id"
            " WHERE h.handle = ?",
            (handle,),
        ).fetchone()
        if row is None:
            return None
        group_id, to_device, org_id, closed_at, device_status, account_status = row
        if device_status != "active" or account_status == "revoked":
            return None
        if org_id != sender.org_id:
            return Route(False)
        own = con.execute(
            "SELECT h.handle, m.muted_until FROM group_handles h JOIN group_members m"
            " ON m.group_id = h.group_id AND m.member_id = h.member_id"
            " WHERE h.group_id = ? AND h.device_id = ?",
            (group_id, sender.id),
        ).fetchone()
        if own is None:
            return Route(False, refusal=Code.NOT_A_MEMBER)
        if closed_at is not None:
            return Route(False, group_id, closed=True, to_device=to_device)
        return Route(True, group_id, from_handle=own[0], to_device=to_device, muted_until=own[1])

    # -- writing ---------------------------------------------------------------------------

    async def group_create(
        self,
        actor: DeviceRecord,
        record: SignedRecord,
        group_id: str,
        handle: str,
        now: int,
        audit: Sequence[AuditDraft] = (),
    ) -> None:
        def create(con: sqlite3.Connection) -> None:
            if con.execute("SELECT 1 FROM groups WHERE id = ?", (group_id,)).fetchone():
                raise RelayError(Code.GROUP_RECORD_REFUSED, reason="wrong_group")
            self._handle_free(con, handle)
            con.execute(
                "INSERT INTO groups (id, org_id, created_at) VALUES (?, ?, ?)",
                (group_id, actor.org_id, now),
            )
            con.execute(
                "INSERT INTO group_members (group_id, member_id, account_id, role, joined_at)"
                " VALUES (?, ?, ?, 'facilitator', ?)",
                (group_id, handle, actor.account_id, now),
            )
            con.execute(
                "INSERT INTO group_handles (handle, group_id, member_id, device_id)"
                " VALUES (?, ?, ?, ?)",
                (handle, group_id, handle, actor.id),
            )
            self._append_row(con, group_id, 1, record, now)
            self._log(con, audit, now)

        await self._write(self._transaction, create)

    @staticmethod
    def _handle_free(con: sqlite3.Connection, handle: str) -> None:
        """A handle is a device's key for one group only: it may be in no other group, and
        must not be a device id (or a device could be addressed under two names)."""
        taken = con.execute(
            "SELECT 1 FROM group_handles WHERE handle = ? UNION ALL"
            " SELECT 1 FROM devices WHERE id = ?",
            (handle, handle),
        ).fetchone()
        if taken:
            raise RelayError(Code.GROUP_RECORD_REFUSED, reason="handle_in_use")

    @staticmethod
    def _append_row(
        con: sqlite3.Connection, group_id: str, seq: int, record: SignedRecord, now: int
    ) -> None:
        last = con.execute(
            "SELECT max(seq) FROM group_log WHERE group_id = ?", (group_id,)
        ).fetchone()[0]
        if (last or 0) != seq - 1:  # someone else's change landed first: prepare again
            raise RelayError(Code.GROUP_RECORD_REFUSED, reason="wrong_seq")
        con.execute(
            "INSERT INTO group_log (group_id, seq, body, sig, created_at) VALUES (?, ?, ?, ?, ?)",
            (group_id, seq, record.body, record.sig, now),
        )

    async def group_append(
        self,
        group_id: str,
        seq: int,
        record: SignedRecord,
        effect: GroupEffect,
        now: int,
        audit: Sequence[AuditDraft] = (),
    ) -> GroupChange:
        """Append a checked record and apply its effect, in one transaction."""

        def append(con: sqlite3.Connection) -> GroupChange:
            before = _member_devices(con, group_id)
            self._append_row(con, group_id, seq, record, now)
            if effect.op == "join":
                assert effect.handle and effect.device_id and effect.account_id
                # Again in this transaction: the issuer may have been revoked since the
                # handler looked (a demotion or removal would have moved the log on).
                if effect.ticket_by is not None and not ticket_issuer_active(
                    con, group_id, effect.ticket_by
                ):
                    raise RelayError(Code.INVITE_REVOKED)
                already = con.execute(
                    "SELECT 1 FROM group_members WHERE group_id = ? AND account_id = ?",
                    (group_id, effect.account_id),
                ).fetchone()
                if already:
                    raise RelayError(Code.ALREADY_MEMBER)
                self._handle_free(con, effect.handle)
                con.execute(
                    "INSERT INTO group_members (group_id, member_id, account_id, role, joined_at)"
                    " VALUES (?, ?, ?, 'member', ?)",
                    (group_id, effect.member, effect.account_id, now),
                )
                self._bind(con, group_id, effect.member, effect.handle, effect.device_id)
            elif effect.op == "device":
                assert effect.handle and effect.device_id
                self._handle_free(con, effect.handle)
                # One handle per device per group: the device sends as exactly one of them.
                if con.execute(
                    "SELECT 1 FROM group_handles WHERE group_id = ? AND device_id = ?",
                    (group_id, effect.device_id),
                ).fetchone():
                    raise RelayError(Code.GROUP_RECORD_REFUSED, reason="handle_in_use")
                self._bind(con, group_id, effect.member, effect.handle, effect.device_id)
            elif effect.op in ("leave", "remove"):
                _drop_member(con, group_id, effect.member)
            elif effect.op == "role":
                con.execute(
                    "UPDATE group_members SET role = ? WHERE group_id = ? AND member_id = ?",
                    (effect.role, group_id, effect.member),
                )
            elif effect.op == "mute":
                con.execute(
                    "UPDATE group_members SET muted_until = ? WHERE group_id = ? AND member_id = ?",
                    (effect.muted_until, group_id, effect.member),
                )
            self._log(con, audit, now)
            after = _member_devices(con, group_id)
            return GroupChange(group_id, seq, tuple(sorted(before | after)))

        return await self._write(self._transaction, append)

    @staticmethod
    def _bind(
        con: sqlite3.Connection, group_id: str, member: str, handle: str, device_id: str
    ) -> None:
        con.execute(
            "INSERT INTO group_handles (handle, group_id, member_id, device_id)"
            " VALUES (?, ?, ?, ?)",
            (handle, group_id, member, device_id),
        )

    async def group_set_closed(
        self, group_id: str, closed_at: int | None, now: int, audit: Sequence[AuditDraft] = ()
    ) -> tuple[str, ...]:
        def close(con: sqlite3.Connection) -> tuple[str, ...]:
            con.execute("UPDATE groups SET closed_at = ? WHERE id = ?", (closed_at, group_id))
            self._log(con, audit, now)
            return tuple(sorted(_member_devices(con, group_id)))

        return await self._write(self._transaction, close)

    async def remove_group(
        self, group_id: str, now: int, audit: Sequence[AuditDraft] = ()
    ) -> tuple[str, ...]:
        """Delete a group and everything the relay held for it (retention: a closed group
        past its lifetime). Envelopes already queued stay until they expire or are read."""

        def remove(con: sqlite3.Connection) -> tuple[str, ...]:
            devices = tuple(sorted(_member_devices(con, group_id)))
            for (member,) in con.execute(
                "SELECT member_id FROM group_members WHERE group_id = ?", (group_id,)
            ).fetchall():
                _drop_member(con, group_id, member)
            con.execute("DELETE FROM group_log WHERE group_id = ?", (group_id,))
            con.execute("DELETE FROM policies WHERE scope = ?", (f"case:{group_id}",))
            con.execute("DELETE FROM groups WHERE id = ?", (group_id,))
            self._log(con, audit, now)
            return devices

        return await self._write(self._transaction, remove)

    async def groups_closed_before(self, cutoff: int) -> list[tuple[str, int]]:
        """(group id, closed at) of every group closed at or before `cutoff`."""

        def read() -> list[tuple[str, int]]:
            return [
                (r[0], r[1])
                for r in self._reader_con().execute(
                    "SELECT id, closed_at FROM groups WHERE closed_at IS NOT NULL"
                    " AND closed_at <= ? ORDER BY closed_at",
                    (cutoff,),
                )
            ]

        return await self._read(read)
