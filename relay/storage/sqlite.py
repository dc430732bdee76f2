"""The embedded SQLite backend: one file, WAL mode, durable commits.

Why plain `sqlite3` on two dedicated threads rather than aiosqlite: aiosqlite already runs
every statement on one background thread, but makes each statement its own round trip to
it. A group commit here is dozens of statements; running the whole transaction as one
function on the writer thread costs one hop instead of one per statement. Reads (mailbox
drains, permission checks) use a second connection on a second thread, which WAL lets
run beside the writer.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from relay.errors import Code, RelayError
from relay.ids import new_id
from relay.invites import invite_subject
from relay.storage.audit_store import (
    CHECKPOINT_AT_ONCE,
    AuditDraft,
    AuditStore,
    load_signing_key,
)
from relay.storage.base import (
    AccountSummary,
    CaseMember,
    CaseView,
    DeviceRecord,
    MembershipChange,
    NewEnvelope,
    Registration,
    Route,
    StoredEnvelope,
    StoreOutcome,
    StoreResult,
)
from relay.storage.epoch_keys import DAY, EpochKeyring, epoch_of, open_sealed, seal
from relay.storage.migrations import migrate_sqlite

T = TypeVar("T")

SYNC_MODES = ("full", "normal")


def _software() -> str:
    from relay import __version__

    return __version__.replace("+unknown", "")


PURGE_BATCH = 500  # rows per purge transaction: small, so live commits interleave
PASSIVE_EVERY = 20  # purge batches between non-blocking WAL checkpoints
PURGE_PAUSE_S = 0.01  # rest between purge batches (docs/performance.md measures the effect)

# A case whose envelopes a legal hold keeps; ?1 is now.
_HELD_CASES = (
    "SELECT case_id FROM legal_holds WHERE lifted_at IS NULL"
    " AND (ends_at IS NULL OR ends_at > ?1) AND (',' || scope || ',') LIKE '%,envelopes,%'"
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
    "audit_bodies": (  # past the audit log's retention: the body goes, the leaf hash stays
        "SELECT count(*) FROM audit_entries WHERE time <= ? AND body IS NOT NULL",
        "UPDATE audit_entries SET body = NULL WHERE idx IN (SELECT idx FROM audit_entries"
        " WHERE time <= ? AND body IS NOT NULL LIMIT ?)",
    ),
    "legal_holds": (  # the record of a hold, a year after it was lifted or ended
        "SELECT count(*) FROM legal_holds WHERE coalesce(lifted_at, ends_at) <= ?",
        "DELETE FROM legal_holds WHERE rowid IN (SELECT rowid FROM legal_holds"
        " WHERE coalesce(lifted_at, ends_at) <= ? LIMIT ?)",
    ),
}


class SQLiteStorage:
    """`Storage` on one SQLite file. `synchronous='full'` survives power loss, 'normal' only
    a process crash (see docs/performance.md for what each costs)."""

    def __init__(
        self,
        path: Path,
        synchronous: str = "full",
        secure_delete: bool = True,
        key_dir: Path | None = None,
        audit_key: Path | None = None,
    ) -> None:
        if synchronous not in SYNC_MODES:
            raise ValueError(f"synchronous must be one of {SYNC_MODES}")
        self.path = path
        self.synchronous = synchronous
        # Deleted rows are overwritten with zeros, not just unlinked (per connection, so it
        # is set on every one). Off only in the test that proves why it must be on.
        self.secure_delete = secure_delete
        # Envelope bodies at rest are sealed under per-day keys kept apart from the database
        # (crypto-shredding, epoch_keys.py); by default in a folder beside it.
        self.keyring = EpochKeyring(key_dir or path.parent / "epoch-keys")
        # The audit log's signing key, kept outside the database (audit_store.py).
        self.audit_key_path = audit_key or path.parent / "audit-log.key"
        self._audit: AuditStore | None = None
        self._checkpoint_due = False
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="sqlite-reader")
        self._write_con: sqlite3.Connection | None = None
        self._read_con: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SQLiteStorage(path={str(self.path)!r})"

    # -- plumbing -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA busy_timeout = 10000")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
        con.execute(f"PRAGMA secure_delete = {'ON' if self.secure_delete else 'OFF'}")
        return con

    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect()
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"could not switch {self.path} to WAL mode (got {mode})")
        migrate_sqlite(con)
        self._write_con = con

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader, fn, *args)

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run `body` in one IMMEDIATE transaction on the writer connection."""
        con = self._write_con
        if con is None:
            raise RuntimeError("storage used before open() or after close()")
        con.execute("BEGIN IMMEDIATE")
        try:
            result = body(con)
        except BaseException:
            con.execute("ROLLBACK")
            if self._audit is not None:
                self._audit.rolled_back()
            raise
        con.execute("COMMIT")
        if self._audit is not None:
            self._audit.committed()
            if self._checkpoint_due:  # an officer, admin, purge, erasure or hold event
                self._checkpoint_due = False
                self._sign_checkpoint(con)
        return result

    # -- the audit log (entries are written inside the action's own transaction) -----------

    def _audit_store(self, con: sqlite3.Connection) -> AuditStore:
        if self._audit is None:
            row = con.execute("SELECT id FROM organisations ORDER BY created_at LIMIT 1").fetchone()
            if row is None:
                raise RuntimeError("the audit log needs the organisation to exist first")
            store = AuditStore(load_signing_key(self.audit_key_path), "relay", _software())
            store.load(con, row[0])
            self._audit = store
        return self._audit

    def _log(self, con: sqlite3.Connection, drafts: Sequence[AuditDraft], now: int) -> None:
        store = self._audit_store(con)
        for draft in drafts:
            store.append(con, draft, now)
            if draft.event in CHECKPOINT_AT_ONCE:
                self._checkpoint_due = True

    def _sign_checkpoint(self, con: sqlite3.Connection) -> str | None:
        con.execute("BEGIN IMMEDIATE")
        try:
            note = self._audit_store(con).checkpoint(con, int(time.time()))
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        return note

    async def record(self, drafts: Sequence[AuditDraft], now: int) -> None:
        """Audit entries on their own: a read (recorded before its data is returned), a
        refused attempt, a job's counts."""
        await self._write(self._transaction, lambda con: self._log(con, drafts, now))

    async def checkpoint(self) -> str | None:
        """Sign a checkpoint if the log grew since the last one (the minute job)."""

        def sign() -> str | None:
            con = self._write_con
            if con is None:
                raise RuntimeError("storage not open")
            self._audit_store(con)
            return self._sign_checkpoint(con)

        return await self._write(sign)

    async def audit_verifier_key(self) -> str:
        return await self._write(lambda: self._audit_store(self._write_con).verifier_key)  # type: ignore[arg-type]

    async def audit_entries(
        self, since: int | None, until: int | None, event: str | None, after: int, limit: int
    ) -> list[tuple[int, Any]]:
        def read() -> list[tuple[int, Any]]:
            return AuditStore.entries(self._reader_con(), since, until, event, after, limit)

        return await self._read(read)

    async def audit_pseudonym(self, subject: str) -> str | None:
        return await self._write(
            lambda: self._audit_store(self._write_con).known_pseudonym(self._write_con, subject)  # type: ignore[arg-type]
        )

    async def audit_bundle(self) -> list[str]:
        """The whole log as bundle lines, up to the newest checkpoint (signing one first)."""

        def export() -> list[str]:
            con = self._write_con
            store = self._audit_store(con)  # type: ignore[arg-type]
            self._sign_checkpoint(con)  # type: ignore[arg-type]
            return list(store.bundle(con))  # type: ignore[arg-type]

        return await self._write(export)

    def _reader_con(self) -> sqlite3.Connection:
        if self._read_con is None:
            self._read_con = self._connect()
        return self._read_con

    async def open(self) -> None:
        await self._write(self._open_sync)

    async def close(self) -> None:
        def close_writer() -> None:
            if self._write_con is not None:
                # Fold the WAL back into the main file so a stopped relay leaves one file.
                self._write_con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._write_con.close()
                self._write_con = None

        def close_reader() -> None:
            if self._read_con is not None:
                self._read_con.close()
                self._read_con = None

        await self._read(close_reader)
        await self._write(close_writer)
        self._reader.shutdown(wait=True)
        self._writer.shutdown(wait=True)

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
            if row is None:
                return None
            recipient = DeviceRecord(*row)
            if recipient.device_status != "active" or recipient.account_status == "revoked":
                return None
            if recipient.org_id != sender.org_id:
                return Route(False)
            shared = con.execute(  # the oldest shared case, so the choice is stable
                "SELECT m1.case_id FROM case_members m1 JOIN case_members m2"
                " ON m1.case_id = m2.case_id JOIN cases c ON c.id = m1.case_id"
                " WHERE m1.account_id = ? AND m2.account_id = ? ORDER BY c.created_at LIMIT 1",
                (sender.account_id, recipient.account_id),
            ).fetchone()
            if shared is not None and recipient.account_id != sender.account_id:
                return Route(True, shared[0])
            if recipient.account_id == sender.account_id or sender.role == "admin":
                return Route(True)
            return Route(False)

        return await self._read(check)

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
                    results.append(StoreResult(StoreOutcome.DUPLICATE))
                    continue
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
            "audit_bodies": now - audit_retention_s,
        }
        counts: dict[str, int] = {}
        for kind, (count_sql, delete_sql) in _PURGES.items():
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
        if not dry_run:
            # Always, not only when something expired: acknowledged envelopes were deleted
            # (and zeroed) in the database, but their earlier copies linger in the WAL.
            await self.truncate_wal()
        counts["epoch_keys"] = await self._shred(now, dry_run)
        return counts

    async def _shred(self, now: int, dry_run: bool) -> int:
        """Destroy the key of every epoch whose day is over and of which no envelope is left
        (a legal hold keeps its envelopes, and so their key). Returns how many (would) go."""

        def in_use() -> set[int]:
            return {
                row[0]
                for row in self._reader_con().execute(
                    "SELECT DISTINCT epoch FROM envelopes WHERE epoch IS NOT NULL"
                )
            }

        used = await self._read(in_use)
        done = [e for e in self.keyring.epochs() if e not in used and (e + 1) * DAY <= now]
        if not dry_run:
            for epoch in done:
                await self._write(self.keyring.destroy, epoch)
        return len(done)

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
                "SELECT id, status, mailbox_seq, acked_seq, created_at FROM devices"
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
                            ("id", "status", "mailbox_seq", "acked_seq", "created_at"),
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
                con.execute("DELETE FROM case_members WHERE case_id = ?", (case_id,))
                con.execute("DELETE FROM cases WHERE id = ?", (case_id,))
            con.execute("DELETE FROM case_members WHERE account_id = ?", (account_id,))
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
            if not con.execute(
                "SELECT 1 FROM cases WHERE id = ? AND org_id = ?", (hold["case_id"], org_id)
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
                objects = (("legal_hold", hold_id), ("case", hold["case_id"]))
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
                objects = (("legal_hold", hold_id), ("case", row[0]))
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
                {"id": case_id, "caregiver": caregiver, "created_at": created, "members": count}
                for case_id, caregiver, created, count in self._reader_con().execute(
                    "SELECT c.id, c.caregiver_id, c.created_at, count(m.account_id) FROM cases c"
                    " LEFT JOIN case_members m ON m.case_id = c.id WHERE c.org_id = ?"
                    " GROUP BY c.id ORDER BY c.created_at, c.id",
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

    # -- prekeys -------------------------------------------------------------------------

    async def upload_prekeys(
        self,
        device_id: str,
        signed: bytes | None,
        one_time: list[tuple[int, bytes]],
        now: int,
        max_one_time: int,
    ) -> int:
        def upload(con: sqlite3.Connection) -> int:
            if signed is not None:
                con.execute(
                    "INSERT INTO signed_prekeys (device_id, bundle, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (device_id) DO UPDATE SET bundle = excluded.bundle,"
                    " updated_at = excluded.updated_at",
                    (device_id, signed, now),
                )
            con.executemany(
                "INSERT OR REPLACE INTO one_time_prekeys (device_id, key_id, public_key)"
                " VALUES (?, ?, ?)",
                [(device_id, key_id, key) for key_id, key in one_time],
            )
            count = self._one_time_count(con, device_id)
            if count > max_one_time:
                raise RelayError(Code.TOO_MANY_PREKEYS, limit=max_one_time)
            return count

        return await self._write(self._transaction, upload)

    @staticmethod
    def _one_time_count(con: sqlite3.Connection, device_id: str) -> int:
        return con.execute(
            "SELECT count(*) FROM one_time_prekeys WHERE device_id = ?", (device_id,)
        ).fetchone()[0]

    async def fetch_prekeys(self, device_id: str) -> tuple[bytes, tuple[int, bytes] | None, int]:
        """(signed part, one one-time prekey or None, one-time prekeys left). The one-time
        prekey is deleted in the same transaction: two fetchers never get the same one."""

        def fetch(con: sqlite3.Connection) -> tuple[bytes, tuple[int, bytes] | None, int]:
            row = con.execute(
                "SELECT bundle FROM signed_prekeys WHERE device_id = ?", (device_id,)
            ).fetchone()
            if row is None:
                raise RelayError(Code.NO_PREKEYS)
            one_time = con.execute(
                "DELETE FROM one_time_prekeys WHERE device_id = ? AND key_id ="
                " (SELECT min(key_id) FROM one_time_prekeys WHERE device_id = ?)"
                " RETURNING key_id, public_key",
                (device_id, device_id),
            ).fetchone()
            remaining = self._one_time_count(con, device_id)
            return row[0], (tuple(one_time) if one_time else None), remaining

        return await self._write(self._transaction, fetch)

    async def prekey_status(self, device_id: str) -> tuple[bool, int]:
        """(has a signed prekey, one-time prekeys left)."""

        def read() -> tuple[bool, int]:
            con = self._reader_con()
            signed = con.execute(
                "SELECT 1 FROM signed_prekeys WHERE device_id = ?", (device_id,)
            ).fetchone()
            return signed is not None, self._one_time_count(con, device_id)

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
                "SELECT c.id, c.caregiver_id FROM cases c JOIN case_members m ON m.case_id = c.id"
                " WHERE m.account_id = ? ORDER BY c.created_at, c.id",
                (account_id,),
            ).fetchall()
            views = []
            for case_id, caregiver_id in cases:
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
                views.append(CaseView(case_id, caregiver_id, tuple(members)))
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
            devices = [
                r[0]
                for r in con.execute("SELECT id FROM devices WHERE account_id = ?", (account_id,))
            ]
            if status == "revoked":
                for device_id in devices:
                    self._revoke_device_rows(con, device_id)
            self._log(con, audit, now)
            return devices

        return await self._write(self._transaction, update)

    @staticmethod
    def _revoke_device_rows(con: sqlite3.Connection, device_id: str) -> None:
        con.execute("UPDATE devices SET status = 'revoked' WHERE id = ?", (device_id,))
        # Nobody can ever fetch these again: keeping them would only keep ciphertext around,
        # and nobody may start a session with a revoked device.
        con.execute("DELETE FROM envelopes WHERE to_device = ?", (device_id,))
        con.execute("DELETE FROM signed_prekeys WHERE device_id = ?", (device_id,))
        con.execute("DELETE FROM one_time_prekeys WHERE device_id = ?", (device_id,))

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
            self._log(
                con, [replace(d, objects=(*d.objects, ("account", row[0]))) for d in audit], now
            )
            return row[0]

        return await self._write(self._transaction, revoke)
