"""Art. 30 that tells the truth (issue 19 item 6): `steuntje retention report` reads the
organisation's policy from the relay's own database and says where its figures come from;
the audit log's retention is a policy value the purge obeys; a person's download gives the
lifetime their cases really have, not the built-in default."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys

from helpers import error_code, raw_call
from relay.housekeeping import purge_once
from retention.durations import DAY, YEAR

POLICY = {
    "version": 1,
    "envelope_lifetime": {"default": "7d", "minimum": "1d", "maximum": "30d"},
    "disappearing_timer": {"default": "14d", "minimum": "1h", "maximum": "1y"},
    "closed_case_lifetime": "90d",
    "audit_retention": "2y",
}


def report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relay", "retention", "report", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def row(rows: list[dict[str, str]], start: str) -> dict[str, str]:
    return next(r for r in rows if r["data"].startswith(start))


async def test_the_report_gives_the_policy_the_admin_set(relay):
    admin, worker, caregiver = await relay.onboard()
    await admin.request("policy_set", {"document": POLICY})
    data = str(relay.ctx.config.data_dir)
    result = await asyncio.to_thread(report, "--format", "json", "--data", data)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert "7 days" in row(rows, "envelopes:")["kept_for"]
    assert "14 days" not in row(rows, "envelopes:")["kept_for"]
    assert "14 days" in row(rows, "messages on people's devices")["kept_for"]
    assert "90 days" in row(rows, "cases:")["kept_for"]
    assert "2 years" in row(rows, "audit log entries")["kept_for"]
    assert "version 1" in result.stderr and data in result.stderr
    text = (await asyncio.to_thread(report, "--data", data)).stdout
    assert text.startswith("Figures from the organisation's policy (version 1)")


def test_without_a_database_the_report_says_it_gives_the_defaults(tmp_path):
    result = report("--data", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Figures from the built-in defaults: there is no database")
    assert "14 days" in result.stdout  # the default envelope lifetime
    assert not (tmp_path / "steuntje.sqlite3").exists()  # reading made no database


async def test_the_purge_keeps_audit_entries_as_long_as_the_policy_says(relay):
    admin, worker, caregiver = await relay.onboard()
    await admin.request("policy_set", {"document": POLICY})
    con = sqlite3.connect(relay.ctx.config.database_path)
    written = con.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
    relay.clock.advance(2 * YEAR + DAY)
    await purge_once(relay.ctx)
    removed = con.execute("SELECT count(*) FROM audit_entries WHERE body IS NULL").fetchone()[0]
    assert removed == written  # two years, as set; not the default five


async def test_a_download_gives_the_lifetime_the_policy_set(relay):
    admin, worker, caregiver = await relay.onboard()
    await admin.request("policy_set", {"document": POLICY})
    page = (await caregiver.export())["html"]
    assert "Na 7 dagen" in page and "14 dagen" not in page


async def test_the_desk_screens_get_the_same_report_from_policy_get(relay):
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    before = (await officer.request("policy_get", {}))["report"]
    assert "14 days" in row(before, "envelopes:")["kept_for"]  # nothing set yet: defaults
    await admin.request("policy_set", {"document": POLICY})
    for reader in (officer, admin):
        rows = (await reader.request("policy_get", {}))["report"]
        assert "7 days" in row(rows, "envelopes:")["kept_for"]
        assert "2 years" in row(rows, "audit log entries")["kept_for"]
    data = str(relay.ctx.config.data_dir)
    printed = await asyncio.to_thread(report, "--format", "json", "--data", data)
    assert json.loads(printed.stdout) == rows  # the screen and the CLI say the same


async def test_the_desk_screens_get_the_report_in_dutch_with_the_same_figures(relay):
    """Item 6, "Dutch, with English available": the same rows, worded in Dutch, with the
    policy's own numbers; every English row has its Dutch row (on either database)."""
    from retention.delays import PurgeSchedule
    from retention.policy import OrganisationPolicy
    from retention.report_rows import rows as report_rows

    admin, worker, caregiver = await relay.onboard()
    await admin.request("policy_set", {"document": POLICY})
    english = (await admin.request("policy_get", {}))["report"]
    dutch = (await admin.request("policy_get", {"lang": "nl"}))["report"]
    assert len(dutch) == len(english)
    assert [r["data"] for r in dutch if ":" in r["data"]][:5] == [
        r["data"] for r in english if ":" in r["data"]
    ][:5]  # table rows keep the table and column names
    envelopes = row(dutch, "envelopes:")
    assert "7 dagen" in envelopes["kept_for"] and "14 dagen" not in envelopes["kept_for"]
    assert "days" not in envelopes["kept_for"] and "bevestigt" in envelopes["kept_for"]
    assert "90 dagen" in row(dutch, "cases:")["kept_for"]
    assert "2 jaar" in row(dutch, "regels in het logboek")["kept_for"]
    assert "14 dagen" in row(dutch, "berichten op de apparaten")["kept_for"]
    assert "7 days" in row(english, "envelopes:")["kept_for"]  # English stays English
    for backend in ("sqlite", "postgresql"):
        pair = [
            report_rows(OrganisationPolicy(), PurgeSchedule(), backend, lang)
            for lang in ("en", "nl")
        ]
        assert len(pair[0]) == len(pair[1])
        assert all(cell for r in pair[1] for cell in r.values())  # no row left empty
    bad = await raw_call(admin, "policy_get", {"lang": "de"})
    assert error_code(bad) == "malformed" and bad["error"]["field"] == "lang"
