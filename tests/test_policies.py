"""Retention policy as data on the relay: the organisation's limits and a case's own
settings decide each envelope's lifetime when it is sent; shortening reaches what is
already stored; every change is validated, audited and shown to the case's members."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from audit import decode
from helpers import WAIT, receive
from steuntje_client import RelayRefused

DAY = 86_400


def stored_lifetimes(relay) -> list[int]:
    con = sqlite3.connect(relay.ctx.config.database_path)
    return [row[0] for row in con.execute("SELECT expires_at - created_at FROM envelopes")]


async def test_an_organisation_policy_sets_the_lifetime_of_new_envelopes(relay):
    admin, worker, caregiver = await relay.onboard()
    await caregiver.close()
    before = await admin.request("policy_get")
    assert before["effective"]["envelope_lifetime"] == "14d" and before["version"] == 0
    reply = await admin.request(
        "policy_set",
        {
            "document": {
                "version": 1,
                "envelope_lifetime": {"default": "3d", "minimum": "1d", "maximum": "7d"},
            }
        },
    )
    assert reply["version"] == 1 and reply["effective"]["envelope_lifetime"] == "3d"
    await worker.send(caregiver.device_id, b"drie dagen")
    assert stored_lifetimes(relay) == [3 * DAY]


async def test_a_case_setting_is_clamped_and_shortening_reaches_stored_envelopes(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    key = caregiver.key
    await caregiver.close()
    await worker.send(key.device_id, b"voor de wijziging")  # stored with 14 days
    reply = await worker.request(
        "policy_set", {"case": case["id"], "document": {"envelope_lifetime": "2h"}}
    )
    assert reply["effective"]["envelope_lifetime"] == "1d"  # the organisation's minimum
    assert reply["effective"]["clamped"][0]["field"] == "envelope_lifetime"
    assert stored_lifetimes(relay) == [DAY]  # shortened in place
    relay.clock.advance(DAY + 1)
    back = relay.client(key)
    await back.connect()
    await worker.send(key.device_id, b"na de wijziging")
    assert [e.body for e in await receive(back, 1)] == [b"na de wijziging"]  # expired: hidden


async def test_lengthening_applies_only_to_what_comes_after(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    await caregiver.close()
    await worker.request(
        "policy_set", {"case": case["id"], "document": {"envelope_lifetime": "2d"}}
    )
    await worker.send(caregiver.device_id, b"eerst")
    await worker.request(
        "policy_set", {"case": case["id"], "document": {"envelope_lifetime": "5d"}}
    )
    await worker.send(caregiver.device_id, b"daarna")
    assert sorted(stored_lifetimes(relay)) == [2 * DAY, 5 * DAY]


async def test_both_sides_see_a_case_policy_change_and_it_is_audited(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    await worker.request(
        "policy_set", {"case": case["id"], "document": {"disappearing_timer": "7d"}}
    )
    assert await asyncio.wait_for(caregiver.case_changes.get(), WAIT) == case["id"]
    seen = await caregiver.request("policy_get", {"case": case["id"]})
    assert seen["effective"]["disappearing_timer"] == "7d"
    con = sqlite3.connect(relay.ctx.config.database_path)
    events = [decode(row[0]) for row in con.execute("SELECT body FROM audit_entries")]
    (changed,) = [e for e in events if e.event == "policy.changed"]
    assert changed.actor.role == "worker" and changed.reason == "policy_update"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"version": 1, "envelope_lifetime": {"maximum": "120d"}}, "envelope_lifetime.maximum"),
        (
            {"version": 1, "inactive_accounts": {"remove_after": "200d"}},
            "inactive_accounts.remove_after",
        ),
    ],
)
async def test_an_impossible_organisation_policy_is_refused_naming_the_field(
    relay, document, field
):
    admin, *_ = await relay.onboard()
    with pytest.raises(RelayRefused) as refused:
        await admin.request("policy_set", {"document": document})
    assert refused.value.code == "malformed" and refused.value.details["field"] == field
    assert (await admin.request("policy_get"))["version"] == 0


async def test_who_may_read_and_change_policies(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    for client in (worker, caregiver):
        with pytest.raises(RelayRefused) as refused:
            await client.request("policy_set", {"document": {"version": 1}})
        assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await caregiver.request("policy_set", {"case": case["id"], "document": {}})
    assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await worker.request("policy_get", {"case": "case_" + "P" * 22})
    assert refused.value.code == "unknown_case"
    assert (await admin.request("policy_get", {"case": case["id"]}))["settings"] is None
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    assert (await officer.request("policy_get", {"case": case["id"]}))["case"] == case["id"]
    with pytest.raises(RelayRefused) as refused:  # officers read policies, never set them
        await officer.request("policy_set", {"case": case["id"], "document": {}})
    assert refused.value.code == "not_permitted"
