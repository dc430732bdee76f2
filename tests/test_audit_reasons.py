"""The audit log records the reason a person chose, never one filled in for them (issue 19
items 2 and 7): where a person decides, the reason is required and refused as `malformed`
naming the field when missing; a search without one says `not_given`."""

from __future__ import annotations

import sqlite3

import pytest

from audit import decode, verify_bundle
from helpers import error_code, raw_call
from steuntje_client import RelayRefused

DAY = 86_400


async def desk(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    return admin, worker, caregiver, officer


def entries(relay, event: str):
    con = sqlite3.connect(relay.ctx.config.database_path)
    rows = con.execute("SELECT body FROM audit_entries ORDER BY idx").fetchall()
    return [e for e in (decode(body) for (body,) in rows if body is not None) if e.event == event]


def hold_request(relay, case_id: str, **changes) -> dict:
    request = {
        "case": case_id,
        "reason": "klacht over het zorgplan",
        "reference": "KL-2026-19",
        "review_at": relay.ctx.now() + 90 * DAY,
    }
    return {**request, **changes}


async def refused_field(client, event: str, data: dict) -> str:
    reply = await raw_call(client, event, data)
    assert error_code(reply) == "malformed", reply
    return reply["error"]["field"]


async def test_a_hold_records_the_basis_and_the_lifting_reason_the_officer_chose(relay):
    _, worker, _, officer = await desk(relay)
    (case,) = await worker.cases()
    assert await refused_field(officer, "legal_hold_place", hold_request(relay, case["id"])) == (
        "basis"
    )
    placed = await officer.request(
        "legal_hold_place", hold_request(relay, case["id"], basis="court_order")
    )
    assert await refused_field(officer, "legal_hold_lift", {"hold": placed["hold"]}) == "reason"
    assert await refused_field(
        officer, "legal_hold_lift", {"hold": placed["hold"], "reason": "because"}
    ) == ("reason")
    await officer.request(
        "legal_hold_lift", {"hold": placed["hold"], "reason": "incident_investigation"}
    )
    assert [e.reason for e in entries(relay, "legal_hold.placed")] == ["court_order"]
    assert [e.reason for e in entries(relay, "legal_hold.lifted")] == ["incident_investigation"]


async def test_status_revocation_and_hand_over_require_the_reason_and_record_it(relay):
    admin, worker, caregiver, _ = await desk(relay)
    colleague = relay.client()
    await colleague.register((await admin.create_invite("worker"))["link"])
    tablet = relay.client()
    await tablet.register((await caregiver.link_device())["link"])
    (case,) = await worker.cases()
    status = {"account": worker.account_id, "status": "disabled"}
    assert await refused_field(admin, "admin_set_account_status", status) == "reason"
    assert await refused_field(admin, "admin_revoke_device", {"device": tablet.device_id}) == (
        "reason"
    )
    handover = {"case": case["id"], "to": colleague.account_id}
    assert await refused_field(worker, "case_handover", handover) == "reason"
    # Nothing was done by the refused requests: the entries below are the chosen ones only.
    await worker.hand_over_case(case["id"], colleague.account_id, reason="client_request")
    await admin.revoke_device(tablet.device_id, reason="account_compromised")
    await admin.set_account_status(worker.account_id, "disabled", reason="left_organisation")
    assert [e.reason for e in entries(relay, "case.handed_over")] == ["client_request"]
    assert [e.reason for e in entries(relay, "device.revoked")] == ["account_compromised"]
    assert [e.reason for e in entries(relay, "account.status_changed")] == ["left_organisation"]


async def test_a_search_without_a_reason_says_none_was_given(relay):
    admin, worker, _, officer = await desk(relay)
    await officer.request("audit_query", {"object": worker.account_id})
    await officer.request("audit_query", {"reason": "suspected_misuse"})
    with pytest.raises(RelayRefused) as refused:  # an admin may not search: recorded, denied
        await admin.request("audit_query", {})
    assert refused.value.code == "not_permitted"
    searches = entries(relay, "audit.queried")
    assert [(e.reason, e.outcome) for e in searches] == [
        ("not_given", "success"),
        ("suspected_misuse", "success"),
        ("not_given", "denied"),
    ]
    export = await officer.request("audit_export", {})
    assert entries(relay, "audit.exported")[-1].reason == "not_given"
    report = verify_bundle(export["bundle"], export["verifier_key"])
    assert report.ok, str(report)


async def test_closing_without_a_reason_says_none_was_given(relay):
    """Closing or reopening a case and closing a group may be done without a reason; the log
    then says so (`not_given`) instead of inventing `client_request`."""
    from test_groups_relay import Handle, start_group

    _, worker, _ = await relay.onboard()
    (case,) = await worker.cases()
    await worker.request("case_close", {"case": case["id"]})
    await worker.request("case_reopen", {"case": case["id"], "reason": "client_request"})
    group = await start_group(Handle(worker))
    await worker.request("group_close", {"group": group.id})
    assert [e.reason for e in entries(relay, "case.closed")] == ["not_given"]
    assert [e.reason for e in entries(relay, "case.reopened")] == ["client_request"]
    assert [e.reason for e in entries(relay, "group.closed")] == ["not_given"]
