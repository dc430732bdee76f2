"""`Groups`: peer-support groups for one device (docs/groups.md).

In every group this device takes part in it has a handle of its own (`GroupIdentity`);
who is in the group comes from the signed membership log, folded and verified here
(`Roster`), never from the relay's word alone. A message to the group is encrypted
pairwise for every other handle the verified log admits and the relay routes to (the
person's own other devices included) and goes to the relay in one `send` event.

    group = await worker.groups.create("Mantelzorgers Noord", display_name="Petra")
    link = worker.groups.invite_link(group)
    await caregiver.groups.join(link, display_name="Anna")   # tells everyone "Anna"
    await caregiver.groups.send_text(group, "Hallo allemaal")
    received = await worker.groups.messages.get()            # GroupReceived(…)

Incoming envelopes reach this layer from `SecureClient` (`claim`); membership changes
arrive as `group_changed` and are folded in (`refresh`), with the automatic replies of
docs/groups.md §4: my profile to each newcomer, and a facilitator's group_meta too.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from groups.log import InvalidRecord
from steuntje_client.client import Envelope, RelayClient
from steuntje_client.errors import ClientError, RelayRefused
from steuntje_client.group_identity import GroupIdentity
from steuntje_client.group_inbox import Inbox
from steuntje_client.group_links import GroupReceived
from steuntje_client.group_membership import GroupError, Membership
from steuntje_client.group_outbox import Outbox, Sealed
from steuntje_client.group_roster import Roster, RosterChange
from steuntje_client.messages import Message, encode

__all__ = ["GroupError", "GroupReceived", "Groups"]


class Groups(Membership):
    def __init__(
        self,
        relay: RelayClient,
        clock: Callable[[], int],
        folder: Path | None,
        *,
        is_device_sender: Callable[[str], bool],
        on_not_group: Callable[[Envelope], None],
    ) -> None:
        self._relay = relay
        self._now = clock
        self._folder = folder / "groups" if folder else None
        self.identities: dict[str, GroupIdentity] = {}  # group -> this device's handle
        self.rosters: dict[str, Roster] = {}
        self.messages: asyncio.Queue[GroupReceived] = asyncio.Queue()
        self.changes: asyncio.Queue[tuple[str, RosterChange]] = asyncio.Queue()  # system lines
        self.left: set[str] = set()  # groups this device left or was removed from
        self.waiting: set[str] = set()  # handles whose messages wait for their prekeys
        self.untrusted: set[str] = set()  # handles whose bundle the relay lied about
        self.rejected_records = 0  # logs from the relay that did not verify
        # (handle, the relay's count after) each time a handle's prekeys were topped up
        self.prekeys_published: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self._display_names: dict[str, str] = {}  # group -> my name there
        self._offered: dict[str, GroupIdentity] = {}  # handles made for a device record
        self._adopting: dict[str, asyncio.Task[None]] = {}
        # Handles made but not yet bound by the relay (joining, created, offered): what
        # arrives for them meanwhile is held, not mistaken for case traffic.
        self._pending: dict[str, GroupIdentity] = {}
        self._refresh_locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._outbox = Outbox(relay)
        self._inbox = Inbox(
            self,
            is_device_sender=is_device_sender,
            on_not_group=on_not_group,
            on_first_contact=self._flush_waiting,
        )
        self._load()

    def __repr__(self) -> str:
        return f"Groups(groups={len(self.identities)})"

    @property
    def dropped(self) -> int:
        """Group envelopes that did not decrypt or validate (counted, never logged)."""
        return self._inbox.dropped

    # -- lifecycle -------------------------------------------------------------------------

    def _load(self) -> None:
        """This device's handles from its folder. Done before connecting: the mailbox
        may hold group envelopes, and they must not be taken for case traffic."""
        if self._folder is not None and self._folder.exists():
            for path in sorted(self._folder.glob("grp_*/handle.keys")):
                group = path.parent.name
                self.identities[group] = GroupIdentity.load(
                    group, self._relay, self._now, path.parent
                )

    async def start(self) -> None:
        """Catch up on every group's log, and follow changes from now on."""
        for group in list(self.identities):
            await self._refresh_quietly(group)
        self._background(self._follow_changes())
        self._background(self._top_up_prekeys())

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._inbox.stop()

    def _background(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(_quietly(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow_changes(self) -> None:
        notices = self._relay.group_changes
        while True:
            pending = [await notices.get()]
            while not notices.empty():  # a burst of joins: one fetch per group covers all
                pending.append(notices.get_nowait())
            for group in dict.fromkeys(pending):
                if group in self._offered:
                    with contextlib.suppress(ClientError):  # not bound yet: a later notice
                        await self.adopt(group)
                elif group in self.identities:
                    await self._refresh_quietly(group)

    async def _top_up_prekeys(self) -> None:
        while True:
            handle, _ = await self._relay.handle_prekeys_low.get()
            for identity in list(self.identities.values()):
                if identity.handle == handle:
                    with contextlib.suppress(ClientError):  # the next notice tries again
                        count = await identity.publish_prekeys()
                        self.prekeys_published.put_nowait((handle, count))

    # -- the log ---------------------------------------------------------------------------

    async def refresh(self, group: str) -> list[RosterChange]:
        """Fetch and verify what the log gained since we last looked; act on it."""
        roster = self.rosters.setdefault(group, Roster(group))
        lock = self._refresh_locks.setdefault(group, asyncio.Lock())
        async with lock:  # two folds of the same records would fail on the second
            initial = roster.state is None
            info = await self._relay.request("group_info", {"group": group, "since": roster.seq})
            try:
                changes = roster.extend(list(info.get("records", ())))
            except InvalidRecord as bad:
                # The relay sent something the log does not allow: believe none of it.
                roster.refused = bad.reason
                self.rejected_records += 1
                changes = []
            roster.active = set(info.get("active", ()))
            roster.muted = {str(h): int(t) for h, t in dict(info.get("muted") or {}).items()}
            roster.policy = dict(info.get("policy") or {})
            roster.closed_at = info.get("closed_at")
            self._inbox.index(group, roster)
        self._after(group, changes, initial)
        return changes

    async def refresh_all(self) -> None:
        for group in list(self.identities):
            await self._refresh_quietly(group)

    async def _refresh_quietly(self, group: str) -> None:
        try:
            await self.refresh(group)
        except RelayRefused as refused:
            if refused.code == "not_a_member":  # removed while we were away, or just now
                self._forget_group(group)
        except ClientError:
            pass  # the connection dropped: the next notice or reconnect catches up

    def _after(self, group: str, changes: list[RosterChange], initial: bool) -> None:
        identity = self.identities.get(group)
        roster = self.rosters[group]
        for change in changes:
            self.changes.put_nowait((group, change))
            for handle in change.handles:  # they left: no session with them is kept
                if identity is not None:
                    identity.forget(handle)
                self._outbox.forget(group, handle)
        if identity is None or roster.retired(identity.handle):
            self._forget_group(group)
            return
        if initial:
            return  # catching up on history: everyone already knows each other
        newcomers = [
            c.handle
            for c in changes
            if c.op in ("join", "device")
            and c.handle != identity.handle
            and roster.admitted(c.handle)
        ]
        if newcomers and self._speaks_for_member(group):
            self._background(self._greet(group, newcomers))

    async def _greet(self, group: str, handles: list[str]) -> None:
        """docs/groups.md §4: my name to each newcomer; a facilitator adds the rules."""
        identity, roster = self._identity(group), self.rosters[group]
        name, now = self._display_names.get(group), self._now()
        if name:
            profile = Message("group_profile", {"name": name}, group, now)
            await self._send_to(group, handles, profile)
        if roster.meta and roster.role_of(identity.handle) == "facilitator":
            await self._send_to(group, handles, Message("group_meta", roster.meta, group, now))

    def _speaks_for_member(self, group: str) -> bool:
        """One device per person answers a newcomer: the first of its handles still routed."""
        identity, roster = self._identity(group), self.rosters[group]
        member = roster.member_of(identity.handle)
        if member is None:
            return False
        routed = [h for h in member.handles if h in roster.active] or list(member.handles)
        return routed[0] == identity.handle

    # -- sending ---------------------------------------------------------------------------

    async def send(self, group: str, kind: str, **fields: Any) -> Message:
        """Encrypt one message for every other handle in the group and store it on the
        relay; raises RelayRefused (`muted`, `not_a_member`, `group_closed`) when the
        relay refuses all of it."""
        message = Message(kind, fields, group, self._now())
        identity = self._identity(group)
        await self._send_to(group, self.rosters[group].recipients(identity.handle), message)
        if kind == "group_profile":
            self._display_names[group] = fields["name"]
            self.rosters[group].names[self._member_id(group)] = fields["name"]
        elif kind == "group_meta":
            self.rosters[group].meta = dict(fields)
        return message

    async def send_text(self, group: str, text: str) -> Message:
        return await self.send(group, "text", text=text)

    async def set_meta(self, group: str, name: str, description: str, rules: str) -> Message:
        return await self.send(group, "group_meta", name=name, description=description, rules=rules)

    async def seal(self, group: str, message: Message) -> Sealed:
        """Encrypt without sending (the benchmark times this part on its own)."""
        identity = self._identity(group)
        recipients = self.rosters[group].recipients(identity.handle)
        return await self._outbox.seal(identity, recipients, encode(message), _blobs(message))

    async def send_sealed(self, group: str, sealed: Sealed) -> None:
        """Store what `seal` made (the benchmark's second half of `send`)."""
        async with self._outbox.lock(group):
            refused = await self._outbox.submit(sealed)
        self._check_refusals(group, sealed, refused)

    async def _send_to(self, group: str, handles: list[str], message: Message | None) -> None:
        identity = self._identity(group)
        plaintext = encode(message) if message is not None else None
        blobs = _blobs(message) if message is not None else ()
        async with self._outbox.lock(group):
            sealed = await self._outbox.seal(identity, handles, plaintext, blobs)
            # What waited for a handle went out with this send: it waits no longer.
            self.waiting.difference_update(handle for handle, _ in sealed.envelopes)
            self.waiting.update(sealed.waiting)
            self.untrusted.update(sealed.untrusted)
            refused = await self._outbox.submit(sealed)
        self._check_refusals(group, sealed, refused)

    def _check_refusals(self, group: str, sealed: Sealed, refused: dict[str, str]) -> None:
        """Raise when the relay refused the message for everyone, for one reason (muted,
        not_a_member, group_closed); a refusal for one handle (it left meanwhile) is not
        the sender's problem."""
        if sealed.envelopes and len(refused) == len({h for h, _ in sealed.envelopes}):
            codes = set(refused.values())
            if len(codes) == 1:
                code = codes.pop()
                until = self.muted_until(group)
                raise RelayRefused(code, "the relay refused this group message", {"until": until})

    def _flush_waiting(self, group: str, handle: str) -> None:
        """A handle we had no keys for wrote to us: what waited for it can go now."""
        if self._outbox.has_waiting(group, handle):
            self.waiting.discard(handle)
            self._background(self._send_to(group, [handle], None))

    # -- receiving (called by SecureClient for every envelope) ----------------------------

    def claim(self, envelope: Envelope) -> bool:
        """True when the envelope belongs to the group layer (now or after a lookup)."""
        return self._inbox.claim(envelope)

    # -- helpers ---------------------------------------------------------------------------

    def _identity(self, group: str) -> GroupIdentity:
        identity = self.identities.get(group)
        if identity is None:
            raise GroupError("this device is not in that group")
        return identity

    def _member_id(self, group: str) -> str:
        member = self.rosters[group].member_of(self._identity(group).handle)
        if member is None:
            raise GroupError("the group's log does not list this device")
        return member.id

    def muted_until(self, group: str) -> int:
        """Until when the relay refuses this person's messages here (0: not muted)."""
        roster = self.rosters[group]
        member = roster.member_of(self._identity(group).handle)
        if member is None:
            return 0
        # The relay keys `muted` by member id; the signed log says the same thing.
        return max(roster.muted.get(member.id, 0), member.muted_until)

    def member_id(self, group: str) -> str:
        """The member id other members know this person by in `group`."""
        return self._member_id(group)

    def has_pending(self) -> bool:
        """True while a handle of this device waits for the relay to bind it."""
        return bool(self._pending)

    def _new_identity(self, group: str) -> GroupIdentity:
        folder = self._folder / group if self._folder is not None else None
        identity = GroupIdentity.create(group, self._relay, self._now, folder)
        self._pending[group] = identity
        return identity

    def _discard_identity(self, identity: GroupIdentity) -> None:
        if self._pending.get(identity.group) is identity:
            del self._pending[identity.group]
            self._inbox.wake()
        if self._folder is not None:
            shutil.rmtree(self._folder / identity.group, ignore_errors=True)

    def _forget_group(self, group: str) -> None:
        """Left or removed: the handle is retired for good, so its keys go too."""
        identity = self.identities.pop(group, None)
        self.left.add(group)
        self._inbox.retire_group(group)
        if identity is not None:
            self._discard_identity(identity)


def _blobs(message: Message) -> tuple[str, ...]:
    """The blobs a message names: an attachment's (PROTOCOL.md §4.17), or none."""
    return (message.fields["blob"],) if message.kind == "attachment" else ()


async def _quietly(work: Any) -> None:
    """Automatic sends and watchers: a refusal (muted, a dropped connection) is not worth
    a crash in the background; the next notice or send tries again."""
    with contextlib.suppress(ClientError):
        await work
