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
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from crypto.attachment import ciphertext_size

VERSION = 1
MAX_TEXT = 4_000
MAX_DISPLAY_NAME = 40
MAX_GROUP_NAME = 80
MAX_CONTACT_NAME = 80  # contact_name.name (what the web app's setName keeps)
MAX_QUESTIONNAIRE = 32_000  # questionnaires/document.py MAX_DOCUMENT_BYTES, in characters

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
    # To one's own other devices only: the name this person gave a contact (issue 19 item
    # 11), so a worker's second phone knows the caregivers too; "" forgets the name.
    "contact_name": {"account": str, "name": str},
    # A picture, voice note, video or PDF (docs/messages.md, docs/e2e.md §15): where the
    # encrypted blob is on the relay, its key and commitment (base64url), the blob's SHA-256
    # (hex) and length, the file's length and media type.
    "attachment": {
        "blob": str,
        "key": str,
        "commit": str,
        "sha256": str,
        "size": int,
        "plain_size": int,
        "type": str,
    },
    # Signed questionnaires (docs/accountability.md): the document as canonical JSON, and
    # the caregiver's signed answers (questionnaires/statements.py), signature base64url.
    "questionnaire": {"doc": str},
    "questionnaire_answer": {"statement": str, "signature": str},
}
KINDS = tuple(FIELDS)
# kind -> {field: type}: validated when present, never required.
OPTIONAL: dict[str, dict[str, type]] = {
    "attachment": {"name": str, "preview": str, "width": int, "height": int, "duration_ms": int},
}

ATTACHMENT_TYPES = frozenset(
    {
        "image/jpeg", "image/webp", "image/png",
        "audio/ogg", "audio/webm", "audio/mp4",
        "video/mp4", "video/webm",
        "application/pdf",
    }
)  # fmt: skip
MAX_ATTACHMENT_SIZE = 25 * 1024 * 1024  # plaintext bytes (the relay's default limit)
MAX_ATTACHMENT_NAME = 120
MAX_PREVIEW = 4_096  # bytes of the decoded preview picture
MAX_DIMENSION = 16_384  # pixels
MAX_DURATION_MS = 24 * 3_600_000
BLOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # the relay's blob ids (PROTOCOL.md §4.17)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Control characters, and the bidirectional overrides that make "gpj.exe" read "exe.jpg".
NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A preview is a JPEG or a WebP picture: the receiver shows it without trusting `type`.
PREVIEW_MAGIC = (re.compile(rb"\xff\xd8\xff"), re.compile(rb"RIFF....WEBP", re.DOTALL))


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
    fields |= {name: document[name] for name in OPTIONAL.get(kind, {}) if name in document}
    validate(kind, fields)
    head = (document.get("id"), document.get("t"), document.get("c"))
    if not isinstance(head[0], str) or not isinstance(head[1], int) or not isinstance(head[2], str):
        raise InvalidMessage("missing id, time or conversation")
    return Message(kind, fields, head[2], head[1], head[0])


def validate(kind: str, fields: dict[str, Any]) -> None:
    if kind not in FIELDS:
        raise InvalidMessage(f"unknown kind {kind!r}")
    optional = {name: t for name, t in OPTIONAL.get(kind, {}).items() if name in fields}
    for name, expected in (FIELDS[kind] | optional).items():
        value = fields.get(name)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise InvalidMessage(f"{kind}.{name} must be {expected.__name__}")
    if kind == "attachment":
        validate_attachment(fields)
    if kind == "text" and len(fields["text"]) > MAX_TEXT:
        raise InvalidMessage("text too long")
    if kind == "checkin" and not 2 <= fields["scale"] <= 10:
        raise InvalidMessage("checkin.scale must be 2..10")
    if kind == "checkin_answer" and not 1 <= fields["answer"] <= 10:
        raise InvalidMessage("checkin_answer.answer must be 1..10")
    if kind == "group_profile" and not 1 <= len(fields["name"].strip()) <= MAX_DISPLAY_NAME:
        raise InvalidMessage("group_profile.name must be 1..40 characters")
    if kind == "contact_name" and len(fields["name"]) > MAX_CONTACT_NAME:
        raise InvalidMessage("contact_name.name is at most 80 characters")
    if kind in ("group_meta", "group_invite") and not 1 <= len(fields["name"]) <= MAX_GROUP_NAME:
        raise InvalidMessage(f"{kind}.name must be 1..80 characters")
    if kind == "group_meta" and max(len(fields["description"]), len(fields["rules"])) > MAX_TEXT:
        raise InvalidMessage("group_meta.description and rules are at most 4,000 characters")
    if kind == "group_invite" and "#group=" not in fields["link"]:
        raise InvalidMessage("group_invite.link must be a #group= link")
    if kind == "questionnaire" and len(fields["doc"]) > MAX_QUESTIONNAIRE:
        raise InvalidMessage("questionnaire.doc is at most 32,000 characters")
    if kind == "questionnaire_answer" and len(fields["statement"]) > MAX_QUESTIONNAIRE:
        raise InvalidMessage("questionnaire_answer.statement is at most 32,000 characters")


def validate_attachment(fields: dict[str, Any]) -> None:
    """The ranges of an attachment's fields; their types are already checked."""
    media = fields["type"]
    if not BLOB_ID.fullmatch(fields["blob"]):
        raise InvalidMessage("attachment.blob must be a blob id")
    for name in ("key", "commit"):
        if len(canonical_base64url(fields[name], name)) != 32:
            raise InvalidMessage(f"attachment.{name} must be 32 bytes")
    if not SHA256_HEX.fullmatch(fields["sha256"]):
        raise InvalidMessage("attachment.sha256 must be 64 lower-case hex digits")
    if media not in ATTACHMENT_TYPES:
        raise InvalidMessage("attachment.type is not an allowed media type")
    if not 0 <= fields["plain_size"] <= MAX_ATTACHMENT_SIZE:
        raise InvalidMessage("attachment.plain_size must be 0..25 MiB")
    if fields["size"] != ciphertext_size(fields["plain_size"]):
        raise InvalidMessage("attachment.size does not match plain_size")
    file_name = fields.get("name")
    if file_name is not None and not (
        1 <= len(file_name) <= MAX_ATTACHMENT_NAME and not NAME_FORBIDDEN.search(file_name)
    ):
        raise InvalidMessage("attachment.name must be 1..120 characters, no control characters")
    visual = media.startswith(("image/", "video/"))
    if "preview" in fields:
        preview = canonical_base64url(fields["preview"], "preview")
        if not visual or not 0 < len(preview) <= MAX_PREVIEW:
            raise InvalidMessage("attachment.preview is a picture's or video's, ≤ 4 KB")
        if not any(magic.match(preview) for magic in PREVIEW_MAGIC):
            raise InvalidMessage("attachment.preview must be a JPEG or WebP picture")
    for name in ("width", "height"):
        if name in fields and not (visual and 1 <= fields[name] <= MAX_DIMENSION):
            raise InvalidMessage(f"attachment.{name} is a picture's or video's, 1..16384")
    if "duration_ms" in fields and not (
        media.startswith(("audio/", "video/")) and 0 <= fields["duration_ms"] <= MAX_DURATION_MS
    ):
        raise InvalidMessage("attachment.duration_ms is a recording's, at most 24 hours")


def canonical_base64url(text: str, name: str) -> bytes:
    """Base64url without padding, in its one canonical spelling (as the web app checks)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise InvalidMessage(f"attachment.{name} must be base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:
        raise InvalidMessage(f"attachment.{name} must be base64url")
    return data
