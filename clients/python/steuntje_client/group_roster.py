"""What one client knows about one group: the verified membership log folded into a state,
the handles the relay routes to now, and what members told each other end to end (their
display names, the group's name and rules).

Pure: no I/O. Membership comes only from records that pass `groups.log`; the relay's
`active` list can only narrow it (a handle whose account was erased), never widen it, so
a lying relay can withhold people but never add a listener (docs/groups.md §2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from groups.log import GroupState, InvalidRecord, Member, SignedRecord, apply_record


@dataclass(frozen=True, slots=True)
class RosterChange:
    """One membership change, for system lines ("Anna doet mee") and automatic replies."""

    seq: int
    op: str  # create, join, device, leave, remove, role, mute
    member: str  # the member id the change is about
    by: str  # the handle that signed it
    handle: str = ""  # the handle that joined (join, device)
    handles: tuple[str, ...] = ()  # the handles that left (leave, remove)


@dataclass
class Roster:
    group: str
    state: GroupState | None = None
    active: set[str] = field(default_factory=set)  # what the relay routes to now
    muted: dict[str, int] = field(default_factory=dict)  # handle -> until, as the relay says
    policy: dict[str, Any] = field(default_factory=dict)
    closed_at: int | None = None
    names: dict[str, str] = field(default_factory=dict)  # member id -> display name
    meta: dict[str, str] | None = None  # the latest group_meta from a facilitator
    refused: str = ""  # why the relay's log stopped verifying, if it did

    def __repr__(self) -> str:
        seq = self.state.seq if self.state else 0
        return f"Roster(group={self.group!r}, seq={seq}, members={len(self.members())})"

    @property
    def seq(self) -> int:
        return self.state.seq if self.state else 0

    def extend(self, wire_records: list[Any]) -> list[RosterChange]:
        """Apply records that follow the current state; all or nothing (InvalidRecord)."""
        state = self.state
        changes: list[RosterChange] = []
        for item in wire_records:
            record = SignedRecord.from_wire(item)
            before = state
            state = apply_record(state, record)
            changes.append(_change_of(before, state, record))
        if state is not None and state.group != self.group:
            raise InvalidRecord("wrong_group")
        self.state = state
        return changes

    def members(self) -> dict[str, Member]:
        return dict(self.state.members) if self.state else {}

    def member_of(self, handle: str) -> Member | None:
        return self.state.owner(handle) if self.state else None

    def admitted(self, handle: str) -> bool:
        return self.member_of(handle) is not None

    def retired(self, handle: str) -> bool:
        return self.state is not None and handle in self.state.retired

    def recipients(self, own_handle: str) -> list[str]:
        """Every handle the verified log admits and the relay routes to, except our own."""
        if self.state is None:
            return []
        return [h for h in self.state.handles() if h != own_handle and h in self.active]

    def role_of(self, handle: str) -> str | None:
        member = self.member_of(handle)
        return member.role if member else None

    def name_of(self, member_id: str) -> str | None:
        return self.names.get(member_id)


def _change_of(before: GroupState | None, after: GroupState, record: SignedRecord) -> RosterChange:
    """Describe a record that `apply_record` accepted (so its body is known to be valid)."""
    fields = json.loads(record.body)
    op, by = fields["op"], fields["by"]
    if op in ("create", "join"):
        return RosterChange(after.seq, op, by, by, handle=by)
    member = fields["member"]
    if op == "device":
        return RosterChange(after.seq, op, member, by, handle=fields["handle"])
    if op in ("leave", "remove"):
        gone = before.members[member].handles if before is not None else ()
        return RosterChange(after.seq, op, member, by, handles=tuple(gone))
    return RosterChange(after.seq, op, member, by)
