"""The audit CSV a Dutch office opens (issue 19 item 5): `;` between fields, UTF-8 with a
byte order mark, Dutch headers and words beside the codes, Amsterdam times with their
offset (the hour that happens twice in October stays two different times), and filters by
Amsterdam days; the JSON Lines bundle keeps UTC. Checked with the fake clock across the end
of summer time on 25 October 2026 (03:00 CEST becomes 02:00 CET, at 01:00 UTC)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime

from audit import decode
from relay.audit_csv import HEADERS, DutchDialect


def at(*fields: int) -> int:
    return int(datetime(*fields, tzinfo=UTC).timestamp())


# Two searches at 02:30 on the clock in Amsterdam, an hour apart in UTC; one just after
# midnight on the 25th in Amsterdam (still the 24th in UTC); one just after midnight on
# the 26th in Amsterdam (still the 25th in UTC).
MOMENTS = {
    at(2026, 10, 24, 22, 30): "2026-10-25T00:30:00+02:00",
    at(2026, 10, 25, 0, 30): "2026-10-25T02:30:00+02:00",
    at(2026, 10, 25, 1, 30): "2026-10-25T02:30:00+01:00",
    at(2026, 10, 25, 23, 30): "2026-10-26T00:30:00+01:00",
}


async def searches_across_the_change(relay):
    """An officer searches the log once at each moment; returns the officer."""
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    for moment in MOMENTS:
        relay.clock.advance(moment - relay.clock.now())
        await officer.request("audit_query", {"event": "case.created", "reason": "routine_review"})
    return officer


def parse(raw: bytes) -> list[dict[str, str]]:
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), dialect=DutchDialect))
    assert list(rows[0]) == list(HEADERS)
    return rows


def cli_export(relay, tmp_path, *days: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "relay", "audit", "export", "--out", str(tmp_path / "b")]
    command += ["--csv", str(tmp_path / "log.csv"), "--data", str(relay.ctx.config.data_dir)]
    return subprocess.run(
        [*command, *days], capture_output=True, text=True, timeout=60, check=False
    )


async def test_the_cli_csv_is_dutch_and_in_amsterdam_time_across_the_clock_change(relay, tmp_path):
    await searches_across_the_change(relay)
    result = await asyncio.to_thread(cli_export, relay, tmp_path)
    assert result.returncode == 0, result.stderr
    raw = (tmp_path / "log.csv").read_bytes()
    assert raw.split(b"\r\n", 1)[0].count(b";") == len(HEADERS) - 1
    rows = parse(raw)
    searches = [r for r in rows if r["Gebeurtenis (code)"] == "audit.queried"]
    assert [(int(r["Tijd (UTC, Unix-seconden)"]), r["Tijd (Amsterdam)"]) for r in searches] == (
        list(MOMENTS.items())
    )
    first = searches[0]
    assert first["Wat er gebeurde"] == "iemand zocht in het logboek"
    assert first["Door (rol)"] == "privacy-functionaris" and first["Rol (code)"] == "officer"
    assert first["Waarom"] == "gewone controle" and first["Reden (code)"] == "routine_review"
    assert first["Uitkomst"] == "gelukt" and first["Uitkomst (code)"] == "success"
    assert first["Door (pseudoniem)"].startswith("ps_")
    # the bundle keeps UTC: each entry body's time is the Unix time, no offset anywhere
    lines = [json.loads(x) for x in (tmp_path / "b").read_text().splitlines()]
    bodies = [decode(base64.b64decode(x["body"])) for x in lines if "body" in x]
    assert set(MOMENTS) <= {entry.time for entry in bodies}
    assert "+02:00" not in (tmp_path / "b").read_text()


async def test_days_are_amsterdam_days(relay, tmp_path):
    await searches_across_the_change(relay)
    result = await asyncio.to_thread(
        cli_export, relay, tmp_path, "--from", "2026-10-25", "--to", "2026-10-25"
    )
    assert result.returncode == 0, result.stderr
    rows = parse((tmp_path / "log.csv").read_bytes())
    # midnight to midnight in Amsterdam: 25 hours, from 22:00 UTC on the 24th
    assert [r["Tijd (Amsterdam)"] for r in rows] == list(MOMENTS.values())[:3]


async def test_the_officers_download_is_the_same_dutch_csv(relay):
    officer = await searches_across_the_change(relay)
    export = await officer.request("audit_export", {})
    rows = parse(export["csv"].encode("utf-8"))
    assert [r["Tijd (Amsterdam)"] for r in rows if r["Gebeurtenis (code)"] == "audit.queried"][
        :4
    ] == list(MOMENTS.values())
    assert not export["bundle"].startswith("\ufeff")  # the bundle: plain JSON Lines, UTC
