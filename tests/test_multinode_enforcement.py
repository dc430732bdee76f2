"""A decision taken on one relay node holds on every node at once (issue 13, items 3-8).

Two real `steuntje serve` processes share one PostgreSQL database and one Redis, as in
deploy/compose.yaml; the admin acts on one node while the person it concerns is connected
to the other. What a node decides that ends or narrows a live connection's rights (revoke,
disable, erase, hand-over, a sign-in elsewhere) must reach the connection on the other node
within a second; case and device-list changes must be announced there too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import test_multinode
from test_multinode import WAIT, Cluster

from steuntje_client import ConnectionLost, RelayClient, RelayRefused

cluster = test_multinode.cluster  # the fixture: PostgreSQL, Redis, nodes as processes

CUT_OFF_S = 1.0  # the promise: a decision reaches the node holding the connection in 1 s


async def cut_off(client: RelayClient, reason: str) -> None:
    """The client is told `reason` and disconnected within CUT_OFF_S. (Not `wait_closed`:
    python-socketio's `wait` lingers a second after the disconnect by design.)"""
    assert client._lost is not None
    async with asyncio.timeout(CUT_OFF_S):
        await asyncio.shield(client._lost)  # resolved by the client's disconnect handler
    assert client.revoked == reason
    assert not client.connected


async def announced(queue: asyncio.Queue[str], subject: str) -> None:
    """`subject` arrives on one of the client's notice queues (case or device changes)."""
    async with asyncio.timeout(WAIT):
        while await queue.get() != subject:
            pass


async def cannot_send(client: RelayClient, to: str, envelope_id: str) -> None:
    with pytest.raises((ConnectionLost, RelayRefused)):
        await client.send(to, b"na het besluit", envelope_id=envelope_id)


async def next_envelope_id(client: RelayClient) -> str:
    return (await asyncio.wait_for(client.envelopes.get(), WAIT)).id


async def test_a_device_revoked_on_one_node_is_cut_off_on_the_other(cluster: Cluster):
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)  # the caregiver is on node B
    await caregiver.send(worker.device_id, b"hallo", envelope_id="before-revoke")
    assert await next_envelope_id(worker) == "before-revoke"  # node B now caches the route

    await admin.revoke_device(caregiver.device_id)  # on node A
    await cut_off(caregiver, "device_revoked")
    await cannot_send(caregiver, worker.device_id, "after-revoke")
    # The worker's mailbox is in order: had "after-revoke" been stored, it would come first.
    await admin.send(worker.device_id, b"controle", envelope_id="control-envelope")
    assert await next_envelope_id(worker) == "control-envelope"
    with pytest.raises(RelayRefused) as refused:
        await cluster.client(1, caregiver.key).connect()
    assert refused.value.code == "device_revoked"


async def test_a_revocation_made_while_redis_was_away_still_reaches_the_other_node(
    cluster: Cluster, redis_server
):
    """The note is lost (Redis is down when it is published); node B rechecks its
    connected devices when it resubscribes and drops the revoked one."""
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)
    await asyncio.to_thread(redis_server.stop)
    await admin.revoke_device(caregiver.device_id)  # committed; its note goes nowhere
    assert caregiver.connected
    await asyncio.to_thread(redis_server.start)
    assert caregiver._lost is not None
    await asyncio.wait_for(asyncio.shield(caregiver._lost), WAIT)  # after the resubscribe
    assert caregiver.revoked == "device_revoked"


async def test_an_account_disabled_on_one_node_is_disconnected_on_the_other(cluster: Cluster):
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 1, 0)  # the worker is on node B
    laptop = cluster.client(1)
    await laptop.register((await worker.link_device())["link"])  # two devices on node B

    await admin.set_account_status(worker.account_id, "disabled")
    await cut_off(worker, "account_disabled")
    await cut_off(laptop, "account_disabled")
    await cannot_send(worker, caregiver.device_id, "after-disable")
    await admin.send(caregiver.device_id, b"controle", envelope_id="control-envelope")
    assert await next_envelope_id(caregiver) == "control-envelope"


async def test_an_erasure_on_one_node_reaches_devices_and_case_team_on_the_other(
    cluster: Cluster,
):
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 1, 0)  # worker on B, caregiver on A
    tablet = cluster.client(1)
    await tablet.register((await caregiver.link_device())["link"])  # on node B
    await announced(worker.device_changes, caregiver.account_id)  # (the new device)

    await caregiver.erase_account()  # on node A
    await cut_off(tablet, "account_erased")
    await announced(worker.device_changes, caregiver.account_id)  # the worker on node B
    await cannot_send(tablet, worker.device_id, "after-erasure")


async def test_a_hand_over_on_one_node_reaches_every_member_on_the_other(cluster: Cluster):
    """The worker hands the case over on node A; the worker's phone, the new worker and
    the caregiver are on node B. All are told, and the phone loses the case."""
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)
    phone = cluster.client(1)
    await phone.register((await worker.link_device())["link"])
    successor = cluster.client(1)
    await successor.register((await admin.create_invite("worker"))["link"])
    (case,) = await worker.cases()
    await phone.send(caregiver.device_id, b"voor de overdracht")  # node B caches the route

    await worker.hand_over_case(case["id"], successor.account_id)
    for member in (phone, successor, caregiver):
        await announced(member.case_changes, case["id"])
    assert await phone.cases() == []
    with pytest.raises(RelayRefused) as refused:
        await phone.send(caregiver.device_id, b"na de overdracht")
    assert refused.value.code == "not_permitted"


async def test_a_device_linked_on_one_node_is_announced_to_a_worker_on_the_other(
    cluster: Cluster,
):
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 0, 0)
    tablet = cluster.client(1)
    await tablet.register((await caregiver.link_device())["link"])  # registers on node B
    await announced(worker.device_changes, caregiver.account_id)
    assert tablet.device_id in await worker.devices_of(caregiver.account_id)


async def test_signing_in_on_another_node_replaces_the_older_connection(cluster: Cluster):
    """PROTOCOL.md §2: one connection per device, across the cluster."""
    await cluster.start(2)
    admin, worker, caregiver = await cluster.onboard(0, 0, 1)
    again = cluster.client(0, caregiver.key)
    await again.connect()
    await cut_off(caregiver, "replaced")
    assert (await again.whoami())["device"] == caregiver.device_id
    await worker.send(caregiver.device_id, b"naar de nieuwe", envelope_id="after-replacing")
    assert await next_envelope_id(again) == "after-replacing"


async def test_two_nodes_starting_on_an_empty_database_make_one_admin_invite(cluster: Cluster):
    nodes = [cluster.process_class(cluster.root / f"node{n}", cluster.args) for n in range(2)]
    cluster.nodes.extend(nodes)
    await asyncio.gather(*(node.start() for node in nodes))  # both race for the first invite
    invites = [node.admin_invite for node in nodes if node.admin_invite is not None]
    assert len(invites) == 1, invites
    (quiet,) = [node for node in nodes if node.admin_invite is None]
    assert "steuntje admin invite" in "".join(quiet.stdout_lines)
    admin = cluster.client(0)
    assert (await admin.register(invites[0]))["role"] == "admin"
    # A restart before anyone registered would not make a second one either.
    await quiet.terminate()
    await quiet.start()
    assert quiet.admin_invite is None


@pytest.mark.parametrize("option", ["--key-dir", "--audit-key"])
async def test_a_node_with_other_keys_is_refused_in_one_line_naming_the_option(
    cluster: Cluster, option: str, tmp_path: Path
):
    await cluster.start(1)
    args = list(cluster.args)
    other = tmp_path / "other"
    args[args.index(option) + 1] = str(other / ("epoch-keys" if option == "--key-dir" else "k"))
    stray = cluster.process_class(tmp_path / "stray", tuple(args))
    with pytest.raises(RuntimeError, match="exited during start"):
        await stray.start()
    assert await stray.process.wait() == 2
    stderr = stray.stderr_text()
    assert "Traceback" not in stderr, stderr
    (refusal,) = [line for line in stderr.splitlines() if line.startswith("steuntje:")]
    assert refusal.startswith(f"steuntje: {option} ") and "other relay nodes" in refusal


# -- one node suffices: the caller's own connection -----------------------------------------


@pytest.mark.parametrize("how", ["account", "device"])
async def test_an_admin_closing_their_own_access_gets_the_reply_first(relay, how: str):
    """Issue 13 item 3: the reply, then `revoked`, then the disconnect."""
    admin, worker, caregiver = await relay.onboard()
    second = relay.client()
    await second.register((await admin.create_invite("admin"))["link"])  # not the last admin
    if how == "account":
        await admin.set_account_status(admin.account_id, "disabled")
        reason = "account_disabled"
    else:
        await admin.revoke_device(admin.device_id)
        reason = "device_revoked"
    await asyncio.wait_for(admin.wait_closed(), WAIT)
    assert admin.revoked == reason
    accounts = {a["id"]: a for a in await second.accounts()}
    expected = "disabled" if how == "account" else "active"
    assert accounts[admin.account_id]["status"] == expected


# -- the retention report describes the database in use ------------------------------------


@pytest.mark.parametrize(
    ("options", "says", "never"),
    [
        (("--database", "postgresql://steuntje@127.0.0.1/steuntje"), "PostgreSQL", "secure_delete"),
        (("--data", "{tmp}"), "SQLite secure_delete", "PostgreSQL"),
    ],
)
def test_the_retention_report_describes_the_database_in_use(options, says, never, tmp_path):
    """Issue 13 item 7: PostgreSQL has no secure delete and its WAL is not ours to truncate;
    the report must not claim otherwise (it needs no connection: the backend is enough)."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "-m", "relay", "retention", "report", "--format", "json"]
    command += [option.format(tmp=tmp_path) for option in options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    (leftovers,) = [row for row in rows if row["data"].startswith("copies of deleted rows")]
    text = " ".join(leftovers.values())
    assert says in text and never not in result.stdout
    if says == "PostgreSQL":  # honest: only crypto-shredding covers it, and only bodies
        assert leftovers["status"].startswith("partly enforced")
        assert "epoch key" in leftovers["worst_case_delay"]


async def test_a_node_acts_only_on_well_formed_notes_from_other_nodes(relay, caplog):
    """What another node's note may make this node do: drop a device for a known reason,
    or emit case_changed/devices_changed with a well-formed id. Nothing else."""
    from relay.notify import heard_from_other_node

    admin, worker, caregiver = await relay.onboard()
    for note in (
        {"drop": [caregiver.device_id], "reason": "because"},  # unknown reason
        {"drop": caregiver.device_id, "reason": "device_revoked"},  # not a list
        {"tell": "revoked", "subject": caregiver.account_id, "accounts": [worker.account_id]},
        {"tell": "case_changed", "subject": "<script>", "accounts": [worker.account_id]},
    ):
        heard_from_other_node(relay.ctx, note)
    assert caplog.text.count("ignored a malformed note from another node") == 4
    heard_from_other_node(
        relay.ctx,
        {"tell": "devices_changed", "subject": admin.account_id, "accounts": [worker.account_id]},
    )
    assert await asyncio.wait_for(worker.device_changes.get(), WAIT) == admin.account_id
    assert caregiver.connected and caregiver.revoked is None
    heard_from_other_node(relay.ctx, {"drop": [caregiver.device_id], "reason": "replaced"})
    await cut_off(caregiver, "replaced")


async def test_prekeys_low_reaches_a_device_on_the_other_node(cluster: Cluster):
    """A member on node A drains the one-time prekeys of a device connected to node B: the
    device hears `prekeys_low` there, so it tops them up before they run out."""
    from crypto import DeviceKeys
    from steuntje_client import DeviceKey

    await cluster.start(2)
    admin, worker, _ = await cluster.onboard(0, 0, 0)
    keys = DeviceKeys.generate(1_790_000_000, one_time_prekeys=12)
    caregiver = cluster.client(1, DeviceKey.from_seed(keys.identity.signing_seed))
    await caregiver.register((await worker.create_invite("caregiver"))["link"])
    one_time = [(key_id, key.public_key) for key_id, key in keys.one_time_prekeys.items()]
    await caregiver.upload_prekeys(keys.bundle().to_bytes()[:229], one_time)
    for _ in range(2):
        await worker.fetch_prekeys(caregiver.device_id)  # on node A
    assert await asyncio.wait_for(caregiver.prekeys_low.get(), WAIT) == 10
