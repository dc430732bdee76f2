"""`steuntje bench`: throughput, latency and memory of a relay, measured end to end.

One process is both load generator and receiver: it starts a relay as a subprocess (so its
CPU and memory can be read apart from ours), registers pairs of devices through real invites
(admin -> worker invite -> worker -> caregiver invite -> caregiver, which opens the case that
lets the two write to each other), and has every worker send envelopes to its caregiver.

Each body starts with a header: send time (ns, this process's monotonic clock), pair index,
sequence number. The receiver computes latency from it and counts envelopes the relay
acknowledged but never delivered (lost) and envelopes that arrived twice (duplicated).
After its last envelope each sender sends a *fence*: the relay delivers a device's mailbox
in order, so once every fence is in, anything missing is lost, with no grace period to wait.

Metric definitions follow the anchors' harness; docs/performance.md lists them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from socketio.exceptions import SocketIOError

from bench import crypto_bench, report
from bench.e2e import Decrypting
from bench.workload import (
    CLOSE_CONCURRENCY,
    HEADER,
    REGISTER_CONCURRENCY,
    SEND_BURST,
    Pair,
    Receipts,
    Tally,
    bounded,
    client_pool,
    hold_idle_connections,
    now_ns,
    register_pairs,
    send_all,
)
from steuntje_client.client import RelayClient
from steuntje_client.errors import ClientError

RELAY_START_TIMEOUT_S = 30.0
RELAY_STOP_TIMEOUT_S = 20.0


class BenchError(Exception):
    """The benchmark could not run (the relay did not start, registration failed, ...)."""


# -- the relay under test ------------------------------------------------------------------


@dataclass
class Relay:
    url: str
    admin_invite: str
    pid: int | None


async def read_announcement(stdout: asyncio.StreamReader) -> tuple[str, str]:
    """The URL and the admin invite link from `steuntje serve`'s first lines."""
    url = invite = None
    while url is None or invite is None:
        line = (await stdout.readline()).decode(errors="replace")
        if not line:
            raise BenchError("the relay exited while starting")
        if "listening on " in line:
            url = line.split("listening on ", 1)[1].split()[0]
        elif "#invite=" in line:
            invite = line.strip()
    return url, invite


@asynccontextmanager
async def spawned_relay(sqlite_sync: str) -> AsyncIterator[Relay]:
    """Run `python -m relay serve` on a fresh temporary folder; SIGTERM it on exit."""
    with tempfile.TemporaryDirectory(prefix="steuntje-bench-") as folder:
        log_path = Path(folder) / "relay.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "relay", "serve", "--host", "127.0.0.1", "--port", "0"),
                *("--data", folder, "--sqlite-sync", sqlite_sync, "--log-level", "WARNING"),
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
            try:
                try:
                    async with asyncio.timeout(RELAY_START_TIMEOUT_S):
                        url, invite = await read_announcement(process.stdout)  # type: ignore[arg-type]
                except (TimeoutError, BenchError):
                    raise BenchError(_relay_failure(log_path)) from None
                report.say(f"relay pid {process.pid} at {url} (data in {folder})")
                yield Relay(url, invite, process.pid)
            finally:
                await _stop(process)


def _relay_failure(log_path: Path) -> str:
    tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
    return "the relay did not start:\n  " + "\n  ".join(tail or ["(no output)"])


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then wait; SIGKILL only if the relay does not stop in time."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(RELAY_STOP_TIMEOUT_S):
                await process.wait()
        except TimeoutError:
            report.say(f"relay pid {process.pid} did not stop in time; killing it")
            process.kill()
            await process.wait()
    if process.stdout is not None:
        await process.stdout.read()  # "stopped cleanly", so the pipe closes without a warning


class ServerMeter:
    """CPU and memory of the relay process, via psutil (all threads: SQLite runs on two)."""

    def __init__(self, pid: int | None) -> None:
        self._process = psutil.Process(pid) if pid else None

    def cpu_seconds(self) -> float | None:
        if self._process is None:
            return None
        times = self._process.cpu_times()
        return times.user + times.system

    def rss_bytes(self) -> int | None:
        return None if self._process is None else self._process.memory_info().rss

    def peak_rss_bytes(self) -> int | None:
        """The kernel's high-water mark (VmHWM) where there is one, as the anchors report;
        psutil has no portable peak, so elsewhere the current RSS stands in."""
        if self._process is None:
            return None
        with suppress(OSError):
            for line in Path(f"/proc/{self._process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return self.rss_bytes()


def loadgen_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- one run --------------------------------------------------------------------------------


@dataclass
class Window:
    """The start of a measurement: when, and how much CPU each side had used by then."""

    meter: ServerMeter
    start_ns: int
    server_cpu_s: float | None
    loadgen_cpu_s: float

    @classmethod
    def open(cls, meter: ServerMeter) -> Window:
        return cls(meter, now_ns(), meter.cpu_seconds(), loadgen_cpu_seconds())

    def resources(self) -> dict[str, Any]:
        """Server CPU and peak RSS, and our own CPU, since the window opened."""
        return report.resource_figures(
            self.server_cpu_s,
            self.meter.cpu_seconds(),
            self.meter.peak_rss_bytes(),
            loadgen_cpu_seconds() - self.loadgen_cpu_s,
        )


def run_figures(window: Window, tally: Tally, receipts: Receipts) -> dict[str, Any]:
    return report.run_figures(
        accepted=tally.accepted,
        refused=tally.refused,
        seen=receipts.seen,
        duplicated=receipts.duplicated,
        latencies_ns=receipts.latencies_ns,
        start_ns=window.start_ns,
        last_accept_ns=tally.last_accept_ns,
        last_receive_ns=receipts.last_ns,
    )


async def online_run(
    pairs: list[Pair], args: argparse.Namespace, receipts: Receipts, meter: ServerMeter
) -> dict[str, Any]:
    """Recipients connected throughout: throughput and end-to-end latency."""
    window = Window.open(meter)
    tally = await send_all(pairs, args, receipts, window.start_ns)
    await receipts.wait_fenced()
    return {**run_figures(window, tally, receipts), **window.resources()}


async def offline_run(
    pairs: list[Pair], args: argparse.Namespace, receipts: Receipts, meter: ServerMeter
) -> dict[str, Any]:
    """Recipients offline while everything is stored, then all connect at once and drain.
    Latency here includes the time an envelope waited in its mailbox."""
    await bounded((pair.recipient.close for pair in pairs), CLOSE_CONCURRENCY)
    window = Window.open(meter)
    tally = await send_all(pairs, args, receipts, window.start_ns)
    drain = Window.open(meter)
    receipts.progress = report.Progress("envelopes drained", len(tally.accepted), now_ns)
    await bounded((pair.recipient.connect for pair in pairs), REGISTER_CONCURRENCY)
    await receipts.wait_fenced()
    result = {**run_figures(window, tally, receipts), **window.resources()}
    drain_seconds = max(0, receipts.last_ns - drain.start_ns) / 1e9
    result["drain_per_s"] = report.rate(len(receipts.seen), drain_seconds)
    result["server_cpu_drain_s"] = drain.resources()["server_cpu_s"]
    return result


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the load generator's long-lived objects (thousands of clients with
    --connections) out of the garbage collector's scans while measuring: a full collection
    over them pauses this process long enough to show up as latency the relay did not cause."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def measure_run(
    args: argparse.Namespace, url: str, admin: RelayClient, meter: ServerMeter
) -> dict[str, Any]:
    """Register this run's devices, hold the idle connections, run the workload, close all."""
    receipts = Receipts(fences_expected=args.pairs)  # one fence per sender
    decrypting = Decrypting(receipts.on_envelope, {}) if args.crypto else None
    async with client_pool(url) as pool:
        pairs = await register_pairs(pool, admin, args.pairs, receipts.on_envelope, decrypting)
        idle = {}
        if args.connections:
            idle = await hold_idle_connections(pool, admin, args.connections, meter)
        mode = "offline" if args.offline else "online"
        report.say(f"sending {args.pairs} x {args.messages} envelopes ({mode})")
        workload = offline_run if args.offline else online_run
        with frozen_heap():
            result = await workload(pairs, args, receipts, meter)
        report.say("closing connections")
    if decrypting is not None and decrypting.failed:
        report.say(f"{decrypting.failed} envelopes did not decrypt")
    return {**result, **idle, "crypto": args.crypto}


async def bench_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    """`args.runs` runs: each on a fresh relay, or all on the relay at `--url`."""
    runs: list[dict[str, Any]] = []
    if args.url:
        async with client_pool(args.url) as pool:
            admin = await pool.register(args.admin_invite)
            meter = ServerMeter(args.server_pid)
            for number in range(1, args.runs + 1):
                report.say(f"run {number}/{args.runs} on {args.url}")
                runs.append(await measure_run(args, args.url, admin, meter))
        return runs
    for number in range(1, args.runs + 1):
        report.say(f"run {number}/{args.runs}: starting a relay")
        async with spawned_relay(args.sqlite_sync) as relay, client_pool(relay.url) as pool:
            admin = await pool.register(relay.admin_invite)
            runs.append(await measure_run(args, relay.url, admin, ServerMeter(relay.pid)))
        report.say(f"run {number}/{args.runs}: relay stopped")
    return runs


# -- command line ---------------------------------------------------------------------------


def raise_file_limit() -> int:
    """Lift the soft limit on open files to the hard one (the relay we start inherits it):
    every connection costs a descriptor on each side."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def check_args(args: argparse.Namespace, file_limit: int) -> str | None:
    """The first problem with the options, in words a person can act on, or None."""
    for name in ("pairs", "messages", "inflight", "runs"):
        if getattr(args, name) < 1:
            return f"--{name} must be at least 1"
    if not HEADER.size <= args.size <= 64 * 1024:
        return f"--size must be between {HEADER.size} and 65536 bytes"
    if args.rate < 0 or args.connections < 0:
        return "--rate and --connections cannot be negative"
    if bool(args.url) != bool(args.admin_invite):
        return "--url and --admin-invite go together"
    if args.server_pid and not args.url:
        return "--server-pid is for --url; a relay the bench starts is measured anyway"
    descriptors = args.connections + 2 * args.pairs + 64
    if descriptors > file_limit:
        return f"this needs about {descriptors} open files; the limit is {file_limit}"
    return None


def run_cli(args: argparse.Namespace) -> int:
    """Entry point of `steuntje bench`. 0 if nothing was lost or duplicated, 1 if something
    was (or the bench could not run), 2 for bad options."""
    problem = check_args(args, raise_file_limit())
    if problem:
        print(f"steuntje bench: {problem}", file=sys.stderr)
        return 2
    if args.messages + 1 > SEND_BURST and (args.rate == 0 or args.rate / args.pairs > 100):
        report.say("note: above the relay's per-device burst, expect rate_limited refusals")
    try:
        runs = asyncio.run(bench_all(args))
    except (BenchError, ClientError, SocketIOError, OSError) as error:
        print(f"steuntje bench: {error}", file=sys.stderr)
        return 1
    keys = report.result_keys(args.offline, args.connections)
    summary = report.summarise(runs, keys)
    summary = {**summary, "crypto": args.crypto}
    if args.crypto_micro:
        report.say(f"crypto micro-benchmark ({args.crypto_micro:g} s on one core)")
        summary["crypto_micro"] = crypto_bench.run(args.crypto_micro)
    if args.json:
        print(report.json_line(summary))
    else:
        print(report.table(summary, keys, report.heading(args)))
        for name, value in summary.get("crypto_micro", {}).items():
            print(f"crypto micro-benchmark {name}: {value}")
    return 0 if not summary["lost"] and not summary["duplicated"] else 1
