"""Purged means gone: after a purge, the bytes of an expired or acknowledged envelope are
in neither the database file nor its write-ahead log. The same scan with secure_delete off
finds them, which shows the scan can see what it looks for."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest

from helpers import storage_with_devices
from relay.housekeeping import purge_once
from relay.invites import new_token, token_hash
from relay.storage.base import NewEnvelope
from relay.storage.sqlite import SQLiteStorage

NOW = 1_790_000_000
A, B = "A" * 43, "B" * 43


def raw_bytes(storage: SQLiteStorage) -> bytes:
    """Every byte SQLite has on disk for this database right now."""
    files = [storage.path, storage.path.with_name(storage.path.name + "-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


async def storage_with_markers(tmp_path, secure_delete: bool, count: int = 100):
    storage = await storage_with_devices(
        tmp_path / "db.sqlite3", A, B, now=NOW, secure_delete=secure_delete
    )
    plain = [b"MARKER-%04d-" % i + bytes(range(40)) for i in range(count)]
    envelopes = [NewEnvelope(A, f"marker-{i:04}", B, m, NOW + 100) for i, m in enumerate(plain)]
    await storage.apply_batch(envelopes, [], NOW, 10_000)
    # Bodies are sealed at rest (crypto-shredding): what lands on disk are the sealed bytes,
    # so those are what the scans look for; the plaintext never reaches the disk at all.
    con = sqlite3.connect(storage.path)
    markers = [row[0] for row in con.execute("SELECT body FROM envelopes ORDER BY seq")]
    con.close()
    on_disk = raw_bytes(storage)
    assert len(markers) == count and not any(m in on_disk for m in plain)
    return storage, markers


@pytest.mark.parametrize("secure_delete", [True, False], ids=["secure-delete", "control"])
async def test_expired_ciphertext_leaves_no_bytes_on_disk(tmp_path, secure_delete):
    storage, markers = await storage_with_markers(tmp_path, secure_delete)
    assert all(m in raw_bytes(storage) for m in markers)  # stored, so the scan can see them
    counts = await storage.purge_expired(NOW + 100, 0, batch=7)  # many small batches
    assert counts["envelopes"] == 100
    left = [m for m in markers if m in raw_bytes(storage)]
    if secure_delete:
        assert left == [], f"{len(left)} purged envelopes still readable on disk"
    else:
        assert left, "the control should still find deleted bytes"
    await storage.close()


async def test_acknowledged_ciphertext_is_gone_after_the_next_purge_run(tmp_path):
    storage, markers = await storage_with_markers(tmp_path, secure_delete=True, count=20)
    await storage.apply_batch([], [(B, 20)], NOW, 10_000)  # the recipient acknowledged all
    counts = await storage.purge_expired(NOW, 0)  # nothing has expired ...
    assert counts["envelopes"] == 0
    assert not any(m in raw_bytes(storage) for m in markers)  # ... but the WAL was truncated
    await storage.close()


async def test_a_dry_run_counts_and_deletes_nothing(tmp_path):
    storage, markers = await storage_with_markers(tmp_path, secure_delete=True, count=10)
    counts = await storage.purge_expired(NOW + 100, 0, dry_run=True)
    assert counts["envelopes"] == 10
    assert len(await storage.read_mailbox(B, 0, 100, NOW)) == 10
    await storage.close()


async def test_the_relays_hourly_job_removes_expired_envelopes_from_disk(relay):
    _, worker, caregiver = await relay.onboard()
    await caregiver.close()
    marker = b"VERLOPEN-GEHEIM-" + bytes(range(64))
    await worker.send(caregiver.device_id, marker)
    relay.clock.advance(relay.ctx.config.envelope_ttl_s + 1)
    await purge_once(relay.ctx)
    assert marker not in raw_bytes(relay.ctx.storage)


def test_the_purge_command_reports_counts_and_deletes(tmp_path):
    import asyncio

    async def prepare() -> None:
        storage = SQLiteStorage(tmp_path / "steuntje.sqlite3")
        await storage.open()
        _, org = await storage.installation(NOW)
        past = int(time.time()) - 3600
        await storage.create_invite(token_hash(new_token()), org, "worker", None, NOW, NOW + 1)
        for device in (A, B):
            token = new_token()
            await storage.create_invite(token_hash(token), org, "worker", None, NOW, past + 60)
            await storage.redeem_invite(token_hash(token), device, NOW)
        await storage.apply_batch(
            [NewEnvelope(A, f"old-{i:05}", B, b"x" * 50, past) for i in range(3)], [], NOW, 99
        )
        await storage.close()

    asyncio.run(prepare())

    def steuntje(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "relay", "retention", "purge", "--data", str(tmp_path), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def envelopes(output: str) -> str:
        return [line.split()[-1] for line in output.splitlines() if "envelopes" in line][-1]

    dry = steuntje("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and envelopes(dry.stdout) == "3"
    real = steuntje()
    assert real.returncode == 0, real.stderr
    assert "truncated" in real.stdout and envelopes(real.stdout) == "3"
    assert envelopes(steuntje("--dry-run").stdout) == "0"
