"""The privacy officer's desk through the real relay (issue 19): one search answers "who
accessed what about this person" — as actor and as object, across their devices and cases,
including who searched for them — from an account, device or case id; a person's access
export carries the log entries about them."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections import Counter

import pytest

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
            "basis": "legal_obligation",
            "review_at": relay.ctx.now() + 9,
        },
    )
    await officer.request("legal_hold_lift", {"hold": hold["hold"], "reason": "legal_obligation"})
    await ria.export()
    await officer.request("audit_query", {"object": ria.account_id})  # an earlier search
    await officer.request(
        "legal_hold_place",
        {
            "case": other_case,
            "reason": "claim",
            "reference": "KL-2",
            "basis": "legal_obligation",
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
    # the reply names the person's pseudonyms, so a screen can say "this person"
    reply = await officer.request("audit_query", {"subject": ria_case, "event": "case.created"})
    (created,) = reply["entries"]
    names = set(reply["pseudonyms"])
    assert created["actor"]["pseudonym"] in names  # she made her case (with her invite)
    assert {o["pseudonym"] for o in created["objects"]} <= names  # her case, her account
    assert len(names) == 4  # her account, phone, tablet and case
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
    # A search without a reason says so: the relay no longer fills in routine_review.
    assert [e["reason"] for e in searches][1:] == ["data_subject_request", "not_given"]


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


async def test_an_access_export_carries_the_log_about_the_person(relay):
    admin, worker, ria, tablet, other, officer = await desk(relay)
    cases = (await officer.request("cases_all", {}))["cases"]
    hold = await officer.request(
        "legal_hold_place",
        {
            "case": case_of(cases, ria),
            "reason": "claim",
            "reference": "KL-1",
            "basis": "legal_obligation",
            "review_at": relay.ctx.now() + 9,
        },
    )
    await officer.request("legal_hold_lift", {"hold": hold["hold"], "reason": "legal_obligation"})
    await other.export()  # someone else's download is not in hers
    mine = await ria.export()
    events = [e["event"] for e in mine["export"]["audit"]]
    assert events.count("legal_hold.placed") == 1 and events.count("legal_hold.lifted") == 1
    assert events.count("export.made") == 1 and events[-1] == "export.made"  # this download
    assert {"account.registered", "case.created", "device.registered"} <= set(events)
    last = mine["export"]["audit"][-1]
    assert last["by"] == "caregiver" and last["by_you"] and last["reason"] == "data_subject_request"
    placed = next(e for e in mine["export"]["audit"] if e["event"] == "legal_hold.placed")
    assert placed["by"] == "officer" and not placed["by_you"]
    assert not any("pseudonym" in str(e) or "ps_" in str(e) for e in mine["export"]["audit"])
    page = mine["html"]
    assert "Wie iets met je gegevens deed" in page
    assert "bewaarplicht ingesteld" in page and "privacy-functionaris" in page
    assert "UTC" not in page and "+02:00" in page  # Amsterdam summer time (the fake clock)
    # the officer's export for her has the same entries, and its own download at the end
    theirs = await officer.request("officer_export", {"account": ria.account_id})
    by_officer = theirs["export"]["audit"]
    assert [e["index"] for e in by_officer[: len(events)]] == [
        e["index"] for e in mine["export"]["audit"]
    ]
    assert by_officer[-1]["event"] == "export.made" and by_officer[-1]["by"] == "officer"


def test_every_log_code_has_dutch_words():
    from audit.events import EVENTS, OBJECT_TYPES, OUTCOMES, REASONS, ROLES
    from relay.audit_words import EVENTS_NL, OBJECT_TYPES_NL, OUTCOMES_NL, REASONS_NL, ROLES_NL

    for codes, words in (
        (EVENTS, EVENTS_NL),
        (REASONS, REASONS_NL),
        (ROLES, ROLES_NL),
        (OUTCOMES, OUTCOMES_NL),
        (OBJECT_TYPES, OBJECT_TYPES_NL),
    ):
        assert set(codes) <= set(words), set(codes) - set(words)
        assert all(words[code].strip() for code in codes)


def damage(relay) -> None:
    """Change one stored entry's event column (the signed body stays): the bundle check of
    issue 13 item 12 catches it, and every export must say so rather than crash."""
    con = sqlite3.connect(relay.ctx.config.database_path)
    with con:
        con.execute("UPDATE audit_entries SET event = 'purge.ran' WHERE idx = 1")
    con.close()


async def test_exporting_a_damaged_log_is_refused_with_its_own_code(relay, caplog):
    admin, worker, ria, tablet, other, officer = await desk(relay)
    damage(relay)
    reply = await raw_call(officer, "audit_export", {})
    assert error_code(reply) == "audit_log_damaged"
    assert "entry 1" in reply["error"]["detail"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert "Traceback" not in caplog.text
    assert any("audit log is damaged" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("command", ["export", "checkpoint"])
async def test_the_cli_says_the_stored_log_is_damaged_in_one_line(relay, tmp_path, command):
    admin, worker, ria, tablet, other, officer = await desk(relay)
    damage(relay)
    args = [sys.executable, "-m", "relay", "audit", command]
    args += ["--data", str(relay.ctx.config.data_dir)]
    if command == "export":
        args += ["--out", str(tmp_path / "log.jsonl")]
    result = await asyncio.to_thread(
        subprocess.run, args, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("steuntje: the stored audit log is damaged: entry 1")


async def test_the_short_code_from_the_hand_off_finds_the_same_person(relay):
    """Item 1's short code: the first characters of the account number (at least 8) find
    the one account they begin; none or several is said with its own code, never a guess."""
    admin, worker, ria, tablet, other, officer = await desk(relay)
    full = await officer.request("audit_query", {"subject": ria.account_id, "limit": 500})
    code = ria.account_id[4:14]  # what the worker's app shows: 10 characters after acc_
    short = await officer.request("audit_query", {"subject": f"{code[:5]} {code[5:]}"})
    assert short["subject"] == ria.account_id  # the officer sees whom the code named
    assert short["pseudonyms"] == full["pseudonyms"]
    assert [e["index"] for e in short["entries"]][: len(full["entries"])] == [
        e["index"] for e in full["entries"]
    ]
    assert short["entries"][-1]["event"] == "audit.queried"  # this search is logged too
    too_short = await raw_call(officer, "audit_query", {"subject": code[:7]})
    assert error_code(too_short) == "malformed"
    nobody = "-_" * 5  # begins no account (48 random bits each)
    assert error_code(await raw_call(officer, "audit_query", {"subject": nobody})) == (
        "unknown_account"
    )
    # A second account beginning with the same 8 characters: the code no longer says whom.
    con = sqlite3.connect(relay.ctx.config.database_path)
    columns = [row[1] for row in con.execute("PRAGMA table_info(accounts)")]
    twin = ria.account_id[:12] + "x" * (len(ria.account_id) - 12)
    picked = ", ".join("?" if c == "id" else c for c in columns)
    con.execute(
        f"INSERT INTO accounts ({', '.join(columns)}) SELECT {picked} FROM accounts WHERE id = ?",
        (twin, ria.account_id),
    )
    con.commit()
    con.close()
    both = await raw_call(officer, "audit_query", {"subject": code[:8]})
    assert error_code(both) == "ambiguous_reference"
    assert (await officer.request("audit_query", {"subject": code}))["subject"] == ria.account_id
    refused = await raw_call(worker, "audit_query", {"subject": code})
    assert error_code(refused) == "not_permitted"  # officers only
