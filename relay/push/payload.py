"""What a push carries, and when a device is quiet. No I/O, no clock: pure functions.

A push says only that something arrived: {"v": 1, "t": "message" | "group", "h": hint}.
The hint is HMAC-SHA256(device's hint key, conversation address)[:12], base64url: the
device, which chose the key, can tell which conversation it is; the push service, which
sees the decrypted payload only if it broke RFC 8291, could not. The JSON is padded with
spaces to PAYLOAD_BYTES, so every push is the same size on the wire.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from relay.ids import b64url

VERSION = 1
PAYLOAD_BYTES = 128  # plaintext size of every push (aes128gcm adds 103 bytes: 231 in all)
HINT_BYTES = 12
DAY_MINUTES = 1440


def conversation_hint(hint_key: bytes, address: str) -> str:
    """The opaque name of a conversation: its group id, or the sender's account id (the
    ids the app names its conversations by)."""
    digest = hmac.new(hint_key, address.encode("utf-8"), hashlib.sha256).digest()
    return b64url(digest[:HINT_BYTES])


def push_payload(kind: str, hint: str) -> bytes:
    """The plaintext of one push, exactly PAYLOAD_BYTES long."""
    if kind not in ("message", "group"):
        raise ValueError("a push is of type message or group")
    text = json.dumps({"v": VERSION, "t": kind, "h": hint}, separators=(",", ":"))
    data = text.encode("ascii")
    if len(data) > PAYLOAD_BYTES:
        raise ValueError("push payload does not fit its fixed size")
    return data + b" " * (PAYLOAD_BYTES - len(data))


def in_quiet_hours(minute_utc: int, quiet_from: int | None, quiet_until: int | None) -> bool:
    """Is `minute_utc` (0..1439) inside [quiet_from, quiet_until), which may wrap past
    midnight (22:00-08:00 local is e.g. 21:00-07:00 UTC, or 1260..420)?"""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= minute_utc < quiet_until
    return minute_utc >= quiet_from or minute_utc < quiet_until


def seconds_until_quiet_ends(now: int, quiet_from: int | None, quiet_until: int | None) -> int:
    """0 if `now` (Unix seconds) is outside the quiet hours, else the seconds to their end."""
    minute = (now // 60) % DAY_MINUTES
    if quiet_until is None or not in_quiet_hours(minute, quiet_from, quiet_until):
        return 0
    minutes = (quiet_until - minute) % DAY_MINUTES
    return minutes * 60 - now % 60
