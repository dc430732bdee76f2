"""policy_get, policy_set: the organisation's retention limits and defaults (admins), and a
case's own settings within them (admins, or a worker on the case). Validated by the pure
model in retention/; shortening a lifetime applies to envelopes already stored."""

from __future__ import annotations

from typing import Any

from groups.log import GROUP_ID
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.auditing import by
from relay.ids import SERVER_ID
from relay.notify import notify_case_members
from relay.policies import effective_for, load
from relay.policy_changes import case_changes, organisation_changes
from retention import (
    PolicyError,
    PurgeSchedule,
    case_from_dict,
    case_to_dict,
    effective,
    organisation_from_dict,
    organisation_to_dict,
)
from retention.durations import format_duration
from retention.policy import OFF
from retention.report_rows import LANGUAGES, rows
from retention.serialise import format_setting

# Who may ever set a policy: admins (any scope), workers (a case they are on, or a group
# they facilitate). Officers and caregivers read policies only.
SETTERS = ("admin", "worker")


def describe(policy: Any) -> dict[str, Any]:
    """An EffectivePolicy as the wire shows it."""
    return {
        "envelope_lifetime": format_duration(policy.envelope_lifetime),
        "disappearing_timer": format_setting(policy.disappearing_timer),
        # The same in seconds (null: off), so devices need no duration parser to apply it.
        "disappearing_timer_s": None
        if policy.disappearing_timer == OFF
        else int(policy.disappearing_timer),
        "clamped": [
            {"field": c.field, "asked": str(c.requested), "used": c.applied, "why": c.reason}
            for c in policy.clamped
        ],
    }


async def _on_case(ctx: RelayContext, conn: Connection, case_id: str, roles: tuple) -> None:
    """The caller has one of `roles` and may see this case: admins and officers any case of
    their organisation, workers and caregivers only a case they are on."""
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if device.role not in roles:
        raise RelayError(Code.NOT_PERMITTED)
    if device.role in ("admin", "officer"):
        known = any(c["id"] == case_id for c in await ctx.storage.org_cases(device.org_id))
    else:
        known = any(c.id == case_id for c in await ctx.storage.list_cases(device.account_id))
    if not known:
        raise RelayError(Code.UNKNOWN_CASE)


async def _on_group(ctx: RelayContext, conn: Connection, group_id: Any, setting: bool) -> str:
    """A group's own policy (docs/groups.md §5) lives beside the cases' (its id is its
    scope): members may read it; a facilitator who is a worker, or an admin, may set it."""
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if not isinstance(group_id, str) or not GROUP_ID.fullmatch(group_id):
        raise RelayError(Code.MALFORMED, "Field 'group' must be a group id.")
    if device.role in ("admin", "officer") and (not setting or device.role == "admin"):
        if await ctx.storage.group_org(group_id) != device.org_id:
            raise RelayError(Code.NOT_A_MEMBER)
        return group_id
    membership = await ctx.storage.group_membership(device, group_id)
    if membership is None:
        raise RelayError(Code.NOT_A_MEMBER)
    if setting and (membership.role != "facilitator" or device.role != "worker"):
        raise RelayError(Code.NOT_PERMITTED)
    return group_id


def _scope_field(data: dict[str, Any]) -> tuple[Any, bool]:
    """The case (or group) a policy request is about: (id or None, is a group)."""
    if "group" in data:
        return data["group"], True
    return data.get("case"), False


def art30_rows(ctx: RelayContext, org: Any, lang: str = "en") -> list[dict[str, str]]:
    """The Art. 30 table (retention/report.py) for the policy in force, this relay's purge
    interval and database: what `steuntje retention report` prints, for the desk screens
    (in Dutch with `lang` "nl": the same rows and figures)."""
    schedule = PurgeSchedule(interval=int(ctx.config.purge_interval_s))
    backend = "postgresql" if ctx.config.database_url else "sqlite"
    return rows(org, schedule, backend, lang)


async def on_policy_get(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    data = data if isinstance(data, dict) else {}
    org, cases, documents = await load(ctx)
    case_id, is_group = _scope_field(data)
    if is_group:
        case_id = await _on_group(ctx, conn, case_id, setting=False)
        own = cases.get(case_id)
        return {
            "ok": True,
            "group": case_id,
            "settings": case_to_dict(own) if own else None,
            "effective": describe(await effective_for(ctx, case_id)),
        }
    if case_id is None:
        if conn.device is None or conn.device.role not in ("admin", "officer"):
            raise RelayError(Code.NOT_PERMITTED)
        lang = data.get("lang", "en")
        if lang not in LANGUAGES:
            raise RelayError(Code.MALFORMED, "Field 'lang' must be en or nl.", field="lang")
        version = documents.get(f"org:{ctx.org_id}", {}).get("version", 0)
        return {
            "ok": True,
            "organisation": organisation_to_dict(org),
            "version": version,
            "effective": describe(effective(org)),
            "report": art30_rows(ctx, org, lang),
        }
    if not isinstance(case_id, str) or not SERVER_ID.fullmatch(case_id):
        raise RelayError(Code.MALFORMED, "Field 'case' must be a case id.")
    await _on_case(ctx, conn, case_id, ("admin", "officer", "worker", "caregiver"))
    own = cases.get(case_id)
    return {
        "ok": True,
        "case": case_id,
        "settings": case_to_dict(own) if own else None,
        "effective": describe(await effective_for(ctx, case_id)),
    }


async def _tell_everyone(ctx: RelayContext) -> None:
    """The organisation's limits bound every case and group: every open chat's timer note
    and every group's banner must follow now, not after a reload. Each active account
    hears `case_changed` for each of its cases and each group's members `group_changed`
    (the apps re-read `policy_get` on either). An admin's rare action, so a walk over the
    organisation's accounts and groups is affordable."""
    from relay.handlers.groups import tell_groups

    for account in await ctx.storage.list_accounts(ctx.org_id):
        if account.status == "active":
            for case in await ctx.storage.list_cases(account.id):
                await notify_case_members(ctx, case.id, (account.id,))
    await tell_groups(ctx, [str(g["id"]) for g in await ctx.storage.org_groups(ctx.org_id)])


async def on_policy_set(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if device.role not in SETTERS:  # before the data is read: others hear only this
        raise RelayError(Code.NOT_PERMITTED)
    if not isinstance(data, dict) or not isinstance(data.get("document"), dict):
        raise RelayError(Code.MALFORMED, "policy_set needs a 'document' object.")
    case_id, is_group = _scope_field(data)
    if is_group:
        case_id = await _on_group(ctx, conn, case_id, setting=True)
    org, cases, _ = await load(ctx)
    try:
        if case_id is None:
            if device.role != "admin":
                raise RelayError(Code.NOT_PERMITTED)
            before, org = org, organisation_from_dict(data["document"])
            document, scope = organisation_to_dict(org), f"org:{ctx.org_id}"
            change = organisation_changes(before, org)
        else:
            if not is_group:
                if not isinstance(case_id, str) or not SERVER_ID.fullmatch(case_id):
                    raise RelayError(Code.MALFORMED, "Field 'case' must be a case id.")
                await _on_case(ctx, conn, case_id, ("admin", "worker"))
            previous = cases.get(case_id)
            cases[case_id] = case_from_dict({**data["document"], "case_id": case_id})
            document, scope = case_to_dict(cases[case_id]), f"case:{case_id}"
            change = case_changes(previous, cases[case_id])
        # Store only what reads back: a duration past what the format can write (10**30
        # seconds is "31709791983764586504y") would stop every later policy read and send.
        read_back = organisation_from_dict if case_id is None else case_from_dict
        read_back(document)
    except PolicyError as error:
        raise RelayError(Code.MALFORMED, str(error), field=error.field) from None
    # Every case with stored envelopes, at its new effective lifetime (min() in SQL keeps
    # what is shorter already: lengthening only reaches envelopes sent from now on).
    affected = await ctx.storage.envelope_cases()
    lifetimes = [
        (c, effective(org, cases.get(c) if c else None).envelope_lifetime)
        for c in affected
        if case_id is None or c == case_id
    ]
    audit = [by(conn, "policy.changed", [("policy", scope)], reason="policy_update", change=change)]
    version = await ctx.storage.set_policy(scope, ctx.org_id, document, ctx.now(), lifetimes, audit)
    ctx.forget_permissions()  # the policy cache too, on every node
    if is_group:  # every member's banner follows
        from relay.handlers.groups import group_state, notify_group

        devices = await ctx.storage.group_member_devices(case_id)
        await notify_group(ctx, case_id, (await group_state(ctx, case_id)).seq, devices)
    elif case_id is not None:  # both sides see the change (e.g. the disappearing timer)
        (view,) = [
            c for c in await ctx.storage.list_cases(device.account_id) if c.id == case_id
        ] or [None]
        if view is not None:
            await notify_case_members(ctx, case_id, tuple(m.account_id for m in view.members))
    else:
        await _tell_everyone(ctx)
    result = await effective_for(ctx, case_id)
    return {"ok": True, "scope": scope, "version": version, "effective": describe(result)}
