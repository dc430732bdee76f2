"""Peer-support groups at the relay (docs/groups.md): membership as signed records, routing
to handles, refusals that say nothing about groups the caller is not in. The clients' side
(encryption, 30 members) is tests/test_groups_e2e.py; this drives the protocol directly."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass, field

import pytest

from audit.entry import decode
from crypto.primitives import ed25519_public_key
from groups.log import (
    SignedRecord,
    device_proof,
    make_record,
    make_ticket,
)
from helpers import WAIT, receive
from relay.ids import b64url
from steuntje_client import RelayClient, RelayRefused
from steuntje_client.keys import DeviceKey

DAY = 86_400


@dataclass
class Handle:
    """One device's identity in one group: a fresh Ed25519 key."""

    client: RelayClient
    seed: bytes = field(default_factory=lambda: os.urandom(32))

    @property
    def id(self) -> str:
        return b64url(ed25519_public_key(self.seed))


@dataclass
class Group:
    id: str
    seq: int
    head: str

    def fields(self, op: str, **extra: object) -> dict[str, object]:
        return {"group": self.id, "seq": self.seq + 1, "prev": self.head, "op": op, **extra}


async def refused(call) -> RelayRefused:
    with pytest.raises(RelayRefused) as error:
        await call
    return error.value


async def info(client: RelayClient, group: str, since: int = 0) -> dict:
    return await client.request("group_info", {"group": group, "since": since})


async def sync(group: Group, client: RelayClient) -> Group:
    """The head of the log as the relay holds it (what the next record must chain to)."""
    from groups.log import fold

    reply = await info(client, group.id)
    state = fold([SignedRecord(**r) for r in reply["records"]])
    return Group(group.id, state.seq, state.head)


async def start_group(facilitator: Handle) -> Group:
    group_id = "grp_" + b64url(os.urandom(16))
    record = make_record(
        facilitator.seed, {"group": group_id, "seq": 1, "prev": "", "op": "create"}
    )
    reply = await facilitator.client.request("group_create", {"record": record.to_wire()})
    assert reply == {"ok": True, "group": group_id, "seq": 1, "member": facilitator.id}
    return await sync(Group(group_id, 0, ""), facilitator.client)


def ticket_for(group: Group, facilitator: Handle, now: int, ttl: int = DAY) -> dict:
    nonce = b64url(os.urandom(16))
    return make_ticket(facilitator.seed, group.id, nonce, now + ttl).to_wire()


async def join(group: Group, joiner: Handle, ticket: dict) -> Group:
    prepared = await joiner.client.request("group_join_prepare", {"ticket": ticket})
    assert prepared["group"] == group.id
    record = make_record(
        joiner.seed,
        {
            "group": group.id,
            "seq": prepared["seq"],
            "prev": prepared["prev"],
            "op": "join",
            "ticket": ticket,
        },
    )
    reply = await joiner.client.request("group_join", {"record": record.to_wire()})
    assert reply["member"] == joiner.id
    return await sync(group, joiner.client)


async def change(
    group: Group, signer: Handle, op: str, reader: RelayClient | None = None, **extra: object
) -> Group:
    """Sign and submit a change; `reader` (default: the signer) reads the new head."""
    record = make_record(signer.seed, group.fields(op, **extra))
    await signer.client.request("group_change", {"record": record.to_wire()})
    return await sync(group, reader or signer.client)


async def caregivers(relay, worker: RelayClient, count: int) -> list[RelayClient]:
    people = []
    for _ in range(count):
        caregiver = relay.client()
        await caregiver.register((await worker.create_invite("caregiver"))["link"])
        people.append(caregiver)
    return people


async def group_of_three(relay):
    """A worker facilitating, and two caregivers (Ann, Bob) who joined with tickets."""
    admin, worker, ann_client = await relay.onboard()
    (bob_client,) = await caregivers(relay, worker, 1)
    fac, ann, bob = Handle(worker), Handle(ann_client), Handle(bob_client)
    group = await start_group(fac)
    group = await join(group, ann, ticket_for(group, fac, relay.ctx.now()))
    group = await join(group, bob, ticket_for(group, fac, relay.ctx.now()))
    return relay, group, fac, ann, bob


def audit_bodies(relay) -> list:
    con = sqlite3.connect(relay.ctx.config.database_path)
    rows = con.execute("SELECT body FROM audit_entries WHERE body IS NOT NULL ORDER BY idx")
    return [decode(row[0]) for row in rows]


# -- routing ------------------------------------------------------------------------------


async def test_envelopes_travel_between_handles_and_never_show_the_device(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    reply = await info(ann.client, group.id)
    assert sorted(reply["active"]) == sorted([fac.id, ann.id, bob.id])
    assert reply["seq"] == 3 and len(reply["records"]) == 3

    await ann.client.send(bob.id, b"hallo groep")
    await ann.client.send(fac.id, b"hallo groep")
    (to_bob,) = await receive(bob.client, 1)
    (to_fac,) = await receive(fac.client, 1)
    # The recipient sees the sender's handle, which links to nothing outside this group.
    assert to_bob.sender == ann.id and to_fac.sender == ann.id
    assert ann.client.device_id not in (to_bob.sender, to_fac.sender)
    assert to_bob.body == b"hallo groep"


async def test_group_list_names_only_the_callers_own_memberships(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    (mine,) = (await ann.client.request("group_list"))["groups"]
    assert mine == {
        "group": group.id,
        "member": ann.id,
        "role": "member",
        "handles": [ann.id],
        "seq": 3,
        "closed_at": None,
    }
    (theirs,) = (await fac.client.request("group_list"))["groups"]
    assert theirs["role"] == "facilitator"


async def test_handle_prekeys_are_uploaded_by_their_device_and_fetched_by_members(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    signed = b"\x01" * 229
    keys = {"signed": signed, "one_time_ids": [1, 2], "one_time_keys": b"\x02" * 64}
    assert (await ann.client.request("prekeys_upload", {"as": ann.id, **keys}))["one_time"] == 2
    status = await ann.client.request("prekeys_status", {"as": ann.id})
    assert status["signed"] is True and status["one_time"] == 2
    # Another device may not publish keys for Ann's handle.
    error = await refused(bob.client.request("prekeys_upload", {"as": ann.id, **keys}))
    assert error.code == "not_a_member"
    fetched = await bob.client.request("prekeys_fetch", {"device": ann.id})
    assert fetched["bundle"].startswith(signed) and fetched["device"] == ann.id
    # Ann's device keys are untouched: the handle's prekeys are its own.
    own = await ann.client.request("prekeys_status")
    assert own["one_time"] == 0


# -- refusals for outsiders -----------------------------------------------------------------


async def test_an_outsider_learns_nothing_not_even_whether_the_group_exists(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    (outsider,) = await caregivers(relay, fac.client, 1)
    made_up = "grp_" + b64url(os.urandom(16))
    answers = []
    for group_id in (group.id, made_up):
        error = await refused(info(outsider, group_id))
        answers.append(error)
        assert error.code == "not_a_member"
    # The same answer, word for word, for a real group and a made-up one.
    assert answers[0].message == answers[1].message
    error = await refused(outsider.send(ann.id, b"mag ik erbij?"))
    assert error.code == "not_a_member"
    error = await refused(outsider.request("prekeys_fetch", {"device": ann.id}))
    assert error.code == "not_a_member"
    error = await refused(outsider.request("policy_get", {"group": group.id}))
    assert error.code == "not_a_member"
    assert (await outsider.request("group_list"))["groups"] == []


async def test_an_outsider_cannot_sign_a_change_into_the_group(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    (outsider,) = await caregivers(relay, fac.client, 1)
    intruder = Handle(outsider)
    record = make_record(intruder.seed, group.fields("remove", member=ann.id))
    error = await refused(outsider.request("group_change", {"record": record.to_wire()}))
    assert error.code == "not_a_member"
    # A ticket the intruder signed itself admits nobody.
    forged = ticket_for(group, intruder, relay.ctx.now())
    error = await refused(outsider.request("group_join_prepare", {"ticket": forged}))
    assert (error.code, error.details.get("reason")) == ("group_record_refused", "ticket_invalid")


# -- membership changes ---------------------------------------------------------------------


async def test_a_member_cannot_use_the_facilitators_tools(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    for op, extra in (
        ("remove", {"member": bob.id}),
        ("mute", {"member": bob.id, "until": relay.ctx.now() + 60}),
        ("role", {"member": ann.id, "role": "facilitator"}),
    ):
        record = make_record(ann.seed, group.fields(op, **extra))
        error = await refused(ann.client.request("group_change", {"record": record.to_wire()}))
        assert (error.code, error.details["reason"]) == ("group_record_refused", "not_facilitator")
    assert (await info(ann.client, group.id))["seq"] == group.seq  # nothing was appended


async def test_a_record_signed_on_another_device_is_not_accepted_from_this_one(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    record = make_record(fac.seed, group.fields("remove", member=ann.id))
    # Bob got hold of the facilitator's signed record; he may not submit it.
    error = await refused(bob.client.request("group_change", {"record": record.to_wire()}))
    assert error.code == "not_permitted"


async def test_malformed_and_tampered_records_get_a_reason(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    good = make_record(fac.seed, group.fields("mute", member=bob.id, until=relay.ctx.now() + 60))
    cases = {
        "malformed": {"body": "{", "sig": good.sig},
        "bad_signature": {"body": good.body.replace(":", ": ", 1), "sig": good.sig},
        # A lone surrogate has no UTF-8 bytes to verify: malformed, not a crash.
        "malformed ": {
            "body": good.body.replace(f'"prev":"{group.head}"', '"prev":"\ud800"'),
            "sig": good.sig,
        },
    }
    for reason, wire in cases.items():
        error = await refused(fac.client.request("group_change", {"record": wire}))
        assert (error.code, error.details["reason"]) == ("group_record_refused", reason.strip())
    error = await refused(fac.client.request("group_change", {"record": "not an object"}))
    assert error.code == "group_record_refused"
    stale = make_record(fac.seed, {**group.fields("mute", member=bob.id, until=0), "seq": 2})
    error = await refused(fac.client.request("group_change", {"record": stale.to_wire()}))
    assert error.details["reason"] == "wrong_seq"
    assert (await info(fac.client, group.id))["seq"] == group.seq


async def test_tickets_are_good_for_one_join_and_expire(relay):
    admin, worker, first = await relay.onboard()
    second, third = await caregivers(relay, worker, 2)
    fac = Handle(worker)
    group = await start_group(fac)
    ticket = ticket_for(group, fac, relay.ctx.now(), ttl=3600)
    group = await join(group, Handle(first), ticket)
    error = await refused(second.request("group_join_prepare", {"ticket": ticket}))
    assert error.details["reason"] == "ticket_used"
    late = ticket_for(group, fac, relay.ctx.now(), ttl=3600)
    relay.clock.advance(3601)
    error = await refused(third.request("group_join_prepare", {"ticket": late}))
    assert error.details["reason"] == "ticket_expired"
    # One person, one member: a second handle for the same account is refused.
    again = ticket_for(group, fac, relay.ctx.now())
    error = await refused(first.request("group_join_prepare", {"ticket": again}))
    assert error.code == "already_member"


async def test_a_removed_member_can_neither_send_nor_be_reached_nor_ask(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    group = await change(group, fac, "remove", member=bob.id)
    assert sorted((await info(ann.client, group.id))["active"]) == sorted([fac.id, ann.id])
    error = await refused(ann.client.send(bob.id, b"ben je er nog?"))
    assert error.code == "unknown_device"
    error = await refused(bob.client.send(ann.id, b"ik wil terug"))
    assert error.code == "not_a_member"
    assert (await refused(info(bob.client, group.id))).code == "not_a_member"
    assert (await bob.client.request("group_list"))["groups"] == []


async def test_leaving_and_the_last_facilitator(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    group = await change(group, ann, "leave", reader=fac.client, member=ann.id)
    assert ann.id not in (await info(fac.client, group.id))["active"]
    record = make_record(fac.seed, group.fields("leave", member=fac.id))
    error = await refused(fac.client.request("group_change", {"record": record.to_wire()}))
    assert error.details["reason"] == "last_facilitator"


async def test_a_muted_member_cannot_send_until_the_mute_ends(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    until = relay.ctx.now() + 3600
    group = await change(group, fac, "mute", member=bob.id, until=until)
    assert (await info(ann.client, group.id))["muted"] == {bob.id: until}
    error = await refused(bob.client.send(ann.id, b"HEY"))
    assert error.code == "muted"
    await ann.client.send(bob.id, b"Bob leest nog mee")  # muted is not deaf
    assert (await receive(bob.client, 1))[0].body == b"Bob leest nog mee"
    relay.clock.advance(3601)
    await bob.client.send(ann.id, b"sorry")
    assert (await receive(ann.client, 1))[0].body == b"sorry"
    # A facilitator cannot be muted, and a mute is for a while, not for good.
    record = make_record(fac.seed, group.fields("mute", member=bob.id, until=until + 40 * DAY))
    error = await refused(fac.client.request("group_change", {"record": record.to_wire()}))
    assert error.details["reason"] == "mute_too_long"


async def test_a_second_device_joins_with_its_own_handle_and_proof(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    link = await ann.client.request("device_link_create")
    phone = relay.client()
    await phone.register(link["link"])
    second = Handle(phone)
    record = make_record(ann.seed, group.fields("device", member=ann.id, handle=second.id))
    wrong = device_proof(os.urandom(32), record)
    error = await refused(
        ann.client.request(
            "group_change",
            {"record": record.to_wire(), "proof": wrong, "device": phone.device_id},
        )
    )
    assert error.details["reason"] == "bad_proof"
    # Bob's device is not Ann's: a handle is only bound to a device of the same account.
    error = await refused(
        ann.client.request(
            "group_change",
            {
                "record": record.to_wire(),
                "proof": device_proof(second.seed, record),
                "device": bob.client.device_id,
            },
        )
    )
    assert error.code == "not_permitted"
    await ann.client.request(
        "group_change",
        {
            "record": record.to_wire(),
            "proof": device_proof(second.seed, record),
            "device": phone.device_id,
        },
    )
    # The phone has its handle now; a second one for the same device is refused.
    third = Handle(phone)
    group = await sync(group, ann.client)
    again = make_record(ann.seed, group.fields("device", member=ann.id, handle=third.id))
    error = await refused(
        ann.client.request(
            "group_change",
            {"record": again.to_wire(), "proof": device_proof(third.seed, again),
             "device": phone.device_id},
        )
    )  # fmt: skip
    assert error.details["reason"] == "handle_in_use"
    await bob.client.send(second.id, b"ook op je telefoon")
    (got,) = await receive(phone, 1)
    assert got.sender == bob.id and got.body == b"ook op je telefoon"
    (mine,) = (await phone.request("group_list"))["groups"]
    assert mine["member"] == ann.id and mine["handles"] == [second.id]


async def test_a_handle_cannot_be_a_device_key(relay):
    admin, worker, _ = await relay.onboard()
    seed = os.urandom(32)
    caregiver = relay.client(DeviceKey.from_seed(seed))
    await caregiver.register((await worker.create_invite("caregiver"))["link"])
    fac = Handle(worker)
    group = await start_group(fac)
    # Reusing the caregiver's own device key as handle would link the two: refused.
    device_seed_holder = Handle(caregiver, seed=seed)
    ticket = ticket_for(group, fac, relay.ctx.now())
    prepared = await caregiver.request("group_join_prepare", {"ticket": ticket})
    record = make_record(
        device_seed_holder.seed,
        {"group": group.id, "seq": prepared["seq"], "prev": prepared["prev"], "op": "join",
         "ticket": ticket},
    )  # fmt: skip
    error = await refused(caregiver.request("group_join", {"record": record.to_wire()}))
    assert error.details["reason"] == "handle_in_use"


async def test_only_workers_and_admins_start_groups(relay):
    admin, worker, caregiver = await relay.onboard()
    error = await refused(start_group(Handle(caregiver)))
    assert error.code == "not_permitted"


# -- closing, policy, audit -----------------------------------------------------------------


async def test_a_closed_group_takes_no_more_messages(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    error = await refused(ann.client.request("group_close", {"group": group.id}))
    assert error.code == "not_permitted"
    reply = await fac.client.request("group_close", {"group": group.id})
    assert reply["closed_at"] == relay.ctx.now()
    error = await refused(ann.client.send(bob.id, b"nog een laatste"))
    assert error.code == "group_closed"
    (listed,) = (await ann.client.request("group_list"))["groups"]
    assert listed["closed_at"] == relay.ctx.now()


async def test_the_group_policy_is_set_by_the_facilitator_and_read_by_members(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    document = {"envelope_lifetime": "3d", "disappearing_timer": "7d"}
    reply = await fac.client.request("policy_set", {"group": group.id, "document": document})
    assert reply["effective"]["envelope_lifetime"] == "3d"
    seen = await ann.client.request("policy_get", {"group": group.id})
    assert seen["effective"]["disappearing_timer_s"] == 7 * DAY
    assert (await info(bob.client, group.id))["policy"]["envelope_lifetime"] == "3d"
    error = await refused(
        ann.client.request("policy_set", {"group": group.id, "document": document})
    )
    assert error.code == "not_permitted"
    # Group envelopes take the group's lifetime. Bob is offline first: a connected client
    # acknowledges at once, and the acknowledged envelope could be gone before the read.
    await bob.client.close()
    await ann.client.send(bob.id, b"tot over drie dagen")
    con = sqlite3.connect(relay.ctx.config.database_path)
    (row,) = con.execute("SELECT created_at, expires_at, case_id FROM envelopes").fetchall()
    assert row[1] - row[0] == 3 * DAY and row[2] == group.id


async def test_every_change_is_audited_without_handles(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    group = await change(group, fac, "mute", member=bob.id, until=relay.ctx.now() + 60)
    group = await change(group, ann, "leave", reader=fac.client, member=ann.id)
    events = [entry.event for entry in audit_bodies(relay)]
    for event in (
        "group.created",
        "group.member_joined",
        "group.member_muted",
        "group.member_left",
    ):
        assert event in events
    assert events.count("group.member_joined") == 2
    con = sqlite3.connect(relay.ctx.config.database_path)
    raw = b"".join(r[0] for r in con.execute("SELECT body FROM audit_entries"))
    for handle in (fac.id, ann.id, bob.id):
        assert handle.encode() not in raw
    assert group.id.encode() not in raw  # the group is named by its pseudonym


async def test_erasing_an_account_takes_it_out_of_its_groups(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    while not ann.client.group_changes.empty():  # the joins' notices
        ann.client.group_changes.get_nowait()
    await bob.client.request("account_erase", {"confirm": bob.client.account_id})
    # Ann's app hears at once that the group's routable handles changed.
    assert await asyncio.wait_for(ann.client.group_changes.get(), WAIT) == group.id
    assert bob.id not in (await info(ann.client, group.id))["active"]
    con = sqlite3.connect(relay.ctx.config.database_path)
    left = con.execute("SELECT count(*) FROM group_handles WHERE handle = ?", (bob.id,))
    assert left.fetchone()[0] == 0
    error = await refused(ann.client.send(bob.id, b"?"))
    assert error.code == "unknown_device"


async def test_a_closed_group_is_removed_after_its_lifetime_unless_a_hold_names_it(relay):
    from relay.housekeeping import purge_once

    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    fac = Handle(worker)
    kept, gone = await start_group(fac), await start_group(Handle(worker))
    await join(kept, Handle(caregiver), ticket_for(kept, fac, relay.ctx.now()))
    listed = (await officer.request("cases_all"))["groups"]
    assert {g["id"] for g in listed} == {kept.id, gone.id}
    assert {g["members"] for g in listed} == {1, 2}
    hold = {
        "case": kept.id,
        "reason": "court_order",
        "reference": "zaak 12",
        "basis": "court_order",
    }
    await officer.request("legal_hold_place", {**hold, "review_at": relay.ctx.now() + 300 * DAY})
    for group in (kept, gone):
        await worker.request("group_close", {"group": group.id})
    lifetime = relay.ctx.config.envelope_ttl_s  # any time short of the closed-case lifetime
    relay.clock.advance(lifetime)
    assert (await purge_once(relay.ctx))["closed_groups"] == 0
    relay.clock.advance(400 * DAY)
    assert (await purge_once(relay.ctx))["closed_groups"] == 1
    remaining = [g["group"] for g in (await worker.request("group_list"))["groups"]]
    assert remaining == [kept.id]  # the hold keeps the held group, the other one is gone
    con = sqlite3.connect(relay.ctx.config.database_path)
    for table in ("groups", "group_log", "group_members"):
        column = "id" if table == "groups" else "group_id"
        left = con.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (gone.id,))
        assert left.fetchone()[0] == 0, table
    assert "group.removed" in [entry.event for entry in audit_bodies(relay)]


async def test_the_account_export_lists_memberships_without_names(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    export = (await ann.client.request("account_export"))["export"]
    (mine,) = export["groups"]
    assert mine["id"] == group.id and mine["your_member_id"] == ann.id
    assert mine["your_handles"] == {ann.id: ann.client.device_id}
    assert mine["members"] == 3 and mine["role"] == "member"
    page = (await ann.client.request("account_export"))["html"]
    assert "Je groepen (1)" in page and group.id in page and "deelnemer" in page


async def test_group_handles_have_their_own_prekey_fetch_budget(small_relay):
    """A newcomer fetches a bundle for every handle at once; that must not run into the
    per-connection budget meant for case contacts (and must not raise it for them)."""
    relay = await small_relay(prekey_fetches_per_minute=2)
    relay, group, fac, ann, bob = await group_of_three(relay)
    keys = {"signed": b"\x01" * 229, "one_time_ids": [], "one_time_keys": b""}
    for handle in (fac, ann):
        await handle.client.request("prekeys_upload", {"as": handle.id, **keys})
    for _ in range(3):  # six group fetches: more than 2, all answered
        for handle in (fac, ann):
            await bob.client.request("prekeys_fetch", {"device": handle.id})
    await fac.client.request("prekeys_upload", keys)
    answers = await asyncio.gather(
        *(bob.client.request("prekeys_fetch", {"device": fac.client.device_id}) for _ in range(3)),
        return_exceptions=True,
    )
    assert [a.code for a in answers if isinstance(a, RelayRefused)] == ["too_many_attempts"]
