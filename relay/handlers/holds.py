"""legal_hold_place, legal_hold_lift, legal_hold_list, cases_all: a privacy officer
suspends purging for a case under a legal obligation (GDPR Art. 17(3)(b), (e)).

The hold is validated by the pure model in retention/holds.py, so the same rules hold
wherever a hold is made. Admins see holds (the organisation must know they exist); only
officers place and lift them.
"""

from __future__ import annotations

from typing import Any

from groups.log import GROUP_ID
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by, reason_code
from relay.ids import SERVER_ID
from relay.storage.base import DeviceRecord
from relay.validate import instant_field, require_object, text_field
from retention import LegalHold, PolicyError

DEFAULT_SCOPE = ("envelopes", "case", "accounts")


def _role(conn: Connection, *roles: str) -> DeviceRecord:
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role not in roles:
        raise RelayError(Code.NOT_PERMITTED)
    return conn.device


async def on_legal_hold_place(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    officer = _role(conn, "officer")
    data = require_object(data)
    case_id = data.get("case")
    if not isinstance(case_id, str) or not (
        SERVER_ID.fullmatch(case_id) or GROUP_ID.fullmatch(case_id)
    ):
        raise RelayError(Code.MALFORMED, "Field 'case' must be a case id or a group id.")
    scope = data.get("scope", list(DEFAULT_SCOPE))
    # Types and ranges here, at the edge: LegalHold checks the rules, but a list of
    # objects is not hashable and a time past 64 bits does not fit the database.
    if not isinstance(scope, list) or not all(isinstance(item, str) for item in scope):
        raise RelayError(
            Code.MALFORMED,
            f"Field 'scope' must be a list of {', '.join(DEFAULT_SCOPE)}.",
            field="scope",
        )
    review_at = instant_field(data, "review_at")
    ends_at = instant_field(data, "ends_at", required=False)
    try:
        hold = LegalHold(
            case_id=case_id,
            scope=frozenset(scope),
            reason=data.get("reason"),  # type: ignore[arg-type]
            reference=data.get("reference"),  # type: ignore[arg-type]
            placed_at=ctx.now(),
            review_at=review_at,  # type: ignore[arg-type]
            ends_at=ends_at,
        )
    except PolicyError as error:
        raise RelayError(Code.MALFORMED, str(error), field=error.field) from None
    # The basis is the officer's own choice from the closed list (legal_obligation,
    # court_order, ...): the hold's free-text `reason` describes it but stays out of the log.
    audit = by(conn, "legal_hold.placed", reason=reason_code(data, field="basis"))
    hold_id = await ctx.storage.place_hold(
        officer.org_id,
        {
            "case_id": hold.case_id,
            "scope": hold.scope,
            "reason": hold.reason,
            "reference": hold.reference,
            "placed_by": officer.account_id,
            "placed_at": hold.placed_at,
            "review_at": hold.review_at,
            "ends_at": hold.ends_at,
        },
        audit,
    )
    return {"ok": True, "hold": hold_id, "case": case_id, "scope": sorted(hold.scope)}


async def on_legal_hold_lift(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    officer = _role(conn, "officer")
    data = require_object(data)
    hold_id = text_field(data, "hold", SERVER_ID)
    audit = by(conn, "legal_hold.lifted", reason=reason_code(data))  # why it may end now
    case_id = await ctx.storage.lift_hold(officer.org_id, hold_id, ctx.now(), audit)
    return {"ok": True, "hold": hold_id, "case": case_id}


async def on_legal_hold_list(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = _role(conn, "officer", "admin")
    return {"ok": True, "holds": await ctx.storage.list_holds(device.org_id)}


async def on_cases_all(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    """Every case of the organisation (ids and sizes only), so an officer can name one."""
    device = _role(conn, "officer", "admin")
    workers = await ctx.storage.case_workers(device.org_id)  # staff names: issue 19 item 8
    cases = await ctx.storage.org_cases(device.org_id)
    return {
        "ok": True,
        "cases": [{**item, "workers": workers.get(item["id"], [])} for item in cases],
        # Peer-support groups are retention scopes too: a hold can name one (ids only).
        "groups": await ctx.storage.org_groups(device.org_id),
    }
