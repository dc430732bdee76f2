"""An admin lists, disables and revokes accounts and devices; revocation acts at once."""

from __future__ import annotations

import asyncio

import pytest

from helpers import WAIT, receive
from steuntje_client import RelayClient, RelayRefused


async def test_admin_lists_the_organisations_accounts_and_devices(relay):
    admin, worker, caregiver = await relay.onboard()
    accounts = {a["id"]: a for a in await admin.accounts()}
    assert {a["role"] for a in accounts.values()} == {"admin", "worker", "caregiver"}
    (device,) = accounts[caregiver.account_id]["devices"]
    assert (device["id"], device["status"], device["online"]) == (
        caregiver.device_id,
        "active",
        True,
    )


async def test_a_revoked_device_is_cut_off_at_once_and_for_good(relay):
    admin, worker, caregiver = await relay.onboard()
    await caregiver.close()
    await worker.send(caregiver.device_id, b"wacht in de brievenbus")
    phone = relay.client(caregiver.key)
    await phone.connect()
    await receive(phone, 1)
    await worker.send(caregiver.device_id, b"nog een")  # held back by the test below
    await admin.revoke_device(caregiver.device_id)
    await asyncio.wait_for(phone.wait_closed(), WAIT)
    assert phone.revoked == "device_revoked"
    with pytest.raises(RelayRefused) as refused:
        await RelayClient(relay.url, caregiver.key).connect()
    assert refused.value.code == "device_revoked"
    with pytest.raises(RelayRefused) as refused:
        await worker.send(caregiver.device_id, b"komt nooit aan")
    assert refused.value.code == "unknown_device"
    # Nothing stays behind for a device that can never fetch it.
    assert await relay.ctx.storage.read_mailbox(caregiver.device_id, 0, 10, relay.ctx.now()) == []


async def test_a_disabled_account_is_disconnected_until_enabled_again(relay):
    admin, worker, caregiver = await relay.onboard()
    await admin.set_account_status(worker.account_id, "disabled")
    await asyncio.wait_for(worker.wait_closed(), WAIT)
    assert worker.revoked == "account_disabled"
    with pytest.raises(RelayRefused) as refused:
        await RelayClient(relay.url, worker.key).connect()
    assert refused.value.code == "account_disabled"
    await caregiver.send(worker.device_id, b"voor als je terug bent")
    await admin.set_account_status(worker.account_id, "active")
    back = relay.client(worker.key)
    await back.connect()
    assert (await receive(back, 1))[0].body == b"voor als je terug bent"


async def test_revoking_an_account_revokes_all_its_devices(relay):
    admin, worker, caregiver = await relay.onboard()
    tablet = relay.client()
    await tablet.register((await caregiver.link_device())["link"])
    await admin.set_account_status(caregiver.account_id, "revoked")
    await asyncio.wait_for(tablet.wait_closed(), WAIT)
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    for key in (caregiver.key, tablet.key):
        with pytest.raises(RelayRefused) as refused:
            await RelayClient(relay.url, key).connect()
        assert refused.value.code == "device_revoked"
    with pytest.raises(RelayRefused) as refused:
        await admin.set_account_status(caregiver.account_id, "active")
    assert refused.value.code == "unknown_account"


async def test_the_last_admin_cannot_lock_the_organisation_out(relay):
    admin, _, _ = await relay.onboard()
    with pytest.raises(RelayRefused) as refused:
        await admin.set_account_status(admin.account_id, "disabled")
    assert refused.value.code == "last_admin"


async def test_admin_actions_stay_inside_the_organisation(relay):
    admin, worker, _ = await relay.onboard()
    with pytest.raises(RelayRefused) as refused:
        await admin.set_account_status("acc_" + "B" * 22, "disabled")
    assert refused.value.code == "unknown_account"
    with pytest.raises(RelayRefused) as refused:
        await admin.revoke_device("C" * 43)
    assert refused.value.code == "unknown_device"
