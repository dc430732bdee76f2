"""Push figures for docs/performance.md: run `.venv/bin/python tests/push_service/push_bench.py`.

Optional argument: the push interval in seconds (default 60, the relay's default).

1. Pushes per second: the relay's PushSender (RFC 8291 encryption, a VAPID JWT, the POST)
   to the web-push-testing stand-in on loopback, which checks and decrypts each one.
2. Relay CPU per stored envelope for offline, subscribed recipients, push on versus off
   (STEUNTJE_PUSH_ENABLED=0), interleaved A/B: a `steuntje serve` process, its CPU read
   with psutil; one worker sends rounds of envelopes to caregivers whose apps are closed.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

from conftest import RelayProcess  # noqa: E402
from push_service.stand_in import PushServiceStandIn  # noqa: E402

from relay.ids import b64url, unb64url  # noqa: E402
from relay.push.payload import push_payload  # noqa: E402
from relay.push.sender import PushSender  # noqa: E402
from relay.storage.sqlite_push import PushSubscription  # noqa: E402
from steuntje_client import DeviceKey, RelayClient  # noqa: E402
from webpush import vapid  # noqa: E402

CAREGIVERS = 50
ROUNDS = 20  # envelopes per caregiver per arm
ARMS = 3  # A/B pairs


async def pushes_per_second(service: PushServiceStandIn, count: int = 1000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        key = vapid.load_or_create(Path(folder) / "push-vapid.key")
        subs = []
        for _ in range(20):
            s = await service.subscribe(vapid.application_server_key(key))
            subs.append(
                PushSubscription(s.endpoint, unb64url(s.p256dh), unb64url(s.auth), bytes(32))
            )
        sender = PushSender(key, "mailto:bench@steuntje.invalid", 3600)
        payload = push_payload("message", "AAAAAAAAAAAAAAAA")
        gate = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with gate:
                await sender.send(subs[i % len(subs)], payload)

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        await sender.close()
        assert sender.sent == count, sender
        return {"pushes_per_s": count / wall, "cpu_ms_per_push": 1000 * cpu / count}


async def arm(root: Path, service: PushServiceStandIn, enabled: bool, index: int) -> dict:
    os.environ["STEUNTJE_PUSH_ENABLED"] = "1" if enabled else "0"
    node = RelayProcess(root / f"{'on' if enabled else 'off'}-{index}")
    await node.start()
    admin = RelayClient(node.url, DeviceKey.generate())
    await admin.register(node.admin_invite)
    worker = RelayClient(node.url, DeviceKey.generate())
    await worker.register((await admin.create_invite("worker"))["link"])
    carers = []
    for _ in range(CAREGIVERS):
        carer = RelayClient(node.url, DeviceKey.generate())
        await carer.register((await worker.create_invite("caregiver"))["link"])
        key = (await carer.request("push_key"))["key"]
        sub = await service.subscribe(key)
        await carer.request("push_subscribe", sub.for_relay(b64url(secrets.token_bytes(32))))
        carers.append((carer.device_id, sub))
        await carer.close()
    relay = psutil.Process(node.process.pid)
    before = relay.cpu_times()
    for _ in range(ROUNDS):
        await asyncio.gather(
            *(worker.send(device, secrets.token_bytes(300)) for device, _ in carers)
        )
    await asyncio.sleep(1.5)  # a benchmark, not a test: let the 0.5 s push decisions finish
    after = relay.cpu_times()
    cpu = (after.user - before.user) + (after.system - before.system)
    pushed = sum([len(await service.messages(sub)) for _, sub in carers])
    for client in (worker, admin):
        await client.close()
    await node.terminate()
    envelopes = CAREGIVERS * ROUNDS
    return {"push": enabled, "cpu_ms_per_envelope": 1000 * cpu / envelopes, "pushes": pushed}


async def main() -> None:
    service = PushServiceStandIn()
    await service.start()
    os.environ.update(
        {
            "STEUNTJE_PUSH_SERVICES": service.origin,
            "STEUNTJE_PUSH_DELAY": "0.5",
            # The default (60 s), or e.g. 1 to push far more often than a relay would.
            "STEUNTJE_PUSH_INTERVAL": sys.argv[1] if len(sys.argv) > 1 else "60",
        }
    )
    try:
        rate = await pushes_per_second(service)
        runs = []
        with tempfile.TemporaryDirectory() as folder:
            for index in range(ARMS):
                for enabled in (index % 2 == 0, index % 2 != 0):  # ABBA...: interleaved
                    runs.append(await arm(Path(folder), service, enabled, index))
    finally:
        await service.stop()
    on = [r["cpu_ms_per_envelope"] for r in runs if r["push"]]
    off = [r["cpu_ms_per_envelope"] for r in runs if not r["push"]]
    print(
        json.dumps(
            {
                **rate,
                "runs": runs,
                "median_on_ms": statistics.median(on),
                "median_off_ms": statistics.median(off),
                "added_ms_per_envelope": statistics.median(on) - statistics.median(off),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
