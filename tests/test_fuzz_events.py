"""Fuzzing every client event with hostile data, as every role and signed out.

One relay runs for the whole module, on an event loop of its own in a background thread,
driven from ordinary (synchronous) tests. Two ways in: a sweep that sends each event a
well-formed template with one field wrong at a time (each of `WRONG`: wrong types, huge and
negative numbers, bad base64, binary for text, deep nesting), and Hypothesis, which
generates whole argument lists. Every call must get a reply within seconds whose error
code, if any, is one PROTOCOL.md documents (and never `internal_error`); the same
connection must then still answer a ping; and the relay must log no ERROR line, no
traceback, and no frame it could not parse.

The event list comes from the relay's dispatcher (relay/namespace.py HANDLERS) and is
checked against PROTOCOL.md's all-events table; the documented codes come from its error
table. Bounded for `make test` (well under a minute); `make fuzz` runs it long:
STEUNTJE_FUZZ_EXAMPLES=5000 sets the examples per role.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay.app import CONTEXT, create_app
from relay.clock import FakeClock
from relay.config import Limits, RelayConfig
from relay.namespace import HANDLERS
from relay.server import create_invite
from retention import OrganisationPolicy, organisation_to_dict
from steuntje_client import DeviceKey, RelayClient

PROTOCOL = (Path(__file__).resolve().parent.parent / "PROTOCOL.md").read_text(encoding="utf-8")
EXAMPLES = int(os.environ.get("STEUNTJE_FUZZ_EXAMPLES", "25"))  # per role
CALL_TIMEOUT_S = 10
ROLES = ("caregiver", "worker", "officer", "admin", "signed_out")


def _section(title: str) -> str:
    start = PROTOCOL.index(f"\n## {title}")
    end = PROTOCOL.find("\n## ", start + 1)
    return PROTOCOL[start:end]


def client_events() -> dict[str, set[str]]:
    """PROTOCOL.md §3: each client-to-relay event and the field names its row mentions."""
    events: dict[str, set[str]] = {}
    for line in _section("3. All events").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[1] == "C→R":
            name = cells[0].strip("`")
            events[name] = set(re.findall(r"`([a-z_]+)`", cells[2]))
    return events


def documented_codes() -> set[str]:
    """PROTOCOL.md §7: every error code a client may see."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", _section("7. Error codes"), re.MULTILINE))


EVENTS = client_events()
CODES = documented_codes()


def test_the_fuzzed_events_are_exactly_the_documented_ones():
    assert set(HANDLERS) == set(EVENTS)
    assert "malformed" in CODES and "internal_error" in CODES and len(CODES) > 30


# -- the relay, on a loop of its own -----------------------------------------------------


class LogWatch(logging.Handler):
    """Records what a client must never cause: ERROR lines, tracebacks, unparsed frames."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bad: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if (
            record.levelno >= logging.ERROR
            or record.exc_info
            or "Traceback" in message
            or "could not be parsed" in message
        ):
            self.bad.append(f"{record.levelname} {record.name}: {message[:300]}")


@dataclass
class FuzzRelay:
    loop: asyncio.AbstractEventLoop
    url: str = ""
    server: TestServer | None = None
    ids: dict[str, Any] = field(default_factory=dict)  # real ids worth aiming at, and now
    clients: dict[str, socketio.AsyncClient] = field(default_factory=dict)
    reachable: dict[str, list[str]] = field(default_factory=dict)  # role -> events
    relay_clients: list[RelayClient] = field(default_factory=list)
    log: LogWatch = field(default_factory=LogWatch)

    def run(self, work: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    async def start(self, data_dir: Path) -> None:
        # Signed-out connections must outlive the run; buckets must not starve register.
        limits = Limits(auth_timeout_s=3600, invite_attempts_per_minute=1_000_000)
        config = RelayConfig(host="127.0.0.1", port=0, data_dir=data_dir, limits=limits)
        app = create_app(config, clock=FakeClock())
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()
        self.url = str(self.server.make_url("")).rstrip("/")
        ctx = app[CONTEXT]

        async def joined(invite: str) -> RelayClient:
            client = RelayClient(self.url, DeviceKey.generate())
            self.relay_clients.append(client)
            await client.register(invite)
            return client

        admin = await joined(
            await create_invite(ctx.storage, ctx.org_id, "admin", ctx.now(), 3600, self.url)
        )
        officer = await joined(
            await create_invite(ctx.storage, ctx.org_id, "officer", ctx.now(), 3600, self.url)
        )
        worker = await joined((await admin.create_invite("worker"))["link"])
        caregiver = await joined((await worker.create_invite("caregiver"))["link"])
        (case,) = await worker.cases()
        # Ids that pass the first checks, so the fuzz reaches the code behind them. No
        # account or device ids: an admin's fuzz could otherwise revoke its own fuzzers.
        self.ids = {"case": case["id"], "now": ctx.now()}
        for role, client in (
            ("admin", admin),
            ("officer", officer),
            ("worker", worker),
            ("caregiver", caregiver),
        ):
            self.clients[role] = client._sio
        signed_out = socketio.AsyncClient(reconnection=False)
        await signed_out.connect(self.url, transports=["websocket"], wait_timeout=CALL_TIMEOUT_S)
        self.clients["signed_out"] = signed_out

    async def stop(self) -> None:
        await self.clients["signed_out"].disconnect()
        for client in self.relay_clients:
            await client.close()
        if self.server is not None:
            await self.server.close()
        # The engine's ping and service tasks end with their loop: cancel them first, so
        # closing the loop leaves nothing pending.
        rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)


@pytest.fixture(scope="module")
def fuzz_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzRelay]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-relay", daemon=True)
    thread.start()
    relay = FuzzRelay(loop)
    logging.getLogger().addHandler(relay.log)
    try:
        relay.run(relay.start(tmp_path_factory.mktemp("fuzz")))
        yield relay
    finally:
        logging.getLogger().removeHandler(relay.log)
        try:
            relay.run(relay.stop())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


# -- what to send --------------------------------------------------------------------------

HUGE = [10**30, -(10**30), 2**63, 2**63 - 1, -(2**63) - 1, 2**64, 2**53 + 1, -1, 0, 1]
BAD_BASE64 = ["!!!!", "====", "A", "AAA=", "a b c", "é" * 43, "+/+/" * 11, "A" * 44, ""]
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
DEVICE_SHAPED = st.text(URLSAFE, min_size=43, max_size=43)
SERVER_SHAPED = st.builds(
    "{}_{}".format,
    st.sampled_from(["acc", "case", "org", "hold", "export"]),
    st.text(URLSAFE, min_size=22, max_size=22),
)
GROUP_SHAPED = st.builds("grp_{}A".format, st.text(URLSAFE, min_size=21, max_size=21))
WORDS = ["envelopes", "case", "accounts", "admin", "worker", "caregiver", "officer", "x"]
SETTINGS = ["disabled", "active", "revoked", "7d", "1h", "off", "forever", "-1d", "99999999d"]

HOSTILE_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(HUGE),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["x" * 70_000, "\x00", "\ud7ff" * 1000, "🙂" * 500]),
    st.binary(max_size=100),
    st.sampled_from(BAD_BASE64),
    DEVICE_SHAPED,
    SERVER_SHAPED,
    GROUP_SHAPED,
    st.sampled_from(WORDS + SETTINGS),
)


def nested(value: Any, depth: int, kind: str) -> Any:
    for _ in range(depth):
        value = [value] if kind == "list" else {"x": value}
    return value


def hostile(names: list[str]) -> st.SearchStrategy[Any]:
    """Any JSON a client could send (bytes included): wrong types, huge and negative
    numbers, bad base64, deep nesting; objects keyed by the event's own field names."""
    keys = st.sampled_from(names) | st.text(max_size=8)
    tree = st.recursive(
        HOSTILE_LEAVES,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=12,
    )
    deep = st.builds(nested, tree, st.integers(1, 300), st.sampled_from(["list", "dict"]))
    return st.one_of(tree, tree, tree, deep)


def plausible(name: str, ids: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value that passes the first checks of a field with this name, so a fuzzed
    neighbour gets its turn: the deep paths are where type and range slips hide."""
    now = ids["now"]
    by_name: dict[str, st.SearchStrategy[Any]] = {
        "case": st.sampled_from([ids["case"]]) | SERVER_SHAPED,
        "group": GROUP_SHAPED,
        "hold": SERVER_SHAPED,
        "account": SERVER_SHAPED,
        "to": DEVICE_SHAPED | SERVER_SHAPED,
        "device": DEVICE_SHAPED,
        "as": DEVICE_SHAPED,
        "actor": SERVER_SHAPED,
        "object": SERVER_SHAPED,
        "id": st.text(URLSAFE, min_size=8, max_size=30),
        "scope": st.lists(st.sampled_from(["envelopes", "case", "accounts"]), max_size=3),
        "role": st.sampled_from(["admin", "worker", "caregiver", "officer"]),
        "status": st.sampled_from(["active", "disabled", "revoked"]),
        "size": st.integers(1, 100),
        "upto": st.integers(0, 100),
        "limit": st.integers(1, 100),
        "after": st.integers(0, 100),
        "since": st.integers(now - 10**6, now),
        "until": st.integers(now, now + 10**6),
        "review_at": st.integers(now + 1, now + 10**7),
        "ends_at": st.integers(now + 1, now + 10**8),
        "one_time_ids": st.lists(st.integers(1, 1000), max_size=3, unique=True),
        "one_time_keys": st.binary(max_size=96),
        "signed": st.binary(min_size=1, max_size=300),
        "bodies": st.binary(max_size=64),
        "document": st.dictionaries(
            st.sampled_from(
                ["envelope_lifetime", "disappearing_timer", "default", "maximum", "minimum"]
            ),
            st.sampled_from(SETTINGS) | st.integers(-10, 10**6),
            max_size=3,
        ),
        "envelopes": st.lists(
            st.fixed_dictionaries(
                {"id": st.text(URLSAFE, min_size=8, max_size=12), "to": DEVICE_SHAPED},
                optional={"size": st.integers(0, 10)},
            ),
            max_size=3,
        ),
    }
    return by_name.get(name, st.text(max_size=30))


def template(event: str, ids: dict[str, Any]) -> dict[str, Any]:
    """A well-formed object for the event, each field filled the same way every time."""
    now, device = ids["now"], "D" * 42 + "A"
    filled: dict[str, Any] = {
        "case": ids["case"],
        "group": "grp_" + "G" * 21 + "A",
        "hold": "hold_" + "H" * 22,
        "account": "acc_" + "A" * 22,
        "to": device,
        "device": device,
        "actor": "acc_" + "A" * 22,
        "object": "case_" + "C" * 22,
        "id": "envelope-1",
        "scope": ["case"],
        "role": "worker",
        "status": "active",
        "size": 1,
        "upto": 0,
        "limit": 10,
        "after": 0,
        "since": now - 100,
        "until": now,
        "review_at": now + 100,
        "ends_at": now + 1000,
        "one_time_ids": [1],
        "one_time_keys": b"k" * 32,
        "signed": b"s" * 100,
        "bodies": b"x",
        "document": {},
        "envelopes": [{"id": "envelope-1", "to": device, "size": 1}],
        "reason": "fuzz",
        "reference": "C/13/1",
        "confirm": "acc_" + "A" * 22,
        "invite": "I" * 22,
        "signature": "S" * 86,
        "record": {},
        "ticket": {},
        "proof": "P" * 86,
        "event": "case.created",
    }
    # `as` names a group handle, `group` (beside `case`) a group's policy: left out, the
    # event is about the caller's own prekeys, or a case's policy.
    names = set(EVENTS[event]) - {"as"}
    if "case" in names:
        names.discard("group")
    return {name: filled.get(name, "x") for name in sorted(names)}


# Each field of each event gets each of these once (test_each_field_...).
WRONG: list[Any] = [
    None,
    True,
    -1,
    0,
    1.5,
    float("nan"),
    10**30,
    -(10**30),
    2**63,
    "",
    "!!!!",
    "x" * 10_000,
    b"\xff",
    [],
    {},
    [{}],
    [[1]],
    {"x": {}},
    nested({"x": b"y"}, 60, "dict"),
]


# Items inside a field get fewer: a type slip there shows with any of these.
WRONG_INSIDE: list[Any] = [None, -1, 2**63, "", "!!!!", b"\xff", [[1]], {"x": {}}]


def event_object(event: str, ids: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The event's fields, mostly plausible; one to three of them (or unknown extras)
    replaced by hostile values, and some left out."""
    names = sorted(EVENTS[event]) or ["x"]
    fields = {name: plausible(name, ids) for name in names}
    bad = hostile(names)
    targets = st.lists(st.sampled_from(names) | st.text(max_size=8), min_size=1, max_size=3)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        data = {
            name: draw(value, label=name)
            for name, value in fields.items()
            if draw(st.integers(0, 9), label=f"keep {name}") > 0
        }
        for name in draw(targets, label="fuzzed fields"):
            data[name] = draw(bad, label=f"hostile {name}")
        return data

    return build()


def payloads(event: str, ids: dict[str, Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    """The arguments of one emit: usually one object (as above), sometimes no argument,
    something that is not an object, or two arguments."""
    names = sorted(EVENTS[event]) or ["x"]
    an_object = event_object(event, ids)
    bad = hostile(names)
    return st.one_of(
        an_object.map(lambda data: (data,)),
        an_object.map(lambda data: (data,)),
        an_object.map(lambda data: (data,)),
        an_object.map(lambda data: (data,)),
        st.just(()),
        bad.map(lambda data: (data,)),
        st.tuples(an_object, bad),
    )


def calls(ids: dict[str, Any], events: list[str]) -> st.SearchStrategy[tuple[str, tuple]]:
    """(event, arguments) over these events; strategies built once, drawn many times."""
    return st.one_of([st.tuples(st.just(event), payloads(event, ids)) for event in events])


# -- the checks --------------------------------------------------------------------------

# Replies that mean "this role may not use this event at all" (refused before the data is
# read), so there is nothing deeper to reach with this connection.
SHUT_OUT = {"not_permitted", "not_authenticated", "already_authenticated"}


def check_reply(event: str, args: tuple[Any, ...], reply: Any) -> None:
    assert isinstance(reply, dict), (event, args, reply)
    if reply.get("ok") is True:
        return
    assert reply.get("ok") is False, (event, reply)
    code = reply["error"]["code"]
    assert code in CODES, f"{event}: undocumented code {code!r} for {args!r:.500}"
    assert code != "internal_error", f"{event}: internal_error for {args!r:.500}"


async def fuzz_once(relay: FuzzRelay, role: str, event: str, args: tuple[Any, ...]) -> Any:
    """One call, checked, then a ping on the same connection; returns the reply."""
    sio = relay.clients[role]
    data = args[0] if len(args) == 1 else (tuple(args) if args else None)
    try:
        reply = await sio.call(event, data, timeout=CALL_TIMEOUT_S)
    except socketio.exceptions.TimeoutError:
        pytest.fail(f"{role} {event}: no answer within {CALL_TIMEOUT_S} s to {args!r:.500}")
    check_reply(event, args, reply)
    ping = "challenge" if role == "signed_out" else "whoami"
    try:
        answer = await sio.call(ping, {}, timeout=CALL_TIMEOUT_S)
    except socketio.exceptions.TimeoutError:
        pytest.fail(f"{role}: the connection stopped answering after {event} {args!r:.500}")
    assert answer.get("ok") is True, (role, event, answer)
    return reply


def reachable(relay: FuzzRelay, role: str) -> list[str]:
    """The events this role gets past the role check with (a well-formed template), so
    the fuzz spends its examples where the data is actually read. Probed once."""
    if role not in relay.reachable:
        relay.reachable[role] = [
            event
            for event in sorted(EVENTS)
            if _code(relay.run(fuzz_once(relay, role, event, (template(event, relay.ids),))))
            not in SHUT_OUT
        ]
    return relay.reachable[role]


def _code(reply: dict[str, Any]) -> str | None:
    return None if reply.get("ok") else reply["error"]["code"]


def more_templates(ids: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Templates with structure inside a field, whose inner values the sweep varies too:
    a whole organisation policy, a case policy, a send batch."""
    organisation = organisation_to_dict(OrganisationPolicy())
    return {
        "policy_set": [
            {"document": organisation},
            {
                "case": ids["case"],
                "document": {"envelope_lifetime": "7d", "disappearing_timer": "1d"},
            },
        ],
        "policy_get": [{"case": ids["case"]}, {"group": "grp_" + "G" * 21 + "A"}],
    }


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place inside a template: each field, and each item inside a field."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, inner in items:
        yield (*prefix, key)
        if isinstance(inner, dict | list) and inner:
            yield from paths(inner, (*prefix, key))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of `value` with the item at `path` replaced by `new`."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("role", ROLES)
def test_each_field_of_each_event_with_each_wrong_value(fuzz_relay: FuzzRelay, role: str):
    """A well-formed template with one place wrong at a time (a field, or an item inside
    one): a type or range slip anywhere is reached, whatever order the handler checks in."""
    fuzz_relay.log.bad.clear()
    extra = more_templates(fuzz_relay.ids)
    for event in reachable(fuzz_relay, role):
        for base in [template(event, fuzz_relay.ids), *extra.get(event, [])]:
            shapes: list[tuple[Any, ...]] = [(), (None,), ("x",), (b"\x00",), ([base],), (base, {})]
            shapes += [
                (replaced(base, path, wrong),)
                for path in paths(base)
                for wrong in (WRONG if len(path) == 1 else WRONG_INSIDE)
            ]
            shapes += [({**base, "unknown_extra": {"x": [1]}},)]
            for args in shapes:
                fuzz_relay.run(fuzz_once(fuzz_relay, role, event, args))
    assert fuzz_relay.log.bad == [], fuzz_relay.log.bad


@pytest.mark.parametrize("role", ROLES)
def test_hostile_data_to_every_event(fuzz_relay: FuzzRelay, role: str) -> None:
    """Generated data: mostly to the events this role may use, some to all of them."""
    fuzz_relay.log.bad.clear()
    ids = fuzz_relay.ids
    strategy = calls(ids, reachable(fuzz_relay, role)) | calls(ids, sorted(EVENTS))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def one_call(data: st.DataObject) -> None:
        event, args = data.draw(strategy, label="call")
        fuzz_relay.run(fuzz_once(fuzz_relay, role, event, args))
        assert fuzz_relay.log.bad == [], fuzz_relay.log.bad

    one_call()
