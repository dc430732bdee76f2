"""Persistence and offline behaviour of the browser library against the real relay: keys,
sessions and messages survive a reload; a receiver that was away gets what was sent; a
sender without a connection keeps its messages queued and sends them once, in order."""

from __future__ import annotations

import time

from test_lib_support import BrowserDevice, next_message, open_page, python_worker

NOW = int(time.time())


async def caregiver_of(worker, page, name="caregiver"):
    device = BrowserDevice(page, name)
    await device.open()
    invite = await worker.relay.create_invite("caregiver")
    me = await device.call("register", invite["link"] + "&fp=" + worker.device_id)
    return device, me


async def test_reload_keeps_keys_sessions_and_messages(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    await worker.send_text(me["accountId"], "Eerste bericht")
    await caregiver.wait_messages(worker.account_id, 1)
    await caregiver.call("send", worker.account_id, "text", {"text": "Antwoord één"})
    assert (await next_message(worker)).message.fields == {"text": "Antwoord één"}

    await page.reload()
    await page.wait_for_function("document.documentElement.dataset.ready === '1'")
    reopened = await caregiver.open()
    assert reopened["registered"] is True and reopened["me"] == me
    assert await caregiver.state() == "offline"  # nothing on the network before connect()
    shown = await caregiver.call("messages", worker.account_id)
    assert [m["fields"].get("text") for m in shown] == ["Eerste bericht", "Antwoord één"]
    assert await caregiver.call("verified", worker.account_id) is True

    await caregiver.call("connect")
    assert await caregiver.state() == "online"
    # The same sessions continue in both directions (no new session, no lost message).
    await worker.send_text(me["accountId"], "Na het herladen")
    got = await caregiver.wait_messages(worker.account_id, 3)
    assert got[-1]["fields"] == {"text": "Na het herladen"}
    await caregiver.call("send", worker.account_id, "text", {"text": "Ook bij mij"})
    assert (await next_message(worker)).message.fields == {"text": "Ook bij mij"}
    assert await page.evaluate("harness.dropped('caregiver')") == 0
    await worker.close()
    await context.close()


async def test_receiver_offline_gets_messages_when_back(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    await page.close()  # the caregiver's phone is off

    texts = [f"bericht {n}" for n in range(5)]
    for text in texts:
        await worker.send_text(me["accountId"], text)
    checkin = await worker.send_checkin(me["accountId"], "Hoe gaat het?")

    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    assert (await caregiver.open())["registered"] is True
    await caregiver.call("connect")
    got = await caregiver.wait_messages(worker.account_id, 6)
    assert [m["fields"].get("text") for m in got[:5]] == texts
    assert got[5]["id"] == checkin.id and len(got) == 6
    await worker.close()
    await context.close()


async def test_sender_offline_queues_then_sends_once_in_order(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    await caregiver.call("send", worker.account_id, "text", {"text": "nog online"})
    assert (await next_message(worker)).message.fields == {"text": "nog online"}

    await context.set_offline(True)
    await caregiver.wait_state("connecting")
    texts = [f"offline {n}" for n in range(4)]
    sent = [await caregiver.call("send", worker.account_id, "text", {"text": t}) for t in texts]
    assert [m["status"] for m in sent] == ["queued"] * 4
    shown = await caregiver.call("messages", worker.account_id)
    assert [m["status"] for m in shown[-4:]] == ["queued"] * 4

    await context.set_offline(False)
    await caregiver.wait_state("online")
    for message in sent:
        await caregiver.wait_status(worker.account_id, message["id"], "sent")
    received = [await next_message(worker) for _ in texts]
    assert [r.message.fields["text"] for r in received] == texts
    assert [r.message.id for r in received] == [m["id"] for m in sent]
    # Exactly once: one more message arrives after them, nothing doubled in between.
    await caregiver.call("send", worker.account_id, "text", {"text": "klaar"})
    assert (await next_message(worker)).message.fields == {"text": "klaar"}
    assert worker.messages.empty()
    await worker.close()
    await context.close()


async def test_queued_messages_survive_a_reload_while_offline(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    await context.set_offline(True)
    await caregiver.wait_state("connecting")
    first = await caregiver.call("send", worker.account_id, "text", {"text": "voor het herladen"})
    second = await caregiver.call("send", worker.account_id, "call_me", {})
    # The page is closed while offline (a reload would race the still-open page's own
    # reconnect, which flushes the outbox the moment the network is back); it loads again
    # once the network is back (the service worker that serves it offline is the UI's),
    # and sends only after connect().
    await page.close()
    await context.set_offline(False)
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    assert (await caregiver.open())["registered"] is True
    shown = await caregiver.call("messages", worker.account_id)
    assert [(m["id"], m["status"]) for m in shown] == [
        (first["id"], "queued"),
        (second["id"], "queued"),
    ]
    await caregiver.call("connect")
    received = [await next_message(worker), await next_message(worker)]
    assert [r.message.id for r in received] == [first["id"], second["id"]]
    await caregiver.wait_status(worker.account_id, second["id"], "sent")
    assert worker.messages.empty()
    await worker.close()
    await context.close()


async def test_a_lost_send_reply_is_resent_with_the_same_ids_and_delivered_once(relay, browser):
    """The relay commits a `send` but its reply never reaches the browser (the connection
    drops first): the outbox sends the same envelopes again, which the relay does not
    store twice (PROTOCOL §4.3), so the worker gets the message exactly once."""
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    fault = {"drop_send_reply": False, "dropped": 0}

    async def route(socket):
        server = socket.connect_to_server()

        async def from_server(message):
            is_send_reply = isinstance(message, str) and message.startswith("43")
            if fault["drop_send_reply"] and is_send_reply and '"accepted"' in message:
                fault["drop_send_reply"] = False
                fault["dropped"] += 1
                await socket.close()  # the reply is lost with the connection
                return
            socket.send(message)

        socket.on_message(lambda message: server.send(message))
        server.on_message(from_server)

    await context.route_web_socket("**/socket.io/**", route)
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    await caregiver.call("send", worker.account_id, "text", {"text": "eerste"})
    assert (await next_message(worker)).message.fields == {"text": "eerste"}

    fault["drop_send_reply"] = True
    sent = await caregiver.call("send", worker.account_id, "text", {"text": "maar één keer"})
    assert (await next_message(worker)).message.id == sent["id"]  # committed before the drop
    await caregiver.wait_status(worker.account_id, sent["id"], "sent")  # after the resend
    assert fault["dropped"] == 1
    after = await caregiver.call("send", worker.account_id, "text", {"text": "daarna"})
    assert (await next_message(worker)).message.id == after["id"]  # no second copy before it
    assert worker.messages.empty()
    await worker.close()
    await context.close()


async def test_two_tabs_take_turns_and_never_fork_the_sessions(relay, browser):
    """Two tabs share the device's IndexedDB: the one that connects takes the device over,
    the other stops (`replaced`) and, when it connects again, reads the sessions anew."""
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    first_page = await open_page(context, relay.url)
    first, me = await caregiver_of(worker, first_page)
    await worker.send_text(me["accountId"], "een")
    await first.wait_messages(worker.account_id, 1)

    second_page = await open_page(context, relay.url)
    second = BrowserDevice(second_page, "caregiver")  # the same database
    assert (await second.open())["me"] == me
    await second.call("connect")
    await first.wait_state("offline")
    assert [e["reason"] for e in (await first.log())["replaced"]] == ["replaced"]
    await worker.send_text(me["accountId"], "twee")
    await second.wait_messages(worker.account_id, 2)
    await second.call("send", worker.account_id, "text", {"text": "uit tab twee"})
    assert (await next_message(worker)).message.fields == {"text": "uit tab twee"}
    # Written in the tab that does not hold the device: the other tab sends it.
    waiting = await first.call("send", worker.account_id, "call_me", {})
    assert (await next_message(worker)).message.id == waiting["id"]

    await first.call("connect")  # takes it back, with the sessions tab two moved on
    await second.wait_state("offline")
    await first.call("send", worker.account_id, "text", {"text": "uit tab een"})
    assert (await next_message(worker)).message.fields == {"text": "uit tab een"}
    await worker.send_text(me["accountId"], "drie")
    got = await first.wait_messages(worker.account_id, 6)
    texts = [m["fields"].get("text", m["kind"]) for m in got]
    assert texts == ["een", "twee", "uit tab twee", "call_me", "uit tab een", "drie"]
    assert await first_page.evaluate("harness.dropped('caregiver')") == 0
    await worker.close()
    await context.close()
