"""Web Push subscriptions (schema/0010_push.sql, docs/notifications.md).

A device stores one subscription; the push scheduler (relay/push/scheduler.py) reads it
back together with what it needs to decide: is the envelope still unacknowledged, is the
device still active, does the sender speak for a group. Claiming a push is one
conditional write, so with several nodes on one database a device gets at most one push
per interval whichever node committed its envelopes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from relay.storage.sqlite_base import SQLiteBase


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """What a device asked for (push_subscribe)."""

    endpoint: str
    p256dh: bytes
    auth: bytes
    hint_key: bytes
    quiet_from: int | None = None  # minutes after 00:00 UTC
    quiet_until: int | None = None
    muted: tuple[str, ...] = ()  # conversation hints

    def __repr__(self) -> str:  # the endpoint is a capability: never in a log
        return "PushSubscription(...)"


@dataclass(frozen=True, slots=True)
class PushTarget:
    """A subscribed, active device that has not acknowledged the envelope in question."""

    subscription: PushSubscription
    pushed_at: int
    # The conversation as the device's app names it: the group id when the sender is a
    # handle in a group, else the sending device's account id; None if the sender is gone.
    conversation: str | None
    group: bool

    def __repr__(self) -> str:
        return f"PushTarget(group={self.group})"


class PushSQL(SQLiteBase):
    async def push_subscribe(
        self, device_id: str, subscription: PushSubscription, now: int, expires_at: int
    ) -> None:
        """Store or replace the device's subscription (the last push time is kept, so a
        renewal cannot be used to get around the interval)."""
        s = subscription

        def upsert(con: sqlite3.Connection) -> None:
            con.execute(
                "INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, hint_key,"
                " quiet_from, quiet_until, muted, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
                " endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth,"
                " hint_key = excluded.hint_key, quiet_from = excluded.quiet_from,"
                " quiet_until = excluded.quiet_until, muted = excluded.muted,"
                " expires_at = excluded.expires_at",
                (
                    device_id,
                    s.endpoint,
                    s.p256dh,
                    s.auth,
                    s.hint_key,
                    s.quiet_from,
                    s.quiet_until,
                    ",".join(s.muted),
                    now,
                    expires_at,
                ),
            )

        await self._write(self._transaction, upsert)

    async def push_unsubscribe(self, device_id: str, endpoint: str | None = None) -> bool:
        """Delete the device's subscription (only if it still has this endpoint, when one
        is given: a 410 for an old endpoint must not delete a newer one). True if deleted."""

        def delete(con: sqlite3.Connection) -> bool:
            sql = "DELETE FROM push_subscriptions WHERE device_id = ?"
            if endpoint is None:
                return con.execute(sql, (device_id,)).rowcount > 0
            return con.execute(sql + " AND endpoint = ?", (device_id, endpoint)).rowcount > 0

        return await self._write(self._transaction, delete)

    async def push_target(
        self, device_id: str, seq: int, from_device: str, now: int
    ) -> PushTarget | None:
        """The device's live subscription if envelope `seq` is still unacknowledged and
        the device and its account are active; else None."""

        def read() -> PushTarget | None:
            con = self._reader_con()
            row = con.execute(
                "SELECT p.endpoint, p.p256dh, p.auth, p.hint_key, p.quiet_from,"
                " p.quiet_until, p.muted, p.pushed_at FROM push_subscriptions p"
                " JOIN devices d ON d.id = p.device_id JOIN accounts a ON a.id = d.account_id"
                " WHERE p.device_id = ? AND p.expires_at > ? AND d.acked_seq < ?"
                " AND d.status = 'active' AND a.status = 'active'",
                (device_id, now, seq),
            ).fetchone()
            if row is None:
                return None
            group = con.execute(
                "SELECT group_id FROM group_handles WHERE handle = ?", (from_device,)
            ).fetchone()
            account = (
                None
                if group
                else con.execute(
                    "SELECT account_id FROM devices WHERE id = ?", (from_device,)
                ).fetchone()
            )
            subscription = PushSubscription(
                endpoint=row[0],
                p256dh=bytes(row[1]),
                auth=bytes(row[2]),
                hint_key=bytes(row[3]),
                quiet_from=row[4],
                quiet_until=row[5],
                muted=tuple(m for m in row[6].split(",") if m),
            )
            conversation = group[0] if group else account[0] if account else None
            return PushTarget(subscription, row[7], conversation, group is not None)

        return await self._read(read)

    async def push_claim(self, device_id: str, now: int, interval_s: int) -> bool:
        """Take the right to push to the device now: True for exactly one caller (on any
        node) per `interval_s`."""

        def claim(con: sqlite3.Connection) -> bool:
            cur = con.execute(
                "UPDATE push_subscriptions SET pushed_at = ?"
                " WHERE device_id = ? AND pushed_at <= ?",
                (now, device_id, now - interval_s),
            )
            return cur.rowcount > 0

        return await self._write(self._transaction, claim)

    async def push_subscription_count(self) -> int:
        """For the retention report and the tests: how many rows there are."""

        def read() -> int:
            sql = "SELECT count(*) FROM push_subscriptions"
            return self._reader_con().execute(sql).fetchone()[0]

        return await self._read(read)
