"""A caller whose role may never use an event hears `not_permitted`, whatever its payload
holds (issue 13, item 17): the role is checked before the payload is parsed or verified,
so a made-up ticket or a malformed field never gets a more telling answer, and a refused
audit read is recorded even when its payload is nonsense."""

from __future__ import annotations

import pytest

from helpers import error_code, raw_call

GARBAGE_TICKET = {"ticket": {"body": "{}", "by": "x", "sig": "y"}}
GARBAGE_RECORD = {"record": {"body": "{}", "sig": "y"}}

# (event, payload a permitted caller would get refused as malformed or similar, roles that
# may never use the event)
NEVER_PERMITTED = [
    ("group_join", {"record": {"body": '{"op":"join"}', "sig": "y"}}, ("officer", "admin")),
    ("group_join", GARBAGE_RECORD, ("officer", "admin")),
    ("group_join_prepare", GARBAGE_TICKET, ("officer", "admin")),
    ("group_create", GARBAGE_RECORD, ("caregiver", "officer")),
    ("group_close", {"group": "nonsense"}, ("caregiver", "officer")),
    ("invite_create", {"role": "nonsense"}, ("caregiver", "officer")),
    ("case_add_member", {"case": "x"}, ("caregiver", "officer", "admin")),
    ("case_handover", {"case": "x"}, ("caregiver", "officer", "admin")),
    ("case_close", {"case": "x"}, ("caregiver", "officer")),
    ("case_reopen", "not an object", ("caregiver", "officer")),
    ("policy_set", {}, ("caregiver", "officer")),
    ("policy_set", "not an object", ("caregiver", "officer")),
    ("officer_export", "not an object", ("caregiver", "worker", "admin")),
    ("officer_erase", "not an object", ("caregiver", "worker", "admin")),
    ("legal_hold_place", "not an object", ("caregiver", "worker", "admin")),
    ("admin_revoke_device", "not an object", ("caregiver", "worker", "officer")),
    ("colleagues_list", "not an object", ("caregiver", "officer")),
]
CASES = [(event, payload, role) for event, payload, roles in NEVER_PERMITTED for role in roles]


async def people(relay) -> dict:
    admin, worker, caregiver = await relay.onboard()
    officer = relay.client()
    await officer.register((await admin.create_invite("officer"))["link"])
    return {"admin": admin, "worker": worker, "caregiver": caregiver, "officer": officer}


@pytest.mark.parametrize(
    ("event", "payload", "role"), CASES, ids=[f"{e}-{r}-{i}" for i, (e, _, r) in enumerate(CASES)]
)
async def test_a_role_that_may_never_do_it_hears_not_permitted(relay, event, payload, role):
    caller = (await people(relay))[role]
    assert error_code(await raw_call(caller, event, payload)) == "not_permitted"


@pytest.mark.parametrize("event", ["audit_query", "audit_export"])
async def test_a_refused_audit_read_is_recorded_whatever_its_payload(relay, event):
    worker = (await people(relay))["worker"]
    before = await relay.ctx.storage.audit_size()
    assert error_code(await raw_call(worker, event, "not an object")) == "not_permitted"
    assert await relay.ctx.storage.audit_size() == before + 1  # the denied attempt


async def test_permitted_roles_still_hear_what_is_wrong_with_their_payload(relay):
    """The control: for a caller who may do it, the payload is judged as before."""
    group = await people(relay)
    caregiver, worker = group["caregiver"], group["worker"]
    reply = await raw_call(caregiver, "group_join_prepare", GARBAGE_TICKET)
    assert (error_code(reply), reply["error"]["reason"]) == (
        "group_record_refused",
        "ticket_invalid",
    )
    assert error_code(await raw_call(worker, "invite_create", {"role": "nonsense"})) == "malformed"
    assert error_code(await raw_call(worker, "case_close", {"case": "x"})) == "malformed"
    assert error_code(await raw_call(worker, "policy_set", {})) == "malformed"
    officer = group["officer"]
    assert error_code(await raw_call(officer, "officer_export", "not an object")) == "malformed"
    assert error_code(await raw_call(officer, "audit_query", "not an object")) == "malformed"
