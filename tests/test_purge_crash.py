"""A purge killed half-way loses nothing it should keep, and the next run leaves no byte of
what expired: SQLite's journal makes each batch all-or-nothing, and the WAL truncation at
the end of the next run removes the copies the killed run left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time

from helpers import storage_with_devices
from relay.storage.base import NewEnvelope

A, B = "A" * 43, "B" * 43
EXPIRED = 20_000  # 40 purge batches: the kill lands well before the end
KEPT = 10


def raw_bytes(path) -> bytes:
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


async def prepare(path) -> tuple[list[bytes], list[bytes]]:
    now = int(time.time())
    storage = await storage_with_devices(path, A, B, now=now - 7200)
    expired = [
        NewEnvelope(A, f"old-{i:05}", B, b"OUD-%05d-" % i + bytes(48), now - 3600)
        for i in range(EXPIRED)
    ]
    for start in range(0, EXPIRED, 5000):
        await storage.apply_batch(expired[start : start + 5000], [], now - 7200, 100_000)
    kept = [NewEnvelope(A, f"new-{i}", B, b"BLIJFT-%d" % i, now + 86_400) for i in range(KEPT)]
    await storage.apply_batch(kept, [], now, 100_000)
    await storage.close()
    con = sqlite3.connect(path)
    bodies = {row[0]: row[1] for row in con.execute("SELECT envelope_id, body FROM envelopes")}
    con.close()
    old = [bodies[f"old-{i:05}"] for i in range(0, EXPIRED, 97)]  # a sample of sealed bodies
    new = [bodies[f"new-{i}"] for i in range(KEPT)]
    return old, new


async def purge(data_dir, stop_after_first_batch: bool) -> int | None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "relay",
        "retention",
        "purge",
        "--data",
        str(data_dir),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    if stop_after_first_batch:
        while b"deleted so far" not in await asyncio.wait_for(process.stderr.readline(), 60):
            pass
        # SIGSTOP freezes it at once, wherever it is; SIGKILL then ends it without any
        # cleanup code running: the same as a power cut, for SQLite.
        os.kill(process.pid, signal.SIGSTOP)
        os.kill(process.pid, signal.SIGKILL)
    else:
        await asyncio.wait_for(process.stderr.read(), 120)
    return await process.wait()


def remaining(path) -> tuple[int, int, str]:
    # Read-only: this connection must not fold the killed run's WAL in on its behalf.
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    old = con.execute("SELECT count(*) FROM envelopes WHERE envelope_id LIKE 'old-%'").fetchone()
    new = con.execute("SELECT count(*) FROM envelopes WHERE envelope_id LIKE 'new-%'").fetchone()
    (check,) = con.execute("PRAGMA integrity_check").fetchone()
    con.close()
    return old[0], new[0], check


async def test_a_purge_killed_half_way_is_finished_by_the_next_run(tmp_path):
    path = tmp_path / "steuntje.sqlite3"
    old, new = await prepare(path)

    assert await purge(tmp_path, stop_after_first_batch=True) == -signal.SIGKILL
    left, kept, check = remaining(path)
    assert 0 < left < EXPIRED, "the kill should land half-way through the purge"
    assert kept == KEPT and check == "ok"
    assert any(body in raw_bytes(path) for body in old)  # the control: the scan sees them

    assert await purge(tmp_path, stop_after_first_batch=False) == 0
    left, kept, check = remaining(path)
    assert (left, kept, check) == (0, KEPT, "ok")
    on_disk = raw_bytes(path)
    assert [body for body in old if body in on_disk] == []
    assert all(body in on_disk for body in new)  # the scan sees what is still there
