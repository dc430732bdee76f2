"""Peer-support groups end to end, through the real relay, with the Python client's group
layer (docs/groups.md): a full group where everyone gets everything once and in order,
late joiners, removal (and what a removed member could still read: nothing), leaving,
muting, roles, a second device, and a membership log that holds against forgery."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from crypto import DecryptionError, DeviceKeys
from groups.log import MAX_MEMBERS, InvalidRecord, make_record
from helpers import WAIT
from steuntje_client.errors import RelayRefused
from steuntje_client.group_links import GroupReceived, parse_ticket_link
from steuntje_client.groups import GroupError
from steuntje_client.messages import Message
from steuntje_client.secure import SecureClient

# The in-process relay's clock stands still, so its rate buckets never refill: give the
# many session setups of a 31-person group room (a real relay refills them each second).
LIMITS = {"prekey_fetches_per_minute": 1_000, "send_burst": 100_000}


@dataclass
class Party:
    """A relay with an admin, a support worker (the facilitator) and caregivers."""

    relay: object
    worker: SecureClient
    caregivers: list[SecureClient]
    opened: list[object] = field(default_factory=list)

    def device(self) -> SecureClient:
        clock = self.relay.clock  # type: ignore[attr-defined]
        client = SecureClient(
            self.relay.url,  # type: ignore[attr-defined]
            DeviceKeys.generate(int(clock.now()), one_time_prekeys=0),
            clock=clock.now,
        )
        self.opened.append(client)
        return client

    async def add_caregivers(self, count: int) -> list[SecureClient]:
        links = [(await self.worker.relay.create_invite("caregiver"))["link"] for _ in range(count)]
        fresh = [self.device() for _ in links]
        await asyncio.gather(*(c.register(link) for c, link in zip(fresh, links, strict=True)))
        self.caregivers += fresh
        return fresh

    async def close(self) -> None:
        for client in self.opened:
            await client.close()  # type: ignore[attr-defined]


async def party(small_relay, caregivers: int) -> Party:
    relay = await small_relay(**LIMITS)
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    start = Party(relay, None, [])  # type: ignore[arg-type]
    start.opened.append(admin)
    start.worker = start.device()
    await start.worker.register((await admin.create_invite("worker"))["link"])
    await start.add_caregivers(caregivers)
    return start


async def until_seq(client: SecureClient, group: str, seq: int) -> None:
    """Wait until the client's verified log of `group` has reached `seq`."""
    roster = client.groups.rosters.get(group)
    while roster is None or roster.seq < seq:
        await asyncio.wait_for(client.groups.changes.get(), WAIT)
        roster = client.groups.rosters.get(group)


async def next_text(client: SecureClient) -> GroupReceived:
    """The next group text, skipping the profiles and rules people send each other."""
    while True:
        received = await asyncio.wait_for(client.groups.messages.get(), WAIT)
        if received.kind == "text":
            return received


async def texts_until_fences(client: SecureClient, fences: int) -> dict[str, list[str]]:
    """Texts by sender member until `fences` senders have said "end" (a sender's envelopes
    arrive in order, so after its "end" nothing earlier of it can still come)."""
    seen: dict[str, list[str]] = defaultdict(list)
    ended = 0
    while ended < fences:
        received = await next_text(client)
        seen[received.member].append(received.message.fields["text"])
        ended += received.message.fields["text"] == "end"
    return seen


async def group_of(worker: SecureClient, people: list[SecureClient]) -> str:
    """A group made by the worker and joined by everyone in `people`, one after another."""
    group = await worker.groups.create(
        "Mantelzorgers Noord", display_name="Petra", rules="Wat hier gezegd wordt, blijft hier."
    )
    for number, person in enumerate(people):
        await person.groups.join(worker.groups.invite_link(group), display_name=f"Lid {number}")
    head = worker.groups.rosters[group].seq
    for client in (worker, *people):
        await until_seq(client, group, head)
    return group


async def case_fence(worker: SecureClient, person: SecureClient, text: str) -> None:
    """A case message after everything else: the person's device gets its mailbox in
    order, so when this arrives anything sent to it before has arrived too."""
    await worker.send_text(person.account_id, text)
    while True:
        got = await asyncio.wait_for(person.messages.get(), WAIT)
        if got.kind == "text" and got.message.fields["text"] == text:
            return


@pytest.mark.timeout(90)
async def test_thirty_members_each_get_every_message_once_in_order(small_relay):
    everyone = await party(small_relay, MAX_MEMBERS)
    worker, people = everyone.worker, list(everyone.caregivers)
    group = await group_of(worker, people)
    roster = worker.groups.rosters[group]
    assert roster.state.count("member") == MAX_MEMBERS and roster.state.count("facilitator") == 1

    # Display names and the rules travelled end to end: a newcomer got them from everyone.
    last = people[-1].groups.rosters[group]
    while len(last.names) < MAX_MEMBERS + 1 or last.meta is None:
        await asyncio.wait_for(people[-1].groups.messages.get(), WAIT)
    assert last.names[worker.groups.member_id(group)] == "Petra"
    assert last.names[people[0].groups.member_id(group)] == "Lid 0"
    assert last.meta["rules"] == "Wat hier gezegd wordt, blijft hier."
    while people[-1].groups.member_id(group) not in worker.groups.rosters[group].names:
        await asyncio.wait_for(worker.groups.messages.get(), WAIT)
    assert worker.groups.rosters[group].names[people[-1].groups.member_id(group)] == "Lid 29"

    # One more would be the 31st member: the relay refuses it, the signed log says why.
    (extra,) = await everyone.add_caregivers(1)
    with pytest.raises(RelayRefused) as full:
        await extra.groups.join(worker.groups.invite_link(group), display_name="Te veel")
    assert full.value.details["reason"] == "group_full"

    senders = [worker, *people[:4]]
    for round_number in range(4):  # interleaved: all senders at once, round after round
        await asyncio.gather(
            *(s.groups.send_text(group, f"{i}:{round_number}") for i, s in enumerate(senders))
        )
    await asyncio.gather(*(s.groups.send_text(group, "end") for s in senders))

    results = await asyncio.gather(
        *(texts_until_fences(c, len(senders) - (c in senders)) for c in (worker, *people))
    )
    for client, seen in zip((worker, *people), results, strict=True):
        for index, sender in enumerate(senders):
            if sender is client:
                assert sender.groups.member_id(group) not in seen  # never one's own
                continue
            expected = [f"{index}:{r}" for r in range(4)] + ["end"]
            assert seen[sender.groups.member_id(group)] == expected
    assert all(c.groups.dropped == 0 and c.dropped == 0 for c in (worker, *people))
    await everyone.close()


async def test_a_late_joiner_gets_nothing_from_before_and_joins_from_a_case_invite(small_relay):
    everyone = await party(small_relay, 3)
    worker, (anna, bob, late) = everyone.worker, everyone.caregivers
    group = await group_of(worker, [anna, bob])
    await anna.groups.send_text(group, "van voor jouw tijd")
    await worker.groups.send_text(group, "ook van voor jouw tijd")
    assert {(await next_text(bob)).message.fields["text"] for _ in range(2)} == {
        "van voor jouw tijd",
        "ook van voor jouw tijd",
    }

    # The invitation travels end to end in the worker's case with the late joiner.
    await worker.send(late.account_id, "group_invite", **worker.groups.invitation(group))
    invite = await asyncio.wait_for(late.messages.get(), WAIT)
    assert invite.kind == "group_invite" and invite.message.fields["name"] == "Mantelzorgers Noord"
    assert parse_ticket_link(invite.message.fields["link"]).fields()["group"] == group
    await late.groups.join(invite.message.fields["link"], display_name="Laatkomer")
    for client in (worker, anna, bob):
        await until_seq(client, group, late.groups.rosters[group].seq)

    await anna.groups.send_text(group, "welkom")
    first = await next_text(late)
    assert first.message.fields["text"] == "welkom" and first.member == anna.groups.member_id(group)
    assert late.groups.rosters[group].names[anna.groups.member_id(group)] == "Lid 0"
    await case_fence(worker, late, "hek")
    assert all(
        m.kind != "text" for m in _drain(late.groups.messages)
    )  # nothing else: no text from before the join, ever

    # A device it has never heard from is not a group member: after a look at its groups'
    # logs, the case layer gets it (the worker's new tablet writing in the case).
    tablet = everyone.device()
    await tablet.register((await worker.relay.link_device())["link"])
    await tablet.send_text(late.account_id, "vanaf de tablet van je begeleider")
    got = await asyncio.wait_for(late.messages.get(), WAIT)
    assert got.sender_device == tablet.device_id and got.kind == "text"
    assert late.groups.dropped == 0 and late.dropped == 0
    await everyone.close()


def _drain(queue: asyncio.Queue) -> list[GroupReceived]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_a_removed_member_gets_nothing_and_cannot_read_what_follows(small_relay):
    everyone = await party(small_relay, 3)
    worker, (anna, bob, removed) = everyone.worker, everyone.caregivers
    group = await group_of(worker, [anna, bob, removed])
    kept_identity = removed.groups.identities[group]  # as if the keys were copied off
    removed_handle = kept_identity.handle
    await removed.groups.send_text(group, "nog even")
    await next_text(anna), await next_text(bob)

    seq = await worker.groups.remove(group, removed.groups.member_id(group))
    for client in (anna, bob):
        await until_seq(client, group, seq)
    assert removed_handle not in anna.groups.rosters[group].recipients(
        anna.groups.identities[group].handle
    )

    await anna.groups.send_text(group, "zonder jou")
    assert (await next_text(bob)).message.fields["text"] == "zonder jou"
    await case_fence(worker, removed, "hek")
    assert [m for m in _drain(removed.groups.messages) if m.kind == "text"] == []
    assert group in removed.groups.left and group not in removed.groups.identities

    # Ciphertexts for everyone who stays, as the relay would store them: none opens with
    # the removed member's keys (no session, no shared group key to fall back on).
    message = Message("text", {"text": "geheim"}, group, int(everyone.relay.clock.now()))
    sealed = await anna.groups.seal(group, message)
    assert {to for to, _ in sealed.envelopes} == {
        worker.groups.identities[group].handle,
        bob.groups.identities[group].handle,
    }
    anna_handle = anna.groups.identities[group].handle
    for _, body in sealed.envelopes:
        with pytest.raises(DecryptionError):
            kept_identity.decrypt(anna_handle, body)
    # And the relay no longer routes to the removed handle even if a client tried.
    reply = await anna.relay.request(
        "send",
        {"envelopes": [{"id": "AAAAAAAAAAAAAAAAAAAAAA", "to": removed_handle, "size": 3}],
         "bodies": b"abc"},
    )  # fmt: skip
    # (docs/groups.md §3 says not_a_member; a retired handle routes nowhere at all)
    assert reply["rejected"][0]["code"] in ("not_a_member", "unknown_device")
    await everyone.close()


async def test_leave_mute_roles_and_a_second_device(small_relay):
    everyone = await party(small_relay, 4)
    worker, (anna, bob, carla, leaver) = everyone.worker, everyone.caregivers
    group = await group_of(worker, [anna, bob, carla, leaver])
    clock = everyone.relay.clock

    # A second device of Anna's joins the group as her, and gets group messages too.
    tablet = everyone.device()
    await tablet.register((await anna.relay.link_device())["link"])
    await anna.groups.add_device(group, tablet.groups.offer_device(group))
    await tablet.groups.adopt(group)
    head = anna.groups.rosters[group].seq
    for client in (worker, anna, bob, carla, leaver, tablet):
        await until_seq(client, group, head)
    anna_member = anna.groups.member_id(group)
    assert tablet.groups.member_id(group) == anna_member
    assert len(worker.groups.rosters[group].members()[anna_member].handles) == 2
    await bob.groups.send_text(group, "voor al Anna's apparaten")
    on_phone, on_tablet = await next_text(anna), await next_text(tablet)
    assert on_phone.message.id == on_tablet.message.id
    await anna.groups.send_text(group, "vanaf de telefoon")
    own_copy = await next_text(tablet)  # the sender's own other device keeps up
    assert own_copy.member == anna_member and own_copy.message.fields["text"] == "vanaf de telefoon"

    # Muted: the relay refuses Bob's messages until the facilitator lifts it.
    bob_member = bob.groups.member_id(group)
    await until_seq(
        bob, group, await worker.groups.mute(group, bob_member, int(clock.now()) + 3600)
    )
    with pytest.raises(RelayRefused) as muted:
        await bob.groups.send_text(group, "mag niet")
    assert muted.value.code == "muted"
    assert bob.groups.muted_until(group) == int(clock.now()) + 3600
    with pytest.raises(RelayRefused) as not_a_facilitator:
        await worker.groups.mute(group, worker.groups.member_id(group), 0)
    assert not_a_facilitator.value.details["reason"] == "not_permitted"
    await until_seq(bob, group, await worker.groups.mute(group, bob_member, 0))
    await bob.groups.send_text(group, "weer terug")
    carla_texts = [(await next_text(carla)).message.fields["text"] for _ in range(3)]
    assert carla_texts == ["voor al Anna's apparaten", "vanaf de telefoon", "weer terug"]

    # Carla becomes a facilitator: she can now mute, and everyone's log says so.
    carla_member = carla.groups.member_id(group)
    await until_seq(carla, group, await worker.groups.set_role(group, carla_member, "facilitator"))
    assert carla.groups.rosters[group].role_of(carla_member) == "facilitator"
    await carla.groups.mute(group, bob_member, int(clock.now()) + 60)
    await carla.groups.set_role(group, carla_member, "member")
    with pytest.raises(RelayRefused) as demoted:
        await carla.groups.mute(group, bob_member, 0)
    assert demoted.value.details["reason"] == "not_facilitator"

    # Leaving: gone from everyone's log, and nothing can be sent from the old handle.
    leaver_member = leaver.groups.member_id(group)
    seq = await leaver.groups.leave(group)
    for client in (worker, anna, bob, carla):
        await until_seq(client, group, seq)
        assert leaver_member not in client.groups.rosters[group].members()
        assert client.groups.rosters[group].retired(leaver_member)
    with pytest.raises(GroupError):
        await leaver.groups.send_text(group, "ben ik nog hier?")

    closed_at = await worker.groups.close(group)
    assert closed_at > 0
    with pytest.raises(RelayRefused) as closed:
        await anna.groups.send_text(group, "na sluiting")
    assert closed.value.code == "group_closed"
    await everyone.close()


async def test_a_forged_record_is_refused_by_the_relay_and_by_every_client(small_relay):
    everyone = await party(small_relay, 2)
    worker, (anna, bob) = everyone.worker, everyone.caregivers
    group = await group_of(worker, [anna, bob])
    state = anna.groups.rosters[group].state
    bob_member = bob.groups.member_id(group)
    forged = make_record(
        anna.groups.identities[group].signing_seed,
        {"group": group, "seq": state.seq + 1, "prev": state.head,
         "op": "remove", "member": bob_member},
    )  # fmt: skip
    with pytest.raises(RelayRefused) as refused:
        await anna.relay.request("group_change", {"record": forged.to_wire()})
    assert refused.value.code == "group_record_refused"
    assert refused.value.details["reason"] == "not_facilitator"

    # A relay that slipped it into the log anyway: the client believes none of it.
    roster = worker.groups.rosters[group]
    before = roster.state
    with pytest.raises(InvalidRecord) as rejected:
        roster.extend([forged.to_wire()])
    assert rejected.value.reason == "not_facilitator" and roster.state is before
    honest_request = worker.relay.request

    async def lying_relay(event, data=None, **options):
        reply = await honest_request(event, data, **options)
        if event == "group_info":
            reply = {**reply, "records": [*reply["records"], forged.to_wire()]}
        return reply

    worker.relay.request = lying_relay
    await worker.groups.refresh(group)
    assert roster.refused == "not_facilitator" and worker.groups.rejected_records == 1
    assert bob_member in roster.members() and roster.state is before
    worker.relay.request = honest_request

    # A signature that does not match its body is refused before anything else.
    tampered = forged.to_wire() | {"body": forged.body.replace('"remove"', '"leave"')}
    with pytest.raises(RelayRefused) as bad:
        await anna.relay.request("group_change", {"record": tampered})
    assert bad.value.details["reason"] in ("bad_signature", "malformed")
    assert json.loads(forged.body)["by"] == anna.groups.identities[group].handle
    await everyone.close()


async def test_a_handle_survives_a_restart_and_its_prekeys_are_topped_up(small_relay, tmp_path):
    everyone = await party(small_relay, 1)
    worker, (anna,) = everyone.worker, everyone.caregivers
    clock = everyone.relay.clock
    bob = SecureClient(
        everyone.relay.url, DeviceKeys.generate(int(clock.now())), folder=tmp_path / "bob",
        clock=clock.now,
    )  # fmt: skip
    await bob.register((await worker.relay.create_invite("caregiver"))["link"])
    group = await group_of(worker, [anna, bob])
    bob_handle = bob.groups.identities[group].handle
    assert (tmp_path / "bob" / "groups" / group / "handle.keys").exists()
    await bob.close()

    await anna.groups.send_text(group, "terwijl je weg was")
    bob = SecureClient.open(everyone.relay.url, tmp_path / "bob", clock=clock.now)
    everyone.opened.append(bob)
    await bob.connect()  # the same handle, its sessions, and the log fetched again
    assert bob.groups.identities[group].handle == bob_handle
    assert (await next_text(bob)).message.fields["text"] == "terwijl je weg was"
    await bob.groups.send_text(group, "weer terug")
    assert (await next_text(anna)).message.fields["text"] == "weer terug"

    # Others take the handle's one-time prekeys; at the low-water mark it publishes more.
    for _ in range(90):
        await worker.relay.request("prekeys_fetch", {"device": bob_handle})
    handle, count = await asyncio.wait_for(bob.groups.prekeys_published.get(), WAIT)
    # (100 minus what fetches took while the top-up was on its way; a second low notice
    # from the next fetch may top up once more)
    assert handle == bob_handle and 90 <= count <= 100
    status = await bob.relay.request("prekeys_status", {"as": bob_handle})
    assert 90 <= status["one_time"] <= 100
    await everyone.close()
