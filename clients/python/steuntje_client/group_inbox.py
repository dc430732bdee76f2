"""Which incoming envelopes are group messages, and opening them in order.

The relay delivers group envelopes into the device's one mailbox; only their `from` tells
them apart: a handle instead of a device id, and both are Ed25519 keys. A sender that the
verified log of one of our groups admits is a group member; a device we already share a
session with is a case peer. Anything else (most often someone who joined a moment ago,
before our `group_changed` notice was handled) is held while every group's log is
fetched again, then opened as a group message or handed back to the case layer.

Envelopes are handled synchronously, one `deliver` event at a time, so everything from
one sender stays in the order the relay delivered it: a sender whose envelopes are being
held has its later ones held behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from crypto import DecryptionError
from steuntje_client.client import Envelope
from steuntje_client.group_links import GroupReceived
from steuntje_client.group_roster import Roster
from steuntje_client.messages import InvalidMessage, decode

if TYPE_CHECKING:
    from steuntje_client.groups import Groups

PENDING_WAIT_S = 10.0  # a join or device record in flight: how long its envelopes wait
MAX_PENDING_WAITS = 3


class Inbox:
    def __init__(
        self,
        groups: Groups,
        *,
        is_device_sender: Callable[[str], bool],
        on_not_group: Callable[[Envelope], None],
        on_first_contact: Callable[[str, str], None],
    ) -> None:
        self._groups = groups
        self._is_device_sender = is_device_sender
        self._on_not_group = on_not_group
        self._on_first_contact = on_first_contact
        self._by_handle: dict[str, str] = {}  # admitted handle -> group
        self._retired: set[str] = set()  # handles that left, and those of groups we left
        self._not_group: set[str] = set()  # senders a full lookup found in no group
        self._held: list[Envelope] = []
        self._held_senders: set[str] = set()
        self._resolving: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self.dropped = 0

    def index(self, group: str, roster: Roster) -> None:
        """The handles `group`'s verified log admits now (after every fold)."""
        for handle in [h for h, g in self._by_handle.items() if g == group]:
            del self._by_handle[handle]
        if roster.state is not None:
            handles = roster.state.handles()
            self._by_handle.update((handle, group) for handle in handles)
            self._not_group.difference_update(handles)  # a lookup before they joined
            self._retired |= roster.state.retired

    def retire_group(self, group: str) -> None:
        """We left: whatever still comes from that group is dropped unread."""
        for handle in [h for h, g in self._by_handle.items() if g == group]:
            del self._by_handle[handle]
            self._retired.add(handle)

    def claim(self, envelope: Envelope) -> bool:
        sender = envelope.sender
        if sender in self._held_senders:
            self._hold(envelope)
            return True
        group = self._by_handle.get(sender)
        if group is not None:
            self._open(group, envelope)
            return True
        if sender in self._retired:
            self.dropped += 1
            return True
        if (
            not (self._groups.identities or self._groups.has_pending())
            or sender in self._not_group
            or self._is_device_sender(sender)
        ):
            return False
        self._hold(envelope)
        return True

    def _hold(self, envelope: Envelope) -> None:
        self._held.append(envelope)
        self._held_senders.add(envelope.sender)
        if self._resolving is None or self._resolving.done():
            self._resolving = asyncio.get_running_loop().create_task(self._resolve())

    def stop(self) -> None:
        if self._resolving is not None:
            self._resolving.cancel()

    def wake(self) -> None:
        """A handle of ours was bound (or given up): held envelopes may be decided now."""
        self._settled.set()

    async def _resolve(self) -> None:
        waits = 0
        while self._held:
            self._settled.clear()
            looked_up = len(self._held)  # held before this lookup began: it decides them
            await self._groups.refresh_all()
            # While one of our handles is being bound, its group's first envelopes may
            # already be here: wait for it rather than hand them to the case layer.
            undecided = self._groups.has_pending() and waits < MAX_PENDING_WAITS
            held, self._held = self._held, []
            self._held_senders.clear()
            for index, envelope in enumerate(held):
                sender = envelope.sender
                group = self._by_handle.get(sender)
                if group is not None:
                    self._open(group, envelope)
                elif sender in self._retired:
                    self.dropped += 1
                elif (index < looked_up and not undecided) or sender in self._not_group:
                    self._not_group.add(sender)
                    self._on_not_group(envelope)
                else:  # arrived during the lookup, or ours is not bound yet: next round
                    self._held.append(envelope)
                    self._held_senders.add(sender)
            if self._held and undecided:
                waits += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._settled.wait(), PENDING_WAIT_S)

    def _open(self, group: str, envelope: Envelope) -> None:
        groups = self._groups
        identity, roster = groups.identities.get(group), groups.rosters.get(group)
        member = roster.member_of(envelope.sender) if roster else None
        if identity is None or roster is None or member is None:
            self.dropped += 1
            return
        try:
            message = decode(identity.decrypt(envelope.sender, envelope.body))
        except (DecryptionError, InvalidMessage):
            self.dropped += 1  # a replay, a forgery or garbage: dropped (and acknowledged)
            return
        if message.conversation != group:
            self.dropped += 1  # sealed for another conversation: not this group's to show
            return
        if message.kind == "group_profile":
            roster.names[member.id] = message.fields["name"].strip()
        elif message.kind == "group_meta":
            if member.role != "facilitator":
                self.dropped += 1  # only facilitators set the name and the rules
                return
            roster.meta = dict(message.fields)
        groups.messages.put_nowait(
            GroupReceived(group, member.id, envelope.sender, message, envelope.seq)
        )
        self._on_first_contact(group, envelope.sender)
