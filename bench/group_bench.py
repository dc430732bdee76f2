"""`steuntje bench --groups`: what pairwise fan-out costs in a peer-support group.

A relay starts as a subprocess on a temporary folder (its own CPU is read apart from ours).
For each group size (people, the facilitator included) every person has two devices, a
phone and a tablet, each with its own handle (docs/groups.md §1), registered through real
invites and joined through real tickets and device records. Then:

* **latency**: `--messages` group texts, sent one after another by a different device each
  time; from the send call (encryption included) until every other device in the group
  has decrypted it. Median and p95.
* **sender CPU**: `time.process_time` around the sender's encryption of one message for
  every other handle (the pairwise ratchet steps and padding; sessions already set up).
  The one Socket.IO `send` event per message is not in it.
* **envelopes/s**: every group at once, every phone sending `CONCURRENT_MESSAGES` texts as
  fast as the relay acknowledges them; envelopes stored per second of wall time until the
  last one is decrypted, and the relay's CPU over that window.

Everything runs in this one process but the relay, so the figures include Python's
decryption of every copy on one core: the relay is rarely the bottleneck here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from socketio.exceptions import SocketIOError

from bench import report
from bench.envelope_bench import BenchError, ServerMeter, spawned_relay
from crypto import DeviceKeys
from steuntje_client.client import RelayClient
from steuntje_client.errors import ClientError
from steuntje_client.keys import DeviceKey
from steuntje_client.messages import Message
from steuntje_client.secure import SecureClient

DEFAULT_SIZES = (5, 15, 30)
DEVICES_PER_PERSON = 2
CONCURRENT_MESSAGES = 5  # per phone in the all-groups-at-once phase (within the send burst)
WAIT_S = 30.0  # one message reaching everyone; far above anything healthy
REGISTER_AT_ONCE = 10


@dataclass
class BenchGroup:
    """One group under test: its id, and every device in it with what it has decrypted."""

    people: int
    group: str = ""
    devices: list[SecureClient] = field(default_factory=list)
    phones: list[SecureClient] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # message id
    done: dict[str, asyncio.Event] = field(default_factory=dict)
    texts: int = 0  # bench texts decrypted by anyone
    all_texts: asyncio.Event = field(default_factory=asyncio.Event)
    texts_expected: int = 0

    @property
    def copies(self) -> int:
        """Envelopes per message: every other device in the group."""
        return len(self.devices) - 1


def _device(url: str) -> SecureClient:
    return SecureClient(url, DeviceKeys.generate(int(time.time()), one_time_prekeys=0))


async def _register(links: list[str], url: str) -> list[SecureClient]:
    gate = asyncio.Semaphore(REGISTER_AT_ONCE)
    clients = [_device(url) for _ in links]

    async def one(client: SecureClient, link: str) -> None:
        async with gate:
            await client.register(link)

    await asyncio.gather(*(one(c, link) for c, link in zip(clients, links, strict=True)))
    return clients


async def build_group(admin: RelayClient, url: str, people: int) -> BenchGroup:
    """A facilitator (worker) and people−1 caregivers, each with a phone and a tablet."""
    bench = BenchGroup(people)
    (worker,) = await _register([(await admin.create_invite("worker"))["link"]], url)
    links = [(await worker.relay.create_invite("caregiver"))["link"] for _ in range(people - 1)]
    phones = [worker, *await _register(links, url)]
    tablet_links = [(await phone.relay.link_device())["link"] for phone in phones]
    tablets = await _register(tablet_links, url)
    bench.group = await worker.groups.create(f"Bench {people}", display_name="Facilitator")
    for number, phone in enumerate(phones[1:], start=1):
        await phone.groups.join(worker.groups.invite_link(bench.group), display_name=f"P{number}")
    for phone, tablet in zip(phones, tablets, strict=True):
        await phone.groups.add_device(bench.group, tablet.groups.offer_device(bench.group))
        await tablet.groups.adopt(bench.group)
    bench.phones, bench.devices = phones, [*phones, *tablets]
    head = max(d.groups.rosters[bench.group].seq for d in bench.devices)
    for device in bench.devices:  # everyone's verified log has everyone in it
        while device.groups.rosters[bench.group].seq < head:
            await asyncio.wait_for(device.groups.changes.get(), WAIT_S)
    return bench


async def _collect(bench: BenchGroup, device: SecureClient) -> None:
    """Count each bench text this device decrypts; wake the sender when all have."""
    while True:
        received = await device.groups.messages.get()
        if received.kind != "text":
            continue  # profiles and rules from the setup
        message_id = received.message.id
        bench.received[message_id] += 1
        if bench.received[message_id] == bench.copies and message_id in bench.done:
            bench.done[message_id].set()
        bench.texts += 1
        if bench.texts_expected and bench.texts >= bench.texts_expected:
            bench.all_texts.set()


async def send_one(bench: BenchGroup, sender: SecureClient, text: str) -> tuple[float, float]:
    """(latency s, sender CPU s) of one message to the whole group."""
    message = Message("text", {"text": text}, bench.group, int(time.time()))
    arrived = bench.done[message.id] = asyncio.Event()
    started = time.perf_counter()
    cpu = time.process_time()
    sealed = await sender.groups.seal(bench.group, message)
    cpu = time.process_time() - cpu
    await sender.groups.send_sealed(bench.group, sealed)
    try:
        await asyncio.wait_for(arrived.wait(), WAIT_S)
    except TimeoutError:
        dropped = sum(d.groups.dropped + d.dropped for d in bench.devices)
        raise BenchError(
            f"a message reached {bench.received[message.id]} of {bench.copies} devices in"
            f" {WAIT_S:.0f} s ({len(sealed.envelopes)} envelopes, {len(sealed.waiting)} for"
            f" handles to retry; {dropped} envelopes dropped on all devices)"
        ) from None
    del bench.done[message.id]
    return time.perf_counter() - started, cpu


async def warm_up(bench: BenchGroup) -> None:
    """Every device writes once, so every pair has a session: the figures are the
    steady state, not X3DH."""
    for device in bench.devices:
        await send_one(bench, device, "warm")


async def measure_latency(bench: BenchGroup, messages: int) -> dict[str, Any]:
    latencies, cpus = [], []
    for number in range(messages):
        sender = bench.devices[number % len(bench.devices)]
        latency, cpu = await send_one(bench, sender, f"m{number}")
        latencies.append(latency)
        cpus.append(cpu)
    ordered = sorted(latencies)
    return {
        "people": bench.people,
        "devices": len(bench.devices),
        "envelopes_per_message": bench.copies,
        "messages": messages,
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round((report.percentile(ordered, 95) or 0) * 1000, 1),
        "sender_cpu_ms": round(statistics.median(cpus) * 1000, 2),
        "sender_cpu_per_envelope_us": round(statistics.median(cpus) / bench.copies * 1e6, 1),
    }


async def measure_concurrent(benches: list[BenchGroup], meter: ServerMeter) -> dict[str, Any]:
    """All groups at once: each phone sends CONCURRENT_MESSAGES as fast as it can."""
    envelopes = 0
    for bench in benches:
        bench.texts, bench.all_texts = 0, asyncio.Event()
        bench.texts_expected = len(bench.phones) * CONCURRENT_MESSAGES * bench.copies
        envelopes += bench.texts_expected

    async def talk(bench: BenchGroup, phone: SecureClient) -> None:
        for number in range(CONCURRENT_MESSAGES):
            await phone.groups.send_text(bench.group, f"c{number}")

    relay_cpu = meter.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(talk(b, p) for b in benches for p in b.phones))
    await asyncio.gather(*(asyncio.wait_for(b.all_texts.wait(), WAIT_S) for b in benches))
    elapsed = time.perf_counter() - started
    after = meter.cpu_seconds()
    return {
        "groups": [b.people for b in benches],
        "envelopes": envelopes,
        "seconds": round(elapsed, 2),
        "envelopes_per_s": round(envelopes / elapsed, 1),
        "relay_cpu_s": None if relay_cpu is None or after is None else round(after - relay_cpu, 2),
    }


async def run(sizes: tuple[int, ...], messages: int) -> dict[str, Any]:
    async with spawned_relay("full") as relay:
        admin = RelayClient(relay.url, DeviceKey.generate())
        await admin.register(relay.admin_invite)
        benches: list[BenchGroup] = []
        collectors: list[asyncio.Task[None]] = []
        try:
            results = []
            for people in sizes:
                started = time.perf_counter()
                bench = await build_group(admin, relay.url, people)
                benches.append(bench)
                collectors += [asyncio.create_task(_collect(bench, d)) for d in bench.devices]
                report.say(
                    f"group of {people} people, {len(bench.devices)} devices: set up in "
                    f"{time.perf_counter() - started:.1f} s"
                )
                await warm_up(bench)
                results.append(await measure_latency(bench, messages))
                figures = results[-1]
                report.say(
                    f"  {messages} messages: p50 {figures['p50_ms']} ms, p95 "
                    f"{figures['p95_ms']} ms, sender CPU {figures['sender_cpu_ms']} ms"
                )
            report.say(f"all {len(benches)} groups sending at once …")
            concurrent = await measure_concurrent(benches, ServerMeter(relay.pid))
        finally:
            for task in collectors:
                task.cancel()
            for bench in benches:
                for device in bench.devices:
                    await device.close()
            await admin.close()
    return {
        "devices_per_person": DEVICES_PER_PERSON,
        "sizes": results,
        "concurrent": concurrent,
    }


def table(figures: dict[str, Any]) -> str:
    lines = [
        f"group messages, pairwise fan-out, {figures['devices_per_person']} devices per person",
        f"{'people':>6} {'devices':>7} {'env/msg':>7} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'sender CPU ms':>13} {'µs/env':>7}",
    ]
    for row in figures["sizes"]:
        lines.append(
            f"{row['people']:>6} {row['devices']:>7} {row['envelopes_per_message']:>7}"
            f" {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['sender_cpu_ms']:>13.2f}"
            f" {row['sender_cpu_per_envelope_us']:>7.0f}"
        )
    both = figures["concurrent"]
    lines.append(
        f"all groups at once ({', '.join(map(str, both['groups']))} people):"
        f" {both['envelopes']:,} envelopes in {both['seconds']} s ="
        f" {both['envelopes_per_s']:,.0f} envelopes/s (relay CPU {both['relay_cpu_s']} s)"
    )
    return "\n".join(lines)


def parse_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(",") if part.strip())
    if not sizes or any(not 2 <= size <= 31 for size in sizes):
        raise ValueError("group sizes are 2..31 people (30 members and a facilitator)")
    return sizes


def run_cli(args: argparse.Namespace) -> int:
    """`steuntje bench --groups [SIZES]`: a table, or one JSON object as the last line."""
    import json

    try:
        sizes = parse_sizes(args.groups)
    except ValueError as error:
        print(f"steuntje bench --groups: {error}", file=sys.stderr)
        return 2
    if args.web:  # one member is the web app on a slowed browser (web_group_bench.py)
        from bench import web_group_bench as web

        measure, render, what = web.run(sizes), web.table, "--groups --web"
    else:
        measure, render, what = run(sizes, args.messages), table, "--groups"
    try:
        figures = asyncio.run(measure)
    except (BenchError, ClientError, SocketIOError, OSError, TimeoutError) as error:
        print(f"steuntje bench {what}: {error or type(error).__name__}", file=sys.stderr)
        return 1
    except Exception as error:  # the browser side: WebBenchError, Playwright's own errors
        if type(error).__name__ not in ("WebBenchError", "Error", "TimeoutError"):
            raise
        print(f"steuntje bench {what}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(figures) if args.json else render(figures))
    return 0
