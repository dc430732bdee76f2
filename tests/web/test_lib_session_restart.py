"""docs/e2e.md §7.4 rule 6 in the web library: when the Python worker's chain to a browser
jumped past MAX_SKIP, the browser drops the message it cannot read, tells the screen
(`unreadable`), starts a new session, and the next messages in both directions arrive."""

from __future__ import annotations

import asyncio
import time

from test_lib_support import WAIT_MS, WAIT_S, BrowserDevice, next_message, open_page, python_worker

from crypto.ratchet import MAX_SKIP
from steuntje_client.messages import Message, encode

NOW = int(time.time())


async def test_the_browser_repairs_a_chain_that_jumped_past_max_skip(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    invite = await worker.relay.create_invite("caregiver")
    me = await caregiver.call("register", invite["link"] + "&fp=" + worker.device_id)
    await page.evaluate(
        "n => harness.on(n, 'unreadable', (event) => (window.unreadable ??= []).push(event))",
        "caregiver",
    )
    browser_device = me["deviceId"]

    await worker.send_text(me["accountId"], "hallo")
    await caregiver.wait_messages(worker.account_id, 1)
    await caregiver.call("send", worker.account_id, "text", {"text": "hoi"})
    assert (await next_message(worker)).message.fields["text"] == "hoi"

    # The worker takes over the browser's new session when its empty first envelope arrives.
    took_over = asyncio.Event()
    promote = worker.sessions.promote

    def watching(device_id, session) -> None:
        promote(device_id, session)
        if device_id == browser_device and not session.is_initiator:
            took_over.set()

    worker.sessions.promote = watching

    session = worker.session_with(browser_device)
    for _ in range(MAX_SKIP + 1):  # encrypted, never sent: the chain jumps past MAX_SKIP
        session.encrypt(encode(Message("text", {"text": "kwijt"}, me["accountId"], NOW)), NOW)
    await worker.send_text(me["accountId"], "na het gat")  # the browser cannot read it
    await page.wait_for_function("(window.unreadable ?? []).length === 1", timeout=WAIT_MS)
    notice = await page.evaluate("window.unreadable[0]")
    assert notice == {"conversationId": worker.account_id, "device": worker.device_id}
    await asyncio.wait_for(took_over.wait(), WAIT_S)
    assert worker.messages.empty() and worker.dropped == 0  # the empty envelope shows nothing

    await worker.send_text(me["accountId"], "lukt het nu?")
    shown = await caregiver.wait_messages(worker.account_id, 3)
    assert [m["fields"]["text"] for m in shown] == ["hallo", "hoi", "lukt het nu?"]
    await caregiver.call("send", worker.account_id, "text", {"text": "ja, weer te lezen"})
    assert (await next_message(worker)).message.fields["text"] == "ja, weer te lezen"
    assert await page.evaluate("window.unreadable.length") == 1

    await context.close()
    await worker.close()
