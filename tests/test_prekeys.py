"""The prekey directory: devices publish real crypto/ bundles; others fetch them, each
one-time prekey exactly once; then an end-to-end encrypted exchange through the relay in
which the plaintext never reaches the relay's database or logs."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from crypto import DeviceKeys, PrekeyBundle, accept_session, start_session
from helpers import WAIT, error_code, raw_call, receive
from steuntje_client import DeviceKey, RelayClient, RelayRefused

NOW = 1_790_000_000


def signed_part(keys: DeviceKeys) -> bytes:
    return keys.bundle().to_bytes()[:229]


async def publish(client: RelayClient, keys: DeviceKeys, count: int | None = None) -> int:
    one_time = [(key_id, key.public_key) for key_id, key in keys.one_time_prekeys.items()]
    return await client.upload_prekeys(signed_part(keys), one_time[:count])


async def crypto_onboard(relay):
    """Like onboard(), but the worker's and caregiver's device keys are crypto/ DeviceKeys."""
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    worker_keys = DeviceKeys.generate(NOW, one_time_prekeys=20)
    worker = relay.client(DeviceKey.from_seed(worker_keys.identity.signing_seed))
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver_keys = DeviceKeys.generate(NOW, one_time_prekeys=20)
    caregiver = relay.client(DeviceKey.from_seed(caregiver_keys.identity.signing_seed))
    await caregiver.register((await worker.create_invite("caregiver"))["link"])
    return worker, worker_keys, caregiver, caregiver_keys


async def test_a_fetched_bundle_verifies_and_each_one_time_prekey_goes_once(relay):
    worker, _, caregiver, caregiver_keys = await crypto_onboard(relay)
    assert await publish(caregiver, caregiver_keys) == 20
    first = PrekeyBundle.from_bytes(await worker.fetch_prekeys(caregiver.device_id))
    second = PrekeyBundle.from_bytes(await worker.fetch_prekeys(caregiver.device_id))
    first.verify()
    assert (
        first.identity.signing_key
        == DeviceKey.from_seed(caregiver_keys.identity.signing_seed).key_bytes()
    )
    assert first.one_time_prekey_id != second.one_time_prekey_id
    assert (await caregiver.prekey_status())["one_time"] == 18


async def test_concurrent_fetchers_never_share_a_one_time_prekey(relay):
    worker, _, caregiver, caregiver_keys = await crypto_onboard(relay)
    await publish(caregiver, caregiver_keys, count=20)
    bundles = await asyncio.gather(*(worker.fetch_prekeys(caregiver.device_id) for _ in range(25)))
    ids = [PrekeyBundle.from_bytes(b).one_time_prekey_id for b in bundles]
    used = [i for i in ids if i != 0]
    assert len(used) == 20 and len(set(used)) == 20
    assert ids.count(0) == 5  # once they run out, bundles come without one


async def test_the_device_is_told_when_its_one_time_prekeys_run_low(relay):
    worker, _, caregiver, caregiver_keys = await crypto_onboard(relay)
    await publish(caregiver, caregiver_keys, count=12)
    for _ in range(2):
        await worker.fetch_prekeys(caregiver.device_id)
    assert await asyncio.wait_for(caregiver.prekeys_low.get(), WAIT) == 10
    # and again at the next sign-in, until it uploads more
    again = relay.client(caregiver.key)
    await again.connect()
    assert await asyncio.wait_for(again.prekeys_low.get(), WAIT) == 10


async def test_fetching_prekeys_in_a_loop_is_limited(relay):
    worker, _, caregiver, caregiver_keys = await crypto_onboard(relay)
    await publish(caregiver, caregiver_keys)
    for _ in range(40):
        await worker.fetch_prekeys(caregiver.device_id)
    others = await asyncio.gather(
        *(worker.fetch_prekeys(caregiver.device_id) for _ in range(30)), return_exceptions=True
    )
    refused = [r for r in others if isinstance(r, RelayRefused)]
    assert len(refused) == 10 and {r.code for r in refused} == {"too_many_attempts"}
    assert (await caregiver.prekey_status())["one_time"] == 0  # 20 published, 60 fetches
    relay.clock.advance(60)
    await worker.fetch_prekeys(caregiver.device_id)


async def test_prekeys_are_only_handed_to_those_who_may_send(relay):
    worker, _, caregiver, caregiver_keys = await crypto_onboard(relay)
    stranger = relay.client()
    await stranger.register((await worker.create_invite("caregiver"))["link"])
    with pytest.raises(RelayRefused) as refused:
        await worker.fetch_prekeys(caregiver.device_id)
    assert refused.value.code == "no_prekeys"
    await publish(caregiver, caregiver_keys)
    with pytest.raises(RelayRefused) as refused:
        await stranger.fetch_prekeys(caregiver.device_id)
    assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await worker.fetch_prekeys(DeviceKey.generate().device_id)
    assert refused.value.code == "unknown_device"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"signed": "text"}, "malformed"),
        ({"signed": b"x" * 513}, "malformed"),
        ({"one_time_ids": [1, 2], "one_time_keys": b"k" * 32}, "malformed"),
        ({"one_time_ids": [0], "one_time_keys": b"k" * 32}, "malformed"),
        ({"one_time_ids": [5, 5], "one_time_keys": b"k" * 64}, "malformed"),
        (
            {"one_time_ids": list(range(1, 102)), "one_time_keys": b"k" * 32 * 101},
            "too_many_prekeys",
        ),
    ],
)
async def test_bad_prekey_uploads_are_refused(relay, data, code):
    _, _, caregiver, _ = await crypto_onboard(relay)
    assert error_code(await raw_call(caregiver, "prekeys_upload", data)) == code
    assert (await caregiver.prekey_status())["one_time"] == 0


async def test_the_relay_keeps_at_most_500_one_time_prekeys(relay):
    _, _, caregiver, _ = await crypto_onboard(relay)
    for start in range(1, 501, 100):
        keys = [(i, bytes([i % 256]) * 32) for i in range(start, start + 100)]
        await caregiver.upload_prekeys(None, keys)
    with pytest.raises(RelayRefused) as refused:
        await caregiver.upload_prekeys(None, [(501, b"k" * 32)])
    assert refused.value.code == "too_many_prekeys"
    assert (await caregiver.prekey_status())["one_time"] == 500


async def test_new_and_revoked_devices_are_announced_to_correspondents(relay):
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    worker = relay.client()
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver = relay.client()
    await caregiver.register((await worker.create_invite("caregiver"))["link"])
    tablet = relay.client()
    await tablet.register((await caregiver.link_device())["link"])
    assert await asyncio.wait_for(worker.device_changes.get(), WAIT) == caregiver.account_id
    assert await asyncio.wait_for(caregiver.device_changes.get(), WAIT) == caregiver.account_id
    await admin.revoke_device(tablet.device_id)
    assert await asyncio.wait_for(worker.device_changes.get(), WAIT) == caregiver.account_id
    assert await worker.devices_of(caregiver.account_id) == [caregiver.device_id]
    with pytest.raises(RelayRefused) as refused:
        await worker.fetch_prekeys(tablet.device_id)
    assert refused.value.code == "unknown_device"


async def test_encrypted_exchange_keeps_plaintext_off_the_relay(relay_process):
    url = relay_process.url
    admin = RelayClient(url, DeviceKey.generate())
    await admin.register(relay_process.admin_invite)
    worker_keys = DeviceKeys.generate(NOW, one_time_prekeys=5)
    worker = RelayClient(url, DeviceKey.from_seed(worker_keys.identity.signing_seed))
    await worker.register((await admin.create_invite("worker"))["link"])
    caregiver_keys = DeviceKeys.generate(NOW, one_time_prekeys=5)
    caregiver = RelayClient(url, DeviceKey.from_seed(caregiver_keys.identity.signing_seed))
    await caregiver.register((await worker.create_invite("caregiver"))["link"])
    await publish(caregiver, caregiver_keys)

    plaintexts = [
        f"Hoe gaat het vandaag met je moeder? PLAINTEXT-{i:03}".encode() for i in range(20)
    ]
    bundle = PrekeyBundle.from_bytes(await worker.fetch_prekeys(caregiver.device_id))
    session, first = start_session(worker_keys, bundle, NOW, plaintext=plaintexts[0])
    envelopes = [first] + [session.encrypt(p, NOW) for p in plaintexts[1:]]
    await asyncio.gather(*(worker.send(caregiver.device_id, e) for e in envelopes))
    received = await receive(caregiver, len(envelopes))
    theirs, opened = accept_session(caregiver_keys, received[0].body, NOW)
    decrypted = [opened] + [theirs.decrypt(e.body, NOW) for e in received[1:]]
    assert decrypted == plaintexts
    reply = theirs.encrypt(b"Goed, dank je! ANTWOORD-PLAINTEXT", NOW)
    await caregiver.send(worker.device_id, reply)
    (answer,) = await receive(worker, 1)
    assert session.decrypt(answer.body, NOW) == b"Goed, dank je! ANTWOORD-PLAINTEXT"

    # Scan every byte the relay wrote while it was still running (database + WAL) ...
    database = relay_process.data_dir / "steuntje.sqlite3"
    on_disk = database.read_bytes() + database.with_name(database.name + "-wal").read_bytes()
    for client in (admin, worker, caregiver):
        await client.close()
    assert await relay_process.terminate() == 0
    on_disk += database.read_bytes()  # ... and after it folded the WAL in
    logs = "".join(relay_process.stdout_lines) + relay_process.stderr_text()
    for marker in (b"PLAINTEXT", b"ANTWOORD", b"moeder"):
        assert marker not in on_disk
        assert marker.decode() not in logs
    # the relay did store the ciphertext while it waited (so the scan looked at real data)
    assert sqlite3.connect(database).execute("SELECT count(*) FROM sent_ids").fetchone()[0] == 21
