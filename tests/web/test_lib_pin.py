"""The optional PIN lock: with a PIN set, keys, sessions, names and message content are
sealed in IndexedDB; after a reload nothing works until the right PIN is given, and then
the conversation simply continues."""

from __future__ import annotations

import time

import pytest
from test_lib_support import BrowserDevice, CallFailed, next_message, open_page, python_worker

NOW = int(time.time())


async def test_pin_lock_seals_the_store_and_opens_with_the_right_pin(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    link = (await worker.relay.create_invite("caregiver"))["link"]
    me = await caregiver.call("register", link + "&fp=" + worker.device_id)
    await worker.send_text(me["accountId"], "Geheim voor de PIN-test")
    await caregiver.wait_messages(worker.account_id, 1)
    await caregiver.call("setName", worker.account_id, "Annelies Geheimnaam")
    assert await caregiver.call("hasPin") is False

    await caregiver.call("setPin", "4821")
    assert await caregiver.call("hasPin") is True
    raw = {
        store: await page.evaluate("([n, s]) => harness.rawText(n, s)", ["caregiver", store])
        for store in ("messages", "names", "sessions", "outbox")
    }
    assert "Geheim voor de PIN-test" not in raw["messages"]
    assert '"kind"' not in raw["messages"]  # the kind is sealed too
    assert "Annelies" not in raw["names"]
    assert isinstance(await page.evaluate("harness.rawMeta('caregiver', 'keys')"), dict)

    # Still open in this page: messages keep flowing and are stored sealed.
    await worker.send_text(me["accountId"], "Tweede geheim")
    await caregiver.wait_messages(worker.account_id, 2)
    raw_messages = await page.evaluate("harness.rawText('caregiver', 'messages')")
    assert "Tweede geheim" not in raw_messages

    await page.reload()
    await page.wait_for_function("document.documentElement.dataset.ready === '1'")
    reopened = await caregiver.open()
    assert reopened["registered"] is True and reopened["me"] == me
    assert await caregiver.call("locked") is True
    for method, args in (("messages", [worker.account_id]), ("connect", [])):
        with pytest.raises(CallFailed) as refused:
            await caregiver.call(method, *args)
        assert refused.value.code == "locked"
    with pytest.raises(CallFailed) as refused:
        await caregiver.call("unlock", "0000")
    assert refused.value.code == "wrong_pin"

    await caregiver.call("unlock", "4821")
    assert await caregiver.call("locked") is False
    shown = await caregiver.call("messages", worker.account_id)
    assert [m["fields"]["text"] for m in shown] == ["Geheim voor de PIN-test", "Tweede geheim"]
    assert await caregiver.call("name", worker.account_id) == "Annelies Geheimnaam"
    await caregiver.call("connect")
    await caregiver.call("send", worker.account_id, "text", {"text": "Weer open"})
    assert (await next_message(worker)).message.fields == {"text": "Weer open"}

    # Changing the PIN needs the current one; removing it stores everything in clear again.
    with pytest.raises(CallFailed) as refused:
        await caregiver.call("setPin", "9999", "1111")
    assert refused.value.code == "wrong_pin"
    await caregiver.call("setPin", "9999", "4821")
    await caregiver.call("lock")
    assert await caregiver.state() == "offline" and await caregiver.call("locked") is True
    # The disappearing-message timer (the organisation's default, 30 days) still applies.
    await page.evaluate("harness.setClockOffset('caregiver', 31 * 86400)")
    await caregiver.call("sweep")
    assert len((await caregiver.log())["removed"]) == 1
    await caregiver.call("unlock", "9999")
    assert await caregiver.call("messages", worker.account_id) == []
    await caregiver.call("removePin", "9999")
    assert await caregiver.call("hasPin") is False
    await caregiver.call("setName", worker.account_id, "Annelies")
    assert "Annelies" in await page.evaluate("harness.rawText('caregiver', 'names')")
    await worker.close()
    await context.close()
