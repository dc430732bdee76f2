"""Blobs on PostgreSQL with two relay nodes (issue 16): the pieces are `bytea` rows every
node reads, so a blob uploaded through node A downloads through node B, resumes there, and
the purge on PostgreSQL removes an expired one."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from servers import PostgresServer, create_database, drop_database

from relay.app import CONTEXT, create_app
from relay.blobs import UNNAMED_TTL_S
from relay.clock import FakeClock
from relay.config import RelayConfig
from relay.housekeeping import purge_once
from relay.server import create_invite
from steuntje_client import DeviceKey, RelayClient
from steuntje_client.blobs import BlobTransfer
from steuntje_client.errors import RelayRefused


@pytest.fixture
async def two_nodes(
    tmp_path: Path, postgres_server: PostgresServer
) -> AsyncIterator[list[tuple[str, object]]]:
    """Two in-process nodes on one database and one shared key folder: (url, context)."""
    if not postgres_server.running():
        postgres_server.start()
    dsn = await create_database(postgres_server)
    shared = tmp_path / "shared"
    servers = []
    for name in ("a", "b"):
        config = RelayConfig(
            host="127.0.0.1",
            port=0,
            data_dir=tmp_path / name,
            database_url=dsn,
            key_dir=shared / "epoch-keys",
            audit_key=shared / "audit-log.key",
        )
        server = TestServer(create_app(config, clock=FakeClock()), host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
    yield [(str(s.make_url("")).rstrip("/"), s.app[CONTEXT]) for s in servers]
    for server in servers:
        await server.close()
    await drop_database(postgres_server, dsn)


async def test_upload_on_node_a_download_on_node_b(two_nodes):
    (url_a, ctx_a), (url_b, _) = two_nodes
    clients: list[RelayClient] = []

    async def join(url: str, invite: str) -> RelayClient:
        client = RelayClient(url, DeviceKey.generate())
        clients.append(client)
        await client.register(invite)
        return client

    try:
        invite = await create_invite(ctx_a.storage, ctx_a.org_id, "admin", ctx_a.now(), 3600, url_a)
        admin = await join(url_a, invite)
        worker = await join(url_a, (await admin.create_invite("worker"))["link"])
        caregiver = await join(url_b, (await worker.create_invite("caregiver"))["link"])
        content = os.urandom(600_000)
        async with BlobTransfer(worker) as transfer:
            blob = await transfer.upload(lambda: iter([content]), len(content))
        await worker.send(caregiver.device_id, b"attachment message", blobs=[blob])
        async with BlobTransfer(caregiver) as transfer:  # node B
            got = b"".join([piece async for piece in transfer.download(blob)])
            assert got == content
            await transfer.done(blob)
        with pytest.raises(RelayRefused) as gone:
            await caregiver.request("blob_fetch", {"blob": blob})
        assert gone.value.code == "unknown_blob"
        # An upload no envelope names expires, and the purge on PostgreSQL removes it.
        async with BlobTransfer(worker) as transfer:
            orphan = await transfer.upload(lambda: iter([b"nooit verstuurd"]), 15)
        ctx_a.clock.advance(UNNAMED_TTL_S)
        assert (await purge_once(ctx_a))["blobs"] == 1
        assert await ctx_a.storage.blob(orphan) is None
    finally:
        for client in clients:
            await client.close()
