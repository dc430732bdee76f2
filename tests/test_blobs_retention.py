"""A blob follows the envelopes that name it (issue 16): it is deleted when every reader
said blob_done or when its lifetime ends, and then its bytes are in neither the database
file nor the WAL nor any other file of the relay's folder; a backup taken before cannot be
read once the epoch key is destroyed; a legal hold keeps it; erasure removes it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from test_legal_holds import hold_request, with_officer

from relay.blobs import UNNAMED_TTL_S
from relay.housekeeping import purge_once
from relay.storage.epoch_keys import open_sealed
from steuntje_client.blobs import BlobTransfer

DAY = 86_400
CONTENT = os.urandom(700_000)  # three stored pieces: 256 KiB, 256 KiB and the rest


def disk_bytes(folder: Path) -> bytes:
    """Every byte of every file under the relay's data folder (database, WAL, keys, ...)."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def sealed_pieces(database: Path, blob: str) -> list[tuple[int, bytes]]:
    con = sqlite3.connect(database)
    rows = con.execute(
        "SELECT start, body FROM blob_chunks WHERE blob_id = ? ORDER BY start", (blob,)
    ).fetchall()
    con.close()
    return [(start, bytes(body)) for start, body in rows]


async def upload(client, content: bytes = CONTENT) -> str:
    async with BlobTransfer(client) as transfer:
        return await transfer.upload(lambda: iter([content]), len(content))


async def test_fetched_by_every_reader_then_gone_from_every_file(relay):
    _, worker, caregiver = await relay.onboard()
    folder = relay.ctx.config.data_dir
    blob = await upload(worker)
    await worker.send(caregiver.device_id, b"attachment message", blobs=[blob])
    pieces = sealed_pieces(relay.ctx.config.database_path, blob)
    assert len(pieces) == 3
    on_disk = disk_bytes(folder)
    assert CONTENT[:4096] not in on_disk  # sealed at rest: the ciphertext never lands as is
    assert all(body[:64] in on_disk for _, body in pieces)  # the control: the scan sees them
    async with BlobTransfer(caregiver) as transfer:
        got = b"".join([piece async for piece in transfer.download(blob)])
        assert got == CONTENT
        await transfer.done(blob)
    assert await relay.ctx.storage.blob(blob) is None
    await purge_once(relay.ctx)  # the next hourly run truncates the WAL
    on_disk = disk_bytes(folder)
    assert not any(body[:64] in on_disk for _, body in pieces)


async def test_expired_blob_gone_and_a_backup_unreadable_once_the_key_is_destroyed(relay, tmp_path):
    _, worker, caregiver = await relay.onboard()
    blob = await upload(worker)
    await worker.send(caregiver.device_id, b"attachment message", blobs=[blob])
    record = await relay.ctx.storage.blob(blob)
    assert record is not None and record.named
    # The blob lives as long as the envelope naming it (14 days), not the unnamed 24 hours.
    assert record.expires_at == relay.ctx.now() + relay.ctx.config.envelope_ttl_s
    backup = tmp_path / "backup.sqlite3"
    source = sqlite3.connect(relay.ctx.config.database_path)
    with sqlite3.connect(backup) as copy:
        source.backup(copy)
    source.close()
    pieces = sealed_pieces(backup, blob)
    keyring = relay.ctx.storage.keyring
    key = keyring.key(record.epoch)
    assert key is not None  # the control: today the backup's pieces open
    assert b"".join(open_sealed(key, body, f"blob:{blob}", str(s), "") for s, body in pieces) == (
        CONTENT
    )
    relay.clock.advance(2 * DAY)  # past the unnamed 24 hours and the day of its epoch
    assert (await purge_once(relay.ctx))["blobs"] == 0  # named: still in its lifetime
    assert keyring.key(record.epoch) == key  # and its key is kept while it lives
    relay.clock.advance(relay.ctx.config.envelope_ttl_s + DAY)
    counts = await purge_once(relay.ctx)
    assert counts["blobs"] == 1 and await relay.ctx.storage.blob(blob) is None
    assert keyring.key(record.epoch) is None  # destroyed: nothing of its day is left
    assert not any(body[:64] in disk_bytes(relay.ctx.config.data_dir) for _, body in pieces)
    assert sealed_pieces(backup, blob) == pieces  # the backup still has the rows ...
    # ... but without the key they are noise: no key file is left anywhere to open them.
    assert not list(keyring.folder.glob(f"{record.epoch}.key"))


async def test_an_unnamed_blob_goes_after_24_hours(relay):
    _, worker, _ = await relay.onboard()
    blob = await upload(worker, b"never sent")
    relay.clock.advance(UNNAMED_TTL_S - 1)
    assert (await purge_once(relay.ctx))["blobs"] == 0
    relay.clock.advance(1)
    assert (await purge_once(relay.ctx))["blobs"] == 1
    assert await relay.ctx.storage.blob(blob) is None


async def test_a_legal_hold_keeps_an_expired_blob(relay):
    _, worker, caregiver, officer, case_id = await with_officer(relay)
    blob = await upload(worker)
    await worker.send(caregiver.device_id, b"attachment message", blobs=[blob])
    hold = await officer.request("legal_hold_place", hold_request(relay, case_id))
    relay.clock.advance(relay.ctx.config.envelope_ttl_s + DAY)
    assert (await purge_once(relay.ctx))["blobs"] == 0
    assert await relay.ctx.storage.blob(blob) is not None  # kept, as its envelope is
    await officer.request("legal_hold_lift", {"hold": hold["hold"], "reason": "legal_obligation"})
    assert (await purge_once(relay.ctx))["blobs"] == 1


async def test_erasure_removes_the_accounts_blobs_from_every_file(relay):
    _, worker, caregiver = await relay.onboard()
    blob = await upload(caregiver)
    await caregiver.send(worker.device_id, b"attachment message", blobs=[blob])
    # A blob only the erased person was to fetch: nobody else ever will, so it goes too.
    theirs = await upload(worker, b"alleen voor de mantelzorger")
    await worker.send(caregiver.device_id, b"attachment message", blobs=[theirs])
    pieces = sealed_pieces(relay.ctx.config.database_path, blob)
    assert pieces and all(body[:64] in disk_bytes(relay.ctx.config.data_dir) for _, body in pieces)
    await caregiver.request("account_erase", {"confirm": caregiver.account_id})
    assert await relay.ctx.storage.blob(blob) is None
    assert await relay.ctx.storage.blob(theirs) is None
    on_disk = disk_bytes(relay.ctx.config.data_dir)  # erasure truncates the WAL itself
    assert not any(body[:64] in on_disk for _, body in pieces)
