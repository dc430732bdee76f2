"""Peer-support groups in the browser library (clients/web/lib/groups.js, docs/groups.md)
against the real relay: a worker creates a group, two caregivers join by invite link, they
write, react, are muted, removed and leave; the JS fold of the signed log refuses forged
records, and agrees with Python's on odd bodies."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from test_lib_privacy import relay_files_contain
from test_lib_support import WAIT_MS, BrowserDevice, CallFailed, open_page, python_worker

from crypto.primitives import ed25519_public_key, ed25519_sign
from groups.log import (
    RECORD_LABEL,
    InvalidRecord,
    SignedRecord,
    apply_record,
    make_record,
    make_ticket,
    record_hash,
)

GROUP_NAME = "Mantelzorgers Alkmaar-Noord"
RULES = "Wat hier gezegd wordt, blijft hier."


class GroupDevice(BrowserDevice):
    """A BrowserDevice with `messenger.groups` calls."""

    async def group(self, method: str, *args: Any) -> Any:
        result = await self.page.evaluate(
            "([n, m, a]) => harness.group(n, m, ...a)", [self.name, method, list(args)]
        )
        if "error" in result:
            raise CallFailed(result["error"])
        return result["value"]

    async def group_error(self, method: str, *args: Any) -> dict[str, Any]:
        result = await self.page.evaluate(
            "([n, m, a]) => harness.group(n, m, ...a)", [self.name, method, list(args)]
        )
        assert "error" in result, f"{method} did not fail"
        return result["error"]

    async def group_until(self, method: str, args: list[Any], predicate: str) -> Any:
        """Call groups[method](*args) after every event until `predicate` (over `value`)
        holds; returns the value. Fails after WAIT_MS."""
        return await self.page.evaluate(
            f"""async ([n, m, a, wait]) => {{
                const deadline = Date.now() + wait;
                for (;;) {{
                    const r = await harness.group(n, m, ...a);
                    const value = r.value;
                    if (r.error === undefined && ({predicate})) return value;
                    if (Date.now() > deadline) {{
                        const seen = value?.map ? value.map((v) => v.kind ?? v.member) : value;
                        throw new Error(`timed out: ${{JSON.stringify([r.error ?? null, seen])}}`);
                    }}
                    await harness.changed();
                }}
            }}""",
            [self.name, method, args, WAIT_MS],
        )

    async def wait_group_messages(self, group: str, predicate: str) -> list[dict[str, Any]]:
        return await self.group_until("messages", [group], predicate)


async def onboard(relay: Any, browser: Any) -> tuple[Any, GroupDevice, GroupDevice, GroupDevice]:
    """A worker and two caregivers (of that worker), each a browser device whose clock
    agrees with the relay's fake clock (tickets and mutes are relay times)."""
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    offset = int(relay.clock.now() - time.time())
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    worker = GroupDevice(page, "worker")
    await worker.open(clockOffset=offset)
    await worker.call("register", (await admin.create_invite("worker"))["link"])
    caregivers = []
    for name in ("anna", "bob"):
        device = GroupDevice(page, name)
        await device.open(clockOffset=offset)
        invite = await worker.call("createInvite", "caregiver")
        await device.call("register", invite["link"])
        caregivers.append(device)
    return context, worker, caregivers[0], caregivers[1]


SENT = "['sent', 'delivered'].includes(m.status)"  # a fast reader's ack can overtake "sent"


def has(message_id: str, condition: str = "true") -> str:
    """A predicate over a message list: it holds `message_id`, meeting `condition` (over m)."""
    return f"value.some((m) => m.id === {json.dumps(message_id)} && {condition})"


def system_events(messages: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(m["event"], m["name"]) for m in messages if m["kind"] == "system"]


async def test_a_group_from_creation_to_leaving(relay, browser):
    context, worker, anna, bob = await onboard(relay, browser)
    created = await worker.group(
        "create",
        {"name": GROUP_NAME, "description": "Elke week", "rules": RULES, "displayName": "Wim"},
    )
    group = created["id"]
    assert group.startswith("grp_")
    [listed] = await worker.group("list")
    assert (listed["id"], listed["name"], listed["role"], listed["memberCount"]) == (
        group,
        GROUP_NAME,
        "facilitator",
        1,
    )
    # Invitations: a link per person, used once.
    invite = await worker.group("invite", group)
    assert invite["link"].startswith(relay.url + "/#group=")
    parsed = await worker.group("parseLink", invite["link"])
    assert parsed["group"] == group and parsed["expires"] == invite["expiresAt"]
    assert await worker.group("parseLink", relay.url + "/#group=bm9uc2Vuc2U") is None
    assert (await anna.group("join", invite["link"], "Anna"))["id"] == group
    reused = await bob.group_error("join", invite["link"], "Bob")
    assert reused["code"] == "group_record_refused" and reused["details"]["reason"] == "ticket_used"
    # Bob's invitation comes end to end in his case conversation (group_invite).
    bob_me = await bob.me()
    worker_me = await worker.me()
    await worker.group("inviteToCase", group, bob_me["accountId"])
    [card] = await bob.until(
        "messages", [worker_me["accountId"]], "value.some((m) => m.kind === 'group_invite')"
    )
    assert card["fields"]["name"] == GROUP_NAME and "#group=" in card["fields"]["link"]
    await bob.group("join", card["fields"]["link"], "Bob")

    # Everyone ends up with the same roster, named, and the group's name and rules.
    names = "value.members.map((m) => m.name).sort().join(',') === 'Anna,Bob,Wim'"
    named = f"{names} && value.name !== null"  # the meta may come just after the names
    for device in (worker, anna, bob):
        info = await device.group_until("info", [group], named)
        assert info["name"] == GROUP_NAME and info["rules"] == RULES
        roles = {m["name"]: m["role"] for m in info["members"]}
        assert roles == {"Wim": "facilitator", "Anna": "member", "Bob": "member"}
        assert [m["name"] for m in info["members"] if m["me"]] == [
            {"worker": "Wim", "anna": "Anna", "bob": "Bob"}[device.name]
        ]
    anna_id = next(m["member"] for m in info["members"] if m["name"] == "Anna")
    bob_id = next(m["member"] for m in info["members"] if m["name"] == "Bob")

    # Text, nudge, reaction: fanned out to everyone else.
    text = await anna.group("send", group, "text", {"text": "Hoi allemaal, ik ben Anna"})
    assert text["status"] == "queued" and text["from"] == anna_id
    for device in (worker, bob):
        got = await device.wait_group_messages(
            group, f"value.some((m) => m.id === {json.dumps(text['id'])})"
        )
        shown = next(m for m in got if m["id"] == text["id"])
        assert shown["fields"] == {"text": "Hoi allemaal, ik ben Anna"}
        assert shown["from"] == anna_id and shown["fromName"] == "Anna" and not shown["outgoing"]
    await anna.wait_group_messages(
        group,
        has(text["id"], SENT),
    )
    nudge = await bob.group("send", group, "nudge", {"emoji": "💛", "template": "thinking_of_you"})
    await worker.group("send", group, "reaction", {"of": text["id"], "emoji": "👍"})
    await anna.wait_group_messages(
        group,
        f"value.some((m) => m.id === {json.dumps(text['id'])} && Object.values(m.reactions)"
        ".includes('👍'))",
    )
    await anna.wait_group_messages(group, f"value.some((m) => m.id === {json.dumps(nudge['id'])})")
    listed = await anna.group_until("list", [], "value.length === 1 && value[0].unread >= 1")
    await anna.group("markRead", group)
    assert (await anna.group("list"))[0]["unread"] == 0

    # A new name, new rules and a policy reach everyone; a reloaded device keeps it all.
    await anna.group("setProfile", group, "Anna B")
    await worker.group(
        "setMeta",
        group,
        {"name": GROUP_NAME, "description": "Elke week", "rules": RULES + " Wees lief."},
    )
    effective = await worker.group("setPolicy", group, {"disappearing_timer": "30d"})
    assert effective["disappearing_timer_s"] == 30 * 86400
    await worker.group_until("info", [group], "value.members.some((m) => m.name === 'Anna B')")
    for device in (anna, bob):
        await device.group_until(
            "info",
            [group],
            "value.rules.endsWith('Wees lief.') && value.policy.disappearing_timer_s === 2592000",
        )
    await anna.page.evaluate("n => harness.close(n)", "anna")
    await anna.open(clockOffset=int(relay.clock.now() - time.time()))
    await anna.call("connect")
    reopened = await anna.group("info", group)
    assert reopened["rules"].endswith("Wees lief.") and {
        m["name"] for m in reopened["members"]
    } == {"Wim", "Anna B", "Bob"}
    assert text["id"] in [m["id"] for m in await anna.group("messages", group)]
    back = await anna.group("send", group, "text", {"text": "Weer terug"})
    await bob.wait_group_messages(group, f"value.some((m) => m.id === {json.dumps(back['id'])})")

    # Muted: refused here at once, and by the relay if this device's clock runs ahead.
    await worker.group("mute", group, bob_id, 600)
    await bob.group_until(
        "info",
        [group],
        f"value.members.some((m) => m.member === {json.dumps(bob_id)} && m.mutedUntil > 0)",
    )
    muted = await bob.group_error("send", group, "text", {"text": "mag ik iets zeggen?"})
    assert muted["code"] == "muted" and muted["details"]["until"] > 0
    await bob.page.evaluate(
        "([n, s]) => harness.setClockOffset(n, s)",
        ["bob", int(relay.clock.now() - time.time()) + 700],
    )
    refused = await bob.group("send", group, "text", {"text": "toch even proberen"})
    await bob.wait_group_messages(
        group,
        f"value.some((m) => m.id === {json.dumps(refused['id'])} && m.status === 'failed' "
        "&& m.error === 'muted')",
    )
    await bob.page.evaluate(
        "([n, s]) => harness.setClockOffset(n, s)", ["bob", int(relay.clock.now() - time.time())]
    )
    await worker.group("mute", group, bob_id, 0)
    await bob.group_until("info", [group], "value.members.every((m) => m.mutedUntil === 0)")
    again = await bob.group("send", group, "text", {"text": "Dank je, Wim"})
    await worker.wait_group_messages(
        group, f"value.some((m) => m.id === {json.dumps(again['id'])})"
    )

    # Removed: Bob's device gets nothing after, and knows it is out.
    await worker.group("remove", group, bob_id)
    await bob.group_until("list", [], "value.length === 0")
    assert (await bob.group("info", group))["left"] == "removed"
    await anna.group_until("info", [group], "value.members.length === 2")
    after = await anna.group("send", group, "text", {"text": "Jammer dat Bob weg is"})
    await worker.wait_group_messages(
        group, f"value.some((m) => m.id === {json.dumps(after['id'])})"
    )
    await anna.wait_group_messages(
        group,
        has(after["id"], SENT),
    )
    # Bob's mailbox is in order: a case message sent after Anna's would come after it.
    marker = await worker.call("send", bob_me["accountId"], "text", {"text": "na de groep"})
    await bob.until(
        "messages",
        [worker_me["accountId"]],
        f"value.some((m) => m.id === {json.dumps(marker['id'])})",
    )
    bob_log = await bob.log()
    assert after["id"] not in [m["id"] for m in bob_log["groupMessages"]]
    assert await bob.page.evaluate("n => harness.dropped(n)", "bob") == 0

    # Anna leaves: the facilitator's screen says so, by name.
    await anna.group("leave", group)
    assert await anna.group("list") == []
    got = await worker.wait_group_messages(
        group, "value.some((m) => m.kind === 'system' && m.event === 'left')"
    )
    assert system_events(got) == [
        ("created", "Wim"),
        ("joined", "Anna B"),
        ("joined", "Bob"),
        ("muted", "Bob"),
        ("unmuted", "Bob"),
        ("removed", "Bob"),
        ("left", "Anna B"),
    ]
    assert (await worker.group("info", group))["members"] == [
        {
            "member": (await worker.group("info", group))["me"],
            "name": "Wim",
            "role": "facilitator",
            "mutedUntil": 0,
            "me": True,
            "gone": False,
        }
    ]
    # Names and the group's name never reached the relay's storage in the clear.
    needles = [GROUP_NAME.encode(), RULES.encode(), b"Hoi allemaal", b"Anna", b"Wim"]
    assert relay_files_contain(relay.ctx.config.data_dir, needles) == []
    for device in (worker, anna, bob):
        assert (await device.log())["groupErrors"] == []
    await context.close()


def _packet(message: Any) -> tuple[str, Any] | None:
    """A Socket.IO text packet as (type digits, JSON payload); None for anything else."""
    if not isinstance(message, str) or message[:1] != "4":
        return None
    start = min((i for i in (message.find("["), message.find("{")) if i >= 0), default=-1)
    if start < 0:
        return None
    return message[:start], json.loads(message[start:])


async def test_a_forged_log_record_is_refused_and_never_encrypted_to(relay, browser):
    """The relay (here: the wire) slips a join into Anna's copy of the log, with a ticket
    that no facilitator signed, and routes to the intruder's handle. Anna's fold refuses
    the record (`group_log_invalid`), and her next message is not encrypted for it."""
    eve_seed = bytes(range(32))
    eve = base64.urlsafe_b64encode(ed25519_public_key(eve_seed)).rstrip(b"=").decode()
    fault = {"forge": False, "forged": 0, "sends": []}

    async def route(socket):
        server = socket.connect_to_server()

        def from_server(message):
            parsed = _packet(message)
            if fault["forge"] and parsed and parsed[0].startswith("43"):
                [reply] = parsed[1]
                if isinstance(reply, dict) and reply.get("records"):
                    last = SignedRecord.from_wire(reply["records"][-1])
                    fields = json.loads(last.body)
                    ticket = make_ticket(eve_seed, fields["group"], "A" * 22, 2**40).to_wire()
                    forged = make_record(
                        eve_seed,
                        {
                            "group": fields["group"],
                            "seq": fields["seq"] + 1,
                            "prev": record_hash(last),
                            "op": "join",
                            "ticket": ticket,
                        },
                    )
                    reply["records"].append(forged.to_wire())
                    reply["active"].append(eve)
                    reply["seq"] += 1
                    fault["forge"] = False
                    fault["forged"] += 1
                    message = parsed[0] + json.dumps([reply])
            socket.send(message)

        def from_page(message):
            parsed = _packet(message)
            if parsed and isinstance(parsed[1], list) and parsed[1][:1] == ["send"]:
                fault["sends"].append([e["to"] for e in parsed[1][1]["envelopes"]])
            server.send(message)

        socket.on_message(from_page)
        server.on_message(from_server)

    context, worker, anna, bob = await onboard(relay, browser)
    # Anna on a page of her own, whose connection the route above can tamper with.
    anna_context = await browser.new_context()
    await anna_context.route_web_socket("**/socket.io/**", route)
    offset = int(relay.clock.now() - time.time())
    anna = GroupDevice(await open_page(anna_context, relay.url), "anna-own")
    await anna.open(clockOffset=offset)
    await anna.call("register", (await worker.call("createInvite", "caregiver"))["link"])

    group = (await worker.group("create", {"name": GROUP_NAME, "displayName": "Wim"}))["id"]
    await anna.group("join", (await worker.group("invite", group))["link"], "Anna")
    info = await anna.group_until("info", [group], "value.members.length === 2")
    anna_id = info["me"]
    wim_id = next(m["member"] for m in info["members"] if not m["me"])

    fault["forge"] = True
    await worker.group("mute", group, anna_id, 60)
    await anna.group_until("info", [group], "value.members.some((m) => m.me && m.mutedUntil > 0)")
    assert fault["forged"] == 1
    log = await anna.log()
    assert log["groupErrors"] == [{"code": "group_log_invalid"}]
    info = await anna.group("info", group)
    assert sorted(m["member"] for m in info["members"]) == sorted([anna_id, wim_id])
    assert eve not in [m["member"] for m in info["members"]]

    # Unmuted (a later, genuine record still applies), Anna writes: only to Wim.
    await worker.group("mute", group, anna_id, 0)
    await anna.group_until("info", [group], "value.members.every((m) => m.mutedUntil === 0)")
    fault["sends"].clear()
    sent = await anna.group("send", group, "text", {"text": "Alleen voor de groep"})
    await worker.wait_group_messages(group, f"value.some((m) => m.id === {json.dumps(sent['id'])})")
    assert fault["sends"] and all(eve not in targets for targets in fault["sends"])
    assert [wim_id] in fault["sends"]
    await anna_context.close()
    await context.close()


def _signed(seed: bytes, body: str) -> dict[str, str]:
    """A record with exactly this body text, signed (for bodies make_record would not write)."""
    sig = ed25519_sign(seed, RECORD_LABEL + body.encode())
    return {"body": body, "sig": base64.urlsafe_b64encode(sig).rstrip(b"=").decode()}


async def test_the_js_fold_agrees_with_python_on_odd_bodies(relay, browser):
    """Bodies that JSON.parse and Python's json read differently (1.0, true, NaN, duplicate
    and __proto__ keys, escapes, non-ASCII): JS and Python reach the same verdict."""
    seed = bytes([7]) * 32
    handle = base64.urlsafe_b64encode(ed25519_public_key(seed)).rstrip(b"=").decode()
    group = "grp_" + "B" * 21 + "A"  # canonical base64url: the last character ends in zero bits
    base = f'"by":"{handle}","group":"{group}","op":"create","prev":""'
    bodies = {
        "plain": "{" + base + ',"seq":1,"v":1}',
        "v-float": "{" + base + ',"seq":1,"v":1.0}',
        "v-true": "{" + base + ',"seq":1,"v":true}',
        "v-exp": "{" + base + ',"seq":1,"v":1e0}',
        "seq-float": "{" + base + ',"seq":1.0,"v":1}',
        "seq-true": "{" + base + ',"seq":true,"v":1}',
        "seq-nan": "{" + base + ',"seq":NaN,"v":1}',
        "duplicate-key": "{" + base + ',"seq":2,"seq":1,"v":1}',
        "proto-key": "{" + base + ',"seq":1,"v":1,"__proto__":{}}',
        "escaped-group": "{" + base.replace("grp_", "\\u0067rp_") + ',"seq":1,"v":1}',
        "spaces": "{ " + base.replace(",", ", ") + ', "seq": 1, "v": 1 }',
        "trailing-comma": "{" + base + ',"seq":1,"v":1,}',
        "non-ascii-key": "{" + base + ',"seq":1,"v":1,"ë":1}',
        "big-seq": "{" + base + ',"seq":100000000000000000001,"v":1}',
    }
    wire = {name: _signed(seed, body) for name, body in bodies.items()}
    python = {}
    for name, record in wire.items():
        try:
            apply_record(None, SignedRecord.from_wire(record))
            python[name] = "ok"
        except InvalidRecord as error:
            python[name] = error.reason
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    js = await page.evaluate(
        """async (records) => {
          const log = await import('/app/crypto/group-log.js');
          const out = {};
          for (const [name, record] of Object.entries(records)) {
            try {
              log.applyRecord(null, log.recordFromWire(record));
              out[name] = 'ok';
            } catch (error) {
              out[name] = error.reason ?? String(error);
            }
          }
          return out;
        }""",
        wire,
    )
    assert js == python
    # The cases are not vacuous: some pass, some fail for each reason.
    assert python["plain"] == python["v-float"] == python["v-true"] == "ok"
    assert python["seq-float"] == python["seq-true"] == python["proto-key"] == "malformed"
    await context.close()


async def test_a_python_facilitator_and_a_browser_member_talk(relay, browser):
    """The Python client (steuntje_client.groups) and the browser library share one group:
    the same log, names and group meta both ways, and messages in both directions."""
    admin, worker = await python_worker(relay, int(time.time()))
    group = await worker.groups.create(GROUP_NAME, display_name="Petra", rules=RULES)
    context = await browser.new_context()
    anna = GroupDevice(await open_page(context, relay.url), "anna")
    await anna.open(clockOffset=int(relay.clock.now() - time.time()))
    await anna.call("register", (await worker.relay.create_invite("caregiver"))["link"])

    link = worker.groups.invite_link(group)
    assert (await anna.group("parseLink", link))["group"] == group
    assert (await anna.group("join", link, "Anna"))["id"] == group
    info = await anna.group_until(
        "info", [group], "value.name !== null && value.members.every((m) => m.name !== null)"
    )
    assert info["name"] == GROUP_NAME and info["rules"] == RULES
    assert {m["name"]: m["role"] for m in info["members"]} == {
        "Petra": "facilitator",
        "Anna": "member",
    }
    anna_id = info["me"]
    petra_id = next(m["member"] for m in info["members"] if not m["me"])
    assert petra_id == worker.groups.member_id(group)

    # Browser → Python: Anna's profile, then her text and a reaction.
    received = []
    while not any(r.kind == "text" for r in received):
        if not received:
            sent = await anna.group("send", group, "text", {"text": "Hallo Petra"})
        received.append(await asyncio.wait_for(worker.groups.messages.get(), WAIT_MS / 1000))
    text = next(r for r in received if r.kind == "text")
    assert (text.group, text.member, text.message.id) == (group, anna_id, sent["id"])
    assert text.message.fields == {"text": "Hallo Petra"}
    assert worker.groups.rosters[group].names[anna_id] == "Anna"

    # Python → browser: a text, and a reaction to Anna's.
    reply = await worker.groups.send_text(group, "Welkom, Anna!")
    await worker.groups.send(group, "reaction", of=sent["id"], emoji="💛")
    got = await anna.wait_group_messages(
        group,
        f"value.some((m) => m.id === {json.dumps(reply.id)}) && value.some((m) => "
        f"m.id === {json.dumps(sent['id'])} && Object.keys(m.reactions).length === 1)",
    )
    shown = next(m for m in got if m["id"] == reply.id)
    assert shown["fields"] == {"text": "Welkom, Anna!"} and shown["fromName"] == "Petra"
    assert next(m for m in got if m["id"] == sent["id"])["reactions"] == {petra_id: "💛"}
    assert (await anna.log())["groupErrors"] == []
    await worker.close()
    await context.close()


async def test_a_handles_prekeys_are_topped_up(relay, browser):
    """Members fetching Anna's handle's bundles run its one-time prekeys low: the relay
    says `prekeys_low` with `as`, and Anna's device uploads more for that handle."""
    context, worker, anna, bob = await onboard(relay, browser)
    group = (await worker.group("create", {"name": GROUP_NAME, "displayName": "Wim"}))["id"]
    await anna.group("join", (await worker.group("invite", group))["link"], "Anna")
    await bob.group("join", (await worker.group("invite", group))["link"], "Bob")
    # Wim's and Bob's names reached Anna: both hold a session with her handle (no fetch of
    # her bundle is still to come).
    names = "value.members.map((m) => m.name).sort().join(',') === 'Anna,Bob,Wim'"
    handle = (await anna.group_until("info", [group], names))["me"]
    status = await anna.call("request", "prekeys_status", {"as": handle})
    assert status["one_time"] <= 100 and status["signed"] is True
    # Down to the relay's low-water mark (10), 60 fetches a minute per connection: the
    # last fetch makes the relay say prekeys_low to Anna's device, which uploads up to 100.
    to_fetch = status["one_time"] - 10
    for device, count in ((worker, to_fetch // 2), (bob, to_fetch - to_fetch // 2)):
        for _ in range(count):
            await device.call("request", "prekeys_fetch", {"device": handle})
    topped = await anna.until(
        "request", ["prekeys_status", {"as": handle}], "value.one_time === 100"
    )
    assert topped["signed"] is True
    # Anna still reads what Bob writes.
    text = await bob.group("send", group, "text", {"text": "Na het aanvullen"})
    await anna.wait_group_messages(group, f"value.some((m) => m.id === {json.dumps(text['id'])})")
    await context.close()


async def test_a_pin_lock_seals_the_groups_too(relay, browser):
    """With a PIN, the group's log, names and meta, the handle's keys and its sessions are
    sealed at rest like everything else private; unlocked, the group works on."""
    context, worker, anna, bob = await onboard(relay, browser)
    group = (await worker.group("create", {"name": GROUP_NAME, "rules": RULES}))["id"]
    await anna.group("join", (await worker.group("invite", group))["link"], "Annelies")
    await worker.group_until("info", [group], "value.members.some((m) => m.name === 'Annelies')")
    raw = await worker.page.evaluate("([n, s]) => harness.rawText(n, s)", ["worker", "groups"])
    assert GROUP_NAME in raw and "Annelies" in raw  # not vacuous: in the clear without a PIN
    await worker.call("setPin", "4821")
    # The group id stays readable where a case's would (message keys, the index): the
    # disappearing-message sweep runs while locked. Names, meta and keys do not.
    for store in ("groups", "handles", "groupSessions", "messages"):
        raw = await worker.page.evaluate("([n, s]) => harness.rawText(n, s)", ["worker", store])
        assert GROUP_NAME not in raw and RULES not in raw and "Annelies" not in raw, store
        if store != "messages":
            assert group not in raw, store
    await worker.call("lock")
    assert (await worker.try_call("messages", "x"))["error"]["code"] == "locked"
    await worker.call("unlock", "4821")
    await worker.call("connect")
    [listed] = await worker.group("list")
    assert listed["name"] == GROUP_NAME
    text = await anna.group("send", group, "text", {"text": "Na het slot"})
    await worker.wait_group_messages(group, has(text["id"]))
    await context.close()


async def test_a_second_device_of_the_facilitator_joins_the_group_by_itself(relay, browser):
    """The worker links a laptop to their account: the phone hands it a handle of its own
    in every group (a signed `device` record, the keys end to end), so the laptop reads and
    writes in the group as the same person, under the same name."""
    context, worker, anna, _bob = await onboard(relay, browser)
    group = (await worker.group("create", {"name": GROUP_NAME, "displayName": "Wim"}))["id"]
    await anna.group("join", (await worker.group("invite", group))["link"], "Anna")
    await worker.group_until("info", [group], "value.members.length === 2")

    laptop = GroupDevice(worker.page, "laptop")
    await laptop.open(clockOffset=int(relay.clock.now() - time.time()))
    await laptop.call("register", (await worker.call("linkDevice"))["link"])
    # The name arrives with the group's first records, the role once the laptop has read
    # the facilitator's records too: wait for both (under load they come a moment apart).
    [listed] = await laptop.group_until(
        "list",
        [],
        f"value.length === 1 && value[0].name === {json.dumps(GROUP_NAME)}"
        " && value[0].role === 'facilitator'",
    )
    assert (listed["id"], listed["role"]) == (group, "facilitator")
    info = await laptop.group_until("info", [group], "value.members.length === 2")
    assert {m["name"] for m in info["members"]} == {"Wim", "Anna"}
    assert info["me"] == (await worker.group("info", group))["me"]  # one person, one member

    # Anna's message reaches both of the worker's devices; the laptop's reply is Wim's.
    hello = await anna.group("send", group, "text", {"text": "Hoi Wim"})
    await laptop.wait_group_messages(group, has(hello["id"]))
    await worker.wait_group_messages(group, has(hello["id"]))
    reply = await laptop.group("send", group, "text", {"text": "Hoi Anna, nu op de laptop"})
    [shown] = [
        m for m in await anna.wait_group_messages(group, has(reply["id"])) if m["id"] == reply["id"]
    ]
    assert shown["fromName"] == "Wim"
    await worker.wait_group_messages(group, has(reply["id"]))  # the phone keeps a copy
    # Anna sees still two people, not three.
    assert len((await anna.group("info", group))["members"]) == 2
    await context.close()
