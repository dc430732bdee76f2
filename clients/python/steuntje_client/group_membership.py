"""Membership of peer-support groups, as the signed records of docs/groups.md §2: create a
group, invite with a ticket, join with one, add another device of the same person, leave,
and the facilitator's tools (remove, role, mute, close).

Every change is signed by this device's handle in the group and carries the log's next
`seq` and `prev`; when someone else's change lands first the relay refuses it with
`wrong_seq`/`wrong_prev`, and the change is made again on top of the new head.

A mixin of `Groups` (groups.py), which owns the state these methods change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from groups.log import SignedRecord, device_proof, make_record, make_ticket
from steuntje_client.errors import ClientError, RelayRefused
from steuntje_client.group_identity import GroupIdentity
from steuntje_client.group_links import (
    DeviceOffer,
    new_group_id,
    new_nonce,
    parse_ticket_link,
    ticket_link,
)

if TYPE_CHECKING:
    from steuntje_client.client import RelayClient
    from steuntje_client.group_inbox import Inbox
    from steuntje_client.group_roster import Roster, RosterChange
    from steuntje_client.messages import Message

CHANGE_ATTEMPTS = 5  # someone else's change landed first (wrong_seq/wrong_prev): try again
RETRY_REASONS = ("wrong_seq", "wrong_prev")
TICKET_TTL_S = 7 * 86_400


class GroupError(ClientError):
    """Not possible in this group from this device (not a member here, left, …)."""


class Membership:
    """create, join, add_device, leave, remove, set_role, mute, close (see `Groups`)."""

    if TYPE_CHECKING:  # provided by Groups
        _relay: RelayClient
        _now: Callable[[], int]
        identities: dict[str, GroupIdentity]
        rosters: dict[str, Roster]
        left: set[str]
        _display_names: dict[str, str]
        _offered: dict[str, GroupIdentity]
        _adopting: dict[str, asyncio.Task[None]]
        _pending: dict[str, GroupIdentity]
        _inbox: Inbox

        async def refresh(self, group: str) -> list[RosterChange]: ...
        async def _refresh_quietly(self, group: str) -> None: ...
        async def send(self, group: str, kind: str, **fields: Any) -> Message: ...
        def _identity(self, group: str) -> GroupIdentity: ...
        def _member_id(self, group: str) -> str: ...
        def _new_identity(self, group: str) -> GroupIdentity: ...
        def _discard_identity(self, identity: GroupIdentity) -> None: ...
        def _forget_group(self, group: str) -> None: ...

    # -- creating, inviting, joining -------------------------------------------------------

    async def create(
        self, name: str, *, display_name: str, description: str = "", rules: str = ""
    ) -> str:
        """A new group with this device's new handle as its first facilitator."""
        group = new_group_id()
        identity = self._new_identity(group)
        record = make_record(
            identity.signing_seed, {"group": group, "seq": 1, "prev": "", "op": "create"}
        )
        try:
            await self._relay.request("group_create", {"record": record.to_wire()})
        except ClientError:
            self._discard_identity(identity)
            raise
        await self._settle(identity, display_name)
        self.rosters[group].meta = {"name": name, "description": description, "rules": rules}
        return group

    def invite_link(self, group: str, ttl_s: int = TICKET_TTL_S) -> str:
        """`<relay>/#group=…`: show it as a QR code, or send it with `invitation`."""
        identity = self._identity(group)
        ticket = make_ticket(identity.signing_seed, group, new_nonce(), self._now() + ttl_s)
        return ticket_link(self._relay.url, ticket)

    def invitation(self, group: str) -> dict[str, str]:
        """The fields of a `group_invite` message, to send in a case conversation."""
        meta = self.rosters[group].meta or {}
        return {"link": self.invite_link(group), "name": meta.get("name") or "Groep"}

    async def join(self, link: str, *, display_name: str) -> str:
        """Join with a `#group=` link; then tell everyone my display name."""
        ticket = parse_ticket_link(link)
        group = ticket.fields()["group"]  # also checks the facilitator's signature
        if group in self.identities:
            raise GroupError("this device is already in that group")
        identity = self._new_identity(group)
        try:
            for _ in range(CHANGE_ATTEMPTS):
                ready = await self._relay.request(
                    "group_join_prepare", {"ticket": ticket.to_wire()}
                )
                fields = {
                    "group": group,
                    "seq": int(ready["seq"]),  # the relay names the seq the record takes
                    "prev": ready["prev"],
                    "op": "join",
                    "ticket": ticket.to_wire(),
                }
                record = make_record(identity.signing_seed, fields)
                if await self._submit_record("group_join", {"record": record.to_wire()}):
                    break  # stored
            else:
                raise RelayRefused("group_record_refused", "the group kept changing", {})
        except ClientError:
            self._discard_identity(identity)
            raise
        await self._settle(identity, display_name)
        await self.send(group, "group_profile", name=display_name)
        return group

    async def _settle(self, identity: GroupIdentity, display_name: str | None) -> None:
        """A handle the relay has just bound to this device: keys up, log in."""
        group = identity.group
        self._pending.pop(group, None)
        self.identities[group] = identity
        self.left.discard(group)
        self._inbox.wake()  # envelopes from this group that came early can be opened now
        await identity.publish_prekeys()
        await self.refresh(group)
        if display_name is not None:
            self._display_names[group] = display_name
            self.rosters[group].names[self._member_id(group)] = display_name

    # -- another device of the same person (docs/groups.md §2.5) --------------------------

    def offer_device(self, group: str) -> DeviceOffer:
        """On the new device: a handle for `group`, and a signer for its device record."""
        identity = self._new_identity(group)
        self._offered[group] = identity

        def prove(record: SignedRecord) -> str:
            fields = json.loads(record.body)
            # Sign only what it claims to be: this handle joining this group as a device.
            if (fields.get("op"), fields.get("group"), fields.get("handle")) != (
                "device",
                group,
                identity.handle,
            ):
                raise GroupError("that is not a device record for this handle")
            return device_proof(identity.signing_seed, record)

        return DeviceOffer(group, self._relay.device_id, identity.handle, prove)

    async def add_device(self, group: str, offer: DeviceOffer) -> None:
        """On the joined device: sign the `device` record and hand it in with the proof."""
        member = self._member_id(group)
        await self._change(
            group,
            {"op": "device", "member": member, "handle": offer.handle},
            extra=lambda record: {"proof": offer.prove(record), "device": offer.device},
        )
        # (the new device folds the log itself when it adopts the handle)

    async def adopt(self, group: str) -> None:
        """On the new device, once `add_device` went through: keys up, log in. The app
        may call it, and a `group_changed` notice does too; both wait for the same run."""
        running = self._adopting.get(group)
        if running is not None:
            with contextlib.suppress(ClientError):
                await running
        if group not in self._offered:
            return  # adopted
        task = asyncio.get_running_loop().create_task(self._adopt_now(group))
        self._adopting[group] = task
        try:
            await task
        finally:
            if self._adopting.get(group) is task:
                del self._adopting[group]

    async def _adopt_now(self, group: str) -> None:
        identity = self._offered.pop(group)
        try:
            await self._settle(identity, None)
        except ClientError:
            self.identities.pop(group, None)
            self._offered[group] = self._pending[group] = identity  # not bound yet: later
            raise

    # -- membership changes ----------------------------------------------------------------

    # Each returns the log's new seq, which every member's client will reach.

    async def leave(self, group: str) -> int:
        seq = await self._change(group, {"op": "leave", "member": self._member_id(group)})
        self._forget_group(group)
        return seq

    async def remove(self, group: str, member: str) -> int:
        return await self._change(group, {"op": "remove", "member": member})

    async def set_role(self, group: str, member: str, role: str) -> int:
        return await self._change(group, {"op": "role", "member": member, "role": role})

    async def mute(self, group: str, member: str, until: int) -> int:
        """Refuse the member's messages until `until` (Unix seconds; 0 lifts it)."""
        return await self._change(group, {"op": "mute", "member": member, "until": until})

    async def close(self, group: str) -> int:
        reply = await self._relay.request("group_close", {"group": group})
        await self._refresh_quietly(group)
        return int(reply.get("closed_at", 0))

    async def _change(
        self,
        group: str,
        fields: dict[str, Any],
        extra: Callable[[SignedRecord], dict[str, Any]] | None = None,
    ) -> int:
        identity = self._identity(group)
        for _ in range(CHANGE_ATTEMPTS):
            await self.refresh(group)
            state = self.rosters[group].state
            assert state is not None  # refresh folded at least the create record
            body = {"group": group, "seq": state.seq + 1, "prev": state.head, **fields}
            record = make_record(identity.signing_seed, body)
            data = {"record": record.to_wire(), **(extra(record) if extra else {})}
            stored = await self._submit_record("group_change", data)
            if stored is not None:
                await self._refresh_quietly(group)
                return int(stored["seq"])
        raise RelayRefused("group_record_refused", "the group kept changing", {})

    async def _submit_record(self, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """The relay's reply once stored; None when someone else's change came first."""
        try:
            return await self._relay.request(event, data)
        except RelayRefused as refused:
            if refused.code == "group_record_refused" and refused.details.get("reason") in (
                RETRY_REASONS
            ):
                return None
            raise
