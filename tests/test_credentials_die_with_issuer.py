"""Every outstanding credential dies with its issuer (issue 13, items 1, 2 and 21).

An invite, a device link or a group ticket is void once the device that made it is
revoked, its account disabled or revoked, or its maker lost the power to make it (for a
group ticket: left or was removed from the group, or is no longer a facilitator).
Redeeming one is refused with `invite_revoked` and creates nothing. Each refusal has its
control: the same credential from an issuer nobody touched still works.

Account roles never change in Steuntje (an account keeps the role its invite gave it), so
"the issuer lost the role" happens only in groups; the relay checks the account's role at
redemption all the same.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from test_groups_relay import Group, Handle, change, join, start_group, sync, ticket_for

from groups.log import make_record
from helpers import raw_call
from relay.errors import RelayError
from relay.ids import b64url, new_id
from relay.invites import new_token, token_hash
from relay.storage.migrations import schema_files
from relay.storage.sqlite import SQLiteStorage
from relay.storage.sqlite_groups import GroupEffect
from steuntje_client import RelayClient, RelayRefused

STAFF_INVITES = ("admin", "worker", "officer")
KINDS = (*STAFF_INVITES, "caregiver", "device_link")
ISSUER_FATES = ("device_revoked", "account_disabled")


async def inventory(relay) -> tuple:
    """Every account, device and case of the organisation: what a redemption could add."""
    storage, org = relay.ctx.storage, relay.ctx.org_id
    accounts = await storage.list_accounts(org)
    return (
        sorted(a.id for a in accounts),
        sorted(device for a in accounts for device, _ in a.devices),
        sorted(case["id"] for case in await storage.org_cases(org)),
    )


async def issuer_of(relay, kind: str) -> tuple[RelayClient, RelayClient, RelayClient]:
    """(the organisation's admin, the issuing device, a second device of the issuer's
    account): an admin for staff invites, a worker for caregiver invites and device links.
    The second device keeps the account active when the issuing one is revoked."""
    boss = relay.client()
    await boss.register(await relay.invite("admin"))
    issuer = relay.client()
    role = "admin" if kind in STAFF_INVITES else "worker"
    await issuer.register((await boss.create_invite(role))["link"])
    laptop = relay.client()
    await laptop.register((await issuer.link_device())["link"])
    return boss, issuer, laptop


async def make(issuer: RelayClient, kind: str) -> str:
    if kind == "device_link":
        return (await issuer.link_device())["link"]
    return (await issuer.create_invite(kind))["link"]


async def befall(boss: RelayClient, issuer: RelayClient, fate: str) -> None:
    if fate == "device_revoked":
        await boss.revoke_device(issuer.device_id)
    else:
        await boss.set_account_status(issuer.account_id, "disabled")


async def refused_code(call) -> str:
    with pytest.raises(RelayRefused) as refused:
        await call
    return refused.value.code


@pytest.mark.parametrize("fate", ISSUER_FATES)
@pytest.mark.parametrize("kind", KINDS)
async def test_a_credential_dies_with_its_issuer(relay, kind, fate):
    boss, issuer, _ = await issuer_of(relay, kind)
    link = await make(issuer, kind)
    await befall(boss, issuer, fate)
    before = await inventory(relay)
    newcomer = relay.client()
    assert await refused_code(newcomer.register(link)) == "invite_revoked"
    assert await inventory(relay) == before  # no account, device or case was made


@pytest.mark.parametrize("kind", KINDS)
async def test_the_same_credential_works_while_its_issuer_is_untouched(relay, kind):
    _, issuer, laptop = await issuer_of(relay, kind)
    link = await make(issuer, kind)
    before = await inventory(relay)
    newcomer = relay.client()
    identity = await newcomer.register(link)
    accounts, devices, cases = await inventory(relay)
    assert newcomer.device_id in devices
    if kind == "device_link":
        assert identity["account"] == issuer.account_id
        assert accounts == before[0]
    else:
        assert identity["role"] == kind and identity["account"] in accounts
    if kind == "caregiver":  # the worker's caregiver invite opened their shared case
        assert identity["case"] in cases and identity["case"] not in before[2]


@pytest.mark.parametrize("kind", KINDS)
async def test_the_issuers_other_device_still_issues_after_one_is_revoked(relay, kind):
    """Revocation is per device: the lost phone's credentials die, the laptop's live."""
    boss, phone, laptop = await issuer_of(relay, kind)
    from_phone, from_laptop = await make(phone, kind), await make(laptop, kind)
    await boss.revoke_device(phone.device_id)
    assert await refused_code(relay.client().register(from_phone)) == "invite_revoked"
    await relay.client().register(from_laptop)


@pytest.mark.parametrize("kind", ("worker", "caregiver", "device_link"))
async def test_a_credential_stays_void_after_its_issuer_is_enabled_again(relay, kind):
    """Void the moment the issuer is disabled: enabling the account again does not bring
    back what was outstanding (whoever held it while the account was disabled may not be
    the person it was meant for); the issuer makes a new one."""
    boss, issuer, laptop = await issuer_of(relay, kind)
    link = await make(issuer, kind)
    await boss.set_account_status(issuer.account_id, "disabled")
    await boss.set_account_status(issuer.account_id, "active")
    assert await refused_code(relay.client().register(link)) == "invite_revoked"
    again = relay.client(laptop.key)
    await again.connect()
    await relay.client().register(await make(again, kind))


async def test_the_bootstrap_admin_invite_has_no_issuer_and_stays_valid(relay):
    """`steuntje admin invite` (and the first start) make an invite with no issuing device:
    nobody can be revoked to void it, so it is good until it expires or is used."""
    spare = await relay.invite("admin")
    first = relay.client()
    await first.register(await relay.invite("admin"))
    second = relay.client()
    await second.register((await first.create_invite("admin"))["link"])
    await second.revoke_device(first.device_id)  # whoever used the other bootstrap invite
    identity = await relay.client().register(spare)
    assert identity["role"] == "admin"


# -- group join tickets ---------------------------------------------------------------

GROUP_FATES = ("device_revoked", "account_disabled", "removed", "demoted")


async def two_facilitators(relay):
    """An admin; worker One created a group and made worker Two a second facilitator; a
    caregiver of One's who is not in the group yet."""
    boss, one_client, caregiver = await relay.onboard()
    two_client = relay.client()
    await two_client.register((await boss.create_invite("worker"))["link"])
    one, two = Handle(one_client), Handle(two_client)
    group = await start_group(one)
    group = await join(group, two, ticket_for(group, one, relay.ctx.now()))
    group = await change(group, one, "role", member=two.id, role="facilitator")
    return boss, group, one, two, Handle(caregiver)


async def group_befall(boss: RelayClient, group: Group, one: Handle, two: Handle, fate: str):
    if fate == "device_revoked":
        await boss.revoke_device(two.client.device_id)
    elif fate == "account_disabled":
        await boss.set_account_status(two.client.account_id, "disabled")
    elif fate == "removed":
        await change(group, one, "remove", member=two.id)
    else:
        await change(group, one, "role", member=two.id, role="member")


def join_record(group: Group, joiner: Handle, ticket: dict) -> dict:
    fields = group.fields("join", ticket=ticket)
    return {"record": make_record(joiner.seed, fields).to_wire()}


@pytest.mark.parametrize("fate", GROUP_FATES)
async def test_a_group_ticket_dies_with_its_facilitator(relay, fate):
    boss, group, one, two, joiner = await two_facilitators(relay)
    ticket = ticket_for(group, two, relay.ctx.now())
    await group_befall(boss, group, one, two, fate)
    group = await sync(group, one.client)  # the head a join record must chain to now
    members = await relay.ctx.storage.group_member_devices(group.id)
    prepare = joiner.client.request("group_join_prepare", {"ticket": ticket})
    assert await refused_code(prepare) == "invite_revoked"
    submit = joiner.client.request("group_join", join_record(group, joiner, ticket))
    assert await refused_code(submit) == "invite_revoked"
    assert await relay.ctx.storage.group_member_devices(group.id) == members
    assert (await joiner.client.request("group_list"))["groups"] == []


async def test_the_join_transaction_checks_the_ticket_maker_again(relay):
    """The facilitator may be revoked between the handler's look and the append: the
    transaction that adds the member looks again."""
    boss, group, one, two, joiner = await two_facilitators(relay)
    ticket = ticket_for(group, two, relay.ctx.now())
    await joiner.client.request("group_join_prepare", {"ticket": ticket})  # still fine here
    await boss.revoke_device(two.client.device_id)
    members = await relay.ctx.storage.group_member_devices(group.id)
    record = make_record(joiner.seed, group.fields("join", ticket=ticket))
    effect = GroupEffect(
        "join",
        joiner.id,
        handle=joiner.id,
        device_id=joiner.client.device_id,
        account_id=joiner.client.account_id,
        ticket_by=two.id,
    )
    with pytest.raises(RelayError) as refused:
        await relay.ctx.storage.group_append(
            group.id, group.seq + 1, record, effect, relay.ctx.now()
        )
    assert refused.value.code == "invite_revoked"
    assert await relay.ctx.storage.group_member_devices(group.id) == members
    assert await relay.ctx.storage.group_records(group.id, group.seq) == []


async def test_a_group_ticket_works_while_its_facilitator_is_untouched(relay):
    _, group, one, two, joiner = await two_facilitators(relay)
    ticket = ticket_for(group, two, relay.ctx.now())
    await join(group, joiner, ticket)
    (membership,) = (await joiner.client.request("group_list"))["groups"]
    assert membership["group"] == group.id and membership["role"] == "member"


async def test_a_ticket_signed_by_a_stranger_is_still_just_invalid(relay):
    """Only a ticket that was real says `invite_revoked`; a forged one stays `ticket_invalid`
    (nothing about the group is learnt from the difference: the forger made the key)."""
    _, group, one, two, joiner = await two_facilitators(relay)
    stranger = Handle(joiner.client)
    reply = await raw_call(
        joiner.client, "group_join_prepare", {"ticket": ticket_for(group, stranger, 0)}
    )
    assert reply["error"]["code"] == "group_record_refused"
    assert reply["error"]["reason"] == "ticket_invalid"


# -- invites made before schema version 9 ----------------------------------------------

NOW = 1_790_000_000
ORG = new_id("org")
ADMIN, GONE, WORKER = new_id("acc"), new_id("acc"), new_id("acc")
OLD_ACCOUNTS = [
    (ADMIN, "admin", "active"),
    (GONE, "admin", "disabled"),
    (WORKER, "worker", "active"),
]
# (token, role, made by, device link for, expected outcome)
OLD_INVITES = [
    (new_token(), "admin", None, None, "ok"),  # the operator's: no issuer
    (new_token(), "worker", ADMIN, None, "ok"),
    (new_token(), "worker", GONE, None, "invite_revoked"),
    (new_token(), "caregiver", WORKER, None, "ok"),
    (new_token(), "officer", WORKER, None, "invite_revoked"),  # never a worker's to make
    (new_token(), "worker", WORKER, WORKER, "ok"),  # a device link
    (new_token(), "admin", GONE, GONE, "invite_revoked"),
]


def new_device() -> str:
    return b64url(os.urandom(32))


def schema_8_database(path) -> None:
    """A database as a relay of schema version 8 left it: invites name no issuing device."""
    con = sqlite3.connect(path, isolation_level=None)
    for version, sql in schema_files()[:8]:
        con.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    con.execute("INSERT INTO organisations (id, created_at) VALUES (?, ?)", (ORG, NOW))
    for account, role, status in OLD_ACCOUNTS:
        con.execute(
            "INSERT INTO accounts (id, org_id, role, status, created_at) VALUES (?, ?, ?, ?, ?)",
            (account, ORG, role, status, NOW),
        )
        con.execute(
            "INSERT INTO devices (id, account_id, created_at) VALUES (?, ?, ?)",
            (new_device(), account, NOW),
        )
    for token, role, created_by, for_account, _ in OLD_INVITES:
        con.execute(
            "INSERT INTO invites (token_hash, org_id, role, created_by, for_account,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), ORG, role, created_by, for_account, NOW, NOW + 3600),
        )
    con.close()


async def test_invites_from_before_version_9_are_judged_by_their_issuing_account(tmp_path):
    """They name no device, so the rule falls back to the account: void unless it is still
    active and may still make that invite. The operator's invites stay valid."""
    path = tmp_path / "relay.sqlite3"
    schema_8_database(path)
    storage = SQLiteStorage(path)
    await storage.open()  # migrates to the newest version
    try:
        for token, role, _, _, expected in OLD_INVITES:
            device = new_device()
            try:
                await storage.redeem_invite(token_hash(token), device, NOW + 60)
                outcome = "ok"
            except RelayError as error:
                outcome = str(error.code)
            assert outcome == expected, role
            assert (await storage.device(device) is not None) == (expected == "ok")
    finally:
        await storage.close()
