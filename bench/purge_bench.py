"""`steuntje retention bench`: purging N expired envelopes while live traffic flows.

Starts a relay, writes N already-expired envelopes into its database beside it, measures
live latency at an offered rate while idle, then again while the relay's own purge job
(started with SIGUSR1, as the hourly schedule would) deletes them all in batches, with
secure_delete and WAL truncation. The issue's bar: p99 during the purge at most twice the
idle p99. `--cli` uses `steuntje retention purge` from a second process instead.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.envelope_bench import read_announcement
from relay.invites import invite_link, new_token, token_hash
from relay.storage.base import NewEnvelope
from relay.storage.sqlite import SQLiteStorage

FILL_BATCH = 10_000


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _start_relay(data: Path, log: Path) -> tuple[asyncio.subprocess.Process, str]:
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "relay",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(data),
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    url, _ = await asyncio.wait_for(read_announcement(process.stdout), 30)  # type: ignore[arg-type]
    return process, url


async def _fill(storage: SQLiteStorage, count: int, now: int) -> None:
    """Two devices and `count` envelopes between them that expired a minute ago."""
    _, org = await storage.installation(now)
    devices = ["F" * 43, "G" * 43]
    for device in devices:
        token = new_token()
        await storage.create_invite(token_hash(token), org, "worker", None, now, now + 60)
        await storage.redeem_invite(token_hash(token), device, now)
    body = bytes(338)  # the size of a padded 200-byte message's envelope
    for done in range(0, count, FILL_BATCH):
        batch = [
            NewEnvelope(devices[0], f"expired-{done + i:09d}", devices[1], body, now - 60)
            for i in range(min(FILL_BATCH, count - done))
        ]
        await storage.apply_batch(batch, [], now, count + 1)
        if (done // FILL_BATCH) % 20 == 0:
            _say(f"  stored {done + len(batch):,}/{count:,} expired envelopes")


async def _bench(url: str, admin_invite: str, pid: int, rate: float, messages: int) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "steuntje_cli",
        "bench",
        "--url",
        url,
        "--admin-invite",
        admin_invite,
        "--server-pid",
        str(pid),
        "--rate",
        str(rate),
        "--pairs",
        "10",
        "--messages",
        str(messages),
        "--no-crypto",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    return json.loads(out.decode().strip().splitlines()[-1])


async def _relay_purge(relay: asyncio.subprocess.Process, log: Path) -> tuple[float, int]:
    """Signal the relay to purge now; wait for its log line with count and duration."""
    relay.send_signal(signal.SIGUSR1)
    pattern = re.compile(r"expiry purge removed (\d+) envelopes.* in ([\d.]+) s")
    while True:
        if match := pattern.search(log.read_text(errors="replace")):  # noqa: ASYNC240
            return float(match.group(2)), int(match.group(1))
        await asyncio.sleep(0.2)  # a benchmark harness polling a log, not a test


async def _purge(data: Path) -> tuple[float, int]:
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "steuntje_cli",
        "retention",
        "purge",
        "--data",
        str(data),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    seconds = time.perf_counter() - start
    deleted = next(
        int(line.split()[-1].replace(",", ""))
        for line in out.decode().splitlines()
        if line.strip().startswith("envelopes")
    )
    return seconds, deleted


async def run(envelopes: int, rate: float, cli: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="steuntje-purge-bench-") as folder:
        data = Path(folder) / "data"
        log = Path(folder) / "relay.log"
        relay, url = await _start_relay(data, log)
        try:
            now = int(time.time())
            storage = SQLiteStorage(data / "steuntje.sqlite3")
            await storage.open()
            _say(f"writing {envelopes:,} expired envelopes beside the running relay")
            start = time.perf_counter()
            await _fill(storage, envelopes, now)
            fill_s = time.perf_counter() - start
            invites = []
            for _ in range(2):
                token = new_token()
                _, org = await storage.installation(now)
                await storage.create_invite(token_hash(token), org, "admin", None, now, now + 3600)
                invites.append(invite_link(url, token))
            await storage.close()
            messages = max(50, int(rate * 20 / 10))  # about 20 s of traffic from 10 senders
            _say("live traffic, idle relay")
            idle = await _bench(url, invites[0], relay.pid, rate, messages)
            _say("live traffic while the purge runs")
            purging = _purge(data) if cli else _relay_purge(relay, log)
            during, (purge_s, purged) = await asyncio.gather(
                _bench(url, invites[1], relay.pid, rate, messages), purging
            )
        finally:
            relay.send_signal(signal.SIGTERM)
            await relay.wait()
    return {
        "envelopes": envelopes,
        "purged_by": "steuntje retention purge (second process)" if cli else "the relay's job",
        "fill_s": round(fill_s, 1),
        "purge_s": round(purge_s, 1),
        "purged": purged,
        "purged_per_s": round(purged / purge_s),
        "offered_per_s": rate,
        "idle_p99_ms": idle["p99_ms"],
        "during_p99_ms": during["p99_ms"],
        "p99_ratio": round(during["p99_ms"] / idle["p99_ms"], 2),
        "lost": idle["lost"] + during["lost"],
    }
