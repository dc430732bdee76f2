"""An attachment in a peer-support group of five people with two devices each (issue 16):
every other device fetches the one blob, which the relay deletes after the last of them."""

from __future__ import annotations

import asyncio
import os

from test_groups_e2e import group_of, party, until_seq

from helpers import WAIT
from steuntje_client.attachments import fetch_attachment, send_group_attachment
from steuntje_client.secure import SecureClient

PICTURE = b"\xff\xd8\xff\xe0" + os.urandom(30_000)


async def next_attachment(client: SecureClient):
    while True:  # skipping the profiles and rules people send each other
        received = await asyncio.wait_for(client.groups.messages.get(), WAIT)
        if received.kind == "attachment":
            return received


async def test_five_members_with_two_devices_each_all_get_the_picture(small_relay, tmp_path):
    everyone = await party(small_relay, 4)
    worker, people = everyone.worker, everyone.caregivers
    group = await group_of(worker, people)
    devices: list[SecureClient] = []
    for person in (worker, *people):
        tablet = everyone.device()
        await tablet.register((await person.relay.link_device())["link"])
        await person.groups.add_device(group, tablet.groups.offer_device(group))
        await tablet.groups.adopt(group)
        devices.append(tablet)
    head = max(p.groups.rosters[group].seq for p in (worker, *people))
    for client in (worker, *people, *devices):
        await until_seq(client, group, head)
    sent = await send_group_attachment(worker, group, PICTURE, "image/jpeg", width=40, height=30)
    blob = sent.fields["blob"]
    readers = [*people, *devices]  # everyone but the sending phone: 9 devices
    for number, reader in enumerate(readers):
        received = await next_attachment(reader)
        assert received.message.id == sent.id
        assert await everyone.relay.ctx.storage.blob(blob) is not None  # until the last
        got = await fetch_attachment(reader, received, tmp_path / f"{number}.jpg")
        assert got.read_bytes() == PICTURE
    assert await everyone.relay.ctx.storage.blob(blob) is None
    await everyone.close()
