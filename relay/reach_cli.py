"""`steuntje report …`: reach figures on this machine (docs/accountability.md).

    reach --period P [--data DIR | --database URL] [--out DIR] [--lang nl|en]
        the period's signed report (frozen at its first release, like `reach_report`)
        written as REACH-P.note (the signed note), .csv and .html; recorded in the audit log
    verify FILE [--key VKEY]
        check a report offline: the note, or the HTML page that carries it

Exit status: 0 good, 1 the report does not verify (the reason is printed), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import sys
import time
from pathlib import Path
from typing import Any

from reach import Period, ReachError, parse_period, to_csv, to_html, verify_report
from relay.errors import ConfigError
from relay.handlers.reach import LANGUAGES, make_note
from relay.ids import new_id
from relay.storage.audit_store import AuditDraft

PRE_START, PRE_END = "<pre>", "</pre>"


def add_commands(commands: Any, relay_options: Any) -> None:
    report = commands.add_parser("report", help="reach figures for the municipality (admins)")
    actions = report.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    reach = actions.add_parser(
        "reach",
        help="make (or fetch the frozen) signed report for a month, quarter or year",
    )
    reach.add_argument("--period", required=True, help="2026-11, 2026-Q4 or 2026")
    reach.add_argument("--out", type=Path, default=Path("."), help="folder for the files")
    reach.add_argument("--lang", choices=LANGUAGES, default="nl")
    relay_options(reach, public_url=False)
    verify = actions.add_parser("verify", help="check a report offline (no relay needed)")
    verify.add_argument("file", type=Path, help="the .note file, or the .html page")
    verify.add_argument(
        "--key",
        default=None,
        help="the organisation's audit key (steuntje audit checkpoint prints it); without"
        " it, the key inside the report is used, which proves only that nothing changed",
    )


def run(args: argparse.Namespace, config: Any) -> int:
    if args.report_command == "verify":
        return verify(args.file, args.key)
    now = int(time.time())
    try:
        period = parse_period(args.period)
    except ReachError as error:
        raise ConfigError(f"--period: {error}") from None
    if period.end > now:
        raise ConfigError(f"--period: {period.key} has not ended yet; choose an earlier one")
    note, fresh = asyncio.run(release(config(args), period, now))
    write_files(note, fresh, period.key, args.out, args.lang)
    return 0


async def release(config: Any, period: Period, now: int) -> tuple[str, bool]:
    """The period's signed note, frozen at its first release; the hand-out is audited."""
    from relay.audit_cli import _storage

    storage = await _storage(config)
    try:
        _, org = await storage.installation(now)
        audit = AuditDraft(
            "reach.reported",
            objects=(("export", new_id("export")),),
            query={"since": period.start, "until": period.end},
        )
        return await storage.reach_release(org, period, make_note(org, period, now), now, [audit])
    finally:
        await storage.close()


def write_files(note: str, fresh: bool, key: str, out: Path, lang: str) -> None:
    report = verify_report(note).report
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"reach-{key}"
    stem.with_suffix(".note").write_text(note, encoding="utf-8")
    stem.with_suffix(".csv").write_text(to_csv(report, lang), encoding="utf-8", newline="")
    stem.with_suffix(".html").write_text(to_html(report, note, lang), encoding="utf-8")
    state = "made and frozen" if fresh else "the frozen release of"
    print(f"{state} {key}: {stem}.note, .csv, .html")
    print(f"check with: steuntje report verify {stem}.note --key {report['verifier_key']}")


def _note_in(text: str) -> str:
    """The signed note itself, also when `text` is the HTML page that carries it."""
    if text.lstrip().startswith("<!DOCTYPE html>"):
        start, end = text.find(PRE_START), text.rfind(PRE_END)
        if start < 0 or end < start:
            raise ReachError("the page carries no signed report")
        return html.unescape(text[start + len(PRE_START) : end])
    return text


def verify(path: Path, key: str | None) -> int:
    try:
        note = _note_in(path.read_bytes().decode("utf-8"))
        checked = verify_report(note, key)
    except UnicodeDecodeError:
        print("steuntje: NOT VERIFIED: the file is not UTF-8 text", file=sys.stderr)
        return 1
    except ReachError as error:
        print(f"steuntje: NOT VERIFIED: {error}", file=sys.stderr)
        return 1
    report = checked.report
    if key is None:
        print(
            "warning: checked against the key inside the report; pass --key with the"
            " organisation's key you keep, or a forger could have swapped both",
            file=sys.stderr,
        )
    print(
        f"verified: reach report {report['period']} ({report['first_day']} to"
        f" {report['last_day']}) of {report['organisation']}, signed by {checked.signer}"
    )
    return 0
