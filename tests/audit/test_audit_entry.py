"""Entries: the closed field list, value shapes, canonical bytes, one row per event code."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from audit import (
    ENTRY_PREFIX,
    EVENTS,
    Actor,
    AuditEntry,
    AuditObject,
    Authorisation,
    EntryError,
    Source,
    decode,
    encode,
    pseudonym,
)
from audit.events import FORBIDDEN, OPTIONAL, REQUIRED

T0 = 1767225600
DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
PS = pseudonym(b"k" * 32, "acc_someone")
SOURCE = Source("org_AbCdEfGhIjKlMnOpQrStUv", "relay-1", "0.1.0")


def minimal(event: str) -> AuditEntry:
    """The smallest valid entry for ``event``, built from its row in EVENTS."""
    rule = EVENTS[event]
    return AuditEntry(
        event=event,
        action=rule.action,
        time=T0,
        outcome="success",
        actor=Actor("admin", "user", PS),
        source=SOURCE,
        objects=(AuditObject(rule.objects[0], PS),) if rule.object_required else (),
        reason="routine_review" if rule.reason == REQUIRED else None,
        query={"since": T0 - 3600} if rule.query == REQUIRED else {},
        counts={"entries": 3} if rule.counts == REQUIRED else {},
    )


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_event_round_trips(event: str) -> None:
    entry = minimal(event)
    data = encode(entry)
    assert data.startswith(ENTRY_PREFIX)
    assert decode(data) == entry
    assert AuditEntry.from_dict(entry.to_dict()) == entry


def test_the_event_list_is_the_one_asked_for() -> None:
    assert set(EVENTS) == {
        "account.registered", "account.status_changed", "device.registered",
        "device.revoked", "invite.created",
        "invite.redeemed", "auth.failed_summary", "case.created", "case.member_added",
        "case.handed_over", "case.closed", "case.reopened", "account.flagged_inactive",
        "audit.queried", "audit.exported", "purge.ran", "export.made",
        "erasure.done", "legal_hold.placed", "legal_hold.lifted", "policy.changed",
        "group.created", "group.member_joined", "group.device_added", "group.member_left",
        "group.member_removed", "group.role_changed", "group.member_muted", "group.closed",
        "group.removed", "recovery.created", "recovery.redeemed", "recovery.approved",
        "recovery.expired", "recovery.voided", "reach.reported",
        "account.display_name_set", "device.label_set",
    }  # fmt: skip
    assert "prekeys.fetched" not in EVENTS  # too fine-grained: one per message sent


def test_canonical_bytes_are_sorted_compact_json_after_the_prefix(member_added) -> None:
    entry = member_added()
    data = encode(entry)
    assert data[: len(ENTRY_PREFIX)] == b"steuntje-audit-entry-v1\n"
    text = data[len(ENTRY_PREFIX) :].decode("utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    assert " " not in text and "null" not in text and text.isascii()
    assert json.loads(text) == entry.to_dict()


def test_absent_fields_are_left_out_not_null(member_added) -> None:
    data = member_added(on_behalf_of=None, authorisation=None, checks={}).to_dict()
    assert not {"on_behalf_of", "authorisation", "checks", "reason", "query", "counts"} & set(data)


@pytest.mark.parametrize(
    ("where", "data_path"),
    [("entry", ()), ("actor", ("actor",)), ("source", ("source",)),
     ("objects[]", ("objects", 0)), ("authorisation", ("authorisation",))],
)  # fmt: skip
@pytest.mark.parametrize("extra", ["ip", "content", "envelope_id", "token", "name"])
def test_the_field_list_is_closed_at_every_level(member_added, where, data_path, extra) -> None:
    data = member_added().to_dict()
    target = data
    for step in data_path:
        target = target[step]
    target[extra] = "x"
    with pytest.raises(EntryError, match=f"{re.escape(where)}: unknown field '{extra}'"):
        AuditEntry.from_dict(data)


def test_the_constructor_takes_no_extra_field(member_added) -> None:
    with pytest.raises(TypeError):
        dataclasses.replace(member_added(), ip="192.0.2.1")


@pytest.mark.parametrize(
    ("value", "looks_like"),
    [
        ("192.0.2.7", "IP address"),
        ("192.0.2.7:443", "IP address"),
        ("2001:db8::1", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("fe80::1%eth0", "IP address"),
        ("::ffff:192.0.2.7", "IP address"),
        ("dGhpcyBpcyBhIHNlY3JldCB0b2tlbiE=", "encoded"),  # base64 token
        ("q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng", "encoded"),  # raw device id
        ("3f2a9c0b7d1e4f5a6b7c8d9e0f1a2b3c", "encoded"),  # hex key
        ("jan.jansen@example.nl", "name or e-mail"),
        ("Jan Jansen", "name or e-mail"),
        ("PS_" + PS[3:].upper(), "not a pseudonym"),
        (PS + "a", "not a pseudonym"),
        ("", "not a pseudonym"),
    ],
)
def test_pseudonym_fields_refuse_other_shapes_without_repeating_them(
    member_added, value, looks_like
) -> None:
    changes = {
        "access_point": value,
        "on_behalf_of": value,
        "actor": lambda: Actor("worker", "user", value),
        "objects": lambda: (AuditObject("case", value),),
    }
    for field, change in changes.items():
        with pytest.raises(EntryError) as caught:
            member_added(**{field: change() if callable(change) else change})
        message = str(caught.value)
        assert looks_like in message
        assert not value or value not in message, "the refused value must not be repeated"


def test_codes_come_from_closed_lists(member_added) -> None:
    refusals = {
        "outcome": "ok",
        "reason": "because Jan asked",
        "checks": {"gut_feeling": "pass"},
        "query": {"text": "jansen"},
        "authorisation": "case-membership",
        "event": "prekeys.fetched",
        "action": "X",
    }
    for field, value in refusals.items():
        with pytest.raises(EntryError):
            member_added(**{field: value})
    with pytest.raises(EntryError):
        Actor("superuser", "user", PS)
    with pytest.raises(EntryError):
        AuditObject("message", PS)
    with pytest.raises(EntryError):
        Authorisation("Case Membership", 1)
    with pytest.raises(EntryError):
        Source("org_short", "relay-1", "0.1.0")


@pytest.mark.parametrize("time", [-1, 1.5, True, "1767225600", 2**53, None])
def test_time_is_a_safe_integer(member_added, time) -> None:
    with pytest.raises(EntryError, match="time"):
        member_added(time=time)


def test_the_event_table_decides_conditional_fields() -> None:
    base = minimal("policy.changed")
    with pytest.raises(EntryError, match=r"reason: required for policy\.changed"):
        dataclasses.replace(base, reason=None)
    with pytest.raises(EntryError, match="query: not allowed"):
        dataclasses.replace(base, query={"since": 0})
    with pytest.raises(EntryError, match="counts: not allowed"):
        dataclasses.replace(base, counts={"entries": 1})
    with pytest.raises(EntryError, match="query: required"):
        dataclasses.replace(minimal("audit.queried"), query={})
    with pytest.raises(EntryError, match="counts: required"):
        dataclasses.replace(minimal("purge.ran"), counts={})
    with pytest.raises(EntryError, match=r"objects: case\.created names at least one"):
        dataclasses.replace(minimal("case.created"), objects=())
    with pytest.raises(EntryError, match=r"objects\.type"):
        dataclasses.replace(minimal("case.created"), objects=(AuditObject("policy", PS),))
    with pytest.raises(EntryError, match="action"):
        dataclasses.replace(minimal("erasure.done"), action="U")
    with pytest.raises(EntryError, match="query: unknown filter 'text'"):
        dataclasses.replace(minimal("audit.queried"), query={"text": "jansen"})
    for event, rule in EVENTS.items():
        assert rule.action in "CRUDE", event
        assert {rule.reason, rule.query, rule.counts} <= {REQUIRED, OPTIONAL, FORBIDDEN}, event


def test_objects_are_few_and_distinct(member_added) -> None:
    case = AuditObject("case", PS)
    with pytest.raises(EntryError, match="the same object twice"):
        member_added(objects=(case, case))
    many = tuple(AuditObject("account", pseudonym(bytes([i]) * 32, "x")) for i in range(17))
    with pytest.raises(EntryError, match="at most 16"):
        member_added(objects=(case, *many))


def test_a_failed_check_cannot_succeed(member_added) -> None:
    with pytest.raises(EntryError, match="success is impossible"):
        member_added(checks={"membership": "fail"})
    assert member_added(outcome="denied", checks={"membership": "fail"}).outcome == "denied"


def test_the_system_actor_is_nobody() -> None:
    assert Actor("system", "system").pseudonym is None
    for actor in (lambda: Actor("system", "system", PS), lambda: Actor("system", "user")):
        with pytest.raises(EntryError, match="system actor"):
            actor()
    with pytest.raises(EntryError, match=r"actor\.pseudonym"):
        Actor("worker", "user")


def test_entries_are_immutable_and_copy_their_inputs(member_added) -> None:
    checks = {"authentication": "pass"}
    entry = member_added(checks=checks)
    checks["membership"] = "fail"
    assert entry.checks == {"authentication": "pass"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.time = 0  # type: ignore[misc]


def test_decode_refuses_what_is_not_an_entry(member_added) -> None:
    good = encode(member_added())
    for data in (b"", good[:-1], good + b" ", b"x" * 5000, ENTRY_PREFIX + b"[]", "text"):
        with pytest.raises(EntryError):
            decode(data)  # type: ignore[arg-type]


def test_docs_list_every_event_with_its_action() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for event, rule in EVENTS.items():
        row = re.search(rf"^\| `{re.escape(event)}` \| {rule.action} \|", text, re.MULTILINE)
        assert row, f"docs/audit.md has no table row for {event} with action {rule.action}"
