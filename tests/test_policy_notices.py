"""An organisation's policy change reaches every open screen at once (issue 14 item 9): the
devices of every case hear `case_changed` and every group's members `group_changed`, so
the disappearing-timer note and the group banner follow without a reload."""

from __future__ import annotations

import asyncio

from test_groups_relay import Handle, start_group

WAIT = 10


async def test_an_organisation_policy_change_tells_every_case_and_group(relay):
    admin, worker, caregiver = await relay.onboard()
    group = await start_group(Handle(worker))
    (case,) = await worker.cases()
    for queue in (caregiver.case_changes, worker.case_changes, worker.group_changes):
        while not queue.empty():  # notices from joining and creating
            queue.get_nowait()
    document = {"version": 1, "disappearing_timer": {"default": "7d", "maximum": "30d"}}
    await admin.request("policy_set", {"document": document})
    assert await asyncio.wait_for(caregiver.case_changes.get(), WAIT) == case["id"]
    assert await asyncio.wait_for(worker.case_changes.get(), WAIT) == case["id"]
    assert await asyncio.wait_for(worker.group_changes.get(), WAIT) == group.id
