"""reach_lists, reach_lists_set, case_set_area, account_set_team, reach_contribute,
reach_report: reach figures for the municipality (docs/accountability.md, PROTOCOL.md).

The relay counts only what it routes: a caregiver account that sent an envelope or took
delivery of one in a month "took part" (`note_took_part`, called by send and ack); the
workers' devices add what only they know as numbers per period. A report is made only for
a fixed calendar period that has ended, protected (reach/protect.py), signed with the
organisation's key, and frozen: asking again for the same period returns the same note.
Admins make reports: a separate `reporter` role would need a new account kind in every
table and screen for one action an admin already takes on the organisation's behalf.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from reach import (
    Period,
    Population,
    ReachError,
    count,
    month_of,
    parse_period,
    report_document,
    sign_report,
    to_csv,
    to_html,
    verify_report,
)
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by
from relay.ids import SERVER_ID, new_id
from relay.storage.base import DeviceRecord
from relay.validate import int_field, require_object, text_field

# A wijk or team name: printable, no control characters, at most 40 characters.
LIST_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,40}")
MAX_LIST = 50
MAX_COUNT = 1_000_000  # what one device can have counted in a year, with room to spare
LANGUAGES = ("nl", "en")


def _role(conn: Connection, *roles: str) -> DeviceRecord:
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role not in roles:
        raise RelayError(Code.NOT_PERMITTED)
    return conn.device


def _period(data: dict[str, Any]) -> Period:
    try:
        return parse_period(data.get("period"))
    except ReachError as error:
        raise RelayError(Code.MALFORMED, str(error), field="period") from None


def _names(data: dict[str, Any], field: str) -> list[str]:
    names = data.get(field, [])
    if (
        not isinstance(names, list)
        or len(names) > MAX_LIST
        or not all(isinstance(n, str) and LIST_NAME.fullmatch(n.strip()) for n in names)
    ):
        raise RelayError(
            Code.MALFORMED,
            f"Field '{field}' must be a list of at most {MAX_LIST} names of 1-40 characters.",
            field=field,
        )
    stripped = [n.strip() for n in names]
    if len(set(stripped)) != len(stripped):
        raise RelayError(Code.MALFORMED, f"Field '{field}' names one entry twice.", field=field)
    return stripped


def _listed(value: Any, listed: list[str], field: str) -> str | None:
    """A name from the organisation's list, or None (null clears the tag)."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in listed:
        raise RelayError(Code.NOT_ON_LIST, field=field)
    return value


async def note_took_part(
    ctx: RelayContext, device: DeviceRecord, groups: Iterable[str] = ()
) -> None:
    """A caregiver's device sent (in `groups`, for group envelopes) or took delivery of an
    envelope: record the month once per account and group. A per-month cache on the
    context keeps this to one database write per account a month on each node."""
    if device.role != "caregiver":
        return
    month = month_of(ctx.now())
    noted = ctx.reach_noted.get(month)
    if noted is None:
        noted = set()
        ctx.reach_noted.clear()  # a new month: last month's marks are no use any more
        ctx.reach_noted[month] = noted
    groups = [group for group in groups if group not in noted]
    if device.account_id in noted and not groups:
        return
    await ctx.storage.note_reach_activity(device.account_id, month, groups)
    noted.add(device.account_id)
    noted.update(groups)


async def on_reach_lists(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """The wijken and teams; an admin also sees each worker's team and each case's wijk,
    a worker the wijk of the cases they are on."""
    device = _role(conn, "admin", "worker")
    lists = await ctx.storage.reach_lists(device.org_id)
    areas = await ctx.storage.case_areas(device.org_id)
    reply: dict[str, Any] = {"ok": True, **lists}
    if device.role == "admin":
        reply["account_teams"] = await ctx.storage.account_teams(device.org_id)
        reply["case_areas"] = areas
    else:
        mine = {case.id for case in await ctx.storage.list_cases(device.account_id)}
        reply["case_areas"] = {case: area for case, area in areas.items() if case in mine}
    return reply


async def on_reach_lists_set(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    admin = _role(conn, "admin")
    data = require_object(data)
    areas, teams = _names(data, "areas"), _names(data, "teams")
    audit = [
        by(conn, "policy.changed", [("policy", f"reach:{admin.org_id}")], reason="policy_update")
    ]
    await ctx.storage.set_reach_lists(admin.org_id, areas, teams, ctx.now(), audit)
    return {"ok": True, "areas": areas, "teams": teams}


async def on_case_set_area(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """A worker on the case, or an admin, tags it with a wijk from the list (null: none)."""
    device = _role(conn, "worker", "admin")
    data = require_object(data)
    case_id = text_field(data, "case", SERVER_ID)
    if device.role == "worker" and not any(
        case.id == case_id for case in await ctx.storage.list_cases(device.account_id)
    ):
        raise RelayError(Code.UNKNOWN_CASE)
    lists = await ctx.storage.reach_lists(device.org_id)
    area = _listed(data.get("area"), lists["areas"], "area")
    if not await ctx.storage.set_case_area(device.org_id, case_id, area, ctx.now(), ()):
        raise RelayError(Code.UNKNOWN_CASE)
    return {"ok": True, "case": case_id, "area": area}


async def on_account_set_team(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    admin = _role(conn, "admin")
    data = require_object(data)
    account_id = text_field(data, "account", SERVER_ID)
    lists = await ctx.storage.reach_lists(admin.org_id)
    team = _listed(data.get("team"), lists["teams"], "team")
    if not await ctx.storage.set_account_team(admin.org_id, account_id, team, ctx.now(), ()):
        raise RelayError(Code.UNKNOWN_ACCOUNT, "No worker account with this id.")
    return {"ok": True, "account": account_id, "team": team}


async def on_reach_contribute(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """A worker's device counts what only it can see, for one period: numbers only. The
    newest contribution of a device for a period replaces its earlier one."""
    device = _role(conn, "worker")
    data = require_object(data)
    period = _period(data)
    if period.start > ctx.now():
        raise RelayError(Code.MALFORMED, "The period has not started yet.", field="period")
    checkins = int_field(data, "checkins_answered", 0, MAX_COUNT)
    questionnaires = int_field(data, "questionnaires_signed", 0, MAX_COUNT)
    await ctx.storage.reach_contribute(device.id, period, checkins, questionnaires, ctx.now())
    return {"ok": True, "period": period.key}


def make_note(org: str, period: Period, now: int) -> Callable[[Population, str, bytes, str], str]:
    """What storage calls inside its transaction to make the period's signed note."""

    def make(population: Population, key_name: str, key: bytes, verifier_key: str) -> str:
        figures = count(population, period.start, period.end)
        return sign_report(report_document(org, period, figures, now, verifier_key), key_name, key)

    return make


async def on_reach_report(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    admin = _role(conn, "admin")
    data = require_object(data)
    period = _period(data)
    lang = data.get("lang", "nl")
    if lang not in LANGUAGES:
        raise RelayError(Code.MALFORMED, "Field 'lang' must be nl or en.", field="lang")
    if period.end > ctx.now():
        raise RelayError(Code.PERIOD_OPEN, period=period.key)
    # Who, for which period (its Amsterdam bounds), with an export id; the event names the
    # one protection every report gets.
    audit = by(
        conn,
        "reach.reported",
        [("export", new_id("export"))],
        query={"since": period.start, "until": period.end},
    )
    make = make_note(admin.org_id, period, ctx.now())
    note, fresh = await ctx.storage.reach_release(admin.org_id, period, make, ctx.now(), [audit])
    report = verify_report(note).report  # our own note: parse it the way readers will
    return {
        "ok": True,
        "period": period.key,
        "first_release": fresh,
        "note": note,
        "csv": to_csv(report, lang),
        "html": to_html(report, note, lang),
        "verifier_key": report["verifier_key"],
    }
