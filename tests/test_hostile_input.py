"""Frames a good client never sends: reserved event names, event names that are not
strings, broken binary framing. Each gets a precise error code, changes nothing, writes
no ERROR line or traceback, and leaves the connection (and the relay) answering."""

from __future__ import annotations

import asyncio
import logging

import pytest
from wire import RawWire

from helpers import WAIT, error_code, raw_call, receive
from relay.connection import State


def assert_no_errors(caplog: pytest.LogCaptureFixture) -> None:
    """Client input is never a bug: no ERROR record, no traceback."""
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad]
    assert "Traceback" not in caplog.text


RESERVED = [
    ("connect", ()),
    ("connect", ({},)),
    ("connect", ({"HTTP_ORIGIN": "x"},)),
    ("disconnect", ()),
    ("disconnect", ("client disconnect",)),
    ("connect_error", ({},)),
]


async def test_reserved_event_names_are_unknown_and_change_nothing(relay, caplog):
    _, worker, caregiver = await relay.onboard()
    conn = relay.ctx.by_device[worker.device_id]
    # More rounds than an account may have connections: a leaked slot per round would
    # show as too_many_connections on the next sign-in.
    for _ in range(relay.ctx.config.limits.connections_per_account + 1):
        for event, args in RESERVED:
            reply = await raw_call(worker, event, *args)
            assert error_code(reply) == "unknown_event", (event, args)
    assert relay.ctx.connections[conn.sid] is conn and conn.state is State.AUTHENTICATED
    assert relay.ctx.by_device[worker.device_id] is conn
    assert relay.ctx.by_account[worker.account_id] == {conn.sid}
    assert (await worker.whoami())["device"] == worker.device_id
    await worker.send(caregiver.device_id, b"nog steeds aangemeld")
    assert (await receive(caregiver, 1))[0].body == b"nog steeds aangemeld"
    # Closing for real still frees the slot and takes the device offline.
    await worker.close()
    await asyncio.wait_for(conn.closed.wait(), WAIT)
    assert worker.device_id not in relay.ctx.by_device
    assert worker.account_id not in relay.ctx.by_account
    assert_no_errors(caplog)


async def test_reserved_event_names_before_signing_in(relay, caplog):
    async with RawWire.open(relay.url) as wire:
        for event, args in RESERVED:
            assert error_code(await wire.call(event, *args)) == "unknown_event"
        assert len(relay.ctx.connections) == 1
        assert (await wire.call("challenge"))["ok"] is True
    assert_no_errors(caplog)


@pytest.mark.parametrize("name", [5, -1.5, None, True, [1, 2], {"event": "whoami"}, []])
async def test_event_names_that_are_not_strings_are_malformed(relay, caplog, name):
    async with RawWire.open(relay.url) as wire:
        assert error_code(await wire.call(name, {})) == "malformed"
        assert (await wire.call("challenge"))["ok"] is True
    assert_no_errors(caplog)


# (A bare number would be read as part of the acknowledgement id.)
@pytest.mark.parametrize("body", ['{"event":"whoami"}', "[]", '"challenge"', "true", "null"])
async def test_event_packets_that_are_not_a_list_with_a_name_are_malformed(relay, caplog, body):
    async with RawWire.open(relay.url) as wire:
        ack_id = wire.new_id()
        await wire.send_text(f"42{ack_id}{body}")
        assert error_code(await wire.reply(ack_id)) == "malformed"
        assert (await wire.call("challenge"))["ok"] is True
    assert_no_errors(caplog)


def placeholder(num: object) -> str:
    import json

    return json.dumps({"_placeholder": True, "num": num})


# (announced attachments, the placeholder, what is sent after the header)
BROKEN_BINARY = {
    "placeholder-num-past-the-end": (1, placeholder(5), [b"abc"]),
    "placeholder-num-a-string": (1, placeholder("x"), [b"abc"]),
    "placeholder-num-negative": (1, placeholder(-1), [b"abc"]),
    "placeholder-num-a-boolean": (1, placeholder(True), [b"abc"]),
    "placeholder-num-a-float": (1, placeholder(0.0), [b"abc"]),
    "more-attachments-announced-than-used": (2, placeholder(0), [b"abc", b"def"]),
    "attachment-sent-as-text": (1, placeholder(0), ["not binary"]),
}


@pytest.mark.parametrize("case", BROKEN_BINARY, ids=list(BROKEN_BINARY))
async def test_broken_binary_framing_is_malformed_and_the_connection_keeps_answering(
    relay, caplog, case
):
    announced, holder, attachments = BROKEN_BINARY[case]
    _, worker, caregiver = await relay.onboard()
    async with RawWire.open(relay.url) as wire:
        ack_id = wire.new_id()
        await wire.send_text(f'45{announced}-{ack_id}["challenge",{{"x":{holder}}}]')
        for attachment in attachments:
            if isinstance(attachment, bytes):
                await wire.send_binary(attachment)
            else:
                await wire.send_text("4" + attachment)
        assert error_code(await wire.reply(ack_id)) == "malformed"
        # Not wedged: the next events are answered as usual.
        for _ in range(2):
            assert (await wire.call("challenge"))["ok"] is True
    await worker.send(caregiver.device_id, b"de rest merkt niets")
    assert (await receive(caregiver, 1))[0].body == b"de rest merkt niets"
    assert_no_errors(caplog)


async def test_a_well_formed_binary_event_still_works(relay, caplog):
    async with RawWire.open(relay.url) as wire:
        ack_id = wire.new_id()
        await wire.send_text(f'451-{ack_id}["challenge",{{"x":{placeholder(0)}}}]')
        await wire.send_binary(b"abc")
        assert (await wire.reply(ack_id))["ok"] is True
    assert_no_errors(caplog)


# -- item 15: types and ranges at the edge, for the legal-hold events -------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scope": [{}]}, "scope"),
        ({"scope": [["case"]]}, "scope"),
        ({"scope": {"case": True}}, "scope"),
        ({"scope": "case"}, "scope"),
        ({"ends_at": 10**30}, "ends_at"),
        ({"ends_at": 2**63}, "ends_at"),
        ({"ends_at": -(10**30)}, "ends_at"),
        ({"review_at": 10**30}, "review_at"),
        ({"review_at": 1.5}, "review_at"),
        ({"review_at": True}, "review_at"),
    ],
)
async def test_legal_hold_fields_of_the_wrong_type_or_range_are_malformed(
    relay, caplog, change, field
):
    _, worker, _ = await relay.onboard()
    officer = relay.client()
    await officer.register(await relay.invite("officer"))
    (case,) = await worker.cases()
    hold = {
        "case": case["id"],
        "reason": "claim about the care plan",
        "reference": "C/13/123456",
        "basis": "legal_obligation",
        "review_at": relay.ctx.now() + 86_400,
        **change,
    }
    reply = await raw_call(officer, "legal_hold_place", hold)
    assert error_code(reply) == "malformed" and reply["error"]["field"] == field
    assert await relay.ctx.storage.list_holds(relay.ctx.org_id) == []
    assert_no_errors(caplog)


# -- item 15: a policy the relay would store must be one it can read back ---------------


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"envelope_lifetime": 10**30}, "envelope_lifetime"),
        ({"envelope_lifetime": 2**63}, "envelope_lifetime"),
        ({"disappearing_timer": 10**30}, "disappearing_timer"),
    ],
)
async def test_a_case_policy_past_the_largest_duration_is_malformed_and_breaks_nothing(
    relay, caplog, document, field
):
    """Such a number used to be stored, and then no policy could be read again: every
    policy_get, policy_set and send on the relay answered internal_error."""
    _, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    reply = await raw_call(worker, "policy_set", {"case": case["id"], "document": document})
    assert error_code(reply) == "malformed" and reply["error"]["field"] == field
    assert (await raw_call(worker, "policy_get", {"case": case["id"]}))["ok"] is True
    await worker.send(caregiver.device_id, b"het beleid staat nog")
    assert (await receive(caregiver, 1))[0].body == b"het beleid staat nog"
    assert_no_errors(caplog)


@pytest.mark.parametrize("kind", ["list", "object"])
async def test_json_nested_past_the_parsers_depth_is_malformed(relay, caplog, kind):
    """100,000 brackets: the JSON parser gives up (RecursionError); the event is answered."""
    depth = 100_000
    body = "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth
    async with RawWire.open(relay.url) as wire:
        ack_id = wire.new_id()
        await wire.send_text(f'42{ack_id}["challenge",{body}]')
        assert error_code(await wire.reply(ack_id)) == "malformed"
        assert (await wire.call("challenge"))["ok"] is True
    assert_no_errors(caplog)


async def test_a_binary_event_nested_past_the_rebuilders_depth_is_malformed(relay, caplog):
    """python-socketio rebuilds binary data recursively: a placeholder 900 lists deep (fine
    for the JSON parser) exhausts the stack there instead."""
    depth = 900
    holder = "[" * depth + placeholder(0) + "]" * depth
    async with RawWire.open(relay.url) as wire:
        ack_id = wire.new_id()
        await wire.send_text(f'451-{ack_id}["challenge",{holder}]')
        await wire.send_binary(b"abc")
        assert error_code(await wire.reply(ack_id)) == "malformed"
        assert (await wire.call("challenge"))["ok"] is True
    assert_no_errors(caplog)
