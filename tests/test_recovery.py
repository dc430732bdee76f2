"""Recovery invites (issue 20): a caregiver whose phone lost its storage gets back into the
same account, case and conversation through a one-time invite a worker on their case makes.

Redeeming it adds the new device and revokes the old ones through the ordinary revoke path;
peers hear `devices_changed`; envelopes still waiting for a revoked device are reported to
their sender as `undeliverable` (never silently lost); the audit log and the export record
it; erasure afterwards leaves nothing of either device.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from test_gdpr import audit_events
from test_multinode import cluster  # noqa: F401 (a fixture)

from crypto import DeviceKeys
from helpers import WAIT, receive
from relay.handlers.recovery import RECOVERY_TTL_S
from relay.housekeeping import purge_once
from steuntje_client import RelayClient, RelayRefused
from steuntje_client.secure import SecureClient

NOW = 1_790_000_000


async def refused_code(call) -> str:
    with pytest.raises(RelayRefused) as refused:
        await call
    return refused.value.code


async def inventory(relay) -> tuple:
    storage, org = relay.ctx.storage, relay.ctx.org_id
    accounts = await storage.list_accounts(org)
    return (
        sorted(a.id for a in accounts),
        sorted((device, status) for a in accounts for device, status in a.devices),
        sorted(case["id"] for case in await storage.org_cases(org)),
    )


async def test_a_wiped_phone_comes_back_as_the_same_person_in_the_same_case(relay):
    admin, worker, old_phone = await relay.onboard()
    (case,) = await worker.cases()
    await worker.send(old_phone.device_id, b"voor de oude telefoon")
    await receive(old_phone, 1)
    await old_phone.close()  # the phone's storage is wiped: its key is gone for good
    # Sent while the phone was away: waits in the old device's mailbox, never fetched.
    queued = await worker.send(old_phone.device_id, b"nooit opgehaald")

    recovery = await worker.create_recovery(old_phone.account_id)
    assert recovery["case"] == case["id"]
    assert recovery["expires_at"] == relay.ctx.now() + RECOVERY_TTL_S
    assert recovery["link"].endswith("&account=" + old_phone.account_id)
    new_phone = relay.client()
    identity = await new_phone.register(recovery["link"])

    assert identity["account"] == old_phone.account_id and identity["role"] == "caregiver"
    assert identity["case"] == case["id"]
    assert await asyncio.wait_for(worker.device_changes.get(), WAIT) == old_phone.account_id
    # The sender learns its waiting envelope will never arrive, and can send it again.
    assert await asyncio.wait_for(worker.undeliverable.get(), WAIT) == [queued]
    assert await worker.devices_of(old_phone.account_id) == [new_phone.device_id]
    (same,) = await worker.cases()
    assert same["id"] == case["id"]
    (member,) = [m for m in same["members"] if m["account"] == old_phone.account_id]
    assert member["devices"] == [new_phone.device_id]
    await worker.send(new_phone.device_id, b"welkom terug")
    (welcome,) = await receive(new_phone, 1)
    assert welcome.body == b"welkom terug"  # and not the envelope meant for the old phone
    # The old phone's key can never sign in again, nor receive.
    assert await refused_code(RelayClient(relay.url, old_phone.key).connect()) == ("device_revoked")
    assert await refused_code(worker.send(old_phone.device_id, b"x")) == "unknown_device"


async def test_a_connected_old_device_is_cut_off_unless_kept(relay):
    _, worker, phone = await relay.onboard()
    tablet = relay.client()
    await tablet.register((await phone.link_device())["link"])
    recovery = await worker.create_recovery(phone.account_id)
    new_phone = relay.client()
    await new_phone.register(recovery["link"], keep_devices=[tablet.device_id])
    await asyncio.wait_for(phone.wait_closed(), WAIT)
    assert phone.revoked == "device_revoked"
    assert tablet.connected and tablet.revoked is None  # still works: the caregiver kept it
    devices = await worker.devices_of(phone.account_id)
    assert sorted(devices) == sorted([tablet.device_id, new_phone.device_id])
    # The kept device hears of its account's new device too (its own devices_changed).
    assert await asyncio.wait_for(tablet.device_changes.get(), WAIT) == phone.account_id


async def test_a_caregiver_whose_old_phone_still_works_keeps_it_without_knowing_its_id(relay):
    """`keep_devices: "all"`: the new device cannot know the old ones' ids before it is
    registered; the web app's "my old phone still works" sends this."""
    _, worker, phone = await relay.onboard()
    tablet = relay.client()
    await tablet.register((await phone.link_device())["link"])
    recovery = await worker.create_recovery(phone.account_id)
    new_phone = relay.client()
    await new_phone.register(recovery["link"], keep_devices="all")
    assert await asyncio.wait_for(tablet.device_changes.get(), WAIT) == phone.account_id
    assert phone.connected and phone.revoked is None
    assert tablet.connected and tablet.revoked is None
    devices = await worker.devices_of(phone.account_id)
    assert sorted(devices) == sorted([phone.device_id, tablet.device_id, new_phone.device_id])
    assert audit_events(relay, "device.revoked") == []
    assert len(audit_events(relay, "recovery.redeemed")) == 1


async def test_the_worker_sees_a_new_safety_number(relay, tmp_path):
    """End to end with the Python SecureClient: the worker hears of the new device, the
    message that waited for the old phone is sent again to the new one (undeliverable),
    the worker's next message reaches it, and its safety number differs from the old one."""
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    worker = SecureClient(relay.url, DeviceKeys.generate(NOW, one_time_prekeys=5))
    await worker.register((await admin.create_invite("worker"))["link"])
    old = SecureClient(relay.url, DeviceKeys.generate(NOW, one_time_prekeys=5))
    await old.register((await worker.relay.create_invite("caregiver"))["link"])
    try:
        await worker.send_checkin(old.account_id, "Hoe gaat het?")
        checkin = await asyncio.wait_for(old.messages.get(), WAIT)
        await old.answer_checkin(worker.account_id, checkin.message.id, 4)
        await asyncio.wait_for(worker.messages.get(), WAIT)
        before = worker.safety_number(old.device_id, old.account_id)
        assert before is not None
        await old.close()
        waiting = await worker.send_text(old.account_id, "Nooit opgehaald door de oude")

        link = (await worker.relay.create_recovery(old.account_id))["link"]
        new = SecureClient(relay.url, DeviceKeys.generate(NOW, one_time_prekeys=5))
        await new.register(link)
        assert new.account_id == old.account_id
        change = await asyncio.wait_for(worker.devices_changed.get(), WAIT)
        assert (change.account_id, change.added, change.removed) == (
            old.account_id,
            (new.device_id,),
            (old.device_id,),
        )
        assert len(await asyncio.wait_for(worker.resent.get(), WAIT)) == 1
        again = await asyncio.wait_for(new.messages.get(), WAIT)
        assert again.message.id == waiting.id  # the same message, not a copy of it
        assert again.message.fields["text"] == "Nooit opgehaald door de oude"
        await worker.send_text(new.account_id, "Ben je er weer?")
        received = await asyncio.wait_for(new.messages.get(), WAIT)
        assert received.message.fields["text"] == "Ben je er weer?"
        after = worker.safety_number(new.device_id, new.account_id)
        assert after is not None and after != before
        await new.close()
    finally:
        await worker.close()


async def refusal_setup(relay):
    admin, worker, caregiver = await relay.onboard()
    return admin, worker, caregiver, await worker.create_recovery(caregiver.account_id)


async def test_a_recovery_invite_works_once(relay):
    _, _, caregiver, recovery = await refusal_setup(relay)
    await relay.client().register(recovery["link"])
    before = await inventory(relay)
    assert await refused_code(relay.client().register(recovery["link"])) == "invite_used"
    assert await inventory(relay) == before


async def test_a_recovery_invite_expires(relay):
    _, _, _, recovery = await refusal_setup(relay)
    relay.clock.advance(RECOVERY_TTL_S)
    before = await inventory(relay)
    assert await refused_code(relay.client().register(recovery["link"])) == "invite_expired"
    assert await inventory(relay) == before


async def test_a_recovery_invite_dies_with_its_issuers_rights(relay):
    admin, worker, _, recovery = await refusal_setup(relay)
    await admin.set_account_status(worker.account_id, "disabled")
    before = await inventory(relay)
    assert await refused_code(relay.client().register(recovery["link"])) == "invite_revoked"
    assert await inventory(relay) == before


async def test_a_recovery_invite_dies_when_its_issuer_leaves_the_case(relay):
    admin, worker, caregiver, recovery = await refusal_setup(relay)
    colleague = relay.client()
    await colleague.register((await admin.create_invite("worker"))["link"])
    (case,) = await worker.cases()
    await worker.hand_over_case(case["id"], colleague.account_id)
    assert await refused_code(relay.client().register(recovery["link"])) == "invite_revoked"
    # The colleague who has the case now can make one that works.
    again = await colleague.create_recovery(caregiver.account_id)
    assert (await relay.client().register(again["link"]))["account"] == caregiver.account_id


async def test_a_newer_recovery_invite_voids_the_older_one(relay):
    _, worker, caregiver, first = await refusal_setup(relay)
    second = await worker.create_recovery(caregiver.account_id)
    assert await refused_code(relay.client().register(first["link"])) == "invite_revoked"
    assert (await relay.client().register(second["link"]))["account"] == caregiver.account_id


async def test_only_a_worker_on_the_case_issues_one(relay):
    admin, worker, caregiver = await relay.onboard()
    stranger = relay.client()
    await stranger.register((await admin.create_invite("worker"))["link"])
    other_caregiver = relay.client()
    await other_caregiver.register((await stranger.create_invite("caregiver"))["link"])
    assert await refused_code(stranger.create_recovery(caregiver.account_id)) == "not_permitted"
    # Not for a worker (a staff account is re-invited by an admin), nor by a caregiver or admin.
    assert await refused_code(worker.create_recovery(stranger.account_id)) == "not_permitted"
    for issuer in (caregiver, admin):
        assert await refused_code(issuer.create_recovery(caregiver.account_id)) == ("not_permitted")
    assert await refused_code(worker.create_recovery("acc_" + "A" * 22)) == "unknown_account"


async def test_a_recovery_link_redeemed_for_a_different_account_is_refused(relay):
    """A recovery link names its account; a client redeeming it states that account, and
    a link altered to name someone else (or with the account left off) is refused without
    being used up."""
    _, worker, caregiver, recovery = await refusal_setup(relay)
    other = relay.client()
    await other.register((await worker.create_invite("caregiver"))["link"])
    token_only = recovery["link"].split("&account=")[0]
    swapped = f"{token_only}&account={other.account_id}"
    before = await inventory(relay)
    for link in (swapped, token_only):
        assert await refused_code(relay.client().register(link)) == "invite_wrong_account"
    assert await inventory(relay) == before
    assert (await relay.client().register(recovery["link"]))["account"] == caregiver.account_id


async def test_the_audit_log_and_the_export_show_the_recovery(relay):
    admin, worker, phone = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    recovery = await worker.create_recovery(phone.account_id)
    new_phone = relay.client()
    await new_phone.register(recovery["link"])
    (created,) = audit_events(relay, "recovery.created")
    assert created.actor.role == "worker"
    (redeemed,) = audit_events(relay, "recovery.redeemed")
    assert redeemed.actor.role == "caregiver"
    assert len(audit_events(relay, "device.revoked")) == 1
    invite = [o.pseudonym for o in created.objects if o.type == "invite"]
    assert invite == [o.pseudonym for o in redeemed.objects if o.type == "invite"]
    found = await officer.request("audit_query", {"subject": phone.account_id})
    events = [entry["event"] for entry in found["entries"]]
    assert {"recovery.created", "recovery.redeemed", "device.revoked"} <= set(events)

    export = (await new_phone.export())["export"]
    devices = {d["id"]: d for d in export["devices"]}
    assert devices[phone.device_id]["status"] == "revoked"
    assert devices[phone.device_id]["revoked_at"] == relay.ctx.now()
    assert devices[new_phone.device_id]["status"] == "active"
    assert devices[new_phone.device_id]["revoked_at"] is None


async def test_erasure_after_recovery_leaves_nothing_of_either_device(relay):
    _, worker, phone = await relay.onboard()
    await phone.close()
    await worker.send(phone.device_id, b"OUDE-TELEFOON-MARKER")
    new_phone = relay.client()
    await new_phone.register((await worker.create_recovery(phone.account_id))["link"])
    unused = await worker.create_recovery(phone.account_id)  # outstanding at erasure
    await new_phone.erase_account()
    await asyncio.wait_for(new_phone.wait_closed(), WAIT)
    assert await refused_code(relay.client().register(unused["link"])) == "invite_invalid"
    await relay.ctx.commits.barrier()
    path = relay.ctx.config.database_path
    con = sqlite3.connect(path)
    gone = (phone.account_id, phone.device_id, new_phone.device_id)
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in con.execute(f"SELECT * FROM {table}"):
            assert not any(value in repr(row) for value in gone), table
    on_disk = path.read_bytes() + path.with_name(path.name + "-wal").read_bytes()
    assert b"OUDE-TELEFOON-MARKER" not in on_disk
    for value in gone:
        assert value.encode() not in on_disk


async def test_a_recovery_on_one_node_reaches_the_other(cluster):  # noqa: F811 (the fixture)
    """The new phone registers on node A; the worker and the caregiver's kept-but-not-chosen
    tablet are on node B: B drops the tablet, and the worker there hears of the new device
    and of the envelope that will never reach the old phone (through Redis)."""
    await cluster.start(2)
    _, worker, phone = await cluster.onboard(0, 1, 1)
    tablet = cluster.client(1)
    await tablet.register((await phone.link_device())["link"])
    await phone.close()
    queued = await worker.send(phone.device_id, b"wacht op de oude telefoon")
    new_phone = cluster.client(0)
    await new_phone.register((await worker.create_recovery(phone.account_id))["link"])
    await asyncio.wait_for(tablet.wait_closed(), WAIT)
    assert tablet.revoked == "device_revoked"
    assert await asyncio.wait_for(worker.undeliverable.get(), WAIT) == [queued]
    assert await asyncio.wait_for(worker.device_changes.get(), WAIT) == phone.account_id
    assert await worker.devices_of(phone.account_id) == [new_phone.device_id]


async def test_workers_see_the_day_a_caregiver_last_used_the_app(relay):
    """'Laatst gebruikt' in the caseload: who may have lost Steuntje on their phone."""
    _, worker, caregiver = await relay.onboard()
    day = relay.ctx.now() - relay.ctx.now() % 86_400
    (case,) = await worker.cases()
    assert case["caregiver_last_active_day"] == day  # joined today
    await caregiver.close()
    relay.clock.advance(3 * 86_400)
    (case,) = await worker.cases()
    assert case["caregiver_last_active_day"] == day  # not back since
    back = relay.client(caregiver.key)
    await back.connect()
    (case,) = await worker.cases()
    assert case["caregiver_last_active_day"] == day + 3 * 86_400


# Who may issue (policy recovery_issuers) and the end of an unused invite in the audit log.

FOUR_EYES = {"version": 1, "recovery_issuers": "case_workers_with_approval"}


async def four_eyes_setup(relay):
    """An organisation that wants a second worker's approval, with a colleague to give it."""
    admin, worker, caregiver = await relay.onboard()
    await admin.request("policy_set", {"document": FOUR_EYES, "reason": "policy_update"})
    colleague = relay.client()
    await colleague.register((await admin.create_invite("worker"))["link"])
    return admin, worker, caregiver, colleague


async def test_the_policy_says_who_may_issue_and_reads_back(relay):
    admin, _, _ = await relay.onboard()
    got = await admin.request("policy_get", {})
    assert got["organisation"]["recovery_issuers"] == "case_workers"  # the default
    wrong = {"version": 1, "recovery_issuers": "anyone"}
    refused = await refused_code(admin.request("policy_set", {"document": wrong}))
    assert refused == "malformed"
    await admin.request("policy_set", {"document": FOUR_EYES})
    got = await admin.request("policy_get", {})
    assert got["organisation"]["recovery_issuers"] == "case_workers_with_approval"


async def test_by_default_a_recovery_invite_needs_no_approval(relay):
    _, worker, caregiver, recovery = await refusal_setup(relay)
    assert recovery["approval"] == "not_needed"
    assert (await relay.client().register(recovery["link"]))["account"] == caregiver.account_id
    assert audit_events(relay, "recovery.approved") == []


async def test_with_four_eyes_a_recovery_waits_for_a_second_worker(relay):
    admin, worker, caregiver, colleague = await four_eyes_setup(relay)
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    recovery = await worker.create_recovery(caregiver.account_id)
    assert recovery["approval"] == "pending"
    rid = recovery["recovery_id"]

    before = await inventory(relay)
    new_phone = relay.client()
    assert await refused_code(new_phone.register(recovery["link"])) == "recovery_not_approved"
    assert await inventory(relay) == before  # refused without being used up

    # Not the issuer, not a caregiver, an officer or an admin: only a second worker.
    for wrong in (worker, caregiver, officer, admin):
        code = await refused_code(wrong.request("recovery_approve", {"recovery_id": rid}))
        assert code == "not_permitted"
    assert audit_events(relay, "recovery.approved") == []
    assert await refused_code(relay.client().register(recovery["link"])) == (
        "recovery_not_approved"
    )
    unknown = colleague.request("recovery_approve", {"recovery_id": "ABCD-EFGH"})
    assert await refused_code(unknown) == "unknown_recovery"

    approved = await colleague.request("recovery_approve", {"recovery_id": rid})
    assert approved["account"] == caregiver.account_id
    (entry,) = audit_events(relay, "recovery.approved")
    assert entry.actor.role == "worker"
    (created,) = audit_events(relay, "recovery.created")
    invite = [o.pseudonym for o in created.objects if o.type == "invite"]
    assert invite == [o.pseudonym for o in entry.objects if o.type == "invite"]

    identity = await relay.client().register(recovery["link"])
    assert identity["account"] == caregiver.account_id


async def test_an_approval_in_another_organisation_or_after_use_is_refused(relay):
    _, worker, caregiver, colleague = await four_eyes_setup(relay)
    recovery = await worker.create_recovery(caregiver.account_id)
    await colleague.request("recovery_approve", {"recovery_id": recovery["recovery_id"]})
    await relay.client().register(recovery["link"])
    again = colleague.request("recovery_approve", {"recovery_id": recovery["recovery_id"]})
    assert await refused_code(again) == "invite_used"
    malformed = colleague.request("recovery_approve", {"recovery_id": "x; DROP"})
    assert await refused_code(malformed) == "malformed"


async def test_an_unused_recovery_invite_that_expires_is_in_the_audit_log_once(relay):
    _, worker, caregiver, recovery = await refusal_setup(relay)
    await purge_once(relay.ctx)
    assert audit_events(relay, "recovery.expired") == []  # not yet expired
    relay.clock.advance(RECOVERY_TTL_S)
    await purge_once(relay.ctx)
    await purge_once(relay.ctx)  # the next hour's run does not record it again
    (expired,) = audit_events(relay, "recovery.expired")
    assert expired.actor.role == "system"
    (created,) = audit_events(relay, "recovery.created")
    assert {(o.type, o.pseudonym) for o in expired.objects} == {
        (o.type, o.pseudonym) for o in created.objects
    }


async def test_a_used_recovery_invite_is_never_recorded_as_expired(relay):
    _, _, caregiver, recovery = await refusal_setup(relay)
    await relay.client().register(recovery["link"])
    relay.clock.advance(RECOVERY_TTL_S)
    await purge_once(relay.ctx)
    assert audit_events(relay, "recovery.expired") == []


async def test_a_recovery_invite_voided_by_a_newer_one_is_in_the_audit_log(relay):
    _, worker, caregiver, first = await refusal_setup(relay)
    await worker.create_recovery(caregiver.account_id)
    (voided,) = audit_events(relay, "recovery.voided")
    first_created = audit_events(relay, "recovery.created")[0]
    assert {(o.type, o.pseudonym) for o in voided.objects} == {
        (o.type, o.pseudonym) for o in first_created.objects
    }
    relay.clock.advance(RECOVERY_TTL_S)
    await purge_once(relay.ctx)
    assert len(audit_events(relay, "recovery.expired")) == 1  # the second; the first was voided


async def test_a_second_workers_approval_on_another_node_over_postgresql(cluster):  # noqa: F811
    """The same rule on PostgreSQL: made on node A, approved by a colleague on node B."""
    await cluster.start(2)
    admin, worker, phone = await cluster.onboard(0, 0, 0)
    await admin.request("policy_set", {"document": FOUR_EYES})
    colleague = cluster.client(1)
    await colleague.register((await admin.create_invite("worker"))["link"])
    recovery = await worker.create_recovery(phone.account_id)
    assert recovery["approval"] == "pending"
    code = await refused_code(cluster.client(0).register(recovery["link"]))
    assert code == "recovery_not_approved"
    approve = {"recovery_id": recovery["recovery_id"]}
    assert await refused_code(worker.request("recovery_approve", approve)) == "not_permitted"
    await colleague.request("recovery_approve", approve)
    new_phone = cluster.client(0)
    assert (await new_phone.register(recovery["link"]))["account"] == phone.account_id
