"""The browser library and the Python SecureClient talk to each other through the real
relay: every message kind in both directions, content and kinds checked on both sides."""

from __future__ import annotations

import time

from test_lib_support import BrowserDevice, next_message, open_page, python_worker

NOW = int(time.time())


async def test_every_kind_from_python_to_browser_and_back(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    assert (await caregiver.open())["registered"] is False

    invite = await worker.relay.create_invite("caregiver")
    me = await caregiver.call("register", invite["link"] + "&fp=" + worker.device_id)
    assert me["role"] == "caregiver" and me["deviceId"] == (await caregiver.me())["deviceId"]
    assert await caregiver.state() == "online"
    # The worker's device was pinned from the invite's fp: verified from the first message.
    assert await caregiver.call("verified", worker.account_id) is True

    # Python → browser: every kind a worker sends.
    await worker.send_text(me["accountId"], "Hoe gaat het vandaag? 💛")
    await worker.send_nudge(me["accountId"], "💛", "thinking_of_you")
    checkin = await worker.send_checkin(me["accountId"], "Hoe voel je je?", 5)
    await worker.call_me(me["accountId"])
    got = await caregiver.wait_messages(worker.account_id, 4)
    assert [m["kind"] for m in got] == ["text", "nudge", "checkin", "call_me"]
    assert got[0]["fields"] == {"text": "Hoe gaat het vandaag? 💛"}
    assert got[1]["fields"] == {"emoji": "💛", "template": "thinking_of_you"}
    assert got[2]["fields"] == {"question": "Hoe voel je je?", "scale": 5}
    assert got[2]["id"] == checkin.id
    assert all(not m["outgoing"] and m["from"] == worker.account_id for m in got)

    # Browser → Python: every kind a caregiver sends.
    sent = [
        await caregiver.call("send", worker.account_id, "text", {"text": "Goed, dank je!"}),
        await caregiver.call(
            "send", worker.account_id, "nudge", {"emoji": "🌷", "template": "thanks"}
        ),
        await caregiver.call(
            "send", worker.account_id, "checkin_answer", {"checkin": checkin.id, "answer": 4}
        ),
        await caregiver.call("send", worker.account_id, "call_me", {}),
        await caregiver.call(
            "send", worker.account_id, "reaction", {"of": got[0]["id"], "emoji": "👍"}
        ),
        await caregiver.call("send", worker.account_id, "receipt", {"of": [got[0]["id"]]}),
        await caregiver.call(
            "send", worker.account_id, "checkin", {"question": "En jij?", "scale": 3}
        ),
    ]
    received = [await next_message(worker) for _ in sent]
    assert [r.kind for r in received] == [
        "text",
        "nudge",
        "checkin_answer",
        "call_me",
        "reaction",
        "receipt",
        "checkin",
    ]
    assert [r.message.id for r in received] == [m["id"] for m in sent]
    assert received[0].message.fields == {"text": "Goed, dank je!"}
    assert received[1].message.fields == {"emoji": "🌷", "template": "thanks"}
    assert received[2].message.fields == {"checkin": checkin.id, "answer": 4}
    assert received[4].message.fields == {"of": got[0]["id"], "emoji": "👍"}
    assert received[5].message.fields == {"of": [got[0]["id"]]}
    assert received[6].message.fields == {"question": "En jij?", "scale": 3}
    assert all(r.message.conversation == worker.account_id for r in received)
    assert all(r.sender_device == me["deviceId"] for r in received)
    for message in sent[:4] + sent[6:]:  # receipts and reactions are not shown on their own
        await caregiver.wait_status(worker.account_id, message["id"], "sent")

    # What the browser shows: the answer folded into the check-in, the reaction under the text.
    shown = await caregiver.call("messages", worker.account_id)
    by_id = {m["id"]: m for m in shown}
    assert by_id[checkin.id]["answers"] == {me["accountId"]: 4}
    assert by_id[got[0]["id"]]["reactions"] == {me["accountId"]: "👍"}
    assert "receipt" not in [m["kind"] for m in shown]

    # Python reacts and sends a read receipt: the browser's message shows 'read'.
    await worker.send(me["accountId"], "receipt", of=[sent[0]["id"]])
    await worker.send(me["accountId"], "reaction", of=sent[0]["id"], emoji="❤️")
    await caregiver.wait_status(worker.account_id, sent[0]["id"], "read")

    # Both sides compute the same safety number.
    numbers = await caregiver.call("safetyNumber", worker.account_id)
    assert [n["number"] for n in numbers] == [worker.safety_number(me["deviceId"], me["accountId"])]
    await worker.close()
    await context.close()
