"""Group ids, invitation tickets as links, and the small values the group layer hands out.

A ticket travels as `<relay>/#group=<base64url(JSON ticket)>` (docs/groups.md §2.3): the
fragment never reaches a web server, and whoever holds the link may join once.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from groups.log import InvalidRecord, SignedRecord, Ticket
from steuntje_client.keys import b64url, unb64url
from steuntje_client.messages import Message

LINK_FIELD = "group"


def new_group_id() -> str:
    """`grp_` and 16 random bytes: chosen by the creating client, guessable by nobody."""
    return "grp_" + b64url(secrets.token_bytes(16))


def new_nonce() -> str:
    return b64url(secrets.token_bytes(16))


def ticket_link(base_url: str, ticket: Ticket) -> str:
    wire = json.dumps(ticket.to_wire(), sort_keys=True, separators=(",", ":"))
    return f"{base_url.rstrip('/')}/#{LINK_FIELD}={b64url(wire.encode())}"


def parse_ticket_link(link: str) -> Ticket:
    """The ticket in a `#group=` link (or the bare base64url part); InvalidRecord
    ("ticket_invalid") for anything else. The signature is checked by `Ticket.fields`."""
    fragment = urlsplit(link.strip()).fragment if "#" in link else f"{LINK_FIELD}={link.strip()}"
    fields = dict(part.split("=", 1) for part in fragment.split("&") if "=" in part)
    try:
        return Ticket.from_wire(json.loads(unb64url(fields[LINK_FIELD])))
    except (KeyError, ValueError):
        raise InvalidRecord("ticket_invalid") from None


@dataclass(frozen=True, slots=True)
class GroupReceived:
    """A decrypted group message: which group, which member sent it, from which handle."""

    group: str
    member: str  # the sender's member id (the handle they joined with)
    handle: str  # the sender's handle (which of their devices)
    message: Message
    seq: int  # the relay's sequence number in this device's mailbox

    @property
    def kind(self) -> str:
        return self.message.kind

    def __repr__(self) -> str:  # never the content
        return f"GroupReceived(group={self.group!r}, kind={self.kind!r}, seq={self.seq})"


@dataclass(frozen=True, slots=True)
class DeviceOffer:
    """What a person's new device gives their already-joined device (docs/groups.md §2.5):
    its real device id, its new handle in the group, and a way to sign the `device` record
    (the proof that it holds the handle's key)."""

    group: str
    device: str
    handle: str
    prove: Callable[[SignedRecord], str]

    def __repr__(self) -> str:
        return f"DeviceOffer(group={self.group!r})"
