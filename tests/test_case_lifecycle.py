"""The end of a care relationship: closing a case stops messages through it and starts its
retention clock; a closed case past `closed_case_lifetime` and a caregiver account nobody
uses are removed by the hourly job, unless a legal hold keeps them. Fake clock, real relay."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from audit.entry import decode
from helpers import WAIT
from relay.housekeeping import purge_once
from steuntje_client import RelayClient, RelayRefused

DAY = 86_400


async def close(client: RelayClient, case_id: str, event: str = "case_close") -> dict:
    return await client.request(event, {"case": case_id})


def audit_events(relay) -> list:
    con = sqlite3.connect(relay.ctx.config.database_path)
    rows = con.execute("SELECT body FROM audit_entries WHERE body IS NOT NULL ORDER BY idx")
    return [decode(row[0]) for row in rows]


async def test_closing_stops_messages_both_ways_and_reopening_allows_them_again(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    reply = await close(worker, case["id"])
    assert reply["closed_at"] == relay.ctx.now()
    assert await asyncio.wait_for(caregiver.case_changes.get(), WAIT) == case["id"]
    (seen,) = await caregiver.cases()
    assert seen["closed_at"] == relay.ctx.now()

    for sender, recipient in ((worker, caregiver), (caregiver, worker)):
        with pytest.raises(RelayRefused) as refused:
            await sender.send(recipient.device_id, b"nog even dit")
        assert refused.value.code == "case_closed"

    relay.clock.advance(DAY)
    again = await close(worker, case["id"])  # closing twice keeps the first closing time
    assert again["closed_at"] == relay.ctx.now() - DAY

    assert (await close(worker, case["id"], "case_reopen"))["closed_at"] is None
    await worker.send(caregiver.device_id, b"we gaan weer verder")
    events = [e.event for e in audit_events(relay)]
    assert events.count("case.closed") == 2 and events.count("case.reopened") == 1


async def test_only_workers_on_the_case_and_admins_may_close_it(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    with pytest.raises(RelayRefused) as refused:
        await close(caregiver, case["id"])
    assert refused.value.code == "not_permitted"
    colleague = relay.client()
    await colleague.register((await admin.create_invite("worker"))["link"])
    with pytest.raises(RelayRefused) as refused:
        await close(colleague, case["id"])
    assert refused.value.code == "unknown_case"  # not on the case: it does not exist for them
    with pytest.raises(RelayRefused) as refused:
        await close(worker, "case_" + "x" * 22)
    assert refused.value.code == "unknown_case"
    with pytest.raises(RelayRefused) as refused:
        await worker.request("case_close", {"case": case["id"], "reason": "ik wil het"})
    assert refused.value.code == "malformed"  # reasons come from the audit log's list
    assert (await close(admin, case["id"]))["closed_at"] is not None


async def test_a_closed_case_is_removed_with_its_caregiver_after_its_lifetime(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    await close(worker, case["id"])
    relay.clock.advance(30 * DAY - 1)
    counts = await purge_once(relay.ctx)
    assert counts["closed_cases"] == 0 and len(await worker.cases()) == 1

    relay.clock.advance(1)
    counts = await purge_once(relay.ctx)
    assert counts["closed_cases"] == 1
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    assert caregiver.revoked == "account_erased"
    assert await worker.cases() == []
    with pytest.raises(RelayRefused) as refused:
        await RelayClient(relay.url, caregiver.key).connect()
    assert refused.value.code == "unknown_device"
    (erasure,) = [e for e in audit_events(relay) if e.event == "erasure.done"]
    assert erasure.reason == "retention_policy" and erasure.actor.role == "system"


async def test_a_legal_hold_keeps_a_closed_case_until_it_is_lifted(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    (case,) = await worker.cases()
    hold = await officer.request(
        "legal_hold_place",
        {
            "case": case["id"],
            "reason": "klacht over het zorgplan",
            "reference": "KL-2026-18",
            "basis": "legal_obligation",
            "review_at": relay.ctx.now() + 90 * DAY,
            "scope": ["case"],
        },
    )
    await close(worker, case["id"])
    relay.clock.advance(31 * DAY)
    assert (await purge_once(relay.ctx))["closed_cases"] == 0
    assert len(await worker.cases()) == 1
    await officer.request("legal_hold_lift", {"hold": hold["hold"], "reason": "legal_obligation"})
    assert (await purge_once(relay.ctx))["closed_cases"] == 1
    assert await worker.cases() == []


async def test_an_unused_caregiver_account_is_flagged_then_removed_unless_it_comes_back(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    key = caregiver.key
    await caregiver.close()

    relay.clock.advance(180 * DAY)
    await purge_once(relay.ctx)
    (seen,) = await worker.cases()
    assert seen["caregiver_inactive_since"] == relay.ctx.now()  # the worker can call them
    flagged = [e for e in audit_events(relay) if e.event == "account.flagged_inactive"]
    assert len(flagged) == 1 and flagged[0].actor.role == "system"

    back = relay.client(key)  # the caregiver opens the app again: the flag goes
    await back.connect()
    assert await asyncio.wait_for(worker.case_changes.get(), WAIT) == case["id"]
    (seen,) = await worker.cases()
    assert seen["caregiver_inactive_since"] is None
    await back.close()

    relay.clock.advance(180 * DAY)
    await purge_once(relay.ctx)  # flagged again ...
    relay.clock.advance(30 * DAY - 1)
    assert (await purge_once(relay.ctx))["inactive_accounts"] == 0
    relay.clock.advance(1)
    assert (await purge_once(relay.ctx))["inactive_accounts"] == 1  # ... and removed
    assert await worker.cases() == []


async def test_workers_are_never_flagged_as_inactive(relay):
    admin, worker, caregiver = await relay.onboard()
    await worker.close()
    await caregiver.close()
    relay.clock.advance(400 * DAY)
    await purge_once(relay.ctx)
    con = sqlite3.connect(relay.ctx.config.database_path)
    flagged = dict(con.execute("SELECT role, flagged_at FROM accounts"))
    assert flagged["worker"] is None and flagged["admin"] is None
    assert flagged["caregiver"] is not None
