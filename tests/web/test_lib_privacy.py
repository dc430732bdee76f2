"""Privacy properties of the browser library with the real relay: no plaintext or local
name ever reaches the relay's storage; read receipts are off for caregivers; the case's
disappearing-message timer deletes local copies; export and self-service erasure."""

from __future__ import annotations

import time
from pathlib import Path

from test_lib_support import BrowserDevice, next_message, open_page, python_worker

NOW = int(time.time())


def relay_files_contain(data_dir: Path, needles: list[bytes]) -> list[str]:
    """Names of the relay's files (database, WAL, epoch keys) holding any of `needles`."""
    hits = []
    for path in data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}: {needle!r}" for needle in needles if needle in data]
    return hits


async def caregiver_of(worker, page, name="caregiver"):
    device = BrowserDevice(page, name)
    await device.open()
    invite = await worker.relay.create_invite("caregiver")
    return device, await device.call("register", invite["link"] + "&fp=" + worker.device_id)


async def test_no_plaintext_or_name_in_relay_storage(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    secrets = {
        "to_worker": "Mijn moeder slaapt slecht sinds dinsdag",
        "to_caregiver": "Zullen we donderdag bellen over de dagbesteding",
        "name": "Truus van Dijk-Bakker",
        "question": "Hoe zwaar voelt de zorg deze week",
    }
    await caregiver.call("setName", worker.account_id, secrets["name"])
    await worker.send_text(me["accountId"], secrets["to_caregiver"])
    await worker.send_checkin(me["accountId"], secrets["question"])
    await caregiver.wait_messages(worker.account_id, 2)

    # The worker is away: the caregiver's envelopes wait in the relay's storage.
    await worker.relay.close()
    sent = await caregiver.call("send", worker.account_id, "text", {"text": secrets["to_worker"]})
    await caregiver.wait_status(worker.account_id, sent["id"], "sent")
    needles = [value.encode() for value in secrets.values()]
    assert relay_files_contain(relay.ctx.config.data_dir, needles) == []

    await worker.connect()
    assert (await next_message(worker)).message.fields == {"text": secrets["to_worker"]}
    assert await caregiver.call("name", worker.account_id) == secrets["name"]
    assert relay_files_contain(relay.ctx.config.data_dir, needles) == []
    await worker.close()
    await context.close()


async def test_read_receipts_off_for_caregivers_on_for_workers(relay, browser):
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    # Both ends in the browser: a worker and the caregiver it invites (JS to JS).
    worker = BrowserDevice(page, "worker")
    await worker.open()
    worker_me = await worker.call("register", (await admin.create_invite("worker"))["link"])
    assert (await worker.call("settings"))["readReceipts"] is True
    invite = await worker.call("createInvite", "caregiver")
    assert invite["link"].endswith("&fp=" + worker_me["deviceId"])
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    me = await caregiver.call("register", invite["link"])
    assert (await caregiver.call("settings"))["readReceipts"] is False
    assert await caregiver.call("verified", worker_me["accountId"]) is True
    assert await worker.call("verified", me["accountId"]) is False  # not compared yet

    first = await worker.call("send", me["accountId"], "text", {"text": "Hallo!"})
    await caregiver.wait_messages(worker_me["accountId"], 1)
    await caregiver.call("markRead", worker_me["accountId"])
    answer = await caregiver.call(
        "send", worker_me["accountId"], "nudge", {"emoji": "🙂", "template": "thanks"}
    )
    got = await worker.wait_messages(me["accountId"], 2)
    assert got[-1]["id"] == answer["id"]
    # The caregiver's device acknowledged it (the relay says so), but sent no read receipt.
    await worker.wait_status(me["accountId"], first["id"], "delivered")
    got = await worker.wait_messages(me["accountId"], 2)
    assert got[0]["id"] == first["id"] and got[0]["status"] == "delivered"

    await worker.call("markRead", me["accountId"])
    await caregiver.wait_status(worker_me["accountId"], answer["id"], "read")
    conversations = await worker.call("conversations")
    assert [(c["id"], c["unread"]) for c in conversations] == [(me["accountId"], 0)]
    await worker.call("markVerified", me["accountId"])
    assert await worker.call("verified", me["accountId"]) is True
    ours = await worker.call("safetyNumber", me["accountId"])
    theirs = await caregiver.call("safetyNumber", worker_me["accountId"])
    assert [n["number"] for n in ours] == [n["number"] for n in theirs]
    assert len(ours[0]["number"]) == 60
    await context.close()


async def test_disappearing_timer_deletes_local_copies(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    case_id = (await worker.relay.cases())[0]["id"]
    await worker.send_text(me["accountId"], "Dit verdwijnt straks")
    await caregiver.wait_messages(worker.account_id, 1)

    await worker.relay.request(
        "policy_set", {"case": case_id, "document": {"disappearing_timer": "1h"}}
    )
    cases = await caregiver.until("cases", [], "value[0] && value[0].disappearingTimer === 3600")
    assert cases[0]["id"] == case_id
    conversations = await caregiver.call("conversations")
    assert conversations[0]["disappearingTimer"] == 3600

    await caregiver.call("sweep")
    assert len(await caregiver.call("messages", worker.account_id)) == 1  # not yet
    await page.evaluate("harness.setClockOffset('caregiver', 3601)")
    await caregiver.call("sweep")
    assert await caregiver.call("messages", worker.account_id) == []
    removed = (await caregiver.log())["removed"]
    assert removed and removed[0]["conversationId"] == worker.account_id
    await worker.close()
    await context.close()


async def test_export_and_erase_my_account(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver, me = await caregiver_of(worker, page)
    await caregiver.call("setName", worker.account_id, "Marieke")
    data = await caregiver.call("exportMyData")
    assert me["accountId"] in str(data["export"]) and data["html"]
    assert data["local"]["names"] == {worker.account_id: "Marieke"}
    assert worker.account_id not in str(data["export"])  # others only as counts

    result = await caregiver.call("eraseAccount")
    assert result == {"erased": me["accountId"], "pending": False}
    await page.reload()
    await page.wait_for_function("document.documentElement.dataset.ready === '1'")
    assert (await caregiver.open())["registered"] is False  # nothing left in this browser
    assert me["accountId"] not in str(await worker.relay.cases())
    await worker.close()
    await context.close()
