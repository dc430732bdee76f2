"""Reach figures on the real relay with a fake clock: a seeded population gives the
expected raw counts, the report is protected, signed, frozen per period (so two reports
that differ by one caregiver cannot exist), audited, and refused to the wrong roles."""

from __future__ import annotations

import sqlite3

import pytest
from test_groups_relay import group_of_three

from audit import decode
from helpers import error_code, raw_call, receive
from reach import count, parse_period, verify_report
from reach.errors import ReachError
from relay.housekeeping import purge_once
from retention.lifetimes import REACH_ACTIVITY_KEEP_S
from steuntje_client import RelayRefused

SEPTEMBER = parse_period("2026-09")  # the fake clock starts on 21 September 2026


def audit_events(relay, event: str) -> list:
    con = sqlite3.connect(relay.ctx.config.database_path)
    bodies = [row[0] for row in con.execute("SELECT body FROM audit_entries ORDER BY idx")]
    return [entry for entry in map(decode, bodies) if entry.event == event]


def rows_of(report: dict) -> dict[tuple[str, str], dict]:
    return {(row["breakdown"], row["name"]): row["values"] for row in report["rows"]}


async def seed(relay, caregivers: int = 7):
    """An admin with wijken Noord and Zuid and teams A and B; a worker in team A with
    `caregivers` caregivers, all but the last in Noord, the last in Zuid."""
    admin, worker, first = await relay.onboard()
    await admin.request("reach_lists_set", {"areas": ["Noord", "Zuid"], "teams": ["A", "B"]})
    await admin.request("account_set_team", {"account": worker.account_id, "team": "A"})
    people = [first]
    for _ in range(caregivers - 1):
        person = relay.client()
        await person.register((await worker.create_invite("caregiver"))["link"])
        people.append(person)
    cases = {case["caregiver"]: case["id"] for case in await worker.cases()}
    for index, person in enumerate(people):
        area = "Zuid" if index == len(people) - 1 else "Noord"
        await worker.request("case_set_area", {"case": cases[person.account_id], "area": area})
    worker_device = worker.key.device_id
    return admin, worker, people, worker_device


async def test_a_seeded_month_gives_the_expected_counts_protected_signed_and_frozen(relay):
    admin, worker, people, worker_device = await seed(relay)
    for person in people[:6]:  # six take part; the seventh only registered
        await person.send(worker_device, b"hallo")
    await worker.request(
        "reach_contribute",
        {"period": "2026-09", "checkins_answered": 6, "questionnaires_signed": 3},
    )
    refused = await raw_call(admin, "reach_report", {"period": "2026-09"})
    assert error_code(refused) == "period_open"

    population = await relay.ctx.storage.reach_population(relay.ctx.org_id, SEPTEMBER)
    raw = count(population, SEPTEMBER.start, SEPTEMBER.end).cells
    assert raw["total"][""]["reached"] == 6 and raw["total"][""]["new"] == 7
    assert raw["area"]["Noord"]["reached"] == 6 and raw["area"]["Zuid"]["reached"] == 0
    assert raw["area"]["Zuid"]["new"] == 1 and raw["team"]["A"]["new"] == 7
    assert raw["team"]["B"]["reached"] == 0 and raw["team"][""]["reached"] == 0
    assert raw["total"][""]["checkins_answered"] == 6
    assert raw["total"][""]["questionnaires_signed"] == 3

    relay.clock.advance(SEPTEMBER.end - relay.ctx.now())  # 1 October, 00:00 in Amsterdam
    reply = await admin.request("reach_report", {"period": "2026-09"})
    assert reply["first_release"] is True
    key = await relay.ctx.storage.audit_verifier_key()
    report = verify_report(reply["note"], key).report
    cells = rows_of(report)
    assert cells[("total", "")] == {
        "reached": 5,  # 6 rounded to 5
        "new": 5,  # 7 rounded to 5
        "checkins_answered": 5,
        "questionnaires_signed": None,  # 3: below 5
        "groups_active": None,
        "group_members": None,
    }
    # Zuid (1 new) and no-wijk (0) are below 5; Noord stays: two cells suppressed already.
    assert cells[("area", "Noord")] == {"reached": 5, "new": 5}
    assert cells[("area", "Zuid")] == {"reached": None, "new": None}
    # Teams: B and no-team are both 0, so A (= the total) is shown.
    assert cells[("team", "A")]["reached"] == 5 and cells[("team", "B")]["reached"] is None
    assert report["protection"] == {
        "method": "suppress_below_k_round_to_base",
        "k": 5,
        "base": 5,
        "secondary_suppression": True,
    }
    assert report["first_day"] == "2026-09-01" and report["last_day"] == "2026-09-30"
    assert reply["csv"].startswith("\ufeffPeriode;Indeling;Naam;Bereikte mantelzorgers")
    assert "<svg" in reply["html"] and "<script" not in reply["html"]
    assert reply["note"] in reply["html"].replace("&quot;", '"')

    # One byte changed anywhere fails, with a reason.
    tampered = reply["note"].replace('"reached":5', '"reached":10', 1)
    with pytest.raises(ReachError, match="signature"):
        verify_report(tampered, key)
    with pytest.raises(ReachError, match="first line"):
        verify_report("x" + reply["note"][1:], key)

    # Differencing: one caregiver is erased after the release; the same period asked
    # again gives the very same note, so the two reports cannot tell anything about them.
    await people[0].erase_account()
    again = await admin.request("reach_report", {"period": "2026-09", "lang": "en"})
    assert again["first_release"] is False and again["note"] == reply["note"]
    assert again["csv"].startswith("\ufeffPeriod;Breakdown;Name;Caregivers reached")
    after = await relay.ctx.storage.reach_population(relay.ctx.org_id, SEPTEMBER)
    assert count(after, SEPTEMBER.start, SEPTEMBER.end).cells["total"][""]["reached"] == 5

    entries = audit_events(relay, "reach.reported")
    assert len(entries) == 2  # each hand-out is recorded, the frozen one too
    assert entries[0].query == {"since": SEPTEMBER.start, "until": SEPTEMBER.end}
    assert entries[0].actor.role == "admin" and entries[0].objects[0].type == "export"


async def test_roles_lists_and_periods_are_checked_at_the_edge(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    for client, event, data in (
        (worker, "reach_report", {"period": "2026-09"}),
        (worker, "reach_lists_set", {"areas": ["Noord"]}),
        (worker, "account_set_team", {"account": worker.account_id, "team": None}),
        (caregiver, "reach_contribute", {"period": "2026-09"}),
        (caregiver, "case_set_area", {"case": case["id"], "area": None}),
        (caregiver, "reach_lists", {}),
        (admin, "reach_contribute", {"period": "2026-09"}),
    ):
        assert error_code(await raw_call(client, event, data)) == "not_permitted", event
    await admin.request("reach_lists_set", {"areas": ["Noord"], "teams": []})
    unlisted = await raw_call(worker, "case_set_area", {"case": case["id"], "area": "Zuid"})
    assert error_code(unlisted) == "not_on_list"
    for period in ("2026-13", "2026-Q5", "2026-09-01", "26", None):
        reply = await raw_call(admin, "reach_report", {"period": period})
        assert error_code(reply) == "malformed", period
    future = await raw_call(
        worker,
        "reach_contribute",
        {"period": "2027", "checkins_answered": 1, "questionnaires_signed": 0},
    )
    assert error_code(future) == "malformed"
    negative = await raw_call(
        worker,
        "reach_contribute",
        {"period": "2026-09", "checkins_answered": -1, "questionnaires_signed": 0},
    )
    assert error_code(negative) == "malformed"
    # A worker tags only a case they are on; another worker's case is unknown to them.
    other = relay.client()
    await other.register((await admin.create_invite("worker"))["link"])
    stranger = await raw_call(other, "case_set_area", {"case": case["id"], "area": "Noord"})
    assert error_code(stranger) == "unknown_case"
    assert (await worker.request("reach_lists", {}))["case_areas"] == {}
    await worker.request("case_set_area", {"case": case["id"], "area": "Noord"})
    assert (await worker.request("reach_lists", {}))["case_areas"] == {case["id"]: "Noord"}
    assert (await other.request("reach_lists", {}))["case_areas"] == {}


async def test_the_wijk_goes_with_its_case_and_activity_months_expire(relay):
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    await admin.request("reach_lists_set", {"areas": ["Noord"], "teams": []})
    await worker.request("case_set_area", {"case": case["id"], "area": "Noord"})
    caregiver._flush_acks = lambda: None  # it acknowledges below, and waits for the reply
    await worker.send(caregiver.key.device_id, b"hoi")  # the worker's sending marks nothing
    con = sqlite3.connect(relay.ctx.config.database_path)
    assert con.execute("SELECT count(*) FROM reach_activity").fetchone()[0] == 0
    await receive(caregiver, 1)
    await caregiver.request("ack", {"upto": 1})  # took delivery: took part
    assert con.execute("SELECT count(*) FROM reach_activity").fetchone()[0] == 1
    # A second send in the same month writes nothing more (one row per account a month).
    await caregiver.send(worker.key.device_id, b"nog eens")
    assert con.execute("SELECT count(*) FROM reach_activity").fetchone()[0] == 1

    relay.clock.advance(SEPTEMBER.end - relay.ctx.now() + REACH_ACTIVITY_KEEP_S)
    assert await relay.ctx.storage.purge_reach(relay.ctx.now()) == 0  # not a second early
    relay.clock.advance(1)
    assert await relay.ctx.storage.purge_reach(relay.ctx.now()) == 1
    assert con.execute("SELECT count(*) FROM reach_activity").fetchone()[0] == 0
    assert (await admin.request("reach_lists", {}))["case_areas"] == {case["id"]: "Noord"}

    await worker.request("case_close", {"case": case["id"], "reason": "client_request"})
    relay.clock.advance(3 * 365 * 86_400)  # past any closed-case lifetime
    assert (await purge_once(relay.ctx))["closed_cases"] == 1
    assert (await admin.request("reach_lists", {}))["case_areas"] == {}  # the wijk went with it


async def test_a_group_in_which_someone_sent_counts_with_its_members(relay):
    relay, group, fac, ann, bob = await group_of_three(relay)
    bob.client._flush_acks = lambda: None  # Bob acknowledges below, and waits for the reply
    await ann.client.send(bob.id, b"hallo groep")
    population = await relay.ctx.storage.reach_population(relay.ctx.org_id, SEPTEMBER)
    assert population.group_members == (3,)  # the facilitator and two caregivers
    assert population.active == {ann.client.account_id}  # Bob has not received it yet
    (envelope,) = await receive(bob.client, 1)
    await bob.client.request("ack", {"upto": envelope.seq})
    population = await relay.ctx.storage.reach_population(relay.ctx.org_id, SEPTEMBER)
    assert population.active == {ann.client.account_id, bob.client.account_id}
    total = count(population, SEPTEMBER.start, SEPTEMBER.end).cells["total"][""]
    assert (total["groups_active"], total["group_members"], total["reached"]) == (1, 3, 2)


async def test_the_python_client_tags_a_case_and_contributes(relay):
    """RelayClient.set_case_area / reach_lists / reach_contribute speak §4.18 as the web
    app does: the tag shows in the worker's and the admin's lists, None clears it, a wijk
    not on the list is refused by its code, and the counts reach the period's population."""
    admin, worker, _caregiver = await relay.onboard()
    (case,) = await worker.cases()
    await admin.request("reach_lists_set", {"areas": ["Noord", "Zuid"], "teams": []})
    assert await worker.set_case_area(case["id"], "Zuid") == "Zuid"
    assert (await worker.reach_lists())["case_areas"] == {case["id"]: "Zuid"}
    assert (await admin.reach_lists())["areas"] == ["Noord", "Zuid"]
    with pytest.raises(RelayRefused) as refused:
        await worker.set_case_area(case["id"], "West")
    assert refused.value.code == "not_on_list"
    assert (await admin.reach_lists())["case_areas"] == {case["id"]: "Zuid"}  # unchanged
    assert await worker.set_case_area(case["id"], None) is None
    assert (await admin.reach_lists())["case_areas"] == {}

    await worker.reach_contribute("2026-09", checkins_answered=4, questionnaires_signed=2)
    await worker.reach_contribute("2026-09", checkins_answered=6, questionnaires_signed=3)
    population = await relay.ctx.storage.reach_population(relay.ctx.org_id, SEPTEMBER)
    total = count(population, SEPTEMBER.start, SEPTEMBER.end).cells["total"][""]
    assert (total["checkins_answered"], total["questionnaires_signed"]) == (6, 3)  # the newest
