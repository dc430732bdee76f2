"""Errors reach the caller of the browser library as the protocol's codes (PROTOCOL §7):
bad, used and expired invites, an unreachable relay, invalid messages, and a message to
someone the device may not write to."""

from __future__ import annotations

import base64
import os
import time

import pytest
from test_lib_support import BrowserDevice, CallFailed, open_page, python_worker

NOW = int(time.time())


async def test_bad_invites_give_the_protocol_error_code(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    device = BrowserDevice(page, "newcomer")
    await device.open()

    unknown = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    with pytest.raises(CallFailed) as refused:
        await device.call("register", f"{relay.url}/#invite={unknown}")
    assert (refused.value.code, refused.value.error_name) == ("invite_invalid", "RelayError")

    with pytest.raises(CallFailed) as refused:
        await device.call("register", f"{relay.url}/#nothing=here")
    assert refused.value.code == "invite_invalid"  # refused before it reaches the relay

    expiring = await relay.invite("caregiver", ttl_s=60)
    relay.clock.advance(61)
    with pytest.raises(CallFailed) as refused:
        await device.call("register", expiring)
    assert refused.value.code == "invite_expired"

    link = (await worker.relay.create_invite("caregiver"))["link"]
    other = BrowserDevice(page, "other")
    await other.open()
    await other.call("register", link)
    with pytest.raises(CallFailed) as refused:
        await device.call("register", link)
    assert refused.value.code == "invite_used"
    assert await device.state() == "offline" and (await device.me()) is None
    await worker.close()
    await context.close()


async def test_unreachable_relay_is_connection_lost(relay, browser):
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    await page.evaluate(
        """async () => {
            const { openMessenger } = await import('/app/lib/messenger.js');
            const options = { relayUrl: 'http://127.0.0.1:9', storeName: 'away' };
            globalThis.away = await openMessenger(options);
        }"""
    )
    token = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    code = await page.evaluate(
        "async (t) => { try { await away.register('http://127.0.0.1:9/#invite=' + t); }"
        " catch (e) { return [e.name, e.code]; } }",
        token,
    )
    assert code == ["ConnectionLost", "connection_lost"]
    await context.close()


async def test_invalid_messages_and_forbidden_recipients(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    await caregiver.call("register", (await worker.relay.create_invite("caregiver"))["link"])

    for kind, fields in [
        ("shout", {"text": "x"}),
        ("text", {"text": 5}),
        ("text", {"text": "x" * 4001}),
        ("checkin", {"question": "?", "scale": 11}),
        ("checkin_answer", {"checkin": "abc", "answer": 0}),
        ("receipt", {"of": "not-a-list"}),
    ]:
        with pytest.raises(CallFailed) as refused:
            await caregiver.call("send", worker.account_id, kind, fields)
        assert (refused.value.code, refused.value.error_name) == (
            "invalid_message",
            "InvalidMessage",
        )
    assert await caregiver.call("messages", worker.account_id) == []

    # The admin shares no case with the caregiver: the message fails with the relay's code.
    admin_account = admin.account_id
    failed = await caregiver.call("send", admin_account, "text", {"text": "hallo?"})
    await caregiver.wait_status(admin_account, failed["id"], "failed")
    [shown] = await caregiver.call("messages", admin_account)
    assert shown["error"] in ("not_permitted", "unknown_account")
    await worker.close()
    await context.close()


async def test_a_revoked_device_stops_and_says_why(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    me = await caregiver.call("register", (await worker.relay.create_invite("caregiver"))["link"])
    await admin.revoke_device(me["deviceId"])
    await caregiver.wait_state("offline")
    log = await caregiver.log()
    assert log["revoked"] == [{"reason": "device_revoked"}] and log["replaced"] == []

    # After a reload it tries once more, is refused for good, and does not retry.
    await page.reload()
    await page.wait_for_function("document.documentElement.dataset.ready === '1'")
    await caregiver.open()
    result = await page.evaluate(
        """async () => {
            const revoked = new Promise((resolve) => {
                const off = harness.on('caregiver', 'revoked', (event) => {
                    off();
                    resolve(event);
                });
            });
            harness.call('caregiver', 'connect');
            return revoked;
        }"""
    )
    assert result == {"reason": "device_revoked"}
    assert await caregiver.state() == "offline"
    await worker.close()
    await context.close()
