"""Legal holds: an officer suspends purging for a case; nothing held is purged (though an
expired envelope stays hidden); after the hold ends or is lifted, it is. An erasure asked
for during a hold waits for its end."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from audit.entry import decode
from helpers import WAIT, receive
from relay.housekeeping import purge_once
from steuntje_client import RelayClient, RelayRefused

DAY = 86_400


async def with_officer(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    (case,) = (await officer.request("cases_all"))["cases"]
    return admin, worker, caregiver, officer, case["id"]


def hold_request(relay, case_id: str, **changes) -> dict:
    request = {
        "case": case_id,
        "reason": "claim about the care plan",
        "reference": "KL-2026-17",
        "basis": "legal_obligation",
        "review_at": relay.ctx.now() + 90 * DAY,
    }
    return {**request, **changes}


def stored_expired(relay) -> int:
    """Envelopes still in the database although expired (bodies are sealed at rest)."""
    con = sqlite3.connect(relay.ctx.config.database_path)
    query = "SELECT count(*) FROM envelopes WHERE expires_at <= ?"
    return con.execute(query, (relay.ctx.now(),)).fetchone()[0]


async def test_a_held_case_keeps_expired_envelopes_until_the_hold_is_lifted(relay):
    admin, worker, caregiver, officer, case_id = await with_officer(relay)
    hold = await officer.request("legal_hold_place", hold_request(relay, case_id))
    assert hold["scope"] == ["accounts", "case", "envelopes"]
    await caregiver.close()
    await worker.send(caregiver.device_id, b"BEWAARD-ONDER-HOLD")
    relay.clock.advance(relay.ctx.config.envelope_ttl_s + 1)
    assert (await purge_once(relay.ctx))["envelopes"] == 0
    assert stored_expired(relay) == 1
    back = relay.client(caregiver.key)
    await back.connect()
    await worker.send(caregiver.device_id, b"nieuw")
    assert [e.body for e in await receive(back, 1)] == [b"nieuw"]  # expired stays hidden
    listed = (await admin.request("legal_hold_list"))["holds"]
    assert [h["id"] for h in listed] == [hold["hold"]] and listed[0]["lifted_at"] is None
    await officer.request("legal_hold_lift", {"hold": hold["hold"], "reason": "legal_obligation"})
    assert (await purge_once(relay.ctx))["envelopes"] == 1
    assert stored_expired(relay) == 0


async def test_a_hold_with_an_end_date_stops_holding_by_itself(relay):
    _, worker, caregiver, officer, case_id = await with_officer(relay)
    ends = relay.ctx.now() + relay.ctx.config.envelope_ttl_s + 2 * DAY
    await officer.request("legal_hold_place", hold_request(relay, case_id, ends_at=ends))
    await caregiver.close()
    await worker.send(caregiver.device_id, b"tot de einddatum")
    relay.clock.advance(relay.ctx.config.envelope_ttl_s + 1)
    assert (await purge_once(relay.ctx))["envelopes"] == 0
    relay.clock.advance(2 * DAY)
    assert (await purge_once(relay.ctx))["envelopes"] == 1


async def test_an_erasure_during_a_hold_waits_for_its_end(relay):
    _, worker, caregiver, officer, case_id = await with_officer(relay)
    hold = await officer.request("legal_hold_place", hold_request(relay, case_id))
    reply = await caregiver.request("account_erase", {"confirm": caregiver.account_id})
    assert reply["pending"] is True and reply["erased"] is None
    assert (await caregiver.whoami())["account"] == caregiver.account_id  # still there
    await purge_once(relay.ctx)
    assert (await caregiver.whoami())["account"] == caregiver.account_id  # still held
    await officer.request("legal_hold_lift", {"hold": hold["hold"], "reason": "legal_obligation"})
    await purge_once(relay.ctx)  # the hourly job carries it out now
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    assert caregiver.revoked == "account_erased"
    assert await worker.cases() == []
    with pytest.raises(RelayRefused) as refused:
        await RelayClient(relay.url, caregiver.key).connect()
    assert refused.value.code == "unknown_device"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reference": None}, "reference"),
        ({"review_at": 5}, "review_at"),
        ({"scope": ["everything"]}, "scope"),
        ({"ends_at": 1}, "ends_at"),
    ],
)
async def test_an_incomplete_hold_is_refused_naming_the_field(relay, changes, field):
    *_, officer, case_id = await with_officer(relay)
    with pytest.raises(RelayRefused) as refused:
        await officer.request("legal_hold_place", hold_request(relay, case_id, **changes))
    assert refused.value.code == "malformed" and refused.value.details["field"] == field
    assert (await officer.request("legal_hold_list"))["holds"] == []


async def test_only_officers_place_and_lift_holds(relay):
    admin, worker, caregiver, officer, case_id = await with_officer(relay)
    for client in (admin, worker, caregiver):
        with pytest.raises(RelayRefused) as refused:
            await client.request("legal_hold_place", hold_request(relay, case_id))
        assert refused.value.code == "not_permitted"
    for client in (worker, caregiver):
        with pytest.raises(RelayRefused) as refused:
            await client.request("legal_hold_list")
        assert refused.value.code == "not_permitted"
    with pytest.raises(RelayRefused) as refused:
        await officer.request("legal_hold_place", hold_request(relay, "case_" + "Z" * 22))
    assert refused.value.code == "unknown_case"
    with pytest.raises(RelayRefused) as refused:
        await officer.request(
            "legal_hold_lift", {"hold": "hold_" + "Z" * 22, "reason": "court_order"}
        )
    assert refused.value.code == "unknown_hold"


async def test_a_hold_with_scope_audit_keeps_the_case_s_audit_entries_whole(relay):
    admin, worker, caregiver, officer, case_id = await with_officer(relay)
    await officer.request(
        "legal_hold_place",
        hold_request(relay, case_id, scope=["audit"], review_at=relay.ctx.now() + 300 * DAY),
    )
    con = sqlite3.connect(relay.ctx.config.database_path)
    before = dict(con.execute("SELECT idx, body FROM audit_entries"))
    about_case = {idx for idx, body in before.items() if decode(body).event in ("case.created",)}
    assert about_case  # the case's creation names it
    relay.clock.advance(5 * 365 * DAY + 1)
    # The hold is past its review date but still in force: holds end only when lifted or
    # at their end, never by themselves.
    counts = await purge_once(relay.ctx)
    after = dict(con.execute("SELECT idx, body FROM audit_entries"))
    kept = {idx for idx in before if after[idx] is not None}
    assert about_case <= kept  # every entry naming the held case keeps its body
    assert counts["audit_bodies"] == len(before) - len(kept) > 0  # the others lost theirs
