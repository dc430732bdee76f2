"""GDPR rights from the caregiver's own device: access/portability (Art. 15/20) and
erasure (Art. 17). The export holds exactly what the relay keeps about the account; after
erasure no row, ciphertext or prekey of it is left on disk."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3

import pytest

from crypto import DeviceKeys
from helpers import WAIT, receive
from steuntje_client import RelayClient, RelayRefused

NOW = 1_790_000_000


async def caregiver_with_data(relay):
    admin, worker, caregiver = await relay.onboard()
    tablet = relay.client()
    await tablet.register((await caregiver.link_device())["link"])
    keys = DeviceKeys.generate(NOW, one_time_prekeys=5)
    one_time = [(i, k.public_key) for i, k in keys.one_time_prekeys.items()]
    await caregiver.upload_prekeys(keys.bundle().to_bytes()[:229], one_time)
    await tablet.close()
    marker = b"VOOR-DE-MANTELZORGER-" + bytes(range(48))
    await worker.send(tablet.device_id, marker)  # waits in the tablet's mailbox
    return admin, worker, caregiver, tablet, marker


async def test_the_export_holds_the_account_and_nothing_about_anyone_else(relay):
    admin, worker, caregiver, tablet, _ = await caregiver_with_data(relay)
    reply = await caregiver.export()
    export = reply["export"]
    assert export["account"]["id"] == caregiver.account_id
    assert {d["id"] for d in export["devices"]} == {caregiver.device_id, tablet.device_id}
    assert [e["device"] for e in export["envelopes_waiting_for_you"]] == [tablet.device_id]
    assert export["prekeys"]["one_time_count"] == {caregiver.device_id: 5}
    (case,) = export["cases"]
    assert case["you_are_the_caregiver"] and case["members"] == 2
    text = json.dumps(export)
    for other in (worker.account_id, worker.device_id, admin.account_id, admin.device_id):
        assert other not in text
    page = reply["html"]
    assert page.startswith("<!doctype html>") and "lang='nl'" in page
    assert "Wat Steuntje over jou bewaart" in page and worker.account_id not in page
    # The app's form of address ("je"), and Dutch words for the role and the states.
    assert "<td>mantelzorger</td>" in page and "<td>actief</td>" in page
    assert not re.search(r"\b([Uu]w?)\b", page.split("</style>")[1]), (
        "'u' and 'uw' are not the app's"
    )


async def test_erasure_leaves_nothing_of_the_account_on_disk(relay):
    admin, worker, caregiver, tablet, marker = await caregiver_with_data(relay)
    (case,) = await worker.cases()
    await worker.close()
    await caregiver.send(worker.device_id, b"mijn laatste bericht")  # waits for the worker
    account, devices = caregiver.account_id, [caregiver.device_id, tablet.device_id]
    worker_again = relay.client(worker.key)
    await worker_again.connect()
    (last,) = await receive(worker_again, 1)  # sent before the erasure: still delivered
    assert last.body == b"mijn laatste bericht"

    await caregiver.erase_account()
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    assert caregiver.revoked == "account_erased"
    assert await asyncio.wait_for(worker_again.case_changes.get(), WAIT) == case["id"]
    assert await asyncio.wait_for(worker_again.device_changes.get(), WAIT) == account
    assert await worker_again.cases() == []  # the conversation ends cleanly for the worker
    with pytest.raises(RelayRefused) as refused:
        await worker_again.send(tablet.device_id, b"komt nergens aan")
    assert refused.value.code == "unknown_device"
    with pytest.raises(RelayRefused) as refused:
        await RelayClient(relay.url, caregiver.key).connect()
    assert refused.value.code == "unknown_device"

    await worker_again.request("ack", {"upto": last.seq})
    await relay.ctx.commits.barrier()
    from relay.housekeeping import purge_once

    await purge_once(relay.ctx)  # the acknowledged last message leaves the WAL too
    path = relay.ctx.config.database_path
    con = sqlite3.connect(path)
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in con.execute(f"SELECT * FROM {table}"):
            assert account not in repr(row) and not any(d in repr(row) for d in devices), table
    on_disk = path.read_bytes() + path.with_name(path.name + "-wal").read_bytes()
    assert marker not in on_disk
    for value in (account, *devices):
        assert value.encode() not in on_disk


async def test_only_caregivers_erase_themselves_and_only_on_purpose(relay):
    admin, worker, caregiver = await relay.onboard()
    with pytest.raises(RelayRefused) as refused:
        await worker.erase_account()
    assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await caregiver.request("account_erase", {"confirm": worker.account_id})
    assert refused.value.code == "malformed"
    assert (await caregiver.whoami())["account"] == caregiver.account_id


async def with_officer(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    return admin, worker, caregiver, officer


def audit_events(relay, event: str) -> list:
    from audit import decode

    con = sqlite3.connect(relay.ctx.config.database_path)
    bodies = [row[0] for row in con.execute("SELECT body FROM audit_entries ORDER BY idx")]
    return [entry for entry in map(decode, bodies) if entry.event == event]


async def test_an_officer_exports_for_a_person_on_request_and_it_is_recorded(relay):
    admin, worker, caregiver, officer = await with_officer(relay)
    theirs = await officer.request("officer_export", {"account": caregiver.account_id})
    own = await caregiver.export()
    # the same data; the log part of the later one has one more entry (the earlier download)
    assert {**theirs["export"], "audit": None} == {**own["export"], "audit": None}
    assert own["export"]["audit"][:-1] == theirs["export"]["audit"]
    assert "Wat Steuntje over jou bewaart" in theirs["html"]
    by_officer = [e for e in audit_events(relay, "export.made") if e.actor.role == "officer"]
    assert len(by_officer) == 1 and by_officer[0].on_behalf_of is not None
    assert by_officer[0].reason == "data_subject_request"


async def test_an_officer_erases_a_caregiver_on_request(relay):
    admin, worker, caregiver, officer = await with_officer(relay)
    reply = await officer.request(
        "officer_erase", {"account": caregiver.account_id, "confirm": caregiver.account_id}
    )
    assert reply["erased"] == caregiver.account_id and reply["pending"] is False
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    assert caregiver.revoked == "account_erased"
    assert await worker.cases() == []
    (erasure,) = audit_events(relay, "erasure.done")
    assert erasure.actor.role == "officer" and erasure.on_behalf_of is not None


async def test_officer_requests_are_checked(relay):
    admin, worker, caregiver, officer = await with_officer(relay)
    with pytest.raises(RelayRefused) as refused:
        await worker.request("officer_export", {"account": caregiver.account_id})
    assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await officer.request(
            "officer_erase", {"account": worker.account_id, "confirm": worker.account_id}
        )
    assert refused.value.code == "not_permitted"  # staff accounts: the administrator's
    with pytest.raises(RelayRefused) as refused:
        await officer.request("officer_export", {"account": "acc_" + "Q" * 22})
    assert refused.value.code == "unknown_account"
    with pytest.raises(RelayRefused) as refused:
        await officer.request(
            "officer_erase", {"account": caregiver.account_id, "confirm": worker.account_id}
        )
    assert refused.value.code == "malformed"
    assert (await caregiver.whoami())["account"] == caregiver.account_id
