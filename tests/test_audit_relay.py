"""The audit log through the real relay: every action writes its entry once, in its own
transaction; entries hold pseudonyms only; only officers read it, every read and every
refused attempt is itself an entry; exports verify offline and tampering is caught."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections import Counter

import pytest

from audit import decode, verify_bundle
from helpers import WAIT
from relay.housekeeping import purge_once
from steuntje_client import RelayRefused


async def officer_setup(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    return admin, worker, caregiver, officer


def stored_entries(relay):
    con = sqlite3.connect(relay.ctx.config.database_path)
    rows = con.execute("SELECT idx, body FROM audit_entries ORDER BY idx").fetchall()
    return [(idx, decode(body)) for idx, body in rows if body is not None]


async def test_registration_writes_each_event_once_with_its_actor(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    events = Counter(entry.event for _, entry in stored_entries(relay))
    # 4 invites (admin's from the relay, worker's, caregiver's, officer's), 4 accounts
    assert events == {
        "invite.created": 4,
        "invite.redeemed": 4,
        "account.registered": 4,
        "case.created": 1,
    }
    entries = [entry for _, entry in stored_entries(relay)]
    first_invite = next(e for e in entries if e.event == "invite.created")
    assert first_invite.actor.role == "system"  # printed by the relay at first start
    case = next(e for e in entries if e.event == "case.created")
    assert case.actor.role == "caregiver" and case.on_behalf_of is not None
    assert [o.type for o in case.objects] == ["case", "account"]


async def test_each_administrative_action_is_recorded_once(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    colleague = relay.client()
    await colleague.register((await admin.create_invite("worker"))["link"])
    (case,) = await worker.cases()
    before = len(stored_entries(relay))
    await worker.add_case_member(case["id"], colleague.account_id)
    await worker.hand_over_case(case["id"], colleague.account_id)
    tablet = relay.client()
    await tablet.register((await caregiver.link_device())["link"])
    await admin.revoke_device(tablet.device_id)
    await admin.set_account_status(worker.account_id, "disabled")
    hold = await officer.request(
        "legal_hold_place",
        {
            "case": case["id"],
            "reason": "claim",
            "reference": "KL-1",
            "basis": "legal_obligation",
            "review_at": relay.ctx.now() + 86_400,
        },
    )
    await officer.request("legal_hold_lift", {"hold": hold["hold"], "reason": "legal_obligation"})
    await caregiver.export()
    new = Counter(e.event for _, e in stored_entries(relay)[before:])
    assert new == {
        "case.member_added": 1,
        "case.handed_over": 1,
        "invite.created": 1,
        "invite.redeemed": 1,
        "device.registered": 1,
        "device.revoked": 1,
        "account.status_changed": 1,
        "legal_hold.placed": 1,
        "legal_hold.lifted": 1,
        "export.made": 1,
    }
    handover = next(e for _, e in stored_entries(relay) if e.event == "case.handed_over")
    assert handover.reason == "care_handover" and handover.actor.role == "worker"


async def test_a_purge_that_removed_something_is_recorded_with_counts_only(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    await worker.create_invite("caregiver")  # never used: expires, then is purged
    relay.clock.advance(relay.ctx.config.invite_ttl_s + 8 * 86_400)
    await purge_once(relay.ctx)
    (purge,) = [e for _, e in stored_entries(relay) if e.event == "purge.ran"]
    assert purge.actor.role == "system" and purge.objects == ()
    assert purge.counts["invites"] >= 1
    assert set(purge.counts) == {"envelopes", "invites", "bodies", "records"}


async def test_past_the_audit_retention_bodies_go_and_the_log_still_verifies(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    old = len(stored_entries(relay))
    relay.clock.advance(5 * 365 * 86_400 + 1)
    await purge_once(relay.ctx)
    con = sqlite3.connect(relay.ctx.config.database_path)
    removed = con.execute("SELECT count(*) FROM audit_entries WHERE body IS NULL").fetchone()[0]
    assert removed == old  # every entry older than five years lost its body
    export = await officer.request("audit_export", {})
    report = verify_bundle(export["bundle"], export["verifier_key"])
    assert report.ok and report.removed == old, str(report)


async def test_entries_hold_pseudonyms_only(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    invite = await worker.create_invite("caregiver")
    await caregiver.export()
    con = sqlite3.connect(relay.ctx.config.database_path)
    bodies = b"".join(row[0] for row in con.execute("SELECT body FROM audit_entries"))
    for client in (admin, worker, caregiver, officer):
        assert client.account_id.encode() not in bodies
        assert client.device_id.encode() not in bodies
    assert invite["token"].encode() not in bodies and b"127.0.0.1" not in bodies


async def test_only_officers_read_and_every_attempt_is_an_entry(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    for client in (worker, caregiver, admin):
        with pytest.raises(RelayRefused) as refused:
            await client.request("audit_query", {})
        assert refused.value.code == "not_permitted"
    denied = [
        e for _, e in stored_entries(relay) if e.event == "audit.queried" and e.outcome == "denied"
    ]
    assert len(denied) == 3 and {e.actor.role for e in denied} == {"worker", "caregiver", "admin"}
    reply = await officer.request("audit_query", {"event": "audit.queried"})
    # the officer's own read was written before the data was returned: it is in the answer
    assert [e["outcome"] for e in reply["entries"]] == ["denied"] * 3 + ["success"]
    assert reply["entries"][-1]["query"] == {"event": "audit.queried"}


async def test_an_officer_finds_a_person_until_they_are_erased(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    mine = await officer.request("audit_query", {"object": caregiver.account_id})
    assert {e["event"] for e in mine["entries"]} >= {"account.registered", "case.created"}
    await caregiver.erase_account()
    await asyncio.wait_for(caregiver.wait_closed(), WAIT)
    after = await officer.request("audit_query", {"object": caregiver.account_id})
    assert after["entries"] == []  # the key is gone: no longer linkable to the person
    erased = [e for _, e in stored_entries(relay) if e.event == "erasure.done"]
    assert len(erased) == 1 and erased[0].reason == "data_subject_request"


async def test_the_export_verifies_offline_and_tampering_is_named(relay):
    admin, worker, caregiver, officer = await officer_setup(relay)
    export = await officer.request("audit_export", {"reason": "routine_review"})
    report = verify_bundle(export["bundle"], export["verifier_key"])
    assert report.ok, str(report)
    assert report.entries == len(stored_entries(relay))
    assert export["csv"].count("\n") >= report.entries
    lines = export["bundle"].splitlines(keepends=True)
    entry_line = next(i for i, line in enumerate(lines) if '"type":"entry"' in line)
    item = json.loads(lines[entry_line])
    item["body"] = item["body"][:10] + ("A" if item["body"][10] != "A" else "B") + item["body"][11:]
    lines[entry_line] = json.dumps(item, separators=(",", ":"), sort_keys=True) + "\n"
    broken = verify_bundle("".join(lines), export["verifier_key"])
    assert not broken.ok and broken.problem.line == entry_line + 1


async def test_a_log_too_large_for_one_reply_points_to_the_cli(small_relay):
    relay = await small_relay(audit_export_max_entries=5)
    admin, worker, caregiver, officer = await officer_setup(relay)
    with pytest.raises(RelayRefused) as refused:
        await officer.request("audit_export", {})
    assert refused.value.code == "payload_too_large" and refused.value.details["limit"] == 5
    assert "steuntje audit export" in refused.value.message


def steuntje(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relay", "audit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_cli_exports_verifies_and_catches_a_rewritten_log(relay_process, tmp_path):
    from steuntje_client import DeviceKey, RelayClient

    admin = RelayClient(relay_process.url, DeviceKey.generate())
    await admin.register(relay_process.admin_invite)
    await admin.create_invite("worker")
    data = str(relay_process.data_dir)
    checkpoint = await asyncio.to_thread(steuntje, "checkpoint", "--data", data)
    assert checkpoint.returncode == 0, checkpoint.stderr
    key = checkpoint.stdout.splitlines()[0].split(": ", 1)[1]
    bundle, kept = tmp_path / "log.jsonl", tmp_path / "kept-checkpoint.txt"
    export = await asyncio.to_thread(steuntje, "export", "--data", data, "--out", str(bundle))
    assert export.returncode == 0, export.stderr
    ok = await asyncio.to_thread(steuntje, "verify", str(bundle), "--key", key, "--kept", str(kept))
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stdout + ok.stderr
    assert kept.exists()
    await admin.close()
    assert await relay_process.terminate() == 0

    # An insider rewrites an old entry in the database and re-signs everything (they have
    # the database and the key file): the officer's kept checkpoint catches it.
    con = sqlite3.connect(relay_process.data_dir / "steuntje.sqlite3", isolation_level=None)
    body = con.execute("SELECT body FROM audit_entries WHERE idx = 1").fetchone()[0]
    forged = body.replace(b'"success"', b'"denied"')
    assert forged != body
    from audit import leaf_hash

    # First only the body: the stored log no longer adds up, and verify names the entry.
    con.execute("UPDATE audit_entries SET body = ? WHERE idx = 1", (forged,))
    altered = await asyncio.to_thread(steuntje, "verify", "--data", data)
    assert altered.returncode == 1 and "entry 1" in altered.stdout, altered.stdout
    # Then the thorough insider: leaf hash, tree and checkpoints redone, all re-signed.
    con.execute("UPDATE audit_entries SET leaf_hash = ? WHERE idx = 1", (leaf_hash(forged),))
    con.execute("DELETE FROM audit_nodes")
    con.execute("DELETE FROM audit_checkpoints")
    rebuilt = [row[0] for row in con.execute("SELECT leaf_hash FROM audit_entries ORDER BY idx")]
    from audit import Frontier

    frontier = Frontier.from_store(0, lambda level, index: b"")
    for leaf in rebuilt:
        frontier, nodes = frontier.appended(leaf)
        con.executemany(
            "INSERT INTO audit_nodes VALUES (?, ?, ?)", [(n.level, n.index, n.hash) for n in nodes]
        )
    con.close()
    plain = await asyncio.to_thread(steuntje, "verify", "--data", data)
    assert plain.returncode == 0  # re-signed, so on its own the rewritten log looks fine
    caught = await asyncio.to_thread(steuntje, "verify", "--data", data, "--kept", str(kept))
    assert caught.returncode == 1 and "FAILED" in caught.stdout, caught.stdout + caught.stderr


def test_the_audit_benchmark_runs_and_its_export_verifies():
    result = subprocess.run(
        [sys.executable, "-m", "relay", "audit", "bench", "--entries", "2000", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["verified"] is True and figures["entries"] == 2000
    assert figures["append_per_s"] > 0 and figures["database_bytes_per_entry"] > 32


async def test_failed_sign_ins_are_summarised_not_logged_one_by_one(relay):
    from helpers import raw_socket
    from relay.housekeeping import summarise_auth_failures
    from relay.ids import b64url
    from steuntje_client import DeviceKey, RelayClient

    admin, worker, caregiver, officer = await officer_setup(relay)
    stranger = DeviceKey.generate()
    for _ in range(3):  # a worker's key with a wrong signature, three times
        sio = await raw_socket(relay.url)
        await sio.call("challenge", {}, timeout=WAIT)
        reply = await sio.call(
            "auth", {"device": worker.device_id, "signature": b64url(bytes(64))}, timeout=WAIT
        )
        assert reply["error"]["code"] == "bad_signature"
        await sio.disconnect()
    for _ in range(2):  # a made-up key, and a made-up invite
        with pytest.raises(RelayRefused):
            await RelayClient(relay.url, stranger).connect()
    with pytest.raises(RelayRefused):
        await RelayClient(relay.url, DeviceKey.generate()).register(b64url(bytes(32)))
    assert await summarise_auth_failures(relay.ctx) == 2
    summaries = [e for _, e in stored_entries(relay) if e.event == "auth.failed_summary"]
    by_size = sorted(summaries, key=lambda e: len(e.objects))
    assert by_size[0].objects == () and by_size[0].counts == {"attempts": 3}
    assert [o.type for o in by_size[1].objects] == ["device", "account"]
    assert by_size[1].counts == {"attempts": 3} and by_size[1].outcome == "denied"
    assert await summarise_auth_failures(relay.ctx) == 0  # nothing new, nothing written
    con = sqlite3.connect(relay.ctx.config.database_path)
    keys = {row[0] for row in con.execute("SELECT subject FROM audit_subject_keys")}
    assert stranger.device_id not in keys  # no pseudonym for a key someone made up


async def test_an_officer_cosigns_a_verified_checkpoint_and_anyone_can_check_it(
    relay_process, tmp_path
):
    data = str(relay_process.data_dir)
    checkpoint = await asyncio.to_thread(steuntje, "checkpoint", "--data", data)
    key = checkpoint.stdout.splitlines()[0].split(": ", 1)[1]
    kept = tmp_path / "kept.txt"
    verified = await asyncio.to_thread(steuntje, "verify", "--data", data, "--kept", str(kept))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    officer_key = tmp_path / "officer.key"

    made = await asyncio.to_thread(
        steuntje, "cosign", str(kept), "--key", key, "--officer-key", str(officer_key),
        "--name", "fg-officer",
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    cosigner = made.stdout.split("cosigner key: ", 1)[1].strip()
    assert cosigner.startswith("fg-officer+") and officer_key.stat().st_mode & 0o777 == 0o600
    cosigned = tmp_path / "kept.txt.cosigned"
    check = await asyncio.to_thread(
        steuntje, "cosign", str(cosigned), "--key", key, "--check", cosigner
    )
    assert check.returncode == 0 and check.stdout.startswith("OK: checkpoint of size")

    # A changed tree size breaks both signatures; another officer's key is not this one.
    lines = cosigned.read_text().split("\n")
    lines[1] = str(int(lines[1]) + 1)
    forged = tmp_path / "forged.cosigned"
    forged.write_text("\n".join(lines))
    bad = await asyncio.to_thread(
        steuntje, "cosign", str(forged), "--key", key, "--check", cosigner
    )
    assert bad.returncode == 1 and bad.stdout.startswith("FAILED")
    other = await asyncio.to_thread(
        steuntje, "cosign", str(kept), "--key", key, "--officer-key", str(tmp_path / "b.key"),
        "--out", str(tmp_path / "other.cosigned"),
    )  # fmt: skip
    other_key = other.stdout.split("cosigner key: ", 1)[1].strip()
    wrong = await asyncio.to_thread(
        steuntje, "cosign", str(cosigned), "--key", key, "--check", other_key
    )
    assert wrong.returncode == 1
    # Cosigning states the checkpoint was checked: a checkpoint under another log key is refused.
    refused = await asyncio.to_thread(
        steuntje, "cosign", str(kept), "--key", other_key.replace("officer", "x"),
        "--officer-key", str(officer_key),
    )  # fmt: skip
    assert refused.returncode != 0
