"""A change explains itself (issue 19 item 2): a policy change's audit entry names the
settings it moved with their values before and after, an account's status change its old
and new status; the CSV says it in Dutch ("Bewaartermijn berichten: 14 → 7 dagen");
`steuntje audit verify` passes on a log with such entries and on old entries without them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from test_audit_csv import parse

from audit import decode
from audit.events import CHANGE_FIELDS, CHANGE_VALUES
from relay.audit_words import CHANGE_FIELDS_NL, CHANGE_VALUES_NL

DAY = 86_400
VECTORS = Path(__file__).parent / "vectors" / "audit" / "entries.json"


def policy(default: str) -> dict:
    return {
        "version": 1,
        "envelope_lifetime": {"default": default, "minimum": "1d", "maximum": "90d"},
        "recovery_issuers": "case_workers",
    }


async def entries(officer, event: str) -> list[dict]:
    reply = await officer.request("audit_query", {"event": event, "reason": "routine_review"})
    return reply["entries"]


async def test_policy_and_status_changes_record_before_and_after(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    await admin.request("policy_set", {"document": policy("14d")})
    await admin.request("policy_set", {"document": policy("7d")})
    await admin.request("policy_set", {"document": policy("7d")})  # nothing moved
    (case,) = await worker.cases()
    await worker.request(
        "policy_set", {"case": case["id"], "document": {"envelope_lifetime": "2d"}}
    )
    for status in ("disabled", "active"):
        await admin.request(
            "admin_set_account_status",
            {"account": worker.account_id, "status": status, "reason": "staff_change"},
        )

    changed = await entries(officer, "policy.changed")
    assert changed[1]["change"] == [
        {"field": "envelope_lifetime.default", "before": 14 * DAY, "after": 7 * DAY}
    ]
    assert "change" not in changed[2]  # a policy_set that moved nothing records no values
    assert changed[3]["change"] == [
        {"field": "case.envelope_lifetime", "before": "unset", "after": 2 * DAY}
    ]
    statuses = [e["change"] for e in await entries(officer, "account.status_changed")]
    assert statuses == [
        [{"field": "account.status", "before": "active", "after": "disabled"}],
        [{"field": "account.status", "before": "disabled", "after": "active"}],
    ]

    rows = parse((await officer.request("audit_export", {}))["csv"].encode("utf-8"))
    said = [r["Wat veranderde"] for r in rows if r["Wat veranderde"]]
    assert "Bewaartermijn berichten: 14 → 7 dagen" in said
    assert "Bewaartermijn berichten (dit dossier): zoals de organisatie → 2 dagen" in said
    assert said[-2:] == ["Status account: actief → uitgezet", "Status account: uitgezet → actief"]
    codes = [r["Wijziging (codes)"] for r in rows if r["Wijziging (codes)"]]
    assert f"envelope_lifetime.default={14 * DAY}>{7 * DAY}" in codes

    data = str(relay.ctx.config.data_dir)
    verified = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "relay", "audit", "verify", "--data", data],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verified.returncode == 0 and verified.stdout.startswith("OK"), verified.stderr


def test_entries_without_change_still_decode_and_every_change_word_has_dutch():
    cases = json.loads(VECTORS.read_text())["tests"]
    old = [c for c in cases if c["want_err"] is None and "change" not in c["entry"]]
    assert old, "the vectors keep entries written before issue 19"
    for case in old:
        assert decode(bytes.fromhex(case["encoding"])).change == ()
    new = [c for c in cases if c["want_err"] is None and "change" in c["entry"]]
    assert {c["entry"]["event"] for c in new} == {"policy.changed", "account.status_changed"}
    assert set(CHANGE_FIELDS) <= set(CHANGE_FIELDS_NL)
    assert set(CHANGE_VALUES) <= set(CHANGE_VALUES_NL)
