"""The privacy officer's desk through the real relay (issue 19): one search answers "who
accessed what about this person" — as actor and as object, across their devices and cases,
including who searched for them — from an account, device or case id; a person's access
export carries the log entries about them."""

from __future__ import annotations

import sqlite3
from collections import Counter

from helpers import error_code, raw_call
from steuntje_client import RelayRefused


async def desk(relay):
    """An admin, a worker, two caregivers (Ria with a tablet too), and an officer."""
    admin, worker, ria = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    other = relay.client()
    await other.register((await worker.create_invite("caregiver"))["link"])
    tablet = relay.client()
    await tablet.register((await ria.link_device())["link"])
    return admin, worker, ria, tablet, other, officer


def case_of(cases, caregiver):
    return next(c["id"] for c in cases if c["caregiver"] == caregiver.account_id)


def subject_keys(relay) -> int:
    con = sqlite3.connect(relay.ctx.config.database_path)
    return con.execute("SELECT count(*) FROM audit_subject_keys").fetchone()[0]


async def timeline(officer, subject, **more):
    reply = await officer.request("audit_query", {"subject": subject, "limit": 500, **more})
    return reply["entries"]


async def test_a_case_number_finds_everything_about_its_caregiver(relay):
    admin, worker, ria, tablet, other, officer = await desk(relay)
    cases = (await officer.request("cases_all", {}))["cases"]
    ria_case, other_case = case_of(cases, ria), case_of(cases, other)
    hold = await officer.request(
        "legal_hold_place",
        {
            "case": ria_case,
            "reason": "claim",
            "reference": "KL-1",
            "review_at": relay.ctx.now() + 9,
        },
    )
    await officer.request("legal_hold_lift", {"hold": hold["hold"]})
    await ria.export()
    await officer.request("audit_query", {"object": ria.account_id})  # an earlier search
    await officer.request(
        "legal_hold_place",
        {
            "case": other_case,
            "reason": "claim",
            "reference": "KL-2",
            "review_at": relay.ctx.now() + 9,
        },
    )

    by_case = await timeline(officer, ria_case)
    events = Counter(e["event"] for e in by_case)
    # her registration, her case, her tablet, the hold on her case, her download, and the
    # officer's search for her: every one, and nothing of the other caregiver's hold
    assert events["account.registered"] == 1
    assert events["case.created"] == 1
    assert events["invite.created"] == 1  # the tablet's link, made by her phone
    assert events["device.registered"] == 1
    assert events["legal_hold.placed"] == 1 and events["legal_hold.lifted"] == 1
    assert events["export.made"] == 1
    # the officer's search for her, and this search itself (written before it reads)
    assert events["audit.queried"] == 2
    assert by_case[-1]["event"] == "audit.queried" and "subject" in by_case[-1]["query"]
    # the same timeline from her account or from her tablet's id, each with one more
    # entry: the search before it, about her too
    by_account = await timeline(officer, ria.account_id)
    by_tablet = await timeline(officer, tablet.device_id)
    assert [e["index"] for e in by_account[:-1]] == [e["index"] for e in by_case]
    assert [e["index"] for e in by_tablet[:-1]] == [e["index"] for e in by_account]
    # the other caregiver's timeline has her own hold, and nothing of Ria's
    theirs = await timeline(officer, other.account_id)
    assert Counter(e["event"] for e in theirs)["legal_hold.placed"] == 1
    assert not {e["index"] for e in theirs} & {e["index"] for e in by_case}


async def test_a_search_by_subject_is_recorded_and_makes_no_keys(relay):
    admin, worker, ria, tablet, other, officer = await desk(relay)
    before = subject_keys(relay)
    unknown = "case_" + "A" * 22
    assert await timeline(officer, unknown) == []
    assert await timeline(officer, "B" * 43) == []  # a device id nobody has
    assert subject_keys(relay) == before  # reading never makes a pseudonym key
    await timeline(officer, ria.account_id, reason="data_subject_request")
    last = (await timeline(officer, officer.account_id))[-3:]
    searches = [e for e in last if e["event"] == "audit.queried"]
    assert [sorted(e["query"]) for e in searches] == [["subject"]] * 3
    assert [e["reason"] for e in searches][1:] == ["data_subject_request", "routine_review"]


async def test_subject_takes_account_device_or_case_ids_only(relay):
    admin, worker, ria, tablet, other, officer = await desk(relay)
    hold_id = "hold_" + "A" * 22
    for wrong in (hold_id, "export_" + "A" * 22, 7, ["acc"], "acc_short"):
        reply = await raw_call(officer, "audit_query", {"subject": wrong})
        assert error_code(reply) == "malformed", wrong
    try:
        await worker.request("audit_query", {"subject": ria.account_id})
    except RelayRefused as refused:
        assert refused.code == "not_permitted"
    else:
        raise AssertionError("a worker read the log")
