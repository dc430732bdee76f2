"""Staff and devices an admin recognises, and a closed case that explains itself (issue 19
items 7 and 9): the admin names workers, officers and admins but never a caregiver; a device
labels itself; the admin's list shows labels, the day added and last seen, and the revoked
devices with when, by whom and why; officers see staff names beside audit pseudonyms; a send
to a closed case says when it was closed and by whom."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from helpers import WAIT, error_code, raw_call
from steuntje_client import RelayRefused
from steuntje_client.client import new_envelope_id

DAY = 86_400


async def staff(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    return admin, worker, caregiver, officer


def by_id(reply: dict) -> dict[str, dict]:
    return {account["id"]: account for account in reply["accounts"]}


async def test_the_admin_names_staff_but_never_a_caregiver(relay):
    admin, worker, caregiver, officer = await staff(relay)
    await admin.request("admin_set_display_name", {"account": worker.account_id, "name": " Anja "})
    await admin.request("admin_set_display_name", {"account": officer.account_id, "name": "Bram"})
    refused = await raw_call(
        admin, "admin_set_display_name", {"account": caregiver.account_id, "name": "Ria"}
    )
    assert error_code(refused) == "caregiver_nameless"
    too_long = await raw_call(
        admin, "admin_set_display_name", {"account": worker.account_id, "name": "A" * 61}
    )
    assert error_code(too_long) == "malformed" and too_long["error"]["field"] == "name"
    by_worker = await raw_call(
        worker, "admin_set_display_name", {"account": worker.account_id, "name": "Ik"}
    )
    assert error_code(by_worker) == "not_permitted"

    accounts = by_id(await admin.request("admin_accounts", {}))
    assert accounts[worker.account_id]["name"] == "Anja"
    assert accounts[officer.account_id]["name"] == "Bram"
    assert accounts[caregiver.account_id]["name"] is None
    colleagues = await worker.request("colleagues_list", {})
    assert colleagues["names"] == {worker.account_id: "Anja"}

    # The officer's search shows the staff name beside the worker's pseudonym, nothing more.
    reply = await officer.request("audit_query", {"event": "case.created"})
    (entry,) = reply["entries"]
    assert reply["staff"] == {entry["on_behalf_of"]: {"name": "Anja"}}
    # Cleared again with null; the audit log never held the name.
    await admin.request("admin_set_display_name", {"account": worker.account_id, "name": None})
    assert by_id(await admin.request("admin_accounts", {}))[worker.account_id]["name"] is None
    con = sqlite3.connect(relay.ctx.config.database_path)
    bodies = b"".join(row[0] for row in con.execute("SELECT body FROM audit_entries"))
    con.close()
    assert b"Anja" not in bodies and b"Bram" not in bodies


async def test_devices_are_labelled_dated_and_kept_in_a_history_when_revoked(relay):
    admin, worker, caregiver, _ = await staff(relay)
    added = relay.ctx.now()
    tablet = relay.client()
    await tablet.register((await worker.link_device())["link"])
    await worker.request("device_label", {"label": "Telefoon Anja"})
    assert (await tablet.request("device_label", {"label": "Tablet kantoor"}))["label"] == (
        "Tablet kantoor"
    )
    assert (await worker.request("whoami", {}))["label"] == "Telefoon Anja"
    refused = await raw_call(caregiver, "device_label", {"label": "Telefoon Ria"})
    assert error_code(refused) == "caregiver_nameless"
    for bad in ("x" * 41, "twee\nregels", 7):
        reply = await raw_call(worker, "device_label", {"label": bad})
        assert error_code(reply) == "malformed" and reply["error"]["field"] == "label"

    devices = by_id(await admin.request("admin_accounts", {}))[worker.account_id]["devices"]
    phone, second = sorted(devices, key=lambda d: d["id"] != worker.device_id)
    assert (phone["id"], phone["label"], phone["status"]) == (
        worker.device_id,
        "Telefoon Anja",
        "active",
    )
    assert phone["added_at"] == added and phone["seen_day"] == added - added % DAY
    assert second["label"] == "Tablet kantoor"

    relay.clock.advance(3 * DAY)
    await admin.request(
        "admin_revoke_device", {"device": tablet.device_id, "reason": "account_compromised"}
    )
    await admin.request("admin_set_display_name", {"account": admin.account_id, "name": "Chris"})
    devices = by_id(await admin.request("admin_accounts", {}))[worker.account_id]["devices"]
    revoked = next(d for d in devices if d["id"] == tablet.device_id)
    assert revoked["status"] == "revoked" and revoked["label"] == "Tablet kantoor"
    assert revoked["revoked_at"] == relay.ctx.now()
    assert (revoked["revoked_by"], revoked["revoked_by_name"]) == (admin.account_id, "Chris")
    assert revoked["revoke_reason"] == "account_compromised"
    assert revoked["seen_day"] is None  # no last-seen day is kept for a revoked device


async def test_a_last_seen_day_lives_for_the_metadata_lifetime(relay):
    from relay.housekeeping import purge_once

    admin, worker, _, _ = await staff(relay)

    async def seen_day() -> int | None:
        accounts = by_id(await admin.request("admin_accounts", {}))
        return accounts[worker.account_id]["devices"][0]["seen_day"]

    assert await seen_day() is not None
    relay.clock.advance(29 * DAY)
    await purge_once(relay.ctx)
    assert await seen_day() is not None
    relay.clock.advance(2 * DAY)  # past the default metadata_lifetime of 30 days
    await purge_once(relay.ctx)
    assert await seen_day() is None


async def test_a_send_to_a_closed_case_says_when_and_by_whom(relay):
    admin, worker, caregiver, _ = await staff(relay)
    await admin.request("admin_set_display_name", {"account": worker.account_id, "name": "Anja"})
    (case,) = await worker.cases()
    closed = await worker.request("case_close", {"case": case["id"], "reason": "client_request"})
    reply = await raw_call(
        caregiver,
        "send",
        {
            "envelopes": [{"id": new_envelope_id(), "to": worker.device_id, "size": 2}],
            "bodies": b"hi",
        },
    )
    (refusal,) = reply["rejected"]
    assert refusal["code"] == "case_closed"
    assert refusal["case"] == case["id"] and refusal["closed_at"] == closed["closed_at"]
    assert (refusal["closed_by_role"], refusal["closed_by_name"]) == ("worker", "Anja")
    listed = await raw_call(worker, "devices_list", {"account": caregiver.account_id})
    assert error_code(listed) == "case_closed"  # not a bare not_permitted
    (seen,) = await caregiver.cases()  # the case list says it too
    assert (seen["closed_by_role"], seen["closed_by_name"]) == ("worker", "Anja")
    with pytest.raises(RelayRefused):  # the client library still refuses it as before
        await worker.send(caregiver.device_id, b"nog even")


async def test_a_new_devices_first_prekeys_tell_the_accounts_other_devices(relay):
    """Only once it has prekeys can the worker's first device hand it the names it gave
    caregivers (contact_name, issue 19 item 11): its first signed prekey says so again."""
    from crypto import DeviceKeys
    from steuntje_client import DeviceKey

    admin, worker, _, _ = await staff(relay)
    keys = DeviceKeys.generate(relay.ctx.now(), one_time_prekeys=2)
    tablet = relay.client(DeviceKey.from_seed(keys.identity.signing_seed))
    await tablet.register((await worker.link_device())["link"])
    assert await asyncio.wait_for(worker.device_changes.get(), WAIT) == worker.account_id
    signed = keys.bundle().to_bytes()[:229]
    one_time = [(key_id, key.public_key) for key_id, key in keys.one_time_prekeys.items()]
    await tablet.upload_prekeys(signed, one_time)
    assert await asyncio.wait_for(worker.device_changes.get(), WAIT) == worker.account_id
    await tablet.upload_prekeys(signed)  # a later upload (a rotation) says nothing new
    await tablet.request("whoami", {})  # a round trip after which a notice would be here
    assert worker.device_changes.empty()


async def test_naming_staff_and_labelling_a_device_are_logged_without_the_words(relay):
    """Who made whom recognisable as whom is accountable: the admin's naming and a device's
    label each write an entry (by whom, about which account or device), never the text."""
    admin, worker, caregiver, officer = await staff(relay)
    await admin.request("admin_set_display_name", {"account": worker.account_id, "name": "Anja"})
    await admin.request("admin_set_display_name", {"account": worker.account_id, "name": None})
    await worker.request("device_label", {"label": "Telefoon Anja"})
    refused = await raw_call(
        admin, "admin_set_display_name", {"account": caregiver.account_id, "name": "Ria"}
    )
    assert error_code(refused) == "caregiver_nameless"  # refused: nothing changed, no entry

    named = await officer.request("audit_query", {"event": "account.display_name_set"})
    assert len(named["entries"]) == 2  # set and cleared; the refusal changed nothing
    found = await officer.request("audit_query", {"subject": worker.account_id})
    mine = set(found["pseudonyms"])
    by_event: dict[str, list[dict]] = {}
    for entry in found["entries"]:
        by_event.setdefault(entry["event"], []).append(entry)
    first = by_event["account.display_name_set"][0]
    assert first["actor"]["role"] == "admin" and first["actor"]["pseudonym"] not in mine
    assert [o["type"] for o in first["objects"]] == ["account"]
    assert first["objects"][0]["pseudonym"] in mine  # about the worker
    (label,) = by_event["device.label_set"]
    assert label["actor"]["pseudonym"] in mine  # the worker's device labelled itself
    assert {o["type"] for o in label["objects"]} == {"device", "account"}

    con = sqlite3.connect(relay.ctx.config.database_path)
    bodies = b"".join(row[0] for row in con.execute("SELECT body FROM audit_entries"))
    con.close()
    assert b"Anja" not in bodies and b"Telefoon" not in bodies and b"Ria" not in bodies
