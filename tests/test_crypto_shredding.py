"""Crypto-shredding: envelope bodies are sealed at rest under one key per expiry day, kept
apart from the database. Once the day is over and none of its envelopes is left, the key is
destroyed, and a backup copy of the database taken before can no longer be read."""

from __future__ import annotations

import sqlite3

import pytest
from nacl.exceptions import CryptoError

from helpers import storage_with_devices
from relay.storage.base import NewEnvelope
from relay.storage.epoch_keys import DAY, epoch_of, open_sealed
from relay.storage.sqlite import SQLiteStorage

NOW = 1_790_000_000
A, B = "A" * 43, "B" * 43


async def open_storage(tmp_path) -> SQLiteStorage:
    return await storage_with_devices(tmp_path / "live" / "steuntje.sqlite3", A, B, now=NOW)


def backup(storage: SQLiteStorage, target) -> None:
    """What an operator's nightly backup does: SQLite's online backup of the live file."""
    source, copy = sqlite3.connect(storage.path), sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.close()


async def test_a_backup_taken_before_expiry_is_unreadable_after_the_key_is_destroyed(tmp_path):
    storage = await open_storage(tmp_path)
    expires = NOW + 3600
    body = b"IN-DE-BACKUP-" + bytes(range(64))
    await storage.apply_batch([NewEnvelope(A, "backed-up-1", B, body, expires)], [], NOW, 99)
    copy = tmp_path / "backup.sqlite3"
    backup(storage, copy)
    ((sealed, epoch),) = sqlite3.connect(copy).execute("SELECT body, epoch FROM envelopes")
    assert body not in copy.read_bytes()  # sealed at rest: never on disk in the clear
    key = storage.keyring.key(epoch)
    assert open_sealed(key, sealed, B, A, "backed-up-1") == body  # readable while the key lives

    counts = await storage.purge_expired(expires, 0)  # expired, but its day is not over
    assert counts["envelopes"] == 1 and counts["epoch_keys"] == 0
    end_of_day = (epoch_of(expires) + 1) * DAY
    assert (await storage.purge_expired(end_of_day, 0, dry_run=True))["epoch_keys"] == 1
    assert (await storage.purge_expired(end_of_day, 0))["epoch_keys"] == 1
    assert storage.keyring.key(epoch) is None
    assert not (storage.keyring.folder / f"{epoch}.key").exists()
    # The backup still holds the sealed bytes, but no key in the world opens them now.
    for other_epoch in storage.keyring.epochs():
        with pytest.raises(CryptoError):
            open_sealed(storage.keyring.key(other_epoch), sealed, B, A, "backed-up-1")
    await storage.close()


async def test_a_held_envelope_keeps_its_days_key_until_the_hold_ends(tmp_path):
    storage = await open_storage(tmp_path)
    expires = NOW + 3600
    held = NewEnvelope(A, "held-00001", B, b"bewaard", expires, case_id="case_held")
    await storage.apply_batch([held], [], NOW, 99)
    (epoch,) = storage.keyring.epochs()
    con = sqlite3.connect(storage.path, isolation_level=None)
    con.execute(
        "INSERT INTO legal_holds (id, org_id, case_id, scope, reason, reference, placed_by,"
        " placed_at, review_at) SELECT 'hold_x', id, 'case_held', 'envelopes', 'claim',"
        " 'KL-1', 'acc_officer', ?, ? FROM organisations",
        (NOW, NOW + 30 * DAY),
    )
    after_the_day = (epoch + 1) * DAY
    counts = await storage.purge_expired(after_the_day, 0)
    assert counts == {**counts, "envelopes": 0, "epoch_keys": 0}
    assert storage.keyring.key(epoch) is not None  # the held row can still be read
    con.execute("UPDATE legal_holds SET lifted_at = ?", (after_the_day,))
    counts = await storage.purge_expired(after_the_day + 1, 0)
    assert counts["envelopes"] == 1 and counts["epoch_keys"] == 1
    assert storage.keyring.key(epoch) is None
    con.close()
    await storage.close()


async def test_sealed_bodies_are_bound_to_their_row(tmp_path):
    storage = await open_storage(tmp_path)
    await storage.apply_batch(
        [
            NewEnvelope(A, "row-one-01", B, b"een", NOW + 60),
            NewEnvelope(A, "row-two-02", B, b"twee", NOW + 60),
        ],
        [],
        NOW,
        99,
    )
    con = sqlite3.connect(storage.path)
    (one, epoch), (two, _) = con.execute("SELECT body, epoch FROM envelopes ORDER BY seq")
    key = storage.keyring.key(epoch)
    with pytest.raises(CryptoError):  # a body moved to another row does not open there
        open_sealed(key, one, B, A, "row-two-02")
    assert [e.body for e in await storage.read_mailbox(B, 0, 10, NOW)] == [b"een", b"twee"]
    await storage.close()
