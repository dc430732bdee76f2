"""audit_query, audit_export, audit_key: a privacy officer reads the audit log.

Every read is itself an entry, written before any data is returned; a refused attempt by
anyone else is an entry too. Searches by person take account or device ids and match
their pseudonyms, so an erased person (whose keys are gone) can no longer be searched for.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from audit import BundleError
from audit.events import EVENTS
from audit.validate import MAX_INT
from relay.audit_csv import to_dutch_csv
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by, reason_code
from relay.ids import DEVICE_ID, SERVER_ID, new_id
from relay.storage.audit_store import PERSON_FILTERS, describe
from relay.validate import require_object

MAX_PAGE = 500
# The short code the worker's app shows for a caregiver ("Privacyverzoek", issue 19 item 1):
# the first characters of the account number after acc_, spaces allowed. Eight characters
# are 48 bits, so two accounts of one organisation rarely share them; if they do, the code
# is refused as ambiguous rather than guessed.
SHORT_CODE = re.compile(r"[A-Za-z0-9_-]{8,22}")

log = logging.getLogger("steuntje.relay.audit")


async def _officer(ctx: RelayContext, conn: Connection, event: str) -> None:
    """Only officers; anyone else's attempt is recorded as denied, then refused."""
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role != "officer":
        await ctx.storage.record(
            [
                by(
                    conn,
                    event,
                    reason="not_given",  # refused before any reason was read
                    outcome="denied",
                    checks={"authorisation": "fail"},
                    **({"query": {"since": 0}} if event == "audit.queried" else {}),
                )
            ],
            ctx.now(),
        )
        raise RelayError(Code.NOT_PERMITTED)


def _subject(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not (SERVER_ID.fullmatch(value) or DEVICE_ID.fullmatch(value)):
        raise RelayError(Code.MALFORMED, f"Field {name!r} must be an account or device id.")
    return value


async def _person(ctx: RelayContext, conn: Connection, data: dict[str, Any]) -> str | None:
    """`subject`: an account, device or case id (a case stands for its caregiver), or the
    short code of an account, resolved here to the one account it begins."""
    value = data.get("subject")
    if value is None:
        return None
    compact = "".join(value.split()) if isinstance(value, str) else ""
    code = compact.removeprefix("acc_")  # "acc_short" is no code: too short after acc_
    if not SERVER_ID.fullmatch(compact) and SHORT_CODE.fullmatch(code):
        return await _account_by_code(ctx, conn, code)
    server_id = SERVER_ID.fullmatch(value) if isinstance(value, str) else None
    if not (
        (server_id and server_id.group(1) in ("acc", "case"))
        or (isinstance(value, str) and DEVICE_ID.fullmatch(value))
    ):
        raise RelayError(Code.MALFORMED, "Field 'subject' must be an account, device or case id.")
    return value


async def _account_by_code(ctx: RelayContext, conn: Connection, code: str) -> str:
    org_id = conn.device.org_id  # type: ignore[union-attr]
    found = [a.id for a in await ctx.storage.list_accounts(org_id) if a.id[4:].startswith(code)]
    if not found:
        raise RelayError(Code.UNKNOWN_ACCOUNT, field="subject")
    if len(found) > 1:
        raise RelayError(Code.AMBIGUOUS_REFERENCE, field="subject")
    return found[0]


def _whole(data: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    """A JSON integer in [low, high]: never a bool, a float or a number SQLite cannot hold."""
    value = data.get(name)
    if value is None:  # absent or null: the default
        return default
    if type(value) is not int or not low <= value <= high:
        raise RelayError(
            Code.MALFORMED, f"Field {name!r} must be a whole number from {low} to {high}."
        )
    return value


def _event(data: dict[str, Any]) -> str | None:
    value = data.get("event")
    if value is not None and (not isinstance(value, str) or value not in EVENTS):
        raise RelayError(Code.MALFORMED, "Field 'event' must be an audit event code.")
    return value


async def on_audit_query(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    await _officer(ctx, conn, "audit.queried")  # first: a refusal is recorded, whatever the data
    data = require_object(data)
    # Times and indexes are written into the query's own entry (integers from 0 to 2^53-1)
    # and compared in SQL: anything outside is refused here, not by SQLite or the entry.
    since = _whole(data, "since", None, 0, MAX_INT)
    until = _whole(data, "until", None, 0, MAX_INT)
    event = _event(data)
    actor, target = _subject(data, "actor"), _subject(data, "object")
    person = await _person(ctx, conn, data)
    after: int = _whole(data, "after", -1, -1, MAX_INT)  # type: ignore[assignment]
    limit: int = _whole(data, "limit", 100, 1, MAX_PAGE)  # type: ignore[assignment]
    # A search may be made without a reason; the log then says none was given.
    reason = reason_code(data, "not_given")
    query = {
        k: v
        for k, v in (
            ("since", since),
            ("until", until),
            ("event", event),
            ("actor", actor),
            ("object", target),
            ("subject", person),
        )
        if v is not None
    }
    await ctx.storage.record(
        [
            by(
                conn,
                "audit.queried",
                reason=reason,
                query=query or {"since": 0},
            )
        ],
        ctx.now(),
    )
    actor_ps = await ctx.storage.audit_pseudonym(actor) if actor else None
    object_ps = await ctx.storage.audit_pseudonym(target) if target else None
    about = await ctx.storage.audit_pseudonyms_about(person) if person else None
    if (actor and actor_ps is None) or (target and object_ps is None) or about == frozenset():
        return {"ok": True, "entries": [], "next": None}  # unknown, or erased: unlinkable
    found, cursor = [], after
    while len(found) < limit:
        page = await ctx.storage.audit_entries(since, until, event, cursor, MAX_PAGE)
        if not page:
            break
        cursor = page[-1][0]
        for index, entry in page:
            if entry is None:
                keep = about is None  # a removed body names nobody: no part of one person's
            else:
                keep = _matches(entry, actor_ps, object_ps) and _about(entry, about)
            if keep:
                found.append(describe(entry, index))
                if len(found) == limit:
                    break
    last = found[-1]["index"] if len(found) == limit else None
    reply: dict[str, Any] = {"ok": True, "entries": found, "next": last}
    if about is not None:  # which pseudonyms are the person's: "this person" on screen
        reply["pseudonyms"] = sorted(about)
        reply["subject"] = person  # a short code: the account it named
    # Staff names beside their pseudonyms (issue 19 item 7): organisation data the officer
    # may see; the entries themselves stay pseudonymous. Only the names this page uses.
    staff = await ctx.storage.audit_staff_names(conn.device.org_id)  # type: ignore[union-attr]
    used = {e.get("actor", {}).get("pseudonym") for e in found} | {
        o["pseudonym"] for e in found for o in e.get("objects", [])
    }
    used |= {e.get("on_behalf_of") for e in found}
    reply["staff"] = {ps: who for ps, who in staff.items() if ps in used}
    return reply


def _matches(entry: Any, actor: str | None, target: str | None) -> bool:
    if actor is not None and entry.actor.pseudonym != actor:
        return False
    return target is None or any(o.pseudonym == target for o in entry.objects)


def _about(entry: Any, names: frozenset[str] | None) -> bool:
    """Whether the entry names any of the person's pseudonyms anywhere: as actor, device,
    on whose behalf, object, or as the person someone searched for."""
    if names is None:
        return True
    mentioned = {entry.actor.pseudonym, entry.on_behalf_of, entry.access_point}
    mentioned.update(o.pseudonym for o in entry.objects)
    mentioned.update(str(v) for k, v in entry.query.items() if k in PERSON_FILTERS)
    return not names.isdisjoint(mentioned)


async def entries_about(ctx: RelayContext, subject: str) -> tuple[frozenset[str], list[Any]]:
    """Every entry (with a body) about one person, oldest first, and their pseudonyms:
    the log's part of an access request (Art. 15 GDPR; NEN 7513's view for the client)."""
    names = await ctx.storage.audit_pseudonyms_about(subject)
    found: list[tuple[int, Any]] = []
    cursor = -1
    while names:
        page = await ctx.storage.audit_entries(None, None, None, cursor, MAX_PAGE)
        if not page:
            break
        cursor = page[-1][0]
        found.extend((i, e) for i, e in page if e is not None and _about(e, names))
    return names, found


def access_view(names: frozenset[str], rows: list[Any]) -> list[dict[str, Any]]:
    """What a person may see of the entries about them: when, what, by which role, why,
    and with what outcome. Other people's pseudonyms are left out (they are about those
    people); whether the person did it themselves is said instead."""
    return [
        {
            "index": index,
            "time": entry.time,
            "event": entry.event,
            "action": entry.action,
            "outcome": entry.outcome,
            "by": entry.actor.role,
            "by_you": entry.actor.pseudonym in names,
            "reason": entry.reason,
            "objects": [o.type for o in entry.objects],
        }
        for index, entry in rows
    ]


async def on_audit_export(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    await _officer(ctx, conn, "audit.exported")
    data = require_object(data)
    limit = ctx.config.limits.audit_export_max_entries
    if await ctx.storage.audit_size() >= limit:  # one socket reply is no place for a huge log
        raise RelayError(
            Code.PAYLOAD_TOO_LARGE,
            "The log is too large to export here; use `steuntje audit export`.",
            limit=limit,
        )
    await ctx.storage.record(
        [
            by(
                conn,
                "audit.exported",
                [("export", new_id("export"))],
                reason=reason_code(data, "not_given"),
            )
        ],
        ctx.now(),
    )
    try:
        lines = await ctx.storage.audit_bundle()
    except BundleError as damage:  # a stored copy or body was changed: not a bug, a finding
        log.warning("audit_export refused: the stored audit log is damaged (%s)", damage)
        raise RelayError(Code.AUDIT_LOG_DAMAGED, detail=str(damage)) from None
    entries = await ctx.storage.audit_entries(None, None, None, -1, 10**9)
    return {
        "ok": True,
        "bundle": "".join(lines),
        "csv": to_dutch_csv(entries),  # Dutch office CSV; the bundle keeps UTC and codes
        "verifier_key": await ctx.storage.audit_verifier_key(),
    }


async def on_audit_key(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """The organisation's log key (verifier string) for officers and admins to keep."""
    require_object(data)  # `{}`: it takes no fields
    if conn.device is None or conn.device.role not in ("officer", "admin"):
        raise RelayError(Code.NOT_PERMITTED)
    return {"ok": True, "verifier_key": await ctx.storage.audit_verifier_key()}
