"""Decoding Socket.IO packets so that hostile framing becomes a refusal, never a wedge.

python-socketio (5.x) trusts the shape of what it decodes. Four kinds of frames hurt it:

* an event whose name is `connect` or `disconnect`: it hands them to the namespace exactly
  like its own lifecycle calls, so a client could sign itself out and leak its slot;
* an event whose name is not a string, or whose data is not a list at all: it indexes and
  hashes the name and raises, so the client gets no answer and the log a traceback;
* a binary event whose placeholder points to no attachment (a `num` past the end, a
  string, a negative number): reconstruction raises half-way, the half-built packet stays
  pending, and every later frame on that connection is taken for one of its attachments;
* JSON nested past the parser's depth, or binary data nested past the depth of its
  recursive rebuild: a RecursionError, and the event is dropped unanswered.

`RelayPacket` is the `serializer` the server decodes with (a documented extension point).
It checks each event packet as it arrives and, when it is unusable, replaces the event by a
`RefusedEvent` carrying the error code: the namespace answers it like any other refusal,
with the client's acknowledgement id, and the connection carries on. A `RefusedEvent` is a
Python object no JSON can produce, so no client can forge one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socketio import packet

from relay.errors import Code

# Names the Socket.IO server and clients use for their own lifecycle.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting"})
EVENT_TYPES = (packet.EVENT, packet.BINARY_EVENT)
BINARY_TYPES = (packet.BINARY_EVENT, packet.BINARY_ACK)


@dataclass(frozen=True)
class RefusedEvent:
    """Stands in for an event name when the packet cannot be dispatched."""

    code: Code
    message: str
    name: str | None = None  # the client's event name, when it was a string

    def __str__(self) -> str:  # python-socketio logs event names at INFO
        return f"refused:{self.code}"


class RelayPacket(packet.Packet):
    """A Socket.IO packet whose decoding refuses what the library would choke on."""

    def decode(self, encoded_packet: str | bytes) -> int:
        if not isinstance(encoded_packet, str):
            # A binary frame that belongs to no pending packet (an attachment announced in
            # a packet that was already refused): stray, so dropped with a warning.
            raise ValueError("binary frame outside a binary packet")
        try:
            count = super().decode(encoded_packet)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            if self.packet_type not in EVENT_TYPES or self.id is None:
                raise  # nobody to answer: dropped with a warning (relay/logs.py)
            self.packet_type = packet.EVENT
            self._refuse(Code.MALFORMED, "The event is not valid JSON.")
            return 0
        if self.packet_type in BINARY_TYPES:
            problem = _placeholder_problem(self.data, count)
            if problem is not None:
                # The framing is unusable: answer now, as a plain event, rather than wait
                # for attachments that cannot be fitted. Any that follow are stray frames.
                self.packet_type = (
                    packet.EVENT if self.packet_type == packet.BINARY_EVENT else packet.ACK
                )
                self._refuse(Code.MALFORMED, problem)
                return 0
        if self.packet_type in EVENT_TYPES:
            self._check_name()
        return count

    def add_attachment(self, attachment: Any) -> bool:
        if not isinstance(attachment, bytes):
            # A text frame where an attachment was due: count it (so this packet ends
            # where the client thinks it does) but refuse the event.
            self.attachments.append(b"")
            self._refuse(Code.MALFORMED, "Binary attachments must be sent as binary frames.")
            return self.attachment_count == len(self.attachments)
        if isinstance(self.data, list) and self.data and isinstance(self.data[0], RefusedEvent):
            self.attachments.append(attachment)
            return self.attachment_count == len(self.attachments)
        try:
            return super().add_attachment(attachment)
        except RecursionError:  # python-socketio rebuilds the data recursively
            self._refuse(Code.MALFORMED, "The event is nested too deeply.")
            return True

    def _check_name(self) -> None:
        data = self.data
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            self._refuse(Code.MALFORMED, "An event is a list whose first item is its name.")
        elif data[0] in RESERVED_EVENTS:
            self.data = [RefusedEvent(Code.UNKNOWN_EVENT, "", data[0])]

    def _refuse(self, code: Code, message: str) -> None:
        data = self.data
        name = data[0] if isinstance(data, list) and data and isinstance(data[0], str) else None
        self.data = [RefusedEvent(code, message, name)]


def _placeholder_problem(data: Any, count: int) -> str | None:
    """Why the placeholders do not fit `count` attachments, or None when they do: each
    attachment referred to exactly once, by a whole number 0..count-1, as encoders do."""
    found: list[Any] = []
    _collect_placeholders(data, found)
    nums = [n for n in found if type(n) is int]
    if len(nums) != len(found) or sorted(nums) != list(range(count)):
        return "Binary placeholders must number the attachments 0..n-1, each once."
    return None


def _collect_placeholders(data: Any, found: list[Any]) -> None:
    # Iterative: a deeply nested payload must not exhaust the stack here either.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if item.get("_placeholder") and "num" in item:
                found.append(item["num"])
            else:
                stack.extend(item.values())
