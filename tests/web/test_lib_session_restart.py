"""docs/e2e.md §7.4 rule 6 in the web library: when the Python worker's chain to a browser
jumped past MAX_SKIP, the browser drops the message it cannot read, tells the screen
(`unreadable`), starts a new session, and the next messages in both directions arrive."""

from __future__ import annotations

import asyncio
import time

from test_lib_support import WAIT_S, BrowserDevice, next_message, open_page, python_worker

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
        """n => {
            window.unreadable = [];
            window.firstUnreadable = new Promise((resolve) =>
                harness.on(n, "unreadable", (event) => resolve(window.unreadable.push(event))),
            );
        }""",
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
    await asyncio.wait_for(page.evaluate("() => window.firstUnreadable"), WAIT_S)
    notice = await page.evaluate("() => window.unreadable[0]")
    assert notice == {"conversationId": worker.account_id, "device": worker.device_id}
    await asyncio.wait_for(took_over.wait(), WAIT_S)
    assert worker.messages.empty() and worker.dropped == 0  # the empty envelope shows nothing

    await worker.send_text(me["accountId"], "lukt het nu?")
    shown = await caregiver.wait_messages(worker.account_id, 3)
    assert [m["fields"]["text"] for m in shown] == ["hallo", "hoi", "lukt het nu?"]
    await caregiver.call("send", worker.account_id, "text", {"text": "ja, weer te lezen"})
    assert (await next_message(worker)).message.fields["text"] == "ja, weer te lezen"
    assert await page.evaluate("() => window.unreadable.length") == 1

    await context.close()
    await worker.close()


async def test_the_browser_takes_over_a_session_the_python_client_restarted(relay, browser):
    """The other side of the repair: the Python worker cannot read something from the
    browser and starts a new session; the browser accepts its empty first envelope without
    showing or counting anything, and both directions work over the new session."""
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    invite = await worker.relay.create_invite("caregiver")
    me = await caregiver.call("register", invite["link"] + "&fp=" + worker.device_id)
    await worker.send_text(me["accountId"], "hallo")
    await caregiver.wait_messages(worker.account_id, 1)

    sent: list[str] = []
    send = worker.relay.send

    async def recording_send(to: str, body: bytes, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
        sent.append(await send(to, body, *args, **kwargs))
        return sent[-1]

    worker.relay.send = recording_send
    # Something from the browser the worker cannot decrypt (a type-0x02 envelope of no
    # session), sent with the library's raw `request`.
    await page.evaluate(
        """([n, to]) => {
            const body = new Uint8Array(300);
            body[0] = 1;
            body[1] = 2;
            return harness.messenger(n).request("send", {
                envelopes: [{ id: "unreadable-000001", to, size: body.length }],
                bodies: body,
            });
        }""",
        ["caregiver", worker.device_id],
    )
    notice = await asyncio.wait_for(worker.unreadable.get(), WAIT_S)
    assert notice.sender_device == me["deviceId"]

    async def restart_acknowledged() -> None:  # the browser has the new session then
        while True:
            ids = await worker.relay.delivered.get()
            if sent and sent[0] in ids:
                return

    await asyncio.wait_for(restart_acknowledged(), WAIT_S)
    assert await page.evaluate("n => harness.dropped(n)", "caregiver") == 0
    assert len(await caregiver.call("messages", worker.account_id)) == 1  # nothing shown

    await caregiver.call("send", worker.account_id, "text", {"text": "na de reparatie"})
    assert (await next_message(worker)).message.fields["text"] == "na de reparatie"
    await worker.send_text(me["accountId"], "ook deze kant op")
    shown = await caregiver.wait_messages(worker.account_id, 3)
    assert shown[-1]["fields"]["text"] == "ook deze kant op"
    assert worker.unreadable.empty()

    await context.close()
    await worker.close()
