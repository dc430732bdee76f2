"""Fan-out: a message goes to every device of the other account and to the sender's own
other devices, between browser and Python devices; a new device of the other account is
announced and un-verifies it; prekeys are published at registration."""

from __future__ import annotations

import time

from test_lib_support import BrowserDevice, next_message, open_page, python_worker

from crypto import DeviceKeys, PrekeyBundle
from crypto import start_session as x3dh_start
from steuntje_client.messages import Message, encode
from steuntje_client.secure import SecureClient

NOW = int(time.time())


async def test_fan_out_to_every_device_of_both_accounts(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    phone = BrowserDevice(page, "phone")
    await phone.open()
    me = await phone.call(
        "register",
        (await worker.relay.create_invite("caregiver"))["link"] + "&fp=" + worker.device_id,
    )
    status = await phone.call("request", "prekeys_status", {})
    assert status["one_time"] == 100 and status["signed"]

    # The caregiver's second device, linked from the first (same account).
    link = await phone.call("linkDevice")
    assert link["link"].endswith("&fp=" + me["deviceId"])
    tablet = BrowserDevice(page, "tablet")
    await tablet.open()
    tablet_me = await tablet.call("register", link["link"])
    assert tablet_me["accountId"] == me["accountId"] and tablet_me["deviceId"] != me["deviceId"]

    # Python → both browser devices.
    await worker.send_text(me["accountId"], "Voor al je apparaten")
    for device in (phone, tablet):
        [got] = await device.wait_messages(worker.account_id, 1)
        assert got["fields"] == {"text": "Voor al je apparaten"} and not got["outgoing"]

    # Browser phone → the worker, and a copy to the tablet filed under the same conversation.
    sent = await phone.call("send", worker.account_id, "text", {"text": "Vanaf mijn telefoon"})
    received = await next_message(worker)
    assert received.message.id == sent["id"] and received.sender_device == me["deviceId"]
    copy = (await tablet.wait_messages(worker.account_id, 2))[-1]
    assert copy["id"] == sent["id"] and copy["outgoing"] and copy["from"] == me["accountId"]

    # The worker adds a device: the caregiver hears of it and must verify again.
    assert await phone.call("verified", worker.account_id) is True
    second = SecureClient(relay.url, DeviceKeys.generate(NOW))
    await second.register((await worker.relay.link_device())["link"])
    log = await phone.page.wait_for_function(
        "n => harness.log(n).identity.length > 0 && harness.log(n).identity", arg="phone"
    )
    assert await log.json_value() == [{"accountId": worker.account_id}]
    assert await phone.call("verified", worker.account_id) is False

    sent = await tablet.call(
        "send", worker.account_id, "nudge", {"emoji": "💛", "template": "thinking_of_you"}
    )
    for client in (worker, second):
        got = await next_message(client)
        assert got.message.id == sent["id"] and got.message.fields["emoji"] == "💛"
    await phone.wait_messages(worker.account_id, 3)  # the phone's copy of the tablet's nudge
    await worker.close()
    await second.close()
    await context.close()


async def test_one_time_prekeys_are_topped_up_when_low(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    second = SecureClient(relay.url, DeviceKeys.generate(NOW))  # the worker's second device
    await second.register((await worker.relay.link_device())["link"])
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    me = await caregiver.call("register", (await worker.relay.create_invite("caregiver"))["link"])
    # 90 bundles fetched (two connections: 60 a minute each) leave 10: the relay says
    # prekeys_low, and the browser publishes new ones up to 100.
    for client, count in ((worker.relay, 50), (second.relay, 40)):
        for _ in range(count):
            await client.fetch_prekeys(me["deviceId"])
    status = await caregiver.until("request", ["prekeys_status", {}], "value.one_time === 100")
    assert status["signed"] is True
    # Sessions still start from the remaining and the new one-time prekeys.
    await worker.send_text(me["accountId"], "Na het aanvullen")
    [got] = await caregiver.wait_messages(worker.account_id, 1)
    assert got["fields"] == {"text": "Na het aanvullen"}
    await worker.close()
    await second.close()
    await context.close()


async def test_the_signed_prekey_is_rotated_after_a_week(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    me = await caregiver.call("register", (await worker.relay.create_invite("caregiver"))["link"])
    first = PrekeyBundle.from_bytes(await worker.relay.fetch_prekeys(me["deviceId"]))

    await caregiver.call("disconnect")
    await page.evaluate("harness.setClockOffset('caregiver', 8 * 86400)")
    seen = (await caregiver.log())["conversation"]
    await caregiver.call("connect")
    # The case list is read after the new signed prekey went up.
    await page.wait_for_function(
        "([n, k]) => harness.log(n).conversation > k", arg=["caregiver", seen]
    )
    second = PrekeyBundle.from_bytes(await worker.relay.fetch_prekeys(me["deviceId"]))
    assert second.verify() and second.identity == first.identity
    assert second.signed_prekey_id != first.signed_prekey_id
    # A session from the old bundle still works (the old signed prekey has a grace period).
    late = encode(Message("text", {"text": "met de oude sleutel"}, me["accountId"], NOW))
    _, envelope = x3dh_start(worker.keys, first, NOW, plaintext=late)
    await worker.relay.send(me["deviceId"], envelope)
    [got] = await caregiver.wait_messages(worker.account_id, 1)
    assert got["fields"] == {"text": "met de oude sleutel"}
    await worker.close()
    await context.close()
