"""Envelopes: the group-commit batch, mailbox reads, the expiry purge and crypto-shredding."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from relay.storage.base import (
    NewEnvelope,
    StoredEnvelope,
    StoreOutcome,
    StoreResult,
)
from relay.storage.epoch_keys import DAY, epoch_of, open_sealed, seal
from relay.storage.sqlite_base import SQLiteBase

PURGE_BATCH = 500  # rows per purge transaction: small, so live commits interleave
PASSIVE_EVERY = 20  # purge batches between non-blocking WAL checkpoints
PURGE_PAUSE_S = 0.01  # rest between purge batches (docs/performance.md measures the effect)

# A case whose envelopes a legal hold keeps; ?1 is now.
_HELD_CASES = (
    "SELECT case_id FROM legal_holds WHERE lifted_at IS NULL"
    " AND (ends_at IS NULL OR ends_at > ?1) AND (',' || scope || ',') LIKE '%,envelopes,%'"
)
# A case whose audit entries a legal hold keeps whole, past the audit retention; ? is now.
_AUDIT_HELD_CASES = (
    "SELECT case_id FROM legal_holds WHERE lifted_at IS NULL"
    " AND (ends_at IS NULL OR ends_at > ?) AND (',' || scope || ',') LIKE '%,audit,%'"
)
_EXPIRED_ENVELOPE = f"expires_at <= ?1 AND (case_id IS NULL OR case_id NOT IN ({_HELD_CASES}))"

# kind -> (count of what expired, delete of one batch of it); each takes (cutoff[, limit]).
_PURGES: dict[str, tuple[str, str]] = {
    "envelopes": (
        f"SELECT count(*) FROM envelopes WHERE {_EXPIRED_ENVELOPE}",  # noqa: S608
        "DELETE FROM envelopes WHERE rowid IN"  # noqa: S608 (constants only)
        f" (SELECT rowid FROM envelopes WHERE {_EXPIRED_ENVELOPE} LIMIT ?2)",
    ),
    "sent_ids": (
        "SELECT count(*) FROM sent_ids WHERE expires_at <= ?",
        "DELETE FROM sent_ids WHERE (from_device, envelope_id) IN"
        " (SELECT from_device, envelope_id FROM sent_ids WHERE expires_at <= ? LIMIT ?)",
    ),
    "invites": (
        "SELECT count(*) FROM invites WHERE expires_at <= ?",
        "DELETE FROM invites WHERE rowid IN"
        " (SELECT rowid FROM invites WHERE expires_at <= ? LIMIT ?)",
    ),
    "push_subscriptions": (  # a device that stopped renewing its subscription
        "SELECT count(*) FROM push_subscriptions WHERE expires_at <= ?",
        "DELETE FROM push_subscriptions WHERE device_id IN"
        " (SELECT device_id FROM push_subscriptions WHERE expires_at <= ? LIMIT ?)",
    ),
    "legal_holds": (  # the record of a hold, a year after it was lifted or ended
        "SELECT count(*) FROM legal_holds WHERE coalesce(lifted_at, ends_at) <= ?",
        "DELETE FROM legal_holds WHERE rowid IN (SELECT rowid FROM legal_holds"
        " WHERE coalesce(lifted_at, ends_at) <= ? LIMIT ?)",
    ),
}


def resend_outcome(first_copy: tuple[str, bytes] | None, env: NewEnvelope) -> StoreOutcome:
    """An envelope whose (sender, id) was sent before. The same recipient and body is a
    resend after a lost reply: the same acknowledgement, no second delivery. Anything else
    reuses the id, and is refused rather than dropped unseen. `first_copy` is (recipient,
    body) of the first copy while the relay still holds it; once it was delivered or
    purged there is nothing to compare with, so the resend counts as a duplicate."""
    if first_copy is None or first_copy == (env.to_device, env.body):
        return StoreOutcome.DUPLICATE
    return StoreOutcome.ID_REUSED


def held_copy(con: Any, keyring: Any, env: NewEnvelope) -> tuple[str, bytes] | None:
    """(recipient, body) of the undelivered first copy of `env`'s id in the mailbox `env`
    names, or None. Only that one mailbox is searched (its index bounds the work to
    `mailbox_max_envelopes` rows), so the same id sent earlier to another device is not
    found: the relay keeps no recipient per sent id (PROTOCOL.md §8)."""
    row = con.execute(
        "SELECT body, epoch FROM envelopes"
        " WHERE to_device = ? AND from_device = ? AND envelope_id = ?",
        (env.to_device, env.from_device, env.envelope_id),
    ).fetchone()
    if row is None:
        return None
    body, epoch = bytes(row[0]), row[1]
    if epoch is not None:
        key = keyring.key(epoch)
        if key is None:  # shredded: cannot happen while a row of it exists
            return None
        body = open_sealed(key, body, env.to_device, env.from_device, env.envelope_id)
    return env.to_device, body


class EnvelopesSQL(SQLiteBase):
    # -- envelopes ------------------------------------------------------------------------

    async def apply_batch(
        self,
        stores: list[NewEnvelope],
        acks: list[tuple[str, int]],
        now: int,
        mailbox_limit: int,
    ) -> list[StoreResult]:
        def apply(con: sqlite3.Connection) -> list[StoreResult]:
            # device id -> [mailbox_seq, acked_seq], read once per batch per device
            counters: dict[str, list[int] | None] = {}

            def counter(device_id: str) -> list[int] | None:
                if device_id not in counters:
                    row = con.execute(
                        "SELECT mailbox_seq, acked_seq FROM devices"
                        " WHERE id = ? AND status = 'active'",
                        (device_id,),
                    ).fetchone()
                    counters[device_id] = list(row) if row else None
                return counters[device_id]

            for device_id, upto in acks:
                # Only what could have been delivered: an expired envelope was never shown,
                # so it is the purge's to delete, and the purge honours legal holds.
                con.execute(
                    "DELETE FROM envelopes WHERE to_device = ? AND seq <= ? AND expires_at > ?",
                    (device_id, upto, now),
                )
                state = counter(device_id)
                if state is not None and upto > state[1]:
                    state[1] = upto

            results: list[StoreResult] = []
            rows = []
            # (sender, id) -> (recipient, body) stored by this batch: not in the table yet
            batch_copies: dict[tuple[str, str], tuple[str, bytes]] = {}
            for env in stores:
                state = counter(env.to_device)
                if state is None:
                    results.append(StoreResult(StoreOutcome.UNKNOWN_DEVICE))
                    continue
                if state[0] - state[1] >= mailbox_limit:
                    results.append(StoreResult(StoreOutcome.MAILBOX_FULL))
                    continue
                inserted = con.execute(
                    "INSERT OR IGNORE INTO sent_ids (from_device, envelope_id, expires_at)"
                    " VALUES (?, ?, ?)",
                    (env.from_device, env.envelope_id, env.expires_at),
                ).rowcount
                if not inserted:
                    pair = (env.from_device, env.envelope_id)
                    first = batch_copies.get(pair) or held_copy(con, self.keyring, env)
                    results.append(StoreResult(resend_outcome(first, env)))
                    continue
                batch_copies[(env.from_device, env.envelope_id)] = (env.to_device, env.body)
                state[0] += 1
                stored = StoredEnvelope(
                    env.to_device, state[0], env.from_device, env.envelope_id, env.body
                )
                epoch = epoch_of(env.expires_at)
                key = self.keyring.key(epoch, create=True)
                sealed = seal(key, env.body, env.to_device, env.from_device, env.envelope_id)  # type: ignore[arg-type]
                rows.append(
                    (
                        env.to_device,
                        state[0],
                        env.from_device,
                        env.envelope_id,
                        sealed,
                        now,
                        env.expires_at,
                        env.case_id,
                        epoch,
                    )
                )
                results.append(StoreResult(StoreOutcome.STORED, stored))

            if rows:
                con.executemany(
                    "INSERT INTO envelopes (to_device, seq, from_device, envelope_id, body,"
                    " created_at, expires_at, case_id, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            con.executemany(
                "UPDATE devices SET mailbox_seq = ?, acked_seq = ? WHERE id = ?",
                [(s[0], s[1], d) for d, s in counters.items() if s is not None],
            )
            return results

        return await self._write(self._transaction, apply)

    async def read_mailbox(
        self,
        device_id: str,
        after_seq: int,
        limit: int,
        now: int,
    ) -> list[StoredEnvelope]:
        def read() -> list[StoredEnvelope]:
            rows = (
                self._reader_con()
                .execute(
                    "SELECT seq, from_device, envelope_id, body, epoch FROM envelopes"
                    " WHERE to_device = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?",
                    (device_id, after_seq, now, limit),
                )
                .fetchall()
            )
            envelopes = []
            keys = {epoch: self.keyring.key(epoch) for epoch in {row[4] for row in rows}}
            for seq, sender, envelope_id, stored, epoch in rows:
                body = stored
                if epoch is not None:
                    key = keys[epoch]
                    if key is None:  # shredded: cannot happen while a row of it exists
                        continue
                    body = open_sealed(key, stored, device_id, sender, envelope_id)
                envelopes.append(StoredEnvelope(device_id, seq, sender, envelope_id, body))
            return envelopes

        return await self._read(read)

    async def purge_expired(
        self,
        now: int,
        invite_grace_s: int,
        hold_record_s: int = 365 * 86_400,
        audit_retention_s: int = 5 * 365 * 86_400,
        *,
        dry_run: bool = False,
        batch: int = PURGE_BATCH,
        progress: Callable[[str, int], None] | None = None,
    ) -> dict[str, int]:
        """Delete what has outlived its lifetime (retention/lifetimes.py), `batch` rows per
        transaction so live traffic commits in between; then fold and truncate the WAL, so
        no copy of a deleted row is left in it. Returns counts (what would go, if dry_run)."""
        cutoffs = {
            "envelopes": now,
            "sent_ids": now,
            "invites": now - invite_grace_s,
            "legal_holds": now - hold_record_s,
            "push_subscriptions": now,
            "audit_bodies": now - audit_retention_s,
        }
        counts: dict[str, int] = {}
        for kind, (count_sql, delete_sql) in _PURGES.items():
            if kind == "legal_holds":  # the bodies first: a hold's record outlives its end
                counts["audit_bodies"] = await self._purge_audit_bodies(
                    now, cutoffs["audit_bodies"], batch, dry_run, progress
                )
            if dry_run:
                counts[kind] = await self._read(self._count, count_sql, cutoffs[kind])
                continue
            counts[kind] = 0
            batches = 0
            while True:
                batches += 1
                if batches % PASSIVE_EVERY == 0:
                    # Fold the WAL as we go, without blocking writers, so the final
                    # truncation has little left to copy (one big copy stalls live commits).
                    await self._write(self._passive_checkpoint)
                deleted = await self._write(
                    self._transaction,
                    lambda con, sql=delete_sql, cutoff=cutoffs[kind]: (
                        con.execute(sql, (cutoff, batch)).rowcount
                    ),
                )
                counts[kind] += deleted
                if progress is not None and deleted:
                    progress(kind, counts[kind])
                if deleted < batch:
                    break
                # Pace the purge: each batch ends in an fsync that live commits would
                # queue behind; a short rest between batches keeps their latency down.
                await asyncio.sleep(PURGE_PAUSE_S)
        # Blobs after envelopes, in batches of their own (sqlite_blobs.py); before the WAL
        # is truncated, so no copy of their pieces stays in it.
        counts["blobs"] = await self._purge_blobs(now, dry_run)  # type: ignore[attr-defined]
        if not dry_run:
            # Always, not only when something expired: acknowledged envelopes were deleted
            # (and zeroed) in the database, but their earlier copies linger in the WAL.
            await self.truncate_wal()
        counts["epoch_keys"] = await self._shred(now, dry_run)
        return counts

    async def _shred(self, now: int, dry_run: bool) -> int:
        """Destroy the key of every epoch whose day is over and of which no envelope or blob is
        left (a legal hold keeps its envelopes, and so their key). Returns how many (would) go."""

        def in_use() -> set[int]:
            return {
                row[0]
                for row in self._reader_con().execute(
                    "SELECT DISTINCT epoch FROM envelopes WHERE epoch IS NOT NULL"
                    " UNION SELECT DISTINCT epoch FROM blobs"  # a blob keeps its pieces' key
                )
            }

        used = await self._read(in_use)
        done = [e for e in self.keyring.epochs() if e not in used and (e + 1) * DAY <= now]
        if not dry_run:
            for epoch in done:
                await self._write(self.keyring.destroy, epoch)
        return len(done)

    async def _purge_audit_bodies(
        self,
        now: int,
        cutoff: int,
        batch: int,
        dry_run: bool,
        progress: Callable[[str, int], None] | None,
    ) -> int:
        """Remove the bodies of audit entries older than `cutoff` (their leaf hashes stay),
        except entries that name a case a legal hold with scope `audit` covers: the case's
        pseudonym appears in such a body. Walks the log by index, so held entries are
        stepped over rather than read again in every batch."""

        def one_batch(con: sqlite3.Connection, after: int) -> tuple[int, int | None]:
            store = self._audit_store(con)
            cases = [row[0] for row in con.execute(_AUDIT_HELD_CASES, (now,))]
            names = [store.known_pseudonym(con, case_id) for case_id in cases]
            held = [name.encode() for name in names if name]
            rows = con.execute(
                "SELECT idx, body FROM audit_entries WHERE idx > ? AND time <= ?"
                " AND body IS NOT NULL ORDER BY idx LIMIT ?",
                (after, cutoff, batch),
            ).fetchall()
            if not rows:
                return 0, None
            due = [(idx,) for idx, body in rows if not any(p in bytes(body) for p in held)]
            if not dry_run:
                con.executemany("UPDATE audit_entries SET body = NULL WHERE idx = ?", due)
            return len(due), rows[-1][0]

        total, after = 0, -1
        while True:
            done, last = await self._write(
                self._transaction, lambda con, after=after: one_batch(con, after)
            )
            total += done
            if progress is not None and done and not dry_run:
                progress("audit_bodies", total)
            if last is None:
                return total
            after = last

    def _passive_checkpoint(self) -> None:
        if self._write_con is not None:
            self._write_con.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _count(self, sql: str, cutoff: int) -> int:
        return self._reader_con().execute(sql, (cutoff,)).fetchone()[0]

    async def truncate_wal(self, attempts: int = 50) -> bool:
        """Copy the WAL into the database and cut it to zero bytes. A reader in the middle of
        a query can block this; retry briefly. True once the WAL is empty."""

        def truncate() -> bool:
            for _ in range(attempts):
                busy, _, _ = self._write_con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return True
                time.sleep(0.02)  # on the writer thread: lets the reader finish its query
            return False

        return await self._write(truncate)
