"""Shared fixtures: a real relay on a loopback port 0 with a real SQLite file, either
in-process (fake clock, tunable limits) or as a `steuntje serve` subprocess (for kill,
restart, signals, CLI output and log scanning). Every process a test starts, it stops."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from relay.app import CONTEXT, create_app
from relay.clock import FakeClock
from relay.config import Limits, RelayConfig
from relay.context import RelayContext
from relay.server import create_invite
from steuntje_client import DeviceKey, RelayClient

STARTUP_TIMEOUT_S = 20


@dataclass
class InProcessRelay:
    url: str
    ctx: RelayContext
    clock: FakeClock
    clients: list[RelayClient] = field(default_factory=list)

    async def invite(self, role: str = "admin", ttl_s: int = 3600) -> str:
        return await create_invite(
            self.ctx.storage, self.ctx.org_id, role, self.ctx.now(), ttl_s, self.url
        )

    def client(self, key: DeviceKey | None = None, **kwargs: object) -> RelayClient:
        client = RelayClient(self.url, key or DeviceKey.generate(), **kwargs)  # type: ignore[arg-type]
        self.clients.append(client)
        return client

    async def onboard(self) -> tuple[RelayClient, RelayClient, RelayClient]:
        """An admin, a worker, and a caregiver on the worker's case, all connected."""
        admin = self.client()
        await admin.register(await self.invite("admin"))
        worker = self.client()
        await worker.register((await admin.create_invite("worker"))["link"])
        caregiver = self.client()
        await caregiver.register((await worker.create_invite("caregiver"))["link"])
        return admin, worker, caregiver


@pytest.fixture
def make_relay(tmp_path: Path) -> Callable[..., object]:
    """`async with make_relay(limits=...) as relay:` — or use the `relay` fixture."""
    servers: list[TestServer] = []

    async def start(limits: Limits | None = None, **config: object) -> InProcessRelay:
        clock = FakeClock()
        base = RelayConfig(host="127.0.0.1", port=0, data_dir=tmp_path / f"relay{len(servers)}")
        cfg = replace(base, limits=limits or Limits(), **config)  # type: ignore[arg-type]
        app = create_app(cfg, clock=clock)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        url = str(server.make_url("")).rstrip("/")
        return InProcessRelay(url, app[CONTEXT], clock)

    start.servers = servers  # type: ignore[attr-defined]
    return start


@pytest.fixture
async def relay(make_relay: Callable[..., object]) -> AsyncIterator[InProcessRelay]:
    instance = await make_relay()  # type: ignore[misc, operator]
    yield instance
    for client in instance.clients:
        await client.close()
    for server in make_relay.servers:  # type: ignore[attr-defined]
        await server.close()


@pytest.fixture
async def small_relay(make_relay: Callable[..., object]) -> AsyncIterator[object]:
    """A factory for relays with small limits; all are closed at the end."""
    started: list[InProcessRelay] = []

    async def start(**limits: object) -> InProcessRelay:
        instance = await make_relay(limits=Limits(**limits))  # type: ignore[misc, operator, arg-type]
        started.append(instance)
        return instance

    yield start
    for instance in started:
        for client in instance.clients:
            await client.close()
    for server in make_relay.servers:  # type: ignore[attr-defined]
        await server.close()


# -- the relay as a separate process ---------------------------------------------------


class RelayProcess:
    """`steuntje serve` in a subprocess on port 0 with a data folder that outlives restarts."""

    def __init__(self, data_dir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.extra_args = extra_args
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""
        self.admin_invite: str | None = None
        self.stdout_lines: list[str] = []
        self.stderr_path = data_dir.parent / f"{data_dir.name}-stderr.log"
        self.port = 0

    async def start(self) -> None:
        # Reuse the first port after a restart, so clients reconnect to the same URL.
        args = [
            sys.executable,
            "-m",
            "relay",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
            *self.extra_args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # The child keeps its own copy of the file descriptor; ours closes right away.
        with self.stderr_path.open("ab") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                *args, stdout=asyncio.subprocess.PIPE, stderr=stderr, env=env
            )
        self.admin_invite = None
        await asyncio.wait_for(self._read_banner(), STARTUP_TIMEOUT_S)

    async def _read_banner(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while True:
            line = (await self.process.stdout.readline()).decode()
            if not line:
                raise RuntimeError(f"relay exited during start: {self.stdout_lines}")
            self.stdout_lines.append(line)
            if match := re.search(r"listening on (http://\S+)", line):
                self.url = match.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
            if match := re.search(r"(http://\S+#invite=\S+)", line):
                self.admin_invite = match.group(1)
            if line.startswith("Open the web app"):
                return

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs at all."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(self.process.stdout.read(), 30)  # type: ignore[union-attr]
        self.stdout_lines.extend(rest.decode().splitlines(keepends=True))
        return await asyncio.wait_for(self.process.wait(), 30)

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""


@pytest.fixture
async def relay_process(tmp_path: Path) -> AsyncIterator[RelayProcess]:
    process = RelayProcess(tmp_path / "data")
    await process.start()
    yield process
    if process.process is not None and process.process.returncode is None:
        process.process.kill()
        await process.process.wait()


# -- real PostgreSQL and Redis servers (tests/servers.py) -------------------------------
from servers import postgres_dsn, postgres_server, redis_server, storage_backend  # noqa: E402, F401
