"""Blobs (attachments, PROTOCOL.md §4.17) in the database: pieces of at most 256 KiB, each
sealed at rest under an epoch key like envelope bodies, so destroying the key makes every
copy of them (a backup, a dead page) unreadable.

The same SQL runs on PostgreSQL (postgres_connection.translate), where the pieces are `bytea`
rows that every node reads: a blob uploaded through one node downloads through any other.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any

from relay.errors import Code, RelayError
from relay.storage.base import BlobRecord, DeviceRecord
from relay.storage.epoch_keys import epoch_of, open_sealed, seal
from relay.storage.sqlite_base import SQLiteBase
from relay.storage.sqlite_envelopes import _HELD_CASES

SECRET_BYTES = 32
PURGE_BLOBS_AT_ONCE = 4  # blobs per purge transaction: each may be 100 pieces of 256 KiB

_EXPIRED_BLOB = (
    "expires_at <= ?1 AND id NOT IN (SELECT blob_id FROM blob_readers"  # noqa: S608
    f" WHERE case_id IN ({_HELD_CASES}))"
)
_BLOB_COLUMNS = "id, account_id, device_id, size, received, epoch, named, expires_at"


def _where(blob_id: str, start: int) -> tuple[str, str, str]:
    """The associated data binding a sealed piece to its blob and place (epoch_keys.seal's
    three strings; `blob:` keeps it apart from any envelope's)."""
    return f"blob:{blob_id}", str(start), ""


def forget_reader(con: Any, device_id: str, drop_orphans: bool) -> None:
    """A device that will never fetch again (revoked, or its account erased) is no reader any
    more. With `drop_orphans` (erasure) a blob that then waits for nobody goes now, as the
    erased person's envelopes do. A revocation keeps it to its expiry: the sender is told
    the envelope was `undeliverable` and sends it again to the account's new device, which
    must still find the blob. Runs inside the revocation's or erasure's own transaction."""
    waiting_for = [
        row[0]
        for row in con.execute(
            "SELECT blob_id FROM blob_readers WHERE device_id = ? AND done = 0", (device_id,)
        )
    ]
    con.execute("DELETE FROM blob_readers WHERE device_id = ?", (device_id,))
    for blob_id in waiting_for if drop_orphans else ():
        others = con.execute(
            "SELECT count(*) FROM blob_readers WHERE blob_id = ? AND done = 0", (blob_id,)
        ).fetchone()[0]
        if not others:
            con.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))


class BlobsSQL(SQLiteBase):
    async def blob_secret(self) -> bytes:
        """The key of the upload and download tokens, made on first use (all nodes share it)
        and kept in memory after the first read: every token check needs it."""
        cached: bytes | None = getattr(self, "_blob_secret", None)
        if cached is not None:
            return cached

        def get(con: sqlite3.Connection) -> bytes:
            con.execute(
                "INSERT OR IGNORE INTO blob_secret (id, secret) VALUES (1, ?)",
                (secrets.token_bytes(SECRET_BYTES),),
            )
            return bytes(con.execute("SELECT secret FROM blob_secret WHERE id = 1").fetchone()[0])

        secret = await self._write(self._transaction, get)
        self._blob_secret = secret
        return secret

    async def create_blob(
        self,
        blob_id: str,
        device: DeviceRecord,
        size: int,
        now: int,
        expires_at: int,
        quota: int,
    ) -> None:
        """Record a new, empty blob. Raises RelayError(quota_exceeded) when the account's
        blobs not yet expired would hold more than `quota` bytes with it."""
        epoch = epoch_of(expires_at)
        # The key exists (durably) before any piece sealed under it commits.
        self.keyring.key(epoch, create=True)

        def create(con: sqlite3.Connection) -> None:
            used = con.execute(
                "SELECT coalesce(sum(size), 0) FROM blobs WHERE account_id = ? AND expires_at > ?",
                (device.account_id, now),
            ).fetchone()[0]
            if used + size > quota:
                raise RelayError(Code.QUOTA_EXCEEDED, limit=quota)
            con.execute(
                "INSERT INTO blobs (id, account_id, device_id, size, epoch, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (blob_id, device.account_id, device.id, size, epoch, now, expires_at),
            )

        await self._write(self._transaction, create)

    async def blob(self, blob_id: str) -> BlobRecord | None:
        def read() -> BlobRecord | None:
            row = (
                self._reader_con()
                .execute(f"SELECT {_BLOB_COLUMNS} FROM blobs WHERE id = ?", (blob_id,))  # noqa: S608
                .fetchone()
            )
            return None if row is None else BlobRecord(*row)

        return await self._read(read)

    async def append_blob(self, blob_id: str, start: int, piece: bytes) -> tuple[bool, int]:
        """Store `piece` at `start`, if that is where the blob's upload stands: (True, new
        offset). Otherwise nothing is stored: (False, the current offset). Raises
        RelayError(unknown_blob) for a blob that is gone, blob_too_large past its size."""

        def append(con: sqlite3.Connection) -> tuple[bool, int]:
            row = con.execute(
                "SELECT received, size, epoch FROM blobs WHERE id = ?", (blob_id,)
            ).fetchone()
            if row is None:
                raise RelayError(Code.UNKNOWN_BLOB)
            received, size, epoch = row
            if received != start:
                return False, received
            if start + len(piece) > size:
                raise RelayError(Code.BLOB_TOO_LARGE, limit=size)
            key = self.keyring.key(epoch)
            if key is None:  # shredded: the blob expired while being uploaded
                raise RelayError(Code.UNKNOWN_BLOB)
            con.execute(
                "INSERT INTO blob_chunks (blob_id, start, body) VALUES (?, ?, ?)",
                (blob_id, start, seal(key, piece, *_where(blob_id, start))),
            )
            con.execute("UPDATE blobs SET received = ? WHERE id = ?", (start + len(piece), blob_id))
            return True, start + len(piece)

        return await self._write(self._transaction, append)

    async def read_blob_piece(self, blob: BlobRecord, position: int) -> bytes:
        """The blob's bytes from `position` to the end of the stored piece holding it
        (b"" past the end, or once the blob is gone)."""

        def read() -> bytes:
            row = (
                self._reader_con()
                .execute(
                    "SELECT start, body FROM blob_chunks WHERE blob_id = ? AND start <= ?"
                    " ORDER BY start DESC LIMIT 1",
                    (blob.id, position),
                )
                .fetchone()
            )
            key = self.keyring.key(blob.epoch)
            if row is None or key is None:
                return b""
            start, sealed = row
            piece = open_sealed(key, bytes(sealed), *_where(blob.id, start))
            return piece[position - start :]

        return await self._read(read)

    async def name_blobs(self, names: Sequence[tuple[str, str, int, str | None]]) -> None:
        """(blob, reader device, the envelope's expiry, its case or group) for each envelope
        that names a blob: the device may fetch it, and the blob lives as long as the
        latest such envelope (an unnamed blob's 24 hours are replaced, not extended)."""

        def name(con: sqlite3.Connection) -> None:
            for blob_id, device_id, expires_at, case_id in names:
                con.execute(
                    "INSERT OR IGNORE INTO blob_readers (blob_id, device_id, case_id)"
                    " VALUES (?, ?, ?)",
                    (blob_id, device_id, case_id),
                )
                con.execute(
                    "UPDATE blobs SET expires_at = CASE WHEN named = 0 OR expires_at < ?1"
                    " THEN ?1 ELSE expires_at END, named = 1 WHERE id = ?2",
                    (expires_at, blob_id),
                )

        await self._write(self._transaction, name)

    async def unname_blobs(self, pairs: Sequence[tuple[str, str]]) -> None:
        """(blob, device) readers recorded for envelopes that were then not stored."""

        def unname(con: sqlite3.Connection) -> None:
            con.executemany(
                "DELETE FROM blob_readers WHERE blob_id = ? AND device_id = ? AND done = 0",
                pairs,
            )

        await self._write(self._transaction, unname)

    async def is_blob_reader(self, blob_id: str, device_id: str) -> bool:
        def read() -> bool:
            row = (
                self._reader_con()
                .execute(
                    "SELECT 1 FROM blob_readers WHERE blob_id = ? AND device_id = ?",
                    (blob_id, device_id),
                )
                .fetchone()
            )
            return row is not None

        return await self._read(read)

    async def blob_done(self, blob_id: str, device_id: str) -> bool | None:
        """A reader has the blob. True when it was the last one (the blob is deleted now),
        False when others have yet to fetch it, None when the device is no reader."""

        def done(con: sqlite3.Connection) -> bool | None:
            marked = con.execute(
                "UPDATE blob_readers SET done = 1 WHERE blob_id = ? AND device_id = ?",
                (blob_id, device_id),
            ).rowcount
            if not marked:
                return None
            waiting = con.execute(
                "SELECT count(*) FROM blob_readers WHERE blob_id = ? AND done = 0", (blob_id,)
            ).fetchone()[0]
            if waiting:
                return False
            # Like an acknowledged envelope: gone at once, whatever hold there is; the
            # pieces go with it (ON DELETE CASCADE), overwritten by secure_delete.
            con.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
            return True

        return await self._write(self._transaction, done)

    async def _purge_blobs(self, now: int, dry_run: bool) -> int:
        """Delete the blobs whose lifetime is over (not those a legal hold keeps), a few
        per transaction. Returns how many (would) go."""
        if dry_run:

            def count() -> int:
                sql = f"SELECT count(*) FROM blobs WHERE {_EXPIRED_BLOB}"  # noqa: S608
                return self._reader_con().execute(sql, (now,)).fetchone()[0]

            return await self._read(count)

        def one_batch(con: Any) -> int:
            return con.execute(
                f"DELETE FROM blobs WHERE id IN (SELECT id FROM blobs WHERE {_EXPIRED_BLOB}"  # noqa: S608
                " LIMIT ?2)",
                (now, PURGE_BLOBS_AT_ONCE),
            ).rowcount

        total = 0
        while True:
            deleted = await self._write(self._transaction, one_batch)
            total += deleted
            if deleted < PURGE_BLOBS_AT_ONCE:
                return total
