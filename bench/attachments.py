"""Attachment transfer figures (issue 16): upload and download MB/s of a blob through the
relay for 1 MB and 20 MB, beside a plain aiohttp static file download of the same size on
the same machine (the ceiling), and the relay's RSS while a 25 MB blob streams through it.

    python -m bench.attachments [--rounds 3] [--json]

The relay runs as its own `python -m relay serve` process (SQLite, synchronous=full), as in
production; the client is the Python client's BlobTransfer (blob bytes only: the device's
encryption is measured by bench/crypto_bench.py). Each figure is the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.envelope_bench import spawned_relay
from steuntje_client import DeviceKey, RelayClient
from steuntje_client.blobs import READ_BYTES, BlobTransfer

MB = 1_000_000
SIZES = (1 * MB, 20 * MB)
RSS_SIZE = 25 * MB
SAMPLE_S = 0.02  # how often the relay's RSS is read while a blob streams


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _people(url: str, admin_invite: str) -> tuple[RelayClient, RelayClient, RelayClient]:
    admin = RelayClient(url, DeviceKey.generate())
    await admin.register(admin_invite)
    worker = RelayClient(url, DeviceKey.generate())
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver = RelayClient(url, DeviceKey.generate())
    await caregiver.register((await worker.create_invite("caregiver"))["link"])
    return admin, worker, caregiver


async def _round(worker: RelayClient, caregiver: RelayClient, data: bytes) -> tuple[float, float]:
    """Seconds to upload, and to download, one blob of `data`."""
    async with BlobTransfer(worker) as up, BlobTransfer(caregiver) as down:
        start = time.perf_counter()
        blob = await up.upload(lambda: iter([data]), len(data))
        uploaded = time.perf_counter()
        await worker.send(caregiver.device_id, b"attachment", blobs=[blob])
        start_down = time.perf_counter()
        size = 0
        async for piece in down.download(blob):
            size += len(piece)
        downloaded = time.perf_counter()
        await down.done(blob)
    assert size == len(data)
    return uploaded - start, downloaded - start_down


async def _static_ceiling(data: bytes, rounds: int) -> float:
    """Median seconds for aiohttp to serve `data` as a static file to the same client."""
    with tempfile.TemporaryDirectory(prefix="steuntje-static-") as folder:
        path = Path(folder) / "file.bin"
        path.write_bytes(data)
        app = web.Application()
        app.router.add_get("/file", lambda _: web.FileResponse(path))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        times = []
        async with aiohttp.ClientSession() as session:
            for _ in range(rounds):
                start = time.perf_counter()
                async with session.get(f"http://127.0.0.1:{port}/file") as reply:
                    async for _piece in reply.content.iter_chunked(READ_BYTES):
                        pass
                times.append(time.perf_counter() - start)
        await runner.cleanup()
    return statistics.median(times)


async def _rss_while(pid: int, work: Any) -> tuple[int, int]:
    """(RSS before, highest RSS while `work` runs) of the relay process."""
    before, highest = rss_bytes(pid), 0
    task = asyncio.ensure_future(work)
    while not task.done():
        highest = max(highest, rss_bytes(pid))
        await asyncio.sleep(SAMPLE_S)  # sampling a process, not synchronising a test
    await task
    return before, highest


async def run(rounds: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"rounds": rounds, "sizes": {}}
    async with spawned_relay("full") as relay:
        admin, worker, caregiver = await _people(relay.url, relay.admin_invite)
        try:
            for size in SIZES:
                data = os.urandom(size)
                times = [await _round(worker, caregiver, data) for _ in range(rounds)]
                up = statistics.median(t[0] for t in times)
                down = statistics.median(t[1] for t in times)
                ceiling = await _static_ceiling(data, rounds)
                figures["sizes"][str(size)] = {
                    "upload_mb_s": round(size / MB / up, 1),
                    "download_mb_s": round(size / MB / down, 1),
                    "static_download_mb_s": round(size / MB / ceiling, 1),
                }
            if relay.pid is not None:
                data = os.urandom(RSS_SIZE)
                before, highest = await _rss_while(relay.pid, _round(worker, caregiver, data))
                figures["relay_rss_mb"] = {
                    "before": round(before / MB, 1),
                    "highest_while_25_mb_streams": round(highest / MB, 1),
                }
        finally:
            for client in (admin, worker, caregiver):
                await client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args.rounds))
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{'size':>10} {'upload MB/s':>12} {'download MB/s':>14} {'static MB/s':>12}")
    for size, row in figures["sizes"].items():
        print(
            f"{int(size) / MB:>8.0f} MB {row['upload_mb_s']:>12} {row['download_mb_s']:>14}"
            f" {row['static_download_mb_s']:>12}"
        )
    if "relay_rss_mb" in figures:
        rss = figures["relay_rss_mb"]
        print(
            f"relay RSS: {rss['before']} MB before, {rss['highest_while_25_mb_streams']} MB at most"
        )


if __name__ == "__main__":
    main()
