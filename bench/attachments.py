"""Attachment transfer figures (issue 16): upload and download MB/s of a blob through the
relay for 1 MB and 20 MB, beside a plain aiohttp static file download of the same size on
the same machine (the ceiling), and the relay's RSS while a 25 MB blob streams through it.

    python -m bench.attachments [--rounds 3] [--sizes 1000000,20000000] [--rss-size 25000000]
                                [--json]

The relay runs as its own `python -m relay serve` process (SQLite, synchronous=full), as in
production; the client is the Python client's BlobTransfer (blob bytes only: the device's
encryption is measured by bench/crypto_bench.py). The rounds interleave the relay and the
static download in one sitting; each figure is the median of the rounds, with the ratio to
the static ceiling and the load average before and after (a busy machine shows there).
Progress goes to stderr; `--json` prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench import report
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


@contextlib.asynccontextmanager
async def _static_server(payloads: dict[int, bytes]) -> AsyncIterator[str]:
    """A plain aiohttp app serving each payload as a static file `/<size>` (the ceiling)."""
    with tempfile.TemporaryDirectory(prefix="steuntje-static-") as folder:
        app = web.Application()
        for size, data in payloads.items():
            path = Path(folder) / f"{size}.bin"
            path.write_bytes(data)
            app.router.add_get(f"/{size}", partial(_file, path))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


async def _file(path: Path, _request: web.Request) -> web.FileResponse:
    return web.FileResponse(path)


async def _static_download(url: str, size: int) -> float:
    """Seconds to fetch one static file, on a new connection as each blob transfer has."""
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        received = 0
        async with session.get(f"{url}/{size}") as reply:
            async for piece in reply.content.iter_chunked(READ_BYTES):
                received += len(piece)
        assert received == size
        return time.perf_counter() - start


async def _rss_while(pid: int, work: Any) -> tuple[int, int]:
    """(RSS before, highest RSS while `work` runs) of the relay process."""
    before, highest = rss_bytes(pid), 0
    task = asyncio.ensure_future(work)
    while not task.done():
        highest = max(highest, rss_bytes(pid))
        await asyncio.sleep(SAMPLE_S)  # sampling a process, not synchronising a test
    await task
    return before, highest


def _mb_s(size: int, seconds: list[float]) -> float:
    return size / MB / statistics.median(seconds)


async def run(
    rounds: int, sizes: tuple[int, ...] = SIZES, rss_size: int = RSS_SIZE
) -> dict[str, Any]:
    """One sitting: every round transfers each size through the relay (up, then down) and
    then as a static file, so a change in the machine's load touches all three alike."""
    load_before = os.getloadavg()
    payloads = {size: os.urandom(size) for size in sizes}
    times: dict[int, dict[str, list[float]]] = {
        size: {"up": [], "down": [], "static": []} for size in sizes
    }
    figures: dict[str, Any] = {"rounds": rounds, "sizes": {}}
    async with spawned_relay("full") as relay, _static_server(payloads) as static_url:
        admin, worker, caregiver = await _people(relay.url, relay.admin_invite)
        try:
            for number in range(rounds):
                for size, data in payloads.items():
                    up, down = await _round(worker, caregiver, data)
                    static = await _static_download(static_url, size)
                    for name, seconds in (("up", up), ("down", down), ("static", static)):
                        times[size][name].append(seconds)
                report.say(f"round {number + 1}/{rounds} done")
            for size in sizes:
                upload, download, ceiling = (
                    _mb_s(size, times[size][name]) for name in ("up", "down", "static")
                )
                figures["sizes"][str(size)] = {
                    "upload_mb_s": round(upload, 1),
                    "download_mb_s": round(download, 1),
                    "static_download_mb_s": round(ceiling, 1),
                    "upload_vs_static": round(upload / ceiling, 2),
                    "download_vs_static": round(download / ceiling, 2),
                }
            if relay.pid is not None and rss_size:
                data = os.urandom(rss_size)
                before, highest = await _rss_while(relay.pid, _round(worker, caregiver, data))
                figures["relay_rss_mb"] = {
                    "streamed_mb": round(rss_size / MB, 1),
                    "before": round(before / MB, 1),
                    "highest_while_streaming": round(highest / MB, 1),
                }
        finally:
            for client in (admin, worker, caregiver):
                await client.close()
    figures["load_average"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="bytes, comma-separated")
    parser.add_argument("--rss-size", type=int, default=RSS_SIZE, help="bytes; 0 skips it")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = tuple(int(size) for size in args.sizes.split(",") if size.strip())
    figures = asyncio.run(run(args.rounds, sizes, args.rss_size))
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{'size':>10} {'upload MB/s':>12} {'download MB/s':>14} {'static MB/s':>12}")
    for size, row in figures["sizes"].items():
        print(
            f"{int(size) / MB:>8.1f} MB {row['upload_mb_s']:>12} {row['download_mb_s']:>14}"
            f" {row['static_download_mb_s']:>12}  (down {row['download_vs_static']}x,"
            f" up {row['upload_vs_static']}x of static)"
        )
    if "relay_rss_mb" in figures:
        rss = figures["relay_rss_mb"]
        print(
            f"relay RSS while {rss['streamed_mb']} MB streams: {rss['before']} MB before,"
            f" {rss['highest_while_streaming']} MB at most"
        )
    load = figures["load_average"]
    print(f"load average: {load['before']} before, {load['after']} after")


if __name__ == "__main__":
    main()
