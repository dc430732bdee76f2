"""Several `steuntje serve` processes sharing one PostgreSQL database and one Redis, as in
deploy/compose.yaml: any node serves any client; a node dies and its clients carry on
elsewhere; Redis and PostgreSQL restart under load. Real processes, real servers."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from servers import PostgresServer, RedisServer, create_database, drop_database, loaded_conftest

from bench.workload import ClientPool
from steuntje_client import ConnectionLost, DeviceKey, RelayClient, RelayRefused

WAIT = 30
LEADER_LINE = "background job 1: runs on this node"


class Cluster:
    """N relay nodes on one database, one Redis and one shared key folder."""

    def __init__(self, root: Path, dsn: str, redis_url: str, process_class: type) -> None:
        self.root = root
        self.process_class = process_class  # conftest's RelayProcess
        shared = root / "shared"  # epoch keys and the audit key: the same for every node
        self.args = (
            "--database", dsn, "--redis", redis_url,
            "--key-dir", str(shared / "epoch-keys"), "--audit-key", str(shared / "audit-log.key"),
        )  # fmt: skip
        self.nodes: list = []
        self.clients: list[RelayClient] = []

    async def start(self, count: int) -> None:
        for _ in range(count):
            node = self.process_class(self.root / f"node{len(self.nodes)}", self.args)
            self.nodes.append(node)
            await node.start()

    def client(self, node: int, key: DeviceKey | None = None, **kwargs: object) -> RelayClient:
        client = RelayClient(self.nodes[node].url, key or DeviceKey.generate(), **kwargs)  # type: ignore[arg-type]
        self.clients.append(client)
        return client

    async def onboard(self, admin_node: int, worker_node: int, caregiver_node: int):  # type: ignore[no-untyped-def]
        admin = self.client(admin_node)
        await admin.register(self.nodes[0].admin_invite)  # type: ignore[arg-type]
        worker = self.client(worker_node)
        await worker.register((await admin.create_invite("worker"))["link"])
        caregiver = self.client(caregiver_node)
        await caregiver.register((await worker.create_invite("caregiver"))["link"])
        return admin, worker, caregiver

    async def stop(self) -> None:
        for client in self.clients:
            await client.close()
        for node in self.nodes:
            if node.process is not None and node.process.returncode is None:
                node.process.send_signal(signal.SIGKILL)
                await node.process.wait()


@pytest.fixture
async def cluster(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
) -> AsyncIterator[Cluster]:
    if not postgres_server.running():
        postgres_server.start()
    dsn = await create_database(postgres_server)
    instance = Cluster(
        tmp_path, dsn, redis_server.url, loaded_conftest(request.config).RelayProcess
    )
    yield instance
    await instance.stop()
    if not postgres_server.running():
        await asyncio.to_thread(postgres_server.start)
    await drop_database(postgres_server, dsn)


class Inbox:
    """Envelope ids in the order they were delivered; wait for a given one."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._arrived = asyncio.Condition()

    async def __call__(self, envelope) -> None:  # type: ignore[no-untyped-def]
        async with self._arrived:
            self.ids.append(envelope.id)
            self._arrived.notify_all()

    async def wait_count(self, count: int) -> None:
        async with asyncio.timeout(WAIT), self._arrived:
            await self._arrived.wait_for(lambda: len(self.ids) >= count)

    async def wait_for(self, envelope_id: str) -> None:
        async with asyncio.timeout(WAIT), self._arrived:
            await self._arrived.wait_for(lambda: envelope_id in self.ids)


async def send_all(sender: RelayClient, to: str, ids: list[str], window: int = 8) -> set[str]:
    """Send in windows; return what was acknowledged (stops at the first refusal)."""
    acknowledged: set[str] = set()
    for start in range(0, len(ids), window):
        chunk = ids[start : start + window]
        results = await asyncio.gather(
            *(sender.send(to, eid.encode(), envelope_id=eid) for eid in chunk),
            return_exceptions=True,
        )
        for eid, result in zip(chunk, results, strict=True):
            if isinstance(result, RelayRefused):
                assert result.code == "unavailable", result  # the node is going away
            if isinstance(result, BaseException):
                assert isinstance(result, ConnectionLost | RelayRefused), result
                return acknowledged
            acknowledged.add(eid)
    return acknowledged


async def test_clients_on_three_nodes_exchange_both_ways_in_order_exactly_once(cluster):
    await cluster.start(3)
    worker_inbox, caregiver_inbox = Inbox(), Inbox()
    admin, worker, caregiver = await cluster.onboard(0, 1, 2)
    worker_here = cluster.client(1, worker.key, on_envelope=worker_inbox)
    caregiver_here = cluster.client(2, caregiver.key, on_envelope=caregiver_inbox)
    for client in (worker, caregiver):
        await client.close()
    await worker_here.connect()
    await caregiver_here.connect()

    to_caregiver = [f"to-caregiver-{i:04}" for i in range(150)]
    to_worker = [f"to-worker-{i:04}" for i in range(150)]
    # Both stay connected: only the Redis poke can bring a node's commit to the other node.
    sent = await asyncio.gather(
        send_all(worker_here, caregiver.device_id, to_caregiver),
        send_all(caregiver_here, worker.device_id, to_worker),
    )
    assert sent == [set(to_caregiver), set(to_worker)]
    await caregiver_inbox.wait_for(to_caregiver[-1])
    await worker_inbox.wait_for(to_worker[-1])
    assert caregiver_inbox.ids == to_caregiver
    assert worker_inbox.ids == to_worker

    # The admin on node 0 reaches the worker on node 1 as well.
    await admin.send(worker.device_id, b"hallo", envelope_id="admin-hello")
    await worker_inbox.wait_for("admin-hello")


async def test_sigkill_a_node_its_clients_carry_on_elsewhere_losing_nothing(cluster):
    await cluster.start(2)
    inbox = Inbox()
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)
    receiver = cluster.client(1, caregiver.key, on_envelope=inbox)
    await caregiver.close()
    await receiver.connect()
    leader = cluster.nodes[0]
    await asyncio.wait_for(_until(lambda: LEADER_LINE in leader.stderr_text()), WAIT)
    assert LEADER_LINE not in cluster.nodes[1].stderr_text(), "and only the first"

    ids = [f"envelope-{i:05}" for i in range(1200)]  # under the send burst limit
    sending = asyncio.ensure_future(send_all(worker, caregiver.device_id, ids))
    await inbox.wait_count(200)
    await leader.kill()  # the worker's node, mid-stream
    acknowledged = await asyncio.wait_for(sending, WAIT)
    assert len(acknowledged) < len(ids), "the kill should have interrupted the stream"

    # The worker reconnects to the surviving node and resends what was not acknowledged.
    worker_again = cluster.client(1, worker.key)
    await worker_again.connect()
    rest = [eid for eid in ids if eid not in acknowledged]
    assert await send_all(worker_again, caregiver.device_id, rest, window=64) == set(rest)
    await inbox.wait_for(ids[-1])
    assert acknowledged <= set(inbox.ids), "an acknowledged envelope was lost"
    assert len(inbox.ids) == len(set(inbox.ids)), "an envelope was delivered twice"
    assert set(inbox.ids) == set(ids)
    # The background jobs move to the survivor once the dead node's session is gone.
    survivor = cluster.nodes[1]
    await asyncio.wait_for(_until(lambda: LEADER_LINE in survivor.stderr_text()), WAIT)


async def test_a_redis_restart_mid_stream_delays_but_loses_nothing(cluster, redis_server):
    await cluster.start(2)
    inbox = Inbox()
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)
    receiver = cluster.client(1, caregiver.key, on_envelope=inbox)
    await caregiver.close()
    await receiver.connect()

    first = [f"before-{i:04}" for i in range(100)]
    assert await send_all(worker, caregiver.device_id, first) == set(first)
    await inbox.wait_for(first[-1])
    await asyncio.to_thread(redis_server.stop)
    during = [f"during-{i:04}" for i in range(50)]  # committed and acknowledged, not poked
    assert await send_all(worker, caregiver.device_id, during) == set(during)
    await asyncio.to_thread(redis_server.start)
    # The receiving node re-subscribes and drains its devices' mailboxes.
    await inbox.wait_for(during[-1])
    after = [f"after-{i:04}" for i in range(50)]
    assert await send_all(worker, caregiver.device_id, after) == set(after)
    await inbox.wait_for(after[-1])
    assert inbox.ids == first + during + after


async def test_a_postgres_restart_is_refused_clearly_then_recovered(cluster, postgres_server):
    await cluster.start(2)
    inbox = Inbox()
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)
    receiver = cluster.client(1, caregiver.key, on_envelope=inbox)
    await caregiver.close()
    await receiver.connect()
    await worker.send(caregiver.device_id, b"1", envelope_id="before-db-restart")
    await inbox.wait_for("before-db-restart")

    await asyncio.to_thread(postgres_server.stop)
    with pytest.raises(RelayRefused) as refused:
        await worker.send(caregiver.device_id, b"2", envelope_id="while-db-down")
    assert refused.value.code == "unavailable"  # an error code, never an acknowledgement
    await asyncio.to_thread(postgres_server.start)

    # Same nodes, same connections: the relay reconnects to the database by itself.
    await worker.send(caregiver.device_id, b"2", envelope_id="while-db-down")
    await inbox.wait_for("while-db-down")
    assert inbox.ids == ["before-db-restart", "while-db-down"]


async def _until(condition) -> None:  # type: ignore[no-untyped-def]
    """Wait for a line in another process's log: nothing there can signal us, so poll."""
    while not condition():  # noqa: ASYNC110 (no event to wait on across processes)
        await asyncio.sleep(0.05)


async def test_a_node_never_pushes_past_an_envelope_committed_on_another_node(
    request, tmp_path, postgres_server
):
    """Two in-process nodes on one database, deliberately without Redis (as if every poke
    were lost): the caregiver is connected to node B; the worker's first envelope commits
    on node A, the admin's second on node B. B must not push number 2 live over number 1,
    which it never saw: the caregiver would acknowledge 2 and so delete 1 undelivered."""
    from aiohttp.test_utils import TestServer

    from relay.app import CONTEXT, create_app
    from relay.clock import FakeClock
    from relay.config import RelayConfig

    if not postgres_server.running():
        postgres_server.start()
    dsn = await create_database(postgres_server)
    in_process_relay = loaded_conftest(request.config).InProcessRelay
    servers, relays = [], []
    try:
        for name in ("a", "b"):
            config = RelayConfig(
                host="127.0.0.1",
                port=0,
                data_dir=tmp_path / name,
                database_url=dsn,
                key_dir=tmp_path / "keys",
                audit_key=tmp_path / "audit-log.key",
            )
            app = create_app(config, clock=FakeClock())
            server = TestServer(app, host="127.0.0.1", port=0)
            await server.start_server()
            servers.append(server)
            url = str(server.make_url("")).rstrip("/")
            relays.append(in_process_relay(url, app[CONTEXT], app[CONTEXT].clock))
        node_a, node_b = relays
        admin, worker, caregiver = await node_a.onboard()
        inbox = Inbox()
        on_b = node_b.client(caregiver.key, on_envelope=inbox)
        await caregiver.close()
        await on_b.connect()

        await worker.send(caregiver.device_id, b"1", envelope_id="first-via-a")
        admin_on_b = node_b.client(admin.key)
        await admin_on_b.connect()
        await admin_on_b.send(caregiver.device_id, b"2", envelope_id="second-via-b")
        await inbox.wait_for("second-via-b")
        assert inbox.ids == ["first-via-a", "second-via-b"]
        for relay in relays:
            for client in relay.clients:
                await client.close()
    finally:
        for server in servers:
            await server.close()
        await drop_database(postgres_server, dsn)


def test_the_benchmark_puts_consecutive_devices_on_different_nodes():
    pool = ClientPool("http://a:1, http://b:2,http://c:3")
    assert [pool.next_url() for _ in range(4)] == [
        "http://a:1", "http://b:2", "http://c:3", "http://a:1",
    ]  # fmt: skip
    assert ClientPool("http://a:1").next_url() == "http://a:1"


async def test_the_benchmark_spreads_devices_over_the_nodes_it_is_given(cluster):
    """`steuntje bench --url A,B`: every pair's devices sit on different nodes, so every
    envelope crosses through PostgreSQL and Redis; nothing is lost or delivered twice."""
    await cluster.start(2)
    urls = ",".join(node.url for node in cluster.nodes)
    command = [
        sys.executable, "-m", "steuntje_cli", "bench", "--url", urls,
        "--admin-invite", cluster.nodes[0].admin_invite,
        "--pairs", "4", "--messages", "25", "--no-crypto", "--json",
    ]  # fmt: skip
    result = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    (run,) = figures["runs"]
    assert run["delivered"] == 100 and figures["lost"] == 0 and figures["duplicated"] == 0


async def test_a_sender_on_one_node_is_told_of_delivery_on_another(cluster):
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)  # worker on A, caregiver on B
    sent = await worker.send(caregiver.device_id, b"over de grens")  # B receives and acks
    assert await asyncio.wait_for(worker.delivered.get(), WAIT) == [sent]


async def test_a_group_member_removed_on_one_node_is_refused_on_another(cluster):
    """Node B cached that Bob may send to Ann's handle; the facilitator removes Bob on node
    A. B must hear of it (a "forget" note through Redis) and refuse Bob from then on."""
    from test_groups_relay import Handle, change, join, start_group, ticket_for

    await cluster.start(2)
    admin, worker, ann = await cluster.onboard(0, 0, 0)
    bob = cluster.client(1)
    await bob.register((await worker.create_invite("caregiver"))["link"])
    fac, a, b = Handle(worker), Handle(ann), Handle(bob)
    group = await start_group(fac)
    now = int(time.time())
    group = await join(group, a, ticket_for(group, fac, now))
    group = await join(group, b, ticket_for(group, fac, now))
    await bob.send(a.id, b"voor het weggaan")  # node B now holds the route in its cache
    await change(group, fac, "remove", member=b.id)
    assert await asyncio.wait_for(bob.group_changes.get(), WAIT) == group.id
    accepted_after = 0
    async with asyncio.timeout(WAIT):
        while True:  # each try is a round trip to node B, no sleeping
            try:
                await bob.send(a.id, b"na het weggaan")
            except RelayRefused as error:
                assert error.code == "not_a_member"
                break
            accepted_after += 1
    # The window is the time a note takes through Redis: a few envelopes at most.
    assert accepted_after <= 3
