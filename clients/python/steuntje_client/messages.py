"""What travels inside the ciphertext: the message kinds of Steuntje, as JSON.

The relay never sees any of this: it is the plaintext that `crypto.Session.encrypt` pads
and seals. Encoding, version 1 (docs/messages.md): compact UTF-8 JSON with the keys

    v  1                  version
    k  kind               one of KINDS
    id message id         16 random bytes, base64url; receipts and reactions refer to it
    t  sent at            Unix seconds, the sender's clock
    c  conversation       the account id of the other party, so a sender's own other
                          devices know which conversation a copy belongs to; in a group
                          the group id (`grp_…`), docs/groups.md §4
    plus the kind's own fields (FIELDS).

Unknown keys are ignored; a message that does not validate is dropped by the receiver.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
MAX_TEXT = 4_000
MAX_DISPLAY_NAME = 40
MAX_GROUP_NAME = 80

# kind -> {field: type}. Everything listed is required.
FIELDS: dict[str, dict[str, type]] = {
    "text": {"text": str},
    "nudge": {"emoji": str, "template": str},  # template id, e.g. "thinking_of_you"
    "checkin": {"question": str, "scale": int},  # scale: number of faces, 5
    "checkin_answer": {"checkin": str, "answer": int},  # checkin: message id; 1..scale
    "call_me": {},
    "receipt": {"of": list},  # message ids read
    "reaction": {"of": str, "emoji": str},
    # Groups (docs/groups.md §4): only members ever see these, never the relay.
    "group_profile": {"name": str},  # the sender's display name in this group
    "group_meta": {"name": str, "description": str, "rules": str},  # from a facilitator
    "group_invite": {"link": str, "name": str},  # sent in a case: the #group= link
    # To one of the person's own devices only (the web app): a handle made for it in a group,
    # its private keys (base64url) and what the sender knows of the group (JSON).
    "group_handle": {"group": str, "keys": str, "doc": str},
}
KINDS = tuple(FIELDS)


class InvalidMessage(ValueError):
    """The decrypted plaintext is not a valid version-1 message."""


def new_message_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Message:
    kind: str
    fields: dict[str, Any]
    conversation: str
    sent_at: int
    id: str = field(default_factory=new_message_id)

    def __repr__(self) -> str:  # message content never appears in a repr or a log
        return f"Message(kind={self.kind!r}, id={self.id!r})"


def encode(message: Message) -> bytes:
    validate(message.kind, message.fields)
    document = {
        "v": VERSION,
        "k": message.kind,
        "id": message.id,
        "t": message.sent_at,
        "c": message.conversation,
        **message.fields,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def decode(plaintext: bytes) -> Message:
    try:
        document = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidMessage("not JSON") from None
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise InvalidMessage("unknown version")
    kind = document.get("k")
    if kind not in FIELDS:
        raise InvalidMessage("unknown kind")
    fields = {name: document.get(name) for name in FIELDS[kind]}
    validate(kind, fields)
    head = (document.get("id"), document.get("t"), document.get("c"))
    if not isinstance(head[0], str) or not isinstance(head[1], int) or not isinstance(head[2], str):
        raise InvalidMessage("missing id, time or conversation")
    return Message(kind, fields, head[2], head[1], head[0])


def validate(kind: str, fields: dict[str, Any]) -> None:
    if kind not in FIELDS:
        raise InvalidMessage(f"unknown kind {kind!r}")
    for name, expected in FIELDS[kind].items():
        value = fields.get(name)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise InvalidMessage(f"{kind}.{name} must be {expected.__name__}")
    if kind == "text" and len(fields["text"]) > MAX_TEXT:
        raise InvalidMessage("text too long")
    if kind == "checkin" and not 2 <= fields["scale"] <= 10:
        raise InvalidMessage("checkin.scale must be 2..10")
    if kind == "checkin_answer" and not 1 <= fields["answer"] <= 10:
        raise InvalidMessage("checkin_answer.answer must be 1..10")
    if kind == "group_profile" and not 1 <= len(fields["name"].strip()) <= MAX_DISPLAY_NAME:
        raise InvalidMessage("group_profile.name must be 1..40 characters")
    if kind in ("group_meta", "group_invite") and not 1 <= len(fields["name"]) <= MAX_GROUP_NAME:
        raise InvalidMessage(f"{kind}.name must be 1..80 characters")
    if kind == "group_meta" and max(len(fields["description"]), len(fields["rules"])) > MAX_TEXT:
        raise InvalidMessage("group_meta.description and rules are at most 4,000 characters")
    if kind == "group_invite" and "#group=" not in fields["link"]:
        raise InvalidMessage("group_invite.link must be a #group= link")
